/* Unit tests of the scaled SKU-day features (core/features_scaled.c), with hand-computed values. */
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
#include "core/features_scaled.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "core/store_context.h"
#include "tests/core/features_fixture.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define HISTORY_DAYS 56

struct fixture {
        uint16_t sales[HISTORY_DAYS];     /* scratch */
        double log_price[MAX_CATEGORIES]; /* category mean ln price */
        uint32_t counts[MAX_CATEGORIES];  /* their scratch */
};

static struct fixture fx;

static void assert_near(double got, double want)
{
        if (!(fabs(got - want) <= 1e-5 * fmax(1.0, fabs(want))))
                fail_msg("%.9g != %.9g", got, want);
}

static int setup(void **state)
{
        (void)state;
        memset(&fx, 0, sizeof(fx));
        features_table_init(8, HISTORY_DAYS, false);
        return 0;
}

static uint32_t add_sku(const char *key, const char *category, float price)
{
        uint32_t i;
        assert_int_equal(sw_sku_table_get_or_add(&skus, key, strlen(key), &i), 1);
        struct sw_sku *s = sw_sku_at(&skus, i);
        assert_true(sw_sku_table_category(&skus, category, strlen(category), &s->category) >= 0);
        s->price = price;
        s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE;
        return i;
}

static int compute(uint32_t i, const struct sw_store_context *ctx, const double *factors,
                   float x[SW_FEAT_COUNT], struct sw_scaled_detail *dt)
{
        struct sw_scaled_inputs in = {.context = ctx,
                                      .day_factor = factors,
                                      .category_log_price = fx.log_price,
                                      .scratch_sales = fx.sales};
        sw_features_category_log_prices(&skus, fx.log_price, fx.counts);
        return sw_features_scaled(&skus, i, D, &in, x, dt);
}

static void test_names_and_sets(void **state)
{
        static const char *const want[SW_FEAT_COUNT] = {
            "sales_vs_usual",   "sales_3d_vs_usual", "sales_vs_last_week", "weeks_of_cover",
            "list_vs_previous", "paid_vs_list",      "price_vs_category",  "receipt_weeks"};
        enum sw_feature_set set;
        (void)state;
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                assert_string_equal(sw_feature_name_in(SW_FEATURES_SCALED, k), want[k]);
        assert_string_equal(sw_feature_name_in(SW_FEATURES_SEED, 0), "sales_7d");
        assert_null(sw_feature_name_in(SW_FEATURES_SCALED, SW_FEAT_COUNT));
        assert_null(sw_feature_name_in(SW_FEATURES_SCALED, -1));
        assert_int_equal(sw_feature_set_parse("seed", &set), 0);
        assert_int_equal(set, SW_FEATURES_SEED);
        assert_int_equal(sw_feature_set_parse("scaled", &set), 0);
        assert_int_equal(set, SW_FEATURES_SCALED);
        assert_int_equal(sw_feature_set_parse("Scaled", &set), -EINVAL);
        assert_string_equal(sw_feature_set_name(SW_FEATURES_SCALED), "scaled");
        assert_string_equal(sw_feature_set_name(SW_FEATURES_SEED), "seed");
}

/*
 * 2 a day from D-35 to D-4, 10 a day on D-3..D-1: level 2 (every baseline week), s7 = 4 x 2 +
 * 3 x 10 = 38 against e7 = 14, s3 = 30 against e3 = 6; the week before sold 2 a day too. 28 on
 * hand over 14 a week: 2 weeks of cover. List 5 (was 2.5 until D-2), the category's other
 * SKU 20: the mean ln price is ln 10. The registers charged 2.5 on 2 lines and 5 on 2.
 */
static void test_hand_computed(void **state)
{
        float x[SW_FEAT_COUNT];
        struct sw_scaled_detail dt;
        (void)state;
        uint32_t a = add_sku("A", "toys", 5.0f);
        add_sku("B", "toys", 20.0f);
        sell(a, D - 35, D - 4, 2);
        sell(a, D - 3, D - 1, 10);
        struct sw_sku *s = sw_sku_at(&skus, a);
        s->on_hand = 28;
        s->price_watch.list_prev = 2.5f;
        s->price_watch.list_since = sw_watch_day16(D - 2);
        sw_price_watch_paid(&s->price_watch, 5.0, 2.5, D - 1);
        sw_price_watch_paid(&s->price_watch, 5.0, 5.0, D - 1);
        sw_price_watch_paid(&s->price_watch, 5.0, 2.5, D - 1);
        sw_price_watch_paid(&s->price_watch, 5.0, 5.0, D - 1);
        sw_receipt_watch_add(&s->receipt_watch, D - 2, 21, 7);
        assert_int_equal(compute(a, NULL, NULL, x, &dt), 0);
        assert_true(dt.has_level);
        assert_near(dt.level, 2.0);
        assert_near(dt.mean_level, 2.0);
        assert_near(dt.s7, 38.0);
        assert_near(dt.e7, 14.0);
        assert_near(dt.s3, 30.0);
        assert_near(dt.e3, 6.0);
        assert_int_equal(dt.days7, 7);
        assert_near(x[SW_SF_SALES_VS_USUAL], log(43.0 / 19.0));
        assert_near(x[SW_SF_SALES_3D], log(34.0 / 10.0));
        assert_near(x[SW_SF_TREND], log(43.0 / 19.0));
        assert_near(dt.cover_weeks, 2.0);
        assert_near(x[SW_SF_COVER], log(3.0));
        assert_near(x[SW_SF_LIST_CHANGE], log(2.0));
        assert_int_equal(dt.list_age, 1);
        assert_near(x[SW_SF_PAID_VS_LIST], 2.0 * log(0.5) / 4.0);
        assert_near(x[SW_SF_PRICE_VS_CAT], log(0.5));
        assert_near(x[SW_SF_RECEIPT], log(1.0 + 21.0 / 14.0));
        assert_int_equal(dt.receipt.units, 21);
        assert_int_equal(dt.receipt.before, 7);
        assert_int_equal(dt.receipt.usual, 0);
}

/* Too little history: not scored before 7 known days; no usual level before two weeks of it. */
static void test_young_skus(void **state)
{
        float x[SW_FEAT_COUNT];
        struct sw_scaled_detail dt;
        (void)state;
        uint32_t a = add_sku("A", "toys", 5.0f), b = add_sku("B", "toys", 5.0f);
        sell(a, D - 6, D - 1, 3);
        assert_int_equal(compute(a, NULL, NULL, x, &dt), -ENODATA);
        assert_int_equal(compute(7, NULL, NULL, x, &dt), -EINVAL);
        /* 10 known days: the week before has 3 (one baseline week, not two). */
        sell(b, D - 10, D - 1, 3);
        sw_sku_at(&skus, b)->on_hand = 42;
        assert_int_equal(compute(b, NULL, NULL, x, &dt), 0);
        assert_false(dt.has_level);
        assert_near(x[SW_SF_SALES_VS_USUAL], 0.0);
        assert_near(x[SW_SF_SALES_3D], 0.0);
        /* The level is the last 7 days' own: 3 a day, 21 a week, 2 weeks of cover. */
        assert_near(dt.level, 3.0);
        assert_near(x[SW_SF_COVER], log(3.0));
        /* The week before had a rate of its own (3 days): the trend is ln(26 / 26) = 0. */
        assert_near(x[SW_SF_TREND], 0.0);
}

/* Days of the SKU's latest stock-out are no measure of demand: they are left out. */
static void test_stockout_days_left_out(void **state)
{
        float x[SW_FEAT_COUNT];
        struct sw_scaled_detail dt;
        (void)state;
        uint32_t a = add_sku("A", "toys", 5.0f);
        sell(a, D - 35, D - 29, 4);
        sell(a, D - 14, D - 1, 4);
        /* D-28..D-15 sold nothing: 56 units over the 4 weeks, 2 a day ... */
        assert_int_equal(compute(a, NULL, NULL, x, &dt), 0);
        assert_near(dt.level, 2.0);
        /* ... but the book was at 0 then: those weeks drop out, the level is 4. */
        sw_sku_at(&skus, a)->stockout_from = D - 28;
        sw_sku_at(&skus, a)->stockout_day = D - 15;
        assert_int_equal(compute(a, NULL, NULL, x, &dt), 0);
        assert_near(dt.level, 4.0);
        assert_near(dt.e7, 28.0);
        assert_near(x[SW_SF_SALES_VS_USUAL], 0.0);
}

/* Closed days are left out; day factors weigh what each day is worth. */
static void test_closed_days_and_day_factors(void **state)
{
        float x[SW_FEAT_COUNT];
        struct sw_scaled_detail dt;
        struct sw_store_calendar cal = {0};
        struct sw_store_context ctx;
        struct sw_store_context_params cp = {.shortfall_ratio = 0.0};
        size_t size = sw_store_context_memory_size(HISTORY_DAYS, MAX_CATEGORIES);
        void *mem = malloc(size);
        double factors[HISTORY_DAYS];
        (void)state;
        assert_non_null(mem);
        for (int w = 0; w < 7; w++)
                cal.close_minute[w] = 24 * 60;
        cal.holidays[cal.n_holidays++] = D - 2;
        assert_int_equal(sw_store_context_init(&ctx, &cp, HISTORY_DAYS, MAX_CATEGORIES, mem, size),
                         0);
        sw_store_context_begin(&ctx, &cal, D - HISTORY_DAYS, HISTORY_DAYS);
        sw_store_context_finish(&ctx);
        uint32_t a = add_sku("A", "toys", 5.0f);
        sell(a, D - 35, D - 1, 2);
        sw_sku_add_sold(&skus, a, D - 2, 40); /* sold on a closed day: a feed artefact */
        assert_int_equal(compute(a, &ctx, NULL, x, &dt), 0);
        assert_int_equal(dt.days7, 6);
        assert_near(dt.s7, 12.0);
        assert_near(dt.e7, 12.0);
        /* The store sold twice its usual on D-1: the SKU's expected units double that day. */
        for (int i = 0; i < HISTORY_DAYS; i++)
                factors[i] = 1.0;
        factors[HISTORY_DAYS - 1] = 2.0;
        assert_int_equal(compute(a, &ctx, factors, x, &dt), 0);
        assert_near(dt.e7, 14.0);
        assert_near(dt.e3, 6.0); /* D-3 (1) + D-1 (2), D-2 closed */
        free(mem);
}

/* The store's day factors: what a SKU with data sold that day against the median day. */
static void test_day_factors(void **state)
{
        const double units[5] = {10, 20, 30, 0, 80}, known[5] = {10, 10, 10, 0, 10};
        double scratch[5], f[5];
        (void)state;
        /* Per SKU 1, 2, 3, none, 8: the median of 1, 2, 3, 8 is 2.5. */
        sw_features_day_factors(units, known, 5, NULL, scratch, f);
        assert_near(f[0], 0.4);
        assert_near(f[1], 0.8);
        assert_near(f[2], 1.2);
        assert_near(f[3], 1.0);
        assert_near(f[4], 3.2);
        /* Nothing known at all: every factor 1. */
        const double none[2] = {0, 0};
        sw_features_day_factors(none, none, 2, NULL, scratch, f);
        assert_near(f[0], 1.0);
        assert_near(f[1], 1.0);
}

/* The category's mean ln price ignores SKUs without a list price and category 0. */
static void test_category_log_prices(void **state)
{
        (void)state;
        add_sku("A", "toys", 4.0f);
        add_sku("B", "toys", 16.0f);
        uint32_t c = add_sku("C", "food", 3.0f);
        sw_sku_at(&skus, c)->flags &= (uint8_t)~SW_SKU_HAS_LIST_PRICE;
        sw_features_category_log_prices(&skus, fx.log_price, fx.counts);
        assert_near(fx.log_price[1], log(8.0));
        assert_true(isnan(fx.log_price[2]));
        assert_true(isnan(fx.log_price[0]));
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_names_and_sets),
        SW_TEST_FRESH(test_hand_computed),
        SW_TEST_FRESH(test_young_skus),
        SW_TEST_FRESH(test_stockout_days_left_out),
        SW_TEST_FRESH(test_closed_days_and_day_factors),
        SW_TEST_FRESH(test_day_factors),
        SW_TEST_FRESH(test_category_log_prices))
/* clang-format on */
