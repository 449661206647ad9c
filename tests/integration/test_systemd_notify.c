/* The daemon speaks sd_notify: READY=1 with a STATUS once serving, WATCHDOG=1 while the loop
 * turns, STOPPING=1 on SIGTERM, and exits 0 after flushing state. */
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

#include <cmocka.h>

#include "harness.h"

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
                if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= ms)
                        return n;
        }
}

static void test_ready_watchdog_stopping(void **state)
{
        struct h_broker b = {0};
        struct h_daemon d = {0};
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        char dir[256], conf[1024], seen[8192] = "";
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        assert_true(strlen(dir) + sizeof("/notify.sock") <= sizeof(addr.sun_path));
        memcpy(addr.sun_path, dir, strlen(dir));
        strcat(addr.sun_path, "/notify.sock");
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);

        h_broker_start(&b, 0, NULL);
        h_config(conf, sizeof(conf), b.port, dir, NULL);
        setenv("NOTIFY_SOCKET", addr.sun_path, 1);
        setenv("WATCHDOG_USEC", "400000", 1);
        h_daemon_start(&d, dir, conf, b.port);
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");

        /* READY came before health answered; watchdog pings every 200 ms. */
        int pings = count_messages(fd, "WATCHDOG=1", 1500, seen, sizeof(seen));
        assert_non_null(strstr(seen, "WATCHDOG=1"));
        assert_true(pings >= 4);
        h_daemon_stop(&d, SIGTERM); /* asserts exit status 0 */
        count_messages(fd, "STOPPING=1", 300, seen, sizeof(seen));
        print_message("notifications: %.300s\n", seen);
        assert_non_null(strstr(seen, "STOPPING=1"));
        close(fd);
        h_broker_stop(&b);
        h_rmdir(b.dir);
        h_rmdir(dir);
}

static void test_ready_is_sent_with_status(void **state)
{
        struct h_broker b = {0};
        struct h_daemon d = {0};
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        char dir[256], conf[1024], seen[8192] = "";
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        assert_true(strlen(dir) + sizeof("/notify.sock") <= sizeof(addr.sun_path));
        memcpy(addr.sun_path, dir, strlen(dir));
        strcat(addr.sun_path, "/notify.sock");
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        h_broker_start(&b, 0, NULL);
        h_config(conf, sizeof(conf), b.port, dir, NULL);
        setenv("NOTIFY_SOCKET", addr.sun_path, 1);
        h_daemon_start(&d, dir, conf, b.port);
        unsetenv("NOTIFY_SOCKET");
        count_messages(fd, "READY=1", 200, seen, sizeof(seen));
        assert_non_null(strstr(seen, "READY=1"));
        assert_non_null(strstr(seen, "STATUS=Serving retail/demo/store1"));
        /* No watchdog was asked for: none is sent. */
        assert_null(strstr(seen, "WATCHDOG=1"));
        h_daemon_stop(&d, SIGTERM);
        close(fd);
        h_broker_stop(&b);
        h_rmdir(b.dir);
        h_rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ready_is_sent_with_status),
                cmocka_unit_test(test_ready_watchdog_stopping),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
