/* core/outcome_metrics' figures as JSON: the gateway's replies and HQ's API give them in one
 * shape, so a store's figures read the same in both places. */
#ifndef SW_METRICS_JSON_H
#define SW_METRICS_JSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/outcome_metrics.h"

/* The name of category id (1..n-1; 0 is "unknown"), as its caller keeps them. */
typedef const char *(*sw_category_name_fn)(const void *ctx, uint32_t id);

/* Ratio v as name, or null when r < 0 (its denominator was zero) or v is not finite. */
void sw_metrics_json_add_ratio(cJSON *o, const char *name, int r, double v);
/* "alerts", "with_outcome" and the three rates (null where a denominator is zero). */
void sw_metrics_json_add_rates(cJSON *o, const struct sw_metrics *m);
/* "precision": overall, by_type, and by_category for ids below n_categories with a verdict. */
void sw_metrics_json_add_precision(cJSON *o, const struct sw_metrics *m, uint32_t n_categories,
                                   sw_category_name_fn name, const void *ctx);
/* The roi reply's four figures. */
void sw_metrics_json_add_roi(cJSON *o, const struct sw_metrics *m);

#endif
