/* A gateway whose HQ never sends receipts (issue 17, "Done when" (e)): receipts on, HQ's broker up
 * and acknowledging, but no shelfwatch-hq behind it. The daemon keeps every anomaly and outcome
 * row, resends them, holds no more than limits.outbox_max_rows (dropping the oldest), and says
 * so: in its health (receipts awaiting and since when, resends, drops, the outbox_full
 * condition) and in the P/status and P/summary HQ's broker receives. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "e2e.h"
#include "tests/support/test_main.h"

#define MAX_ROWS 100 /* limits.outbox_max_rows: its minimum */

/* Whether the health array at path holds the string want. */
static bool has_string(const cJSON *o, const char *path, const char *want)
{
        const cJSON *a = h_json_item(o, path), *it;
        cJSON_ArrayForEach(it, a)
        {
                if (cJSON_IsString(it) && strcmp(it->valuestring, want) == 0)
                        return true;
        }
        return false;
}

/* The newest message on P/suffix HQ's broker took (malloc'd JSON text), or NULL. */
static char *last_at_hq(struct e2e *e, const char *suffix)
{
        char topic[128], *last = NULL;
        snprintf(topic, sizeof(topic), "%s/%s", E2E_PREFIX, suffix);
        for (size_t i = 0; i < h_collector_count(e->seen); i++) {
                char *t = h_collector_topic(e->seen, i);
                if (strcmp(t, topic) == 0) {
                        free(last);
                        last = h_collector_get(e->seen, i);
                }
                free(t);
        }
        return last;
}

/* Wait until the newest P/suffix at HQ has the outbox_full condition at its health path (the
 * status carries the health members beside its state, the summary under "health"); checks
 * that it counts rows awaiting a receipt. */
static void hq_hears_outbox_full(struct e2e *e, const char *suffix, const char *health)
{
        char path[64];
        cJSON *m = NULL;
        snprintf(path, sizeof(path), "%s%sconditions", health, *health ? "." : "");
        for (int i = 0; i < 300; i++) {
                char *text = last_at_hq(e, suffix);
                cJSON_Delete(m);
                m = text ? cJSON_Parse(text) : NULL;
                free(text);
                if (m && has_string(m, path, "outbox_full"))
                        break;
                h_sleep_ms(100);
        }
        snprintf(path, sizeof(path), "%s%soutbox", health, *health ? "." : "");
        char *text = cJSON_PrintUnformatted(h_json_item(m, path));
        print_message("P/%s at HQ: %s %s\n", suffix, path, text ? text : "(none)");
        free(text);
        snprintf(path, sizeof(path), "%s%sconditions", health, *health ? "." : "");
        assert_true(has_string(m, path, "outbox_full"));
        snprintf(path, sizeof(path), "%s%soutbox.awaiting_receipt", health, *health ? "." : "");
        assert_true(h_json_number(m, path) > 0);
        cJSON_Delete(m);
}

static void test_bridge_never_receipts(void **state)
{
        struct e2e e;
        struct e2e_check c;
        char extra[512];
        cJSON *h = NULL;
        (void)state;
        assert_true(e2e_daemon_has_receipts());
        /* A summary (and the status with it) every 10 s, so that HQ hears of the outbox soon. */
        snprintf(extra, sizeof(extra),
                 "limits: { outbox_max_rows = %d; };\nsummary: { interval_seconds = 10; };\n",
                 MAX_ROWS);
        e2e_up(&e, &(struct e2e_opts){
                       .mode = E2E_BRIDGE, .receipts_resend_s = 5, .daemon_extra = extra});
        double t0 = h_mono_s();
        e2e_sim_wait(&e, e2e_sim_spawn(&e, 30, 600, 5, 150));

        /* The daemon checks the outbox's cap once a minute: wait for it. */
        for (int i = 0; i < 900; i++) {
                cJSON_Delete(h);
                h = h_health(e.store.port, E2E_PREFIX);
                if (h_json_number(h, "outbox.depth") <= MAX_ROWS &&
                    h_json_number(h, "outbox.receipts.resent") > 0 &&
                    has_string(h, "conditions", "outbox_full"))
                        break;
                h_sleep_ms(100);
        }
        double depth = h_json_number(h, "outbox.depth");
        double awaiting = h_json_number(h, "outbox.receipts.awaiting");
        double dropped = h_json_number(h, "outbox.receipts.dropped_awaiting");
        double resent = h_json_number(h, "outbox.receipts.resent");
        double age_s = h_json_number(h, "outbox.oldest_age_s");
        e2e_compare(&e, &c);
        print_message("after %.1f s: %ld anomaly/outcome messages reached HQ's broker (%ld "
                      "distinct); outbox depth %.0f of %d (oldest row %.0f s old), %.0f awaiting a "
                      "receipt, %.0f resent, %.0f dropped without a receipt\n",
                      h_mono_s() - t0, c.copies, c.distinct, depth, MAX_ROWS, age_s, awaiting,
                      resent, dropped);
        assert_true(cJSON_IsTrue(h_json_item(h, "outbox.receipts.enabled")));
        /* Kept: every row the broker acknowledged still waits for its receipt ... */
        assert_true(awaiting > 0);
        assert_true(awaiting <= depth);
        /* (oldest_awaiting_s counts from the last acknowledgement, which every resend renews;
         * the row's age is what tells how long HQ has been silent.) */
        assert_true(age_s >= 10);
        /* ... and is resent (HQ's broker saw the copies) ... */
        assert_true(resent > 0);
        assert_true(c.copies > c.distinct);
        /* ... bounded by the outbox's limit: more rows than it holds were made, the oldest were
         * dropped and counted, and the condition says so. */
        assert_true(c.distinct > MAX_ROWS);
        assert_true(depth <= MAX_ROWS);
        assert_true(dropped > 0);
        assert_true(has_string(h, "conditions", "outbox_full"));
        cJSON_Delete(h);

        /* HQ hears it from the gateway: its P/status and P/summary say so. */
        hq_hears_outbox_full(&e, "status", "");
        hq_hears_outbox_full(&e, "summary", "health");
        e2e_down(&e);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(NULL, h_teardown,
        cmocka_unit_test(test_bridge_never_receipts))
/* clang-format on */
