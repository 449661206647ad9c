/* hq_config: the shipped file states every default; errors name file, line and setting. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "hq/hq_config.h"

#define SHIPPED SW_SOURCE_DIR "/systemd/shelfwatch-hq.conf"

static void test_shipped_file_is_the_defaults(void **state)
{
        struct hq_config loaded, defaults;
        char err[512] = "";
        (void)state;
        memset(&loaded, 0, sizeof(loaded));
        memset(&defaults, 0, sizeof(defaults));
        hq_config_defaults(&defaults);
        if (hq_config_load(SHIPPED, &loaded, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        assert_memory_equal(&loaded, &defaults, sizeof(loaded));
}

static int load_text(const char *text, char *err, size_t errsz)
{
        struct hq_config c;
        char path[] = "/tmp/hq-config-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fputs(text, f);
        fclose(f);
        int r = hq_config_load(path, &c, err, errsz);
        remove(path);
        return r;
}

static void test_errors(void **state)
{
        char err[512];
        struct hq_config c;
        (void)state;
        assert_int_equal(load_text("batch: { max_messages = 0; };", err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, ":1: batch.max_messages: 0 is outside 1..100000"));
        assert_int_equal(load_text("\nbatch: { typo = 1; };", err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, ":2: batch.typo: unknown setting"));
        assert_int_equal(load_text("nosuch: { a = 1; };", err, sizeof(err)), -EINVAL);
        assert_int_equal(load_text("topics: { root = \"a/b\"; };", err, sizeof(err)), -EINVAL);
        assert_int_equal(load_text("log: { level = \"loud\"; };", err, sizeof(err)), -EINVAL);
        assert_int_equal(load_text("broker: { port = \"x\"; };", err, sizeof(err)), -EINVAL);
        assert_int_equal(load_text("broker: { reconnect_min_ms = 900; reconnect_max_ms = 800; };",
                                   err, sizeof(err)),
                         -EINVAL);
        assert_int_equal(load_text("batch: { max_messages = 7; };", err, sizeof(err)), 0);
        assert_int_equal(hq_config_load("/nonexistent/hq.conf", &c, err, sizeof(err)), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_shipped_file_is_the_defaults),
                                           cmocka_unit_test(test_errors)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
