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
#include "tests/support/test_main.h"

#define PREFIX   "retail/demo/store1"
#define RESEND_S 5
#define MAX_IDS  4096
#define RECEIPTS "hq_receipts: { enabled = true; resend_after_seconds = 5; };\n"
#define CURRENCY "store: { currency = \"EUR\"; };\n"

/* The number after "key": in text has at most max_decimals decimals (the text, not a double). */
static void assert_decimals(const char *text, const char *key, int max_decimals)
{
        const char *p = h_json_raw(text, key);
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
        assert_string_equal(h_json_string(o, "health.storage.state"), "ok");
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
        /* Beside the state, where HQ's API reads a status's health. */
        assert_true(h_json_number(o, "outbox.depth") >= 0);
        assert_string_equal(h_json_string(o, "storage.state"), "ok");
        assert_true(h_json_number(o, "messages.accepted.pos") > 0);
        assert_string_equal(h_json_string(o, "pos_feed"), "ok");
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

/* One run: the two brokers' ports, the daemon's directory, HQ's view. */
struct run {
        int local_port, hq_port;   /* the daemon's broker, the one carrying HQ's topics */
        const char *dir;           /* the daemon's directory (sw.db) */
        struct h_collector *at_hq; /* P/anomaly as HQ sees it */
        struct seen *s, *scratch;  /* ids as first tallied; a scratch tally */
        size_t ids, half;          /* distinct ids; the first half gets receipts first */
        int before[MAX_IDS];       /* messages per id once the first receipts were applied */
        int64_t rows;              /* rows that awaited a receipt after the simulation */
        double resent;             /* rows resent for want of a receipt */
};

/* Anomalies arrive with their 1.1 members, are acknowledged, and wait for receipts. */
static void phase_awaiting(struct run *r)
{
        struct h_collector *summary = h_collector_start(r->hq_port, PREFIX "/summary");
        struct h_collector *status = h_collector_start(r->hq_port, PREFIX "/status");
        assert_int_equal(h_storesim(r->local_port, r->dir, "sim.log", "--profile", "basic",
                                    "--days", "20", "--warmup", "14", "--skus", "80", "--seed", "7",
                                    "--quiet", NULL),
                         0);
        /* Everything queued went out, was acknowledged and kept (and goes again every
         * RESEND_S meanwhile). */
        r->rows = h_db_int(r->dir, "SELECT count(*) FROM outbox WHERE rev > 0");
        assert_true(r->rows > 0);
        assert_true(h_collector_wait(r->at_hq, (size_t)r->rows, 20000) >= (size_t)r->rows);
        check_summary_and_status(summary, status);
        h_wait_health_number(r->local_port, PREFIX, "outbox.receipts.awaiting", (double)r->rows,
                             100);
        cJSON *h = h_health(r->local_port, PREFIX);
        assert_true(h_json_number(h, "outbox.depth") >= (double)r->rows);
        assert_true(h_json_number(h, "outbox.receipts.received") == 0);
        cJSON_Delete(h);
        h_collector_stop(summary);
        h_collector_stop(status);
        r->ids = tally(r->at_hq, r->s);
        r->half = r->ids / 2;
        assert_true(r->ids >= 4);
}

/* Receipts for the first half at the highest rev each was sent with: their rows go. A receipt
 * of an older rev than sent leaves the newest rev's row. */
static void phase_first_receipts(struct run *r)
{
        char sql[512];
        send_receipt(r->hq_port, r->s, 0, r->half);
        h_wait_health_number(r->local_port, PREFIX, "outbox.receipts.received", 1, 100);
        for (size_t k = 0; k < r->half; k++) {
                snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE msg_id = '%s'",
                         r->s[k].id);
                assert_int_equal(h_db_int(r->dir, sql), 0);
        }
        h_sleep_ms(1000); /* a resend handed to the broker before the receipt lands first */
        for (size_t k = 0; k < r->ids; k++)
                r->before[k] = messages_for(r->at_hq, r->scratch, r->s[k].id);
        size_t multi = r->ids;
        for (size_t k = r->half; k < r->ids && multi == r->ids; k++)
                if (r->s[k].rev >= 2)
                        multi = k;
        if (multi == r->ids)
                return;
        struct seen older = r->s[multi];
        older.rev--;
        send_receipt(r->hq_port, &older, 0, 1);
        h_wait_health_number(r->local_port, PREFIX, "outbox.receipts.received", 2, 100);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE msg_id = '%s' AND rev = %lld",
                 r->s[multi].id, (long long)r->s[multi].rev);
        assert_true(h_db_int(r->dir, sql) >= 1);
}

/* The other half had no receipt: resent after the time with the same id and rev; the first
 * half never again. */
static void phase_resends(struct run *r)
{
        h_sleep_ms((RESEND_S + 3) * 1000);
        size_t now_ids = tally(r->at_hq, r->scratch);
        assert_int_equal(now_ids, r->ids);
        for (size_t k = 0; k < r->ids; k++) {
                int after = messages_for(r->at_hq, r->scratch, r->s[k].id);
                if (k < r->half && after != r->before[k])
                        fail_msg("%s had its receipt and was sent again (%d -> %d)", r->s[k].id,
                                 r->before[k], after);
                if (k >= r->half && after <= r->before[k])
                        fail_msg("%s had no receipt and was not sent again", r->s[k].id);
        }
        tally(r->at_hq, r->scratch); /* ids in first-seen order, as in s */
        for (size_t k = 0; k < r->ids; k++)
                assert_int_equal(r->scratch[k].rev, r->s[k].rev);
        cJSON *h = h_health(r->local_port, PREFIX);
        r->resent = h_json_number(h, "outbox.receipts.resent");
        assert_true(r->resent >= (double)(r->ids - r->half));
        cJSON_Delete(h);
}

/* An outcome: P/outcome with v1.1 and its money, the anomaly it resolves published with its
 * next rev. Returns the outcome's id (malloc'd). */
static char *phase_outcome(struct run *r)
{
        struct h_collector *outcomes = h_collector_start(r->hq_port, PREFIX "/outcome");
        char req[320];
        snprintf(req, sizeof(req), "{\"anomaly\":\"%s\",\"outcome\":\"true_positive\"}",
                 r->s[0].id);
        cJSON_Delete(h_command(r->local_port, PREFIX, "outcome", req));
        assert_true(h_collector_wait(outcomes, 1, 20000) >= 1);
        char *msg = h_collector_get(outcomes, 0);
        cJSON *o = cJSON_Parse(msg);
        assert_string_equal(h_json_string(o, "v"), "1.1");
        assert_string_equal(h_json_string(o, "currency"), "EUR");
        assert_decimals(msg, "value_recovered", 2);
        assert_decimals(msg, "prevented_value", 2);
        char *id = strdup(h_json_string(o, "id"));
        cJSON_Delete(o);
        free(msg);
        h_collector_stop(outcomes);
        for (int i = 0; i < 100 && messages_for(r->at_hq, r->scratch, r->s[0].id) == r->before[0];
             i++)
                h_sleep_ms(100);
        tally(r->at_hq, r->scratch);
        assert_int_equal(r->scratch[0].rev, r->s[0].rev + 1);
        r->s[0].rev++;
        return id;
}

/* Receipts for the outcome (rev 1) and every anomaly: nothing is left but what needs none. */
static void phase_all_receipted(struct run *r, const char *outcome_id)
{
        struct seen out = {.rev = 1};
        char sql[512];
        snprintf(out.id, sizeof(out.id), "%s", outcome_id);
        send_receipt(r->hq_port, &out, 0, 1);
        send_receipt(r->hq_port, r->s, 0, r->ids);
        for (int i = 0;
             i < 100 && h_db_int(r->dir, "SELECT count(*) FROM outbox WHERE rev > 0") > 0; i++)
                h_sleep_ms(100);
        assert_int_equal(h_db_int(r->dir, "SELECT count(*) FROM outbox WHERE rev > 0"), 0);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE msg_id = '%s'", outcome_id);
        assert_int_equal(h_db_int(r->dir, sql), 0);
        cJSON *h = h_health(r->local_port, PREFIX);
        assert_true(h_json_number(h, "outbox.receipts.awaiting") == 0);
        assert_true(h_json_number(h, "outbox.receipts.confirmed") >= (double)r->rows);
        cJSON_Delete(h);
}

/*
 * The heart of it, on whichever broker carries HQ's topics (hq_port): anomalies arrive with
 * 1.1 members and wait for receipts; half get a receipt and are never sent again; the other
 * half are resent after resend_after_seconds with the same id and rev, then receipted; an
 * older rev confirms nothing newer; an outcome is receipted with rev 1.
 */
static void run_receipts(int local_port, int hq_port, const char *dir)
{
        struct run *r = calloc(1, sizeof(*r));
        *r = (struct run){.local_port = local_port, .hq_port = hq_port, .dir = dir};
        r->s = calloc(MAX_IDS, sizeof(*r->s));
        r->scratch = calloc(MAX_IDS, sizeof(*r->scratch));
        r->at_hq = h_collector_start(hq_port, PREFIX "/anomaly");
        phase_awaiting(r);
        phase_first_receipts(r);
        phase_resends(r);
        char *outcome_id = phase_outcome(r);
        phase_all_receipted(r, outcome_id);
        print_message("%zu anomaly ids, %lld rows awaited receipts; %zu receipted at once, %zu "
                      "resent (%.0f rows) then receipted; %zu anomaly messages at HQ\n",
                      r->ids, (long long)r->rows, r->half, r->ids - r->half, r->resent,
                      h_collector_count(r->at_hq));
        free(outcome_id);
        h_collector_stop(r->at_hq);
        free(r->s);
        free(r->scratch);
        free(r);
}

/* HQ on its own broker (the hq section): receipts come back on the HQ link. */
static void test_receipts_on_the_hq_link(void **state)
{
        struct h_fixture f = {0};
        (void)state;
        h_fixture_prepare_hq(&f, false, RECEIPTS CURRENCY);
        h_fixture_daemon(&f);
        run_receipts(f.b.port, f.hq.port, f.dir);
        h_fixture_finish(&f);
}

/* Bridge mode (no hq section): HQ's topics and its receipts are on the local broker. A retained
 * receipt and a malformed one are counted and change nothing. */
static void test_receipts_in_bridge_mode(void **state)
{
        struct h_fixture f = {0};
        (void)state;
        h_fixture_start(&f, RECEIPTS CURRENCY);
        run_receipts(f.b.port, f.b.port, f.dir);
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
        snprintf(port, sizeof(port), "%d", f.b.port);
        args[5] = port;
        assert_int_equal(h_run(NULL, args), 0);
        h_publish(f.b.port, PREFIX "/hq/receipt", "{\"ids\":\"not a list\"}");
        h_wait_health_number(f.b.port, PREFIX, "outbox.receipts.retained_ignored", 1, 100);
        h_wait_health_number(f.b.port, PREFIX, "outbox.receipts.malformed", 1, 100);
        /* Clear the retained message so that no later subscriber gets it. */
        char *clear[] = {"mosquitto_pub",      "-q", "1", "-r", "-p", port, "-t",
                         PREFIX "/hq/receipt", "-n", NULL};
        assert_int_equal(h_run(NULL, clear), 0);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_receipts_on_the_hq_link, h_teardown),
        cmocka_unit_test_teardown(test_receipts_in_bridge_mode, h_teardown))
/* clang-format on */
