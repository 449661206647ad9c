/* Messages from the local broker: route by topic, decode, apply, acknowledge cycle counts. */
#include "daemon/daemon.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/commands.h"
#include "daemon/outcomes.h"
#include "platform/clock.h"

/* Kind of a device topic (after the prefix), or -ENOENT. Sets *ret_device for scanners. */
static int classify(const char *rest, enum sw_msg_kind *ret, const char **ret_device, size_t *ret_device_len)
{
        const char *slash;
        if (strncmp(rest, "pos/", 4) == 0 && rest[4] && !strchr(rest + 4, '/'))
                *ret = SW_MSG_POS;
        else if (strcmp(rest, "receipt") == 0)
                *ret = SW_MSG_RECEIPT;
        else if (strcmp(rest, "inventory") == 0)
                *ret = SW_MSG_INVENTORY;
        else if (strcmp(rest, "forecast") == 0)
                *ret = SW_MSG_FORECAST;
        else if (strncmp(rest, "shelf/", 6) == 0 && rest[6] && !strchr(rest + 6, '/'))
                *ret = SW_MSG_SHELF;
        else if (strncmp(rest, "scanner/", 8) == 0 && (slash = strchr(rest + 8, '/')) && slash > rest + 8 &&
                 strcmp(slash, "/count") == 0) {
                *ret = SW_MSG_COUNT;
                *ret_device = rest + 8;
                *ret_device_len = (size_t)(slash - (rest + 8));
        } else
                return -ENOENT;
        return 0;
}

static void log_reject(struct sw_daemon *d, const char *topic, const char *reason, const char *detail)
{
        if (sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                sw_log_warning("Rejected message on %s: %s%s%s", topic, reason, detail && *detail ? ": " : "",
                               detail ? detail : "");
}

/* book_before, counted and adjustment of an ack. Only an applied count moves the book; a
 * duplicate or a refused one reports the book as it stands and an adjustment of 0 (null where
 * the SKU or the count is unknown). */
static void add_count_numbers(struct sw_daemon *d, cJSON *o, const struct sw_msg *m,
                              const struct sw_ingest_result *res, bool refused)
{
        uint32_t index;
        bool decoded = m && m->n_items > 0;
        if (!refused && res->outcome == SW_INGEST_ACCEPTED) {
                cJSON_AddNumberToObject(o, "book_before", res->book_before);
                cJSON_AddNumberToObject(o, "counted", m->items[0].qty);
                cJSON_AddNumberToObject(o, "adjustment", res->adjustment);
                return;
        }
        if (decoded && sw_sku_table_find(&d->skus, m->items[0].sku, m->items[0].sku_len, &index) == 0)
                cJSON_AddNumberToObject(o, "book_before", sw_sku_at(&d->skus, index)->on_hand);
        else
                cJSON_AddNullToObject(o, "book_before");
        if (decoded)
                cJSON_AddNumberToObject(o, "counted", m->items[0].qty);
        else
                cJSON_AddNullToObject(o, "counted");
        cJSON_AddNumberToObject(o, "adjustment", 0);
        if (!refused && res && res->outcome == SW_INGEST_DUPLICATE)
                cJSON_AddBoolToObject(o, "duplicate", true);
}

/* Answer a cycle count on P/scanner/{device}/ack, with the outcome it recorded (oc may be NULL). */
static void ack_count_outcome(struct sw_daemon *d, const char *device, size_t device_len, const struct sw_msg *m,
                              const struct sw_ingest_result *res, const char *error,
                              const struct sw_count_outcome *oc)
{
        char topic[SW_TOPIC_MAX], id[SW_ID_MAX_LEN + 1] = "", sku[SW_SKU_MAX_LEN + 1] = "";
        cJSON *o = cJSON_CreateObject();
        char *json;
        if (!o)
                return;
        if (m && m->id)
                snprintf(id, sizeof(id), "%.*s", (int)m->id_len, m->id);
        if (m && m->n_items > 0)
                snprintf(sku, sizeof(sku), "%.*s", m->items[0].sku_len, m->items[0].sku);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "status", error ? "rejected" : "accepted");
        if (error)
                cJSON_AddStringToObject(o, "error", error);
        cJSON_AddStringToObject(o, "sku", sku);
        add_count_numbers(d, o, m, res, error != NULL);
        if (oc && oc->outcome) {
                cJSON_AddStringToObject(o, "anomaly", oc->anomaly);
                cJSON_AddStringToObject(o, "outcome", oc->outcome);
        } else if (m && m->anomaly) {
                char anomaly[SW_ANOMALY_ID_MAX];
                snprintf(anomaly, sizeof(anomaly), "%.*s", (int)m->anomaly_len, m->anomaly);
                cJSON_AddStringToObject(o, "anomaly", anomaly);
        }
        json = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!json)
                return;
        int n = snprintf(topic, sizeof(topic), "%s/scanner/%.*s/ack", d->prefix, (int)device_len, device);
        if (n < 0 || (size_t)n >= sizeof(topic)) {
                free(json);
                return; /* a device name too long for a topic: no ack rather than a wrong topic */
        }
        /* QoS 0 to the local broker: a reply must not wait behind (or be refused by) a full
         * window of QoS 1 publishes; a scanner that misses it sends the count again and, by
         * its id, gets the same answer. */
        int r = sw_mqtt_publish(d->local, topic, json, strlen(json), 0, false, NULL, NULL);
        if (r < 0 && sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                sw_log_warning("Cannot send the count ack on %s: %s", topic, strerror(-r));
        free(json);
}

static void ack_count(struct sw_daemon *d, const char *device, size_t device_len, const struct sw_msg *m,
                      const struct sw_ingest_result *res, const char *error)
{
        ack_count_outcome(d, device, device_len, m, res, error, NULL);
}

/* The outcome a redelivered count recorded the first time, for the same answer again. */
static void recorded_outcome(struct sw_daemon *d, const struct sw_msg *m, struct sw_count_outcome *ret)
{
        char id[SW_ID_MAX_LEN + 1], json[4096];
        *ret = (struct sw_count_outcome){0};
        snprintf(id, sizeof(id), "%.*s", (int)m->id_len, m->id);
        if (sw_store_outcome_of_count(d->store, id, json, sizeof(json)) < 0)
                return;
        cJSON *o = cJSON_Parse(json);
        const char *anomaly = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "anomaly"));
        const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "outcome"));
        enum sw_outcome_kind k;
        if (anomaly && outcome && sw_outcome_kind_parse(outcome, &k) == 0) {
                snprintf(ret->anomaly, sizeof(ret->anomaly), "%s", anomaly);
                ret->outcome = sw_outcome_kind_name(k);
        }
        cJSON_Delete(o);
}

/* The error a scanner is told for a count ingest refused: the reason, and what it means. */
static const char *count_rejection(const struct sw_msg *m, const struct sw_ingest_result *res, char *buf,
                                   size_t size)
{
        const char *reason = sw_reject_reason_name(res->reason);
        if (res->reason == SW_REJECT_UNKNOWN_SKU && m->n_items > 0)
                snprintf(buf, size, "%s: SKU '%.*s' has no sales, receipt or inventory record on this gateway",
                         reason, m->items[0].sku_len, m->items[0].sku);
        else if (res->reason == SW_REJECT_IN_FUTURE)
                snprintf(buf, size, "%s: ts is ahead of the gateway's clock by more than limits.max_future_seconds",
                         reason);
        else
                snprintf(buf, size, "%s", reason);
        return buf;
}

/* An applied cycle count: record what it proves about open anomalies, make count and outcomes
 * durable together, then answer. "accepted" is a promise: it is on disk before the scanner
 * hears it. */
static void finish_count(struct sw_daemon *d, const char *device, size_t device_len, const struct sw_msg *m,
                         const struct sw_ingest_result *res)
{
        struct sw_count_outcome oc = {0};
        char dev[SW_TOPIC_MAX];
        snprintf(dev, sizeof(dev), "%.*s", (int)device_len, device);
        if (res->outcome == SW_INGEST_DUPLICATE)
                recorded_outcome(d, m, &oc);
        else if (sw_daemon_count_outcomes_atomic(d, m, res, dev, &oc) < 0) {
                /* The count itself is applied and kept (known limit, docs/reliability.md): its
                 * anomalies stay open and are judged again if the inbox is replayed. */
                d->store_errors++;
                sw_log_err("Cannot record the outcome of count on %s: %s", dev, sw_store_errmsg(d->store));
        }
        ack_count_outcome(d, device, device_len, m, res,
                          sw_daemon_make_durable(d) < 0 ? "storage error, count again" : NULL, &oc);
}

int sw_daemon_apply(struct sw_daemon *d, enum sw_msg_kind kind, const void *payload, size_t len,
                    struct sw_msg *ret_msg, struct sw_ingest_result *ret, char *err, size_t errsz)
{
        struct sw_payload_limits lim = {.max_bytes = d->cfg.limits.max_payload_bytes,
                                        .max_items = d->cfg.limits.max_items_per_message};
        enum sw_reject_reason reason;
        *ret_msg = (struct sw_msg){.items = d->items, .items_cap = d->cfg.limits.max_items_per_message};
        if (sw_payload_decode(d->decoder, kind, payload, len, &lim, ret_msg, &reason, err, errsz) < 0) {
                sw_ingest_count_reject(&d->ingest, kind, reason);
                *ret = (struct sw_ingest_result){.outcome = SW_INGEST_REJECTED, .reason = reason};
                return 0;
        }
        return sw_ingest_apply(&d->ingest, ret_msg, sw_clock_now(), ret);
}

static void handle_device(struct sw_daemon *d, const char *topic, enum sw_msg_kind kind, const void *payload,
                          size_t len, const char *device, size_t device_len)
{
        struct sw_msg m;
        struct sw_ingest_result res;
        char err[256] = "";
        /* Per-device rate limit before any decoding. A device is its kind and name: the scanner,
         * else the last topic level (register, sensor; "receipt", "inventory", "forecast" for
         * the store system), so pos/hh-3 and scanner/hh-3 have a bucket each. */
        const char *who = device ? device : strrchr(topic, '/') + 1;
        size_t who_len = device ? device_len : strlen(who);
        if (!sw_rate_allow(&d->device_rate, (uint8_t)kind, who, who_len, sw_clock_monotonic_ms())) {
                sw_ingest_count_reject(&d->ingest, kind, SW_REJECT_RATE_LIMITED);
                log_reject(d, topic, sw_reject_reason_name(SW_REJECT_RATE_LIMITED),
                           "over limits.device_rate_per_second");
                if (kind == SW_MSG_COUNT)
                        ack_count(d, device, device_len, NULL, NULL, "rate_limited: count again later");
                return;
        }
        int r = sw_daemon_apply(d, kind, payload, len, &m, &res, err, sizeof(err));
        if (r < 0) {
                sw_log_err("Cannot apply message on %s: %s", topic, strerror(-r));
                return;
        }
        if (res.outcome == SW_INGEST_REJECTED && err[0]) {
                /* Refused by the decoder: the message never parsed. */
                log_reject(d, topic, sw_reject_reason_name(res.reason), err);
                if (kind == SW_MSG_COUNT)
                        ack_count(d, device, device_len, NULL, NULL, err);
                return;
        }
        if (res.outcome == SW_INGEST_ACCEPTED)
                sw_daemon_inbox_add(d, kind, topic, payload, len);
        if (res.outcome == SW_INGEST_REJECTED) {
                log_reject(d, topic, sw_reject_reason_name(res.reason), NULL);
                if (kind == SW_MSG_COUNT)
                        ack_count(d, device, device_len, &m, &res, count_rejection(&m, &res, err, sizeof(err)));
                return;
        }
        if (res.items_skipped > 0)
                log_reject(d, topic, "SKU table full", "some lines were skipped (limits.max_skus)");
        if (kind == SW_MSG_COUNT)
                finish_count(d, device, device_len, &m, &res);
}

/*
 * Called by libmosquitto from inside sw_mqtt_service(), which only the loop body calls: the
 * work done here (ingest, commands) runs in the loop's single thread, not asynchronously, so
 * there is no queue between callback and loop to size or overflow, and nothing is
 * acknowledged to a device (scanner ack, command reply) before it has been applied.
 */
void sw_daemon_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                          const struct sw_mqtt_props *props)
{
        struct sw_daemon *d = ctx;
        size_t plen = strlen(d->prefix);
        const char *rest, *device = NULL;
        size_t device_len = 0;
        enum sw_msg_kind kind;

        if (strncmp(topic, d->prefix, plen) != 0 || topic[plen] != '/')
                return;
        rest = topic + plen + 1;
        if (strncmp(rest, "cmd/", 4) == 0) {
                sw_daemon_command(d, rest + 4, payload, len, props);
                return;
        }
        if (classify(rest, &kind, &device, &device_len) < 0) {
                d->unknown_topics++;
                log_reject(d, topic, "unknown_topic", NULL);
                return;
        }
        handle_device(d, topic, kind, payload, len, device, device_len);
}
