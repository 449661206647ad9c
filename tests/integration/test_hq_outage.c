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

/* The daemon's configuration with HQ at hq_port (reconnecting within a second). */
static void config_with_hq(char *conf, size_t size, int local_port, const char *dir, int hq_port)
{
        char extra[512];
        snprintf(extra, sizeof(extra),
                 "hq: { host = \"127.0.0.1\"; port = %d; reconnect_min_ms = 200; reconnect_max_ms "
                 "= 1000; };\n",
                 hq_port);
        h_config(conf, size, local_port, dir, extra);
}

/* Stop everything a test started and remove its directories. */
static void finish(struct h_collector *at_hq, struct h_daemon *d, struct h_broker *local,
                   struct h_broker *hq, const char *dir)
{
        h_collector_stop(at_hq);
        h_finish_test(d, local, dir);
        h_broker_stop(hq);
        h_rmdir(hq->dir);
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
        struct h_broker local = {0}, hq = {0};
        struct h_daemon d = {0};
        char dir[256], conf[2048], hq_extra[512];
        cJSON *h;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        h_tmpdir(hq.dir, sizeof(hq.dir));
        /* HQ keeps what it gets for its subscriber while that is away (default cap: 1000). */
        snprintf(hq_extra, sizeof(hq_extra),
                 "persistence true\npersistence_location %s/\nmax_queued_messages 0\n", hq.dir);
        h_broker_start(&local, 0, NULL);
        h_broker_start(&hq, 0, hq_extra);
        config_with_hq(conf, sizeof(conf), local.port, dir, hq.port);
        h_daemon_start(&d, dir, conf, local.port);
        struct h_collector *at_hq =
            h_collector_start_session(hq.port, PREFIX "/anomaly", "hq-collector");

        /* HQ goes away before the store produces anything. */
        h_broker_stop(&hq);
        assert_int_equal(h_storesim(local.port, dir, "sim.log", "--profile", "basic", "--days",
                                    "30", "--warmup", "14", "--skus", "150", "--seed", "5",
                                    "--quiet", NULL),
                         0);
        h = h_health(local.port, PREFIX);
        assert_string_equal(h_json_string(h, "brokers.hq.state"), "disconnected");
        double queued = h_json_number(h, "outbox.depth");
        cJSON_Delete(h);
        assert_true(queued > 0);
        assert_int_equal(h_collector_count(at_hq), 0);
        int64_t anomaly_rows = outbox_rows_on(dir, "anomaly");

        /* HQ comes back: the outbox drains by itself. */
        h_broker_start(&hq, hq.port, hq_extra);
        h_wait_health_number(local.port, PREFIX, "outbox.depth", 0, 300);

        /* Every anomaly the daemon holds reached HQ, in its final state. */
        char *digest = h_anomaly_digest(local.port, PREFIX);
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
        h = h_health(local.port, PREFIX);
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

        finish(at_hq, &d, &local, &hq, dir);
}

/* An anomaly that cannot be read back from the database (damaged detail) can never be sent:
 * its queued rows are dropped, counted and logged, and every other row still reaches HQ. */
static void test_an_unreadable_anomaly_does_not_block_the_outbox(void **state)
{
        struct h_broker local = {0}, hq = {0};
        struct h_daemon d = {0};
        char dir[256], conf[2048], sql[512];
        cJSON *h;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        h_broker_start(&local, 0, NULL);
        h_broker_start(&hq, 0, NULL);
        config_with_hq(conf, sizeof(conf), local.port, dir, hq.port);
        h_broker_stop(&hq); /* away while the store produces anomalies */
        h_daemon_start(&d, dir, conf, local.port);
        assert_int_equal(h_storesim(local.port, dir, "sim.log", "--profile", "basic", "--days",
                                    "20", "--warmup", "14", "--skus", "80", "--seed", "7",
                                    "--quiet", NULL),
                         0);
        h_daemon_stop(&d, SIGTERM);

        /* Damage the anomaly of the oldest queued anomaly row. */
        char *bad =
            h_db_text(dir, "SELECT msg_id FROM outbox WHERE anomaly_ref ORDER BY seq LIMIT 1");
        assert_non_null(bad);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM outbox WHERE anomaly_ref AND msg_id = '%s'", bad);
        char *bad_rows = h_db_text(dir, sql);
        char *good_ids =
            h_db_text(dir, "SELECT count(DISTINCT msg_id) FROM outbox WHERE anomaly_ref");
        snprintf(sql, sizeof(sql), "UPDATE anomaly SET detail = X'01' WHERE id = '%s' RETURNING id",
                 bad);
        free(h_db_text(dir, sql));

        h_broker_start(&hq, hq.port, NULL);
        struct h_collector *at_hq = h_collector_start(hq.port, PREFIX "/anomaly");
        h_daemon_start(&d, dir, conf, local.port);
        h_wait_health_number(local.port, PREFIX, "outbox.depth", 0, 120);
        h = h_health(local.port, PREFIX);
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
        char *log = h_read_file(d.log), line[512];
        snprintf(line, sizeof(line),
                 "Outbox: anomaly %s is unreadable in the database, dropping its message", bad);
        assert_true(log && strstr(log, line));
        free(log);
        free(bad);
        free(bad_rows);
        free(good_ids);
        finish(at_hq, &d, &local, &hq, dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_every_anomaly_arrives_after_an_hq_outage),
        cmocka_unit_test(test_an_unreadable_anomaly_does_not_block_the_outbox))
/* clang-format on */
