/* Unit tests of outcomes and metrics (core/outcome_metrics.c), against hand-computed values. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/outcome_metrics.h"
#include "tests/core/numeric_support.h"
#include "tests/support/test_main.h"

#define SENTINEL -12345.0

static struct sw_outcome_params defaults(void)
{
        struct sw_outcome_params p;
        sw_outcome_params_default(&p);
        return p;
}

static void test_names(void **state)
{
        enum sw_outcome_kind k = SW_OUTCOME_KIND_COUNT;
        (void)state;
        assert_string_equal(sw_outcome_kind_name(SW_OUTCOME_TRUE_POSITIVE), "true_positive");
        assert_string_equal(sw_outcome_kind_name(SW_OUTCOME_FALSE_POSITIVE), "false_positive");
        assert_null(sw_outcome_kind_name(SW_OUTCOME_KIND_COUNT));
        assert_null(sw_outcome_kind_name((enum sw_outcome_kind) - 1));
        assert_int_equal(sw_outcome_kind_parse("false_positive", &k), 0);
        assert_int_equal(k, SW_OUTCOME_FALSE_POSITIVE);
        assert_int_equal(sw_outcome_kind_parse("true_positive", &k), 0);
        assert_int_equal(k, SW_OUTCOME_TRUE_POSITIVE);
        assert_int_equal(sw_outcome_kind_parse("True_positive", &k), -EINVAL);
        assert_int_equal(sw_outcome_kind_parse("true_positive ", &k), -EINVAL);
        assert_int_equal(sw_outcome_kind_parse("", &k), -EINVAL);
        assert_int_equal(sw_outcome_kind_parse(NULL, &k), -EINVAL);
        assert_int_equal(k, SW_OUTCOME_TRUE_POSITIVE);

        assert_string_equal(sw_trend_name(SW_TREND_STABLE), "stable");
        assert_string_equal(sw_trend_name(SW_TREND_INCREASING), "increasing");
        assert_string_equal(sw_trend_name(SW_TREND_DECREASING), "decreasing");
        assert_null(sw_trend_name(SW_TREND_COUNT));
}

static void test_params(void **state)
{
        struct sw_outcome_params p = defaults(), q;
        (void)state;
        assert_int_equal(p.material_units, 2);
        assert_true(p.material_ratio == 0.2);
        assert_true(p.prevented_days == 7.0);
        assert_int_equal(sw_outcome_params_validate(&p), 0);
        assert_int_equal(sw_outcome_params_validate(NULL), -EINVAL);

        q = p, q.material_units = 0;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
        q = p, q.material_units = 1;
        assert_int_equal(sw_outcome_params_validate(&q), 0);

        q = p, q.material_ratio = 0.0;
        assert_int_equal(sw_outcome_params_validate(&q), 0);
        q = p, q.material_ratio = 1.0;
        assert_int_equal(sw_outcome_params_validate(&q), 0);
        q = p, q.material_ratio = -0.01;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
        q = p, q.material_ratio = 1.01;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
        q = p, q.material_ratio = NAN;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);

        q = p, q.prevented_days = 0.0;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
        q = p, q.prevented_days = 365.0;
        assert_int_equal(sw_outcome_params_validate(&q), 0);
        q = p, q.prevented_days = 365.5;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
        q = p, q.prevented_days = NAN;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
        q = p, q.prevented_days = INFINITY;
        assert_int_equal(sw_outcome_params_validate(&q), -EINVAL);
}

/* A count of `counted` against a book of `book` at `price`, and the verdict it must get. */
struct judge_case {
        enum sw_anomaly_type type; /* the anomaly judged */
        int32_t book;              /* units on the book */
        int32_t counted;           /* units found */
        double price;              /* the unit price */
        enum sw_outcome_kind want; /* the outcome */
        double value;              /* the value recovered */
};

/* Judge each case under p; a failure names the table and the row. */
static void assert_judged(const char *table, const struct sw_outcome_params *p,
                          const struct judge_case *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct sw_count_verdict v = {.value_recovered = SENTINEL};
                int rc =
                    sw_outcome_judge_count(p, c[i].type, c[i].book, c[i].counted, c[i].price, &v);
                if (rc != 0 || v.adjustment != (int64_t)c[i].counted - c[i].book ||
                    v.shortfall != (int64_t)c[i].book - c[i].counted || v.outcome != c[i].want ||
                    !(fabs(v.value_recovered - c[i].value) <= 1e-12))
                        fail_msg("%s row %zu (book %d, counted %d, price %g): rc %d, outcome %d, "
                                 "value %.15g; want outcome %d, value %.15g",
                                 table, i, c[i].book, c[i].counted, c[i].price, rc, v.outcome,
                                 v.value_recovered, c[i].want, c[i].value);
        }
}

#define GS         SW_ANOMALY_GHOST_STOCK
#define ID         SW_ANOMALY_INVENTORY_DISCREPANCY
#define TP         SW_OUTCOME_TRUE_POSITIVE
#define FPO        SW_OUTCOME_FALSE_POSITIVE
#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

/* Judgements at the default parameters: >= 2 units and >= 20 % of the book. */
static const struct judge_case at_defaults[] = {
    /* Ghost stock, book 10: the ratio asks 2.0, the units 2: shortfall 2 is exactly material. */
    {GS, 10, 8, 2.5, TP, 5.0},
    {GS, 10, 9, 2.5, FPO, 0.0},
    /* book 20: the ratio asks 4.0. */
    {GS, 20, 17, 2.5, FPO, 0.0},
    {GS, 20, 16, 2.5, TP, 10.0},
    {GS, 20, 0, 2.5, TP, 50.0},
    /* Small books: the units decide (ratio x max(book, 1)). */
    {GS, 1, 0, 2.5, FPO, 0.0},
    {GS, 2, 0, 2.5, TP, 5.0},
    {GS, 0, 0, 2.5, FPO, 0.0},
    /* More on the shelf than booked: no ghost, whatever the size. */
    {GS, 10, 30, 2.5, FPO, 0.0},
    /* A negative book: a count can only show more than booked. */
    {GS, -3, 0, 2.5, FPO, 0.0},

    /* Either direction counts for a discrepancy; the value is |adjustment| x price. */
    {ID, 10, 7, 4.0, TP, 12.0},
    {ID, 10, 13, 4.0, TP, 12.0},
    {ID, 10, 12, 4.0, TP, 8.0},
    {ID, 10, 11, 4.0, FPO, 0.0},
    {ID, 10, 9, 4.0, FPO, 0.0},
    /* book 20 asks for 4 either way. */
    {ID, 20, 23, 1.0, FPO, 0.0},
    {ID, 20, 24, 1.0, TP, 4.0},
    /* A negative book of -3 found at 0: the book was wrong by 3 against a base of 1. */
    {ID, -3, 0, 2.0, TP, 6.0},
    {ID, -1, 0, 2.0, FPO, 0.0},

    /* Other types use the ghost test but recover no book value. */
    {SW_ANOMALY_SHELF_OUT, 10, 0, 3.0, TP, 0.0},
    {SW_ANOMALY_ML_DETECTED, 10, 0, 3.0, TP, 0.0},
    {SW_ANOMALY_SHELF_OUT, 10, 9, 3.0, FPO, 0.0},
    {SW_ANOMALY_ML_DETECTED, 10, 14, 3.0, FPO, 0.0},
    /* Prices that are not a positive finite number count as 0; the verdict stays TP. */
    {GS, 10, 0, 0.0, TP, 0.0},
    {GS, 10, 0, -1.5, TP, 0.0},
    {GS, 10, 0, NAN, TP, 0.0},
    {GS, 10, 0, INFINITY, TP, 0.0},
    {ID, 10, 20, NAN, TP, 0.0},
    /* A product too large to be finite counts as 0 too. */
    {GS, INT32_MAX, 0, 1e308, TP, 0.0},
    /* Extremes that fit. */
    {ID, 0, INT32_MAX, 1.0, TP, (double)INT32_MAX},
    {GS, INT32_MAX, 0, 1.0, TP, (double)INT32_MAX},
};

static void test_judge_at_defaults(void **state)
{
        struct sw_outcome_params p = defaults();
        (void)state;
        assert_judged("defaults", &p, at_defaults, N_CASES(at_defaults));
}

/* Ghost stock exactly at the bounds when the parameters move. */
static void test_judge_ghost_at_other_params(void **state)
{
        /* Exactly at the ratio: 0.25 x 12 = 3 with 1 unit enough. */
        static const struct judge_case at_ratio[] = {
            {GS, 12, 9, 1.0, TP, 3.0},
            {GS, 12, 10, 1.0, FPO, 0.0},
        };
        /* Exactly at the units when they are the larger: 5 units, ratio 0.25 x 12 = 3. */
        static const struct judge_case at_units[] = {
            {GS, 12, 7, 1.0, TP, 5.0},
            {GS, 12, 8, 1.0, FPO, 0.0},
        };
        struct sw_outcome_params p = defaults();
        (void)state;
        p.material_units = 1;
        p.material_ratio = 0.25;
        assert_judged("at the ratio", &p, at_ratio, N_CASES(at_ratio));
        p.material_units = 5;
        assert_judged("at the units", &p, at_units, N_CASES(at_units));
}

static void test_judge_refusals(void **state)
{
        struct sw_outcome_params p = defaults();
        struct sw_count_verdict v = {.value_recovered = SENTINEL};
        (void)state;
        /* Extremes that do not fit. */
        assert_int_equal(sw_outcome_judge_count(&p, SW_ANOMALY_GHOST_STOCK, INT32_MIN, 0, 1.0, &v),
                         -ERANGE);
        assert_int_equal(sw_outcome_judge_count(&p, SW_ANOMALY_GHOST_STOCK, -1, INT32_MAX, 1.0, &v),
                         -ERANGE);
        assert_int_equal(sw_outcome_judge_count(&p, SW_ANOMALY_GHOST_STOCK, INT32_MAX, -2, 1.0, &v),
                         -ERANGE);
        /* Bad arguments; the verdict is not written. */
        assert_int_equal(sw_outcome_judge_count(NULL, SW_ANOMALY_GHOST_STOCK, 10, 0, 1.0, &v),
                         -EINVAL);
        assert_int_equal(sw_outcome_judge_count(&p, SW_ANOMALY_TYPE_COUNT, 10, 0, 1.0, &v),
                         -EINVAL);
        assert_int_equal(sw_outcome_judge_count(&p, (enum sw_anomaly_type) - 1, 10, 0, 1.0, &v),
                         -EINVAL);
        assert_int_equal(sw_outcome_judge_count(&p, SW_ANOMALY_GHOST_STOCK, 10, 0, 1.0, NULL),
                         -EINVAL);
        assert_true(v.value_recovered == SENTINEL);
}

static void test_prevented_value(void **state)
{
        struct sw_outcome_params p = defaults();
        (void)state;
        /* 3 units a day x 2.5 x 7 days. */
        assert_close(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, 3.0, 2.5), 52.5, 1e-12);
        assert_close(sw_outcome_prevented_value(&p, SW_ANOMALY_SHELF_OUT, 3.0, 2.5), 52.5, 1e-12);
        assert_close(sw_outcome_prevented_value(&p, SW_ANOMALY_SHELF_OUT, 0.4, 10.0), 28.0, 1e-12);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_ML_DETECTED, 3.0, 2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_INVENTORY_DISCREPANCY, 3.0, 2.5) ==
                    0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_TYPE_COUNT, 3.0, 2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(NULL, SW_ANOMALY_GHOST_STOCK, 3.0, 2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, -3.0, 2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, 3.0, -2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, NAN, 2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, 3.0, NAN) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, INFINITY, 2.5) == 0.0);
        assert_true(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, 1e200, 1e200) == 0.0);
        p.prevented_days = 14.0;
        assert_close(sw_outcome_prevented_value(&p, SW_ANOMALY_GHOST_STOCK, 3.0, 2.5), 105.0,
                     1e-12);
}

static void test_response_hours(void **state)
{
        (void)state;
        assert_true(sw_outcome_response_hours(1000, 1000 + 7200) == 2.0);
        assert_true(sw_outcome_response_hours(1000, 1000 + 5400) == 1.5);
        assert_true(sw_outcome_response_hours(1000, 1001) == 1.0 / 3600.0);
        assert_true(sw_outcome_response_hours(1000, 1000) == 0.0);
        /* An outcome stamped before the detection (clock skew) is not a negative response. */
        assert_true(sw_outcome_response_hours(1000 + 7200, 1000) == 0.0);
        assert_true(sw_outcome_response_hours(INT64_MAX, INT64_MIN) == 0.0);
        /* The whole int64 range without overflow: (2^64 - 1) / 3600. */
        assert_close(sw_outcome_response_hours(INT64_MIN, INT64_MAX),
                     18446744073709551615.0 / 3600.0, 1.0);
}

#define N_CATEGORIES 4
#define W_START      1700000000
#define W_END        (W_START + 864000) /* ten days; the halves split at W_START + 432000 */

static void test_metrics_init(void **state)
{
        struct sw_precision_counts table[N_CATEGORIES + 1];
        struct sw_metrics m;
        (void)state;
        assert_int_equal(sw_metrics_memory_size(0), 0);
        assert_int_equal(sw_metrics_memory_size(N_CATEGORIES), N_CATEGORIES * 8);
        assert_int_equal(sw_metrics_init(&m, 0, W_START, W_END, table, sizeof(table)), -EINVAL);
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_START, W_START, table, sizeof(table)),
                         -EINVAL);
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_END, W_START, table, sizeof(table)),
                         -EINVAL);
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, NULL, sizeof(table)),
                         -EINVAL);
        assert_int_equal(sw_metrics_init(NULL, N_CATEGORIES, W_START, W_END, table, sizeof(table)),
                         -EINVAL);
        assert_int_equal(
            sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, (char *)table + 1, sizeof(table) - 1),
            -EINVAL);
        assert_int_equal(
            sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, table, N_CATEGORIES * 8 - 1),
            -ENOBUFS);

        /* Exactly enough; the table is zeroed and the guard after it untouched. */
        memset(table, 0xa5, sizeof(table));
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, table, N_CATEGORIES * 8),
                         0);
        for (int i = 0; i < N_CATEGORIES; i++) {
                assert_int_equal(table[i].true_positive, 0);
                assert_int_equal(table[i].false_positive, 0);
        }
        assert_int_equal(table[N_CATEGORIES].true_positive, 0xa5a5a5a5u);
        assert_ptr_equal(m.by_category, table);
        assert_int_equal(m.max_categories, N_CATEGORIES);
        assert_int_equal(m.total, 0);
        assert_int_equal(m.window_start, W_START);
        assert_int_equal(m.window_end, W_END);
}

static void test_metrics_empty(void **state)
{
        struct sw_precision_counts table[N_CATEGORIES], zero = {0, 0}, one_fp = {0, 1};
        struct sw_metrics m;
        double x = SENTINEL;
        (void)state;
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, table, sizeof(table)),
                         0);
        /* Every ratio is undefined on no data: -EDOM, and the result is not written. */
        assert_int_equal(sw_metrics_precision(&zero, &x), -EDOM);
        assert_int_equal(sw_metrics_precision(&m.overall, &x), -EDOM);
        assert_int_equal(sw_metrics_false_positive_rate(&m, &x), -EDOM);
        assert_int_equal(sw_metrics_mean_response_hours(&m, &x), -EDOM);
        assert_int_equal(sw_metrics_resolution_rate(&m, &x), -EDOM);
        assert_true(x == SENTINEL);
        assert_int_equal(sw_metrics_precision(NULL, &x), -EINVAL);
        assert_int_equal(sw_metrics_precision(&one_fp, NULL), -EINVAL);
        assert_int_equal(sw_metrics_false_positive_rate(NULL, &x), -EINVAL);
        assert_int_equal(sw_metrics_mean_response_hours(NULL, &x), -EINVAL);
        assert_int_equal(sw_metrics_resolution_rate(NULL, &x), -EINVAL);
        assert_true(x == SENTINEL);
        /* One FP: precision 0, not undefined. */
        assert_int_equal(sw_metrics_precision(&one_fp, &x), 0);
        assert_true(x == 0.0);
        assert_int_equal(sw_metrics_trend(m.earlier, m.later, 0.2, 3), SW_TREND_STABLE);
}

static void test_precision_large_counts(void **state)
{
        struct sw_precision_counts c = {UINT32_MAX, UINT32_MAX};
        double x;
        (void)state;
        /* TP + FP would wrap a uint32_t. */
        assert_int_equal(sw_metrics_precision(&c, &x), 0);
        assert_true(x == 0.5);
        c.false_positive = 0;
        assert_int_equal(sw_metrics_precision(&c, &x), 0);
        assert_true(x == 1.0);
}

static struct sw_metrics_anomaly anomaly(enum sw_anomaly_type type, enum sw_severity severity,
                                         enum sw_status status, uint16_t category,
                                         int64_t detected_at)
{
        return (struct sw_metrics_anomaly){.type = type,
                                           .severity = severity,
                                           .status = status,
                                           .category = category,
                                           .detected_at = detected_at};
}

static struct sw_metrics_anomaly with_outcome(struct sw_metrics_anomaly a, enum sw_outcome_kind k,
                                              int64_t after_s, double recovered, double prevented)
{
        a.has_outcome = true;
        a.outcome = k;
        a.first_outcome_at = a.detected_at + after_s;
        a.value_recovered = recovered;
        a.prevented_value = prevented;
        return a;
}

/*
 * Eight anomalies, hand-tallied:
 *  A1 ghost    critical resolved  cat 1  W+3600     TP +2h  recovered 20    prevented 52.5
 *  A2 ghost    warning  dismissed cat 1  mid        FP +4h  (99, 99: an FP adds nothing)
 *  A3 shelf    warning  resolved  cat 2  W-1        TP +1h  (5: not a recovering type) prevented 30
 *  A4 discrep  info     resolved  cat 0  end-1      TP +6h  recovered 12.5  (40: not a preventing
 * type) A5 ml       critical open      cat 3  end        none A6 ml       info     resolved  cat 3
 * W+100      TP -1h (clock skew: 0 h)  (7, 8: neither) A7 ghost    warning  cleared   cat 2  mid-1
 * none    (100, 100: no outcome adds nothing) A8 ghost    critical resolved  cat 1  W+500000   TP
 * +3h  recovered NaN -> 0, prevented -5 -> 0
 */
static void add_fixture(struct sw_metrics *m)
{
        const int64_t mid = W_START + 432000;
        struct sw_metrics_anomaly a[] = {
            with_outcome(anomaly(SW_ANOMALY_GHOST_STOCK, SW_SEVERITY_CRITICAL, SW_STATUS_RESOLVED,
                                 1, W_START + 3600),
                         SW_OUTCOME_TRUE_POSITIVE, 7200, 20.0, 52.5),
            with_outcome(
                anomaly(SW_ANOMALY_GHOST_STOCK, SW_SEVERITY_WARNING, SW_STATUS_DISMISSED, 1, mid),
                SW_OUTCOME_FALSE_POSITIVE, 14400, 99.0, 99.0),
            with_outcome(anomaly(SW_ANOMALY_SHELF_OUT, SW_SEVERITY_WARNING, SW_STATUS_RESOLVED, 2,
                                 W_START - 1),
                         SW_OUTCOME_TRUE_POSITIVE, 3600, 5.0, 30.0),
            with_outcome(anomaly(SW_ANOMALY_INVENTORY_DISCREPANCY, SW_SEVERITY_INFO,
                                 SW_STATUS_RESOLVED, 0, W_END - 1),
                         SW_OUTCOME_TRUE_POSITIVE, 21600, 12.5, 40.0),
            anomaly(SW_ANOMALY_ML_DETECTED, SW_SEVERITY_CRITICAL, SW_STATUS_OPEN, 3, W_END),
            with_outcome(anomaly(SW_ANOMALY_ML_DETECTED, SW_SEVERITY_INFO, SW_STATUS_RESOLVED, 3,
                                 W_START + 100),
                         SW_OUTCOME_TRUE_POSITIVE, -3600, 7.0, 8.0),
            anomaly(SW_ANOMALY_GHOST_STOCK, SW_SEVERITY_WARNING, SW_STATUS_CLEARED, 2, mid - 1),
            with_outcome(anomaly(SW_ANOMALY_GHOST_STOCK, SW_SEVERITY_CRITICAL, SW_STATUS_RESOLVED,
                                 1, W_START + 500000),
                         SW_OUTCOME_TRUE_POSITIVE, 10800, NAN, -5.0),
        };
        a[6].value_recovered = 100.0;
        a[6].prevented_value = 100.0;
        for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
                assert_int_equal(sw_metrics_add(m, &a[i]), 0);
}

static void assert_counts(struct sw_precision_counts c, uint32_t tp, uint32_t fp)
{
        assert_int_equal(c.true_positive, tp);
        assert_int_equal(c.false_positive, fp);
}

static void test_metrics_hand_computed(void **state)
{
        struct sw_precision_counts table[N_CATEGORIES];
        struct sw_metrics m;
        double x;
        (void)state;
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, table, sizeof(table)),
                         0);
        add_fixture(&m);

        assert_int_equal(m.total, 8);
        assert_int_equal(m.by_type[SW_ANOMALY_GHOST_STOCK], 4);
        assert_int_equal(m.by_type[SW_ANOMALY_ML_DETECTED], 2);
        assert_int_equal(m.by_type[SW_ANOMALY_SHELF_OUT], 1);
        assert_int_equal(m.by_type[SW_ANOMALY_INVENTORY_DISCREPANCY], 1);
        assert_int_equal(m.by_severity[SW_SEVERITY_INFO], 2);
        assert_int_equal(m.by_severity[SW_SEVERITY_WARNING], 3);
        assert_int_equal(m.by_severity[SW_SEVERITY_CRITICAL], 3);
        assert_int_equal(m.by_status[SW_STATUS_OPEN], 1);
        assert_int_equal(m.by_status[SW_STATUS_RESOLVED], 5);
        assert_int_equal(m.by_status[SW_STATUS_DISMISSED], 1);
        assert_int_equal(m.by_status[SW_STATUS_CLEARED], 1);

        /* Effectiveness: 6 outcomes, 2 + 4 + 1 + 6 + 0 + 3 = 16 hours, 1 FP, 5 of 8 resolved. */
        assert_int_equal(m.with_outcome, 6);
        assert_close(m.response_hours_sum, 16.0, 1e-12);
        assert_int_equal(sw_metrics_mean_response_hours(&m, &x), 0);
        assert_close(x, 16.0 / 6.0, 1e-12);
        assert_int_equal(sw_metrics_false_positive_rate(&m, &x), 0);
        assert_close(x, 1.0 / 6.0, 1e-12);
        assert_int_equal(sw_metrics_resolution_rate(&m, &x), 0);
        assert_close(x, 0.625, 1e-12);

        /* Precision overall, by type, by category. */
        assert_counts(m.overall, 5, 1);
        assert_int_equal(sw_metrics_precision(&m.overall, &x), 0);
        assert_close(x, 5.0 / 6.0, 1e-12);
        assert_counts(m.type_counts[SW_ANOMALY_GHOST_STOCK], 2, 1);
        assert_counts(m.type_counts[SW_ANOMALY_ML_DETECTED], 1, 0);
        assert_counts(m.type_counts[SW_ANOMALY_SHELF_OUT], 1, 0);
        assert_counts(m.type_counts[SW_ANOMALY_INVENTORY_DISCREPANCY], 1, 0);
        assert_int_equal(sw_metrics_precision(&m.type_counts[SW_ANOMALY_GHOST_STOCK], &x), 0);
        assert_close(x, 2.0 / 3.0, 1e-12);
        assert_counts(m.by_category[0], 1, 0);
        assert_counts(m.by_category[1], 2, 1);
        assert_counts(m.by_category[2], 1, 0); /* A7 had no outcome */
        assert_counts(m.by_category[3], 1, 0); /* A5 had none either */
        assert_int_equal(sw_metrics_precision(&m.by_category[1], &x), 0);
        assert_close(x, 2.0 / 3.0, 1e-12);

        /* ROI: prevented 52.5 + 30, recovered 20 + 12.5. */
        assert_close(m.prevented_stockout_value, 82.5, 1e-12);
        assert_close(m.ghost_stock_recovered_value, 32.5, 1e-12);
        assert_int_equal(m.true_positive_outcomes, 5);

        /* Trend halves: A1, A6, A7 (mid - 1) earlier; A2 (mid), A4 (end - 1), A8 later; A3, A5
         * outside. */
        assert_int_equal(m.earlier, 3);
        assert_int_equal(m.later, 3);
        assert_int_equal(sw_metrics_trend(m.earlier, m.later, 0.0, 0), SW_TREND_STABLE);
}

static void test_metrics_roi_by_type(void **state)
{
        struct sw_precision_counts table[1];
        struct sw_metrics m;
        struct sw_metrics_anomaly a;
        (void)state;
        assert_int_equal(sw_metrics_init(&m, 1, W_START, W_END, table, sizeof(table)), 0);
        /* Each TP with recovered 1 and prevented 10: which sums each type feeds. */
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++) {
                double before_prevented = m.prevented_stockout_value;
                double before_recovered = m.ghost_stock_recovered_value;
                a = with_outcome(anomaly((enum sw_anomaly_type)t, SW_SEVERITY_INFO,
                                         SW_STATUS_RESOLVED, 0, W_START),
                                 SW_OUTCOME_TRUE_POSITIVE, 60, 1.0, 10.0);
                assert_int_equal(sw_metrics_add(&m, &a), 0);
                assert_close(m.prevented_stockout_value - before_prevented,
                             t == SW_ANOMALY_GHOST_STOCK || t == SW_ANOMALY_SHELF_OUT ? 10.0 : 0.0,
                             0);
                assert_close(m.ghost_stock_recovered_value - before_recovered,
                             t == SW_ANOMALY_GHOST_STOCK || t == SW_ANOMALY_INVENTORY_DISCREPANCY
                                 ? 1.0
                                 : 0.0,
                             0);
        }
        /* The same as FPs add nothing, and neither does an infinite value on a TP. */
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++) {
                a = with_outcome(anomaly((enum sw_anomaly_type)t, SW_SEVERITY_INFO,
                                         SW_STATUS_DISMISSED, 0, W_START),
                                 SW_OUTCOME_FALSE_POSITIVE, 60, 1.0, 10.0);
                assert_int_equal(sw_metrics_add(&m, &a), 0);
        }
        a = with_outcome(
            anomaly(SW_ANOMALY_GHOST_STOCK, SW_SEVERITY_INFO, SW_STATUS_RESOLVED, 0, W_START),
            SW_OUTCOME_TRUE_POSITIVE, 60, INFINITY, INFINITY);
        assert_int_equal(sw_metrics_add(&m, &a), 0);
        assert_close(m.prevented_stockout_value, 20.0, 0);
        assert_close(m.ghost_stock_recovered_value, 2.0, 0);
        assert_int_equal(m.true_positive_outcomes, 5);
        assert_counts(m.overall, 5, 4);
}

static void test_metrics_add_rejects(void **state)
{
        struct sw_precision_counts table[N_CATEGORIES];
        struct sw_metrics m, before;
        struct sw_metrics_anomaly good, a;
        (void)state;
        assert_int_equal(sw_metrics_init(&m, N_CATEGORIES, W_START, W_END, table, sizeof(table)),
                         0);
        good = with_outcome(
            anomaly(SW_ANOMALY_GHOST_STOCK, SW_SEVERITY_INFO, SW_STATUS_RESOLVED, 1, W_START),
            SW_OUTCOME_TRUE_POSITIVE, 3600, 1.0, 1.0);
        assert_int_equal(sw_metrics_add(&m, &good), 0);
        memcpy(&before, &m, sizeof(m)); /* with its padding, for assert_memory_equal */

        a = good, a.type = SW_ANOMALY_TYPE_COUNT;
        assert_int_equal(sw_metrics_add(&m, &a), -EINVAL);
        a = good, a.severity = SW_SEVERITY_COUNT;
        assert_int_equal(sw_metrics_add(&m, &a), -EINVAL);
        a = good, a.status = SW_STATUS_COUNT;
        assert_int_equal(sw_metrics_add(&m, &a), -EINVAL);
        a = good, a.status = (enum sw_status) - 1;
        assert_int_equal(sw_metrics_add(&m, &a), -EINVAL);
        a = good, a.category = N_CATEGORIES;
        assert_int_equal(sw_metrics_add(&m, &a), -EINVAL);
        a = good, a.outcome = SW_OUTCOME_KIND_COUNT;
        assert_int_equal(sw_metrics_add(&m, &a), -EINVAL);
        assert_int_equal(sw_metrics_add(NULL, &good), -EINVAL);
        assert_int_equal(sw_metrics_add(&m, NULL), -EINVAL);
        assert_memory_equal(&m, &before, sizeof(m));
        assert_counts(table[1], 1, 0);

        /* Without an outcome its kind is not looked at; the last category is in range. */
        a = good, a.has_outcome = false, a.outcome = SW_OUTCOME_KIND_COUNT,
        a.category = N_CATEGORIES - 1;
        assert_int_equal(sw_metrics_add(&m, &a), 0);
        assert_int_equal(m.total, 2);
        assert_int_equal(m.with_outcome, 1);

        /* A full counter refuses rather than wraps. */
        m.total = UINT32_MAX;
        memcpy(&before, &m, sizeof(m));
        assert_int_equal(sw_metrics_add(&m, &good), -EOVERFLOW);
        assert_memory_equal(&m, &before, sizeof(m));
}

static void test_metrics_window_halves(void **state)
{
        struct sw_precision_counts table[1];
        struct sw_metrics m;
        const int64_t times[] = {-1, 0, 4, 5, 9, 10, 11, INT64_MIN, INT64_MAX};
        (void)state;
        /* Window [0, 10): halves [0, 5) and [5, 10). */
        assert_int_equal(sw_metrics_init(&m, 1, 0, 10, table, sizeof(table)), 0);
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
                struct sw_metrics_anomaly a =
                    anomaly(SW_ANOMALY_SHELF_OUT, SW_SEVERITY_INFO, SW_STATUS_OPEN, 0, times[i]);
                assert_int_equal(sw_metrics_add(&m, &a), 0);
        }
        assert_int_equal(m.earlier, 2); /* 0, 4 */
        assert_int_equal(m.later, 2);   /* 5, 9 */
        assert_int_equal(m.total, 9);

        /* An odd length: [0, 7) splits at 3. */
        assert_int_equal(sw_metrics_init(&m, 1, 0, 7, table, sizeof(table)), 0);
        for (int64_t t = 0; t < 7; t++) {
                struct sw_metrics_anomaly a =
                    anomaly(SW_ANOMALY_SHELF_OUT, SW_SEVERITY_INFO, SW_STATUS_OPEN, 0, t);
                assert_int_equal(sw_metrics_add(&m, &a), 0);
        }
        assert_int_equal(m.earlier, 3);
        assert_int_equal(m.later, 4);

        /* The widest window does not overflow computing its middle:
         * -2^63 + floor((2^64 - 1) / 2) = -1. */
        assert_int_equal(sw_metrics_init(&m, 1, INT64_MIN, INT64_MAX, table, sizeof(table)), 0);
        for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
                struct sw_metrics_anomaly a =
                    anomaly(SW_ANOMALY_SHELF_OUT, SW_SEVERITY_INFO, SW_STATUS_OPEN, 0, times[i]);
                assert_int_equal(sw_metrics_add(&m, &a), 0);
        }
        assert_int_equal(m.earlier, 1); /* INT64_MIN */
        assert_int_equal(m.later, 7);   /* -1 .. 11; INT64_MAX is the excluded end */
}

static void test_trend(void **state)
{
        (void)state;
        assert_int_equal(sw_metrics_trend(0, 0, 0.0, 0), SW_TREND_STABLE);
        assert_int_equal(sw_metrics_trend(0, 0, 0.5, 3), SW_TREND_STABLE);
        assert_int_equal(sw_metrics_trend(10, 10, 0.0, 0), SW_TREND_STABLE);
        /* Band 0.5: later must exceed 15 and rise by min_change. */
        assert_int_equal(sw_metrics_trend(10, 20, 0.5, 5), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(10, 15, 0.5, 1), SW_TREND_STABLE);
        assert_int_equal(sw_metrics_trend(10, 16, 0.5, 1), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(10, 16, 0.5, 7), SW_TREND_STABLE);
        assert_int_equal(sw_metrics_trend(10, 17, 0.5, 7), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(0, 3, 0.5, 3), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(0, 2, 0.5, 3), SW_TREND_STABLE);
        /* Symmetric decrease. */
        assert_int_equal(sw_metrics_trend(20, 10, 0.5, 5), SW_TREND_DECREASING);
        assert_int_equal(sw_metrics_trend(15, 10, 0.5, 1), SW_TREND_STABLE);
        assert_int_equal(sw_metrics_trend(16, 10, 0.5, 1), SW_TREND_DECREASING);
        assert_int_equal(sw_metrics_trend(16, 10, 0.5, 7), SW_TREND_STABLE);
        assert_int_equal(sw_metrics_trend(3, 0, 0.5, 3), SW_TREND_DECREASING);
        assert_int_equal(sw_metrics_trend(2, 0, 0.5, 3), SW_TREND_STABLE);
        /* A band that is not a non-negative number counts as 0. */
        assert_int_equal(sw_metrics_trend(10, 11, NAN, 1), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(10, 11, -1.0, 1), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(11, 10, INFINITY, 1), SW_TREND_DECREASING);
        /* Extremes. */
        assert_int_equal(sw_metrics_trend(0, UINT32_MAX, 0.2, UINT32_MAX), SW_TREND_INCREASING);
        assert_int_equal(sw_metrics_trend(UINT32_MAX, 0, 0.2, UINT32_MAX), SW_TREND_DECREASING);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_judge_at_defaults),
        cmocka_unit_test(test_judge_ghost_at_other_params),
        cmocka_unit_test(test_judge_refusals),
        cmocka_unit_test(test_prevented_value),
        cmocka_unit_test(test_response_hours),
        cmocka_unit_test(test_metrics_init),
        cmocka_unit_test(test_metrics_empty),
        cmocka_unit_test(test_precision_large_counts),
        cmocka_unit_test(test_metrics_hand_computed),
        cmocka_unit_test(test_metrics_roi_by_type),
        cmocka_unit_test(test_metrics_add_rejects),
        cmocka_unit_test(test_metrics_window_halves),
        cmocka_unit_test(test_trend))
/* clang-format on */
