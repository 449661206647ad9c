/* Unit tests of the baseline statistics and the plain-words explanations (core/explain.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/explain.h"
#include "core/features.h"
#include "tests/support/test_main.h"

#define SPIKE    "Sales spiked 200% vs last week"
#define ABOVE    "Price 39% above category average"
#define OVER     "Overstock detected (189 units vs 2 weekly sales)"
#define SLOW     "Slow-moving (0.01x turnover)"
#define FALLBACK "Unusual combination of sales, stock and price"

/* A training baseline: a typical SKU sells 12 a week, holds 20, costs 12.50, turns 0.5. */
static const struct sw_feature_stats baseline = {
    .median = {12, 0, 20, 12.5f, 3, 0, 0.5f, 0},
    .mad = {5, 0.3f, 10, 4, 2, 0, 0.3f, 0.15f},
};

/* A week selling 3 a day after 1 a day, 39% dearer than its category. */
static const float spike_x[SW_FEAT_COUNT] = {21, 2.0f, 50, 27.8f, 0, 0, 0.42f, 0.39f};
static const double spike_c[SW_FEAT_COUNT] = {0.05, 0.40, 0.05, 0.05, 0.05, 0.05, 0.05, 0.30};
/* 189 on hand, 2 sold this week. */
static const float over_x[SW_FEAT_COUNT] = {2, 0, 189, 5, 2, 0, 2.0f / 189, 0};
static const double over_c[SW_FEAT_COUNT] = {0.04, 0.04, 0.45, 0.04, 0.04, 0.04, 0.35, 0};

static void copy_x(float *dst, const float *src)
{
        memcpy(dst, src, SW_FEAT_COUNT * sizeof(float));
}

/* All of the contribution on feature f. */
static void only(enum sw_feature f, double c[SW_FEAT_COUNT])
{
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                c[k] = k == (int)f ? 1.0 : 0.0;
}

/* A feature's value, the week's sales and unit price around it, and the single reason it gives. */
struct phrase_case {
        enum sw_feature f;
        float v;          /* the feature's value */
        float sales_7d;   /* x[SW_FEAT_SALES_7D] (on-hand is judged against it) */
        float unit_price; /* x[SW_FEAT_UNIT_PRICE] (0: price_vs_avg has no price) */
        const char *want;
};

/* The single reason each case gives (other features as in spike_x); a failure names the row. */
static void assert_phrases(const struct phrase_case *pc, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                float x[SW_FEAT_COUNT];
                double c[SW_FEAT_COUNT];
                char buf[192];
                copy_x(x, spike_x);
                x[SW_FEAT_SALES_7D] = pc[i].sales_7d;
                x[SW_FEAT_UNIT_PRICE] = pc[i].unit_price;
                x[pc[i].f] = pc[i].v;
                only(pc[i].f, c);
                int len = sw_explain(x, c, &baseline, 0, buf, sizeof(buf));
                if (len != (int)strlen(pc[i].want) || strcmp(buf, pc[i].want) != 0)
                        fail_msg("phrase row %zu (feature %d = %g): got %d \"%s\", want \"%s\"", i,
                                 (int)pc[i].f, (double)pc[i].v, len, buf, pc[i].want);
        }
}

static void test_stats_median_mad(void **state)
{
        float rows[5 * SW_FEAT_COUNT], scratch[5];
        struct sw_feature_stats st;
        static const float col0[5] = {4, 100, 1, 3, 2};
        (void)state;
        for (int i = 0; i < 5; i++) {
                for (int f = 0; f < SW_FEAT_COUNT; f++)
                        rows[i * SW_FEAT_COUNT + f] = 7;
                rows[i * SW_FEAT_COUNT + 0] = col0[i];
                rows[i * SW_FEAT_COUNT + 1] = (float)(i % 2);          /* 0 1 0 1 0 */
                rows[i * SW_FEAT_COUNT + 2] = i == 1 ? NAN : (float)i; /* 0 2 3 4, NaN ignored */
                rows[i * SW_FEAT_COUNT + 3] = i == 4 ? INFINITY : -(float)i;
                rows[i * SW_FEAT_COUNT + 4] = NAN; /* nothing finite */
        }
        assert_int_equal(sw_feature_stats_compute(rows, 5, scratch, &st), 0);
        /* 1 2 3 4 100: median 3; deviations 0 1 1 2 97: MAD 1. The outlier moves neither. */
        assert_float_equal(st.median[0], 3, 0);
        assert_float_equal(st.mad[0], 1, 0);
        assert_float_equal(st.median[1], 0, 0);
        assert_float_equal(st.mad[1], 0, 0);
        /* Even count 0 2 3 4: median 2.5; deviations 2.5 0.5 0.5 1.5: MAD (0.5 + 1.5) / 2 = 1. */
        assert_float_equal(st.median[2], 2.5, 0);
        assert_float_equal(st.mad[2], 1, 0);
        /* 0 -1 -2 -3 (inf ignored): median -1.5; deviations 1.5 0.5 0.5 1.5: MAD 1. */
        assert_float_equal(st.median[3], -1.5, 0);
        assert_float_equal(st.mad[3], 1, 0);
        assert_float_equal(st.median[4], 0, 0);
        assert_float_equal(st.mad[4], 0, 0);
        assert_float_equal(st.median[7], 7, 0);
        assert_float_equal(st.mad[7], 0, 0);

        /* One row: itself, MAD 0. n = 0: -EINVAL, ret untouched. */
        assert_int_equal(sw_feature_stats_compute(rows + 3 * SW_FEAT_COUNT, 1, scratch, &st), 0);
        assert_float_equal(st.median[0], 3, 0);
        assert_float_equal(st.mad[0], 0, 0);
        st.median[0] = 42;
        assert_int_equal(sw_feature_stats_compute(rows, 0, scratch, &st), -EINVAL);
        assert_float_equal(st.median[0], 42, 0);
}

static int ref_cmp(const void *a, const void *b)
{
        float x = *(const float *)a, y = *(const float *)b;
        return (x > y) - (x < y);
}

/* Median by sorting, the textbook way (the mean of the middle two for an even count). */
static float ref_median(float *v, uint32_t n)
{
        qsort(v, n, sizeof(*v), ref_cmp);
        float m = n % 2 ? v[n / 2] : (float)(((double)v[n / 2 - 1] + v[n / 2]) / 2);
        return m + 0.0f;
}

/* Median and MAD by selection equal the sorting reference, bit for bit, on random columns
 * full of ties (few distinct values, signed zeros) and on spread-out ones, odd and even. */
static void test_stats_equal_sorting(void **state)
{
        enum { MAX_N = 301 };
        static float rows[MAX_N * SW_FEAT_COUNT], scratch[MAX_N], col[MAX_N];
        uint64_t x = 0x2545f4914f6cdd1du;
        (void)state;
        for (uint32_t n = 1; n <= MAX_N; n += (n < 20 ? 1 : 7)) {
                for (int round = 0; round < 20; round++) {
                        for (uint32_t i = 0; i < n * SW_FEAT_COUNT; i++) {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                                int f = (int)(i % SW_FEAT_COUNT);
                                float v =
                                    f < 3 ? (float)(x % (uint64_t)(2 + f)) - 1.0f /* ties: -1 0 1 */
                                          : (float)((double)(x >> 11) / 9007199254740992.0 * 200 -
                                                    100);
                                rows[i] = (f == 2 && x % 3 == 0) ? -0.0f : v;
                        }
                        struct sw_feature_stats st;
                        assert_int_equal(sw_feature_stats_compute(rows, n, scratch, &st), 0);
                        for (int f = 0; f < SW_FEAT_COUNT; f++) {
                                for (uint32_t i = 0; i < n; i++)
                                        col[i] = rows[(size_t)i * SW_FEAT_COUNT + f];
                                float med = ref_median(col, n);
                                for (uint32_t i = 0; i < n; i++)
                                        col[i] = fabsf(col[i] - med);
                                float mad = ref_median(col, n);
                                assert_memory_equal(&st.median[f], &med, sizeof(med));
                                assert_memory_equal(&st.mad[f], &mad, sizeof(mad));
                        }
                }
        }
}

/* The two examples of the previous system's wording, exactly. */
static void test_examples(void **state)
{
        char buf[192];
        (void)state;
        assert_int_equal(sw_explain(spike_x, spike_c, &baseline, 0, buf, sizeof(buf)),
                         (int)strlen(SPIKE " | " ABOVE));
        assert_string_equal(buf, SPIKE " | " ABOVE);
        assert_int_equal(sw_explain(over_x, over_c, &baseline, 0, buf, sizeof(buf)),
                         (int)strlen(OVER " | " SLOW));
        assert_string_equal(buf, OVER " | " SLOW);
        /* Without a baseline on-hand is judged against a week of sales, turnover against 1. */
        assert_int_equal(sw_explain(over_x, over_c, NULL, 0, buf, sizeof(buf)),
                         (int)strlen(OVER " | " SLOW));
        assert_string_equal(buf, OVER " | " SLOW);
}

static void test_order_by_contribution(void **state)
{
        double c[SW_FEAT_COUNT];
        char buf[512];
        (void)state;
        memcpy(c, spike_c, sizeof(c));
        c[SW_FEAT_SALES_TREND_7D] = 0.30;
        c[SW_FEAT_PRICE_VS_AVG] = 0.40;
        sw_explain(spike_x, c, &baseline, 0, buf, sizeof(buf));
        assert_string_equal(buf, ABOVE " | " SPIKE);
        /* A tie keeps feature order (trend before price_vs_avg). */
        c[SW_FEAT_SALES_TREND_7D] = 0.35;
        c[SW_FEAT_PRICE_VS_AVG] = 0.35;
        sw_explain(spike_x, c, &baseline, 0, buf, sizeof(buf));
        assert_string_equal(buf, SPIKE " | " ABOVE);
        /* Under 1/8 is not a reason; exactly 1/8 (an even split) is. */
        c[SW_FEAT_SALES_TREND_7D] = 0.58;
        c[SW_FEAT_PRICE_VS_AVG] = 0.12;
        sw_explain(spike_x, c, &baseline, 0, buf, sizeof(buf));
        assert_string_equal(buf, SPIKE);
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                c[f] = 1.0 / SW_FEAT_COUNT;
        sw_explain(spike_x, c, &baseline, SW_FEAT_COUNT, buf, sizeof(buf));
        assert_string_equal(
            buf, "High sales (21 units this week vs 12 typical) | " SPIKE
                 " | Overstock detected (50 units vs 21 weekly sales) | "
                 "Unusually high price (27.80 vs 12.50 typical) | Unusual for a Monday | "
                 "Unusual for a non-holiday | Slow-moving (0.42x turnover) | " ABOVE);
}

static void test_max_reasons(void **state)
{
        double c[SW_FEAT_COUNT] = {0.3, 0.25, 0.2, 0.15, 0.1, 0, 0, 0};
        char buf[192];
        (void)state;
        sw_explain(spike_x, c, &baseline, 0, buf, sizeof(buf)); /* default 3 */
        assert_string_equal(buf, "High sales (21 units this week vs 12 typical) | " SPIKE
                                 " | Overstock detected (50 units vs 21 weekly sales)");
        sw_explain(spike_x, c, &baseline, 2, buf, sizeof(buf));
        assert_string_equal(buf, "High sales (21 units this week vs 12 typical) | " SPIKE);
        sw_explain(spike_x, c, &baseline, 1, buf, sizeof(buf));
        assert_string_equal(buf, "High sales (21 units this week vs 12 typical)");
        sw_explain(spike_x, c, &baseline, 100, buf, sizeof(buf)); /* only 4 reach 1/8 */
        assert_string_equal(buf, "High sales (21 units this week vs 12 typical) | " SPIKE
                                 " | Overstock detected (50 units vs 21 weekly sales) | "
                                 "Unusually high price (27.80 vs 12.50 typical)");
}

static void test_truncation(void **state)
{
        char buf[128];
        const char *both = SPIKE " | " ABOVE;
        (void)state;
        assert_int_equal(sw_explain(spike_x, spike_c, &baseline, 0, buf, 0), -ENOSPC);
        memset(buf, 'Z', sizeof(buf));
        assert_int_equal(sw_explain(spike_x, spike_c, &baseline, 0, buf, 1), 0);
        assert_string_equal(buf, "");
        assert_int_equal(buf[1], 'Z');
        /* Room for both and the NUL. */
        memset(buf, 'Z', sizeof(buf));
        assert_int_equal(sw_explain(spike_x, spike_c, &baseline, 0, buf, strlen(both) + 1),
                         (int)strlen(both));
        assert_string_equal(buf, both);
        assert_int_equal(buf[strlen(both) + 1], 'Z');
        /* One byte short: the second reason is left out whole. */
        memset(buf, 'Z', sizeof(buf));
        assert_int_equal(sw_explain(spike_x, spike_c, &baseline, 0, buf, strlen(both)),
                         (int)strlen(SPIKE));
        assert_string_equal(buf, SPIKE);
        assert_int_equal(buf[strlen(both)], 'Z');
        /* Not even the first fits: it is cut. */
        memset(buf, 'Z', sizeof(buf));
        assert_int_equal(sw_explain(spike_x, spike_c, &baseline, 0, buf, 11), 10);
        assert_string_equal(buf, "Sales spik");
        assert_int_equal(buf[11], 'Z');
}

static void test_deterministic(void **state)
{
        char a[192], b[192];
        (void)state;
        memset(a, 1, sizeof(a));
        memset(b, 2, sizeof(b));
        for (int i = 0; i < 3; i++) {
                assert_int_equal(sw_explain(over_x, over_c, &baseline, 0, a, sizeof(a)),
                                 sw_explain(over_x, over_c, &baseline, 0, b, sizeof(b)));
                assert_string_equal(a, b);
        }
}

/* Each feature's words, in both directions where that makes sense. */
static const struct phrase_case phrases[] = {
    {SW_FEAT_SALES_7D, 45, 21, 27.8f, "High sales (45 units this week vs 12 typical)"},
    {SW_FEAT_SALES_7D, 3, 21, 27.8f, "Low sales (3 units this week vs 12 typical)"},
    {SW_FEAT_SALES_7D, 0, 21, 27.8f, "No sales this week"},
    {SW_FEAT_SALES_7D, 12, 21, 27.8f, "Unusual weekly sales (12 units)"},

    {SW_FEAT_SALES_TREND_7D, 2.0f, 21, 27.8f, SPIKE},
    {SW_FEAT_SALES_TREND_7D, 0.2f, 21, 27.8f, "Sales up 20% vs last week"},
    {SW_FEAT_SALES_TREND_7D, -0.3f, 21, 27.8f, "Sales down 30% vs last week"},
    {SW_FEAT_SALES_TREND_7D, -1.0f, 21, 27.8f, "Sales dropped 100% vs last week"},
    {SW_FEAT_SALES_TREND_7D, 0, 21, 27.8f, "Sales flat vs last week"},

    {SW_FEAT_ON_HAND, 30, 40, 27.8f, "High stock (30 units vs 40 weekly sales)"},
    {SW_FEAT_ON_HAND, 41, 40, 27.8f, "Overstock detected (41 units vs 40 weekly sales)"},
    {SW_FEAT_ON_HAND, 3, 40, 27.8f, "Low stock (3 units vs 40 weekly sales)"},
    {SW_FEAT_ON_HAND, 0, 40, 27.8f, "Out of stock on book (0 units)"},
    {SW_FEAT_ON_HAND, -3, 40, 27.8f, "Negative stock on book (-3 units)"},
    {SW_FEAT_ON_HAND, 20, 40, 27.8f, "Unusual stock level (20 units vs 40 weekly sales)"},

    {SW_FEAT_UNIT_PRICE, 49.99f, 40, 27.8f, "Unusually high price (49.99 vs 12.50 typical)"},
    {SW_FEAT_UNIT_PRICE, 0.99f, 40, 27.8f, "Unusually low price (0.99 vs 12.50 typical)"},
    {SW_FEAT_UNIT_PRICE, 12.5f, 40, 27.8f, "Unusual price (12.50)"},
    {SW_FEAT_UNIT_PRICE, 0, 40, 27.8f, "Price unknown"},

    {SW_FEAT_DAY_OF_WEEK, 0, 40, 27.8f, "Unusual for a Monday"},
    {SW_FEAT_DAY_OF_WEEK, 6, 40, 27.8f, "Unusual for a Sunday"},
    {SW_FEAT_DAY_OF_WEEK, 9, 40, 27.8f, "Unusual day of the week"},

    {SW_FEAT_IS_HOLIDAY, 1, 40, 27.8f, "Holiday trading"},
    {SW_FEAT_IS_HOLIDAY, 0, 40, 27.8f, "Unusual for a non-holiday"},

    {SW_FEAT_STOCK_TURNOVER, 3.5f, 40, 27.8f, "Fast-moving (3.50x turnover)"},
    {SW_FEAT_STOCK_TURNOVER, 0.0106f, 40, 27.8f, SLOW},
    {SW_FEAT_STOCK_TURNOVER, 0.5f, 40, 27.8f, "Unusual turnover (0.50x)"},

    {SW_FEAT_PRICE_VS_AVG, 0.39f, 40, 27.8f, ABOVE},
    {SW_FEAT_PRICE_VS_AVG, -0.25f, 40, 27.8f, "Price 25% below category average"},
    {SW_FEAT_PRICE_VS_AVG, 0.004f, 40, 27.8f, "Price in line with category average"},
    {SW_FEAT_PRICE_VS_AVG, 0, 40, 0, "Price unknown"},
};

static void test_phrases(void **state)
{
        (void)state;
        assert_phrases(phrases, sizeof(phrases) / sizeof(phrases[0]));
}

/* A median of x.5 is shown with its decimal. */
static void test_fractional_median(void **state)
{
        struct sw_feature_stats st = baseline;
        double c[SW_FEAT_COUNT];
        char buf[192];
        (void)state;
        st.median[SW_FEAT_SALES_7D] = 12.5f;
        only(SW_FEAT_SALES_7D, c);
        sw_explain(spike_x, c, &st, 0, buf, sizeof(buf));
        assert_string_equal(buf, "High sales (21 units this week vs 12.5 typical)");
}

/* The same words twice are said once; nothing meaningful gives the fallback. */
static void test_duplicates_and_fallback(void **state)
{
        float x[SW_FEAT_COUNT];
        double c[SW_FEAT_COUNT] = {0};
        char buf[192];
        (void)state;
        copy_x(x, spike_x);
        x[SW_FEAT_UNIT_PRICE] = 0;
        x[SW_FEAT_PRICE_VS_AVG] = 0;
        c[SW_FEAT_UNIT_PRICE] = 0.4;
        c[SW_FEAT_PRICE_VS_AVG] = 0.35;
        c[SW_FEAT_SALES_TREND_7D] = 0.25;
        sw_explain(x, c, &baseline, 0, buf, sizeof(buf));
        assert_string_equal(buf, "Price unknown | " SPIKE);

        for (int f = 0; f < SW_FEAT_COUNT; f++)
                c[f] = NAN;
        assert_int_equal(sw_explain(spike_x, c, &baseline, 0, buf, sizeof(buf)),
                         (int)strlen(FALLBACK));
        assert_string_equal(buf, FALLBACK);
        sw_explain(spike_x, NULL, NULL, 0, buf, sizeof(buf));
        assert_string_equal(buf, FALLBACK);
}

/* Without contributions the robust distance from the median ranks the features. */
static void test_without_contributions(void **state)
{
        float x[SW_FEAT_COUNT] = {12, 0, 20, 12.5f, 3, 0, 0.5f, 0}; /* the median SKU ... */
        char buf[192];
        (void)state;
        x[SW_FEAT_ON_HAND] = 189;      /* (189 - 20) / 10 = 16.9 MADs */
        x[SW_FEAT_SALES_7D] = 2;       /* 2 MADs */
        x[SW_FEAT_STOCK_TURNOVER] = 0; /* 1.7 MADs */
        sw_explain(x, NULL, &baseline, 0, buf, sizeof(buf));
        assert_string_equal(buf, "Overstock detected (189 units vs 2 weekly sales)");
        x[SW_FEAT_SALES_TREND_7D] = -1;   /* 3.3 MADs */
        x[SW_FEAT_ON_HAND] = 60;          /* 4 MADs */
        x[SW_FEAT_STOCK_TURNOVER] = 0.5f; /* 0: shares 0.43, 0.36 and 0.21 (sales) */
        sw_explain(x, NULL, &baseline, 0, buf, sizeof(buf));
        assert_string_equal(
            buf, "Overstock detected (60 units vs 2 weekly sales) | Sales dropped 100% vs last "
                 "week | Low sales (2 units this week vs 12 typical)");
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_stats_median_mad),
        cmocka_unit_test(test_stats_equal_sorting),
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_order_by_contribution),
        cmocka_unit_test(test_max_reasons),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_fractional_median),
        cmocka_unit_test(test_duplicates_and_fallback),
        cmocka_unit_test(test_without_contributions))
/* clang-format on */
