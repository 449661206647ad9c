/* shelfwatch-hq against a real mosquitto and a real PostgreSQL: what lands, once; revisions;
 * duplicates; summaries and status history; refused payloads; receipts. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "hq_harness.h"
#include "integration/harness.h"

static long long counter(PGconn *c, const char *path)
{
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT coalesce((SELECT (counters #>> '{%s}')::bigint FROM ingest_instance "
                 "WHERE client_id = 'hq-test'), 0)",
                 path);
        return pg_number(c, sql);
}

/* An expected number: of a query, or of a counter (its path in ingest_instance.counters). */
struct want {
        const char *what; /* the query or the counter's path: a failure names it */
        long long n;      /* the number */
};

static void assert_numbers(PGconn *c, bool counters, const struct want *w, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                long long got = counters ? counter(c, w[i].what) : pg_number(c, w[i].what);
                if (got != w[i].n)
                        fail_msg("%s: %lld, want %lld", w[i].what, got, w[i].n);
        }
}

#define ASSERT_QUERIES(c, w)  assert_numbers(c, false, w, sizeof(w) / sizeof((w)[0]))
#define ASSERT_COUNTERS(c, w) assert_numbers(c, true, w, sizeof(w) / sizeof((w)[0]))

/* Wait until the instance settled want messages in all: committed (written, duplicate or
 * stale) or refused. */
static void wait_received(PGconn *c, long long want)
{
        long long got = 0;
        for (int i = 0; i < 400; i++) {
                got = pg_number(c, "SELECT coalesce((SELECT (counters->>'rows_committed')::bigint "
                                   "+ (counters->>'duplicates')::bigint + (counters->>'stale_revs')"
                                   "::bigint + (SELECT sum(value::bigint) FROM "
                                   "jsonb_each_text(counters->'bad')) "
                                   "FROM ingest_instance WHERE client_id = 'hq-test'), 0)");
                if (got >= want)
                        return;
                h_sleep_ms(25);
        }
        fail_msg("shelfwatch-hq settled %lld messages of %lld", got, want);
}

static void send_owned(struct hq_pub *p, const char *topic, char *payload)
{
        hq_pub_send(p, topic, payload, false);
        free(payload);
}

static long long now_s(void)
{
        return (long long)time(NULL);
}

/* Phase 1: three gateways, two tenants; revisions, duplicates, stale revs, v1 messages. */
static void publish_revisions(struct hq_pub *g[3], PGconn *c)
{
        long long t = now_s() - 3600;
        /* rev 1 committed first, so that the late copy below is the only stale one (two revs
         * of one id in one batch: the older counts as stale too). */
        send_owned(
            g[0], "retail/acme/s1/anomaly",
            hq_anomaly_json("acme", "s1", "a1", 1, "ghost_stock", "open", "dairy", 10, 0.5, t));
        assert_true(hq_pub_flush(g[0], 10000));
        wait_received(c, 1);
        send_owned(
            g[0], "retail/acme/s1/anomaly",
            hq_anomaly_json("acme", "s1", "a1", 2, "ghost_stock", "open", "dairy", 20, 0.9, t));
        send_owned(
            g[0], "retail/acme/s1/anomaly", /* a late resend of rev 1: stale */
            hq_anomaly_json("acme", "s1", "a1", 1, "ghost_stock", "open", "dairy", 10, 0.5, t));
        send_owned(
            g[1], "retail/acme/s2/anomaly",
            hq_anomaly_json("acme", "s2", "a2", 1, "shelf_out", "open", "bakery", 5, 0.7, t));
        send_owned(
            g[1], "retail/acme/s2/anomaly", /* a resend: duplicate */
            hq_anomaly_json("acme", "s2", "a2", 1, "shelf_out", "open", "bakery", 5, 0.7, t));
        send_owned(
            g[2], "retail/globex/s1/anomaly",
            hq_anomaly_json("globex", "s1", "a1", 3, "ml_detected", "open", "toys", 7, 0.6, t));
        /* A v1 gateway: no "v", no "rev". */
        hq_pub_send(
            g[2], "retail/globex/s1/anomaly",
            "{\"id\":\"v1\",\"type\":\"ghost_stock\",\"severity\":\"info\",\"status\":"
            "\"open\",\"sku\":\"X\",\"detected_at\":\"2026-11-23T04:30:01Z\",\"value\":1.5}",
            false);
        send_owned(g[0], "retail/acme/s1/outcome",
                   hq_outcome_json("a1-o1", "a1", "ghost_stock", "true_positive", t + 60, 3, 4));
        send_owned(g[0], "retail/acme/s1/outcome", /* a resend: duplicate */
                   hq_outcome_json("a1-o1", "a1", "ghost_stock", "true_positive", t + 60, 3, 4));
        for (int i = 0; i < 3; i++)
                assert_true(hq_pub_flush(g[i], 10000));
}

static void check_revisions(PGconn *c)
{
        static const struct want queries[] = {
            {"SELECT count(*) FROM anomaly", 4},
            {"SELECT rev FROM anomaly WHERE tenant = 'acme' AND store = 's1' AND id = 'a1'", 2},
            {"SELECT (value * 100)::int FROM anomaly WHERE tenant = 'acme' AND id = 'a1'", 2000},
            {"SELECT rev FROM anomaly WHERE id = 'v1'", 0},
            {"SELECT count(*) FROM anomaly WHERE id = 'v1' AND "
             "detected_at = '2026-11-23T04:30:01Z'",
             1},
            {"SELECT count(*) FROM anomaly WHERE currency = 'USD' AND payload->>'v' = '1.1'", 3},
            {"SELECT count(*) FROM outcome", 1}};
        static const struct want counters[] = {
            {"stale_revs", 1}, {"duplicates", 2}, {"messages,anomaly", 7}, {"messages,outcome", 2}};
        ASSERT_QUERIES(c, queries);
        ASSERT_COUNTERS(c, counters);
}

/* A v1 message without rev never overwrites a revisioned row; v1 over v1 does. */
static void check_v1_rules(struct hq_pub *g, PGconn *c)
{
        long long t = now_s();
        hq_pub_send(g, "retail/globex/s1/anomaly",
                    "{\"id\":\"a1\",\"type\":\"ml_detected\",\"severity\":\"critical\",\"status\":"
                    "\"resolved\",\"sku\":\"X\",\"detected_at\":1}",
                    false);
        hq_pub_send(
            g, "retail/globex/s1/anomaly",
            "{\"id\":\"v1\",\"type\":\"ghost_stock\",\"severity\":\"critical\",\"status\":"
            "\"open\",\"sku\":\"X\",\"detected_at\":\"2026-11-23T04:30:01Z\",\"value\":2.5}",
            false);
        assert_true(hq_pub_flush(g, 10000));
        wait_received(c, 11);
        assert_int_equal(pg_number(c, "SELECT rev FROM anomaly WHERE tenant = 'globex' AND "
                                      "id = 'a1' AND severity = 'warning'"),
                         3);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly WHERE id = 'v1' AND "
                                      "severity = 'critical'"),
                         1);
        assert_int_equal(counter(c, "stale_revs"), 2);
        (void)t;
}

static void summaries_and_status(struct hq_pub *g[3], PGconn *c)
{
        long long t = now_s();
        char buf[512];
        snprintf(buf, sizeof(buf),
                 "{\"v\":\"1.1\",\"ts\":%lld,\"open\":{\"critical\":1,\"warning\":2,\"info\":0},"
                 "\"ghost_value\":12.5,\"precision\":null,\"currency\":\"USD\","
                 "\"health\":{\"pos_feed\":\"silent\",\"last_pos_at\":%lld}}",
                 t, t - 7200);
        hq_pub_send(g[0], "retail/acme/s1/summary", buf, true);
        snprintf(buf, sizeof(buf), "{\"v\":\"1.1\",\"ts\":%lld,\"open\":{\"critical\":9}}",
                 t - 100);
        hq_pub_send(g[0], "retail/acme/s1/summary", buf, true); /* older: ignored */
        snprintf(buf, sizeof(buf),
                 "{\"v\":\"1.1\",\"state\":\"online\",\"version\":\"0.1.0\","
                 "\"started_at\":%lld,\"pos_feed\":\"ok\"}",
                 t - 10);
        hq_pub_send(g[0], "retail/acme/s1/status", buf, true);
        hq_pub_send(g[0], "retail/acme/s1/status", buf, true); /* no change */
        snprintf(buf, sizeof(buf),
                 "{\"v\":\"1.1\",\"state\":\"offline\",\"version\":\"0.1.0\","
                 "\"started_at\":%lld}",
                 t - 10);
        hq_pub_send(g[0], "retail/acme/s1/status", buf, true);
        snprintf(buf, sizeof(buf), "{\"state\":\"online\",\"started_at\":%lld}", t - 50);
        hq_pub_send(g[1], "retail/acme/s2/status", buf, true);
        snprintf(buf, sizeof(buf), "{\"state\":\"online\",\"started_at\":%lld}", t - 5);
        hq_pub_send(g[1], "retail/acme/s2/status", buf, true); /* a restart */
        assert_true(hq_pub_flush(g[0], 10000) && hq_pub_flush(g[1], 10000));
        wait_received(c, 18);
        static const struct want queries[] = {
            {"SELECT open_critical FROM store_summary WHERE store = 's1'", 1},
            {"SELECT count(*) FROM store_summary WHERE pos_feed = 'silent' AND "
             "ghost_value = 12.5 AND last_pos_at IS NOT NULL",
             1},
            {"SELECT count(*) FROM store_status WHERE tenant = 'acme' AND store = 's1' AND "
             "state = 'offline'",
             1},
            {"SELECT count(*) FROM status_history WHERE store = 's1'", 2},
            {"SELECT count(*) FROM status_history WHERE store = 's2'", 2},
            {"SELECT count(*) FROM store", 3}};
        ASSERT_QUERIES(c, queries);
}

static void bad_payloads(struct hq_pub *g, PGconn *c)
{
        static const char *const bad[] = {
            "not json",
            "[1,2]",
            "{\"id\":\"b\",\"type\":\"t\",\"severity\":\"s\",\"status\":\"open\",\"sku\":\"X\"}",
            "{\"id\":\"b\",\"type\":\"t\",\"severity\":\"s\",\"status\":\"open\",\"sku\":\"X\","
            "\"detected_at\":1,\"probability\":\"high\"}",
            "{\"tenant\":\"globex\",\"id\":\"b\",\"type\":\"t\",\"severity\":\"s\",\"status\":"
            "\"open\",\"sku\":\"X\",\"detected_at\":1}",
            "{\"v\":\"2.0\",\"id\":\"b\",\"type\":\"t\",\"severity\":\"s\",\"status\":\"open\","
            "\"sku\":\"X\",\"detected_at\":1}",
            "{\"id\":\"b\",\"type\":\"t\",\"severity\":\"s\",\"status\":\"open\",\"sku\":\"\xff\","
            "\"detected_at\":1}"};
        char big[5000];
        memset(big, ' ', sizeof(big) - 1);
        big[0] = '{', big[sizeof(big) - 2] = '}', big[sizeof(big) - 1] = '\0';
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                hq_pub_send(g, "retail/acme/s1/anomaly", bad[i], false);
        hq_pub_send(g, "retail/acme/s1/anomaly", big, false);
        hq_pub_send(g, "retail/acme/s1/outcome",
                    "{\"id\":\"o\",\"anomaly\":\"a\",\"outcome\":\"maybe\",\"ts\":1}", false);
        assert_true(hq_pub_flush(g, 10000));
        wait_received(c, 27);
        static const struct want counters[] = {{"bad,not_json", 2},    {"bad,missing_field", 1},
                                               {"bad,wrong_type", 1},  {"bad,mismatch", 1},
                                               {"bad,version", 1},     {"bad,encoding", 1},
                                               {"bad,oversize", 1},    {"bad,value", 1},
                                               {"bad,db_rejected", 0}, {"queue_overflows", 0}};
        ASSERT_COUNTERS(c, counters);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly WHERE id = 'b'"), 0);
}

/* Highest rev receipted for store/id, -1 when none; fails on a receipt without "v":"1.1". */
static long long receipted_rev(struct h_collector *col, const char *topic, const char *id)
{
        long long best = -1;
        for (size_t i = 0; i < h_collector_count(col); i++) {
                char *t = h_collector_topic(col, i), *p = h_collector_get(col, i);
                cJSON *o = cJSON_Parse(p), *e;
                assert_non_null(o);
                assert_string_equal(cJSON_GetObjectItem(o, "v")->valuestring, "1.1");
                cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "ids"))
                {
                        if (strcmp(t, topic) == 0 &&
                            strcmp(cJSON_GetObjectItem(e, "id")->valuestring, id) == 0 &&
                            cJSON_GetObjectItem(e, "rev")->valuedouble > (double)best)
                                best = (long long)cJSON_GetObjectItem(e, "rev")->valuedouble;
                }
                cJSON_Delete(o);
                free(t);
                free(p);
        }
        return best;
}

/* A gateway restored from a backup sends revs of at least the restore's Unix time: one past
 * 2^31 (2100-01-01) is stored and receipted whole. */
static void check_rev_beyond_32_bits(struct hq_pub *g, PGconn *c, struct h_collector *col)
{
        const long long rev = 4102444800LL;
        send_owned(g, "retail/acme/s2/anomaly",
                   hq_anomaly_json("acme", "s2", "a2", rev, "shelf_out", "resolved", "bakery", 5,
                                   0.7, now_s()));
        assert_true(hq_pub_flush(g, 10000));
        const char *sql = "SELECT rev FROM anomaly WHERE tenant = 'acme' AND store = 's2' AND "
                          "id = 'a2'";
        for (int i = 0; i < 100 && pg_number(c, sql) != rev; i++)
                h_sleep_ms(100);
        assert_true(pg_number(c, sql) == rev);
        for (int i = 0; i < 50 && receipted_rev(col, "retail/acme/s2/hq/receipt", "a2") != rev; i++)
                h_sleep_ms(100);
        assert_true(receipted_rev(col, "retail/acme/s2/hq/receipt", "a2") == rev);
}

/* utime + stime of pid, in clock ticks. */
static long long cpu_ticks(pid_t pid)
{
        char path[64], stat[1024] = "", *p;
        long long utime = 0, stime = 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r"); /* (a /proc file has no size for h_read_file) */
        assert_non_null(f);
        assert_non_null(fgets(stat, sizeof(stat), f));
        fclose(f);
        p = strrchr(stat, ')'); /* the name may hold spaces; fields 14 and 15 follow it */
        assert_non_null(p);
        assert_int_equal(
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &utime, &stime),
            2);
        return utime + stime;
}

/* Idle, the loop sleeps in poll(): it once spun a core (a deadline in the past). */
static void check_idle_cpu(const struct hq_proc *hq)
{
        long long before = cpu_ticks(hq->pid);
        h_sleep_ms(2000);
        long long used = cpu_ticks(hq->pid) - before;
        print_message("idle for 2 s: %lld ticks of CPU\n", used);
        assert_true(used * 1000 / sysconf(_SC_CLK_TCK) < 100); /* < 5% of a core */
}

static void check_receipts(struct h_collector *col)
{
        h_sleep_ms(300); /* receipts follow the commit */
        assert_int_equal(receipted_rev(col, "retail/acme/s1/hq/receipt", "a1"), 2);
        assert_int_equal(receipted_rev(col, "retail/acme/s1/hq/receipt", "a1-o1"), 1);
        assert_int_equal(receipted_rev(col, "retail/acme/s2/hq/receipt", "a2"), 1);
        assert_int_equal(receipted_rev(col, "retail/globex/s1/hq/receipt", "a1"), 3);
        /* v1 messages ask for none. */
        assert_int_equal(receipted_rev(col, "retail/globex/s1/hq/receipt", "v1"), -1);
}

static void test_ingest(void **state)
{
        struct hq_rig r = {0};
        struct hq_proc hq = {0};
        struct hq_pub *g[3];
        (void)state;
        hq_rig_up(&r, "max_queued_messages 100000");
        hq_start(&hq, r.dir, r.broker.port, &r.pg, &(struct hq_opts){.max_payload = 4096});
        struct h_collector *col = h_collector_start(r.broker.port, "retail/+/+/hq/receipt");
        PGconn *c = pg_connect(&r.pg, NULL);
        g[0] = hq_pub_open(r.broker.port, "gw-acme-s1");
        g[1] = hq_pub_open(r.broker.port, "gw-acme-s2");
        g[2] = hq_pub_open(r.broker.port, "gw-globex-s1");

        publish_revisions(g, c);
        wait_received(c, 9);
        check_revisions(c);
        check_v1_rules(g[2], c);
        summaries_and_status(g, c);
        bad_payloads(g[0], c);
        check_receipts(col);
        check_rev_beyond_32_bits(g[1], c, col);
        check_idle_cpu(&hq);
        /* Still alive after every refusal, and a clean stop. */
        hq_stop(&hq, SIGTERM);

        for (int i = 0; i < 3; i++)
                hq_pub_close(g[i]);
        h_collector_stop(col);
        PQfinish(c);
        hq_rig_down(&r);
}

/* The settled count so far, and one status of retail/acme/s9 published and committed. */
static long long settled_total(PGconn *c)
{
        return pg_number(c, "SELECT coalesce((SELECT (counters->>'rows_committed')::bigint + "
                            "(counters->>'duplicates')::bigint FROM ingest_instance WHERE "
                            "client_id = 'hq-test'), 0)");
}

static void status_committed(struct hq_pub *g, PGconn *c, const char *payload)
{
        long long before = settled_total(c);
        hq_pub_send(g, "retail/acme/s9/status", payload, false);
        assert_true(hq_pub_flush(g, 10000));
        wait_received(c, before + 1);
}

/* A status payload: ts -1 for none. */
static void status_json(char *p, size_t size, const char *state, long long started_at, long long ts)
{
        if (ts >= 0)
                snprintf(p, size, "{\"state\":\"%s\",\"started_at\":%lld,\"ts\":%lld}", state,
                         started_at, ts);
        else
                snprintf(p, size, "{\"state\":\"%s\",\"started_at\":%lld}", state, started_at);
}

/* store_status of s9 is state, started_at and ts (-1: none); a failure names the case. */
static void assert_status(PGconn *c, const char *what, const char *state, long long started_at,
                          long long ts)
{
        char sql[320], ts_cond[64] = "ts IS NULL";
        if (ts >= 0)
                snprintf(ts_cond, sizeof(ts_cond), "ts = to_timestamp(%lld)", ts);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM store_status WHERE store = 's9' AND state = '%s' AND "
                 "started_at = to_timestamp(%lld) AND %s",
                 state, started_at, ts_cond);
        if (pg_number(c, sql) != 1)
                fail_msg("%s: store_status is not %s since %lld at %lld", what, state, started_at,
                         ts);
}

/* store_status never goes back: a status from an earlier run (started_at) or, within a run,
 * with an earlier ts, arriving after a newer one (as two instances may commit them) changes
 * nothing; without a ts, arrival order decides within a run. Every status is history. */
static void test_status_never_goes_back(void **state)
{
        struct hq_rig r = {0};
        struct hq_proc hq = {0};
        char p[256];
        long long t1 = now_s() - 7200, t2 = now_s() - 3600, t3 = now_s() - 600;
        (void)state;
        hq_rig_up(&r, NULL);
        hq_start(&hq, r.dir, r.broker.port, &r.pg, &(struct hq_opts){.latency_ms = 300});
        PGconn *c = pg_connect(&r.pg, NULL);
        struct hq_pub *g = hq_pub_open(r.broker.port, "gw-acme-s9");

        /* Each status committed alone, and what store_status then holds. */
        const struct {
                const char *what;         /* the case */
                const char *state;        /* the status sent ... */
                long long started_at, ts; /* ... (ts -1: none) */
                const char *now_state;    /* store_status after it */
                long long now_started_at, now_ts;
        } steps[] = {{"the first", "online", t2, t2 + 10, "online", t2, t2 + 10},
                     {"the will of an earlier run, late", "offline", t1, -1, "online", t2, t2 + 10},
                     {"same run, older ts", "offline", t2, t2 + 5, "online", t2, t2 + 10},
                     {"same run, newer ts", "offline", t2, t2 + 20, "offline", t2, t2 + 20},
                     {"same run, no ts: arrival order", "online", t2, -1, "online", t2, -1}};
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                status_json(p, sizeof(p), steps[i].state, steps[i].started_at, steps[i].ts);
                status_committed(g, c, p);
                assert_status(c, steps[i].what, steps[i].now_state, steps[i].now_started_at,
                              steps[i].now_ts);
        }
        /* a later run; then, in one batch, its newer status before an older one */
        long long before = settled_total(c);
        status_json(p, sizeof(p), "online", t3, t3 + 30);
        hq_pub_send(g, "retail/acme/s9/status", p, false);
        status_json(p, sizeof(p), "offline", t3, t3 + 20);
        hq_pub_send(g, "retail/acme/s9/status", p, false);
        assert_true(hq_pub_flush(g, 10000));
        wait_received(c, before + 2);
        assert_status(c, "a later run, newer first in one batch", "online", t3, t3 + 30);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM status_history WHERE store = 's9' "
                                      "AND ts IS NOT NULL"),
                         pg_number(c, "SELECT count(*) FROM status_history WHERE store = 's9' "
                                      "AND payload ? 'ts'"));

        hq_stop(&hq, SIGTERM);
        hq_pub_close(g);
        PQfinish(c);
        hq_rig_down(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_ingest),
                                           cmocka_unit_test(test_status_never_goes_back)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
