/* With the HQ broker down for a while and then up, every anomaly arrives at HQ; one that cannot
 * be read back from the database is dropped without holding up the others. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

/* Outbox rows queued for P/suffix. */
static int64_t outbox_rows_on(const char *dir, const char *suffix)
{
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE topic = '%s/%s'", PREFIX,
                 suffix);
        char *n = h_db_text(dir, sql);
        assert_non_null(n);
        int64_t rows = atoll(n);
        free(n);
        return rows;
}

/* Status of the last message HQ received for id, or NULL. */
static char *last_status_at_hq(struct h_collector *c, const char *id)
{
        char *status = NULL;
        for (size_t i = 0; i < h_collector_count(c); i++) {
                char *msg = h_collector_get(c, i);
                cJSON *a = cJSON_Parse(msg);
                if (a && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a, "id")), id) == 0) {
                        free(status);
                        status = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(a, "status")));
                }
                cJSON_Delete(a);
                free(msg);
        }
        return status;
}

static void test_every_anomaly_arrives_after_an_hq_outage(void **state)
{
        struct h_fixture f = {0};
        cJSON *h;
        (void)state;
        /* HQ keeps what it gets for its subscriber while that is away (default cap: 1000). */
        h_fixture_prepare_hq(&f, true, NULL);
        h_fixture_daemon(&f);
        struct h_collector *at_hq =
            h_collector_start_session(f.hq.port, PREFIX "/anomaly", "hq-collector");

        /* HQ goes away before the store produces anything. */
        h_broker_stop(&f.hq);
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", "--profile", "basic", "--days",
                                    "30", "--warmup", "14", "--skus", "150", "--seed", "5",
                                    "--quiet", NULL),
                         0);
        h = h_health(f.b.port, PREFIX);
        assert_string_equal(h_json_string(h, "brokers.hq.state"), "disconnected");
        double queued = h_json_number(h, "outbox.depth");
        cJSON_Delete(h);
        assert_true(queued > 0);
        assert_int_equal(h_collector_count(at_hq), 0);
        int64_t anomaly_rows = outbox_rows_on(f.dir, "anomaly");

        /* HQ comes back: the outbox drains by itself. */
        h_broker_start_keeping(&f.hq, f.hq.port);
        h_wait_health_number(f.b.port, PREFIX, "outbox.depth", 0, 300);

        /* Every anomaly the daemon holds reached HQ, in its final state. */
        char *digest = h_anomaly_digest(f.b.port, PREFIX);
        size_t ids = 0;
        for (char *line = digest; *line; ids++) {
                char *bar = strchr(line, '|'), *nl = strchr(line, '\n'), id[256], status[32];
                char *bar2 = strchr(bar + 1, '|');
                snprintf(id, sizeof(id), "%.*s", (int)(bar - line), line);
                snprintf(status, sizeof(status), "%.*s", (int)(bar2 - bar - 1), bar + 1);
                char *got = NULL;
                for (int i = 0; i < 100 && !(got && strcmp(got, status) == 0); i++) {
                        free(got);
                        got = last_status_at_hq(at_hq, id);
                        if (!got || strcmp(got, status) != 0)
                                usleep(100000);
                }
                if (!got || strcmp(got, status) != 0)
                        fail_msg("HQ has %s as %s, the store as %s", id, got ? got : "(nothing)",
                                 status);
                free(got);
                line = nl + 1;
        }
        print_message("%zu anomalies (%.0f outbox rows) delivered after the outage\n", ids, queued);
        assert_true(ids > 0);
        free(digest);

        /* Anomaly rows are not retained, and none reached HQ before the outage: every anomaly
         * message at HQ beyond the rows queued is a resend of a row (same id, same payload). */
        usleep(500000); /* the broker's last deliveries to the collector */
        h = h_health(f.b.port, PREFIX);
        double hq_connects = h_json_number(h, "brokers.hq.connects");
        cJSON_Delete(h);
        size_t anomaly_msgs = h_collector_count(at_hq), distinct_ids = 0;
        char **seen_ids = calloc(anomaly_msgs + 1, sizeof(*seen_ids));
        assert_non_null(seen_ids);
        for (size_t i = 0; i < anomaly_msgs; i++) {
                char *msg = h_collector_get(at_hq, i);
                cJSON *a = cJSON_Parse(msg);
                const char *id = a ? cJSON_GetStringValue(cJSON_GetObjectItem(a, "id")) : NULL;
                bool seen = !id;
                for (size_t k = 0; k < distinct_ids && !seen; k++)
                        seen = strcmp(seen_ids[k], id) == 0;
                if (!seen)
                        seen_ids[distinct_ids++] = strdup(id);
                cJSON_Delete(a);
                free(msg);
        }
        for (size_t k = 0; k < distinct_ids; k++)
                free(seen_ids[k]);
        free(seen_ids);
        print_message(
            "HQ: %zu anomaly messages for %lld anomaly rows queued (%lld resends), %zu distinct "
            "anomaly ids; %.0f HQ connects\n",
            anomaly_msgs, (long long)anomaly_rows,
            (long long)anomaly_msgs - (long long)anomaly_rows, distinct_ids, hq_connects);
        assert_true((int64_t)anomaly_msgs >= anomaly_rows);
        assert_int_equal(distinct_ids, ids);

        h_collector_stop(at_hq);
        h_fixture_finish(&f);
}

/* An anomaly that cannot be read back from the database (damaged detail) can never be sent:
 * its queued rows are dropped, counted and logged, and every other row still reaches HQ. */
static void test_an_unreadable_anomaly_does_not_block_the_outbox(void **state)
{
        struct h_fixture f = {0};
        char sql[512];
        cJSON *h;
        (void)state;
        h_fixture_prepare_hq(&f, false, NULL);
        h_broker_stop(&f.hq); /* away while the store produces anomalies */
        h_fixture_daemon(&f);
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", "--profile", "basic", "--days",
                                    "20", "--warmup", "14", "--skus", "80", "--seed", "7",
                                    "--quiet", NULL),
                         0);
        h_daemon_stop(&f.d, SIGTERM);

        /* Damage the anomaly of the oldest queued anomaly row. */
        char *bad =
            h_db_text(f.dir, "SELECT msg_id FROM outbox WHERE anomaly_ref ORDER BY seq LIMIT 1");
        assert_non_null(bad);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM outbox WHERE anomaly_ref AND msg_id = '%s'", bad);
        char *bad_rows = h_db_text(f.dir, sql);
        char *good_ids =
            h_db_text(f.dir, "SELECT count(DISTINCT msg_id) FROM outbox WHERE anomaly_ref");
        snprintf(sql, sizeof(sql), "UPDATE anomaly SET detail = X'01' WHERE id = '%s' RETURNING id",
                 bad);
        free(h_db_text(f.dir, sql));

        h_broker_start(&f.hq, f.hq.port, NULL);
        struct h_collector *at_hq = h_collector_start(f.hq.port, PREFIX "/anomaly");
        h_fixture_daemon(&f);
        h_wait_health_number(f.b.port, PREFIX, "outbox.depth", 0, 120);
        h = h_health(f.b.port, PREFIX);
        assert_true(h_json_number(h, "outbox.dropped") == atof(bad_rows));
        cJSON_Delete(h);

        /* Every other anomaly arrived; not the damaged one. */
        size_t want = (size_t)atol(good_ids) - 1, n = 0;
        h_collector_wait(at_hq, want, 30000);
        usleep(300000);
        for (size_t i = 0; i < h_collector_count(at_hq); i++) {
                char *msg = h_collector_get(at_hq, i);
                cJSON *a = cJSON_Parse(msg);
                assert_non_null(a);
                assert_string_not_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a, "id")), bad);
                n++;
                cJSON_Delete(a);
                free(msg);
        }
        print_message("%s (%s rows) dropped, %zu anomaly messages for %zu other anomalies\n", bad,
                      bad_rows, n, want);
        assert_true(n >= want);
        char line[512];
        snprintf(line, sizeof(line),
                 "Outbox: anomaly %s is unreadable in the database, dropping its message", bad);
        assert_true(h_daemon_log_count(&f.d, line) > 0);
        free(bad);
        free(bad_rows);
        free(good_ids);
        h_collector_stop(at_hq);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_every_anomaly_arrives_after_an_hq_outage),
        cmocka_unit_test(test_an_unreadable_anomaly_does_not_block_the_outbox))
/* clang-format on */
