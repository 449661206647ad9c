/* request.c: one MQTT v5 request/response exchange with shelfwatchd (libmosquitto). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "shelfwatch.h"

#define CLI_KEEPALIVE_S   30
#define CLI_LOOP_SLICE_MS 100 /* mosquitto_loop() wait per turn */
#define CLI_TOPIC_SIZE    512 /* prefix (3 x 64) plus cmd/reply suffixes */
#define CLI_CORR_SIZE     33  /* 16 random bytes in hex + NUL */

/* How far an exchange got. */
enum cli_phase {
        CLI_PHASE_CONNECTING,  /* waiting for CONNACK */
        CLI_PHASE_SUBSCRIBING, /* waiting for SUBACK of the reply topic */
        CLI_PHASE_WAITING,     /* request sent, waiting for the reply */
        CLI_PHASE_DONE,        /* reply received */
};

/* One request/response exchange, driven by the mosquitto callbacks. */
struct cli_exchange {
        const char *request_topic;        /* {prefix}/cmd/{name} */
        char reply_topic[CLI_TOPIC_SIZE]; /* {prefix}/reply/shelfwatch-{pid}-{random} */
        char corr[CLI_CORR_SIZE];         /* Correlation Data of the request */
        const char *payload;              /* request JSON */
        enum cli_phase phase;             /* how far it got */
        bool failed;                      /* gave up in that phase; error says why */
        char error[256];                  /* why it failed */
        char *reply;                      /* reply payload (malloc'd, NUL-ended) once DONE */
};

static double cli_now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the request ---- */

cJSON *cli_build_request(const struct cli_options *o, const struct cli_command *c)
{
        cJSON *q = cli_check_alloc(cJSON_CreateObject());
        const struct {
                const char *field;
                const char *value;
        } strings[] = {
            {"type", o->type}, {"severity", o->severity}, {"status", o->status},
            {"sku", o->sku},   {"as_of", o->as_of},       {"action", o->action},
            {"note", o->note}, {"user", o->user},
        };
        for (unsigned i = 0; i < c->n_args; i++)
                cli_check_alloc(cJSON_AddStringToObject(q, c->arg_fields[i], o->args[i]));
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                if (strings[i].value)
                        cli_check_alloc(
                            cJSON_AddStringToObject(q, strings[i].field, strings[i].value));
        if (o->given & CLI_BIT(CLI_OPT_DAYS))
                cli_check_alloc(cJSON_AddNumberToObject(q, "days", (double)o->days));
        if (o->given & CLI_BIT(CLI_OPT_LIMIT))
                cli_check_alloc(cJSON_AddNumberToObject(q, "limit", (double)o->limit));
        if (o->n_detectors) {
                cJSON *list = cli_check_alloc(cJSON_AddArrayToObject(q, "detectors"));
                for (unsigned i = 0; i < o->n_detectors; i++)
                        cJSON_AddItemToArray(list,
                                             cli_check_alloc(cJSON_CreateString(o->detectors[i])));
        }
        return q;
}

/* ---- MQTT ---- */

static void cli_fail(struct cli_exchange *x, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->error, sizeof(x->error), fmt, ap);
        va_end(ap);
        x->failed = true;
}

static void cli_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                           const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)flags;
        (void)props;
        if (rc != 0) {
                cli_fail(x, "the broker refused the connection: %s", mosquitto_reason_string(rc));
                return;
        }
        x->phase = CLI_PHASE_SUBSCRIBING;
        rc = mosquitto_subscribe_v5(m, NULL, x->reply_topic, 1, 0, NULL);
        if (rc != MOSQ_ERR_SUCCESS)
                cli_fail(x, "cannot subscribe to %s: %s", x->reply_topic, mosquitto_strerror(rc));
}

static int cli_publish_request(struct mosquitto *m, struct cli_exchange *x)
{
        mosquitto_property *props = NULL;
        int rc = mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, x->reply_topic);
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, x->corr,
                                                   (uint16_t)strlen(x->corr));
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_publish_v5(m, NULL, x->request_topic, (int)strlen(x->payload),
                                          x->payload, 1, false, props);
        mosquitto_property_free_all(&props);
        return rc;
}

static void cli_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                             const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)mid;
        (void)props;
        if (x->failed || x->phase != CLI_PHASE_SUBSCRIBING)
                return;
        if (n < 1 || granted[0] >= 0x80) {
                cli_fail(x, "the broker refused the subscription to %s: %s", x->reply_topic,
                         mosquitto_reason_string(n < 1 ? 0x80 : granted[0]));
                return;
        }
        int rc = cli_publish_request(m, x);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_fail(x, "cannot publish to %s: %s", x->request_topic, mosquitto_strerror(rc));
                return;
        }
        x->phase = CLI_PHASE_WAITING;
}

static bool cli_correlation_matches(const struct cli_exchange *x, const mosquitto_property *props)
{
        void *corr = NULL;
        uint16_t len = 0;
        if (!mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &len, false))
                return false;
        bool ours = len == strlen(x->corr) && memcmp(corr, x->corr, len) == 0;
        free(corr);
        return ours;
}

static void cli_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)m;
        if (x->failed || x->phase != CLI_PHASE_WAITING || strcmp(msg->topic, x->reply_topic) != 0 ||
            !cli_correlation_matches(x, props))
                return;
        x->reply = cli_check_alloc(calloc(1, (size_t)msg->payloadlen + 1));
        memcpy(x->reply, msg->payload, (size_t)msg->payloadlen);
        x->phase = CLI_PHASE_DONE;
}

static void cli_on_disconnect(struct mosquitto *m, void *obj, int rc,
                              const mosquitto_property *props)
{
        struct cli_exchange *x = obj;
        (void)m;
        (void)props;
        if (x->phase != CLI_PHASE_DONE && !x->failed)
                cli_fail(x, "the broker closed the connection: %s", mosquitto_reason_string(rc));
}

/* A reply topic and correlation nobody else uses: pid plus 8 random bytes, under the store's reply
 * space (the only place the daemon answers to) and, for a named broker user, under its name there
 * (what the store broker's ACL lets that user read: docs/examples/store-acl). */
static void cli_make_reply_route(struct cli_exchange *x, const char *prefix, const char *username)
{
        uint8_t rnd[8];
        if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
                uint64_t seed =
                    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
                memcpy(rnd, &seed, sizeof(rnd));
        }
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(x->corr + 2 * i, 3, "%02x", rnd[i]);
        snprintf(x->reply_topic, sizeof(x->reply_topic), "%s/reply/%s%sshelfwatch-%d-%s", prefix,
                 username ? username : "", username ? "/" : "", (int)getpid(), x->corr);
}

static int cli_setup_client(struct mosquitto *m, const struct cli_target *t, char *err,
                            size_t errsz)
{
        int rc = mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        if (rc == MOSQ_ERR_SUCCESS && t->username)
                rc = mosquitto_username_pw_set(m, t->username, t->password);
        if (rc == MOSQ_ERR_SUCCESS && (t->cafile || t->cert)) {
                rc = mosquitto_tls_set(m, t->cafile, NULL, t->cert, t->key, NULL);
                if (rc == MOSQ_ERR_SUCCESS)
                        rc = mosquitto_tls_insecure_set(m, t->insecure);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
                snprintf(err, errsz, "cannot set up the MQTT client%s: %s",
                         t->cafile || t->cert ? " (check the TLS files)" : "",
                         mosquitto_strerror(rc));
                return -EINVAL;
        }
        mosquitto_connect_v5_callback_set(m, cli_on_connect);
        mosquitto_subscribe_v5_callback_set(m, cli_on_subscribe);
        mosquitto_message_v5_callback_set(m, cli_on_message);
        mosquitto_disconnect_v5_callback_set(m, cli_on_disconnect);
        return 0;
}

static void cli_explain_timeout(struct cli_exchange *x, const struct cli_target *t,
                                double timeout_s)
{
        if (x->phase == CLI_PHASE_WAITING)
                cli_fail(x,
                         "no reply from shelfwatchd on %s/cmd within %g s (is shelfwatchd "
                         "running, and are --tenant/--store right?)",
                         t->prefix, timeout_s);
        else
                cli_fail(x, "no answer from the broker within %g s", timeout_s);
}

/* Connect, subscribe, publish and wait until the reply, a failure or the deadline. */
static void cli_run_exchange(struct mosquitto *m, struct cli_exchange *x,
                             const struct cli_target *t, double timeout_s)
{
        double deadline = cli_now_s() + timeout_s;
        int rc = mosquitto_connect_bind_v5(m, t->host, t->port, CLI_KEEPALIVE_S, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_fail(x, "cannot connect: %s",
                         rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
                return;
        }
        while (x->phase != CLI_PHASE_DONE && !x->failed) {
                double left_ms = (deadline - cli_now_s()) * 1000.0;
                if (left_ms <= 0) {
                        cli_explain_timeout(x, t, timeout_s);
                        break;
                }
                rc = mosquitto_loop(
                    m, left_ms < CLI_LOOP_SLICE_MS ? (int)left_ms + 1 : CLI_LOOP_SLICE_MS, 1);
                if (rc != MOSQ_ERR_SUCCESS && x->phase != CLI_PHASE_DONE && !x->failed)
                        cli_fail(x, "lost the connection: %s",
                                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        }
        mosquitto_disconnect(m);
}

/*
 * Send the request and wait for the reply. 0 and the reply (malloc'd) in *ret_reply, or
 * -EHOSTUNREACH (connection failed or refused, or no reply in time) with a message printed.
 */
int cli_request(const struct cli_target *t, const char *name, const char *payload, double timeout_s,
                char **ret_reply)
{
        char topic[CLI_TOPIC_SIZE];
        struct cli_exchange x = {.request_topic = topic, .payload = payload};
        snprintf(topic, sizeof(topic), "%s/cmd/%s", t->prefix, name);
        cli_make_reply_route(&x, t->prefix, t->username);

        mosquitto_lib_init();
        struct mosquitto *m = cli_check_alloc(mosquitto_new(NULL, true, &x));
        if (cli_setup_client(m, t, x.error, sizeof(x.error)) == 0)
                cli_run_exchange(m, &x, t, timeout_s);
        else
                x.failed = true;
        mosquitto_destroy(m);
        mosquitto_lib_cleanup();
        if (x.phase != CLI_PHASE_DONE || x.failed) {
                fprintf(stderr, "shelfwatch: broker %s:%d: %s\n", t->host, t->port, x.error);
                if (x.phase != CLI_PHASE_WAITING)
                        fprintf(stderr, "shelfwatch: is the MQTT broker running there, and "
                                        "shelfwatchd with it? (--host, --port, --config)\n");
                free(x.reply);
                return -EHOSTUNREACH;
        }
        *ret_reply = x.reply;
        return 0;
}
