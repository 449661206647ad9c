/* Unit tests of count judging (daemon/count_judge.c) over a real episode book and a fake store. */
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

#include "daemon/count_judge.h"
#include "tests/support/test_main.h"

#define SKU_INDEX 3
#define SINCE     20000 /* 2024-10-04 */

/* The fake store: one stored anomaly, or an error. */
struct fake_store {
        const char *id;            /* the stored anomaly's id, NULL none */
        struct sw_count_named row; /* its columns */
        int error;                 /* a read error to return (0 none) */
        int lookups;               /* calls */
};

static int lookup(void *ctx, const char *id, struct sw_count_named *ret)
{
        struct fake_store *s = ctx;
        s->lookups++;
        if (s->error)
                return s->error;
        if (!s->id || strcmp(id, s->id) != 0)
                return -ENOENT;
        *ret = s->row;
        return 0;
}

/* One judging: a real book, the fake store and the targets found. */
struct judging {
        struct sw_anomaly_book b;                        /* the open episodes */
        void *mem;                                       /* its memory */
        struct fake_store s;                             /* the stored anomaly */
        struct sw_count_lookup l;                        /* over s */
        struct sw_count_target t[SW_ANOMALY_TYPE_COUNT]; /* what sw_count_judge found */
};

/* An empty book, a store holding s, and the SKU's ghost stock open when ghost_open. */
static void judging_init(struct judging *j, const struct fake_store *s, bool ghost_open)
{
        size_t size = sw_anomaly_book_memory_size(16, 8);
        j->mem = malloc(size);
        assert_non_null(j->mem);
        assert_int_equal(sw_anomaly_book_init(&j->b, 16, 8, j->mem, size), 0);
        j->s = *s;
        j->l = (struct sw_count_lookup){.anomaly = lookup, .ctx = &j->s};
        if (ghost_open)
                assert_int_equal(
                    sw_anomaly_book_open(&j->b, SW_ANOMALY_GHOST_STOCK, SKU_INDEX, SINCE), 0);
}

static const struct sw_outcome_params params = {
    .material_units = 2, .material_ratio = 0.2, .prevented_days = 7, .dismiss_days = 7};

static struct sw_count_facts facts(int32_t book_before, int32_t counted, const char *named)
{
        return (struct sw_count_facts){.store_id = "s1",
                                       .sku = "A",
                                       .sku_index = SKU_INDEX,
                                       .named = named,
                                       .items_applied = 1,
                                       .book_before = book_before,
                                       .counted = counted,
                                       .price = 2.5};
}

static int judge(struct judging *j, const struct sw_count_facts *c)
{
        return sw_count_judge(&params, &j->b, c, &j->l, j->t);
}

/* Without a named anomaly: the SKU's open episodes of the types a count judges (ghost stock and
 * discrepancy), not shelf-out or ML; each with its own verdict. */
static void test_open_counted_types(void **state)
{
        struct judging j;
        struct sw_count_facts c = facts(10, 4, NULL);
        (void)state;
        judging_init(&j, &(struct fake_store){0}, false);
        for (int a = 0; a < SW_ANOMALY_TYPE_COUNT; a++)
                assert_int_equal(
                    sw_anomaly_book_open(&j.b, (enum sw_anomaly_type)a, SKU_INDEX, SINCE), 0);
        assert_int_equal(sw_anomaly_book_open(&j.b, SW_ANOMALY_GHOST_STOCK, SKU_INDEX + 1, SINCE),
                         0);
        assert_int_equal(judge(&j, &c), 2);
        assert_string_equal(j.t[0].anomaly, "s1-gs-20241004-A");
        assert_int_equal(j.t[0].type, SW_ANOMALY_GHOST_STOCK);
        assert_int_equal(j.t[0].verdict.outcome, SW_OUTCOME_TRUE_POSITIVE);
        assert_int_equal(j.t[0].verdict.adjustment, -6);
        assert_true(j.t[0].verdict.value_recovered == 15.0);
        assert_string_equal(j.t[1].anomaly, "s1-id-20241004-A");
        assert_int_equal(j.t[1].type, SW_ANOMALY_INVENTORY_DISCREPANCY);
        assert_int_equal(j.s.lookups, 0);
        /* a count that finds more than the book: no ghost stock, but the book was wrong */
        c = facts(10, 16, NULL);
        assert_int_equal(judge(&j, &c), 2);
        assert_int_equal(j.t[0].verdict.outcome, SW_OUTCOME_FALSE_POSITIVE);
        assert_int_equal(j.t[1].verdict.outcome, SW_OUTCOME_TRUE_POSITIVE);
        free(j.mem);
}

#define GS_A "s1-gs-20241004-A" /* the SKU's ghost stock episode */
#define ML_A "s1-ml-20241004-A" /* an ML anomaly of the SKU */
#define GS   SW_ANOMALY_GHOST_STOCK
#define ML   SW_ANOMALY_ML_DETECTED
#define SO   SW_ANOMALY_SHELF_OUT

/* Counts of 10 booked naming an anomaly, the SKU's ghost stock open: what is judged. */
static const struct named_case {
        const char *name;             /* the case */
        const char *stored;           /* the id of the anomaly the store holds */
        struct sw_count_named row;    /* its columns */
        const char *named;            /* the anomaly the count names */
        int32_t counted;              /* units found */
        const char *anomaly;          /* the one judged */
        enum sw_anomaly_type type;    /* its type */
        enum sw_outcome_kind outcome; /* its verdict */
} named_cases[] = {
    /* A named open anomaly of the counted SKU is the one judged, whatever its type; 1 missing
     * is not material. */
    {"open, this SKU", ML_A, {true, ML, "A"}, ML_A, 9, ML_A, ML, SW_OUTCOME_FALSE_POSITIVE},
    /* A named anomaly that is closed, of another SKU or unknown: the open episodes instead. */
    {"closed", "x", {false, SO, "A"}, "x", 4, GS_A, GS, SW_OUTCOME_TRUE_POSITIVE},
    {"another SKU", "x", {true, SO, "B"}, "x", 4, GS_A, GS, SW_OUTCOME_TRUE_POSITIVE},
    {"unknown", "x", {false, SO, "A"}, "unknown", 4, GS_A, GS, SW_OUTCOME_TRUE_POSITIVE},
};

static void test_named_anomalies(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(named_cases) / sizeof(named_cases[0]); i++) {
                const struct named_case *nc = &named_cases[i];
                struct judging j = {0};
                struct sw_count_facts c = facts(10, nc->counted, nc->named);
                int n;
                judging_init(&j, &(struct fake_store){.id = nc->stored, .row = nc->row}, true);
                n = judge(&j, &c);
                if (n != 1 || j.s.lookups != 1 || strcmp(j.t[0].anomaly, nc->anomaly) != 0 ||
                    j.t[0].type != nc->type || j.t[0].verdict.outcome != nc->outcome)
                        fail_msg(
                            "%s: %d judged after %d lookups; the first %s, type %d, outcome %d",
                            nc->name, n, j.s.lookups, n > 0 ? j.t[0].anomaly : "-", j.t[0].type,
                            j.t[0].verdict.outcome);
                free(j.mem);
        }
}

/* A store error is returned, not taken for "no such anomaly"; a stale count judges nothing; a
 * count whose adjustment does not fit is refused. */
static void test_errors_and_stale(void **state)
{
        struct judging j;
        struct sw_count_facts c = facts(10, 4, "x");
        (void)state;
        judging_init(&j, &(struct fake_store){.error = -EIO}, true);
        assert_int_equal(judge(&j, &c), -EIO);
        c.items_applied = 0;
        assert_int_equal(judge(&j, &c), 0);
        c = facts(INT32_MIN, INT32_MAX, NULL);
        assert_int_equal(judge(&j, &c), -ERANGE);
        /* nothing open for the SKU: nothing to judge */
        c = facts(10, 4, NULL);
        c.sku_index = SKU_INDEX + 1;
        assert_int_equal(judge(&j, &c), 0);
        free(j.mem);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_open_counted_types),
        cmocka_unit_test(test_named_anomalies),
        cmocka_unit_test(test_errors_and_stale))
/* clang-format on */
