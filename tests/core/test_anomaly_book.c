/* Unit tests of the open-episode book and anomaly ids (core/anomaly_book.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly_book.h"
#include "core/civil_time.h"
#include "tests/support/test_main.h"

struct fixture {
        struct sw_anomaly_book b; /* the book under test */
        void *mem;                /* its memory */
};

static void fixture_init(struct fixture *f, uint32_t capacity, uint32_t max_skus)
{
        size_t size = sw_anomaly_book_memory_size(capacity, max_skus);
        assert_true(size > 0);
        f->mem = malloc(size);
        assert_non_null(f->mem);
        /* Zero is a valid-looking episode and 0xff every type open: init must clear both. */
        memset(f->mem, 0, size - max_skus);
        memset((char *)f->mem + size - max_skus, 0xff, max_skus);
        assert_int_equal(sw_anomaly_book_init(&f->b, capacity, max_skus, f->mem, size), 0);
}

/* xorshift64*: a fixed sequence, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (uint32_t)((rng_state * 2685821657736338717ull) >> 33) % n;
}

static void test_memory_and_init(void **state)
{
        struct sw_anomaly_book b;
        size_t need = sw_anomaly_book_memory_size(10, 100);
        void *mem;
        (void)state;
        assert_int_equal(sw_anomaly_book_memory_size(0, 100), 0);
        assert_int_equal(sw_anomaly_book_memory_size(10, 0), 0);
        assert_true(need >= 10 * sizeof(struct sw_episode) + 100);
        mem = malloc(need);
        assert_non_null(mem);
        assert_int_equal(sw_anomaly_book_init(&b, 0, 100, mem, need), -EINVAL);
        assert_int_equal(sw_anomaly_book_init(&b, 10, 0, mem, need), -EINVAL);
        assert_int_equal(sw_anomaly_book_init(&b, 10, 100, mem, need - 1), -ENOBUFS);
        assert_int_equal(sw_anomaly_book_init(&b, 10, 100, NULL, need), -ENOBUFS);
        assert_int_equal(sw_anomaly_book_init(&b, 10, 100, mem, need), 0);
        assert_int_equal(b.count, 0);
        assert_int_equal(b.capacity, 10);
        /* Load factor at most 3/4 even when full, so probes always end at an empty slot. */
        assert_true((uint64_t)b.n_slots * 3 >= 10 * 4 && (b.n_slots & (b.n_slots - 1)) == 0);
        free(mem);
}

static void test_open_find_close(void **state)
{
        struct fixture f;
        sw_day_t since = 1234;
        (void)state;
        fixture_init(&f, 8, 16);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 0, &since), -ENOENT);
        assert_int_equal(since, 1234);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 0, 20000), 0);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 0, &since), 0);
        assert_int_equal(since, 20000);
        /* One episode per (type, SKU): the open one keeps its start day. */
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 0, 20005), -EEXIST);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 0, &since), 0);
        assert_int_equal(since, 20000);
        /* Another type or SKU is another episode. */
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_SHELF_OUT, 0, &since), -ENOENT);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 1, &since), -ENOENT);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_SHELF_OUT, 0, 20001), 0);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 1, 20002), 0);
        assert_int_equal(f.b.count, 3);
        assert_int_equal(sw_anomaly_book_close(&f.b, SW_ANOMALY_GHOST_STOCK, 0), 0);
        assert_int_equal(sw_anomaly_book_close(&f.b, SW_ANOMALY_GHOST_STOCK, 0), -ENOENT);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 0, &since), -ENOENT);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_SHELF_OUT, 0, &since), 0);
        assert_int_equal(since, 20001);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 1, &since), 0);
        assert_int_equal(since, 20002);
        assert_int_equal(f.b.count, 2);
        assert_int_equal(sw_anomaly_book_close(&f.b, SW_ANOMALY_INVENTORY_DISCREPANCY, 7), -ENOENT);
        /* SKU indexes from max_skus on and unknown types are never open. */
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 16, 20003), -EINVAL);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_TYPE_COUNT, 2, 20003), -EINVAL);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 16, &since), -ENOENT);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_TYPE_COUNT, 1, &since), -ENOENT);
        assert_int_equal(sw_anomaly_book_close(&f.b, SW_ANOMALY_GHOST_STOCK, UINT32_MAX), -ENOENT);
        assert_int_equal(f.b.count, 2);
        /* Reopened after closing: a new episode with its own start. */
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 0, 20010), 0);
        assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, 0, &since), 0);
        assert_int_equal(since, 20010);
        free(f.mem);
}

static void test_capacity(void **state)
{
        struct fixture f;
        sw_day_t since;
        (void)state;
        fixture_init(&f, 4, 16);
        for (uint32_t k = 0; k < 4; k++)
                assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, k, (sw_day_t)k),
                                 0);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 4, 4), -ENOSPC);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_SHELF_OUT, 0, 4), -ENOSPC);
        /* An existing one is still reported as such when full. */
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 2, 9), -EEXIST);
        assert_int_equal(f.b.count, 4);
        for (uint32_t k = 0; k < 4; k++) {
                assert_int_equal(sw_anomaly_book_find(&f.b, SW_ANOMALY_GHOST_STOCK, k, &since), 0);
                assert_int_equal(since, (sw_day_t)k);
        }
        assert_int_equal(sw_anomaly_book_close(&f.b, SW_ANOMALY_GHOST_STOCK, 1), 0);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 4, 4), 0);
        assert_int_equal(sw_anomaly_book_open(&f.b, SW_ANOMALY_GHOST_STOCK, 5, 5), -ENOSPC);
        free(f.mem);
}

struct ref {
        bool open;      /* open in the reference model */
        sw_day_t since; /* its start day */
};

/* Compare the book with a reference model over every (type, sku) key. */
static void check_all(const struct sw_anomaly_book *b, const struct ref *ref, uint32_t n_sku)
{
        uint32_t open = 0;
        for (uint32_t t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                for (uint32_t k = 0; k < n_sku; k++) {
                        const struct ref *r = &ref[t * n_sku + k];
                        sw_day_t since = -1;
                        int rc = sw_anomaly_book_find(b, (enum sw_anomaly_type)t, k, &since);
                        if (r->open && (rc != 0 || since != r->since))
                                fail_msg("type %u sku %u lost (rc %d, since %d)", t, k, rc, since);
                        if (!r->open && rc != -ENOENT)
                                fail_msg("type %u sku %u found after close", t, k);
                        open += r->open;
                }
        assert_int_equal(b->count, open);
}

static void test_delete_half_random(void **state)
{
        enum { N_SKU = 1000, N = SW_ANOMALY_TYPE_COUNT * N_SKU };
        static struct ref ref[N];
        static uint32_t order[N];
        struct fixture f;
        (void)state;
        fixture_init(&f, N, N_SKU); /* full book: long probe chains */
        memset(ref, 0, sizeof(ref));
        for (uint32_t k = 0; k < N; k++) {
                uint32_t t = k / N_SKU, sku = k % N_SKU;
                assert_int_equal(
                    sw_anomaly_book_open(&f.b, (enum sw_anomaly_type)t, sku, (sw_day_t)k), 0);
                ref[k] = (struct ref){.open = true, .since = (sw_day_t)k};
                order[k] = k;
        }
        check_all(&f.b, ref, N_SKU);
        for (uint32_t k = N - 1; k > 0; k--) { /* Fisher-Yates */
                uint32_t j = rnd(k + 1), tmp = order[k];
                order[k] = order[j];
                order[j] = tmp;
        }
        for (uint32_t k = 0; k < N / 2; k++) {
                uint32_t key = order[k];
                assert_int_equal(
                    sw_anomaly_book_close(&f.b, (enum sw_anomaly_type)(key / N_SKU), key % N_SKU),
                    0);
                ref[key].open = false;
                if (k % 97 == 0)
                        check_all(&f.b, ref, N_SKU);
        }
        check_all(&f.b, ref, N_SKU);
        free(f.mem);
}

static void test_random_churn_small(void **state)
{
        enum { N_SKU = 12, N = SW_ANOMALY_TYPE_COUNT * N_SKU, CAP = 8 };
        struct ref ref[N];
        struct fixture f;
        uint32_t open = 0;
        (void)state;
        /* 16 slots, 48 keys: clusters wrap around the end of the table. */
        fixture_init(&f, CAP, N_SKU);
        memset(ref, 0, sizeof(ref));
        for (int step = 0; step < 200000; step++) {
                uint32_t key = rnd(N), t = key / N_SKU, sku = key % N_SKU;
                if (rnd(2)) {
                        int rc = sw_anomaly_book_open(&f.b, (enum sw_anomaly_type)t, sku, step);
                        int want = ref[key].open ? -EEXIST : open >= CAP ? -ENOSPC : 0;
                        if (rc != want)
                                fail_msg("step %d: open %u/%u gave %d, want %d", step, t, sku, rc,
                                         want);
                        if (rc == 0) {
                                ref[key] = (struct ref){.open = true, .since = step};
                                open++;
                        }
                } else {
                        int rc = sw_anomaly_book_close(&f.b, (enum sw_anomaly_type)t, sku);
                        if (rc != (ref[key].open ? 0 : -ENOENT))
                                fail_msg("step %d: close %u/%u gave %d", step, t, sku, rc);
                        if (rc == 0) {
                                ref[key].open = false;
                                open--;
                        }
                }
                check_all(&f.b, ref, N_SKU);
                /* The per-SKU bits (a find with its bit clear skips the table). */
                for (uint32_t ty = 0; ty < SW_ANOMALY_TYPE_COUNT; ty++)
                        for (uint32_t s = 0; s < N_SKU; s++)
                                if ((f.b.open_types[s] >> ty & 1u) != ref[ty * N_SKU + s].open)
                                        fail_msg("step %d: bit of type %u SKU %u wrong", step, ty,
                                                 s);
        }
        free(f.mem);
}

static void test_anomaly_id(void **state)
{
        char buf[SW_ANOMALY_ID_MAX];
        sw_day_t day = sw_days_from_civil(2026, 11, 20);
        (void)state;
        assert_int_equal(sw_anomaly_id(buf, sizeof(buf), "s1", SW_ANOMALY_GHOST_STOCK, "SKU1", day),
                         19);
        assert_string_equal(buf, "s1-gs-20261120-SKU1");
        assert_int_equal(sw_anomaly_id(buf, sizeof(buf), "s1", SW_ANOMALY_ML_DETECTED, "SKU1", day),
                         19);
        assert_string_equal(buf, "s1-ml-20261120-SKU1");
        assert_int_equal(sw_anomaly_id(buf, sizeof(buf), "s0042", SW_ANOMALY_SHELF_OUT, "A-7",
                                       sw_days_from_civil(2027, 1, 5)),
                         21);
        assert_string_equal(buf, "s0042-so-20270105-A-7");
        assert_int_equal(
            sw_anomaly_id(buf, sizeof(buf), "s1", SW_ANOMALY_INVENTORY_DISCREPANCY, "X", 0), 16);
        assert_string_equal(buf, "s1-id-19700101-X");
        /* Exactly enough room, then one byte short. */
        assert_int_equal(sw_anomaly_id(buf, 20, "s1", SW_ANOMALY_GHOST_STOCK, "SKU1", day), 19);
        assert_string_equal(buf, "s1-gs-20261120-SKU1");
        assert_int_equal(sw_anomaly_id(buf, 19, "s1", SW_ANOMALY_GHOST_STOCK, "SKU1", day),
                         -ENOSPC);
        assert_int_equal(sw_anomaly_id(buf, sizeof(buf), "s1", SW_ANOMALY_TYPE_COUNT, "SKU1", day),
                         -EINVAL);
        /* The longest store and SKU fit in SW_ANOMALY_ID_MAX. */
        char store[65], sku[SW_SKU_MAX_LEN + 1];
        memset(store, 's', 64);
        store[64] = '\0';
        memset(sku, 'k', SW_SKU_MAX_LEN);
        sku[SW_SKU_MAX_LEN] = '\0';
        assert_int_equal(sw_anomaly_id(buf, sizeof(buf), store, SW_ANOMALY_GHOST_STOCK, sku, day),
                         64 + 4 + 8 + 1 + SW_SKU_MAX_LEN);
        /* Any day, years of fewer and more than four digits and before year 0 included, is
         * printf's "%s-%s-%04d%02u%02u-%s"; a buffer one byte short is refused. */
        for (int k = 0; k < 200000; k++) {
                sw_day_t since = k < 100000 ? (sw_day_t)rnd(4000000) - 2000000
                                            : (sw_day_t)rnd(2000000000u) - 1000000000;
                enum sw_anomaly_type t = (enum sw_anomaly_type)rnd(SW_ANOMALY_TYPE_COUNT);
                static const char *const codes[] = {"gs", "ml", "so", "id"};
                char want[SW_ANOMALY_ID_MAX];
                int y;
                unsigned m, d;
                sw_civil_from_days(since, &y, &m, &d);
                int n = snprintf(want, sizeof(want), "%s-%s-%04d%02u%02u-%s", "st", codes[t], y, m,
                                 d, "K-9");
                assert_int_equal(sw_anomaly_id(buf, sizeof(buf), "st", t, "K-9", since), n);
                assert_string_equal(buf, want);
                assert_int_equal(sw_anomaly_id(buf, (size_t)n, "st", t, "K-9", since), -ENOSPC);
        }
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_memory_and_init),    cmocka_unit_test(test_open_find_close),
        cmocka_unit_test(test_capacity),           cmocka_unit_test(test_delete_half_random),
        cmocka_unit_test(test_random_churn_small), cmocka_unit_test(test_anomaly_id))
/* clang-format on */
