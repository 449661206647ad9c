/* shelfwatch-hq's subcommands: administration and the fleet queries (tables or --json). */
#ifndef HQ_CLI_H
#define HQ_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hq/hq_config.h"

/* Options common to the queries; NULL / 0 = not given. */
struct hq_query {
        const char *tenant; /* --tenant: one tenant */
        const char *store;  /* --store: one store (with or without --tenant) */
        const char *type;   /* --type: one anomaly type */
        uint32_t days;      /* --days: window of effectiveness and roi (default 30) */
        uint32_t limit;     /* --limit: rows of a list (default 50) */
        bool json;          /* --json: print JSON instead of a table */
        bool problems;      /* --problems: gateways with a problem only */
};

/* Exit codes, as the shelfwatch CLI's. */
enum { HQ_EXIT_OK = 0, HQ_EXIT_FAILED = 1, HQ_EXIT_USAGE = 2, HQ_EXIT_NO_DATABASE = 3 };

/* Each runs one subcommand on an open connection and returns an exit code. */
int hq_cli_alerts(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_cycle_count(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_effectiveness(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_roi(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_gateways(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_health(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
/* Create (if needed) a LOGIN role that reads only tenant's rows. */
int hq_cli_tenant_role(PGconn *c, const char *role, const char *tenant);

#endif
