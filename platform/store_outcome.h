/* SQLite persistence of anomaly outcomes and the walk the effectiveness metrics read. */
#ifndef SW_STORE_OUTCOME_H
#define SW_STORE_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "platform/store.h"

/* Outcomes of anomalies (store_outcome.c). Statements are prepared per call: outcomes come
 * from people, a few per minute at most. */
struct sw_store_outcome {
        const char *id;         /* outcome id, primary key */
        const char *anomaly;    /* anomaly id it judges */
        uint32_t seq;           /* 1 for the anomaly's first outcome, then 2, ... */
        const char *type;       /* the anomaly's type (wire name) */
        const char *sku;        /* the anomaly's SKU */
        const char *outcome;    /* true_positive / false_positive */
        const char *source;     /* scanner / command */
        const char *count_id;   /* id of the cycle count that gave it, NULL otherwise */
        int64_t ts;             /* Unix s it was recorded */
        double value_recovered; /* money the book stopped claiming */
        double prevented_value; /* stock-out value prevented */
        const char *payload;    /* the P/outcome JSON */
};
/* Insert. -EINVAL: a required string is NULL, or an outcome with that id exists. */
int sw_store_put_outcome(struct sw_store *s, const struct sw_store_outcome *o);
/* Outcomes recorded for an anomaly and the first one's time (0 when none). */
int sw_store_outcome_history(struct sw_store *s, const char *anomaly, uint32_t *ret_count,
                             int64_t *ret_first_ts);
/* The P/outcome payload recorded for a cycle count id, copied to buf; -ENOENT if none,
 * -ENOBUFS if buf is too small. */
int sw_store_outcome_of_count(struct sw_store *s, const char *count_id, char *buf, size_t size);
/* 1 if an outcome on (type, sku) was recorded at or after ts (only_outcome != NULL: only
 * outcomes of that kind), 0 if not. */
int sw_store_outcome_exists_since(struct sw_store *s, const char *type, const char *sku, int64_t ts,
                                  const char *only_outcome);
/* 1 if any outcome is recorded, 0 if the table is empty. */
int sw_store_outcome_any(struct sw_store *s);
/* An anomaly with the outcome facts the metrics need. */
struct sw_store_metrics_row {
        const char *type; /* wire names */
        const char *severity;
        const char *status;
        const char *sku;          /* SKU key */
        const char *category;     /* category name, may be NULL */
        int64_t detected_at;      /* Unix s */
        int64_t first_outcome_at; /* Unix s of its first outcome, 0 none */
        const char *outcome;      /* its latest outcome, NULL none */
        double value_recovered;   /* of the latest outcome */
        double prevented_value;   /* of the latest outcome */
};
/* Every anomaly detected at or after since. Returns the count. */
int sw_store_walk_metrics(struct sw_store *s, int64_t since,
                          int (*cb)(void *ctx, const struct sw_store_metrics_row *row), void *ctx);

#endif
