/* mqtt.c: the simulator's broker link: callbacks, delivery of a day, commands to shelfwatchd. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "core/civil_time.h"
#include "storesim.h"

static void sim_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        char topic[SIM_TOPIC_MAX];
        (void)flags;
        (void)props;
        if (rc != 0)
                return;
        s->connected = true;
        s->subacks = 0;
        snprintf(topic, sizeof(topic), "%s/anomaly", s->prefix);
        mosquitto_subscribe_v5(m, NULL, topic, 1, 0, NULL);
        mosquitto_subscribe_v5(m, NULL, s->reply_topic, 1, 0, NULL);
        if (s->opt.associates > 0)
                mosquitto_subscribe_v5(m, NULL, s->ack_topic, 1, 0, NULL);
}

static void sim_on_disconnect(struct mosquitto *m, void *obj, int rc,
                              const mosquitto_property *props)
{
        (void)m;
        (void)rc;
        (void)props;
        ((struct sim *)obj)->connected = false;
}

static void sim_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos,
                             const mosquitto_property *props)
{
        (void)m;
        (void)mid;
        (void)n;
        (void)qos;
        (void)props;
        ((struct sim *)obj)->subacks++;
}

static void sim_on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        (void)m;
        (void)mid;
        (void)props;
        if (reason >= 0x80 && !s->opt.quiet)
                fprintf(stderr, "storesim: broker refused a message (reason %d)\n", reason);
        if (s->inflight > 0)
                s->inflight--;
        s->last_ack_ms = sim_now_ms();
}

const char *sim_json_str(const cJSON *j, const char *name)
{
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
        return v ? v : "";
}

double sim_json_num(const cJSON *j, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
        return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static void sim_on_reply(struct sim *s, const struct mosquitto_message *msg,
                         const mosquitto_property *props)
{
        void *corr = NULL;
        uint16_t len = 0;
        mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &len, false);
        bool ours = corr && len == strlen(s->corr) && memcmp(corr, s->corr, len) == 0;
        free(corr);
        if (!ours || s->reply_state != 0)
                return; /* a late answer to an earlier attempt */
        cJSON *j = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
        s->reply_state = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")) ? 1 : -1;
        cJSON_Delete(s->reply);
        s->reply = j;
        snprintf(s->reply_text, sizeof(s->reply_text), "%.*s",
                 msg->payloadlen < 255 ? msg->payloadlen : 255, (const char *)msg->payload);
}

static void sim_on_anomaly(struct sim *s, const struct mosquitto_message *msg)
{
        if (s->anomalies_file) {
                fwrite(msg->payload, 1, (size_t)msg->payloadlen, s->anomalies_file);
                fputc('\n', s->anomalies_file);
                fflush(s->anomalies_file);
        }
        cJSON *j = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
        const char *id = sim_json_str(j, "id"), *type = sim_json_str(j, "type");
        const char *sku = sim_json_str(j, "sku"), *as_of = sim_json_str(j, "as_of");
        sw_day_t day;
        if (!id[0] || strlen(id) > SW_ID_MAX_LEN || strlen(sku) > SW_SKU_MAX_LEN ||
            sw_date_parse(as_of, strlen(as_of), &day) < 0) {
                if (!s->opt.quiet)
                        fprintf(stderr, "storesim: ignoring malformed anomaly\n");
                cJSON_Delete(j);
                return;
        }
        size_t i = 0;
        while (i < s->n_anoms && strcmp(s->anoms[i].id, id) != 0)
                i++;
        if (i == s->n_anoms) {
                if (SIM_PUSH(s->anoms, s->n_anoms, s->cap_anoms) < 0) {
                        cJSON_Delete(j);
                        return;
                }
                s->n_anoms++;
                snprintf(s->anoms[i].id, sizeof(s->anoms[i].id), "%s", id);
                s->anoms[i].first_as_of = day;
                s->anoms[i].first_severity = -1;
                s->anoms[i].max_severity = -1;
        }
        struct sim_anomaly *a = &s->anoms[i];
        enum sw_severity level;
        if (sw_severity_parse(sim_json_str(j, "severity"), &level) == 0) {
                a->first_severity = a->first_severity < 0 ? (int)level : a->first_severity;
                a->max_severity = (int)level > a->max_severity ? (int)level : a->max_severity;
        }
        a->sku_index = sim_sku_index(s, sku);
        snprintf(a->type, sizeof(a->type), "%s", type);
        snprintf(a->sku, sizeof(a->sku), "%s", sku);
        a->as_of = day;
        if (day < a->first_as_of)
                a->first_as_of = day;
        if (s->opt.verbose) {
                char sev[16];
                size_t n = 0;
                for (const char *p = sim_json_str(j, "severity"); *p && n < sizeof(sev) - 1; p++)
                        sev[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
                sev[n] = '\0';
                printf("[%s] %s %s %s p=%.2f value=%.2f '%s'\n", as_of, sev, type, sku,
                       sim_json_num(j, "probability"), sim_json_num(j, "value"),
                       sim_json_str(j, "description"));
                fflush(stdout);
        }
        cJSON_Delete(j);
}

/* A cycle-count ack: kept when it answers the count we wait for (acks of earlier attempts,
 * or of other scanners' counts on the same device, are ignored). */
static void sim_on_ack(struct sim *s, const struct mosquitto_message *msg)
{
        if (s->ack || !s->ack_id[0])
                return;
        cJSON *j = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
        if (j && strcmp(sim_json_str(j, "id"), s->ack_id) == 0)
                s->ack = j;
        else
                cJSON_Delete(j);
}

static void sim_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        (void)m;
        if (strcmp(msg->topic, s->reply_topic) == 0)
                sim_on_reply(s, msg, props);
        else if (s->opt.associates > 0 && strcmp(msg->topic, s->ack_topic) == 0)
                sim_on_ack(s, msg);
        else
                sim_on_anomaly(s, msg);
}

/* Route the client's events to the sim passed to mosquitto_new(). */
void sim_set_callbacks(struct mosquitto *m)
{
        mosquitto_connect_v5_callback_set(m, sim_on_connect);
        mosquitto_disconnect_v5_callback_set(m, sim_on_disconnect);
        mosquitto_subscribe_v5_callback_set(m, sim_on_subscribe);
        mosquitto_publish_v5_callback_set(m, sim_on_publish);
        mosquitto_message_v5_callback_set(m, sim_on_message);
}

/* Connect (or reconnect) and wait for CONNACK and every SUBACK. 0 or -EHOSTUNREACH. */
int sim_connect(struct sim *s, unsigned patience_ms)
{
        int64_t deadline = sim_now_ms() + patience_ms;
        for (;;) {
                s->connected = false;
                if (mosquitto_connect_bind_v5(s->mosq, s->opt.host, (int)s->opt.port, 30, NULL,
                                              NULL) == MOSQ_ERR_SUCCESS) {
                        int64_t wait = sim_now_ms() + 5000;
                        while (sim_now_ms() < wait && !(s->connected && s->subacks >= s->subs))
                                if (mosquitto_loop(s->mosq, 100, 1) != MOSQ_ERR_SUCCESS)
                                        break;
                        if (s->connected && s->subacks >= s->subs)
                                return 0;
                }
                if (sim_now_ms() >= deadline)
                        return -EHOSTUNREACH;
                usleep(500 * 1000);
        }
}

/*
 * Run the network for up to timeout_ms. 0; -ECONNRESET when the connection was
 * lost and came back (in-flight state is gone, so the caller restarts); or
 * -EHOSTUNREACH when the broker stays away.
 */
int sim_pump(struct sim *s, int timeout_ms)
{
        if (mosquitto_loop(s->mosq, timeout_ms, 1) == MOSQ_ERR_SUCCESS && s->connected)
                return 0;
        if (!s->opt.quiet)
                fprintf(stderr, "storesim: lost the broker, reconnecting\n");
        s->inflight = 0;
        return sim_connect(s, SIM_RECONNECT_MS) == 0 ? -ECONNRESET : -EHOSTUNREACH;
}

/* Publish the outbox with a bounded window and wait until every message is acked. */
static int sim_publish_outbox(struct sim *s)
{
        int r;
        s->inflight = 0;
        s->last_ack_ms = sim_now_ms();
        for (size_t i = 0; i <= s->n_out; i++) {
                long window = i < s->n_out ? (long)s->opt.max_inflight - 1 : 0;
                while (s->inflight > window) {
                        if (sim_now_ms() - s->last_ack_ms > s->opt.reply_timeout_ms)
                                return -ETIMEDOUT;
                        if ((r = sim_pump(s, 100)) < 0)
                                return r;
                }
                if (i == s->n_out)
                        break;
                const struct sim_msg *m = &s->out[i];
                if (mosquitto_publish_v5(s->mosq, NULL, m->topic, (int)strlen(m->payload),
                                         m->payload, 1, false, NULL) != MOSQ_ERR_SUCCESS)
                        return (r = sim_pump(s, 0)) < 0 ? r : -EIO;
                s->inflight++;
                s->published++;
        }
        return 0;
}

/*
 * Send the command P/cmd/{name} with payload, our response topic and the correlation data
 * corr, and wait for the reply that carries corr. 0 when it says {"ok":true} (s->reply holds
 * it); -EPROTO on an error reply (s->reply_text says why), -ETIMEDOUT, -ENOMEM, or sim_pump's
 * errors.
 */
int sim_command_payload(struct sim *s, const char *name, const char *payload, const char *corr)
{
        char topic[SIM_TOPIC_MAX];
        mosquitto_property *props = NULL;
        int r;
        snprintf(topic, sizeof(topic), "%s/cmd/%s", s->prefix, name);
        snprintf(s->corr, sizeof(s->corr), "%s", corr);
        cJSON_Delete(s->reply);
        s->reply = NULL;
        if (mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, s->reply_topic) ||
            mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, s->corr,
                                          (uint16_t)strlen(s->corr))) {
                mosquitto_property_free_all(&props);
                return -ENOMEM;
        }
        s->reply_state = 0;
        r = mosquitto_publish_v5(s->mosq, NULL, topic, (int)strlen(payload), payload, 1, false,
                                 props);
        mosquitto_property_free_all(&props);
        if (r != MOSQ_ERR_SUCCESS)
                return (r = sim_pump(s, 0)) < 0 ? r : -EIO;
        s->published++;
        int64_t deadline = sim_now_ms() + s->opt.reply_timeout_ms;
        while (s->reply_state == 0) {
                if (sim_now_ms() >= deadline)
                        return -ETIMEDOUT;
                if ((r = sim_pump(s, 100)) < 0)
                        return r;
        }
        return s->reply_state > 0 ? 0 : -EPROTO;
}

/* sim_command_payload with the payload {"as_of":"YYYY-MM-DD"}. */
int sim_command(struct sim *s, const char *name, sw_day_t as_of, const char *corr)
{
        char date[11], payload[40];
        sim_date(as_of, date);
        snprintf(payload, sizeof(payload), "{\"as_of\":\"%s\"}", date);
        return sim_command_payload(s, name, payload, corr);
}

/* Ask the daemon to run its detectors as of as_of and wait for {"ok":true}. */
static int sim_detect(struct sim *s, sw_day_t as_of, unsigned attempt)
{
        char date[11], corr[64];
        sim_date(as_of, date);
        snprintf(corr, sizeof(corr), "%s-%u", date, attempt);
        return sim_command(s, "detect", as_of, corr);
}

/* Deliver today's outbox and get a detect reply, resending the whole day on failure. */
int sim_deliver_day(struct sim *s, sw_day_t as_of)
{
        char date[11];
        sim_date(as_of, date);
        for (unsigned attempt = 0; attempt <= s->opt.retries; attempt++) {
                int r = sim_publish_outbox(s);
                if (r == 0)
                        r = sim_detect(s, as_of, attempt);
                if (r == 0) {
                        s->has_as_of = true;
                        s->last_as_of = as_of;
                        if (s->opt.verbose)
                                printf("detect %s: %s\n", date, s->reply_text);
                        return 0;
                }
                if (r == -EHOSTUNREACH || r == -ENOMEM)
                        return r;
                const char *why = r == -ETIMEDOUT    ? "no answer in time"
                                  : r == -ECONNRESET ? "lost the broker"
                                  : r == -EPROTO     ? s->reply_text
                                                     : strerror(-r);
                if (!s->opt.quiet)
                        fprintf(stderr, "storesim: detect as_of %s (attempt %u/%u): %s\n", date,
                                attempt + 1, s->opt.retries + 1, why);
                if (r == -EPROTO) /* answered, but not ok: do not hammer it */
                        (void)sim_pump(s, 500);
                s->resends++;
        }
        return -ETIMEDOUT;
}
