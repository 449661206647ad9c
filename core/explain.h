/* Baseline statistics of the training features and plain-words explanations of flagged SKU-days. */
#ifndef SW_EXPLAIN_H
#define SW_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/features.h"

#define SW_EXPLAIN_DEFAULT_REASONS 3 /* reasons when max_reasons is 0 */
#define SW_EXPLAIN_SEPARATOR       " | "

/* Per-feature median and median absolute deviation of the training reservoir. */
struct sw_feature_stats {
        float median[SW_FEAT_COUNT]; /* median of each feature (mean of the middle two when even) */
        float mad[SW_FEAT_COUNT];    /* median of |x - median|, unscaled */
};

/*
 * Statistics of n rows of SW_FEAT_COUNT floats (row-major, as sw_reservoir_rows()).
 * Non-finite values are ignored; a feature without a finite value gets 0 and 0.
 * scratch holds n floats. Expected O(n) per feature. Returns 0, or -EINVAL when n is 0;
 * ret is not written on failure.
 */
int sw_feature_stats_compute(const float *rows, uint32_t n, float *scratch,
                             struct sw_feature_stats *ret);

/*
 * Why one flagged SKU-day is unusual, strongest reason first, joined with " | ":
 *   "Sales spiked 200% vs last week | Price 39% above category average"
 * A feature gives a reason when its contribution (the forest's per-feature share of the
 * isolation, summing to 1) is at least 1/SW_FEAT_COUNT; reasons are ordered by
 * contribution, ties by feature order; at most max_reasons (0 = SW_EXPLAIN_DEFAULT_REASONS).
 * The feature values, and stats (the training medians) for whether a value is high or
 * low, choose the words. contributions may be NULL: the features' robust distance from
 * the median (|x - median| / MAD) then stands in for them. stats may be NULL: on-hand and
 * turnover are then judged against a week of sales, sales and price only as "unusual".
 * Whole reasons that do not fit in buf are left out (the first is cut if it alone does
 * not fit); buf is always NUL-terminated. Returns the length written, or -ENOSPC when
 * size < 1. Deterministic: the same input gives the same bytes.
 */
int sw_explain(const float features[SW_FEAT_COUNT], const double contributions[SW_FEAT_COUNT],
               const struct sw_feature_stats *stats, unsigned max_reasons, char *buf, size_t size);

#endif
