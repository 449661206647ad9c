/* hq_config: the shipped file states every default; errors name file, line and setting. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Load text as a config file into *ret (NULL: a scratch one). */
static int load_into(const char *text, struct hq_config *ret, char *err, size_t errsz)
{
        struct hq_config c;
        char path[] = "/tmp/hq-config-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fputs(text, f);
        fclose(f);
        int r = hq_config_load(path, ret ? ret : &c, err, errsz);
        remove(path);
        return r;
}

static int load_text(const char *text, char *err, size_t errsz)
{
        return load_into(text, NULL, err, errsz);
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

/* broker.tls as the gateway's: a CA required, certificate and key together, readable files. */
static void test_tls(void **state)
{
        char err[512], text[1024], ca[] = "/tmp/hq-ca-XXXXXX";
        struct hq_config c;
        (void)state;
        int fd = mkstemp(ca);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(load_into("broker: { port = 8883; };", &c, err, sizeof(err)), 0);
        assert_false(c.broker.tls.enabled);
        snprintf(text, sizeof(text),
                 "broker: { port = 8883;\n  tls: { ca_file = \"%s\"; cert_file = \"%s\";\n"
                 "         key_file = \"%s\"; insecure = true; };\n};",
                 ca, ca, ca);
        assert_int_equal(load_into(text, &c, err, sizeof(err)), 0);
        assert_true(c.broker.tls.enabled);
        assert_string_equal(c.broker.tls.ca_file, ca);
        assert_string_equal(c.broker.tls.key_file, ca);
        assert_true(c.broker.tls.insecure);
        snprintf(text, sizeof(text), "broker: { tls: { ca_file = \"%s\"; }; };", ca);
        assert_int_equal(load_into(text, &c, err, sizeof(err)), 0);
        assert_true(c.broker.tls.enabled);
        assert_string_equal(c.broker.tls.cert_file, "");
        assert_false(c.broker.tls.insecure);

        assert_int_equal(load_text("broker: { tls: { }; };", err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "broker.tls.ca_file: required with broker.tls"));
        snprintf(text, sizeof(text), "broker: { tls: { ca_file = \"%s\"; cert_file = \"%s\"; }; };",
                 ca, ca);
        assert_int_equal(load_text(text, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "give both or neither"));
        assert_int_equal(load_text("broker: { tls: { ca_file = \"/nonexistent/ca.crt\"; }; };", err,
                                   sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "broker.tls.ca_file: /nonexistent/ca.crt is not a file"));
        assert_int_equal(load_text("broker: { tls: { ca_file = \"/tmp\"; }; };", err, sizeof(err)),
                         -EINVAL);
        snprintf(text, sizeof(text), "broker: { tls: { ca_file = \"%s\"; insecure = 1; }; };", ca);
        assert_int_equal(load_text(text, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "broker.tls.insecure: not true or false"));
        snprintf(text, sizeof(text), "broker: {\n tls: { ca_file = \"%s\"; cafile = \"x\"; }; };",
                 ca);
        assert_int_equal(load_text(text, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, ":2: broker.tls.cafile: unknown setting"));
        assert_int_equal(load_text("batch: { tls: { ca_file = \"x\"; }; };", err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "batch.tls: unknown section"));
        remove(ca);
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_shipped_file_is_the_defaults),
                                           cmocka_unit_test(test_errors),
                                           cmocka_unit_test(test_tls)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
