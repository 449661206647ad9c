/* shelfwatch-hq under faults: PostgreSQL down (no receipt for what was not committed) and killed
 * while batches are in flight, shelfwatch-hq killed -9 during a stream with small and with
 * default batches (nothing lost, nothing twice, no receipt before its commit), stopped with
 * SIGTERM mid-stream (what it read is committed and receipted: no resend needed), stopped
 * while PostgreSQL is down (nothing published after the database went is lost), and two
 * instances on one shared subscription (every message stored once; a store's status does not
 * go backwards). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "gateway_sim.h"
#include "hq_harness.h"
#include "integration/harness.h"
#include "tests/support/test_main.h"

/* Broker queue limits high enough for a session that is away during a stream. */
#define BROKER_CONF "max_queued_messages 1000000\nmax_inflight_messages 100"

/* A stream's world: the servers, one instance and the simulated gateway. */
struct stream {
        struct hq_rig rig; /* scratch folder, broker, PostgreSQL */
        struct hq_proc hq; /* the instance */
        struct gw_sim g;   /* the simulated gateway */
};

static void stream_up(struct stream *s, const struct hq_opts *opts, const char *gw_id,
                      double resend_s)
{
        *s = (struct stream){0};
        hq_rig_up(&s->rig, BROKER_CONF);
        hq_start(&s->hq, s->rig.dir, s->rig.broker.port, &s->rig.pg, opts);
        gw_open(&s->g, s->rig.broker.port, gw_id, resend_s);
}

static void stream_down(struct stream *s)
{
        hq_stop(&s->hq, SIGTERM);
        gw_close(&s->g);
        hq_rig_down(&s->rig);
}

/* Queue n anomalies of store s (ids prefix-0..n-1) at rev, and every 5th an outcome. */
static void add_stream(struct gw_sim *g, const char *store, const char *prefix, int n, int rev)
{
        char topic[128], id[64], oid[80];
        long long t = (long long)time(NULL) - 86400;
        for (int i = 0; i < n; i++) {
                snprintf(topic, sizeof(topic), "retail/acme/%s/anomaly", store);
                snprintf(id, sizeof(id), "%s-%d", prefix, i);
                char *p = hq_anomaly_json("acme", store, id, rev, "ghost_stock", "open", "dairy",
                                          10 + i, 0.5, t);
                gw_add(g, topic, id, rev, p);
                free(p);
                if (rev == 1 && i % 5 == 0) {
                        snprintf(topic, sizeof(topic), "retail/acme/%s/outcome", store);
                        snprintf(oid, sizeof(oid), "%s-o1", id);
                        p = hq_outcome_json(oid, id, "ghost_stock", "true_positive", t + 3600, 1,
                                            2);
                        gw_add(g, topic, oid, 1, p);
                        free(p);
                }
        }
}

/* The ids of rows receipted so far must all be in the database at >= their rev. checked (may
 * be NULL) marks rows already verified, so that this can run while receipts arrive: a receipt
 * is published only after its COMMIT, so its row must be visible the moment the receipt is. */
static void receipts_committed_since(const struct gw_sim *g, PGconn *c, bool *checked)
{
        char sql[512];
        for (size_t i = 0; i < g->n; i++) {
                if (!g->rows[i].receipted || (checked && checked[i]))
                        continue;
                if (checked)
                        checked[i] = true;
                const char *store = g->rows[i].topic + strlen("retail/acme/");
                int sl = (int)strcspn(store, "/");
                snprintf(sql, sizeof(sql),
                         "SELECT (SELECT count(*) FROM anomaly WHERE store = '%.*s' AND id = '%s' "
                         "AND rev >= %d) + (SELECT count(*) FROM outcome WHERE store = '%.*s' AND "
                         "id = '%s')",
                         sl, store, g->rows[i].id, g->rows[i].rev, sl, store, g->rows[i].id);
                assert_int_equal(pg_number(c, sql), 1);
        }
}

static void receipts_are_committed(const struct gw_sim *g, PGconn *c)
{
        receipts_committed_since(g, c, NULL);
}

/* Final state: every anomaly at its highest rev, every outcome once. */
static void check_final(const struct gw_sim *g, PGconn *c, long long anomalies, long long outcomes)
{
        char sql[512];
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly"), anomalies);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM outcome"), outcomes);
        for (size_t i = 0; i < g->n; i++) {
                if (strstr(g->rows[i].topic, "/outcome"))
                        continue;
                const char *store = g->rows[i].topic + strlen("retail/acme/");
                snprintf(sql, sizeof(sql),
                         "SELECT count(*) FROM anomaly WHERE id = '%s' AND "
                         "store = '%.*s' AND rev < %d",
                         g->rows[i].id, (int)strcspn(store, "/"), store, g->rows[i].rev);
                assert_int_equal(pg_number(c, sql), 0); /* no older rev over a newer one */
        }
}

/* The end of a stream: every row receipted within timeout_s, the final state (check_final),
 * every receipted row committed. */
static void assert_settled(struct stream *s, PGconn *c, double timeout_s, long long anomalies,
                           long long outcomes)
{
        assert_int_equal(gw_drain(&s->g, timeout_s), 0);
        check_final(&s->g, c, anomalies, outcomes);
        receipts_are_committed(&s->g, c);
}

/* Rows queued from before on: none receipted so far. */
static void assert_none_receipted_since(struct stream *s, size_t before)
{
        gw_pump(&s->g, 0);
        for (size_t i = before; i < s->g.n; i++)
                assert_false(s->g.rows[i].receipted);
}

static void test_database_down(void **state)
{
        struct stream s;
        (void)state;
        stream_up(&s, NULL, "gw-db-down", 60); /* no resend during the test */
        add_stream(&s.g, "s1", "a", 50, 1);
        assert_int_equal(gw_drain(&s.g, 30), 0);
        PGconn *c = pg_connect(&s.rig.pg, NULL);
        receipts_are_committed(&s.g, c);
        PQfinish(c);

        pg_stop(&s.rig.pg, true); /* a crash: the next batches cannot commit */
        size_t before = s.g.n;
        add_stream(&s.g, "s1", "b", 50, 1);
        gw_pump(&s.g, 1000);
        assert_true(hq_pub_flush(s.g.pub, 10000));
        h_sleep_ms(1500); /* several batch latencies and reconnect attempts */
        assert_none_receipted_since(&s, before); /* nothing receipted while down */

        pg_restart(&s.rig.pg);
        c = pg_connect(&s.rig.pg, NULL);
        assert_settled(&s, c, 60, 100, 20);    /* committed after the restart, then receipted */
        assert_int_equal(gw_resends(&s.g), 0); /* queue and session kept them: no resend needed */
        PQfinish(c);
        stream_down(&s);
}

/* Summaries of n stores s<first>.. (v1.1: no receipt, nothing resends them). */
static void send_summaries(struct hq_pub *p, int first, int n)
{
        char topic[128], buf[256];
        for (int i = first; i < first + n; i++) {
                snprintf(topic, sizeof(topic), "retail/acme/s%d/summary", i);
                snprintf(buf, sizeof(buf), "{\"v\":\"1.1\",\"ts\":%lld,\"open\":{\"critical\":%d}}",
                         (long long)time(NULL), i);
                hq_pub_send(p, topic, buf, false);
        }
        assert_true(hq_pub_flush(p, 10000));
}

/* Wait (up to timeout_ms) for the database to hold want summaries; returns how many it holds. */
static long long wait_summaries(const struct pg_server *pg, long long want, int timeout_ms)
{
        PGconn *c = pg_connect(pg, NULL);
        long long n = 0;
        for (int t = 0; t <= timeout_ms; t += 100) {
                n = pg_number(c, "SELECT count(*) FROM store_summary");
                if (n >= want)
                        break;
                h_sleep_ms(100);
        }
        PQfinish(c);
        return n;
}

/* A stop while PostgreSQL is down loses no summary published after the database went: the
 * instance leaves the broker as soon as it notices (the session keeps what comes next). Before,
 * it read on into its queue, PUBACKed each message, and the stop lost them (summaries and
 * statuses have no receipt, so no gateway sends them again). */
static void test_stop_while_database_down(void **state)
{
        struct hq_rig r = {0};
        struct hq_proc hq = {0};
        (void)state;
        hq_rig_up(&r, BROKER_CONF);
        hq_start(&hq, r.dir, r.broker.port, &r.pg, NULL);
        struct hq_pub *p = hq_pub_open(r.broker.port, "gw-summaries");
        send_summaries(p, 0, 1);
        assert_int_equal(wait_summaries(&r.pg, 1, 10000), 1);

        pg_stop(&r.pg, false); /* a shutdown: PostgreSQL closes the idle connection */
        int parked = 0;
        for (int i = 0; i < 100 && !parked; i++) { /* noticed at once, with no batch in flight */
                h_sleep_ms(100);
                char *log = h_read_file(hq.log);
                parked = h_count(log, "PostgreSQL is down: leaving the broker");
                free(log);
        }
        assert_true(parked);
        send_summaries(p, 1, 20);
        h_sleep_ms(1500); /* several batch latencies and reconnect attempts */
        hq_stop(&hq, SIGTERM);

        pg_restart(&r.pg);
        hq_restart(&hq);
        assert_int_equal(wait_summaries(&r.pg, 21, 30000), 21);
        hq_stop(&hq, SIGTERM);
        hq_pub_close(p);
        hq_rig_down(&r);
}

/* The sum of a counter over every instance. */
static long long sum_counter(PGconn *c, const char *path)
{
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "SELECT coalesce(sum((counters #>> '{%s}')::bigint), 0) FROM ingest_instance",
                 path);
        return pg_number(c, sql);
}

/* kill -9 every 0.7 s during a stream of 1,620 rows in three stores (revs 1 to 3); receipts
 * are checked against the database as they arrive. */
static void kill9_during_stream(const struct hq_opts *opts)
{
        struct stream s;
        bool *checked;
        stream_up(&s, opts, "gw-kill", 3.0);
        PGconn *c = pg_connect(&s.rig.pg, NULL);
        const char *stores[] = {"s1", "s2", "s3"};
        for (int rev = 1; rev <= 3; rev++)
                for (int k = 0; k < 3; k++)
                        add_stream(&s.g, stores[k], "k", rev == 3 ? 100 : 200, rev);
        int kills = 0;
        double next_kill = h_mono_s() + 0.7;
        checked = calloc(s.g.n, sizeof(*checked));
        assert_non_null(checked);
        while (gw_pump(&s.g, 60) > 0 && kills < 6) {
                receipts_committed_since(&s.g, c, checked);
                if (h_mono_s() >= next_kill) {
                        hq_stop(&s.hq, SIGKILL);
                        h_sleep_ms(200);
                        hq_restart(&s.hq);
                        kills++;
                        next_kill = h_mono_s() + 0.7;
                }
                h_sleep_ms(50);
        }
        assert_settled(&s, c, 120, 600, 120);
        print_message("batches of %d: %d kills, %zu rows, %d resends\n", opts->batch, kills, s.g.n,
                      gw_resends(&s.g));
        assert_true(kills >= 3);
        free(checked);
        PQfinish(c);
        stream_down(&s);
}

static void test_kill9_during_stream(void **state)
{
        (void)state;
        kill9_during_stream(&(struct hq_opts){.batch = 50, .latency_ms = 100});
}

/* The shipped batch settings: a kill lands on a large batch in flight and on receipts that
 * wait in the receipt queue. */
static void test_kill9_default_batches(void **state)
{
        (void)state;
        kill9_during_stream(&(struct hq_opts){.batch = 5000, .latency_ms = 50});
}

/* PostgreSQL killed (immediate) while a batch is in flight: a lock held by the test keeps the
 * batch waiting inside its transaction, then the server dies. Nothing of that batch is
 * receipted, it stays queued, and after the restart it commits once: no gateway resends. */
static void test_database_killed_in_flight(void **state)
{
        struct stream s;
        (void)state;
        /* no resend during the test */
        stream_up(&s, &(struct hq_opts){.batch = 200}, "gw-db-kill", 120);
        add_stream(&s.g, "s1", "a", 100, 1);
        assert_int_equal(gw_drain(&s.g, 30), 0);
        size_t before = s.g.n;

        PGconn *lock = pg_connect(&s.rig.pg, NULL);
        assert_int_equal(pg_exec(lock, "BEGIN", NULL, 0), 0);
        assert_int_equal(pg_exec(lock, "LOCK TABLE anomaly IN ACCESS EXCLUSIVE MODE", NULL, 0), 0);
        add_stream(&s.g, "s2", "b", 300, 1);
        add_stream(&s.g, "s3", "b", 300, 1);
        gw_pump(&s.g, 10000);
        assert_true(hq_pub_flush(s.g.pub, 10000));
        h_sleep_ms(800); /* a batch is now waiting for the lock, inside its transaction */
        PGconn *c = pg_connect(&s.rig.pg, NULL);
        assert_true(pg_number(c, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                 "'Lock' AND state = 'active'") >= 1);
        PQfinish(c);
        pg_stop(&s.rig.pg, true); /* the lock holder and the waiting batch die with it */
        PQfinish(lock);
        h_sleep_ms(1000);
        assert_none_receipted_since(&s, before);

        pg_restart(&s.rig.pg);
        c = pg_connect(&s.rig.pg, NULL);
        assert_settled(&s, c, 60, 700, 140);
        assert_int_equal(gw_resends(&s.g), 0); /* the queue kept the batch */
        assert_true(sum_counter(c, "batch_failures") >= 1);
        PQfinish(c);
        stream_down(&s);
}

/* SIGTERM mid-stream: what the instance read is committed and receipted before it exits (the
 * batch in flight too), the rest waits in the broker's session: after a restart every row is
 * receipted without a single resend. */
static void test_sigterm_during_stream(void **state)
{
        struct stream s;
        (void)state;
        /* no resend during the test */
        stream_up(&s, &(struct hq_opts){.batch = 300}, "gw-term", 120);
        const char *stores[] = {"s1", "s2", "s3"};
        for (int k = 0; k < 3; k++)
                add_stream(&s.g, stores[k], "t", 400, 1);
        double stop_at = h_mono_s() + 0.6;
        while (gw_pump(&s.g, 60) > 0 && h_mono_s() < stop_at)
                h_sleep_ms(20);
        hq_stop(&s.hq, SIGTERM); /* asserts a clean exit */
        char *log = h_read_file(s.hq.log);
        assert_null(strstr(log, "not committed"));
        assert_null(strstr(log, "receipt ids not sent"));
        free(log);
        hq_restart(&s.hq);
        PGconn *c = pg_connect(&s.rig.pg, NULL);
        assert_settled(&s, c, 60, 1200, 240);
        assert_int_equal(gw_resends(&s.g), 0);
        PQfinish(c);
        stream_down(&s);
}

static void test_two_instances_share(void **state)
{
        struct stream s;
        struct hq_proc b = {0};
        (void)state;
        /* no resend: each message once */
        stream_up(&s, &(struct hq_opts){.client_id = "hq-a"}, "gw-share", 120);
        hq_start(&b, s.rig.dir, s.rig.broker.port, &s.rig.pg,
                 &(struct hq_opts){.client_id = "hq-b"});
        const char *stores[] = {"s1", "s2", "s3", "s4"};
        for (int k = 0; k < 4; k++)
                add_stream(&s.g, stores[k], "m", 250, 1);
        PGconn *c = pg_connect(&s.rig.pg, NULL);
        assert_settled(&s, c, 60, 1000, 200);
        /* Each message went to exactly one instance, and both took a share. */
        assert_int_equal(sum_counter(c, "messages,anomaly") + sum_counter(c, "messages,outcome"),
                         1200);
        assert_int_equal(sum_counter(c, "duplicates"), 0);
        assert_true(pg_number(c, "SELECT min((counters #>> '{messages,anomaly}')::bigint) FROM "
                                 "ingest_instance") > 100);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM ingest_instance"), 2);

        /* One store's statuses, split between the instances, committed in whatever order their
         * batches take: store_status ends at the newest (started_at, then ts), not the last
         * committed. */
        long long t0 = (long long)time(NULL) - 3600, settled = 0;
        char p[160];
        for (int i = 0; i < 200; i++) {
                snprintf(p, sizeof(p),
                         "{\"v\":\"1.1\",\"state\":\"%s\",\"started_at\":%lld,\"ts\":%lld}",
                         i % 2 ? "offline" : "online", t0 + i / 50, t0 + i);
                hq_pub_send(s.g.pub, "retail/acme/s1/status", p, false);
        }
        assert_true(hq_pub_flush(s.g.pub, 10000));
        for (int i = 0; i < 400 && settled < 1400; i++) {
                h_sleep_ms(25);
                settled = sum_counter(c, "rows_committed") + sum_counter(c, "duplicates");
        }
        assert_int_equal(settled, 1400);
        assert_int_equal(sum_counter(c, "messages,status"), 200);
        assert_true(pg_number(c, "SELECT min((counters #>> '{messages,status}')::bigint) FROM "
                                 "ingest_instance") > 0);
        assert_int_equal(pg_number(c, "SELECT extract(epoch FROM ts)::bigint FROM store_status "
                                      "WHERE store = 's1'"),
                         t0 + 199);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM store_status WHERE store = 's1' AND "
                                      "state = 'offline'"),
                         1);
        PQfinish(c);
        hq_stop(&b, SIGTERM);
        stream_down(&s);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_database_down),
        cmocka_unit_test(test_database_killed_in_flight),
        cmocka_unit_test(test_stop_while_database_down),
        cmocka_unit_test(test_kill9_during_stream),
        cmocka_unit_test(test_kill9_default_batches),
        cmocka_unit_test(test_sigterm_during_stream),
        cmocka_unit_test(test_two_instances_share))
/* clang-format on */
