/* Effectiveness and ROI from stored anomalies and outcomes, through core/outcome_metrics. */
#include "hq/hq_metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/sw_types.h"

static uint32_t hash_name(const char *s)
{
        return sw_fnv1a32(s, strlen(s));
}

int hq_categories_init(struct hq_categories *c, uint32_t max)
{
        *c = (struct hq_categories){.max = max, .n = 1, .n_slots = 1};
        while (c->n_slots < max * 2)
                c->n_slots *= 2;
        c->names = calloc(max, sizeof(*c->names));
        c->slots = calloc(c->n_slots, sizeof(*c->slots));
        if (!c->names || !c->slots) {
                hq_categories_free(c);
                return -ENOMEM;
        }
        return 0;
}

void hq_categories_free(struct hq_categories *c)
{
        for (uint32_t i = 1; c->names && i < c->n; i++)
                free(c->names[i]);
        free(c->names);
        free(c->slots);
        c->names = NULL;
        c->slots = NULL;
}

int hq_category_id(struct hq_categories *c, const char *name)
{
        uint32_t i;
        if (!name || !name[0] || c->max < 2)
                return 0;
        for (i = hash_name(name) & (c->n_slots - 1); c->slots[i]; i = (i + 1) & (c->n_slots - 1))
                if (strcmp(c->names[c->slots[i]], name) == 0)
                        return (int)c->slots[i];
        if (c->n >= c->max)
                return 0; /* beyond the cap: counted as unknown */
        c->names[c->n] = strdup(name);
        if (!c->names[c->n])
                return -ENOMEM;
        c->slots[i] = c->n;
        return (int)c->n++;
}

int hq_scope_init(struct hq_scope *s, uint32_t max_categories, int64_t start, int64_t end)
{
        size_t size = sw_metrics_memory_size(max_categories);
        s->mem = calloc(1, size ? size : 1);
        if (!s->mem)
                return -ENOMEM;
        int r = sw_metrics_init(&s->m, max_categories, start, end, s->mem, size);
        if (r < 0) {
                free(s->mem);
                s->mem = NULL;
        }
        return r;
}

void hq_scope_free(struct hq_scope *s)
{
        free(s->mem);
        s->mem = NULL;
}

int hq_scope_add(struct hq_scope *s, struct hq_categories *cats, const struct hq_metrics_row *r)
{
        struct sw_metrics_anomaly a = {.detected_at = r->detected_at};
        int id;
        if (sw_anomaly_type_parse(r->type, &a.type) < 0 ||
            sw_severity_parse(r->severity, &a.severity) < 0 ||
            sw_status_parse(r->status, &a.status) < 0)
                return 0;
        id = hq_category_id(cats, r->category);
        if (id < 0)
                return id;
        a.category = (uint16_t)id;
        if (r->outcome && sw_outcome_kind_parse(r->outcome, &a.outcome) == 0) {
                a.has_outcome = true;
                a.first_outcome_at = r->first_outcome_at;
                a.value_recovered = r->value_recovered;
                a.prevented_value = r->prevented_value;
        }
        return sw_metrics_add(&s->m, &a);
}

/* A ratio, or null when its denominator was zero (as the gateway's reply). */
static void add_ratio(cJSON *o, const char *name, int r, double v)
{
        if (r < 0 || !isfinite(v))
                cJSON_AddNullToObject(o, name);
        else
                cJSON_AddNumberToObject(o, name, v);
}

static void add_precision(cJSON *parent, const char *name, const struct sw_precision_counts *c)
{
        cJSON *o = cJSON_AddObjectToObject(parent, name);
        double p = 0;
        int r = sw_metrics_precision(c, &p);
        add_ratio(o, "precision", r, p);
        cJSON_AddNumberToObject(o, "true_positive", c->true_positive);
        cJSON_AddNumberToObject(o, "false_positive", c->false_positive);
}

static void add_precisions(cJSON *o, const struct sw_metrics *m, const struct hq_categories *cats)
{
        cJSON *p = cJSON_AddObjectToObject(o, "precision"), *g;
        add_precision(p, "overall", &m->overall);
        g = cJSON_AddObjectToObject(p, "by_type");
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++)
                add_precision(g, sw_anomaly_type_name((enum sw_anomaly_type)k), &m->type_counts[k]);
        g = cJSON_AddObjectToObject(p, "by_category");
        for (uint32_t c = 0; c < m->max_categories && c < cats->n; c++) {
                const struct sw_precision_counts *pc = &m->by_category[c];
                if (pc->true_positive + pc->false_positive == 0)
                        continue;
                add_precision(g, c == 0 ? "unknown" : cats->names[c], pc);
        }
}

cJSON *hq_scope_effectiveness_json(const struct sw_metrics *m, const struct hq_categories *cats)
{
        cJSON *o = cJSON_CreateObject();
        double v = 0;
        int r;
        if (!o)
                return NULL;
        cJSON_AddNumberToObject(o, "alerts", m->total);
        cJSON_AddNumberToObject(o, "with_outcome", m->with_outcome);
        r = sw_metrics_false_positive_rate(m, &v);
        add_ratio(o, "false_positive_rate", r, v);
        r = sw_metrics_mean_response_hours(m, &v);
        add_ratio(o, "mean_response_hours", r, v);
        r = sw_metrics_resolution_rate(m, &v);
        add_ratio(o, "resolution_rate", r, v);
        /* The sums behind the ratios, so that a fleet figure can be checked against its stores. */
        cJSON_AddNumberToObject(o, "resolved", m->by_status[SW_STATUS_RESOLVED]);
        cJSON_AddNumberToObject(o, "response_hours_sum", m->response_hours_sum);
        add_precisions(o, m, cats);
        return o;
}

cJSON *hq_scope_roi_json(const struct sw_metrics *m)
{
        cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;
        cJSON_AddNumberToObject(o, "prevented_stockout_value", m->prevented_stockout_value);
        cJSON_AddNumberToObject(o, "ghost_stock_recovered_value", m->ghost_stock_recovered_value);
        cJSON_AddNumberToObject(o, "total",
                                m->prevented_stockout_value + m->ghost_stock_recovered_value);
        cJSON_AddNumberToObject(o, "true_positive_outcomes", m->true_positive_outcomes);
        return o;
}
