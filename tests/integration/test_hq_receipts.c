/* Wire contract 1.1 and end-to-end receipts with a real mosquitto and the real daemon: a test
 * client plays HQ. It sees v1.1 on every message (rev, updated_at, currency, money to the cent,
 * prices as received, health), answers with receipts on P/hq/receipt, and the daemon keeps and
 * resends (same id and rev) exactly what had no receipt. Both HQ modes: the hq section, and the
 * local broker a bridge would carry (receipts subscribed there). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"

#define PREFIX   "retail/demo/store1"
#define RESEND_S 5
#define MAX_IDS  4096
#define RECEIPTS "hq_receipts: { enabled = true; resend_after_seconds = 5; };\n"
#define CURRENCY "store: { currency = \"EUR\"; };\n"

/* One integer from the daemon's database (WAL: read beside it). */
static int64_t db_int(const char *dir, const char *sql)
{
        char path[512];
        sqlite3 *db;
        sqlite3_stmt *st;
        int64_t v = -1;
        snprintf(path, sizeof(path), "%s/sw.db", dir);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

/* The number after "key": in text has at most max_decimals decimals (the text, not a double). */
static void assert_decimals(const char *text, const char *key, int max_decimals)
{
        char pat[64];
        snprintf(pat, sizeof(pat), "\"%s\":", key);
        const char *p = strstr(text, pat);
        if (!p)
                fail_msg("no %s in %s", key, text);
        p += strlen(pat);
        size_t n = strspn(p, "-0123456789.eE+");
        const char *dot = memchr(p, '.', n);
        int decimals = dot ? (int)(n - (size_t)(dot + 1 - p)) : 0;
        if (decimals > max_decimals || memchr(p, 'e', n))
                fail_msg("%s: %.*s has float noise (%s)", key, (int)n, p, text);
}

/* What HQ received per anomaly id: its highest rev and how many messages. */
struct seen {
        char id[200]; /* anomaly id */
        int64_t rev;  /* highest rev received */
        int messages; /* messages received for it */
        int at_rev;   /* of which carried that rev */
};

/* Tally P/anomaly messages of c; checks the 1.1 members of each. Returns distinct ids. */
static size_t tally(struct h_collector *c, struct seen *s)
{
        size_t n = 0;
        for (size_t i = 0; i < h_collector_count(c); i++) {
                char *msg = h_collector_get(c, i);
                cJSON *a = cJSON_Parse(msg);
                assert_non_null(a);
                assert_string_equal(h_json_string(a, "v"), "1.1");
                assert_string_equal(h_json_string(a, "currency"), "EUR");
                assert_non_null(strstr(h_json_string(a, "updated_at"), "T"));
                int64_t rev = (int64_t)h_json_number(a, "rev");
                assert_true(rev >= 1);
                assert_decimals(msg, "value", 2);
                assert_decimals(strstr(msg, "\"metadata\""), "price", 2);
                const char *id = h_json_string(a, "id");
                size_t k = 0;
                while (k < n && strcmp(s[k].id, id) != 0)
                        k++;
                if (k == n) {
                        assert_true(n < MAX_IDS);
                        s[n++] = (struct seen){.rev = 0};
                        snprintf(s[k].id, sizeof(s[k].id), "%s", id);
                }
                s[k].messages++;
                if (rev > s[k].rev) {
                        s[k].rev = rev;
                        s[k].at_rev = 0;
                }
                if (rev == s[k].rev)
                        s[k].at_rev++;
                cJSON_Delete(a);
                free(msg);
        }
        return n;
}

/* Publish a receipt {"v":"1.1","ids":[...]} for s[from..to) at their highest rev. */
static void send_receipt(int port, const struct seen *s, size_t from, size_t to)
{
        size_t size = 64 + (to - from) * 200;
        char *json = malloc(size);
        size_t n = (size_t)snprintf(json, size, "{\"v\":\"1.1\",\"ids\":[");
        for (size_t k = from; k < to; k++)
                n += (size_t)snprintf(json + n, size - n, "%s{\"id\":\"%s\",\"rev\":%lld}",
                                      k > from ? "," : "", s[k].id, (long long)s[k].rev);
        snprintf(json + n, size - n, "]}");
        h_publish(port, PREFIX "/hq/receipt", json);
        free(json);
}

/* The summary and the status carry v1.1, the currency and the gateway's health. */
static void check_summary_and_status(struct h_collector *summary, struct h_collector *status)
{
        assert_true(h_collector_wait(summary, 1, 20000) >= 1);
        char *msg = h_collector_get(summary, h_collector_count(summary) - 1);
        cJSON *o = cJSON_Parse(msg);
        assert_non_null(o);
        assert_string_equal(h_json_string(o, "v"), "1.1");
        assert_string_equal(h_json_string(o, "currency"), "EUR");
        assert_decimals(msg, "ghost_value", 2);
        assert_true(h_json_number(o, "health.outbox.depth") >= 0);
        assert_true(h_json_number(o, "health.outbox.oldest_age_s") >= 0);
        assert_true(h_json_number(o, "health.messages.accepted.pos") > 0);
        assert_true(h_json_number(o, "health.messages.rejected.pos") >= 0);
        assert_string_equal(h_json_string(o, "health.storage"), "ok");
        assert_non_null(h_json_item(o, "health.last_pos_at"));
        assert_true(cJSON_IsArray(h_json_item(o, "health.conditions")));
        assert_true(cJSON_IsTrue(h_json_item(o, "health.outbox.receipts")));
        cJSON_Delete(o);
        free(msg);
        assert_true(h_collector_wait(status, 1, 20000) >= 1);
        msg = h_collector_get(status, h_collector_count(status) - 1);
        o = cJSON_Parse(msg);
        assert_non_null(o);
        assert_string_equal(h_json_string(o, "v"), "1.1");
        assert_string_equal(h_json_string(o, "state"), "online");
        assert_true(h_json_number(o, "health.outbox.depth") >= 0);
        assert_string_equal(h_json_string(o, "health.storage"), "ok");
        cJSON_Delete(o);
        free(msg);
}

/* Messages HQ has received for id so far. */
static int messages_for(struct h_collector *c, struct seen *scratch, const char *id)
{
        size_t n = tally(c, scratch);
        for (size_t k = 0; k < n; k++)
                if (strcmp(scratch[k].id, id) == 0)
                        return scratch[k].messages;
        return 0;
}

/*
 * The heart of it, on whichever broker carries HQ's topics (hq_port): anomalies arrive with
 * 1.1 members and wait for receipts; half get a receipt and are never sent again; the other
 * half are resent after resend_after_seconds with the same id and rev, then receipted; an
 * older rev confirms nothing newer; an outcome is receipted with rev 1.
 */
static void run_receipts(int local_port, int hq_port, const char *dir)
{
        struct seen *s = calloc(MAX_IDS, sizeof(*s)), *scratch = calloc(MAX_IDS, sizeof(*s));
        struct h_collector *at_hq = h_collector_start(hq_port, PREFIX "/anomaly");
        struct h_collector *outcomes = h_collector_start(hq_port, PREFIX "/outcome");
        struct h_collector *summary = h_collector_start(hq_port, PREFIX "/summary");
        struct h_collector *status = h_collector_start(hq_port, PREFIX "/status");
        assert_int_equal(h_storesim(local_port, dir, "sim.log", "--profile", "basic", "--days",
                                    "20", "--warmup", "14", "--skus", "80", "--seed", "7",
                                    "--quiet", NULL),
                         0);
        /* Everything queued went out, was acknowledged and kept: the rows wait for receipts
         * (and go again every RESEND_S meanwhile). */
        int64_t rows = db_int(dir, "SELECT count(*) FROM outbox WHERE rev > 0");
        assert_true(rows > 0);
        assert_true(h_collector_wait(at_hq, (size_t)rows, 20000) >= (size_t)rows);
        check_summary_and_status(summary, status);
        h_wait_health_number(local_port, PREFIX, "outbox.receipts.awaiting", (double)rows, 100);
        cJSON *h = h_health(local_port, PREFIX);
        assert_true(h_json_number(h, "outbox.depth") >= (double)rows);
        assert_true(h_json_number(h, "outbox.receipts.received") == 0);
        cJSON_Delete(h);

        /* Receipts for the first half, at the highest rev each was sent with. */
        size_t ids = tally(at_hq, s), half = ids / 2;
        assert_true(ids >= 4);
        send_receipt(hq_port, s, 0, half);
        h_wait_health_number(local_port, PREFIX, "outbox.receipts.received", 1, 100);
        for (size_t k = 0; k < half; k++) {
                char sql[512];
                snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE msg_id = '%s'",
                         s[k].id);
                assert_int_equal(db_int(dir, sql), 0);
        }
        h_sleep_ms(1000); /* a resend handed to the broker before the receipt lands first */
        int before[MAX_IDS];
        for (size_t k = 0; k < ids; k++)
                before[k] = messages_for(at_hq, scratch, s[k].id);
        /* An older rev than sent confirms nothing newer: the row of the newest rev stays. */
        size_t multi = ids;
        for (size_t k = half; k < ids && multi == ids; k++)
                if (s[k].rev >= 2)
                        multi = k;
        if (multi < ids) {
                struct seen older = s[multi];
                char sql[512];
                older.rev--;
                send_receipt(hq_port, &older, 0, 1);
                h_wait_health_number(local_port, PREFIX, "outbox.receipts.received", 2, 100);
                snprintf(sql, sizeof(sql),
                         "SELECT count(*) FROM outbox WHERE msg_id = '%s' AND rev = %lld",
                         s[multi].id, (long long)s[multi].rev);
                assert_true(db_int(dir, sql) >= 1);
        }

        /* The other half had no receipt: resent after the time, same id and rev. */
        h_sleep_ms((RESEND_S + 3) * 1000);
        size_t now_ids = tally(at_hq, scratch);
        assert_int_equal(now_ids, ids);
        for (size_t k = 0; k < ids; k++) {
                int after = messages_for(at_hq, scratch, s[k].id);
                if (k < half && after != before[k])
                        fail_msg("%s had its receipt and was sent again (%d -> %d)", s[k].id,
                                 before[k], after);
                if (k >= half && after <= before[k])
                        fail_msg("%s had no receipt and was not sent again", s[k].id);
        }
        tally(at_hq, scratch); /* no rev went up or down: the resend is the same rev */
        for (size_t k = 0; k < ids; k++)
                for (size_t j = 0; j < now_ids; j++)
                        if (strcmp(scratch[j].id, s[k].id) == 0)
                                assert_int_equal(scratch[j].rev, s[k].rev);
        h = h_health(local_port, PREFIX);
        double resent = h_json_number(h, "outbox.receipts.resent");
        assert_true(resent >= (double)(ids - half));
        cJSON_Delete(h);

        /* An outcome: P/outcome with v1.1 and its money, receipted with rev 1; the anomaly it
         * resolves is published again with the next rev. */
        char req[320], sql[512];
        snprintf(req, sizeof(req), "{\"anomaly\":\"%s\",\"outcome\":\"true_positive\"}", s[0].id);
        cJSON_Delete(h_command(local_port, PREFIX, "outcome", req));
        assert_true(h_collector_wait(outcomes, 1, 20000) >= 1);
        char *msg = h_collector_get(outcomes, 0);
        cJSON *o = cJSON_Parse(msg);
        assert_string_equal(h_json_string(o, "v"), "1.1");
        assert_string_equal(h_json_string(o, "currency"), "EUR");
        assert_decimals(msg, "value_recovered", 2);
        assert_decimals(msg, "prevented_value", 2);
        char outcome_id[150];
        snprintf(outcome_id, sizeof(outcome_id), "%s", h_json_string(o, "id"));
        cJSON_Delete(o);
        free(msg);
        for (int i = 0; i < 100 && messages_for(at_hq, scratch, s[0].id) == before[0]; i++)
                h_sleep_ms(100);
        tally(at_hq, scratch);
        assert_int_equal(scratch[0].rev, s[0].rev + 1);
        s[0].rev++;
        struct seen out = {.rev = 1};
        snprintf(out.id, sizeof(out.id), "%s", outcome_id);
        send_receipt(hq_port, &out, 0, 1);

        /* Receipts for everything: nothing is left but what needs none. */
        send_receipt(hq_port, s, 0, ids);
        for (int i = 0; i < 100 && db_int(dir, "SELECT count(*) FROM outbox WHERE rev > 0") > 0;
             i++)
                h_sleep_ms(100);
        assert_int_equal(db_int(dir, "SELECT count(*) FROM outbox WHERE rev > 0"), 0);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE msg_id = '%s'", outcome_id);
        assert_int_equal(db_int(dir, sql), 0);
        h = h_health(local_port, PREFIX);
        assert_true(h_json_number(h, "outbox.receipts.awaiting") == 0);
        assert_true(h_json_number(h, "outbox.receipts.confirmed") >= (double)rows);
        print_message("%zu anomaly ids, %lld rows awaited receipts; %zu receipted at once, %zu "
                      "resent (%.0f rows) then receipted; %zu anomaly messages at HQ\n",
                      ids, (long long)rows, half, ids - half, resent, h_collector_count(at_hq));
        cJSON_Delete(h);
        h_collector_stop(at_hq);
        h_collector_stop(outcomes);
        h_collector_stop(summary);
        h_collector_stop(status);
        free(s);
        free(scratch);
}

/* HQ on its own broker (the hq section): receipts come back on the HQ link. */
static void test_receipts_on_the_hq_link(void **state)
{
        struct h_broker local = {0}, hq = {0};
        struct h_daemon d = {0};
        char dir[256], conf[2048], extra[512];
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        h_broker_start(&local, 0, NULL);
        h_broker_start(&hq, 0, NULL);
        snprintf(extra, sizeof(extra),
                 "hq: { host = \"127.0.0.1\"; port = %d; reconnect_min_ms = 200; "
                 "reconnect_max_ms = 1000; };\n" RECEIPTS CURRENCY,
                 hq.port);
        h_config(conf, sizeof(conf), local.port, dir, extra);
        h_daemon_start(&d, dir, conf, local.port);
        run_receipts(local.port, hq.port, dir);
        h_finish_test(&d, &local, dir);
        h_broker_stop(&hq);
        h_rmdir(hq.dir);
}

/* Bridge mode (no hq section): HQ's topics and its receipts are on the local broker. A retained
 * receipt and a malformed one are counted and change nothing. */
static void test_receipts_in_bridge_mode(void **state)
{
        struct h_broker b = {0};
        struct h_daemon d = {0};
        char dir[256], conf[1024];
        (void)state;
        h_start(&b, &d, dir, conf, RECEIPTS CURRENCY);
        run_receipts(b.port, b.port, dir);
        char *args[] = {"mosquitto_pub",
                        "-q",
                        "1",
                        "-r",
                        "-p",
                        NULL,
                        "-t",
                        PREFIX "/hq/receipt",
                        "-m",
                        "{\"ids\":[{\"id\":\"x\",\"rev\":1}]}",
                        NULL};
        char port[16];
        snprintf(port, sizeof(port), "%d", b.port);
        args[5] = port;
        assert_int_equal(h_run(NULL, args), 0);
        h_publish(b.port, PREFIX "/hq/receipt", "{\"ids\":\"not a list\"}");
        h_wait_health_number(b.port, PREFIX, "outbox.receipts.retained_ignored", 1, 100);
        h_wait_health_number(b.port, PREFIX, "outbox.receipts.malformed", 1, 100);
        /* Clear the retained message so that no later subscriber gets it. */
        char *clear[] = {"mosquitto_pub",      "-q", "1", "-r", "-p", port, "-t",
                         PREFIX "/hq/receipt", "-n", NULL};
        assert_int_equal(h_run(NULL, clear), 0);
        h_finish_test(&d, &b, dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_receipts_on_the_hq_link, h_teardown),
            cmocka_unit_test_teardown(test_receipts_in_bridge_mode, h_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
