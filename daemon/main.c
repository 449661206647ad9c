/* shelfwatchd: command line, configuration, and the daemon's run. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/version.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: shelfwatchd [OPTIONS]\n"
                "Edge daemon that finds ghost stock and other inventory anomalies in a retail "
                "store.\n\n"
                "  -c, --config PATH    configuration file (default %s;\n"
                "                       when that default is missing, embedded defaults are used)\n"
                "  -n, --check-config   validate the configuration and exit 0 (valid) or 1\n"
                "  -V, --version        print the version and exit\n"
                "  -h, --help           print this help and exit\n",
                SW_CONFIG_DEFAULT_PATH);
}

/* Parse the command line: 0 with *ret_path (NULL: the default) and *ret_check, or the exit
 * status (>= 0 after printing, via *ret_exit) when the program is done. */
static bool parse_args(int argc, char **argv, const char **ret_path, bool *ret_check, int *ret_exit)
{
        static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                             {"check-config", no_argument, NULL, 'n'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        int c;
        while ((c = getopt_long(argc, argv, "c:nVh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        *ret_path = optarg;
                        break;
                case 'n':
                        *ret_check = true;
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

/* The configuration in force: the file given, else the default path if it exists, else the
 * embedded defaults. With check (-n) it only says whether it is valid. Returns true to go on,
 * false with the exit status in *ret_exit. */
static bool load_config(const char *path, bool check, struct sw_config *cfg, int *ret_exit)
{
        char err[512];
        sw_config_defaults(cfg);
        if (path || access(SW_CONFIG_DEFAULT_PATH, F_OK) == 0) {
                const char *p = path ? path : SW_CONFIG_DEFAULT_PATH;
                if (sw_config_load(p, cfg, err, sizeof(err)) < 0) {
                        fprintf(stderr, "shelfwatchd: %s\n", err);
                        *ret_exit = 1;
                        return false;
                }
        } else if (check) {
                printf("shelfwatchd: %s not found, embedded defaults are valid\n",
                       SW_CONFIG_DEFAULT_PATH);
                *ret_exit = 0;
                return false;
        }
        if (check) {
                printf("shelfwatchd: %s is valid\n", path ? path : SW_CONFIG_DEFAULT_PATH);
                *ret_exit = 0;
                return false;
        }
        return true;
}

int main(int argc, char **argv)
{
        const char *path = NULL;
        bool check = false;
        static struct sw_config cfg;
        static struct sw_daemon d;
        int r, status = 0;

        if (!parse_args(argc, argv, &path, &check, &status) ||
            !load_config(path, check, &cfg, &status))
                return status;
        sw_log_set_level(cfg.log.level);
        /* Transient buffers (model and reservoir images, JSON) go back to the system when
         * freed: a fixed mmap threshold stops glibc raising it after the first large free. */
        mallopt(M_MMAP_THRESHOLD, 64 * 1024);
        mallopt(M_TRIM_THRESHOLD, 128 * 1024);
        sw_log_info("shelfwatchd %s starting (store %s/%s, %u SKUs x %u days)", sw_version(),
                    cfg.store.tenant, cfg.store.id, cfg.limits.max_skus, cfg.limits.history_days);
        r = sw_daemon_init(&d, &cfg);
        d.config_path = path; /* after init, which clears d */
        if (r == 0)
                r = sw_daemon_run(&d);
        sw_daemon_fini(&d);
        if (r < 0) {
                sw_log_err("Exiting on error: %s", strerror(-r));
                return 1;
        }
        sw_log_info("Stopped cleanly");
        return 0;
}
