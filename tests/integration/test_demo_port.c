/* tools/demo.sh takes its broker's port from DEMO_PORT: that port, or it stops. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define DEMO SW_SOURCE_DIR "/tools/demo.sh"

/* Run the demo (a short one, on this build) with DEMO_PORT=port; its output in *ret_out. */
static int run_demo(const char *dir, const char *port, char **ret_out)
{
        char out[512];
        snprintf(out, sizeof(out), "%s/demo.out", dir);
        unlink(out);
        setenv("DEMO_PORT", port, 1);
        setenv("DEMO_DAYS", "3", 1);
        setenv("DEMO_SLEEP_MS", "0", 1);
        setenv("DEMO_ASSOCIATES", "0", 1);
        setenv("BUILD_DIR", SW_BUILD_DIR, 1);
        int status = h_run(out, (char *[]){"bash", DEMO, NULL});
        unsetenv("DEMO_PORT");
        *ret_out = h_read_file(out);
        assert_non_null(*ret_out);
        return status;
}

static void expect_in(const char *text, const char *needle)
{
        if (!strstr(text, needle))
                fail_msg("expected '%s' in:\n%s", needle, text);
}

static void test_demo_port(void **state)
{
        char dir[256], port[16], want[64], *out;
        (void)state;
        if (getenv("SW_TEST_WRAPPER")) {
                fprintf(stderr, "SKIPPED: the demo runs the build's programs natively\n");
                skip();
        }
        h_tmpdir(dir, sizeof(dir));

        /* A free port: the demo's broker listens there and the CLI at the end finds it. */
        snprintf(port, sizeof(port), "%d", sw_test_free_port());
        int status = run_demo(dir, port, &out);
        if (status != 0)
                fail_msg("demo exited %d:\n%s", status, out);
        snprintf(want, sizeof(want), "on 127.0.0.1:%s (pid", port);
        expect_in(out, want);
        expect_in(out, "== demo: health");
        expect_in(out, "Broker local               connected");
        free(out);

        /* A port that is taken: no broker elsewhere, the demo stops and says so. */
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        assert_true(fd >= 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 4), 0);
        socklen_t len = sizeof(a);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        snprintf(port, sizeof(port), "%d", ntohs(a.sin_port));
        assert_int_equal(run_demo(dir, port, &out), 1);
        snprintf(want, sizeof(want), "DEMO_PORT %s is taken", port);
        expect_in(out, want);
        free(out);
        close(fd);

        assert_int_equal(run_demo(dir, "port", &out), 1);
        expect_in(out, "DEMO_PORT must be a port number from 1 to 65535 (got 'port')");
        free(out);
        h_rmdir(dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_demo_port, h_teardown))
/* clang-format on */
