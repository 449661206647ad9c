/* Unit tests of the store context (core/store_context.c): closed and shortfall days. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "core/store_context.h"
#include "tests/support/test_main.h"

#define DAYS 28
#define CATS 4

static struct sw_store_context ctx;
static void *mem;
static struct sw_store_calendar cal;
static sw_day_t from; /* a Monday */
static uint16_t sales[DAYS];

static int setup(void **state)
{
        struct sw_store_context_params p = {
            .shortfall_ratio = 0.5, .min_store_breadth = 20, .min_category_breadth = 5};
        size_t size = sw_store_context_memory_size(DAYS, CATS);
        (void)state;
        mem = malloc(size);
        assert_non_null(mem);
        assert_int_equal(sw_store_context_init(&ctx, &p, DAYS, CATS, mem, size - 1), -ENOBUFS);
        p.shortfall_ratio = 1.0;
        assert_int_equal(sw_store_context_init(&ctx, &p, DAYS, CATS, mem, size), -EINVAL);
        p.shortfall_ratio = 0.5;
        assert_int_equal(sw_store_context_init(&ctx, &p, DAYS, CATS, mem, size), 0);
        memset(&cal, 0, sizeof(cal));
        for (int w = 0; w < 7; w++) {
                cal.open_minute[w] = 8 * 60;
                cal.close_minute[w] = 21 * 60;
        }
        from = sw_days_from_civil(2026, 11, 2);
        assert_int_equal(sw_weekday(from), 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        free(mem);
        return 0;
}

/* n SKUs of a category that sell every open day, except on the days in skip (-1 ends). */
static void add_skus(unsigned n, uint16_t category, const int *skip)
{
        for (unsigned k = 0; k < n; k++) {
                for (uint32_t i = 0; i < DAYS; i++)
                        sales[i] = 3;
                for (const int *s = skip; s && *s >= 0; s++)
                        sales[*s] = 0;
                sw_store_context_add(&ctx, category, sales, 0);
        }
}

static void test_closed_days(void **state)
{
        (void)state;
        cal.open_minute[6] = cal.close_minute[6] = 0; /* closed on Sundays */
        cal.holidays[0] = from + 10;
        cal.n_holidays = 1;
        sw_store_context_begin(&ctx, &cal, from, DAYS);
        int sundays_and_holiday[] = {6, 10, 13, 20, 27, -1};
        add_skus(40, 1, sundays_and_holiday);
        sw_store_context_finish(&ctx);
        for (uint32_t i = 0; i < DAYS; i++) {
                bool closed = i % 7 == 6 || i == 10;
                assert_int_equal(sw_store_context_day(&ctx, i), closed ? SW_CONTEXT_CLOSED : 0);
                assert_int_equal(sw_store_context_censored(&ctx, 1, i), closed);
        }
        /* A closed day without sales is no shortfall. */
        assert_int_equal(ctx.store_shortfalls, 0);
        assert_int_equal(ctx.newest_store_shortfall, SW_DAY_NONE);
}

static void test_store_shortfall(void **state)
{
        (void)state;
        sw_store_context_begin(&ctx, &cal, from, DAYS);
        /* 40 SKUs sell every day; on day 17 (a POS outage) only 5 of them. Sundays, when 20 of
         * the 40 sell, are a weekday pattern, not a shortfall. */
        int outage[] = {17, -1};
        int weekend[] = {6, 13, 20, 27, -1};
        int weekend_and_outage[] = {6, 13, 17, 20, 27, -1};
        add_skus(5, 1, weekend);
        add_skus(15, 1, weekend_and_outage);
        add_skus(20, 2, outage);
        sw_store_context_finish(&ctx);
        for (uint32_t i = 0; i < DAYS; i++)
                assert_int_equal(sw_store_context_day(&ctx, i),
                                 i == 17 ? SW_CONTEXT_STORE_SHORTFALL : 0);
        assert_int_equal(ctx.store_shortfalls, 1);
        assert_int_equal(ctx.newest_store_shortfall, from + 17);
        assert_true(sw_store_context_censored(&ctx, 2, 17));
        assert_true(sw_store_context_censored(&ctx, 0, 17)); /* every SKU, categorised or not */
        /* The store's shortfall is not also counted as its categories'. */
        assert_int_equal(ctx.category_shortfalls, 0);
        assert_false(sw_store_context_category_short(&ctx, 2, 17));
}

static void test_category_shortfall(void **state)
{
        (void)state;
        sw_store_context_begin(&ctx, &cal, from, DAYS);
        /* Category 3's sales were not reported on day 9: the store as a whole sold as usual. */
        int lost[] = {9, -1};
        add_skus(40, 1, NULL);
        add_skus(8, 3, lost);
        add_skus(2, 2, lost); /* category 2 is too small for a test of its own (5 SKUs) */
        sw_store_context_finish(&ctx);
        assert_int_equal(ctx.store_shortfalls, 0);
        assert_int_equal(ctx.category_shortfalls, 1);
        assert_true(sw_store_context_category_short(&ctx, 3, 9));
        assert_true(sw_store_context_censored(&ctx, 3, 9));
        assert_false(sw_store_context_censored(&ctx, 1, 9));
        assert_false(sw_store_context_censored(&ctx, 2, 9));
        assert_false(sw_store_context_censored(&ctx, 3, 8));
        /* Category 0 (unknown) and ids out of range are never short. */
        assert_false(sw_store_context_category_short(&ctx, 0, 9));
        assert_false(sw_store_context_category_short(&ctx, CATS, 9));
}

static void test_small_store_and_off(void **state)
{
        (void)state;
        /* A usual day of 10 selling SKUs is below min_store_breadth (20): no store test. */
        sw_store_context_begin(&ctx, &cal, from, DAYS);
        int outage[] = {17, -1};
        add_skus(10, 1, outage);
        sw_store_context_finish(&ctx);
        assert_int_equal(ctx.store_shortfalls, 0);
        assert_int_equal(ctx.category_shortfalls, 1); /* the category's own test (min 5) */
        /* shortfall_ratio 0 turns both tests off. */
        ctx.p.shortfall_ratio = 0.0;
        sw_store_context_begin(&ctx, &cal, from, DAYS);
        add_skus(40, 1, outage);
        sw_store_context_finish(&ctx);
        assert_int_equal(ctx.store_shortfalls, 0);
        assert_int_equal(ctx.category_shortfalls, 0);
        assert_false(sw_store_context_censored(&ctx, 1, 17));
        ctx.p.shortfall_ratio = 0.5;
}

static void test_days_before_first_records(void **state)
{
        (void)state;
        /* The gateway started on day 12: the days before it heard of no SKU are no outage. */
        sw_store_context_begin(&ctx, &cal, from, DAYS);
        for (unsigned k = 0; k < 40; k++) {
                for (uint32_t i = 0; i < DAYS; i++)
                        sales[i] = i < 12 ? 0 : 3;
                sw_store_context_add(&ctx, 1, sales, 12);
        }
        sw_store_context_finish(&ctx);
        assert_int_equal(ctx.store_shortfalls, 0);
        assert_int_equal(ctx.category_shortfalls, 0);
        assert_int_equal(ctx.known_max, 40);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_closed_days),
        SW_TEST_FRESH(test_store_shortfall),
        SW_TEST_FRESH(test_category_shortfall),
        SW_TEST_FRESH(test_small_store_and_off),
        SW_TEST_FRESH(test_days_before_first_records))
/* clang-format on */
