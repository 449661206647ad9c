/* Effectiveness and ROI from stored anomalies and outcomes, through core/outcome_metrics. */
#include "hq/hq_metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/sw_types.h"
#include "platform/metrics_json.h"

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

static const char *category_name(const void *ctx, uint32_t id)
{
        const struct hq_categories *cats = ctx;
        return cats->names[id];
}

cJSON *hq_scope_effectiveness_json(const struct sw_metrics *m, const struct hq_categories *cats)
{
        cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;
        sw_metrics_json_add_rates(o, m);
        /* The sums behind the ratios, so that a fleet figure can be checked against its stores. */
        cJSON_AddNumberToObject(o, "resolved", m->by_status[SW_STATUS_RESOLVED]);
        cJSON_AddNumberToObject(o, "response_hours_sum", m->response_hours_sum);
        sw_metrics_json_add_precision(o, m, cats->n, category_name, cats);
        return o;
}

cJSON *hq_scope_roi_json(const struct sw_metrics *m)
{
        cJSON *o = cJSON_CreateObject();
        if (o)
                sw_metrics_json_add_roi(o, m);
        return o;
}
