/* End to end through an HQ outage (issue 17, "Done when" (a) and (b)): a 30-day simulated store
 * run by the real shelfwatchd, HQ (its broker and shelfwatch-hq) down for part of it, then
 * back; every anomaly id of the daemon's database is in PostgreSQL at its final rev (and status),
 * every outcome once, none lost, duplicates counted. (a) through the mosquitto bridge of
 * docs/examples/store-hq-bridge.conf, (b) through the daemon's hq section. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <cmocka.h>

#include "e2e.h"
#include "tests/support/test_main.h"

#define DAYS     30
#define SKUS     300
#define SLEEP_MS 100 /* between days */

/* Run the store; HQ's ingest stops (SIGTERM) after day 12, its broker after day 14 (ghost stock
 * starts after the 14 days of warm-up), the broker is back after day 22 and the store linked to
 * it again, the ingest after day 26. mosquitto 2.0 keeps a session's queue across its restart but
 * not its shared subscriptions: what the store sends between the broker's return and the
 * ingest's has no subscriber at HQ and is dropped there. Only receipts bring it back. */
static void run_with_outage(struct e2e *e)
{
        const int after_day[] = {12, 14, 22, 26};
        pid_t sim = e2e_sim_spawn(e, DAYS, SKUS, 5, SLEEP_MS);
        for (int step = 0; step < 4; step++) {
                e2e_sim_wait_day(e, sim, after_day[step]);
                switch (step) {
                case 0:
                        hq_stop(&e->ingest[0], SIGTERM);
                        break;
                case 1:
                        e2e_hq_broker_stop(e);
                        break;
                case 2:
                        e2e_hq_broker_start(e);
                        break;
                default:
                        hq_restart(&e->ingest[0]);
                        break;
                }
        }
        e2e_sim_wait(e, sim);
}

static void outage(enum e2e_mode mode, const char *what)
{
        struct e2e e;
        struct e2e_check c;
        e2e_up(&e, &(struct e2e_opts){.mode = mode, .receipts_resend_s = 5, .ingest_instances = 1});
        run_with_outage(&e);
        e2e_converge(&e, 60, what, &c);
        print_message(
            "%s: outbox delivered %.0f, dropped %.0f, depth %.0f; receipts: %.0f resent\n", what,
            e2e_health_number(&e, "outbox.delivered", -1),
            e2e_health_number(&e, "outbox.dropped", -1), e2e_health_number(&e, "outbox.depth", -1),
            e2e_health_number(&e, "outbox.receipts.resent", -1));
        assert_true(c.daemon_has_rev);
        assert_true(c.outcomes > 0);
        e2e_assert_all_arrived(&c, 20);
        e2e_down(&e);
}

static void test_bridge_hq_down(void **state)
{
        (void)state;
        outage(E2E_BRIDGE, "bridge, HQ down");
}

static void test_hq_section_hq_down(void **state)
{
        (void)state;
        outage(E2E_HQ_SECTION, "hq section, HQ down");
}

/* clang-format off */
SW_TEST_MAIN_GROUP(NULL, h_teardown,
        cmocka_unit_test(test_bridge_hq_down),
        cmocka_unit_test(test_hq_section_hq_down))
/* clang-format on */
