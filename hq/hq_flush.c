/* Messages into the queue, batches out of it into PostgreSQL, receipts after each commit. */
#include "hq/hq_service.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/clock.h"

#define HQ_TOPIC_SIZE 256 /* {root}/{tenant}/{store}/hq/receipt */

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

static int publish_receipt(void *ctx, const char *tenant, const char *store, const char *payload)
{
        struct hq_service *s = ctx;
        char topic[HQ_TOPIC_SIZE];
        int r = -ENOTCONN;
        snprintf(topic, sizeof(topic), "%s/%s/%s/hq/receipt", s->cfg.topics.root, tenant, store);
        if (s->receipt_link)
                r = sw_mqtt_publish(s->receipt_link, topic, payload, strlen(payload), 1, false,
                                    NULL, NULL);
        if (r < 0)
                s->counters.receipts_failed++; /* the gateway resends; we receipt it then */
        else
                s->counters.receipts_sent++;
        return 0;
}

/* After COMMIT: a receipt for every versioned anomaly and outcome of msgs[0..n). */
static void send_receipts(struct hq_service *s, struct hq_msg *const *msgs,
                          const struct hq_write_result *results, size_t n)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (!msgs[i]->versioned ||
                    (msgs[i]->kind != HQ_KIND_ANOMALY && msgs[i]->kind != HQ_KIND_OUTCOME))
                        continue;
                s->receipts[k++] = (struct hq_receipt_item){.tenant = msgs[i]->tenant,
                                                            .store = msgs[i]->store,
                                                            .id = msgs[i]->id,
                                                            .rev = results[i].stored_rev};
        }
        s->counters.receipt_ids += k;
        (void)hq_receipts_emit(s->receipts, k, s->cfg.limits.receipt_max_ids, publish_receipt, s);
}

void hq_service__db_lost(struct hq_service *s, uint64_t now_ms)
{
        PQfinish(s->db);
        s->db = NULL;
        s->db_backoff_ms = sw_mqtt_backoff_next(s->db_backoff_ms, s->cfg.database.reconnect_min_ms,
                                                s->cfg.database.reconnect_max_ms, NULL);
        s->db_retry_ms = now_ms + s->db_backoff_ms;
}

static int write_and_receipt(struct hq_service *s, struct hq_msg *const *msgs, size_t n, char *err,
                             size_t errsz)
{
        struct hq_write_instance inst = {.client_id = s->cfg.broker.client_id,
                                         .started_at = s->started_at};
        int r = hq_write_batch(s->db, msgs, n, &inst, &s->counters, s->results, err, errsz);
        if (r == 0)
                send_receipts(s, msgs, s->results, n);
        return r;
}

/*
 * PostgreSQL refused a row of the batch (a data error): write each message alone, so one bad
 * row costs only itself. Returns how many were settled (written or refused) before a failure
 * of another kind, which leaves the rest queued.
 */
static size_t isolate_bad_rows(struct hq_service *s, size_t n, uint64_t now_ms)
{
        char err[512];
        for (size_t i = 0; i < n; i++) {
                int r = write_and_receipt(s, &s->batch[i], 1, err, sizeof(err));
                if (r == -EBADMSG) {
                        s->counters.bad[HQ_BAD_DB_REJECTED]++;
                        if (sw_ratelimit_allow(&s->bad_log, now_ms))
                                sw_log_warning("PostgreSQL refused the %s %s of %s/%s: %s",
                                               hq_kind_name(s->batch[i]->kind), s->batch[i]->id,
                                               s->batch[i]->tenant, s->batch[i]->store, err);
                } else if (r < 0) {
                        return i;
                }
        }
        return n;
}

static void log_db_failure(struct hq_service *s, int r, const char *err, uint64_t now_ms)
{
        if (sw_ratelimit_allow(&s->db_log, now_ms))
                sw_log_err("Batch of %u messages not committed (%s), kept for a retry: %s",
                           s->queue.count < s->cfg.batch.max_messages ? s->queue.count
                                                                      : s->cfg.batch.max_messages,
                           strerror(-r), err);
}

int hq_service__flush(struct hq_service *s, uint64_t now_ms)
{
        uint32_t n =
            s->queue.count < s->cfg.batch.max_messages ? s->queue.count : s->cfg.batch.max_messages;
        char err[512] = "";
        size_t done;
        int r;
        if (n == 0 || !s->db)
                return 0;
        for (uint32_t i = 0; i < n; i++)
                s->batch[i] = hq_queue_at(&s->queue, i);
        r = write_and_receipt(s, s->batch, n, err, sizeof(err));
        if (r == 0) {
                s->stored = s->counters;
                hq_queue_pop(&s->queue, n);
                s->db_backoff_ms = 0;
                return (int)n;
        }
        s->counters.batch_failures++;
        if (r == -EBADMSG) {
                done = isolate_bad_rows(s, n, now_ms);
                hq_queue_pop(&s->queue, (uint32_t)done);
                if (done == n)
                        return (int)n;
                r = -EIO;
        }
        log_db_failure(s, r, err, now_ms);
        if (r != -EAGAIN)
                hq_service__db_lost(s, now_ms);
        return 0;
}

void hq_service__store_counters(struct hq_service *s, uint64_t now_ms)
{
        char err[512];
        if (!s->db || s->queue.count > 0 || !memcmp(&s->stored, &s->counters, sizeof(s->stored)))
                return;
        if (s->counters_due_ms == 0)
                s->counters_due_ms = now_ms + s->cfg.batch.max_latency_ms;
        if (now_ms < s->counters_due_ms)
                return;
        s->counters_due_ms = 0;
        if (write_and_receipt(s, s->batch, 0, err, sizeof(err)) == 0) {
                s->stored = s->counters;
        } else {
                log_db_failure(s, -EIO, err, now_ms);
                hq_service__db_lost(s, now_ms);
        }
}
