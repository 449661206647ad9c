/* Load generator: POS and shelf traffic at QoS 1, as fast as the broker accepts it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "bench_rng.h"

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

/* The command line, with its defaults. */
struct loadgen_args {
        const char *host, *prefix, *run; /* broker, topic prefix, run id (NULL: made up) */
        uint64_t messages, seed;         /* messages to publish; random seed */
        uint32_t lines, skus, registers; /* lines per POS message; SKUs; registers and sensors */
        uint32_t shelf_every;            /* every K-th message a shelf reading; 0: none */
        uint32_t max_inflight;           /* publishes awaiting PUBACK at most */
        int port;                        /* broker port */
        long long ts;                    /* "ts" of every message, Unix seconds */
};

enum loadgen_kind { LOADGEN_STR, LOADGEN_INT, LOADGEN_U32, LOADGEN_U64, LOADGEN_LL };

/* One option taking a value: getopt's key (-h and -p are short options too) and its field. */
static const struct loadgen_opt {
        const char *name;       /* long option */
        int key;                /* what getopt_long returns for it */
        enum loadgen_kind kind; /* the field's type */
        size_t offset;          /* field in struct loadgen_args */
} loadgen_opts[] = {
    {"host", 'h', LOADGEN_STR, offsetof(struct loadgen_args, host)},
    {"port", 'p', LOADGEN_INT, offsetof(struct loadgen_args, port)},
    {"prefix", 'P', LOADGEN_STR, offsetof(struct loadgen_args, prefix)},
    {"messages", 'n', LOADGEN_U64, offsetof(struct loadgen_args, messages)},
    {"lines", 'l', LOADGEN_U32, offsetof(struct loadgen_args, lines)},
    {"skus", 's', LOADGEN_U32, offsetof(struct loadgen_args, skus)},
    {"registers", 'r', LOADGEN_U32, offsetof(struct loadgen_args, registers)},
    {"shelf-every", 'k', LOADGEN_U32, offsetof(struct loadgen_args, shelf_every)},
    {"max-inflight", 'w', LOADGEN_U32, offsetof(struct loadgen_args, max_inflight)},
    {"run", 'i', LOADGEN_STR, offsetof(struct loadgen_args, run)},
    {"ts", 't', LOADGEN_LL, offsetof(struct loadgen_args, ts)},
    {"seed", 'S', LOADGEN_U64, offsetof(struct loadgen_args, seed)},
};

#define LOADGEN_N_OPTS (sizeof(loadgen_opts) / sizeof(loadgen_opts[0]))

/* Store an option's value in its field (no checks: main checks what matters). */
static void loadgen_set(struct loadgen_args *a, const struct loadgen_opt *o, const char *arg)
{
        void *field = (char *)a + o->offset;
        if (o->kind == LOADGEN_STR)
                *(const char **)field = arg;
        else if (o->kind == LOADGEN_INT)
                *(int *)field = atoi(arg);
        else if (o->kind == LOADGEN_U32)
                *(uint32_t *)field = (uint32_t)strtoul(arg, NULL, 10);
        else if (o->kind == LOADGEN_U64)
                *(uint64_t *)field = strtoull(arg, NULL, 10);
        else
                *(long long *)field = strtoll(arg, NULL, 10);
}

/* Read the options into *a. 0, or -1 on an unknown option, a missing value or --help. */
static int loadgen_parse(int argc, char **argv, struct loadgen_args *a)
{
        struct option longopts[LOADGEN_N_OPTS + 2];
        for (size_t i = 0; i < LOADGEN_N_OPTS; i++)
                longopts[i] = (struct option){loadgen_opts[i].name, required_argument, NULL,
                                              loadgen_opts[i].key};
        longopts[LOADGEN_N_OPTS] = (struct option){"help", no_argument, NULL, '?'};
        longopts[LOADGEN_N_OPTS + 1] = (struct option){0};
        for (int c; (c = getopt_long(argc, argv, "h:p:", longopts, NULL)) != -1;) {
                const struct loadgen_opt *o = NULL;
                for (size_t i = 0; i < LOADGEN_N_OPTS && !o; i++)
                        if (loadgen_opts[i].key == c)
                                o = &loadgen_opts[i];
                if (!o)
                        return -1;
                loadgen_set(a, o, optarg);
        }
        return 0;
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
        struct loadgen_args a = {.host = "127.0.0.1",
                                 .prefix = "retail/demo/store1",
                                 .messages = 100000,
                                 .seed = 1,
                                 .lines = 5,
                                 .skus = 1000,
                                 .registers = 8,
                                 .max_inflight = 64,
                                 .ts = (long long)time(NULL)};
        if (loadgen_parse(argc, argv, &a) < 0) {
                usage();
                return 2;
        }
        /* The publishing loop reads plain locals. */
        const char *host = a.host, *prefix = a.prefix, *run = a.run;
        uint64_t messages = a.messages, seed = a.seed;
        uint32_t lines = a.lines, skus = a.skus, registers = a.registers,
                 shelf_every = a.shelf_every, max_inflight = a.max_inflight;
        int port = a.port;
        long long ts = a.ts;
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
        bench_rand_state ^= seed * 0xbf58476d1ce4e5b9ull;

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
                                               bench_rand() % skus, bench_rand() % 20);
                                shelf_msgs++;
                        } else {
                                snprintf(topic, sizeof(topic), "%s/pos/reg%u", prefix,
                                         (unsigned)(n % registers));
                                len = snprintf(payload, sizeof(payload),
                                               "{\"id\":\"%s-%" PRIu64 "\",\"ts\":%lld,\"lines\":[",
                                               run, n, ts);
                                for (uint32_t l = 0; l < lines; l++) {
                                        uint32_t p = bench_rand() % 2000;
                                        len += snprintf(
                                            payload + len, sizeof(payload) - (size_t)len,
                                            "%s{\"sku\":\"SKU%07u\",\"qty\":%u,\"price\":%u.%02u}",
                                            l ? "," : "", bench_rand() % skus, 1 + bench_rand() % 3,
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
