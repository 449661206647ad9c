/* Load generator: POS and shelf traffic at QoS 1, as fast as the broker accepts it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

/*
 * One libmosquitto client (MQTT 3.1.1), driven by its own poll() loop on one thread. At most
 * max_inflight QoS 1 publishes await their PUBACK at any time; a new one is sent as soon as one
 * is acknowledged. Payloads follow /work/shared/PROTOCOL.md: P/pos/{register} carries
 * {"id","ts","lines":[{"sku","qty","price"}]} with a unique id ("{run}-{n}"), and (every
 * shelf_every-th message) P/shelf/{sensor} carries {"ts","sku","count"}. SKU keys are
 * "SKU%07u", the names bench_state_gen writes, so traffic can hit a restored state.
 * When every PUBACK is in it prints one line of key=value figures.
 */

#define LOADGEN_PAYLOAD_MAX 16384

struct loadgen {
        struct mosquitto *mosq; /* the client */
        uint64_t sent;          /* publishes handed to libmosquitto */
        uint64_t acked;         /* PUBACKs received */
        uint32_t inflight;      /* sent - acked */
        bool connected;         /* CONNACK success */
        bool failed;            /* connection lost or refused */
};

static void on_connect(struct mosquitto *mosq, void *ctx, int rc)
{
        struct loadgen *g = ctx;
        (void)mosq;
        g->connected = rc == 0;
        g->failed = rc != 0;
}

static void on_disconnect(struct mosquitto *mosq, void *ctx, int rc)
{
        struct loadgen *g = ctx;
        (void)mosq;
        (void)rc;
        g->connected = false;
        g->failed = true;
}

static void on_publish(struct mosquitto *mosq, void *ctx, int mid)
{
        struct loadgen *g = ctx;
        (void)mosq;
        (void)mid;
        g->acked++;
        g->inflight--;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng_next(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint32_t)(rng_state >> 32);
}

static void usage(void)
{
        fprintf(
            stderr,
            "usage: loadgen [-h HOST] -p PORT [--prefix P] [--messages N] [--lines L] [--skus S]\n"
            "               [--registers R] [--shelf-every K] [--max-inflight W] [--run ID] [--ts "
            "UNIX]\n"
            "               [--seed N]\n"
            "  publishes N messages (POS, and every K-th a shelf reading when K > 0) at QoS 1 "
            "with\n"
            "  at most W awaiting PUBACK; prints messages/s and lines/s when all are "
            "acknowledged\n");
}

int main(int argc, char **argv)
{
        const char *host = "127.0.0.1", *prefix = "retail/demo/store1", *run = NULL;
        uint64_t messages = 100000, seed = 1;
        uint32_t lines = 5, skus = 1000, registers = 8, shelf_every = 0, max_inflight = 64;
        int port = 0;
        long long ts = (long long)time(NULL);
        static const struct option opts[] = {{"host", required_argument, NULL, 'h'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"prefix", required_argument, NULL, 'P'},
                                             {"messages", required_argument, NULL, 'n'},
                                             {"lines", required_argument, NULL, 'l'},
                                             {"skus", required_argument, NULL, 's'},
                                             {"registers", required_argument, NULL, 'r'},
                                             {"shelf-every", required_argument, NULL, 'k'},
                                             {"max-inflight", required_argument, NULL, 'w'},
                                             {"run", required_argument, NULL, 'i'},
                                             {"ts", required_argument, NULL, 't'},
                                             {"seed", required_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, '?'},
                                             {NULL, 0, NULL, 0}};
        int c;
        while ((c = getopt_long(argc, argv, "h:p:", opts, NULL)) != -1) {
                switch (c) {
                case 'h':
                        host = optarg;
                        break;
                case 'p':
                        port = atoi(optarg);
                        break;
                case 'P':
                        prefix = optarg;
                        break;
                case 'n':
                        messages = strtoull(optarg, NULL, 10);
                        break;
                case 'l':
                        lines = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        skus = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        registers = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'k':
                        shelf_every = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'w':
                        max_inflight = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'i':
                        run = optarg;
                        break;
                case 't':
                        ts = strtoll(optarg, NULL, 10);
                        break;
                case 'S':
                        seed = strtoull(optarg, NULL, 10);
                        break;
                default:
                        usage();
                        return 2;
                }
        }
        if (port <= 0 || port > 65535 || lines == 0 || lines > 256 || skus == 0 || registers == 0 ||
            max_inflight == 0 || max_inflight > 65535) {
                usage();
                return 2;
        }
        char run_buf[32];
        if (!run) {
                snprintf(run_buf, sizeof(run_buf), "lg%lx%x", (unsigned long)time(NULL),
                         (unsigned)getpid());
                run = run_buf;
        }
        rng_state ^= seed * 0xbf58476d1ce4e5b9ull;

        struct loadgen g = {0};
        mosquitto_lib_init();
        char client_id[64];
        snprintf(client_id, sizeof(client_id), "loadgen-%s", run);
        g.mosq = mosquitto_new(client_id, true, &g);
        if (!g.mosq) {
                fprintf(stderr, "loadgen: mosquitto_new: %s\n", strerror(errno));
                return 1;
        }
        /* Our own window decides; libmosquitto must not hold messages back in its queue. */
        mosquitto_max_inflight_messages_set(g.mosq, max_inflight);
        mosquitto_connect_callback_set(g.mosq, on_connect);
        mosquitto_disconnect_callback_set(g.mosq, on_disconnect);
        mosquitto_publish_callback_set(g.mosq, on_publish);
        if (mosquitto_connect(g.mosq, host, port, 60) != MOSQ_ERR_SUCCESS) {
                fprintf(stderr, "loadgen: cannot connect to %s:%d\n", host, port);
                return 1;
        }

        static char payload[LOADGEN_PAYLOAD_MAX];
        char topic[256];
        uint64_t pos_msgs = 0, shelf_msgs = 0, pos_lines = 0;
        double start = 0, end;
        while (!g.failed && (g.acked < messages || !g.connected)) {
                while (g.connected && g.sent < messages && g.inflight < max_inflight) {
                        uint64_t n = g.sent;
                        int len;
                        if (start == 0)
                                start = now_s();
                        if (shelf_every > 0 && n % shelf_every == shelf_every - 1) {
                                snprintf(topic, sizeof(topic), "%s/shelf/sensor%u", prefix,
                                         (unsigned)(n % registers));
                                len = snprintf(payload, sizeof(payload),
                                               "{\"ts\":%lld,\"sku\":\"SKU%07u\",\"count\":%u}", ts,
                                               rng_next() % skus, rng_next() % 20);
                                shelf_msgs++;
                        } else {
                                snprintf(topic, sizeof(topic), "%s/pos/reg%u", prefix,
                                         (unsigned)(n % registers));
                                len = snprintf(payload, sizeof(payload),
                                               "{\"id\":\"%s-%" PRIu64 "\",\"ts\":%lld,\"lines\":[",
                                               run, n, ts);
                                for (uint32_t l = 0; l < lines; l++) {
                                        uint32_t p = rng_next() % 2000;
                                        len += snprintf(
                                            payload + len, sizeof(payload) - (size_t)len,
                                            "%s{\"sku\":\"SKU%07u\",\"qty\":%u,\"price\":%u.%02u}",
                                            l ? "," : "", rng_next() % skus, 1 + rng_next() % 3,
                                            p / 100, p % 100);
                                }
                                len += snprintf(payload + len, sizeof(payload) - (size_t)len, "]}");
                                pos_msgs++;
                                pos_lines += lines;
                        }
                        int rc = mosquitto_publish(g.mosq, NULL, topic, len, payload, 1, false);
                        if (rc != MOSQ_ERR_SUCCESS) {
                                fprintf(stderr, "loadgen: publish: %s\n", mosquitto_strerror(rc));
                                return 1;
                        }
                        g.sent++;
                        g.inflight++;
                }
                struct pollfd pfd = {
                    .fd = mosquitto_socket(g.mosq),
                    .events = (short)(POLLIN | (mosquitto_want_write(g.mosq) ? POLLOUT : 0))};
                if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
                        break;
                if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
                        mosquitto_loop_read(g.mosq, 1);
                if (mosquitto_want_write(g.mosq))
                        mosquitto_loop_write(g.mosq, 1);
                mosquitto_loop_misc(g.mosq);
        }
        end = now_s();
        if (g.acked < messages) {
                fprintf(stderr,
                        "loadgen: connection lost after %" PRIu64 " of %" PRIu64 " PUBACKs\n",
                        g.acked, messages);
                return 1;
        }
        mosquitto_disconnect(g.mosq);
        mosquitto_loop_write(g.mosq, 1);
        mosquitto_destroy(g.mosq);
        mosquitto_lib_cleanup();
        double secs = end - start;
        printf("loadgen: run=%s messages=%" PRIu64 " pos=%" PRIu64 " shelf=%" PRIu64
               " lines=%" PRIu64 " seconds=%.3f msgs_per_s=%.0f lines_per_s=%.0f\n",
               run, messages, pos_msgs, shelf_msgs, pos_lines, secs, (double)messages / secs,
               (double)pos_lines / secs);
        return 0;
}
