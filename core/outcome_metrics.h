/* Outcomes of anomalies (what a cycle count proves) and the metrics built from them. */
#ifndef SW_OUTCOME_METRICS_H
#define SW_OUTCOME_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sw_types.h"

enum sw_outcome_kind { SW_OUTCOME_TRUE_POSITIVE, SW_OUTCOME_FALSE_POSITIVE, SW_OUTCOME_KIND_COUNT };

/* "true_positive" / "false_positive"; NULL out of range. */
const char *sw_outcome_kind_name(enum sw_outcome_kind k);
/* Parse a wire name: 0 and *ret, or -EINVAL (also for NULL). */
int sw_outcome_kind_parse(const char *s, enum sw_outcome_kind *ret);

/* Config section "outcomes". */
struct sw_outcome_params {
        uint32_t
            material_units;    /* a shortfall is material at >= this many units (default 2), >= 1 */
        double material_ratio; /* ... and >= this share of the book before the count (default 0.2),
                                  [0,1] */
        double prevented_days; /* days of forecast demand a confirmed ghost/shelf-out saves
                                  (default 7), (0, 365] */
        uint32_t dismiss_days; /* a dismissed ml_detected alert keeps its SKU quiet this many
                                  days (default 7), 0..365 */
};

void sw_outcome_params_default(struct sw_outcome_params *ret);
/* 0, or -EINVAL for NULL or a value out of the ranges above (NaN included). */
int sw_outcome_params_validate(const struct sw_outcome_params *p);

/* What a cycle count says about an open anomaly of its SKU. */
struct sw_count_verdict {
        enum sw_outcome_kind
            outcome;        /* true_positive when the count shows a material error of the book */
        int32_t adjustment; /* counted - book_before */
        int32_t shortfall;  /* book_before - counted (negative = more on the shelf than booked) */
        double
            value_recovered; /* TP: money the book stops claiming: ghost_stock: max(shortfall,0) x
                                price; inventory_discrepancy: |adjustment| x price; else 0. FP: 0 */
};

/*
 * ghost_stock (and any type but inventory_discrepancy): TP when shortfall >= material_units and
 * shortfall >= material_ratio x max(book_before, 1). inventory_discrepancy: the same test on
 * |adjustment| (the book was wrong in either direction). A price <= 0 or non-finite counts as 0,
 * and so does a value too large to be finite.
 * Returns 0, -EINVAL for a NULL argument or an out-of-range type, -ERANGE when counted -
 * book_before does not fit an int32 (ret untouched on failure). p is not re-validated.
 */
int sw_outcome_judge_count(const struct sw_outcome_params *p, enum sw_anomaly_type type,
                           int32_t book_before, int32_t counted, double price,
                           struct sw_count_verdict *ret);

/*
 * Stock-out value a true positive prevented: ghost_stock and shelf_out: daily_units x price x
 * prevented_days (the sales lost while a shelf the system believed full stayed empty); other types,
 * a NULL p or an out-of-range type 0. Negative or non-finite inputs, or a non-finite product, count
 * as 0.
 */
double sw_outcome_prevented_value(const struct sw_outcome_params *p, enum sw_anomaly_type type,
                                  double daily_units, double price);

/* Hours from detection to the outcome, never negative (exact for any pair of int64 times). */
double sw_outcome_response_hours(int64_t detected_at, int64_t outcome_at);

/* One anomaly as the metrics see it (the daemon builds these from its database). */
struct sw_metrics_anomaly {
        enum sw_anomaly_type type; /* detector */
        enum sw_severity severity; /* latest severity */
        enum sw_status status;     /* current status */
        uint16_t category;   /* category id (< the accumulator's max_categories), 0 = unknown */
        int64_t detected_at; /* Unix s of first detection */
        bool has_outcome;    /* an outcome was recorded */
        enum sw_outcome_kind outcome; /* the LATEST outcome (a manager may correct a scanner) */
        int64_t first_outcome_at;     /* Unix s of the FIRST outcome (response time) */
        double value_recovered;       /* of the latest outcome when it is TP, else 0 */
        double prevented_value;       /* of the latest outcome when it is TP, else 0 */
};

/* True and false positives of one slice. */
struct sw_precision_counts {
        uint32_t true_positive;  /* outcomes confirming the alert */
        uint32_t false_positive; /* outcomes refuting it */
};

/* Accumulator of the metrics over a set of anomalies; init, then add each one. */
struct sw_metrics {
        uint32_t max_categories;                 /* size of by_category */
        uint32_t total;                          /* anomalies added */
        uint32_t by_type[SW_ANOMALY_TYPE_COUNT]; /* count per type */
        uint32_t by_severity[SW_SEVERITY_COUNT]; /* count per severity */
        uint32_t by_status[SW_STATUS_COUNT];     /* count per status */
        uint32_t with_outcome;                   /* anomalies with an outcome */
        double response_hours_sum;               /* sum of response hours over those */
        struct sw_precision_counts overall;      /* TP/FP over all */
        struct sw_precision_counts type_counts[SW_ANOMALY_TYPE_COUNT]; /* TP/FP per type */
        struct sw_precision_counts
            *by_category;                   /* [max_categories], caller memory; [0] = unknown */
        double prevented_stockout_value;    /* sum of prevented_value (TP ghost_stock, shelf_out) */
        double ghost_stock_recovered_value; /* sum of value_recovered (TP ghost_stock,
                                               inventory_discrepancy) */
        uint32_t true_positive_outcomes;    /* = overall.true_positive */
        uint32_t earlier;     /* trend: anomalies detected in the first half of the window */
        uint32_t later;       /* ... and in the second half */
        int64_t window_start; /* Unix s, start of the trend window (inclusive) */
        int64_t window_end;   /* Unix s, its end (exclusive) */
};

/* Bytes of caller memory for the category table; 0 when max_categories is 0. */
size_t sw_metrics_memory_size(uint32_t max_categories);
/*
 * Init in place with caller memory (aligned for uint32_t) for the category table.
 * The halves of the window are [start, mid) and [mid, end) with mid = start + (end - start) / 2.
 * -EINVAL for NULL m/mem, unaligned mem, max_categories == 0 or window_end <= window_start;
 * -ENOBUFS if size is too small.
 */
int sw_metrics_init(struct sw_metrics *m, uint32_t max_categories, int64_t window_start,
                    int64_t window_end, void *mem, size_t size);
/*
 * Fold one anomaly in. Only a TP outcome adds to the ROI sums: prevented_value for ghost_stock and
 * shelf_out, value_recovered for ghost_stock and inventory_discrepancy; a negative or non-finite
 * value adds 0. -EINVAL for NULL, out-of-range enums (outcome only when has_outcome) or category >=
 * max_categories, -EOVERFLOW when total is at UINT32_MAX; nothing changed on failure.
 */
int sw_metrics_add(struct sw_metrics *m, const struct sw_metrics_anomaly *a);

/* Each returns 0 and sets *ret, -EDOM when the denominator is zero (the reply then says null),
 * or -EINVAL for NULL. */
int sw_metrics_precision(const struct sw_precision_counts *c, double *ret); /* TP/(TP+FP) */
int sw_metrics_false_positive_rate(const struct sw_metrics *m,
                                   double *ret); /* FP/(TP+FP) overall */
int sw_metrics_mean_response_hours(const struct sw_metrics *m, double *ret); /* sum/with_outcome */
int sw_metrics_resolution_rate(const struct sw_metrics *m,
                               double *ret); /* by_status[RESOLVED]/total */

enum sw_trend { SW_TREND_STABLE, SW_TREND_INCREASING, SW_TREND_DECREASING, SW_TREND_COUNT };

/* "stable", "increasing", "decreasing"; NULL out of range. */
const char *sw_trend_name(enum sw_trend t);
/*
 * Compare the two halves: increasing when later > earlier x (1 + band) and later - earlier >=
 * min_change; decreasing symmetric (earlier > later x (1 + band) and earlier - later >=
 * min_change); else stable. Both zero: stable. A negative or non-finite band counts as 0.
 */
enum sw_trend sw_metrics_trend(uint32_t earlier, uint32_t later, double band, uint32_t min_change);

#endif
