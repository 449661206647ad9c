/* Unit tests of bounded message-id deduplication (core/dedup.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/dedup.h"
#include "tests/support/test_main.h"

struct fixture {
        struct sw_dedup d; /* the set under test */
        void *mem;         /* its memory */
};

static void fixture_init(struct fixture *f, uint32_t capacity)
{
        size_t size = sw_dedup_memory_size(capacity);
        assert_true(size > 0);
        f->mem = malloc(size);
        assert_non_null(f->mem);
        memset(f->mem, 0xab, size); /* junk: init must clear what it relies on */
        assert_int_equal(sw_dedup_init(&f->d, capacity, f->mem, size), 0);
}

static uint64_t id_hash(uint32_t n)
{
        char id[32];
        int len = snprintf(id, sizeof(id), "msg-%u", n);
        return sw_dedup_hash(id, (size_t)len);
}

/* Collects pending hashes. */
struct pending {
        uint64_t h[64]; /* hashes in call order */
        size_t n;       /* calls */
};

static void collect(void *ctx, uint64_t hash)
{
        struct pending *p = ctx;
        if (p->n < 64)
                p->h[p->n] = hash;
        p->n++;
}

static void test_memory_and_init(void **state)
{
        struct sw_dedup d;
        size_t need = sw_dedup_memory_size(100);
        void *mem;
        (void)state;
        assert_int_equal(sw_dedup_memory_size(0), 0);
        assert_int_equal(sw_dedup_memory_size((1u << 28) + 1), 0);
        assert_true(need >= 100 * sizeof(uint64_t)); /* at least the FIFO of hashes */
        mem = malloc(need);
        assert_non_null(mem);
        assert_int_equal(sw_dedup_init(&d, 0, mem, need), -EINVAL);
        assert_int_equal(sw_dedup_init(&d, 100, mem, need - 1), -ENOBUFS);
        assert_int_equal(sw_dedup_init(&d, 100, NULL, need), -ENOBUFS);
        assert_int_equal(sw_dedup_init(&d, 100, mem, need), 0);
        assert_int_equal(d.capacity, 100);
        assert_int_equal(d.count, 0);
        assert_true(d.n_slots >= 200 && (d.n_slots & (d.n_slots - 1)) == 0);
        free(mem);
}

static void test_hash(void **state)
{
        (void)state;
        /* FNV-1a 64 reference values. */
        assert_true(sw_dedup_hash("", 0) == 0xcbf29ce484222325ull);
        assert_true(sw_dedup_hash("a", 1) == 0xaf63dc4c8601ec8cull);
        assert_true(sw_dedup_hash("foobar", 6) == 0x85944171f73967e8ull);
        assert_true(sw_dedup_hash("msg-1", 5) != sw_dedup_hash("msg-2", 5));
        /* Only len bytes count. */
        assert_true(sw_dedup_hash("abcdef", 3) == sw_dedup_hash("abc", 3));
        for (uint32_t n = 0; n < 200000; n++)
                assert_true(id_hash(n) > 1);
}

static void test_insert_contains(void **state)
{
        struct fixture f;
        uint64_t a = id_hash(1), b = id_hash(2);
        (void)state;
        fixture_init(&f, 8);
        assert_false(sw_dedup_contains(&f.d, a));
        assert_int_equal(sw_dedup_insert(&f.d, a), 1);
        assert_true(sw_dedup_contains(&f.d, a));
        assert_false(sw_dedup_contains(&f.d, b));
        assert_int_equal(sw_dedup_insert(&f.d, a), 0);
        assert_int_equal(f.d.count, 1);
        assert_int_equal(sw_dedup_insert(&f.d, b), 1);
        assert_int_equal(f.d.count, 2);
        assert_true(sw_dedup_contains(&f.d, b));
        /* The reserved values are mapped, consistently for insert and contains. */
        assert_int_equal(sw_dedup_insert(&f.d, 0), 1);
        assert_true(sw_dedup_contains(&f.d, 0));
        assert_int_equal(sw_dedup_insert(&f.d, 0), 0);
        assert_int_equal(sw_dedup_insert(&f.d, 1), 1);
        assert_true(sw_dedup_contains(&f.d, 1));
        assert_int_equal(f.d.count, 4);
        free(f.mem);
}

static void test_capacity_eviction(void **state)
{
        struct fixture f;
        (void)state;
        fixture_init(&f, 4);
        for (uint32_t n = 1; n <= 5; n++)
                assert_int_equal(sw_dedup_insert(&f.d, id_hash(n)), 1);
        assert_int_equal(f.d.count, 4);
        assert_false(sw_dedup_contains(&f.d, id_hash(1)));
        for (uint32_t n = 2; n <= 5; n++)
                assert_true(sw_dedup_contains(&f.d, id_hash(n)));
        /* A redelivery older than the window counts as new, and evicts the next oldest. */
        assert_int_equal(sw_dedup_insert(&f.d, id_hash(1)), 1);
        assert_false(sw_dedup_contains(&f.d, id_hash(2)));
        assert_true(sw_dedup_contains(&f.d, id_hash(1)));
        /* A duplicate does not evict anything. */
        assert_int_equal(sw_dedup_insert(&f.d, id_hash(3)), 0);
        for (uint32_t n = 3; n <= 5; n++)
                assert_true(sw_dedup_contains(&f.d, id_hash(n)));
        free(f.mem);
}

/* Many wraps of the ring; capacity 1024 leaves exactly 2 x capacity slots. */
static void churn(uint32_t capacity, uint32_t total)
{
        struct fixture f;
        fixture_init(&f, capacity);
        for (uint32_t n = 0; n < total; n++) {
                if (sw_dedup_insert(&f.d, id_hash(n)) != 1)
                        fail_msg("id %u reported as duplicate", n);
                if (n >= capacity && sw_dedup_contains(&f.d, id_hash(n - capacity)))
                        fail_msg("id %u still held after %u newer ones", n - capacity, capacity);
                if (!sw_dedup_contains(&f.d, id_hash(n - (n >= capacity ? capacity - 1 : n))))
                        fail_msg("oldest id of the window lost at %u", n);
        }
        assert_int_equal(f.d.count, capacity);
        for (uint32_t n = total - capacity; n < total; n++)
                if (!sw_dedup_contains(&f.d, id_hash(n)))
                        fail_msg("id %u of the last %u not found", n, capacity);
        for (uint32_t n = 0; n < total - capacity; n += 7)
                if (sw_dedup_contains(&f.d, id_hash(n)))
                        fail_msg("id %u found after it left the window", n);
        free(f.mem);
}

static void test_many_wraps(void **state)
{
        (void)state;
        churn(1000, 100000);
        churn(1024, 50000);
        churn(1, 100);
        churn(3, 1000);
}

static void test_pending(void **state)
{
        struct fixture f;
        struct pending p = {0};
        (void)state;
        fixture_init(&f, 4);
        sw_dedup_for_each_pending(&f.d, collect, &p);
        assert_int_equal(p.n, 0);
        sw_dedup_insert(&f.d, id_hash(1));
        sw_dedup_insert(&f.d, id_hash(2));
        sw_dedup_insert(&f.d, id_hash(1)); /* duplicate: not pending twice */
        sw_dedup_insert(&f.d, id_hash(3));
        sw_dedup_for_each_pending(&f.d, collect, &p);
        assert_int_equal(p.n, 3);
        assert_true(p.h[0] == id_hash(1));
        assert_true(p.h[1] == id_hash(2));
        assert_true(p.h[2] == id_hash(3));

        sw_dedup_mark_persisted(&f.d);
        p.n = 0;
        sw_dedup_for_each_pending(&f.d, collect, &p);
        assert_int_equal(p.n, 0);
        assert_true(sw_dedup_contains(&f.d, id_hash(2))); /* persisted ids are still held */

        sw_dedup_insert(&f.d, id_hash(4));
        sw_dedup_for_each_pending(&f.d, collect, &p);
        assert_int_equal(p.n, 1);
        assert_true(p.h[0] == id_hash(4));

        /* More new ids than capacity since the mark: the newest capacity, oldest first, across
         * the ring's wrap. */
        for (uint32_t n = 5; n <= 10; n++)
                sw_dedup_insert(&f.d, id_hash(n));
        p.n = 0;
        sw_dedup_for_each_pending(&f.d, collect, &p);
        assert_int_equal(p.n, 4);
        for (uint32_t k = 0; k < 4; k++)
                assert_true(p.h[k] == id_hash(7 + k));
        free(f.mem);
}

static void test_forget_newest(void **state)
{
        struct fixture f;
        struct pending p = {0};
        (void)state;
        fixture_init(&f, 4);
        assert_int_equal(sw_dedup_forget_newest(&f.d, id_hash(1)), -ENOENT);
        sw_dedup_insert(&f.d, id_hash(1));
        sw_dedup_insert(&f.d, id_hash(2));
        /* Only the newest id can be forgotten. */
        assert_int_equal(sw_dedup_forget_newest(&f.d, id_hash(1)), -ENOENT);
        assert_int_equal(sw_dedup_forget_newest(&f.d, id_hash(2)), 0);
        assert_false(sw_dedup_contains(&f.d, id_hash(2)));
        assert_true(sw_dedup_contains(&f.d, id_hash(1)));
        sw_dedup_for_each_pending(&f.d, collect, &p);
        assert_int_equal(p.n, 1);
        /* Inserted again: new, pending once. */
        assert_int_equal(sw_dedup_insert(&f.d, id_hash(2)), 1);
        /* Persisted already: reported, so the stored copy can be deleted. */
        sw_dedup_mark_persisted(&f.d);
        sw_dedup_insert(&f.d, id_hash(3));
        sw_dedup_mark_persisted(&f.d);
        assert_int_equal(sw_dedup_forget_newest(&f.d, id_hash(3)), 1);
        /* Across the ring's wrap: fill, forget the newest, insert again. */
        for (uint32_t n = 10; n < 20; n++)
                sw_dedup_insert(&f.d, id_hash(n));
        assert_int_equal(sw_dedup_forget_newest(&f.d, id_hash(19)), 0);
        assert_false(sw_dedup_contains(&f.d, id_hash(19)));
        for (uint32_t n = 16; n < 19; n++)
                assert_true(sw_dedup_contains(&f.d, id_hash(n)));
        assert_int_equal(f.d.count, 3);
        assert_int_equal(sw_dedup_insert(&f.d, id_hash(19)), 1);
        assert_int_equal(f.d.count, 4);
        free(f.mem);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_memory_and_init), cmocka_unit_test(test_hash),
        cmocka_unit_test(test_insert_contains), cmocka_unit_test(test_capacity_eviction),
        cmocka_unit_test(test_many_wraps),      cmocka_unit_test(test_pending),
        cmocka_unit_test(test_forget_newest))
/* clang-format on */
