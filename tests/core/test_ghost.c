/* Unit tests of the ghost-stock detector (core/ghost.c), against hand-computed values. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/ghost.h"
#include "tests/core/numeric_support.h"
#include "tests/support/test_main.h"

#define MAX_DAYS 128

static uint16_t sales[MAX_DAYS];
static double pushed[MAX_DAYS];
static uint8_t weekday[MAX_DAYS];

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

/* Days [from, to) sell `units` / have `forecast` pushed. */
static void set_sales(int from, int to, uint16_t units)
{
        for (int i = from; i < to; i++)
                sales[i] = units;
}

static void set_pushed(int from, int to, double forecast)
{
        for (int i = from; i < to; i++)
                pushed[i] = forecast;
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

/* ---- one checked value: exact, within a tolerance, or within bounds ---- */

enum how { UNCHECKED, EXACT, ABS_TOL, REL_TOL, ABOVE, OPEN, HALF_OPEN, IS_NAN };

struct check {
        enum how how;
        double a, b;
};

static struct check is(double v) /* got == v (integers, booleans, enums) */
{
        return (struct check){EXACT, v, 0};
}

static struct check near(double v, double tol) /* |got - v| <= tol */
{
        return (struct check){ABS_TOL, v, tol};
}

static struct check rel(double v, double tol) /* |got - v| <= tol |v| */
{
        return (struct check){REL_TOL, v, tol};
}

static struct check more_than(double lo) /* got > lo */
{
        return (struct check){ABOVE, lo, 0};
}

static struct check between(double lo, double hi) /* lo < got < hi */
{
        return (struct check){OPEN, lo, hi};
}

static struct check from_under(double lo, double hi) /* lo <= got < hi */
{
        return (struct check){HALF_OPEN, lo, hi};
}

#define YES          is(1)
#define NO           is(0)
#define NOT_A_NUMBER ((struct check){IS_NAN, 0, 0})

static bool check_holds(struct check c, double got)
{
        switch (c.how) {
        case EXACT:
                return got == c.a;
        case ABS_TOL:
                return fabs(got - c.a) <= c.b;
        case REL_TOL:
                return fabs(got - c.a) <= c.b * fabs(c.a);
        case ABOVE:
                return got > c.a;
        case OPEN:
                return got > c.a && got < c.b;
        case HALF_OPEN:
                return got >= c.a && got < c.b;
        case IS_NAN:
                return isnan(got);
        default:
                return true;
        }
}

/* Fail, naming the case and the value, unless the check holds. */
static void check_value(const char *name, const char *what, struct check c, double got)
{
        static const char *const hows[] = {"unchecked", "==",      "abs tol",      "rel tol",
                                           ">",         "in open", "in half-open", "NaN"};
        if (!check_holds(c, got))
                fail_msg("%s: %s got %.15g, want %s %.15g, %g", name, what, got, hows[c.how], c.a,
                         c.b);
}

/* ---- the result's fields, each checked by name ---- */

#define GHOST_FIELDS(X)                                                                            \
        X(flagged)                                                                                 \
        X(sales_resumed)                                                                           \
        X(forecast_available)                                                                      \
        X(run_days)                                                                                \
        X(baseline_days)                                                                           \
        X(observed_units)                                                                          \
        X(expected_units)                                                                          \
        X(p_value)                                                                                 \
        X(score)                                                                                   \
        X(model)                                                                                   \
        X(dispersion)                                                                              \
        X(probability)                                                                             \
        X(value)                                                                                   \
        X(priority)                                                                                \
        X(severity)

#define FIELD_ENUM(f) F_##f,
enum field { GHOST_FIELDS(FIELD_ENUM) FIELD_COUNT };
#undef FIELD_ENUM

#define FIELD_NAME(f) #f,
static const char *const field_names[FIELD_COUNT] = {GHOST_FIELDS(FIELD_NAME)};
#undef FIELD_NAME

static double field_value(const struct sw_ghost_result *r, enum field f)
{
        switch (f) {
#define FIELD_CASE(f)                                                                              \
        case F_##f:                                                                                \
                return (double)r->f;
                GHOST_FIELDS(FIELD_CASE)
#undef FIELD_CASE
        default:
                return NAN;
        }
}

/* A case: its name and the fields it checks (the others are left unchecked). */
struct want {
        const char *name;
        struct check field[FIELD_COUNT];
};

/* The case under test: its params and input, set by begin() and changed by each test. */
static struct {
        struct sw_ghost_params p;
        struct sw_ghost_input in;
} fx;

static void begin(struct sw_ghost_params p, struct sw_ghost_input in)
{
        fx.p = p;
        fx.in = in;
}

/* begin() with n days selling `units`, of which the last `run` days sell `run_units`. */
static void begin_run(struct sw_ghost_params p, uint32_t n, uint16_t units, uint32_t run,
                      uint16_t run_units)
{
        begin(p, make_input(n, units));
        set_sales((int)(n - run), (int)n, run_units);
}

/* The fast mover several poisson tests start from: 28 days selling 10, then D-1 selling d1. */
static void begin_fast_mover(uint16_t d1)
{
        begin_run(poisson_params(), 29, 10, 1, d1);
}

/* Nothing sold for n days but one unit on `sold_day`, with `forecast` pushed for every day. */
static void begin_pushed_quiet(struct sw_ghost_params p, uint32_t n, double forecast, int sold_day)
{
        begin(p, make_input(n, 0));
        set_pushed(0, (int)n, forecast);
        sales[sold_day] = 1;
}

/* Evaluate the case and check every field it names; a failure says the case and the field. */
static void expect_ghost(const struct want *w)
{
        struct sw_ghost_result r;
        int rc = sw_ghost_evaluate(&fx.p, &fx.in, &r);
        if (rc != 0)
                fail_msg("%s: sw_ghost_evaluate returned %d", w->name, rc);
        for (int f = 0; f < FIELD_COUNT; f++)
                check_value(w->name, field_names[f], w->field[f], field_value(&r, (enum field)f));
}

/* ---- tail probabilities ---- */

enum family { POISSON, NEGBIN };

/* ln P(S <= k), or P(S <= k) itself where `linear` is set. */
struct cdf_case {
        enum family family;
        uint64_t k;
        double mean, size;
        bool linear;
        struct check want;
};

/* Walk the rows of one family: every row of that family is evaluated and checked. */
static void walk_cdf_cases(enum family family)
{
        const struct cdf_case cases[] = {
            /* e^-3.5 (1 + 3.5 + 3.5^2/2) */
            {POISSON, 2, 3.5, 0, true, near(0.3208471988621341, 1e-13)},
            {POISSON, 0, 10.0, 0, false, near(-10.0, 1e-12)},
            {POISSON, 0, 1e6, 0, false, near(-1e6, 1e-6)},
            /* Reference values from mpmath (40 digits), regularised upper gamma Q(k+1, mu). */
            {POISSON, 15, 10.0, 0, true, rel(0.9512595966960213, 1e-12)},
            {POISSON, 1000000, 1e6, 0, false, rel(-0.6926153990082546, 1e-8)},
            {POISSON, 900000, 1e6, 0, false, rel(-5181.007426488246, 1e-10)},
            {POISSON, 300000, 1e6, 0, false, rel(-338815.0267355753, 1e-11)},
            /* Largest run sum the detector can see: 65535 x 28 units, far above the mean. */
            {POISSON, 65535u * 28u, 1e6, 0, false, near(0.0, 1e-12)},
            {POISSON, 7, 0.0, 0, false, near(0.0, 0)},
            {POISSON, 1, -1.0, 0, false, NOT_A_NUMBER},
            {POISSON, 1, NAN, 0, false, NOT_A_NUMBER},
            /* r = 1 is geometric: P(S <= k) = 1 - (1 - q)^(k+1), q = r / (r + mean) = 0.2. */
            {NEGBIN, 2, 4.0, 1.0, true, near(1.0 - 0.8 * 0.8 * 0.8, 1e-13)},
            /* P(S = 0) = q^r. */
            {NEGBIN, 0, 10.0, 2.5, false, near(2.5 * log(2.5 / 12.5), 1e-12)},
            /* Reference values from mpmath, I_x(r, k + 1). */
            {NEGBIN, 5, 20.0, 2.0, true, rel(0.1276311990077985, 1e-12)},
            {NEGBIN, 30, 20.0, 2.0, true, rel(0.8010777488719785, 1e-12)},
            {NEGBIN, 1000, 1e5, 3.0, false, rel(-12.32801284008036, 1e-9)},
            {NEGBIN, 0, 1e6, 0.5, false, rel(-7.254329119262047, 1e-10)},
            {NEGBIN, 500000, 1e6, 200.0, false, rel(-41.50427786482068, 1e-8)},
            {NEGBIN, 1500000, 1e6, 200.0, true, rel(0.9999999996617436, 1e-12)},
            /* Huge size: Poisson. */
            {NEGBIN, 0, 10.0, 1e12, false, near(-10.0, 1e-12)},
            {NEGBIN, 0, 10.0, 0.0, false, NOT_A_NUMBER},
            {NEGBIN, 0, -1.0, 1.0, false, NOT_A_NUMBER},
        };
        int walked = 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                const struct cdf_case *c = &cases[i];
                char name[96];
                if (c->family != family)
                        continue;
                double got = family == POISSON ? sw_ghost_poisson_log_cdf(c->k, c->mean)
                                               : sw_ghost_negbin_log_cdf(c->k, c->mean, c->size);
                snprintf(name, sizeof name, "row %zu (k %llu, mean %g, size %g)", i,
                         (unsigned long long)c->k, c->mean, c->size);
                check_value(name, c->linear ? "P(S <= k)" : "ln P(S <= k)", c->want,
                            c->linear ? exp(got) : got);
                walked++;
        }
        assert_int_equal(walked, 11); /* each family has 11 rows */
}

static void test_poisson_log_cdf_values(void **state)
{
        (void)state;
        walk_cdf_cases(POISSON);
}

static void test_negbin_log_cdf_values(void **state)
{
        (void)state;
        walk_cdf_cases(NEGBIN);
}

/* ---- poisson mode ---- */

static void test_fast_mover_one_empty_day(void **state)
{
        double prob = 0.02 / (0.02 + 0.98 * exp(-10.0));
        (void)state;
        begin_fast_mover(0);

        expect_ghost(&(struct want){"fast mover, one empty day",
                                    {[F_flagged] = YES,
                                     [F_sales_resumed] = NO,
                                     [F_forecast_available] = YES,
                                     [F_run_days] = is(1),
                                     [F_baseline_days] = is(28),
                                     [F_observed_units] = is(0),
                                     [F_expected_units] = near(10.0, 1e-9),
                                     [F_model] = is(SW_GHOST_MODEL_POISSON),
                                     [F_dispersion] = near(0.0, 0),
                                     [F_p_value] = rel(exp(-10.0), 1e-8),
                                     [F_score] = near(10.0 / log(10.0), 1e-8),
                                     [F_probability] = near(prob, 1e-9),
                                     [F_severity] = is(SW_SEVERITY_CRITICAL),
                                     [F_value] = near(30.0, 1e-12),
                                     [F_priority] = near(prob * 30.0, 1e-9)}});
}

static void test_slow_mover_three_quiet_days(void **state)
{
        (void)state;
        begin(poisson_params(), make_input(60, 0));

        /* 0.2 a day: one unit every fifth day, the last on D-4, then three zero days. */
        for (int i = 56; i >= 0; i -= 5)
                sales[i] = 1;
        expect_ghost(&(struct want){"slow mover, local forecast",
                                    {[F_run_days] = is(3),
                                     [F_expected_units] = between(0.3, 1.2),
                                     [F_p_value] = more_than(0.3),
                                     [F_flagged] = NO,
                                     [F_severity] = is(SW_SEVERITY_INFO)}});

        /* Same with an exact pushed 0.2 a day: p = e^-0.6. */
        set_pushed(0, 60, 0.2);
        expect_ghost(
            &(struct want){"slow mover, pushed 0.2 a day",
                           {[F_run_days] = is(3),
                            [F_expected_units] = near(0.6, 1e-12),
                            [F_p_value] = rel(exp(-0.6), 1e-12),
                            [F_probability] = near(0.02 / (0.02 + 0.98 * exp(-0.6)), 1e-12),
                            [F_flagged] = NO}});
}

static void test_slow_mover_long_quiet_run(void **state)
{
        (void)state;

        /* 0.2 a day pushed, 28 quiet days (the cap): p = e^-5.6 = 0.0037 <= 0.01.
         * pi / (pi + (1 - pi) p) = 0.02 / (0.02 + 0.98 * 0.0036979) = 0.8466: warning. */
        begin_pushed_quiet(poisson_params(), 60, 0.2, 31);
        expect_ghost(
            &(struct want){"slow mover, 28 quiet days",
                           {[F_run_days] = is(28),
                            [F_p_value] = rel(exp(-5.6), 1e-12),
                            [F_flagged] = YES,
                            [F_probability] = near(0.02 / (0.02 + 0.98 * exp(-5.6)), 1e-12),
                            [F_severity] = is(SW_SEVERITY_WARNING)}});
}

static void test_low_day_with_some_sales(void **state)
{
        (void)state;

        /* 3 of 10 expected is low (floor(0.3 * 10) = 3), 4 is not.
         * e^-10 (1 + 10 + 50 + 1000/6) = 0.0103 > alpha = 0.01: not flagged. */
        begin_fast_mover(3);
        expect_ghost(&(struct want){"3 sold of 10",
                                    {[F_run_days] = is(1),
                                     [F_observed_units] = is(3),
                                     [F_p_value] = rel(exp(-10.0) * (61.0 + 1000.0 / 6.0), 1e-8),
                                     [F_flagged] = NO,
                                     [F_sales_resumed] = NO}});
        /* 2 units: e^-10 * 61 = 0.00277: flagged. */
        sales[28] = 2;
        expect_ghost(&(struct want){
            "2 sold of 10", {[F_p_value] = rel(exp(-10.0) * 61.0, 1e-8), [F_flagged] = YES}});
        sales[28] = 4;
        expect_ghost(&(struct want){
            "4 sold of 10", {[F_run_days] = is(0), [F_sales_resumed] = YES, [F_flagged] = NO}});
}

static void test_sales_resumed(void **state)
{
        (void)state;
        begin(poisson_params(), make_input(35, 10));

        /* A week of nothing, then D-1 sells 8 again. */
        set_sales(27, 34, 0);
        sales[34] = 8;
        expect_ghost(&(struct want){"D-1 sells 8 after a quiet week",
                                    {[F_sales_resumed] = YES,
                                     [F_flagged] = NO,
                                     [F_run_days] = is(0),
                                     [F_model] = is(SW_GHOST_MODEL_NONE),
                                     [F_p_value] = near(1.0, 0),
                                     [F_score] = near(0.0, 0),
                                     /* the prior: no evidence */
                                     [F_probability] = near(0.02, 1e-15),
                                     [F_severity] = is(SW_SEVERITY_INFO)}});

        /* Still quiet on D-1: not resumed. */
        sales[34] = 0;
        expect_ghost(
            &(struct want){"D-1 still quiet", {[F_sales_resumed] = NO, [F_flagged] = YES}});
}

static void test_baseline_excludes_run(void **state)
{
        (void)state;

        /* 28 days of 10 then 7 empty days: the expectation stays 10 a day. */
        begin_run(poisson_params(), 35, 10, 7, 0);
        expect_ghost(&(struct want){"7 empty days after 28 of 10",
                                    {[F_run_days] = is(7),
                                     [F_baseline_days] = is(28),
                                     [F_expected_units] = near(70.0, 1e-8),
                                     [F_score] = near(70.0 / log(10.0), 1e-6),
                                     [F_flagged] = YES}});
}

static void test_max_run_cap(void **state)
{
        (void)state;

        /* The baseline is everything before the capped run, including 5 of the zero
         * days: the expectation sinks below 10 a day (a documented, conservative limit). */
        begin_run(poisson_params(), 40, 10, 10, 0);
        fx.p.max_run_days = 5;
        expect_ghost(&(struct want){"10 empty days, run capped at 5",
                                    {[F_run_days] = is(5),
                                     [F_baseline_days] = is(35),
                                     [F_expected_units] = between(25.0, 50.0),
                                     [F_flagged] = YES}});
}

/* 28 days of 0, 20, 0, 20, .. (phi = 0.9 with flat weights), then n - 28 more days. */
static struct sw_ghost_input overdispersed_input(uint32_t n)
{
        struct sw_ghost_input in = make_input(n, 0);
        for (int i = 0; i < 28; i++)
                sales[i] = (i % 2) ? 20 : 0;
        return in;
}

static void test_negbin_chosen_when_overdispersed(void **state)
{
        (void)state;
        begin(poisson_params(), overdispersed_input(29));

        /* One empty day: r = 1/phi, P(0) = (1 + phi mu)^(-1/phi) = 10^(-1/0.9) = 0.0774;
         * a Poisson test would say e^-10 and flag. */
        fx.p.forecast.half_life_days = INFINITY;
        expect_ghost(&(struct want){"overdispersed, negative binomial",
                                    {[F_run_days] = is(1),
                                     [F_model] = is(SW_GHOST_MODEL_NEGBIN),
                                     [F_dispersion] = near(0.9, 1e-12),
                                     [F_expected_units] = near(10.0, 1e-12),
                                     [F_p_value] = rel(pow(10.0, -1.0 / 0.9), 1e-10),
                                     [F_flagged] = NO}});

        /* Raise the threshold above phi: Poisson, flagged. */
        fx.p.overdispersion_threshold = 1.0;
        expect_ghost(&(struct want){"threshold above phi, poisson",
                                    {[F_model] = is(SW_GHOST_MODEL_POISSON),
                                     [F_p_value] = rel(exp(-10.0), 1e-9),
                                     [F_flagged] = YES}});
}

static void test_negbin_sum_moment_matching(void **state)
{
        double size = 1600.0 / 900.0;
        (void)state;
        begin(poisson_params(), overdispersed_input(30));

        /* Run of 2 days with pushed 10 and 30: M = 40, sum mu^2 = 1000,
         * r = M^2 / (phi * 1000) = 1600 / 900, P(0) = (r / (r + M))^r. */
        fx.p.forecast.half_life_days = INFINITY;
        pushed[28] = 10.0;
        pushed[29] = 30.0;
        expect_ghost(&(struct want){"two-day run, pushed 10 and 30",
                                    {[F_run_days] = is(2),
                                     [F_model] = is(SW_GHOST_MODEL_NEGBIN),
                                     [F_p_value] = rel(pow(size / (size + 40.0), size), 1e-10)}});
}

static void test_pushed_precedence(void **state)
{
        (void)state;
        begin_fast_mover(0);

        pushed[28] = 1.0; /* the planner expects 1 unit, not the local 10 */
        expect_ghost(&(struct want){"pushed 1 over local 10",
                                    {[F_run_days] = is(1),
                                     [F_expected_units] = near(1.0, 0),
                                     [F_p_value] = rel(exp(-1.0), 1e-12),
                                     [F_flagged] = NO}});

        pushed[28] = NAN; /* no pushed value: the local forecast */
        expect_ghost(&(struct want){"no pushed value",
                                    {[F_expected_units] = near(10.0, 1e-9), [F_flagged] = YES}});

        fx.in.pushed = NULL; /* no pushed array at all */
        expect_ghost(&(struct want){"no pushed array", {[F_flagged] = YES}});
}

static void test_pushed_only_without_history(void **state)
{
        (void)state;

        /* Three days of data, too few for a local model, but the planner pushed 10/day. */
        begin_run(poisson_params(), 3, 10, 1, 0);
        set_pushed(0, 3, 10.0);
        expect_ghost(&(struct want){"3 days, pushed 10 a day",
                                    {[F_run_days] = is(1),
                                     [F_baseline_days] = is(0),
                                     [F_model] = is(SW_GHOST_MODEL_POISSON),
                                     [F_p_value] = rel(exp(-10.0), 1e-12),
                                     [F_flagged] = YES}});
}

static void test_not_enough_history(void **state)
{
        (void)state;
        begin_run(poisson_params(), 10, 10, 5, 0);
        expect_ghost(&(struct want){"10 days, 5 empty",
                                    {[F_flagged] = NO,
                                     [F_forecast_available] = NO,
                                     [F_run_days] = is(0),
                                     [F_sales_resumed] = NO}});

        /* 14 days, the last empty: 13 days before it, one short of min_history_days. */
        begin_run(poisson_params(), 14, 10, 1, 0);
        expect_ghost(&(struct want){"13 days before the empty one",
                                    {[F_flagged] = NO, [F_forecast_available] = NO}});
        /* One more day of history and it is a fast mover with an empty day. */
        begin_run(poisson_params(), 15, 10, 1, 0);
        expect_ghost(&(struct want){"14 days before the empty one",
                                    {[F_flagged] = YES, [F_baseline_days] = is(14)}});
}

static void test_unknown_days_are_not_zero(void **state)
{
        (void)state;
        begin(poisson_params(), make_input(40, 0));

        /* The SKU appeared 20 days ago: indexes 0..19 are unknown (zeros in the array);
         * zeros would have halved the expectation. */
        fx.in.history_days_available = 20;
        set_sales(20, 39, 10);
        sales[39] = 0;
        expect_ghost(&(struct want){"20 days known of 40",
                                    {[F_baseline_days] = is(19),
                                     [F_expected_units] = near(10.0, 1e-9),
                                     [F_flagged] = YES}});

        /* A run cannot reach into unknown days. */
        fx.in = make_input(30, 0);
        fx.in.history_days_available = 5;
        set_pushed(0, 30, 1.0);
        expect_ghost(&(struct want){"run stops at the known days",
                                    {[F_run_days] = is(5), [F_p_value] = rel(exp(-5.0), 1e-12)}});
}

static void test_on_hand_and_value(void **state)
{
        (void)state;
        begin_fast_mover(0);

        fx.in.on_hand = 0;
        expect_ghost(&(struct want){"none on hand", {[F_flagged] = NO, [F_value] = near(0.0, 0)}});
        fx.in.on_hand = -3;
        expect_ghost(
            &(struct want){"negative on hand", {[F_flagged] = NO, [F_value] = near(0.0, 0)}});
        fx.in.on_hand = 4;
        fx.in.price = 0.0; /* unknown price: flagged, but ranks last */
        expect_ghost(&(struct want){
            "unknown price",
            {[F_flagged] = YES, [F_value] = near(0.0, 0), [F_priority] = near(0.0, 0)}});
}

static void test_extreme_counts(void **state)
{
        (void)state;

        /* 28 days at the uint16 maximum, then 28 days at 19000 (< 0.3 * 65535). */
        begin_run(poisson_params(), 56, 65535, 28, 19000);
        expect_ghost(&(struct want){"uint16 maximum, then 19000 a day",
                                    {[F_run_days] = is(28),
                                     [F_observed_units] = is(28u * 19000u),
                                     [F_expected_units] = near(28.0 * 65535.0, 1e-3),
                                     /* finite and above 1e5 */
                                     [F_score] = between(1e5, INFINITY),
                                     [F_p_value] = from_under(0.0, 1e-300),
                                     [F_probability] = near(1.0, 1e-12),
                                     [F_flagged] = YES}});
}

/* ---- seed mode ---- */

/* Pushed 10 a day for 20 days, the last `low` days selling 2 (ratio 0.2). */
static struct sw_ghost_input seed_input(int low)
{
        struct sw_ghost_input in = make_input(20, 10);
        set_pushed(0, 20, 10.0);
        set_sales(20 - low, 20, 2);
        return in;
}

static void test_seed_two_vs_three_low_days(void **state)
{
        (void)state;
        begin(seed_params(), seed_input(2));

        expect_ghost(&(struct want){
            "seed, 2 low days",
            {[F_run_days] = is(2), [F_flagged] = NO, [F_probability] = near(2.0 / 7.0, 1e-15)}});

        /* The run test is reported for information: P(S <= 6 | 30). */
        fx.in = seed_input(3);
        expect_ghost(
            &(struct want){"seed, 3 low days",
                           {[F_run_days] = is(3),
                            [F_flagged] = YES,
                            [F_model] = is(SW_GHOST_MODEL_SEED),
                            [F_probability] = near(3.0 / 7.0, 1e-15),
                            [F_severity] = is(SW_SEVERITY_INFO),
                            [F_value] = near(30.0, 0),
                            [F_priority] = near(30.0 * 3.0 / 7.0, 1e-12),
                            [F_p_value] = rel(exp(sw_ghost_poisson_log_cdf(6, 30.0)), 1e-12)}});

        fx.in.on_hand = 0;
        expect_ghost(&(struct want){"seed, none on hand", {[F_flagged] = NO}});
}

static void test_seed_ratio_boundary(void **state)
{
        (void)state;
        begin(seed_params(), seed_input(3));

        /* 3 / 10 = 0.3 is not < 0.3: the run is broken on the middle day. */
        sales[18] = 3;
        expect_ghost(&(struct want){"seed, ratio 0.3 breaks the run",
                                    {[F_run_days] = is(1), [F_flagged] = NO}});
}

static void test_seed_probability_and_severity(void **state)
{
        (void)state;
        begin(seed_params(), seed_input(5));

        /* 5/7 = 0.714 > 0.7: warning. */
        expect_ghost(&(struct want){
            "seed, 5 of 7 low",
            {[F_probability] = near(5.0 / 7.0, 1e-15), [F_severity] = is(SW_SEVERITY_WARNING)}});

        /* 10 low days, lookback 7: run 7, min(0.95, 7/7) = 0.95, never critical. */
        fx.in = seed_input(10);
        expect_ghost(&(struct want){"seed, 10 low, lookback 7",
                                    {[F_run_days] = is(7),
                                     [F_probability] = near(0.95, 0),
                                     [F_severity] = is(SW_SEVERITY_WARNING)}});

        /* Exactly 0.7 is not > 0.7: info. Lookback 10, 7 low days. */
        fx.p.seed_lookback_days = 10;
        fx.in = seed_input(7);
        expect_ghost(&(struct want){
            "seed, 7 of 10 low",
            {[F_probability] = near(0.7, 1e-15), [F_severity] = is(SW_SEVERITY_INFO)}});
        fx.in = seed_input(8);
        expect_ghost(&(struct want){"seed, 8 of 10 low", {[F_severity] = is(SW_SEVERITY_WARNING)}});
}

static void test_seed_zero_forecast(void **state)
{
        (void)state;
        begin(seed_params(), seed_input(5));

        /* Forecast 0 on D-2 (store closed): no ratio, not a low day, it ends the run. */
        pushed[18] = 0.0;
        sales[18] = 0;
        expect_ghost(
            &(struct want){"seed, forecast 0 on D-2", {[F_run_days] = is(1), [F_flagged] = NO}});

        /* Forecast 0 and no sales on D-1: not low, but not "resumed" either. */
        fx.in = seed_input(0);
        pushed[19] = 0.0;
        sales[19] = 0;
        expect_ghost(&(struct want){"seed, forecast 0 on D-1",
                                    {[F_run_days] = is(0), [F_sales_resumed] = NO}});
}

static void test_seed_slow_mover_false_alarm(void **state)
{
        (void)state;

        /* Why the seed rule is not calibrated: 0.2/day pushed, 3 zero days is normal
         * (p = e^-0.6 = 0.55) and the seed rule flags it anyway. */
        begin_pushed_quiet(seed_params(), 20, 0.2, 16);
        expect_ghost(&(struct want){"seed, slow mover",
                                    {[F_flagged] = YES, [F_p_value] = rel(exp(-0.6), 1e-12)}});
        fx.p.mode = SW_GHOST_MODE_POISSON;
        expect_ghost(&(struct want){"poisson, same slow mover", {[F_flagged] = NO}});
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
                char name[32];
                snprintf(name, sizeof name, "random SKU %d", k);
                assert_int_equal(sw_ghost_evaluate(&p, &in, &full), 0);
                in.skip_baseline_without_run = true;
                assert_int_equal(sw_ghost_evaluate(&p, &in, &skipped), 0);
                if (full.run_days == 0)
                        without_run++;
                for (int f = 0; f < FIELD_COUNT; f++) {
                        if (f == F_forecast_available)
                                continue; /* not compared: no baseline fitted, no forecast */
                        bool zeroed =
                            full.run_days == 0 && (f == F_baseline_days || f == F_dispersion);
                        double want = zeroed ? 0.0 : field_value(&full, (enum field)f);
                        check_value(name, field_names[f], is(want),
                                    field_value(&skipped, (enum field)f));
                }
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
