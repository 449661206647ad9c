/* shelfwatch-hq's subcommands: administration and the fleet queries (tables or --json). */
#ifndef HQ_CLI_H
#define HQ_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
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

/* The POS feed as the newest of the summary's health (sm) and the status (st) says it. */
#define HQ_POS_FEED_SQL                                                                            \
        "CASE WHEN st.received_at IS NULL OR (sm.received_at IS NOT NULL AND "                     \
        "sm.received_at >= st.received_at AND sm.pos_feed IS NOT NULL) THEN sm.pos_feed "          \
        "ELSE st.pos_feed END"

/* Exit codes, as the shelfwatch CLI's. */
enum { HQ_EXIT_OK = 0, HQ_EXIT_FAILED = 1, HQ_EXIT_USAGE = 2, HQ_EXIT_NO_DATABASE = 3 };

/* Each runs one subcommand on an open connection and returns an exit code. */
int hq_cli_alerts(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_cycle_count(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_effectiveness(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_roi(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_gateways(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
int hq_cli_health(PGconn *c, const struct hq_config *cfg, const struct hq_query *q);
/* effectiveness (roi false) or roi as one document {"days","fleet","tenants":[],"stores":[]}
 * for the rows q selects. Returns 0, -EIO (the query failed: printed), -ENOMEM. */
int hq_metrics_doc(PGconn *c, const struct hq_config *cfg, const struct hq_query *q, bool roi,
                   cJSON **ret);
/* Create (if needed) a LOGIN role that reads only tenant's rows. */
int hq_cli_tenant_role(PGconn *c, const char *role, const char *tenant);

#endif
