/* The shipped bridge works as shipped (issue 17, item 3): the store's mosquitto runs on Debian's
 * /etc/mosquitto/mosquitto.conf layout with docs/examples/store-mosquitto.conf and
 * docs/examples/store-hq-bridge.conf in its conf.d (only addresses and paths changed), its users
 * and docs/examples/store-acl; HQ's runs docs/examples/hq-mosquitto.conf with docs/examples/hq-acl,
 * mutual TLS, the bridge's certificate named for the store. Through it: the daemon's status and
 * an anomaly out to shelfwatch-hq and PostgreSQL, HQ's receipt back in (published under the
 * ingest's identity), a command in from HQ with an MQTT v5 Response Topic and Correlation Data
 * and its reply out with both preserved; and no device of the store can forge a receipt. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "e2e.h"
#include "tests/support/test_main.h"

static const char *const store_users[][2] = {{"shelfwatchd", "daemon-pw"},
                                             {"manager/alice", "alice-pw"}};

/* Copy docs/examples/name into dir, applying the (from, to) pairs; returns the copy's path. */
static void install_example(const char *dir, const char *name, const char *const (*subs)[2],
                            size_t n_subs, char *ret_path, size_t size)
{
        char *text = e2e_example(name);
        for (size_t i = 0; i < n_subs; i++) {
                char *s = h_subst(text, subs[i][0], subs[i][1]);
                free(text);
                text = s;
        }
        snprintf(ret_path, size, "%s/%s", dir, name);
        h_write_file(ret_path, text);
        assert_int_equal(chmod(ret_path, 0644), 0);
        free(text);
}

/* Run argv, return its stdout (malloc'd) and exit status. */
static char *run_output(const char *dir, char *const argv[], int *ret_status)
{
        char out[512];
        snprintf(out, sizeof(out), "%s/run.out", dir);
        unlink(out);
        *ret_status = h_run(out, argv);
        char *text = h_read_file(out);
        return text ? text : strdup("");
}

/* Wait up to 10 s for a message on topic whose payload is needle (whole) or holds it. */
static bool await_message(struct h_collector *c, const char *topic, const char *needle, bool whole)
{
        bool seen = false;
        for (int t = 0; t < 200 && !seen; t++) {
                for (size_t i = 0; i < h_collector_count(c) && !seen; i++) {
                        char *tp = h_collector_topic(c, i), *m = h_collector_get(c, i);
                        seen = strcmp(tp, topic) == 0 &&
                               (whole ? strcmp(m, needle) == 0 : strstr(m, needle) != NULL);
                        free(tp);
                        free(m);
                }
                if (!seen)
                        h_sleep_ms(50);
        }
        return seen;
}

static void test_bridge_as_shipped(void **state)
{
        char certs[256], hq_conf[512], path[512];
        char port_line[64], to[8][600], corr_out[2048];
        /* Set up here as shipped (TLS, users, ACLs); e2e_down takes it down. */
        struct e2e e = {.mode = E2E_BRIDGE, .n_ingest = 1};
        struct h_broker *hq = &e.hq, *store = &e.store;
        const char *dir = e.dir;
        (void)state;
        h_tmpdir(e.dir, sizeof(e.dir));
        h_tmpdir(certs, sizeof(certs));
        assert_int_equal(chmod(certs, 0755), 0);
        static const char *const clients[] = {"s0042", "hq-ingest", NULL};
        h_make_test_certs(certs, clients);

        /* HQ: hq-mosquitto.conf and hq-acl, paths moved. */
        h_tmpdir(hq->dir, sizeof(hq->dir));
        assert_int_equal(chmod(hq->dir, 0777), 0);
        hq->port = sw_test_free_port();
        snprintf(to[0], sizeof(to[0]), "acl_file %s/hq-acl", hq->dir);
        snprintf(to[1], sizeof(to[1]), "persistence_location %s/", hq->dir);
        snprintf(to[2], sizeof(to[2]), "listener %d 127.0.0.1", hq->port);
        snprintf(to[3], sizeof(to[3]), "cafile %s/ca.crt", certs);
        snprintf(to[4], sizeof(to[4]), "certfile %s/server.crt", certs);
        snprintf(to[5], sizeof(to[5]), "keyfile %s/server.key", certs);
        const char *const hq_subs[][2] = {
            {"acl_file /etc/mosquitto/hq-acl", to[0]},
            {"persistence_location /var/lib/mosquitto/", to[1]},
            {"listener 8883", to[2]},
            {"cafile /etc/mosquitto/ca/stores-ca.crt", to[3]},
            {"certfile /etc/mosquitto/certs/hq.example.com.crt", to[4]},
            {"keyfile /etc/mosquitto/certs/hq.example.com.key", to[5]}};
        install_example(hq->dir, "hq-mosquitto.conf", hq_subs, 6, hq_conf, sizeof(hq_conf));
        install_example(hq->dir, "hq-acl", NULL, 0, path, sizeof(path));
        h_broker_start_file(hq, hq->port, hq_conf);

        /* The store: Debian's mosquitto.conf, conf.d/store-hq-bridge.conf (with certificates) and
         * conf.d/store-mosquitto.conf, the password file and store-acl. */
        h_tmpdir(store->dir, sizeof(store->dir));
        store->port = sw_test_free_port();
        e2e_store_broker_files(store->dir, hq->port, certs, NULL, e.store_conf,
                               sizeof(e.store_conf));
        char passwd[512], acl_dst[512], confd[300];
        snprintf(passwd, sizeof(passwd), "%s/store-passwd", store->dir);
        h_write_file(passwd, "");
        for (size_t i = 0; i < 2; i++) {
                char *argv[] = {"mosquitto_passwd",        "-b", passwd, (char *)store_users[i][0],
                                (char *)store_users[i][1], NULL};
                assert_int_equal(h_run(NULL, argv), 0);
        }
        assert_int_equal(chmod(passwd, 0644), 0);
        install_example(store->dir, "store-acl", NULL, 0, acl_dst, sizeof(acl_dst));
        snprintf(port_line, sizeof(port_line), "listener %d 127.0.0.1", store->port);
        snprintf(to[6], sizeof(to[6]), "password_file %s", passwd);
        snprintf(to[7], sizeof(to[7]), "acl_file %s", acl_dst);
        const char *const store_subs[][2] = {{"listener 1883", port_line},
                                             {"password_file /etc/mosquitto/store-passwd", to[6]},
                                             {"acl_file /etc/mosquitto/store-acl", to[7]}};
        snprintf(confd, sizeof(confd), "%s/conf.d", store->dir);
        install_example(confd, "store-mosquitto.conf", store_subs, 3, path, sizeof(path));
        h_broker_start_file(store, store->port, e.store_conf);

        /* The bridge is up: its state "1" on the store's side (notification_topic). */
        struct h_collector *at_store =
            h_collector_start_as(store->port, E2E_PREFIX "/#", "shelfwatchd", "daemon-pw");
        if (!await_message(at_store, E2E_PREFIX "/bridge/state", "1", true)) {
                char log[512];
                snprintf(log, sizeof(log), "%s/mosquitto.log", store->dir);
                char *text = h_read_file(log);
                fail_msg("the bridge did not come up:\n%s", text ? text : "");
        }

        /* HQ's ingest as hq-ingest (certificate), and the daemon as shelfwatchd. */
        pg_start(&e.pg);
        char tls[1200];
        snprintf(tls, sizeof(tls),
                 "ca_file = \"%s/ca.crt\"; cert_file = \"%s/hq-ingest.crt\"; key_file = "
                 "\"%s/hq-ingest.key\";",
                 certs, certs, certs);
        hq_start(&e.ingest[0], dir, hq->port, &e.pg, &(struct hq_opts){.tls = tls});
        char conf[1024];
        snprintf(conf, sizeof(conf),
                 "store: { tenant = \"acme\"; id = \"s0042\"; };\n"
                 "broker: { port = %d; username = \"shelfwatchd\"; password = \"daemon-pw\";\n"
                 "          reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
                 "storage: { path = \"%s/sw.db\"; };\n",
                 store->port, dir);
        h_set_credentials("manager/alice", "alice-pw");
        h_daemon_start_at(&e.d, dir, conf, store->port, E2E_PREFIX);

        /* Out: the daemon's retained status reaches PostgreSQL. */
        PGconn *c = e.db = pg_connect(&e.pg, NULL);
        long long online = 0;
        for (int t = 0; t < 200 && online == 0; t++) {
                online = pg_number(c, "SELECT count(*) FROM store_status WHERE tenant = 'acme' AND "
                                      "store = 's0042' AND state = 'online'");
                if (online == 0)
                        h_sleep_ms(50);
        }
        assert_int_equal(online, 1);

        /* Out and back: an anomaly in the shape of PROTOCOL 1.1 (published with the daemon's
         * rights) is stored, and HQ's receipt for it comes in over the bridge. */
        char *a = hq_anomaly_json("acme", "s0042", "bridge-a1", 2, "ghost_stock", "open", "dairy",
                                  12.5, 0.7, (long long)time(NULL) - 3600);
        assert_int_equal(
            h_publish_as(store->port, E2E_PREFIX "/anomaly", a, "shelfwatchd", "daemon-pw"), 0);
        free(a);
        bool receipted = await_message(at_store, E2E_PREFIX "/hq/receipt",
                                       "\"id\":\"bridge-a1\",\"rev\":2", false);
        assert_int_equal(pg_number(c, "SELECT rev FROM anomaly WHERE store = 's0042' AND id = "
                                      "'bridge-a1'"),
                         2);
        assert_true(receipted);

        /* In and out: a command from HQ with a Response Topic and Correlation Data, as
         * shelfwatch-hq serve sends them (its identity: hq-ingest), answered by the daemon. */
        char portbuf[16], ca[300], cert[300], key[300];
        snprintf(portbuf, sizeof(portbuf), "%d", hq->port);
        snprintf(ca, sizeof(ca), "%s/ca.crt", certs);
        snprintf(cert, sizeof(cert), "%s/hq-ingest.crt", certs);
        snprintf(key, sizeof(key), "%s/hq-ingest.key", certs);
        char *rr[] = {"mosquitto_rr",
                      "-h",
                      "127.0.0.1",
                      "-p",
                      portbuf,
                      "--cafile",
                      ca,
                      "--cert",
                      cert,
                      "--key",
                      key,
                      "-t",
                      E2E_PREFIX "/cmd/health",
                      "-e",
                      E2E_PREFIX "/reply/hq-api-test",
                      "-m",
                      "{}",
                      "-q",
                      "1",
                      "-D",
                      "publish",
                      "correlation-data",
                      "corr-17",
                      "-F",
                      "%D|%p",
                      "-W",
                      "10",
                      NULL};
        int st;
        char *reply = run_output(dir, rr, &st);
        snprintf(corr_out, sizeof(corr_out), "%s", reply);
        free(reply);
        print_message("HQ's command over the bridge: exit %d, reply %.120s\n", st, corr_out);
        assert_int_equal(st, 0);
        assert_true(strncmp(corr_out, "corr-17|{\"ok\":true", strlen("corr-17|{\"ok\":true")) == 0);

        /* A device of the store cannot forge HQ's receipt: store-acl gives no one P/hq/receipt
         * (only the bridge brings it in). */
        size_t before = h_collector_count(at_store);
        assert_int_equal(h_publish_as(store->port, E2E_PREFIX "/hq/receipt",
                                      "{\"ids\":[{\"id\":\"forged\",\"rev\":9}]}", "manager/alice",
                                      "alice-pw"),
                         0);
        h_publish_as(store->port, E2E_PREFIX "/anomaly", "{\"marker\":1}", "shelfwatchd",
                     "daemon-pw"); /* a message after it, to know the first would have arrived */
        h_collector_wait(at_store, before + 1, 5000);
        h_sleep_ms(200);
        for (size_t i = before; i < h_collector_count(at_store); i++) {
                char *m = h_collector_get(at_store, i);
                assert_null(strstr(m, "forged"));
                free(m);
        }

        h_collector_stop(at_store);
        h_set_credentials(NULL, NULL);
        e2e_down(&e);
        h_rmdir(certs);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(NULL, h_teardown,
        cmocka_unit_test(test_bridge_as_shipped))
/* clang-format on */
