/* hq_loadgen: N simulated stores, each an MQTT client, publish a day of HQ traffic at QoS 1. */
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <mosquitto.h>

/*
 * A store's day, in PROTOCOL 1.1's shape: `anomalies` episodes (a fifth ghost stock with
 * ghost_stock metadata), 40% republished once with a new rev and 20% twice; an outcome for
 * every fourth; a summary every 15 minutes (96); one status. About 135 messages per store with
 * the defaults. Every client connects, publishes its day (libmosquitto queues it), and waits
 * for every PUBACK; all clients are driven by one poll() loop. Prints "messages=N seconds=S".
 */

#define PAYLOAD_MAX 2048

struct store {
        struct mosquitto *mosq; /* this store's client */
        int index;              /* store number */
        long sent, acked;       /* publishes queued, PUBACKs received */
        bool connected, failed; /* CONNACK success; lost or refused */
};

static int n_anomalies = 20;
static long total_sent, total_acked;

static void publish(struct store *s, const char *kind, const char *payload)
{
        char topic[128];
        snprintf(topic, sizeof(topic), "retail/bench/s%05d/%s", s->index, kind);
        if (mosquitto_publish(s->mosq, NULL, topic, (int)strlen(payload), payload, 1, false) ==
            MOSQ_ERR_SUCCESS) {
                s->sent++;
                total_sent++;
        }
}

static void publish_anomaly(struct store *s, int i, int rev, long long day)
{
        char p[PAYLOAD_MAX];
        const char *type = i % 5 == 0   ? "ghost_stock"
                           : i % 5 == 1 ? "ml_detected"
                           : i % 5 == 2 ? "shelf_out"
                                        : "inventory_discrepancy";
        snprintf(
            p, sizeof(p),
            "{\"v\":\"1.1\",\"id\":\"s%05d-gs-20261120-SKU%05d\",\"rev\":%d,"
            "\"updated_at\":%lld,\"tenant\":\"bench\",\"store\":\"s%05d\",\"type\":\"%s\","
            "\"severity\":\"%s\",\"status\":\"%s\",\"sku\":\"SKU%05d\",\"category\":\"cat%02d\","
            "\"as_of\":\"2026-11-23\",\"detected_at\":%lld,\"score\":7.3,\"probability\":0.%04d,"
            "\"value\":%d.%02d,\"currency\":\"USD\",\"description\":\"No sales for 3 days "
            "(expected 16.8 units, p=5e-08) | Book shows 12 units\",\"action\":\"cycle_count\","
            "\"metadata\":{\"since\":\"2026-11-20\",\"on_hand\":12,\"price\":10.28,\"mode\":"
            "\"poisson\",\"model\":\"poisson\",\"run_days\":3,\"observed_units\":0,"
            "\"expected_units\":16.8,\"p_value\":5e-08,\"dispersion\":0,\"baseline_days\":53}}",
            s->index, i, rev, day + rev * 3600, s->index, type, rev > 1 ? "critical" : "warning",
            rev == 3 ? "resolved" : "open", i, i % 40, day, 5000 + i * 37 % 4999, 10 + i * 7,
            i % 100);
        publish(s, "anomaly", p);
}

static void publish_day(struct store *s)
{
        long long day = (long long)time(NULL) - 86400;
        char p[PAYLOAD_MAX];
        snprintf(p, sizeof(p),
                 "{\"v\":\"1.1\",\"state\":\"online\",\"version\":\"0.1.0\","
                 "\"started_at\":%lld,\"pos_feed\":\"ok\"}",
                 day);
        publish(s, "status", p);
        for (int i = 0; i < n_anomalies; i++) {
                publish_anomaly(s, i, 1, day);
                if (i % 5 < 2)
                        publish_anomaly(s, i, 2, day);
                if (i % 5 == 0)
                        publish_anomaly(s, i, 3, day);
                if (i % 4 == 0) {
                        snprintf(
                            p, sizeof(p),
                            "{\"v\":\"1.1\",\"id\":\"s%05d-gs-20261120-SKU%05d-o1\",\"anomaly\":"
                            "\"s%05d-gs-20261120-SKU%05d\",\"sku\":\"SKU%05d\",\"type\":"
                            "\"ghost_stock\",\"outcome\":\"%s\",\"status\":\"resolved\","
                            "\"action\":\"cycle_count\",\"source\":\"scanner\",\"ts\":%lld,"
                            "\"response_hours\":5.5,\"adjustment\":-12,\"value_recovered\":"
                            "123.36,\"prevented_value\":71.96,\"currency\":\"USD\",\"user\":"
                            "\"alice\",\"device\":\"hh-3\",\"weight\":1}",
                            s->index, i, s->index, i, i, i % 8 ? "true_positive" : "false_positive",
                            day + 7200);
                        publish(s, "outcome", p);
                }
        }
        for (int q = 0; q < 96; q++) {
                snprintf(
                    p, sizeof(p),
                    "{\"v\":\"1.1\",\"ts\":%lld,\"tenant\":\"bench\",\"store\":\"s%05d\","
                    "\"open\":{\"critical\":3,\"warning\":7,\"info\":0},\"by_type\":"
                    "{\"ghost_stock\":6,\"ml_detected\":3,\"shelf_out\":1,"
                    "\"inventory_discrepancy\":0},\"ghost_value\":812.5,\"precision\":0.42,"
                    "\"currency\":\"USD\",\"health\":{\"pos_feed\":\"ok\",\"last_pos_at\":%lld}}",
                    day + q * 900, s->index, day + q * 900 - 60);
                publish(s, "summary", p);
        }
}

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
        struct store *s = ctx;
        (void)mosq;
        s->connected = rc == 0;
        s->failed = rc != 0;
        if (rc == 0 && s->sent == 0)
                publish_day(s);
}

static void on_publish(struct mosquitto *mosq, void *ctx, int mid)
{
        struct store *s = ctx;
        (void)mosq, (void)mid;
        s->acked++;
        total_acked++;
}

static void on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
        struct store *s = ctx;
        (void)mosq;
        if (rc != 0)
                s->failed = true;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One pass over every client's socket. */
static void drive(struct store *st, int n, struct pollfd *p)
{
        for (int i = 0; i < n; i++) {
                p[i].fd = mosquitto_socket(st[i].mosq);
                p[i].events = (short)(POLLIN | (mosquitto_want_write(st[i].mosq) ? POLLOUT : 0));
                p[i].revents = 0;
        }
        (void)poll(p, (nfds_t)n, 100);
        for (int i = 0; i < n; i++) {
                if (p[i].revents & (POLLIN | POLLERR | POLLHUP))
                        mosquitto_loop_read(st[i].mosq, 64);
                if (mosquitto_want_write(st[i].mosq))
                        mosquitto_loop_write(st[i].mosq, 64);
                mosquitto_loop_misc(st[i].mosq);
        }
}

/* Create and start connecting every store's client. */
static int open_clients(struct store *st, int n, int port)
{
        for (int i = 0; i < n; i++) {
                char id[32];
                snprintf(id, sizeof(id), "bench-gw-%05d", i);
                st[i] = (struct store){.mosq = mosquitto_new(id, true, &st[i]), .index = i};
                if (!st[i].mosq)
                        return -1;
                mosquitto_max_inflight_messages_set(st[i].mosq, 100);
                mosquitto_connect_callback_set(st[i].mosq, on_connect);
                mosquitto_publish_callback_set(st[i].mosq, on_publish);
                mosquitto_disconnect_callback_set(st[i].mosq, on_disconnect);
                if (mosquitto_connect_async(st[i].mosq, "127.0.0.1", port, 600) !=
                    MOSQ_ERR_SUCCESS) {
                        fprintf(stderr, "hq_loadgen: client %d cannot connect\n", i);
                        return -1;
                }
        }
        return 0;
}

int main(int argc, char **argv)
{
        int port = 1883, n = 1000, o;
        struct rlimit rl;
        while ((o = getopt(argc, argv, "p:n:a:")) != -1) {
                if (o == 'p')
                        port = atoi(optarg);
                else if (o == 'n')
                        n = atoi(optarg);
                else if (o == 'a')
                        n_anomalies = atoi(optarg);
                else {
                        fprintf(stderr, "usage: hq_loadgen [-p PORT] [-n STORES] [-a ANOMALIES]\n");
                        return 2;
                }
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
        mosquitto_lib_init();
        struct store *st = calloc((size_t)n, sizeof(*st));
        struct pollfd *p = calloc((size_t)n, sizeof(*p));
        if (!st || !p)
                return 1;
        double start = now_s();
        if (open_clients(st, n, port) < 0)
                return 1;
        int connected = 0;
        while (connected < n || total_acked < total_sent) {
                drive(st, n, p);
                connected = 0;
                for (int i = 0; i < n; i++) {
                        if (st[i].failed) {
                                fprintf(stderr, "hq_loadgen: client %d lost its connection\n", i);
                                return 1;
                        }
                        connected += st[i].connected;
                }
                if (now_s() - start > 1800) {
                        fprintf(stderr, "hq_loadgen: timeout\n");
                        return 1;
                }
        }
        printf("stores=%d messages=%ld seconds=%.2f\n", n, total_sent, now_s() - start);
        for (int i = 0; i < n; i++) {
                mosquitto_disconnect(st[i].mosq);
                mosquitto_loop_write(st[i].mosq, 1);
                mosquitto_destroy(st[i].mosq);
        }
        free(st);
        free(p);
        mosquitto_lib_cleanup();
        return 0;
}
