/* The local broker restarts (or the daemon goes away) mid-stream: reconnect with backoff and
 * jitter, resubscribe, and count exactly which PUBACKed QoS 1 device messages were not applied. */
#include <arpa/inet.h>
#include <errno.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX  "retail/demo/store1"
#define RATE    300 /* receipts per second the device tries to send */
#define SECONDS 7   /* of sending: RATE * SECONDS receipts, each with its own id and SKU */
#define TOTAL   (RATE * SECONDS)
#define TS_STEP 120 /* seconds of event time between receipts: TOTAL receipts span ~3 days */
/* Every broker here keeps whatever it queues for the daemon (mosquitto's default
 * max_queued_messages 1000 would drop the rest: a different, configured loss). */
#define BROKER_BASE "max_queued_messages 0\n"

/* ---- a device: one libmosquitto client on its own thread, QoS 1, unique ids ---- */

struct device {
        struct mosquitto *m;        /* MQTT 3.1.1 client, clean session */
        pthread_t thread;           /* runs device_run */
        pthread_mutex_t lock;       /* guards everything below */
        int port;                   /* local broker */
        int64_t ts0;                /* event time of receipt 0 */
        double t0;                  /* when sending started (monotonic s) */
        int next;                   /* receipts handed to libmosquitto */
        int mid_idx[65536];         /* mid -> receipt index + 1 */
        unsigned char acked[TOTAL]; /* PUBACK seen for receipt i */
        int n_acked;                /* sum of acked */
        int reconnects;             /* successful reconnects after the first connect */
        bool connected;             /* CONNACK seen, not lost since */
        bool hold;                  /* do not try to reconnect (the test listens on the port) */
        bool stop;                  /* thread exits */
};

static void device_on_connect(struct mosquitto *m, void *ctx, int rc)
{
        struct device *dv = ctx;
        (void)m;
        if (rc == 0)
                dv->connected = true; /* only this thread touches it while it runs */
}

static void device_on_publish(struct mosquitto *m, void *ctx, int mid)
{
        struct device *dv = ctx;
        (void)m;
        pthread_mutex_lock(&dv->lock);
        int i = dv->mid_idx[mid & 0xffff] - 1;
        if (i >= 0 && !dv->acked[i]) {
                dv->acked[i] = 1;
                dv->n_acked++;
        }
        pthread_mutex_unlock(&dv->lock);
}

static void device_publish(struct device *dv, int i)
{
        char payload[256], topic[] = PREFIX "/receipt";
        int mid = 0;
        int n =
            snprintf(payload, sizeof(payload),
                     "{\"id\":\"rcpt-%05d\",\"ts\":%lld,\"lines\":[{\"sku\":\"R%05d\",\"qty\":1}]}",
                     i, (long long)(dv->ts0 + (int64_t)i * TS_STEP), i);
        pthread_mutex_lock(&dv->lock);
        /* Queued by libmosquitto even if the socket just broke: it sends it again on reconnect. */
        (void)mosquitto_publish(dv->m, &mid, topic, n, payload, 1, false);
        if (mid > 0)
                dv->mid_idx[mid & 0xffff] = i + 1;
        dv->next = i + 1;
        pthread_mutex_unlock(&dv->lock);
}

/* Sends at RATE while connected; what fell due while the broker was away goes in a burst after
 * the reconnect, as a device with a local buffer does. Reconnects every 50 ms. */
static void *device_run(void *arg)
{
        struct device *dv = arg;
        bool ever = false;
        while (!dv->stop) {
                if (!dv->connected) {
                        bool hold;
                        pthread_mutex_lock(&dv->lock);
                        hold = dv->hold;
                        pthread_mutex_unlock(&dv->lock);
                        int rc = hold   ? MOSQ_ERR_NO_CONN
                                 : ever ? mosquitto_reconnect(dv->m)
                                        : mosquitto_connect(dv->m, "127.0.0.1", dv->port, 30);
                        if (rc != MOSQ_ERR_SUCCESS) {
                                h_sleep_ms(50);
                                continue;
                        }
                        /* Wait for the CONNACK. */
                        for (int k = 0; k < 200 && !dv->connected && rc == MOSQ_ERR_SUCCESS; k++)
                                rc = mosquitto_loop(dv->m, 10, 1);
                        if (!dv->connected) {
                                h_sleep_ms(50);
                                continue;
                        }
                        pthread_mutex_lock(&dv->lock);
                        if (ever)
                                dv->reconnects++;
                        else
                                dv->t0 = h_mono_s();
                        pthread_mutex_unlock(&dv->lock);
                        ever = true;
                }
                int due = (int)((h_mono_s() - dv->t0) * RATE);
                for (int i = dv->next; i < due && i < TOTAL; i++)
                        device_publish(dv, i);
                if (mosquitto_loop(dv->m, 5, 1) != MOSQ_ERR_SUCCESS)
                        dv->connected = false;
        }
        return NULL;
}

static struct device *device_start(int port, int64_t ts0)
{
        struct device *dv = calloc(1, sizeof(*dv));
        assert_non_null(dv);
        mosquitto_lib_init();
        pthread_mutex_init(&dv->lock, NULL);
        dv->port = port;
        dv->ts0 = ts0;
        dv->m = mosquitto_new(NULL, true, dv);
        assert_non_null(dv->m);
        mosquitto_connect_callback_set(dv->m, device_on_connect);
        mosquitto_publish_callback_set(dv->m, device_on_publish);
        assert_int_equal(pthread_create(&dv->thread, NULL, device_run, dv), 0);
        return dv;
}

static void device_hold(struct device *dv, bool hold)
{
        pthread_mutex_lock(&dv->lock);
        dv->hold = hold;
        pthread_mutex_unlock(&dv->lock);
}

static int device_sent(struct device *dv, int *ret_acked)
{
        pthread_mutex_lock(&dv->lock);
        int n = dv->next;
        *ret_acked = dv->n_acked;
        pthread_mutex_unlock(&dv->lock);
        return n;
}

/* Wait until every receipt was sent and acknowledged (or timeout_s), then stop the device. */
static void device_finish(struct device *dv, int timeout_s)
{
        int acked = 0;
        for (int i = 0; i < timeout_s * 10; i++) {
                if (device_sent(dv, &acked) == TOTAL && acked == TOTAL)
                        break;
                h_sleep_ms(100);
        }
        dv->stop = true;
        pthread_join(dv->thread, NULL);
        mosquitto_disconnect(dv->m);
        mosquitto_destroy(dv->m);
}

/* ---- the daemon's side ---- */

/* Receipts the daemon counted (accepted + duplicates), once that stops growing. */
static void wait_quiet(int port, double *ret_accepted, double *ret_duplicates)
{
        double last = -1, acc = 0, dup = 0;
        for (int i = 0; i < 60; i++) {
                cJSON *h = h_health(port, PREFIX);
                acc = h_json_number(h, "messages.accepted.receipt");
                dup = h_json_number(h, "messages.duplicates.receipt");
                cJSON_Delete(h);
                if (acc + dup == last)
                        break;
                last = acc + dup;
                h_sleep_ms(300);
        }
        *ret_accepted = acc;
        *ret_duplicates = dup;
}

/* Which receipts the daemon applied: each has its own SKU, and a clean stop writes them all. */
static int applied_from_db(const char *dir, unsigned char *applied)
{
        char path[512];
        sqlite3 *db;
        sqlite3_stmt *st;
        int n = 0;
        snprintf(path, sizeof(path), "%s/sw.db", dir);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT sku FROM sku_state", -1, &st, NULL),
                         SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
                int i;
                const char *sku = (const char *)sqlite3_column_text(st, 0);
                if (sku && sscanf(sku, "R%d", &i) == 1 && i >= 0 && i < TOTAL && !applied[i]) {
                        applied[i] = 1;
                        n++;
                }
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return n;
}

/* While the broker is away, listen on its port ourselves and note when the daemon tries to
 * connect (each attempt is accepted and closed at once, a failed attempt for the daemon). */
static int watch_attempts(int port, int ms, double *ret_at, int max)
{
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1, n = 0, fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 16), 0);
        double end = h_mono_s() + ms / 1000.0;
        while (h_mono_s() < end) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, (int)((end - h_mono_s()) * 1000) + 1) <= 0)
                        continue;
                int c = accept(fd, NULL, NULL);
                if (c < 0)
                        continue;
                if (n < max)
                        ret_at[n++] = h_mono_s();
                close(c);
        }
        close(fd);
        return n;
}

enum fault {
        BROKER_RESTART, /* SIGTERM the broker, listen on its port a while, start it again */
        BROKER_CRASH,   /* the same with SIGKILL (a crash, a power cut of the broker alone) */
        DAEMON_AWAY,    /* SIGKILL the daemon, start it again a while later; broker stays */
};

struct outcome {
        int sent;          /* receipts the device handed to libmosquitto */
        int acked;         /* of those, PUBACKed by the broker */
        int applied;       /* of all, applied by the daemon (its SKU exists) */
        int lost;          /* PUBACKed, not applied */
        int lost_runs;     /* contiguous runs of lost receipt indexes */
        double duplicates; /* redeliveries the daemon counted (last daemon process only) */
        double accepted;   /* first deliveries the daemon counted (last daemon process only) */
        int connects;      /* local connects of the last daemon process */
        int failures;      /* its failed connect attempts */
};

/* One run: the device sends TOTAL receipts; at 1 s and 4.5 s into it, the fault. With persist,
 * the broker keeps its sessions and queues on disk across its restarts. */
static struct outcome run(enum fault fault, bool persist, const char *label)
{
        struct h_broker b = {0};
        struct h_daemon d = {0};
        char dir[256], conf[1024], extra[1024];
        static unsigned char applied[TOTAL], acked[TOTAL];
        struct outcome o = {0};
        double attempts[64];
        int n_attempts = 0;

        h_tmpdir(dir, sizeof(dir));
        h_tmpdir(b.dir, sizeof(b.dir));
        if (persist)
                snprintf(extra, sizeof(extra),
                         BROKER_BASE "persistence true\npersistence_location %s/\n", b.dir);
        else
                snprintf(extra, sizeof(extra), BROKER_BASE);
        h_broker_start(&b, 0, extra);
        h_config(conf, sizeof(conf), b.port, dir, NULL);
        h_daemon_start(&d, dir, conf, b.port);
        struct device *dv = device_start(b.port, (int64_t)time(NULL) - 3 * 86400);

        double t0 = h_mono_s();
        for (int k = 0; k < 2; k++) {
                while (h_mono_s() - t0 < (k == 0 ? 1.0 : 4.5))
                        h_sleep_ms(20);
                if (fault == BROKER_RESTART || fault == BROKER_CRASH) {
                        device_hold(dv, true);
                        if (fault == BROKER_CRASH) {
                                kill(b.pid, SIGKILL);
                                h_wait(b.pid);
                                b.pid = 0;
                        } else {
                                h_broker_stop(&b);
                        }
                        /* The first outage is long enough to see the backoff grow. */
                        n_attempts = watch_attempts(b.port, k == 0 ? 2000 : 600, attempts, 64);
                        h_broker_start(&b, b.port, extra);
                        device_hold(dv, false);
                        if (k == 0) {
                                print_message(
                                    "%s: daemon connect attempts while the broker was away "
                                    "(ms after the first):",
                                    label);
                                for (int i = 0; i < n_attempts; i++)
                                        print_message(" %.0f", (attempts[i] - attempts[0]) * 1000);
                                print_message("\n");
                                /* Capped exponential backoff (100 ms .. 1 s here): a few attempts,
                                 * growing gaps, none much over the cap, and jitter. */
                                assert_true(n_attempts >= 3 && n_attempts <= 12);
                                double first = attempts[1] - attempts[0], maxgap = 0;
                                for (int i = 1; i < n_attempts; i++) {
                                        double gap = attempts[i] - attempts[i - 1];
                                        maxgap = gap > maxgap ? gap : maxgap;
                                }
                                assert_true(maxgap > first);
                                assert_true(maxgap < 1.4);
                        }
                } else {
                        h_daemon_stop(&d, SIGKILL);
                        h_sleep_ms(1000);
                        h_daemon_start(&d, dir, conf, b.port);
                }
        }
        device_finish(dv, 20);
        o.sent = dv->next;
        o.acked = dv->n_acked;
        memcpy(acked, dv->acked, sizeof(acked));
        print_message("%s: device reconnected %d times\n", label, dv->reconnects);
        pthread_mutex_destroy(&dv->lock);
        free(dv);

        wait_quiet(b.port, &o.accepted, &o.duplicates);
        cJSON *h = h_health(b.port, PREFIX);
        o.connects = (int)h_json_number(h, "brokers.local.connects");
        o.failures = (int)h_json_number(h, "brokers.local.connect_failures");
        assert_string_equal(h_json_string(h, "brokers.local.state"), "connected");
        cJSON_Delete(h);
        h_daemon_stop(&d, SIGTERM);
        h_broker_stop(&b);

        memset(applied, 0, sizeof(applied));
        o.applied = applied_from_db(dir, applied);
        /* Lost: PUBACKed but never applied (one not PUBACKed is the device's to resend). */
        bool in_run = false;
        print_message("%s: lost receipt indexes:", label);
        for (int i = 0; i < TOTAL; i++) {
                bool lost = acked[i] && !applied[i];
                if (lost)
                        o.lost++;
                if (lost && !in_run) {
                        o.lost_runs++;
                        print_message(" %d", i);
                } else if (!lost && in_run) {
                        print_message("-%d", i - 1);
                }
                in_run = lost;
        }
        if (in_run)
                print_message("-%d", TOTAL - 1);
        print_message("\n%s: sent %d, PUBACKed %d, applied %d, lost %d (%d runs), duplicates %.0f, "
                      "daemon connects %d, failed attempts %d\n",
                      label, o.sent, o.acked, o.applied, o.lost, o.lost_runs, o.duplicates,
                      o.connects, o.failures);
        /* All sent and acknowledged: every loss is a PUBACKed message that never arrived. */
        assert_int_equal(o.sent, TOTAL);
        assert_int_equal(o.acked, TOTAL);
        /* Traffic after the last fault is applied: the daemon is connected and subscribed. */
        for (int i = TOTAL - RATE / 2; i < TOTAL; i++)
                if (!applied[i])
                        fail_msg("%s: receipt %d, sent after the last fault, was not applied",
                                 label, i);
        h_rmdir(b.dir);
        h_rmdir(dir);
        return o;
}

static void test_broker_restart_without_persistence_loses_its_queue(void **state)
{
        (void)state;
        struct outcome o = run(BROKER_RESTART, false, "restart, persistence false");
        /* The daemon reconnected after the restarts, and resubscribed (the tail arrived). Under
         * qemu both restarts can fall inside one reconnect wait: then 2 connects, not 3. */
        assert_in_range(o.connects, 2, 3);
        assert_true(o.failures >= 3);
        /* The daemon's own count agrees with its database. */
        assert_int_equal((int)o.accepted, o.applied);
}

static void test_broker_restart_with_persistence_loses_nothing(void **state)
{
        (void)state;
        struct outcome o = run(BROKER_RESTART, true, "restart, persistence true");
        assert_in_range(o.connects, 2, 3);
        assert_int_equal((int)o.accepted, o.applied);
        assert_int_equal(o.lost, 0);
}

static void test_broker_crash_with_persistence_loses_since_its_last_save(void **state)
{
        (void)state;
        /* mosquitto writes its persistence file on a clean stop and every autosave_interval
         * (default 1800 s): a crash in between restarts from the last file, here none. */
        struct outcome o = run(BROKER_CRASH, true, "crash (SIGKILL), persistence true");
        assert_in_range(o.connects, 2, 3);
        assert_int_equal((int)o.accepted, o.applied);
}

static void test_daemon_away_loses_nothing(void **state)
{
        (void)state;
        struct outcome o = run(DAEMON_AWAY, false, "daemon kill -9, broker up");
        assert_int_equal(o.lost, 0);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_broker_restart_without_persistence_loses_its_queue,
                                  h_teardown),
        cmocka_unit_test_teardown(test_broker_restart_with_persistence_loses_nothing,
                                  h_teardown),
        cmocka_unit_test_teardown(test_broker_crash_with_persistence_loses_since_its_last_save,
                                  h_teardown),
        cmocka_unit_test_teardown(test_daemon_away_loses_nothing, h_teardown))
/* clang-format on */
