/* Helpers shared by the detector runs inside core/ (not part of the public API). */
#ifndef SW_DETECT_INTERNAL_H
#define SW_DETECT_INTERNAL_H

#include "core/detect.h"
#include "core/detect_ml.h"

/* Apply a verdict to the open-episode book and report the lifecycle event, if any:
 * flagged opens (since new_since) or updates an episode; gone clears an open one. */
int sw_detect__transition(struct sw_detector *d, struct sw_finding *f, bool flagged, bool gone,
                          sw_day_t new_since, sw_finding_fn fn, void *ctx,
                          struct sw_detect_summary *sum);
/* Evidence scale learnt for a type and the SKU's category (1 without tuning). */
double sw_detect__scale(const struct sw_detector *d, enum sw_anomaly_type type,
                        const struct sw_sku *s);
/* The SKU's price when known and positive, else 0. */
double sw_detect__sku_price(const struct sw_sku *s);
/* Fill the scratch series (sales, pushed forecasts, weekdays) for the n days before as_of:
 * n is history_days, or fewer when the SKU's ring no longer reaches that far back. Returns
 * n; *ret_known is how many of the last days have data. */
uint32_t sw_detect__fill_series(struct sw_detector *d, uint32_t index, sw_day_t as_of,
                                uint32_t *ret_known);
/* Store-local day of a Unix time, or fallback when it is unset or cannot be converted. */
sw_day_t sw_detect__day_of(const struct sw_detector *d, uint32_t ts, sw_day_t fallback);
/* The store context of [as_of - history_days, as_of) into d->context: kept when
 * sw_detect_day_begin built it for as_of, else built from every SKU's sales. */
void sw_detect__store_context(struct sw_detector *d, sw_day_t as_of);
/* Ghost stock, bayes mode (core/detect_bayes.c). */
int sw_detect__ghost_bayes(struct sw_detector *d, sw_day_t as_of, sw_finding_fn fn, void *ctx,
                           struct sw_detect_summary *sum);
/* ML, scaled features (core/detect_ml_scaled.c): the store context of [as_of - history_days,
 * as_of), the inputs of sw_features_scaled, one SKU above the threshold or with an open
 * episode, and the admission of the day's candidates. */
void sw_detect__ml_context(struct sw_detector *d, struct sw_ml_run *run, sw_day_t as_of);
struct sw_scaled_inputs sw_detect__ml_inputs(struct sw_detector *d, const struct sw_ml_run *run);
/* Whether SKU i's explanation (the forest's contributions) can matter: an open episode, or
 * a feature past its cause's bound. When it cannot, sw_detect__ml_scaled_sku takes NULL
 * detail, contributions and fn: the SKU-day is only counted. */
bool sw_detect__ml_scaled_explains(struct sw_detector *d, const struct sw_ml_params *p, uint32_t i,
                                   const float *x, const struct sw_scaled_detail *dt);
int sw_detect__ml_scaled_sku(struct sw_detector *d, const struct sw_ml_params *p,
                             struct sw_ml_run *run, uint32_t i, sw_day_t as_of, const float *x,
                             const struct sw_scaled_detail *dt, double score,
                             const double *contributions, double z, sw_finding_fn fn, void *ctx,
                             struct sw_detect_summary *sum);
int sw_detect__ml_admit(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                        sw_day_t as_of, sw_finding_fn fn, void *ctx, struct sw_detect_summary *sum);

#endif
