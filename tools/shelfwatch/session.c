/* session.c: one MQTT v5 connection to the store's broker (libmosquitto, no thread of its own). */
#include "session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define CLI_KEEPALIVE_S   30
#define CLI_LOOP_SLICE_MS 100 /* mosquitto_loop() wait per turn */

double cli_now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cli_session_fail(struct cli_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cli_session_fail(struct cli_session *s, const char *fmt, ...)
{
        va_list ap;
        if (s->failed)
                return; /* the first reason is the one that counts */
        va_start(ap, fmt);
        vsnprintf(s->error, sizeof(s->error), fmt, ap);
        va_end(ap);
        s->failed = true;
}

static const char *cli_mosq_error(int rc)
{
        return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

/* ---- callbacks ---- */

static void cli_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                           const mosquitto_property *props)
{
        struct cli_session *s = obj;
        (void)flags;
        (void)props;
        if (rc != 0) {
                cli_session_fail(s, "the broker refused the connection: %s",
                                 mosquitto_reason_string(rc));
                return;
        }
        s->phase = CLI_SESSION_SUBSCRIBING;
        rc = mosquitto_subscribe_v5(m, &s->sub_mid, s->reply_topic, 1, 0, NULL);
        if (rc != MOSQ_ERR_SUCCESS)
                cli_session_fail(s, "cannot subscribe to %s: %s", s->reply_topic,
                                 mosquitto_strerror(rc));
}

static void cli_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
                             const mosquitto_property *props)
{
        struct cli_session *s = obj;
        (void)m;
        (void)props;
        if (mid != s->sub_mid)
                return;
        s->sub_mid = -1;
        if (n < 1 || granted[0] >= 0x80) {
                s->sub_refused = true;
                s->refused_reason = n < 1 ? 0x80 : granted[0];
                return;
        }
        if (s->phase == CLI_SESSION_SUBSCRIBING)
                s->phase = CLI_SESSION_READY;
}

static void cli_on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                           const mosquitto_property *props)
{
        struct cli_session *s = obj;
        (void)m;
        (void)mid;
        (void)props;
        if (s->in_flight > 0)
                s->in_flight--;
        if (reason >= 0x80) {
                s->refused++;
                s->refused_reason = reason;
        }
}

static bool cli_correlation_is(const mosquitto_property *props, const char *want)
{
        void *corr = NULL;
        uint16_t len = 0;
        if (!mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &len, false))
                return false;
        bool same = len == strlen(want) && memcmp(corr, want, len) == 0;
        free(corr);
        return same;
}

static void cli_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
        struct cli_session *s = obj;
        (void)m;
        if (s->got || !s->want_topic[0] || strcmp(msg->topic, s->want_topic) != 0)
                return;
        if (s->want_corr[0] && !cli_correlation_is(props, s->want_corr))
                return;
        if (s->want_match &&
            !s->want_match(msg->payload ? msg->payload : "", (size_t)msg->payloadlen, s->want_ctx))
                return;
        s->got = cli_check_alloc(calloc(1, (size_t)msg->payloadlen + 1));
        if (msg->payloadlen > 0)
                memcpy(s->got, msg->payload, (size_t)msg->payloadlen);
        s->got_len = (size_t)msg->payloadlen;
}

static void cli_on_disconnect(struct mosquitto *m, void *obj, int rc,
                              const mosquitto_property *props)
{
        struct cli_session *s = obj;
        (void)m;
        (void)props;
        cli_session_fail(s, "the broker closed the connection: %s", mosquitto_reason_string(rc));
}

/* ---- the loop ---- */

/* Serve the connection until done(s) or the deadline. 0 when done, -ETIMEDOUT, or
 * -EHOSTUNREACH when the connection failed (s->error). */
static int cli_session_run(struct cli_session *s, bool (*done)(const struct cli_session *),
                           double deadline)
{
        while (!s->failed && !done(s)) {
                double left_ms = (deadline - cli_now_s()) * 1000.0;
                if (left_ms <= 0)
                        return -ETIMEDOUT;
                int rc = mosquitto_loop(
                    s->mosq, left_ms < CLI_LOOP_SLICE_MS ? (int)left_ms + 1 : CLI_LOOP_SLICE_MS, 1);
                if (rc != MOSQ_ERR_SUCCESS)
                        cli_session_fail(s, "lost the connection: %s", cli_mosq_error(rc));
        }
        return s->failed ? -EHOSTUNREACH : 0;
}

static bool cli_is_ready(const struct cli_session *s)
{
        return s->phase >= CLI_SESSION_READY || s->sub_refused;
}

static bool cli_sub_done(const struct cli_session *s)
{
        return s->sub_mid < 0;
}

static bool cli_got_message(const struct cli_session *s)
{
        return s->got != NULL;
}

static bool cli_all_acked(const struct cli_session *s)
{
        return s->in_flight == 0;
}

static bool cli_room_in_flight(const struct cli_session *s)
{
        return s->in_flight < s->in_flight_limit;
}

/* ---- set-up ---- */

/* A reply topic and correlation nobody else uses: pid plus 8 random bytes, under the store's reply
 * space (the only place the daemon answers to) and, for a named broker user, under its name there
 * (what the store broker's ACL lets that user read: docs/examples/store-acl). */
static void cli_make_reply_route(struct cli_session *s)
{
        uint8_t rnd[8];
        if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
                uint64_t seed =
                    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
                memcpy(rnd, &seed, sizeof(rnd));
        }
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(s->corr_stem + 2 * i, 3, "%02x", rnd[i]);
        const char *user = s->target->username;
        snprintf(s->reply_topic, sizeof(s->reply_topic), "%s/reply/%s%sshelfwatch-%d-%s",
                 s->target->prefix, user ? user : "", user ? "/" : "", (int)getpid(), s->corr_stem);
}

static int cli_setup_client(struct cli_session *s)
{
        const struct cli_target *t = s->target;
        int rc = mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        if (rc == MOSQ_ERR_SUCCESS && t->username)
                rc = mosquitto_username_pw_set(s->mosq, t->username, t->password);
        if (rc == MOSQ_ERR_SUCCESS && (t->cafile || t->cert)) {
                rc = mosquitto_tls_set(s->mosq, t->cafile, NULL, t->cert, t->key, NULL);
                if (rc == MOSQ_ERR_SUCCESS)
                        rc = mosquitto_tls_insecure_set(s->mosq, t->insecure);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_session_fail(s, "cannot set up the MQTT client%s: %s",
                                 t->cafile || t->cert ? " (check the TLS files)" : "",
                                 mosquitto_strerror(rc));
                return -EINVAL;
        }
        mosquitto_connect_v5_callback_set(s->mosq, cli_on_connect);
        mosquitto_subscribe_v5_callback_set(s->mosq, cli_on_subscribe);
        mosquitto_publish_v5_callback_set(s->mosq, cli_on_publish);
        mosquitto_message_v5_callback_set(s->mosq, cli_on_message);
        mosquitto_disconnect_v5_callback_set(s->mosq, cli_on_disconnect);
        return 0;
}

int cli_session_open(struct cli_session *s, const struct cli_target *t, double timeout_s)
{
        *s = (struct cli_session){.target = t, .sub_mid = -1};
        cli_make_reply_route(s);
        mosquitto_lib_init();
        s->mosq = cli_check_alloc(mosquitto_new(NULL, true, s));
        if (cli_setup_client(s) < 0)
                return -EHOSTUNREACH;
        int rc = mosquitto_connect_bind_v5(s->mosq, t->host, t->port, CLI_KEEPALIVE_S, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_session_fail(s, "cannot connect: %s", cli_mosq_error(rc));
                return -EHOSTUNREACH;
        }
        int r = cli_session_run(s, cli_is_ready, cli_now_s() + timeout_s);
        if (r == -ETIMEDOUT)
                cli_session_fail(s, "no answer from the broker within %g s", timeout_s);
        else if (r == 0 && s->sub_refused)
                cli_session_fail(s, "the broker refused the subscription to %s: %s", s->reply_topic,
                                 mosquitto_reason_string(s->refused_reason));
        return s->failed ? -EHOSTUNREACH : 0;
}

void cli_session_close(struct cli_session *s)
{
        if (!s->mosq)
                return;
        if (!s->failed)
                mosquitto_disconnect(s->mosq);
        mosquitto_destroy(s->mosq);
        mosquitto_lib_cleanup();
        s->mosq = NULL;
        free(s->got);
        s->got = NULL;
}

/* ---- use ---- */

int cli_session_subscribe(struct cli_session *s, const char *topic, double deadline)
{
        s->sub_refused = false;
        int rc = mosquitto_subscribe_v5(s->mosq, &s->sub_mid, topic, 1, 0, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_session_fail(s, "cannot subscribe to %s: %s", topic, mosquitto_strerror(rc));
                return -EHOSTUNREACH;
        }
        int r = cli_session_run(s, cli_sub_done, deadline);
        if (r == -ETIMEDOUT)
                cli_session_fail(s, "the broker did not confirm the subscription to %s", topic);
        else if (r == 0 && s->sub_refused)
                cli_session_fail(s, "the broker refused the subscription to %s: %s", topic,
                                 mosquitto_reason_string(s->refused_reason));
        return s->failed ? -EHOSTUNREACH : 0;
}

static int cli_check_refusals(struct cli_session *s, const char *topic)
{
        if (s->refused)
                cli_session_fail(s, "the broker refused a publish (to %s or before): %s", topic,
                                 mosquitto_reason_string(s->refused_reason));
        return s->failed ? -EHOSTUNREACH : 0;
}

int cli_session_publish(struct cli_session *s, const char *topic, const char *payload,
                        unsigned max_in_flight, double deadline)
{
        s->in_flight_limit = max_in_flight > 0 ? max_in_flight : 1;
        int r = cli_session_run(s, cli_room_in_flight, deadline);
        if (r == -ETIMEDOUT) {
                cli_session_fail(s, "no PUBACK from the broker for %u publishes", s->in_flight);
                return -EHOSTUNREACH;
        }
        if (r < 0 || cli_check_refusals(s, topic) < 0)
                return -EHOSTUNREACH;
        int rc = mosquitto_publish_v5(s->mosq, NULL, topic, (int)strlen(payload), payload, 1, false,
                                      NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_session_fail(s, "cannot publish to %s: %s", topic, cli_mosq_error(rc));
                return -EHOSTUNREACH;
        }
        s->in_flight++;
        return 0;
}

int cli_session_flush(struct cli_session *s, double deadline)
{
        int r = cli_session_run(s, cli_all_acked, deadline);
        if (r == -ETIMEDOUT)
                cli_session_fail(s, "no PUBACK from the broker for %u publishes", s->in_flight);
        if (s->failed)
                return -EHOSTUNREACH;
        return cli_check_refusals(s, "the store's topics");
}

static bool cli_never(const struct cli_session *s)
{
        (void)s;
        return false;
}

int cli_session_idle(struct cli_session *s, double seconds)
{
        int r = cli_session_run(s, cli_never, cli_now_s() + (seconds > 0 ? seconds : 0));
        return r == -ETIMEDOUT ? 0 : r;
}

void cli_session_expect(struct cli_session *s, const char *topic, cli_session_match_fn match,
                        void *ctx)
{
        free(s->got);
        s->got = NULL;
        snprintf(s->want_topic, sizeof(s->want_topic), "%s", topic);
        s->want_corr[0] = '\0';
        s->want_match = match;
        s->want_ctx = ctx;
}

int cli_session_wait(struct cli_session *s, double deadline, char **ret_payload)
{
        int r = cli_session_run(s, cli_got_message, deadline);
        if (r < 0)
                return r;
        *ret_payload = s->got;
        s->got = NULL;
        s->want_topic[0] = '\0';
        return 0;
}

int cli_session_request(struct cli_session *s, const char *name, const char *payload,
                        double deadline, char **ret_reply)
{
        char topic[CLI_TOPIC_SIZE];
        mosquitto_property *props = NULL;
        snprintf(topic, sizeof(topic), "%s/cmd/%s", s->target->prefix, name);
        cli_session_expect(s, s->reply_topic, NULL, NULL);
        snprintf(s->want_corr, sizeof(s->want_corr), "%s-%u", s->corr_stem, ++s->requests);
        int rc = mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, s->reply_topic);
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, s->want_corr,
                                                   (uint16_t)strlen(s->want_corr));
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_publish_v5(s->mosq, NULL, topic, (int)strlen(payload), payload, 1,
                                          false, props);
        mosquitto_property_free_all(&props);
        if (rc != MOSQ_ERR_SUCCESS) {
                cli_session_fail(s, "cannot publish to %s: %s", topic, cli_mosq_error(rc));
                return -EHOSTUNREACH;
        }
        s->in_flight++;
        s->phase = CLI_SESSION_WAITING;
        int r = cli_session_wait(s, deadline, ret_reply);
        if (r == 0)
                s->phase = CLI_SESSION_READY;
        return r;
}

void cli_session_report(const struct cli_session *s)
{
        fprintf(stderr, "shelfwatch: broker %s:%d: %s\n", s->target->host, s->target->port,
                s->error);
        if (s->phase < CLI_SESSION_READY)
                fprintf(stderr, "shelfwatch: is the MQTT broker running there, and "
                                "shelfwatchd with it? (--host, --port, --config)\n");
}
