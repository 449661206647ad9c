/* hq_collapse: which message of a key a batch sends, and the status order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "hq/hq_collapse.h"
#include "tests/support/test_main.h"

static struct hq_msg msg(enum hq_kind kind, const char *store, const char *id, int32_t rev,
                         int64_t ts, int64_t started_at)
{
        struct hq_msg m = {.kind = kind, .rev = rev, .ts = ts, .started_at = started_at};
        snprintf(m.tenant, sizeof(m.tenant), "acme");
        snprintf(m.store, sizeof(m.store), "%s", store);
        snprintf(m.id, sizeof(m.id), "%s", id);
        return m;
}

static void test_one_row_per_key(void **state)
{
        struct hq_msg m[] = {
            msg(HQ_KIND_ANOMALY, "s1", "a", 1, HQ_TS_NONE, HQ_TS_NONE),    /* 0 */
            msg(HQ_KIND_ANOMALY, "s1", "a", 3, HQ_TS_NONE, HQ_TS_NONE),    /* 1: highest rev */
            msg(HQ_KIND_ANOMALY, "s1", "a", 2, HQ_TS_NONE, HQ_TS_NONE),    /* 2 */
            msg(HQ_KIND_ANOMALY, "s2", "a", 1, HQ_TS_NONE, HQ_TS_NONE),    /* 3: another store */
            msg(HQ_KIND_OUTCOME, "s1", "a-o1", 1, HQ_TS_NONE, HQ_TS_NONE), /* 4: the first */
            msg(HQ_KIND_OUTCOME, "s1", "a-o1", 1, HQ_TS_NONE, HQ_TS_NONE), /* 5 */
            msg(HQ_KIND_SUMMARY, "s1", "", 0, 200, HQ_TS_NONE),            /* 6: newest */
            msg(HQ_KIND_SUMMARY, "s1", "", 0, 100, HQ_TS_NONE),            /* 7 */
            msg(HQ_KIND_SUMMARY, "s1", "", 0, 200, HQ_TS_NONE),            /* 8: newest, later */
            msg(HQ_KIND_ANOMALY, "s1", "v", 0, HQ_TS_NONE, HQ_TS_NONE),    /* 9: v1 */
            msg(HQ_KIND_ANOMALY, "s1", "v", 0, HQ_TS_NONE, HQ_TS_NONE),    /* 10: v1, latest wins */
        };
        struct hq_msg *p[11];
        struct hq_collapse c = {0};
        (void)state;
        for (int i = 0; i < 11; i++)
                p[i] = &m[i];
        assert_int_equal(hq_collapse_plan(&c, p, 11), 0);
        static const uint32_t rep[11] = {1, 1, 1, 3, 4, 4, 8, 8, 8, 10, 10};
        for (int i = 0; i < 11; i++) {
                assert_int_equal(c.rep[i], rep[i]);
                assert_int_equal(hq_collapse_sent(&c, p, (size_t)i), rep[i] == (uint32_t)i);
        }
        assert_int_equal(c.stores, 2);
        /* key order: tenant, store, kind, id */
        for (int i = 1; i < 11; i++) {
                const struct hq_msg *a = p[c.order[i - 1]], *b = p[c.order[i]];
                int k = strcmp(a->store, b->store);
                assert_true(k < 0 || (k == 0 && a->kind <= b->kind));
        }
        assert_int_equal(hq_collapse_plan(&c, p, 0), 0); /* reused, empty */
        assert_int_equal(c.stores, 0);
        hq_collapse_free(&c);
}

/* A batch of the counters alone: no message, no memory yet (a NULL order; UBSan checks that
 * nothing is sorted through it). */
static void test_empty_batch_first(void **state)
{
        struct hq_collapse c = {0};
        (void)state;
        assert_int_equal(hq_collapse_plan(&c, NULL, 0), 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(c.stores, 0);
        hq_collapse_free(&c);
}

static void test_status_order(void **state)
{
        struct hq_msg run1 = msg(HQ_KIND_STATUS, "s1", "", 0, HQ_TS_NONE, 100);
        struct hq_msg run2 = msg(HQ_KIND_STATUS, "s1", "", 0, HQ_TS_NONE, 200);
        struct hq_msg run2_t5 = msg(HQ_KIND_STATUS, "s1", "", 0, 205, 200);
        struct hq_msg run2_t9 = msg(HQ_KIND_STATUS, "s1", "", 0, 209, 200);
        struct hq_msg bare = msg(HQ_KIND_STATUS, "s1", "", 0, HQ_TS_NONE, HQ_TS_NONE);
        (void)state;
        assert_true(hq_status_replaces(&run1, &run2));
        assert_false(hq_status_replaces(&run2, &run1)); /* an earlier run, late */
        assert_false(hq_status_replaces(&run2_t9, &run2_t5));
        assert_true(hq_status_replaces(&run2_t5, &run2_t9));
        assert_true(hq_status_replaces(&run2_t5, &run2_t5)); /* equal: the later arrival */
        assert_true(hq_status_replaces(&run2_t9, &run2));    /* no ts: arrival order */
        assert_true(hq_status_replaces(&run2, &bare));       /* nothing to compare */
        assert_false(hq_status_replaces(&run2_t9, &run1));   /* started_at first */

        /* In a batch: every status is sent, the newest one folded in arrival order is the one
         * store_status may take. */
        struct hq_msg m[] = {run2_t9, run1, run2_t5, msg(HQ_KIND_STATUS, "s2", "", 0, 5, 1)};
        struct hq_msg *p[4] = {&m[0], &m[1], &m[2], &m[3]};
        struct hq_collapse c = {0};
        assert_int_equal(hq_collapse_plan(&c, p, 4), 0);
        for (size_t i = 0; i < 4; i++)
                assert_true(hq_collapse_sent(&c, p, i));
        assert_true(hq_collapse_latest_status(&c, 0));
        assert_false(hq_collapse_latest_status(&c, 1));
        assert_false(hq_collapse_latest_status(&c, 2));
        assert_true(hq_collapse_latest_status(&c, 3));
        hq_collapse_free(&c);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_one_row_per_key),
        cmocka_unit_test(test_empty_batch_first),
        cmocka_unit_test(test_status_order))
/* clang-format on */
