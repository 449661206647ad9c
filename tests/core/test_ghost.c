/* Unit tests of the ghost-stock detector (core/ghost.c), against hand-computed values. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ghost.h"
#include "tests/core/numeric_support.h"
#include "tests/support/test_main.h"

#define MAX_DAYS 128

static uint16_t sales[MAX_DAYS];
static double pushed[MAX_DAYS];
static uint8_t weekday[MAX_DAYS];

static void assert_rel(double got, double want, double rel)
{
        if (!(fabs(got - want) <= rel * fabs(want)))
                fail_msg("got %.15g, want %.15g (rel %g)", got, want, rel);
}

/* n days, all selling `units`, weekday i % 7, nothing pushed, full history, 12 on hand at 2.5. */
static struct sw_ghost_input make_input(uint32_t n, uint16_t units)
{
        for (uint32_t i = 0; i < MAX_DAYS; i++) {
                sales[i] = i < n ? units : 0;
                pushed[i] = NAN;
                weekday[i] = (uint8_t)(i % 7);
        }
        return (struct sw_ghost_input){
            .sales = sales,
            .pushed = pushed,
            .weekday = weekday,
            .n = n,
            .history_days_available = n,
            .on_hand = 12,
            .price = 2.5,
        };
}

static struct sw_ghost_params poisson_params(void)
{
        struct sw_ghost_params p;
        sw_ghost_params_default(&p);
        p.mode = SW_GHOST_MODE_POISSON;
        p.critical_probability = 0.95; /* the poisson mode's anchors below were made with it */
        return p;
}

static struct sw_ghost_params seed_params(void)
{
        struct sw_ghost_params p;
        sw_ghost_params_default(&p);
        p.mode = SW_GHOST_MODE_SEED;
        return p;
}

/* ---- tail probabilities ---- */

static void test_poisson_log_cdf_values(void **state)
{
        (void)state;
        /* e^-3.5 (1 + 3.5 + 3.5^2/2) */
        assert_close(exp(sw_ghost_poisson_log_cdf(2, 3.5)), 0.3208471988621341, 1e-13);
        assert_close(sw_ghost_poisson_log_cdf(0, 10.0), -10.0, 1e-12);
        assert_close(sw_ghost_poisson_log_cdf(0, 1e6), -1e6, 1e-6);
        /* Reference values from mpmath (40 digits), regularised upper gamma Q(k+1, mu). */
        assert_rel(exp(sw_ghost_poisson_log_cdf(15, 10.0)), 0.9512595966960213, 1e-12);
        assert_rel(sw_ghost_poisson_log_cdf(1000000, 1e6), -0.6926153990082546, 1e-8);
        assert_rel(sw_ghost_poisson_log_cdf(900000, 1e6), -5181.007426488246, 1e-10);
        assert_rel(sw_ghost_poisson_log_cdf(300000, 1e6), -338815.0267355753, 1e-11);
        /* Largest run sum the detector can see: 65535 x 28 units, far above the mean. */
        assert_close(sw_ghost_poisson_log_cdf(65535u * 28u, 1e6), 0.0, 1e-12);
        assert_close(sw_ghost_poisson_log_cdf(7, 0.0), 0.0, 0);
        assert_true(isnan(sw_ghost_poisson_log_cdf(1, -1.0)));
        assert_true(isnan(sw_ghost_poisson_log_cdf(1, NAN)));
}

static void test_negbin_log_cdf_values(void **state)
{
        (void)state;
        /* r = 1 is geometric: P(S <= k) = 1 - (1 - q)^(k+1), q = r / (r + mean) = 0.2. */
        assert_close(exp(sw_ghost_negbin_log_cdf(2, 4.0, 1.0)), 1.0 - 0.8 * 0.8 * 0.8, 1e-13);
        /* P(S = 0) = q^r. */
        assert_close(sw_ghost_negbin_log_cdf(0, 10.0, 2.5), 2.5 * log(2.5 / 12.5), 1e-12);
        /* Reference values from mpmath, I_x(r, k + 1). */
        assert_rel(exp(sw_ghost_negbin_log_cdf(5, 20.0, 2.0)), 0.1276311990077985, 1e-12);
        assert_rel(exp(sw_ghost_negbin_log_cdf(30, 20.0, 2.0)), 0.8010777488719785, 1e-12);
        assert_rel(sw_ghost_negbin_log_cdf(1000, 1e5, 3.0), -12.32801284008036, 1e-9);
        assert_rel(sw_ghost_negbin_log_cdf(0, 1e6, 0.5), -7.254329119262047, 1e-10);
        assert_rel(sw_ghost_negbin_log_cdf(500000, 1e6, 200.0), -41.50427786482068, 1e-8);
        assert_rel(exp(sw_ghost_negbin_log_cdf(1500000, 1e6, 200.0)), 0.9999999996617436, 1e-12);
        /* Huge size: Poisson. */
        assert_close(sw_ghost_negbin_log_cdf(0, 10.0, 1e12), -10.0, 1e-12);
        assert_true(isnan(sw_ghost_negbin_log_cdf(0, 10.0, 0.0)));
        assert_true(isnan(sw_ghost_negbin_log_cdf(0, -1.0, 1.0)));
}

/* ---- poisson mode ---- */

static void test_fast_mover_one_empty_day(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(29, 10);
        struct sw_ghost_result r;
        (void)state;

        sales[28] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_true(r.flagged);
        assert_false(r.sales_resumed);
        assert_true(r.forecast_available);
        assert_int_equal(r.run_days, 1);
        assert_int_equal(r.baseline_days, 28);
        assert_int_equal(r.observed_units, 0);
        assert_close(r.expected_units, 10.0, 1e-9);
        assert_int_equal(r.model, SW_GHOST_MODEL_POISSON);
        assert_close(r.dispersion, 0.0, 0);
        assert_rel(r.p_value, exp(-10.0), 1e-8);
        assert_close(r.score, 10.0 / log(10.0), 1e-8);
        double prob = 0.02 / (0.02 + 0.98 * exp(-10.0));
        assert_close(r.probability, prob, 1e-9);
        assert_int_equal(r.severity, SW_SEVERITY_CRITICAL);
        assert_close(r.value, 30.0, 1e-12);
        assert_close(r.priority, prob * 30.0, 1e-9);
}

static void test_slow_mover_three_quiet_days(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(60, 0);
        struct sw_ghost_result r;
        (void)state;

        /* 0.2 a day: one unit every fifth day, the last on D-4, then three zero days. */
        for (int i = 56; i >= 0; i -= 5)
                sales[i] = 1;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 3);
        assert_true(r.expected_units > 0.3 && r.expected_units < 1.2);
        assert_true(r.p_value > 0.3);
        assert_false(r.flagged);
        assert_int_equal(r.severity, SW_SEVERITY_INFO);

        /* Same with an exact pushed 0.2 a day: p = e^-0.6. */
        for (int i = 0; i < 60; i++)
                pushed[i] = 0.2;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 3);
        assert_close(r.expected_units, 0.6, 1e-12);
        assert_rel(r.p_value, exp(-0.6), 1e-12);
        assert_close(r.probability, 0.02 / (0.02 + 0.98 * exp(-0.6)), 1e-12);
        assert_false(r.flagged);
}

static void test_slow_mover_long_quiet_run(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(60, 0);
        struct sw_ghost_result r;
        (void)state;

        /* 0.2 a day pushed, 28 quiet days (the cap): p = e^-5.6 = 0.0037 <= 0.01. */
        for (int i = 0; i < 60; i++)
                pushed[i] = 0.2;
        sales[31] = 1;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 28);
        assert_rel(r.p_value, exp(-5.6), 1e-12);
        assert_true(r.flagged);
        /* pi / (pi + (1 - pi) p) = 0.02 / (0.02 + 0.98 * 0.0036979) = 0.8466: warning. */
        assert_close(r.probability, 0.02 / (0.02 + 0.98 * exp(-5.6)), 1e-12);
        assert_int_equal(r.severity, SW_SEVERITY_WARNING);
}

static void test_low_day_with_some_sales(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(29, 10);
        struct sw_ghost_result r;
        (void)state;

        /* 3 of 10 expected is low (floor(0.3 * 10) = 3), 4 is not. */
        sales[28] = 3;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 1);
        assert_int_equal(r.observed_units, 3);
        /* e^-10 (1 + 10 + 50 + 1000/6) = 0.0103 > alpha = 0.01: not flagged. */
        assert_rel(r.p_value, exp(-10.0) * (61.0 + 1000.0 / 6.0), 1e-8);
        assert_false(r.flagged);
        assert_false(r.sales_resumed);
        /* 2 units: e^-10 * 61 = 0.00277: flagged. */
        sales[28] = 2;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_rel(r.p_value, exp(-10.0) * 61.0, 1e-8);
        assert_true(r.flagged);
        sales[28] = 4;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 0);
        assert_true(r.sales_resumed);
        assert_false(r.flagged);
}

static void test_sales_resumed(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(35, 10);
        struct sw_ghost_result r;
        (void)state;

        /* A week of nothing, then D-1 sells 8 again. */
        for (int i = 27; i < 34; i++)
                sales[i] = 0;
        sales[34] = 8;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_true(r.sales_resumed);
        assert_false(r.flagged);
        assert_int_equal(r.run_days, 0);
        assert_int_equal(r.model, SW_GHOST_MODEL_NONE);
        assert_close(r.p_value, 1.0, 0);
        assert_close(r.score, 0.0, 0);
        assert_close(r.probability, 0.02, 1e-15); /* the prior: no evidence */
        assert_int_equal(r.severity, SW_SEVERITY_INFO);

        /* Still quiet on D-1: not resumed. */
        sales[34] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.sales_resumed);
        assert_true(r.flagged);
}

static void test_baseline_excludes_run(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(35, 10);
        struct sw_ghost_result r;
        (void)state;

        /* 28 days of 10 then 7 empty days: the expectation stays 10 a day. */
        for (int i = 28; i < 35; i++)
                sales[i] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 7);
        assert_int_equal(r.baseline_days, 28);
        assert_close(r.expected_units, 70.0, 1e-8);
        assert_close(r.score, 70.0 / log(10.0), 1e-6);
        assert_true(r.flagged);
}

static void test_max_run_cap(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(40, 10);
        struct sw_ghost_result r;
        (void)state;

        p.max_run_days = 5;
        for (int i = 30; i < 40; i++)
                sales[i] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 5);
        /* The baseline is everything before the capped run, including 5 of the zero
         * days: the expectation sinks below 10 a day (a documented, conservative limit). */
        assert_int_equal(r.baseline_days, 35);
        assert_true(r.expected_units > 25.0 && r.expected_units < 50.0);
        assert_true(r.flagged);
}

/* 28 days of 0, 20, 0, 20, .. (phi = 0.9 with flat weights), then one empty day. */
static struct sw_ghost_input overdispersed_input(void)
{
        struct sw_ghost_input in = make_input(29, 0);
        for (int i = 0; i < 28; i++)
                sales[i] = (i % 2) ? 20 : 0;
        sales[28] = 0;
        return in;
}

static void test_negbin_chosen_when_overdispersed(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = overdispersed_input();
        struct sw_ghost_result r;
        (void)state;

        p.forecast.half_life_days = INFINITY;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 1);
        assert_int_equal(r.model, SW_GHOST_MODEL_NEGBIN);
        assert_close(r.dispersion, 0.9, 1e-12);
        assert_close(r.expected_units, 10.0, 1e-12);
        /* One day: r = 1/phi, P(0) = (1 + phi mu)^(-1/phi) = 10^(-1/0.9) = 0.0774. */
        assert_rel(r.p_value, pow(10.0, -1.0 / 0.9), 1e-10);
        assert_false(r.flagged); /* a Poisson test would say e^-10 and flag */

        /* Raise the threshold above phi: Poisson, flagged. */
        p.overdispersion_threshold = 1.0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.model, SW_GHOST_MODEL_POISSON);
        assert_rel(r.p_value, exp(-10.0), 1e-9);
        assert_true(r.flagged);
}

static void test_negbin_sum_moment_matching(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = overdispersed_input();
        struct sw_ghost_result r;
        (void)state;

        /* Run of 2 days with pushed 10 and 30: M = 40, sum mu^2 = 1000,
         * r = M^2 / (phi * 1000) = 1600 / 900, P(0) = (r / (r + M))^r. */
        p.forecast.half_life_days = INFINITY;
        in = make_input(30, 0);
        for (int i = 0; i < 28; i++)
                sales[i] = (i % 2) ? 20 : 0;
        pushed[28] = 10.0;
        pushed[29] = 30.0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 2);
        assert_int_equal(r.model, SW_GHOST_MODEL_NEGBIN);
        double size = 1600.0 / 900.0;
        assert_rel(r.p_value, pow(size / (size + 40.0), size), 1e-10);
}

static void test_pushed_precedence(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(29, 10);
        struct sw_ghost_result r;
        (void)state;

        sales[28] = 0;
        pushed[28] = 1.0; /* the planner expects 1 unit, not the local 10 */
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 1);
        assert_close(r.expected_units, 1.0, 0);
        assert_rel(r.p_value, exp(-1.0), 1e-12);
        assert_false(r.flagged);

        pushed[28] = NAN; /* no pushed value: the local forecast */
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_close(r.expected_units, 10.0, 1e-9);
        assert_true(r.flagged);

        in.pushed = NULL; /* no pushed array at all */
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_true(r.flagged);
}

static void test_pushed_only_without_history(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(3, 10);
        struct sw_ghost_result r;
        (void)state;

        /* Three days of data, too few for a local model, but the planner pushed 10/day. */
        for (int i = 0; i < 3; i++)
                pushed[i] = 10.0;
        sales[2] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 1);
        assert_int_equal(r.baseline_days, 0);
        assert_int_equal(r.model, SW_GHOST_MODEL_POISSON);
        assert_rel(r.p_value, exp(-10.0), 1e-12);
        assert_true(r.flagged);
}

static void test_not_enough_history(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(10, 10);
        struct sw_ghost_result r;
        (void)state;

        for (int i = 5; i < 10; i++)
                sales[i] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.flagged);
        assert_false(r.forecast_available);
        assert_int_equal(r.run_days, 0);
        assert_false(r.sales_resumed);

        /* 14 days, the last empty: 13 days before it, one short of min_history_days. */
        in = make_input(14, 10);
        sales[13] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.flagged);
        assert_false(r.forecast_available);
        /* One more day of history and it is a fast mover with an empty day. */
        in = make_input(15, 10);
        sales[14] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_true(r.flagged);
        assert_int_equal(r.baseline_days, 14);
}

static void test_unknown_days_are_not_zero(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(40, 0);
        struct sw_ghost_result r;
        (void)state;

        /* The SKU appeared 20 days ago: indexes 0..19 are unknown (zeros in the array). */
        in.history_days_available = 20;
        for (int i = 20; i < 39; i++)
                sales[i] = 10;
        sales[39] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.baseline_days, 19);
        assert_close(r.expected_units, 10.0, 1e-9); /* zeros would have halved it */
        assert_true(r.flagged);

        /* A run cannot reach into unknown days. */
        in = make_input(30, 0);
        in.history_days_available = 5;
        for (int i = 0; i < 30; i++)
                pushed[i] = 1.0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 5);
        assert_rel(r.p_value, exp(-5.0), 1e-12);
}

static void test_on_hand_and_value(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(29, 10);
        struct sw_ghost_result r;
        (void)state;

        sales[28] = 0;
        in.on_hand = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.flagged);
        assert_close(r.value, 0.0, 0);
        in.on_hand = -3;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.flagged);
        assert_close(r.value, 0.0, 0);
        in.on_hand = 4;
        in.price = 0.0; /* unknown price: flagged, but ranks last */
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_true(r.flagged);
        assert_close(r.value, 0.0, 0);
        assert_close(r.priority, 0.0, 0);
}

static void test_extreme_counts(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(56, 65535);
        struct sw_ghost_result r;
        (void)state;

        /* 28 days at the uint16 maximum, then 28 days at 19000 (< 0.3 * 65535). */
        for (int i = 28; i < 56; i++)
                sales[i] = 19000;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 28);
        assert_int_equal(r.observed_units, 28u * 19000u);
        assert_close(r.expected_units, 28.0 * 65535.0, 1e-3);
        assert_true(isfinite(r.score) && r.score > 1e5);
        assert_true(r.p_value >= 0.0 && r.p_value < 1e-300);
        assert_close(r.probability, 1.0, 1e-12);
        assert_true(r.flagged);
}

/* ---- seed mode ---- */

/* Pushed 10 a day for 20 days, the last `low` days selling 2 (ratio 0.2). */
static struct sw_ghost_input seed_input(int low)
{
        struct sw_ghost_input in = make_input(20, 10);
        for (int i = 0; i < 20; i++)
                pushed[i] = 10.0;
        for (int i = 20 - low; i < 20; i++)
                sales[i] = 2;
        return in;
}

static void test_seed_two_vs_three_low_days(void **state)
{
        struct sw_ghost_params p = seed_params();
        struct sw_ghost_input in = seed_input(2);
        struct sw_ghost_result r;
        (void)state;

        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 2);
        assert_false(r.flagged);
        assert_close(r.probability, 2.0 / 7.0, 1e-15);

        in = seed_input(3);
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 3);
        assert_true(r.flagged);
        assert_int_equal(r.model, SW_GHOST_MODEL_SEED);
        assert_close(r.probability, 3.0 / 7.0, 1e-15);
        assert_int_equal(r.severity, SW_SEVERITY_INFO);
        assert_close(r.value, 30.0, 0);
        assert_close(r.priority, 30.0 * 3.0 / 7.0, 1e-12);
        /* The run test is reported for information: P(S <= 6 | 30). */
        assert_rel(r.p_value, exp(sw_ghost_poisson_log_cdf(6, 30.0)), 1e-12);

        in.on_hand = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.flagged);
}

static void test_seed_ratio_boundary(void **state)
{
        struct sw_ghost_params p = seed_params();
        struct sw_ghost_input in = seed_input(3);
        struct sw_ghost_result r;
        (void)state;

        /* 3 / 10 = 0.3 is not < 0.3: the run is broken on the middle day. */
        sales[18] = 3;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 1);
        assert_false(r.flagged);
}

static void test_seed_probability_and_severity(void **state)
{
        struct sw_ghost_params p = seed_params();
        struct sw_ghost_input in = seed_input(5);
        struct sw_ghost_result r;
        (void)state;

        /* 5/7 = 0.714 > 0.7: warning. */
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_close(r.probability, 5.0 / 7.0, 1e-15);
        assert_int_equal(r.severity, SW_SEVERITY_WARNING);

        /* 10 low days, lookback 7: run 7, min(0.95, 7/7) = 0.95, never critical. */
        in = seed_input(10);
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 7);
        assert_close(r.probability, 0.95, 0);
        assert_int_equal(r.severity, SW_SEVERITY_WARNING);

        /* Exactly 0.7 is not > 0.7: info. Lookback 10, 7 low days. */
        p.seed_lookback_days = 10;
        in = seed_input(7);
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_close(r.probability, 0.7, 1e-15);
        assert_int_equal(r.severity, SW_SEVERITY_INFO);
        in = seed_input(8);
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.severity, SW_SEVERITY_WARNING);
}

static void test_seed_zero_forecast(void **state)
{
        struct sw_ghost_params p = seed_params();
        struct sw_ghost_input in = seed_input(5);
        struct sw_ghost_result r;
        (void)state;

        /* Forecast 0 on D-2 (store closed): no ratio, not a low day, it ends the run. */
        pushed[18] = 0.0;
        sales[18] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 1);
        assert_false(r.flagged);

        /* Forecast 0 and no sales on D-1: not low, but not "resumed" either. */
        in = seed_input(0);
        pushed[19] = 0.0;
        sales[19] = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_int_equal(r.run_days, 0);
        assert_false(r.sales_resumed);
}

static void test_seed_slow_mover_false_alarm(void **state)
{
        struct sw_ghost_params p = seed_params();
        struct sw_ghost_input in = make_input(20, 0);
        struct sw_ghost_result r;
        (void)state;

        /* Why the seed rule is not calibrated: 0.2/day pushed, 3 zero days is normal
         * (p = e^-0.6 = 0.55) and the seed rule flags it anyway. */
        for (int i = 0; i < 20; i++)
                pushed[i] = 0.2;
        sales[16] = 1;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_true(r.flagged);
        assert_rel(r.p_value, exp(-0.6), 1e-12);
        p.mode = SW_GHOST_MODE_POISSON;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), 0);
        assert_false(r.flagged);
}

/* ---- params, names, errors ---- */

/* Skipping the baseline of a SKU without a run changes no verdict: over random SKUs (both
 * modes, pushed forecasts or not, short histories), every field equals the full evaluation's
 * but baseline_days and dispersion, which read 0 when no run was found. */
static void test_skip_baseline_without_run(void **state)
{
        uint64_t rng = 99;
        int without_run = 0;
        (void)state;
        for (int k = 0; k < 20000; k++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                uint32_t n = 14 + (uint32_t)(rng >> 59) * 3, rate = (uint32_t)(rng >> 40) % 20;
                struct sw_ghost_input in = make_input(n, 0);
                struct sw_ghost_params p = (rng >> 20) % 3 == 0 ? seed_params() : poisson_params();
                for (uint32_t i = 0; i < n; i++) {
                        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                        sales[i] = (uint16_t)((rng >> 33) % (2 * rate + 1));
                        if ((rng >> 12) % 4 == 0 && i > n / 2)
                                sales[i] = 0;
                        pushed[i] = (rng >> 50) % 2 ? (double)rate : NAN;
                }
                in.history_days_available = n - (uint32_t)(rng >> 61);
                struct sw_ghost_result full, skipped;
                assert_int_equal(sw_ghost_evaluate(&p, &in, &full), 0);
                in.skip_baseline_without_run = true;
                assert_int_equal(sw_ghost_evaluate(&p, &in, &skipped), 0);
                if (full.run_days == 0) {
                        without_run++;
                        assert_int_equal(skipped.baseline_days, 0);
                        assert_true(skipped.dispersion == 0.0);
                } else {
                        assert_int_equal(skipped.baseline_days, full.baseline_days);
                        assert_true(skipped.dispersion == full.dispersion);
                }
                assert_int_equal(skipped.flagged, full.flagged);
                assert_int_equal(skipped.sales_resumed, full.sales_resumed);
                assert_int_equal(skipped.run_days, full.run_days);
                assert_int_equal(skipped.observed_units, full.observed_units);
                assert_true(skipped.expected_units == full.expected_units);
                assert_true(skipped.p_value == full.p_value && skipped.score == full.score);
                assert_int_equal(skipped.model, full.model);
                assert_true(skipped.probability == full.probability && skipped.value == full.value);
                assert_true(skipped.priority == full.priority);
                assert_int_equal(skipped.severity, full.severity);
        }
        assert_true(without_run > 1000 && without_run < 19000);
}

static void test_params_and_names(void **state)
{
        struct sw_ghost_params p;
        enum sw_ghost_mode mode;
        (void)state;

        sw_ghost_params_default(&p);
        assert_int_equal(p.mode, SW_GHOST_MODE_BAYES);
        assert_close(p.onset_rate, 0.002, 0);
        assert_close(p.min_probability, 0.95, 0);
        assert_close(p.false_alerts_per_day, 1.0, 0);
        assert_close(p.shelf_false_zero_rate, 0.05, 0);
        assert_close(p.alpha, 0.01, 0);
        assert_close(p.prior_rate, 0.02, 0);
        assert_close(p.low_ratio, 0.3, 0);
        assert_int_equal(p.max_run_days, 28);
        assert_close(p.overdispersion_threshold, 0.1, 0);
        assert_close(p.warning_probability, 0.7, 0);
        assert_close(p.critical_probability, 0.999, 0);
        assert_int_equal(p.seed_lookback_days, 7);
        assert_int_equal(p.seed_min_low_days, 3);
        assert_int_equal(p.forecast.min_history_days, 14);
        assert_int_equal(sw_ghost_params_validate(&p), 0);

        /* One field out of range on the defaults: refused. */
#define REFUSED(field, value)                                                                      \
        do {                                                                                       \
                sw_ghost_params_default(&p);                                                       \
                p.field = value;                                                                   \
                if (sw_ghost_params_validate(&p) != -EINVAL)                                       \
                        fail_msg("%s = %s not refused", #field, #value);                           \
        } while (0)
        REFUSED(alpha, 0);
        REFUSED(seed_min_low_days, 8);
        REFUSED(critical_probability, 0.5);
        REFUSED(max_run_days, 0);
        REFUSED(forecast.half_life_days, 0);
        REFUSED(onset_rate, 0.5);
        REFUSED(min_probability, 1.0);
        REFUSED(false_alerts_per_day, 0);
        REFUSED(shelf_false_zero_rate, 0);
#undef REFUSED
        /* bayes mode needs the store's pool: the per-SKU entry point refuses it. */
        {
                struct sw_ghost_input in = make_input(29, 10);
                struct sw_ghost_result r;
                sw_ghost_params_default(&p);
                assert_int_equal(sw_ghost_evaluate(&p, &in, &r), -EINVAL);
        }

        assert_string_equal(sw_ghost_mode_name(SW_GHOST_MODE_SEED), "seed");
        assert_string_equal(sw_ghost_mode_name(SW_GHOST_MODE_POISSON), "poisson");
        assert_string_equal(sw_ghost_mode_name(SW_GHOST_MODE_BAYES), "bayes");
        assert_int_equal(sw_ghost_mode_parse("bayes", &mode), 0);
        assert_int_equal(mode, SW_GHOST_MODE_BAYES);
        assert_string_equal(sw_ghost_model_name(SW_GHOST_MODEL_NB_MIXTURE), "nb_mixture");
        assert_string_equal(sw_ghost_model_name(SW_GHOST_MODEL_NEVER_SOLD), "never_sold");
        assert_null(sw_ghost_mode_name(SW_GHOST_MODE_COUNT));
        assert_int_equal(sw_ghost_mode_parse("seed", &mode), 0);
        assert_int_equal(mode, SW_GHOST_MODE_SEED);
        assert_int_equal(sw_ghost_mode_parse("poisson", &mode), 0);
        assert_int_equal(mode, SW_GHOST_MODE_POISSON);
        assert_int_equal(sw_ghost_mode_parse("Poisson", &mode), -EINVAL);
        assert_int_equal(sw_ghost_mode_parse(NULL, &mode), -EINVAL);
        assert_string_equal(sw_ghost_model_name(SW_GHOST_MODEL_NEGBIN), "negative_binomial");
        assert_null(sw_ghost_model_name(SW_GHOST_MODEL_COUNT));
}

static void test_invalid_input(void **state)
{
        struct sw_ghost_params p = poisson_params();
        struct sw_ghost_input in = make_input(29, 10);
        struct sw_ghost_result r = {.run_days = 77};
        (void)state;

        weekday[4] = 9;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), -EINVAL);
        assert_int_equal(r.run_days, 77); /* not written on failure */
        in = make_input(29, 10);
        in.n = 0;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), -EINVAL);
        in.n = 29;
        in.sales = NULL;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), -EINVAL);
        in = make_input(29, 10);
        assert_int_equal(sw_ghost_evaluate(NULL, &in, &r), -EINVAL);
        assert_int_equal(sw_ghost_evaluate(&p, &in, NULL), -EINVAL);
        p.mode = SW_GHOST_MODE_COUNT;
        assert_int_equal(sw_ghost_evaluate(&p, &in, &r), -EINVAL);
        assert_int_equal(r.run_days, 77);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_poisson_log_cdf_values),
        cmocka_unit_test(test_negbin_log_cdf_values),
        cmocka_unit_test(test_fast_mover_one_empty_day),
        cmocka_unit_test(test_slow_mover_three_quiet_days),
        cmocka_unit_test(test_slow_mover_long_quiet_run),
        cmocka_unit_test(test_low_day_with_some_sales),
        cmocka_unit_test(test_sales_resumed),
        cmocka_unit_test(test_baseline_excludes_run),
        cmocka_unit_test(test_max_run_cap),
        cmocka_unit_test(test_negbin_chosen_when_overdispersed),
        cmocka_unit_test(test_negbin_sum_moment_matching),
        cmocka_unit_test(test_pushed_precedence),
        cmocka_unit_test(test_pushed_only_without_history),
        cmocka_unit_test(test_not_enough_history),
        cmocka_unit_test(test_unknown_days_are_not_zero),
        cmocka_unit_test(test_on_hand_and_value),
        cmocka_unit_test(test_skip_baseline_without_run),
        cmocka_unit_test(test_extreme_counts),
        cmocka_unit_test(test_seed_two_vs_three_low_days),
        cmocka_unit_test(test_seed_ratio_boundary),
        cmocka_unit_test(test_seed_probability_and_severity),
        cmocka_unit_test(test_seed_zero_forecast),
        cmocka_unit_test(test_seed_slow_mover_false_alarm),
        cmocka_unit_test(test_params_and_names),
        cmocka_unit_test(test_invalid_input))
/* clang-format on */
