/* Unit tests of the fixed-capacity SKU table and its history ring (core/sku_table.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "core/sku_table.h"
#include "tests/support/test_main.h"

#define GUARD_BYTES 64
#define GUARD_BYTE  0x5a
#define D0          20416 /* 2025-11-24, an arbitrary store-local day */

/* A table over heap memory filled with junk (so missing initialisation shows) and a guard. */
struct fixture {
        struct sw_sku_table t; /* the table under test */
        unsigned char *mem;    /* its memory, followed by GUARD_BYTES of GUARD_BYTE */
        size_t size;           /* bytes handed to init */
        uint32_t a;            /* setup_one_sku: the index of SKU "A" */
};

static void fixture_init_params(struct fixture *f, const struct sw_sku_table_params *p)
{
        f->size = sw_sku_table_memory_size(p);
        assert_true(f->size > 0);
        f->mem = malloc(f->size + GUARD_BYTES);
        assert_non_null(f->mem);
        memset(f->mem, 0xab, f->size);
        memset(f->mem + f->size, GUARD_BYTE, GUARD_BYTES);
        assert_int_equal(sw_sku_table_init(&f->t, p, f->mem, f->size), 0);
}

/* The params of a table whose forecast ring is as long as its history and every SKU may have
 * a shelf and a 2-byte sales ring. */
static struct sw_sku_table_params table_params(uint32_t max_skus, uint16_t history_days,
                                               uint32_t arena, uint16_t max_categories)
{
        return (struct sw_sku_table_params){.max_skus = max_skus,
                                            .history_days = history_days,
                                            .key_arena_bytes = arena,
                                            .max_categories = max_categories,
                                            .max_fast = max_skus};
}

/* A table from table_params(). */
static void fixture_init(struct fixture *f, uint32_t max_skus, uint16_t history_days,
                         uint32_t arena, uint16_t max_categories)
{
        struct sw_sku_table_params p = table_params(max_skus, history_days, arena, max_categories);
        fixture_init_params(f, &p);
}

static void fixture_done(struct fixture *f)
{
        for (size_t i = 0; i < GUARD_BYTES; i++)
                if (f->mem[f->size + i] != GUARD_BYTE)
                        fail_msg("table wrote past its memory at +%zu", i);
        free(f->mem);
        f->mem = NULL;
}

static uint32_t add(struct sw_sku_table *t, const char *sku)
{
        uint32_t i = UINT32_MAX;
        int r = sw_sku_table_get_or_add(t, sku, strlen(sku), &i);
        if (r < 0)
                fail_msg("adding %s: %d", sku, r);
        return i;
}

/* Restores blob as SKU key into t, which must succeed, and returns where it landed. */
static uint32_t restore_found(struct sw_sku_table *t, const char *key, const uint8_t *blob,
                              size_t n)
{
        uint32_t j = UINT32_MAX;
        int r = sw_sku_restore(t, key, strlen(key), blob, n);
        if (r != 0)
                fail_msg("restoring %s: %d", key, r);
        r = sw_sku_table_find(t, key, strlen(key), &j);
        if (r != 0)
                fail_msg("%s not found after its restore: %d", key, r);
        return j;
}

/* cmocka setup of most ring and forecast tests: 4 SKUs, 7 days, 4 categories, SKU "A" added. */
static int setup_one_sku(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        fixture_init(f, 4, 7, 0, 4);
        f->a = add(&f->t, "A");
        *state = f;
        return 0;
}

static int teardown_one_sku(void **state)
{
        struct fixture *f = *state;
        fixture_done(f);
        free(f);
        return 0;
}

/* ---- memory and init ---- */

static void test_memory_size_and_init(void **state)
{
        struct sw_sku_table_params p = {.max_skus = 100, .history_days = 56, .max_categories = 10};
        struct sw_sku_table t;
        size_t need = sw_sku_table_memory_size(&p);
        void *mem;
        (void)state;
        /* At least the documented per-SKU cost: 2 bytes per SKU-day (1 of sales, 1 of
         * forecast) plus the record and a key. */
        assert_true(need >= 100 * (2 * 56 + sizeof(struct sw_sku) + 24));
        assert_true(need < 100 * (2 * 56 + sizeof(struct sw_sku) + 24) + 64 * 1024);
        mem = malloc(need);
        assert_non_null(mem);
        assert_int_equal(sw_sku_table_init(&t, &p, mem, need - 1), -ENOBUFS);
        assert_int_equal(sw_sku_table_init(&t, &p, NULL, need), -ENOBUFS);
        assert_int_equal(sw_sku_table_init(&t, &p, mem, need), 0);
        assert_int_equal(t.count, 0);
        assert_int_equal(t.p.key_arena_bytes, 100 * 24); /* 0 means max_skus x 24 */
        assert_true((uint64_t)t.n_slots * 3 >= 100 * 4 &&
                    t.n_slots <= 134); /* load <= 3/4, no more */
        assert_int_equal(t.n_categories, 1);
        assert_int_equal(t.p.forecast_days, 56); /* 0 means history_days */
        assert_int_equal(t.p.max_shelves, 100);  /* 0 means max_skus */
        assert_int_equal(t.n_shelves, 0);

        /* A longer forecast ring costs one byte per SKU-day, a smaller shelf pool saves a
         * shelf per SKU it leaves out, and a pool larger than the table is the table. */
        struct sw_sku_table_params q = p;
        q.forecast_days = 56 + 80;
        size_t more = sw_sku_table_memory_size(&q);
        assert_true(more >= need + 100 * 80 && more <= need + 100 * 80 + 8);
        q = p;
        q.max_shelves = 10;
        size_t less = sw_sku_table_memory_size(&q);
        assert_true(less + 90 * sizeof(struct sw_shelf) >= need - 8 &&
                    less + 90 * sizeof(struct sw_shelf) <= need + 8);
        q.max_shelves = 1000;
        assert_int_equal(sw_sku_table_memory_size(&q), need);
        /* Each fast seller costs a 2-byte ring; a pool larger than the table is the table. */
        q = p;
        q.max_fast = 10;
        assert_int_equal(sw_sku_table_memory_size(&q), need + 10 * 56 * 2);
        q.max_fast = 1000;
        assert_int_equal(sw_sku_table_memory_size(&q), need + 100 * 56 * 2);
        q = p;
        q.max_shelves = 1000;
        assert_int_equal(sw_sku_table_init(&t, &q, mem, need), 0);
        assert_int_equal(t.p.max_shelves, 100);

        /* Invalid params: size 0 and -EINVAL, whatever memory is offered. */
        struct sw_sku_table_params bad[] = {
            {.max_skus = 0, .history_days = 56, .max_categories = 10},
            {.max_skus = 10, .history_days = 0, .max_categories = 10},
            {.max_skus = 10, .history_days = 56, .max_categories = 0},
            {.max_skus = (1u << 28) + 1, .history_days = 56, .max_categories = 10},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(sw_sku_table_memory_size(&bad[i]), 0);
                assert_int_equal(sw_sku_table_init(&t, &bad[i], mem, need), -EINVAL);
        }
        assert_int_equal(sw_sku_table_memory_size(NULL), 0);
        assert_int_equal(sw_sku_table_init(&t, NULL, mem, need), -EINVAL);
        free(mem);
}

/* ---- keys ---- */

static void test_capacity_boundary(void **state)
{
        struct fixture f;
        uint32_t i;
        (void)state;
        fixture_init(&f, 3, 7, 0, 4);
        for (uint32_t k = 0; k < 3; k++) { /* "A", "B", "C" fill it */
                const char key = (char)('A' + k);
                assert_int_equal(sw_sku_table_get_or_add(&f.t, &key, 1, &i), 1);
                assert_int_equal(i, k);
        }
        i = 77;
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "D", 1, &i), -ENOSPC);
        assert_int_equal(i, 77);
        assert_int_equal(f.t.count, 3);
        /* Existing ones are still found, and get_or_add of one of them still works. */
        assert_int_equal(sw_sku_table_find(&f.t, "B", 1, &i), 0);
        assert_int_equal(i, 1);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "C", 1, &i), 0);
        assert_int_equal(i, 2);
        assert_int_equal(sw_sku_table_find(&f.t, "D", 1, &i), -ENOENT);
        assert_string_equal(sw_sku_key(&f.t, 0), "A");
        /* A fresh record starts with nothing known. */
        const struct sw_sku *s = sw_sku_at(&f.t, 0);
        assert_int_equal(s->first_day, SW_DAY_NONE);
        assert_int_equal(s->last_day, SW_DAY_NONE);
        assert_int_equal(s->forecast_last_day, SW_DAY_NONE);
        assert_null(sw_sku_shelf(&f.t, 0)); /* no sensor has reported it */
        assert_int_equal(s->on_hand, 0);
        assert_int_equal(s->flags, 0);
        assert_int_equal(s->category, 0);
        fixture_done(&f);
}

static void test_key_arena_exhaustion(void **state)
{
        struct fixture f;
        uint32_t i;
        (void)state;
        /* 12 bytes: "abcd\0" + "efgh\0" leaves 2, enough for "x\0" and nothing more. */
        fixture_init(&f, 10, 7, 12, 4);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "abcd", 4, &i), 1);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "efgh", 4, &i), 1);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "xy", 2, &i), -ENOSPC);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "x", 1, &i), 1);
        assert_int_equal(f.t.arena_used, 12);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "z", 1, &i), -ENOSPC);
        assert_int_equal(f.t.count, 3);
        assert_int_equal(sw_sku_table_find(&f.t, "abcd", 4, &i), 0);
        assert_int_equal(i, 0);
        assert_int_equal(sw_sku_table_find(&f.t, "efgh", 4, &i), 0);
        assert_int_equal(i, 1);
        assert_string_equal(sw_sku_key(&f.t, 1), "efgh");
        assert_string_equal(sw_sku_key(&f.t, 2), "x");
        fixture_done(&f);
}

static void test_key_length(void **state)
{
        struct fixture f;
        char key[SW_SKU_MAX_LEN + 2];
        uint32_t i = 99;
        (void)state;
        fixture_init(&f, 4, 7, 0, 4);
        memset(key, 'K', sizeof(key));
        assert_int_equal(sw_sku_table_get_or_add(&f.t, key, SW_SKU_MAX_LEN + 1, &i), -EINVAL);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, key, 0, &i), -EINVAL);
        assert_int_equal(i, 99);
        assert_int_equal(sw_sku_table_find(&f.t, key, SW_SKU_MAX_LEN + 1, &i), -ENOENT);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, key, SW_SKU_MAX_LEN, &i), 1);
        assert_int_equal(strlen(sw_sku_key(&f.t, i)), SW_SKU_MAX_LEN);
        assert_int_equal(sw_sku_at(&f.t, i)->key_len, SW_SKU_MAX_LEN);
        assert_int_equal(sw_sku_table_find(&f.t, key, SW_SKU_MAX_LEN, &i), 0);
        /* A prefix or an extension of a key is another key. */
        assert_int_equal(sw_sku_table_find(&f.t, key, SW_SKU_MAX_LEN - 1, &i), -ENOENT);
        assert_int_equal(f.t.count, 1);
        fixture_done(&f);
}

static void test_many_keys(void **state)
{
        enum { N = 10000 };
        struct fixture f;
        char key[32];
        uint32_t i;
        (void)state;
        fixture_init(&f, N, 7, 0, 4);
        for (uint32_t k = 0; k < N; k++) {
                int n = snprintf(key, sizeof(key), "SKU-%05u", k);
                assert_int_equal(sw_sku_table_get_or_add(&f.t, key, (size_t)n, &i), 1);
                assert_int_equal(i, k);
        }
        assert_int_equal(f.t.count, N);
        for (uint32_t k = 0; k < N; k++) {
                int n = snprintf(key, sizeof(key), "SKU-%05u", k);
                if (sw_sku_table_find(&f.t, key, (size_t)n, &i) != 0 || i != k)
                        fail_msg("%s not found again", key);
                assert_string_equal(sw_sku_key(&f.t, k), key);
                assert_int_equal(sw_sku_table_get_or_add(&f.t, key, (size_t)n, &i), 0);
                assert_int_equal(i, k);
        }
        assert_int_equal(sw_sku_table_find(&f.t, "SKU-10000", 9, &i), -ENOENT);
        assert_int_equal(sw_sku_table_find(&f.t, "SKU-0000", 8, &i), -ENOENT);
        assert_int_equal(sw_sku_table_get_or_add(&f.t, "SKU-10000", 9, &i), -ENOSPC);
        fixture_done(&f);
}

static void test_categories(void **state)
{
        struct fixture f;
        uint16_t id = 999, id2;
        char longname[SW_CATEGORY_MAX_LEN + 1];
        (void)state;
        fixture_init(&f, 4, 7, 0, 4); /* id 0 reserved: three names fit */
        assert_string_equal(sw_sku_category_name(&f.t, 0), "");
        assert_int_equal(sw_sku_table_category(&f.t, "dairy", 5, &id), 1);
        assert_int_equal(id, 1);
        assert_int_equal(sw_sku_table_category(&f.t, "dairy", 5, &id2), 0);
        assert_int_equal(id2, 1);
        /* Only len bytes of name count, and a prefix is another name. */
        assert_int_equal(sw_sku_table_category(&f.t, "dairy products", 5, &id2), 0);
        assert_int_equal(id2, 1);
        assert_int_equal(sw_sku_table_category(&f.t, "dair", 4, &id), 1);
        assert_int_equal(id, 2);
        memset(longname, 'c', sizeof(longname));
        assert_int_equal(sw_sku_table_category(&f.t, longname, SW_CATEGORY_MAX_LEN, &id), 1);
        assert_int_equal(id, 3);
        assert_int_equal(strlen(sw_sku_category_name(&f.t, 3)), SW_CATEGORY_MAX_LEN);
        id = 999;
        assert_int_equal(sw_sku_table_category(&f.t, "bakery", 6, &id), -ENOSPC);
        assert_int_equal(id, 999);
        /* Known names are still found when full. */
        assert_int_equal(sw_sku_table_category(&f.t, "dair", 4, &id), 0);
        assert_int_equal(id, 2);
        assert_int_equal(sw_sku_table_category(&f.t, longname, SW_CATEGORY_MAX_LEN + 1, &id),
                         -EINVAL);
        assert_int_equal(sw_sku_table_category(&f.t, "x", 0, &id), -EINVAL);
        assert_string_equal(sw_sku_category_name(&f.t, 1), "dairy");
        assert_string_equal(sw_sku_category_name(&f.t, 2), "dair");
        assert_string_equal(sw_sku_category_name(&f.t, 4), "");
        assert_string_equal(sw_sku_category_name(&f.t, UINT16_MAX), "");
        fixture_done(&f);
}

/* ---- history ring ---- */

static void test_day_rollover(void **state)
{
        struct fixture *f = *state;
        uint32_t i = f->a;
        assert_int_equal(sw_sku_sold(&f->t, i, D0), -1); /* nothing known yet */
        assert_false(sw_sku_day_held(&f->t, i, D0));
        sw_sku_add_sold(&f->t, i, D0, 5);
        sw_sku_add_sold(&f->t, i, D0, 2);
        sw_sku_add_sold(&f->t, i, D0 + 1, 4);
        assert_int_equal(sw_sku_sold(&f->t, i, D0), 7);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 1), 4);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 2), 0);  /* after last_day: nothing sold yet */
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 1), -1); /* before first_day: unknown */
        assert_int_equal(sw_sku_at(&f->t, i)->first_day, D0);
        assert_int_equal(sw_sku_at(&f->t, i)->last_day, D0 + 1);
        assert_true(sw_sku_day_held(&f->t, i, D0));
        assert_true(sw_sku_day_held(&f->t, i, D0 + 1));
        assert_false(sw_sku_day_held(&f->t, i, D0 + 2));
        /* An advance skips quiet days and clears them (the memory started as junk). */
        sw_sku_advance(&f->t, i, D0 + 4);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 2), 0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 3), 0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 4), 0);
        assert_true(sw_sku_pushed_forecast(&f->t, i, D0 + 3) < 0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0), 7);
        /* Advancing backwards does nothing. */
        sw_sku_advance(&f->t, i, D0 + 1);
        assert_int_equal(sw_sku_at(&f->t, i)->last_day, D0 + 4);
}

static void fill_week(struct sw_sku_table *t, uint32_t i, sw_day_t from)
{
        for (sw_day_t d = from; d < from + 7; d++) {
                sw_sku_add_sold(t, i, d, (uint32_t)(d - from + 1) * 10);
                assert_int_equal(sw_sku_set_pushed_forecast(t, i, d, 3.0), 0);
        }
}

static void test_advance_past_history(void **state)
{
        struct fixture f;
        uint32_t a, b;
        (void)state;
        fixture_init(&f, 4, 7, 0, 4);
        a = add(&f.t, "A");
        b = add(&f.t, "B");
        fill_week(&f.t, a, D0);
        fill_week(&f.t, b, D0);
        /* By more than history_days: everything old is gone, every held day reads 0. */
        sw_sku_advance(&f.t, a, D0 + 6 + 7 + 3);
        for (sw_day_t d = D0; d < D0 + 7; d++)
                assert_int_equal(sw_sku_sold(&f.t, a, d), -1);
        for (sw_day_t d = D0 + 10; d <= D0 + 16; d++) {
                assert_int_equal(sw_sku_sold(&f.t, a, d), 0);
                assert_true(sw_sku_pushed_forecast(&f.t, a, d) < 0);
        }
        /* The forecasts have a ring of their own: moving the sales leaves them alone. */
        assert_int_equal(sw_sku_at(&f.t, a)->forecast_last_day, D0 + 6);
        for (sw_day_t d = D0; d < D0 + 7; d++)
                assert_true(fabs(sw_sku_pushed_forecast(&f.t, a, d) - 3.0) < 0.03 * 3.0);
        /* By exactly history_days: likewise. */
        sw_sku_advance(&f.t, b, D0 + 6 + 7);
        assert_int_equal(sw_sku_sold(&f.t, b, D0 + 6), -1);
        for (sw_day_t d = D0 + 7; d <= D0 + 13; d++)
                assert_int_equal(sw_sku_sold(&f.t, b, d), 0);
        fixture_done(&f);
}

static void test_history_expiry(void **state)
{
        struct fixture f;
        uint32_t i;
        const sw_day_t last = D0 + 10;
        (void)state;
        fixture_init(&f, 4, 7, 0, 4);
        i = add(&f.t, "A");
        for (sw_day_t d = D0; d <= last; d++)
                sw_sku_add_sold(&f.t, i, d, (uint32_t)(d - D0 + 1));
        /* Held: last - 6 .. last; last - 7 shares a ring slot with last. */
        assert_int_equal(sw_sku_sold(&f.t, i, last - 6), 5);
        assert_false(sw_sku_day_expired(&f.t, i, last - 6));
        assert_true(sw_sku_day_expired(&f.t, i, last - 7));
        assert_false(sw_sku_day_held(&f.t, i, last - 7));
        assert_int_equal(sw_sku_sold(&f.t, i, last - 7), -1);
        assert_int_equal(sw_sku_sold(&f.t, i, D0), -1);
        sw_sku_add_sold(&f.t, i, last - 7, 100);
        assert_int_equal(sw_sku_sold(&f.t, i, last - 7), -1);
        assert_int_equal(sw_sku_sold(&f.t, i, last), 11);
        assert_int_equal(sw_sku_at(&f.t, i)->last_day, last);
        /* The forecast ring (7 days, like the history) expires the same way. */
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, last, 2.0), 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, last - 7, 50.0), -ERANGE);
        assert_true(sw_sku_pushed_forecast(&f.t, i, last - 7) < 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, last) - 2.0) < 0.03 * 2.0);
        assert_int_equal(sw_sku_at(&f.t, i)->forecast_last_day, last);
        assert_int_equal(sw_sku_at(&f.t, i)->last_day, last);
        fixture_done(&f);
}

static void test_late_event_extends_first_day(void **state)
{
        struct fixture *f = *state;
        uint32_t i = f->a;
        sw_sku_add_sold(&f->t, i, D0, 5);
        sw_sku_add_sold(&f->t, i, D0 - 3, 2);
        assert_int_equal(sw_sku_at(&f->t, i)->first_day, D0 - 3);
        assert_int_equal(sw_sku_at(&f->t, i)->last_day, D0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 3), 2);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 2), 0); /* junk memory was cleared */
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 1), 0);
        assert_true(sw_sku_pushed_forecast(&f->t, i, D0 - 2) < 0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0), 5);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 4), -1);
        /* A forecast for an earlier day does not make that day's sales known. */
        assert_int_equal(sw_sku_set_pushed_forecast(&f->t, i, D0 - 6, 1.0), 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f->t, i, D0 - 6) - 1.0) < 0.03);
        assert_int_equal(sw_sku_at(&f->t, i)->first_day, D0 - 3);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 6), -1);
        /* Back to the oldest day the ring can hold, but not beyond. */
        sw_sku_add_sold(&f->t, i, D0 - 6, 0);
        assert_int_equal(sw_sku_at(&f->t, i)->first_day, D0 - 6);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 6), 0);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 5), 0);
        sw_sku_add_sold(&f->t, i, D0 - 7, 9);
        assert_int_equal(sw_sku_at(&f->t, i)->first_day, D0 - 6);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 - 7), -1);
        assert_int_equal(sw_sku_sold(&f->t, i, D0), 5);
}

static void test_sold_saturates(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = table_params(4, 7, 0, 4);
        uint32_t i;
        (void)state;
        p.max_fast = 1;
        fixture_init_params(&f, &p);
        i = add(&f.t, "A");
        assert_int_equal(sw_sku_add_sold(&f.t, i, D0, 65000), 0);
        assert_int_equal(sw_sku_add_sold(&f.t, i, D0, 535), 0);
        assert_int_equal(sw_sku_sold(&f.t, i, D0), 65535);
        sw_sku_add_sold(&f.t, i, D0, 1);
        assert_int_equal(sw_sku_sold(&f.t, i, D0), SW_SOLD_MAX);
        sw_sku_add_sold(&f.t, i, D0 + 1, 70000);
        assert_int_equal(sw_sku_sold(&f.t, i, D0 + 1), SW_SOLD_MAX);
        /* A huge count on top of existing sales must not wrap around. */
        sw_sku_add_sold(&f.t, i, D0 + 2, 100);
        sw_sku_add_sold(&f.t, i, D0 + 2, UINT32_MAX);
        assert_int_equal(sw_sku_sold(&f.t, i, D0 + 2), SW_SOLD_MAX);
        assert_int_equal(f.t.sales_saturated, 0);
        fixture_done(&f);
}

/* Days up to 255 units stay in the 1-byte ring; the first day above moves the SKU to the
 * fast pool with its history; when the pool is full, days cap at 255 and are counted. */
static void test_sold_fast_pool(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = table_params(4, 7, 0, 4);
        uint32_t a, b;
        (void)state;
        p.max_fast = 1;
        fixture_init_params(&f, &p);
        a = add(&f.t, "A");
        b = add(&f.t, "B");
        for (int d = 0; d < 6; d++)
                assert_int_equal(sw_sku_add_sold(&f.t, a, D0 + d, (uint32_t)(40 * d + 5)), 0);
        assert_int_equal(sw_sku_add_sold(&f.t, a, D0 + 5, 50),
                         0); /* 205 + 50 = 255: still narrow */
        assert_int_equal(sw_sku_sold(&f.t, a, D0 + 5), 255);
        assert_int_equal(sw_sku_at(&f.t, a)->fast, 0);
        assert_int_equal(sw_sku_add_sold(&f.t, a, D0 + 5, 1), 0); /* 256: moves to the pool */
        assert_int_equal(sw_sku_at(&f.t, a)->fast, 1);
        assert_int_equal(f.t.n_fast, 1);
        assert_int_equal(sw_sku_sold(&f.t, a, D0 + 5), 256);
        for (int d = 0; d < 5; d++)
                assert_int_equal(sw_sku_sold(&f.t, a, D0 + d), 40 * d + 5);
        assert_int_equal(sw_sku_add_sold(&f.t, a, D0 + 6, 1000), 0);
        assert_int_equal(sw_sku_sold(&f.t, a, D0 + 6), 1000);
        /* Advancing a fast SKU clears the days it skips in its 2-byte ring. */
        sw_sku_advance(&f.t, a, D0 + 9);
        assert_int_equal(sw_sku_sold(&f.t, a, D0 + 8), 0);
        assert_int_equal(sw_sku_sold(&f.t, a, D0 + 6), 1000);
        assert_int_equal(sw_sku_sold(&f.t, a, D0 + 2), -1);
        /* The pool is full: B caps at 255 and is counted, once per capped addition. */
        assert_int_equal(sw_sku_add_sold(&f.t, b, D0, 300), -ENOSPC);
        assert_int_equal(sw_sku_sold(&f.t, b, D0), SW_SOLD_NARROW_MAX);
        assert_int_equal(sw_sku_add_sold(&f.t, b, D0, 1), -ENOSPC);
        assert_int_equal(sw_sku_sold(&f.t, b, D0), SW_SOLD_NARROW_MAX);
        assert_int_equal(f.t.sales_saturated, 2);
        assert_int_equal(sw_sku_at(&f.t, b)->fast, 0);
        assert_int_equal(sw_sku_add_sold(&f.t, b, D0 + 1, 255), 0);
        assert_int_equal(sw_sku_sold(&f.t, b, D0 + 1), 255);
        fixture_done(&f);
}

/* The bulk readers agree with the per-day ones over random rings, windows and pools. */
static void test_series_match_per_day(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = {.max_skus = 16,
                                        .history_days = 9,
                                        .forecast_days = 6,
                                        .max_categories = 4,
                                        .max_fast = 3};
        uint16_t sold[40];
        double pushed[40];
        (void)state;
        srand(7);
        fixture_init_params(&f, &p);
        for (int k = 0; k < 16; k++) {
                char key[8];
                snprintf(key, sizeof(key), "S%u", (unsigned)k & 0xffu);
                uint32_t i = add(&f.t, key);
                int days = rand() % 30;
                sw_day_t start = D0 + rand() % 20;
                for (int d = 0; d < days; d++) {
                        if (rand() % 4 == 0)
                                continue; /* a gap: no sales recorded */
                        uint32_t units = (uint32_t)(rand() % 8 == 0 ? rand() % 2000 : rand() % 30);
                        (void)sw_sku_add_sold(&f.t, i, start + d, units);
                        if (rand() % 2)
                                assert_int_equal(
                                    sw_sku_set_pushed_forecast(&f.t, i, start + d + rand() % 3,
                                                               (double)(rand() % 500) / 7.0),
                                    0);
                }
                for (int w = 0; w < 40; w++) {
                        sw_day_t from = D0 - 5 + rand() % 60;
                        uint32_t n = (uint32_t)(rand() % 40);
                        sw_sku_sold_series(&f.t, i, from, n, sold);
                        sw_sku_pushed_series(&f.t, i, from, n, pushed);
                        for (uint32_t j = 0; j < n; j++) {
                                int32_t want = sw_sku_sold(&f.t, i, from + (sw_day_t)j);
                                double fc = sw_sku_pushed_forecast(&f.t, i, from + (sw_day_t)j);
                                assert_int_equal(sold[j], want < 0 ? 0 : want);
                                if (fc < 0)
                                        assert_true(isnan(pushed[j]));
                                else
                                        assert_true(pushed[j] == fc);
                        }
                }
        }
        assert_true(f.t.n_fast == 3 && f.t.sales_saturated > 0); /* both paths were exercised */
        fixture_done(&f);
}

/* ---- forecasts ---- */

static void test_forecast_codec(void **state)
{
        double prev_decoded = -2;
        uint8_t prev_code = 0;
        (void)state;
        assert_int_equal(sw_forecast_encode(0.0), 1);
        assert_true(sw_forecast_decode(1) == 0.0);
        assert_true(sw_forecast_decode(0) < 0);
        assert_int_equal(sw_forecast_encode(-1.0), 0);
        assert_int_equal(sw_forecast_encode(NAN), 0);
        assert_int_equal(sw_forecast_encode(1e9), 255);
        assert_int_equal(sw_forecast_encode(INFINITY), 255);
        assert_true(fabs(sw_forecast_decode(2) - 0.01) < 1e-12);
        assert_true(fabs(sw_forecast_decode(255) - 10000.0) < 1e-6);
        /* Decoding is strictly increasing over the codes. */
        for (unsigned c = 1; c <= 255; c++) {
                double v = sw_forecast_decode((uint8_t)c);
                assert_true(v > prev_decoded);
                prev_decoded = v;
        }
        /* Relative error within 3% and monotonic encoding over 0.01 .. 10000. */
        for (double u = 0.01; u <= 10000.0; u *= 1.001) {
                uint8_t c = sw_forecast_encode(u);
                double back = sw_forecast_decode(c);
                if (fabs(back - u) > 0.03 * u)
                        fail_msg("%g -> code %u -> %g", u, c, back);
                if (c < prev_code)
                        fail_msg("encode(%g) = %u < previous %u", u, c, prev_code);
                prev_code = c;
        }
        assert_true(fabs(sw_forecast_decode(sw_forecast_encode(10000.0)) - 10000.0) < 300.0);
        /* Every code encodes back to itself. */
        for (unsigned c = 1; c <= 255; c++)
                assert_int_equal(sw_forecast_encode(sw_forecast_decode((uint8_t)c)), c);
}

static void test_pushed_forecast(void **state)
{
        struct fixture *f = *state;
        uint32_t i = f->a;
        assert_true(sw_sku_pushed_forecast(&f->t, i, D0) < 0);
        sw_sku_add_sold(&f->t, i, D0, 3);
        assert_int_equal(sw_sku_set_pushed_forecast(&f->t, i, D0, 12.5), 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&f->t, i, D0 + 2, 0.0), 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f->t, i, D0) - 12.5) <= 0.03 * 12.5);
        assert_true(sw_sku_pushed_forecast(&f->t, i, D0 + 2) == 0.0);
        assert_true(sw_sku_pushed_forecast(&f->t, i, D0 + 1) < 0);
        assert_true(sw_sku_pushed_forecast(&f->t, i, D0 + 3) < 0);
        /* A forecast does not touch the sales. */
        assert_int_equal(sw_sku_sold(&f->t, i, D0), 3);
        assert_int_equal(sw_sku_sold(&f->t, i, D0 + 2), 0);
        assert_int_equal(sw_sku_at(&f->t, i)->last_day, D0);
        /* Nor does it make sales known for a SKU that has none. */
        uint32_t j = add(&f->t, "B");
        assert_int_equal(sw_sku_set_pushed_forecast(&f->t, j, D0 + 1, 1.0), 0);
        assert_int_equal(sw_sku_at(&f->t, j)->first_day, SW_DAY_NONE);
        assert_int_equal(sw_sku_at(&f->t, j)->last_day, SW_DAY_NONE);
        assert_int_equal(sw_sku_sold(&f->t, j, D0 + 1), -1);
}

/* Regression: a forecast for a future day used to advance the sales ring to that day,
 * expiring the recent history and making late sales for it unwritable. */
static void test_future_forecast_keeps_history(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = {
            .max_skus = 4, .history_days = 14, .forecast_days = 20, .max_categories = 4};
        const sw_day_t d = D0;
        uint32_t i;
        (void)state;
        fixture_init_params(&f, &p);
        assert_int_equal(f.t.p.forecast_days, 20);
        i = add(&f.t, "A");
        for (sw_day_t k = d - 10; k <= d - 1; k++)
                sw_sku_add_sold(&f.t, i, k, (uint32_t)(k - d + 11)); /* 1 .. 10 */
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, d + 14, 6.0), 0);
        const struct sw_sku *s = sw_sku_at(&f.t, i);
        assert_int_equal(s->last_day, d - 1);
        assert_int_equal(s->first_day, d - 10);
        assert_int_equal(s->forecast_last_day, d + 14);
        for (sw_day_t k = d - 10; k <= d - 1; k++)
                if (sw_sku_sold(&f.t, i, k) != k - d + 11)
                        fail_msg("day d%+d reads %d after the forecast", k - d,
                                 sw_sku_sold(&f.t, i, k));
        assert_int_equal(sw_sku_sold(&f.t, i, d - 11), -1);
        assert_int_equal(sw_sku_sold(&f.t, i, d), 0);
        assert_false(sw_sku_day_expired(&f.t, i, d - 5));
        assert_true(sw_sku_day_held(&f.t, i, d - 5));
        /* A late sale for d - 5 lands. */
        sw_sku_add_sold(&f.t, i, d - 5, 100);
        assert_int_equal(sw_sku_sold(&f.t, i, d - 5), 106);
        assert_int_equal(s->last_day, d - 1);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, d + 14) - 6.0) < 0.03 * 6.0);
        /* The forecast ring reaches back to d - 5, the sales ring is not involved. */
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, d - 5, 2.0), 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, d - 6, 2.0), -ERANGE);
        assert_int_equal(sw_sku_sold(&f.t, i, d - 6), 5);
        assert_int_equal(sw_sku_sold(&f.t, i, d - 5), 106);
        fixture_done(&f);
}

static void test_forecast_ring(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = {
            .max_skus = 4, .history_days = 14, .forecast_days = 5, .max_categories = 4};
        uint32_t i;
        (void)state;
        fixture_init_params(&f, &p);
        i = add(&f.t, "A");
        const struct sw_sku *s = sw_sku_at(&f.t, i);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 10, 2.0), 0);
        /* The ring holds D0 + 6 .. D0 + 10; the days in it not set read none (junk cleared). */
        assert_int_equal(s->forecast_last_day, D0 + 10);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 11) < 0);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 5) < 0);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0) < 0);
        for (sw_day_t d = D0 + 6; d < D0 + 10; d++)
                assert_true(sw_sku_pushed_forecast(&f.t, i, d) < 0);
        /* The oldest day it holds can be set; one older is refused and changes nothing (it
         * shares a slot with D0 + 10). */
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 6, 1.0), 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 6) - 1.0) < 0.03);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 5, 9.0), -ERANGE);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 - 100, 9.0), -ERANGE);
        assert_int_equal(s->forecast_last_day, D0 + 10);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 5) < 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 10) - 2.0) < 0.03 * 2.0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 6) - 1.0) < 0.03);
        /* A newer value for a held day replaces the old one. */
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 10, 4.0), 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 10) - 4.0) < 0.03 * 4.0);

        /* Fill the ring, then advance it by more than its length: every old code is gone. */
        for (sw_day_t d = D0 + 6; d <= D0 + 10; d++)
                assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, d, 7.0), 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 10 + 5 + 3, 8.0), 0);
        assert_int_equal(s->forecast_last_day, D0 + 18);
        for (sw_day_t d = D0 + 6; d <= D0 + 17; d++)
                if (sw_sku_pushed_forecast(&f.t, i, d) >= 0)
                        fail_msg("day D0%+d still reads %g", d - D0,
                                 sw_sku_pushed_forecast(&f.t, i, d));
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 18) - 8.0) < 0.03 * 8.0);
        /* By less than its length: the days still held keep their values. */
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 16, 1.0), 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, D0 + 20, 3.0), 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 16) - 1.0) < 0.03);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 17) < 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 18) - 8.0) < 0.03 * 8.0);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 19) < 0);
        assert_true(fabs(sw_sku_pushed_forecast(&f.t, i, D0 + 20) - 3.0) < 0.03 * 3.0);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 15) < 0);
        /* None of this touched the sales ring. */
        assert_int_equal(s->last_day, SW_DAY_NONE);
        fixture_done(&f);
}

/* ---- shelf pool ---- */

static void test_shelf_pool(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = {
            .max_skus = 4, .history_days = 7, .max_categories = 4, .max_shelves = 2};
        struct sw_shelf marker, *sa, *sb, *again, *none = &marker;
        uint32_t a, b, c;
        (void)state;
        fixture_init_params(&f, &p);
        assert_int_equal(f.t.p.max_shelves, 2);
        a = add(&f.t, "A");
        b = add(&f.t, "B");
        c = add(&f.t, "C");
        assert_null(sw_sku_shelf(&f.t, a));
        assert_null(sw_sku_shelf(&f.t, b));
        assert_null(sw_sku_shelf(&f.t, c));
        /* A fresh shelf has no reading (memory started as junk). */
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, a, &sa), 0);
        assert_int_equal(sa->count, -1);
        assert_int_equal(sa->ts, 0);
        assert_int_equal(sa->zero_open_s, 0);
        assert_int_equal(sa->above_since, 0);
        assert_int_equal(sa->zero_since, 0);
        assert_ptr_equal(sw_sku_shelf(&f.t, a), sa);
        assert_null(sw_sku_shelf(&f.t, b));
        sa->count = 5;
        sa->ts = 1000;
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, b, &sb), 0);
        assert_ptr_not_equal(sa, sb);
        sb->count = 0;
        sb->zero_since = 2000;
        assert_int_equal(f.t.n_shelves, 2);
        /* The pool is full: a third SKU gets none, and ret is not written. */
        again = none;
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, c, &again), -ENOSPC);
        assert_ptr_equal(again, none);
        assert_null(sw_sku_shelf(&f.t, c));
        assert_int_equal(f.t.n_shelves, 2);
        /* The first two keep theirs, state intact. */
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, a, &again), 0);
        assert_ptr_equal(again, sa);
        assert_int_equal(again->count, 5);
        assert_int_equal(again->ts, 1000);
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, b, &again), 0);
        assert_ptr_equal(again, sb);
        assert_int_equal(sw_sku_shelf(&f.t, b)->zero_since, 2000);
        assert_int_equal(sw_sku_shelf(&f.t, b)->count, 0);
        fixture_done(&f);
}

/* ---- dirty tracking ---- */

static void test_dirty(void **state)
{
        struct fixture f;
        (void)state;
        fixture_init(&f, 4, 7, 0, 4);
        add(&f.t, "A");
        add(&f.t, "B");
        add(&f.t, "C");
        add(&f.t, "D");
        assert_int_equal(f.t.n_dirty, 0);
        sw_sku_mark_dirty(&f.t, 2);
        sw_sku_mark_dirty(&f.t, 0);
        sw_sku_mark_dirty(&f.t, 2);
        assert_int_equal(f.t.n_dirty, 2);
        assert_int_equal(f.t.dirty[0], 2);
        assert_int_equal(f.t.dirty[1], 0);
        assert_true(sw_sku_at(&f.t, 0)->flags & SW_SKU_DIRTY);
        assert_false(sw_sku_at(&f.t, 1)->flags & SW_SKU_DIRTY);
        assert_true(sw_sku_at(&f.t, 2)->flags & SW_SKU_DIRTY);
        sw_sku_at(&f.t, 2)->flags |= SW_SKU_HAS_BOOK;
        sw_sku_clear_dirty(&f.t);
        assert_int_equal(f.t.n_dirty, 0);
        for (uint32_t i = 0; i < 4; i++)
                assert_false(sw_sku_at(&f.t, i)->flags & SW_SKU_DIRTY);
        assert_true(sw_sku_at(&f.t, 2)->flags & SW_SKU_HAS_BOOK); /* other flags kept */
        /* Marking every SKU many times never overflows dirty[]. */
        for (int round = 0; round < 3; round++)
                for (uint32_t i = 0; i < 4; i++)
                        sw_sku_mark_dirty(&f.t, i);
        assert_int_equal(f.t.n_dirty, 4);
        fixture_done(&f);
}

/* ---- serialise / restore ---- */

/* Blob layout (core/sku_table.c, version 5): an 8-byte head (version, flags, category length,
 * has_shelf, u16 history length, u16 forecast length), ten scalars (u32 but the f64 price), the
 * 16-byte price watch and the 8-byte receipt watch, six u32 of shelf state when has_shelf, the
 * category, 2 bytes a history day, 1 byte a forecast day. Version 4 had the price as f32;
 * version 3 no watches either; version 2 neither the last event day and the stock-out days (the
 * last three scalars) nor the sixth shelf word. */
#define BLOB_HEAD  8
#define BLOB_SHELF (6 * 4)
#define BLOB_WATCH (16 + 8)
enum blob_scalar {
        SC_ON_HAND,
        SC_PRICE,
        SC_BOOK_AS_OF,
        SC_FIRST_DAY,
        SC_LAST_DAY,
        SC_FC_LAST,
        SC_NEG_SINCE,
        SC_LAST_EVENT,
        SC_STOCKOUT_FROM,
        SC_STOCKOUT
};
#define BLOB_SCALAR_V4(k) (BLOB_HEAD + 4 * (k))
#define BLOB_SCALAR(k)    (BLOB_SCALAR_V4(k) + ((k) > SC_PRICE ? 4 : 0))

/* Size of the fixed part of a blob: that of a SKU with no category, history, forecast or shelf. */
static size_t blob_fixed(void)
{
        struct fixture f;
        uint8_t blob[SW_SKU_BLOB_MAX(1, 1)];
        int n;
        fixture_init(&f, 1, 1, 0, 1);
        n = sw_sku_serialize(&f.t, add(&f.t, "E"), blob, sizeof(blob));
        assert_int_equal(n, BLOB_SCALAR(SC_STOCKOUT + 1) + BLOB_WATCH);
        fixture_done(&f);
        return (size_t)n;
}

static uint32_t make_rich_sku(struct sw_sku_table *t)
{
        uint32_t i = add(t, "SKU-RICH");
        uint16_t cat;
        struct sw_sku *s;
        struct sw_shelf *sh;
        assert_int_equal(sw_sku_table_category(t, "frozen food", 11, &cat), 1);
        for (sw_day_t d = D0; d < D0 + 10; d++) {
                sw_sku_add_sold(t, i, d, (uint32_t)(d - D0) * 1000 + 7);
                if ((d - D0) % 3 == 0)
                        assert_int_equal(sw_sku_set_pushed_forecast(t, i, d, 0.5 * (d - D0 + 1)),
                                         0);
        }
        s = sw_sku_at(t, i);
        s->category = cat;
        s->on_hand = -42;
        s->price = 3.99;
        s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE | SW_SKU_HAS_BOOK;
        s->book_as_of = 1795515302;
        assert_int_equal(sw_sku_shelf_get_or_add(t, i, &sh), 0);
        sh->count = 17;
        sh->ts = 1795515400;
        sh->zero_open_s = 3600;
        sh->above_since = 1795510000;
        sh->zero_since = 1795512000;
        sh->zero_readings = 0;
        s->book_negative_since = 1795513000;
        s->stockout_from = D0 + 2;
        s->stockout_day = D0 + 4;
        s->price_watch = (struct sw_price_watch){.list_prev = 1.25f,
                                                 .list_since = D0 + 8,
                                                 .off_from = D0 + 9,
                                                 .off_log_sum = -1.5f,
                                                 .off_last = 3,
                                                 .off_lines = 200,
                                                 .on_lines = 7};
        s->receipt_watch =
            (struct sw_receipt_watch){.day = D0 + 7, .units = 65000, .usual = 12, .before = 3};
        sw_sku_mark_dirty(t, i);
        return i;
}

/* f: a table of 4 SKUs and 14 days holding make_rich_sku() at *ret_i, serialised into blob;
 * returns the blob's length. */
static int serialize_rich(struct fixture *f, uint32_t *ret_i, uint8_t *blob, size_t size)
{
        int n;
        fixture_init(f, 4, 14, 0, 4);
        *ret_i = make_rich_sku(&f->t);
        n = sw_sku_serialize(&f->t, *ret_i, blob, size);
        assert_true(n > 0);
        return n;
}

/* f and g: tables of 4 SKUs and 14 days, f holding make_rich_sku(), whose index it returns. */
static uint32_t rich_tables(struct fixture *f, struct fixture *g)
{
        fixture_init(f, 4, 14, 0, 4);
        fixture_init(g, 4, 14, 0, 4);
        return make_rich_sku(&f->t);
}

/* A restore of make_rich_sku() into a table made otherwise: f holds it at i, serialised into
 * blob (n bytes), and g, made with the test's params, is where it is restored. */
struct rich_restore {
        struct fixture f, g;
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t i;
        int n;
};

static void rich_restore_init(struct rich_restore *r, const struct sw_sku_table_params *p)
{
        r->n = serialize_rich(&r->f, &r->i, r->blob, sizeof(r->blob));
        fixture_init_params(&r->g, p);
}

/* Restores r's blob into r->g and returns the index it gets there. */
static uint32_t rich_restore(struct rich_restore *r)
{
        return restore_found(&r->g.t, "SKU-RICH", r->blob, (size_t)r->n);
}

static void rich_restore_done(struct rich_restore *r)
{
        fixture_done(&r->f);
        fixture_done(&r->g);
}

static void assert_shelf_equal(const struct sw_shelf *a, const struct sw_shelf *b)
{
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(a->count, b->count);
        assert_int_equal(a->ts, b->ts);
        assert_int_equal(a->zero_open_s, b->zero_open_s);
        assert_int_equal(a->above_since, b->above_since);
        assert_int_equal(a->zero_since, b->zero_since);
        assert_int_equal(a->zero_readings, b->zero_readings);
}

/* Sales and forecasts of SKU i in a equal those of j in b over [from, to]. */
static void assert_rings_equal(const struct sw_sku_table *a, uint32_t i,
                               const struct sw_sku_table *b, uint32_t j, sw_day_t from, sw_day_t to)
{
        for (sw_day_t d = from; d <= to; d++) {
                if (sw_sku_sold(a, i, d) != sw_sku_sold(b, j, d))
                        fail_msg("day D0%+d: sold %d vs %d", d - D0, sw_sku_sold(a, i, d),
                                 sw_sku_sold(b, j, d));
                if (sw_sku_pushed_forecast(a, i, d) != sw_sku_pushed_forecast(b, j, d))
                        fail_msg("day D0%+d: forecast %g vs %g", d - D0,
                                 sw_sku_pushed_forecast(a, i, d), sw_sku_pushed_forecast(b, j, d));
        }
}

/* A version 4 blob (the price as f32): v5 with its price narrowed, as the code before wrote it. */
static size_t to_v4(const uint8_t *v5, size_t n, uint8_t *ret)
{
        size_t at = BLOB_SCALAR(SC_PRICE);
        uint64_t bits = 0;
        double price;
        float narrow;
        uint32_t narrow_bits;
        memcpy(ret, v5, at);
        ret[0] = 4;
        for (int b = 0; b < 8; b++)
                bits |= (uint64_t)v5[at + (size_t)b] << (8 * b);
        memcpy(&price, &bits, sizeof(price));
        narrow = (float)price;
        memcpy(&narrow_bits, &narrow, sizeof(narrow_bits));
        for (int b = 0; b < 4; b++)
                ret[at + (size_t)b] = (uint8_t)(narrow_bits >> (8 * b));
        memcpy(ret + at + 4, v5 + at + 8, n - at - 8);
        return n - 4;
}

/* A version 2 blob (before the last event day, the stock-out days, the zero-reading streak and
 * the watches): v4 less those words. */
static size_t to_v2(const uint8_t *v4, size_t n, bool has_shelf, uint8_t *ret)
{
        size_t head = BLOB_SCALAR_V4(SC_LAST_EVENT), at = head;
        size_t rest = BLOB_SCALAR_V4(SC_STOCKOUT + 1) + BLOB_WATCH;
        memcpy(ret, v4, head);
        ret[0] = 2;
        if (has_shelf) { /* the five v2 shelf words, not the sixth */
                memcpy(ret + at, v4 + rest, BLOB_SHELF - 4);
                at += BLOB_SHELF - 4;
                rest += BLOB_SHELF;
        }
        memcpy(ret + at, v4 + rest, n - rest);
        return at + (n - rest);
}

/* A version 3 blob (before the price and receipt watches): v4 less those bytes. */
static size_t to_v3(const uint8_t *v4, size_t n, uint8_t *ret)
{
        size_t head = BLOB_SCALAR_V4(SC_STOCKOUT + 1);
        memcpy(ret, v4, head);
        ret[0] = 3;
        memcpy(ret + head, v4 + head + BLOB_WATCH, n - head - BLOB_WATCH);
        return n - BLOB_WATCH;
}

/* The blob of SKU i of t, which has a shelf, as version 2 or 3 wrote it, into ret: the current
 * one narrowed to version 4, less what the older version did not have. Returns its length. */
static size_t serialize_old(const struct sw_sku_table *t, uint32_t i, int version, uint8_t *ret)
{
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14)], v4[SW_SKU_BLOB_MAX(14, 14)];
        int n = sw_sku_serialize(t, i, blob, sizeof(blob));
        size_t m;
        assert_true(n > 0);
        if (version == 3)
                return to_v3(v4, to_v4(blob, (size_t)n, v4), ret);
        m = to_v2(v4, to_v4(blob, (size_t)n, v4), true, ret);
        assert_int_equal(m, (size_t)n - 4 - 16 - BLOB_WATCH);
        return m;
}

static void test_restore_version_3(void **state)
{
        struct fixture f, g;
        uint8_t old[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t i = rich_tables(&f, &g), j;
        size_t m = serialize_old(&f.t, i, 3, old);
        (void)state;
        j = restore_found(&g.t, "SKU-RICH", old, m);
        const struct sw_sku *b = sw_sku_at(&g.t, j);
        assert_int_equal(b->stockout_from, D0 + 2);
        assert_int_equal(b->stockout_day, D0 + 4);
        assert_int_equal(b->last_event_day, sw_sku_at(&f.t, i)->last_event_day);
        assert_int_equal(b->price_watch.list_since, SW_WATCH_DAY_NONE);
        assert_int_equal(b->receipt_watch.day, SW_WATCH_DAY_NONE);
        assert_shelf_equal(sw_sku_shelf(&g.t, j), sw_sku_shelf(&f.t, i));
        assert_rings_equal(&f.t, i, &g.t, j, D0 - 20, D0 + 12);
        assert_true(b->price == 3.99); /* its f32 as the decimal it was */
        old[0] = 6;                    /* a version from the future is refused */
        assert_int_equal(sw_sku_restore(&g.t, "SKU-RICH", 8, old, m), -EINVAL);
        fixture_done(&f);
        fixture_done(&g);
}

static void test_restore_version_2(void **state)
{
        struct fixture f, g;
        uint8_t old[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t i = rich_tables(&f, &g), j;
        (void)state;
        sw_sku_shelf(&f.t, i)->count = 0; /* at zero: a v2 streak reads as one reading */
        size_t m = serialize_old(&f.t, i, 2, old);
        j = restore_found(&g.t, "SKU-RICH", old, m);
        const struct sw_sku *b = sw_sku_at(&g.t, j);
        assert_int_equal(b->stockout_from, SW_DAY_NONE);
        assert_int_equal(b->stockout_day, SW_DAY_NONE);
        assert_int_equal(b->book_negative_since, 1795513000);
        assert_int_equal(sw_sku_shelf(&g.t, j)->zero_readings, 1);
        assert_int_equal(sw_sku_shelf(&g.t, j)->zero_since, 1795512000);
        assert_rings_equal(&f.t, i, &g.t, j, D0 - 20, D0 + 12);
        fixture_done(&f);
        fixture_done(&g);
}

static void test_serialize_restore(void **state)
{
        struct fixture f, g;
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t i, j;
        int n;
        (void)state;
        i = rich_tables(&f, &g);
        add(&g.t, "OTHER");
        assert_int_equal(sw_sku_serialize(&f.t, i, blob, 10), -ENOBUFS);
        n = sw_sku_serialize(&f.t, i, blob, sizeof(blob));
        /* Shelf state, the category, 10 days of sales and the whole 14-day forecast ring. */
        assert_int_equal(n, blob_fixed() + BLOB_SHELF + 11 + 2 * 10 + 14);
        assert_int_equal(sw_sku_serialize(&f.t, i, blob, (size_t)n - 1), -ENOBUFS);
        j = restore_found(&g.t, "SKU-RICH", blob, (size_t)n);
        assert_int_equal(j, 1);

        const struct sw_sku *a = sw_sku_at(&f.t, i), *b = sw_sku_at(&g.t, j);
        assert_string_equal(sw_sku_category_name(&g.t, b->category), "frozen food");
        assert_int_equal(b->on_hand, -42);
        assert_true(b->price == 3.99);
        assert_int_equal(b->flags, a->flags & ~SW_SKU_DIRTY);
        assert_int_equal(b->book_as_of, 1795515302);
        assert_int_equal(b->first_day, D0);
        assert_int_equal(b->last_day, D0 + 9);
        assert_int_equal(b->forecast_last_day, D0 + 9);
        assert_shelf_equal(sw_sku_shelf(&g.t, j), sw_sku_shelf(&f.t, i));
        assert_int_equal(sw_sku_shelf(&g.t, j)->count, 17);
        assert_int_equal(sw_sku_shelf(&g.t, j)->zero_since, 1795512000);
        assert_null(sw_sku_shelf(&g.t, 0)); /* OTHER still has none */
        assert_int_equal(g.t.n_shelves, 1);
        assert_int_equal(b->book_negative_since, 1795513000);
        assert_int_equal(b->stockout_from, D0 + 2);
        assert_int_equal(b->stockout_day, D0 + 4);
        assert_true(b->price_watch.list_prev == 1.25f);
        assert_int_equal(b->price_watch.list_since, D0 + 8);
        assert_int_equal(b->price_watch.off_from, D0 + 9);
        assert_true(b->price_watch.off_log_sum == -1.5f);
        assert_int_equal(b->price_watch.off_last, 3);
        assert_int_equal(b->price_watch.off_lines, 200);
        assert_int_equal(b->price_watch.on_lines, 7);
        assert_int_equal(b->receipt_watch.day, D0 + 7);
        assert_int_equal(b->receipt_watch.units, 65000);
        assert_int_equal(b->receipt_watch.usual, 12);
        assert_int_equal(b->receipt_watch.before, 3);
        assert_rings_equal(&f.t, i, &g.t, j, D0 - 20, D0 + 12);
        assert_int_equal(sw_sku_sold(&g.t, j, D0 + 9), 9007);
        assert_true(sw_sku_pushed_forecast(&g.t, j, D0 + 9) > 4.8);
        assert_true(sw_sku_pushed_forecast(&g.t, j, D0 + 3) > 1.9);
        assert_true(sw_sku_pushed_forecast(&g.t, j, D0 + 4) < 0);

        /* The blob does not depend on the table it came from. */
        uint8_t blob2[SW_SKU_BLOB_MAX(14, 14)];
        assert_int_equal(sw_sku_serialize(&g.t, j, blob2, sizeof(blob2)), n);
        assert_memory_equal(blob, blob2, (size_t)n);

        /* A SKU without history restores without history. */
        uint32_t e = add(&f.t, "EMPTY");
        sw_sku_at(&f.t, e)->on_hand = 5;
        n = sw_sku_serialize(&f.t, e, blob, sizeof(blob));
        assert_int_equal(n, blob_fixed());
        j = restore_found(&g.t, "EMPTY", blob, (size_t)n);
        assert_int_equal(sw_sku_at(&g.t, j)->on_hand, 5);
        assert_int_equal(sw_sku_at(&g.t, j)->last_day, SW_DAY_NONE);
        assert_int_equal(sw_sku_at(&g.t, j)->forecast_last_day, SW_DAY_NONE);
        assert_int_equal(sw_sku_at(&g.t, j)->category, 0);
        assert_int_equal(sw_sku_at(&g.t, j)->price_watch.list_since, SW_WATCH_DAY_NONE);
        assert_int_equal(sw_sku_at(&g.t, j)->price_watch.off_from, SW_WATCH_DAY_NONE);
        assert_int_equal(sw_sku_sold(&g.t, j, D0), -1);
        assert_true(sw_sku_pushed_forecast(&g.t, j, D0) < 0);
        assert_null(sw_sku_shelf(&g.t, j));

        /* Only a shelf reading; only forecasts: each part alone round-trips. */
        uint32_t so = add(&f.t, "SHELF-ONLY"), fo = add(&f.t, "FC-ONLY");
        struct sw_shelf *sh;
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, so, &sh), 0);
        sh->count = 0;
        sh->ts = 1795515000;
        sh->zero_since = 1795514000;
        n = sw_sku_serialize(&f.t, so, blob, sizeof(blob));
        assert_int_equal(n, blob_fixed() + BLOB_SHELF);
        j = restore_found(&g.t, "SHELF-ONLY", blob, (size_t)n);
        assert_shelf_equal(sw_sku_shelf(&g.t, j), sh);
        assert_int_equal(sw_sku_at(&g.t, j)->last_day, SW_DAY_NONE);
        assert_int_equal(sw_sku_set_pushed_forecast(&f.t, fo, D0 + 20, 12.0), 0);
        n = sw_sku_serialize(&f.t, fo, blob, sizeof(blob));
        assert_int_equal(n, blob_fixed() + 14);
        uint32_t w = UINT32_MAX;
        assert_int_equal(sw_sku_restore(&g.t, "FC-ONLY", 7, blob, (size_t)n), -ENOSPC); /* 4 SKUs */
        assert_int_equal(sw_sku_table_find(&g.t, "FC-ONLY", 7, &w), -ENOENT);
        j = restore_found(&g.t, "OTHER", blob, (size_t)n); /* over one */
        assert_int_equal(sw_sku_at(&g.t, j)->last_day, SW_DAY_NONE);
        assert_int_equal(sw_sku_at(&g.t, j)->forecast_last_day, D0 + 20);
        assert_rings_equal(&f.t, fo, &g.t, j, D0, D0 + 22);
        fixture_done(&f);
        fixture_done(&g);
}

static void test_blob_max(void **state)
{
        struct fixture f;
        struct sw_sku_table_params p = {
            .max_skus = 2, .history_days = 3, .forecast_days = 2, .max_categories = 2};
        char cat[SW_CATEGORY_MAX_LEN];
        uint8_t blob[SW_SKU_BLOB_MAX(3, 2)];
        struct sw_shelf *sh;
        uint32_t i;
        uint16_t id;
        (void)state;
        /* Everything at its largest still fits SW_SKU_BLOB_MAX. */
        fixture_init_params(&f, &p);
        i = add(&f.t, "BIG");
        memset(cat, 'c', sizeof(cat));
        assert_int_equal(sw_sku_table_category(&f.t, cat, sizeof(cat), &id), 1);
        sw_sku_at(&f.t, i)->category = id;
        for (sw_day_t d = D0; d < D0 + 5; d++) {
                sw_sku_add_sold(&f.t, i, d, 1);
                assert_int_equal(sw_sku_set_pushed_forecast(&f.t, i, d, 1.0), 0);
        }
        assert_int_equal(sw_sku_shelf_get_or_add(&f.t, i, &sh), 0);
        int n = sw_sku_serialize(&f.t, i, blob, sizeof(blob));
        assert_int_equal(n, blob_fixed() + BLOB_SHELF + SW_CATEGORY_MAX_LEN + 2 * 3 + 2);
        assert_true((size_t)n <= sizeof(blob));
        fixture_done(&f);
}

static void test_restore_shorter_history(void **state)
{
        struct rich_restore r;
        struct sw_sku_table_params p = table_params(4, 5, 0, 4);
        uint32_t j;
        (void)state;
        rich_restore_init(&r, &p); /* days D0 .. D0 + 9 */
        j = rich_restore(&r);
        assert_int_equal(sw_sku_at(&r.g.t, j)->last_day, D0 + 9);
        /* The newest five days are kept ... */
        for (sw_day_t d = D0 + 5; d <= D0 + 9; d++) {
                assert_int_equal(sw_sku_sold(&r.g.t, j, d), sw_sku_sold(&r.f.t, r.i, d));
                assert_true(sw_sku_pushed_forecast(&r.g.t, j, d) ==
                            sw_sku_pushed_forecast(&r.f.t, r.i, d));
        }
        assert_true(sw_sku_pushed_forecast(&r.g.t, j, D0 + 6) > 3.3);
        /* ... and the older ones are unknown. */
        for (sw_day_t d = D0 - 1; d < D0 + 5; d++) {
                assert_int_equal(sw_sku_sold(&r.g.t, j, d), -1);
                assert_true(sw_sku_pushed_forecast(&r.g.t, j, d) < 0);
        }
        /* One more day pushes D0 + 5 out of the short ring (first_day stays behind it). Restoring
         * that into a table with a longer ring must keep the expired day unknown, not zero. */
        struct fixture h;
        sw_sku_add_sold(&r.g.t, j, D0 + 10, 1);
        assert_int_equal(sw_sku_sold(&r.g.t, j, D0 + 5), -1);
        fixture_init(&h, 4, 30, 0, 4);
        r.n = sw_sku_serialize(&r.g.t, j, r.blob, sizeof(r.blob));
        assert_int_equal(r.n, blob_fixed() + BLOB_SHELF + 11 + 3 * 5);
        j = restore_found(&h.t, "SKU-RICH", r.blob, (size_t)r.n);
        for (sw_day_t d = D0 - 1; d <= D0 + 11; d++)
                if (sw_sku_sold(&h.t, j, d) != sw_sku_sold(&r.g.t, 0, d))
                        fail_msg("day D0%+d: %d after restore, %d before", d - D0,
                                 sw_sku_sold(&h.t, j, d), sw_sku_sold(&r.g.t, 0, d));
        assert_int_equal(sw_sku_sold(&h.t, j, D0 + 5), -1);
        assert_int_equal(sw_sku_sold(&h.t, j, D0 + 10), 1);
        rich_restore_done(&r);
        fixture_done(&h);
}

static void test_restore_shelf_pool_full(void **state)
{
        struct rich_restore r;
        struct sw_sku_table_params p = table_params(4, 14, 0, 4);
        struct sw_shelf *sh;
        uint32_t j, other;
        (void)state;
        p.max_shelves = 1;
        rich_restore_init(&r, &p);
        other = add(&r.g.t, "SENSOR");
        assert_int_equal(sw_sku_shelf_get_or_add(&r.g.t, other, &sh), 0);
        sh->count = 3;
        /* The pool is full: the shelf state is dropped, everything else is restored. */
        j = rich_restore(&r);
        assert_null(sw_sku_shelf(&r.g.t, j));
        assert_int_equal(r.g.t.n_shelves, 1);
        assert_int_equal(sw_sku_shelf(&r.g.t, other)->count, 3);
        const struct sw_sku *b = sw_sku_at(&r.g.t, j);
        assert_int_equal(b->on_hand, -42);
        assert_true(b->price == 3.99);
        assert_int_equal(b->book_as_of, 1795515302);
        assert_int_equal(b->book_negative_since, 1795513000);
        assert_string_equal(sw_sku_category_name(&r.g.t, b->category), "frozen food");
        assert_int_equal(b->first_day, D0);
        assert_int_equal(b->last_day, D0 + 9);
        assert_int_equal(b->forecast_last_day, D0 + 9);
        assert_rings_equal(&r.f.t, r.i, &r.g.t, j, D0 - 20, D0 + 12);
        /* Saved again, it has no shelf state to carry. */
        assert_int_equal(sw_sku_serialize(&r.g.t, j, r.blob, sizeof(r.blob)), r.n - BLOB_SHELF);

        /* Restoring over a SKU that holds the pool's only shelf reuses it. */
        r.n = sw_sku_serialize(&r.f.t, r.i, r.blob, sizeof(r.blob));
        fixture_done(&r.g);
        fixture_init_params(&r.g, &p);
        j = rich_restore(&r);
        sw_sku_shelf(&r.g.t, j)->count = 99;
        assert_int_equal(sw_sku_restore(&r.g.t, "SKU-RICH", 8, r.blob, (size_t)r.n), 0);
        assert_int_equal(r.g.t.n_shelves, 1);
        assert_shelf_equal(sw_sku_shelf(&r.g.t, j), sw_sku_shelf(&r.f.t, r.i));
        rich_restore_done(&r);
}

/* A category that no longer fits drops to "unknown"; the SKU and its history stay. */
static void test_restore_categories_full(void **state)
{
        struct rich_restore r;
        struct sw_sku_table_params p = table_params(4, 14, 0, 2);
        uint16_t cat;
        uint32_t j;
        (void)state;
        rich_restore_init(&r, &p);
        assert_int_equal(sw_sku_table_category(&r.g.t, "other", 5, &cat), 1); /* the only slot */
        j = rich_restore(&r);
        assert_int_equal(sw_sku_at(&r.g.t, j)->category, 0);
        assert_int_equal(sw_sku_at(&r.g.t, j)->on_hand, -42);
        assert_rings_equal(&r.f.t, r.i, &r.g.t, j, D0 - 20, D0 + 12);
        rich_restore_done(&r);
}

static void test_restore_forecast_ring_lengths(void **state)
{
        struct fixture f, g, h;
        struct sw_sku_table_params shorter = table_params(4, 14, 0, 4), longer = shorter;
        uint8_t blob[SW_SKU_BLOB_MAX(14, 30)];
        uint32_t i, j;
        int n;
        (void)state;
        shorter.forecast_days = 4;
        longer.forecast_days = 30;
        /* Forecasts on D0, D0 + 3, D0 + 6, D0 + 9; its forecast ring holds D0 - 4 .. D0 + 9. */
        n = serialize_rich(&f, &i, blob, sizeof(blob));
        fixture_init_params(&g, &shorter);
        fixture_init_params(&h, &longer);

        /* A shorter forecast ring keeps the newest forecasts; the sales ring is whole. */
        j = restore_found(&g.t, "SKU-RICH", blob, (size_t)n);
        assert_int_equal(sw_sku_at(&g.t, j)->forecast_last_day, D0 + 9);
        assert_int_equal(sw_sku_at(&g.t, j)->first_day, D0);
        assert_int_equal(sw_sku_at(&g.t, j)->last_day, D0 + 9);
        for (sw_day_t d = D0 - 1; d <= D0 + 10; d++)
                assert_int_equal(sw_sku_sold(&g.t, j, d), sw_sku_sold(&f.t, i, d));
        for (sw_day_t d = D0 + 6; d <= D0 + 10; d++)
                assert_true(sw_sku_pushed_forecast(&g.t, j, d) ==
                            sw_sku_pushed_forecast(&f.t, i, d));
        assert_true(sw_sku_pushed_forecast(&g.t, j, D0 + 6) > 3.3);
        assert_true(sw_sku_pushed_forecast(&g.t, j, D0 + 9) > 4.8);
        for (sw_day_t d = D0 - 6; d < D0 + 6; d++)
                assert_true(sw_sku_pushed_forecast(&g.t, j, d) < 0);
        assert_true(sw_sku_pushed_forecast(&f.t, i, D0 + 3) > 1.9); /* dropped, not lost upstream */
        assert_int_equal(sw_sku_set_pushed_forecast(&g.t, j, D0 + 5, 1.0), -ERANGE);
        assert_int_equal(sw_sku_serialize(&g.t, j, blob, sizeof(blob)), n - 14 + 4);

        /* A longer one holds them all, and the days the blob did not reach read none. */
        n = sw_sku_serialize(&f.t, i, blob, sizeof(blob));
        j = restore_found(&h.t, "SKU-RICH", blob, (size_t)n);
        assert_int_equal(sw_sku_at(&h.t, j)->forecast_last_day, D0 + 9);
        assert_rings_equal(&f.t, i, &h.t, j, D0 - 25, D0 + 12);
        for (sw_day_t d = D0 - 20; d <= D0 - 5; d++)
                assert_true(sw_sku_pushed_forecast(&h.t, j, d) < 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&h.t, j, D0 - 20, 1.0), 0);
        assert_int_equal(sw_sku_set_pushed_forecast(&h.t, j, D0 - 21, 1.0), -ERANGE);
        fixture_done(&f);
        fixture_done(&g);
        fixture_done(&h);
}

static void test_restore_keeps_dirty_list_consistent(void **state)
{
        struct fixture f;
        uint8_t blob[SW_SKU_BLOB_MAX(7, 7)];
        uint32_t i;
        int n;
        (void)state;
        fixture_init(&f, 2, 7, 0, 4);
        i = add(&f.t, "A");
        n = sw_sku_serialize(&f.t, i, blob, sizeof(blob));
        assert_true(n > 0);
        /* Restoring over a SKU that is already on the dirty list must not list it twice. */
        for (int k = 0; k < 5; k++) {
                sw_sku_mark_dirty(&f.t, i);
                assert_int_equal(sw_sku_restore(&f.t, "A", 1, blob, (size_t)n), 0);
        }
        sw_sku_mark_dirty(&f.t, i);
        assert_int_equal(f.t.n_dirty, 1);
        fixture_done(&f);
}

static void put32(uint8_t *p, uint32_t v)
{
        for (int k = 0; k < 4; k++)
                p[k] = (uint8_t)(v >> (8 * k));
}

/* A fast seller's days survive a round trip; restored into a table without room for fast
 * sellers, days above 255 cap there and are counted while the others stay exact. */
static void test_restore_fast_sellers(void **state)
{
        struct fixture f, g, h;
        struct sw_sku_table_params none = {.max_skus = 4, .history_days = 14, .max_categories = 4};
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t i, j;
        int n;
        (void)state;
        fixture_init(&f, 4, 14, 0, 4);
        fixture_init(&g, 4, 14, 0, 4);
        fixture_init_params(&h, &none);
        i = add(&f.t, "FAST");
        for (sw_day_t d = D0; d < D0 + 10; d++)
                sw_sku_add_sold(&f.t, i, d, (uint32_t)(d - D0) * 100 + 3);
        assert_int_equal(sw_sku_at(&f.t, i)->fast, 1);
        n = sw_sku_serialize(&f.t, i, blob, sizeof(blob));
        assert_true(n > 0);
        j = restore_found(&g.t, "FAST", blob, (size_t)n);
        assert_int_equal(sw_sku_restore(&h.t, "FAST", 4, blob, (size_t)n), 0);
        assert_int_equal(sw_sku_at(&g.t, j)->fast, 1);
        for (sw_day_t d = D0; d < D0 + 10; d++) {
                int32_t want = (int32_t)(d - D0) * 100 + 3;
                assert_int_equal(sw_sku_sold(&g.t, j, d), want);
                assert_int_equal(sw_sku_sold(&h.t, j, d), want > 255 ? 255 : want);
        }
        assert_int_equal(h.t.sales_saturated, 7);
        assert_int_equal(g.t.sales_saturated, 0);
        fixture_done(&f);
        fixture_done(&g);
        fixture_done(&h);
}

/* A version 2 blob, written by hand: it restores, without stock-out days or price watch. */
static void test_restore_version_2_by_hand(void **state)
{
        struct fixture f, g;
        uint8_t v2[8 + 7 * 4 + 5 * 4 + 5 + 3 * 2], blob[SW_SKU_BLOB_MAX(14, 14)], *p = v2;
        const float price = 2.5f;
        uint32_t price_bits, j;
        int n;
        (void)state;
        memcpy(&price_bits, &price, sizeof(price_bits));
        fixture_init(&f, 2, 14, 0, 2);
        fixture_init(&g, 2, 14, 0, 2);
        *p++ = 2;                                        /* version */
        *p++ = SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE; /* flags */
        *p++ = 5;                                        /* category length */
        *p++ = 1;                                        /* has_shelf */
        *p++ = 3, *p++ = 0, *p++ = 0, *p++ = 0;          /* 3 history days, no forecast */
        put32(p, 12), p += 4;                            /* on_hand */
        put32(p, price_bits), p += 4;                    /* price */
        put32(p, 1795515302), p += 4;                    /* book_as_of */
        put32(p, (uint32_t)D0), p += 4;                  /* first_day */
        put32(p, (uint32_t)(D0 + 2)), p += 4;            /* last_day */
        put32(p, (uint32_t)SW_DAY_NONE), p += 4;         /* forecast_last_day */
        put32(p, 0), p += 4;                             /* book_negative_since */
        put32(p, 0), p += 4;                             /* shelf count: at zero */
        put32(p, 1795515000), p += 4;                    /* shelf ts */
        put32(p, 600), p += 4;                           /* zero_open_s */
        put32(p, 0), p += 4;                             /* above_since */
        put32(p, 1795514000), p += 4;                    /* zero_since */
        memcpy(p, "dairy", 5), p += 5;                   /* category */
        *p++ = 4, *p++ = 0, *p++ = 0, *p++ = 1, *p++ = 6, *p++ = 0; /* sold 4, 256, 6 */
        assert_int_equal(p - v2, (long)sizeof(v2));
        j = restore_found(&f.t, "OLD", v2, sizeof(v2));
        const struct sw_sku *s = sw_sku_at(&f.t, j);
        assert_int_equal(s->on_hand, 12);
        assert_true(s->price == 2.5f);
        assert_string_equal(sw_sku_category_name(&f.t, s->category), "dairy");
        assert_int_equal(s->stockout_from, SW_DAY_NONE);
        assert_int_equal(s->stockout_day, SW_DAY_NONE);
        assert_true(s->price_watch.list_prev == 0.0f);
        assert_int_equal(s->price_watch.list_since, SW_WATCH_DAY_NONE);
        assert_int_equal(s->price_watch.off_from, SW_WATCH_DAY_NONE);
        assert_int_equal(s->receipt_watch.day, SW_WATCH_DAY_NONE);
        assert_int_equal(sw_sku_shelf(&f.t, j)->zero_readings, 1); /* a streak at zero: one */
        assert_int_equal(sw_sku_sold(&f.t, j, D0), 4);
        assert_int_equal(sw_sku_sold(&f.t, j, D0 + 1), 256);
        assert_int_equal(sw_sku_sold(&f.t, j, D0 + 2), 6);
        /* Saved again it is version 5, and that round-trips. */
        n = sw_sku_serialize(&f.t, j, blob, sizeof(blob));
        assert_int_equal(blob[0], 5);
        assert_int_equal(n, BLOB_SCALAR(SC_STOCKOUT + 1) + BLOB_WATCH + BLOB_SHELF + 5 + 3 * 2);
        j = restore_found(&g.t, "OLD", blob, (size_t)n);
        assert_int_equal(sw_sku_at(&g.t, j)->price_watch.list_since, SW_WATCH_DAY_NONE);
        assert_int_equal(sw_sku_sold(&g.t, j, D0 + 1), 256);
        fixture_done(&f);
        fixture_done(&g);
}

/* A version 4 blob as the code before prices were doubles wrote it (SKU "V4": list price
 * 150000.01 held as the float 150000.015625, on_hand 12, category "dairy", sold 4, 0, 200 on
 * D0..D0 + 2, a forecast of 2 units on D0 + 3, a list price before of 140000.5 since D0 - 6, a
 * receipt of 24 against 12 usual on D0 + 1): it restores, its price the decimal the float
 * gave back (and was published as), 150000.02. */
static const uint8_t blob_v4[] = {
    0x04, 0x07, 0x05, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x7c, 0x12,
    0x48, 0xa6, 0x63, 0x05, 0x6b, 0xc0, 0x4f, 0x00, 0x00, 0xc2, 0x4f, 0x00, 0x00, 0xc3, 0x4f,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc2, 0x4f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00,
    0x00, 0x00, 0x80, 0x20, 0xb8, 0x08, 0x48, 0x00, 0x00, 0x00, 0x00, 0xba, 0x4f, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xc1, 0x4f, 0x18, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x64, 0x61, 0x69,
    0x72, 0x79, 0x04, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x63,
};

static void test_restore_version_4(void **state)
{
        struct fixture f, g;
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t j;
        int n;
        /* The forecast ring as long as when it was written. */
        struct sw_sku_table_params p = {
            .max_skus = 2, .history_days = 14, .forecast_days = 4, .max_categories = 2};
        (void)state;
        fixture_init_params(&f, &p);
        fixture_init_params(&g, &p);
        assert_int_equal(blob_v4[0], 4);
        j = restore_found(&f.t, "V4", blob_v4, sizeof(blob_v4));
        const struct sw_sku *s = sw_sku_at(&f.t, j);
        assert_true(s->price == 150000.02);
        assert_int_equal(s->flags, SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE | SW_SKU_HAS_BOOK);
        assert_int_equal(s->on_hand, 12);
        assert_int_equal(s->book_as_of, 1795515302);
        assert_int_equal(s->last_event_day, D0 + 2);
        assert_string_equal(sw_sku_category_name(&f.t, s->category), "dairy");
        assert_true(s->price_watch.list_prev == 140000.5f);
        assert_int_equal(s->price_watch.list_since, D0 - 6);
        assert_int_equal(s->receipt_watch.day, D0 + 1);
        assert_int_equal(s->receipt_watch.units, 24);
        assert_int_equal(s->receipt_watch.usual, 12);
        assert_int_equal(sw_sku_sold(&f.t, j, D0), 4);
        assert_int_equal(sw_sku_sold(&f.t, j, D0 + 1), 0);
        assert_int_equal(sw_sku_sold(&f.t, j, D0 + 2), 200);
        assert_true(sw_sku_pushed_forecast(&f.t, j, D0 + 3) > 1.9);
        assert_true(sw_sku_pushed_forecast(&f.t, j, D0 + 3) < 2.1);
        /* Saved again it is version 5, 4 bytes longer (the price in 8), and that round-trips. */
        n = sw_sku_serialize(&f.t, j, blob, sizeof(blob));
        assert_int_equal(blob[0], 5);
        assert_int_equal(n, (int)sizeof(blob_v4) + 4);
        j = restore_found(&g.t, "V4", blob, (size_t)n);
        assert_true(sw_sku_at(&g.t, j)->price == 150000.02);
        assert_int_equal(sw_sku_sold(&g.t, j, D0 + 2), 200);
        fixture_done(&f);
        fixture_done(&g);
}

/* The price is kept as received: a blob carries its double exactly (IEEE bits, little-endian),
 * where a float32 gave 150000.02, 1234567.9 and 25490000. */
static void test_price_round_trips_exactly(void **state)
{
        static const double prices[] = {150000.01, 1234567.89, 25490001, 999999999.99,
                                        0.01,      12.99,      0,        1e9};
        struct fixture f, g;
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14)];
        uint32_t i, j;
        (void)state;
        fixture_init(&f, 2, 14, 0, 2);
        fixture_init(&g, 2, 14, 0, 2);
        i = add(&f.t, "P");
        for (size_t k = 0; k < sizeof(prices) / sizeof(prices[0]); k++) {
                uint64_t bits, got = 0;
                sw_sku_at(&f.t, i)->price = prices[k];
                sw_sku_at(&f.t, i)->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE;
                int n = sw_sku_serialize(&f.t, i, blob, sizeof(blob));
                assert_int_equal(n, blob_fixed());
                memcpy(&bits, &prices[k], sizeof(bits));
                for (int b = 0; b < 8; b++)
                        got |= (uint64_t)blob[BLOB_SCALAR(SC_PRICE) + (size_t)b] << (8 * b);
                assert_true(got == bits);
                j = restore_found(&g.t, "P", blob, (size_t)n);
                if (sw_sku_at(&g.t, j)->price != prices[k])
                        fail_msg("%.17g restored as %.17g", prices[k], sw_sku_at(&g.t, j)->price);
        }
        fixture_done(&f);
        fixture_done(&g);
}

static void test_restore_malformed(void **state)
{
        struct fixture f, g;
        uint8_t blob[SW_SKU_BLOB_MAX(14, 14) + 8], bad[sizeof(blob)];
        uint32_t i;
        int n;
        (void)state;
        n = serialize_rich(&f, &i, blob, sizeof(blob));
        fixture_init(&g, 1, 14, 0, 2);
        const size_t fixed = blob_fixed();
        assert_true((size_t)n > fixed);

        assert_int_equal(sw_sku_restore(&g.t, "X", 1, blob, fixed - 1), -EINVAL); /* too short */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, blob, (size_t)n - 1), -EINVAL);
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, blob, (size_t)n + 1), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        bad[0] = 1; /* the old layout, or any other version */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        bad[4] = (uint8_t)(bad[4] + 1); /* history length disagrees with the size */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        bad[6] = (uint8_t)(bad[6] + 1); /* forecast length disagrees with the size */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        bad[3] = 0; /* no shelf state, but the size has room for it */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        bad[3] = 2; /* has_shelf is a boolean */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        put32(bad + BLOB_SCALAR(SC_LAST_DAY), (uint32_t)SW_DAY_NONE); /* history but no last day */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        /* first..last shorter than the history */
        put32(bad + BLOB_SCALAR(SC_FIRST_DAY), (uint32_t)(D0 + 5));
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        memcpy(bad, blob, (size_t)n);
        put32(bad + BLOB_SCALAR(SC_FC_LAST), (uint32_t)SW_DAY_NONE); /* forecasts but no last day */
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, (size_t)n), -EINVAL);
        /* A category longer than allowed, with a consistent size. */
        memset(bad, 0, sizeof(bad));
        bad[0] = 5;
        bad[2] = SW_CATEGORY_MAX_LEN + 1;
        memset(bad + fixed, 'c', SW_CATEGORY_MAX_LEN + 1);
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, bad, fixed + SW_CATEGORY_MAX_LEN + 1),
                         -EINVAL);
        assert_int_equal(g.t.count, 0);
        assert_int_equal(g.t.n_categories, 1);
        assert_int_equal(g.t.n_shelves, 0);

        /* A good blob with a bad key, then into a full table. */
        assert_int_equal(sw_sku_restore(&g.t, "", 0, blob, (size_t)n), -EINVAL);
        assert_int_equal(g.t.count, 0);
        assert_int_equal(sw_sku_restore(&g.t, "X", 1, blob, (size_t)n), 0);
        assert_int_equal(sw_sku_restore(&g.t, "Y", 1, blob, (size_t)n), -ENOSPC);
        assert_int_equal(g.t.count, 1);
        assert_int_equal(g.t.n_shelves, 1);
        fixture_done(&f);
        fixture_done(&g);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_memory_size_and_init),
        cmocka_unit_test(test_capacity_boundary),
        cmocka_unit_test(test_key_arena_exhaustion),
        cmocka_unit_test(test_key_length),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_categories),
        cmocka_unit_test_setup_teardown(test_day_rollover, setup_one_sku, teardown_one_sku),
        cmocka_unit_test(test_advance_past_history),
        cmocka_unit_test(test_history_expiry),
        cmocka_unit_test_setup_teardown(test_late_event_extends_first_day, setup_one_sku,
                                        teardown_one_sku),
        cmocka_unit_test(test_sold_saturates),
        cmocka_unit_test(test_forecast_codec),
        cmocka_unit_test_setup_teardown(test_pushed_forecast, setup_one_sku, teardown_one_sku),
        cmocka_unit_test(test_future_forecast_keeps_history),
        cmocka_unit_test(test_forecast_ring),
        cmocka_unit_test(test_shelf_pool),
        cmocka_unit_test(test_dirty),
        cmocka_unit_test(test_serialize_restore),
        cmocka_unit_test(test_restore_version_2),
        cmocka_unit_test(test_restore_version_3),
        cmocka_unit_test(test_blob_max),
        cmocka_unit_test(test_restore_shorter_history),
        cmocka_unit_test(test_restore_shelf_pool_full),
        cmocka_unit_test(test_restore_forecast_ring_lengths),
        cmocka_unit_test(test_restore_categories_full),
        cmocka_unit_test(test_restore_keeps_dirty_list_consistent),
        cmocka_unit_test(test_restore_version_2_by_hand),
        cmocka_unit_test(test_restore_version_4),
        cmocka_unit_test(test_price_round_trips_exactly),
        cmocka_unit_test(test_restore_malformed),
        cmocka_unit_test(test_sold_fast_pool),
        cmocka_unit_test(test_series_match_per_day),
        cmocka_unit_test(test_restore_fast_sellers))
/* clang-format on */
