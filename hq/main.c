/* shelfwatch-hq: the ingest service (default) and its subcommands. */
#include <ctype.h>
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

#define HQ_CLI_MAX_DAYS  36500  /* --days: a hundred years */
#define HQ_CLI_MAX_LIMIT 100000 /* --limit: rows of one listing */

/* The help. tests/package/test_man_pages.sh holds shelfwatch-hq(8) to it: every command under
 * "Commands:" and every option line ("  -c, --config FILE   text") must have an entry there. */
static void usage(FILE *f)
{
        fputs("Usage: shelfwatch-hq [OPTIONS] [COMMAND]\n"
              "       shelfwatch-hq [OPTIONS] tenant-role ROLE TENANT\n"
              "HQ side of shelfwatch: every store gateway's messages into PostgreSQL, the\n"
              "HTTP API and dashboard, and fleet queries.\n"
              "\n"
              "Commands:\n"
              "  run            ingest from the broker into PostgreSQL (the default)\n"
              "  serve          the HTTP API and dashboard (section http)\n"
              "  migrate        apply the schema migrations and exit\n"
              "  tenant-role    create a login role that reads only one tenant's rows\n"
              "  alerts         open alerts by tenant, store and type\n"
              "  cycle-count    open ghost stock across stores by probability x value\n"
              "  effectiveness  false positives, response time, resolution, precision\n"
              "  roi            prevented stock-outs and recovered ghost stock\n"
              "  gateways       stores offline, with a stale summary or a silent POS feed\n"
              "  health         what each ingest instance counted\n"
              "\n"
              "Options:\n"
              "  -c, --config FILE    configuration file (default " HQ_CONFIG_DEFAULT_PATH ";\n"
              "                       when that default is missing, embedded defaults are used)\n"
              "  -n, --check-config   validate the configuration and exit 0 (valid) or 1\n"
              "  -h, --help           print this help and exit\n"
              "\n"
              "Query options (alerts, cycle-count, effectiveness, roi, gateways, health):\n"
              "      --tenant TENANT  one tenant's rows only\n"
              "      --store STORE    one store's rows only (of every tenant without --tenant)\n"
              "      --type TYPE      one anomaly type only (alerts, effectiveness, roi)\n"
              "      --days N         effectiveness and roi: the last N days (default 30)\n"
              "      --limit N        cycle-count: at most N rows (default 50)\n"
              "      --problems       gateways: only those offline, stale or with a silent feed\n"
              "      --json           print JSON instead of a table\n",
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

/* A whole number from 1 to max in text, for option name: 0, or -EINVAL after saying why. */
static int parse_count(const char *name, const char *text, uint32_t max, uint32_t *ret)
{
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (!isdigit((unsigned char)text[0]) || errno || *end || v < 1 || v > max) {
                fprintf(stderr, "shelfwatch-hq: %s takes a whole number from 1 to %u (got '%s')\n",
                        name, max, text);
                return -EINVAL;
        }
        *ret = (uint32_t)v;
        return 0;
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
                        if (parse_count("--days", optarg, HQ_CLI_MAX_DAYS, &q->days) < 0)
                                return -EINVAL;
                        break;
                case 'l':
                        if (parse_count("--limit", optarg, HQ_CLI_MAX_LIMIT, &q->limit) < 0)
                                return -EINVAL;
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
