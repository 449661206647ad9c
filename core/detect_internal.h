/* Helpers shared by the detector runs inside core/ (not part of the public API). */
#ifndef SW_DETECT_INTERNAL_H
#define SW_DETECT_INTERNAL_H

#include "core/detect.h"

/* Apply a verdict to the open-episode book and report the lifecycle event, if any:
 * flagged opens (since new_since) or updates an episode; gone clears an open one. */
int sw_detect__transition(struct sw_detector *d, struct sw_finding *f, bool flagged, bool gone,
                          sw_day_t new_since, sw_finding_fn fn, void *ctx, struct sw_detect_summary *sum);
/* Evidence scale learnt for a type and the SKU's category (1 without tuning). */
double sw_detect__scale(const struct sw_detector *d, enum sw_anomaly_type type, const struct sw_sku *s);
/* The SKU's price when known and positive, else 0. */
double sw_detect__sku_price(const struct sw_sku *s);

#endif
