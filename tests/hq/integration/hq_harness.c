/* shelfwatch-hq integration tests: the service as a process, its CLI, simulated gateways. */
#include "hq_harness.h"

#include <mosquitto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "integration/harness.h"

static pid_t hq_live[16]; /* instances not stopped: killed at exit */

static void hq_kill_live(void)
{
        for (size_t i = 0; i < sizeof(hq_live) / sizeof(hq_live[0]); i++)
                if (hq_live[i] > 0)
                        kill(hq_live[i], SIGKILL);
}

static void hq_track(pid_t pid, bool live)
{
        static bool registered;
        if (!registered) {
                atexit(hq_kill_live);
                registered = true;
        }
        for (size_t i = 0; i < sizeof(hq_live) / sizeof(hq_live[0]); i++)
                if (live ? hq_live[i] == 0 : hq_live[i] == pid) {
                        hq_live[i] = live ? pid : 0;
                        return;
                }
}

void hq_rig_up(struct hq_rig *r, const char *broker_conf)
{
        h_tmpdir(r->dir, sizeof(r->dir));
        h_broker_start(&r->broker, 0, broker_conf);
        pg_start(&r->pg);
}

void hq_rig_down(struct hq_rig *r)
{
        pg_destroy(&r->pg);
        h_broker_stop(&r->broker);
        h_rmdir(r->broker.dir);
        h_rmdir(r->dir);
}

void hq_write_conf(struct hq_proc *h, const char *dir, int broker_port, const struct pg_server *pg,
                   const struct hq_opts *o)
{
        const char *id = o && o->client_id ? o->client_id : "hq-test";
        char text[4096], tls[1200] = "";
        if (o && o->tls)
                snprintf(tls, sizeof(tls), "\n          tls: { %s };", o->tls);
        snprintf(h->conf, sizeof(h->conf), "%s/%s.conf", dir, id);
        snprintf(h->log, sizeof(h->log), "%s/%s.log", dir, id);
        snprintf(
            text, sizeof(text),
            "broker: { host = \"127.0.0.1\"; port = %d; client_id = \"%s\"; keepalive = 10;\n"
            "          reconnect_min_ms = 100; reconnect_max_ms = 1000;%s };\n"
            "database: { conninfo = \"%s\"; reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
            "batch: { max_messages = %d; max_latency_ms = %d; };\n"
            "limits: { queue_messages = %d; max_payload_bytes = %d; };\n"
            "fleet: { offline_after_s = 600; summary_stale_after_s = 900; };\n"
            "log: { level = \"info\"; stats_interval_s = 0; };\n",
            broker_port, id, tls, pg->conninfo, o && o->batch ? o->batch : 100,
            o && o->latency_ms ? o->latency_ms : 50,
            o && o->queue_messages ? o->queue_messages : 20000,
            o && o->max_payload ? o->max_payload : 65536);
        h_write_file(h->conf, text);
        h->starts = 0;
}

void hq_start(struct hq_proc *h, const char *dir, int broker_port, const struct pg_server *pg,
              const struct hq_opts *o)
{
        hq_write_conf(h, dir, broker_port, pg, o);
        hq_restart(h);
}

void hq_spawn(struct hq_proc *h)
{
        char *argv[] = {HQ_BIN, "-c", h->conf, "run", NULL};
        h->pid = h_spawn(h->log, argv);
        hq_track(h->pid, true);
        h->starts++;
}

void hq_restart(struct hq_proc *h)
{
        hq_spawn(h);
        for (int i = 0; i < 400; i++) {
                char *log = h_read_file(h->log);
                int n = h_count(log, "Connected to the broker");
                free(log);
                if (n >= h->starts)
                        return;
                assert_int_equal(waitpid(h->pid, NULL, WNOHANG), 0); /* still running */
                h_sleep_ms(25);
        }
        fail_msg("shelfwatch-hq did not connect; see %s", h->log);
}

void hq_stop(struct hq_proc *h, int sig)
{
        int st = 0;
        if (h->pid <= 0)
                return;
        kill(h->pid, sig);
        assert_int_equal(waitpid(h->pid, &st, 0), h->pid);
        hq_track(h->pid, false);
        h->pid = 0;
        if (sig == SIGTERM) {
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                        char *log = h_read_file(h->log);
                        fprintf(stderr, "%s\n", log ? log : "");
                        free(log);
                }
                assert_true(WIFEXITED(st));
                assert_int_equal(WEXITSTATUS(st), 0);
        }
}

cJSON *hq_cli_json(const struct hq_proc *h, const char *dir, ...)
{
        char *argv[24] = {HQ_BIN, "-c", (char *)h->conf}, out[512];
        size_t n = 3;
        va_list ap;
        va_start(ap, dir);
        for (char *a = va_arg(ap, char *); a && n < 21; a = va_arg(ap, char *))
                argv[n++] = a;
        va_end(ap);
        argv[n++] = "--json";
        argv[n] = NULL;
        snprintf(out, sizeof(out), "%s/cli.out", dir);
        unlink(out);
        int st = h_run(out, argv);
        char *text = h_read_file(out);
        cJSON *o = text ? cJSON_Parse(text) : NULL;
        if (st != 0 || !o)
                fprintf(stderr, "%s %s: exit %d\n%s\n", argv[3], argv[4] ? argv[4] : "", st,
                        text ? text : "");
        free(text);
        assert_int_equal(st, 0);
        assert_non_null(o);
        return o;
}

/* ---- simulated gateways ---- */

struct hq_pub {
        struct mosquitto *mosq; /* threaded libmosquitto client */
        pthread_mutex_t lock;   /* guards the counters */
        long sent;              /* publishes accepted by libmosquitto */
        long acked;             /* PUBACKs */
        bool connected;         /* CONNACK success seen */
};

static void pub_on_publish(struct mosquitto *m, void *obj, int mid, int rc,
                           const mosquitto_property *props)
{
        struct hq_pub *p = obj;
        (void)m, (void)mid, (void)rc, (void)props;
        pthread_mutex_lock(&p->lock);
        p->acked++;
        pthread_mutex_unlock(&p->lock);
}

static void pub_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                           const mosquitto_property *props)
{
        struct hq_pub *p = obj;
        (void)m, (void)flags, (void)props;
        pthread_mutex_lock(&p->lock);
        p->connected = rc == 0;
        pthread_mutex_unlock(&p->lock);
}

struct hq_pub *hq_pub_open(int port, const char *client_id)
{
        struct hq_pub *p = calloc(1, sizeof(*p));
        assert_non_null(p);
        pthread_mutex_init(&p->lock, NULL);
        mosquitto_lib_init();
        p->mosq = mosquitto_new(client_id, true, p);
        assert_non_null(p->mosq);
        mosquitto_int_option(p->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        mosquitto_max_inflight_messages_set(p->mosq, 0); /* unlimited: libmosquitto queues */
        mosquitto_publish_v5_callback_set(p->mosq, pub_on_publish);
        mosquitto_connect_v5_callback_set(p->mosq, pub_on_connect);
        assert_int_equal(mosquitto_connect_bind_v5(p->mosq, "127.0.0.1", port, 30, NULL, NULL),
                         MOSQ_ERR_SUCCESS);
        assert_int_equal(mosquitto_loop_start(p->mosq), MOSQ_ERR_SUCCESS);
        for (int i = 0; i < 200; i++) {
                pthread_mutex_lock(&p->lock);
                bool up = p->connected;
                pthread_mutex_unlock(&p->lock);
                if (up)
                        return p;
                h_sleep_ms(20);
        }
        fail_msg("simulated gateway %s did not connect", client_id);
        return NULL;
}

void hq_pub_send(struct hq_pub *p, const char *topic, const char *payload, bool retain)
{
        int rc = mosquitto_publish_v5(p->mosq, NULL, topic, (int)strlen(payload), payload, 1,
                                      retain, NULL);
        assert_int_equal(rc, MOSQ_ERR_SUCCESS);
        pthread_mutex_lock(&p->lock);
        p->sent++;
        pthread_mutex_unlock(&p->lock);
}

bool hq_pub_flush(struct hq_pub *p, int timeout_ms)
{
        for (int waited = 0;; waited += 10) {
                pthread_mutex_lock(&p->lock);
                bool done = p->acked >= p->sent;
                pthread_mutex_unlock(&p->lock);
                if (done)
                        return true;
                if (waited >= timeout_ms)
                        return false;
                h_sleep_ms(10);
        }
}

void hq_pub_close(struct hq_pub *p)
{
        if (!p)
                return;
        mosquitto_disconnect(p->mosq);
        mosquitto_loop_stop(p->mosq, false);
        mosquitto_destroy(p->mosq);
        pthread_mutex_destroy(&p->lock);
        free(p);
        mosquitto_lib_cleanup();
}

static char *printf_alloc(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        assert_true(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        return s;
}

char *hq_anomaly_json(const char *tenant, const char *store, const char *id, long long rev,
                      const char *type, const char *status, const char *category, double value,
                      double probability, long long detected_at)
{
        return printf_alloc(
            "{\"v\":\"1.1\",\"id\":\"%s\",\"rev\":%lld,\"updated_at\":%lld,\"tenant\":\"%s\","
            "\"store\":\"%s\",\"type\":\"%s\",\"severity\":\"warning\",\"status\":\"%s\","
            "\"sku\":\"SKU-%s\",\"category\":\"%s\",\"as_of\":\"2026-11-23\",\"detected_at\":%lld,"
            "\"score\":3.5,\"probability\":%.4f,\"value\":%.2f,\"currency\":\"USD\","
            "\"description\":\"test\",\"action\":\"cycle_count\",\"metadata\":{}}",
            id, rev, detected_at + rev % 100000, tenant, store, type, status, id, category,
            detected_at, probability, value);
}

char *hq_outcome_json(const char *id, const char *anomaly, const char *type, const char *outcome,
                      long long ts, double value_recovered, double prevented_value)
{
        return printf_alloc("{\"v\":\"1.1\",\"id\":\"%s\",\"anomaly\":\"%s\",\"sku\":\"SKU\","
                            "\"type\":\"%s\",\"outcome\":\"%s\",\"status\":\"resolved\","
                            "\"source\":\"command\",\"ts\":%lld,\"response_hours\":2,"
                            "\"value_recovered\":%.2f,\"prevented_value\":%.2f,"
                            "\"currency\":\"USD\"}",
                            id, anomaly, type, outcome, ts, value_recovered, prevented_value);
}
