/* The API's PostgreSQL connection: each request a transaction as its token's role. */
#include "hq/http_api.h"

#include <errno.h>
#include <string.h>

#include "hq/hq_db.h"
#include "platform/clock.h"
#include "platform/log.h"

#define HQ_API_DB_RETRY_MS 1000 /* a failed connection is tried again after this */

static int db_ensure(struct hq_api *api)
{
        char err[512];
        const char *conninfo =
            api->cfg.http.conninfo[0] ? api->cfg.http.conninfo : api->cfg.database.conninfo;
        uint64_t now = sw_clock_monotonic_ms();
        if (api->db && PQstatus(api->db) == CONNECTION_OK)
                return 0;
        PQfinish(api->db);
        api->db = NULL;
        if (now < api->db_retry_ms)
                return -ECONNREFUSED;
        if (hq_db_connect(conninfo, api->cfg.http.statement_timeout_ms, &api->db, err,
                          sizeof(err)) < 0) {
                api->db_retry_ms = now + HQ_API_DB_RETRY_MS;
                sw_log_err("%s", err);
                return -ECONNREFUSED;
        }
        sw_log_info("Connected to PostgreSQL");
        return 0;
}

/* After a failed statement: a lost connection is dropped (the next request reconnects). */
static void db_failed(struct hq_api *api, const PGresult *res, struct hq_api_reply *ret)
{
        int r = hq_db_result_errno(api->db, res);
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        sw_log_err("PostgreSQL: %s", PQerrorMessage(api->db));
        if (r == -ECONNRESET) {
                PQfinish(api->db);
                api->db = NULL;
                hq_api__error(ret, 503, "the database is unavailable, try again");
        } else if (state && strcmp(state, "57014") == 0) { /* statement_timeout */
                hq_api__error(ret, 503, "the query took longer than %u ms",
                              api->cfg.http.statement_timeout_ms);
        } else {
                hq_api__error(ret, 500, "the database refused the query (logged)");
        }
        if (api->db)
                PQclear(PQexec(api->db, "ROLLBACK"));
}

static int exec_simple(struct hq_api *api, const char *sql, struct hq_api_reply *ret)
{
        PGresult *res = PQexec(api->db, sql);
        int r = hq_db_result_errno(api->db, res);
        if (r < 0)
                db_failed(api, res, ret);
        PQclear(res);
        return r;
}

int hq_api__begin(struct hq_api *api, const struct hq_api_request *rq, bool write,
                  struct hq_api_reply *ret)
{
        char sql[160];
        if (db_ensure(api) < 0) {
                hq_api__error(ret, 503, "the database is unavailable, try again");
                return -ECONNREFUSED;
        }
        char *role = PQescapeIdentifier(api->db, rq->token->role, strlen(rq->token->role));
        if (!role) {
                hq_api__error(ret, 500, "out of memory");
                return -ENOMEM;
        }
        snprintf(sql, sizeof(sql), "SET LOCAL ROLE %s", role);
        PQfreemem(role);
        int r = exec_simple(api, write ? "BEGIN" : "BEGIN READ ONLY", ret);
        if (r == 0)
                r = exec_simple(api, sql, ret); /* RLS now sees the tenant's role */
        return r;
}

int hq_api__end(struct hq_api *api, bool ok, struct hq_api_reply *ret)
{
        if (!api->db)
                return -ECONNRESET;
        if (!ok) {
                PQclear(PQexec(api->db, "ROLLBACK"));
                return 0;
        }
        return exec_simple(api, "COMMIT", ret);
}

PGresult *hq_api__query(struct hq_api *api, const char *sql, int n, const char *const *params,
                        struct hq_api_reply *ret)
{
        PGresult *res = PQexecParams(api->db, sql, n, NULL, params, NULL, NULL, 0);
        if (hq_db_result_errno(api->db, res) == 0)
                return res;
        db_failed(api, res, ret);
        PQclear(res);
        return NULL;
}
