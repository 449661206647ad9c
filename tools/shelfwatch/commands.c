/* commands.c: the shelfwatch subcommands (daemon command, options, output) and their help. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "platform/config.h"
#include "shelfwatch.h"

/* A subcommand that takes only --days N: a report over the last N days, shown by print_fn. */
#define CLI_DAYS_REPORT(command, what, print_fn)                                                   \
        {                                                                                          \
                .name = command, .options = CLI_BIT(CLI_OPT_DAYS), .synopsis = "[--days N]",       \
                .summary = what,                                                                   \
                .details = "  --days N        look back N days (1..100000, default 30)\n",         \
                .print = print_fn,                                                                 \
        }

static const struct cli_command cli_commands[] = {
    {
        .name = "anomalies",
        .options = CLI_BIT(CLI_OPT_TYPE) | CLI_BIT(CLI_OPT_SEVERITY) | CLI_BIT(CLI_OPT_STATUS) |
                   CLI_BIT(CLI_OPT_DAYS) | CLI_BIT(CLI_OPT_SKU) | CLI_BIT(CLI_OPT_LIMIT),
        .synopsis = "[--type T] [--severity S] [--status S] [--days N] [--sku SKU] [--limit N]",
        .summary = "list anomalies, newest first",
        .details = "  --type T        %s\n"
                   "  --severity S    info, warning or critical\n"
                   "  --status S      open, resolved, dismissed or cleared\n"
                   "  --days N        only anomalies of the last N days (1..100000)\n"
                   "  --sku SKU       only this SKU\n"
                   "  --limit N       at most N rows (1..100000)\n",
        .lists_types = true,
        .print = cli_print_anomalies,
    },
    {
        .name = "ghost-stock",
        .options = CLI_BIT(CLI_OPT_LIMIT),
        .synopsis = "[--limit N]",
        .summary = "cycle-count recommendations, ranked by probability x value",
        .details = "  --limit N       at most N recommendations (1..100000)\n",
        .print = cli_print_ghost_stock,
    },
    {
        .name = "outcome",
        .options = CLI_BIT(CLI_OPT_ACTION) | CLI_BIT(CLI_OPT_NOTE) | CLI_BIT(CLI_OPT_USER),
        .n_args = 2,
        .arg_fields = {"anomaly", "outcome"},
        .synopsis = "ID true_positive|false_positive [--action A] [--note TEXT] [--user U]",
        .summary = "record whether an anomaly was real",
        .details = "  ID              the anomaly id (shelfwatch anomalies shows it)\n"
                   "  true_positive   the anomaly was real; false_positive: it was not\n"
                   "  --action A      what was done (e.g. cycle_count)\n"
                   "  --note TEXT     free text, up to 1024 bytes\n"
                   "  --user U        who recorded it\n",
        .print = cli_print_outcome,
    },
    CLI_DAYS_REPORT("stats", "anomaly totals by severity, type and status, and the trend",
                    cli_print_stats),
    CLI_DAYS_REPORT("effectiveness",
                    "false-positive rate, response time, resolution rate and precision",
                    cli_print_effectiveness),
    CLI_DAYS_REPORT("roi", "value protected by the alerts that were acted on", cli_print_roi),
    {
        .name = "health",
        .synopsis = "",
        .summary = "daemon version, uptime, counters and broker links",
        .details = "",
        .print = cli_print_health,
    },
    {
        .name = "detect",
        .options = CLI_BIT(CLI_OPT_AS_OF) | CLI_BIT(CLI_OPT_DETECTOR),
        .synopsis = "[--as-of YYYY-MM-DD] [--detector NAME]...",
        .summary = "run the detectors now",
        .details = "  --as-of DATE    run as of the start of this store-local day (default today)\n"
                   "  --detector NAME only this detector (repeatable):\n"
                   "                  %s\n",
        .lists_types = true,
        .print = cli_print_detect,
    },
    {
        .name = "forecast",
        .options = CLI_BIT(CLI_OPT_SKU) | CLI_BIT(CLI_OPT_AS_OF) | CLI_BIT(CLI_OPT_LIMIT),
        .synopsis = "[--sku SKU] [--as-of YYYY-MM-DD] [--limit N]",
        .summary = "each SKU's expected sales on a day, and where the expectation comes from",
        .details = "  --sku SKU       only this SKU\n"
                   "  --as-of DATE    the store-local day to forecast (default today)\n"
                   "  --limit N       at most N rows (1..100000, default 100)\n",
        .print = cli_print_forecast,
    },
    {
        .name = "backup",
        .options = CLI_BIT(CLI_OPT_FORCE),
        .n_args = 1,
        .arg_fields = {"path"},
        .synopsis = "FILE [--force]",
        .summary = "have shelfwatchd write a consistent copy of its database",
        .details = "  FILE            absolute path on the gateway, in the daemon's\n"
                   "                  storage.backup_dir (default /var/lib/shelfwatch/backup)\n"
                   "  --force         replace FILE if it exists\n"
                   "Restore with shelfwatchd --restore FILE (docs/deploy.md).\n",
        .print = cli_print_backup,
    },
    {
        .name = "count",
        .options = CLI_BIT(CLI_OPT_ANOMALY) | CLI_BIT(CLI_OPT_USER) | CLI_BIT(CLI_OPT_DEVICE),
        .n_args = 2,
        .synopsis = "SKU COUNTED [--anomaly ID] [--user U] [--device NAME]",
        .summary = "record a cycle count as a handheld scanner does, and show its outcome",
        .details = "  SKU             the SKU counted\n"
                   "  COUNTED         the units found (0..1000000)\n"
                   "  --anomaly ID    the anomaly the count answers (default: the SKU's open\n"
                   "                  ghost stock and inventory discrepancy)\n"
                   "  --user U        who counted\n"
                   "  --device NAME   the scanner's name in P/scanner/NAME/count (default: the\n"
                   "                  broker user name's part after scanner/, else shelfwatch)\n",
        .run = cli_run_count,
    },
    {
        .name = "import",
        .options = CLI_BIT(CLI_OPT_ITEMS) | CLI_BIT(CLI_OPT_SALES) | CLI_BIT(CLI_OPT_RECEIPTS) |
                   CLI_BIT(CLI_OPT_STATE) | CLI_BIT(CLI_OPT_DEVICE),
        .synopsis = "[--items FILE] [--sales FILE] [--receipts FILE] [--state FILE] "
                    "[--device NAME]",
        .summary = "import the store's recent history from CSV files (docs/cli.md)",
        .details =
            "  --items FILE    SKUs with their book on-hand, list price and category\n"
            "  --sales FILE    units sold per SKU and day\n"
            "  --receipts FILE lines of receipts (receipt, time, SKU, quantity)\n"
            "  --state FILE    where the import keeps its progress, to resume an\n"
            "                  interrupted run (default: the first file plus .import-state)\n"
            "  --device NAME   the register the sales come from, P/pos/NAME (default\n"
            "                  import)\n",
        .run = cli_run_import,
    },
};

#define CLI_N_COMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

const struct cli_command *cli_find_command(const char *name)
{
        for (size_t i = 0; i < CLI_N_COMMANDS; i++)
                if (strcmp(cli_commands[i].name, name) == 0)
                        return &cli_commands[i];
        return NULL;
}

/* ---- help ---- */

void cli_print_global_help(void)
{
        printf("Usage: shelfwatch [OPTIONS] COMMAND [ARGS]\n\n"
               "Ask a running shelfwatchd for anomalies, recommendations and statistics, record\n"
               "cycle counts and import the store's history, over its MQTT broker (MQTT v5).\n\n"
               "Commands:\n");
        for (size_t i = 0; i < CLI_N_COMMANDS; i++)
                printf("  %-14s %s\n", cli_commands[i].name, cli_commands[i].summary);
        printf("\nOptions (anywhere on the line):\n"
               "  --config FILE     read broker and store from the daemon's config file\n"
               "                    (default %s, when it exists)\n"
               "  --host HOST       broker host (default 127.0.0.1, as the daemon's)\n"
               "  --port PORT       broker port (default 1883)\n"
               "  --root ROOT       topic root (default retail)\n"
               "  --tenant TENANT   tenant id (second topic level)\n"
               "  --store STORE     store id (third topic level)\n"
               "  --username USER   broker user name\n"
               "  --password PASS   broker password (visible in ps: prefer the config file)\n"
               "  --cafile FILE     TLS: CA bundle (PEM); turns TLS on\n"
               "  --cert FILE       TLS: client certificate (with --key)\n"
               "  --key FILE        TLS: client private key (with --cert)\n"
               "  --timeout SEC     wait this long for the reply (default 10)\n"
               "  --json            print the daemon's JSON reply instead of tables\n"
               "  -h, --help        this help; 'shelfwatch COMMAND --help' for a command\n"
               "  --version         print the version\n\n"
               "Explicit options override the config file.\n"
               "Exit status: 0 ok; 1 shelfwatchd answered with an error; 2 usage error;\n"
               "3 broker unreachable or no reply in time.\n",
               SW_CONFIG_DEFAULT_PATH);
}

void cli_print_command_help(const struct cli_command *c)
{
        printf("Usage: shelfwatch [OPTIONS] %s %s\n\n%c%s.\n", c->name, c->synopsis,
               toupper((unsigned char)c->summary[0]), c->summary + 1);
        char types[160];
        sw_anomaly_type_list(types, sizeof(types), ", ", c == &cli_commands[0] ? " or " : ", ");
        if (c->details[0])
                printf("\n");
        /* The anomaly types come from their descriptors (core/anomaly_type.c): a new type
         * needs no edit here. The format is one of the constant strings above. */
        if (c->lists_types)
                printf(c->details, types);
        else
                fputs(c->details, stdout);
        printf("\nSee 'shelfwatch --help' for the connection options and exit status.\n");
}
