/* End to end under kill -9 (issue 17, "Done when" (c)): during a 30-day simulated store run,
 * shelfwatch-hq is killed with SIGKILL ten times and the real shelfwatchd ten times (each
 * restarted at once), through the daemon's hq section with receipts on. Afterwards every
 * anomaly of the daemon's database is in PostgreSQL at its final rev, every outcome once:
 * nothing lost, nothing stored twice (no id at HQ the daemon does not have, one row per id), no
 * older rev over a newer one. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <cmocka.h>

#include "e2e.h"
#include "tests/support/test_main.h"

static void test_kill9_ingest_and_daemon(void **state)
{
        struct e2e e;
        struct e2e_check c;
        int ingest_kills = 0, daemon_kills = 0;
        (void)state;
        /* Batches of 50: a kill finds several batches queued or in flight. */
        e2e_up(&e, &(struct e2e_opts){.mode = E2E_HQ_SECTION,
                                      .receipts_resend_s = 5,
                                      .ingest_instances = 1,
                                      .ingest = {.batch = 50, .latency_ms = 100}});
        pid_t sim = e2e_sim_spawn(&e, 30, 400, 7, 250);
        /* From day 10 (anomalies start after the warm-up of 14 days; the ML detector earlier),
         * one kill a simulated day, the two in turn. */
        for (int day = 10; day < 30; day++) {
                e2e_sim_wait_day(&e, sim, day);
                if (day % 2 == 0) {
                        hq_stop(&e.ingest[0], SIGKILL);
                        hq_restart(&e.ingest[0]);
                        ingest_kills++;
                } else {
                        h_daemon_stop(&e.d, SIGKILL);
                        e2e_daemon_start(&e);
                        daemon_kills++;
                }
        }
        e2e_sim_wait(&e, sim);
        assert_int_equal(ingest_kills, 10);
        assert_int_equal(daemon_kills, 10);
        e2e_converge(&e, 60, "kill -9 x 20, hq section", &c);
        print_message("receipts: %.0f resent, %.0f awaiting\n",
                      e2e_health_number(&e, "outbox.receipts.resent", -1),
                      e2e_health_number(&e, "outbox.receipts.awaiting", -1));
        assert_true(c.daemon_has_rev);
        assert_true(c.outcomes > 0);
        e2e_assert_all_arrived(&c, 10);
        /* One row per id (the keys say it; checked all the same). */
        assert_int_equal(
            pg_number(e.db, "SELECT count(*) - count(DISTINCT (store, id)) FROM anomaly"), 0);
        assert_int_equal(
            pg_number(e.db, "SELECT count(*) - count(DISTINCT (store, id)) FROM outcome"), 0);
        e2e_down(&e);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(NULL, h_teardown,
        cmocka_unit_test(test_kill9_ingest_and_daemon))
/* clang-format on */
