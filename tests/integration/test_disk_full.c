/* Disk full mid-run: health says so, the daemon keeps running, resumes when space returns, loses
 * nothing. */
#include <errno.h>
#include <fcntl.h>
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
        "--profile", "basic", "--days", "30", "--warmup", "14", "--skus", "120", "--seed", "21",   \
            "--start", "2026-10-20", "--reply-timeout", "3", "--sleep-ms", "120", "--quiet"
#define TMPFS_KIB 12288 /* the database's file system */
#define FULL_MS   3000  /* how long the disk stays full */

static char *storage_state(int port)
{
        cJSON *h = h_health(port, PREFIX);
        char *s = strdup(h_json_string(h, "storage.state"));
        cJSON_Delete(h);
        return s;
}

/* Fill the file system holding dir; returns the filler's path (unlink it to free the space). */
static void fill(const char *path)
{
        static char block[65536];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        memset(block, 0xa5, sizeof(block));
        for (;;) {
                ssize_t n = write(fd, block, sizeof(block));
                if (n < 0) {
                        assert_int_equal(errno, ENOSPC);
                        break;
                }
                if (n < (ssize_t)sizeof(block)) {
                        /* a partial write: one more to see ENOSPC */
                        continue;
                }
        }
        close(fd);
}

/* One simulated month; with fill_at_ms > 0 the disk fills that long after the start and is freed
 * FULL_MS later. Returns the final anomalies, read after a clean restart. */
static char *run_store(const char *mnt, int fill_at_ms, int *ret_full_seen, char **ret_log)
{
        struct h_fixture f = {0};
        char filler[512];
        h_tmpdir(f.dir, sizeof(f.dir));
        h_broker_start(&f.b, 0, NULL);
        /* The database on the small file system, everything else in dir. */
        h_config(f.conf, sizeof(f.conf), f.b.port, mnt, NULL);
        h_fixture_daemon(&f);
        pid_t sim = h_storesim_spawn(f.b.port, f.dir, "sim.log", SIM_ARGS, NULL);
        int full_seen = 0;
        if (fill_at_ms > 0) {
                usleep((useconds_t)fill_at_ms * 1000);
                snprintf(filler, sizeof(filler), "%s/filler", mnt);
                fill(filler);
                for (int t = 0; t < FULL_MS; t += 250) {
                        char *s = storage_state(f.b.port);
                        full_seen += strcmp(s, "full") == 0;
                        free(s);
                        assert_int_equal(kill(f.d.pid, 0), 0); /* still running */
                        usleep(250000);
                }
                assert_int_equal(unlink(filler), 0);
                /* Space is back: the next group commit (1 s) succeeds. */
                char *s = NULL;
                for (int t = 0; t < 50; t++) {
                        free(s);
                        s = storage_state(f.b.port);
                        if (strcmp(s, "ok") == 0)
                                break;
                        usleep(100000);
                }
                assert_string_equal(s, "ok");
                free(s);
        }
        assert_int_equal(h_wait(sim), 0);
        /* What counts is what is on disk: stop cleanly and come back. */
        h_fixture_restart(&f);
        char *digest = h_anomaly_digest(f.b.port, PREFIX);
        h_daemon_stop(&f.d, SIGTERM);
        *ret_log = h_read_file(f.d.log);
        *ret_full_seen = full_seen;
        h_fixture_finish(&f);
        char rm[600];
        snprintf(rm, sizeof(rm), "%s/sw.db", mnt);
        unlink(rm);
        snprintf(rm, sizeof(rm), "%s/sw.db-wal", mnt);
        unlink(rm);
        snprintf(rm, sizeof(rm), "%s/sw.db-shm", mnt);
        unlink(rm);
        return digest;
}

static void test_disk_full_and_recovery_on_a_small_tmpfs(void **state)
{
        char mnt[256], opts[64];
        (void)state;
        h_tmpdir(mnt, sizeof(mnt));
        snprintf(opts, sizeof(opts), "size=%dk", TMPFS_KIB);
        char *argv[] = {"mount", "-t", "tmpfs", "-o", opts, "tmpfs", mnt, NULL};
        if (geteuid() != 0 || h_run("/dev/null", argv) != 0) {
                h_rmdir(mnt);
                print_message("cannot mount a tmpfs here (not root, or a container): skipped\n");
                skip();
        }
        int full_seen;
        char *log;
        char *clean = run_store(mnt, 0, &full_seen, &log);
        free(log);
        char *full = run_store(mnt, 2500, &full_seen, &log);
        char *umount_argv[] = {"umount", mnt, NULL};
        assert_int_equal(h_run(NULL, umount_argv), 0);
        h_rmdir(mnt);

        /* health said "full" while it was, and the log said so once per change, not per write. */
        int full_lines = h_count(log, "Storage full"),
            ok_lines = h_count(log, "Storage takes writes again");
        print_message("health showed full %d times in %d ms; log: %d 'full', %d 'again' lines\n",
                      full_seen, FULL_MS, full_lines, ok_lines);
        assert_true(full_seen > 0);
        assert_true(full_lines >= 1 && full_lines <= 3);
        assert_int_equal(ok_lines, full_lines);
        free(log);
        /* Nothing the daemon took in during the full period is missing in the end. */
        assert_true(strlen(clean) > 0);
        if (strcmp(clean, full) != 0) {
                fprintf(stderr, "uninterrupted:\n%s\nwith a full disk:\n%s\n", clean, full);
                fail_msg("anomalies differ after a full disk");
        }
        print_message("%d anomalies, identical to the run without a full disk\n",
                      h_count(clean, "\n"));
        free(clean);
        free(full);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_disk_full_and_recovery_on_a_small_tmpfs))
/* clang-format on */
