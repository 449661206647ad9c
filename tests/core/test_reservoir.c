/* Unit tests of reservoir sampling of float vectors (core/reservoir.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/reservoir.h"
#include "tests/support/test_main.h"

#define GUARD_FLOATS 16
#define GUARD_VALUE  -7777.0f

/* A reservoir over heap memory followed by a guard of GUARD_FLOATS floats. */
struct fixture {
        struct sw_reservoir r; /* under test */
        float *mem;            /* its rows, then the guard */
        size_t size;           /* bytes handed to init */
};

static void fixture_init(struct fixture *f, uint32_t capacity, uint32_t dim, uint64_t seed)
{
        f->size = sw_reservoir_memory_size(capacity, dim);
        assert_int_equal(f->size, (size_t)capacity * dim * sizeof(float));
        f->mem = malloc(f->size + GUARD_FLOATS * sizeof(float));
        assert_non_null(f->mem);
        memset(f->mem, 0xab, f->size);
        for (size_t i = 0; i < GUARD_FLOATS; i++)
                f->mem[f->size / sizeof(float) + i] = GUARD_VALUE;
        assert_int_equal(sw_reservoir_init(&f->r, capacity, dim, seed, f->mem, f->size), 0);
}

static void fixture_done(struct fixture *f)
{
        for (size_t i = 0; i < GUARD_FLOATS; i++)
                assert_true(f->mem[f->size / sizeof(float) + i] == GUARD_VALUE);
        free(f->mem);
        f->mem = NULL;
}

/* Row number i of a stream: (i, 2i, ..., dim * i), so a row can be recognised and checked whole. */
static void make_row(uint32_t i, uint32_t dim, float *row)
{
        for (uint32_t k = 0; k < dim; k++)
                row[k] = (float)i * (float)(k + 1);
}

static void feed(struct sw_reservoir *r, uint32_t from, uint32_t to)
{
        float row[8];
        for (uint32_t i = from; i < to; i++) {
                make_row(i, r->dim, row);
                sw_reservoir_add(r, row);
        }
}

/* Every held row is a whole stream row in [0, n) and none appears twice. */
static void assert_rows_valid(const struct sw_reservoir *r, uint32_t n)
{
        bool *seen = calloc(n, sizeof(*seen));
        const float *rows = sw_reservoir_rows(r);
        assert_non_null(seen);
        for (uint32_t j = 0; j < sw_reservoir_count(r); j++) {
                const float *row = rows + (size_t)j * r->dim;
                uint32_t i = (uint32_t)row[0];
                assert_true(row[0] >= 0 && i < n);
                for (uint32_t k = 1; k < r->dim; k++)
                        assert_true(row[k] == (float)i * (float)(k + 1));
                assert_false(seen[i]);
                seen[i] = true;
        }
        free(seen);
}

static void test_init_errors(void **state)
{
        struct sw_reservoir r;
        float mem[17];
        (void)state;
        assert_int_equal(sw_reservoir_memory_size(0, 4), 0);
        assert_int_equal(sw_reservoir_memory_size(4, 0), 0);
        assert_int_equal(sw_reservoir_memory_size(UINT32_MAX, UINT32_MAX), 0);
        assert_int_equal(sw_reservoir_memory_size(4, 4), 64);
        assert_int_equal(sw_reservoir_init(&r, 0, 4, 1, mem, sizeof(mem)), -EINVAL);
        assert_int_equal(sw_reservoir_init(&r, 4, 0, 1, mem, sizeof(mem)), -EINVAL);
        assert_int_equal(sw_reservoir_init(&r, 4, 4, 1, NULL, sizeof(mem)), -EINVAL);
        assert_int_equal(sw_reservoir_init(&r, 4, 4, 1, (char *)mem + 1, 64), -EINVAL);
        assert_int_equal(sw_reservoir_init(&r, 4, 4, 1, mem, 63), -ENOBUFS);
        assert_int_equal(sw_reservoir_init(&r, 4, 4, 1, mem, 64), 0);
        assert_int_equal(sw_reservoir_count(&r), 0);
        assert_int_equal(sw_reservoir_seen(&r), 0);
}

/* Up to capacity every row is kept in order; beyond it the count stays at capacity. */
static void test_capacity_boundary(void **state)
{
        struct fixture f;
        float row[3];
        (void)state;
        fixture_init(&f, 5, 3, 42);
        for (uint32_t i = 0; i < 5; i++) {
                make_row(i, 3, row);
                assert_true(sw_reservoir_add(&f.r, row));
                assert_int_equal(sw_reservoir_count(&f.r), i + 1);
        }
        for (uint32_t j = 0; j < 5; j++)
                assert_true(sw_reservoir_rows(&f.r)[j * 3 + 2] == (float)(3 * j));
        feed(&f.r, 5, 10000);
        assert_int_equal(sw_reservoir_count(&f.r), 5);
        assert_int_equal(sw_reservoir_seen(&f.r), 10000);
        assert_rows_valid(&f.r, 10000);
        sw_reservoir_reset(&f.r);
        assert_int_equal(sw_reservoir_count(&f.r), 0);
        assert_int_equal(sw_reservoir_seen(&f.r), 0);
        feed(&f.r, 0, 3);
        assert_int_equal(sw_reservoir_count(&f.r), 3);
        assert_rows_valid(&f.r, 3);
        fixture_done(&f);

        fixture_init(&f, 1, 1, 7); /* the smallest reservoir */
        feed(&f.r, 0, 1000);
        assert_int_equal(sw_reservoir_count(&f.r), 1);
        fixture_done(&f);
}

/* Each of 1000 rows lands with probability 100/1000: over 2000 seeds, about 200 times each. */
static void test_uniform(void **state)
{
        enum { CAPACITY = 100, N = 1000, SEEDS = 2000 };
        static uint32_t hits[N];
        struct fixture f;
        double first = 0, last = 0;
        uint32_t lo = SEEDS, hi = 0;
        (void)state;
        memset(hits, 0, sizeof(hits));
        fixture_init(&f, CAPACITY, 1, 0);
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
                assert_int_equal(
                    sw_reservoir_init(&f.r, CAPACITY, 1, seed * 7919 + 1, f.mem, f.size), 0);
                feed(&f.r, 0, N);
                assert_int_equal(sw_reservoir_count(&f.r), CAPACITY);
                for (uint32_t j = 0; j < CAPACITY; j++)
                        hits[(uint32_t)sw_reservoir_rows(&f.r)[j]]++;
        }
        assert_rows_valid(&f.r, N);
        for (uint32_t i = 0; i < N; i++) {
                lo = hits[i] < lo ? hits[i] : lo;
                hi = hits[i] > hi ? hits[i] : hi;
                if (i < 100)
                        first += hits[i];
                if (i >= N - 100)
                        last += hits[i];
        }
        /* Binomial(2000, 0.1): mean 200, sd 13.4; +-70 is over 5 sd for each of the 1000 rows. */
        assert_in_range(lo, 130, 270);
        assert_in_range(hi, 130, 270);
        /* The first rows (which fill the reservoir) and the last ones are not favoured:
         * the mean of 100 rows has an sd of 1.34 around 200. */
        assert_true(first / 100 > 195 && first / 100 < 205);
        assert_true(last / 100 > 195 && last / 100 < 205);
        fixture_done(&f);
}

/* The same seed gives the same subset, another seed another one. */
static void test_deterministic(void **state)
{
        static const uint64_t seeds[3] = {12345, 12345, 12346};
        struct fixture f[3];
        (void)state;
        for (size_t i = 0; i < 3; i++) {
                fixture_init(&f[i], 50, 4, seeds[i]);
                feed(&f[i].r, 0, 5000);
        }
        assert_memory_equal(sw_reservoir_rows(&f[0].r), sw_reservoir_rows(&f[1].r),
                            50 * 4 * sizeof(float));
        assert_memory_not_equal(sw_reservoir_rows(&f[0].r), sw_reservoir_rows(&f[2].r),
                                50 * 4 * sizeof(float));
        for (size_t i = 0; i < 3; i++)
                fixture_done(&f[i]);
}

static void test_round_trip(void **state)
{
        struct fixture a, b;
        uint8_t buf[32 + 40 * 3 * 4];
        size_t n;
        (void)state;
        fixture_init(&a, 40, 3, 99);
        fixture_init(&b, 40, 3, 1);
        feed(&a.r, 0, 777);
        n = sw_reservoir_serialized_size(&a.r);
        assert_int_equal(n, sizeof(buf));
        assert_int_equal(sw_reservoir_serialize(&a.r, buf, n - 1), -ENOBUFS);
        assert_int_equal(sw_reservoir_serialize(&a.r, buf, n), (int)n);
        /* Little-endian header: magic, dim 3, capacity 40, count 40, seen 777. */
        assert_memory_equal(buf, "SWR1\x03\0\0\0\x28\0\0\0\x28\0\0\0\x09\x03\0\0\0\0\0\0", 24);
        assert_int_equal(sw_reservoir_deserialize(&b.r, buf, n), 0);
        assert_int_equal(sw_reservoir_count(&b.r), 40);
        assert_int_equal(sw_reservoir_seen(&b.r), 777);
        assert_memory_equal(sw_reservoir_rows(&a.r), sw_reservoir_rows(&b.r),
                            40 * 3 * sizeof(float));
        /* The PRNG state travels too: both continue identically. */
        feed(&a.r, 777, 3000);
        feed(&b.r, 777, 3000);
        assert_memory_equal(sw_reservoir_rows(&a.r), sw_reservoir_rows(&b.r),
                            40 * 3 * sizeof(float));

        /* A partly filled reservoir. */
        sw_reservoir_reset(&a.r);
        feed(&a.r, 0, 7);
        n = (size_t)sw_reservoir_serialize(&a.r, buf, sizeof(buf));
        assert_int_equal(n, 32 + 7 * 3 * 4);
        assert_int_equal(sw_reservoir_deserialize(&b.r, buf, n), 0);
        assert_int_equal(sw_reservoir_count(&b.r), 7);
        assert_int_equal(sw_reservoir_seen(&b.r), 7);
        assert_rows_valid(&b.r, 7);
        fixture_done(&a);
        fixture_done(&b);
}

static void test_deserialize_malformed(void **state)
{
        struct fixture a, b, d;
        uint8_t buf[32 + 10 * 2 * 4], bad[sizeof(buf)];
        size_t n;
        (void)state;
        fixture_init(&a, 10, 2, 5);
        fixture_init(&b, 10, 2, 6);
        fixture_init(&d, 10, 3, 6);
        feed(&a.r, 0, 100);
        feed(&b.r, 1000, 1010);
        n = (size_t)sw_reservoir_serialize(&a.r, buf, sizeof(buf));
        assert_int_equal(n, sizeof(buf));
        struct sw_reservoir before = b.r;
        float rows_before[20];
        memcpy(rows_before, b.mem, sizeof(rows_before));

        assert_int_equal(sw_reservoir_deserialize(&b.r, buf, 31), -EINVAL);    /* short header */
        assert_int_equal(sw_reservoir_deserialize(&b.r, buf, n - 1), -EINVAL); /* cut row */
        assert_int_equal(sw_reservoir_deserialize(&b.r, buf, n - 8), -EINVAL); /* a row missing */
        assert_int_equal(sw_reservoir_deserialize(&d.r, buf, n), -EINVAL);     /* other dim */
        memcpy(bad, buf, n);
        bad[0] = 'X';
        assert_int_equal(sw_reservoir_deserialize(&b.r, bad, n), -EINVAL);
        memcpy(bad, buf, n);
        bad[8] = 9; /* saved capacity 9 < count 10 */
        assert_int_equal(sw_reservoir_deserialize(&b.r, bad, n), -EINVAL);
        memcpy(bad, buf, n);
        memset(bad + 16, 0, 8); /* seen 0 < count */
        bad[16] = 9;
        assert_int_equal(sw_reservoir_deserialize(&b.r, bad, n), -EINVAL);
        /* Unchanged by every failure. */
        assert_memory_equal(&before, &b.r, sizeof(before));
        assert_memory_equal(rows_before, b.mem, sizeof(rows_before));
        fixture_done(&a);
        fixture_done(&b);
        fixture_done(&d);
}

/* Into a smaller reservoir: a uniform subset of the saved rows; into a larger one: all of them. */
static void test_deserialize_other_capacity(void **state)
{
        enum { SAVED = 20, SMALL = 5, SEEDS = 4000 };
        struct fixture a, s, l;
        uint8_t buf[32 + SAVED * 4];
        uint32_t hits[SAVED] = {0};
        float saved[SAVED];
        size_t n;
        (void)state;
        fixture_init(&a, SAVED, 1, 3);
        fixture_init(&s, SMALL, 1, 0);
        fixture_init(&l, 64, 1, 0);
        feed(&a.r, 0, 500);
        memcpy(saved, sw_reservoir_rows(&a.r), sizeof(saved));
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
                /* The PRNG state is in the blob: vary it to vary the subset. */
                a.r.rng = seed * 0x9e3779b97f4a7c15ULL;
                n = (size_t)sw_reservoir_serialize(&a.r, buf, sizeof(buf));
                assert_int_equal(sw_reservoir_deserialize(&s.r, buf, n), 0);
                assert_int_equal(sw_reservoir_count(&s.r), SMALL);
                assert_int_equal(sw_reservoir_seen(&s.r), 500);
                assert_rows_valid(&s.r, 500);
                for (uint32_t j = 0; j < SMALL; j++)
                        for (uint32_t i = 0; i < SAVED; i++)
                                if (sw_reservoir_rows(&s.r)[j] == saved[i])
                                        hits[i]++;
        }
        /* Each saved row kept with probability 5/20: Binomial(4000, 0.25), mean 1000, sd 27. */
        for (uint32_t i = 0; i < SAVED; i++)
                assert_in_range(hits[i], 860, 1140);

        assert_int_equal(sw_reservoir_deserialize(&l.r, buf, n), 0);
        assert_int_equal(sw_reservoir_count(&l.r), SAVED);
        assert_memory_equal(sw_reservoir_rows(&l.r), saved, sizeof(saved));
        /* It cannot know how the 500 were sampled into 20: the 20 count as the first rows seen. */
        assert_int_equal(sw_reservoir_seen(&l.r), SAVED);
        feed(&l.r, 500, 544);
        assert_int_equal(sw_reservoir_count(&l.r), 64);
        fixture_done(&a);
        fixture_done(&s);
        fixture_done(&l);
}

static void test_restart_window_favours_new_rows(void **state)
{
        static float mem[64 * 1];
        struct sw_reservoir r;
        float v;
        unsigned fresh = 0;
        (void)state;
        assert_int_equal(sw_reservoir_init(&r, 64, 1, 7, mem, sizeof(mem)), 0);
        for (int i = 0; i < 10000; i++) {
                v = 0;
                sw_reservoir_add(&r, &v);
        }
        sw_reservoir_restart_window(&r);
        assert_int_equal(sw_reservoir_count(&r), 64);
        assert_int_equal(sw_reservoir_seen(&r), 64);
        /* 64 new rows after the restart replace about half the sample (sum of 64/(64+k)),
         * where without it they would replace almost none (64 x 64/10000). */
        for (int i = 0; i < 64; i++) {
                v = 1;
                sw_reservoir_add(&r, &v);
        }
        for (uint32_t i = 0; i < sw_reservoir_count(&r); i++)
                fresh += sw_reservoir_rows(&r)[i] == 1.0f;
        assert_true(fresh >= 20 && fresh <= 60);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_capacity_boundary),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deserialize_malformed),
        cmocka_unit_test(test_deserialize_other_capacity),
        cmocka_unit_test(test_restart_window_favours_new_rows))
/* clang-format on */
