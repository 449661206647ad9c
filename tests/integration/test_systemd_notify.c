/* The daemon speaks sd_notify: READY=1 with a STATUS once serving, WATCHDOG=1 while the loop
 * turns (and not while it is stopped), RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on
 * SIGTERM, and exits 0 after flushing state. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

/* A notify socket in dir, bound; NOTIFY_SOCKET is set to it until the daemon started. */
static int notify_socket(const char *dir)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/notify.sock", dir);
        assert_true(n > 0 && (size_t)n < sizeof(addr.sun_path));
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        setenv("NOTIFY_SOCKET", addr.sun_path, 1);
        return fd;
}

/* The usual start here: the fixture's directory and broker, then the notify socket (after the
 * broker: mosquitto sends READY=1 too, and only the daemon's counts), with WATCHDOG_USEC set
 * to watchdog_usec (NULL: none) for the daemon alone, and the daemon on h_config()'s text plus
 * extra. Returns the socket. */
static int start_notified(struct h_fixture *f, const char *watchdog_usec, const char *extra)
{
        h_fixture_prepare(f, NULL, extra);
        int fd = notify_socket(f->dir);
        if (watchdog_usec)
                setenv("WATCHDOG_USEC", watchdog_usec, 1);
        h_fixture_daemon(f);
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        return fd;
}

/* The end of a test that passed: the daemon stopped (a clean exit asserted) while the socket
 * still listens, then the socket closed and the fixture finished. */
static void finish_notified(struct h_fixture *f, int fd)
{
        h_daemon_stop(&f->d, SIGTERM);
        close(fd);
        h_fixture_finish(f);
}

/* Read notify datagrams for up to ms; returns how many contained needle. */
static int count_messages(int fd, const char *needle, int ms, char *seen, size_t seen_size)
{
        int n = 0;
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                char buf[1024];
                struct timeval tv = {.tv_sec = 0, .tv_usec = 50000};
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
                if (len > 0) {
                        buf[len] = '\0';
                        if (strstr(buf, needle))
                                n++;
                        if (seen && strlen(seen) + (size_t)len + 2 < seen_size) {
                                strcat(seen, buf);
                                strcat(seen, "|");
                        }
                }
                clock_gettime(CLOCK_MONOTONIC, &now);
                if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
                    ms)
                        return n;
        }
}

static void test_ready_watchdog_stopping(void **state)
{
        struct h_fixture f = {0};
        char seen[8192] = "";
        (void)state;
        int fd = start_notified(&f, "400000", NULL);

        /* READY came before health answered; watchdog pings every 200 ms. */
        int pings = count_messages(fd, "WATCHDOG=1", 1500, seen, sizeof(seen));
        assert_non_null(strstr(seen, "WATCHDOG=1"));
        assert_true(pings >= 4);
        h_daemon_stop(&f.d, SIGTERM); /* asserts exit status 0 */
        count_messages(fd, "STOPPING=1", 300, seen, sizeof(seen));
        print_message("notifications: %.300s\n", seen);
        assert_non_null(strstr(seen, "STOPPING=1"));
        finish_notified(&f, fd);
}

static void test_ready_is_sent_with_status(void **state)
{
        struct h_fixture f = {0};
        char seen[8192] = "";
        (void)state;
        int fd = start_notified(&f, NULL, NULL);
        count_messages(fd, "READY=1", 200, seen, sizeof(seen));
        assert_non_null(strstr(seen, "READY=1"));
        assert_non_null(strstr(seen, "STATUS=Serving retail/demo/store1"));
        /* No watchdog was asked for: none is sent. */
        assert_null(strstr(seen, "WATCHDOG=1"));
        finish_notified(&f, fd);
}

/* One number of health (it must be there). */
static double health_number(int port, const char *dotted_path)
{
        cJSON *h = h_health(port, PREFIX);
        double v = h_json_number(h, dotted_path);
        cJSON_Delete(h);
        return v;
}

static char *ghost_mode(int port)
{
        cJSON *h = h_health(port, PREFIX);
        char *s = strdup(h_json_string(h, "detectors.ghost_stock.mode"));
        cJSON_Delete(h);
        return s;
}

/* SIGHUP, then RELOADING=1 (with MONOTONIC_USEC) and READY=1 after it; the datagrams are
 * appended to seen. Returns the text from RELOADING=1 on. */
static const char *sighup_and_wait(pid_t pid, int fd, char *seen, size_t seen_size)
{
        seen[0] = '\0';
        assert_int_equal(kill(pid, SIGHUP), 0);
        for (int i = 0; i < 100 && !(strstr(seen, "RELOADING=1") &&
                                     strstr(strstr(seen, "RELOADING=1"), "READY=1"));
             i++)
                count_messages(fd, "READY=1", 100, seen, seen_size);
        const char *reloading = strstr(seen, "RELOADING=1");
        assert_non_null(reloading);
        assert_non_null(strstr(reloading, "MONOTONIC_USEC="));
        assert_non_null(strstr(reloading, "READY=1"));
        return reloading;
}

/* A live setting (ghost mode, payload limit) takes effect on SIGHUP; one that sizes memory
 * (limits.max_skus) is named in a warning and kept; the SKUs held survive. */
static void test_sighup_reloads_live_settings_and_keeps_state(void **state)
{
        struct h_fixture f = {0};
        char seen[8192] = "", big[600];
        (void)state;
        int fd = start_notified(&f, NULL, "detectors: { ghost: { mode = \"poisson\"; }; };\n");

        h_publish(f.b.port, PREFIX "/inventory",
                  "{\"ts\":\"2026-11-20T08:00:00Z\",\"items\":[{\"sku\":\"A\",\"on_hand\":10},"
                  "{\"sku\":\"B\",\"on_hand\":4}]}");
        h_wait_health_number(f.b.port, PREFIX, "skus.tracked", 2, 100);
        double capacity = health_number(f.b.port, "skus.capacity");
        char *mode = ghost_mode(f.b.port);
        assert_string_equal(mode, "poisson");
        free(mode);

        h_config(f.conf, sizeof(f.conf), f.b.port, f.dir,
                 "detectors: { ghost: { mode = \"seed\"; }; };\n"
                 "limits: { max_payload_bytes = 512; max_skus = 777; };\n");
        h_write_file(f.d.conf, f.conf);
        const char *after = sighup_and_wait(f.d.pid, fd, seen, sizeof(seen));
        print_message("notifications: %.300s\n", after);
        assert_non_null(strstr(after, "STATUS=Serving " PREFIX));

        mode = ghost_mode(f.b.port);
        assert_string_equal(mode, "seed");
        free(mode);
        assert_int_equal((int)health_number(f.b.port, "skus.tracked"), 2);
        assert_true(health_number(f.b.port, "skus.capacity") == capacity);
        /* A 600-byte inventory message was fine before; now it is over the limit. */
        snprintf(big, sizeof(big),
                 "{\"ts\":\"2026-11-20T08:00:00Z\",\"items\":[{\"sku\":\"C\",\"on_hand\":1}]%*s}",
                 520, "");
        h_publish(f.b.port, PREFIX "/inventory", big);
        h_wait_health_number(f.b.port, PREFIX, "messages.rejected.inventory.too_large", 1, 50);
        assert_int_equal((int)health_number(f.b.port, "skus.tracked"), 2);

        h_daemon_stop(&f.d, SIGTERM);
        assert_true(h_daemon_log_count(&f.d, "limits.max_skus cannot change without a restart") >
                    0);
        assert_int_equal(h_daemon_log_count(&f.d, "limits.max_payload_bytes cannot change"), 0);
        finish_notified(&f, fd);
}

/* A config that does not load is refused whole: READY=1 still follows RELOADING=1 (systemd
 * would otherwise wait), the status says why, and every old setting stays in force. */
static void test_sighup_with_broken_config_keeps_the_old_one(void **state)
{
        struct h_fixture f = {0};
        char seen[8192] = "";
        (void)state;
        int fd = start_notified(&f, NULL, "detectors: { ghost: { mode = \"seed\"; }; };\n");

        /* Valid syntax up to an invalid value: nothing of it may be applied. */
        h_config(f.conf, sizeof(f.conf), f.b.port, f.dir,
                 "detectors: { ghost: { mode = \"poisson\"; }; };\nlimits: { max_skus = -3; };\n");
        h_write_file(f.d.conf, f.conf);
        const char *after = sighup_and_wait(f.d.pid, fd, seen, sizeof(seen));
        print_message("notifications: %.300s\n", after);
        assert_non_null(strstr(after, "reload failed"));
        char *mode = ghost_mode(f.b.port);
        assert_string_equal(mode, "seed");
        free(mode);

        h_write_file(f.d.conf, "this is { not libconfig");
        after = sighup_and_wait(f.d.pid, fd, seen, sizeof(seen));
        assert_non_null(strstr(after, "reload failed"));
        mode = ghost_mode(f.b.port);
        assert_string_equal(mode, "seed");
        free(mode);

        h_daemon_stop(&f.d, SIGTERM);
        assert_true(h_daemon_log_count(&f.d, "Reload failed, keeping the configuration in force") >
                    0);
        finish_notified(&f, fd);
}

/* The ping comes from the loop itself, not a timer or thread: with the process stopped
 * (SIGSTOP, as a loop stuck in a blocking call would be) no WATCHDOG=1 arrives, and pings
 * resume once it runs again. */
static void test_stalled_loop_stops_pinging(void **state)
{
        struct h_fixture f = {0};
        (void)state;
        int fd = start_notified(&f, "400000", NULL);

        assert_true(count_messages(fd, "WATCHDOG=1", 1000, NULL, 0) >= 3);
        assert_int_equal(kill(f.d.pid, SIGSTOP), 0);
        count_messages(fd, "WATCHDOG=1", 200, NULL, 0); /* drain what was sent before the stop */
        int stalled = count_messages(fd, "WATCHDOG=1", 1200, NULL, 0);
        assert_int_equal(kill(f.d.pid, SIGCONT), 0);
        int resumed = count_messages(fd, "WATCHDOG=1", 1200, NULL, 0);
        print_message("pings while stopped: %d, after SIGCONT: %d\n", stalled, resumed);
        assert_int_equal(stalled, 0);
        assert_true(resumed >= 3);

        finish_notified(&f, fd);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_ready_is_sent_with_status),
        cmocka_unit_test(test_ready_watchdog_stopping),
        cmocka_unit_test(test_sighup_reloads_live_settings_and_keeps_state),
        cmocka_unit_test(test_sighup_with_broken_config_keeps_the_old_one),
        cmocka_unit_test(test_stalled_loop_stops_pinging))
/* clang-format on */
