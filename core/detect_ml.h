/* The Isolation Forest detector run (ml_detected): features, scores, severity by z-score. */
#ifndef SW_DETECT_ML_H
#define SW_DETECT_ML_H

#include "core/detect.h"
#include "core/explain.h"
#include "core/features.h"
#include "core/iforest.h"
#include "core/reservoir.h"

struct sw_ml_params {
        double warning_sigma;  /* z-score among the day's scores for warning */
        double critical_sigma; /* z-score for critical */
        unsigned max_reasons;  /* reasons in a description */
};

/* What one run reads and feeds, all owned by the caller. */
struct sw_ml_run {
        const struct sw_iforest *forest;      /* the model, NULL or unfitted: only feed the reservoir */
        const struct sw_feature_stats *stats; /* per-feature baseline of the training data */
        struct sw_reservoir *reservoir;       /* receives every SKU-day vector, or NULL */
        double *category_avg;                 /* [max_categories] scratch */
        uint32_t *category_counts;            /* [max_categories] scratch */
        uint64_t *above;                      /* [(skus capacity + 63) / 64] scratch: SKUs whose
                                                 score reached the threshold, so each SKU is
                                                 scored once; NULL: pass 2 scores again */
};

/*
 * Score every SKU as of the start of as_of. A SKU-day is flagged when its score is at or
 * above the forest's threshold AND its z-score among the day's scores reaches
 * warning_sigma; scores above the threshold but nearer the day's mean are counted in
 * summary.quiet and not raised (on a day where many SKUs move together, a fixed
 * threshold alone would flood HQ). An open episode clears when its SKU is no longer
 * flagged. Returns 0 or the callback's error.
 */
int sw_detect_ml(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run, sw_day_t as_of,
                 sw_finding_fn fn, void *ctx, struct sw_detect_summary *ret);

/* The action an associate should take for a flagged SKU, from its strongest feature. */
enum sw_action sw_ml_action(const double contributions[SW_FEAT_COUNT]);

#endif
