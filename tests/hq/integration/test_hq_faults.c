/* shelfwatch-hq under faults: PostgreSQL killed mid-stream (no receipt for what was not
 * committed), shelfwatch-hq killed -9 during a stream (nothing lost, nothing twice), and two
 * instances on one shared subscription (every message stored once). */
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

/* Broker queue limits high enough for a session that is away during a stream. */
#define BROKER_CONF "max_queued_messages 1000000\nmax_inflight_messages 100"

struct rig {
        char dir[256];
        struct h_broker broker;
        struct pg_server pg;
};

static void rig_up(struct rig *r)
{
        *r = (struct rig){0};
        h_tmpdir(r->dir, sizeof(r->dir));
        h_broker_start(&r->broker, 0, BROKER_CONF);
        pg_start(&r->pg);
}

static void rig_down(struct rig *r)
{
        pg_destroy(&r->pg);
        h_broker_stop(&r->broker);
        h_rmdir(r->broker.dir);
        h_rmdir(r->dir);
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

/* The ids of rows receipted so far must all be in the database at >= their rev. */
static void receipts_are_committed(const struct gw_sim *g, PGconn *c)
{
        char sql[512];
        for (size_t i = 0; i < g->n; i++) {
                if (!g->rows[i].receipted)
                        continue;
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

static void test_database_down(void **state)
{
        struct rig r;
        struct hq_proc hq = {0};
        struct gw_sim g;
        (void)state;
        rig_up(&r);
        hq_start(&hq, r.dir, r.broker.port, &r.pg, NULL);
        gw_open(&g, r.broker.port, "gw-db-down", 60); /* no resend during the test */
        add_stream(&g, "s1", "a", 50, 1);
        assert_int_equal(gw_drain(&g, 30), 0);
        PGconn *c = pg_connect(&r.pg, NULL);
        receipts_are_committed(&g, c);
        PQfinish(c);

        pg_stop(&r.pg, true); /* a crash: the next batches cannot commit */
        size_t before = g.n;
        add_stream(&g, "s1", "b", 50, 1);
        gw_pump(&g, 1000);
        assert_true(hq_pub_flush(g.pub, 10000));
        h_sleep_ms(1500); /* several batch latencies and reconnect attempts */
        gw_pump(&g, 0);
        for (size_t i = before; i < g.n; i++)
                assert_false(g.rows[i].receipted); /* nothing receipted while down */

        pg_restart(&r.pg);
        assert_int_equal(gw_drain(&g, 60), 0); /* committed after the restart, then receipted */
        c = pg_connect(&r.pg, NULL);
        receipts_are_committed(&g, c);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly"), 100);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM outcome"), 20);
        assert_int_equal(gw_resends(&g), 0); /* the queue kept them: no resend was needed */
        PQfinish(c);
        hq_stop(&hq, SIGTERM);
        gw_close(&g);
        rig_down(&r);
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

static void test_kill9_during_stream(void **state)
{
        struct rig r;
        struct hq_proc hq = {0};
        struct gw_sim g;
        (void)state;
        rig_up(&r);
        hq_start(&hq, r.dir, r.broker.port, &r.pg,
                 &(struct hq_opts){.batch = 50, .latency_ms = 100});
        gw_open(&g, r.broker.port, "gw-kill", 3.0);
        const char *stores[] = {"s1", "s2", "s3"};
        for (int rev = 1; rev <= 3; rev++)
                for (int s = 0; s < 3; s++)
                        add_stream(&g, stores[s], "k", rev == 3 ? 100 : 200, rev);
        int kills = 0;
        double next_kill = h_mono_s() + 0.7;
        while (gw_pump(&g, 60) > 0 && kills < 6) {
                if (h_mono_s() >= next_kill) {
                        hq_stop(&hq, SIGKILL);
                        h_sleep_ms(200);
                        hq_restart(&hq);
                        kills++;
                        next_kill = h_mono_s() + 0.7;
                }
                h_sleep_ms(50);
        }
        assert_int_equal(gw_drain(&g, 120), 0);
        PGconn *c = pg_connect(&r.pg, NULL);
        check_final(&g, c, 600, 120);
        receipts_are_committed(&g, c);
        print_message("%d kills, %zu rows, %d resends\n", kills, g.n, gw_resends(&g));
        assert_true(kills >= 3);
        PQfinish(c);
        hq_stop(&hq, SIGTERM);
        gw_close(&g);
        rig_down(&r);
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

static void test_two_instances_share(void **state)
{
        struct rig r;
        struct hq_proc a = {0}, b = {0};
        struct gw_sim g;
        (void)state;
        rig_up(&r);
        hq_start(&a, r.dir, r.broker.port, &r.pg, &(struct hq_opts){.client_id = "hq-a"});
        hq_start(&b, r.dir, r.broker.port, &r.pg, &(struct hq_opts){.client_id = "hq-b"});
        gw_open(&g, r.broker.port, "gw-share", 120); /* no resend: each message once */
        const char *stores[] = {"s1", "s2", "s3", "s4"};
        for (int s = 0; s < 4; s++)
                add_stream(&g, stores[s], "m", 250, 1);
        assert_int_equal(gw_drain(&g, 60), 0);
        PGconn *c = pg_connect(&r.pg, NULL);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly"), 1000);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM outcome"), 200);
        /* Each message went to exactly one instance, and both took a share. */
        assert_int_equal(sum_counter(c, "messages,anomaly") + sum_counter(c, "messages,outcome"),
                         1200);
        assert_int_equal(sum_counter(c, "duplicates"), 0);
        assert_true(pg_number(c, "SELECT min((counters #>> '{messages,anomaly}')::bigint) FROM "
                                 "ingest_instance") > 100);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM ingest_instance"), 2);
        PQfinish(c);
        hq_stop(&a, SIGTERM);
        hq_stop(&b, SIGTERM);
        gw_close(&g);
        rig_down(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_database_down),
            cmocka_unit_test(test_kill9_during_stream),
            cmocka_unit_test(test_two_instances_share),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
