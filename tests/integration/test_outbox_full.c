/* A full outbox while HQ is away: the oldest rows are dropped at the minute's trim, counted and
 * logged, and once HQ is back exactly the newest limits.outbox_max_rows rows arrive, in order. */
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX   "retail/demo/store1"
#define MAX_ROWS 100 /* limits.outbox_max_rows: its minimum */

/* One outbox row as HQ sees it: topic and payload, '\n'-joined; for a row standing for an
 * anomaly (rendered when sent) "anomaly <id>" instead of the payload, see message_key(). */
struct rows {
        int64_t *seq; /* outbox seq (0 for rows seen at HQ) */
        char **row;   /* "topic\npayload", malloc'd */
        size_t n;     /* used */
};

static void rows_add(struct rows *r, int64_t seq, const char *topic, const char *payload)
{
        r->seq = realloc(r->seq, (r->n + 1) * sizeof(*r->seq));
        r->row = realloc(r->row, (r->n + 1) * sizeof(*r->row));
        assert_true(r->seq && r->row);
        size_t len = strlen(topic) + strlen(payload) + 2;
        r->row[r->n] = malloc(len);
        assert_non_null(r->row[r->n]);
        snprintf(r->row[r->n], len, "%s\n%s", topic, payload);
        r->seq[r->n++] = seq;
}

static void rows_free(struct rows *r)
{
        for (size_t i = 0; i < r->n; i++)
                free(r->row[i]);
        free(r->row);
        free(r->seq);
        *r = (struct rows){0};
}

/* The outbox table, in seq order (the daemon is running: WAL lets us read beside it). */
static struct rows outbox_rows(const char *dir)
{
        char path[512];
        sqlite3 *db;
        sqlite3_stmt *st;
        struct rows r = {0};
        snprintf(path, sizeof(path), "%s/sw.db", dir);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(
            sqlite3_prepare_v2(db,
                               "SELECT o.seq, o.topic, CASE WHEN o.anomaly_ref THEN "
                               "'anomaly ' || o.msg_id ELSE CAST(o.payload AS TEXT) END "
                               "FROM outbox o ORDER BY o.seq",
                               -1, &st, NULL),
            SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
                rows_add(&r, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                         (const char *)sqlite3_column_text(st, 2));
        sqlite3_finalize(st);
        sqlite3_close(db);
        return r;
}

/* A message received at HQ as outbox_rows() names it: a P/anomaly (the only message with
 * detected_at) by its anomaly id, anything else by its payload. malloc'd. */
static char *message_key(const char *msg)
{
        cJSON *j = cJSON_Parse(msg);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        char *key;
        if (j && cJSON_IsString(id) && cJSON_GetObjectItemCaseSensitive(j, "detected_at")) {
                size_t n = strlen(id->valuestring) + sizeof("anomaly ");
                key = malloc(n);
                assert_non_null(key);
                snprintf(key, n, "anomaly %s", id->valuestring);
        } else {
                key = strdup(msg);
                assert_non_null(key);
        }
        cJSON_Delete(j);
        return key;
}

static void test_a_full_outbox_keeps_the_newest_rows(void **state)
{
        struct h_fixture f = {0};
        char extra[128];
        cJSON *h;
        (void)state;
        snprintf(extra, sizeof(extra), "limits: { outbox_max_rows = %d; };\n", MAX_ROWS);
        h_fixture_prepare_hq(&f, true, extra);
        /* HQ's reader has a session there before the outage, and nothing retained yet. */
        struct h_collector *at_hq = h_collector_start_session(f.hq.port, PREFIX "/#", "hq-reader");
        h_broker_stop(&f.hq);

        /* The trim runs once a minute from the daemon's start: this is minute zero. */
        double started = h_mono_s();
        h_fixture_daemon(&f);
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", "--profile", "basic", "--days",
                                    "30", "--warmup", "14", "--skus", "400", "--seed", "5",
                                    "--quiet", NULL),
                         0);
        h = h_health(f.b.port, PREFIX);
        double produced = h_json_number(h, "outbox.depth");
        assert_true(h_json_number(h, "outbox.dropped") == 0);
        cJSON_Delete(h);
        print_message("%.0f outbox rows produced in %.1f s with HQ away\n", produced,
                      h_mono_s() - started);
        assert_true(produced > MAX_ROWS);
        struct rows before = outbox_rows(f.dir);

        /* The trim, about 60 s after the start. */
        double dropped = 0;
        while (dropped == 0 && h_mono_s() - started < 90) {
                sleep(1);
                h = h_health(f.b.port, PREFIX);
                dropped = h_json_number(h, "outbox.dropped");
                cJSON_Delete(h);
        }
        struct rows after = outbox_rows(f.dir);
        print_message("trim after %.1f s: dropped %.0f, kept %zu\n", h_mono_s() - started, dropped,
                      after.n);

        /* Exactly max_rows kept, and they are the newest: the rows present before the trim
         * minus its oldest, then whatever came after (a sweep just before the trim). */
        assert_int_equal(after.n, MAX_ROWS);
        size_t added = 0;
        while (added < after.n && after.seq[after.n - 1 - added] > before.seq[before.n - 1])
                added++;
        assert_int_equal((size_t)dropped, before.n + added - MAX_ROWS);
        for (size_t i = 0; i < after.n - added; i++) {
                assert_int_equal(after.seq[i], before.seq[before.n - (after.n - added) + i]);
                assert_string_equal(after.row[i], before.row[before.n - (after.n - added) + i]);
        }

        /* Logged as a warning, with the same count. */
        char *log = h_read_file(f.d.log), want[128];
        assert_non_null(log);
        snprintf(want, sizeof(want),
                 "Outbox over limits.outbox_max_rows=%d: dropped the %.0f oldest rows", MAX_ROWS,
                 dropped);
        if (!strstr(log, want))
                fail_msg("no \"%s\" in the log:\n%s", want, log);
        free(log);

        /* HQ comes back: the kept rows arrive, in order; anything else is a resend of a row
         * already received (rows of one anomaly carry its same latest state, so equal
         * messages need not be resends: they are matched in order). */
        h_broker_start_keeping(&f.hq, f.hq.port);
        h_wait_health_number(f.b.port, PREFIX, "outbox.depth", 0, 300);
        /* The reader reconnects to HQ on its own backoff: wait for what the broker queued for
         * it (a loaded machine can take seconds), then for its last deliveries. */
        h_collector_wait(at_hq, MAX_ROWS, 60000);
        usleep(500000);
        size_t total = 0, dups = 0, from_status = 0, next = 0;
        for (size_t i = 0; i < h_collector_count(at_hq); i++) {
                char *msg = h_collector_get(at_hq, i);
                cJSON *j = cJSON_Parse(msg);
                /* P/status goes straight to HQ on connect, not through the outbox. */
                if (j && cJSON_GetObjectItem(j, "state") && cJSON_GetObjectItem(j, "started_at")) {
                        from_status++;
                } else {
                        bool resend = false;
                        char *key = message_key(msg);
                        total++;
                        if (next < after.n && strcmp(key, strchr(after.row[next], '\n') + 1) == 0) {
                                next++;
                        } else {
                                for (size_t k = 0; k < next && !resend; k++)
                                        resend = strcmp(key, strchr(after.row[k], '\n') + 1) == 0;
                                if (!resend)
                                        fail_msg(
                                            "message %zu at HQ is neither outbox row %zu nor a "
                                            "resend:\n%s",
                                            i, next, msg);
                                dups++;
                        }
                        free(key);
                }
                cJSON_Delete(j);
                free(msg);
        }
        print_message(
            "HQ received %zu outbox messages (%zu rows in order, %zu resends) and %zu status\n",
            total, next, dups, from_status);
        assert_int_equal(next, after.n);
        h = h_health(f.b.port, PREFIX);
        print_message("outbox: delivered %.0f, dropped %.0f\n",
                      h_json_number(h, "outbox.delivered"), h_json_number(h, "outbox.dropped"));
        assert_true(h_json_number(h, "outbox.dropped") == dropped);
        cJSON_Delete(h);

        rows_free(&before);
        rows_free(&after);
        h_collector_stop(at_hq);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_a_full_outbox_keeps_the_newest_rows, h_teardown))
/* clang-format on */
