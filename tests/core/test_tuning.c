/* Unit tests of the evidence scales learnt from outcomes (core/tuning.c). */
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

#include "core/fnv.h"
#include "core/tuning.h"
#include "tests/core/numeric_support.h"
#include "tests/support/test_main.h"

#define MAX_CATEGORIES 5
#define N_CELLS        (SW_ANOMALY_TYPE_COUNT * (MAX_CATEGORIES + 1))
#define BLOB_SIZE      (SW_TUNING_HEADER_SIZE + N_CELLS * SW_TUNING_CELL_SIZE + 4)

/* The defaults, without the daily bound: most tests here study the learning over many outcomes
 * on one (unnamed) day; the bound has tests of its own. */
static struct sw_tuning_params defaults(void)
{
        struct sw_tuning_params p;
        sw_tuning_params_default(&p);
        p.max_daily_factor = 10.0;
        return p;
}

/* A tuning over static cells followed by a guard. */
struct fixture {
        struct sw_tuning t;                       /* under test */
        struct sw_tuning_cell cells[N_CELLS + 2]; /* its cells, then two guard cells */
};

static void fixture_init(struct fixture *f, const struct sw_tuning_params *p)
{
        memset(f->cells, 0xa5, sizeof(f->cells));
        assert_int_equal(
            sw_tuning_init(&f->t, p, MAX_CATEGORIES, f->cells, N_CELLS * sizeof(f->cells[0])), 0);
}

static void assert_guard(const struct fixture *f)
{
        const uint8_t *g = (const uint8_t *)&f->cells[N_CELLS];
        for (size_t i = 0; i < 2 * sizeof(f->cells[0]); i++)
                assert_int_equal(g[i], 0xa5);
}

static void test_params(void **state)
{
        struct sw_tuning_params p = defaults(), q;
        (void)state;
        assert_true(p.enabled);
        assert_true(p.target_precision == 0.5);
        assert_true(p.step == 0.1);
        assert_true(p.min_scale == 0.7);
        assert_true(p.max_scale == 2.5);
        assert_int_equal(p.min_outcomes, 5);
        assert_int_equal(sw_tuning_params_validate(&p), 0);
        assert_int_equal(sw_tuning_params_validate(NULL), -EINVAL);

#define CHECK(field, value, want)                                                                  \
        do {                                                                                       \
                q = p;                                                                             \
                q.field = value;                                                                   \
                assert_int_equal(sw_tuning_params_validate(&q), want);                             \
        } while (0)
        CHECK(target_precision, 0.0, -EINVAL);
        CHECK(target_precision, 1.0, -EINVAL);
        CHECK(target_precision, 0.01, 0);
        CHECK(target_precision, 0.99, 0);
        CHECK(target_precision, NAN, -EINVAL);
        CHECK(step, 0.0, -EINVAL);
        CHECK(step, 1.0, 0);
        CHECK(step, 1.01, -EINVAL);
        CHECK(step, NAN, -EINVAL);
        CHECK(min_scale, 0.0, -EINVAL);
        CHECK(min_scale, 0.01, 0);
        CHECK(min_scale, 1.0, 0);
        CHECK(min_scale, 1.01, -EINVAL);
        CHECK(min_scale, NAN, -EINVAL);
        CHECK(max_scale, 0.99, -EINVAL);
        CHECK(max_scale, 1.0, 0);
        CHECK(max_scale, 10.0, 0);
        CHECK(max_scale, 10.01, -EINVAL);
        CHECK(max_scale, INFINITY, -EINVAL);
        CHECK(max_scale, NAN, -EINVAL);
        CHECK(min_outcomes, 0, 0);
        CHECK(enabled, false, 0);
#undef CHECK
}

static void test_init(void **state)
{
        struct sw_tuning_params p = defaults(), bad = defaults();
        struct fixture f;
        (void)state;
        assert_int_equal(sw_tuning_memory_size(0), 0);
        assert_int_equal(sw_tuning_memory_size(SW_TUNING_MAX_CATEGORIES + 1), 0);
        assert_int_equal(sw_tuning_memory_size(MAX_CATEGORIES), N_CELLS * 16);
        assert_int_equal(sw_tuning_memory_size(SW_TUNING_MAX_CATEGORIES),
                         (size_t)SW_ANOMALY_TYPE_COUNT * 65537 * 16);

        bad.step = 0.0;
        assert_int_equal(sw_tuning_init(&f.t, &bad, MAX_CATEGORIES, f.cells, sizeof(f.cells)),
                         -EINVAL);
        assert_int_equal(sw_tuning_init(&f.t, NULL, MAX_CATEGORIES, f.cells, sizeof(f.cells)),
                         -EINVAL);
        assert_int_equal(sw_tuning_init(NULL, &p, MAX_CATEGORIES, f.cells, sizeof(f.cells)),
                         -EINVAL);
        assert_int_equal(sw_tuning_init(&f.t, &p, 0, f.cells, sizeof(f.cells)), -EINVAL);
        assert_int_equal(sw_tuning_init(&f.t, &p, MAX_CATEGORIES, NULL, sizeof(f.cells)), -EINVAL);
        assert_int_equal(
            sw_tuning_init(&f.t, &p, MAX_CATEGORIES, (char *)f.cells + 2, sizeof(f.cells) - 2),
            -EINVAL);
        assert_int_equal(sw_tuning_init(&f.t, &p, MAX_CATEGORIES, f.cells, N_CELLS * 16 - 1),
                         -ENOBUFS);

        fixture_init(&f, &p);
        for (int i = 0; i < N_CELLS; i++) {
                assert_true(f.cells[i].scale == 1.0f);
                assert_int_equal(f.cells[i].outcomes, 0);
                assert_int_equal(f.cells[i].true_positives, 0);
        }
        assert_guard(&f);
        assert_int_equal(f.t.max_categories, MAX_CATEGORIES);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                for (uint16_t c = 0; c < MAX_CATEGORIES; c++)
                        assert_true(sw_tuning_scale(&f.t, (enum sw_anomaly_type)t, c) == 1.0);
}

static void test_record_update(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture f;
        const struct sw_tuning_cell *type_cell, *cat_cell, *other;
        (void)state;
        fixture_init(&f, &p);
        type_cell = sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, -1);
        cat_cell = sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 2);
        other = sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 3);
        assert_ptr_equal(type_cell, &f.cells[0]);
        assert_ptr_equal(cat_cell, &f.cells[3]);
        assert_ptr_equal(sw_tuning_cell(&f.t, SW_ANOMALY_SHELF_OUT, -1),
                         &f.cells[2 * (MAX_CATEGORIES + 1)]);
        assert_ptr_equal(sw_tuning_cell(&f.t, SW_ANOMALY_INVENTORY_DISCREPANCY, MAX_CATEGORIES - 1),
                         &f.cells[N_CELLS - 1]);

        /* FP: s = exp(0.1 x 0.5); then TP: s x exp(-0.1 x 0.5) = 1 again. */
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 2, false), 0);
        assert_close(cat_cell->scale, exp(0.05), 1e-5);
        assert_close(type_cell->scale, exp(0.05), 1e-5);
        assert_true(other->scale == 1.0f);
        assert_int_equal(cat_cell->outcomes, 1);
        assert_int_equal(cat_cell->true_positives, 0);
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 2, true), 0);
        assert_close(cat_cell->scale, 1.0, 1e-5);
        assert_int_equal(cat_cell->outcomes, 2);
        assert_int_equal(cat_cell->true_positives, 1);
        assert_int_equal(type_cell->outcomes, 2);
        assert_int_equal(type_cell->true_positives, 1);

        /* Another target: an FP raises by exp(step x target), a TP lowers by exp(-step x (1 -
         * target)). */
        p.target_precision = 0.8;
        p.step = 0.2;
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 3, false), 0);
        assert_close(other->scale, exp(0.16), 1e-5);
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 3, true), 0);
        assert_close(other->scale, exp(0.16 - 0.04), 1e-5);

        /* No other type moved. */
        for (int i = MAX_CATEGORIES + 1; i < N_CELLS; i++) {
                assert_true(f.cells[i].scale == 1.0f);
                assert_int_equal(f.cells[i].outcomes, 0);
        }
        assert_guard(&f);
}

static void test_record_rejects(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture f;
        struct sw_tuning_cell before[N_CELLS];
        (void)state;
        fixture_init(&f, &p);
        memcpy(before, f.cells, sizeof(before));
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_TYPE_COUNT, 0, false), -EINVAL);
        assert_int_equal(sw_tuning_record(&f.t, (enum sw_anomaly_type) - 1, 0, false), -EINVAL);
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, MAX_CATEGORIES, false),
                         -EINVAL);
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, UINT16_MAX, false),
                         -EINVAL);
        assert_int_equal(sw_tuning_record(NULL, SW_ANOMALY_GHOST_STOCK, 0, false), -EINVAL);
        assert_memory_equal(before, f.cells, sizeof(before));
        assert_guard(&f);

        assert_null(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, -2));
        assert_null(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, MAX_CATEGORIES));
        assert_null(sw_tuning_cell(&f.t, SW_ANOMALY_TYPE_COUNT, -1));
        assert_null(sw_tuning_cell(NULL, SW_ANOMALY_GHOST_STOCK, -1));
        assert_non_null(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, MAX_CATEGORIES - 1));

        /* Out of range asks for no change of evidence. */
        for (int i = 0; i < 20; i++)
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 0, false), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 0) > 1.5);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, MAX_CATEGORIES) == 1.0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_TYPE_COUNT, 0) == 1.0);
        assert_true(sw_tuning_scale(NULL, SW_ANOMALY_GHOST_STOCK, 0) == 1.0);
}

static void test_bounds(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture f;
        const struct sw_tuning_cell *c;
        (void)state;
        fixture_init(&f, &p);
        c = sw_tuning_cell(&f.t, SW_ANOMALY_SHELF_OUT, 4);

        /* exp(0.05 x 18) = 2.4596 < 2.5 < exp(0.05 x 19) = 2.5857: the 19th FP hits the bound. */
        for (int i = 0; i < 18; i++)
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_SHELF_OUT, 4, false), 0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4), exp(0.9), 1e-5);
        for (int i = 18; i < 1000; i++) {
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_SHELF_OUT, 4, false), 0);
                assert_true(c->scale <= 2.5f);
                assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4) == 2.5);
        }
        assert_int_equal(c->outcomes, 1000);
        assert_int_equal(c->true_positives, 0);

        /* From the top, exp(-0.05 x 25) x 2.5 = 0.716 > 0.7 > exp(-0.05 x 26) x 2.5 = 0.681. */
        for (int i = 0; i < 25; i++)
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_SHELF_OUT, 4, true), 0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4), 2.5 * exp(-1.25), 1e-5);
        for (int i = 25; i < 1000; i++) {
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_SHELF_OUT, 4, true), 0);
                assert_true(c->scale >= 0.7f);
                assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4) == 0.7);
        }
        assert_int_equal(c->outcomes, 2000);
        assert_int_equal(c->true_positives, 1000);
        /* The type cell saw the same outcomes. */
        assert_int_equal(sw_tuning_cell(&f.t, SW_ANOMALY_SHELF_OUT, -1)->outcomes, 2000);

        /* The widest bounds the params allow, with the largest step (one outcome a day, so
         * the daily bound never holds it back). */
        p.step = 1.0;
        p.min_scale = 0.01;
        p.max_scale = 10.0;
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(
                    sw_tuning_record_weighted(&f.t, SW_ANOMALY_SHELF_OUT, 4, false, 1.0, 100 + i),
                    0);
                assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4) <= 10.0);
        }
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4) == 10.0);
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(
                    sw_tuning_record_weighted(&f.t, SW_ANOMALY_SHELF_OUT, 4, true, 1.0, 2000 + i),
                    0);
                assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4) >= 0.01);
        }
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 4) == 0.01);
        assert_guard(&f);
}

static void test_counts_saturate(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture f;
        struct sw_tuning_cell *c;
        (void)state;
        fixture_init(&f, &p);
        c = &f.cells[1 + 3]; /* ghost_stock, category 3 */
        c->outcomes = UINT32_MAX;
        c->true_positives = 3000000000u;
        /* A full count halves both (keeping their ratio) rather than wrapping to 0. */
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 3, true), 0);
        assert_int_equal(c->outcomes, UINT32_MAX / 2 + 1);
        assert_int_equal(c->true_positives, 1500000001u);
        assert_int_equal(f.cells[0].outcomes, 1);
}

static void test_min_outcomes_fallback(void **state)
{
        struct sw_tuning_params p = defaults(); /* min_outcomes 5 */
        struct fixture f;
        (void)state;
        fixture_init(&f, &p);
        /* 4 FPs in category 2: neither its cell nor the type's has 5 outcomes yet. */
        for (int i = 0; i < 4; i++)
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 2, false), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 2) == 1.0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 3) == 1.0);

        /* An FP in category 1: the type has 5 (s = exp(0.25)), category 2 still 4. */
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 1, false), 0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 2), exp(0.25), 1e-5);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 3), exp(0.25), 1e-5);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1), exp(0.25), 1e-5);

        /* A fifth FP in category 2: it now uses its own cell, exp(0.25); the type has exp(0.30). */
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 2, false), 0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 2), exp(0.25), 1e-5);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 3), exp(0.30), 1e-5);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1), exp(0.30), 1e-5);
        /* Other types know nothing. */
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 2) == 1.0);

        /* Category 2 answers TP 3 times: exp(0.25 - 0.15) from its own 8 outcomes. */
        for (int i = 0; i < 3; i++)
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 2, true), 0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 2), exp(0.10), 1e-5);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 3), exp(0.15), 1e-5);

        /* min_outcomes 0 uses every cell at once; a fresh one is 1.0. */
        p.min_outcomes = 0;
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 3) == 1.0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1), exp(0.05), 1e-5);
}

static void test_disabled(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture f;
        const struct sw_tuning_cell *c;
        (void)state;
        p.enabled = false;
        fixture_init(&f, &p);
        c = sw_tuning_cell(&f.t, SW_ANOMALY_ML_DETECTED, 0);
        for (int i = 0; i < 50; i++)
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_ML_DETECTED, 0, i % 10 == 0), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_ML_DETECTED, 0) == 1.0);
        assert_true(c->scale == 1.0f);
        assert_int_equal(c->outcomes, 50);
        assert_int_equal(c->true_positives, 5);

        /* Enabled later: the counts are there, the learning starts from 1.0. */
        p.enabled = true;
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_ML_DETECTED, 0) == 1.0);
        assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_ML_DETECTED, 0, false), 0);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_ML_DETECTED, 0), exp(0.05), 1e-5);

        /* Disabled again: 1.0 whatever was learnt, and the cell keeps what it learnt. */
        p.enabled = false;
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_ML_DETECTED, 0) == 1.0);
        assert_close(c->scale, exp(0.05), 1e-5);
}

static void test_set_params_reclamps(void **state)
{
        struct sw_tuning_params p = defaults(), narrow, bad;
        struct fixture f;
        (void)state;
        fixture_init(&f, &p);
        for (int i = 0; i < 100; i++) {
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 1, false), 0);
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_SHELF_OUT, 1, true), 0);
        }
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1) == 2.5);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 1) == 0.7);

        narrow = p;
        narrow.min_scale = 0.9;
        narrow.max_scale = 1.5;
        assert_int_equal(sw_tuning_set_params(&f.t, &narrow), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1) == 1.5);
        assert_true(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 1)->scale == 1.5f);
        assert_true(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, -1)->scale == 1.5f);
        assert_close(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 1), 0.9, 1e-7);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_SHELF_OUT, 1) >= 0.9);
        assert_true(sw_tuning_cell(&f.t, SW_ANOMALY_ML_DETECTED, 1)->scale == 1.0f);
        /* Counts survive a reload. */
        assert_int_equal(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 1)->outcomes, 100);

        /* Widening again does not bring back what the clamp cut. */
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1) == 1.5);

        /* Bad params change nothing. */
        bad = narrow;
        bad.max_scale = 0.5;
        assert_int_equal(sw_tuning_set_params(&f.t, &bad), -EINVAL);
        assert_int_equal(sw_tuning_set_params(&f.t, NULL), -EINVAL);
        assert_int_equal(sw_tuning_set_params(NULL, &p), -EINVAL);
        assert_true(f.t.p.max_scale == 2.5);
        assert_true(sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1) == 1.5);
}

/*
 * One cell answering alerts whose chance of being true grows with the evidence asked for:
 * p_tp(s) = min(0.95, slope x s). Returns the mean scale and the observed precision over the
 * alerts after the first `burn_in`.
 */
static void simulate(const struct sw_tuning_params *p, double slope, uint64_t seed, int n,
                     int burn_in, double *ret_mean_scale, double *ret_precision)
{
        struct fixture f;
        double sum = 0.0;
        int tp = 0;
        fixture_init(&f, p);
        for (int i = 0; i < n; i++) {
                double s = sw_tuning_scale(&f.t, SW_ANOMALY_GHOST_STOCK, 1);
                bool is_tp = rng_uniform(&seed) < fmin(0.95, slope * s);
                assert_true(s >= p->min_scale && s <= p->max_scale);
                assert_int_equal(sw_tuning_record(&f.t, SW_ANOMALY_GHOST_STOCK, 1, is_tp), 0);
                if (i >= burn_in) {
                        sum += s;
                        tp += is_tp;
                }
        }
        *ret_mean_scale = sum / (n - burn_in);
        *ret_precision = (double)tp / (n - burn_in);
}

static void test_convergence(void **state)
{
        struct sw_tuning_params p = defaults(); /* target 0.5 */
        double mean_s, precision;
        (void)state;
        /*
         * p_tp = 0.3 s equals 0.5 at s = 5/3: the filter must ask for more evidence. While no clamp
         * acts, sum(target - y) = ln(s_end / s_start) / step, so the observed precision is held to
         * the target within a few outcomes whatever the noise; the scale wanders around s*.
         */
        simulate(&p, 0.3, 42, 20000, 2000, &mean_s, &precision);
        assert_close(mean_s, 5.0 / 3.0, 0.08);
        assert_close(precision, 0.5, 0.01);
        /* p_tp = 0.6 s equals 0.5 at s = 5/6: it asks for less (bounds wide enough not to bias it).
         */
        p.min_scale = 0.4;
        simulate(&p, 0.6, 7, 20000, 2000, &mean_s, &precision);
        assert_close(mean_s, 5.0 / 6.0, 0.05);
        assert_close(precision, 0.5, 0.01);
        /* Another target: 0.7 with p_tp = 0.35 s, s = 2. */
        p.target_precision = 0.7;
        simulate(&p, 0.35, 99, 20000, 2000, &mean_s, &precision);
        assert_close(mean_s, 2.0, 0.1);
        assert_close(precision, 0.7, 0.01);
        /* A target beyond reach (0.3 x 2.5 = 0.75 < 0.9): it rests near the bound, never past it
         * (simulate() checks every scale), precision as good as the bound allows. */
        p.target_precision = 0.9;
        simulate(&p, 0.3, 5, 5000, 1000, &mean_s, &precision);
        assert_true(mean_s > 2.3 && mean_s <= 2.5);
        assert_close(precision, 0.73, 0.04);
}

/* A stream of candidates in one category: a real anomaly with probability `real_share`, its
 * evidence exponential with mean 3 (noise: mean 1); the detector alerts at evidence >= s. */
struct weekly {
        int alerts;   /* alerts raised */
        int tp;       /* of which real */
        int real;     /* real anomalies among the candidates */
        int detected; /* real ones alerted */
};

static void run_weeks(struct sw_tuning *t, uint16_t category, double real_share, uint64_t *rng,
                      int weeks, int per_day, struct weekly *ret_last_weeks, int last_weeks)
{
        memset(ret_last_weeks, 0, sizeof(*ret_last_weeks));
        for (int day = 0; day < weeks * 7; day++) {
                for (int i = 0; i < per_day; i++) {
                        bool real = rng_uniform(rng) < real_share;
                        double evidence = -log(1.0 - rng_uniform(rng)) * (real ? 3.0 : 1.0);
                        double s = sw_tuning_scale(t, SW_ANOMALY_GHOST_STOCK, category);
                        bool alert = evidence >= s;
                        if (alert)
                                assert_int_equal(
                                    sw_tuning_record(t, SW_ANOMALY_GHOST_STOCK, category, real), 0);
                        if (day >= (weeks - last_weeks) * 7) {
                                ret_last_weeks->alerts += alert;
                                ret_last_weeks->tp += alert && real;
                                ret_last_weeks->real += real;
                                ret_last_weeks->detected += alert && real;
                        }
                }
        }
}

/* Eight weeks of 30 candidates a day in `category` of both tunings, from the same seed, the last
 * six counted; prints what each got. */
static void run_tuned_and_fixed(const char *label, struct fixture *tuned, struct fixture *fixed,
                                uint16_t category, double real_share, uint64_t seed,
                                struct weekly *ret_tuned, struct weekly *ret_fixed)
{
        uint64_t rng_tuned = seed, rng_fixed = seed;
        run_weeks(&tuned->t, category, real_share, &rng_tuned, 8, 30, ret_tuned, 6);
        run_weeks(&fixed->t, category, real_share, &rng_fixed, 8, 30, ret_fixed, 6);
        print_message(
            "%s: fixed precision %.3f recall %.3f; tuned precision %.3f recall %.3f, s %.3f\n",
            label, (double)ret_fixed->tp / ret_fixed->alerts,
            (double)ret_fixed->detected / ret_fixed->real,
            (double)ret_tuned->tp / ret_tuned->alerts,
            (double)ret_tuned->detected / ret_tuned->real,
            sw_tuning_scale(&tuned->t, SW_ANOMALY_GHOST_STOCK, category));
}

static void test_precision_rises_recall_holds(void **state)
{
        struct sw_tuning_params p = defaults(), off = defaults();
        struct fixture tuned, fixed;
        struct weekly a, b, c, d;
        (void)state;
        p.target_precision = 0.6;
        off.enabled = false;
        fixture_init(&tuned, &p);
        fixture_init(&fixed, &off);
        /*
         * Noisy category (30 % real): at s = 1 precision is 0.3e^-1/3 / (0.3e^-1/3 + 0.7e^-1) =
         * 0.455 and recall e^-1/3 = 0.72; the fixed point of precision 0.6 is s = 1.5 ln 3.5
         * = 1.88, where recall is e^-0.63 = 0.53. Eight weeks of 30 candidates a day, the last six
         * compared.
         */
        run_tuned_and_fixed("noisy", &tuned, &fixed, 1, 0.3, 2024, &a, &b);
        assert_close((double)b.tp / b.alerts, 0.455, 0.04);
        assert_close((double)a.tp / a.alerts, 0.6, 0.04);
        assert_true((double)a.detected / a.real >= 0.45);
        assert_true((double)a.detected / a.real >= 0.65 * ((double)b.detected / b.real));

        /* Clean category (70 % real, precision 0.82 at s = 1): it asks for less evidence and finds
         * more. */
        run_tuned_and_fixed("clean", &tuned, &fixed, 2, 0.7, 77, &c, &d);
        assert_true(sw_tuning_scale(&tuned.t, SW_ANOMALY_GHOST_STOCK, 2) < 0.8);
        assert_true((double)c.detected / c.real > (double)d.detected / d.real + 0.03);
        assert_true((double)c.tp / c.alerts >= 0.7);
}

static void put_u32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *blob, size_t len)
{
        put_u32(blob + len - 4, sw_fnv1a32(blob, len - 4));
}

/* Learn something different in many cells. */
static void learn_pattern(struct sw_tuning *t, uint64_t seed)
{
        for (int i = 0; i < 400; i++) {
                uint64_t r = rng_next(&seed);
                enum sw_anomaly_type type = (enum sw_anomaly_type)(r % SW_ANOMALY_TYPE_COUNT);
                uint16_t category = (uint16_t)((r >> 8) % t->max_categories);
                bool tp = ((r >> 16) % 100) < 20 + 15 * (uint64_t)type + 5 * category;
                assert_int_equal(sw_tuning_record(t, type, category, tp), 0);
        }
}

static void test_serialize_round_trip(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture a, b;
        uint8_t blob[BLOB_SIZE + 8];
        (void)state;
        fixture_init(&a, &p);
        fixture_init(&b, &p);
        learn_pattern(&a.t, 1);
        assert_int_equal(sw_tuning_serialized_size(&a.t), BLOB_SIZE);
        assert_int_equal(sw_tuning_serialize(&a.t, blob, BLOB_SIZE - 1), -ENOBUFS);
        assert_int_equal(sw_tuning_serialize(&a.t, blob, 0), -ENOBUFS);
        assert_int_equal(sw_tuning_serialize(&a.t, blob, sizeof(blob)), BLOB_SIZE);
        assert_memory_equal(blob, "SWTU\x02\0\0\0\x05\0\0\0", 12);
        assert_int_equal(blob[12], SW_ANOMALY_TYPE_COUNT);
        assert_memory_equal(blob + 16, "\0\0\0\x80", 4); /* no day yet: SW_DAY_NONE */

        assert_int_equal(sw_tuning_deserialize(&b.t, blob, BLOB_SIZE), 0);
        assert_memory_equal(a.cells, b.cells, N_CELLS * sizeof(a.cells[0]));
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                for (uint16_t c = 0; c < MAX_CATEGORIES; c++)
                        assert_true(sw_tuning_scale(&a.t, (enum sw_anomaly_type)t, c) ==
                                    sw_tuning_scale(&b.t, (enum sw_anomaly_type)t, c));
        /* Learning goes on identically. */
        learn_pattern(&a.t, 2);
        learn_pattern(&b.t, 2);
        assert_memory_equal(a.cells, b.cells, N_CELLS * sizeof(a.cells[0]));
        assert_guard(&b);
}

static void test_deserialize_corrupt(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture a, b;
        uint8_t blob[BLOB_SIZE + 1], bad[BLOB_SIZE + 1];
        struct sw_tuning_cell before[N_CELLS];
        uint32_t nan_bits = 0x7fc00000u, inf_bits = 0x7f800000u, zero_bits = 0,
                 neg_bits = 0xbf800000u;
        (void)state;
        fixture_init(&a, &p);
        fixture_init(&b, &p);
        learn_pattern(&a.t, 3);
        learn_pattern(&b.t, 4);
        memcpy(before, b.cells, sizeof(before));
        assert_int_equal(sw_tuning_serialize(&a.t, blob, sizeof(blob)), BLOB_SIZE);

        /* Every truncation, and one byte too many. */
        for (size_t len = 0; len < BLOB_SIZE; len++)
                assert_int_equal(sw_tuning_deserialize(&b.t, blob, len), -EBADMSG);
        blob[BLOB_SIZE] = 0;
        assert_int_equal(sw_tuning_deserialize(&b.t, blob, BLOB_SIZE + 1), -EBADMSG);
        /* Every byte altered. */
        for (size_t i = 0; i < BLOB_SIZE; i++) {
                memcpy(bad, blob, BLOB_SIZE);
                bad[i] ^= 0x10;
                assert_int_equal(sw_tuning_deserialize(&b.t, bad, BLOB_SIZE), -EBADMSG);
        }
        assert_memory_equal(before, b.cells, sizeof(before));

        /* Well sealed but wrong inside. */
#define FORGE(offset, value)                                                                       \
        do {                                                                                       \
                memcpy(bad, blob, BLOB_SIZE);                                                      \
                put_u32(bad + (offset), value);                                                    \
                reseal(bad, BLOB_SIZE);                                                            \
                assert_int_equal(sw_tuning_deserialize(&b.t, bad, BLOB_SIZE), -EBADMSG);           \
        } while (0)
        FORGE(0, 0x55545758u);                           /* magic "XWTU" */
        FORGE(4, 3);                                     /* version */
        FORGE(8, MAX_CATEGORIES + 1);                    /* length no longer matches */
        FORGE(8, 0);                                     /* no categories */
        FORGE(12, 0);                                    /* no types */
        FORGE(12, SW_ANOMALY_TYPE_COUNT + 1);            /* length no longer matches */
        FORGE(SW_TUNING_HEADER_SIZE + 16 * 7, nan_bits); /* scales */
        FORGE(SW_TUNING_HEADER_SIZE + 16 * 7, inf_bits);
        FORGE(SW_TUNING_HEADER_SIZE + 16 * 7, zero_bits);
        FORGE(SW_TUNING_HEADER_SIZE + 16 * 7 + 12, nan_bits); /* a day_start */
        FORGE(SW_TUNING_HEADER_SIZE + 16 * (N_CELLS - 1), neg_bits);
        FORGE(SW_TUNING_HEADER_SIZE + 16 * 3 + 8, UINT32_MAX); /* more TPs than outcomes */
#undef FORGE
        assert_memory_equal(before, b.cells, sizeof(before));
        assert_int_equal(sw_tuning_deserialize(&b.t, NULL, 0), -EBADMSG);
        assert_int_equal(sw_tuning_deserialize(NULL, blob, BLOB_SIZE), -EINVAL);

        /* The pristine blob still loads. */
        assert_int_equal(sw_tuning_deserialize(&b.t, blob, BLOB_SIZE), 0);
        assert_memory_equal(a.cells, b.cells, N_CELLS * sizeof(a.cells[0]));
}

static void test_deserialize_reclamps(void **state)
{
        struct sw_tuning_params p = defaults(), narrow = defaults();
        struct fixture a, b;
        uint8_t blob[BLOB_SIZE];
        (void)state;
        fixture_init(&a, &p);
        for (int i = 0; i < 100; i++) {
                assert_int_equal(sw_tuning_record(&a.t, SW_ANOMALY_GHOST_STOCK, 0, false), 0);
                assert_int_equal(sw_tuning_record(&a.t, SW_ANOMALY_SHELF_OUT, 0, true), 0);
        }
        assert_int_equal(sw_tuning_serialize(&a.t, blob, sizeof(blob)), BLOB_SIZE);
        narrow.min_scale = 0.8;
        narrow.max_scale = 2.0;
        fixture_init(&b, &narrow);
        assert_int_equal(sw_tuning_deserialize(&b.t, blob, sizeof(blob)), 0);
        assert_true(sw_tuning_scale(&b.t, SW_ANOMALY_GHOST_STOCK, 0) == 2.0);
        assert_true(sw_tuning_cell(&b.t, SW_ANOMALY_GHOST_STOCK, -1)->scale == 2.0f);
        assert_close(sw_tuning_scale(&b.t, SW_ANOMALY_SHELF_OUT, 0), 0.8, 1e-7);
        assert_int_equal(sw_tuning_cell(&b.t, SW_ANOMALY_SHELF_OUT, 0)->outcomes, 100);
        assert_int_equal(sw_tuning_cell(&b.t, SW_ANOMALY_SHELF_OUT, 0)->true_positives, 100);
}

static void test_deserialize_other_shapes(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture a;
        struct sw_tuning small, big;
        struct sw_tuning_cell small_cells[SW_ANOMALY_TYPE_COUNT * 3],
            big_cells[SW_ANOMALY_TYPE_COUNT * 9];
        uint8_t blob[BLOB_SIZE], fewer[BLOB_SIZE];
        size_t fewer_len;
        (void)state;
        fixture_init(&a, &p);
        learn_pattern(&a.t, 5);
        assert_int_equal(sw_tuning_serialize(&a.t, blob, sizeof(blob)), BLOB_SIZE);

        /* Into 2 categories: the type cells and categories 0 and 1. */
        assert_int_equal(sw_tuning_init(&small, &p, 2, small_cells, sizeof(small_cells)), 0);
        assert_int_equal(sw_tuning_deserialize(&small, blob, sizeof(blob)), 0);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                for (int32_t c = -1; c < 2; c++)
                        assert_memory_equal(sw_tuning_cell(&small, (enum sw_anomaly_type)t, c),
                                            sw_tuning_cell(&a.t, (enum sw_anomaly_type)t, c),
                                            sizeof(struct sw_tuning_cell));

        /* Into 8 categories that learnt something else: 0..4 restored, 5..7 reset. */
        assert_int_equal(sw_tuning_init(&big, &p, 8, big_cells, sizeof(big_cells)), 0);
        learn_pattern(&big, 6);
        assert_true(sw_tuning_cell(&big, SW_ANOMALY_GHOST_STOCK, 7)->outcomes > 0);
        assert_int_equal(sw_tuning_deserialize(&big, blob, sizeof(blob)), 0);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++) {
                for (int32_t c = -1; c < 8; c++) {
                        const struct sw_tuning_cell *got =
                            sw_tuning_cell(&big, (enum sw_anomaly_type)t, c);
                        if (c < MAX_CATEGORIES) {
                                assert_memory_equal(
                                    got, sw_tuning_cell(&a.t, (enum sw_anomaly_type)t, c),
                                    sizeof(*got));
                        } else {
                                assert_true(got->scale == 1.0f);
                                assert_int_equal(got->outcomes, 0);
                                assert_int_equal(got->true_positives, 0);
                        }
                }
        }

        /* A blob from a build with 2 anomaly types: those restore, the others reset. */
        fewer_len = SW_TUNING_HEADER_SIZE + 2 * (MAX_CATEGORIES + 1) * 16 + 4;
        memcpy(fewer, blob, fewer_len - 4);
        put_u32(fewer + 12, 2);
        reseal(fewer, fewer_len);
        assert_int_equal(sw_tuning_deserialize(&big, fewer, fewer_len), 0);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++) {
                const struct sw_tuning_cell *got = sw_tuning_cell(&big, (enum sw_anomaly_type)t, 1);
                if (t < 2)
                        assert_memory_equal(got, sw_tuning_cell(&a.t, (enum sw_anomaly_type)t, 1),
                                            sizeof(*got));
                else
                        assert_int_equal(got->outcomes, 0);
        }
}

/* A burst of forged false positives on one day moves a cell at most max_daily_factor; the next
 * day it may move that much again, from where it stands. */
static void test_daily_bound(void **state)
{
        struct sw_tuning_params p;
        struct fixture f;
        const struct sw_tuning_cell *all;
        (void)state;
        sw_tuning_params_default(&p);
        assert_true(p.max_daily_factor == 1.5);
        fixture_init(&f, &p);
        all = sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, -1);
        /* Down to the lowest scale first, one true positive a day. */
        for (sw_day_t day = 1000; day < 1020; day++)
                assert_int_equal(
                    sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 1, true, 1.0, day), 0);
        assert_close(all->scale, 0.7, 1e-6);
        /* 40 forged false positives of full weight on day 1020: without the bound, 0.7 x
         * exp(40 x 0.05) would pass the top (2.5); with it, 0.7 x 1.5 = 1.05 at most. */
        for (int i = 0; i < 40; i++)
                assert_int_equal(
                    sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 1, false, 1.0, 1020),
                    0);
        assert_close(all->scale, 0.7 * 1.5, 1e-6);
        assert_close(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 1)->scale, 1.05, 1e-6);
        /* An outcome dated earlier counts on the current day: no fresh band. */
        assert_int_equal(
            sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 1, false, 1.0, 900), 0);
        assert_close(all->scale, 1.05, 1e-6);
        /* Other types and categories kept their own band. */
        assert_true(sw_tuning_cell(&f.t, SW_ANOMALY_SHELF_OUT, -1)->scale == 1.0f);
        /* The next day: another factor at most, from 1.05. */
        for (int i = 0; i < 40; i++)
                assert_int_equal(
                    sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 1, false, 1.0, 1021),
                    0);
        assert_close(all->scale, 1.05 * 1.5, 1e-6);
        assert_int_equal(all->outcomes, 20 + 40 + 1 + 40);
        /* A factor of 1 freezes learning; the counts still move. */
        p.max_daily_factor = 1.0;
        assert_int_equal(sw_tuning_set_params(&f.t, &p), 0);
        assert_int_equal(
            sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 1, false, 1.0, 1022), 0);
        assert_close(all->scale, 1.05 * 1.5, 1e-6);
        assert_guard(&f);
}

/* An outcome's weight scales its step: a bare command moves a quarter as far as a count with a
 * user; weight 0 counts without moving. */
static void test_weights(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture f;
        (void)state;
        fixture_init(&f, &p);
        assert_true(sw_tuning_source_weight(&p, SW_SOURCE_SCANNER_USER) == 1.0);
        assert_true(sw_tuning_source_weight(&p, SW_SOURCE_SCANNER) == 0.5);
        assert_true(sw_tuning_source_weight(&p, SW_SOURCE_COMMAND) == 0.25);
        assert_int_equal(sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 2, false,
                                                   sw_tuning_source_weight(&p, SW_SOURCE_COMMAND),
                                                   7),
                         0);
        assert_close(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 2)->scale, exp(0.25 * 0.1 * 0.5),
                     1e-6);
        assert_int_equal(sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 3, false, 0.0, 7),
                         0);
        assert_true(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 3)->scale == 1.0f);
        assert_int_equal(sw_tuning_cell(&f.t, SW_ANOMALY_GHOST_STOCK, 3)->outcomes, 1);
        assert_int_equal(sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 3, false, 1.5, 7),
                         -EINVAL);
        assert_int_equal(sw_tuning_record_weighted(&f.t, SW_ANOMALY_GHOST_STOCK, 3, false, NAN, 7),
                         -EINVAL);
        p.weight_command = 1.1;
        assert_int_equal(sw_tuning_params_validate(&p), -EINVAL);
        p.weight_command = 0.25;
        p.max_daily_factor = 0.9;
        assert_int_equal(sw_tuning_params_validate(&p), -EINVAL);
}

/* A blob of version 1 (before the daily bound) is still read: day_start is its scale. */
static void test_deserialize_version_1(void **state)
{
        struct sw_tuning_params p = defaults();
        struct fixture a, b;
        uint8_t blob[BLOB_SIZE], v1[BLOB_SIZE];
        (void)state;
        fixture_init(&a, &p);
        fixture_init(&b, &p);
        learn_pattern(&a.t, 3);
        assert_int_equal(sw_tuning_serialize(&a.t, blob, sizeof(blob)), BLOB_SIZE);
        /* Rebuild it the version 1 way: a 16-byte header, 12-byte cells. */
        size_t n = 16;
        memcpy(v1, blob, 16);
        put_u32(v1 + 4, 1);
        for (size_t i = 0; i < N_CELLS; i++, n += 12)
                memcpy(v1 + n, blob + SW_TUNING_HEADER_SIZE + i * SW_TUNING_CELL_SIZE, 12);
        n += 4;
        reseal(v1, n);
        assert_int_equal(sw_tuning_deserialize(&b.t, v1, n), 0);
        for (size_t i = 0; i < N_CELLS; i++) {
                assert_true(b.cells[i].scale == a.cells[i].scale);
                assert_true(b.cells[i].day_start == b.cells[i].scale);
                assert_int_equal(b.cells[i].outcomes, a.cells[i].outcomes);
        }
        assert_int_equal(b.t.day, SW_DAY_NONE);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_daily_bound),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_deserialize_version_1),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_record_update),
        cmocka_unit_test(test_record_rejects),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_counts_saturate),
        cmocka_unit_test(test_min_outcomes_fallback),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_set_params_reclamps),
        cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_precision_rises_recall_holds),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_deserialize_corrupt),
        cmocka_unit_test(test_deserialize_reclamps),
        cmocka_unit_test(test_deserialize_other_shapes))
/* clang-format on */
