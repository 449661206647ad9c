/* The scaled SKU-day features of the Isolation Forest: each SKU against its own history. */
#ifndef SW_FEATURES_SCALED_H
#define SW_FEATURES_SCALED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/features.h"
#include "core/sku_watch.h"
#include "core/sku_table.h"
#include "core/store_context.h"

/*
 * The seed's features are absolute levels (units, money), so the store's biggest sellers and
 * dearest items are rare forever and the forest isolates them every day. These are ratios to
 * the SKU's own usual level, and to its own established list price, so that a normal SKU-day
 * sits near 0 whatever the SKU's velocity or price (docs/detectors.md, "Isolation Forest").
 * Same count as the seed's, so a row is SW_FEAT_COUNT floats either way.
 */
enum sw_scaled_feature {
        SW_SF_SALES_VS_USUAL, /* ln((s7 + 5) / (e7 + 5)): the last 7 days against usual */
        SW_SF_SALES_3D,       /* ln((s3 + 4) / (e3 + 4)): the last 3 days against usual */
        SW_SF_TREND,          /* ln((s7 + 5) / (p7 + 5)): against the week before */
        SW_SF_COVER,          /* ln(1 + on_hand / max(7 x mean, 1)): weeks of cover */
        SW_SF_LIST_CHANGE,    /* ln(list / the established list price it replaced) */
        SW_SF_PAID_VS_LIST,   /* mean ln(paid / list) over the registers' off-list streak */
        SW_SF_PRICE_VS_CAT,   /* ln(list) - the category's mean ln(list) */
        SW_SF_RECEIPT,        /* ln(1 + the largest receipt of the last 7 days / max(7 x mean,
                                 1)): weeks of sales that just arrived */
};

/* Pseudo-counts: a few units over a slow seller's usual level are not a spike. */
#define SW_SF_PSEUDO_7D 5.0
#define SW_SF_PSEUDO_3D 4.0
/* Weeks before the current one that give the usual level ... */
#define SW_SF_BASELINE_WEEKS 4
/* ... at least this many of them, or there is no usual level yet. */
#define SW_SF_MIN_BASELINE_WEEKS 2
/* A week's rate counts with at least this many usable days in it. */
#define SW_SF_MIN_WEEK_DAYS 3

/* Which features the forest learns from (detectors.ml.features). */
enum sw_feature_set {
        SW_FEATURES_SCALED, /* enum sw_scaled_feature (default) */
        SW_FEATURES_SEED,   /* enum sw_feature: the previous system's, for parity */
};

/* "scaled" or "seed"; NULL when out of range. */
const char *sw_feature_set_name(enum sw_feature_set set);
/* 0, or -EINVAL for another name. ret is not written on failure. */
int sw_feature_set_parse(const char *name, enum sw_feature_set *ret);
/* Wire name of feature k of a set; NULL when out of range. */
const char *sw_feature_name_in(enum sw_feature_set set, int k);

/* What a SKU-day's scaled features were made of, for the explanation. */
struct sw_scaled_detail {
        sw_day_t as_of;     /* the day the features are as of */
        bool has_level;     /* a usual level was found (else the sales features are 0) */
        double level;       /* usual units per usual day: over the baseline weeks */
        double mean_level;  /* units per usual day over all the history before the last
                               7 days: what stock covers */
        double s7, e7;      /* units sold over the usable days of the last 7, and usual */
        double s3, e3;      /* the same over the last 3 days */
        uint32_t days7;     /* usable days of the last 7 */
        double weight7;     /* their day factors summed: the usual days they are worth */
        int32_t on_hand;    /* book on-hand */
        double cover_weeks; /* on_hand / max(7 x mean_level, 1) */
        struct sw_receipt_watch receipt; /* the largest receipt of the last 7 days (units 0:
                                            none) and the usual one */
        double list;                     /* list price, 0 when none */
        double list_prev;                /* the established list price it replaced, 0 when none */
        uint32_t list_age;           /* days since the list price changed (when list_change != 0) */
        struct sw_paid_summary paid; /* the registers' off-list streak */
};

/* The run's inputs shared by every SKU. */
struct sw_scaled_inputs {
        const struct sw_store_context *context; /* closed and POS-shortfall days over the window
                                                   [from, from + n) (those days are left out),
                                                   or NULL (none left out) */
        const double *day_factor;               /* [context->n] the store's sales of each window
                                                   day against its usual day
                                                   (sw_features_day_factors), or NULL: all 1 */
        const double *category_log_price;       /* [max_categories] mean ln(list price), or NULL */
        uint16_t *scratch_sales;                /* [history_days] */
};

/*
 * Mean ln(list price) per category over the SKUs with a list price: ret_mean[c] for every
 * c < max_categories, 0 without such a SKU and always for category 0 (unknown).
 * scratch_counts holds max_categories counters. O(max_categories + count).
 */
void sw_features_category_log_prices(const struct sw_sku_table *t, double *ret_mean,
                                     uint32_t *scratch_counts);

/*
 * The store's day factors over a window of n days: units[i] / known[i] is what a SKU with
 * data sold on window day i on average; a day's factor is that against the median of it over
 * the days the context does not leave out (1 for a day without data, or when there is no
 * such day). So weekday patterns, Black Friday and the like are the store's, and a SKU's
 * expected sales on a day are its usual level x the day's factor. ret[n].
 */
void sw_features_day_factors(const double *units, const double *known, uint32_t n,
                             const struct sw_store_context *context, double *scratch, double *ret);

/*
 * The scaled features of SKU index as of as_of (the days before as_of). A day is usable when
 * the SKU's ring knows it, the context does not leave it out and it is not in the SKU's
 * latest known stock-out (the book at or below 0: its sales are no measure of demand). Usual
 * level: units per day factor over the usable days of the SW_SF_BASELINE_WEEKS weeks before
 * the last 7 days that have at least SW_SF_MIN_WEEK_DAYS usable days, at least
 * SW_SF_MIN_BASELINE_WEEKS of them; without, the sales features are 0 and the level is the
 * last 7 days' own rate. Expected units over a span: the level x
 * the span's usable day factors. Returns 0; -ENODATA when the SKU has fewer than 7 known days
 * before as_of (as the seed's); -EINVAL for an index not in use. ret and ret_detail (may be
 * NULL) are not written on failure.
 */
int sw_features_scaled(const struct sw_sku_table *t, uint32_t index, sw_day_t as_of,
                       const struct sw_scaled_inputs *in, float ret[SW_FEAT_COUNT],
                       struct sw_scaled_detail *ret_detail);

#endif
