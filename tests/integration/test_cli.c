/* The command line: --version, --help, --check-config exit codes and messages; and the
 * start-up catch-up of scheduled detections missed while the daemon was down. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define DAEMON SW_BUILD_DIR "/shelfwatchd"

static int run_capture(char *const argv[], const char *dir, char **ret_output)
{
        char out[512];
        snprintf(out, sizeof(out), "%s/out.txt", dir);
        unlink(out);
        int st = h_run(out, argv);
        *ret_output = h_read_file(out);
        return st;
}

static void test_version_help_and_usage_errors(void **state)
{
        char dir[256], *out;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        assert_int_equal(run_capture((char *[]){DAEMON, "--version", NULL}, dir, &out), 0);
        assert_non_null(strstr(out, "shelfwatchd "));
        free(out);
        assert_int_equal(run_capture((char *[]){DAEMON, "--help", NULL}, dir, &out), 0);
        assert_non_null(strstr(out, "--check-config"));
        free(out);
        assert_int_equal(run_capture((char *[]){DAEMON, "--bogus", NULL}, dir, &out), 2);
        free(out);
        assert_int_equal(run_capture((char *[]){DAEMON, "extra", NULL}, dir, &out), 2);
        assert_non_null(strstr(out, "unexpected argument"));
        free(out);
        h_rmdir(dir);
}

static void test_check_config(void **state)
{
        char dir[256], good[512], bad[512], *out;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        snprintf(good, sizeof(good), "%s/good.conf", dir);
        snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
        h_write_file(
            good,
            "store: { tenant = \"acme\"; id = \"s0042\"; timezone = \"America/Chicago\"; };\n");
        h_write_file(bad, "store: { id = \"s0042\"; };\n\nlimits: {\n  max_skus = 0;\n};\n");
        assert_int_equal(
            run_capture((char *[]){DAEMON, "--check-config", "-c", good, NULL}, dir, &out), 0);
        assert_non_null(strstr(out, "is valid"));
        free(out);
        /* The error names the file, the line and the setting; nothing starts. */
        assert_int_equal(run_capture((char *[]){DAEMON, "-n", "-c", bad, NULL}, dir, &out), 1);
        char expect[600];
        snprintf(expect, sizeof(expect), "%s:4: limits.max_skus:", bad);
        if (!strstr(out, expect))
                fail_msg("expected '%s' in: %s", expect, out);
        free(out);
        /* A missing -c file is an error too (only the default path may be absent). */
        assert_int_equal(
            run_capture((char *[]){DAEMON, "-n", "-c", "/nonexistent/sw.conf", NULL}, dir, &out),
            1);
        assert_non_null(strstr(out, "/nonexistent/sw.conf"));
        free(out);
        h_rmdir(dir);
}

/* Move the last scheduled run three days back, as if the daemon had been down. */
static void rewind_schedule(const char *dir)
{
        char db[512];
        snprintf(db, sizeof(db), "%s/sw.db", dir);
        char *argv[] = {"sqlite3", db,
                        "UPDATE meta SET value = value - 3 WHERE key = 'last_scheduled_day';",
                        NULL};
        assert_int_equal(h_run(NULL, argv), 0);
}

static void test_missed_scheduled_runs_are_caught_up(void **state)
{
        struct h_fixture f = {0};
        char msg[256], ts[32];
        (void)state;
        h_fixture_start(&f, NULL);
        h_daemon_stop(&f.d, SIGTERM);

        /* No events at all: the missed days are a data outage, skipped with a warning. */
        rewind_schedule(f.dir);
        h_fixture_daemon(&f);
        h_daemon_stop(&f.d, SIGTERM);
        assert_int_equal(h_daemon_log_count(&f.d, "Skipping the scheduled detection"), 3);
        assert_int_equal(h_daemon_log_count(&f.d, "Ghost-stock run as of"), 0);

        /* With current events the missed days run at start-up. */
        h_fixture_daemon(&f);
        time_t now = time(NULL) - 60;
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        snprintf(msg, sizeof(msg), "{\"ts\":\"%s\",\"items\":[{\"sku\":\"A\",\"on_hand\":5}]}", ts);
        h_publish(f.b.port, "retail/demo/store1/inventory", msg);
        free(h_request(f.b.port, "retail/demo/store1", "detect", "{\"detectors\":[\"shelf_out\"]}",
                       5));
        h_daemon_stop(&f.d, SIGTERM);
        rewind_schedule(f.dir);
        h_fixture_daemon(&f);
        cJSON *h = h_health(f.b.port, "retail/demo/store1");
        /* The daemon ran the missed days at start-up, before it answered anything. */
        assert_true(cJSON_IsString(h_json_item(h, "detectors.ghost_stock.last_run")));
        cJSON_Delete(h);
        h_daemon_stop(&f.d, SIGTERM);
        assert_int_equal(h_daemon_log_count(&f.d, "Ghost-stock run as of"), 3);
        h_fixture_finish(&f);
}

/* A database that is not one is moved aside with a loud error; the daemon comes up on a
 * fresh one instead of failing in a restart loop. */
static void test_corrupt_database_is_moved_aside(void **state)
{
        struct h_fixture f = {0};
        char db[512], junk[4096];
        (void)state;
        h_fixture_prepare(&f, NULL, NULL);
        snprintf(db, sizeof(db), "%s/sw.db", f.dir);
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (char)(i * 7 + 3);
        FILE *fp = fopen(db, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
        fclose(fp);

        h_fixture_daemon(&f); /* fails the test unless health answers */
        h_daemon_stop(&f.d, SIGTERM);
        assert_int_equal(h_daemon_log_count(&f.d, "is corrupt: moved it to"), 1);
        char pattern[600], *argv[] = {"sh", "-c", pattern, NULL};
        snprintf(pattern, sizeof(pattern), "ls %s/sw.db.corrupt-* >/dev/null", f.dir);
        assert_int_equal(h_run(NULL, argv), 0);
        /* It is marked as restored at the quarantine, so its revs jump above HQ's. */
        {
                char out[600], *sq[] = {"sqlite3", "-readonly", db,
                                        "SELECT value FROM meta WHERE key = 'restored_at'", NULL};
                snprintf(out, sizeof(out), "%s/restored_at.txt", f.dir);
                long long before = (long long)time(NULL);
                assert_int_equal(h_run(out, sq), 0);
                char *v = h_read_file(out);
                assert_non_null(v);
                long long at = atoll(v);
                free(v);
                assert_true(at > 1700000000LL && at <= before);
        }
        /* The new database is a real one: a second start finds nothing to move. */
        h_fixture_daemon(&f);
        h_daemon_stop(&f.d, SIGTERM);
        assert_int_equal(h_daemon_log_count(&f.d, "is corrupt: moved it to"), 1);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_version_help_and_usage_errors),
        cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_missed_scheduled_runs_are_caught_up),
        cmocka_unit_test(test_corrupt_database_is_moved_aside))
/* clang-format on */
