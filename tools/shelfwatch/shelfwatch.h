/* shelfwatch.h: internals shared by the files of the shelfwatch CLI (tools/shelfwatch/). */
#ifndef SHELFWATCH_CLI_H
#define SHELFWATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/sw_types.h"
#include "platform/config.h"
#include "platform/payload.h"

/* Exit status; docs/cli.md documents them. */
#define CLI_EXIT_OK          0 /* the daemon answered {"ok":true,...} */
#define CLI_EXIT_REFUSED     1 /* the daemon answered {"ok":false,...} (or something unreadable) */
#define CLI_EXIT_USAGE       2 /* bad command line or config file: nothing was sent */
#define CLI_EXIT_UNREACHABLE 3 /* no broker, broker refused us, or no reply in time */

#define CLI_DEFAULT_TIMEOUT_S 10.0
#define CLI_PREFIX_SIZE       (3 * SW_CONFIG_NAME_SIZE) /* {root}/{tenant}/{store} */
#define CLI_CELL_SIZE         128                       /* a formatted number or short text */

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
        CLI_OPT_SALES,    /* import */
        CLI_OPT_RECEIPTS, /* import */
        CLI_OPT_ITEMS,    /* import */
        CLI_OPT_STATE,    /* import */
        CLI_OPT_DEVICE,   /* import, count */
        CLI_OPT_ANOMALY,  /* count */
        CLI_OPT_FORCE,    /* backup */
};

#define CLI_BIT(opt) (1u << ((opt)-CLI_OPT_TYPE))

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
        const char *sales;                           /* --sales FILE (import) */
        const char *receipts;                        /* --receipts FILE (import) */
        const char *items;                           /* --items FILE (import) */
        const char *state;                           /* --state FILE (import) */
        const char *device;                          /* --device NAME (import, count) */
        const char *anomaly;                         /* --anomaly ID (count) */
        bool force;                                  /* --force (backup) */
};

struct cli_command;
struct cli_target;

/* A subcommand that is more than one request (import, count): runs it all, returns the exit
 * status. cfg is the daemon's configuration as the CLI read it (limits, time zone). */
typedef int (*cli_run_fn)(const struct cli_options *o, const struct cli_target *t,
                          const struct sw_config *cfg);

/* A subcommand: one daemon command, its options and how its reply is shown. */
struct cli_command {
        const char *name;                  /* subcommand, also the daemon command name */
        unsigned options;                  /* CLI_BIT()s of the subcommand options it takes */
        unsigned n_args;                   /* positional arguments it needs */
        const char *arg_fields[2];         /* request field of each positional argument */
        const char *synopsis;              /* arguments after "shelfwatch NAME" */
        const char *summary;               /* one line for the command list */
        const char *details;               /* its options, for "shelfwatch NAME --help" */
        bool lists_types;                  /* details is a format whose one %s is the list of
                                              anomaly types */
        void (*print)(const cJSON *reply); /* human-readable output of an ok reply */
        cli_run_fn run;                    /* instead of one request: the whole subcommand */
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

/* One column of an aligned text table. */
struct cli_column {
        const char *title; /* header */
        bool right;        /* right-aligned (numbers) */
};

struct libscols_table;

/* An aligned text table (libsmartcols lays it out). */
struct cli_table {
        struct libscols_table *tb; /* the table and its rows */
        size_t n_cols;             /* columns */
        size_t n_rows;             /* rows added */
};

/* main.c: out of memory ends the program (exit CLI_EXIT_REFUSED); usage errors. */
void *cli_check_alloc(void *p);
char *cli_strdup(const char *s);
void cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* options.c: the command line. */
int cli_parse_long(const char *s, long lo, long hi, long *ret_value);
bool cli_printable(const char *s, size_t max);
bool cli_device_name_ok(const char *s);
int cli_parse_args(int argc, char *argv[], struct cli_options *ret_options);
int cli_check_command(const struct cli_options *o, const struct cli_command **ret_command);

/* commands.c: the subcommand table and the help texts. */
const struct cli_command *cli_find_command(const char *name);
void cli_print_global_help(void);
void cli_print_command_help(const struct cli_command *c);

/* target.c: the broker and topic prefix. */
int cli_load_config(const struct cli_options *o, struct sw_config *cfg);
int cli_resolve_target(const struct cli_options *o, const struct sw_config *cfg,
                       struct cli_target *ret_target);

/* request.c: the request and its MQTT v5 exchange. */
cJSON *cli_build_request(const struct cli_options *o, const struct cli_command *c);
int cli_request(const struct cli_target *t, const char *name, const char *payload, double timeout_s,
                char **ret_reply);

/* table.c: reading replies and their fields, and printing them. */
cJSON *cli_parse_object(const char *text, const char *what);
void cli_print_json(const cJSON *j);
const cJSON *cli_get(const cJSON *o, const char *name);
const char *cli_str(const cJSON *o, const char *name);
const char *cli_num(const cJSON *o, const char *name, const char *fmt, double scale, char *buf,
                    size_t size);
void cli_kv(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *cli_quantity(double n, const char *one, const char *many, char *buf, size_t size);
const char *cli_num_quantity(const cJSON *o, const char *name, const char *one, const char *many,
                             char *buf, size_t size);
const char *cli_hours(const cJSON *o, const char *name, char *buf, size_t size);

/* table_scols.c: tables. A left-aligned last column is cut to the terminal's width (or
 * $COLUMNS when stdout is not a terminal; not cut without either). */
void cli_setup_locale(void);
void cli_table_init(struct cli_table *t, const struct cli_column *cols, size_t n_cols);
void cli_table_add(struct cli_table *t, const char *const cells[]);
/* Print the table and free it. */
void cli_table_print(struct cli_table *t);
/* Print the table when it has rows (true), else only free it (false). */
bool cli_table_print_rows(struct cli_table *t);
/* Free a table that is not printed. */
void cli_table_free(struct cli_table *t);

#define CLI_COUNT(o, name, buf)   cli_num(o, name, "%.0f", 1.0, buf, sizeof(buf))
#define CLI_MONEY(o, name, buf)   cli_num(o, name, "%.2f", 1.0, buf, sizeof(buf))
#define CLI_PERCENT(o, name, buf) cli_num(o, name, "%.1f%%", 100.0, buf, sizeof(buf))

/* print_*.c: human-readable output of each command's ok reply. */
void cli_print_anomalies(const cJSON *reply);
void cli_print_ghost_stock(const cJSON *reply);
void cli_print_outcome(const cJSON *reply);
void cli_print_stats(const cJSON *reply);
void cli_print_effectiveness(const cJSON *reply);
void cli_print_roi(const cJSON *reply);
void cli_print_health(const cJSON *reply);
void cli_print_detect(const cJSON *reply);
void cli_print_forecast(const cJSON *reply);
void cli_print_backup(const cJSON *reply);

/* import.c, count.c: the subcommands that are more than one request. */
int cli_run_import(const struct cli_options *o, const struct cli_target *t,
                   const struct sw_config *cfg);
int cli_run_count(const struct cli_options *o, const struct cli_target *t,
                  const struct sw_config *cfg);

#endif
