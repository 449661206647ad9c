/* TLS to HQ with client certificates, and per-store isolation by the example ACL, against a real
 * mosquitto. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define STORE_A "retail/acme/s0001"
#define STORE_B "retail/acme/s0002"

struct tls_env {
        struct h_broker hq;    /* TLS broker; its directory holds the certificates */
        struct h_broker local; /* the store's plain broker */
        char acl[640];         /* docs/examples/hq-acl, copied next to the certificates */
};

static struct tls_env env;

/* docs/examples/<name> in the source tree, found from this file's path. */
static void source_file(char *buf, size_t size, const char *name)
{
        const char *self = __FILE__, *cut = strstr(self, "tests/integration/");
        assert_non_null(cut);
        snprintf(buf, size, "%.*sdocs/examples/%s", (int)(cut - self), self, name);
        assert_int_equal(access(buf, R_OK), 0);
}

static void hq_start(const char *server_cert)
{
        char extra[2048];
        const char *d = env.hq.dir;
        snprintf(
            extra, sizeof(extra),
            "cafile %s/ca.crt\ncertfile %s/%s.crt\nkeyfile %s/%s.key\nrequire_certificate true\n"
            "use_identity_as_username true\ntls_version tlsv1.2\nacl_file %s\n",
            d, d, server_cert, d, server_cert, env.acl);
        h_broker_start(&env.hq, env.hq.port, extra);
}

static int setup(void **state)
{
        (void)state;
        memset(&env, 0, sizeof(env));
        h_tmpdir(env.hq.dir, sizeof(env.hq.dir));
        assert_int_equal(chmod(env.hq.dir, 0755), 0);
        static const char *const clients[] = {"s0001", "s0002", "hq-ingest", NULL};
        h_make_test_certs(env.hq.dir, clients);
        source_file(env.acl, sizeof(env.acl), "hq-acl");
        /* The broker runs as the mosquitto user: give it a copy it can read. */
        char copy[600], *acl = h_read_file(env.acl);
        assert_non_null(acl);
        snprintf(copy, sizeof(copy), "%s/hq-acl", env.hq.dir);
        h_write_file(copy, acl);
        free(acl);
        assert_int_equal(chmod(copy, 0644), 0);
        snprintf(env.acl, sizeof(env.acl), "%s", copy);
        h_broker_start(&env.local, 0, NULL);
        hq_start("server");
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        h_broker_stop(&env.hq);
        h_broker_stop(&env.local);
        h_rmdir(env.hq.dir);
        h_rmdir(env.local.dir);
        return 0;
}

/* Start shelfwatchd as store s0001 of tenant acme; hq_tls is the body of hq.tls. */
static void daemon_start(struct h_daemon *d, const char *dir, const char *hq_host,
                         const char *hq_tls)
{
        char conf[4096];
        snprintf(
            conf, sizeof(conf),
            "store: { tenant = \"acme\"; id = \"s0001\"; };\n"
            "broker: { port = %d; reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
            "storage: { path = \"%s/sw.db\"; };\n"
            "hq: { host = \"%s\"; port = %d; reconnect_min_ms = 200; reconnect_max_ms = 1000;\n"
            "      tls: { %s }; };\n",
            env.local.port, dir, hq_host, env.hq.port, hq_tls);
        h_daemon_start_at(d, dir, conf, env.local.port, STORE_A);
}

static char *hq_state(void)
{
        cJSON *h = h_health(env.local.port, STORE_A);
        char *s = strdup(h_json_string(h, "brokers.hq.state"));
        cJSON_Delete(h);
        return s;
}

/* Wait until the daemon's log contains text (up to timeout_ms); returns the log. */
static char *wait_log(const struct h_daemon *d, const char *text, int timeout_ms)
{
        char *log = NULL;
        for (int t = 0; t <= timeout_ms; t += 100) {
                free(log);
                log = h_read_file(d->log);
                if (log && strstr(log, text))
                        return log;
                h_sleep_ms(100);
        }
        return log;
}

/* A mosquitto_sub over TLS as cn, in the background, writing "topic payload" lines to out. */
static pid_t tls_sub_spawn(const char *cn, const char *pattern, const char *out, int wait_s)
{
        char port[16], ca[600], cert[600], key[600], w[16];
        snprintf(w, sizeof(w), "%d", wait_s);
        snprintf(port, sizeof(port), "%d", env.hq.port);
        snprintf(ca, sizeof(ca), "%s/ca.crt", env.hq.dir);
        snprintf(cert, sizeof(cert), "%s/%s.crt", env.hq.dir, cn);
        snprintf(key, sizeof(key), "%s/%s.key", env.hq.dir, cn);
        char *argv[] = {"mosquitto_sub",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        port,
                        "--cafile",
                        ca,
                        "--cert",
                        cert,
                        "--key",
                        key,
                        "-t",
                        (char *)pattern,
                        "-q",
                        "1",
                        "-v",
                        "-V",
                        "mqttv5",
                        wait_s > 0 ? "-W" : NULL,
                        w,
                        NULL};
        return h_spawn(out, argv);
}

/* Subscribe as cn for wait_s seconds and return everything received ("topic payload" lines). */
static char *tls_sub_collect(const char *cn, const char *pattern, int wait_s)
{
        char out[600];
        snprintf(out, sizeof(out), "%s/sub-%s-%d.out", env.hq.dir, cn, (int)getpid());
        unlink(out);
        pid_t p = tls_sub_spawn(cn, pattern, out, wait_s);
        h_wait(p);
        char *s = h_read_file(out);
        unlink(out);
        return s ? s : strdup("");
}

/* Publish a retained QoS 1 message as cn; returns mosquitto_pub's exit status. */
static int tls_pub(const char *cn, const char *topic, const char *payload)
{
        char port[16], ca[600], cert[600], key[600];
        snprintf(port, sizeof(port), "%d", env.hq.port);
        snprintf(ca, sizeof(ca), "%s/ca.crt", env.hq.dir);
        snprintf(cert, sizeof(cert), "%s/%s.crt", env.hq.dir, cn);
        snprintf(key, sizeof(key), "%s/%s.key", env.hq.dir, cn);
        char *argv[] = {"mosquitto_pub", "-h", "127.0.0.1", "-p", port, "--cafile",    ca,
                        "--cert",        cert, "--key",     key,  "-t", (char *)topic, "-m",
                        (char *)payload, "-q", "1",         "-r", "-V", "mqttv5",      NULL};
        return h_run(NULL, argv);
}

static void test_anomalies_reach_hq_over_mutual_tls(void **state)
{
        struct h_daemon d = {0};
        char dir[256], tls[2048], out[600];
        const char *c = env.hq.dir;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        /* HQ's ingest service, over TLS with its own certificate, reading every store. */
        snprintf(out, sizeof(out), "%s/hq-ingest.out", dir);
        pid_t ingest = tls_sub_spawn("hq-ingest", "retail/acme/+/anomaly", out, 0);
        snprintf(
            tls, sizeof(tls),
            "ca_file = \"%s/ca.crt\"; cert_file = \"%s/s0001.crt\"; key_file = \"%s/s0001.key\";",
            c, c, c);
        daemon_start(&d, dir, "127.0.0.1", tls);
        char *log = wait_log(&d, "Connected to HQ broker", 5000);
        assert_non_null(strstr(log, "Connected to HQ broker"));
        free(log);
        char *st = hq_state();
        assert_string_equal(st, "connected");
        free(st);

        assert_int_equal(h_storesim(env.local.port, dir, "sim.log", "--profile", "basic",
                                    "--tenant", "acme", "--store", "s0001", "--days", "24",
                                    "--warmup", "12", "--skus", "80", "--seed", "7", "--quiet",
                                    NULL),
                         0);
        /* Every anomaly the store holds arrives at HQ (by id). */
        char *digest = h_anomaly_digest(env.local.port, STORE_A);
        size_t ids = 0, missing = 0;
        for (int tries = 0; tries < 100; tries++) {
                char *got = h_read_file(out);
                ids = missing = 0;
                for (char *line = digest; *line; ids++) {
                        char *bar = strchr(line, '|'), id[256];
                        snprintf(id, sizeof(id), "\"id\":\"%.*s\"", (int)(bar - line), line);
                        if (!got || !strstr(got, id))
                                missing++;
                        line = strchr(line, '\n') + 1;
                }
                free(got);
                if (missing == 0)
                        break;
                h_sleep_ms(100);
        }
        print_message("%zu anomalies, %zu missing at HQ over TLS\n", ids, missing);
        assert_true(ids > 0);
        assert_int_equal(missing, 0);
        free(digest);
        kill(ingest, SIGTERM);
        h_wait(ingest);
        h_daemon_stop(&d, SIGTERM);
        h_rmdir(dir);
}

/* The daemon is refused (or refuses): an error naming the TLS reason, HQ disconnected. */
static void expect_refused(const char *host, const char *tls, const char *reason)
{
        struct h_daemon d = {0};
        char dir[256];
        h_tmpdir(dir, sizeof(dir));
        daemon_start(&d, dir, host, tls);
        char *log = wait_log(&d, "TLS handshake refused", 8000);
        if (!log || !strstr(log, "TLS handshake refused") || !strstr(log, reason))
                fail_msg("expected a TLS refusal (%s) in the log:\n%s", reason, log ? log : "");
        assert_null(strstr(log, "Connected to HQ broker"));
        const char *line = strstr(log, "TLS handshake refused");
        print_message("refused: %.*s\n", (int)strcspn(line, "\n"), line);
        free(log);
        char *st = hq_state();
        assert_string_equal(st, "disconnected");
        free(st);
        h_daemon_stop(&d, SIGTERM);
        h_rmdir(dir);
}

static void test_bad_certificates_are_refused_with_a_clear_error(void **state)
{
        char tls[2048];
        const char *c = env.hq.dir;
        (void)state;
        /* The broker's certificate is not signed by the CA the daemon trusts. */
        snprintf(tls, sizeof(tls),
                 "ca_file = \"%s/other-ca.crt\"; cert_file = \"%s/s0001.crt\"; key_file = "
                 "\"%s/s0001.key\";",
                 c, c, c);
        expect_refused("127.0.0.1", tls, "certificate verify failed");
        /* An expired client certificate. */
        snprintf(tls, sizeof(tls),
                 "ca_file = \"%s/ca.crt\"; cert_file = \"%s/expired.crt\"; key_file = "
                 "\"%s/expired.key\";",
                 c, c, c);
        expect_refused("127.0.0.1", tls, "certificate expired");
        /* A client certificate from another CA. */
        snprintf(
            tls, sizeof(tls),
            "ca_file = \"%s/ca.crt\"; cert_file = \"%s/rogue.crt\"; key_file = \"%s/rogue.key\";",
            c, c, c);
        expect_refused("127.0.0.1", tls, "unknown ca");
        /* No client certificate at all. */
        snprintf(tls, sizeof(tls), "ca_file = \"%s/ca.crt\";", c);
        expect_refused("127.0.0.1", tls, "alert");
}

static void test_host_name_is_verified_unless_insecure(void **state)
{
        char tls[2048];
        const char *c = env.hq.dir;
        (void)state;
        /* A broker certificate from the right CA, but for hq.example.com, not 127.0.0.1. */
        h_broker_stop(&env.hq);
        hq_start("wronghost");
        snprintf(
            tls, sizeof(tls),
            "ca_file = \"%s/ca.crt\"; cert_file = \"%s/s0001.crt\"; key_file = \"%s/s0001.key\";",
            c, c, c);
        expect_refused("127.0.0.1", tls, "certificate verify failed");
        /* insecure skips only the name check: the same broker is accepted. */
        struct h_daemon d = {0};
        char dir[256], tls2[2100];
        h_tmpdir(dir, sizeof(dir));
        snprintf(tls2, sizeof(tls2), "%s insecure = true;", tls);
        daemon_start(&d, dir, "127.0.0.1", tls2);
        char *log = wait_log(&d, "Connected to HQ broker", 5000);
        assert_non_null(strstr(log, "Connected to HQ broker"));
        free(log);
        h_daemon_stop(&d, SIGTERM);
        h_rmdir(dir);
        h_broker_stop(&env.hq);
        hq_start("server");
}

static void test_a_store_cannot_read_or_write_another_stores_topics(void **state)
{
        char *got;
        (void)state;
        /* Each store writes its own subtree (retained, so a later reader sees it at once). */
        assert_int_equal(tls_pub("s0001", STORE_A "/probe", "from-a"), 0);
        assert_int_equal(tls_pub("s0002", STORE_B "/probe", "from-b"), 0);
        /* Store A writes into B's subtree: the broker drops it (mosquitto_pub may or may not
         * see the refusal, depending on the protocol version). */
        (void)tls_pub("s0001", STORE_B "/anomaly", "forged-by-a");
        (void)tls_pub("s0001", STORE_B "/probe", "overwritten-by-a");

        /* A reads its own subtree... */
        got = tls_sub_collect("s0001", STORE_A "/#", 2);
        assert_non_null(strstr(got, "from-a"));
        free(got);
        /* ...but nothing of B's, not by name and not by wildcard. */
        got = tls_sub_collect("s0001", STORE_B "/#", 2);
        assert_null(strstr(got, "from-b"));
        assert_null(strstr(got, STORE_B));
        free(got);
        got = tls_sub_collect("s0001", "retail/acme/#", 2);
        assert_non_null(strstr(got, "from-a"));
        assert_null(strstr(got, "from-b"));
        free(got);
        /* B sees its own message intact and nothing A tried to write. */
        got = tls_sub_collect("s0002", STORE_B "/#", 2);
        assert_non_null(strstr(got, "from-b"));
        assert_null(strstr(got, "forged-by-a"));
        assert_null(strstr(got, "overwritten-by-a"));
        free(got);
        /* HQ's ingest reads both stores. */
        got = tls_sub_collect("hq-ingest", "retail/acme/+/probe", 2);
        assert_non_null(strstr(got, "from-a"));
        assert_non_null(strstr(got, "from-b"));
        free(got);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(setup, teardown,
        cmocka_unit_test(test_anomalies_reach_hq_over_mutual_tls),
        cmocka_unit_test(test_bad_certificates_are_refused_with_a_clear_error),
        cmocka_unit_test(test_host_name_is_verified_unless_insecure),
        cmocka_unit_test(test_a_store_cannot_read_or_write_another_stores_topics))
/* clang-format on */
