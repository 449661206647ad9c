/* Forged feedback does not retune the store (issue 15, item 10): a count from a scanner not in
 * devices.scanners changes nothing; a burst of forged outcomes, from the outcome command and from
 * a scanner whose credentials were stolen, moves the ghost-stock scale at most
 * tuning.max_daily_factor; every outcome says where it came from. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

static double ghost_scale(int port)
{
        cJSON *h = h_health(port, PREFIX);
        double s = h_json_number_or(h, "tuning.types.ghost_stock.all.scale", -1);
        cJSON_Delete(h);
        return s;
}

static double ghost_outcomes(int port)
{
        cJSON *h = h_health(port, PREFIX);
        double n = h_json_number_or(h, "tuning.types.ghost_stock.all.outcomes", -1);
        cJSON_Delete(h);
        return n;
}

/* The number in the anomaly's metadata (the book the detection saw). */
static double on_hand_of(cJSON *a)
{
        return h_json_number(a, "metadata.on_hand");
}

static void publish_count(int port, const char *device, const char *id, const char *sku,
                          double counted, const char *anomaly, const char *user)
{
        char topic[256], msg[512];
        snprintf(topic, sizeof(topic), PREFIX "/scanner/%s/count", device);
        snprintf(
            msg, sizeof(msg),
            "{\"id\":\"%s\",\"ts\":%ld,\"sku\":\"%s\",\"counted\":%.0f,\"anomaly\":\"%s\"%s%s%s}",
            id, (long)time(NULL), sku, counted, anomaly, user ? ",\"user\":\"" : "",
            user ? user : "", user ? "\"" : "");
        h_publish(port, topic, msg);
}

/*
 * A store with open ghost-stock alerts and nothing learnt yet (scale 1.0), scanners hh-1 and hh-2
 * allowed. Before: a forged count equal to the book from any device dismissed the top alert, and
 * the forged false positives drove the scale to its maximum 2.5. Now: the unknown scanner's count
 * is rejected and the alert stays open; the forged false positives (half by command, weight
 * 0.25, half by counts from hh-1 "with a user", weight 1) leave the scale at most 1.5.
 */
static void test_forged_outcomes_move_the_scale_at_most_the_bound(void **state)
{
        struct h_fixture f = {0};
        char id[64], payload[512];
        (void)state;
        h_fixture_start(&f, "devices: { scanners = [ \"hh-1\", \"hh-2\" ]; };\n"
                            "detectors: { ml: { enabled = false; }; };\n");
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", "--profile", "basic", "--days",
                                    "30", "--warmup", "14", "--skus", "200", "--seed", "7",
                                    "--min-ghosts", "40", "--ghost-fix-days", "60", "--ml-rate",
                                    "0", "--quiet", NULL),
                         0);
        cJSON *list = h_command(f.b.port, PREFIX, "anomalies",
                                "{\"type\":\"ghost_stock\",\"status\":\"open\",\"limit\":1000}");
        cJSON *arr = h_json_item(list, "anomalies");
        int n = cJSON_GetArraySize(arr);
        print_message("open ghost-stock alerts: %d; scale before: %.3f\n", n,
                      ghost_scale(f.b.port));
        assert_true(n >= 20);
        struct h_collector *outcomes = h_fixture_collect(&f, PREFIX "/outcome");
        struct h_collector *acks = h_fixture_collect(&f, PREFIX "/scanner/evil/ack");

        /* The top alert, counted "as the book says" by a scanner nobody listed. */
        cJSON *top = cJSON_GetArrayItem(arr, 0);
        publish_count(f.b.port, "evil", "forged-0", h_json_string(top, "sku"), on_hand_of(top),
                      h_json_string(top, "id"), NULL);
        char *ack = h_collector_await(acks, 0, 5000);
        print_message("ack to the unlisted scanner: %s\n", ack);
        assert_non_null(strstr(ack, "\"status\":\"rejected\""));
        assert_non_null(strstr(ack, "unknown_device"));
        free(ack);

        /* Every other alert judged false: by command, or by a listed scanner's forged count. */
        for (int i = 1; i < n; i++) {
                cJSON *a = cJSON_GetArrayItem(arr, i);
                if (i % 2) {
                        snprintf(payload, sizeof(payload),
                                 "{\"anomaly\":\"%s\",\"outcome\":\"false_positive\"}",
                                 h_json_string(a, "id"));
                        h_publish(f.b.port, PREFIX "/cmd/outcome", payload);
                } else {
                        snprintf(id, sizeof(id), "forged-%d", i);
                        publish_count(f.b.port, "hh-1", id, h_json_string(a, "sku"), on_hand_of(a),
                                      h_json_string(a, "id"), "associate");
                }
        }
        h_wait_health_number(f.b.port, PREFIX, "tuning.types.ghost_stock.all.outcomes", n - 1, 100);
        double scale = ghost_scale(f.b.port);
        print_message("%d forged false positives in one burst: ghost scale %.3f (bound 1.5, "
                      "maximum 2.5), %.0f outcomes\n",
                      n - 1, scale, ghost_outcomes(f.b.port));
        assert_true(scale <= 1.5 + 1e-6);
        assert_true(scale > 1.0); /* they did count, within the bound */

        /* The top alert is still open. */
        snprintf(payload, sizeof(payload),
                 "{\"sku\":\"%s\",\"status\":\"open\",\"type\":\"ghost_stock\"}",
                 h_json_string(top, "sku"));
        cJSON *still = h_command(f.b.port, PREFIX, "anomalies", payload);
        assert_int_equal(h_json_number(still, "count"), 1);
        cJSON_Delete(still);

        /* Each outcome at HQ says where it came from and how much it taught. */
        assert_true(h_collector_wait(outcomes, (size_t)(n - 1), 10000) >= (size_t)(n - 1));
        int by_command = 0, by_scanner = 0;
        for (size_t i = 0; i < h_collector_count(outcomes); i++) {
                char *msg = h_collector_get(outcomes, i);
                cJSON *o = cJSON_Parse(msg);
                free(msg);
                assert_non_null(o);
                const char *source = h_json_string(o, "source");
                double w = h_json_number(o, "weight");
                if (strcmp(source, "command") == 0) {
                        by_command++;
                        assert_true(fabs(w - 0.25) < 1e-9);
                } else {
                        by_scanner++;
                        assert_string_equal(source, "scanner");
                        assert_string_equal(h_json_string(o, "device"), "hh-1");
                        assert_string_equal(h_json_string(o, "user"), "associate");
                        assert_true(fabs(w - 1.0) < 1e-9);
                }
                cJSON_Delete(o);
        }
        assert_true(by_command > 0 && by_scanner > 0);
        cJSON_Delete(list);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_forged_outcomes_move_the_scale_at_most_the_bound,
                                  h_teardown))
/* clang-format on */
