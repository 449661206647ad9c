/* shelfwatch-hq integration tests: the service as a process, its CLI, simulated gateways. */
#ifndef HQ_TEST_HARNESS_H
#define HQ_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "integration/harness.h"
#include "pg.h"

#define HQ_BIN SW_BUILD_DIR "/shelfwatch-hq"

/* One test's world: a scratch folder, a private mosquitto and a private PostgreSQL. */
struct hq_rig {
        char dir[256];          /* scratch: the instances' configs and logs */
        struct h_broker broker; /* mosquitto */
        struct pg_server pg;    /* PostgreSQL */
};

/* Make dir, start the broker with broker_conf's extra lines (or NULL), start PostgreSQL. The
 * caller zeroes r; it may have made broker.dir already (to put certificates in it). */
void hq_rig_up(struct hq_rig *r, const char *broker_conf);
/* Stop both servers and remove every folder. */
void hq_rig_down(struct hq_rig *r);

/* How to configure one instance; zero fields take the defaults shown. */
struct hq_opts {
        const char *client_id; /* "hq-test" */
        int batch;             /* batch.max_messages: 100 */
        int latency_ms;        /* batch.max_latency_ms: 50 */
        int queue_messages;    /* limits.queue_messages: 20000 */
        int max_payload;       /* limits.max_payload_bytes: 65536 */
        const char *tls;       /* the settings of broker.tls ("ca_file = ...; ..."): NULL none */
};

struct hq_proc {
        pid_t pid;      /* running process, 0 when stopped */
        char conf[512]; /* its config file */
        char log[512];  /* its stderr */
        int starts;     /* times started (the log holds each start's lines) */
};

/* Write dir/<client_id>.conf for broker_port and pg (h->conf, h->log), without starting. */
void hq_write_conf(struct hq_proc *h, const char *dir, int broker_port, const struct pg_server *pg,
                   const struct hq_opts *o);
/* hq_write_conf, start, and wait until the instance is connected to the broker. */
void hq_start(struct hq_proc *h, const char *dir, int broker_port, const struct pg_server *pg,
              const struct hq_opts *o);
/* Start with the config written, without waiting for the broker; hq_stop stops it. */
void hq_spawn(struct hq_proc *h);
/* Start again with the same config. */
void hq_restart(struct hq_proc *h);
/* SIGKILL, or SIGTERM and assert a clean exit. */
void hq_stop(struct hq_proc *h, int sig);
/* Run "shelfwatch-hq -c conf ARGS... --json" and parse its stdout; fails the test unless it
 * exits 0 with JSON. NULL-terminated arguments. */
cJSON *hq_cli_json(const struct hq_proc *h, const char *dir, ...);

/* A simulated gateway: one MQTT v5 client publishing QoS 1 (a background thread). */
struct hq_pub;
struct hq_pub *hq_pub_open(int port, const char *client_id);
/* Publish; retained as asked. Fails the test if libmosquitto refuses. */
void hq_pub_send(struct hq_pub *p, const char *topic, const char *payload, bool retain);
/* Wait until every publish so far has its PUBACK (or timeout_ms); returns true when all did. */
bool hq_pub_flush(struct hq_pub *p, int timeout_ms);
void hq_pub_close(struct hq_pub *p);

/* Payloads in PROTOCOL 1.1's shape (malloc'd). ts: Unix seconds. */
char *hq_anomaly_json(const char *tenant, const char *store, const char *id, long long rev,
                      const char *type, const char *status, const char *category, double value,
                      double probability, long long detected_at);
char *hq_outcome_json(const char *id, const char *anomaly, const char *type, const char *outcome,
                      long long ts, double value_recovered, double prevented_value);

#endif
