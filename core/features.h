/* The 8 SKU-day features the Isolation Forest (ml_detected) learns from and scores. */
#ifndef SW_FEATURES_H
#define SW_FEATURES_H

#include <stdint.h>

#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "core/sw_types.h"

/*
 * A SKU-day as of day D is described by the completed days before D, like every other
 * detector. Formulas and edge cases are in docs/detectors.md ("Isolation Forest").
 */
enum sw_feature {
        SW_FEAT_SALES_7D,       /* units sold in the 7 days before as_of */
        SW_FEAT_SALES_TREND_7D, /* this week against the week before: (s7 - prev7) / max(prev7, 1)
                                 */
        SW_FEAT_ON_HAND,        /* book quantity on hand */
        SW_FEAT_UNIT_PRICE,     /* list price, 0 when unknown */
        SW_FEAT_DAY_OF_WEEK,    /* weekday of as_of - 1, 0 = Monday */
        SW_FEAT_IS_HOLIDAY,     /* 1 if as_of - 1 is a store holiday */
        SW_FEAT_STOCK_TURNOVER, /* sales against on-hand: s7 / max(on_hand, 1) */
        SW_FEAT_PRICE_VS_AVG,   /* price against the category average: price / avg - 1 (0 when
                                   unknown) */
        SW_FEAT_COUNT
};

#define SW_FEAT_WEEK_DAYS 7 /* days of history a SKU needs before it is scored */

/* Wire name of a feature ("sales_7d", ..., "price_vs_avg"); NULL when out of range. */
const char *sw_feature_name(enum sw_feature f);

/*
 * Mean price per category over the SKUs whose price is known (SW_SKU_HAS_PRICE):
 * ret_avg[c] for every c < t->p.max_categories, 0 for a category without a priced SKU
 * and always 0 for category 0 (unknown). scratch_counts holds max_categories counters.
 * O(max_categories + count); run once per detection run, not per SKU.
 */
void sw_features_category_prices(const struct sw_sku_table *t, double *ret_avg,
                                 uint32_t *scratch_counts);

/* For the category means here and in features_scaled.c: ret_sum[c] sums value(s) and
 * ret_counts[c] counts the SKUs of category c whose value is finite (category 0, unknown, and
 * out-of-range ones left out), for every c < t->p.max_categories. */
void sw_features__category_sums(const struct sw_sku_table *t,
                                double (*value)(const struct sw_sku *), double *ret_sum,
                                uint32_t *ret_counts);

/*
 * The 8 features of SKU index as of as_of (the days before as_of). cal may be NULL (no
 * holidays), category_avg may be NULL (price_vs_avg 0). Returns 0; -ENODATA when the SKU
 * has fewer than 7 known days before as_of (not scored); -EINVAL for an index not in use.
 * ret is not written on failure.
 */
int sw_features_compute(const struct sw_sku_table *t, uint32_t index, sw_day_t as_of,
                        const struct sw_store_calendar *cal, const double *category_avg,
                        float ret[SW_FEAT_COUNT]);

#endif
