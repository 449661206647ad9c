/* shelfwatch backup while ingest runs, shelfwatchd --restore, and the state afterwards: every
 * message acknowledged before the backup is in the copy, none acknowledged after it. */
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

#define PREFIX "retail/demo/store1"
#define BATCH  30 /* messages published before the backup, and after it */
#define SIM_ARGS                                                                                   \
        "--profile", "basic", "--days", "20", "--warmup", "10", "--skus", "300", "--seed", "5",    \
            "--start", "2026-10-20", "--reply-timeout", "3", "--sleep-ms", "100", "--quiet"

static void write_config(char *conf, size_t size, int port, const char *dir)
{
        snprintf(conf, size,
                 "broker: { port = %d; reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
                 "storage: { path = \"%s/sw.db\"; backup_dir = \"%s/backups\"; };\n",
                 port, dir, dir);
}

/* One sale of SKU BK-<tag> with id <tag><i>: published at QoS 1, acknowledged by the broker. */
static void publish_batch(int port, const char *tag)
{
        char payload[256];
        for (int i = 0; i < BATCH; i++) {
                snprintf(payload, sizeof(payload),
                         "{\"id\":\"%s%d\",\"ts\":\"2026-11-20T09:%02d:00Z\",\"lines\":[{\"sku\":"
                         "\"BK-%s\",\"qty\":1,\"price\":2.5}]}",
                         tag, i, i, tag);
                h_publish(port, PREFIX "/pos/bk", payload);
        }
}

/* Run shelfwatchd with args; its exit status, its output in out (malloc'd). */
static int run_daemon(const char *dir, const char *conf_path, const char *restore, char **out)
{
        char log[512];
        snprintf(log, sizeof(log), "%s/restore.log", dir);
        char *argv[] = {SW_BUILD_DIR "/shelfwatchd",
                        "-c",
                        (char *)conf_path,
                        "--restore",
                        (char *)restore,
                        NULL};
        int st = h_run(log, argv);
        *out = h_read_file(log);
        return st;
}

/* A refused backup: the reply's error holds want. */
static void backup_refused(int port, const char *payload, const char *want)
{
        char *r = h_request(port, PREFIX, "backup", payload, 10);
        assert_non_null(r);
        if (!strstr(r, "\"ok\":false") || !strstr(r, want))
                fail_msg("backup %s: expected an error with '%s', got %s", payload, want, r);
        free(r);
}

static void test_backup_under_load_then_restore(void **state)
{
        struct h_fixture f = {0};
        char copy[512], payload[1024], *out = NULL;
        (void)state;
        h_tmpdir(f.dir, sizeof(f.dir));
        h_broker_start(&f.b, 0, NULL);
        write_config(f.conf, sizeof(f.conf), f.b.port, f.dir);
        h_fixture_daemon(&f);

        /* Ingest runs the whole time: the simulator's store, days of sales and counts. */
        pid_t sim = h_storesim_spawn(f.b.port, f.dir, "sim.log", SIM_ARGS, NULL);
        h_sleep_ms(1500);
        publish_batch(f.b.port, "a");
        snprintf(copy, sizeof(copy), "%s/backups/copy.db", f.dir);
        snprintf(payload, sizeof(payload), "{\"path\":\"%s\"}", copy);
        double t0 = h_mono_s();
        cJSON *r = h_command(f.b.port, PREFIX, "backup", payload);
        print_message("backup under load: %.0f bytes in %.0f ms (reply after %.0f ms)\n",
                      h_json_number(r, "bytes"), h_json_number(r, "duration_ms"),
                      (h_mono_s() - t0) * 1000);
        assert_string_equal(h_json_string(r, "path"), copy);
        assert_int_equal((int)h_json_number(r, "schema_version"), SW_STORE_SCHEMA_VERSION);
        cJSON_Delete(r);
        /* The copy was taken with ingest running: the simulator has not finished. */
        int sim_status;
        assert_int_equal(waitpid(sim, &sim_status, WNOHANG), 0);
        publish_batch(f.b.port, "b");

        /* What is refused, and why. */
        backup_refused(f.b.port, payload, "exists (force replaces it)");
        backup_refused(f.b.port, "{\"path\":\"copy.db\"}", "must be absolute");
        backup_refused(f.b.port, "{}", "path: the file to write is missing");
        snprintf(payload, sizeof(payload), "{\"path\":\"%s/elsewhere.db\"}", f.dir);
        backup_refused(f.b.port, payload, "must be in storage.backup_dir");
        snprintf(payload, sizeof(payload), "{\"path\":\"%s/backups/../sw2.db\"}", f.dir);
        backup_refused(f.b.port, payload, "must be in storage.backup_dir");
        snprintf(payload, sizeof(payload), "{\"path\":\"%s/backups/x.db\",\"force\":\"yes\"}",
                 f.dir);
        backup_refused(f.b.port, payload, "force: must be true or false");
        /* --force replaces (through the CLI: absolute FILE, the reply printed). */
        char second[512], clilog[512], portbuf[16];
        snprintf(second, sizeof(second), "%s/backups/second.db", f.dir);
        snprintf(clilog, sizeof(clilog), "%s/cli.log", f.dir);
        snprintf(portbuf, sizeof(portbuf), "%d", f.b.port);
        char *cli[] = {SW_BUILD_DIR "/shelfwatch",
                       "--port",
                       portbuf,
                       "--tenant",
                       "demo",
                       "--store",
                       "store1",
                       "backup",
                       second,
                       NULL,
                       NULL};
        assert_int_equal(h_run(clilog, cli), 0);
        cli[9] = "--force";
        assert_int_equal(h_run(clilog, cli), 0);
        char *text = h_read_file(clilog);
        assert_non_null(strstr(text, "Backup written to"));
        free(text);
        char *rel[] = {SW_BUILD_DIR "/shelfwatch", "--port", portbuf, "backup", "rel.db", NULL};
        assert_int_equal(h_run(clilog, rel), 2);

        assert_int_equal(h_wait(sim), 0);
        /* A running daemon holds its database: --restore refuses and changes nothing. */
        assert_int_equal(run_daemon(f.dir, f.d.conf, copy, &out), 1);
        assert_non_null(strstr(out, "shelfwatchd is running on this database: stop it first"));
        free(out);
        h_daemon_stop(&f.d, SIGTERM);

        /* Copies that cannot be restored. */
        char bad[512], db[512], aside[600];
        snprintf(bad, sizeof(bad), "%s/garbage.db", f.dir);
        h_write_file(bad, "this is not a database, not even close to one................");
        assert_int_equal(run_daemon(f.dir, f.d.conf, bad, &out), 1);
        assert_non_null(strstr(out, "cannot be restored"));
        free(out);
        assert_int_equal(run_daemon(f.dir, f.d.conf, "/nonexistent/x.db", &out), 1);
        assert_non_null(strstr(out, "No such file"));
        free(out);

        /* The restore. */
        snprintf(db, sizeof(db), "%s/sw.db", f.dir);
        struct stat st;
        assert_int_equal(stat(db, &st), 0);
        assert_int_equal(run_daemon(f.dir, f.d.conf, copy, &out), 0);
        print_message("%s", out);
        assert_non_null(strstr(out, "restored"));
        const char *kept = strstr(out, "kept as ");
        assert_non_null(kept);
        snprintf(aside, sizeof(aside), "%.*s", (int)strcspn(kept + 8, "\n"), kept + 8);
        free(out);
        assert_int_equal(stat(aside, &st), 0); /* the replaced database is kept */
        /* The copy itself is untouched: a second restore from it works the same. */
        struct sw_store *s = NULL;
        int64_t at = 0;
        assert_int_equal(sw_store_open(db, NULL, &s), 0);
        assert_int_equal(sw_store_meta_get_int(s, "restored_at", &at), 0);
        assert_true(at > 0);
        s = sw_store_close(s);

        /* The daemon on the copy: batch a is in it (every id a duplicate), batch b is not. */
        h_fixture_daemon(&f);
        publish_batch(f.b.port, "a");
        h_wait_health_number(f.b.port, PREFIX, "messages.duplicates.pos", BATCH, 100);
        publish_batch(f.b.port, "b");
        h_wait_health_number(f.b.port, PREFIX, "messages.accepted.pos", BATCH, 100);
        cJSON *h = h_health(f.b.port, PREFIX);
        assert_int_equal((int)h_json_number(h, "messages.duplicates.pos"), BATCH);
        cJSON_Delete(h);

        /* An outcome recorded now is numbered from the restore's time: HQ may hold outcomes
         * recorded after the copy was made, numbered on from the copy's, and keeps the first
         * message of an id. Batch b sold units of a SKU without a book: the stock checks of a
         * detect find its discrepancy. */
        cJSON_Delete(h_command(f.b.port, PREFIX, "detect", "{}"));
        cJSON *list = h_command(f.b.port, PREFIX, "anomalies", "{}");
        cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "anomalies"), 0);
        if (!first)
                fail_msg("no anomaly after the restore and a detect");
        struct h_collector *outcomes = h_collector_start(f.b.port, PREFIX "/outcome");
        snprintf(payload, sizeof(payload), "{\"anomaly\":\"%s\",\"outcome\":\"false_positive\"}",
                 h_json_string(first, "id"));
        cJSON_Delete(list);
        cJSON *rec = h_command(f.b.port, PREFIX, "outcome", payload);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "ok")));
        cJSON_Delete(rec);
        assert_true(h_collector_wait(outcomes, 1, 10000) >= 1);
        char *o = h_collector_get(outcomes, 0);
        cJSON *oj = cJSON_Parse(o);
        const char *oid = h_json_string(oj, "id");
        const char *n = strrchr(oid, 'o');
        assert_non_null(n);
        print_message("outcome after the restore: %s (restored at %lld)\n", oid, (long long)at);
        assert_true(strtoll(n + 1, NULL, 10) >= at);
        cJSON_Delete(oj);
        free(o);
        h_collector_stop(outcomes);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_backup_under_load_then_restore, h_teardown))
/* clang-format on */
