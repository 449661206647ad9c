/* What an ML alert asks someone to fix: the actionable cause named by a flagged SKU-day. */
#ifndef SW_ML_CAUSE_H
#define SW_ML_CAUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/features_scaled.h"
#include "core/sw_types.h"

/*
 * The forest says a SKU-day is unusual and which features isolated it (contributions); the
 * training tails say which features are rare on their own (core/explain.h). An alert is
 * raised only when one of those features, with at least an even share of the isolation
 * (1 / SW_FEAT_COUNT) or rare on its own, is an actionable cause whose value passes its
 * bound:
 *
 *   cause        feature                         bound                           action
 *   list_price   list_vs_previous                |ln| >= ln(price_ratio)          check_price
 *   paid_price   paid_vs_list                    |ln| >= ln(price_ratio)          check_price
 *   sales_spike  sales_vs_usual or sales_3d      ratio >= spike_ratio and the     investigate
 *                                                excess >= spike_min_units
 *   overstock    weeks_of_cover or receipt_weeks cover >= overstock_weeks,        cycle_count
 *                                                on-hand >= overstock_min_units,
 *                                                at least half of it came in one
 *                                                receipt of the last 7 days, and
 *                                                that was SW_OVERSTOCK_DELIVERY x
 *                                                the delivery before it and the
 *                                                stock it joined
 *
 * A sales drop is not a cause here: a shelf that stopped selling is the ghost detector's
 * (a calibrated test with its own budget), and a slow week is no fix. Neither is stock that
 * merely stopped selling (a seasonal line, dead stock: no delivery to check), a price far
 * from its category's (a dear item is not an error) or a trend alone: they describe, they
 * do not name a fix. The first such feature names it, rare ones first
 * (a feature the trees could hardly split on gets little share), then by share; strength =
 * how far past its bound the value is (1 at the bound, log scale).
 */
enum sw_ml_cause {
        SW_ML_CAUSE_NONE,        /* nothing actionable: not an alert */
        SW_ML_CAUSE_LIST_PRICE,  /* the price file's list price far from the established one */
        SW_ML_CAUSE_PAID_PRICE,  /* the registers charge far from the list price */
        SW_ML_CAUSE_SALES_SPIKE, /* sales far above the SKU's usual level */
        SW_ML_CAUSE_OVERSTOCK,   /* a delivery left on-hand far above the SKU's usual sales */
};

/* A delivery this many times the SKU's previous one and the stock it joined is not its usual
 * order (the store reorders about the same quantity each time). */
#define SW_OVERSTOCK_DELIVERY 4.0

struct sw_ml_cause_params {
        double price_ratio;         /* list vs previous, paid vs list: x this or 1 / this, > 1 */
        double spike_ratio;         /* sales at least this many times usual, > 1 */
        double spike_min_units;     /* ... and at least this many units above usual */
        double overstock_weeks;     /* on-hand at least this many weeks of usual sales, > 0 */
        double overstock_min_units; /* ... and at least this many units */
};

/* The named cause of one SKU-day. */
struct sw_ml_verdict {
        enum sw_ml_cause cause; /* SW_ML_CAUSE_NONE: not an alert */
        int feature;            /* the feature that names it (enum sw_scaled_feature), -1 none */
        bool rare;              /* that feature is rare on its own (beyond the training tails) */
        double strength;        /* |value| / bound in log terms: >= 1 for a cause, 0 for none */
        enum sw_action action;  /* what to do */
};

/* Wire name of a cause ("list_price", ...; "none"). */
const char *sw_ml_cause_name(enum sw_ml_cause c);

/* Whether any feature of the SKU-day passes its cause's bound: without one, sw_ml_cause_find
 * finds no cause whatever the contributions (so they need not be computed). */
bool sw_ml_cause_possible(const struct sw_ml_cause_params *p, const float x[SW_FEAT_COUNT],
                          const struct sw_scaled_detail *dt);

/* The cause of a flagged SKU-day, from its scaled features, their contributions, which of
 * them are rare (bit f for feature f, sw_feature_rare) and what they were made of. */
struct sw_ml_verdict sw_ml_cause_find(const struct sw_ml_cause_params *p,
                                      const float x[SW_FEAT_COUNT],
                                      const double contributions[SW_FEAT_COUNT], unsigned rare,
                                      const struct sw_scaled_detail *dt);

/*
 * The description: the cause in words with its figures, then the other features with at
 * least an even share, strongest first (at most max_reasons reasons in all, 0 = 3), joined
 * with " | ". For example:
 *   "List price 30.00 is 5.0x the previous 6.00 (changed 1 day ago)"
 *   "Registers charged 0.40x the list price 4.00 on 5 of 6 lines since 2 days ago"
 *   "Sales 4.2x usual (59 units in 7 days vs 14 usual) | Sales up 180% vs last week"
 *   "Overstock: 262 on hand, 87.3 weeks of usual sales (3 a week), 256 received 2 days ago"
 * Whole reasons that do not fit are left out (the first is cut); buf is always terminated.
 * Returns the length, or -ENOSPC when size < 1.
 */
int sw_ml_cause_describe(const struct sw_ml_verdict *v, const float x[SW_FEAT_COUNT],
                         const double contributions[SW_FEAT_COUNT],
                         const struct sw_scaled_detail *dt, unsigned max_reasons, char *buf,
                         size_t size);

#endif
