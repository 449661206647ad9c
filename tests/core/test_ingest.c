/* Unit tests of applying device messages to the SKU table (core/ingest.c). */
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

#include "core/civil_time.h"
#include "core/dedup.h"
#include "core/ingest.h"
#include "core/message.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define HOUR         3600
#define HISTORY_DAYS 14
#define MAX_FUTURE   300
#define HORIZON      14
/* The forecast ring reaches back HISTORY_DAYS past today when forecasts run HORIZON ahead. */
#define FORECAST_DAYS (HISTORY_DAYS + HORIZON)

/* ---- calendar adapters, pure C ---- */

/* A zone with a fixed UTC offset; fail makes every conversion fail. */
struct fixed_zone {
        int32_t offset_s; /* local = UTC + offset_s */
        bool fail;        /* return -EIO */
};

static int fixed_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret)
{
        const struct fixed_zone *z = ctx;
        if (z->fail)
                return -EIO;
        return sw_test_utc_to_local(NULL, unix_seconds + z->offset_s, ret);
}

static int64_t utc(int y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
        return (int64_t)sw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* America/New_York in 2026: EDT (-4 h) from 2026-03-08T07:00Z to 2026-11-01T06:00Z, else EST. */
static int new_york_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret)
{
        bool dst = unix_seconds >= utc(2026, 3, 8, 7, 0) && unix_seconds < utc(2026, 11, 1, 6, 0);
        (void)ctx;
        return sw_test_utc_to_local(NULL, unix_seconds + (dst ? -4 : -5) * HOUR, ret);
}

/* ---- fixture ---- */

struct fixture {
        struct sw_sku_table skus;
        struct sw_dedup dedup;
        struct sw_store_calendar cal;
        struct sw_ingest in;
        struct fixed_zone zone;
        void *sku_mem;
        void *dedup_mem;
};

static struct fixture fx;
static struct sw_item items[8];
static sw_day_t D; /* 2026-11-24 */
static int64_t T;  /* 2026-11-24T12:00:00Z, "now" unless a test says otherwise */

static void fixture_init_params(const struct sw_sku_table_params *p)
{
        struct sw_ingest_params ip = {.max_future_seconds = MAX_FUTURE,
                                      .forecast_horizon_days = HORIZON,
                                      .max_shelf_gap_seconds = 2 * HOUR};
        size_t size;

        memset(&fx, 0, sizeof(fx));
        fx.sku_mem = sw_test_sku_table_init(&fx.skus, p, true); /* junk: missing init shows */
        size = sw_dedup_memory_size(64);
        fx.dedup_mem = malloc(size);
        assert_non_null(fx.dedup_mem);
        assert_int_equal(sw_dedup_init(&fx.dedup, 64, fx.dedup_mem, size), 0);
        /* Open 09:00-21:00 every day, store time = UTC unless a test changes the zone. */
        sw_test_calendar_daily(&fx.cal, 9, 21);
        fx.cal.tz = (struct sw_calendar_adapter){.to_local = fixed_to_local, .ctx = &fx.zone};
        sw_ingest_init(&fx.in, &ip, &fx.skus, &fx.dedup, &fx.cal);
}

static void fixture_init(uint32_t max_skus, uint16_t max_categories)
{
        struct sw_sku_table_params p = {.max_skus = max_skus,
                                        .history_days = HISTORY_DAYS,
                                        .forecast_days = FORECAST_DAYS,
                                        .max_categories = max_categories};
        fixture_init_params(&p);
}

static int setup(void **state)
{
        (void)state;
        D = sw_days_from_civil(2026, 11, 24);
        T = utc(2026, 11, 24, 12, 0);
        fixture_init(8, 4);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        free(fx.sku_mem);
        free(fx.dedup_mem);
        return 0;
}

/* ---- message builders (items[] is shared: build, apply, then build the next) ---- */

static struct sw_item *item(uint32_t k, const char *sku, int32_t qty)
{
        items[k] = (struct sw_item){
            .sku = sku, .sku_len = (uint8_t)strlen(sku), .qty = qty, .has = SW_HAS_QTY};
        return &items[k];
}

static struct sw_msg msg(enum sw_msg_kind kind, const char *id, int64_t ts, uint32_t n)
{
        return (struct sw_msg){.kind = kind,
                               .id = id,
                               .id_len = id ? strlen(id) : 0,
                               .ts = ts,
                               .has_ts = kind != SW_MSG_FORECAST,
                               .n_items = n,
                               .items_cap = sizeof(items) / sizeof(items[0]),
                               .items = items};
}

static struct sw_ingest_result apply_at(const struct sw_msg *m, int64_t now)
{
        struct sw_ingest_result r;
        assert_int_equal(sw_ingest_apply(&fx.in, m, now, &r), 0);
        return r;
}

/* One-line POS / receipt applied at now = ts. */
static struct sw_ingest_result pos(const char *id, int64_t ts, const char *sku, int32_t qty)
{
        item(0, sku, qty);
        struct sw_msg m = msg(SW_MSG_POS, id, ts, 1);
        return apply_at(&m, ts);
}

static struct sw_ingest_result receipt(const char *id, int64_t ts, const char *sku, int32_t qty)
{
        item(0, sku, qty);
        struct sw_msg m = msg(SW_MSG_RECEIPT, id, ts, 1);
        return apply_at(&m, ts);
}

static struct sw_ingest_result inventory(int64_t ts, const char *sku, int32_t on_hand)
{
        item(0, sku, on_hand)->has = SW_HAS_ON_HAND;
        struct sw_msg m = msg(SW_MSG_INVENTORY, NULL, ts, 1);
        return apply_at(&m, ts);
}

static struct sw_ingest_result shelf(int64_t ts, const char *sku, int32_t count)
{
        item(0, sku, count);
        struct sw_msg m = msg(SW_MSG_SHELF, NULL, ts, 1);
        return apply_at(&m, ts);
}

static uint32_t idx(const char *sku)
{
        uint32_t i = UINT32_MAX;
        if (sw_sku_table_find(&fx.skus, sku, strlen(sku), &i) != 0)
                fail_msg("SKU %s not in the table", sku);
        return i;
}

static struct sw_sku *sku(const char *name)
{
        return sw_sku_at(&fx.skus, idx(name));
}

/* The SKU's shelf state; fails when it has none. */
static struct sw_shelf *shelf_of(const char *name)
{
        struct sw_shelf *sh = sw_sku_shelf(&fx.skus, idx(name));
        if (!sh)
                fail_msg("SKU %s has no shelf state", name);
        return sh;
}

static int32_t sold(const char *name, sw_day_t day)
{
        return sw_sku_sold(&fx.skus, idx(name), day);
}

static void assert_accepted(struct sw_ingest_result r, uint32_t applied, uint32_t skipped)
{
        assert_int_equal(r.outcome, SW_INGEST_ACCEPTED);
        assert_int_equal(r.items_applied, applied);
        assert_int_equal(r.items_skipped, skipped);
}

static void assert_rejected(struct sw_ingest_result r, enum sw_reject_reason why)
{
        assert_int_equal(r.outcome, SW_INGEST_REJECTED);
        assert_int_equal(r.reason, why);
        assert_int_equal(r.items_applied, 0);
}

/* ---- POS ---- */

static void test_pos_sale_event_day(void **state)
{
        (void)state;
        fx.zone.offset_s = -6 * HOUR;
        /* 03:00Z is 21:00 on the 23rd in the store: the sale belongs to that day. */
        item(0, "A", 3);
        items[0].has |= SW_HAS_PRICE;
        items[0].price = 2.5;
        item(1, "B", 1);
        struct sw_msg m = msg(SW_MSG_POS, "p1", utc(2026, 11, 24, 3, 0), 2);
        assert_accepted(apply_at(&m, T), 2, 0);
        assert_int_equal(sold("A", D - 1), 3);
        assert_int_equal(sku("A")->last_day, D - 1);
        assert_int_equal(sold("B", D - 1), 1);
        assert_int_equal(sku("A")->on_hand, -3);
        assert_int_equal(sku("B")->on_hand, -1);
        assert_true(sku("A")->price == 2.5f);
        assert_true(sku("A")->flags & SW_SKU_HAS_PRICE);
        assert_false(sku("A")->flags & SW_SKU_HAS_LIST_PRICE);
        assert_false(sku("B")->flags & SW_SKU_HAS_PRICE);
        assert_true(sku("A")->flags & SW_SKU_DIRTY);
        assert_int_equal(fx.skus.n_dirty, 2);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_POS], 1);
        /* 07:00Z is 01:00 on the 24th. */
        assert_accepted(pos("p2", utc(2026, 11, 24, 7, 0), "A", 2), 1, 0);
        assert_int_equal(sold("A", D), 2);
        assert_int_equal(sold("A", D - 1), 3);
        assert_int_equal(sku("A")->on_hand, -5);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_POS], 2);
}

static void test_pos_return(void **state)
{
        (void)state;
        assert_accepted(pos("p1", T - HOUR, "A", 5), 1, 0);
        assert_accepted(pos("p2", T, "A", -2), 1, 0);
        assert_int_equal(sku("A")->on_hand, -3);
        assert_int_equal(sold("A", D), 5); /* a return is not negative sales */
        /* A return of a SKU never sold: the book rises, the day is known with zero sales. */
        assert_accepted(pos("p3", T, "B", -1), 1, 0);
        assert_int_equal(sku("B")->on_hand, 1);
        assert_int_equal(sold("B", D), 0);
        assert_int_equal(sku("B")->last_day, D);
}

static void test_duplicate_id(void **state)
{
        (void)state;
        assert_accepted(pos("dup", T, "A", 4), 1, 0);
        struct sw_ingest_result r = pos("dup", T, "A", 4);
        assert_int_equal(r.outcome, SW_INGEST_DUPLICATE);
        assert_int_equal(r.items_applied, 0);
        assert_int_equal(sold("A", D), 4);
        assert_int_equal(sku("A")->on_hand, -4);
        assert_int_equal(fx.in.counters.duplicates[SW_MSG_POS], 1);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_POS], 1);
        /* The id is compared by its length, not up to a NUL. */
        item(0, "A", 4);
        struct sw_msg m = msg(SW_MSG_POS, "dup-and-more", T, 1);
        m.id_len = 3;
        assert_int_equal(apply_at(&m, T).outcome, SW_INGEST_DUPLICATE);
        /* Another id is another transaction, even with the same content. */
        assert_accepted(pos("dup2", T, "A", 4), 1, 0);
        assert_int_equal(sold("A", D), 8);
        /* Receipts are deduplicated too. */
        assert_accepted(receipt("r1", T, "A", 10), 1, 0);
        assert_int_equal(receipt("r1", T, "A", 10).outcome, SW_INGEST_DUPLICATE);
        assert_int_equal(sku("A")->on_hand, 2);
        assert_int_equal(fx.in.counters.duplicates[SW_MSG_RECEIPT], 1);
}

/* The latest stock-out: from the first day the book is at or below 0 to the newest. */
static void test_stockout_days(void **state)
{
        const int64_t day = 86400;
        (void)state;
        inventory(T - 2 * day, "A", 3);
        assert_int_equal(sku("A")->stockout_day, SW_DAY_NONE);
        assert_accepted(pos("s1", T - 2 * day + 60, "A", 2), 1, 0);
        assert_int_equal(sku("A")->stockout_day, SW_DAY_NONE);
        /* Sold out on D-2. */
        assert_accepted(pos("s2", T - 2 * day + 120, "A", 1), 1, 0);
        assert_int_equal(sku("A")->stockout_from, D - 2);
        assert_int_equal(sku("A")->stockout_day, D - 2);
        /* Still out on D-1 (a return of nothing changes nothing); restocked on D: it was out
         * until the delivery, so D is its last day. */
        assert_accepted(receipt("r1", T, "A", 12), 1, 0);
        assert_int_equal(sku("A")->stockout_from, D - 2);
        assert_int_equal(sku("A")->stockout_day, D);
        /* Selling from stock moves nothing. */
        assert_accepted(pos("s3", T + 60, "A", 5), 1, 0);
        assert_int_equal(sku("A")->stockout_day, D);
        /* A count that finds nothing starts a new stock-out. */
        inventory(T + day, "A", 0);
        assert_int_equal(sku("A")->stockout_from, D + 1);
        assert_int_equal(sku("A")->stockout_day, D + 1);
}

static void test_receipt(void **state)
{
        (void)state;
        assert_accepted(receipt("r1", T, "A", 24), 1, 0);
        assert_int_equal(sku("A")->on_hand, 24);
        /* The SKU's history starts at its first record of any kind: a day without sales. */
        assert_int_equal(sold("A", D), 0);
        assert_int_equal(sold("A", D - 1), -1);
        assert_accepted(pos("p1", T + 60, "A", 3), 1, 0);
        assert_int_equal(sku("A")->on_hand, 21);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_RECEIPT], 1);
}

/* ---- inventory and the book ---- */

static void test_inventory_sets_book(void **state)
{
        const int64_t t1 = T - 2 * HOUR;
        (void)state;
        item(0, "A", 50)->has = SW_HAS_ON_HAND | SW_HAS_PRICE | SW_HAS_CATEGORY;
        items[0].price = 3.0;
        items[0].category = "dairy";
        items[0].category_len = 5;
        struct sw_msg m = msg(SW_MSG_INVENTORY, NULL, t1, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        struct sw_sku *a = sku("A");
        assert_int_equal(a->on_hand, 50);
        assert_int_equal(a->book_as_of, (uint32_t)t1);
        assert_true(a->price == 3.0f);
        assert_int_equal(a->flags & (SW_SKU_HAS_BOOK | SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE),
                         SW_SKU_HAS_BOOK | SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE);
        assert_string_equal(sw_sku_category_name(&fx.skus, a->category), "dairy");
        assert_int_equal(fx.in.counters.accepted[SW_MSG_INVENTORY], 1);

        /* An older record does not roll the book back. */
        assert_accepted(inventory(t1 - 100, "A", 10), 1, 0);
        assert_int_equal(a->on_hand, 50);
        assert_int_equal(a->book_as_of, (uint32_t)t1);
        assert_int_equal(fx.in.counters.stale_items, 1);

        /* Sales and receipts from before the record are already in it. */
        assert_accepted(pos("p-old", t1 - 50, "A", 3), 1, 0);
        assert_int_equal(a->on_hand, 50);
        assert_int_equal(sold("A", D), 3); /* but they are still sales */
        assert_accepted(receipt("r-old", t1 - 10, "A", 5), 1, 0);
        assert_int_equal(a->on_hand, 50);
        /* Later ones move it. */
        item(0, "A", 2)->has |= SW_HAS_PRICE;
        items[0].price = 9.9; /* price paid does not replace the list price */
        m = msg(SW_MSG_POS, "p-new", t1 + 10, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        assert_int_equal(a->on_hand, 48);
        assert_true(a->price == 3.0f);
        assert_accepted(receipt("r-new", t1 + 20, "A", 12), 1, 0);
        assert_int_equal(a->on_hand, 60);

        /* A newer record replaces the book. */
        assert_accepted(inventory(t1 + 100, "A", 40), 1, 0);
        assert_int_equal(a->on_hand, 40);
        assert_int_equal(a->book_as_of, (uint32_t)(t1 + 100));
        /* A record without on_hand leaves the book alone. */
        item(0, "A", 0)->has = SW_HAS_PRICE;
        items[0].price = 3.5;
        m = msg(SW_MSG_INVENTORY, NULL, t1 + 200, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        assert_int_equal(a->on_hand, 40);
        assert_int_equal(a->book_as_of, (uint32_t)(t1 + 100));
        assert_true(a->price == 3.5f);
}

/* One POS line of qty units of sku paid `price`, at ts (applied at T). */
static void pos_paid(const char *id, int64_t ts, const char *name, int32_t qty, double price)
{
        item(0, name, qty)->has |= SW_HAS_PRICE;
        items[0].price = price;
        struct sw_msg m = msg(SW_MSG_POS, id, ts, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
}

static void list_price(int64_t ts, const char *name, double price)
{
        item(0, name, 0)->has = SW_HAS_PRICE;
        items[0].price = price;
        struct sw_msg m = msg(SW_MSG_INVENTORY, NULL, ts, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
}

/* The price watch through ingest: list changes, and the price paid against the list. */
static void test_price_watch(void **state)
{
        (void)state;
        /* Before any list price, a price paid is the SKU's price and is no deviation. */
        pos_paid("p0", T - 12 * 24 * HOUR, "A", 1, 7.0);
        assert_int_equal(sku("A")->price_watch.off_from, SW_WATCH_DAY_NONE);
        list_price(T - 10 * 24 * HOUR, "A", 4.0);
        assert_int_equal(sku("A")->price_watch.list_since, D - 10);
        /* Registers charge 10 (ln 2.5) on two lines of D-1, 4 on one; a return at 10 is a
         * refund, not a price charged. */
        pos_paid("p1", T - 24 * HOUR, "A", 2, 10.0);
        pos_paid("p2", T - 24 * HOUR + 60, "A", 1, 4.0);
        pos_paid("p3", T - 24 * HOUR + 120, "A", 1, 10.0);
        pos_paid("p4", T - 24 * HOUR + 180, "A", -1, 10.0);
        struct sw_paid_summary s = sw_price_watch_paid_summary(&sku("A")->price_watch, D);
        assert_int_equal(s.off_lines, 2);
        assert_int_equal(s.lines, 3);
        assert_true(fabs(s.mean_log - 2 * log(2.5) / 3) < 1e-6);
        assert_int_equal(s.from, D - 1);
        /* The price file now says 10 too: a change from the first list price 4 (the reference
         * whatever its age: there is no other), and the streak ends. */
        list_price(T, "A", 10.0);
        assert_true(sku("A")->price == 10.0f);
        assert_true(sku("A")->price_watch.list_prev == 4.0f);
        assert_int_equal(sku("A")->price_watch.off_from, SW_WATCH_DAY_NONE);
        assert_true(fabs(sw_price_watch_list_change(&sku("A")->price_watch, 10.0, D + 1, NULL) -
                         log(2.5)) < 1e-6);
        /* Paid at the new list price: nothing off. */
        pos_paid("p5", T + 60, "A", 1, 10.0);
        assert_int_equal(sw_price_watch_paid_summary(&sku("A")->price_watch, D + 1).lines, 0);
}

static void test_inventory_categories_full(void **state)
{
        (void)state;
        teardown(NULL);
        fixture_init(8, 2); /* room for one category name */
        item(0, "A", 1)->has = SW_HAS_CATEGORY;
        items[0].category = "dairy";
        items[0].category_len = 5;
        item(1, "B", 1)->has = SW_HAS_CATEGORY;
        items[1].category = "bakery";
        items[1].category_len = 6;
        struct sw_msg m = msg(SW_MSG_INVENTORY, NULL, T, 2);
        assert_accepted(apply_at(&m, T), 2, 0);
        assert_string_equal(sw_sku_category_name(&fx.skus, sku("A")->category), "dairy");
        assert_int_equal(sku("B")->category, 0);
        assert_int_equal(fx.in.counters.categories_full, 1);
}

/* ---- forecasts ---- */

static void test_forecast(void **state)
{
        (void)state;
        item(0, "A", 0)->date = D + 2;
        items[0].units = 4.5;
        item(1, "B", 0)->date = D - 3;
        items[1].units = 0.0;
        struct sw_msg m = msg(SW_MSG_FORECAST, NULL, 0, 2);
        assert_accepted(apply_at(&m, T), 2, 0);
        assert_true(fabs(sw_sku_pushed_forecast(&fx.skus, idx("A"), D + 2) - 4.5) <= 0.03 * 4.5);
        assert_true(sw_sku_pushed_forecast(&fx.skus, idx("B"), D - 3) == 0.0);
        assert_true(sw_sku_pushed_forecast(&fx.skus, idx("B"), D - 2) < 0);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_FORECAST], 1);

        /* Edges of the window: today + horizon and today - (forecast_days - horizon) + 1, the
         * oldest day the forecast ring still holds then, are accepted. */
        item(0, "A", 0)->date = D + HORIZON;
        items[0].units = 1.0;
        item(1, "B", 0)->date = D - HISTORY_DAYS + 1;
        items[1].units = 1.0;
        m = msg(SW_MSG_FORECAST, NULL, 0, 2);
        assert_accepted(apply_at(&m, T), 2, 0);

        /* One date too far ahead refuses the whole message and changes nothing. */
        uint32_t count = fx.skus.count;
        item(0, "C", 0)->date = D + 1;
        items[0].units = 7.0;
        item(1, "A", 0)->date = D + HORIZON + 1;
        items[1].units = 7.0;
        m = msg(SW_MSG_FORECAST, NULL, 0, 2);
        assert_rejected(apply_at(&m, T), SW_REJECT_IN_FUTURE);
        assert_int_equal(fx.skus.count, count);
        assert_int_equal(fx.in.counters.rejected[SW_MSG_FORECAST][SW_REJECT_IN_FUTURE], 1);
        /* One date too old likewise. */
        item(0, "A", 0)->date = D + 1;
        items[0].units = 7.0;
        item(1, "B", 0)->date = D - HISTORY_DAYS;
        items[1].units = 7.0;
        m = msg(SW_MSG_FORECAST, NULL, 0, 2);
        assert_rejected(apply_at(&m, T), SW_REJECT_TOO_OLD);
        assert_true(sw_sku_pushed_forecast(&fx.skus, idx("A"), D + 1) < 0);
        assert_int_equal(fx.in.counters.rejected[SW_MSG_FORECAST][SW_REJECT_TOO_OLD], 1);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_FORECAST], 2);
        assert_int_equal(fx.in.counters.stale_items, 0);
        /* Forecasts never make sales known. */
        assert_int_equal(sold("A", D), -1);
        assert_int_equal(sku("A")->last_day, SW_DAY_NONE);
}

/* A forecast the SKU's own ring no longer reaches (it was moved further ahead, e.g. before
 * the clock stepped back) is skipped as stale; the rest of the message applies. */
static void test_forecast_older_than_ring(void **state)
{
        (void)state;
        item(0, "R", 0)->date = D + 5 + HORIZON;
        items[0].units = 2.0;
        struct sw_msg m = msg(SW_MSG_FORECAST, NULL, 0, 1);
        assert_accepted(apply_at(&m, T + 5 * 86400), 1, 0);
        /* Back at T: D - 13 passes the window but R's ring holds D - 8 .. D + 19. */
        item(0, "R", 0)->date = D - 13;
        items[0].units = 9.0;
        item(1, "Q", 0)->date = D - 13;
        items[1].units = 9.0;
        item(2, "R", 0)->date = D - 8;
        items[2].units = 4.0;
        m = msg(SW_MSG_FORECAST, NULL, 0, 3);
        assert_accepted(apply_at(&m, T), 2, 1);
        assert_int_equal(fx.in.counters.stale_items, 1);
        assert_true(sw_sku_pushed_forecast(&fx.skus, idx("R"), D - 13) < 0);
        assert_true(fabs(sw_sku_pushed_forecast(&fx.skus, idx("R"), D - 8) - 4.0) <= 0.03 * 4.0);
        assert_true(fabs(sw_sku_pushed_forecast(&fx.skus, idx("R"), D + 19) - 2.0) <= 0.03 * 2.0);
        assert_true(fabs(sw_sku_pushed_forecast(&fx.skus, idx("Q"), D - 13) - 9.0) <= 0.03 * 9.0);
        assert_int_equal(sku("R")->forecast_last_day, D + 19);
}

/* Regression: a forecast for a day ahead moved the sales ring forward, so the recent
 * history expired and a late sale for it was lost. */
static void test_forecast_keeps_sales_history(void **state)
{
        struct sw_sku_table_params p = {
            .max_skus = 8, .history_days = HISTORY_DAYS, .forecast_days = 20, .max_categories = 4};
        char id[16];
        (void)state;
        teardown(NULL);
        fixture_init_params(&p);
        for (sw_day_t d = D - 10; d <= D - 1; d++) {
                snprintf(id, sizeof(id), "p%d", d - D);
                item(0, "A", (int32_t)(d - D + 11)); /* 1 .. 10 */
                struct sw_msg m = msg(SW_MSG_POS, id, (int64_t)d * 86400 + 12 * HOUR, 1);
                assert_accepted(apply_at(&m, T), 1, 0);
        }
        item(0, "A", 0)->date = D + HORIZON;
        items[0].units = 5.0;
        struct sw_msg m = msg(SW_MSG_FORECAST, NULL, 0, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        assert_int_equal(sku("A")->last_day, D - 1);
        assert_int_equal(sku("A")->first_day, D - 10);
        for (sw_day_t d = D - 10; d <= D - 1; d++)
                assert_int_equal(sold("A", d), d - D + 11);
        /* A late sale for D - 5 is applied and reads back. */
        item(0, "A", 100);
        m = msg(SW_MSG_POS, "late", (int64_t)(D - 5) * 86400 + 15 * HOUR, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        assert_int_equal(sold("A", D - 5), 106);
        assert_int_equal(sku("A")->last_day, D - 1);
        assert_true(fabs(sw_sku_pushed_forecast(&fx.skus, idx("A"), D + HORIZON) - 5.0) <=
                    0.03 * 5.0);
        /* With a 20-day ring and a 14-day horizon, forecasts reach back to today - 5. */
        item(0, "A", 0)->date = D - 5;
        items[0].units = 1.0;
        m = msg(SW_MSG_FORECAST, NULL, 0, 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        item(0, "A", 0)->date = D - 6;
        m = msg(SW_MSG_FORECAST, NULL, 0, 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_TOO_OLD);
        assert_int_equal(sold("A", D - 6), 5);
}

/* ---- shelf sensors ---- */

static void test_shelf_readings(void **state)
{
        (void)state;
        inventory(utc(2026, 11, 24, 8, 0), "S", 3);
        assert_null(sw_sku_shelf(&fx.skus, idx("S"))); /* no reading yet */
        assert_accepted(shelf(utc(2026, 11, 24, 10, 0), "S", 2), 1, 0);
        struct sw_shelf *s = shelf_of("S");
        assert_int_equal(s->count, 2);
        assert_int_equal(s->ts, (uint32_t)utc(2026, 11, 24, 10, 0));
        assert_int_equal(s->zero_open_s, 0);
        assert_int_equal(s->above_since, 0);

        /* Empty at 11:00: the zero streak starts. */
        assert_accepted(shelf(utc(2026, 11, 24, 11, 0), "S", 0), 1, 0);
        assert_int_equal(s->count, 0);
        assert_int_equal(s->zero_open_s, 0);
        assert_int_equal(s->zero_since, (uint32_t)utc(2026, 11, 24, 11, 0));
        /* Still empty at 12:00: one opening hour. */
        assert_accepted(shelf(utc(2026, 11, 24, 12, 0), "S", 0), 1, 0);
        assert_int_equal(s->zero_open_s, HOUR);
        /* A reading older than the last one is ignored. */
        struct sw_ingest_result r = shelf(utc(2026, 11, 24, 11, 30), "S", 5);
        assert_int_equal(r.items_skipped, 1);
        assert_int_equal(r.items_applied, 0);
        assert_int_equal(fx.in.counters.stale_items, 1);
        assert_int_equal(s->count, 0);
        assert_int_equal(s->ts, (uint32_t)utc(2026, 11, 24, 12, 0));
        assert_int_equal(shelf(utc(2026, 11, 24, 12, 0), "S", 5).items_skipped, 1); /* same ts */
        assert_int_equal(s->zero_readings, 2);
        /* Overnight only opening hours count (12:00-21:00 and 09:00-10:00 = 10 h), and of a gap
         * between two readings no more than max_shelf_gap_seconds (2 h): not known to be zero. */
        assert_accepted(shelf(utc(2026, 11, 25, 10, 0), "S", 0), 1, 0);
        assert_int_equal(s->zero_open_s, HOUR + 2 * HOUR);
        assert_int_equal(s->zero_readings, 3);
        assert_int_equal(s->zero_since, (uint32_t)utc(2026, 11, 24, 11, 0));
        /* A positive count resets the streak; above the book (3) starts shelf_above_since. */
        assert_accepted(shelf(utc(2026, 11, 25, 10, 30), "S", 4), 1, 0);
        assert_int_equal(s->zero_open_s, 0);
        assert_int_equal(s->zero_since, 0);
        assert_int_equal(s->zero_readings, 0);
        assert_int_equal(s->above_since, (uint32_t)utc(2026, 11, 25, 10, 30));
        assert_accepted(shelf(utc(2026, 11, 25, 11, 0), "S", 5), 1, 0);
        assert_int_equal(s->above_since, (uint32_t)utc(2026, 11, 25, 10, 30));
        assert_int_equal(s->count, 5);
        /* Back at or below the book. */
        assert_accepted(shelf(utc(2026, 11, 25, 11, 30), "S", 3), 1, 0);
        assert_int_equal(s->above_since, 0);
        /* Empty again: a new streak, counted from zero. */
        assert_accepted(shelf(utc(2026, 11, 25, 20, 30), "S", 0), 1, 0);
        assert_int_equal(s->zero_readings, 1);
        assert_accepted(shelf(utc(2026, 11, 26, 9, 15), "S", 0), 1, 0);
        assert_int_equal(s->zero_open_s, 30 * 60 + 15 * 60);
        assert_int_equal(s->zero_readings, 2);
        /* Messages whose only reading was stale still count as accepted. */
        assert_int_equal(fx.in.counters.accepted[SW_MSG_SHELF], 11);
}

static void test_shelf_several_readings(void **state)
{
        (void)state;
        item(0, "A", 0);
        item(1, "B", 7);
        struct sw_msg m = msg(SW_MSG_SHELF, NULL, T, 2);
        assert_accepted(apply_at(&m, T), 2, 0);
        assert_int_equal(shelf_of("A")->count, 0);
        assert_int_equal(shelf_of("A")->zero_since, (uint32_t)T);
        assert_int_equal(shelf_of("B")->count, 7);
        assert_int_equal(shelf_of("B")->above_since, (uint32_t)T); /* book is 0 */
        assert_int_equal(fx.skus.n_shelves, 2);
}

static void test_shelf_pool_full(void **state)
{
        struct sw_sku_table_params p = {
            .max_skus = 8, .history_days = HISTORY_DAYS, .max_categories = 4, .max_shelves = 2};
        (void)state;
        teardown(NULL);
        fixture_init_params(&p);
        pos("p1", T - HOUR, "D", 1);
        item(0, "A", 0);
        item(1, "B", 7);
        item(2, "C", 4);
        struct sw_msg m = msg(SW_MSG_SHELF, NULL, T - 30 * 60, 3);
        struct sw_ingest_result r = apply_at(&m, T);
        assert_accepted(r, 2, 1);
        assert_int_equal(fx.in.counters.shelves_full, 1);
        assert_int_equal(fx.in.counters.stale_items, 0);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_SHELF], 1);
        assert_null(sw_sku_shelf(&fx.skus, idx("C"))); /* the SKU is known, its shelf is not */
        assert_null(sw_sku_shelf(&fx.skus, idx("D"))); /* sales only */
        assert_false(sku("C")->flags & SW_SKU_DIRTY);
        assert_int_equal(fx.skus.n_shelves, 2);
        /* C's next reading is dropped too; A and B keep working. */
        assert_accepted(shelf(T, "C", 0), 0, 1);
        assert_int_equal(fx.in.counters.shelves_full, 2);
        assert_accepted(shelf(T, "A", 0), 1, 0);
        assert_int_equal(shelf_of("A")->zero_open_s, 30 * 60);
        assert_int_equal(shelf_of("A")->zero_since, (uint32_t)(T - 30 * 60));
        assert_accepted(shelf(T, "B", 1), 1, 0);
        assert_int_equal(shelf_of("B")->count, 1);
        assert_int_equal(shelf_of("B")->above_since, (uint32_t)(T - 30 * 60)); /* book is 0 */
        assert_int_equal(shelf_of("B")->ts, (uint32_t)T);
        /* Everything but the shelf still works for C. */
        assert_accepted(pos("p2", T, "C", 2), 1, 0);
        assert_int_equal(sold("C", D), 2);
        assert_int_equal(fx.in.counters.shelves_full, 2);
}

/* ---- cycle counts ---- */

static void test_cycle_count(void **state)
{
        (void)state;
        inventory(T - HOUR, "A", 10);
        item(0, "A", 7);
        struct sw_msg m = msg(SW_MSG_COUNT, "c1", T, 1);
        struct sw_ingest_result r = apply_at(&m, T);
        assert_accepted(r, 1, 0);
        assert_int_equal(r.sku_index, idx("A"));
        assert_int_equal(r.book_before, 10);
        assert_int_equal(r.adjustment, -3);
        assert_int_equal(sku("A")->on_hand, 7);
        assert_int_equal(sku("A")->book_as_of, (uint32_t)T);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_COUNT], 1);
        /* The count is the book now: an earlier sale does not move it. */
        assert_accepted(pos("p-before", T - 60, "A", 1), 1, 0);
        assert_int_equal(sku("A")->on_hand, 7);
        /* Redelivered: nothing changes. */
        item(0, "A", 7);
        m = msg(SW_MSG_COUNT, "c1", T, 1);
        assert_int_equal(apply_at(&m, T).outcome, SW_INGEST_DUPLICATE);
        /* A count of a SKU not seen before is refused and changes nothing (not even its id). */
        uint32_t unknown;
        item(0, "N", 4);
        m = msg(SW_MSG_COUNT, "c2", T, 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_UNKNOWN_SKU);
        assert_int_equal(sw_sku_table_find(&fx.skus, "N", 1, &unknown), -ENOENT);
        assert_false(sw_dedup_contains(&fx.dedup, sw_dedup_hash("c2", 2)));
        assert_int_equal(fx.in.counters.rejected[SW_MSG_COUNT][SW_REJECT_UNKNOWN_SKU], 1);
        /* Once the store system has told us about it, the same count is accepted. */
        inventory(T - HOUR, "N", 0);
        item(0, "N", 4);
        m = msg(SW_MSG_COUNT, "c2", T, 1);
        r = apply_at(&m, T);
        assert_accepted(r, 1, 0);
        assert_int_equal(r.book_before, 0);
        assert_int_equal(r.adjustment, 4);
        assert_int_equal(r.sku_index, idx("N"));
        assert_true(sku("N")->flags & SW_SKU_HAS_BOOK);
        /* A count fixes a negative book. */
        pos("p-neg", T + 10, "N", 9);
        assert_int_equal(sku("N")->on_hand, -5);
        assert_true(sku("N")->book_negative_since != 0);
        item(0, "N", 2);
        m = msg(SW_MSG_COUNT, "c3", T + 20, 1);
        r = apply_at(&m, T + 20);
        assert_int_equal(r.book_before, -5);
        assert_int_equal(r.adjustment, 7);
        assert_int_equal(sku("N")->book_negative_since, 0);
}

/* ---- refusals ---- */

static void test_in_future(void **state)
{
        (void)state;
        item(0, "A", 1);
        struct sw_msg m = msg(SW_MSG_POS, "f1", T + MAX_FUTURE + 1, 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_IN_FUTURE);
        assert_int_equal(fx.skus.count, 0);
        assert_int_equal(fx.skus.n_dirty, 0);
        assert_int_equal(fx.in.counters.rejected[SW_MSG_POS][SW_REJECT_IN_FUTURE], 1);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_POS], 0);
        assert_int_equal(fx.in.event_clock, 0);
        /* The id was not remembered: the same message is applied once its time has come. */
        assert_accepted(apply_at(&m, T + MAX_FUTURE + 1), 1, 0);
        assert_int_equal(sold("A", D), 1);
        /* Exactly max_future_seconds ahead is allowed. */
        item(0, "A", 1);
        m = msg(SW_MSG_RECEIPT, "f2", T + 2 * MAX_FUTURE, 1);
        assert_accepted(apply_at(&m, T + MAX_FUTURE), 1, 0);
        /* Every kind with a ts is checked. */
        inventory(T, "I", 5);
        item(0, "I", 50)->has = SW_HAS_ON_HAND;
        m = msg(SW_MSG_INVENTORY, NULL, T + HOUR, 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_IN_FUTURE);
        assert_int_equal(sku("I")->on_hand, 5);
        item(0, "I", 0);
        m = msg(SW_MSG_SHELF, NULL, T + HOUR, 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_IN_FUTURE);
        assert_null(sw_sku_shelf(&fx.skus, idx("I")));
        assert_int_equal(fx.skus.n_shelves, 0);
}

static void test_pos_too_old(void **state)
{
        (void)state;
        /* Day D - 14 has left a 14-day window ending today. */
        item(0, "A", 1);
        struct sw_msg m = msg(SW_MSG_POS, "o1", utc(2026, 11, 10, 23, 59), 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_TOO_OLD);
        assert_int_equal(fx.skus.count, 0);
        assert_int_equal(fx.in.counters.rejected[SW_MSG_POS][SW_REJECT_TOO_OLD], 1);
        /* Day D - 13 is still held. */
        item(0, "A", 1);
        m = msg(SW_MSG_POS, "o2", utc(2026, 11, 11, 0, 0), 1);
        assert_accepted(apply_at(&m, T), 1, 0);
        assert_int_equal(sold("A", D - 13), 1);
        /* Only POS lines land in the ring: an old receipt is fine. */
        item(0, "A", 4);
        m = msg(SW_MSG_RECEIPT, "o3", utc(2026, 10, 1, 0, 0), 1);
        assert_accepted(apply_at(&m, T), 1, 0);
}

static void test_sku_table_full(void **state)
{
        (void)state;
        teardown(NULL);
        fixture_init(2, 4);
        item(0, "A", 1);
        item(1, "B", 2);
        item(2, "C", 3);
        item(3, "A", 4);
        struct sw_msg m = msg(SW_MSG_POS, "p1", T, 4);
        assert_accepted(apply_at(&m, T), 3, 1);
        assert_int_equal(sold("A", D), 5);
        assert_int_equal(sold("B", D), 2);
        uint32_t i;
        assert_int_equal(sw_sku_table_find(&fx.skus, "C", 1, &i), -ENOENT);
        assert_int_equal(fx.in.counters.lines_skipped_full, 1);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_POS], 1);
        /* A cycle count of a SKU that is not in the (full) table is refused as a whole. */
        item(0, "C", 3);
        m = msg(SW_MSG_COUNT, "c1", T, 1);
        assert_rejected(apply_at(&m, T), SW_REJECT_UNKNOWN_SKU);
        assert_int_equal(fx.in.counters.rejected[SW_MSG_COUNT][SW_REJECT_UNKNOWN_SKU], 1);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_COUNT], 0);
        assert_false(sw_dedup_contains(&fx.dedup, sw_dedup_hash("c1", 2)));
}

static void test_adapter_failure(void **state)
{
        (void)state;
        fx.zone.fail = true;
        item(0, "A", 1);
        struct sw_msg m = msg(SW_MSG_POS, "p1", T, 1);
        struct sw_ingest_result r;
        assert_int_equal(sw_ingest_apply(&fx.in, &m, T, &r), -EIO);
        assert_int_equal(fx.skus.count, 0);
        assert_int_equal(fx.in.counters.accepted[SW_MSG_POS], 0);
        assert_false(sw_dedup_contains(&fx.dedup, sw_dedup_hash("p1", 2)));
}

static void test_event_clock(void **state)
{
        (void)state;
        pos("p1", T, "A", 1);
        assert_int_equal(fx.in.event_clock, T);
        pos("p2", T - HOUR, "A", 1); /* a late event does not move it back */
        assert_int_equal(fx.in.event_clock, T);
        shelf(T + 60, "A", 0);
        assert_int_equal(fx.in.event_clock, T + 60);
}

/* ---- DST ---- */

/* A DST change, 2026: five sales around it of 1, 2, 4, 8 and 16 units, the first on the evening
 * before, the last just past the midnight after, so that the day before sells 1, the day of the
 * change 2 + 4 + 8 and the day after 16. */
struct dst_case {
        const char *name; /* the change; its message ids start with its first letter */
        const char *sku;  /* where its sales go */
        unsigned mo, d;   /* the day of the change */
        struct {
                unsigned day, h, mi; /* the day of the change + day, UTC */
        } at[5];                     /* the sales */
};

static void test_dst_days(void **state)
{
        static const struct dst_case cases[] = {
            /* 23:30 EST on 03-07; 01:30 EST, 03:30 EDT, 23:30 EDT on 03-08; 00:30 EDT on 03-09. */
            {"spring", "M", 3, 8, {{0, 4, 30}, {0, 6, 30}, {0, 7, 30}, {1, 3, 30}, {1, 4, 30}}},
            /* 23:30 EDT on 10-31; 01:30 EDT, 01:30 EST (the repeated hour), 23:30 EST on 11-01;
             * 00:30 EST on 11-02. */
            {"autumn", "N", 11, 1, {{0, 3, 30}, {0, 5, 30}, {0, 6, 30}, {1, 4, 30}, {1, 5, 30}}},
        };
        static const int32_t want[3] = {1, 2 + 4 + 8, 16}; /* the day before, of, after */
        char id[16];
        (void)state;
        fx.cal.tz = (struct sw_calendar_adapter){.to_local = new_york_to_local};
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                const struct dst_case *dc = &cases[c];
                const sw_day_t day = sw_days_from_civil(2026, dc->mo, dc->d);
                for (size_t k = 0; k < 5; k++) {
                        snprintf(id, sizeof(id), "%c%zu", dc->name[0], k);
                        item(0, dc->sku, (int32_t)1 << k);
                        struct sw_msg m = msg(
                            SW_MSG_POS, id,
                            utc(2026, dc->mo, dc->d + dc->at[k].day, dc->at[k].h, dc->at[k].mi), 1);
                        struct sw_ingest_result r =
                            apply_at(&m, utc(2026, dc->mo, dc->d + 1, 16, 0));
                        if (r.outcome != SW_INGEST_ACCEPTED || r.items_applied != 1 ||
                            r.items_skipped != 0)
                                fail_msg("%s: sale %zu: outcome %d, %u applied, %u skipped",
                                         dc->name, k, (int)r.outcome, r.items_applied,
                                         r.items_skipped);
                }
                for (int k = 0; k < 3; k++)
                        if (sold(dc->sku, day - 1 + k) != want[k])
                                fail_msg("%s: day %+d of the change sold %d, want %d", dc->name,
                                         k - 1, sold(dc->sku, day - 1 + k), want[k]);
        }
}

/* A count taken before the newest inventory record (a delayed upload) changes nothing. */
static void test_stale_cycle_count(void **state)
{
        (void)state;
        inventory(T, "A", 10);
        item(0, "A", 3);
        struct sw_msg m = msg(SW_MSG_COUNT, "late", T - HOUR, 1);
        struct sw_ingest_result r = apply_at(&m, T);
        assert_int_equal(r.outcome, SW_INGEST_ACCEPTED);
        assert_int_equal(r.book_before, 10);
        assert_int_equal(r.adjustment, 0);
        assert_int_equal(r.items_skipped, 1);
        assert_int_equal(sku("A")->on_hand, 10);
        assert_int_equal(sku("A")->book_as_of, (uint32_t)T);
        assert_int_equal(fx.in.counters.stale_items, 1);
}

/* A count whose durability failed is undone: book, id and clock as before, counted rejected; the
 * same count sent again is judged as new. */
static void test_undo_cycle_count(void **state)
{
        (void)state;
        inventory(T - HOUR, "A", 959);
        int64_t clock = fx.in.event_clock;
        struct sw_sku before = *sku("A");
        item(0, "A", 5);
        struct sw_msg m = msg(SW_MSG_COUNT, "c-1", T, 1);
        struct sw_ingest_result r = apply_at(&m, T);
        assert_accepted(r, 1, 0);
        assert_int_equal(sku("A")->on_hand, 5);
        assert_int_equal(sw_ingest_undo_count(&fx.in, &m, &r), 0);
        assert_int_equal(sku("A")->on_hand, 959);
        assert_int_equal(sku("A")->book_as_of, before.book_as_of);
        assert_true(sku("A")->flags & SW_SKU_DIRTY); /* still on the dirty list, once */
        assert_int_equal(fx.skus.n_dirty, 1);
        assert_int_equal(fx.in.event_clock, clock);
        assert_false(sw_dedup_contains(&fx.dedup, sw_dedup_hash("c-1", 3)));
        assert_int_equal(fx.in.counters.accepted[SW_MSG_COUNT], 0);
        assert_int_equal(fx.in.counters.rejected[SW_MSG_COUNT][SW_REJECT_STORAGE_ERROR], 1);
        /* Sent again once storage works: new, with the real adjustment. */
        item(0, "A", 5);
        m = msg(SW_MSG_COUNT, "c-1", T, 1);
        r = apply_at(&m, T);
        assert_accepted(r, 1, 0);
        assert_int_equal(r.book_before, 959);
        assert_int_equal(r.adjustment, -954);
        assert_int_equal(fx.skus.n_dirty, 1);
        /* An id persisted since (a group commit went through) is reported so. */
        sw_dedup_mark_persisted(&fx.dedup);
        item(0, "A", 3);
        m = msg(SW_MSG_COUNT, "c-2", T + 1, 1);
        r = apply_at(&m, T + 1);
        sw_dedup_mark_persisted(&fx.dedup);
        assert_int_equal(sw_ingest_undo_count(&fx.in, &m, &r), 1);
        assert_int_equal(sku("A")->on_hand, 5);
        /* Only an accepted count can be undone. */
        r.outcome = SW_INGEST_DUPLICATE;
        assert_int_equal(sw_ingest_undo_count(&fx.in, &m, &r), -EINVAL);
}

/* Each skipped item says why: table full, stale and shelf pool full are told apart. */
static void test_skip_reasons(void **state)
{
        (void)state;
        teardown(NULL); /* a smaller table than setup's */
        fixture_init(2, 4);
        inventory(T, "A", 10);
        inventory(T - HOUR, "A", 4); /* stale on_hand: the item applies, its book does not */
        struct sw_ingest_result r = inventory(T - HOUR, "A", 4);
        assert_int_equal(r.skipped_stale, 1);
        assert_int_equal(r.skipped_table_full, 0);
        item(0, "A", 3);
        struct sw_msg m = msg(SW_MSG_COUNT, "old", T - 60, 1);
        r = apply_at(&m, T);
        assert_int_equal(r.skipped_stale, 1);
        assert_int_equal(r.skipped_table_full, 0);
        assert_int_equal(r.items_skipped, 1);
        inventory(T, "B", 1);
        r = receipt("r1", T, "C", 1); /* the table holds 2 */
        assert_int_equal(r.skipped_table_full, 1);
        assert_int_equal(r.skipped_stale, 0);
        assert_int_equal(r.items_skipped, 1);
}

/* Every message naming a SKU dates its last event; a full table reclaims a SKU quiet for the
 * whole history window (and with nothing on the book) for a new one, instead of skipping it. */
static void test_events_and_reclaim(void **state)
{
        (void)state;
        teardown(NULL); /* a smaller table than setup's */
        fixture_init(2, 4);
        inventory(T - 20 * 86400, "OLD", 0);
        assert_int_equal(sku("OLD")->last_event_day, D - 20);
        inventory(T - 30 * 86400, "OLD", 0); /* older: the last event does not go back */
        assert_int_equal(sku("OLD")->last_event_day, D - 20);
        inventory(T - 3600, "NEAR", 0);
        assert_int_equal(sku("NEAR")->last_event_day, D);
        struct sw_ingest_result r = receipt("r1", T, "NEW", 4);
        assert_accepted(r, 1, 0);
        assert_int_equal(r.skipped_table_full, 0);
        assert_int_equal(fx.skus.reclaimed_total, 1);
        assert_int_equal(sw_sku_table_find(&fx.skus, "OLD", 3, &(uint32_t){0}), -ENOENT);
        assert_int_equal(sku("NEW")->on_hand, 4);
        /* NEAR and NEW are recent: the next new SKU is skipped. */
        r = receipt("r2", T, "NEWER", 1);
        assert_int_equal(r.skipped_table_full, 1);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_pos_sale_event_day),
        SW_TEST_FRESH(test_pos_return),
        SW_TEST_FRESH(test_duplicate_id),
        SW_TEST_FRESH(test_stockout_days),
        SW_TEST_FRESH(test_receipt),
        SW_TEST_FRESH(test_inventory_sets_book),
        SW_TEST_FRESH(test_price_watch),
        SW_TEST_FRESH(test_inventory_categories_full),
        SW_TEST_FRESH(test_forecast),
        SW_TEST_FRESH(test_forecast_older_than_ring),
        SW_TEST_FRESH(test_forecast_keeps_sales_history),
        SW_TEST_FRESH(test_shelf_readings),
        SW_TEST_FRESH(test_shelf_several_readings),
        SW_TEST_FRESH(test_shelf_pool_full),
        SW_TEST_FRESH(test_cycle_count),
        SW_TEST_FRESH(test_stale_cycle_count),
        SW_TEST_FRESH(test_undo_cycle_count),
        SW_TEST_FRESH(test_skip_reasons),
        SW_TEST_FRESH(test_events_and_reclaim),
        SW_TEST_FRESH(test_in_future),
        SW_TEST_FRESH(test_pos_too_old),
        SW_TEST_FRESH(test_sku_table_full),
        SW_TEST_FRESH(test_adapter_failure),
        SW_TEST_FRESH(test_event_clock),
        SW_TEST_FRESH(test_dst_days))
/* clang-format on */
