/* The Isolation Forest detector run (ml_detected): features, scores, causes, a daily budget. */
#ifndef SW_DETECT_ML_H
#define SW_DETECT_ML_H

#include "core/detect.h"
#include "core/explain.h"
#include "core/features.h"
#include "core/features_scaled.h"
#include "core/iforest.h"
#include "core/ml_cause.h"
#include "core/reservoir.h"

struct sw_ml_params {
        double warning_sigma;            /* z-score among the day's scores for warning */
        double critical_sigma;           /* z-score for critical */
        unsigned max_reasons;            /* reasons in a description */
        enum sw_feature_set features;    /* what the forest learns from and scores */
        struct sw_ml_cause_params cause; /* scaled: what counts as an actionable cause */
        double critical_strength;        /* scaled: critical also needs the cause this far past
                                            its bound (>= 1) */
        uint32_t max_new_per_day;        /* scaled: new alerts a run opens at most, strongest
                                            first (<= the run's candidates capacity) */
};

/* A new scaled alert waiting for the run's budget. */
struct sw_ml_candidate {
        uint32_t sku_index;        /* SKU */
        enum sw_severity severity; /* its severity */
        enum sw_ml_cause cause;    /* its cause */
        double strength;           /* its cause's strength */
        double score;              /* its forest score */
        double z;                  /* the score's z among the day's scores */
};

/* What one run reads and feeds, all owned by the caller. */
struct sw_ml_run {
        const struct sw_iforest *forest; /* the model, NULL or unfitted: only feed the reservoir */
        const struct sw_feature_stats *stats; /* per-feature baseline of the training data */
        struct sw_reservoir *reservoir;       /* receives every SKU-day vector, or NULL */
        double *category_avg;                 /* [max_categories] scratch: category mean price
                                                 (seed) or mean ln price (scaled) */
        uint32_t *category_counts;            /* [max_categories] scratch */
        uint64_t *above;                      /* [(skus capacity + 63) / 64] scratch: SKUs whose
                                                 score reached the threshold, so each SKU is
                                                 scored once; NULL: pass 2 scores again */
        struct sw_ml_candidate *candidates;   /* [max_new_per_day] scratch (scaled) */
        double *days;                         /* [4 x history_days] scratch (scaled): the store's
                                                 units, SKUs with data and factor of each day of
                                                 the window, and a sort buffer */
        uint32_t n_candidates;                /* in use during a run */
};

/*
 * Score every SKU as of the start of as_of. A SKU-day is flagged when its score is at or
 * above the forest's threshold AND its z-score among the day's scores reaches
 * warning_sigma; scores above the threshold but nearer the day's mean are counted in
 * summary.quiet and not raised (on a day where many SKUs move together, a fixed
 * threshold alone would flood HQ). An open episode clears when its SKU is no longer
 * flagged. Returns 0 or the callback's error.
 *
 * With the scaled features a flagged SKU-day is also raised only when its explanation names
 * an actionable cause (core/ml_cause.h; without one it is counted in summary.unexplained),
 * and new alerts wait for the run's budget: the max_new_per_day strongest (critical first,
 * then price causes, overstock, sales spikes, then the cause's strength, then the score) open, the
 * others are counted in summary.deferred and may open on a later day. An open episode stays open
 * while its score stays above the threshold with a cause. The seed features keep the previous rule
 * exactly.
 */
int sw_detect_ml(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                 sw_day_t as_of, sw_finding_fn fn, void *ctx, struct sw_detect_summary *ret);

/* What every SKU's features read as of as_of (category prices; for the scaled set the store
 * context too), once before sw_ml_features for any number of SKUs. */
void sw_ml_prepare(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                   sw_day_t as_of);
/* SKU i's features in p->features as of as_of: 0, -ENODATA (not scored), -EINVAL. */
int sw_ml_features(struct sw_detector *d, const struct sw_ml_params *p, const struct sw_ml_run *run,
                   uint32_t i, sw_day_t as_of, float x[SW_FEAT_COUNT]);

/* The action an associate should take for a flagged SKU, from its strongest feature (seed). */
enum sw_action sw_ml_action(const double contributions[SW_FEAT_COUNT]);

#endif
