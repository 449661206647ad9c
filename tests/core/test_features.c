/* Unit tests of the Isolation Forest's SKU-day features (core/features.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "core/features.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "tests/core/features_fixture.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define HISTORY_DAYS 28
#define JUNK         -12345.0f

struct fixture {
        struct sw_store_calendar cal;    /* holidays; the time-zone adapter is not used */
        double avg[MAX_CATEGORIES];      /* category averages */
        uint32_t counts[MAX_CATEGORIES]; /* their scratch */
};

static struct fixture fx;

/* The features only read holidays; a calendar adapter that would fail shows if they convert times.
 */
static int no_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret)
{
        (void)ctx;
        (void)unix_seconds;
        (void)ret;
        return -EIO;
}

static int setup(void **state)
{
        (void)state;
        memset(&fx, 0, sizeof(fx));
        features_table_init(16, HISTORY_DAYS, true);
        fx.cal.tz = (struct sw_calendar_adapter){.to_local = no_to_local};
        return 0;
}

static uint32_t add_sku(const char *key)
{
        uint32_t i;
        assert_int_equal(sw_sku_table_get_or_add(&skus, key, strlen(key), &i), 1);
        return i;
}

static void set_price(uint32_t i, float price, const char *category)
{
        struct sw_sku *s = sw_sku_at(&skus, i);
        s->price = price;
        s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE;
        if (category)
                assert_true(
                    sw_sku_table_category(&skus, category, strlen(category), &s->category) >= 0);
}

static void compute_ok(uint32_t i, sw_day_t as_of, float x[SW_FEAT_COUNT])
{
        sw_features_category_prices(&skus, fx.avg, fx.counts);
        assert_int_equal(sw_features_compute(&skus, i, as_of, &fx.cal, fx.avg, x), 0);
}

static void test_names(void **state)
{
        static const char *const want[SW_FEAT_COUNT] = {
            "sales_7d",    "sales_trend_7d", "quantity_on_hand", "unit_price",
            "day_of_week", "is_holiday",     "stock_turnover",   "price_vs_avg"};
        (void)state;
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                assert_string_equal(sw_feature_name((enum sw_feature)f), want[f]);
        assert_null(sw_feature_name(SW_FEAT_COUNT));
        assert_null(sw_feature_name((enum sw_feature) - 1));
}

/* 1 a day the week before, 3 a day this week: s7 = 21, trend (21 - 7) / 7 = +200%. */
static void test_sales_and_trend(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t i = add_sku("A");
        (void)state;
        sell(i, D - 14, D - 8, 1);
        sell(i, D - 7, D - 1, 3);
        sell(i, D, D, 50); /* as_of itself is not part of the features */
        compute_ok(i, D, x);
        assert_float_equal(x[SW_FEAT_SALES_7D], 21, 0);
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], 2.0, 1e-6);
        /* A week earlier: this week is the 1-a-day week; the week before it is before the
         * first day of data (unknown), so the trend is 0. */
        compute_ok(i, D - 7, x);
        assert_float_equal(x[SW_FEAT_SALES_7D], 7, 0);
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], 0, 0);
}

/* The trend is (s7 - prev7) / prev7, over 1 when prev7 is 0: a SKU per case, two sales (the
 * first opens its ring) and maybe its ring moved on to D-1. */
static void test_trend_denominator(void **state)
{
        static const struct {
                const char *name; /* the SKU */
                int first, then;  /* the days of the sales, from D */
                uint32_t first_units, then_units;
                bool advance;    /* the ring moved on to D-1 */
                float s7, trend; /* the features as of D */
        } cases[] = {
            {"zero-before", -15, -3, 4, 5, false, 5, 5.0f}, /* prev7 = 0, known: s7 / 1 */
            {"one-before", -14, -2, 1, 4, false, 4, 3.0f},  /* prev7 = 1: (s7 - 1) / 1 */
            {"drop", -14, -10, 0, 20, true, 0, -1.0f},      /* 20 the week before, none since */
        };
        float x[SW_FEAT_COUNT];
        (void)state;
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                uint32_t i = add_sku(cases[k].name);
                sell(i, D + cases[k].first, D + cases[k].first, cases[k].first_units);
                sell(i, D + cases[k].then, D + cases[k].then, cases[k].then_units);
                if (cases[k].advance)
                        sw_sku_advance(&skus, i, D - 1);
                compute_ok(i, D, x);
                if (x[SW_FEAT_SALES_7D] != cases[k].s7 ||
                    fabsf(x[SW_FEAT_SALES_TREND_7D] - cases[k].trend) > 1e-6f)
                        fail_msg("%s: s7 %g trend %g, want %g and %g", cases[k].name,
                                 x[SW_FEAT_SALES_7D], x[SW_FEAT_SALES_TREND_7D], cases[k].s7,
                                 cases[k].trend);
        }
}

/* 7 to 13 known days: scored, with a trend of 0 (no whole previous week). */
static void test_trend_needs_two_weeks(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t i = add_sku("young");
        (void)state;
        sell(i, D - 13, D - 1, 2); /* 13 days */
        compute_ok(i, D, x);
        assert_float_equal(x[SW_FEAT_SALES_7D], 14, 0);
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], 0, 0);
        sell(i, D - 14, D - 14, 9); /* the 14th day completes the week before: 2*6 + 9 = 21 */
        compute_ok(i, D, x);
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], (float)((14.0 - 21.0) / 21.0), 1e-6);
}

static void test_enodata_below_seven_days(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t i = add_sku("new"), never = add_sku("never");
        (void)state;
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                x[f] = JUNK;
        sell(i, D - 6, D - 1, 1); /* 6 days */
        sw_features_category_prices(&skus, fx.avg, fx.counts);
        assert_int_equal(sw_features_compute(&skus, i, D, &fx.cal, fx.avg, x), -ENODATA);
        assert_int_equal(sw_features_compute(&skus, never, D, &fx.cal, fx.avg, x), -ENODATA);
        assert_int_equal(sw_features_compute(&skus, 99, D, &fx.cal, fx.avg, x), -EINVAL);
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                assert_float_equal(x[f], JUNK, 0); /* not written on failure */
        sell(i, D - 7, D - 7, 1);                  /* the 7th day */
        assert_int_equal(sw_features_compute(&skus, i, D, &fx.cal, fx.avg, x), 0);
        assert_float_equal(x[SW_FEAT_SALES_7D], 7, 0);
}

/* Days after the last recorded sale are known zeros; days the ring no longer holds are unknown. */
static void test_quiet_and_expired_days(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t i = add_sku("quiet");
        (void)state;
        sell(i, D - 40, D - 5, 1);
        compute_ok(i, D, x);
        assert_float_equal(x[SW_FEAT_SALES_7D], 3, 0); /* D-7..D-5 */
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], (float)((3.0 - 7.0) / 7.0), 1e-6);
        /* Well after the last sale: two weeks of zeros, still scored. */
        compute_ok(i, D + 30, x);
        assert_float_equal(x[SW_FEAT_SALES_7D], 0, 0);
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], 0, 0);
        /* The ring (28 days to D-5) starts at D-32: as of D-26 the week D-33..D-27 is partly gone.
         */
        sw_features_category_prices(&skus, fx.avg, fx.counts);
        assert_int_equal(sw_features_compute(&skus, i, D - 26, &fx.cal, fx.avg, x), -ENODATA);
        compute_ok(i, D - 25, x); /* D-32..D-26 */
        assert_float_equal(x[SW_FEAT_SALES_7D], 7, 0);
        assert_float_equal(x[SW_FEAT_SALES_TREND_7D], 0, 0); /* the week before is gone */
}

/* Overstock: 189 on hand, 2 sold this week: turnover 2 / 189 = 0.0106. */
static void test_on_hand_and_turnover(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t i = add_sku("over"), z = add_sku("empty"), n = add_sku("negative");
        (void)state;
        sell(i, D - 7, D - 1, 0);
        sell(i, D - 2, D - 2, 2);
        sw_sku_at(&skus, i)->on_hand = 189;
        compute_ok(i, D, x);
        assert_float_equal(x[SW_FEAT_ON_HAND], 189, 0);
        assert_float_equal(x[SW_FEAT_SALES_7D], 2, 0);
        assert_float_equal(x[SW_FEAT_STOCK_TURNOVER], (float)(2.0 / 189.0), 1e-7);
        assert_float_equal(x[SW_FEAT_STOCK_TURNOVER], 0.0106, 1e-4);
        /* on_hand 0 and negative: divided by 1. */
        sell(z, D - 7, D - 1, 2);
        sw_sku_at(&skus, z)->on_hand = 0;
        compute_ok(z, D, x);
        assert_float_equal(x[SW_FEAT_STOCK_TURNOVER], 14, 0);
        sell(n, D - 7, D - 1, 1);
        sw_sku_at(&skus, n)->on_hand = -5;
        compute_ok(n, D, x);
        assert_float_equal(x[SW_FEAT_ON_HAND], -5, 0);
        assert_float_equal(x[SW_FEAT_STOCK_TURNOVER], 7, 0);
}

static void test_category_prices(void **state)
{
        uint32_t a = add_sku("a"), b = add_sku("b"), c = add_sku("c"), u = add_sku("u"),
                 nop = add_sku("nop"), o = add_sku("o");
        uint16_t cat_food, cat_toys;
        (void)state;
        set_price(a, 10, "food");
        set_price(b, 20, "food");
        set_price(c, 30, "food");
        set_price(u, 99, NULL); /* no category: not averaged anywhere */
        assert_true(sw_sku_table_category(&skus, "food", 4, &sw_sku_at(&skus, nop)->category) >= 0);
        sw_sku_at(&skus, nop)->price = 1000; /* price not known (no flag): ignored */
        set_price(o, 5, "toys");
        assert_true(sw_sku_table_category(&skus, "food", 4, &cat_food) >= 0);
        assert_true(sw_sku_table_category(&skus, "toys", 4, &cat_toys) >= 0);
        for (int k = 0; k < MAX_CATEGORIES; k++) {
                fx.avg[k] = JUNK;
                fx.counts[k] = 777;
        }
        sw_features_category_prices(&skus, fx.avg, fx.counts);
        assert_float_equal(fx.avg[0], 0, 0);
        assert_float_equal(fx.avg[cat_food], 20, 1e-9);
        assert_float_equal(fx.avg[cat_toys], 5, 1e-9);
        assert_int_equal(fx.counts[cat_food], 3);
        for (int k = 1; k < MAX_CATEGORIES; k++)
                if (k != cat_food && k != cat_toys)
                        assert_float_equal(fx.avg[k], 0, 0); /* unused category */
}

/* 27.8 in a category averaging 20: price_vs_avg +0.39; unknown price or category: 0. */
static void test_price_features(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t a = add_sku("a"), b = add_sku("b"), p = add_sku("p"), nop = add_sku("no-price"),
                 nocat = add_sku("no-category");
        (void)state;
        set_price(a, 12.2f, "food");
        set_price(b, 20, "food");
        set_price(p, 27.8f, "food"); /* average (12.2 + 20 + 27.8) / 3 = 20 */
        set_price(nocat, 50, NULL);
        assert_true(sw_sku_table_category(&skus, "food", 4, &sw_sku_at(&skus, nop)->category) >= 0);
        sw_sku_at(&skus, nop)->price = 7; /* stale value without HAS_PRICE */
        sell(p, D - 7, D - 1, 1);
        sell(nop, D - 7, D - 1, 1);
        sell(nocat, D - 7, D - 1, 1);
        compute_ok(p, D, x);
        assert_float_equal(x[SW_FEAT_UNIT_PRICE], 27.8, 1e-5);
        assert_float_equal(x[SW_FEAT_PRICE_VS_AVG], 0.39, 1e-6);
        compute_ok(nop, D, x);
        assert_float_equal(x[SW_FEAT_UNIT_PRICE], 0, 0);
        assert_float_equal(x[SW_FEAT_PRICE_VS_AVG], 0, 0);
        compute_ok(nocat, D, x);
        assert_float_equal(x[SW_FEAT_UNIT_PRICE], 50, 0);
        assert_float_equal(x[SW_FEAT_PRICE_VS_AVG], 0, 0);
        /* Without category averages. */
        assert_int_equal(sw_features_compute(&skus, p, D, &fx.cal, NULL, x), 0);
        assert_float_equal(x[SW_FEAT_UNIT_PRICE], 27.8, 1e-5);
        assert_float_equal(x[SW_FEAT_PRICE_VS_AVG], 0, 0);
        /* Below the average: 12.2 / 20 - 1 = -0.39. */
        sell(a, D - 7, D - 1, 1);
        compute_ok(a, D, x);
        assert_float_equal(x[SW_FEAT_PRICE_VS_AVG], -0.39, 1e-6);
}

static void test_weekday_and_holiday(void **state)
{
        float x[SW_FEAT_COUNT];
        uint32_t i = add_sku("cal");
        (void)state;
        sell(i, D - 20, D + 10, 1);
        compute_ok(i, D, x); /* D-1 = Monday 2026-11-23 */
        assert_float_equal(x[SW_FEAT_DAY_OF_WEEK], 0, 0);
        assert_float_equal(x[SW_FEAT_IS_HOLIDAY], 0, 0);
        compute_ok(i, D - 1, x); /* Sunday */
        assert_float_equal(x[SW_FEAT_DAY_OF_WEEK], 6, 0);
        compute_ok(i, D + 5, x); /* Saturday */
        assert_float_equal(x[SW_FEAT_DAY_OF_WEEK], 5, 0);

        /* Thanksgiving 2026-11-26 (a Thursday) is a holiday: as_of 11-27 sees it, 11-26 does not.
         */
        fx.cal.holidays[0] = sw_days_from_civil(2026, 11, 26);
        fx.cal.holidays[1] = sw_days_from_civil(2026, 12, 25);
        fx.cal.n_holidays = 2;
        compute_ok(i, sw_days_from_civil(2026, 11, 27), x);
        assert_float_equal(x[SW_FEAT_IS_HOLIDAY], 1, 0);
        assert_float_equal(x[SW_FEAT_DAY_OF_WEEK], 3, 0);
        compute_ok(i, sw_days_from_civil(2026, 11, 26), x);
        assert_float_equal(x[SW_FEAT_IS_HOLIDAY], 0, 0);
        /* No calendar: no holidays. */
        assert_int_equal(
            sw_features_compute(&skus, i, sw_days_from_civil(2026, 11, 27), NULL, fx.avg, x), 0);
        assert_float_equal(x[SW_FEAT_IS_HOLIDAY], 0, 0);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_names),
        SW_TEST_FRESH(test_sales_and_trend),
        SW_TEST_FRESH(test_trend_denominator),
        SW_TEST_FRESH(test_trend_needs_two_weeks),
        SW_TEST_FRESH(test_enodata_below_seven_days),
        SW_TEST_FRESH(test_quiet_and_expired_days),
        SW_TEST_FRESH(test_on_hand_and_turnover),
        SW_TEST_FRESH(test_category_prices),
        SW_TEST_FRESH(test_price_features),
        SW_TEST_FRESH(test_weekday_and_holiday))
/* clang-format on */
