/* Unit tests of reclaiming SKU slots when the table is full (core/sku_reclaim.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/sku_table.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define HISTORY 14
#define D0      20416 /* an arbitrary store-local day */

struct fixture {
        struct sw_sku_table t; /* the table under test */
        void *mem;             /* its memory */
        uint8_t pinned[4096];  /* the open-anomaly bytes handed to the table */
};

static struct fixture *fixture_new(uint32_t max_skus, uint32_t arena, uint32_t shelves,
                                   uint32_t fast)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct sw_sku_table_params p = {.max_skus = max_skus,
                                        .history_days = HISTORY,
                                        .key_arena_bytes = arena,
                                        .max_categories = 4,
                                        .max_shelves = shelves,
                                        .max_fast = fast};
        assert_non_null(f);
        assert_true(max_skus <= sizeof(f->pinned));
        f->mem = sw_test_sku_table_init(&f->t, &p, true); /* junk: missing init shows */
        sw_sku_table_set_pinned(&f->t, f->pinned);
        return f;
}

static void fixture_free(struct fixture *f)
{
        free(f->mem);
        free(f);
}

/* Add sku with its last event on day; returns its index (fails the test when it does not fit). */
static uint32_t add_at(struct fixture *f, const char *sku, sw_day_t day)
{
        uint32_t i = UINT32_MAX;
        int r = sw_sku_table_get_or_add(&f->t, sku, strlen(sku), &i);
        if (r < 0)
                fail_msg("adding %s: %d", sku, r);
        sw_sku_note_event(&f->t, i, day);
        return i;
}

/* Add sku as core/ingest.c adds the SKU of a message dated day: its last event is that day. */
static uint32_t add_from_message(struct fixture *f, const char *sku, sw_day_t day)
{
        uint32_t i = add_at(f, sku, day);
        sw_sku_at(&f->t, i)->last_event_day = day;
        return i;
}

static bool has(const struct fixture *f, const char *sku)
{
        uint32_t i;
        return sw_sku_table_find(&f->t, sku, strlen(sku), &i) == 0;
}

/* The rule, at its boundary: quiet for the whole history window, nothing on the book, no open
 * anomaly. Only such a SKU gives its slot to a new one. */
static void test_reclaim_rule_at_the_boundary(void **state)
{
        struct fixture *f = fixture_new(5, 0, 0, 0);
        sw_day_t today = D0 + 20;
        uint32_t i;
        (void)state;
        uint32_t a = add_at(f, "A", today - HISTORY);     /* last event before the window */
        uint32_t b = add_at(f, "B", today - HISTORY + 1); /* inside the window */
        uint32_t c = add_at(f, "C", D0);                  /* quiet, but 3 on the book */
        uint32_t dd = add_at(f, "D", D0);                 /* quiet, but an open anomaly */
        uint32_t e = add_at(f, "E", D0);                  /* quiet, a negative book */
        sw_sku_at(&f->t, c)->on_hand = 3;
        sw_sku_at(&f->t, e)->on_hand = -2;
        f->pinned[dd] = 1;
        /* Nothing is reclaimed before the caller says what day it is (start-up restore). */
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N1", 2, &i), -ENOSPC);
        sw_sku_table_set_today(&f->t, today);
        assert_true(sw_sku_reclaimable(&f->t, a));
        assert_false(sw_sku_reclaimable(&f->t, b));
        assert_false(sw_sku_reclaimable(&f->t, c));
        assert_false(sw_sku_reclaimable(&f->t, dd));
        assert_true(sw_sku_reclaimable(&f->t, e));
        /* Two new SKUs take A's and E's slots; a third finds none. */
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N1", 2, &i), 1);
        assert_true(i == a || i == e);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N2", 2, &i), 1);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N3", 2, &i), -ENOSPC);
        assert_false(has(f, "A"));
        assert_false(has(f, "E"));
        assert_true(has(f, "B") && has(f, "C") && has(f, "D") && has(f, "N1") && has(f, "N2"));
        assert_int_equal(f->t.count, 5);
        assert_int_equal(f->t.reclaimed_total, 2);
        /* The new SKU starts anew: no book, no history, seen today (not reclaimable at once). */
        const struct sw_sku *s = sw_sku_at(&f->t, i);
        assert_int_equal(s->on_hand, 0);
        assert_int_equal(s->last_day, SW_DAY_NONE);
        assert_int_equal(s->last_event_day, today);
        assert_false(sw_sku_reclaimable(&f->t, i));
        /* The same day the sweep is not repeated; the next day B has left the window. */
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N3", 2, &i), -ENOSPC);
        sw_sku_table_set_today(&f->t, today + 1);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N3", 2, &i), 1);
        assert_int_equal(i, b);
        /* Once the anomaly is closed, D goes too. */
        f->pinned[dd] = 0;
        sw_sku_table_set_today(&f->t, today + 2);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "N4", 2, &i), 1);
        assert_int_equal(i, dd);
        assert_true(has(f, "C"));
        fixture_free(f);
}

/* A reclaimed SKU's key waits for its stored state to be deleted; at most
 * SW_SKU_RECLAIM_PENDING wait, then nothing more is reclaimed until they are flushed. */
static void test_reclaimed_keys_wait_for_deletion(void **state)
{
        const uint32_t n = SW_SKU_RECLAIM_PENDING + 10;
        struct fixture *f = fixture_new(n, 0, 0, 0);
        char key[32];
        uint32_t i;
        (void)state;
        for (uint32_t k = 0; k < n; k++) {
                snprintf(key, sizeof(key), "OLD%u", k);
                add_at(f, key, D0);
        }
        sw_sku_table_set_today(&f->t, D0 + 100);
        for (uint32_t k = 0; k < SW_SKU_RECLAIM_PENDING; k++) {
                snprintf(key, sizeof(key), "NEW%u", k);
                assert_int_equal(sw_sku_table_get_or_add(&f->t, key, strlen(key), &i), 1);
        }
        assert_int_equal(f->t.n_reclaimed, SW_SKU_RECLAIM_PENDING);
        assert_string_equal(sw_sku_reclaimed_key(&f->t, 0), "OLD0");
        assert_null(sw_sku_reclaimed_key(&f->t, SW_SKU_RECLAIM_PENDING));
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "MORE", 4, &i), -ENOSPC);
        sw_sku_reclaimed_flushed(&f->t);
        assert_int_equal(f->t.n_reclaimed, 0);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "MORE", 4, &i), 1);
        /* Every SKU left is found by its key. */
        for (uint32_t k = 0; k < f->t.count; k++) {
                const char *sku = sw_sku_key(&f->t, k);
                assert_true(sw_sku_table_find(&f->t, sku, strlen(sku), &i) == 0 && i == k);
        }
        fixture_free(f);
}

/* With the key arena full, the keys of flushed SKUs are squeezed out and the live ones found. */
static void test_key_arena_compacts(void **state)
{
        struct fixture *f = fixture_new(4, 5 * 8, 0, 0); /* room for 5 keys of 7 bytes */
        uint32_t i, e;
        (void)state;
        add_at(f, "AAAAAA1", D0);
        add_at(f, "BBBBBB2", D0 + 50);
        add_at(f, "CCCCCC3", D0);
        add_at(f, "DDDDDD4", D0 + 50);
        sw_sku_table_set_today(&f->t, D0 + 50);
        /* A goes; E's key takes the last free bytes (A's stay until A is deleted). */
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "EEEEEE5", 7, &e), 1);
        assert_int_equal(f->t.arena_used, 40);
        assert_int_equal(sw_sku_at(&f->t, e)->key_offset, 32);
        /* Not deleted yet: no room for another key. */
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "FFFFFF6", 7, &i), -ENOSPC);
        sw_sku_reclaimed_flushed(&f->t);
        assert_int_equal(f->t.arena_garbage, 8);
        /* Deleted: the arena squeezes A's bytes out, C goes, F takes the freed room. */
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "FFFFFF6", 7, &i), 1);
        assert_int_equal(f->t.arena_used, 40);
        assert_int_equal(sw_sku_at(&f->t, e)->key_offset, 24);
        assert_false(has(f, "AAAAAA1"));
        assert_false(has(f, "CCCCCC3"));
        static const char *const live[] = {"BBBBBB2", "DDDDDD4", "EEEEEE5", "FFFFFF6"};
        for (size_t k = 0; k < 4; k++) {
                assert_true(sw_sku_table_find(&f->t, live[k], 7, &i) == 0);
                assert_string_equal(sw_sku_key(&f->t, i), live[k]);
        }
        assert_string_equal(sw_sku_reclaimed_key(&f->t, 0), "CCCCCC3");
        fixture_free(f);
}

/* A reclaimed SKU gives its shelf state and 2-byte ring back; the SKU that held the last one of
 * each pool keeps its data in the freed place. */
static void test_pools_given_back(void **state)
{
        struct fixture *f = fixture_new(3, 0, 2, 2);
        struct sw_shelf *sh;
        uint32_t i;
        (void)state;
        uint32_t q = add_at(f, "QUIET", D0);
        uint32_t b = add_at(f, "BUSY", D0 + 40);
        add_at(f, "X", D0 + 40);
        assert_int_equal(sw_sku_shelf_get_or_add(&f->t, q, &sh), 0);
        sh->count = 0;
        assert_int_equal(sw_sku_shelf_get_or_add(&f->t, b, &sh), 0);
        sh->count = 17;
        assert_int_equal(sw_sku_add_sold(&f->t, q, D0, 300), 0);
        assert_int_equal(sw_sku_add_sold(&f->t, b, D0 + 40, 400), 0);
        assert_int_equal(f->t.n_shelves, 2);
        assert_int_equal(f->t.n_fast, 2);
        sw_sku_table_set_today(&f->t, D0 + 40);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "NEW", 3, &i), 1);
        assert_int_equal(i, q);
        assert_int_equal(f->t.n_shelves, 1);
        assert_int_equal(f->t.n_fast, 1);
        assert_null(sw_sku_shelf(&f->t, i));
        assert_int_equal(sw_sku_at(&f->t, i)->fast, 0);
        assert_int_equal(sw_sku_shelf(&f->t, b)->count, 17);
        assert_int_equal(sw_sku_sold(&f->t, b, D0 + 40), 400);
        /* The new SKU's ring starts empty. */
        assert_int_equal(sw_sku_add_sold(&f->t, i, D0 + 40, 2), 0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 40), 2);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 39), -1);
        fixture_free(f);
}

/* A reclaimed slot on the dirty list stays listed once. */
static void test_dirty_slot_listed_once(void **state)
{
        struct fixture *f = fixture_new(2, 0, 0, 0);
        uint32_t i;
        (void)state;
        uint32_t a = add_at(f, "A", D0);
        add_at(f, "B", D0 + 30);
        sw_sku_mark_dirty(&f->t, a);
        sw_sku_table_set_today(&f->t, D0 + 30);
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "C", 1, &i), 1);
        assert_int_equal(i, a);
        sw_sku_mark_dirty(&f->t, i);
        assert_int_equal(f->t.n_dirty, 1);
        assert_string_equal(sw_sku_key(&f->t, f->t.dirty[0]), "C");
        fixture_free(f);
}

/* The last event day survives a round trip; a blob of version 2 (before it existed) is still read,
 * its last sale or book record standing for it. */
static void test_last_event_day_persists(void **state)
{
        struct fixture *f = fixture_new(2, 0, 0, 0), *g = fixture_new(2, 0, 0, 0);
        uint8_t blob[SW_SKU_BLOB_MAX(HISTORY, HISTORY)];
        uint32_t i;
        (void)state;
        uint32_t a = add_at(f, "A", D0 + 9);
        int n = sw_sku_serialize(&f->t, a, blob, sizeof(blob));
        assert_true(n > 0);
        assert_int_equal(sw_sku_restore(&g->t, "A", 1, blob, (size_t)n), 0);
        assert_int_equal(sw_sku_table_find(&g->t, "A", 1, &i), 0);
        assert_int_equal(sw_sku_at(&g->t, i)->last_event_day, D0 + 9);
        /* Version 2: the price in 4 bytes (no price: the f64 0's last 4 bytes cut out leave the
         * f32 0), the 12 bytes of the last event day and the stock-out days and the 24 of the
         * price and receipt watches cut out (no shelf state here), a book record on D0 + 3. */
        sw_sku_at(&f->t, a)->flags |= SW_SKU_HAS_BOOK;
        sw_sku_at(&f->t, a)->book_as_of = (uint32_t)(D0 + 3) * 86400u + 600;
        n = sw_sku_serialize(&f->t, a, blob, sizeof(blob));
        memmove(blob + 16, blob + 20, (size_t)n - 20);
        n -= 4;
        memmove(blob + 36, blob + 72, (size_t)n - 72);
        blob[0] = 2;
        assert_int_equal(sw_sku_restore(&g->t, "B", 1, blob, (size_t)n - 36), 0);
        assert_int_equal(sw_sku_table_find(&g->t, "B", 1, &i), 0);
        assert_int_equal(sw_sku_at(&g->t, i)->last_event_day, D0 + 3);
        fixture_free(f);
        fixture_free(g);
}

/* An old message's SKUs are quiet at once, but none of them gives its slot to another line of
 * the same message; it reclaims only SKUs quiet since before its day. A sweep that found none
 * for an old message does not stop one for a newer message the same day. */
static void test_message_keeps_what_it_named(void **state)
{
        struct fixture *f = fixture_new(3, 0, 0, 0);
        sw_day_t today = D0 + 200, old = today - 3 * HISTORY;
        uint32_t i;
        (void)state;
        uint32_t a = add_at(f, "A", old - 10); /* quiet since before the message's day */
        sw_sku_table_set_today(&f->t, today);
        sw_sku_table_set_message_day(&f->t, old);
        uint32_t x = add_from_message(f, "X", old);
        uint32_t y = add_from_message(f, "Y", old);
        assert_true(sw_sku_reclaimable(&f->t, a));
        assert_false(sw_sku_reclaimable(&f->t, x));
        assert_false(sw_sku_reclaimable(&f->t, y));
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "Z", 1, &i), 1); /* A's slot */
        assert_int_equal(i, a);
        sw_sku_at(&f->t, i)->last_event_day = old;
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "W", 1, &i), -ENOSPC);
        assert_true(has(f, "X") && has(f, "Y") && has(f, "Z"));
        /* The same day, a message of today may take what the old one could not. */
        sw_sku_table_set_today(&f->t, today);
        assert_true(sw_sku_reclaimable(&f->t, x));
        assert_int_equal(sw_sku_table_get_or_add(&f->t, "W", 1, &i), 1);
        assert_int_equal(f->t.reclaimed_total, 2);
        fixture_free(f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_reclaim_rule_at_the_boundary),
        cmocka_unit_test(test_reclaimed_keys_wait_for_deletion),
        cmocka_unit_test(test_key_arena_compacts),
        cmocka_unit_test(test_pools_given_back),
        cmocka_unit_test(test_dirty_slot_listed_once),
        cmocka_unit_test(test_last_event_day_persists),
        cmocka_unit_test(test_message_keeps_what_it_named))
/* clang-format on */
