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

#define RESTORED 1796600000 /* Unix s of a restore */

static void test_rev_without_restore_counts_on(void **state)
{
        (void)state;
        assert_int_equal(sw_restore_next_rev(0, 100, 0), 1);
        assert_int_equal(sw_restore_next_rev(7, 100, 0), 8);
}

static void test_rev_jumps_once_after_a_restore(void **state)
{
        (void)state;
        /* Written before the restore: HQ may hold revisions the copy lacks. */
        int64_t first = sw_restore_next_rev(3, RESTORED - 3600, RESTORED);
        assert_int_equal(first, RESTORED);
        /* Written after: count on from the jump. */
        assert_int_equal(sw_restore_next_rev(first, RESTORED + 60, RESTORED), RESTORED + 1);
        /* Already above the floor (a second restore of a copy made after the first jump). */
        assert_int_equal(sw_restore_next_rev(RESTORED + 5, RESTORED - 1, RESTORED), RESTORED + 6);
        /* A later restore to an older copy jumps above everything the first one published,
         * as long as an anomaly changed less than once a second in between. */
        int64_t second = RESTORED + 86400;
        assert_true(sw_restore_next_rev(3, RESTORED - 3600, second) > RESTORED + 1000);
}

static void test_marker_written_by_a_restore(void **state)
{
        char dir[] = "/tmp/sw-restore-test-XXXXXX", db[128], copy[128], cmd[512];
        struct sw_store *s = NULL;
        int64_t at = 0;
        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(db, sizeof(db), "%s/sw.db", dir);
        snprintf(copy, sizeof(copy), "%s/copy.db", dir);
        assert_int_equal(sw_store_open(db, NULL, &s), 0);
        assert_int_equal(sw_restore_marker(s, &at), -ENOENT);
        s = sw_store_close(s);
        assert_int_equal(sw_store_open(copy, NULL, &s), 0);
        s = sw_store_close(s);
        struct sw_config cfg;
        sw_config_defaults(&cfg);
        snprintf(cfg.storage.path, sizeof(cfg.storage.path), "%s", db);
        assert_int_equal(sw_restore_run(&cfg, copy), 0);
        assert_int_equal(sw_store_open(db, NULL, &s), 0);
        assert_int_equal(sw_restore_marker(s, &at), 0);
        assert_true(at > 1700000000);
        s = sw_store_close(s);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_rev_without_restore_counts_on),
            cmocka_unit_test(test_rev_jumps_once_after_a_restore),
            cmocka_unit_test(test_marker_written_by_a_restore),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
