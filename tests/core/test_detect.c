/* Unit tests of the detector runs and the anomaly lifecycle (core/detect.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly_book.h"
#include "core/civil_time.h"
#include "core/detect.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "tests/core/detect_recorder.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define HISTORY_DAYS 56
#define HOUR         3600

static struct sw_test_store fx;
static struct sw_test_recorder rec;
static sw_day_t D; /* 2026-11-24, the first as_of day */

static void fixture_init(uint32_t book_capacity)
{
        struct sw_sku_table_params p = {
            .max_skus = 16, .history_days = HISTORY_DAYS, .max_categories = 4};
        size_t size = sw_detector_memory_size(HISTORY_DAYS, p.max_categories, 8);

        memset(&rec, 0, sizeof(rec));
        sw_test_store_init(&fx, &p, book_capacity, 8);
        sw_test_calendar_daily(&fx.cal, 9, 21);
        /* Memory too small or missing, no candidates: refused (the detector is set up again). */
        assert_int_equal(
            sw_detector_init(&fx.det, &fx.skus, &fx.book, &fx.cal, 8, fx.mem[2], size - 1),
            -ENOBUFS);
        assert_int_equal(sw_detector_init(&fx.det, &fx.skus, &fx.book, &fx.cal, 8, NULL, size),
                         -ENOBUFS);
        assert_int_equal(sw_detector_init(&fx.det, &fx.skus, &fx.book, &fx.cal, 0, fx.mem[2], size),
                         -EINVAL);
        assert_int_equal(sw_detector_init(&fx.det, &fx.skus, &fx.book, &fx.cal, 8, fx.mem[2], size),
                         0);
        sw_ghost_params_default(&fx.det.ghost);
        /* These tests pin down the per-SKU poisson run test; bayes mode has test_detect_bayes. */
        fx.det.ghost.mode = SW_GHOST_MODE_POISSON;
        fx.det.ghost.critical_probability = 0.95;
        fx.det.shelf_out = (struct sw_shelf_out_params){
            .enabled = true, .zero_seconds = 1800, .min_readings = 1, .false_zero_rate = 0.05};
        fx.det.discrepancy =
            (struct sw_discrepancy_params){.enabled = true, .shelf_above_seconds = HOUR};
}

static int setup(void **state)
{
        (void)state;
        D = sw_days_from_civil(2026, 11, 24);
        fixture_init(16);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        sw_test_store_free(&fx);
        return 0;
}

static uint32_t add_sku(const char *key, int32_t on_hand, float price)
{
        uint32_t i;
        assert_int_equal(sw_sku_table_get_or_add(&fx.skus, key, strlen(key), &i), 1);
        struct sw_sku *s = sw_sku_at(&fx.skus, i);
        s->on_hand = on_hand;
        s->price = price;
        s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_BOOK;
        return i;
}

/* 10 a day for 30 days (D-31 .. D-2), then nothing on D-1. */
static uint32_t add_fast_mover(const char *key, int32_t on_hand)
{
        uint32_t i = add_sku(key, on_hand, 2.5f);
        for (sw_day_t d = D - 31; d <= D - 2; d++)
                sw_sku_add_sold(&fx.skus, i, d, 10);
        sw_sku_advance(&fx.skus, i, D - 1);
        return i;
}

/* One unit every fifth day from D-34 to D-4 (0.2 a day), then three quiet days. */
static uint32_t add_slow_mover(const char *key)
{
        uint32_t i = add_sku(key, 5, 1.0f);
        for (sw_day_t d = D - 34; d <= D - 4; d += 5)
                sw_sku_add_sold(&fx.skus, i, d, 1);
        sw_sku_advance(&fx.skus, i, D - 1);
        return i;
}

static struct sw_detect_summary ghost(sw_day_t as_of)
{
        return sw_test_ghost_run(&fx.det, as_of, &rec);
}

static struct sw_detect_summary stock(int64_t now)
{
        struct sw_detect_summary sum;
        struct sw_local_time now_local;
        assert_int_equal(sw_test_utc_to_local(NULL, now, &now_local), 0);
        memset(&sum, 0xff, sizeof(sum));
        rec.n = 0;
        assert_int_equal(sw_detect_stock(&fx.det, now, &now_local, sw_test_record, &rec, &sum), 0);
        return sum;
}

static int64_t at(sw_day_t day, unsigned h, unsigned m)
{
        return (int64_t)day * 86400 + h * 3600 + m * 60;
}

static bool book_has(enum sw_anomaly_type type, uint32_t i, sw_day_t *ret_since)
{
        sw_day_t since;
        if (sw_anomaly_book_find(&fx.book, type, i, &since) != 0)
                return false;
        if (ret_since)
                *ret_since = since;
        return true;
}

/* The last run reported one finding, of type on SKU i since day since, that either opened a
 * new episode (status SW_STATUS_OPEN: now in the book) or cleared one (SW_STATUS_CLEARED: gone
 * from it). Returns the finding. */
static const struct sw_finding *assert_one_finding(enum sw_anomaly_type type, uint32_t i,
                                                   sw_day_t since, enum sw_status status)
{
        const struct sw_finding *f = &rec.f[0];
        bool opened = status == SW_STATUS_OPEN;
        assert_int_equal(rec.n, 1);
        assert_int_equal(f->type, type);
        assert_int_equal(f->sku_index, i);
        assert_int_equal(f->is_new, opened);
        assert_int_equal(f->status, status);
        assert_int_equal(f->since, since);
        assert_int_equal(book_has(type, i, NULL), opened);
        return f;
}

static const struct sw_finding *assert_opened_one(enum sw_anomaly_type type, uint32_t i,
                                                  sw_day_t since)
{
        return assert_one_finding(type, i, since, SW_STATUS_OPEN);
}

/* The run that returned sum cleared one episode, and reported only that. */
static void assert_cleared_one(struct sw_detect_summary sum, enum sw_anomaly_type type, uint32_t i,
                               sw_day_t since)
{
        assert_int_equal(sum.cleared, 1);
        assert_one_finding(type, i, since, SW_STATUS_CLEARED);
}

/* ---- ghost stock ---- */

static void test_ghost_lifecycle(void **state)
{
        sw_day_t since;
        (void)state;
        uint32_t fast = add_fast_mover("FAST", 40);
        uint32_t slow = add_slow_mover("SLOW");

        /* As of D: only the fast mover's empty day is out of character. */
        struct sw_detect_summary sum = ghost(D);
        assert_int_equal(sum.evaluated, 2);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(sum.updated, 0);
        assert_int_equal(sum.cleared, 0);
        /* Since the first quiet day. */
        const struct sw_finding *f = assert_opened_one(SW_ANOMALY_GHOST_STOCK, fast, D - 1);
        assert_int_equal(f->as_of, D);
        assert_int_equal(f->action, SW_ACTION_CYCLE_COUNT);
        assert_int_equal(f->ghost.run_days, 1);
        assert_true(f->ghost.flagged);
        assert_true(f->probability >= 0.0 && f->probability <= 1.0);
        assert_true(f->probability > 0.95); /* p = e^-10 for 10 expected units */
        assert_int_equal(f->severity, SW_SEVERITY_CRITICAL);
        assert_true(fabs(f->value - 40 * 2.5) < 1e-9);
        assert_true(f->score > 4.0);
        assert_true(strlen(f->description) > 0);
        assert_non_null(strstr(f->description, "No sales for 1 day"));
        assert_non_null(strstr(f->description, "40 units"));
        assert_true(book_has(SW_ANOMALY_GHOST_STOCK, fast, &since));
        assert_int_equal(since, D - 1);
        assert_false(book_has(SW_ANOMALY_GHOST_STOCK, slow, NULL));

        /* Still nothing sold on D: the same episode is updated. */
        sw_sku_advance(&fx.skus, fast, D);
        sw_sku_advance(&fx.skus, slow, D);
        sum = ghost(D + 1);
        assert_int_equal(sum.opened, 0);
        assert_int_equal(sum.updated, 1);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.f[0].sku_index, fast);
        assert_false(rec.f[0].is_new);
        assert_int_equal(rec.f[0].status, SW_STATUS_OPEN);
        assert_int_equal(rec.f[0].since, D - 1);
        assert_int_equal(rec.f[0].ghost.run_days, 2);
        assert_int_equal(fx.book.count, 1);

        /* Sales resume on D+1: the episode is cleared and leaves the book. */
        sw_sku_add_sold(&fx.skus, fast, D + 1, 12);
        sum = ghost(D + 2);
        assert_cleared_one(sum, SW_ANOMALY_GHOST_STOCK, fast, D - 1);
        assert_int_equal(sum.opened, 0);
        assert_int_equal(fx.book.count, 0);

        /* Nothing open, nothing flagged: a run reports nothing. */
        sum = ghost(D + 2);
        assert_int_equal(rec.n, 0);
        assert_int_equal(sum.cleared, 0);
}

static void test_ghost_needs_stock(void **state)
{
        (void)state;
        uint32_t empty = add_fast_mover("EMPTY", 0);
        uint32_t neg = add_fast_mover("NEG", -4);
        uint32_t fast = add_fast_mover("FAST", 40);
        ghost(D);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.f[0].sku_index, fast);
        assert_false(book_has(SW_ANOMALY_GHOST_STOCK, empty, NULL));
        assert_false(book_has(SW_ANOMALY_GHOST_STOCK, neg, NULL));
        /* The book dropping to zero ends an open episode even without sales. */
        sw_sku_at(&fx.skus, fast)->on_hand = 0;
        sw_sku_advance(&fx.skus, fast, D);
        assert_cleared_one(ghost(D + 1), SW_ANOMALY_GHOST_STOCK, fast, D - 1);
}

static void test_ghost_skips_skus_without_past(void **state)
{
        (void)state;
        uint32_t i = add_sku("NEW", 10, 1.0f);
        sw_sku_add_sold(&fx.skus, i, D, 3); /* first data on the as_of day itself */
        add_sku("NOTHING", 10, 1.0f);
        struct sw_detect_summary sum = ghost(D);
        assert_int_equal(sum.evaluated, 0);
        assert_int_equal(rec.n, 0);
}

static void test_callback_error_aborts(void **state)
{
        (void)state;
        uint32_t fast = add_fast_mover("FAST", 40);
        struct sw_detect_summary sum = {0};
        rec.err = -EIO;
        assert_int_equal(sw_detect_ghost(&fx.det, D, sw_test_record, &rec, &sum), -EIO);
        assert_int_equal(rec.n, 1);
        assert_int_equal(fx.book.count, 0); /* not opened: the finding was not taken */
        rec.err = 0;
        ghost(D);
        assert_true(rec.f[0].is_new);
        assert_true(book_has(SW_ANOMALY_GHOST_STOCK, fast, NULL));
        /* A failed clearing leaves the episode open, to be cleared by the next run. */
        sw_sku_add_sold(&fx.skus, fast, D, 9);
        rec.err = -ENOSPC;
        rec.n = 0;
        assert_int_equal(sw_detect_ghost(&fx.det, D + 1, sw_test_record, &rec, &sum), -ENOSPC);
        assert_int_equal(rec.f[0].status, SW_STATUS_CLEARED);
        assert_true(book_has(SW_ANOMALY_GHOST_STOCK, fast, NULL));
        rec.err = 0;
        assert_cleared_one(ghost(D + 1), SW_ANOMALY_GHOST_STOCK, fast, D - 1);
}

static void test_book_full(void **state)
{
        (void)state;
        teardown(NULL);
        fixture_init(1);
        add_fast_mover("F1", 40);
        add_fast_mover("F2", 40);
        struct sw_detect_summary sum = ghost(D);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(sum.book_full, 1);
        assert_int_equal(rec.n, 1);
        assert_int_equal(fx.book.count, 1);
}

/* ---- shelf out ---- */

/* The SKU's shelf state, taken from the pool on first use. */
static struct sw_shelf *shelf_of(uint32_t i)
{
        struct sw_shelf *sh = NULL;
        assert_int_equal(sw_sku_shelf_get_or_add(&fx.skus, i, &sh), 0);
        assert_ptr_equal(sw_sku_shelf(&fx.skus, i), sh);
        return sh;
}

/* Shelf state as ingest leaves it: count, newest reading, zero streak (start, readings, the
 * opening seconds between its readings). */
static void set_shelf_streak(uint32_t i, int32_t count, int64_t ts, int64_t zero_since,
                             uint32_t readings, uint32_t zero_open_s)
{
        struct sw_shelf *sh = shelf_of(i);
        sh->count = count;
        sh->ts = (uint32_t)ts;
        sh->zero_since = (uint32_t)zero_since;
        sh->zero_readings = readings;
        sh->zero_open_s = zero_open_s;
}

static void set_shelf(uint32_t i, int32_t count, int64_t ts, int64_t zero_since)
{
        set_shelf_streak(i, count, ts, zero_since, count == 0 ? 1 : 0, 0);
}

static void test_shelf_out(void **state)
{
        (void)state;
        fx.det.shelf_out.min_readings = 2;
        uint32_t e = add_sku("EMPTY-SHELF", 10, 2.0f);
        uint32_t none = add_sku("NO-STOCK", 0, 2.0f);
        uint32_t no_sensor = add_sku("NO-SENSOR", 10, 2.0f);
        /* One zero reading at 20:45, none since: a sensor's false zero is not 35 minutes of
         * empty shelf the next morning (the time since the last reading is not zero time). */
        set_shelf(e, 0, at(D, 20, 45), at(D, 20, 45));
        set_shelf(none, 0, at(D, 20, 45), at(D, 20, 45));
        struct sw_detect_summary sum = stock(at(D + 1, 9, 20));
        assert_int_equal(sum.evaluated, 3);
        assert_int_equal(rec.n, 0);
        /* A second zero reading at 09:20: 15 + 20 minutes of opening hours between them, past
         * the 30 minute threshold, at two readings. */
        set_shelf_streak(e, 0, at(D + 1, 9, 20), at(D, 20, 45), 2, 35 * 60);
        set_shelf_streak(none, 0, at(D + 1, 9, 20), at(D, 20, 45), 2, 35 * 60);
        sum = stock(at(D + 1, 9, 20));
        assert_int_equal(sum.opened, 1);
        /* Since the day the shelf went empty. */
        const struct sw_finding *f = assert_opened_one(SW_ANOMALY_SHELF_OUT, e, D);
        assert_int_equal(f->as_of, D + 1);
        assert_int_equal(f->action, SW_ACTION_CHECK_SHELF);
        assert_int_equal(f->stock.duration_s, 35 * 60);
        assert_int_equal(f->stock.on_hand, 10);
        assert_int_equal(f->stock.shelf_count, 0);
        /* Two readings wrongly 0 in a row: 0.05^2. */
        assert_true(fabs(f->probability - (1.0 - 0.05 * 0.05)) < 1e-12);
        assert_int_equal(f->severity, SW_SEVERITY_WARNING);
        assert_true(fabs(f->value - 20.0) < 1e-9);
        assert_true(strlen(f->description) > 0);
        assert_false(book_has(SW_ANOMALY_SHELF_OUT, none, NULL));
        assert_null(sw_sku_shelf(&fx.skus, no_sensor));
        assert_false(book_has(SW_ANOMALY_SHELF_OUT, no_sensor, NULL));
        assert_false(book_has(SW_ANOMALY_INVENTORY_DISCREPANCY, no_sensor, NULL));
        /* The minute sweep reports no re-detection of an open episode. */
        fx.det.quiet_updates = true;
        sum = stock(at(D + 1, 12, 0));
        assert_int_equal(sum.updated, 0);
        assert_int_equal(rec.n, 0);
        assert_true(book_has(SW_ANOMALY_SHELF_OUT, e, NULL));
        fx.det.quiet_updates = false;
        /* Later the same day, two more zero readings: an update of the same episode, now
         * critical (four readings, twice the time). */
        set_shelf_streak(e, 0, at(D + 1, 15, 0), at(D, 20, 45), 4, 15 * 60 + 6 * HOUR);
        sum = stock(at(D + 1, 15, 0));
        assert_int_equal(sum.updated, 1);
        assert_int_equal(rec.n, 1);
        assert_false(rec.f[0].is_new);
        assert_int_equal(rec.f[0].since, D);
        assert_true(rec.f[0].stock.duration_s == 15 * 60 + 6 * HOUR);
        assert_int_equal(rec.f[0].severity, SW_SEVERITY_CRITICAL);
        /* A positive count clears it. */
        set_shelf(e, 3, at(D + 1, 15, 30), 0);
        assert_cleared_one(stock(at(D + 1, 16, 0)), SW_ANOMALY_SHELF_OUT, e, D);
        assert_int_equal(fx.book.count, 0);
}

static void test_shelf_out_cleared_when_book_empties(void **state)
{
        (void)state;
        uint32_t e = add_sku("E", 4, 1.0f);
        set_shelf_streak(e, 0, at(D, 12, 0), at(D, 10, 0), 3, 2 * HOUR);
        stock(at(D, 12, 0));
        assert_opened_one(SW_ANOMALY_SHELF_OUT, e, D);
        sw_sku_at(&fx.skus, e)->on_hand = 0; /* sold through: an empty shelf is expected */
        assert_cleared_one(stock(at(D, 13, 0)), SW_ANOMALY_SHELF_OUT, e, D);
}

/* ---- inventory discrepancy ---- */

static void test_negative_book(void **state)
{
        (void)state;
        uint32_t n = add_sku("NEG", -3, 2.0f);
        sw_sku_at(&fx.skus, n)->book_negative_since = (uint32_t)at(D - 2, 10, 0);
        struct sw_detect_summary sum = stock(at(D, 12, 0));
        assert_int_equal(sum.opened, 1);
        const struct sw_finding *f = assert_opened_one(SW_ANOMALY_INVENTORY_DISCREPANCY, n, D - 2);
        assert_int_equal(f->stock.negative_book, 1);
        assert_int_equal(f->stock.on_hand, -3);
        assert_true(f->probability > 0.9 && f->probability <= 1.0);
        assert_true(fabs(f->value - 6.0) < 1e-9);
        assert_int_equal(f->action, SW_ACTION_CYCLE_COUNT);
        /* Still negative: updated. A count fixes the book: cleared. */
        assert_int_equal(stock(at(D, 13, 0)).updated, 1);
        sw_sku_at(&fx.skus, n)->on_hand = 5;
        sw_sku_at(&fx.skus, n)->book_negative_since = 0;
        assert_cleared_one(stock(at(D, 14, 0)), SW_ANOMALY_INVENTORY_DISCREPANCY, n, D - 2);
}

static void test_shelf_above_book(void **state)
{
        (void)state;
        uint32_t u = add_sku("ABOVE", 2, 1.5f);
        struct sw_sku *s = sw_sku_at(&fx.skus, u);
        struct sw_shelf *sh = shelf_of(u);
        sh->count = 6;
        sh->above_since = (uint32_t)at(D, 10, 0);
        sh->ts = (uint32_t)at(D, 10, 30);
        /* Half an hour above the book: not yet. */
        stock(at(D, 12, 0));
        assert_int_equal(rec.n, 0);
        /* Two hours: raised. */
        sh->ts = (uint32_t)at(D, 12, 0);
        struct sw_detect_summary sum = stock(at(D, 12, 5));
        assert_int_equal(sum.opened, 1);
        const struct sw_finding *f = assert_opened_one(SW_ANOMALY_INVENTORY_DISCREPANCY, u, D);
        assert_int_equal(f->stock.negative_book, 0);
        assert_int_equal(f->stock.duration_s, 2 * HOUR);
        assert_int_equal(f->stock.shelf_count, 6);
        assert_true(fabs(f->value - 4 * 1.5) < 1e-9);
        assert_true(f->probability > 0.0 && f->probability <= 1.0);
        /* A receipt brings the book up to the shelf: cleared. */
        s->on_hand = 6;
        assert_cleared_one(stock(at(D, 13, 0)), SW_ANOMALY_INVENTORY_DISCREPANCY, u, D);
}

/* SKUs no sensor reported have no shelf state: the discrepancy check sees the book alone. */
static void test_discrepancy_without_sensor(void **state)
{
        (void)state;
        uint32_t ok = add_sku("OK", 4, 1.0f);
        uint32_t neg = add_sku("NEG", -2, 1.0f);
        sw_sku_at(&fx.skus, neg)->book_negative_since = (uint32_t)at(D - 1, 18, 0);
        struct sw_detect_summary sum = stock(at(D, 12, 0));
        assert_int_equal(sum.evaluated, 2);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(rec.n, 1);
        assert_int_equal(rec.f[0].sku_index, neg);
        assert_int_equal(rec.f[0].since, D - 1);
        assert_int_equal(rec.f[0].stock.shelf_count, -1);
        assert_int_equal(rec.f[0].stock.negative_book, 1);
        assert_false(book_has(SW_ANOMALY_INVENTORY_DISCREPANCY, ok, NULL));
        assert_null(sw_sku_shelf(&fx.skus, ok));
        assert_null(sw_sku_shelf(&fx.skus, neg));
        assert_int_equal(fx.skus.n_shelves, 0);
}

/* Regression: a pushed forecast for a day ahead used to move the sales ring past the
 * history the ghost detector reads. */
static void test_ghost_with_future_forecast(void **state)
{
        (void)state;
        uint32_t fast = add_fast_mover("FAST", 40);
        assert_int_equal(sw_sku_set_pushed_forecast(&fx.skus, fast, D + 13, 10.0), 0);
        assert_int_equal(sw_sku_at(&fx.skus, fast)->last_day, D - 1);
        struct sw_detect_summary sum = ghost(D);
        assert_int_equal(sum.evaluated, 1);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(rec.f[0].sku_index, fast);
        assert_int_equal(rec.f[0].since, D - 1);
        assert_int_equal(rec.f[0].ghost.run_days, 1);
        /* A late sale for the quiet day still lands in the history ... */
        sw_sku_add_sold(&fx.skus, fast, D - 1, 9);
        assert_int_equal(sw_sku_sold(&fx.skus, fast, D - 1), 9);
        /* ... and sales on D end the episode. */
        sw_sku_add_sold(&fx.skus, fast, D, 12);
        assert_cleared_one(ghost(D + 1), SW_ANOMALY_GHOST_STOCK, fast, D - 1);
}

static void test_stock_disabled_and_errors(void **state)
{
        (void)state;
        uint32_t n = add_sku("NEG", -3, 2.0f);
        fx.det.discrepancy.enabled = false;
        stock(at(D, 12, 0));
        assert_int_equal(rec.n, 0);
        fx.det.discrepancy.enabled = true;
        struct sw_local_time now_local;
        sw_test_utc_to_local(NULL, at(D, 12, 0), &now_local);
        rec.err = -EPIPE;
        assert_int_equal(
            sw_detect_stock(&fx.det, at(D, 12, 0), &now_local, sw_test_record, &rec, NULL), -EPIPE);
        assert_false(book_has(SW_ANOMALY_INVENTORY_DISCREPANCY, n, NULL));
        rec.err = 0;
        assert_int_equal(stock(at(D, 12, 0)).opened, 1);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_ghost_lifecycle),
        SW_TEST_FRESH(test_ghost_needs_stock),
        SW_TEST_FRESH(test_ghost_skips_skus_without_past),
        SW_TEST_FRESH(test_callback_error_aborts),
        SW_TEST_FRESH(test_book_full),
        SW_TEST_FRESH(test_shelf_out),
        SW_TEST_FRESH(test_shelf_out_cleared_when_book_empties),
        SW_TEST_FRESH(test_negative_book),
        SW_TEST_FRESH(test_shelf_above_book),
        SW_TEST_FRESH(test_discrepancy_without_sensor),
        SW_TEST_FRESH(test_ghost_with_future_forecast),
        SW_TEST_FRESH(test_stock_disabled_and_errors))
/* clang-format on */
