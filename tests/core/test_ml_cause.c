/* Unit tests of the actionable causes of ml_detected (core/ml_cause.c), hand-computed. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ml_cause.h"
#include "tests/support/test_main.h"

#define D 20000 /* as_of */

static const struct sw_ml_cause_params P = {.price_ratio = 1.5,
                                            .spike_ratio = 4.0,
                                            .spike_min_units = 10.0,
                                            .overstock_weeks = 16.0,
                                            .overstock_min_units = 20.0};

static void assert_near(double got, double want)
{
        if (!(fabs(got - want) <= 1e-4 * fmax(1.0, fabs(want))))
                fail_msg("%.9g != %.9g", got, want);
}

static float x[SW_FEAT_COUNT];     /* the SKU-day's features */
static double c[SW_FEAT_COUNT];    /* their contributions to its score */
static struct sw_scaled_detail dt; /* the figures its description quotes */

/* Each test starts from no features, no contributions, and a SKU at its usual level. */
static int setup(void **state)
{
        (void)state;
        memset(x, 0, sizeof(x));
        memset(c, 0, sizeof(c));
        dt = (struct sw_scaled_detail){.as_of = D,
                                       .has_level = true,
                                       .level = 1.0,
                                       .mean_level = 1.0,
                                       .receipt = {0},
                                       .paid = {.from = SW_DAY_NONE}};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return 0;
}

/* Contributions: `share` for feature f, the rest spread evenly below 1/8. */
static void one_share(int f, double share)
{
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                c[k] = (1.0 - share) / (SW_FEAT_COUNT - 1);
        c[f] = share;
}

/* The price file says 30 where the established price is 6: the verdict. */
static struct sw_ml_verdict list_price_5x(void)
{
        dt.list = 30.0;
        dt.list_prev = 6.0;
        x[SW_SF_LIST_CHANGE] = (float)log(5.0);
        one_share(SW_SF_LIST_CHANGE, 0.5);
        return sw_ml_cause_find(&P, x, c, 0, &dt);
}

static void describe(const struct sw_ml_verdict *v, const char *want)
{
        char buf[192];
        int n = sw_ml_cause_describe(v, x, c, &dt, 3, buf, sizeof(buf));
        assert_int_equal(n, (int)strlen(want));
        assert_string_equal(buf, want);
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(sw_ml_cause_name(SW_ML_CAUSE_NONE), "none");
        assert_string_equal(sw_ml_cause_name(SW_ML_CAUSE_LIST_PRICE), "list_price");
        assert_string_equal(sw_ml_cause_name(SW_ML_CAUSE_PAID_PRICE), "paid_price");
        assert_string_equal(sw_ml_cause_name(SW_ML_CAUSE_SALES_SPIKE), "sales_spike");
        assert_string_equal(sw_ml_cause_name(SW_ML_CAUSE_OVERSTOCK), "overstock");
}

/* The price file says 30 where the established price is 6: ln 5 / ln 1.5 = 3.969. */
static void test_list_price(void **state)
{
        struct sw_ml_verdict v = list_price_5x();
        (void)state;
        assert_int_equal(v.cause, SW_ML_CAUSE_LIST_PRICE);
        assert_int_equal(v.feature, SW_SF_LIST_CHANGE);
        assert_int_equal(v.action, SW_ACTION_CHECK_PRICE);
        assert_false(v.rare);
        assert_near(v.strength, log(5.0) / log(1.5));
        describe(&v, "List price 30.00 is 5.00x the previous 6.00 (changed 1 day ago)");
        /* 1.4x is no price error at a bound of 1.5x; nor is a change without a previous price. */
        x[SW_SF_LIST_CHANGE] = (float)log(1.4);
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
        x[SW_SF_LIST_CHANGE] = (float)log(5.0);
        dt.list_prev = 0.0;
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
}

/* The registers charged 0.4x the list on 3 of 4 lines: mean 0.75 ln 0.4 = -0.687, strength
 * 0.687 / ln 1.5 = 1.695. Its share is small, but the value is rare on its own. */
static void test_paid_price_named_when_rare(void **state)
{
        (void)state;
        dt.list = 10.0;
        dt.paid = (struct sw_paid_summary){.mean_log = 0.75 * log(0.4),
                                           .off_mean = log(0.4),
                                           .off_lines = 3,
                                           .lines = 4,
                                           .from = D - 2};
        x[SW_SF_PAID_VS_LIST] = (float)dt.paid.mean_log;
        one_share(SW_SF_SALES_VS_USUAL, 0.86);
        c[SW_SF_PAID_VS_LIST] = 0.02;
        /* Not rare, and no share: the sales feature is no cause (0 = usual sales). */
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
        struct sw_ml_verdict v = sw_ml_cause_find(&P, x, c, 1u << SW_SF_PAID_VS_LIST, &dt);
        assert_int_equal(v.cause, SW_ML_CAUSE_PAID_PRICE);
        assert_true(v.rare);
        assert_int_equal(v.action, SW_ACTION_CHECK_PRICE);
        assert_near(v.strength, -0.75 * log(0.4) / log(1.5));
        describe(&v,
                 "Registers charged 0.40x the list price 10.00 on 3 of 4 lines since 2 days ago | "
                 "Sales 0 units in 7 days (usually none)");
}

/* 60 units in 7 days against 10 usual: (60 + 5) / (10 + 5) = 4.333, strength ln 4.333 / ln 4. */
static void test_sales_spike(void **state)
{
        (void)state;
        dt.s7 = 60, dt.e7 = 10, dt.s3 = 45, dt.e3 = 4.5;
        x[SW_SF_SALES_VS_USUAL] = (float)log(65.0 / 15.0);
        x[SW_SF_SALES_3D] = (float)log(49.0 / 8.5);
        x[SW_SF_TREND] = (float)log(2.0);
        c[SW_SF_SALES_VS_USUAL] = 0.3, c[SW_SF_SALES_3D] = 0.25, c[SW_SF_TREND] = 0.2;
        c[SW_SF_COVER] = 0.25;
        struct sw_ml_verdict v = sw_ml_cause_find(&P, x, c, 0, &dt);
        assert_int_equal(v.cause, SW_ML_CAUSE_SALES_SPIKE);
        assert_int_equal(v.feature, SW_SF_SALES_VS_USUAL);
        assert_int_equal(v.action, SW_ACTION_INVESTIGATE);
        assert_near(v.strength, log(65.0 / 15.0) / log(4.0));
        describe(&v,
                 "Sales 6.0x usual (60 units in 7 days vs 10 usual) | Sales 10.0x usual (45 units "
                 "in 3 days vs 4.5 usual) | Nothing on the book (0 units)");
        /* The 3-day window names it when the week does not reach the ratio: (30 + 5) / 15. */
        dt.s7 = 30;
        v = sw_ml_cause_find(&P, x, c, 0, &dt);
        assert_int_equal(v.feature, SW_SF_SALES_3D);
        assert_near(v.strength, log(49.0 / 8.5) / log(4.0));
        /* Too few units above usual, or no usual level yet: no spike. */
        struct sw_ml_cause_params q = P;
        q.spike_min_units = 41.0;
        assert_int_equal(sw_ml_cause_find(&q, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
        dt.has_level = false;
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
}

/* 300 on hand, 30 weeks of 10 a week; 290 of them came in this week, 29x the delivery before
 * (10) and the stock it joined (10): strength ln 31 / ln 17 = 1.212. */
static void test_overstock(void **state)
{
        (void)state;
        dt.on_hand = 300;
        dt.mean_level = 10.0 / 7.0;
        dt.cover_weeks = 30.0;
        dt.receipt =
            (struct sw_receipt_watch){.day = D - 2, .units = 290, .usual = 10, .before = 10};
        x[SW_SF_COVER] = (float)log(31.0);
        x[SW_SF_RECEIPT] = (float)log(30.0);
        one_share(SW_SF_RECEIPT, 0.4);
        c[SW_SF_COVER] = 0.3;
        c[SW_SF_SALES_VS_USUAL] = 0.3 - 5 * (0.6 / 7);
        struct sw_ml_verdict v = sw_ml_cause_find(&P, x, c, 0, &dt);
        assert_int_equal(v.cause, SW_ML_CAUSE_OVERSTOCK);
        assert_int_equal(v.feature, SW_SF_COVER); /* said as the cover */
        assert_int_equal(v.action, SW_ACTION_CYCLE_COUNT);
        assert_near(v.strength, log(31.0) / log(17.0));
        describe(&v, "Overstock: 300 on hand, 30.0 weeks of usual sales (10 a week) | Received 290 "
                     "units this week (the delivery before: 10)");
        /* The usual delivery is 100: 290 is no overstock; nor without a recent delivery, nor
         * without weeks of sales to judge the cover by. */
        dt.receipt.usual = 100;
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
        dt.receipt.usual = 10;
        dt.receipt.units = 100; /* under half of the 300 */
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
        dt.receipt.units = 290;
        dt.has_level = false;
        assert_int_equal(sw_ml_cause_find(&P, x, c, 0, &dt).cause, SW_ML_CAUSE_NONE);
}

/* A sales drop, a price far from the category, a trend alone: no cause to fix. */
static void test_no_actionable_cause(void **state)
{
        (void)state;
        dt.s7 = 0, dt.e7 = 70, dt.list = 99.0;
        x[SW_SF_SALES_VS_USUAL] = (float)log(5.0 / 75.0);
        x[SW_SF_PRICE_VS_CAT] = (float)log(3.0);
        x[SW_SF_TREND] = (float)log(0.1);
        c[SW_SF_SALES_VS_USUAL] = 0.4, c[SW_SF_PRICE_VS_CAT] = 0.35, c[SW_SF_TREND] = 0.25;
        unsigned all = (1u << SW_FEAT_COUNT) - 1;
        struct sw_ml_verdict v = sw_ml_cause_find(&P, x, c, all, &dt);
        assert_int_equal(v.cause, SW_ML_CAUSE_NONE);
        assert_int_equal(v.feature, -1);
        assert_near(v.strength, 0.0);
        describe(&v,
                 "Sales 100% below usual (0 units in 7 days vs 70 usual) | Price 200% above its "
                 "category's typical | Sales down 90% vs last week");
}

static void test_describe_buffer(void **state)
{
        char buf[20];
        struct sw_ml_verdict v = list_price_5x();
        (void)state;
        assert_int_equal(sw_ml_cause_describe(&v, x, c, &dt, 3, buf, 0), -ENOSPC);
        /* The first reason alone is cut to fit. */
        assert_int_equal(sw_ml_cause_describe(&v, x, c, &dt, 3, buf, sizeof(buf)), 19);
        assert_string_equal(buf, "List price 30.00 is");
        assert_int_equal(sw_ml_cause_describe(&v, x, c, &dt, 3, buf, 1), 0);
        assert_string_equal(buf, "");
        /* Nothing with a share and no cause: a plain fallback. */
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                c[k] = 0.0;
        v = sw_ml_cause_find(&P, x, c, 0, &dt);
        char big[100];
        sw_ml_cause_describe(&v, x, c, &dt, 3, big, sizeof(big));
        assert_string_equal(big, "Unusual combination of sales, stock and price");
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_names),
        SW_TEST_FRESH(test_list_price),
        SW_TEST_FRESH(test_paid_price_named_when_rare),
        SW_TEST_FRESH(test_sales_spike),
        SW_TEST_FRESH(test_overstock),
        SW_TEST_FRESH(test_no_actionable_cause),
        SW_TEST_FRESH(test_describe_buffer))
/* clang-format on */
