/* core/outcome_metrics' figures as JSON, for the gateway's replies and HQ's API. */
#include "platform/metrics_json.h"

#include <math.h>

#include "core/sw_types.h"

void sw_metrics_json_add_ratio(cJSON *o, const char *name, int r, double v)
{
        if (r < 0 || !isfinite(v))
                cJSON_AddNullToObject(o, name);
        else
                cJSON_AddNumberToObject(o, name, v);
}

static void add_counts(cJSON *parent, const char *name, const struct sw_precision_counts *c)
{
        cJSON *o = cJSON_AddObjectToObject(parent, name);
        double p = 0;
        int r = sw_metrics_precision(c, &p);
        sw_metrics_json_add_ratio(o, "precision", r, p);
        cJSON_AddNumberToObject(o, "true_positive", c->true_positive);
        cJSON_AddNumberToObject(o, "false_positive", c->false_positive);
}

void sw_metrics_json_add_rates(cJSON *o, const struct sw_metrics *m)
{
        double v = 0;
        int r;
        cJSON_AddNumberToObject(o, "alerts", m->total);
        cJSON_AddNumberToObject(o, "with_outcome", m->with_outcome);
        /* Call, then add: v must be read after the call that sets it. */
        r = sw_metrics_false_positive_rate(m, &v);
        sw_metrics_json_add_ratio(o, "false_positive_rate", r, v);
        r = sw_metrics_mean_response_hours(m, &v);
        sw_metrics_json_add_ratio(o, "mean_response_hours", r, v);
        r = sw_metrics_resolution_rate(m, &v);
        sw_metrics_json_add_ratio(o, "resolution_rate", r, v);
}

void sw_metrics_json_add_precision(cJSON *o, const struct sw_metrics *m, uint32_t n_categories,
                                   sw_category_name_fn name, const void *ctx)
{
        cJSON *p = cJSON_AddObjectToObject(o, "precision"), *g;
        add_counts(p, "overall", &m->overall);
        g = cJSON_AddObjectToObject(p, "by_type");
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++)
                add_counts(g, sw_anomaly_type_name((enum sw_anomaly_type)k), &m->type_counts[k]);
        g = cJSON_AddObjectToObject(p, "by_category");
        for (uint32_t c = 0; c < m->max_categories && c < n_categories; c++) {
                const struct sw_precision_counts *pc = &m->by_category[c];
                if (pc->true_positive + pc->false_positive == 0)
                        continue;
                add_counts(g, c == 0 ? "unknown" : name(ctx, c), pc);
        }
}

void sw_metrics_json_add_roi(cJSON *o, const struct sw_metrics *m)
{
        cJSON_AddNumberToObject(o, "prevented_stockout_value", m->prevented_stockout_value);
        cJSON_AddNumberToObject(o, "ghost_stock_recovered_value", m->ghost_stock_recovered_value);
        cJSON_AddNumberToObject(o, "total",
                                m->prevented_stockout_value + m->ghost_stock_recovered_value);
        cJSON_AddNumberToObject(o, "true_positive_outcomes", m->true_positive_outcomes);
}
