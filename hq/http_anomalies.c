/* GET /anomalies, /anomalies/stats and /anomalies/ghost-stock over the token's tenant. */
#include "hq/http_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/outcome_metrics.h"
#include "hq/hq_cli_print.h"

/* A timestamptz column as RFC 3339 UTC, the wire's format. */
#define RFC3339(col)     "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TREND_BAND       0.25 /* the gateway's stats: a change of more than 25% ... */
#define TREND_MIN_CHANGE 3    /* ... and of at least 3 anomalies */

/* Run sql as the token's role in a read-only transaction; NULL with ret set on failure. */
static PGresult *read_query(struct hq_api *api, const struct hq_api_request *rq, const char *sql,
                            int n, const char *const *params, struct hq_api_reply *ret)
{
        if (hq_api__begin(api, rq, false, ret) < 0)
                return NULL;
        PGresult *res = hq_api__query(api, sql, n, params, ret);
        if (res && hq_api__end(api, true, ret) < 0) {
                PQclear(res);
                return NULL;
        }
        return res;
}

/* Run two queries with the same params as the token's role in one read-only transaction (one
 * snapshot: a count agrees with its rows); 0 with both results, or -1 with ret set. */
static int read_two(struct hq_api *api, const struct hq_api_request *rq, const char *sql1, int n1,
                    const char *sql2, int n2, const char *const *params, PGresult **ret_first,
                    PGresult **ret_second, struct hq_api_reply *ret)
{
        if (hq_api__begin(api, rq, false, ret) < 0)
                return -1;
        PGresult *first = hq_api__query(api, sql1, n1, params, ret);
        PGresult *second = first ? hq_api__query(api, sql2, n2, params, ret) : NULL;
        if (!second || hq_api__end(api, true, ret) < 0) {
                PQclear(first);
                PQclear(second);
                return -1;
        }
        *ret_first = first;
        *ret_second = second;
        return 0;
}

/* Send o as the 200 reply once the two results it was built from are cleared. */
static int ok_two(struct hq_api_reply *ret, cJSON *o, PGresult *first, PGresult *second)
{
        PQclear(first);
        PQclear(second);
        return hq_api__ok(ret, o);
}

static long long param_number(const struct hq_param *p, size_t n, const char *name,
                              long long fallback)
{
        const struct hq_param *v = hq_api__param(p, n, name);
        return v ? v->number : fallback;
}

static const char *param_text(const struct hq_param *p, size_t n, const char *name)
{
        const struct hq_param *v = hq_api__param(p, n, name);
        return v ? v->value : NULL;
}

/* ---- GET /anomalies ------------------------------------------------------------------- */

#define ANOMALY_FILTER                                                                             \
        " FROM anomaly WHERE tenant = $1 AND ($2::text IS NULL OR store = $2) "                    \
        "AND ($3::text IS NULL OR type = $3) AND ($4::text IS NULL OR severity = $4) "             \
        "AND ($5::text IS NULL OR status = $5) AND ($6::text IS NULL OR category = $6) "           \
        "AND ($7::text IS NULL OR sku = $7) "                                                      \
        "AND received_at >= now() - make_interval(days => $8::int) "

static const char anomalies_sql[] =
    "SELECT id, tenant, store, type, severity, status, sku, category, as_of::text AS "
    "as_of, " RFC3339("detected_at") " AS detected_at, " RFC3339(
        "updated_at") " AS updated_at, rev, score, "
                      "probability, value, currency, payload->>'description' AS description, "
                      "action, "
                      "payload->'metadata' AS metadata, " RFC3339(
                          "received_at") " AS received_at" ANOMALY_FILTER
                                         "ORDER BY received_at DESC, store, id LIMIT $9::int "
                                         "OFFSET $10::int";
static const char anomalies_count_sql[] = "SELECT count(*)" ANOMALY_FILTER;

int hq_api_anomalies(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                     struct hq_api_reply *ret)
{
        struct hq_param p[] = {
            HQ_PARAM("type", HQ_PARAM_TYPE),     HQ_PARAM("severity", HQ_PARAM_SEVERITY),
            HQ_PARAM("status", HQ_PARAM_STATUS), HQ_PARAM("store", HQ_PARAM_STORE),
            HQ_PARAM("category", HQ_PARAM_TEXT), HQ_PARAM("days", HQ_PARAM_DAYS),
            HQ_PARAM("sku", HQ_PARAM_SKU),       HQ_PARAM("limit", HQ_PARAM_LIMIT),
            HQ_PARAM("offset", HQ_PARAM_OFFSET)};
        const size_t n = sizeof(p) / sizeof(p[0]);
        char days[16], limit[16], offset[16];
        if (hq_api__params(conn, api, p, n, ret) < 0)
                return 0;
        snprintf(days, sizeof(days), "%lld", param_number(p, n, "days", 30));
        snprintf(limit, sizeof(limit), "%lld",
                 param_number(p, n, "limit", api->cfg.http.default_limit));
        snprintf(offset, sizeof(offset), "%lld", param_number(p, n, "offset", 0));
        const char *v[10] = {rq->token->tenant,
                             param_text(p, n, "store"),
                             param_text(p, n, "type"),
                             param_text(p, n, "severity"),
                             param_text(p, n, "status"),
                             param_text(p, n, "category"),
                             param_text(p, n, "sku"),
                             days,
                             limit,
                             offset};
        PGresult *rows, *count;
        if (read_two(api, rq, anomalies_sql, 10, anomalies_count_sql, 8, v, &rows, &count, ret) < 0)
                return 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "anomalies", hq_result_json(rows));
        cJSON_AddNumberToObject(o, "count", PQntuples(rows));
        cJSON_AddNumberToObject(o, "total", strtod(PQgetvalue(count, 0, 0), NULL));
        cJSON_AddNumberToObject(o, "limit", atof(limit));
        cJSON_AddNumberToObject(o, "offset", atof(offset));
        cJSON_AddNumberToObject(o, "days", atof(days));
        return ok_two(ret, o, rows, count);
}

/* ---- GET /anomalies/stats ------------------------------------------------------------- */

/* One scan of the window: counts by severity, type, status, store, by day with severity and
 * type, and by half of the window (the trend). grouping() says which set a row belongs to. */
static const char stats_sql[] =
    "SELECT severity, type, status, store, d::text, h, count(*), "
    "grouping(severity, type, status, store, d, h) AS g FROM ("
    "  SELECT severity, type, status, store, (detected_at AT TIME ZONE 'UTC')::date AS d, "
    "  detected_at >= to_timestamp($3::float8) AS h FROM anomaly WHERE tenant = $1 "
    "  AND ($2::text IS NULL OR store = $2) AND detected_at >= to_timestamp($4::float8)) a "
    "GROUP BY GROUPING SETS ((severity), (type), (status), (store), (d, severity), (d, type), "
    "(h))";
static const char open_sql[] =
    "SELECT severity, type, count(*) FROM anomaly WHERE tenant = $1 AND status = 'open' "
    "AND ($2::text IS NULL OR store = $2) GROUP BY severity, type";

/* grouping() bits: the leftmost argument is the highest bit; a set bit = not in the set. */
enum { G_SEV = 32, G_TYPE = 16, G_STATUS = 8, G_STORE = 4, G_DAY = 2, G_HALF = 1, G_ALL = 63 };

static void bump(cJSON *counts, const char *key, double n)
{
        cJSON *v = cJSON_GetObjectItemCaseSensitive(counts, key);
        if (v)
                cJSON_SetNumberValue(v, v->valuedouble + n);
        else
                cJSON_AddNumberToObject(counts, key, n);
}

static cJSON *zeros(const char *const *keys)
{
        cJSON *o = cJSON_CreateObject();
        for (; *keys; keys++)
                cJSON_AddNumberToObject(o, *keys, 0);
        return o;
}

static const char *const severity_keys[] = {"critical", "warning", "info", NULL};
static const char *const type_keys[] = {"ghost_stock", "ml_detected", "shelf_out",
                                        "inventory_discrepancy", NULL};
static const char *const status_keys[] = {"open", "resolved", "dismissed", "cleared", NULL};

/* Every day of the window, oldest first, with zeros where nothing was detected. */
static cJSON *daily_series(int64_t start, int64_t end)
{
        cJSON *a = cJSON_CreateArray();
        for (int64_t t = start - start % 86400; t < end; t += 86400) {
                char day[16];
                struct tm tm;
                time_t tt = (time_t)t;
                gmtime_r(&tt, &tm);
                strftime(day, sizeof(day), "%Y-%m-%d", &tm);
                cJSON *d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "date", day);
                cJSON_AddItemToObject(d, "by_severity", zeros(severity_keys));
                cJSON_AddItemToObject(d, "by_type", zeros(type_keys));
                cJSON_AddItemToArray(a, d);
        }
        return a;
}

static cJSON *day_entry(cJSON *daily, const char *date)
{
        cJSON *d;
        cJSON_ArrayForEach(
            d, daily) if (strcmp(cJSON_GetObjectItem(d, "date")->valuestring, date) == 0) return d;
        return NULL;
}

static void fold_stats_row(cJSON *o, cJSON *daily, const PGresult *res, int i, uint32_t half[2])
{
        int g = atoi(PQgetvalue(res, i, 7));
        double n = strtod(PQgetvalue(res, i, 6), NULL);
        cJSON *day = (g & G_DAY) ? NULL : day_entry(daily, PQgetvalue(res, i, 4));
        if (g == (G_ALL & ~G_SEV)) {
                bump(cJSON_GetObjectItem(o, "by_severity"), PQgetvalue(res, i, 0), n);
                bump(o, "total", n);
        } else if (g == (G_ALL & ~G_TYPE)) {
                bump(cJSON_GetObjectItem(o, "by_type"), PQgetvalue(res, i, 1), n);
        } else if (g == (G_ALL & ~G_STATUS)) {
                bump(cJSON_GetObjectItem(o, "by_status"), PQgetvalue(res, i, 2), n);
        } else if (g == (G_ALL & ~G_STORE)) {
                bump(cJSON_GetObjectItem(o, "by_store"), PQgetvalue(res, i, 3), n);
        } else if (g == (G_ALL & ~G_DAY & ~G_SEV) && day) {
                bump(cJSON_GetObjectItem(day, "by_severity"), PQgetvalue(res, i, 0), n);
        } else if (g == (G_ALL & ~G_DAY & ~G_TYPE) && day) {
                bump(cJSON_GetObjectItem(day, "by_type"), PQgetvalue(res, i, 1), n);
        } else if (g == (G_ALL & ~G_HALF)) {
                half[PQgetvalue(res, i, 5)[0] == 't'] += (uint32_t)n;
        }
}

static cJSON *open_counts(const PGresult *res)
{
        cJSON *o = cJSON_CreateObject(), *sev = zeros(severity_keys), *type = zeros(type_keys);
        double total = 0;
        for (int i = 0; i < PQntuples(res); i++) {
                double n = strtod(PQgetvalue(res, i, 2), NULL);
                bump(sev, PQgetvalue(res, i, 0), n);
                bump(type, PQgetvalue(res, i, 1), n);
                total += n;
        }
        cJSON_AddNumberToObject(o, "total", total);
        cJSON_AddItemToObject(o, "by_severity", sev);
        cJSON_AddItemToObject(o, "by_type", type);
        return o;
}

int hq_api_stats(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                 struct hq_api_reply *ret)
{
        struct hq_param p[] = {HQ_PARAM("days", HQ_PARAM_DAYS), HQ_PARAM("store", HQ_PARAM_STORE)};
        const size_t n = sizeof(p) / sizeof(p[0]);
        char mid[32], start[32];
        if (hq_api__params(conn, api, p, n, ret) < 0)
                return 0;
        long long days = param_number(p, n, "days", 30);
        int64_t end = (int64_t)time(NULL) + 1, st = end - 1 - days * 86400;
        snprintf(start, sizeof(start), "%lld", (long long)st);
        snprintf(mid, sizeof(mid), "%lld", (long long)(st + (end - st) / 2));
        const char *v[4] = {rq->token->tenant, param_text(p, n, "store"), mid, start};
        PGresult *res, *open;
        if (read_two(api, rq, stats_sql, 4, open_sql, 2, v, &res, &open, ret) < 0)
                return 0;
        cJSON *o = cJSON_CreateObject(), *daily = daily_series(st, end);
        uint32_t half[2] = {0, 0};
        cJSON_AddNumberToObject(o, "days", (double)days);
        cJSON_AddNumberToObject(o, "total", 0);
        cJSON_AddItemToObject(o, "by_severity", zeros(severity_keys));
        cJSON_AddItemToObject(o, "by_type", zeros(type_keys));
        cJSON_AddItemToObject(o, "by_status", zeros(status_keys));
        cJSON_AddItemToObject(o, "by_store", cJSON_CreateObject());
        for (int i = 0; i < PQntuples(res); i++)
                fold_stats_row(o, daily, res, i, half);
        enum sw_trend t = sw_metrics_trend(half[0], half[1], TREND_BAND, TREND_MIN_CHANGE);
        cJSON_AddStringToObject(o, "trend", sw_trend_name(t));
        cJSON *td = cJSON_AddObjectToObject(o, "trend_detail");
        cJSON_AddNumberToObject(td, "earlier", half[0]);
        cJSON_AddNumberToObject(td, "later", half[1]);
        cJSON *oc = open_counts(open);
        cJSON_AddNumberToObject(o, "open", cJSON_GetObjectItem(oc, "total")->valuedouble);
        cJSON_AddItemToObject(o, "open_now", oc);
        cJSON_AddItemToObject(o, "daily", daily);
        return ok_two(ret, o, res, open);
}

/* ---- GET /anomalies/ghost-stock ------------------------------------------------------- */

/* The gateway's ghost-stock ranking (probability x value) across the tenant's stores; the
 * ORDER BY is anomaly_ghost_priority's expression, so the index gives the order. */
static const char ghost_sql[] =
    "SELECT (row_number() OVER (ORDER BY coalesce(probability, 0) * coalesce(value, 0)::float8 "
    "DESC, store, id) + $4::int)::int AS rank, id, store, sku, category, probability, value, "
    "round((coalesce(probability, 0) * coalesce(value, 0))::numeric, 2) AS priority, "
    "severity, as_of::text AS as_of, payload->>'description' AS description, action, currency "
    "FROM anomaly WHERE tenant = $1 AND status = 'open' AND type = 'ghost_stock' "
    "AND ($2::text IS NULL OR store = $2) "
    "ORDER BY coalesce(probability, 0) * coalesce(value, 0)::float8 DESC, store, id "
    "LIMIT $3::int OFFSET $4::int";

int hq_api_ghost_stock(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                       struct hq_api_reply *ret)
{
        struct hq_param p[] = {HQ_PARAM("store", HQ_PARAM_STORE), HQ_PARAM("limit", HQ_PARAM_LIMIT),
                               HQ_PARAM("offset", HQ_PARAM_OFFSET)};
        const size_t n = sizeof(p) / sizeof(p[0]);
        char limit[16], offset[16];
        if (hq_api__params(conn, api, p, n, ret) < 0)
                return 0;
        snprintf(limit, sizeof(limit), "%lld", param_number(p, n, "limit", 50));
        snprintf(offset, sizeof(offset), "%lld", param_number(p, n, "offset", 0));
        const char *v[4] = {rq->token->tenant, param_text(p, n, "store"), limit, offset};
        PGresult *res = read_query(api, rq, ghost_sql, 4, v, ret);
        if (!res)
                return 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "recommendations", hq_result_json(res));
        cJSON_AddNumberToObject(o, "count", PQntuples(res));
        PQclear(res);
        return hq_api__ok(ret, o);
}
