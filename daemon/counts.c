/* Cycle counts: the answer on P/scanner/{device}/ack, and a count kept all or nothing. */
#include "daemon/counts.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/outcomes.h"
#include "daemon/reply.h"
#include "platform/clock.h"
#include "platform/store_outcome.h"

/* What an ack says about the count itself. */
struct count_ack {
        char id[SW_ID_MAX_LEN + 1];      /* the count's id, "" when unreadable */
        char sku[SW_SKU_MAX_LEN + 1];    /* the counted SKU, "" when unreadable */
        bool has_counted;                /* the count decoded */
        int32_t counted;                 /* the count as sent */
        char anomaly[SW_ANOMALY_ID_MAX]; /* the anomaly the count named, "" none */
};

static void ack_of_msg(const struct sw_msg *m, struct count_ack *ret)
{
        *ret = (struct count_ack){0};
        if (m->id)
                snprintf(ret->id, sizeof(ret->id), "%.*s", (int)m->id_len, m->id);
        if (m->n_items > 0) {
                snprintf(ret->sku, sizeof(ret->sku), "%.*s", m->items[0].sku_len, m->items[0].sku);
                ret->has_counted = true;
                ret->counted = m->items[0].qty;
        }
        if (m->anomaly)
                snprintf(ret->anomaly, sizeof(ret->anomaly), "%.*s", (int)m->anomaly_len,
                         m->anomaly);
}

/* book_before, counted and adjustment of an ack. Only an applied count moves the book; a
 * duplicate or a refused one reports the book as it stands and an adjustment of 0 (null where
 * the SKU or the count is unknown). res is NULL for a count that was not applied. */
static void add_count_numbers(struct sw_daemon *d, cJSON *o, const struct count_ack *a,
                              const struct sw_ingest_result *res, bool refused)
{
        uint32_t index;
        if (!refused && res && res->outcome == SW_INGEST_ACCEPTED) {
                cJSON_AddNumberToObject(o, "book_before", res->book_before);
                cJSON_AddNumberToObject(o, "counted", a->counted);
                cJSON_AddNumberToObject(o, "adjustment", res->adjustment);
                return;
        }
        if (a->sku[0] && sw_sku_table_find(&d->skus, a->sku, strlen(a->sku), &index) == 0)
                cJSON_AddNumberToObject(o, "book_before", sw_sku_at(&d->skus, index)->on_hand);
        else
                cJSON_AddNullToObject(o, "book_before");
        if (a->has_counted)
                cJSON_AddNumberToObject(o, "counted", a->counted);
        else
                cJSON_AddNullToObject(o, "counted");
        cJSON_AddNumberToObject(o, "adjustment", 0);
        if (!refused && res && res->outcome == SW_INGEST_DUPLICATE)
                cJSON_AddBoolToObject(o, "duplicate", true);
}

static void publish_ack(struct sw_daemon *d, const char *device, size_t device_len, char *json)
{
        char topic[SW_TOPIC_MAX];
        int n = snprintf(topic, sizeof(topic), "%s/scanner/%.*s/ack", d->prefix, (int)device_len,
                         device);
        if (n < 0 || (size_t)n >= sizeof(topic))
                return; /* a device name too long for a topic: no ack rather than a wrong topic */
        /* QoS 0 to the local broker: a reply must not wait behind (or be refused by) a full
         * window of QoS 1 publishes; a scanner that misses it sends the count again and, by
         * its id, gets the same answer. */
        int r = sw_mqtt_publish(d->local, topic, json, strlen(json), 0, false, NULL, NULL);
        if (r < 0 && sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                sw_log_warning("Cannot send the count ack on %s: %s", topic, strerror(-r));
}

/* Answer on P/scanner/{device}/ack, with the outcome the count recorded (oc may be NULL). */
static void ack_count(struct sw_daemon *d, const char *device, size_t device_len,
                      const struct count_ack *a, const struct sw_ingest_result *res,
                      const char *error, const struct sw_count_outcome *oc)
{
        cJSON *o = cJSON_CreateObject();
        char *json;
        if (!o)
                return;
        cJSON_AddStringToObject(o, "id", a->id);
        cJSON_AddStringToObject(o, "status", error ? "rejected" : "accepted");
        if (error)
                cJSON_AddStringToObject(o, "error", error);
        cJSON_AddStringToObject(o, "sku", a->sku);
        add_count_numbers(d, o, a, res, error != NULL);
        if (oc && oc->outcome) {
                cJSON_AddStringToObject(o, "anomaly", oc->anomaly);
                cJSON_AddStringToObject(o, "outcome", oc->outcome);
        } else if (a->anomaly[0]) {
                cJSON_AddStringToObject(o, "anomaly", a->anomaly);
        }
        json = sw_reply_print(o);
        cJSON_Delete(o);
        if (!json)
                return;
        publish_ack(d, device, device_len, json);
        free(json);
}

void sw_daemon_count_refused(struct sw_daemon *d, const char *device, size_t device_len,
                             const void *payload, size_t len, const char *error)
{
        struct count_ack a = {0};
        sw_payload_count_ids(payload, len, d->cfg.limits.max_payload_bytes, a.id, a.sku);
        ack_count(d, device, device_len, &a, NULL, error, NULL);
}

/* The error a scanner is told for a count ingest refused: the reason, and what it means. */
static const char *count_rejection(const struct sw_daemon *d, const struct count_ack *a,
                                   const struct sw_ingest_result *res, char *buf, size_t size)
{
        const char *reason = sw_reject_reason_name(res->reason);
        bool table_full =
            d->skus.count >= d->skus.p.max_skus && d->ingest.counters.lines_skipped_full > 0;
        if (res->reason == SW_REJECT_UNKNOWN_SKU && table_full)
                snprintf(buf, size,
                         "%s: SKU '%s' is not tracked: the SKU table is full (limits.max_skus) "
                         "and lines of SKUs it could not take were skipped",
                         reason, a->sku);
        else if (res->reason == SW_REJECT_UNKNOWN_SKU)
                snprintf(buf, size,
                         "%s: SKU '%s' has no sales, receipt or inventory record on this gateway",
                         reason, a->sku);
        else if (res->reason == SW_REJECT_IN_FUTURE)
                snprintf(buf, size,
                         "%s: ts is ahead of the gateway's clock by more than "
                         "limits.max_future_seconds",
                         reason);
        else
                snprintf(buf, size, "%s", reason);
        return buf;
}

void sw_daemon_count_rejected(struct sw_daemon *d, const char *device, size_t device_len,
                              const struct sw_msg *m, const struct sw_ingest_result *res)
{
        struct count_ack a;
        char err[512];
        ack_of_msg(m, &a);
        ack_count(d, device, device_len, &a, res, count_rejection(d, &a, res, err, sizeof(err)),
                  NULL);
}

/* The outcome a redelivered count recorded the first time, for the same answer again. */
static void recorded_outcome(struct sw_daemon *d, const struct sw_msg *m,
                             struct sw_count_outcome *ret)
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

/* Take back a count that could not be made durable: memory, its id (the stored copy too, at the
 * next group commit, should one have gone through) and its inbox record. */
static void undo_count(struct sw_daemon *d, const struct sw_msg *m,
                       const struct sw_ingest_result *res, bool kept, uint64_t inbox_before)
{
        int r = sw_ingest_undo_count(&d->ingest, m, res);
        if (r == 1 && d->n_dedup_forget < SW_DAEMON_DEDUP_FORGET_MAX)
                d->dedup_forget[d->n_dedup_forget++] = sw_dedup_hash(m->id, m->id_len);
        struct sw_durability *du = &d->durability;
        if (kept && sw_inbox_file_cut_to(&du->inbox, inbox_before) == 0 && du->rows > 0)
                du->rows--;
        if (sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                sw_log_warning("Count %.*s of %s not kept: it could not be stored, the scanner is "
                               "told to count again",
                               (int)m->id_len, m->id, sw_sku_key(&d->skus, res->sku_index));
}

/* Judge the anomalies the count answers and make those outcomes durable (the count already is).
 * A failure leaves the count applied: the known limit of docs/reliability.md (its anomalies
 * stay open and are judged again when the inbox is replayed or the SKU counted again). */
static void judge(struct sw_daemon *d, const struct sw_msg *m, const struct sw_ingest_result *res,
                  const char *device, struct sw_count_outcome *ret)
{
        int r = sw_daemon_count_outcomes_atomic(d, m, res, device, ret);
        if (r > 0) {
                d->durability.sync_store = true;
                r = sw_durability_flush(&d->durability);
        }
        if (r < 0) {
                d->store_errors++;
                sw_log_err("Cannot record the outcome of count on %s: %s", device,
                           sw_store_errmsg(d->store));
        }
}

void sw_daemon_count_finish(struct sw_daemon *d, const char *device, size_t device_len,
                            const struct sw_msg *m, const struct sw_ingest_result *res, bool kept,
                            uint64_t inbox_before)
{
        struct sw_count_outcome oc = {0};
        struct count_ack a;
        char dev[SW_TOPIC_MAX];
        snprintf(dev, sizeof(dev), "%.*s", (int)device_len, device);
        /* "accepted" is a promise: the count is on disk before anything is judged by it, and
         * a count that cannot be stored changes nothing. */
        if (sw_durability_make_durable(&d->durability) < 0) {
                if (res->outcome == SW_INGEST_ACCEPTED)
                        undo_count(d, m, res, kept, inbox_before);
                ack_of_msg(m, &a);
                ack_count(d, device, device_len, &a, NULL, "storage error, count again", NULL);
                return;
        }
        if (res->outcome == SW_INGEST_DUPLICATE)
                recorded_outcome(d, m, &oc);
        else
                judge(d, m, res, dev, &oc);
        /* The book changed and maybe the open anomalies: HQ hears it soon (rate-limited). */
        if (res->outcome == SW_INGEST_ACCEPTED) {
                const char *sku = sw_sku_key(&d->skus, res->sku_index);
                const struct sw_log_fields lf = {.event = SW_EVENT_COUNT_APPLIED,
                                                 .anomaly_id = oc.anomaly[0] ? oc.anomaly : NULL,
                                                 .sku = sku,
                                                 .outcome = oc.outcome,
                                                 .device = dev};
                sw_log_event(SW_LOG_INFO, &lf, "Count %.*s of %s from %s applied%s%s%s%s",
                             (int)m->id_len, m->id, sku, dev, oc.outcome ? ": " : "",
                             oc.outcome ? oc.outcome : "", oc.outcome ? " for " : "",
                             oc.outcome ? oc.anomaly : "");
                d->summary_after_count = true;
        }
        ack_of_msg(m, &a);
        ack_count(d, device, device_len, &a, res, NULL, &oc);
}
