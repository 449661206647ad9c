/* Unit tests of the local forecast (core/forecast.c), against hand-computed values. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/forecast.h"
#include "tests/support/test_main.h"

#define MAX_DAYS 64

static uint16_t sales[MAX_DAYS];
static uint8_t weekday[MAX_DAYS];
static struct sw_forecast_params p; /* the params of the fits */
static struct sw_forecast_model m;  /* what a fit gave */

/* Day i falls on weekday i % 7 (day 0 a Monday). */
static void fill_weekdays(uint32_t n)
{
        for (uint32_t i = 0; i < n; i++)
                weekday[i] = (uint8_t)(i % 7);
}

/* Days 0 .. n-1 sell units each. */
static void fill_constant(uint32_t n, uint16_t units)
{
        for (uint32_t i = 0; i < n; i++)
                sales[i] = units;
}

/* Fits m to days 0 .. n-1 with p, which must succeed and see them all. */
static void fit(uint32_t n)
{
        assert_int_equal(sw_forecast_fit(&p, sales, weekday, n, &m), 0);
        assert_int_equal(m.days_used, n);
}

/* Each test starts from the default params, no sales, day i on weekday i % 7. */
static int setup(void **state)
{
        (void)state;
        sw_forecast_params_default(&p);
        memset(sales, 0, sizeof(sales));
        fill_weekdays(MAX_DAYS);
        memset(&m, 0, sizeof(m));
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        return 0;
}

static void assert_close(double got, double want, double tol)
{
        if (!(fabs(got - want) <= tol))
                fail_msg("got %.15g, want %.15g (tol %g)", got, want, tol);
}

static void test_defaults(void **state)
{
        (void)state;

        sw_forecast_params_default(&p);
        assert_int_equal(p.min_history_days, 14);
        assert_close(p.half_life_days, 14.0, 0);
        assert_close(p.weekday_pseudo_days, 2.0, 0);
        assert_int_equal(sw_forecast_params_validate(&p), 0);
}

static void test_params_validate(void **state)
{
        (void)state;

        sw_forecast_params_default(&p);
        p.half_life_days = 0;
        assert_int_equal(sw_forecast_params_validate(&p), -EINVAL);
        p.half_life_days = NAN;
        assert_int_equal(sw_forecast_params_validate(&p), -EINVAL);
        p.half_life_days = INFINITY; /* flat weights: allowed */
        assert_int_equal(sw_forecast_params_validate(&p), 0);
        p.weekday_pseudo_days = -1;
        assert_int_equal(sw_forecast_params_validate(&p), -EINVAL);
        sw_forecast_params_default(&p);
        p.min_history_days = 0;
        assert_int_equal(sw_forecast_params_validate(&p), -EINVAL);
        assert_int_equal(sw_forecast_params_validate(NULL), -EINVAL);
}

static void test_constant_series(void **state)
{
        (void)state;

        fill_constant(28, 5);
        fit(28);
        assert_true(m.valid);
        assert_close(m.level, 5.0, 1e-12);
        for (unsigned k = 0; k < 7; k++) {
                assert_close(m.weekday_factor[k], 1.0, 1e-12);
                assert_close(sw_forecast_expected(&m, k), 5.0, 1e-12);
        }
        /* sum((x-mu)^2 - mu) = -28 * 5 < 0: clamped to 0 (underdispersed = Poisson). */
        assert_close(m.dispersion, 0.0, 0);
        assert_true(isnan(sw_forecast_expected(&m, 7)));
}

/* Mon-Fri 10, Sat-Sun 20 over 4 weeks: mean m = 360/28. */
static void fill_weekend_pattern(void)
{
        fill_weekdays(28);
        for (int i = 0; i < 28; i++)
                sales[i] = weekday[i] >= 5 ? 20 : 10;
}

static void test_weekday_pattern_exact(void **state)
{
        (void)state;

        p.weekday_pseudo_days = 0; /* no shrinkage: factors are the raw ratios */
        fill_weekend_pattern();
        fit(28);
        assert_true(m.valid);
        /* f = 10 / (360/28) = 7/9 on weekdays, 14/9 at the weekend; mean 1. */
        assert_close(m.weekday_factor[0], 7.0 / 9.0, 1e-12);
        assert_close(m.weekday_factor[5], 14.0 / 9.0, 1e-12);
        /* Deseasonalised series is constant 360/28, whatever the weights. */
        assert_close(m.level, 360.0 / 28.0, 1e-9);
        assert_close(sw_forecast_expected(&m, 2), 10.0, 1e-9);
        assert_close(sw_forecast_expected(&m, 6), 20.0, 1e-9);
        assert_close(m.dispersion, 0.0, 0);
}

static void test_weekday_pattern_shrunk(void **state)
{
        (void)state;

        /* The default pseudo-count: 2 days. */
        fill_weekend_pattern();
        fit(28);
        /* Sat: (4*20 + 2m) / (4 + 2) / m with m = 360/28 -> 1.370370..; Mon: 0.851851.. */
        double mean = 360.0 / 28.0;
        double sat = (80.0 + 2.0 * mean) / 6.0 / mean;
        double mon = (40.0 + 2.0 * mean) / 6.0 / mean;
        assert_close(sat, 1.3703703703703, 1e-12);
        assert_close(m.weekday_factor[5], sat, 1e-12);
        assert_close(m.weekday_factor[6], sat, 1e-12);
        assert_close(m.weekday_factor[0], mon, 1e-12);
        double sum = 0;
        for (unsigned k = 0; k < 7; k++)
                sum += m.weekday_factor[k];
        assert_close(sum, 7.0, 1e-12);
}

static void test_factors_normalised_unbalanced(void **state)
{
        (void)state;

        /* 17 days: Mon..Wed appear 3 times, the rest twice; Mondays sell 30. */
        for (int i = 0; i < 17; i++)
                sales[i] = (uint16_t)(weekday[i] == 0 ? 30 : 3 + i % 4);
        fit(17);
        double sum = 0;
        for (unsigned k = 0; k < 7; k++)
                sum += m.weekday_factor[k];
        assert_close(sum / 7.0, 1.0, 1e-12);
        assert_true(m.weekday_factor[0] > 2.0);
}

static void test_half_life_weighting(void **state)
{
        (void)state;

        /* 14 days of 0 then 14 days of 10: every weekday has two 0s and two 10s -> f = 1. */
        for (int i = 0; i < 28; i++)
                sales[i] = i < 14 ? 0 : 10;
        fit(28);
        /* r = 2^(-1/14): 10 * sum_{a<14} r^a / sum_{a<28} r^a = 10 (1 - 1/2) / (1 - 1/4). */
        assert_close(m.level, 20.0 / 3.0, 1e-9);
        assert_close(m.weekday_factor[3], 1.0, 1e-12);

        p.half_life_days = INFINITY; /* flat weights: the plain mean */
        fit(28);
        assert_close(m.level, 5.0, 1e-12);

        p.half_life_days = 7; /* r^14 = 1/4: 10 (1 - 1/4) / (1 - 1/16) = 8 */
        fit(28);
        assert_close(m.level, 8.0, 1e-9);
}

static void test_dispersion_moments(void **state)
{
        (void)state;

        /* 0, 20, 0, 20, ...: mean 10, each weekday balanced; phi = (28*100 - 280) / 2800. */
        p.half_life_days = INFINITY;
        for (int i = 0; i < 28; i++)
                sales[i] = (i % 2) ? 20 : 0;
        fit(28);
        assert_close(m.level, 10.0, 1e-12);
        assert_close(m.dispersion, 0.9, 1e-12);
}

static void test_min_history(void **state)
{
        (void)state;

        fill_constant(14, 4);
        fit(13);
        assert_false(m.valid);
        assert_true(isnan(sw_forecast_expected(&m, 0)));
        fit(14);
        assert_true(m.valid);
        assert_close(sw_forecast_expected(&m, 0), 4.0, 1e-12);
        /* n == 0 is simply too little history. */
        fit(0);
        assert_false(m.valid);
}

static void test_all_zero_series(void **state)
{
        (void)state;

        memset(sales, 0, sizeof(sales));
        fit(20);
        assert_true(m.valid);
        assert_close(m.level, 0.0, 0);
        assert_close(m.weekday_factor[4], 1.0, 0);
        assert_close(m.dispersion, 0.0, 0);
}

static void test_invalid_arguments(void **state)
{
        (void)state;

        m.level = 42.0;
        weekday[3] = 7;
        assert_int_equal(sw_forecast_fit(&p, sales, weekday, 20, &m), -EINVAL);
        assert_close(m.level, 42.0, 0); /* not written on failure */
        fill_weekdays(20);
        assert_int_equal(sw_forecast_fit(NULL, sales, weekday, 20, &m), -EINVAL);
        assert_int_equal(sw_forecast_fit(&p, NULL, weekday, 20, &m), -EINVAL);
        assert_int_equal(sw_forecast_fit(&p, sales, weekday, 20, NULL), -EINVAL);
        p.half_life_days = -1;
        assert_int_equal(sw_forecast_fit(&p, sales, weekday, 20, &m), -EINVAL);
        assert_true(isnan(sw_forecast_expected(NULL, 0)));
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_defaults),
        SW_TEST_FRESH(test_params_validate),
        SW_TEST_FRESH(test_constant_series),
        SW_TEST_FRESH(test_weekday_pattern_exact),
        SW_TEST_FRESH(test_weekday_pattern_shrunk),
        SW_TEST_FRESH(test_factors_normalised_unbalanced),
        SW_TEST_FRESH(test_half_life_weighting),
        SW_TEST_FRESH(test_dispersion_moments),
        SW_TEST_FRESH(test_min_history),
        SW_TEST_FRESH(test_all_zero_series),
        SW_TEST_FRESH(test_invalid_arguments))
/* clang-format on */
