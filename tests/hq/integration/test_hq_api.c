/* The HTTP API (shelfwatch-hq serve) against a real PostgreSQL, mosquitto and shelfwatchd: every
 * endpoint and filter against the database, tenant isolation, auth failures, bad input, the
 * OpenAPI document against the responses, and commands forwarded to a real gateway. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api_client.h"
#include "gateway_sim.h"
#include "hq_harness.h"
#include "integration/harness.h"
#include "openapi_check.h"
#include "tests/support/test_main.h"

#define ACME   "acme-token-0123456789"
#define GLOBEX "globex-token-9876543210"
#define MIXUP  "mixup-token-5555555555" /* tenant acme, but globex's role: RLS must win */

static const char *const types[] = {"ghost_stock", "shelf_out", "inventory_discrepancy",
                                    "ml_detected"};

/* Everything the tests share, set up once. */
static struct world {
        struct hq_rig r; /* scratch folder, PostgreSQL, mosquitto */
        struct hq_proc hq;
        struct api_server api;
        struct h_daemon gateway; /* a real shelfwatchd for acme/s1 */
        PGconn *db;              /* superuser, for the expected figures */
        cJSON *doc;              /* hq/api/openapi.json */
} w;

/* Store rows: n anomalies of mixed type, status and category, half with an outcome. */
static void add_store(struct gw_sim *g, const char *tenant, const char *store, int n)
{
        long long now = (long long)time(NULL);
        char topic[128], id[64], oid[80], *p;
        for (int i = 0; i < n; i++) {
                const char *status = i % 3 == 0 ? "open" : i % 3 == 1 ? "resolved" : "dismissed";
                snprintf(topic, sizeof(topic), "retail/%s/%s/anomaly", tenant, store);
                snprintf(id, sizeof(id), "%s-%s-%d", tenant, store, i);
                p = hq_anomaly_json(tenant, store, id, 1, types[i % 4], status,
                                    i % 2 ? "dairy" : "toys", 10.0 * (i + 1), 0.05 * (1 + i % 19),
                                    now - (i % 40) * 86400 - 60);
                gw_add(g, topic, id, 1, p);
                free(p);
                if (i % 3 == 0)
                        continue;
                snprintf(topic, sizeof(topic), "retail/%s/%s/outcome", tenant, store);
                snprintf(oid, sizeof(oid), "%s-o1", id);
                p = hq_outcome_json(oid, id, types[i % 4],
                                    i % 3 == 1 ? "true_positive" : "false_positive",
                                    now - (i % 40) * 86400 + 3600, i % 3 == 1 ? i + 0.5 : 0,
                                    i % 3 == 1 ? 2.0 * i : 0);
                gw_add(g, topic, oid, 1, p);
                free(p);
        }
}

static void make_roles(void)
{
        char *a1[] = {HQ_BIN, "-c", w.hq.conf, "tenant-role", "acme_reader", "acme", NULL};
        char *a2[] = {HQ_BIN, "-c", w.hq.conf, "tenant-role", "globex_reader", "globex", NULL};
        char log[512];
        snprintf(log, sizeof(log), "%s/roles.log", w.r.dir);
        assert_int_equal(h_run(log, a1), 0);
        assert_int_equal(h_run(log, a2), 0);
        /* The API's login role owns nothing and inherits nothing: it reads only through SET
         * ROLE to a token's role. */
        assert_int_equal(pg_exec(w.db, "CREATE ROLE shelfwatch_api LOGIN NOINHERIT", NULL, 0), 0);
        assert_int_equal(
            pg_exec(w.db, "GRANT acme_reader, globex_reader TO shelfwatch_api", NULL, 0), 0);
}

static void start_api(void)
{
        char settings[4096], a[65], g[65], m[65], conninfo[600];
        api_token_digest(ACME, a);
        api_token_digest(GLOBEX, g);
        api_token_digest(MIXUP, m);
        pg_conninfo_as(&w.r.pg, "shelfwatch_api", conninfo, sizeof(conninfo));
        snprintf(settings, sizeof(settings),
                 "conninfo = \"%s\"; command_timeout_ms = 1500; max_limit = 500;\n"
                 "max_body_bytes = 2048;\n"
                 "tokens = ( { name = \"acme-lp\"; tenant = \"acme\"; role = \"acme_reader\"; "
                 "sha256 = \"%s\"; },\n"
                 " { name = \"globex-lp\"; tenant = \"globex\"; role = \"globex_reader\"; "
                 "sha256 = \"%s\"; },\n"
                 " { name = \"mixup\"; tenant = \"acme\"; role = \"globex_reader\"; "
                 "sha256 = \"%s\"; } );",
                 conninfo, a, g, m);
        api_start(&w.api, w.r.dir, w.r.broker.port, w.r.pg.conninfo, settings);
}

static int setup(void **state)
{
        struct gw_sim g;
        char conf[1024], *text;
        (void)state;
        hq_rig_up(&w.r, NULL);
        hq_start(&w.hq, w.r.dir, w.r.broker.port, &w.r.pg, NULL);
        gw_open(&g, w.r.broker.port, "gw-api", 2.0);
        add_store(&g, "acme", "s1", 60);
        add_store(&g, "acme", "s2", 45);
        add_store(&g, "globex", "s1", 30);
        add_store(&g, "globex", "s3", 24);
        assert_int_equal(gw_drain(&g, 60), 0);
        gw_close(&g);
        w.db = pg_connect(&w.r.pg, NULL);
        /* Severities vary (the simulated gateway sends warning only). */
        assert_int_equal(pg_exec(w.db,
                                 "UPDATE anomaly SET severity = CASE WHEN random() < 0.3 THEN "
                                 "'critical' WHEN random() < 0.5 THEN 'info' ELSE severity END",
                                 NULL, 0),
                         0);
        make_roles();
        /* A real gateway for acme/s1 on the same broker (no hq section: it publishes there). */
        snprintf(conf, sizeof(conf),
                 "broker: { port = %d; };\nstorage: { path = \"%s/gw.db\"; };\n"
                 "store: { tenant = \"acme\"; id = \"s1\"; };\n",
                 w.r.broker.port, w.r.dir);
        h_daemon_start_at(&w.gateway, w.r.dir, conf, w.r.broker.port, "retail/acme/s1");
        start_api();
        text = h_read_file(SW_SOURCE_DIR "/hq/api/openapi.json");
        w.doc = text ? cJSON_Parse(text) : NULL;
        free(text);
        assert_non_null(w.doc);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        api_stop(&w.api);
        h_daemon_stop(&w.gateway, SIGTERM);
        hq_stop(&w.hq, SIGTERM);
        PQfinish(w.db);
        cJSON_Delete(w.doc);
        hq_rig_down(&w.r);
        return 0;
}

static double num(const cJSON *o, const char *path)
{
        const cJSON *v = h_json_item(o, path);
        if (!cJSON_IsNumber(v))
                fail_msg("%s: not a number", path);
        return v->valuedouble;
}

/* ---- auth ----------------------------------------------------------------------------- */

static void test_auth(void **state)
{
        (void)state;
        const char *const basic[] = {"-H", "Authorization: Basic YWNtZTpwdw==", NULL};
        const char *const two[] = {"-H", "Authorization: Bearer " ACME "x", NULL};
        struct api_response r = api_request(&w.api, "GET", "/api/v1/anomalies", NULL, NULL);
        assert_int_equal(r.status, 401);
        assert_string_equal(h_json_string(r.json, "error.reason"),
                            "a bearer token is required (Authorization: Bearer <token>)");
        api_response_free(&r);
        r = api_request(&w.api, "GET", "/api/v1/gateways", "wrong-token", NULL);
        assert_int_equal(r.status, 401);
        api_response_free(&r);
        r = api_request_with(&w.api, "GET", "/api/v1/gateways", NULL, NULL, basic);
        assert_int_equal(r.status, 401);
        api_response_free(&r);
        r = api_request_with(&w.api, "GET", "/api/v1/gateways", NULL, NULL, two);
        assert_int_equal(r.status, 401);
        api_response_free(&r);
        /* Posts too: nothing reaches a gateway without a token. */
        r = api_request(&w.api, "POST", "/api/v1/anomalies/detect", NULL, "{\"store\":\"s1\"}");
        assert_int_equal(r.status, 401);
        api_response_free(&r);
        /* The dashboard's files hold no data: served without a token. */
        r = api_request(&w.api, "GET", "/", NULL, NULL);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.text, "<html"));
        api_response_free(&r);
        /* A token is never logged. */
        char *log = h_read_file(w.api.log);
        assert_null(strstr(log, ACME));
        assert_null(strstr(log, "wrong-token"));
        free(log);
}

/* ---- every GET and filter against the database ----------------------------------------- */

/* count(*) of anomaly rows of tenant with where, as the superuser. */
static long long db_count(const char *tenant, const char *where)
{
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM anomaly WHERE tenant = '%s' AND received_at >= now() - "
                 "interval '30 days' AND %s",
                 tenant, where);
        return pg_number(w.db, sql);
}

static void check_filter(const char *query, const char *where)
{
        char path[512];
        snprintf(path, sizeof(path), "/api/v1/anomalies?limit=500&%s", query);
        cJSON *o = api_get_expect(&w.api, path, ACME, 200);
        long long want = db_count("acme", where);
        assert_int_equal((long long)num(o, "total"), want);
        assert_int_equal((long long)num(o, "count"), want < 500 ? want : 500);
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(o, "anomalies"))
            assert_string_equal(h_json_string(a, "tenant"), "acme");
        cJSON_Delete(o);
}

static void test_anomalies_filters(void **state)
{
        (void)state;
        check_filter("store=s1", "store = 's1'");
        check_filter("type=shelf_out", "type = 'shelf_out'");
        check_filter("severity=critical", "severity = 'critical'");
        check_filter("status=open", "status = 'open'");
        check_filter("category=dairy", "category = 'dairy'");
        check_filter("sku=SKU-acme-s2-7", "sku = 'SKU-acme-s2-7'");
        check_filter("store=s2&type=ghost_stock&status=open", "store = 's2' AND type = "
                                                              "'ghost_stock' AND status = 'open'");
        check_filter("days=30", "true");
        /* days: received in the window (all rows arrived now; 1 day still sees them all). */
        cJSON *o = api_get_expect(&w.api, "/api/v1/anomalies?days=1", ACME, 200);
        assert_int_equal((long long)num(o, "total"), db_count("acme", "true"));
        cJSON_Delete(o);
        /* Pages: limit and offset walk every row once, newest first. */
        long long total = db_count("acme", "true"), seen = 0;
        for (int off = 0; off < total; off += 40) {
                char path[128];
                snprintf(path, sizeof(path), "/api/v1/anomalies?limit=40&offset=%d", off);
                o = api_get_expect(&w.api, path, ACME, 200);
                seen += (long long)num(o, "count");
                assert_int_equal((long long)num(o, "offset"), off);
                cJSON_Delete(o);
        }
        assert_int_equal(seen, total);
}

static void test_stats_and_ghost_stock(void **state)
{
        (void)state;
        cJSON *o = api_get_expect(&w.api, "/api/v1/anomalies/stats?days=30", ACME, 200);
        long long in_window = pg_number(w.db, "SELECT count(*) FROM anomaly WHERE tenant = 'acme' "
                                              "AND detected_at >= now() - interval '30 days'");
        assert_int_equal((long long)num(o, "total"), in_window);
        assert_int_equal((long long)num(o, "by_store.s1") + (long long)num(o, "by_store.s2"),
                         in_window);
        assert_int_equal((long long)num(o, "by_severity.critical"),
                         pg_number(w.db, "SELECT count(*) FROM anomaly WHERE tenant = 'acme' AND "
                                         "severity = 'critical' AND detected_at >= now() - "
                                         "interval '30 days'"));
        assert_int_equal((long long)num(o, "open"),
                         pg_number(w.db, "SELECT count(*) FROM anomaly WHERE tenant = 'acme' AND "
                                         "status = 'open'"));
        double daily = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItem(o, "daily")) daily +=
            num(d, "by_type.ghost_stock") + num(d, "by_type.shelf_out") +
            num(d, "by_type.inventory_discrepancy") + num(d, "by_type.ml_detected");
        assert_int_equal((long long)daily, in_window);
        assert_int_equal((long long)(num(o, "trend_detail.earlier") + num(o, "trend_detail.later")),
                         in_window);
        cJSON_Delete(o);

        o = api_get_expect(&w.api, "/api/v1/anomalies/ghost-stock?limit=5", ACME, 200);
        const cJSON *r, *list = cJSON_GetObjectItem(o, "recommendations");
        assert_int_equal(cJSON_GetArraySize(list), 5);
        double prev = 1e18;
        int rank = 1;
        cJSON_ArrayForEach(r, list)
        {
                assert_int_equal((int)num(r, "rank"), rank++);
                assert_true(num(r, "priority") <= prev + 1e-9);
                prev = num(r, "priority");
        }
        /* The first is the database's top: probability x value of open ghost stock. */
        assert_true(
            fabs(num(cJSON_GetArrayItem(list, 0), "priority") -
                 (double)pg_number(w.db, "SELECT round(max(probability * value)) FROM anomaly "
                                         "WHERE tenant = 'acme' AND status = 'open' AND type = "
                                         "'ghost_stock'")) < 1.0);
        cJSON_Delete(o);
        o = api_get_expect(&w.api, "/api/v1/anomalies/ghost-stock?limit=500&store=s2", ACME, 200);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "recommendations")),
                         pg_number(w.db, "SELECT count(*) FROM anomaly WHERE tenant = 'acme' AND "
                                         "store = 's2' AND status = 'open' AND type = "
                                         "'ghost_stock'"));
        cJSON_Delete(o);
}

/* The API's effectiveness and ROI are the CLI's (the same core definitions) for the tenant. */
static void test_effectiveness_and_roi(void **state)
{
        (void)state;
        cJSON *cli = hq_cli_json(&w.hq, w.r.dir, "effectiveness", "--tenant", "acme", NULL);
        cJSON *roi_cli = hq_cli_json(&w.hq, w.r.dir, "roi", "--tenant", "acme", NULL);
        cJSON *al = api_get_expect(&w.api, "/api/v1/outcomes/alerts/effectiveness", ACME, 200);
        cJSON *an = api_get_expect(&w.api, "/api/v1/outcomes/anomalies/effectiveness", ACME, 200);
        cJSON *roi = api_get_expect(&w.api, "/api/v1/outcomes/roi?days=30", ACME, 200);
        assert_int_equal((int)num(al, "alerts"), (int)num(cli, "fleet.alerts"));
        assert_true(fabs(num(al, "false_positive_rate") - num(cli, "fleet.false_positive_rate")) <
                    1e-9);
        assert_true(fabs(num(al, "mean_response_hours") - num(cli, "fleet.mean_response_hours")) <
                    1e-9);
        assert_int_equal((int)num(al, "by_store.s1.alerts") + (int)num(al, "by_store.s2.alerts"),
                         (int)num(al, "alerts"));
        assert_int_equal((int)num(an, "overall.true_positive"),
                         (int)num(cli, "fleet.precision.overall.true_positive"));
        assert_true(fabs(num(an, "overall.precision") -
                         num(cli, "fleet.precision.overall.precision")) < 1e-9);
        assert_int_equal((int)num(an, "by_category.dairy.true_positive") +
                             (int)num(an, "by_category.toys.true_positive"),
                         (int)num(an, "overall.true_positive"));
        assert_true(fabs(num(roi, "total.total") - num(roi_cli, "fleet.total")) < 1e-6);
        assert_true(fabs(num(roi, "by_store.s1.total") + num(roi, "by_store.s2.total") -
                         num(roi, "total.total")) < 1e-6);
        /* days narrows: 7 days hold fewer alerts than 30. */
        cJSON *al7 = api_get_expect(&w.api, "/api/v1/outcomes/alerts/effectiveness?days=7&store=s1",
                                    ACME, 200);
        assert_int_equal((int)num(al7, "alerts"),
                         pg_number(w.db, "SELECT count(*) FROM anomaly WHERE tenant = 'acme' AND "
                                         "store = 's1' AND detected_at >= now() - interval '7 "
                                         "days'"));
        cJSON_Delete(al7);
        cJSON_Delete(cli);
        cJSON_Delete(roi_cli);
        cJSON_Delete(al);
        cJSON_Delete(an);
        cJSON_Delete(roi);
}

static void test_gateways(void **state)
{
        (void)state;
        cJSON *o = api_get_expect(&w.api, "/api/v1/gateways", ACME, 200);
        const cJSON *g;
        assert_int_equal((int)num(o, "count"), 2);
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(o, "gateways"))
        {
                const char *store = h_json_string(g, "store");
                /* acme/s1 has a real gateway (online, a summary); s2 only simulated rows. */
                if (strcmp(store, "s1") == 0)
                        assert_string_equal(h_json_string(g, "state"), "online");
                else
                        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(g, "needs_attention")));
        }
        cJSON_Delete(o);
}

/* ---- tenant isolation ----------------------------------------------------------------- */

static void test_tenant_isolation(void **state)
{
        (void)state;
        const char *paths[] = {"/api/v1/anomalies?limit=500", "/api/v1/gateways",
                               "/api/v1/anomalies/ghost-stock?limit=500"};
        for (size_t i = 0; i < 3; i++) {
                cJSON *o = api_get_expect(&w.api, paths[i], GLOBEX, 200);
                char *text = cJSON_PrintUnformatted(o);
                assert_null(strstr(text, "acme"));
                assert_null(strstr(text, "\"s2\""));
                free(text);
                cJSON_Delete(o);
        }
        cJSON *o = api_get_expect(&w.api, "/api/v1/anomalies/stats", GLOBEX, 200);
        assert_int_equal((int)num(o, "total"),
                         pg_number(w.db, "SELECT count(*) FROM anomaly WHERE tenant = 'globex' "
                                         "AND detected_at >= now() - interval '30 days'"));
        cJSON_Delete(o);
        /* Another tenant's anomaly is "not found", and nothing is sent. */
        struct api_response r = api_request(&w.api, "POST", "/api/v1/outcomes/anomaly/acme-s1-3",
                                            GLOBEX, "{\"outcome\":\"false_positive\"}");
        assert_int_equal(r.status, 404);
        api_response_free(&r);
        r = api_request(&w.api, "POST", "/api/v1/anomalies/detect", GLOBEX, "{\"store\":\"s2\"}");
        assert_int_equal(r.status, 404);
        api_response_free(&r);
        /* Row-level security decides, not the query's tenant: a token for tenant acme running as
         * globex's role sees no acme row. */
        o = api_get_expect(&w.api, "/api/v1/anomalies?limit=500", MIXUP, 200);
        assert_int_equal((int)num(o, "total"), 0);
        cJSON_Delete(o);
        o = api_get_expect(&w.api, "/api/v1/outcomes/roi", MIXUP, 200);
        assert_int_equal((int)num(o, "total.true_positive_outcomes"), 0);
        cJSON_Delete(o);
        assert_int_equal(pg_number(w.db, "SELECT count(*) FROM gateway_command WHERE requested_by "
                                         "= 'globex-lp'"),
                         0);
}

/* ---- bad input ------------------------------------------------------------------------ */

static void expect_status(const char *method, const char *path, const char *body, int want,
                          const char *reason_part)
{
        struct api_response r = api_request(&w.api, method, path, ACME, body);
        if (r.status != want || !r.json ||
            (reason_part && !strstr(h_json_string(r.json, "error.reason"), reason_part)))
                fail_msg("%s %s: %d %s (want %d, '%s')", method, path, r.status,
                         r.text ? r.text : "", want, reason_part ? reason_part : "");
        assert_int_equal((int)num(r.json, "error.status"), want);
        api_response_free(&r);
}

static void test_bad_input(void **state)
{
        (void)state;
        expect_status("GET", "/api/v1/anomalies?bogus=1", NULL, 400, "unknown filter: bogus");
        expect_status("GET", "/api/v1/anomalies?limit=100000", NULL, 400, "limit");
        expect_status("GET", "/api/v1/anomalies?limit=0", NULL, 400, "limit");
        expect_status("GET", "/api/v1/anomalies?limit=-5", NULL, 400, "limit");
        expect_status("GET", "/api/v1/anomalies?days=1e3", NULL, 400, "days");
        expect_status("GET", "/api/v1/anomalies?type=ghost", NULL, 400, "type");
        expect_status("GET", "/api/v1/anomalies?type=shelf_out&type=shelf_out", NULL, 400,
                      "more than once");
        expect_status("GET", "/api/v1/anomalies?sku=x%27%20OR%20%271%27=%271", NULL, 400, "sku");
        expect_status("GET", "/api/v1/anomalies?category=a;DROP%20TABLE%20anomaly", NULL, 400,
                      "category");
        expect_status("GET", "/api/v1/anomalies?store=s1%27--", NULL, 400, "store");
        expect_status("GET", "/api/v1/anomalies?store=", NULL, 400, "store");
        expect_status("GET", "/api/v1/anomalies/stats?sku=x", NULL, 400, "unknown filter");
        expect_status("GET", "/api/v1/nosuch", NULL, 404, "no such endpoint");
        expect_status("POST", "/api/v1/anomalies", "{}", 405, "GET");
        expect_status("POST", "/api/v1/anomalies/detect", "not json", 400, "JSON object");
        expect_status("POST", "/api/v1/anomalies/detect",
                      "{\"store\":\"s1\",\"as_of\":\"2026-02-30\"}", 400, "as_of");
        expect_status("POST", "/api/v1/anomalies/detect", "{\"store\":\"s1\",\"sku\":\"x\"}", 400,
                      "unknown field");
        expect_status("POST", "/api/v1/anomalies/detect",
                      "{\"store\":\"s1\",\"detectors\":[\"nope\"]}", 400, "detectors");
        expect_status("POST", "/api/v1/outcomes/anomaly/acme-s1-1", "{\"outcome\":\"maybe\"}", 400,
                      "outcome");
        expect_status("POST", "/api/v1/outcomes/anomaly/acme-s1-1",
                      "{\"outcome\":\"true_positive\",\"note\":\"a\\u0001b\"}", 400, "note");
        char big[3000];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memcpy(big, "{\"store\":\"", 10);
        expect_status("POST", "/api/v1/anomalies/detect", big, 413, "2048");
        /* Nothing of it reached the database or a gateway. */
        assert_int_equal(pg_number(w.db, "SELECT count(*) FROM gateway_command WHERE command = "
                                         "'detect' AND state = 'sent'"),
                         0);
        assert_int_equal(pg_number(w.db, "SELECT count(*) FROM pg_tables WHERE tablename = "
                                         "'anomaly'"),
                         1);
}

/* ---- commands through the broker to a real gateway ------------------------------------- */

static void test_commands(void **state)
{
        (void)state;
        /* detect at acme/s1: the gateway runs it and its reply comes back. */
        struct api_response r = api_request(&w.api, "POST", "/api/v1/anomalies/detect", ACME,
                                            "{\"store\":\"s1\",\"as_of\":\"2026-11-24\"}");
        if (r.status != 200)
                fail_msg("detect: %d %s", r.status, r.text ? r.text : "");
        assert_true(cJSON_IsTrue(h_json_item(r.json, "reply.ok")));
        assert_string_equal(h_json_string(r.json, "reply.as_of"), "2026-11-24");
        api_response_free(&r);
        /* An outcome: the gateway does not know the simulated id and says so: 404, recorded. */
        r = api_request(&w.api, "POST", "/api/v1/outcomes/anomaly/acme-s1-4", ACME,
                        "{\"outcome\":\"true_positive\",\"note\":\"counted at HQ\"}");
        assert_int_equal(r.status, 404);
        assert_non_null(
            strstr(h_json_string(r.json, "error.reason"), "gateway of store s1 refused"));
        api_response_free(&r);
        assert_int_equal(pg_number(w.db, "SELECT count(*) FROM gateway_command WHERE anomaly = "
                                         "'acme-s1-4' AND state = 'refused' AND outcome = "
                                         "'true_positive' AND requested_by = 'acme-lp' AND "
                                         "request->>'user' = 'hq:acme-lp'"),
                         1);
        /* The alert form is the same command. */
        r = api_request(&w.api, "POST", "/api/v1/outcomes/alert/acme-s1-5", ACME,
                        "{\"outcome\":\"false_positive\",\"user\":\"ana\"}");
        assert_int_equal(r.status, 404);
        api_response_free(&r);
        /* acme/s2 has no gateway: 504 after command_timeout_ms, recorded as a timeout. */
        double t0 = h_mono_s();
        r = api_request(&w.api, "POST", "/api/v1/anomalies/detect", ACME, "{\"store\":\"s2\"}");
        assert_int_equal(r.status, 504);
        assert_true(h_mono_s() - t0 >= 1.4);
        api_response_free(&r);
        assert_int_equal(pg_number(w.db, "SELECT count(*) FROM gateway_command WHERE store = 's2' "
                                         "AND state = 'timeout'"),
                         1);
        /* Another tenant's store that reads the command (no ACL on this broker) answers it on
         * its own reply topic with the command's correlation data: HQ ignores that answer. */
        char forger[1024], forge_log[300];
        snprintf(forger, sizeof(forger),
                 "m=$(mosquitto_sub -V 5 -p %d -t 'retail/acme/s2/cmd/#' -C 1 -W 10 -F '%%R %%D') "
                 "&& set -- $m && mosquitto_pub -V 5 -p %d -q 1 "
                 "-t \"retail/globex/s9/reply/${1##*/reply/}\" -D publish correlation-data "
                 "\"$2\" -m '{\"ok\":true,\"forged\":true}' && echo forged \"$1\"",
                 w.r.broker.port, w.r.broker.port);
        snprintf(forge_log, sizeof(forge_log), "%s/forger.log", w.r.dir);
        char *forge_argv[] = {"/bin/sh", "-c", forger, NULL};
        pid_t forge = h_spawn(forge_log, forge_argv);
        h_sleep_ms(300); /* subscribed */
        r = api_request(&w.api, "POST", "/api/v1/anomalies/detect", ACME, "{\"store\":\"s2\"}");
        assert_int_equal(h_wait(forge), 0);
        char *forged = h_read_file(forge_log);
        assert_non_null(strstr(forged, "forged retail/acme/s2/reply/hq-api-"));
        free(forged);
        assert_int_equal(r.status, 504);
        api_response_free(&r);
        assert_int_equal(pg_number(w.db, "SELECT count(*) FROM gateway_command WHERE store = 's2' "
                                         "AND state = 'timeout'"),
                         2);
        /* The gateway counted the commands it ran and refused none of their reply topics. */
        cJSON *h = h_health(w.r.broker.port, "retail/acme/s1");
        assert_int_equal((int)h_json_number_or(h, "commands.refused.reply_topic", 0), 0);
        cJSON_Delete(h);
}

/* ---- the OpenAPI document against the server ------------------------------------------- */

static void test_openapi_matches(void **state)
{
        (void)state;
        const cJSON *path, *op;
        char err[512], url[256];
        int checked = 0;
        cJSON_ArrayForEach(path, cJSON_GetObjectItem(w.doc, "paths"))
        {
                cJSON_ArrayForEach(op, path)
                {
                        bool get = strcmp(op->string, "get") == 0;
                        snprintf(url, sizeof(url), "/api/v1%s", path->string);
                        char *brace = strchr(url, '{');
                        if (brace)
                                snprintf(brace, sizeof(url) - (size_t)(brace - url), "acme-s1-1");
                        struct api_response r =
                            api_request(&w.api, get ? "GET" : "POST", url, ACME, get ? NULL : "[]");
                        /* Every documented operation exists (a POST with a bad body: 400). */
                        assert_int_equal(r.status, get ? 200 : 400);
                        const cJSON *s = openapi_response_schema(w.doc, path->string, op->string,
                                                                 get ? "200" : "400");
                        assert_non_null(s);
                        if (openapi_check(w.doc, s, r.json, url, err, sizeof(err)) < 0)
                                fail_msg("%s", err);
                        /* And its 401 is the documented error. */
                        api_response_free(&r);
                        r = api_request(&w.api, get ? "GET" : "POST", url, NULL, NULL);
                        assert_int_equal(r.status, 401);
                        s = openapi_response_schema(w.doc, path->string, op->string, "401");
                        assert_non_null(s);
                        assert_int_equal(openapi_check(w.doc, s, r.json, url, err, sizeof(err)), 0);
                        api_response_free(&r);
                        checked++;
                }
        }
        assert_int_equal(checked, 10); /* the nine endpoints of the previous system + gateways */
        /* The served document is the repository's. */
        cJSON *served = api_get_expect(&w.api, "/api/v1/openapi.json", NULL, 200);
        assert_true(cJSON_Compare(served, w.doc, true));
        cJSON_Delete(served);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(setup, teardown,
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_anomalies_filters),
        cmocka_unit_test(test_stats_and_ghost_stock),
        cmocka_unit_test(test_effectiveness_and_roi),
        cmocka_unit_test(test_gateways),
        cmocka_unit_test(test_tenant_isolation),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_openapi_matches))
/* clang-format on */
