/* shelfwatchd: command line, configuration, and the daemon's run. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/restore.h"
#include "daemon/version.h"
#include "platform/config_sources.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: shelfwatchd [OPTIONS]\n"
                "Edge daemon that finds ghost stock and other inventory anomalies in a retail "
                "store.\n\n"
                "  -c, --config PATH    configuration file (default %s;\n"
                "                       when that default is missing, embedded defaults are used)\n"
                "  -n, --check-config   validate the configuration and exit 0 (valid) or 1\n"
                "  -v, --verbose        with -n: print the files read and where each setting\n"
                "                       came from (file:line, environment, credential)\n"
                "      --restore FILE   put a copy made by 'shelfwatch backup' in place of the\n"
                "                       database (shelfwatchd stopped), then exit\n"
                "  -V, --version        print the version and exit\n"
                "  -h, --help           print this help and exit\n",
                SW_CONFIG_DEFAULT_PATH);
}

/* What the command line asks for. */
struct args {
        const char *path;    /* -c, NULL: the default */
        bool check;          /* -n */
        bool verbose;        /* -v */
        const char *restore; /* --restore FILE */
};

/* Parse the command line into *a: true to go on, false with the exit status in *ret_exit
 * (after printing) when the program is done. */
static bool parse_args(int argc, char **argv, struct args *a, int *ret_exit)
{
        static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                             {"check-config", no_argument, NULL, 'n'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"restore", required_argument, NULL, 'R'},
                                             {NULL, 0, NULL, 0}};
        int c;
        while ((c = getopt_long(argc, argv, "c:nvVh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        a->path = optarg;
                        break;
                case 'n':
                        a->check = true;
                        break;
                case 'v':
                        a->verbose = true;
                        break;
                case 'R':
                        a->restore = optarg;
                        break;
                case 'V':
                        printf("shelfwatchd %s\n", sw_version());
                        *ret_exit = 0;
                        return false;
                case 'h':
                        usage(stdout);
                        *ret_exit = 0;
                        return false;
                default:
                        usage(stderr);
                        *ret_exit = 2;
                        return false;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "shelfwatchd: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                *ret_exit = 2;
                return false;
        }
        return true;
}

/* The configuration in force: the file (the default one may be missing), its conf.d
 * drop-ins, the environment and the credentials (platform/config_sources.h). With -n it only
 * says whether it is valid (-v: where each setting came from). Returns true to go on, false
 * with the exit status in *ret_exit. */
static bool load_config(const struct args *a, struct sw_config *cfg, int *ret_exit)
{
        static struct sw_config_report report; /* ~110 KB: not on the stack */
        char err[512];
        int r = sw_config_load_all(a->path ? a->path : SW_CONFIG_DEFAULT_PATH,
                                   a->path ? 0 : SW_CONFIG_PATH_OPTIONAL, cfg, &report, err,
                                   sizeof(err));
        if (r < 0) {
                fprintf(stderr, "shelfwatchd: %s\n", err);
                *ret_exit = 1;
                return false;
        }
        if (!a->check)
                return true;
        if (a->verbose)
                sw_config_report_write(&report, cfg, stdout);
        if (report.n_files == 0)
                printf("shelfwatchd: %s not found, embedded defaults are valid\n",
                       SW_CONFIG_DEFAULT_PATH);
        else
                printf("shelfwatchd: %s is valid\n", a->path ? a->path : SW_CONFIG_DEFAULT_PATH);
        *ret_exit = 0;
        return false;
}

int main(int argc, char **argv)
{
        struct args a = {0};
        static struct sw_config cfg;
        static struct sw_daemon d;
        int r, status = 0;

        if (!parse_args(argc, argv, &a, &status) || !load_config(&a, &cfg, &status))
                return status;
        if (a.restore)
                return sw_restore_run(&cfg, a.restore) < 0 ? 1 : 0;
        sw_log_set_level(cfg.log.level);
        (void)sw_log_use_journal(cfg.log.journal_fields);
        /* Transient buffers (model and reservoir images, JSON) go back to the system when
         * freed: a fixed mmap threshold stops glibc raising it after the first large free. */
        mallopt(M_MMAP_THRESHOLD, 64 * 1024);
        mallopt(M_TRIM_THRESHOLD, 128 * 1024);
        sw_log_info("shelfwatchd %s starting (store %s/%s, %u SKUs x %u days)", sw_version(),
                    cfg.store.tenant, cfg.store.id, cfg.limits.max_skus, cfg.limits.history_days);
        if (!cfg.store.currency[0])
                sw_log_warning("store.currency is not set: set the ISO 4217 code of the store's "
                               "prices (docs/configuration.md)");
        r = sw_daemon_init(&d, &cfg);
        d.config_path = a.path; /* after init, which clears d */
        if (r == 0)
                r = sw_daemon_run(&d);
        sw_daemon_fini(&d);
        if (r < 0) {
                sw_log_err("Exiting on error: %s", strerror(-r));
                return 1;
        }
        sw_log_event(SW_LOG_INFO, &(struct sw_log_fields){.event = SW_EVENT_STOPPED},
                     "Stopped cleanly");
        return 0;
}
