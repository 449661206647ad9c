/* Messages into the queue, batches out of it into PostgreSQL, receipts after each commit. */
#include "hq/hq_service.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/clock.h"

#define HQ_TOPIC_SIZE 256 /* {root}/{tenant}/{store}/hq/receipt */
/* Receipts handed to libmosquitto and not yet PUBACKed, at most: the broker takes a few at a
 * time (Receive Maximum); the rest wait in hq_receipt_queue, where they still merge. */
#define HQ_RECEIPT_WINDOW 256

void hq_service__on_message(void *ctx, const char *topic, const void *payload, size_t len,
                            const struct sw_mqtt_props *props)
{
        struct hq_service *s = ctx;
        struct hq_msg m;
        enum hq_bad_reason why = HQ_BAD_JSON;
        uint64_t now = sw_clock_monotonic_ms();
        int r = hq_msg_parse(s->cfg.topics.root, topic, payload, len,
                             s->cfg.limits.max_payload_bytes, &m, &why);
        (void)props;
        if (r == -EBADMSG) {
                s->counters.bad[why]++;
                if (sw_ratelimit_allow(&s->bad_log, now))
                        sw_log_warning("Refused a message on %.200s: %s (%zu bytes)", topic,
                                       hq_bad_reason_name(why), len);
                return;
        }
        if (r < 0 || hq_queue_push(&s->queue, &m, now) < 0) {
                /* Read but not kept: the gateway resends it when no receipt comes. */
                if (r == 0)
                        hq_msg_clear(&m);
                s->counters.queue_overflows++;
                sw_log_err("Dropped a message on %.200s: %s (%u queued, %u capacity)", topic,
                           r < 0 ? strerror(-r) : "queue full", s->queue.count, s->queue.capacity);
                return;
        }
        s->counters.messages[hq_queue_at(&s->queue, s->queue.count - 1)->kind]++;
}

/* -EAGAIN keeps the receipt for later (the link is down or its window full). */
static int publish_receipt(void *ctx, const char *tenant, const char *store, const char *payload)
{
        struct hq_service *s = ctx;
        char topic[HQ_TOPIC_SIZE];
        int r;
        snprintf(topic, sizeof(topic), "%s/%s/%s/hq/receipt", s->cfg.topics.root, tenant, store);
        r = sw_mqtt_publish(s->receipt_link, topic, payload, strlen(payload), 1, false, NULL, NULL);
        if (r == -ENOTCONN || r == -ENOBUFS)
                return -EAGAIN;
        if (r < 0)
                s->counters.receipts_failed++; /* the gateway resends; we receipt it then */
        else
                s->counters.receipts_sent++;
        return r;
}

void hq_service__send_receipts(struct hq_service *s)
{
        struct sw_mqtt_stats st;
        uint64_t dropped = 0;
        if (s->receipts.count == 0 || !sw_mqtt_connected(s->receipt_link))
                return;
        sw_mqtt_get_stats(s->receipt_link, &st);
        /* A flush sorts every waiting id: wait until half the window is free (or all that
         * waits fits), so that it is not done for a message or two every pass. */
        if (st.unacked >= HQ_RECEIPT_WINDOW || (st.unacked > HQ_RECEIPT_WINDOW / 2 &&
                                                s->receipts.count > HQ_RECEIPT_WINDOW - st.unacked))
                return;
        (void)hq_receipt_queue_flush(&s->receipts, s->cfg.limits.receipt_max_ids,
                                     HQ_RECEIPT_WINDOW - st.unacked, publish_receipt, s, &dropped);
        s->counters.receipt_ids_dropped += dropped;
}

/* After COMMIT: every versioned anomaly and outcome of msgs[0..n) waits for its receipt. */
static void queue_receipts(struct hq_service *s, struct hq_msg *const *msgs,
                           const struct hq_write_result *results, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!msgs[i]->versioned ||
                    (msgs[i]->kind != HQ_KIND_ANOMALY && msgs[i]->kind != HQ_KIND_OUTCOME))
                        continue;
                s->counters.receipt_ids++;
                if (hq_receipt_queue_add(&s->receipts, msgs[i]->tenant, msgs[i]->store, msgs[i]->id,
                                         results[i].stored_rev) < 0)
                        s->counters.receipt_ids_dropped++;
        }
        hq_service__send_receipts(s);
}

void hq_service__db_lost(struct hq_service *s, uint64_t now_ms)
{
        PQfinish(s->db);
        s->db = NULL;
        s->db_backoff_ms = sw_mqtt_backoff_next(s->db_backoff_ms, s->cfg.database.reconnect_min_ms,
                                                s->cfg.database.reconnect_max_ms, NULL);
        s->db_retry_ms = now_ms + s->db_backoff_ms;
}

/* Messages in the next batch: all that wait, up to batch.max_messages; one at a time while
 * looking for a row PostgreSQL refuses. */
static uint32_t next_batch_size(const struct hq_service *s)
{
        uint32_t n = s->queue.count;
        if (n > s->cfg.batch.max_messages)
                n = s->cfg.batch.max_messages;
        return s->isolate > 0 && n > 1 ? 1 : n;
}

bool hq_service__start_batch(struct hq_service *s, bool force, uint64_t now_ms)
{
        struct hq_write_instance inst = {.client_id = s->cfg.broker.client_id,
                                         .started_at = s->started_at};
        uint32_t n = 0;
        int r;
        if (!s->db || s->writer.state != HQ_WRITE_IDLE)
                return false;
        if (force || hq_queue_due(&s->queue, s->cfg.batch.max_messages, s->cfg.batch.max_latency_ms,
                                  now_ms)) {
                n = next_batch_size(s);
        } else if (s->queue.count > 0 || !memcmp(&s->stored, &s->counters, sizeof(s->stored))) {
                return false;
        } else { /* the counters alone, once they changed for max_latency_ms */
                if (s->counters_due_ms == 0)
                        s->counters_due_ms = now_ms + s->cfg.batch.max_latency_ms;
                if (now_ms < s->counters_due_ms)
                        return false;
        }
        if (n == 0 && s->queue.count > 0)
                return false;
        s->counters_due_ms = 0;
        for (uint32_t i = 0; i < n; i++)
                s->batch[i] = hq_queue_at(&s->queue, i);
        s->batch_n = n;
        r = hq_write_start(&s->writer, s->db, s->batch, n, &inst, &s->counters, s->results);
        if (r < 0) { /* part of it may be in the pipeline: start again on a new connection */
                sw_log_err("Cannot start a batch of %u messages: %s", n, strerror(-r));
                hq_service__db_lost(s, now_ms);
                return false;
        }
        return true;
}

static void log_db_failure(struct hq_service *s, int r, const char *err, uint64_t now_ms)
{
        if (sw_ratelimit_allow(&s->db_log, now_ms))
                sw_log_err("Batch of %u messages not committed (%s), kept for a retry: %s",
                           s->batch_n, strerror(-r), err);
}

void hq_service__batch_done(struct hq_service *s, uint64_t now_ms)
{
        char err[512] = "";
        uint32_t n = s->batch_n;
        int r = hq_write_finish(&s->writer, err, sizeof(err));
        if (r == 0) {
                queue_receipts(s, s->batch, s->results, n);
                s->stored = s->writer.stored;
                hq_queue_pop(&s->queue, n);
                s->isolate = s->isolate > n ? s->isolate - n : 0;
                s->db_backoff_ms = 0;
                return;
        }
        s->counters.batch_failures++;
        if (r == -EBADMSG && n == 1) { /* this is the row PostgreSQL refuses: drop it */
                s->counters.bad[HQ_BAD_DB_REJECTED]++;
                if (sw_ratelimit_allow(&s->bad_log, now_ms))
                        sw_log_warning("PostgreSQL refused the %s %s of %s/%s: %s",
                                       hq_kind_name(s->batch[0]->kind), s->batch[0]->id,
                                       s->batch[0]->tenant, s->batch[0]->store, err);
                hq_queue_pop(&s->queue, 1);
                s->isolate = s->isolate > 1 ? s->isolate - 1 : 0;
                return;
        }
        if (r == -EBADMSG) { /* write this batch's messages one at a time: only the bad one
                                costs itself */
                s->isolate = n;
                return;
        }
        log_db_failure(s, r, err, now_ms);
        if (r != -EAGAIN)
                hq_service__db_lost(s, now_ms);
}
