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
#include "tests/support/test_main.h"

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

/* The http section: tokens are digests, every name is checked, limits are consistent. */
static void test_http_section(void **state)
{
        char err[512];
        struct hq_config c;
        char path[] = "/tmp/hq-config-XXXXXX";
        const char *digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        char text[1024];
        (void)state;
        assert_int_equal(load_text("http: { port = 0; };", err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "http.port: 0 is outside 1..65535"));
        assert_int_equal(load_text("http: { listen = \"localhost\"; };", err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "http.listen"));
        assert_int_equal(
            load_text("http: { default_limit = 50; max_limit = 10; };", err, sizeof(err)), -EINVAL);
        assert_int_equal(load_text("http: { tokens = ( { name = \"a\"; tenant = \"t\"; role = "
                                   "\"r\"; sha256 = \"abc\"; } ); };",
                                   err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "tokens.sha256"));
        assert_int_equal(load_text("http: { tokens = ( { name = \"a\"; tenant = \"t\"; role = "
                                   "\"r\"; token = \"secret\"; } ); };",
                                   err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "tokens.token: unknown setting"));
        assert_int_equal(load_text("http: { tls_cert_file = \"/x.pem\"; };", err, sizeof(err)),
                         -EINVAL);
        /* A valid token: its digest is kept (of "test"), and two tokens may not share one. */
        snprintf(text, sizeof(text),
                 "http: { tokens = ( { name = \"a\"; tenant = \"acme\"; role = \"acme_r\"; "
                 "sha256 = \"%s\"; } ); };",
                 digest);
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
        close(fd);
        assert_int_equal(hq_config_load(path, &c, err, sizeof(err)), 0);
        remove(path);
        uint8_t want[HQ_HTTP_SHA256_SIZE];
        assert_int_equal(hq_http_sha256("test", 4, want), 0);
        assert_int_equal(c.http.n_tokens, 1);
        assert_memory_equal(c.http.tokens[0].sha256, want, sizeof(want));
        assert_string_equal(c.http.tokens[0].role, "acme_r");
        snprintf(text, sizeof(text),
                 "http: { tokens = ( { name = \"a\"; tenant = \"t\"; role = \"r\"; sha256 = "
                 "\"%s\"; }, { name = \"b\"; tenant = \"u\"; role = \"r\"; sha256 = \"%s\"; "
                 "} ); };",
                 digest, digest);
        assert_int_equal(load_text(text, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "unique"));
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

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_shipped_file_is_the_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_http_section),
        cmocka_unit_test(test_tls))
/* clang-format on */
