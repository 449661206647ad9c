/* Unit tests of the bayes-mode ghost run over a store (core/detect_bayes.c): the store's
 * budget, closed days, store and category shortfalls, stock-outs, shelf sensors. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly_book.h"
#include "core/civil_time.h"
#include "core/detect.h"
#include "core/sku_table.h"
#include "tests/core/detect_recorder.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define HISTORY_DAYS 56
#define MAX_SKUS     128
#define CANDIDATES   16

static struct sw_test_store fx;
static struct sw_test_recorder found; /* the findings of the last run */
static sw_day_t D;                    /* as_of of the runs: 2026-11-26, a Thursday */

static int setup(void **state)
{
        struct sw_sku_table_params p = {
            .max_skus = MAX_SKUS, .history_days = HISTORY_DAYS, .max_categories = 4};
        (void)state;
        memset(&found, 0, sizeof(found));
        D = sw_days_from_civil(2026, 11, 26);
        sw_test_store_init(&fx, &p, MAX_SKUS, CANDIDATES);
        sw_test_calendar_daily(&fx.cal, 8, 21);
        fx.det.context.p = (struct sw_store_context_params){
            .shortfall_ratio = 0.5, .min_store_breadth = 20, .min_category_breadth = 10};
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        sw_test_store_free(&fx);
        return 0;
}

/* A SKU selling 2 a day but never on Sundays, from D-42 through last_sale, the ring moved to
 * D-1 (known zeros after). */
static uint32_t steady(const char *key, uint16_t category, int32_t on_hand, sw_day_t last_sale)
{
        uint32_t i;
        assert_int_equal(sw_sku_table_get_or_add(&fx.skus, key, strlen(key), &i), 1);
        struct sw_sku *s = sw_sku_at(&fx.skus, i);
        s->on_hand = on_hand;
        s->price = 2.0f;
        s->category = category;
        s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_BOOK;
        sw_sku_advance(&fx.skus, i, D - 42);
        for (sw_day_t d = D - 42; d <= last_sale; d++)
                if (sw_weekday(d) != 6)
                        sw_sku_add_sold(&fx.skus, i, d, 2);
        sw_sku_advance(&fx.skus, i, D - 1);
        return i;
}

/* n steady SKUs named prefix0.. in a category, 20 of each on hand, all selling through
 * last_sale. */
static void store_of(const char *prefix, unsigned n, uint16_t category, sw_day_t last_sale)
{
        char key[32];
        for (unsigned k = 0; k < n; k++) {
                snprintf(key, sizeof(key), "%s%u", prefix, k);
                steady(key, category, 20, last_sale);
        }
}

/* n steady SKUs G0.. in category 1 that sold nothing after D-9, the same evidence each but
 * more money: 10 + k on hand. Their indices go to ret_g unless it is NULL. */
static void ghosts(unsigned n, uint32_t *ret_g)
{
        char key[16];
        for (unsigned k = 0; k < n; k++) {
                snprintf(key, sizeof(key), "G%u", k);
                uint32_t g = steady(key, 1, (int32_t)(10 + k), D - 9);
                if (ret_g)
                        ret_g[k] = g;
        }
}

/* Forty steady SKUs S0.. in category 1 selling through D-1, and one more, key, with 30 on
 * hand, that sold through last_sale: its index. */
static uint32_t store_and(const char *key, sw_day_t last_sale)
{
        store_of("S", 40, 1, D - 1);
        return steady(key, 1, 30, last_sale);
}

/* SKU i's shelf read 0 at readings readings, from 10:00 on zero_day to 18:00 on D-1. */
static void shelf_at_zero(uint32_t i, sw_day_t zero_day, uint32_t readings)
{
        struct sw_shelf *sh;
        assert_int_equal(sw_sku_shelf_get_or_add(&fx.skus, i, &sh), 0);
        sh->count = 0;
        sh->zero_since = (uint32_t)((int64_t)zero_day * 86400 + 10 * 3600);
        sh->ts = (uint32_t)((int64_t)(D - 1) * 86400 + 18 * 3600);
        sh->zero_readings = readings;
}

static struct sw_detect_summary run(sw_day_t as_of)
{
        return sw_test_ghost_run(&fx.det, as_of, &found);
}

static bool is_open(uint32_t sku)
{
        sw_day_t since;
        return sw_anomaly_book_find(&fx.book, SW_ANOMALY_GHOST_STOCK, sku, &since) == 0;
}

static void test_ghost_found_and_lifecycle(void **state)
{
        (void)state;
        /* Stopped selling after D-9 (a Tuesday): eight days without a sale, one of them a
         * Sunday, on which it never sells anyway. */
        uint32_t g = store_and("GHOST", D - 9);
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(found.n, 1);
        const struct sw_finding *f = &found.f[0];
        assert_int_equal(f->sku_index, g);
        assert_true(f->is_new);
        assert_int_equal(f->since, D - 8); /* the day after its last sale */
        assert_int_equal(f->ghost.model, SW_GHOST_MODEL_NB_MIXTURE);
        assert_int_equal(f->ghost.run_days, 8);
        assert_true(f->probability >= 0.8);
        assert_true(strstr(f->description, "No sales for 8 open days") != NULL);
        assert_true(is_open(g));
        /* The next day, still nothing: the same episode, updated. */
        sw_sku_advance(&fx.skus, g, D);
        sum = run(D + 1);
        assert_int_equal(sum.opened, 0);
        assert_int_equal(sum.updated, 1);
        assert_int_equal(found.f[0].since, D - 8);
        /* It sells on D: cleared the day after. */
        sw_sku_add_sold(&fx.skus, g, D + 1, 3);
        sum = run(D + 2);
        assert_int_equal(sum.cleared, 1);
        assert_int_equal(found.f[0].status, SW_STATUS_CLEARED);
        assert_false(is_open(g));
}

static void test_budget_admits_strongest_first(void **state)
{
        (void)state;
        store_of("S", 40, 1, D - 1);
        uint32_t g[5];
        ghosts(5, g);
        /* Each has P = p; a budget of 2.5 x (1 - p) admits two, strongest (dearest) first. */
        sw_ghost_params_default(&fx.det.ghost);
        struct sw_detect_summary probe = run(D);
        assert_int_equal(probe.opened, 5);
        double p = found.f[0].probability;
        for (int k = 0; k < 5; k++)
                assert_true(fabs(found.f[k].probability - p) < 1e-12);
        /* Strongest first: equal probabilities rank by probability x value. */
        assert_int_equal(found.f[0].sku_index, g[4]);
        assert_int_equal(found.f[4].sku_index, g[0]);
        teardown(NULL);
        setup(NULL);
        store_of("S", 40, 1, D - 1);
        ghosts(5, g);
        fx.det.ghost.false_alerts_per_day = 2.5 * (1.0 - p);
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.opened, 2);
        assert_int_equal(sum.deferred, 3);
        assert_true(is_open(g[4]) && is_open(g[3]));
        assert_false(is_open(g[2]) || is_open(g[1]) || is_open(g[0]));
}

static void test_candidates_beyond_capacity_are_deferred(void **state)
{
        (void)state;
        store_of("S", 40, 1, D - 1);
        ghosts(CANDIDATES + 4, NULL);
        fx.det.ghost.false_alerts_per_day = 1000.0;
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.opened, CANDIDATES);
        assert_int_equal(sum.deferred, 4);
        /* The dearest are kept. */
        for (uint32_t k = 0; k < sw_test_recorded(&found); k++)
                assert_true(found.f[k].value >= 2.0 * (10 + 4));
}

static void test_closed_day_and_store_outage_raise_nothing(void **state)
{
        (void)state;
        /* Nobody sold anything on D-1 and D-2. */
        store_of("S", 40, 1, D - 3);
        /* Without a calendar that says so, a two-day POS outage: every SKU has a run. */
        struct sw_detect_summary sum = run(D);
        assert_int_equal(found.n, 0);
        assert_int_equal(sum.store_shortfall_days, 2);
        assert_int_equal(sum.newest_store_shortfall, D - 1);
        assert_int_equal(sum.category_shortfall_days, 0);
        /* Closed days (a holiday and a closed weekday) are no shortfall: nothing to explain. */
        fx.cal.holidays[0] = D - 2;
        fx.cal.n_holidays = 1;
        fx.cal.open_minute[sw_weekday(D - 1)] = fx.cal.close_minute[sw_weekday(D - 1)] = 0;
        sum = run(D);
        assert_int_equal(found.n, 0);
        assert_int_equal(sum.store_shortfall_days, 0);
        assert_int_equal(sum.newest_store_shortfall, SW_DAY_NONE);
}

/* A day's runs share the store context built by sw_detect_day_begin: a run for that day
 * reads it as built (here the outage it saw stays, though sales came in since: the caller
 * promises none do), a run for another day builds its own, and after end each run builds
 * it afresh. */
static void test_day_context_shared_between_runs(void **state)
{
        (void)state;
        store_of("S", 40, 1, D - 3);
        sw_detect_day_begin(&fx.det, D);
        uint64_t units = fx.det.context.store_units[HISTORY_DAYS - 3];
        assert_int_equal(units, 40 * 2); /* D-3: every SKU sold 2 */
        assert_int_equal(fx.det.context.store_known[HISTORY_DAYS - 1], 40);
        for (uint32_t i = 0; i < 40; i++) { /* the outage days' sales, late */
                sw_sku_add_sold(&fx.skus, i, D - 2, 2);
                sw_sku_add_sold(&fx.skus, i, D - 1, 2);
        }
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.store_shortfall_days, 2); /* the context as built */
        sum = run(D + 1); /* another day: its own, where only D went unsold */
        assert_int_equal(sum.store_shortfall_days, 1);
        assert_int_equal(sum.newest_store_shortfall, D);
        sw_detect_day_end(&fx.det);
        sum = run(D);
        assert_int_equal(sum.store_shortfall_days, 0);
        assert_int_equal(fx.det.context.store_units[HISTORY_DAYS - 1], 40 * 2);
}

static void test_category_outage_raises_nothing(void **state)
{
        (void)state;
        store_of("A", 30, 1, D - 1);
        /* Category 2's sales were not reported on D-1 and D-2. */
        store_of("B", 20, 2, D - 3);
        /* A real ghost in category 1 is still found. */
        uint32_t g = steady("GHOST", 1, 30, D - 9);
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.store_shortfall_days, 0);
        assert_int_equal(sum.category_shortfall_days, 2);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(found.f[0].sku_index, g);
}

static void test_known_stockout_is_not_evidence(void **state)
{
        (void)state;
        uint32_t g = store_and("RESTOCKED", D - 9);
        /* The book was at 0 until a delivery on D-2: only D-1 is a day it could have sold. */
        sw_sku_at(&fx.skus, g)->stockout_from = D - 5;
        sw_sku_at(&fx.skus, g)->stockout_day = D - 2;
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.opened, 0);
        assert_false(is_open(g));
        sw_sku_at(&fx.skus, g)->stockout_day = SW_DAY_NONE;
        sum = run(D);
        assert_int_equal(sum.opened, 1);
}

static void test_shelf_readings_speed_up_detection(void **state)
{
        (void)state;
        uint32_t g = store_and("EMPTY", D - 3);
        /* Two days without a sale are not enough on their own. */
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.opened, 0);
        /* Three zero readings since the last sale: they are. */
        shelf_at_zero(g, D - 2, 3);
        sum = run(D);
        assert_int_equal(sum.opened, 1);
        assert_true(strstr(found.f[0].description, "Shelf read 0 at 3 readings") != NULL);
        /* Readings that started before the last sale are the sensor's mistake. */
        teardown(NULL);
        setup(NULL);
        g = store_and("EMPTY", D - 3);
        shelf_at_zero(g, D - 4, 9);
        sum = run(D);
        assert_int_equal(sum.opened, 0);
}

static void test_never_sold_since_first_record(void **state)
{
        uint32_t i;
        (void)state;
        store_of("S", 40, 1, D - 1);
        /* On the book since D-34, never a sale: the store's SKUs sell 6 days in 7. */
        assert_int_equal(sw_sku_table_get_or_add(&fx.skus, "NEVER", 5, &i), 1);
        struct sw_sku *s = sw_sku_at(&fx.skus, i);
        s->on_hand = 8;
        s->category = 1;
        s->flags |= SW_SKU_HAS_BOOK;
        sw_sku_advance(&fx.skus, i, D - 34);
        sw_sku_advance(&fx.skus, i, D - 1);
        struct sw_detect_summary sum = run(D);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(found.f[0].sku_index, i);
        assert_int_equal(found.f[0].ghost.model, SW_GHOST_MODEL_NEVER_SOLD);
        assert_int_equal(found.f[0].since, D - 34);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_ghost_found_and_lifecycle),
        SW_TEST_FRESH(test_budget_admits_strongest_first),
        SW_TEST_FRESH(test_candidates_beyond_capacity_are_deferred),
        SW_TEST_FRESH(test_closed_day_and_store_outage_raise_nothing),
        SW_TEST_FRESH(test_day_context_shared_between_runs),
        SW_TEST_FRESH(test_category_outage_raises_nothing),
        SW_TEST_FRESH(test_known_stockout_is_not_evidence),
        SW_TEST_FRESH(test_shelf_readings_speed_up_detection),
        SW_TEST_FRESH(test_never_sold_since_first_record))
/* clang-format on */
