/* GET /outcomes/alerts/effectiveness, /outcomes/anomalies/effectiveness, /outcomes/roi and
 * /gateways over the token's tenant: the CLI's definitions (core/outcome_metrics). */
#include "hq/http_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hq/hq_cli.h"
#include "hq/hq_cli_print.h"

#define RFC3339(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The metrics document of the tenant (optionally one store) for days, as the token's role. */
static int metrics(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                   bool roi, cJSON **ret_doc, struct hq_api_reply *ret)
{
        struct hq_param p[] = {HQ_PARAM("days", HQ_PARAM_DAYS), HQ_PARAM("store", HQ_PARAM_STORE)};
        const struct hq_param *days, *store;
        if (hq_api__params(conn, api, p, 2, ret) < 0)
                return -1;
        days = hq_api__param(p, 2, "days");
        store = hq_api__param(p, 2, "store");
        struct hq_query q = {.tenant = rq->token->tenant,
                             .store = store ? store->value : NULL,
                             .days = days ? (uint32_t)days->number : 30};
        if (hq_api__begin(api, rq, false, ret) < 0)
                return -1;
        int r = hq_metrics_doc(api->db, &api->cfg, &q, roi, ret_doc);
        if (r < 0) {
                hq_api__end(api, false, ret);
                hq_api__error(ret, 500, "the metrics query failed (logged)");
                return -1;
        }
        if (hq_api__end(api, true, ret) < 0) {
                cJSON_Delete(*ret_doc);
                return -1;
        }
        return 0;
}

/* The tenant's own scope: the fleet of its rows (the query named the tenant). */
static cJSON *tenant_scope(cJSON *doc)
{
        return cJSON_DetachItemFromObject(doc, "fleet");
}

/* {store: f(scope)} over the document's stores. */
static cJSON *by_store(cJSON *doc, cJSON *(*pick)(cJSON *scope))
{
        cJSON *o = cJSON_CreateObject(), *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "stores"))
        {
                const char *name = cJSON_GetObjectItem(s, "store")->valuestring;
                cJSON_AddItemToObject(o, name, pick(s));
        }
        return o;
}

static const char *const alert_fields[] = {
    "alerts",          "with_outcome", "false_positive_rate", "mean_response_hours",
    "resolution_rate", "resolved",     "response_hours_sum",  NULL};

static cJSON *alert_figures(cJSON *scope)
{
        cJSON *o = cJSON_CreateObject();
        for (const char *const *f = alert_fields; *f; f++)
                cJSON_AddItemToObject(o, *f, cJSON_Duplicate(cJSON_GetObjectItem(scope, *f), 1));
        return o;
}

int hq_api_alert_effectiveness(struct hq_api *api, struct hq_api_request *rq,
                               struct MHD_Connection *conn, struct hq_api_reply *ret)
{
        cJSON *doc = NULL;
        if (metrics(api, rq, conn, false, &doc, ret) < 0)
                return 0;
        cJSON *scope = tenant_scope(doc), *o = alert_figures(scope);
        cJSON_AddItemToObject(o, "days", cJSON_Duplicate(cJSON_GetObjectItem(doc, "days"), 1));
        cJSON_AddItemToObject(o, "by_store", by_store(doc, alert_figures));
        cJSON_Delete(scope);
        cJSON_Delete(doc);
        return hq_api__ok(ret, o);
}

static cJSON *overall_precision(cJSON *scope)
{
        return cJSON_Duplicate(
            cJSON_GetObjectItem(cJSON_GetObjectItem(scope, "precision"), "overall"), 1);
}

int hq_api_anomaly_effectiveness(struct hq_api *api, struct hq_api_request *rq,
                                 struct MHD_Connection *conn, struct hq_api_reply *ret)
{
        cJSON *doc = NULL;
        if (metrics(api, rq, conn, false, &doc, ret) < 0)
                return 0;
        cJSON *scope = tenant_scope(doc), *o = cJSON_CreateObject();
        cJSON *prec = cJSON_GetObjectItem(scope, "precision");
        cJSON_AddItemToObject(o, "days", cJSON_Duplicate(cJSON_GetObjectItem(doc, "days"), 1));
        cJSON_AddItemToObject(o, "overall", cJSON_DetachItemFromObject(prec, "overall"));
        cJSON_AddItemToObject(o, "by_type", cJSON_DetachItemFromObject(prec, "by_type"));
        cJSON_AddItemToObject(o, "by_category", cJSON_DetachItemFromObject(prec, "by_category"));
        cJSON_AddItemToObject(o, "by_store", by_store(doc, overall_precision));
        cJSON_Delete(scope);
        cJSON_Delete(doc);
        return hq_api__ok(ret, o);
}

static cJSON *roi_figures(cJSON *scope)
{
        cJSON *o = cJSON_Duplicate(scope, 1);
        cJSON_DeleteItemFromObject(o, "store");
        cJSON_DeleteItemFromObject(o, "tenant");
        return o;
}

int hq_api_roi(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
               struct hq_api_reply *ret)
{
        cJSON *doc = NULL;
        if (metrics(api, rq, conn, true, &doc, ret) < 0)
                return 0;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "days", cJSON_Duplicate(cJSON_GetObjectItem(doc, "days"), 1));
        cJSON_AddItemToObject(o, "total", tenant_scope(doc));
        cJSON_AddItemToObject(o, "by_store", by_store(doc, roi_figures));
        cJSON_Delete(doc);
        return hq_api__ok(ret, o);
}

/* ---- GET /gateways -------------------------------------------------------------------- */

/* Each store with its state, its newest summary, and the health a v1.1 gateway reports (outbox,
 * storage: null from a v1 gateway, which does not send them). Not clang-formatted: it cannot
 * lay out string pieces joined by macros (RFC3339) and cut this one into slivers. */
// clang-format off
static const char gateways_sql[] =
    "SELECT s.store, coalesce(st.state, 'unknown') AS state, st.version, "
    RFC3339("st.started_at") " AS started_at, "
    RFC3339("s.last_message_at") " AS last_seen, "
    "floor(extract(epoch FROM now() - s.last_message_at))::bigint AS last_message_age_s, "
    RFC3339("sm.ts") " AS summary_at, "
    "floor(extract(epoch FROM now() - sm.ts))::bigint AS summary_age_s, "
    "sm.open_critical, sm.open_warning, sm.open_info, sm.ghost_value, sm.precision, sm.currency, "
    HQ_POS_FEED_SQL " AS pos_feed, "
    RFC3339("sm.last_pos_at") " AS last_pos_at, "
    "coalesce(sm.payload->'health'->'outbox', st.payload->'outbox') AS outbox, "
    "coalesce(sm.payload->'health'->'storage', st.payload->'storage') AS storage, "
    "(coalesce(st.state, '') = 'offline' "
    "OR now() - s.last_message_at > make_interval(secs => $3::int)) AS offline, "
    "(sm.ts IS NULL OR now() - sm.ts > make_interval(secs => $4::int)) AS summary_stale, "
    "coalesce(" HQ_POS_FEED_SQL " = 'silent', false) AS pos_silent "
    "FROM store s LEFT JOIN store_status st USING (tenant, store) "
    "LEFT JOIN store_summary sm USING (tenant, store) "
    "WHERE s.tenant = $1 AND ($2::text IS NULL OR s.store = $2) ORDER BY s.store";
// clang-format on

static bool flag(const cJSON *g, const char *name)
{
        return cJSON_IsTrue(cJSON_GetObjectItem(g, name));
}

/* reasons[] and needs_attention from the flags and the reported health. */
static void add_reasons(cJSON *g)
{
        cJSON *why = cJSON_CreateArray();
        const cJSON *storage = cJSON_GetObjectItem(g, "storage");
        const cJSON *state = cJSON_GetObjectItem(storage, "state");
        if (flag(g, "offline"))
                cJSON_AddItemToArray(why, cJSON_CreateString("offline"));
        if (flag(g, "summary_stale"))
                cJSON_AddItemToArray(why, cJSON_CreateString("summary_stale"));
        if (flag(g, "pos_silent"))
                cJSON_AddItemToArray(why, cJSON_CreateString("pos_silent"));
        if (cJSON_IsString(state) && strcmp(state->valuestring, "ok") != 0)
                cJSON_AddItemToArray(why, cJSON_CreateString("storage"));
        cJSON_AddBoolToObject(g, "needs_attention", cJSON_GetArraySize(why) > 0);
        cJSON_AddItemToObject(g, "reasons", why);
}

int hq_api_gateways(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                    struct hq_api_reply *ret)
{
        struct hq_param p[] = {HQ_PARAM("store", HQ_PARAM_STORE)};
        char offline[16], stale[16];
        if (hq_api__params(conn, api, p, 1, ret) < 0)
                return 0;
        snprintf(offline, sizeof(offline), "%u", api->cfg.fleet.offline_after_s);
        snprintf(stale, sizeof(stale), "%u", api->cfg.fleet.summary_stale_after_s);
        const char *v[4] = {rq->token->tenant, p[0].value, offline, stale};
        if (hq_api__begin(api, rq, false, ret) < 0)
                return 0;
        PGresult *res = hq_api__query(api, gateways_sql, 4, v, ret);
        if (!res || hq_api__end(api, true, ret) < 0) {
                PQclear(res);
                return 0;
        }
        cJSON *o = cJSON_CreateObject(), *list = hq_result_json(res), *g;
        cJSON_ArrayForEach(g, list) add_reasons(g);
        cJSON_AddItemToObject(o, "gateways", list);
        cJSON_AddNumberToObject(o, "count", PQntuples(res));
        PQclear(res);
        return hq_api__ok(ret, o);
}
