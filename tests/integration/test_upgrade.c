/* Upgrade and downgrade: the database the previous release (schema 4) left is upgraded in place
 * by the real daemon and keeps its anomalies; a database of a newer schema is refused, exit
 * non-zero, byte for byte unchanged, not moved aside. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "platform/store.h"
#include "tests/support/test_main.h"

#define PREFIX          "retail/demo/store1"
#define FIXTURE         SW_SOURCE_DIR "/tests/integration/data/schema4.tar.gz"
#define EXPECT          SW_SOURCE_DIR "/tests/integration/data/schema4-anomalies.txt"
#define RELEASED_SCHEMA 4 /* what 0.1.0, the previous release, wrote: the fixture */

/* A whole file (binary), its size in *ret_len. */
static char *read_bytes(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *b = malloc((size_t)n + 1);
        assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *ret_len = (size_t)n;
        return b;
}

static int schema_of(const char *db)
{
        struct sw_store *s = NULL;
        int v = -1;
        assert_int_equal(sw_store_open(db, NULL, &s), 0);
        assert_int_equal(sw_store_schema_version(s, &v), 0);
        sw_store_close(s);
        return v;
}

/* The anomalies command's ids and statuses, "id|status\n" sorted. */
static char *id_status(int port)
{
        char *digest = h_anomaly_digest(port, PREFIX), *out = calloc(1, strlen(digest) + 1);
        for (char *line = strtok(digest, "\n"); line; line = strtok(NULL, "\n")) {
                char *second = strchr(strchr(line, '|') + 1, '|');
                strncat(out, line, (size_t)(second - line));
                strcat(out, "\n");
        }
        free(digest);
        return out;
}

/* The previous release's database (FIXTURE) unpacked into dir; its path in db. */
static void unpack_fixture(const char *dir, char db[300])
{
        char *tar[] = {"tar", "-xzf", FIXTURE, "-C", (char *)dir, NULL};
        assert_int_equal(h_run(NULL, tar), 0);
        snprintf(db, 300, "%s/sw.db", dir);
}

static void test_previous_schema_upgraded_in_place(void **state)
{
        struct h_fixture f = {0};
        char db[300];
        (void)state;
        h_fixture_prepare(&f, NULL, NULL);
        unpack_fixture(f.dir, db);
        {
                /* Read-only look: the fixture really is the previous schema. */
                char *sq[] = {"sqlite3", "-readonly", db, "PRAGMA user_version", NULL};
                char out[300];
                snprintf(out, sizeof(out), "%s/version.txt", f.dir);
                assert_int_equal(h_run(out, sq), 0);
                char *v = h_read_file(out);
                assert_int_equal(atoi(v), RELEASED_SCHEMA);
                assert_true(RELEASED_SCHEMA < SW_STORE_SCHEMA_VERSION);
                free(v);
        }
        h_fixture_daemon(&f);
        /* Every anomaly of the old daemon, with its status, through the new one. */
        char *got = id_status(f.b.port), *want = h_read_file(EXPECT);
        assert_non_null(want);
        if (strcmp(got, want) != 0)
                fail_msg("anomalies after the upgrade:\n%s\nbefore:\n%s", got, want);
        /* Old rows keep working: an outcome on an anomaly written by schema 4, and ingest. */
        char payload[256], first[128];
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(want, "|"), want);
        snprintf(payload, sizeof(payload),
                 "{\"anomaly\":\"%s\",\"outcome\":\"true_positive\",\"user\":\"upgrade-test\"}",
                 first);
        cJSON_Delete(h_command(f.b.port, PREFIX, "outcome", payload));
        h_publish(f.b.port, PREFIX "/pos/r1",
                  "{\"id\":\"after-upgrade\",\"ts\":\"2026-11-20T09:00:00Z\",\"lines\":[{\"sku\":"
                  "\"SKU0003\",\"qty\":1}]}");
        h_wait_health_number(f.b.port, PREFIX, "messages.accepted.pos", 1, 100);
        free(got);
        free(want);
        h_daemon_stop(&f.d, SIGTERM);
        assert_int_equal(schema_of(db), SW_STORE_SCHEMA_VERSION);
        assert_int_equal(h_daemon_log_count(&f.d, "corrupt"), 0);
        /* A second start on the upgraded file. */
        h_fixture_daemon(&f);
        h_fixture_finish(&f);
}

static void test_newer_schema_refused_unchanged(void **state)
{
        char dir[256], conf[1024], db[300], log[300], sql[64];
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        unpack_fixture(dir, db);
        /* As if a later shelfwatchd had written it (then a downgrade of the package). */
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SW_STORE_SCHEMA_VERSION + 1);
        char *sq[] = {"sqlite3", db, sql, NULL};
        assert_int_equal(h_run(NULL, sq), 0);
        size_t before_len, after_len;
        char *before = read_bytes(db, &before_len);

        h_config(conf, sizeof(conf), sw_test_free_port(), dir, NULL);
        char path[300];
        snprintf(path, sizeof(path), "%s/shelfwatch.conf", dir);
        h_write_file(path, conf);
        snprintf(log, sizeof(log), "%s/shelfwatchd.log", dir);
        char *argv[] = {SW_BUILD_DIR "/shelfwatchd", "-c", path, NULL};
        int st = h_run(log, argv);
        assert_int_not_equal(st, 0);
        char *text = h_read_file(log);
        if (!strstr(text, "was written by a newer shelfwatch; refusing to touch it"))
                fail_msg("no clear refusal in the log:\n%s", text);
        free(text);
        char *after = read_bytes(db, &after_len);
        assert_int_equal(after_len, before_len);
        assert_memory_equal(after, before, before_len);
        free(after);
        /* Not taken for corrupt: nothing moved aside. */
        DIR *dd = opendir(dir);
        for (struct dirent *e; (e = readdir(dd)) != NULL;)
                if (strstr(e->d_name, "corrupt"))
                        fail_msg("%s was moved aside", e->d_name);
        closedir(dd);

        /* Nor does --restore put such a copy in place. */
        char copy[300];
        snprintf(copy, sizeof(copy), "%s/newer-copy.db", dir);
        assert_int_equal(rename(db, copy), 0);
        char *restore[] = {SW_BUILD_DIR "/shelfwatchd", "-c", path, "--restore", copy, NULL};
        st = h_run(log, restore);
        assert_int_not_equal(st, 0);
        text = h_read_file(log);
        assert_non_null(strstr(text, "is newer than this build's"));
        free(text);
        assert_int_equal(access(db, F_OK), -1);
        after = read_bytes(copy, &after_len);
        assert_memory_equal(after, before, before_len);
        free(after);
        free(before);
        h_rmdir(dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_previous_schema_upgraded_in_place, h_teardown),
        cmocka_unit_test_teardown(test_newer_schema_refused_unchanged, h_teardown))
/* clang-format on */
