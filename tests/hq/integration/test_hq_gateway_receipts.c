/* The real shelfwatchd (receipts on, v1.1) against the real shelfwatch-hq and PostgreSQL on one
 * broker (the bridge's view: HQ's topics on the gateway's broker): HQ's receipts empty the
 * gateway's outbox, and PostgreSQL holds every anomaly at the gateway's final rev, and the
 * outcome. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "hq_harness.h"
#include "integration/harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

/* One text value from the gateway's database; "" when none. malloc'd. */
static char *gw_text(const char *dir, const char *sql)
{
        char *out = h_db_text(dir, sql);
        return out ? out : strdup("");
}

static long long gw_number(const char *dir, const char *sql)
{
        char *t = gw_text(dir, sql);
        long long v = atoll(t);
        free(t);
        return v;
}

/* One text value from PostgreSQL; malloc'd ("" for NULL). */
static char *pg_text(PGconn *c, const char *sql)
{
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
                fail_msg("%s: %s", sql, PQerrorMessage(c));
        char *out = strdup(PQntuples(r) && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
        return out;
}

/* Wait until the gateway keeps no row that needs a receipt. */
static void wait_outbox_confirmed(const char *dir, int seconds)
{
        for (int i = 0; i < seconds * 10; i++) {
                if (gw_number(dir, "SELECT count(*) FROM outbox WHERE rev > 0") == 0)
                        return;
                h_sleep_ms(100);
        }
        fail_msg("the gateway still has %lld rows awaiting HQ's receipt",
                 gw_number(dir, "SELECT count(*) FROM outbox WHERE rev > 0"));
}

/* PostgreSQL holds every anomaly of the gateway's database, at the gateway's rev. */
static void assert_hq_has_gateway_revs(const char *dir, PGconn *db)
{
        char *want = gw_text(dir, "SELECT group_concat(id || ':' || rev, ',') FROM "
                                  "(SELECT id, rev FROM anomaly ORDER BY id)");
        char *got = pg_text(db, "SELECT string_agg(id || ':' || rev, ',' ORDER BY id) FROM anomaly "
                                "WHERE tenant = 'demo' AND store = 'store1'");
        assert_true(strlen(want) > 0);
        assert_string_equal(got, want);
        free(got);
        free(want);
}

static void test_real_hq_receipts_empty_the_gateway_outbox(void **state)
{
        struct hq_rig r = {0};
        struct hq_proc hq = {0};
        struct h_daemon gw = {0};
        char conf[1024];
        (void)state;
        hq_rig_up(&r, NULL);
        const char *dir = r.dir;
        const int port = r.broker.port;
        hq_start(&hq, dir, port, &r.pg, NULL);
        h_config(conf, sizeof(conf), port, dir,
                 "store: { currency = \"EUR\"; };\n"
                 "hq_receipts: { enabled = true; resend_after_seconds = 30; };\n");
        h_daemon_start(&gw, dir, conf, port);
        assert_int_equal(h_storesim(port, dir, "sim.log", "--profile", "basic", "--days", "20",
                                    "--warmup", "14", "--skus", "80", "--seed", "7", "--quiet",
                                    NULL),
                         0);
        wait_outbox_confirmed(dir, 60);

        PGconn *db = pg_connect(&r.pg, NULL);
        assert_hq_has_gateway_revs(dir, db);
        char *got = pg_text(db, "SELECT string_agg(DISTINCT currency, ',') FROM anomaly");
        assert_string_equal(got, "EUR");
        free(got);

        /* An outcome: stored at HQ, receipted with rev 1, and the anomaly's next rev too. */
        char *id = gw_text(dir, "SELECT id FROM anomaly WHERE status = 'open' ORDER BY id LIMIT 1");
        char req[512];
        assert_true(strlen(id) > 0);
        snprintf(req, sizeof(req), "{\"anomaly\":\"%s\",\"outcome\":\"true_positive\"}", id);
        free(id);
        cJSON_Delete(h_command(port, PREFIX, "outcome", req));
        wait_outbox_confirmed(dir, 30);
        assert_int_equal(pg_number(db, "SELECT count(*) FROM outcome"), 1);
        assert_hq_has_gateway_revs(dir, db);

        /* Every row queued (each raised its anomaly's rev; one outcome) went by a receipt. */
        long long rows = gw_number(dir, "SELECT sum(rev) FROM anomaly") + 1;
        cJSON *h = h_health(port, PREFIX);
        assert_true(h_json_number(h, "outbox.receipts.awaiting") == 0);
        assert_true(h_json_number(h, "outbox.receipts.confirmed") == (double)rows);
        assert_true(h_json_number(h, "outbox.receipts.malformed") == 0);
        print_message("%lld rows confirmed by shelfwatch-hq's receipts (%.0f receipts, %.0f rows "
                      "resent, %.0f entries for no row); PostgreSQL: %lld anomalies at the "
                      "gateway's revs, 1 outcome\n",
                      rows, h_json_number(h, "outbox.receipts.received"),
                      h_json_number(h, "outbox.receipts.resent"),
                      h_json_number(h, "outbox.receipts.unknown"),
                      pg_number(db, "SELECT count(*) FROM anomaly"));
        cJSON_Delete(h);
        PQfinish(db);
        h_daemon_stop(&gw, SIGTERM);
        hq_stop(&hq, SIGTERM);
        hq_rig_down(&r);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_real_hq_receipts_empty_the_gateway_outbox, h_teardown))
/* clang-format on */
