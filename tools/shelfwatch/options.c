/* options.c: the shelfwatch command line: options, their checks, the subcommand's arguments. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "core/sw_types.h"
#include "shelfwatch.h"

#define CLI_MAX_TIMEOUT_S 3600.0

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
    {"sales", required_argument, NULL, CLI_OPT_SALES},
    {"receipts", required_argument, NULL, CLI_OPT_RECEIPTS},
    {"items", required_argument, NULL, CLI_OPT_ITEMS},
    {"state", required_argument, NULL, CLI_OPT_STATE},
    {"device", required_argument, NULL, CLI_OPT_DEVICE},
    {"anomaly", required_argument, NULL, CLI_OPT_ANOMALY},
    {"force", no_argument, NULL, CLI_OPT_FORCE},
    {NULL, 0, NULL, 0},
};

/* Parse a whole decimal integer in [lo, hi]. 0 or -EINVAL. */
int cli_parse_long(const char *s, long lo, long hi, long *ret_value)
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
bool cli_printable(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e)
                        return false;
        return true;
}

/* A device name as the last level of a topic, as devices.scanners takes it. */
bool cli_device_name_ok(const char *s)
{
        return cli_printable(s, 64) && !strpbrk(s, " /+#");
}

static const char *cli_option_name(int val)
{
        for (const struct option *o = cli_long_options; o->name; o++)
                if (o->val == val)
                        return o->name;
        return "?";
}

#define CLI_STR(x)  #x
#define CLI_XSTR(x) CLI_STR(x)

/* NULL when v is 1..max printable ASCII characters, else what is wrong (max a literal). */
#define CLI_PRINTABLE_PROBLEM(v, max)                                                              \
        (cli_printable(v, max) ? NULL : "must be 1 to " CLI_XSTR(max) " printable ASCII characters")

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
    {CLI_OPT_SALES, offsetof(struct cli_options, sales)},
    {CLI_OPT_RECEIPTS, offsetof(struct cli_options, receipts)},
    {CLI_OPT_ITEMS, offsetof(struct cli_options, items)},
    {CLI_OPT_STATE, offsetof(struct cli_options, state)},
    {CLI_OPT_DEVICE, offsetof(struct cli_options, device)},
    {CLI_OPT_ANOMALY, offsetof(struct cli_options, anomaly)},
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

/* What is wrong with an option's value, or NULL when it is fine (or free text). */
static const char *cli_option_problem(int opt, const char *v)
{
        static char type_problem[200]; /* "must be " and the types' names */
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
                if (sw_anomaly_type_parse(v, &type) == 0)
                        return NULL;
                snprintf(type_problem, sizeof(type_problem), "must be ");
                sw_anomaly_type_list(type_problem + 8, sizeof(type_problem) - 8, ", ", " or ");
                return type_problem;
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
                return CLI_PRINTABLE_PROBLEM(v, SW_SKU_MAX_LEN);
        case CLI_OPT_AS_OF:
                return sw_date_parse(v, strlen(v), &day) < 0 ? "must be a date YYYY-MM-DD" : NULL;
        case CLI_OPT_NOTE:
                return strlen(v) > SW_CMD_MAX_NOTE_LEN
                           ? "must be at most " CLI_XSTR(SW_CMD_MAX_NOTE_LEN) " bytes"
                           : NULL;
        case CLI_OPT_ANOMALY:
                return CLI_PRINTABLE_PROBLEM(v, SW_ID_MAX_LEN);
        case CLI_OPT_DEVICE:
                return cli_device_name_ok(v) ? NULL
                                             : "must be 1 to 64 printable ASCII characters "
                                               "without spaces, '/', '+' or '#'";
        case CLI_OPT_SALES:
        case CLI_OPT_RECEIPTS:
        case CLI_OPT_ITEMS:
        case CLI_OPT_STATE:
                return v[0] ? NULL : "must name a file";
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
        case CLI_OPT_FORCE:
                o->force = true;
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
int cli_parse_args(int argc, char *argv[], struct cli_options *ret_options)
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
int cli_check_command(const struct cli_options *o, const struct cli_command **ret_command)
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
        if (strcmp(c->name, "backup") == 0 &&
            (o->args[0][0] != '/' || strlen(o->args[0]) > SW_CMD_MAX_PATH_LEN)) {
                cli_usage_error(c->name,
                                "FILE must be an absolute path on the gateway, at most %d bytes "
                                "(got '%.64s')",
                                SW_CMD_MAX_PATH_LEN, o->args[0]);
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
