/* The fleet lists: open alerts, the cycle-count list, gateways with problems, ingest health;
 * and tenant roles. */
#include "hq/hq_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hq/hq_cli_print.h"

#define FILTERS                                                                                    \
        " ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR store = $2) "                 \
        "AND ($3::text IS NULL OR type = $3) "

static int run_list(PGconn *c, const char *sql, const char *key, const struct hq_query *q,
                    const char *extra1, const char *extra2)
{
        const char *params[5] = {q->tenant, q->store, q->type, extra1, extra2};
        PGresult *res = hq_query(c, sql, 5, params);
        int code;
        if (!res)
                return HQ_EXIT_FAILED;
        code = hq_result_print(res, key, q->json);
        PQclear(res);
        return code;
}

int hq_cli_alerts(PGconn *c, const struct hq_config *cfg, const struct hq_query *q)
{
        (void)cfg;
        return run_list(
            c,
            "SELECT tenant, store, type, count(*) AS open, "
            "count(*) FILTER (WHERE severity = 'critical') AS critical, "
            "count(*) FILTER (WHERE severity = 'warning') AS warning, "
            "count(*) FILTER (WHERE severity = 'info') AS info, "
            "coalesce(sum(value), 0) AS value FROM anomaly "
            "WHERE status = 'open' AND" FILTERS "AND $4::text IS NULL AND "
            "$5::text IS NULL GROUP BY tenant, store, type ORDER BY tenant, store, type",
            "alerts", q, NULL, NULL);
}

int hq_cli_cycle_count(PGconn *c, const struct hq_config *cfg, const struct hq_query *q)
{
        char limit[16];
        (void)cfg;
        snprintf(limit, sizeof(limit), "%u", q->limit);
        /* The gateway's ghost-stock command ranks the same way: probability x value. */
        return run_list(c,
                        "SELECT tenant, store, sku, category, id, probability, value, "
                        "round((coalesce(probability, 0) * coalesce(value, 0))::numeric, 2) "
                        "AS priority, currency, as_of, severity FROM anomaly "
                        "WHERE status = 'open' AND type = 'ghost_stock' AND" FILTERS
                        "AND $5::text IS NULL "
                        "ORDER BY coalesce(probability, 0) * coalesce(value, 0)::float8 DESC, "
                        "tenant, store, id LIMIT $4::int",
                        "cycle_count", q, limit, NULL);
}

#define POS_FEED HQ_POS_FEED_SQL

int hq_cli_gateways(PGconn *c, const struct hq_config *cfg, const struct hq_query *q)
{
        char offline[16], stale[16];
        const char *params[5] = {q->tenant, q->store, offline, stale, q->problems ? "t" : "f"};
        PGresult *res;
        int code;
        snprintf(offline, sizeof(offline), "%u", cfg->fleet.offline_after_s);
        snprintf(stale, sizeof(stale), "%u", cfg->fleet.summary_stale_after_s);
        res =
            hq_query(c,
                     "SELECT * FROM (SELECT s.tenant, s.store, st.state, "
                     "floor(extract(epoch FROM now() - s.last_message_at))::bigint "
                     "AS last_message_age_s, "
                     "floor(extract(epoch FROM now() - sm.ts))::bigint AS summary_age_s, " POS_FEED
                     " AS pos_feed, "
                     "(coalesce(st.state, '') = 'offline' OR now() - s.last_message_at > "
                     "make_interval(secs => $3::int)) AS offline, "
                     "(sm.ts IS NULL OR now() - sm.ts > make_interval(secs => $4::int)) "
                     "AS summary_stale, "
                     "coalesce(" POS_FEED " = 'silent', false) AS pos_silent "
                     "FROM store s LEFT JOIN store_status st USING (tenant, store) "
                     "LEFT JOIN store_summary sm USING (tenant, store) "
                     "WHERE ($1::text IS NULL OR s.tenant = $1) AND "
                     "($2::text IS NULL OR s.store = $2)) g "
                     "WHERE NOT $5::bool OR offline OR summary_stale OR pos_silent "
                     "ORDER BY tenant, store",
                     5, params);
        if (!res)
                return HQ_EXIT_FAILED;
        code = hq_result_print(res, "gateways", q->json);
        PQclear(res);
        return code;
}

int hq_cli_health(PGconn *c, const struct hq_config *cfg, const struct hq_query *q)
{
        PGresult *res = hq_query(c,
                                 "SELECT client_id, started_at, updated_at, counters "
                                 "FROM ingest_instance ORDER BY client_id",
                                 0, NULL);
        int code;
        (void)cfg;
        if (!res)
                return HQ_EXIT_FAILED;
        code = hq_result_print(res, "instances", q->json);
        PQclear(res);
        return code;
}

/* Run the SQL that fmt makes of its arguments (hq_query prints an error); 0 or -1. */
static int exec_printf(PGconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int exec_printf(PGconn *c, const char *fmt, ...)
{
        char sql[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(sql, sizeof(sql), fmt, ap);
        va_end(ap);
        PGresult *res = hq_query(c, sql, 0, NULL);
        PQclear(res);
        return res ? 0 : -1;
}

int hq_cli_tenant_role(PGconn *c, const char *role, const char *tenant)
{
        char *id = PQescapeIdentifier(c, role, strlen(role));
        char *lit = PQescapeLiteral(c, role, strlen(role));
        char *tlit = PQescapeLiteral(c, tenant, strlen(tenant));
        int r = id && lit && tlit ? 0 : -1;
        if (r == 0)
                r = exec_printf(
                    c,
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %s) "
                    "THEN CREATE ROLE %s LOGIN; END IF; END $$",
                    lit, id);
        if (r == 0)
                r = exec_printf(
                    c,
                    "GRANT SELECT ON tenant_member, store, anomaly, outcome, store_summary, "
                    "store_status, status_history TO %s",
                    id);
        if (r == 0) /* the API's commands to gateways (hq/sql/002_api.sql) */
                r = exec_printf(c, "GRANT SELECT, INSERT, UPDATE ON gateway_command TO %s", id);
        if (r == 0)
                r = exec_printf(c, "GRANT USAGE ON SEQUENCE gateway_command_seq_seq TO %s", id);
        if (r == 0)
                r = exec_printf(c,
                                "INSERT INTO tenant_member (role_name, tenant) VALUES (%s, %s) "
                                "ON CONFLICT DO NOTHING",
                                lit, tlit);
        if (r == 0)
                printf("role %s reads tenant %s\n", role, tenant);
        PQfreemem(id);
        PQfreemem(lit);
        PQfreemem(tlit);
        return r == 0 ? HQ_EXIT_OK : HQ_EXIT_FAILED;
}
