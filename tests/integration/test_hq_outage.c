/* With the HQ broker down for a while and then up, every anomaly arrives at HQ. */
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

#include "harness.h"

#define PREFIX "retail/demo/store1"

static cJSON *health(int port)
{
        char *r = h_request(port, PREFIX, "health", "{}", 5);
        assert_non_null(r);
        cJSON *j = cJSON_Parse(r);
        free(r);
        return j;
}

static double outbox_depth(cJSON *h)
{
        return cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "outbox"), "depth"));
}

static const char *hq_state(cJSON *h)
{
        return cJSON_GetStringValue(
                cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(h, "brokers"), "hq"), "state"));
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
        char dir[256], conf[2048], extra[512], hq_extra[512];
        cJSON *h;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        h_tmpdir(hq.dir, sizeof(hq.dir));
        /* HQ keeps what it gets for its subscriber while that is away (default cap: 1000). */
        snprintf(hq_extra, sizeof(hq_extra), "persistence true\npersistence_location %s/\nmax_queued_messages 0\n",
                 hq.dir);
        h_broker_start(&local, 0, NULL);
        h_broker_start(&hq, 0, hq_extra);
        snprintf(extra, sizeof(extra),
                 "hq: { host = \"127.0.0.1\"; port = %d; reconnect_min_ms = 200; reconnect_max_ms = 1000; };\n",
                 hq.port);
        h_config(conf, sizeof(conf), local.port, dir, extra);
        h_daemon_start(&d, dir, conf, local.port);
        struct h_collector *at_hq = h_collector_start_session(hq.port, PREFIX "/anomaly", "hq-collector");

        /* HQ goes away before the store produces anything. */
        h_broker_stop(&hq);
        assert_int_equal(h_storesim(local.port, dir, "sim.log", "--days", "30", "--warmup", "14", "--skus", "150",
                                    "--seed", "5", "--quiet", NULL),
                         0);
        h = health(local.port);
        assert_string_equal(hq_state(h), "disconnected");
        double queued = outbox_depth(h);
        cJSON_Delete(h);
        assert_true(queued > 0);
        assert_int_equal(h_collector_count(at_hq), 0);

        /* HQ comes back: the outbox drains by itself. */
        h_broker_start(&hq, hq.port, hq_extra);
        double depth = queued;
        for (int i = 0; i < 300 && depth > 0; i++) {
                usleep(100000);
                h = health(local.port);
                depth = outbox_depth(h);
                cJSON_Delete(h);
        }
        assert_true(depth == 0);

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
                        fail_msg("HQ has %s as %s, the store as %s", id, got ? got : "(nothing)", status);
                free(got);
                line = nl + 1;
        }
        print_message("%zu anomalies (%.0f outbox rows) delivered after the outage\n", ids, queued);
        assert_true(ids > 0);
        free(digest);

        h_collector_stop(at_hq);
        h_daemon_stop(&d, SIGTERM);
        h_broker_stop(&hq);
        h_broker_stop(&local);
        h_rmdir(hq.dir);
        h_rmdir(local.dir);
        h_rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_anomaly_arrives_after_an_hq_outage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
