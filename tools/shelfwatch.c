/* shelfwatch: command-line client that asks a running shelfwatchd over MQTT v5 request/response. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "core/civil_time.h"
#include "core/sw_types.h"
#include "platform/config.h"
#include "platform/payload.h"

/* Exit status; docs/cli.md documents them. */
#define CLI_EXIT_OK          0 /* the daemon answered {"ok":true,...} */
#define CLI_EXIT_REFUSED     1 /* the daemon answered {"ok":false,...} (or something unreadable) */
#define CLI_EXIT_USAGE       2 /* bad command line or config file: nothing was sent */
#define CLI_EXIT_UNREACHABLE 3 /* no broker, broker refused us, or no reply in time */

#define CLI_DEFAULT_TIMEOUT_S 10.0
#define CLI_MAX_TIMEOUT_S     3600.0
#define CLI_KEEPALIVE_S       30
#define CLI_LOOP_SLICE_MS     100                       /* mosquitto_loop() wait per turn */
#define CLI_PREFIX_SIZE       (3 * SW_CONFIG_NAME_SIZE) /* {root}/{tenant}/{store} */
#define CLI_TOPIC_SIZE        512 /* prefix (3 x 64) plus cmd/reply suffixes */
#define CLI_CORR_SIZE         33  /* 16 random bytes in hex + NUL */
#define CLI_MAX_COLUMNS       10  /* columns of an output table */
#define CLI_MIN_TRUNCATED     12  /* a truncated last column keeps at least this many characters */
#define CLI_CELL_SIZE         128 /* a formatted number or short text */
#define CLI_KEY_WIDTH         26  /* key column of key/value blocks */

/* Options that only some subcommands take: bit i is long option CLI_OPT_TYPE + i. */
enum cli_opt {
        CLI_OPT_HOST = 256,
        CLI_OPT_PORT,
        CLI_OPT_ROOT,
        CLI_OPT_TENANT,
        CLI_OPT_STORE,
        CLI_OPT_CONFIG,
        CLI_OPT_CAFILE,
        CLI_OPT_CERT,
        CLI_OPT_KEY,
        CLI_OPT_USERNAME,
        CLI_OPT_PASSWORD,
        CLI_OPT_TIMEOUT,
        CLI_OPT_JSON,
        CLI_OPT_VERSION,
        CLI_OPT_TYPE, /* first subcommand option */
        CLI_OPT_SEVERITY,
        CLI_OPT_STATUS,
        CLI_OPT_DAYS,
        CLI_OPT_SKU,
        CLI_OPT_LIMIT,
        CLI_OPT_AS_OF,
        CLI_OPT_DETECTOR,
        CLI_OPT_ACTION,
        CLI_OPT_NOTE,
        CLI_OPT_USER,
};

#define CLI_BIT(opt) (1u << ((opt)-CLI_OPT_TYPE))

static const struct option cli_long_options[] = {
    {"host", required_argument, NULL, CLI_OPT_HOST},
    {"port", required_argument, NULL, CLI_OPT_PORT},
    {"root", required_argument, NULL, CLI_OPT_ROOT},
    {"tenant", required_argument, NULL, CLI_OPT_TENANT},
    {"store", required_argument, NULL, CLI_OPT_STORE},
    {"config", required_argument, NULL, CLI_OPT_CONFIG},
    {"cafile", required_argument, NULL, CLI_OPT_CAFILE},
    {"cert", required_argument, NULL, CLI_OPT_CERT},
    {"key", required_argument, NULL, CLI_OPT_KEY},
    {"username", required_argument, NULL, CLI_OPT_USERNAME},
    {"password", required_argument, NULL, CLI_OPT_PASSWORD},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, CLI_OPT_VERSION},
    {"type", required_argument, NULL, CLI_OPT_TYPE},
    {"severity", required_argument, NULL, CLI_OPT_SEVERITY},
    {"status", required_argument, NULL, CLI_OPT_STATUS},
    {"days", required_argument, NULL, CLI_OPT_DAYS},
    {"sku", required_argument, NULL, CLI_OPT_SKU},
    {"limit", required_argument, NULL, CLI_OPT_LIMIT},
    {"as-of", required_argument, NULL, CLI_OPT_AS_OF},
    {"detector", required_argument, NULL, CLI_OPT_DETECTOR},
    {"action", required_argument, NULL, CLI_OPT_ACTION},
    {"note", required_argument, NULL, CLI_OPT_NOTE},
    {"user", required_argument, NULL, CLI_OPT_USER},
    {NULL, 0, NULL, 0},
};

/* Everything the command line said; strings borrow from argv. */
struct cli_options {
        const char *command;     /* subcommand, NULL when none was given */
        const char *args[2];     /* its positional arguments */
        unsigned n_args;         /* entries used in args */
        bool help;               /* --help */
        bool version;            /* --version */
        bool json;               /* --json: print the reply as JSON */
        double timeout_s;        /* --timeout, seconds */
        const char *config_path; /* --config, NULL = the default path when it exists */
        const char *host;        /* --host, NULL = from the config */
        long port;               /* --port, 0 = from the config */
        const char *root;        /* --root */
        const char *tenant;      /* --tenant */
        const char *store;       /* --store */
        const char *cafile;      /* --cafile */
        const char *cert;        /* --cert */
        const char *key;         /* --key */
        const char *username;    /* --username */
        const char *password;    /* --password */
        unsigned given;          /* CLI_BIT() of each subcommand option given */
        const char *type;        /* --type */
        const char *severity;    /* --severity */
        const char *status;      /* --status */
        const char *sku;         /* --sku */
        long days;               /* --days, valid when given */
        long limit;              /* --limit, valid when given */
        const char *as_of;       /* --as-of */
        const char *detectors[SW_CMD_MAX_DETECTORS]; /* --detector, in order */
        unsigned n_detectors;                        /* entries used in detectors */
        const char *action;                          /* --action */
        const char *note;                            /* --note */
        const char *user;                            /* --user */
};

/* A subcommand: one daemon command, its options and how its reply is shown. */
struct cli_command {
        const char *name;                  /* subcommand, also the daemon command name */
        unsigned options;                  /* CLI_BIT()s of the subcommand options it takes */
        unsigned n_args;                   /* positional arguments it needs */
        const char *arg_fields[2];         /* request field of each positional argument */
        const char *synopsis;              /* arguments after "shelfwatch NAME" */
        const char *summary;               /* one line for the command list */
        const char *details;               /* its options, for "shelfwatch NAME --help" */
        void (*print)(const cJSON *reply); /* human-readable output of an ok reply */
};

/* Where to send the request and how to connect. */
struct cli_target {
        const char *host;             /* broker host */
        int port;                     /* broker port */
        char prefix[CLI_PREFIX_SIZE]; /* {root}/{tenant}/{store} */
        const char *username;         /* NULL = anonymous */
        const char *password;         /* NULL = none */
        const char *cafile;           /* TLS when any of the three is set */
        const char *cert;             /* client certificate */
        const char *key;              /* client key */
        bool insecure;                /* skip the TLS host name check (from the config only) */
};

/* One request/response exchange, driven by the mosquitto callbacks. */
enum cli_phase {
        CLI_PHASE_CONNECTING,  /* waiting for CONNACK */
        CLI_PHASE_SUBSCRIBING, /* waiting for SUBACK of the reply topic */
        CLI_PHASE_WAITING,     /* request sent, waiting for the reply */
        CLI_PHASE_DONE,        /* reply received */
};

struct cli_exchange {
        const char *request_topic;        /* {prefix}/cmd/{name} */
        char reply_topic[CLI_TOPIC_SIZE]; /* {prefix}/reply/shelfwatch-{pid}-{random} */
        char corr[CLI_CORR_SIZE];         /* Correlation Data of the request */
        const char *payload;              /* request JSON */
        enum cli_phase phase;             /* how far it got */
        bool failed;                      /* gave up in that phase; error says why */
        char error[256];                  /* why it failed */
        char *reply;                      /* reply payload (malloc'd, NUL-ended) once DONE */
};

/* An aligned text table. */
struct cli_column {
        const char *title; /* header */
        bool right;        /* right-aligned (numbers) */
};

struct cli_table {
        const struct cli_column *cols; /* column specs */
        size_t n_cols;                 /* entries in cols, at most CLI_MAX_COLUMNS */
        char **cells;                  /* n_rows x n_cols copies, row after row */
        size_t n_rows;                 /* rows added */
        size_t cap_rows;               /* rows allocated */
};

/* ---- small helpers ---- */

/* A command-line tool has nothing sensible to do without memory: say so and stop. */
static void *cli_check_alloc(void *p)
{
        if (!p) {
                fputs("shelfwatch: out of memory\n", stderr);
                exit(CLI_EXIT_REFUSED);
        }
        return p;
}

static char *cli_strdup(const char *s)
{
        return cli_check_alloc(strdup(s));
}

static void cli_usage_error(const char *command, const char *fmt, ...)
{
        va_list ap;
        fputs("shelfwatch: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'shelfwatch %s%s--help'.\n", command ? command : "",
                command ? " " : "");
}

static double cli_now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parse a whole decimal integer in [lo, hi]. 0 or -EINVAL. */
static int cli_parse_long(const char *s, long lo, long hi, long *ret_value)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi)
                return -EINVAL;
        *ret_value = v;
        return 0;
}

/* 1..max bytes of printable ASCII (the wire rule for SKUs and ids). */
static bool cli_printable(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e)
                        return false;
        return true;
}

/* ---- subcommands ---- */

static void print_anomalies(const cJSON *reply);
static void print_ghost_stock(const cJSON *reply);
static void print_outcome(const cJSON *reply);
static void print_stats(const cJSON *reply);
static void print_effectiveness(const cJSON *reply);
static void print_roi(const cJSON *reply);
static void print_health(const cJSON *reply);
static void print_detect(const cJSON *reply);

#define CLI_DAYS_HELP "  --days N        look back N days (1..100000, default 30)\n"

static const struct cli_command cli_commands[] = {
    {
        .name = "anomalies",
        .options = CLI_BIT(CLI_OPT_TYPE) | CLI_BIT(CLI_OPT_SEVERITY) | CLI_BIT(CLI_OPT_STATUS) |
                   CLI_BIT(CLI_OPT_DAYS) | CLI_BIT(CLI_OPT_SKU) | CLI_BIT(CLI_OPT_LIMIT),
        .synopsis = "[--type T] [--severity S] [--status S] [--days N] [--sku SKU] [--limit N]",
        .summary = "list anomalies, newest first",
        .details =
            "  --type T        ghost_stock, ml_detected, shelf_out or inventory_discrepancy\n"
            "  --severity S    info, warning or critical\n"
            "  --status S      open, resolved, dismissed or cleared\n"
            "  --days N        only anomalies of the last N days (1..100000)\n"
            "  --sku SKU       only this SKU\n"
            "  --limit N       at most N rows (1..100000)\n",
        .print = print_anomalies,
    },
    {
        .name = "ghost-stock",
        .options = CLI_BIT(CLI_OPT_LIMIT),
        .synopsis = "[--limit N]",
        .summary = "cycle-count recommendations, ranked by probability x value",
        .details = "  --limit N       at most N recommendations (1..100000)\n",
        .print = print_ghost_stock,
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
        .print = print_outcome,
    },
    {
        .name = "stats",
        .options = CLI_BIT(CLI_OPT_DAYS),
        .synopsis = "[--days N]",
        .summary = "anomaly totals by severity, type and status, and the trend",
        .details = CLI_DAYS_HELP,
        .print = print_stats,
    },
    {
        .name = "effectiveness",
        .options = CLI_BIT(CLI_OPT_DAYS),
        .synopsis = "[--days N]",
        .summary = "false-positive rate, response time, resolution rate and precision",
        .details = CLI_DAYS_HELP,
        .print = print_effectiveness,
    },
    {
        .name = "roi",
        .options = CLI_BIT(CLI_OPT_DAYS),
        .synopsis = "[--days N]",
        .summary = "value protected by the alerts that were acted on",
        .details = CLI_DAYS_HELP,
        .print = print_roi,
    },
    {
        .name = "health",
        .synopsis = "",
        .summary = "daemon version, uptime, counters and broker links",
        .details = "",
        .print = print_health,
    },
    {
        .name = "detect",
        .options = CLI_BIT(CLI_OPT_AS_OF) | CLI_BIT(CLI_OPT_DETECTOR),
        .synopsis = "[--as-of YYYY-MM-DD] [--detector NAME]...",
        .summary = "run the detectors now",
        .details = "  --as-of DATE    run as of the start of this store-local day (default today)\n"
                   "  --detector NAME only this detector (repeatable): ghost_stock, ml_detected,\n"
                   "                  shelf_out, inventory_discrepancy\n",
        .print = print_detect,
    },
};

#define CLI_N_COMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

static const struct cli_command *cli_find_command(const char *name)
{
        for (size_t i = 0; i < CLI_N_COMMANDS; i++)
                if (strcmp(cli_commands[i].name, name) == 0)
                        return &cli_commands[i];
        return NULL;
}

static const char *cli_option_name(int val)
{
        for (const struct option *o = cli_long_options; o->name; o++)
                if (o->val == val)
                        return o->name;
        return "?";
}

/* ---- help ---- */

static void print_global_help(void)
{
        printf("Usage: shelfwatch [OPTIONS] COMMAND [ARGS]\n\n"
               "Ask a running shelfwatchd for anomalies, recommendations and statistics, over\n"
               "its MQTT broker (MQTT v5 request/response).\n\nCommands:\n");
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

static void print_command_help(const struct cli_command *c)
{
        printf("Usage: shelfwatch [OPTIONS] %s %s\n\n%c%s.\n", c->name, c->synopsis,
               toupper((unsigned char)c->summary[0]), c->summary + 1);
        if (c->details[0])
                printf("\n%s", c->details);
        printf("\nSee 'shelfwatch --help' for the connection options and exit status.\n");
}

/* ---- command line ---- */

#define CLI_STR(x)  #x
#define CLI_XSTR(x) CLI_STR(x)

/* Where each plain string option goes. */
static const struct {
        int opt;       /* option */
        size_t offset; /* its const char * field in struct cli_options */
} cli_string_fields[] = {
    {CLI_OPT_HOST, offsetof(struct cli_options, host)},
    {CLI_OPT_ROOT, offsetof(struct cli_options, root)},
    {CLI_OPT_TENANT, offsetof(struct cli_options, tenant)},
    {CLI_OPT_STORE, offsetof(struct cli_options, store)},
    {CLI_OPT_CONFIG, offsetof(struct cli_options, config_path)},
    {CLI_OPT_CAFILE, offsetof(struct cli_options, cafile)},
    {CLI_OPT_CERT, offsetof(struct cli_options, cert)},
    {CLI_OPT_KEY, offsetof(struct cli_options, key)},
    {CLI_OPT_USERNAME, offsetof(struct cli_options, username)},
    {CLI_OPT_PASSWORD, offsetof(struct cli_options, password)},
    {CLI_OPT_TYPE, offsetof(struct cli_options, type)},
    {CLI_OPT_SEVERITY, offsetof(struct cli_options, severity)},
    {CLI_OPT_STATUS, offsetof(struct cli_options, status)},
    {CLI_OPT_SKU, offsetof(struct cli_options, sku)},
    {CLI_OPT_AS_OF, offsetof(struct cli_options, as_of)},
    {CLI_OPT_ACTION, offsetof(struct cli_options, action)},
    {CLI_OPT_NOTE, offsetof(struct cli_options, note)},
    {CLI_OPT_USER, offsetof(struct cli_options, user)},
};

static const char **cli_string_field(struct cli_options *o, int opt)
{
        for (size_t i = 0; i < sizeof(cli_string_fields) / sizeof(cli_string_fields[0]); i++)
                if (cli_string_fields[i].opt == opt)
                        return (const char **)((char *)o + cli_string_fields[i].offset);
        return NULL;
}

static int cli_parse_timeout(const char *s, double *ret_seconds)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !(v > 0) || v > CLI_MAX_TIMEOUT_S)
                return -EINVAL;
        *ret_seconds = v;
        return 0;
}

#define CLI_STR(x)  #x
#define CLI_XSTR(x) CLI_STR(x)

/* What is wrong with an option's value, or NULL when it is fine (or free text). */
static const char *cli_option_problem(int opt, const char *v)
{
        enum sw_anomaly_type type;
        enum sw_severity severity;
        enum sw_status status;
        sw_day_t day;
        double seconds;
        long n;

        switch (opt) {
        case CLI_OPT_PORT:
                return cli_parse_long(v, 1, 65535, &n) < 0 ? "must be a number from 1 to 65535"
                                                           : NULL;
        case CLI_OPT_TIMEOUT:
                return cli_parse_timeout(v, &seconds) < 0
                           ? "must be seconds, more than 0, at most 3600"
                           : NULL;
        case CLI_OPT_TYPE:
        case CLI_OPT_DETECTOR:
                return sw_anomaly_type_parse(v, &type) < 0
                           ? "must be ghost_stock, ml_detected, shelf_out or inventory_discrepancy"
                           : NULL;
        case CLI_OPT_SEVERITY:
                return sw_severity_parse(v, &severity) < 0 ? "must be info, warning or critical"
                                                           : NULL;
        case CLI_OPT_STATUS:
                return sw_status_parse(v, &status) < 0
                           ? "must be open, resolved, dismissed or cleared"
                           : NULL;
        case CLI_OPT_DAYS:
        case CLI_OPT_LIMIT:
                return cli_parse_long(v, 1, SW_CMD_MAX_NUMBER, &n) < 0
                           ? "must be a whole number from 1 to " CLI_XSTR(SW_CMD_MAX_NUMBER)
                           : NULL;
        case CLI_OPT_SKU:
                return cli_printable(v, SW_SKU_MAX_LEN)
                           ? NULL
                           : "must be 1 to " CLI_XSTR(SW_SKU_MAX_LEN) " printable ASCII characters";
        case CLI_OPT_AS_OF:
                return sw_date_parse(v, strlen(v), &day) < 0 ? "must be a date YYYY-MM-DD" : NULL;
        case CLI_OPT_NOTE:
                return strlen(v) > SW_CMD_MAX_NOTE_LEN
                           ? "must be at most " CLI_XSTR(SW_CMD_MAX_NOTE_LEN) " bytes"
                           : NULL;
        case CLI_OPT_ACTION:
        case CLI_OPT_USER:
                return v[0] == '\0' || strlen(v) > SW_CMD_MAX_STRING_LEN
                           ? "must be 1 to " CLI_XSTR(SW_CMD_MAX_STRING_LEN) " bytes"
                           : NULL;
        default:
                return NULL;
        }
}

/* Check and store one option. 0 or -EINVAL (message printed). */
static int cli_set_option(struct cli_options *o, int opt, const char *v)
{
        const char *problem = v ? cli_option_problem(opt, v) : NULL;
        const char **field = cli_string_field(o, opt);
        if (problem) {
                cli_usage_error(o->command, "--%s: %s (got '%.64s')", cli_option_name(opt), problem,
                                v);
                return -EINVAL;
        }
        if (opt >= CLI_OPT_TYPE)
                o->given |= CLI_BIT(opt);
        if (field) {
                *field = v;
                return 0;
        }
        switch (opt) {
        case CLI_OPT_PORT:
                return cli_parse_long(v, 1, 65535, &o->port);
        case CLI_OPT_TIMEOUT:
                return cli_parse_timeout(v, &o->timeout_s);
        case CLI_OPT_DAYS:
                return cli_parse_long(v, 1, SW_CMD_MAX_NUMBER, &o->days);
        case CLI_OPT_LIMIT:
                return cli_parse_long(v, 1, SW_CMD_MAX_NUMBER, &o->limit);
        case CLI_OPT_DETECTOR:
                if (o->n_detectors == SW_CMD_MAX_DETECTORS) {
                        cli_usage_error(o->command, "--detector: at most %d", SW_CMD_MAX_DETECTORS);
                        return -EINVAL;
                }
                o->detectors[o->n_detectors++] = v;
                return 0;
        case CLI_OPT_JSON:
                o->json = true;
                return 0;
        case CLI_OPT_VERSION:
                o->version = true;
                return 0;
        default: /* -h, --help */
                o->help = true;
                return 0;
        }
}

/* The option getopt_long() choked on, as the user wrote it. */
static const char *cli_bad_option(char *argv[])
{
        return optind > 0 ? argv[optind - 1] : "?";
}

/* Read options and positional arguments. 0 or -EINVAL (message printed). */
static int cli_parse_args(int argc, char *argv[], struct cli_options *ret_options)
{
        struct cli_options o = {.timeout_s = CLI_DEFAULT_TIMEOUT_S};
        int opt;

        /* Find the subcommand first so that error messages can point at its help. */
        for (int i = 1; i < argc && !o.command; i++)
                if (argv[i][0] != '-' && cli_find_command(argv[i]))
                        o.command = argv[i];
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":h", cli_long_options, NULL)) != -1) {
                if (opt == '?') {
                        cli_usage_error(o.command, "unknown option '%s'", cli_bad_option(argv));
                        return -EINVAL;
                }
                if (opt == ':') {
                        cli_usage_error(o.command, "option '%s' needs a value",
                                        cli_bad_option(argv));
                        return -EINVAL;
                }
                if (cli_set_option(&o, opt, optarg) < 0)
                        return -EINVAL;
        }
        o.command = NULL;
        if (optind < argc)
                o.command = argv[optind++];
        for (; optind < argc; optind++) {
                if (o.n_args == 2) {
                        cli_usage_error(o.command, "unexpected argument '%s'", argv[optind]);
                        return -EINVAL;
                }
                o.args[o.n_args++] = argv[optind];
        }
        *ret_options = o;
        return 0;
}

/* The subcommand exists, takes the options given and has its arguments. */
static int cli_check_command(const struct cli_options *o, const struct cli_command **ret_command)
{
        const struct cli_command *c = cli_find_command(o->command);
        if (!c) {
                cli_usage_error(NULL, "unknown command '%s'", o->command);
                return -EINVAL;
        }
        unsigned extra = o->given & ~c->options;
        for (int opt = CLI_OPT_TYPE; extra; opt++) {
                if (extra & CLI_BIT(opt)) {
                        cli_usage_error(c->name, "'%s' does not take --%s", c->name,
                                        cli_option_name(opt));
                        return -EINVAL;
                }
        }
        if (o->n_args != c->n_args) {
                cli_usage_error(c->name, "'%s' needs %u argument%s, got %u", c->name, c->n_args,
                                c->n_args == 1 ? "" : "s", o->n_args);
                return -EINVAL;
        }
        if (strcmp(c->name, "outcome") == 0) {
                if (!cli_printable(o->args[0], SW_ID_MAX_LEN)) {
                        cli_usage_error(c->name,
                                        "the anomaly id must be 1 to %d printable characters",
                                        SW_ID_MAX_LEN);
                        return -EINVAL;
                }
                if (strcmp(o->args[1], "true_positive") != 0 &&
                    strcmp(o->args[1], "false_positive") != 0) {
                        cli_usage_error(
                            c->name,
                            "the outcome must be true_positive or false_positive (got '%s')",
                            o->args[1]);
                        return -EINVAL;
                }
        }
        *ret_command = c;
        return 0;
}

/* ---- config and target ---- */

/* Load the daemon's config: --config must load; the default path is only a convenience. */
static int cli_load_config(const struct cli_options *o, struct sw_config *cfg)
{
        char err[512];
        const char *path = o->config_path ? o->config_path : SW_CONFIG_DEFAULT_PATH;
        sw_config_defaults(cfg);
        if (!o->config_path && access(path, F_OK) != 0)
                return 0;
        int r = sw_config_load(path, cfg, err, sizeof(err));
        if (r >= 0)
                return 0;
        if (o->config_path) {
                cli_usage_error(NULL, "%s", err);
                return r;
        }
        if (!(o->tenant && o->store))
                fprintf(stderr, "shelfwatch: warning: %s; using the built-in defaults, ignoring\n",
                        err);
        return 0;
}

static int cli_check_name(const char *option, const char *v)
{
        if (v[0] && strlen(v) < SW_CONFIG_NAME_SIZE && !strpbrk(v, "/+#"))
                return 0;
        cli_usage_error(NULL, "--%s: must be 1 to %d characters without '/', '+' or '#'", option,
                        SW_CONFIG_NAME_SIZE - 1);
        return -EINVAL;
}

static const char *cli_nonempty(const char *s)
{
        return s && s[0] ? s : NULL;
}

/* Combine the config with the explicit options. cfg must outlive ret_target. 0 or -EINVAL. */
static int cli_resolve_target(const struct cli_options *o, const struct sw_config *cfg,
                              struct cli_target *ret_target)
{
        const char *root = o->root ? o->root : cfg->store.root;
        const char *tenant = o->tenant ? o->tenant : cfg->store.tenant;
        const char *store = o->store ? o->store : cfg->store.id;
        struct cli_target t = {
            .host = o->host ? o->host : cfg->broker.host,
            .port = o->port ? (int)o->port : cfg->broker.port,
            .username = cli_nonempty(o->username ? o->username : cfg->broker.username),
            .password = cli_nonempty(o->password ? o->password : cfg->broker.password),
            .insecure = cfg->broker.tls.enabled && cfg->broker.tls.insecure,
        };
        if (cli_check_name("root", root) < 0 || cli_check_name("tenant", tenant) < 0 ||
            cli_check_name("store", store) < 0)
                return -EINVAL;
        if (cfg->broker.tls.enabled) {
                t.cafile = cli_nonempty(cfg->broker.tls.ca_file);
                t.cert = cli_nonempty(cfg->broker.tls.cert_file);
                t.key = cli_nonempty(cfg->broker.tls.key_file);
        }
        t.cafile = o->cafile ? o->cafile : t.cafile;
        t.cert = o->cert ? o->cert : t.cert;
        t.key = o->key ? o->key : t.key;
        if (!t.cert != !t.key) {
                cli_usage_error(NULL, "--cert and --key go together");
                return -EINVAL;
        }
        if (t.password && !t.username) {
                cli_usage_error(NULL, "--password needs --username");
                return -EINVAL;
        }
        snprintf(t.prefix, sizeof(t.prefix), "%s/%s/%s", root, tenant, store);
        *ret_target = t;
        return 0;
}

/* ---- the request ---- */

static cJSON *cli_build_request(const struct cli_options *o, const struct cli_command *c)
{
        cJSON *q = cli_check_alloc(cJSON_CreateObject());
        const struct {
                const char *field;
                const char *value;
        } strings[] = {
            {"type", o->type}, {"severity", o->severity}, {"status", o->status},
            {"sku", o->sku},   {"as_of", o->as_of},       {"action", o->action},
            {"note", o->note}, {"user", o->user},
        };
        for (unsigned i = 0; i < c->n_args; i++)
                cli_check_alloc(cJSON_AddStringToObject(q, c->arg_fields[i], o->args[i]));
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                if (strings[i].value)
                        cli_check_alloc(
                            cJSON_AddStringToObject(q, strings[i].field, strings[i].value));
        if (o->given & CLI_BIT(CLI_OPT_DAYS))
                cli_check_alloc(cJSON_AddNumberToObject(q, "days", (double)o->days));
        if (o->given & CLI_BIT(CLI_OPT_LIMIT))
                cli_check_alloc(cJSON_AddNumberToObject(q, "limit", (double)o->limit));
        if (o->n_detectors) {
                cJSON *list = cli_check_alloc(cJSON_AddArrayToObject(q, "detectors"));
                for (unsigned i = 0; i < o->n_detectors; i++)
                        cJSON_AddItemToArray(list,
                                             cli_check_alloc(cJSON_CreateString(o->detectors[i])));
        }
        return q;
}

/* ---- MQTT ---- */

static void cli_fail(struct cli_exchange *x, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->error, sizeof(x->error), fmt, ap);
        va_end(ap);
        x->failed = true;
}

static void cli_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                           const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)flags;
        (void)props;
        if (rc != 0) {
                cli_fail(x, "the broker refused the connection: %s", mosquitto_reason_string(rc));
                return;
        }
        x->phase = CLI_PHASE_SUBSCRIBING;
        rc = mosquitto_subscribe_v5(m, NULL, x->reply_topic, 1, 0, NULL);
        if (rc != MOSQ_ERR_SUCCESS)
                cli_fail(x, "cannot subscribe to %s: %s", x->reply_topic, mosquitto_strerror(rc));
}

static int cli_publish_request(struct mosquitto *m, struct cli_exchange *x)
{
        mosquitto_property *props = NULL;
        int rc = mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, x->reply_topic);
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, x->corr,
                                                   (uint16_t)strlen(x->corr));
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_publish_v5(m, NULL, x->request_topic, (int)strlen(x->payload),
                                          x->payload, 1, false, props);
        mosquitto_property_free_all(&props);
        return rc;
}

static void cli_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                             const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)mid;
        (void)props;
        if (x->failed || x->phase != CLI_PHASE_SUBSCRIBING)
                return;
        if (n < 1 || granted[0] >= 0x80) {
                cli_fail(x, "the broker refused the subscription to %s: %s", x->reply_topic,
                         mosquitto_reason_string(n < 1 ? 0x80 : granted[0]));
                return;
        }
        int rc = cli_publish_request(m, x);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_fail(x, "cannot publish to %s: %s", x->request_topic, mosquitto_strerror(rc));
                return;
        }
        x->phase = CLI_PHASE_WAITING;
}

static bool cli_correlation_matches(const struct cli_exchange *x, const mosquitto_property *props)
{
        void *corr = NULL;
        uint16_t len = 0;
        if (!mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &len, false))
                return false;
        bool ours = len == strlen(x->corr) && memcmp(corr, x->corr, len) == 0;
        free(corr);
        return ours;
}

static void cli_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)m;
        if (x->failed || x->phase != CLI_PHASE_WAITING || strcmp(msg->topic, x->reply_topic) != 0 ||
            !cli_correlation_matches(x, props))
                return;
        x->reply = cli_check_alloc(calloc(1, (size_t)msg->payloadlen + 1));
        memcpy(x->reply, msg->payload, (size_t)msg->payloadlen);
        x->phase = CLI_PHASE_DONE;
}

static void cli_on_disconnect(struct mosquitto *m, void *obj, int rc,
                              const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)m;
        (void)props;
        if (x->phase != CLI_PHASE_DONE && !x->failed)
                cli_fail(x, "the broker closed the connection: %s", mosquitto_reason_string(rc));
}

/* A reply topic and correlation nobody else uses: pid plus 8 random bytes. */
static void cli_make_reply_route(struct cli_exchange *x, const char *prefix)
{
        uint8_t rnd[8];
        if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
                uint64_t seed =
                    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
                memcpy(rnd, &seed, sizeof(rnd));
        }
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(x->corr + 2 * i, 3, "%02x", rnd[i]);
        snprintf(x->reply_topic, sizeof(x->reply_topic), "%s/reply/shelfwatch-%d-%s", prefix,
                 (int)getpid(), x->corr);
}

static int cli_setup_client(struct mosquitto *m, const struct cli_target *t, char *err,
                            size_t errsz)
{
        int rc = mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        if (rc == MOSQ_ERR_SUCCESS && t->username)
                rc = mosquitto_username_pw_set(m, t->username, t->password);
        if (rc == MOSQ_ERR_SUCCESS && (t->cafile || t->cert)) {
                rc = mosquitto_tls_set(m, t->cafile, NULL, t->cert, t->key, NULL);
                if (rc == MOSQ_ERR_SUCCESS)
                        rc = mosquitto_tls_insecure_set(m, t->insecure);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
                snprintf(err, errsz, "cannot set up the MQTT client%s: %s",
                         t->cafile || t->cert ? " (check the TLS files)" : "",
                         mosquitto_strerror(rc));
                return -EINVAL;
        }
        mosquitto_connect_v5_callback_set(m, cli_on_connect);
        mosquitto_subscribe_v5_callback_set(m, cli_on_subscribe);
        mosquitto_message_v5_callback_set(m, cli_on_message);
        mosquitto_disconnect_v5_callback_set(m, cli_on_disconnect);
        return 0;
}

static void cli_explain_timeout(struct cli_exchange *x, const struct cli_target *t,
                                double timeout_s)
{
        if (x->phase == CLI_PHASE_WAITING)
                cli_fail(x,
                         "no reply from shelfwatchd on %s/cmd within %g s (is shelfwatchd "
                         "running, and are --tenant/--store right?)",
                         t->prefix, timeout_s);
        else
                cli_fail(x, "no answer from the broker within %g s", timeout_s);
}

/* Connect, subscribe, publish and wait until the reply, a failure or the deadline. */
static void cli_run_exchange(struct mosquitto *m, struct cli_exchange *x,
                             const struct cli_target *t, double timeout_s)
{
        double deadline = cli_now_s() + timeout_s;
        int rc = mosquitto_connect_bind_v5(m, t->host, t->port, CLI_KEEPALIVE_S, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_fail(x, "cannot connect: %s",
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
                return;
        }
        while (x->phase != CLI_PHASE_DONE && !x->failed) {
                double left_ms = (deadline - cli_now_s()) * 1000.0;
                if (left_ms <= 0) {
                        cli_explain_timeout(x, t, timeout_s);
                        break;
                }
                rc = mosquitto_loop(
                    m, left_ms < CLI_LOOP_SLICE_MS ? (int)left_ms + 1 : CLI_LOOP_SLICE_MS, 1);
                if (rc != MOSQ_ERR_SUCCESS && x->phase != CLI_PHASE_DONE && !x->failed)
                        cli_fail(x, "lost the connection: %s",
                                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        }
        mosquitto_disconnect(m);
}

/*
 * Send the request and wait for the reply. 0 and the reply (malloc'd) in *ret_reply, or
 * -EHOSTUNREACH (connection failed or refused, or no reply in time) with a message printed.
 */
static int cli_request(const struct cli_target *t, const char *name, const char *payload,
                       double timeout_s, char **ret_reply)
{
        char topic[CLI_TOPIC_SIZE];
        struct cli_exchange x = {.request_topic = topic, .payload = payload};
        snprintf(topic, sizeof(topic), "%s/cmd/%s", t->prefix, name);
        cli_make_reply_route(&x, t->prefix);

        mosquitto_lib_init();
        struct mosquitto *m = cli_check_alloc(mosquitto_new(NULL, true, &x));
        if (cli_setup_client(m, t, x.error, sizeof(x.error)) == 0)
                cli_run_exchange(m, &x, t, timeout_s);
        else
                x.failed = true;
        mosquitto_destroy(m);
        mosquitto_lib_cleanup();
        if (x.phase != CLI_PHASE_DONE || x.failed) {
                fprintf(stderr, "shelfwatch: broker %s:%d: %s\n", t->host, t->port, x.error);
                if (x.phase != CLI_PHASE_WAITING)
                        fprintf(stderr, "shelfwatch: is the MQTT broker running there, and "
                                        "shelfwatchd with it? (--host, --port, --config)\n");
                free(x.reply);
                return -EHOSTUNREACH;
        }
        *ret_reply = x.reply;
        return 0;
}

/* ---- formatting ---- */

static const cJSON *cli_get(const cJSON *o, const char *name)
{
        return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* A string field, or "-" when it is missing or null. */
static const char *cli_str(const cJSON *o, const char *name)
{
        const char *s = cJSON_GetStringValue(cli_get(o, name));
        return s ? s : "-";
}

/* A number field printed with fmt (scaled), or "-" when it is missing or null. */
static const char *cli_num(const cJSON *o, const char *name, const char *fmt, double scale,
                           char *buf, size_t size)
{
        const cJSON *v = cli_get(o, name);
        if (!cJSON_IsNumber(v))
                return "-";
        snprintf(buf, size, fmt, v->valuedouble * scale);
        return buf;
}

#define CLI_COUNT(o, name, buf)   cli_num(o, name, "%.0f", 1.0, buf, sizeof(buf))
#define CLI_MONEY(o, name, buf)   cli_num(o, name, "%.2f", 1.0, buf, sizeof(buf))
#define CLI_PERCENT(o, name, buf) cli_num(o, name, "%.1f%%", 100.0, buf, sizeof(buf))

static void cli_kv(const char *key, const char *fmt, ...)
{
        va_list ap;
        printf("%-*s ", CLI_KEY_WIDTH, key);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

/* Display width of UTF-8 text: one column per code point (no wide characters expected). */
static size_t cli_width(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xc0) != 0x80;
        return n;
}

/* Bytes of s that fit in width columns, on a code point boundary. */
static size_t cli_prefix_bytes(const char *s, size_t width)
{
        size_t bytes = 0, cols = 0;
        while (s[bytes]) {
                if (((unsigned char)s[bytes] & 0xc0) != 0x80 && cols++ == width)
                        break;
                bytes++;
        }
        return bytes;
}

/* Columns of the terminal on stdout; COLUMNS when not a terminal; 0 = no limit. */
static size_t cli_terminal_width(void)
{
        struct winsize ws;
        long cols;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        const char *env = getenv("COLUMNS");
        if (env && cli_parse_long(env, 20, 10000, &cols) == 0)
                return (size_t)cols;
        return 0;
}

static void cli_table_init(struct cli_table *t, const struct cli_column *cols, size_t n_cols)
{
        *t = (struct cli_table){.cols = cols,
                                .n_cols = n_cols < CLI_MAX_COLUMNS ? n_cols : CLI_MAX_COLUMNS};
}

static void cli_table_add(struct cli_table *t, const char *const cells[])
{
        if (t->n_rows == t->cap_rows) {
                t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 16;
                t->cells = cli_check_alloc(
                    reallocarray(t->cells, t->cap_rows * t->n_cols, sizeof(*t->cells)));
        }
        for (size_t c = 0; c < t->n_cols; c++)
                t->cells[t->n_rows * t->n_cols + c] = cli_strdup(cells[c] ? cells[c] : "-");
        t->n_rows++;
}

/* Width of each column; a left-aligned last column shrinks to fit the terminal. */
static void cli_table_widths(const struct cli_table *t, size_t widths[])
{
        size_t used = 0, last = t->n_cols - 1, term = cli_terminal_width();
        for (size_t c = 0; c < t->n_cols; c++) {
                widths[c] = cli_width(t->cols[c].title);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = cli_width(t->cells[r * t->n_cols + c]);
                        widths[c] = w > widths[c] ? w : widths[c];
                }
                if (c < last)
                        used += widths[c] + 2;
        }
        if (term && !t->cols[last].right && used + widths[last] > term) {
                size_t room = term > used ? term - used : 0;
                widths[last] = room > CLI_MIN_TRUNCATED ? room : CLI_MIN_TRUNCATED;
        }
}

static void cli_print_cell(const char *s, size_t width, bool right, bool last)
{
        size_t w = cli_width(s);
        if (w > width) {
                /* Only the last column is ever narrower than its text. */
                printf("%.*s...", (int)cli_prefix_bytes(s, width > 3 ? width - 3 : 0), s);
                return;
        }
        if (right)
                printf("%*s%s", (int)(width - w), "", s);
        else if (last)
                fputs(s, stdout);
        else
                printf("%s%*s", s, (int)(width - w), "");
}

static void cli_print_row(const struct cli_table *t, const char *const cells[],
                          const size_t widths[])
{
        for (size_t c = 0; c < t->n_cols; c++) {
                if (c > 0)
                        fputs("  ", stdout);
                cli_print_cell(cells[c], widths[c], t->cols[c].right, c == t->n_cols - 1);
        }
        putchar('\n');
}

/* Print the table and free its rows. */
static void cli_table_print(struct cli_table *t)
{
        size_t widths[CLI_MAX_COLUMNS];
        const char *titles[CLI_MAX_COLUMNS];
        for (size_t c = 0; c < t->n_cols; c++)
                titles[c] = t->cols[c].title;
        cli_table_widths(t, widths);
        cli_print_row(t, titles, widths);
        for (size_t r = 0; r < t->n_rows; r++)
                cli_print_row(t, (const char *const *)&t->cells[r * t->n_cols], widths);
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->cells);
        *t = (struct cli_table){0};
}

/* A two-column table NAME / COUNT from an object of counts, e.g. {"info":3,"warning":1}. */
static void cli_print_counts(const char *title, const cJSON *counts)
{
        const struct cli_column cols[] = {{title, false}, {"COUNT", true}};
        struct cli_table t;
        const cJSON *it;
        char n[CLI_CELL_SIZE];
        cli_table_init(&t, cols, 2);
        cJSON_ArrayForEach(it, counts)
        {
                const char *row[] = {it->string, CLI_COUNT(counts, it->string, n)};
                cli_table_add(&t, row);
        }
        cli_table_print(&t);
}

/* ---- output of each command ---- */

static void print_anomalies(const cJSON *reply)
{
        static const struct cli_column cols[] = {
            {"ID", false},  {"TYPE", false}, {"SEVERITY", false},   {"STATUS", false},
            {"SKU", false}, {"VALUE", true}, {"DESCRIPTION", false}};
        const cJSON *list = cli_get(reply, "anomalies"), *a;
        struct cli_table t;
        char value[CLI_CELL_SIZE];
        cli_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
        cJSON_ArrayForEach(a, list)
        {
                const char *row[] = {cli_str(a, "id"),         cli_str(a, "type"),
                                     cli_str(a, "severity"),   cli_str(a, "status"),
                                     cli_str(a, "sku"),        CLI_MONEY(a, "value", value),
                                     cli_str(a, "description")};
                cli_table_add(&t, row);
        }
        if (t.n_rows == 0) {
                printf("No anomalies match.\n");
                return;
        }
        cli_table_print(&t);
        printf("%d anomal%s\n", cJSON_GetArraySize(list),
               cJSON_GetArraySize(list) == 1 ? "y" : "ies");
}

static void print_ghost_stock(const cJSON *reply)
{
        static const struct cli_column cols[] = {
            {"RANK", true}, {"ID", false},   {"SKU", false},     {"CATEGORY", false},
            {"PROB", true}, {"VALUE", true}, {"PRIORITY", true}, {"DESCRIPTION", false}};
        const cJSON *list = cli_get(reply, "recommendations"), *r;
        struct cli_table t;
        char rank[CLI_CELL_SIZE], prob[CLI_CELL_SIZE], value[CLI_CELL_SIZE], prio[CLI_CELL_SIZE];
        cli_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
        cJSON_ArrayForEach(r, list)
        {
                const char *row[] = {CLI_COUNT(r, "rank", rank),
                                     cli_str(r, "id"),
                                     cli_str(r, "sku"),
                                     cli_str(r, "category"),
                                     cli_num(r, "probability", "%.2f", 1.0, prob, sizeof(prob)),
                                     CLI_MONEY(r, "value", value),
                                     CLI_MONEY(r, "priority", prio),
                                     cli_str(r, "description")};
                cli_table_add(&t, row);
        }
        if (t.n_rows == 0) {
                printf("No open ghost stock: nothing to count.\n");
                return;
        }
        cli_table_print(&t);
        printf("Count these SKUs, then record the result: shelfwatch outcome ID "
               "true_positive|false_positive\n");
}

static void print_outcome(const cJSON *reply)
{
        const cJSON *o = cli_get(reply, "outcome");
        char buf[CLI_CELL_SIZE];
        printf("Recorded %s for anomaly %s.\n", cli_str(o, "outcome"), cli_str(o, "anomaly"));
        cli_kv("Outcome id", "%s", cli_str(o, "id"));
        cli_kv("SKU", "%s", cli_str(o, "sku"));
        cli_kv("Type", "%s", cli_str(o, "type"));
        cli_kv("Anomaly status", "%s", cli_str(o, "status"));
        cli_kv("Action", "%s", cli_str(o, "action"));
        cli_kv("Source", "%s", cli_str(o, "source"));
        cli_kv("Recorded at", "%s", cli_str(o, "ts"));
        cli_kv("Response time (hours)", "%s",
               cli_num(o, "response_hours", "%.1f", 1.0, buf, sizeof(buf)));
        cli_kv("Adjustment (units)", "%s", CLI_COUNT(o, "adjustment", buf));
        cli_kv("Value recovered", "%s", CLI_MONEY(o, "value_recovered", buf));
        cli_kv("Note", "%s", cli_str(o, "note"));
}

static void print_stats(const cJSON *reply)
{
        const cJSON *detail = cli_get(reply, "trend_detail");
        char days[CLI_CELL_SIZE], total[CLI_CELL_SIZE], earlier[CLI_CELL_SIZE],
            later[CLI_CELL_SIZE];
        cli_kv("Window (days)", "%s", CLI_COUNT(reply, "days", days));
        cli_kv("Anomalies", "%s", CLI_COUNT(reply, "total", total));
        cli_kv("Trend", "%s (earlier half %s, later half %s)", cli_str(reply, "trend"),
               CLI_COUNT(detail, "earlier", earlier), CLI_COUNT(detail, "later", later));
        putchar('\n');
        cli_print_counts("SEVERITY", cli_get(reply, "by_severity"));
        putchar('\n');
        cli_print_counts("TYPE", cli_get(reply, "by_type"));
        putchar('\n');
        cli_print_counts("STATUS", cli_get(reply, "by_status"));
}

/* Rows NAME / PRECISION / TP / FP from {"name":{"precision","true_positive","false_positive"}}. */
static void cli_print_precision(const char *title, const cJSON *groups)
{
        const struct cli_column cols[] = {
            {title, false}, {"PRECISION", true}, {"TRUE POS", true}, {"FALSE POS", true}};
        struct cli_table t;
        const cJSON *g;
        char p[CLI_CELL_SIZE], tp[CLI_CELL_SIZE], fp[CLI_CELL_SIZE];
        cli_table_init(&t, cols, 4);
        cJSON_ArrayForEach(g, groups)
        {
                const char *row[] = {g->string, CLI_PERCENT(g, "precision", p),
                                     CLI_COUNT(g, "true_positive", tp),
                                     CLI_COUNT(g, "false_positive", fp)};
                cli_table_add(&t, row);
        }
        if (t.n_rows == 0) {
                printf("%s: no outcomes recorded yet\n", title);
                return;
        }
        cli_table_print(&t);
}

static void print_effectiveness(const cJSON *reply)
{
        const cJSON *precision = cli_get(reply, "precision"),
                    *overall = cli_get(precision, "overall");
        char a[CLI_CELL_SIZE], b[CLI_CELL_SIZE], c[CLI_CELL_SIZE];
        cli_kv("Window (days)", "%s", CLI_COUNT(reply, "days", a));
        cli_kv("Alerts", "%s", CLI_COUNT(reply, "alerts", a));
        cli_kv("With an outcome", "%s", CLI_COUNT(reply, "with_outcome", a));
        cli_kv("False-positive rate", "%s", CLI_PERCENT(reply, "false_positive_rate", a));
        cli_kv("Mean response (hours)", "%s",
               cli_num(reply, "mean_response_hours", "%.1f", 1.0, a, sizeof(a)));
        cli_kv("Resolution rate", "%s", CLI_PERCENT(reply, "resolution_rate", a));
        cli_kv("Precision", "%s (%s true, %s false positives)",
               CLI_PERCENT(overall, "precision", a), CLI_COUNT(overall, "true_positive", b),
               CLI_COUNT(overall, "false_positive", c));
        putchar('\n');
        cli_print_precision("TYPE", cli_get(precision, "by_type"));
        putchar('\n');
        cli_print_precision("CATEGORY", cli_get(precision, "by_category"));
}

static void print_roi(const cJSON *reply)
{
        char buf[CLI_CELL_SIZE];
        cli_kv("Window (days)", "%s", CLI_COUNT(reply, "days", buf));
        cli_kv("Prevented stock-out value", "%s",
               CLI_MONEY(reply, "prevented_stockout_value", buf));
        cli_kv("Ghost stock recovered", "%s", CLI_MONEY(reply, "ghost_stock_recovered_value", buf));
        cli_kv("Total", "%s", CLI_MONEY(reply, "total", buf));
        cli_kv("True-positive outcomes", "%s", CLI_COUNT(reply, "true_positive_outcomes", buf));
}

/* Rows DETECTOR / LAST RUN / AS OF / EVALUATED / OPENED / UPDATED / CLEARED. */
static void cli_print_detectors(const cJSON *detectors, bool with_run)
{
        static const struct cli_column cols[] = {
            {"DETECTOR", false}, {"EVALUATED", true}, {"OPENED", true},   {"UPDATED", true},
            {"CLEARED", true},   {"AS OF", false},    {"LAST RUN", false}};
        struct cli_table t;
        const cJSON *d;
        char n[4][CLI_CELL_SIZE];
        cli_table_init(&t, cols, with_run ? 7 : 5);
        cJSON_ArrayForEach(d, detectors)
        {
                const cJSON *found = with_run ? cli_get(d, "found") : d;
                const char *row[] = {d->string,
                                     CLI_COUNT(found, "evaluated", n[0]),
                                     CLI_COUNT(found, "opened", n[1]),
                                     CLI_COUNT(found, "updated", n[2]),
                                     CLI_COUNT(found, "cleared", n[3]),
                                     cli_str(d, "as_of"),
                                     cli_str(d, "last_run")};
                cli_table_add(&t, row);
        }
        cli_table_print(&t);
}

static void print_detect(const cJSON *reply)
{
        char open[CLI_CELL_SIZE];
        printf("Detection as of %s: %s open anomalies.\n\n", cli_str(reply, "as_of"),
               CLI_COUNT(reply, "open", open));
        cli_print_detectors(cli_get(reply, "detectors"), false);
}

static double cli_sum_numbers(const cJSON *o)
{
        const cJSON *it;
        double sum = 0;
        cJSON_ArrayForEach(it, o) sum += cJSON_IsNumber(it) ? it->valuedouble : 0;
        return sum;
}

/* Rows KIND / ACCEPTED / DUPLICATES / REJECTED / REASONS. */
static void cli_print_messages(const cJSON *messages)
{
        static const struct cli_column cols[] = {{"MESSAGES", false},
                                                 {"ACCEPTED", true},
                                                 {"DUPLICATES", true},
                                                 {"REJECTED", true},
                                                 {"REASONS", false}};
        const cJSON *rejected = cli_get(messages, "rejected"), *kind;
        struct cli_table t;
        char acc[CLI_CELL_SIZE], dup[CLI_CELL_SIZE], rej[CLI_CELL_SIZE], reasons[512];
        cli_table_init(&t, cols, 5);
        cJSON_ArrayForEach(kind, cli_get(messages, "accepted"))
        {
                const cJSON *why = cli_get(rejected, kind->string), *r;
                size_t len = 0;
                reasons[0] = '\0';
                cJSON_ArrayForEach(r, why) if (len < sizeof(reasons)) len +=
                    (size_t)snprintf(reasons + len, sizeof(reasons) - len, "%s%s %.0f",
                                     len ? ", " : "", r->string, cJSON_GetNumberValue(r));
                snprintf(rej, sizeof(rej), "%.0f", cli_sum_numbers(why));
                const char *row[] = {kind->string,
                                     CLI_COUNT(cli_get(messages, "accepted"), kind->string, acc),
                                     CLI_COUNT(cli_get(messages, "duplicates"), kind->string, dup),
                                     rej, reasons[0] ? reasons : "-"};
                cli_table_add(&t, row);
        }
        cli_table_print(&t);
}

static void cli_format_uptime(const cJSON *reply, char *buf, size_t size)
{
        const cJSON *v = cli_get(reply, "uptime_s");
        if (!cJSON_IsNumber(v)) {
                snprintf(buf, size, "-");
                return;
        }
        long s = (long)v->valuedouble;
        if (s >= 86400)
                snprintf(buf, size, "%ldd %02ldh %02ldm", s / 86400, s % 86400 / 3600,
                         s % 3600 / 60);
        else if (s >= 3600)
                snprintf(buf, size, "%ldh %02ldm", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, size, "%ldm %02lds", s / 60, s % 60);
}

static void print_health(const cJSON *reply)
{
        const cJSON *skus = cli_get(reply, "skus"), *outbox = cli_get(reply, "outbox"), *b;
        char a[CLI_CELL_SIZE], c[CLI_CELL_SIZE], d[CLI_CELL_SIZE], e[CLI_CELL_SIZE];
        cli_kv("Version", "shelfwatchd %s", cli_str(reply, "version"));
        cli_format_uptime(reply, a, sizeof(a));
        cli_kv("Started", "%s (up %s)", cli_str(reply, "started_at"), a);
        cli_kv("Open anomalies", "%s", CLI_COUNT(reply, "open_anomalies", a));
        cli_kv("SKUs tracked", "%s of %s", CLI_COUNT(skus, "tracked", a),
               CLI_COUNT(skus, "capacity", c));
        cli_kv("Store errors", "%s", CLI_COUNT(reply, "store_errors", a));
        cli_kv("Outbox", "%s queued (%s bytes), %s in flight", CLI_COUNT(outbox, "depth", a),
               CLI_COUNT(outbox, "bytes", c), CLI_COUNT(outbox, "in_flight", d));
        cli_kv("", "%s delivered, %s refused, %s dropped", CLI_COUNT(outbox, "delivered", a),
               CLI_COUNT(outbox, "refused", c), CLI_COUNT(outbox, "dropped", d));
        cJSON_ArrayForEach(b, cli_get(reply, "brokers"))
        {
                char key[64];
                snprintf(key, sizeof(key), "Broker %s", b->string);
                cli_kv(key, "%s (%s connects, %s disconnects, %s failures)", cli_str(b, "state"),
                       CLI_COUNT(b, "connects", c), CLI_COUNT(b, "disconnects", d),
                       CLI_COUNT(b, "connect_failures", e));
        }
        putchar('\n');
        cli_print_messages(cli_get(reply, "messages"));
        putchar('\n');
        cli_print_detectors(cli_get(reply, "detectors"), true);
}

/* ---- main ---- */

/* Print the reply as asked. CLI_EXIT_OK, or CLI_EXIT_REFUSED when the daemon said no. */
static int cli_show_reply(const struct cli_options *o, const struct cli_command *c,
                          const char *text)
{
        cJSON *reply = cJSON_Parse(text);
        if (!cJSON_IsObject(reply)) {
                fprintf(stderr,
                        "shelfwatch: shelfwatchd sent a reply that is not a JSON object: %.200s\n",
                        text);
                cJSON_Delete(reply);
                return CLI_EXIT_REFUSED;
        }
        bool ok = cJSON_IsTrue(cli_get(reply, "ok"));
        if (o->json) {
                char *pretty = cli_check_alloc(cJSON_Print(reply));
                puts(pretty);
                free(pretty);
        } else if (ok) {
                c->print(reply);
        }
        if (!ok) {
                const char *err = cJSON_GetStringValue(cli_get(reply, "error"));
                fprintf(stderr, "shelfwatch: shelfwatchd: %s\n",
                        err ? err : "request failed (no reason given)");
        }
        cJSON_Delete(reply);
        return ok ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

static int cli_main(const struct cli_options *o)
{
        const struct cli_command *c;
        struct cli_target target;
        char *payload, *reply = NULL;

        if (cli_check_command(o, &c) < 0)
                return CLI_EXIT_USAGE;
        struct sw_config *cfg = cli_check_alloc(malloc(sizeof(*cfg)));
        if (cli_load_config(o, cfg) < 0 || cli_resolve_target(o, cfg, &target) < 0) {
                free(cfg);
                return CLI_EXIT_USAGE;
        }
        cJSON *q = cli_build_request(o, c);
        payload = cli_check_alloc(cJSON_PrintUnformatted(q));
        cJSON_Delete(q);
        int r = cli_request(&target, c->name, payload, o->timeout_s, &reply);
        free(payload);
        free(cfg);
        if (r < 0)
                return CLI_EXIT_UNREACHABLE;
        r = cli_show_reply(o, c, reply);
        free(reply);
        return r;
}

int main(int argc, char *argv[])
{
        struct cli_options o;

        if (cli_parse_args(argc, argv, &o) < 0)
                return CLI_EXIT_USAGE;
        if (o.version) {
                printf("shelfwatch %s\n", SW_VERSION);
                return CLI_EXIT_OK;
        }
        if (o.help && o.command && cli_find_command(o.command)) {
                print_command_help(cli_find_command(o.command));
                return CLI_EXIT_OK;
        }
        if (o.help || (o.command && strcmp(o.command, "help") == 0 && o.n_args == 0)) {
                print_global_help();
                return CLI_EXIT_OK;
        }
        if (o.command && strcmp(o.command, "help") == 0 && cli_find_command(o.args[0])) {
                print_command_help(cli_find_command(o.args[0]));
                return CLI_EXIT_OK;
        }
        if (!o.command) {
                cli_usage_error(NULL, "no command given");
                return CLI_EXIT_USAGE;
        }
        return cli_main(&o);
}
