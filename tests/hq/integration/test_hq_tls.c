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

struct rig {
        char dir[256];        /* the instance's files */
        struct h_broker b;    /* a plain listener (the test's clients) and a TLS one */
        int tls_port;         /* the TLS listener: require_certificate */
        struct pg_server pg;  /* the database */
        char tls[1024];       /* broker.tls settings with the right CA */
        char wrong_tls[1024]; /* ... with a CA that did not sign the broker */
};

static void rig_up(struct rig *r)
{
        char extra[1536];
        *r = (struct rig){0};
        h_tmpdir(r->dir, sizeof(r->dir));
        h_tmpdir(r->b.dir, sizeof(r->b.dir));
        assert_int_equal(chmod(r->b.dir, 0755), 0);
        static const char *const clients[] = {"hq", NULL};
        h_make_test_certs(r->b.dir, clients);
        const char *d = r->b.dir;
        r->tls_port = h_free_port();
        snprintf(extra, sizeof(extra),
                 "listener %d 127.0.0.1\ncafile %s/ca.crt\ncertfile %s/server.crt\n"
                 "keyfile %s/server.key\nrequire_certificate true\ntls_version tlsv1.2\n",
                 r->tls_port, d, d, d);
        h_broker_start(&r->b, 0, extra);
        snprintf(r->tls, sizeof(r->tls),
                 "ca_file = \"%s/ca.crt\"; cert_file = \"%s/hq.crt\"; key_file = \"%s/hq.key\";", d,
                 d, d);
        snprintf(r->wrong_tls, sizeof(r->wrong_tls),
                 "ca_file = \"%s/other-ca.crt\"; cert_file = \"%s/hq.crt\"; key_file = "
                 "\"%s/hq.key\";",
                 d, d, d);
        pg_start(&r->pg);
}

static void rig_down(struct rig *r)
{
        pg_destroy(&r->pg);
        h_broker_stop(&r->b);
        h_rmdir(r->b.dir);
        h_rmdir(r->dir);
}

/* An anomaly published on the plain listener is stored by the instance on the TLS one, and its
 * receipt comes back through the TLS receipt link. */
static void test_ingest_over_tls(void **state)
{
        struct rig r;
        struct hq_proc hq = {0};
        (void)state;
        rig_up(&r);
        hq_start(&hq, r.dir, r.tls_port, &r.pg, &(struct hq_opts){.tls = r.tls});
        struct h_collector *col = h_collector_start(r.b.port, "retail/+/+/hq/receipt");
        struct hq_pub *g = hq_pub_open(r.b.port, "gw-tls");
        char *p = hq_anomaly_json("acme", "s1", "a1", 1, "ghost_stock", "open", "dairy", 10, 0.5,
                                  (long long)time(NULL) - 3600);
        hq_pub_send(g, "retail/acme/s1/anomaly", p, false);
        free(p);
        assert_true(hq_pub_flush(g, 10000));
        assert_int_equal(h_collector_wait(col, 1, 10000), 1);
        char *t = h_collector_topic(col, 0), *body = h_collector_get(col, 0);
        assert_string_equal(t, "retail/acme/s1/hq/receipt");
        assert_non_null(strstr(body, "\"id\":\"a1\",\"rev\":1"));
        free(t);
        free(body);
        PGconn *c = pg_connect(&r.pg, NULL);
        assert_int_equal(pg_number(c, "SELECT count(*) FROM anomaly WHERE id = 'a1'"), 1);
        PQfinish(c);
        hq_stop(&hq, SIGTERM);
        hq_pub_close(g);
        h_collector_stop(col);
        rig_down(&r);
}

/* A CA that did not sign the broker: the handshake is refused, said once in the log with
 * OpenSSL's reason, and nothing is read. */
static void test_wrong_ca_refused(void **state)
{
        struct rig r;
        struct hq_proc hq = {0};
        (void)state;
        rig_up(&r);
        hq_write_conf(&hq, r.dir, r.tls_port, &r.pg, &(struct hq_opts){.tls = r.wrong_tls});
        hq_spawn(&hq);
        char *log = NULL;
        for (int i = 0; i < 200; i++) {
                free(log);
                log = h_read_file(hq.log);
                if (log && strstr(log, "TLS handshake refused"))
                        break;
                h_sleep_ms(50);
        }
        assert_non_null(log);
        assert_non_null(strstr(log, "TLS handshake refused"));
        assert_non_null(strstr(log, "certificate verify failed"));
        h_sleep_ms(1500); /* retries with backoff: the reason is not logged again */
        free(log);
        log = h_read_file(hq.log);
        assert_int_equal(h_count(log, "TLS handshake refused"), 1);
        assert_null(strstr(log, "Connected to the broker"));
        free(log);
        hq_stop(&hq, SIGTERM);
        rig_down(&r);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_ingest_over_tls),
        cmocka_unit_test(test_wrong_ca_refused))
/* clang-format on */
