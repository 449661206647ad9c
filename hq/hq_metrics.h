/* Effectiveness and ROI from stored anomalies and outcomes, through core/outcome_metrics: the
 * gateway's own definitions, so a store's figures at HQ are the ones its gateway reports. */
#ifndef HQ_METRICS_H
#define HQ_METRICS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/outcome_metrics.h"

/* One anomaly with its outcome facts, as the metrics query returns it (strings borrowed). */
struct hq_metrics_row {
        const char *type; /* wire names */
        const char *severity;
        const char *status;
        const char *category;     /* "" or NULL = unknown */
        int64_t detected_at;      /* Unix s */
        int64_t first_outcome_at; /* Unix s of its first outcome, 0 none */
        const char *outcome;      /* its latest outcome (highest -oN), NULL none */
        double value_recovered;   /* of the latest outcome */
        double prevented_value;   /* of the latest outcome */
};

/* Category names to the small ids sw_metrics counts by (0 = unknown), fleet-wide. */
struct hq_categories {
        char **names;    /* [max]: names[id], names[0] unused */
        uint32_t max;    /* ids available, including 0 */
        uint32_t n;      /* ids used, including 0 */
        uint32_t *slots; /* open-addressing hash of ids, [n_slots] (0 = empty) */
        uint32_t n_slots;
};

int hq_categories_init(struct hq_categories *c, uint32_t max);
void hq_categories_free(struct hq_categories *c);
/* The id of name; a new name gets the next id, or 0 once max is reached; -ENOMEM. */
int hq_category_id(struct hq_categories *c, const char *name);

/* One scope's accumulator (a store, a tenant, the fleet) with its own category memory. */
struct hq_scope {
        struct sw_metrics m; /* the accumulator */
        void *mem;           /* its category table */
};

/* Window [start, end) of detected_at. Returns 0, -ENOMEM, -EINVAL. */
int hq_scope_init(struct hq_scope *s, uint32_t max_categories, int64_t start, int64_t end);
void hq_scope_free(struct hq_scope *s);
/* Fold one row in (a row of a type, severity or status this build does not know is skipped,
 * as on the gateway). */
int hq_scope_add(struct hq_scope *s, struct hq_categories *cats, const struct hq_metrics_row *r);

/* The gateway's effectiveness reply fields, plus the counts a sum needs. */
cJSON *hq_scope_effectiveness_json(const struct sw_metrics *m, const struct hq_categories *cats);
/* The gateway's roi reply fields. */
cJSON *hq_scope_roi_json(const struct sw_metrics *m);

#endif
