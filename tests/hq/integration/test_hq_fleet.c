/* Fleet queries over what shelfwatch-hq stored: effectiveness and ROI per store, tenant and
 * fleet by the gateway's definitions (the fleet equals the sum of its stores), the cycle-count
 * list, open alerts, gateways with problems; and row-level security between two tenants. */
#include <math.h>
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

static const char *const types[] = {"ghost_stock", "shelf_out", "inventory_discrepancy",
                                    "ml_detected"};

/* What the definitions say for the rows a store gets (computed here, independently). */
struct expect {
        int alerts, tp, fp, with_outcome, resolved;
        double prevented, recovered;
};

/* Store k gets 6 + 3k anomalies: i % 3 == 0 true positive, 1 false positive, 2 none; the first
 * TP also has an earlier FP (a manager corrects a scanner: the latest decides). */
static void add_store(struct gw_sim *g, const char *tenant, const char *store, int k,
                      struct expect *e)
{
        long long now = (long long)time(NULL), t = now - 5 * 86400;
        char topic[128], id[64], oid[80], *p;
        int n = 6 + 3 * k;
        for (int i = 0; i < n; i++) {
                const char *type = types[i % 4];
                const char *status = i % 3 == 2 ? "open" : "resolved";
                snprintf(topic, sizeof(topic), "retail/%s/%s/anomaly", tenant, store);
                snprintf(id, sizeof(id), "%s-%d", store, i);
                p = hq_anomaly_json(tenant, store, id, 2, type, status, i % 2 ? "dairy" : "toys",
                                    100.0 * (i + 1), 0.1 * (1 + i % 9), t);
                gw_add(g, topic, id, 2, p);
                free(p);
                e->alerts++;
                e->resolved += i % 3 != 2;
                if (i % 3 == 2)
                        continue;
                bool tp = i % 3 == 0;
                snprintf(topic, sizeof(topic), "retail/%s/%s/outcome", tenant, store);
                if (i == 0) { /* an earlier false positive, corrected */
                        snprintf(oid, sizeof(oid), "%s-o1", id);
                        p = hq_outcome_json(oid, id, type, "false_positive", t + 3600, 0, 0);
                        gw_add(g, topic, oid, 1, p);
                        free(p);
                }
                snprintf(oid, sizeof(oid), "%s-o%d", id, i == 0 ? 2 : 1);
                p = hq_outcome_json(oid, id, type, tp ? "true_positive" : "false_positive",
                                    t + 7200, tp ? i + 1.25 : 0, tp ? 2 * i + 0.5 : 0);
                gw_add(g, topic, oid, 1, p);
                free(p);
                e->with_outcome++;
                e->tp += tp;
                e->fp += !tp;
                if (tp && (i % 4 == 0 || i % 4 == 1)) /* ghost_stock, shelf_out */
                        e->prevented += 2 * i + 0.5;
                if (tp && (i % 4 == 0 || i % 4 == 2)) /* ghost_stock, inventory_discrepancy */
                        e->recovered += i + 1.25;
        }
        /* One anomaly older than the 30-day window: counted nowhere. */
        snprintf(topic, sizeof(topic), "retail/%s/%s/anomaly", tenant, store);
        snprintf(id, sizeof(id), "%s-old", store);
        p = hq_anomaly_json(tenant, store, id, 1, "ghost_stock", "open", "toys", 5, 0.5,
                            now - 40 * 86400);
        gw_add(g, topic, id, 1, p);
        free(p);
}

static double num(const cJSON *o, const char *path)
{
        const cJSON *v = h_json_item(o, path);
        if (!cJSON_IsNumber(v))
                fail_msg("%s: not a number", path);
        return v->valuedouble;
}

static const cJSON *find_scope(const cJSON *doc, const char *array, const char *tenant,
                               const char *store)
{
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, array))
        {
                const cJSON *s = cJSON_GetObjectItem(e, "store");
                if (strcmp(cJSON_GetObjectItem(e, "tenant")->valuestring, tenant) == 0 &&
                    (!store || (s && strcmp(s->valuestring, store) == 0)))
                        return e;
        }
        fail_msg("no %s entry for %s/%s", array, tenant, store ? store : "");
        return NULL;
}

static const char *const tenants[3] = {"acme", "acme", "globex"};
static const char *const stores[3] = {"s1", "s2", "s1"};

/* Each store's figures are what the definitions give for its rows. */
static void check_stores(const cJSON *eff, const cJSON *roi, const struct expect *e)
{
        for (int k = 0; k < 3; k++) {
                const cJSON *s = find_scope(eff, "stores", tenants[k], stores[k]);
                const cJSON *r = find_scope(roi, "stores", tenants[k], stores[k]);
                assert_int_equal((int)num(s, "alerts"), e[k].alerts);
                assert_int_equal((int)num(s, "with_outcome"), e[k].with_outcome);
                assert_int_equal((int)num(s, "resolved"), e[k].resolved);
                assert_int_equal((int)num(s, "precision.overall.true_positive"), e[k].tp);
                assert_int_equal((int)num(s, "precision.overall.false_positive"), e[k].fp);
                assert_true(fabs(num(r, "prevented_stockout_value") - e[k].prevented) < 1e-6);
                assert_true(fabs(num(r, "ghost_stock_recovered_value") - e[k].recovered) < 1e-6);
        }
}

/* total (the fleet, or a tenant) equals the sum of parts over the listed counters. */
static void check_sum(const cJSON *total, const cJSON *const *parts, int n,
                      const char *const *paths)
{
        for (const char *const *p = paths; *p; p++) {
                double sum = 0;
                for (int k = 0; k < n; k++)
                        sum += num(parts[k], *p);
                if (fabs(num(total, *p) - sum) > 1e-6 * (1 + fabs(sum)))
                        fail_msg("%s: %g, the parts sum to %g", *p, num(total, *p), sum);
        }
}

static void check_fleet_is_sum(const cJSON *eff, const cJSON *roi)
{
        static const char *const eff_paths[] = {"alerts",
                                                "with_outcome",
                                                "resolved",
                                                "response_hours_sum",
                                                "precision.overall.true_positive",
                                                "precision.overall.false_positive",
                                                "precision.by_type.ghost_stock.true_positive",
                                                "precision.by_type.shelf_out.false_positive",
                                                "precision.by_category.dairy.true_positive",
                                                NULL};
        static const char *const roi_paths[] = {"prevented_stockout_value",
                                                "ghost_stock_recovered_value", "total",
                                                "true_positive_outcomes", NULL};
        const cJSON *es[3], *rs[3];
        for (int k = 0; k < 3; k++) {
                es[k] = find_scope(eff, "stores", tenants[k], stores[k]);
                rs[k] = find_scope(roi, "stores", tenants[k], stores[k]);
        }
        check_sum(cJSON_GetObjectItem(eff, "fleet"), es, 3, eff_paths);
        check_sum(cJSON_GetObjectItem(roi, "fleet"), rs, 3, roi_paths);
        check_sum(find_scope(eff, "tenants", "acme", NULL), es, 2, eff_paths);
        check_sum(find_scope(roi, "tenants", "acme", NULL), rs, 2, roi_paths);
        double tp = num(eff, "fleet.precision.overall.true_positive");
        double fp = num(eff, "fleet.precision.overall.false_positive");
        assert_true(fabs(num(eff, "fleet.precision.overall.precision") - tp / (tp + fp)) < 1e-12);
        assert_true(fabs(num(eff, "fleet.false_positive_rate") - fp / (tp + fp)) < 1e-12);
}

static void check_lists(const struct hq_proc *hq, const char *dir)
{
        cJSON *cc = hq_cli_json(hq, dir, "cycle-count", "--limit", "3", NULL);
        cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(cc, "cycle_count"), 0);
        /* Open ghost stock ranked by probability x value: s2-8 (acme) and s1-8 (globex), both
         * 0.9 x 900, tie and go by tenant; then the old ones (0.5 x 5). */
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cc, "cycle_count")), 3);
        assert_string_equal(cJSON_GetObjectItem(first, "id")->valuestring, "s2-8");
        assert_string_equal(cJSON_GetObjectItem(first, "tenant")->valuestring, "acme");
        cJSON_Delete(cc);
        cJSON *al = hq_cli_json(hq, dir, "alerts", "--tenant", "globex", NULL);
        const cJSON *e;
        int open = 0;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(al, "alerts")) open += (int)num(e, "open");
        assert_int_equal(open, 4 + 1); /* 12 rows: i % 3 == 2 are open (4), and the old one */
        cJSON_Delete(al);
}

static void publish_health(struct hq_pub *p)
{
        long long now = (long long)time(NULL);
        char buf[256];
        hq_pub_send(p, "retail/acme/s1/status", "{\"v\":\"1.1\",\"state\":\"offline\"}", true);
        snprintf(buf, sizeof(buf),
                 "{\"v\":\"1.1\",\"ts\":%lld,\"health\":{\"pos_feed\":\"silent\"}}",
                 now - 7200); /* stale (older than 900 s) and silent */
        hq_pub_send(p, "retail/acme/s2/summary", buf, true);
        hq_pub_send(p, "retail/globex/s1/status", "{\"v\":\"1.1\",\"state\":\"online\"}", true);
        snprintf(buf, sizeof(buf), "{\"v\":\"1.1\",\"ts\":%lld,\"health\":{\"pos_feed\":\"ok\"}}",
                 now);
        hq_pub_send(p, "retail/globex/s1/summary", buf, true);
        assert_true(hq_pub_flush(p, 10000));
}

static void check_gateways(const struct hq_proc *hq, const char *dir)
{
        cJSON *gw = hq_cli_json(hq, dir, "gateways", "--problems", NULL);
        const cJSON *list = cJSON_GetObjectItem(gw, "gateways"), *a = cJSON_GetArrayItem(list, 0),
                    *b = cJSON_GetArrayItem(list, 1);
        assert_int_equal(cJSON_GetArraySize(list), 2); /* globex/s1 is fine */
        assert_string_equal(cJSON_GetObjectItem(a, "store")->valuestring, "s1");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a, "offline")));
        assert_string_equal(cJSON_GetObjectItem(b, "store")->valuestring, "s2");
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b, "offline")));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(b, "summary_stale")));
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(b, "pos_silent")));
        cJSON_Delete(gw);
}

static void run_cli(const struct hq_proc *hq, const char *dir, char *a, char *b, char *c)
{
        char *argv[] = {HQ_BIN, "-c", (char *)hq->conf, a, b, c, NULL}, out[512];
        snprintf(out, sizeof(out), "%s/cli-plain.out", dir);
        assert_int_equal(h_run(out, argv), 0);
}

static void check_role_reads(PGconn *admin, PGconn *viewer, const char *tenant)
{
        static const char *const tables[] = {"anomaly",       "outcome",      "store",
                                             "store_summary", "store_status", "status_history"};
        char sql[256];
        for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
                snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE tenant = '%s'", tables[i],
                         tenant);
                long long own = pg_number(admin, sql);
                snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
                assert_true(own > 0 || strcmp(tables[i], "store_summary") == 0 ||
                            strcmp(tables[i], "store_status") == 0 ||
                            strcmp(tables[i], "status_history") == 0);
                assert_int_equal(pg_number(viewer, sql), own); /* all it sees is its own */
                assert_true(pg_number(admin, sql) > own);      /* and there is more */
        }
        assert_int_equal(pg_exec(viewer, "SELECT * FROM ingest_instance", NULL, 0), -1);
        assert_int_equal(pg_exec(viewer, "DELETE FROM anomaly", NULL, 0), -1);
        assert_int_equal(
            pg_exec(viewer, "INSERT INTO tenant_member VALUES (current_user, 'x')", NULL, 0), -1);
}

/* A tenant's role reads its own rows only, and writes nothing; the CLI run as that role
 * reports that tenant as its whole fleet. */
static void check_rls(const struct pg_server *pg, const struct hq_proc *hq, const char *dir,
                      const cJSON *eff)
{
        char conninfo[512], text[1024];
        struct hq_proc viewer = {0};
        run_cli(hq, dir, "tenant-role", "viewer_acme", "acme");
        run_cli(hq, dir, "tenant-role", "viewer_globex", "globex");
        PGconn *admin = pg_connect(pg, NULL), *a = pg_connect(pg, "viewer_acme"),
               *g = pg_connect(pg, "viewer_globex");
        check_role_reads(admin, a, "acme");
        check_role_reads(admin, g, "globex");
        pg_conninfo_as(pg, "viewer_acme", conninfo, sizeof(conninfo));
        snprintf(viewer.conf, sizeof(viewer.conf), "%s/viewer.conf", dir);
        snprintf(text, sizeof(text), "database: { conninfo = \"%s\"; };\n", conninfo);
        h_write_file(viewer.conf, text);
        cJSON *mine = hq_cli_json(&viewer, dir, "effectiveness", NULL);
        assert_int_equal((int)num(mine, "fleet.alerts"),
                         (int)num(find_scope(eff, "tenants", "acme", NULL), "alerts"));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(mine, "tenants")), 1);
        cJSON_Delete(mine);
        PQfinish(admin);
        PQfinish(a);
        PQfinish(g);
}

static void test_fleet(void **state)
{
        struct hq_rig r = {0};
        struct hq_proc hq = {0};
        struct gw_sim g;
        struct expect e[3] = {0};
        (void)state;
        hq_rig_up(&r, "max_queued_messages 100000");
        const char *dir = r.dir;
        hq_start(&hq, dir, r.broker.port, &r.pg, NULL);
        gw_open(&g, r.broker.port, "gw-fleet", 30);
        for (int k = 0; k < 3; k++)
                add_store(&g, tenants[k], stores[k], k, &e[k]);
        assert_int_equal(gw_drain(&g, 60), 0);
        publish_health(g.pub);
        h_sleep_ms(500); /* summaries and status carry no receipt: let a batch commit them */

        cJSON *eff = hq_cli_json(&hq, dir, "effectiveness", "--days", "30", NULL);
        cJSON *roi = hq_cli_json(&hq, dir, "roi", "--days", "30", NULL);
        check_stores(eff, roi, e);
        check_fleet_is_sum(eff, roi);
        check_lists(&hq, dir);
        check_gateways(&hq, dir);
        check_rls(&r.pg, &hq, dir, eff);
        cJSON_Delete(eff);
        cJSON_Delete(roi);

        hq_stop(&hq, SIGTERM);
        gw_close(&g);
        hq_rig_down(&r);
}

/* --days and --limit take a whole number in range: anything else is a usage error (exit 2)
 * that names the option, before the configuration or the database is touched. */
static void test_cli_refuses_bad_numbers(void **state)
{
        static char *const bad[][3] = {{"effectiveness", "--days", "abc"},
                                       {"roi", "--days", "0"},
                                       {"roi", "--days", "-1"},
                                       {"roi", "--days", "99999999999"},
                                       {"roi", "--days", "7x"},
                                       {"roi", "--days", " 5"},
                                       {"roi", "--days", "+5"},
                                       {"roi", "--days", " -18446744073709551615"},
                                       {"cycle-count", "--limit", ""},
                                       {"cycle-count", "--limit", "100001"}};
        static char *const good[][3] = {{"roi", "--days", "36500"},
                                        {"cycle-count", "--limit", "100000"}};
        char dir[256], out[512];
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        snprintf(out, sizeof(out), "%s/cli.out", dir);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *argv[] = {HQ_BIN,    "-c", "/nonexistent/hq.conf", bad[i][0], bad[i][1],
                                bad[i][2], NULL};
                unlink(out);
                assert_int_equal(h_run(out, argv), 2);
                char *text = h_read_file(out);
                char want[128];
                snprintf(want, sizeof(want), "%s takes a whole number from 1 to", bad[i][1]);
                if (!text || !strstr(text, want))
                        fail_msg("%s %s '%s': %s", bad[i][0], bad[i][1], bad[i][2],
                                 text ? text : "(no output)");
                free(text);
        }
        /* The largest values pass; the missing configuration file is what fails then (exit 1). */
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                char *argv[] = {HQ_BIN,     "-c", "/nonexistent/hq.conf", good[i][0], good[i][1],
                                good[i][2], NULL};
                assert_int_equal(h_run(out, argv), 1);
        }
        h_rmdir(dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_cli_refuses_bad_numbers),
        cmocka_unit_test(test_fleet))
/* clang-format on */
