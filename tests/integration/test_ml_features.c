/* The Isolation Forest's two feature sets with the real daemon: ml-features follows
 * detectors.ml.features, and a model learnt on one set is never used to score the other. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

/* The daemon's ml-features reply as of a day of the simulated window. */
static cJSON *features(int port)
{
        cJSON *j = h_command_within(port, PREFIX, "ml-features", "{\"limit\":3}", 30);
        assert_non_null(j);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "features")), 8);
        return j;
}

static void test_feature_sets_and_a_model_of_the_other_set(void **state)
{
        struct h_fixture f = {0};
        (void)state;
        /* The seed set: the previous system's names, and a model learnt on them. */
        h_fixture_start(&f, "detectors: { ml: { features = \"seed\"; }; };\n");
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", "--profile", "basic", "--days",
                                    "21", "--warmup", "14", "--skus", "150", "--seed", "11",
                                    "--quiet", NULL),
                         0);
        cJSON *h = h_health(f.b.port, PREFIX);
        assert_true(cJSON_IsTrue(h_json_item(h, "detectors.ml_detected.model")));
        cJSON_Delete(h);
        cJSON *feat = features(f.b.port);
        assert_string_equal(h_json_string(feat, "feature_set"), "seed");
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItem(feat, "features"), 0)->valuestring, "sales_7d");
        cJSON_Delete(feat);
        h_daemon_stop(&f.d, SIGTERM);

        /* Restarted on the scaled set (the default): the stored model is of the other set, not
         * loaded. */
        h_config(f.conf, sizeof(f.conf), f.b.port, f.dir, NULL);
        h_fixture_daemon(&f);
        h = h_health(f.b.port, PREFIX);
        assert_false(cJSON_IsTrue(h_json_item(h, "detectors.ml_detected.model")));
        cJSON_Delete(h);
        assert_int_equal(h_daemon_log_count(&f.d, "Stored ML model is of other features"), 1);
        assert_int_equal(h_daemon_log_count(&f.d, "Stored ML reservoir holds other features"), 1);
        feat = features(f.b.port);
        assert_string_equal(h_json_string(feat, "feature_set"), "scaled");
        assert_string_equal(
            cJSON_GetArrayItem(cJSON_GetObjectItem(feat, "features"), 0)->valuestring,
            "sales_vs_usual");
        cJSON_Delete(feat);
        /* A detection feeds the scaled rows (trains once there are enough); a restart then
         * keeps the reservoir, and the old model stays unused until a new one replaces it. */
        cJSON *r = h_command_within(f.b.port, PREFIX, "detect", "{}", 60);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")));
        assert_non_null(h_json_item(r, "detectors.ml_detected.unexplained"));
        cJSON_Delete(r);
        h = h_health(f.b.port, PREFIX);
        bool trained = cJSON_IsTrue(h_json_item(h, "detectors.ml_detected.model"));
        cJSON_Delete(h);
        h_fixture_restart(&f);
        h = h_health(f.b.port, PREFIX);
        assert_true(cJSON_IsTrue(h_json_item(h, "detectors.ml_detected.model")) == trained);
        assert_true(h_json_number(h, "detectors.ml_detected.reservoir") > 0);
        cJSON_Delete(h);
        assert_int_equal(h_daemon_log_count(&f.d, "Stored ML reservoir holds other features"), 1);
        assert_int_equal(h_daemon_log_count(&f.d, "Stored ML model is of other features"),
                         trained ? 1 : 2);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_feature_sets_and_a_model_of_the_other_set))
/* clang-format on */
