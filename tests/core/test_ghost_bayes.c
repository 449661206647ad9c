/* Unit tests of the bayes-mode ghost test (core/ghost_bayes.c), against hand-computed values. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ghost_bayes.h"
#include "tests/core/numeric_support.h"
#include "tests/support/test_main.h"

#define MAX_DAYS 64

static uint16_t sales[MAX_DAYS];
static uint8_t weekday[MAX_DAYS];
static uint8_t censored[MAX_DAYS];

static struct sw_ghost_params params(void)
{
        struct sw_ghost_params p;
        sw_ghost_params_default(&p);
        return p;
}

/* n days selling `units` each, weekday i % 7, nothing censored, all known. */
static struct sw_ghost_series series(uint32_t n, uint16_t units)
{
        for (uint32_t i = 0; i < MAX_DAYS; i++) {
                sales[i] = i < n ? units : 0;
                weekday[i] = (uint8_t)(i % 7);
                censored[i] = 0;
        }
        return (struct sw_ghost_series){
            .sales = sales, .weekday = weekday, .censored = censored, .n = n, .known = n};
}

/* Fit s, pool that one fit, evaluate: the pool of a store whose only SKU is this one. */
static struct sw_ghost_result evaluate(const struct sw_ghost_params *p,
                                       const struct sw_ghost_series *s,
                                       const struct sw_ghost_shelf *sh, double scale)
{
        struct sw_ghost_fit fit;
        struct sw_ghost_pool pool;
        struct sw_ghost_result r;
        assert_int_equal(sw_ghost_bayes_fit(p, s, &fit), 0);
        sw_ghost_pool_reset(&pool);
        sw_ghost_pool_add(&pool, p, &fit);
        sw_ghost_pool_finish(&pool);
        assert_int_equal(sw_ghost_bayes_evaluate(p, &pool, s, &fit, sh, 12, 2.5, scale, &r), 0);
        return r;
}

static void test_zero_probability_and_classes(void **state)
{
        (void)state;
        assert_close(sw_ghost_zero_probability(2.0, 0.0), exp(-2.0), 1e-15);
        /* Negative binomial, size r = 1/phi: (1 + phi mu)^(-1/phi); r = 1, mean 3: 1/4. */
        assert_close(sw_ghost_zero_probability(3.0, 1.0), 0.25, 1e-15);
        assert_close(sw_ghost_zero_probability(3.0, 0.5), 1.0 / (2.5 * 2.5), 1e-15);
        assert_close(sw_ghost_zero_probability(0.0, 1.0), 1.0, 0);
        assert_int_equal(sw_ghost_pool_class(0.0), 0);
        assert_int_equal(sw_ghost_pool_class(0.0999), 0);
        assert_int_equal(sw_ghost_pool_class(0.1), 1);
        assert_int_equal(sw_ghost_pool_class(1.99), 4);
        assert_int_equal(sw_ghost_pool_class(2.0), 5);
        assert_int_equal(sw_ghost_pool_class(50.0), SW_GHOST_POOL_CLASSES - 1);
        assert_int_equal(sw_ghost_pool_class(1e9), SW_GHOST_POOL_CLASSES - 1);
}

static void test_fit_splits_run_and_history(void **state)
{
        struct sw_ghost_params p = params();
        struct sw_ghost_series s = series(30, 2);
        struct sw_ghost_fit f;
        (void)state;
        /* Days 0..24 sell 2 (day 10 and day 20 nothing), 25..29 nothing; day 27 is closed. */
        sales[10] = sales[20] = 0;
        for (uint32_t i = 25; i < 30; i++)
                sales[i] = 0;
        censored[27] = 1;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &f), 0);
        assert_true(f.has_sale);
        assert_int_equal(f.last_sale, 24);
        assert_int_equal(f.run_days, 4); /* 25, 26, 28, 29: the closed day is not in the run */
        assert_int_equal(f.history_days, 25);
        assert_int_equal(f.zero_days, 2);
        /* A censored day in the history is left out of it too. */
        censored[5] = 1;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &f), 0);
        assert_int_equal(f.history_days, 24);
        assert_int_equal(f.zero_days, 2);
        /* Unknown days (before the SKU's first record) are neither. */
        s.known = 20;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &f), 0);
        assert_int_equal(f.history_days, 15); /* days 10..24 */
        assert_int_equal(f.zero_days, 2);
        s = series(0, 0);
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &f), -EINVAL);
        assert_int_equal(sw_ghost_bayes_fit(NULL, &s, &f), -EINVAL);
}

static void test_level_is_robust_to_one_big_day(void **state)
{
        struct sw_ghost_params p = params();
        struct sw_ghost_fit plain, spiked;
        (void)state;
        p.forecast.half_life_days = INFINITY; /* flat weights: the level is a plain mean */
        struct sw_ghost_series s = series(28, 2);
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &plain), 0);
        assert_close(plain.level, 2.0, 1e-12);
        /* One day of 100 (a wholesale order, a promotion) counts as 3 x the median day (6): the
         * level is (27 x 2 + 6) / 28, not (27 x 2 + 100) / 28. The weekday factors are left as
         * they come from the raw sales; the level divides by them. */
        sales[13] = 100;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &spiked), 0);
        double wf = 0.0;
        for (uint32_t i = 0; i < 28; i++)
                wf += spiked.weekday_factor[weekday[i]];
        assert_close(spiked.level, (27.0 * 2 + 6) / wf, 1e-12);
        assert_true(spiked.level < 2.5);
}

/* A steady 2 a day for 28 days, then L days without a sale, in a store of that SKU alone:
 * its history (no zero day, own phi -1/2) weighs the dispersion grid, the run's probability is
 * the weighted mixture. Expected values computed independently (docs/detectors.md formulas,
 * in Python): ln p for L = 1, 3, 5. */
static void test_run_probability_anchor(void **state)
{
        struct sw_ghost_params p = params();
        const double want_ln_p[] = {
            [1] = -1.8167013732394879, [3] = -5.381519966226608, [5] = -8.846186372367265};
        (void)state;
        p.min_probability = 0.9;
        p.critical_probability = 0.999;
        for (uint32_t L = 1; L <= 5; L += 2) {
                struct sw_ghost_series s = series(28 + L, 2);
                for (uint32_t i = 28; i < 28 + L; i++)
                        sales[i] = 0;
                struct sw_ghost_result r = evaluate(&p, &s, NULL, 1.0);
                assert_int_equal(r.model, SW_GHOST_MODEL_NB_MIXTURE);
                assert_int_equal(r.run_days, L);
                assert_close(log(r.p_value), want_ln_p[L], 1e-9);
                assert_close(r.expected_units, 2.0 * L, 1e-9);
                assert_close(r.dispersion, 0.10757902963775652, 1e-9); /* posterior mean */
        }
        /* Five days: P(ghost) from the prior odds 0.002 / 0.998 and the run's likelihood ratio. */
        struct sw_ghost_series s = series(33, 2);
        for (uint32_t i = 28; i < 33; i++)
                sales[i] = 0;
        struct sw_ghost_result r = evaluate(&p, &s, NULL, 1.0);
        assert_close(r.probability, 0.9329917290182914, 1e-12);
        assert_true(r.flagged);
        assert_int_equal(r.severity, SW_SEVERITY_WARNING);
        assert_close(r.value, 30.0, 1e-12);
        assert_close(r.priority, r.probability * 30.0, 1e-12);
        assert_false(r.sales_resumed);
        /* A learnt scale of 2 halves the evidence: ln odds = ln prior - ln p / 2. */
        struct sw_ghost_result half = evaluate(&p, &s, NULL, 2.0);
        assert_close(half.probability, 0.1431324525720812, 1e-12);
        assert_false(half.flagged);
}

static void test_shelf_evidence(void **state)
{
        struct sw_ghost_params p = params();
        (void)state;
        p.min_probability = 0.8;
        /* Two quiet days after a steady 2 a day: not enough from sales alone. */
        struct sw_ghost_series s = series(30, 2);
        sales[28] = sales[29] = 0;
        struct sw_ghost_result alone = evaluate(&p, &s, NULL, 1.0);
        assert_false(alone.flagged);
        double odds = alone.probability / (1.0 - alone.probability);
        /* Two zero readings since the last sale: each a likelihood ratio of 1 / 0.05. */
        struct sw_ghost_shelf two = {.zero_readings = 2};
        struct sw_ghost_result r = evaluate(&p, &s, &two, 1.0);
        assert_close(r.probability / (1.0 - r.probability), odds * 400.0, odds * 400.0 * 1e-9);
        assert_true(r.flagged);
        assert_close(r.p_value, alone.p_value, 0); /* the sales evidence is unchanged */
        /* Readings stop adding evidence at four: one empty shelf, not independent looks. */
        struct sw_ghost_shelf many = {.zero_readings = 40};
        r = evaluate(&p, &s, &many, 1.0);
        assert_close(r.probability / (1.0 - r.probability), odds * 160000.0,
                     odds * 160000.0 * 1e-9);
        /* Units seen on the shelf after the last sale speak against a ghost. */
        struct sw_ghost_shelf stocked = {.stocked = true};
        r = evaluate(&p, &s, &stocked, 1.0);
        assert_close(r.probability / (1.0 - r.probability), odds * 0.05, odds * 0.05 * 1e-9);
        /* One quiet day: the readings are no evidence yet (a stock-out restocked the next day
         * looks the same); units seen on the shelf still are. */
        s = series(29, 2);
        sales[28] = 0;
        struct sw_ghost_result one = evaluate(&p, &s, NULL, 1.0);
        r = evaluate(&p, &s, &many, 1.0);
        assert_close(r.probability, one.probability, 0);
        r = evaluate(&p, &s, &stocked, 1.0);
        assert_true(r.probability < one.probability);
        /* Without a run (it sold on D-1) the shelf alone flags nothing. */
        s = series(29, 2);
        r = evaluate(&p, &s, &many, 1.0);
        assert_false(r.flagged);
        assert_true(r.sales_resumed);
}

static void test_no_alert_without_stock_or_history(void **state)
{
        struct sw_ghost_params p = params();
        (void)state;
        struct sw_ghost_series s = series(33, 2);
        for (uint32_t i = 28; i < 33; i++)
                sales[i] = 0;
        struct sw_ghost_fit fit;
        struct sw_ghost_pool pool;
        struct sw_ghost_result r;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &fit), 0);
        sw_ghost_pool_reset(&pool);
        sw_ghost_pool_add(&pool, &p, &fit);
        sw_ghost_pool_finish(&pool);
        /* Book at 0: a real, known stock-out. */
        assert_int_equal(sw_ghost_bayes_evaluate(&p, &pool, &s, &fit, NULL, 0, 2.5, 1.0, &r), 0);
        assert_false(r.flagged);
        assert_close(r.value, 0.0, 0);
        /* Fewer than forecast.min_history_days days before the run: no test. */
        s = series(13, 2);
        s.n = s.known = 16;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &fit), 0);
        assert_int_equal(fit.history_days, 13);
        assert_int_equal(sw_ghost_bayes_evaluate(&p, &pool, &s, &fit, NULL, 5, 2.5, 1.0, &r), 0);
        assert_int_equal(r.model, SW_GHOST_MODEL_NONE);
        assert_false(r.forecast_available);
        assert_close(r.p_value, 1.0, 0);
        assert_close(r.probability, 0.002, 1e-15); /* the prior, nothing more */
        assert_int_equal(sw_ghost_bayes_evaluate(&p, &pool, &s, &fit, NULL, 5, 2.5, 0.0, &r),
                         -EINVAL);
}

/* 40 SKUs of 3 a day over 28 days, Poisson-like (1 zero day in 28, own phi 0) or bursty
 * (7 zero days, own phi 1, about a negative binomial of size 1). */
static void pool_of(struct sw_ghost_pool *pool, const struct sw_ghost_params *p, bool bursty)
{
        sw_ghost_pool_reset(pool);
        for (int k = 0; k < 40; k++) {
                struct sw_ghost_fit f = {
                    .has_sale = true, .history_days = 28, .level = 3.0, .effective_days = 20.0};
                for (int w = 0; w < 7; w++) {
                        f.weekday_factor[w] = 1.0;
                        f.weekday_days[w] = 4;
                        f.weekday_zero[w] = bursty ? 1 : (w == k % 7 && k % 4 == 0);
                }
                f.zero_days = bursty ? 7 : (k % 4 == 0);
                f.moment_den = 100.0;
                f.moment_num = bursty ? 100.0 : 0.0;
                sw_ghost_pool_add(pool, p, &f);
        }
        sw_ghost_pool_finish(pool);
}

/* The pool learns each velocity class's mix of calm and bursty SKUs: the same quiet days are
 * far stronger evidence in a store of calm SKUs than in a store of bursty ones. */
static void test_pool_learns_the_class_mix(void **state)
{
        struct sw_ghost_params p = params();
        struct sw_ghost_pool calm, bursty;
        struct sw_ghost_fit fit;
        struct sw_ghost_result in_calm, in_bursty;
        double w[SW_GHOST_DISPERSIONS];
        (void)state;
        pool_of(&calm, &p, false);
        pool_of(&bursty, &p, true);
        unsigned c = sw_ghost_pool_class(3.0);
        assert_int_equal(calm.n[c], 40);
        double calm_low = 0.0, bursty_high = 0.0, sum = 0.0;
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++) {
                sum += bursty.prior[c][g];
                if (sw_ghost_dispersion_grid[g] <= 0.25)
                        calm_low += calm.prior[c][g];
                if (sw_ghost_dispersion_grid[g] >= 0.5)
                        bursty_high += bursty.prior[c][g];
                /* A class never rules a dispersion out. */
                assert_true(calm.prior[c][g] > 0.0 && bursty.prior[c][g] > 0.0);
        }
        assert_close(sum, 1.0, 1e-12);
        assert_true(calm_low > 0.8);
        assert_true(bursty_high > 0.8);
        /* An empty class takes the store's mix. */
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                assert_close(bursty.prior[0][g], bursty.prior[c][g], 0.05);
        /* A SKU of 3 a day, quiet for 4 days, with one zero day in its 28. */
        struct sw_ghost_series s = series(32, 3);
        sales[5] = 0;
        for (uint32_t i = 28; i < 32; i++)
                sales[i] = 0;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &fit), 0);
        assert_int_equal(sw_ghost_bayes_evaluate(&p, &calm, &s, &fit, NULL, 9, 1.0, 1.0, &in_calm),
                         0);
        assert_int_equal(
            sw_ghost_bayes_evaluate(&p, &bursty, &s, &fit, NULL, 9, 1.0, 1.0, &in_bursty), 0);
        assert_true(in_calm.p_value < in_bursty.p_value / 10.0);
        assert_true(in_calm.dispersion < in_bursty.dispersion);
        /* The weights are a distribution. */
        sw_ghost_dispersion_weights(&bursty, &fit, w);
        sum = 0.0;
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                sum += w[g];
        assert_close(sum, 1.0, 1e-12);
        /* More quiet days, more evidence. */
        s = series(34, 3);
        sales[5] = 0;
        for (uint32_t i = 28; i < 34; i++)
                sales[i] = 0;
        struct sw_ghost_fit longer;
        struct sw_ghost_result r6;
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &longer), 0);
        assert_int_equal(sw_ghost_bayes_evaluate(&p, &bursty, &s, &longer, NULL, 9, 1.0, 1.0, &r6),
                         0);
        assert_true(r6.p_value < in_bursty.p_value);
}

/* A SKU that has not sold since its first record, against the store's other SKUs. */
static void test_never_sold(void **state)
{
        struct sw_ghost_params p = params();
        struct sw_ghost_pool pool;
        struct sw_ghost_fit fit;
        struct sw_ghost_result r;
        (void)state;
        sw_ghost_pool_reset(&pool);
        /* 40 SKUs of 28 days: half with 7 zero days, half with 14. */
        for (int k = 0; k < 40; k++) {
                struct sw_ghost_fit f = {.has_sale = true,
                                         .history_days = 28,
                                         .zero_days = k % 2 ? 7 : 14,
                                         .level = 2.0,
                                         .moment_num = 1.0,
                                         .moment_den = 1.0};
                sw_ghost_pool_add(&pool, &p, &f);
        }
        sw_ghost_pool_finish(&pool);
        /* Mean share 0.375; variance 0.015625 less the binomial 0.375 x 0.625 / 28. */
        double m = 0.375, var = 0.015625 - m * (1 - m) / 28.0, k = m * (1 - m) / var - 1.0;
        assert_close(pool.never_alpha, m * k, 1e-9);
        assert_close(pool.never_beta, (1 - m) * k, 1e-9);
        struct sw_ghost_series s = series(34, 0);
        assert_int_equal(sw_ghost_bayes_fit(&p, &s, &fit), 0);
        assert_false(fit.has_sale);
        assert_int_equal(fit.run_days, 34);
        assert_int_equal(sw_ghost_bayes_evaluate(&p, &pool, &s, &fit, NULL, 8, 2.5, 1.0, &r), 0);
        assert_int_equal(r.model, SW_GHOST_MODEL_NEVER_SOLD);
        double a = pool.never_alpha, b = pool.never_beta;
        double want = lgamma(a + 34) + lgamma(a + b) - lgamma(a + b + 34) - lgamma(a);
        assert_close(log(r.p_value), want, 1e-9);
        assert_true(r.flagged);
}

/* xorshift: reproducible random SKUs. */
static uint32_t rnd(uint32_t *x)
{
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        return *x;
}

/* The bound never misses a SKU the full test flags (random SKUs: levels, bursts, runs,
 * censored days, shelf readings, scales), and rules out most of the rest. */
static void test_may_flag_never_misses(void **state)
{
        struct sw_ghost_params p = params();
        struct sw_ghost_pool pool;
        uint32_t x = 2463534242u, flagged = 0, ruled_out = 0, not_flagged = 0;
        (void)state;
        pool_of(&pool, &p, true);
        for (int k = 0; k < 20000; k++) {
                uint32_t n = 14 + rnd(&x) % (MAX_DAYS - 14), run = rnd(&x) % 12;
                double level = 0.05 * (1 + rnd(&x) % 200);
                struct sw_ghost_series s = series(n, 0);
                s.known = n - rnd(&x) % 8;
                for (uint32_t i = 0; i < n; i++) {
                        double u = (rnd(&x) % 1000) / 1000.0;
                        bool burst = rnd(&x) % 4 == 0;
                        sales[i] = (uint16_t)(i + run >= n ? 0 : u * level * (burst ? 4 : 2));
                        censored[i] = rnd(&x) % 9 == 0;
                }
                struct sw_ghost_shelf sh = {.zero_readings = (uint16_t)(rnd(&x) % 5),
                                            .stocked = rnd(&x) % 10 == 0};
                if (sh.stocked)
                        sh.zero_readings = 0;
                int32_t on_hand = (int32_t)(rnd(&x) % 20) - 3;
                double scale = 0.5 + (rnd(&x) % 100) / 40.0;
                struct sw_ghost_fit fit;
                struct sw_ghost_result r;
                assert_int_equal(sw_ghost_bayes_fit(&p, &s, &fit), 0);
                assert_int_equal(
                    sw_ghost_bayes_evaluate(&p, &pool, &s, &fit, &sh, on_hand, 2.0, scale, &r), 0);
                bool may = sw_ghost_bayes_may_flag(&p, &s, &fit, &sh, on_hand, scale);
                if (r.flagged) {
                        flagged++;
                        if (!may)
                                fail_msg("SKU %d flagged (P %.9g) but ruled out", k, r.probability);
                } else {
                        not_flagged++;
                        ruled_out += !may;
                }
        }
        assert_true(flagged > 100);
        assert_true(ruled_out > not_flagged / 2);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_zero_probability_and_classes),
        cmocka_unit_test(test_fit_splits_run_and_history),
        cmocka_unit_test(test_level_is_robust_to_one_big_day),
        cmocka_unit_test(test_run_probability_anchor),
        cmocka_unit_test(test_shelf_evidence),
        cmocka_unit_test(test_no_alert_without_stock_or_history),
        cmocka_unit_test(test_pool_learns_the_class_mix),
        cmocka_unit_test(test_never_sold),
        cmocka_unit_test(test_may_flag_never_misses))
/* clang-format on */
