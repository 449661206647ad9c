/* Unit tests of the anomaly-type descriptors (core/anomaly_type.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly_book.h"
#include "core/anomaly_type.h"
#include "core/outcome_metrics.h"
#include "tests/support/test_main.h"

/* Every type has a distinct wire name and two-letter id code that parse back to it. */
static void test_names_and_codes(void **state)
{
        (void)state;
        for (int a = 0; a < SW_ANOMALY_TYPE_COUNT; a++) {
                const struct sw_anomaly_type_desc *t =
                    sw_anomaly_type_desc((enum sw_anomaly_type)a);
                enum sw_anomaly_type back;
                assert_non_null(t);
                assert_int_equal(strlen(t->code), 2);
                assert_true((unsigned)t->action < SW_ACTION_COUNT);
                assert_true((unsigned)t->evidence < SW_EVIDENCE_COUNT);
                assert_non_null(t->cleared_text);
                assert_string_equal(sw_anomaly_type_name((enum sw_anomaly_type)a), t->name);
                assert_int_equal(sw_anomaly_type_parse(t->name, &back), 0);
                assert_int_equal(back, a);
                for (int b = 0; b < a; b++) {
                        const struct sw_anomaly_type_desc *u =
                            sw_anomaly_type_desc((enum sw_anomaly_type)b);
                        assert_string_not_equal(t->name, u->name);
                        assert_string_not_equal(t->code, u->code);
                }
        }
        assert_null(sw_anomaly_type_desc(SW_ANOMALY_TYPE_COUNT));
        assert_null(sw_anomaly_type_name(SW_ANOMALY_TYPE_COUNT));
}

/* The code in anomaly ids is the descriptor's. */
static void test_id_code(void **state)
{
        char id[SW_ANOMALY_ID_MAX];
        (void)state;
        assert_true(sw_anomaly_id(id, sizeof(id), "s1", SW_ANOMALY_ML_DETECTED, "A", 0) > 0);
        assert_string_equal(id, "s1-ml-19700101-A");
        assert_true(sw_anomaly_id(id, sizeof(id), "s1", SW_ANOMALY_INVENTORY_DISCREPANCY, "A", 1) >
                    0);
        assert_string_equal(id, "s1-id-19700102-A");
        assert_int_equal(sw_anomaly_id(id, sizeof(id), "s1", SW_ANOMALY_TYPE_COUNT, "A", 0),
                         -EINVAL);
}

static const char *cleared(enum sw_anomaly_type type, int32_t on_hand, int32_t shelf, char *buf,
                           size_t size)
{
        struct sw_cleared_facts f = {.on_hand = on_hand, .shelf_count = shelf};
        assert_true(sw_anomaly_cleared_text(type, &f, buf, size) > 0);
        return buf;
}

/* Each type says in its own words why an episode ended (issue 19 item 8: an ML episode no
 * longer reads as a book/shelf discrepancy). */
static void test_cleared_texts(void **state)
{
        char b[128];
        struct sw_cleared_facts f = {0};
        (void)state;
        assert_string_equal(cleared(SW_ANOMALY_GHOST_STOCK, 5, -1, b, sizeof(b)),
                            "Cleared: sales resumed");
        assert_string_equal(cleared(SW_ANOMALY_ML_DETECTED, 18, -1, b, sizeof(b)),
                            "Cleared: the SKU's days no longer stand out");
        assert_string_equal(cleared(SW_ANOMALY_SHELF_OUT, 5, 7, b, sizeof(b)),
                            "Cleared: shelf reads 7 units");
        assert_string_equal(cleared(SW_ANOMALY_INVENTORY_DISCREPANCY, 18, 3, b, sizeof(b)),
                            "Cleared: book (18) and shelf agree again");
        /* An empty book ends every episode but a discrepancy (a negative book is one). */
        assert_string_equal(cleared(SW_ANOMALY_GHOST_STOCK, 0, -1, b, sizeof(b)),
                            "Cleared: book on-hand is now 0");
        assert_string_equal(cleared(SW_ANOMALY_ML_DETECTED, -2, -1, b, sizeof(b)),
                            "Cleared: book on-hand is now -2");
        assert_string_equal(cleared(SW_ANOMALY_SHELF_OUT, 0, 0, b, sizeof(b)),
                            "Cleared: book on-hand is now 0");
        assert_string_equal(cleared(SW_ANOMALY_INVENTORY_DISCREPANCY, -3, 0, b, sizeof(b)),
                            "Cleared: book (-3) and shelf agree again");
        assert_int_equal(sw_anomaly_cleared_text(SW_ANOMALY_TYPE_COUNT, &f, b, sizeof(b)), -EINVAL);
}

/* The metrics and the count judging follow the descriptors' flags. */
static void test_flags_drive_metrics(void **state)
{
        struct sw_outcome_params p = {
            .material_units = 1, .material_ratio = 0, .prevented_days = 2};
        struct sw_count_verdict v;
        (void)state;
        for (int a = 0; a < SW_ANOMALY_TYPE_COUNT; a++) {
                enum sw_anomaly_type type = (enum sw_anomaly_type)a;
                const struct sw_anomaly_type_desc *t = sw_anomaly_type_desc(type);
                /* 3 more counted than booked: only an absolute error is material */
                assert_int_equal(sw_outcome_judge_count(&p, type, 10, 13, 2.0, &v), 0);
                assert_int_equal(v.outcome == SW_OUTCOME_TRUE_POSITIVE, t->count_absolute);
                /* 4 missing: material for all; recovered only where the type recovers value */
                assert_int_equal(sw_outcome_judge_count(&p, type, 10, 6, 2.0, &v), 0);
                assert_int_equal(v.outcome, SW_OUTCOME_TRUE_POSITIVE);
                assert_true(v.value_recovered == (t->recovers_value ? 8.0 : 0.0));
                assert_true(sw_outcome_prevented_value(&p, type, 1.5, 2.0) ==
                            (t->prevents_stockout ? 6.0 : 0.0));
        }
}

static void test_type_list(void **state)
{
        char b[128];
        (void)state;
        assert_int_equal(
            sw_anomaly_type_list(b, sizeof(b), ", ", " or "),
            (int)strlen("ghost_stock, ml_detected, shelf_out or inventory_discrepancy"));
        assert_string_equal(b, "ghost_stock, ml_detected, shelf_out or inventory_discrepancy");
        /* Truncated: the length it needs, the buffer terminated. */
        assert_int_equal(sw_anomaly_type_list(b, 8, ", ", ", "),
                         (int)strlen("ghost_stock, ml_detected, shelf_out, inventory_discrepancy"));
        assert_string_equal(b, "ghost_s");
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_names_and_codes), cmocka_unit_test(test_id_code),
        cmocka_unit_test(test_cleared_texts),   cmocka_unit_test(test_flags_drive_metrics),
        cmocka_unit_test(test_type_list))
/* clang-format on */
