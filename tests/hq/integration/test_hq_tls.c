/* shelfwatch-hq over TLS: both links (ingest and receipts) to a real mosquitto TLS listener
 * that requires a client certificate, and a refused handshake (a CA that does not sign the
 * broker) that is logged and never ingests. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "hq_harness.h"
#include "integration/harness.h"
#include "tests/support/test_main.h"

/* What every test gets fresh. */
static struct world {
        struct hq_rig r;   /* folder, database, broker (a plain listener: the test's clients) */
        int tls_port;      /* the broker's TLS listener: require_certificate */
        struct hq_proc hq; /* the instance, on the TLS listener */
} w;

/* Certificates, the broker with its TLS listener, the database. */
static int setup(void **state)
{
        char extra[1536];
        (void)state;
        w = (struct world){0};
        h_tmpdir(w.r.broker.dir, sizeof(w.r.broker.dir));
        assert_int_equal(chmod(w.r.broker.dir, 0755), 0);
        static const char *const clients[] = {"hq", NULL};
        h_make_test_certs(w.r.broker.dir, clients);
        const char *d = w.r.broker.dir;
        w.tls_port = sw_test_free_port();
        snprintf(extra, sizeof(extra),
                 "listener %d 127.0.0.1\ncafile %s/ca.crt\ncertfile %s/server.crt\n"
                 "keyfile %s/server.key\nrequire_certificate true\ntls_version tlsv1.2\n",
                 w.tls_port, d, d, d);
        hq_rig_up(&w.r, extra);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        hq_stop(&w.hq, SIGTERM);
        hq_rig_down(&w.r);
        return 0;
}

/* The instance's config for the TLS listener, trusting ca_file of the broker's folder ("ca.crt"
 * signed the broker, "other-ca.crt" did not). */
static void write_conf(const char *ca_file)
{
        char tls[1024];
        const char *d = w.r.broker.dir;
        snprintf(tls, sizeof(tls),
                 "ca_file = \"%s/%s\"; cert_file = \"%s/hq.crt\"; key_file = \"%s/hq.key\";", d,
                 ca_file, d, d);
        hq_write_conf(&w.hq, w.r.dir, w.tls_port, &w.r.pg, &(struct hq_opts){.tls = tls});
}

/* An anomaly published on the plain listener is stored by the instance on the TLS one, and its
 * receipt comes back through the TLS receipt link. */
static void test_ingest_over_tls(void **state)
{
        (void)state;
        write_conf("ca.crt");
        hq_restart(&w.hq); /* the first start: waits until connected */
        struct h_collector *col = h_collector_start(w.r.broker.port, "retail/+/+/hq/receipt");
        struct hq_pub *g = hq_pub_open(w.r.broker.port, "gw-tls");
        char *p = hq_anomaly_json("acme", "s1", "a1", 1, "ghost_stock", "open", "dairy", 10, 0.5,
                                  (long long)time(NULL) - 3600);
        hq_pub_send(g, "retail/acme/s1/anomaly", p, false);
        free(p);
        assert_true(hq_pub_flush(g, 10000));
        assert_int_equal(h_collector_wait(col, 1, 10000), 1);
        char *topic = h_collector_topic(col, 0), *body = h_collector_get(col, 0);
        assert_string_equal(topic, "retail/acme/s1/hq/receipt");
        assert_non_null(strstr(body, "\"id\":\"a1\",\"rev\":1"));
        free(topic);
        free(body);
        PGconn *c = pg_connect(&w.r.pg, NULL);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly WHERE id = 'a1'"), 1);
        PQfinish(c);
        hq_pub_close(g);
        h_collector_stop(col);
}

/* A CA that did not sign the broker: the handshake is refused, said once in the log with
 * OpenSSL's reason, and nothing is read. */
static void test_wrong_ca_refused(void **state)
{
        (void)state;
        write_conf("other-ca.crt");
        hq_spawn(&w.hq);
        char *log = NULL;
        for (int i = 0; i < 200; i++) {
                free(log);
                log = h_read_file(w.hq.log);
                if (log && strstr(log, "TLS handshake refused"))
                        break;
                h_sleep_ms(50);
        }
        assert_non_null(log);
        assert_non_null(strstr(log, "TLS handshake refused"));
        assert_non_null(strstr(log, "certificate verify failed"));
        h_sleep_ms(1500); /* retries with backoff: the reason is not logged again */
        free(log);
        log = h_read_file(w.hq.log);
        assert_int_equal(h_count(log, "TLS handshake refused"), 1);
        assert_null(strstr(log, "Connected to the broker"));
        free(log);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_ingest_over_tls),
        SW_TEST_FRESH(test_wrong_ca_refused))
/* clang-format on */
