/* shelfwatch-hq: the ingest service (default) and its subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hq/hq_cli.h"
#include "hq/hq_config.h"
#include "hq/hq_db.h"
#include "hq/hq_service.h"
#include "hq/http_api.h"
#include "platform/log.h"

static void usage(FILE *f)
{
        fputs("usage: shelfwatch-hq [-c FILE] [-n|--check-config] [COMMAND] [OPTIONS]\n"
              "  run                  ingest from the broker into PostgreSQL (the default)\n"
              "  serve                the HTTP API and dashboard (section http)\n"
              "  migrate              apply the schema migrations and exit\n"
              "  tenant-role ROLE TENANT   a login role that reads only TENANT's rows\n"
              "  alerts               open alerts by tenant, store and type\n"
              "  cycle-count          open ghost stock across stores by probability x value\n"
              "  effectiveness        false positives, response time, resolution, precision\n"
              "  roi                  prevented stock-outs and recovered ghost stock\n"
              "  gateways             stores offline, with a stale summary or a silent POS feed\n"
              "  health               what each ingest instance counted\n"
              "options: --tenant T --store S --type TYPE --days N --limit N --problems --json\n"
              "config:  " HQ_CONFIG_DEFAULT_PATH " (embedded defaults when absent)\n",
              f);
}

/* The config: -c FILE must load; the default path is optional. */
static int load_config(const char *path, struct hq_config *cfg)
{
        char err[1024];
        int r = hq_config_load(path ? path : HQ_CONFIG_DEFAULT_PATH, cfg, err, sizeof(err));
        if (r == -ENOENT && !path) {
                hq_config_defaults(cfg);
                return 0;
        }
        if (r < 0)
                fprintf(stderr, "%s\n", err);
        return r;
}

static int parse_options(int argc, char **argv, struct hq_query *q, const char **ret_config,
                         bool *ret_check)
{
        static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                             {"check-config", no_argument, NULL, 'n'},
                                             {"tenant", required_argument, NULL, 't'},
                                             {"store", required_argument, NULL, 's'},
                                             {"type", required_argument, NULL, 'y'},
                                             {"days", required_argument, NULL, 'd'},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"problems", no_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {0}};
        int o;
        while ((o = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
                switch (o) {
                case 'c':
                        *ret_config = optarg;
                        break;
                case 'n':
                        *ret_check = true;
                        break;
                case 't':
                        q->tenant = optarg;
                        break;
                case 's':
                        q->store = optarg;
                        break;
                case 'y':
                        q->type = optarg;
                        break;
                case 'd':
                        q->days = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        q->limit = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'j':
                        q->json = true;
                        break;
                case 'p':
                        q->problems = true;
                        break;
                case 'h':
                        usage(stdout);
                        exit(HQ_EXIT_OK);
                default:
                        return -EINVAL;
                }
        }
        return 0;
}

static int run_query(const struct hq_config *cfg, const char *cmd, int argc, char **argv,
                     const struct hq_query *q)
{
        char err[512];
        PGconn *c = NULL;
        int code = HQ_EXIT_USAGE;
        if (hq_db_connect(cfg->database.conninfo, 0, &c, err, sizeof(err)) < 0) {
                fprintf(stderr, "shelfwatch-hq: %s\n", err);
                return HQ_EXIT_NO_DATABASE;
        }
        if (strcmp(cmd, "migrate") == 0) {
                int v = hq_db_migrate(c, err, sizeof(err));
                if (v < 0)
                        fprintf(stderr, "shelfwatch-hq: %s\n", err);
                else
                        printf("schema version %d\n", v);
                code = v < 0 ? HQ_EXIT_FAILED : HQ_EXIT_OK;
        } else if (strcmp(cmd, "tenant-role") == 0 && argc == 2) {
                code = hq_cli_tenant_role(c, argv[0], argv[1]);
        } else if (argc != 0) {
                usage(stderr);
        } else if (strcmp(cmd, "alerts") == 0) {
                code = hq_cli_alerts(c, cfg, q);
        } else if (strcmp(cmd, "cycle-count") == 0) {
                code = hq_cli_cycle_count(c, cfg, q);
        } else if (strcmp(cmd, "effectiveness") == 0) {
                code = hq_cli_effectiveness(c, cfg, q);
        } else if (strcmp(cmd, "roi") == 0) {
                code = hq_cli_roi(c, cfg, q);
        } else if (strcmp(cmd, "gateways") == 0) {
                code = hq_cli_gateways(c, cfg, q);
        } else if (strcmp(cmd, "health") == 0) {
                code = hq_cli_health(c, cfg, q);
        } else {
                usage(stderr);
        }
        PQfinish(c);
        return code;
}

int main(int argc, char **argv)
{
        struct hq_query q = {.days = 30, .limit = 50};
        struct hq_config cfg;
        const char *config = NULL, *cmd = "run";
        bool check = false;
        if (parse_options(argc, argv, &q, &config, &check) < 0) {
                usage(stderr);
                return HQ_EXIT_USAGE;
        }
        if (load_config(config, &cfg) < 0)
                return HQ_EXIT_FAILED;
        if (check) {
                printf("%s: ok\n", config ? config : HQ_CONFIG_DEFAULT_PATH);
                return HQ_EXIT_OK;
        }
        if (optind < argc)
                cmd = argv[optind++];
        sw_log_set_level(cfg.log.level);
        if (strcmp(cmd, "run") == 0)
                return optind == argc && hq_service_run(&cfg) == 0 ? HQ_EXIT_OK : HQ_EXIT_FAILED;
        if (strcmp(cmd, "serve") == 0)
                return optind == argc && hq_api_run(&cfg) == 0 ? HQ_EXIT_OK : HQ_EXIT_FAILED;
        return run_query(&cfg, cmd, argc - optind, argv + optind, &q);
}
