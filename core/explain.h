/* Baseline statistics of the training features and plain-words explanations of flagged SKU-days. */
#ifndef SW_EXPLAIN_H
#define SW_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/features.h"

#define SW_EXPLAIN_DEFAULT_REASONS 3 /* reasons when max_reasons is 0 */
#define SW_EXPLAIN_SEPARATOR       " | "

/* Per-feature median, median absolute deviation and tails of the training reservoir. */
struct sw_feature_stats {
        float median[SW_FEAT_COUNT]; /* median of each feature (mean of the middle two when even) */
        float mad[SW_FEAT_COUNT];    /* median of |x - median|, unscaled */
        float tail_lo[SW_FEAT_COUNT]; /* each feature's `tail` quantile (sw_feature_stats_tails) */
        float tail_hi[SW_FEAT_COUNT]; /* ... and its 1 - `tail` quantile */
        float tail;                   /* share of the rows below tail_lo (and above tail_hi) at
                                         most; 0 = no tails: no value is rare */
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
 * Each feature's tails over the same rows: tail_lo = the k-th smallest finite value with
 * k = floor(tail x (m - 1)), tail_hi = the k'-th with k' = ceil((1 - tail) x (m - 1)), m the
 * finite values (0 and 0 without any). A value strictly outside [tail_lo, tail_hi] is rarer
 * than `tail` of the training rows on that feature alone: a feature that is 0 on nearly every
 * row (a price change) has both tails 0, so any other value is rare. tail in (0, 0.5).
 * scratch holds n floats. Returns 0, -EINVAL (n 0 or tail out of range; st not written).
 */
int sw_feature_stats_tails(const float *rows, uint32_t n, float *scratch, double tail,
                           struct sw_feature_stats *st);

/* Bit f set when feature f of x lies strictly outside [tail_lo, tail_hi]; 0 without tails. */
unsigned sw_feature_rare(const struct sw_feature_stats *st, const float x[SW_FEAT_COUNT]);

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

/* The features whose weight is at least an even share (1/SW_FEAT_COUNT), strongest first, ties in
 * feature order, in order[]: returns how many. */
int sw_explain_by_share(const double weight[SW_FEAT_COUNT], int order[SW_FEAT_COUNT]);

/* Start a text of reasons: buf (size bytes) empty, and *max_reasons 0 made
 * SW_EXPLAIN_DEFAULT_REASONS. Returns 0, or -ENOSPC when size < 1. Also used by core/ml_cause.c. */
int sw_explain_begin(char *buf, size_t size, unsigned *max_reasons);

/*
 * Append s to buf (size bytes, *pos used) after SW_EXPLAIN_SEPARATOR when *pos > 0, if it fits
 * whole; when it does not fit and is the first (*pos 0) it is cut to size - 1 bytes. buf stays
 * NUL-terminated (size >= 1). Returns true when s went in whole. Also used by core/ml_cause.c.
 */
bool sw_explain_append(char *buf, size_t size, size_t *pos, const char *s);

#endif
