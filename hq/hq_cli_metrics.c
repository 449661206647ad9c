/* effectiveness and roi: per store, per tenant and for the fleet, from one pass over the rows. */
#include "hq/hq_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hq/hq_cli_print.h"
#include "hq/hq_metrics.h"

/* Every anomaly detected in the window, with its first outcome's time and its latest outcome
 * (the highest -oN: the gateway's latest by insertion). Sorted by tenant and store. */
static const char metrics_sql[] =
    "SELECT a.tenant, a.store, a.type, a.severity, a.status, coalesce(a.category, ''), "
    "floor(extract(epoch FROM a.detected_at))::bigint, "
    "coalesce(floor(extract(epoch FROM f.first_ts))::bigint, 0), l.outcome, "
    "coalesce(l.value_recovered, 0)::float8, coalesce(l.prevented_value, 0)::float8 "
    "FROM anomaly a "
    "LEFT JOIN LATERAL (SELECT min(o.ts) AS first_ts FROM outcome o WHERE o.tenant = a.tenant "
    "  AND o.store = a.store AND o.anomaly = a.id) f ON true "
    "LEFT JOIN LATERAL (SELECT o.outcome, o.value_recovered, o.prevented_value FROM outcome o "
    "  WHERE o.tenant = a.tenant AND o.store = a.store AND o.anomaly = a.id "
    "  ORDER BY length(o.id) DESC, o.id DESC LIMIT 1) l ON true "
    "WHERE a.detected_at >= to_timestamp($1::float8) AND ($2::text IS NULL OR a.tenant = $2) "
    "AND ($3::text IS NULL OR a.store = $3) AND ($4::text IS NULL OR a.type = $4) "
    "ORDER BY a.tenant, a.store";

/* The walk's state: three live accumulators and the output arrays. */
struct walk {
        const struct hq_config *cfg;
        bool roi;                  /* roi, else effectiveness */
        struct hq_categories cats; /* fleet-wide category ids */
        struct hq_scope fleet, tenant, store;
        int64_t start, end;      /* window */
        cJSON *tenants, *stores; /* output arrays */
};

static cJSON *scope_json(struct walk *w, const struct sw_metrics *m, const char *tenant,
                         const char *store)
{
        cJSON *o = w->roi ? hq_scope_roi_json(m) : hq_scope_effectiveness_json(m, &w->cats);
        if (o && store)
                cJSON_AddStringToObject(o, "store", store);
        if (o && tenant)
                cJSON_AddStringToObject(o, "tenant", tenant);
        return o;
}

/* Emit scope (a store or a tenant) into array and start it afresh. */
static int close_scope(struct walk *w, struct hq_scope *s, cJSON *array, const char *tenant,
                       const char *store)
{
        cJSON_AddItemToArray(array, scope_json(w, &s->m, tenant, store));
        hq_scope_free(s);
        return hq_scope_init(s, w->cfg->fleet.max_categories, w->start, w->end);
}

static struct hq_metrics_row row_at(const PGresult *res, int i)
{
        return (struct hq_metrics_row){.type = PQgetvalue(res, i, 2),
                                       .severity = PQgetvalue(res, i, 3),
                                       .status = PQgetvalue(res, i, 4),
                                       .category = PQgetvalue(res, i, 5),
                                       .detected_at = strtoll(PQgetvalue(res, i, 6), NULL, 10),
                                       .first_outcome_at = strtoll(PQgetvalue(res, i, 7), NULL, 10),
                                       .outcome =
                                           PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8),
                                       .value_recovered = strtod(PQgetvalue(res, i, 9), NULL),
                                       .prevented_value = strtod(PQgetvalue(res, i, 10), NULL)};
}

static int walk_rows(struct walk *w, const PGresult *res)
{
        int n = PQntuples(res), r = 0;
        for (int i = 0; r == 0 && i < n; i++) {
                struct hq_metrics_row row = row_at(res, i);
                r = hq_scope_add(&w->fleet, &w->cats, &row);
                if (r == 0)
                        r = hq_scope_add(&w->tenant, &w->cats, &row);
                if (r == 0)
                        r = hq_scope_add(&w->store, &w->cats, &row);
                bool last = i + 1 == n;
                bool new_tenant = last || strcmp(PQgetvalue(res, i, 0), PQgetvalue(res, i + 1, 0));
                if (r == 0 &&
                    (new_tenant || strcmp(PQgetvalue(res, i, 1), PQgetvalue(res, i + 1, 1))))
                        r = close_scope(w, &w->store, w->stores, PQgetvalue(res, i, 0),
                                        PQgetvalue(res, i, 1));
                if (r == 0 && new_tenant)
                        r = close_scope(w, &w->tenant, w->tenants, PQgetvalue(res, i, 0), NULL);
        }
        return r;
}

static void print_ratio(const cJSON *o, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
        if (cJSON_IsNumber(v))
                printf("  %10.3f", v->valuedouble);
        else
                printf("  %10s", "-");
}

static void print_scope_line(const cJSON *o, bool roi, const char *scope)
{
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "precision");
        printf("%-32.32s", scope);
        if (roi) {
                printf("  %14.2f  %14.2f  %14.2f  %6d\n",
                       cJSON_GetObjectItem(o, "prevented_stockout_value")->valuedouble,
                       cJSON_GetObjectItem(o, "ghost_stock_recovered_value")->valuedouble,
                       cJSON_GetObjectItem(o, "total")->valuedouble,
                       cJSON_GetObjectItem(o, "true_positive_outcomes")->valueint);
                return;
        }
        printf("  %6d  %7d", cJSON_GetObjectItem(o, "alerts")->valueint,
               cJSON_GetObjectItem(o, "with_outcome")->valueint);
        print_ratio(o, "false_positive_rate");
        print_ratio(o, "mean_response_hours");
        print_ratio(o, "resolution_rate");
        print_ratio(cJSON_GetObjectItemCaseSensitive(p, "overall"), "precision");
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++)
                print_ratio(
                    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "by_type"),
                                                     sw_anomaly_type_name((enum sw_anomaly_type)k)),
                    "precision");
        printf("\n");
}

static void print_table(const cJSON *doc, bool roi)
{
        const cJSON *e;
        char scope[160];
        if (roi)
                printf("%-32s  %14s  %14s  %14s  %6s\n", "scope", "prevented", "recovered", "total",
                       "tp");
        else
                printf("%-32s  %6s  %7s  %10s  %10s  %10s  %10s  %10s  %10s  %10s  %10s\n", "scope",
                       "alerts", "outcome", "fp_rate", "resp_h", "resolved", "precision", "p_ghost",
                       "p_ml", "p_shelf", "p_discrep");
        print_scope_line(cJSON_GetObjectItem(doc, "fleet"), roi, "fleet");
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "tenants"))
        {
                snprintf(scope, sizeof(scope), "%s", cJSON_GetObjectItem(e, "tenant")->valuestring);
                print_scope_line(e, roi, scope);
        }
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "stores"))
        {
                snprintf(scope, sizeof(scope), "%s/%s",
                         cJSON_GetObjectItem(e, "tenant")->valuestring,
                         cJSON_GetObjectItem(e, "store")->valuestring);
                print_scope_line(e, roi, scope);
        }
}

static int walk_init(struct walk *w, const struct hq_config *cfg, bool roi, uint32_t days)
{
        uint32_t cats = cfg->fleet.max_categories;
        *w = (struct walk){.cfg = cfg, .roi = roi, .end = (int64_t)time(NULL) + 1};
        w->start = w->end - 1 - (int64_t)days * 86400;
        w->tenants = cJSON_CreateArray();
        w->stores = cJSON_CreateArray();
        if (!w->tenants || !w->stores || hq_categories_init(&w->cats, cats) < 0 ||
            hq_scope_init(&w->fleet, cats, w->start, w->end) < 0 ||
            hq_scope_init(&w->tenant, cats, w->start, w->end) < 0 ||
            hq_scope_init(&w->store, cats, w->start, w->end) < 0)
                return -ENOMEM;
        return 0;
}

static void walk_free(struct walk *w)
{
        hq_scope_free(&w->fleet);
        hq_scope_free(&w->tenant);
        hq_scope_free(&w->store);
        hq_categories_free(&w->cats);
        cJSON_Delete(w->tenants);
        cJSON_Delete(w->stores);
}

int hq_metrics_doc(PGconn *c, const struct hq_config *cfg, const struct hq_query *q, bool roi,
                   cJSON **ret)
{
        struct walk w;
        char start[32];
        PGresult *res = NULL;
        cJSON *doc = NULL;
        int r = walk_init(&w, cfg, roi, q->days);
        snprintf(start, sizeof(start), "%lld", (long long)w.start);
        const char *params[4] = {start, q->tenant, q->store, q->type};
        if (r == 0 && !(res = hq_query(c, metrics_sql, 4, params)))
                r = -EIO;
        if (r == 0)
                r = walk_rows(&w, res);
        if (r == 0 && !(doc = cJSON_CreateObject()))
                r = -ENOMEM;
        if (r == 0) {
                cJSON_AddBoolToObject(doc, "ok", 1);
                cJSON_AddNumberToObject(doc, "days", q->days);
                cJSON_AddItemToObject(doc, "fleet", scope_json(&w, &w.fleet.m, NULL, NULL));
                cJSON_AddItemToObject(doc, "tenants", w.tenants);
                cJSON_AddItemToObject(doc, "stores", w.stores);
                w.tenants = w.stores = NULL;
                *ret = doc;
        }
        PQclear(res);
        walk_free(&w);
        return r;
}

static int run_metrics(PGconn *c, const struct hq_config *cfg, const struct hq_query *q, bool roi)
{
        cJSON *doc = NULL;
        int r = hq_metrics_doc(c, cfg, q, roi, &doc);
        if (r < 0) {
                fprintf(stderr, "shelfwatch-hq: %s\n", strerror(-r));
                return HQ_EXIT_FAILED;
        }
        if (!q->json) {
                print_table(doc, roi);
                cJSON_Delete(doc);
                return HQ_EXIT_OK;
        }
        return hq_json_print(doc);
}

int hq_cli_effectiveness(PGconn *c, const struct hq_config *cfg, const struct hq_query *q)
{
        return run_metrics(c, cfg, q, false);
}

int hq_cli_roi(PGconn *c, const struct hq_config *cfg, const struct hq_query *q)
{
        return run_metrics(c, cfg, q, true);
}
