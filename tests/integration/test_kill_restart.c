/* kill -9 at any moment and a restart give the same final anomalies as an uninterrupted run. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"
#define SIM_ARGS                                                                                   \
        "--profile", "basic", "--days", "30", "--warmup", "14", "--skus", "200", "--seed", "11",   \
            "--start", "2026-10-20", "--reply-timeout", "3", "--sleep-ms", "600", "--quiet"

/* Final anomalies of one run; kills the daemon with SIGKILL after each delay in kills_ms
 * while the simulator still runs, and counts the kills that landed. */
static char *run_store(const int *kills_ms, int n_kills, int *ret_resends, int *ret_landed)
{
        struct h_fixture f = {0};
        char report[512];
        h_fixture_start(&f, NULL);
        snprintf(report, sizeof(report), "%s/report.json", f.dir);
        pid_t sim =
            h_storesim_spawn(f.b.port, f.dir, "sim.log", SIM_ARGS, "--report", report, NULL);
        int landed = 0, st = 0;
        pid_t done = 0;
        for (int k = 0; k < n_kills && done == 0; k++) {
                usleep((useconds_t)kills_ms[k] * 1000);
                done = waitpid(sim, &st, WNOHANG);
                if (done != 0)
                        break;
                h_daemon_stop(&f.d, SIGKILL);
                h_fixture_daemon(&f);
                landed++;
                /* The start-up quick_check passed: a corrupt database would have been moved aside.
                 */
                char *log = h_read_file(f.d.log);
                assert_non_null(log);
                if (strstr(log, "is corrupt"))
                        fail_msg("integrity check failed after kill %d:\n%s", landed, log);
                free(log);
        }
        if (done == 0)
                assert_int_equal(h_wait(sim), 0);
        else
                assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        *ret_landed = landed;
        char *digest = h_anomaly_digest(f.b.port, PREFIX);
        char *rep = h_read_file(report);
        cJSON *j = rep ? cJSON_Parse(rep) : NULL;
        assert_non_null(j);
        *ret_resends = (int)h_json_number(j, "days_resent");
        cJSON_Delete(j);
        free(rep);
        h_fixture_finish(&f);
        return digest;
}

static void test_kill_9_mid_run_gives_the_same_anomalies(void **state)
{
        int resends, landed;
        /* SW_KILLS kills (default 20) at random moments 300..1000 ms apart (SW_KILL_SEED). */
        int n_kills = getenv("SW_KILLS") ? atoi(getenv("SW_KILLS")) : 20;
        unsigned seed = getenv("SW_KILL_SEED") ? (unsigned)atoi(getenv("SW_KILL_SEED")) : 1;
        int *kills = calloc((size_t)(n_kills > 0 ? n_kills : 1), sizeof(*kills));
        assert_non_null(kills);
        for (int k = 0; k < n_kills; k++)
                kills[k] = 300 + (int)(rand_r(&seed) % 700);
        (void)state;
        char *clean = run_store(NULL, 0, &resends, &landed);
        assert_int_equal(resends, 0);
        char *killed = run_store(kills, n_kills, &resends, &landed);
        free(kills);
        print_message("kill -9 landed mid-run %d of %d times\n", landed, n_kills);
        assert_true(landed >= (n_kills * 3) / 4);
        /* A kill between days loses nothing (the broker holds the daemon's session); a kill
         * mid-day makes the simulator resend that day with the same ids. Either way: */
        print_message("days resent after kills: %d\n", resends);
        assert_true(strlen(clean) > 0);
        if (strcmp(clean, killed) != 0) {
                fprintf(stderr, "uninterrupted:\n%s\nkilled:\n%s\n", clean, killed);
                fail_msg("anomalies differ after kill -9");
        }
        free(clean);
        free(killed);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_kill_9_mid_run_gives_the_same_anomalies))
/* clang-format on */
