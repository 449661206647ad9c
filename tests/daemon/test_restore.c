/* Unit tests of daemon/restore.c: the rev rule after a restore and the marker a restore leaves. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/restore.h"
#include "platform/store_backup.h"
#include "tests/support/scratch.h"
#include "tests/support/test_main.h"

#define RESTORED 1796600000 /* Unix s of a restore */

static int got_rev(void *ctx, const struct sw_store_anomaly *a)
{
        *(int64_t *)ctx = a->rev;
        return 0;
}

static void test_rev_without_restore_counts_on(void **state)
{
        (void)state;
        assert_int_equal(sw_restore_next_rev(0, 0), 1);
        assert_int_equal(sw_restore_next_rev(7, 0), 8);
}

static void test_rev_jumps_once_after_a_restore(void **state)
{
        (void)state;
        /* Below the floor: HQ may hold revisions the copy lacks. */
        int64_t first = sw_restore_next_rev(3, RESTORED);
        assert_int_equal(first, RESTORED);
        /* Then count on from the jump. */
        assert_int_equal(sw_restore_next_rev(first, RESTORED), RESTORED + 1);
        /* Already above the floor (a second restore of a copy made after the first jump). */
        assert_int_equal(sw_restore_next_rev(RESTORED + 5, RESTORED), RESTORED + 6);
        /* A row first written after the restore (an anomaly queued after the copy, found
         * again with the same id): HQ may hold its id, so it jumps too. */
        assert_int_equal(sw_restore_next_rev(0, RESTORED), RESTORED);
        /* A later restore to an older copy jumps above everything the first one published,
         * as long as an anomaly changed less than once a second in between. */
        int64_t second = RESTORED + 86400;
        assert_true(sw_restore_next_rev(3, second) > RESTORED + 1000);
}

static struct sw_store_anomaly anomaly(const char *id)
{
        return (struct sw_store_anomaly){.id = id,
                                         .type = "ghost_stock",
                                         .severity = "warning",
                                         .status = "open",
                                         .sku = "S1",
                                         .as_of = "2026-11-01",
                                         .episode_day = 20393,
                                         .detected_at = 1000,
                                         .updated_at = 1000,
                                         .payload = "{}"};
}

/* Outcome ids "<anomaly>-oN": N counts 1, 2, ... until a restore, then starts at its time, so
 * that no number HQ may hold from after the copy comes again and the highest stays the latest. */
static void test_outcome_numbers_jump_after_a_restore(void **state)
{
        (void)state;
        assert_int_equal(sw_restore_outcome_number(1, 0), 1);
        assert_int_equal(sw_restore_outcome_number(3, 0), 3);
        assert_int_equal(sw_restore_outcome_number(1, RESTORED), RESTORED);
        assert_int_equal(sw_restore_outcome_number(4, RESTORED), RESTORED + 3);
        assert_true(sw_restore_outcome_number(1, RESTORED + 60) > RESTORED + 3);
}

/* Queue a revision of anomaly id (as hq_link does) and return the rev it got. */
static int64_t queue_revision(struct sw_store *s, const char *id)
{
        struct sw_store_anomaly a = anomaly(id);
        int64_t seq = 0, rev = -1;
        assert_int_equal(sw_store_begin(s), 0);
        assert_int_equal(sw_store_put_anomaly(s, &a), 0);
        assert_int_equal(sw_store_outbox_add_anomaly(s, "r/t/s/anomaly", id, 2000, &seq), 0);
        assert_int_equal(sw_store_commit(s), 0);
        assert_int_equal(sw_store_get_anomaly(s, id, got_rev, &rev), 0);
        return rev;
}

/* A scratch directory holding the live database and a copy of it. */
struct scratch {
        char dir[64];   /* /tmp/sw-restore-test-XXXXXX */
        char db[128];   /* dir/sw.db: the live database */
        char copy[128]; /* dir/copy.db: the copy a restore goes back to */
};

static int setup(void **state)
{
        struct scratch *f = calloc(1, sizeof(*f));
        if (!f || sw_test_mkdtemp(f->dir, sizeof(f->dir), "sw-restore-test") < 0) {
                free(f);
                return -1;
        }
        snprintf(f->db, sizeof(f->db), "%s/sw.db", f->dir);
        snprintf(f->copy, sizeof(f->copy), "%s/copy.db", f->dir);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct scratch *f = *state;
        int rc = sw_test_rm_rf(f->dir);
        free(f);
        return rc;
}

/* Restore f's copy over its database, the configuration at its defaults but the path. */
static void restore_copy(const struct scratch *f)
{
        struct sw_config cfg;
        sw_config_defaults(&cfg);
        snprintf(cfg.storage.path, sizeof(cfg.storage.path), "%s", f->db);
        assert_int_equal(sw_restore_run(&cfg, f->copy), 0);
}

/* HQ held rev 3 of a1 and rev 1 of b1 (queued after the copy); the gateway goes back to a copy
 * holding a1 at rev 1 and no b1. Its next revisions must be above what HQ holds. */
static void test_restored_database_publishes_higher_revs(void **state)
{
        const struct scratch *f = *state;
        struct sw_store *s = NULL;
        int64_t at = 0;
        assert_int_equal(sw_store_open(f->db, NULL, &s), 0);
        assert_int_equal(sw_restore_apply_rev_floor(s), 0); /* never restored: counts on */
        assert_int_equal(queue_revision(s, "a1"), 1);
        assert_int_equal(sw_store_backup(s, f->copy, false, NULL), 0);
        assert_int_equal(queue_revision(s, "a1"), 2);
        assert_int_equal(queue_revision(s, "a1"), 3);
        assert_int_equal(queue_revision(s, "b1"), 1);
        s = sw_store_close(s);

        restore_copy(f);
        assert_int_equal(sw_store_open(f->db, NULL, &s), 0);
        assert_int_equal(sw_restore_marker(s, &at), 0);
        assert_int_equal(sw_restore_apply_rev_floor(s), 0); /* as the daemon does at start */
        assert_int_equal(queue_revision(s, "a1"), at);
        assert_int_equal(queue_revision(s, "a1"), at + 1);
        assert_int_equal(queue_revision(s, "b1"), at);
        s = sw_store_close(s);
}

static void test_marker_written_by_a_restore(void **state)
{
        const struct scratch *f = *state;
        struct sw_store *s = NULL;
        int64_t at = 0;
        assert_int_equal(sw_store_open(f->db, NULL, &s), 0);
        assert_int_equal(sw_restore_marker(s, &at), -ENOENT);
        s = sw_store_close(s);
        assert_int_equal(sw_store_open(f->copy, NULL, &s), 0);
        s = sw_store_close(s);
        restore_copy(f);
        assert_int_equal(sw_store_open(f->db, NULL, &s), 0);
        assert_int_equal(sw_restore_marker(s, &at), 0);
        assert_true(at > 1700000000);
        s = sw_store_close(s);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_rev_without_restore_counts_on),
        cmocka_unit_test(test_rev_jumps_once_after_a_restore),
        SW_TEST_FRESH(test_marker_written_by_a_restore),
        SW_TEST_FRESH(test_restored_database_publishes_higher_revs),
        cmocka_unit_test(test_outcome_numbers_jump_after_a_restore))
/* clang-format on */
