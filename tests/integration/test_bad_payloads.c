/* Bad payloads reach health counters, get clear errors where a reply is expected, and change no
 * state. */
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
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

static void wait_rejected(int port, const char *kind, const char *reason, double want)
{
        char path[128];
        snprintf(path, sizeof(path), "messages.rejected.%s.%s", kind, reason);
        h_wait_health_number(port, PREFIX, path, want, 50);
}

static void test_bad_payloads_are_counted_and_change_nothing(void **state)
{
        struct h_fixture f = {0};
        char big[70000];
        (void)state;
        h_tmpdir(f.dir, sizeof(f.dir));
        h_broker_start(&f.b, 0, NULL);
        snprintf(f.conf, sizeof(f.conf),
                 "broker: { port = %d; };\nstorage: { path = \"%s/sw.db\"; };\n", f.b.port, f.dir);
        h_fixture_daemon(&f);
        struct h_collector *acks = h_fixture_collect(&f, PREFIX "/scanner/+/ack");

        h_publish(f.b.port, PREFIX "/inventory",
                  "{\"ts\":\"2026-11-20T08:00:00Z\",\"items\":[{\"sku\":\"A\",\"on_hand\":10,"
                  "\"price\":2.5}]}");
        h_publish(f.b.port, PREFIX "/pos/r1", "not json");
        h_publish(f.b.port, PREFIX "/pos/r1", "{\"id\":\"x1\",\"ts\":\"2026-11-20T09:00:00Z\"}");
        h_publish(f.b.port, PREFIX "/pos/r1",
                  "{\"id\":\"x2\",\"ts\":\"2026-11-20T09:00:00Z\",\"lines\":[{\"sku\":\"A\","
                  "\"qty\":\"2\"}]}");
        h_publish(
            f.b.port, PREFIX "/pos/r1",
            "{\"id\":\"x3\",\"ts\":\"2026-11-20T09:00:00Z\",\"lines\":[{\"sku\":\"A\",\"qty\":1},"
            "{\"sku\":\"B\",\"qty\":1e20}]}");
        h_publish(f.b.port, PREFIX "/receipt",
                  "{\"id\":\"r1\",\"ts\":\"yesterday\",\"lines\":[{\"sku\":\"A\",\"qty\":5}]}");
        h_publish(f.b.port, PREFIX "/receipt",
                  "{\"id\":\"r2\",\"ts\":1764000000,\"lines\":[{\"sku\":\"A\",\"qty\":-5}]}");
        h_publish(f.b.port, PREFIX "/forecast",
                  "{\"items\":[{\"sku\":\"A\",\"date\":\"2026-13-01\",\"units\":3}]}");
        h_publish(f.b.port, PREFIX "/shelf/s1", "[1,2,3]");
        h_publish(f.b.port, PREFIX "/inventory",
                  "{\"ts\":\"2026-11-20T08:00:00Z\",\"items\":[{\"sku\":\"\"}]}");
        memset(big, ' ', sizeof(big) - 1);
        big[0] = '{';
        big[sizeof(big) - 2] = '}';
        big[sizeof(big) - 1] = '\0';
        h_publish(f.b.port, PREFIX "/inventory", big);
        h_publish(f.b.port, PREFIX "/scanner/h1/count",
                  "{\"id\":\"c1\",\"ts\":\"2026-11-20T09:00:00Z\",\"sku\":\"A\"}");

        wait_rejected(f.b.port, "pos", "not_json", 1);
        wait_rejected(f.b.port, "pos", "missing_field", 1);
        wait_rejected(f.b.port, "pos", "wrong_type", 1);
        wait_rejected(f.b.port, "pos", "out_of_range", 1);
        wait_rejected(f.b.port, "receipt", "bad_timestamp", 1);
        wait_rejected(f.b.port, "receipt", "out_of_range", 1);
        wait_rejected(f.b.port, "forecast", "bad_date", 1);
        wait_rejected(f.b.port, "shelf", "not_object", 1);
        wait_rejected(f.b.port, "inventory", "bad_sku", 1);
        wait_rejected(f.b.port, "inventory", "too_large", 1);
        wait_rejected(f.b.port, "count", "missing_field", 1);

        cJSON *h = h_health(f.b.port, PREFIX);
        /* Only the one valid inventory record was applied: one SKU, nothing else accepted. */
        assert_int_equal((int)h_json_number(h, "skus.tracked"), 1);
        assert_int_equal((int)h_json_number(h, "messages.accepted.inventory"), 1);
        assert_int_equal((int)h_json_number(h, "messages.accepted.pos"), 0);
        assert_int_equal((int)h_json_number(h, "messages.accepted.receipt"), 0);
        cJSON_Delete(h);

        /* The scanner got a clear rejection naming the field. */
        assert_int_equal(h_collector_wait(acks, 1, 5000), 1);
        char *ack = h_collector_get(acks, 0);
        cJSON *a = cJSON_Parse(ack);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a, "status")), "rejected");
        assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(a, "error")), "counted"));
        cJSON_Delete(a);
        free(ack);

        /* An unknown command and a malformed request get ok:false with a reason. */
        static const struct {
                const char *command, *payload, *reason; /* the request; what the reply names */
        } refused[] = {{"bogus", "{}", "unknown command"},
                       {"detect", "{\"as_of\":\"2026-02-30\"}", "as_of"}};
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                char *r = h_request(f.b.port, PREFIX, refused[i].command, refused[i].payload, 5);
                if (!r || !strstr(r, "\"ok\":false") || !strstr(r, refused[i].reason))
                        fail_msg("%s %s: want ok:false naming %s, got %s", refused[i].command,
                                 refused[i].payload, refused[i].reason, r ? r : "no reply");
                free(r);
        }

        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_bad_payloads_are_counted_and_change_nothing))
/* clang-format on */
