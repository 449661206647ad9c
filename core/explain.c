/* Median/MAD baselines of the training features and plain-words reasons for flagged SKU-days. */
#include "core/explain.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 160 /* one reason; the longest real one is under 100 characters */

static void swap_floats(float *v, int64_t i, int64_t j)
{
        float t = v[i];
        v[i] = v[j];
        v[j] = t;
}

/* The k-th smallest (from 0) of the n finite values v, leaving v[0..k) <= v[k]: Hoare's
 * selection around a median of three, expected linear time. */
static float select_kth(float *v, uint32_t n, uint32_t k)
{
        int64_t lo = 0, hi = (int64_t)n - 1;
        while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
                if (v[mid] < v[lo])
                        swap_floats(v, mid, lo);
                if (v[hi] < v[lo])
                        swap_floats(v, hi, lo);
                if (v[hi] < v[mid])
                        swap_floats(v, hi, mid);
                float pivot = v[mid];
                while (i <= j) { /* after: v[lo..j] <= pivot, v[i..hi] >= pivot, between == */
                        while (v[i] < pivot)
                                i++;
                        while (v[j] > pivot)
                                j--;
                        if (i <= j)
                                swap_floats(v, i++, j--);
                }
                if ((int64_t)k <= j)
                        hi = j;
                else if ((int64_t)k >= i)
                        lo = i;
                else
                        return v[k];
        }
        return v[k];
}

/* Median of the n >= 1 finite values v (reordered), the mean of the middle two for even n;
 * -0 comes out as 0, so the result does not depend on the order of equal values. */
static float median(float *v, uint32_t n)
{
        float upper = select_kth(v, n, n / 2), m = upper;
        if (n % 2 == 0) {
                float lower = v[0];
                for (uint32_t i = 1; i < n / 2; i++)
                        lower = v[i] > lower ? v[i] : lower;
                m = (float)(((double)lower + upper) / 2);
        }
        return m + 0.0f;
}

/* The finite values of feature f over n rows, into scratch: returns how many. */
static uint32_t finite_values(const float *rows, uint32_t n, int f, float *scratch)
{
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
                float x = rows[(size_t)i * SW_FEAT_COUNT + f];
                if (isfinite(x))
                        scratch[m++] = x;
        }
        return m;
}

int sw_feature_stats_compute(const float *rows, uint32_t n, float *scratch,
                             struct sw_feature_stats *ret)
{
        struct sw_feature_stats st;
        if (n == 0)
                return -EINVAL;
        memset(&st, 0, sizeof(st));
        for (int f = 0; f < SW_FEAT_COUNT; f++) {
                uint32_t m = finite_values(rows, n, f, scratch);
                if (m == 0)
                        continue;
                st.median[f] = median(scratch, m);
                for (uint32_t i = 0; i < m; i++)
                        scratch[i] = fabsf(scratch[i] - st.median[f]);
                st.mad[f] = median(scratch, m);
        }
        *ret = st;
        return 0;
}

int sw_feature_stats_tails(const float *rows, uint32_t n, float *scratch, double tail,
                           struct sw_feature_stats *st)
{
        if (n == 0 || !(tail > 0.0 && tail < 0.5))
                return -EINVAL;
        for (int f = 0; f < SW_FEAT_COUNT; f++) {
                uint32_t m = finite_values(rows, n, f, scratch);
                st->tail_lo[f] = st->tail_hi[f] = 0.0f;
                if (m == 0)
                        continue;
                uint32_t lo = (uint32_t)floor(tail * (m - 1)),
                         hi = (uint32_t)ceil((1 - tail) * (m - 1));
                st->tail_lo[f] = select_kth(scratch, m, lo) + 0.0f;
                st->tail_hi[f] = select_kth(scratch, m, hi) + 0.0f;
        }
        st->tail = (float)tail;
        return 0;
}

unsigned sw_feature_rare(const struct sw_feature_stats *st, const float x[SW_FEAT_COUNT])
{
        unsigned mask = 0;
        if (!st || !(st->tail > 0.0f))
                return 0;
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                if (x[f] < st->tail_lo[f] || x[f] > st->tail_hi[f])
                        mask |= 1u << f;
        return mask;
}

/* ---- reasons ---- */

static const char *const weekday_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                             "Friday", "Saturday", "Sunday"};

/* A unit count: whole numbers without decimals, else one decimal (a median may be x.5). */
static const char *fmt_units(double v, char buf[48])
{
        v += 0.0; /* -0 prints as 0 */
        if (fabs(v) < 1e15 && v == floor(v))
                snprintf(buf, 48, "%.0f", v);
        else
                snprintf(buf, 48, "%.1f", v);
        return buf;
}

/* Whole percent of a ratio, clamped so that a runaway value cannot overflow. */
static long percent(double ratio)
{
        double p = fabs(ratio) * 100;
        return p > 1e9 ? 1000000000L : lround(p);
}

/*
 * Whether x is high (+1), low (-1) or neither (0) against the training median; without
 * stats on-hand is compared to a week of sales and turnover to 1 (a week of stock), the
 * others have no reference.
 */
static int direction(enum sw_feature f, const float x[SW_FEAT_COUNT],
                     const struct sw_feature_stats *stats)
{
        double ref;
        if (stats)
                ref = stats->median[f];
        else if (f == SW_FEAT_ON_HAND)
                ref = x[SW_FEAT_SALES_7D];
        else if (f == SW_FEAT_STOCK_TURNOVER)
                ref = 1;
        else
                return 0;
        return (x[f] > ref) - (x[f] < ref);
}

/* What a feature's reason is said from: its value, high or low, and as a whole percent. */
struct reason_in {
        const float *x;                       /* the SKU-day's SW_FEAT_COUNT features */
        const struct sw_feature_stats *stats; /* the training medians, or NULL */
        double v;                             /* the feature's value */
        int dir;                              /* direction() of it */
        long pct;                             /* percent() of it */
};

static void reason_sales(const struct reason_in *in, char *out)
{
        char a[48], b[48];
        if (in->v <= 0 && in->dir <= 0)
                snprintf(out, REASON_MAX, "No sales this week");
        else if (in->dir > 0)
                snprintf(out, REASON_MAX, "High sales (%s units this week vs %s typical)",
                         fmt_units(in->v, a), fmt_units(in->stats->median[SW_FEAT_SALES_7D], b));
        else if (in->dir < 0)
                snprintf(out, REASON_MAX, "Low sales (%s units this week vs %s typical)",
                         fmt_units(in->v, a), fmt_units(in->stats->median[SW_FEAT_SALES_7D], b));
        else
                snprintf(out, REASON_MAX, "Unusual weekly sales (%s units)", fmt_units(in->v, a));
}

static void reason_trend(const struct reason_in *in, char *out)
{
        long p = in->pct;
        if (!isfinite(in->v))
                snprintf(out, REASON_MAX, "Unusual sales trend");
        else if (p == 0)
                snprintf(out, REASON_MAX, "Sales flat vs last week");
        else if (in->v > 0)
                snprintf(out, REASON_MAX, "Sales %s %ld%% vs last week", p >= 50 ? "spiked" : "up",
                         p);
        else
                snprintf(out, REASON_MAX, "Sales %s %ld%% vs last week",
                         p >= 50 ? "dropped" : "down", p);
}

static void reason_stock(const struct reason_in *in, char *out)
{
        char a[48], b[48];
        double q = in->v, s7 = in->x[SW_FEAT_SALES_7D];
        fmt_units(q, a);
        fmt_units(s7, b);
        if (q < 0)
                snprintf(out, REASON_MAX, "Negative stock on book (%s units)", a);
        else if (q == 0 && in->dir <= 0)
                snprintf(out, REASON_MAX, "Out of stock on book (0 units)");
        else if (in->dir > 0 && q > s7)
                snprintf(out, REASON_MAX, "Overstock detected (%s units vs %s weekly sales)", a, b);
        else if (in->dir > 0)
                snprintf(out, REASON_MAX, "High stock (%s units vs %s weekly sales)", a, b);
        else if (in->dir < 0)
                snprintf(out, REASON_MAX, "Low stock (%s units vs %s weekly sales)", a, b);
        else
                snprintf(out, REASON_MAX, "Unusual stock level (%s units vs %s weekly sales)", a,
                         b);
}

static void reason_price(const struct reason_in *in, char *out)
{
        if (!(in->v > 0))
                snprintf(out, REASON_MAX, "Price unknown");
        else if (in->dir > 0)
                snprintf(out, REASON_MAX, "Unusually high price (%.2f vs %.2f typical)", in->v,
                         (double)in->stats->median[SW_FEAT_UNIT_PRICE]);
        else if (in->dir < 0)
                snprintf(out, REASON_MAX, "Unusually low price (%.2f vs %.2f typical)", in->v,
                         (double)in->stats->median[SW_FEAT_UNIT_PRICE]);
        else
                snprintf(out, REASON_MAX, "Unusual price (%.2f)", in->v);
}

static void reason_weekday(const struct reason_in *in, char *out)
{
        if (in->v >= 0 && in->v <= 6)
                snprintf(out, REASON_MAX, "Unusual for a %s", weekday_names[lround(in->v)]);
        else
                snprintf(out, REASON_MAX, "Unusual day of the week");
}

static void reason_holiday(const struct reason_in *in, char *out)
{
        snprintf(out, REASON_MAX, "%s",
                 in->v >= 0.5 ? "Holiday trading" : "Unusual for a non-holiday");
}

static void reason_turnover(const struct reason_in *in, char *out)
{
        if (in->dir > 0)
                snprintf(out, REASON_MAX, "Fast-moving (%.2fx turnover)", in->v);
        else if (in->dir < 0)
                snprintf(out, REASON_MAX, "Slow-moving (%.2fx turnover)", in->v);
        else
                snprintf(out, REASON_MAX, "Unusual turnover (%.2fx)", in->v);
}

static void reason_vs_avg(const struct reason_in *in, char *out)
{
        long p = in->pct;
        if (!isfinite(in->v))
                snprintf(out, REASON_MAX, "Unusual price for the category");
        else if (p > 0 && in->v > 0)
                snprintf(out, REASON_MAX, "Price %ld%% above category average", p);
        else if (p > 0)
                snprintf(out, REASON_MAX, "Price %ld%% below category average", p);
        else if (!(in->x[SW_FEAT_UNIT_PRICE] > 0))
                snprintf(out, REASON_MAX, "Price unknown");
        else
                snprintf(out, REASON_MAX, "Price in line with category average");
}

/* The reason each feature gives, in out[REASON_MAX]. A new feature needs its entry here. */
_Static_assert(SW_FEAT_COUNT == 8, "reason_words names one reason per feature");
static void (*const reason_words[SW_FEAT_COUNT])(const struct reason_in *in, char *out) = {
    [SW_FEAT_SALES_7D] = reason_sales,          [SW_FEAT_SALES_TREND_7D] = reason_trend,
    [SW_FEAT_ON_HAND] = reason_stock,           [SW_FEAT_UNIT_PRICE] = reason_price,
    [SW_FEAT_DAY_OF_WEEK] = reason_weekday,     [SW_FEAT_IS_HOLIDAY] = reason_holiday,
    [SW_FEAT_STOCK_TURNOVER] = reason_turnover, [SW_FEAT_PRICE_VS_AVG] = reason_vs_avg,
};

/* Feature f's reason for the SKU-day x, in out[REASON_MAX]. */
static void reason_text(enum sw_feature f, const float x[SW_FEAT_COUNT],
                        const struct sw_feature_stats *stats, char *out)
{
        struct reason_in in = {.x = x, .stats = stats, .v = x[f]};
        in.dir = direction(f, x, stats);
        in.pct = percent(in.v);
        reason_words[f](&in, out);
}

int sw_explain_by_share(const double weight[SW_FEAT_COUNT], int order[SW_FEAT_COUNT])
{
        /* A share of exactly 1/SW_FEAT_COUNT (an even split) counts, despite rounding. */
        const double min_share = 1.0 / SW_FEAT_COUNT - 1e-9;
        int n = 0;
        for (int f = 0; f < SW_FEAT_COUNT; f++) {
                if (!(weight[f] >= min_share))
                        continue;
                int k = n++;
                /* insertion keeps ties in feature order */
                while (k > 0 && weight[order[k - 1]] < weight[f]) {
                        order[k] = order[k - 1];
                        k--;
                }
                order[k] = f;
        }
        return n;
}

/* Weights when the forest gave no contributions: robust distance from the training median. */
static void robust_weights(const float x[SW_FEAT_COUNT], const struct sw_feature_stats *stats,
                           double ret[SW_FEAT_COUNT])
{
        double sum = 0;
        for (int f = 0; f < SW_FEAT_COUNT; f++) {
                double m = stats->median[f], mad = stats->mad[f];
                /* MAD 0 (most values equal): any difference is far, but stays finite. */
                double den = mad > 0 ? mad : 1e-3 * fmax(1, fabs(m));
                ret[f] = isfinite(x[f]) ? fabs(x[f] - m) / den : 0;
                sum += ret[f];
        }
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                ret[f] = sum > 0 ? ret[f] / sum : 0;
}

int sw_explain_begin(char *buf, size_t size, unsigned *max_reasons)
{
        if (size < 1)
                return -ENOSPC;
        buf[0] = '\0';
        if (*max_reasons == 0)
                *max_reasons = SW_EXPLAIN_DEFAULT_REASONS;
        return 0;
}

bool sw_explain_append(char *buf, size_t size, size_t *pos, const char *s)
{
        size_t sep = *pos ? strlen(SW_EXPLAIN_SEPARATOR) : 0, len = strlen(s);
        if (*pos + sep + len < size) {
                memcpy(buf + *pos, SW_EXPLAIN_SEPARATOR, sep);
                memcpy(buf + *pos + sep, s, len);
                *pos += sep + len;
                buf[*pos] = '\0';
                return true;
        }
        if (*pos == 0) {
                len = size - 1;
                memcpy(buf, s, len);
                buf[len] = '\0';
                *pos = len;
        }
        return false;
}

int sw_explain(const float features[SW_FEAT_COUNT], const double contributions[SW_FEAT_COUNT],
               const struct sw_feature_stats *stats, unsigned max_reasons, char *buf, size_t size)
{
        double weight[SW_FEAT_COUNT] = {0};
        int order[SW_FEAT_COUNT], n;
        char texts[SW_FEAT_COUNT][REASON_MAX];
        unsigned emitted = 0;
        size_t pos = 0;

        if (sw_explain_begin(buf, size, &max_reasons) < 0)
                return -ENOSPC;
        if (contributions)
                memcpy(weight, contributions, sizeof(weight));
        else if (stats)
                robust_weights(features, stats, weight);

        n = sw_explain_by_share(weight, order);
        for (int k = 0; k < n && emitted < max_reasons; k++) {
                bool dup = false;
                reason_text((enum sw_feature)order[k], features, stats, texts[emitted]);
                for (unsigned j = 0; j < emitted; j++)
                        dup = dup || strcmp(texts[j], texts[emitted]) == 0;
                if (dup)
                        continue;
                if (!sw_explain_append(buf, size, &pos, texts[emitted]))
                        break;
                emitted++;
        }
        if (n == 0)
                sw_explain_append(buf, size, &pos, "Unusual combination of sales, stock and price");
        return (int)pos;
}
