/* The scaled SKU-day features: sales against the SKU's usual level, cover, price changes. */
#include "core/features_scaled.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const char *const scaled_names[SW_FEAT_COUNT] = {
    [SW_SF_SALES_VS_USUAL] = "sales_vs_usual",  [SW_SF_SALES_3D] = "sales_3d_vs_usual",
    [SW_SF_TREND] = "sales_vs_last_week",       [SW_SF_COVER] = "weeks_of_cover",
    [SW_SF_LIST_CHANGE] = "list_vs_previous",   [SW_SF_PAID_VS_LIST] = "paid_vs_list",
    [SW_SF_PRICE_VS_CAT] = "price_vs_category", [SW_SF_RECEIPT] = "receipt_weeks",
};

const char *sw_feature_set_name(enum sw_feature_set set)
{
        switch (set) {
        case SW_FEATURES_SCALED:
                return "scaled";
        case SW_FEATURES_SEED:
                return "seed";
        }
        return NULL;
}

int sw_feature_set_parse(const char *name, enum sw_feature_set *ret)
{
        if (strcmp(name, "scaled") == 0)
                *ret = SW_FEATURES_SCALED;
        else if (strcmp(name, "seed") == 0)
                *ret = SW_FEATURES_SEED;
        else
                return -EINVAL;
        return 0;
}

const char *sw_feature_name_in(enum sw_feature_set set, int k)
{
        if (k < 0 || k >= SW_FEAT_COUNT)
                return NULL;
        if (set == SW_FEATURES_SEED)
                return sw_feature_name((enum sw_feature)k);
        return set == SW_FEATURES_SCALED ? scaled_names[k] : NULL;
}

static bool list_price_known(const struct sw_sku *s)
{
        return (s->flags & SW_SKU_HAS_LIST_PRICE) && isfinite(s->price) && s->price > 0;
}

/* ln of the list price of a SKU that has one (SW_SKU_HAS_LIST_PRICE, > 0), else NAN. */
static double log_list_price(const struct sw_sku *s)
{
        return list_price_known(s) ? log(s->price) : NAN;
}

void sw_features_category_log_prices(const struct sw_sku_table *t, double *ret_mean,
                                     uint32_t *scratch_counts)
{
        uint16_t n = t->p.max_categories;
        sw_features__category_sums(t, log_list_price, ret_mean, scratch_counts);
        for (uint16_t c = 0; c < n; c++)
                ret_mean[c] =
                    scratch_counts[c] > 0 && c > 0 ? ret_mean[c] / scratch_counts[c] : NAN;
}

void sw_features_day_factors(const double *units, const double *known, uint32_t n,
                             const struct sw_store_context *context, double *scratch, double *ret)
{
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
                ret[i] = known[i] > 0 ? units[i] / known[i] : -1.0;
                bool out = context && i < context->n &&
                           (sw_store_context_day(context, i) &
                            (SW_CONTEXT_CLOSED | SW_CONTEXT_STORE_SHORTFALL));
                if (ret[i] > 0.0 && !out)
                        scratch[m++] = ret[i];
        }
        /* The median by insertion: n is a history window, at most a few hundred days. */
        for (uint32_t i = 1; i < m; i++)
                for (uint32_t j = i; j > 0 && scratch[j - 1] > scratch[j]; j--) {
                        double x = scratch[j];
                        scratch[j] = scratch[j - 1];
                        scratch[j - 1] = x;
                }
        double mid = m == 0  ? 0.0
                     : m % 2 ? scratch[m / 2]
                             : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
        for (uint32_t i = 0; i < n; i++)
                ret[i] = mid > 0.0 && ret[i] >= 0.0 ? ret[i] / mid : 1.0;
}

/* The SKU's sales over the window [from, as_of): units per day and whether each is usable. */
struct series {
        const uint16_t *sold;                   /* units of day from + i */
        sw_day_t from;                          /* first day of the window */
        sw_day_t known_from;                    /* first day the ring knows */
        sw_day_t out_from;                      /* the SKU's latest stock-out: first day ... */
        sw_day_t out_to;                        /* ... and last, SW_DAY_NONE if none */
        const struct sw_store_context *context; /* days left out, or NULL */
        const double *day_factor; /* the store's factor of each context day, or NULL */
        uint16_t category;        /* the SKU's category, for category shortfalls */
};

/* Units, usable days and their day factors summed over [a, b]. */
struct span_sum {
        double units;  /* units sold */
        uint32_t days; /* usable days */
        double weight; /* sum of their day factors: the usual days they are worth */
};

/* The spans sales_detail reads. */
struct spans {
        struct span_sum week[SW_SF_BASELINE_WEEKS + 1]; /* [0]: the last 7 days; [k]: k weeks
                                                           before them */
        struct span_sum last3;                          /* the last 3 days */
        struct span_sum before;                         /* every day before the last 7 */
};

/* Whether window day c of the store context is left out for the SKU's category. */
static bool context_out(const struct series *s, int64_t c)
{
        return c >= 0 && c < (int64_t)s->context->n &&
               sw_store_context_censored(s->context, s->category, (uint32_t)c);
}

/*
 * Add the usable days of [a, b] to *x and, if y is not NULL, to *y, in day order. A day is
 * usable from the SKU's first known day on, outside its latest stock-out and the days the
 * store context leaves out; it is worth its store day factor. The sums are kept in locals
 * (registers) and each accumulates in day order, so every span sums exactly as on its own.
 */
static void span_into(const struct series *s, sw_day_t a, sw_day_t b, struct span_sum *x,
                      struct span_sum *y)
{
        struct span_sum sx = *x, sy = y ? *y : (struct span_sum){0};
        int64_t shift = s->context ? (int64_t)s->from - s->context->from : 0;
        const double *factor = s->context ? s->day_factor : NULL;
        bool out_known = s->out_to != SW_DAY_NONE;
        if (a < s->known_from)
                a = s->known_from;
        if (a < s->from)
                a = s->from;
        for (sw_day_t d = a; d <= b; d++) {
                int64_t i = (int64_t)d - s->from, c = i + shift;
                if ((out_known && d >= s->out_from && d <= s->out_to) ||
                    (s->context && context_out(s, c)))
                        continue;
                double units = s->sold[i];
                double f = factor && c >= 0 && c < (int64_t)s->context->n ? factor[c] : 1.0;
                sx.units += units;
                sx.days++;
                sx.weight += f;
                sy.units += units;
                sy.days++;
                sy.weight += f;
        }
        *x = sx;
        if (y)
                *y = sy;
}

static void spans_of(const struct series *s, sw_day_t as_of, struct spans *r)
{
        memset(r, 0, sizeof(*r));
        span_into(s, s->from, as_of - 1 - 7 * (SW_SF_BASELINE_WEEKS + 1), &r->before, NULL);
        for (int k = SW_SF_BASELINE_WEEKS; k >= 1; k--) {
                sw_day_t b = as_of - 1 - 7 * k;
                span_into(s, b - 6, b, &r->before, &r->week[k]);
        }
        span_into(s, as_of - 7, as_of - 4, &r->week[0], NULL);
        span_into(s, as_of - 3, as_of - 1, &r->week[0], &r->last3);
}

/* The usual level and the last 7 and 3 days, into ret. Returns the rate of the week before
 * the last 7 days, or -1 without one. */
static double sales_detail(const struct series *s, sw_day_t as_of, struct sw_scaled_detail *ret)
{
        double prev = -1.0, units = 0.0, weight = 0.0;
        uint32_t n = 0;
        struct spans sp;
        spans_of(s, as_of, &sp);
        for (int k = 1; k <= SW_SF_BASELINE_WEEKS; k++) {
                const struct span_sum *w = &sp.week[k];
                if (w->days < SW_SF_MIN_WEEK_DAYS || !(w->weight > 0.0))
                        continue;
                n++;
                units += w->units;
                weight += w->weight;
                if (k == 1)
                        prev = w->units / w->weight;
        }
        const struct span_sum *w7 = &sp.week[0], *w3 = &sp.last3, *all = &sp.before;
        ret->s7 = w7->units;
        ret->s3 = w3->units;
        ret->days7 = w7->days;
        ret->has_level = n >= SW_SF_MIN_BASELINE_WEEKS;
        /* The mean over all the history held before the last 7 days: what the store stocks
         * for (the usual order), which a few slow weeks of lumpy demand do not move. */
        if (ret->has_level) {
                ret->level = units / weight;
                ret->mean_level = all->weight > 0.0 ? all->units / all->weight : 0.0;
        } else {
                ret->level = ret->mean_level = w7->weight > 0.0 ? w7->units / w7->weight : 0.0;
        }
        ret->e7 = ret->level * w7->weight;
        ret->e3 = ret->level * w3->weight;
        ret->weight7 = w7->weight;
        return prev;
}

static void price_detail(const struct sw_sku *s, sw_day_t as_of, struct sw_scaled_detail *ret)
{
        ret->list = list_price_known(s) ? s->price : 0.0;
        ret->list_prev = 0.0;
        ret->list_age = 0;
        if (ret->list > 0 &&
            sw_price_watch_list_change(&s->price_watch, ret->list, as_of, &ret->list_age) != 0.0)
                ret->list_prev = s->price_watch.list_prev;
        ret->paid = sw_price_watch_paid_summary(&s->price_watch, as_of);
}

static void fill(const struct sw_sku *s, const struct sw_scaled_inputs *in,
                 const struct sw_scaled_detail *dt, double prev_rate, float x[SW_FEAT_COUNT])
{
        x[SW_SF_SALES_VS_USUAL] =
            dt->has_level ? (float)log((dt->s7 + SW_SF_PSEUDO_7D) / (dt->e7 + SW_SF_PSEUDO_7D))
                          : 0.0f;
        x[SW_SF_SALES_3D] =
            dt->has_level ? (float)log((dt->s3 + SW_SF_PSEUDO_3D) / (dt->e3 + SW_SF_PSEUDO_3D))
                          : 0.0f;
        x[SW_SF_TREND] = prev_rate >= 0 ? (float)log((dt->s7 + SW_SF_PSEUDO_7D) /
                                                     (prev_rate * dt->weight7 + SW_SF_PSEUDO_7D))
                                        : 0.0f;
        x[SW_SF_COVER] = (float)log1p(dt->cover_weeks);
        x[SW_SF_LIST_CHANGE] = dt->list_prev > 0 ? (float)log(dt->list / dt->list_prev) : 0.0f;
        x[SW_SF_PAID_VS_LIST] = (float)dt->paid.mean_log;
        x[SW_SF_PRICE_VS_CAT] = 0.0f;
        if (dt->list > 0 && in->category_log_price && s->category != 0 &&
            isfinite(in->category_log_price[s->category]))
                x[SW_SF_PRICE_VS_CAT] =
                    (float)(log(dt->list) - in->category_log_price[s->category]);
        double week = 7.0 * dt->mean_level;
        x[SW_SF_RECEIPT] = (float)log1p(dt->receipt.units / (week > 1.0 ? week : 1.0));
}

int sw_features_scaled(const struct sw_sku_table *t, uint32_t index, sw_day_t as_of,
                       const struct sw_scaled_inputs *in, float ret[SW_FEAT_COUNT],
                       struct sw_scaled_detail *ret_detail)
{
        struct sw_scaled_detail dt = {.as_of = as_of};
        uint32_t h = t->p.history_days;
        if (index >= t->count)
                return -EINVAL;
        const struct sw_sku *s = sw_sku_at(t, index);
        if (s->last_day == SW_DAY_NONE)
                return -ENODATA;
        sw_day_t oldest = s->last_day - (sw_day_t)h + 1;
        struct series ser = {.sold = in->scratch_sales,
                             .from = as_of - (sw_day_t)h,
                             .known_from = s->first_day > oldest ? s->first_day : oldest,
                             .out_from = s->stockout_from,
                             .out_to = s->stockout_day,
                             .context = in->context,
                             .day_factor = in->day_factor,
                             .category = s->category};
        /* As the seed's: the 7 days before as_of must all be known. */
        if (ser.known_from > as_of - 7)
                return -ENODATA;
        sw_sku_sold_series(t, index, ser.from, h, in->scratch_sales);
        double prev_rate = sales_detail(&ser, as_of, &dt);
        dt.on_hand = s->on_hand;
        double week = 7.0 * dt.mean_level;
        dt.cover_weeks = (s->on_hand > 0 ? s->on_hand : 0) / (week > 1.0 ? week : 1.0);
        dt.receipt = sw_receipt_watch_recent(&s->receipt_watch, as_of);
        price_detail(s, as_of, &dt);
        fill(s, in, &dt, prev_rate, ret);
        if (ret_detail)
                *ret_detail = dt;
        return 0;
}
