/* P/summary after cycle counts (rate-limited) and a fresh one at a clean stop, before the
 * offline P/status: HQ never keeps a stale retained summary. */
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

/* Messages so far on topic (PREFIX/summary or PREFIX/status) among the collected ones. */
static int count_topic(struct h_collector *c, const char *topic)
{
        int n = 0;
        for (size_t i = 0; i < h_collector_count(c); i++) {
                char *t = h_collector_topic(c, i);
                n += t && strcmp(t, topic) == 0;
                free(t);
        }
        return n;
}

/* Wait until topic has at least n messages or timeout_ms passed; returns the count. */
static int wait_topic(struct h_collector *c, const char *topic, int n, int timeout_ms)
{
        double until = h_mono_s() + timeout_ms / 1000.0;
        int got;
        while ((got = count_topic(c, topic)) < n && h_mono_s() < until)
                h_sleep_ms(50);
        return got;
}

static void publish_count(int port, int i)
{
        char ts[32], payload[256];
        time_t now = time(NULL) - 30;
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        snprintf(payload, sizeof(payload),
                 "{\"id\":\"c%d\",\"ts\":\"%s\",\"sku\":\"A\",\"counted\":%d}", i, ts, 10 + i);
        h_publish(port, PREFIX "/scanner/t1/count", payload);
}

static void test_summary_after_counts_and_at_stop(void **state)
{
        struct h_fixture f = {0};
        (void)state;
        /* No periodic summary during the test: only start-up, counts and the stop. */
        h_fixture_prepare(&f, NULL, "summary: { interval_seconds = 86400; };\n");
        struct h_collector *c = h_collector_start(f.b.port, PREFIX "/+");
        h_fixture_daemon(&f);
        assert_int_equal(wait_topic(c, PREFIX "/summary", 1, 5000), 1); /* start-up */
        h_publish(f.b.port, PREFIX "/inventory",
                  "{\"ts\":\"2026-11-20T08:00:00Z\",\"items\":[{\"sku\":\"A\",\"on_hand\":10,"
                  "\"price\":2.5}]}");

        /* One count: one more summary, within the rate limit's gap (5 s) of the start-up one. */
        h_sleep_ms(5500);
        publish_count(f.b.port, 1);
        assert_int_equal(wait_topic(c, PREFIX "/summary", 2, 3000), 2);

        /* A burst of counts: one summary at once at most, then one after the gap. */
        double t0 = h_mono_s();
        for (int i = 2; i < 8; i++)
                publish_count(f.b.port, i);
        h_wait_health_number(f.b.port, PREFIX, "messages.accepted.count", 7, 100);
        int within = count_topic(c, PREFIX "/summary");
        print_message("summaries: %d after the burst (%.1f s)\n", within, h_mono_s() - t0);
        assert_true(within <= 3);
        assert_int_equal(wait_topic(c, PREFIX "/summary", 3, 8000), 3);
        h_sleep_ms(6000);
        assert_int_equal(count_topic(c, PREFIX "/summary"), 3); /* nothing more to say */

        /* SIGTERM: a fresh summary, then the offline status. */
        size_t before = h_collector_count(c);
        h_daemon_stop(&f.d, SIGTERM);
        h_collector_wait(c, before + 2, 3000);
        int summary_at = -1, offline_at = -1;
        for (size_t i = before; i < h_collector_count(c); i++) {
                char *t = h_collector_topic(c, i), *p = h_collector_get(c, i);
                if (strcmp(t, PREFIX "/summary") == 0 && summary_at < 0)
                        summary_at = (int)i;
                if (strcmp(t, PREFIX "/status") == 0 && strstr(p, "offline"))
                        offline_at = (int)i;
                free(t);
                free(p);
        }
        if (summary_at < 0 || offline_at < 0 || summary_at > offline_at)
                fail_msg("after SIGTERM: summary at %d, offline status at %d", summary_at,
                         offline_at);
        char *last = h_collector_get(c, (size_t)summary_at);
        h_collector_stop(c);

        /* The retained summary is that last one. */
        struct h_collector *late = h_fixture_collect(&f, PREFIX "/summary");
        assert_int_equal(h_collector_wait(late, 1, 3000), 1);
        char *retained = h_collector_get(late, 0);
        assert_string_equal(retained, last);
        free(retained);
        free(last);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_summary_after_counts_and_at_stop, h_teardown))
/* clang-format on */
