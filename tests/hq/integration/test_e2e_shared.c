/* End to end with two shelfwatch-hq instances on one shared subscription (issue 17, "Done when"
 * (d)): a 30-day simulated store run by the real shelfwatchd, bridged to HQ by
 * docs/examples/store-hq-bridge.conf, receipts on. Every anomaly and outcome message HQ's broker
 * took went to exactly one instance, both took a share, and PostgreSQL holds every anomaly of the
 * daemon's database at its final rev and every outcome, once. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "e2e.h"
#include "tests/support/test_main.h"

static void test_two_instances_one_store(void **state)
{
        struct e2e e;
        struct e2e_check c;
        (void)state;
        /* No resend within the test: each message goes once. */
        e2e_up(&e, &(struct e2e_opts){.mode = E2E_BRIDGE,
                                      .receipts_resend_s = 600,
                                      .ingest_instances = 2,
                                      .ingest = {.batch = 20, .latency_ms = 20}});
        e2e_sim_wait(&e, e2e_sim_spawn(&e, 30, 300, 9, 0));
        e2e_converge(&e, 60, "two instances, bridge", &c);
        e2e_assert_all_arrived(&c, 20);
        /* Every message once: what the broker took is what the two instances counted, with no
         * resend by the gateway; each instance had a share. */
        for (int i = 0; i < 100 && c.messages < c.copies; i++) {
                h_sleep_ms(50);
                e2e_compare(&e, &c);
        }
        assert_int_equal(c.copies, c.distinct);
        assert_int_equal(c.messages, c.copies);
        assert_true(pg_number(e.db, "SELECT count(*) FROM ingest_instance") == 2);
        assert_true(pg_number(e.db, "SELECT min((counters #>> '{messages,anomaly}')::bigint) FROM "
                                    "ingest_instance") > 0);
        e2e_down(&e);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(NULL, h_teardown,
        cmocka_unit_test(test_two_instances_one_store))
/* clang-format on */
