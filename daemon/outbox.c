/* The outbox: rows in storage until HQ's PUBACK, a bounded number in flight, every
 * undelivered row again (same id) after a reconnect or a refusal. */
#include "daemon/outbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/log.h"

#define OUTBOX_RETRY_MS     5000u /* pause after HQ refused a message */
#define OUTBOX_LOG_EVERY_MS 5000u /* a failing pump is logged at most this often */

int sw_outbox_init(struct sw_outbox *ob, const struct sw_outbox_store *store,
                   const struct sw_outbox_link *link, sw_outbox_render_fn render, void *render_ctx,
                   const char *prefix, struct sw_inflight *inflight, uint32_t capacity)
{
        if (!ob || !store || !store->add || !store->add_anomaly || !store->pending ||
            !store->delivered || !store->depth || !store->trim || !store->await_receipt ||
            !store->receipt || !store->requeue || !store->stats || !link || !link->publish ||
            !link->connected || !render || !prefix || !inflight || capacity == 0 ||
            strlen(prefix) >= sizeof(ob->prefix))
                return -EINVAL;
        *ob = (struct sw_outbox){.store = *store,
                                 .link = *link,
                                 .render = render,
                                 .render_ctx = render_ctx,
                                 .inflight = inflight,
                                 .capacity = capacity,
                                 .retry_ms = OUTBOX_RETRY_MS,
                                 .more = true};
        snprintf(ob->prefix, sizeof(ob->prefix), "%s", prefix);
        memset(inflight, 0, (size_t)capacity * sizeof(*inflight));
        return 0;
}

int sw_outbox_add(struct sw_outbox *ob, const char *suffix, const char *msg_id, const char *json,
                  bool retain, int64_t rev, int64_t now)
{
        char topic[512];
        int64_t seq;
        snprintf(topic, sizeof(topic), "%s/%s", ob->prefix, suffix);
        int r =
            ob->store.add(ob->store.ctx, topic, msg_id, json, strlen(json), retain, now, rev, &seq);
        if (r == 0)
                ob->more = true;
        return r;
}

int sw_outbox_add_anomaly(struct sw_outbox *ob, const char *anomaly_id, int64_t now)
{
        char topic[512];
        int64_t seq;
        snprintf(topic, sizeof(topic), "%s/anomaly", ob->prefix);
        int r = ob->store.add_anomaly(ob->store.ctx, topic, anomaly_id, now, &seq);
        if (r == 0)
                ob->more = true;
        return r;
}

void sw_outbox_reset(struct sw_outbox *ob)
{
        /* Unacknowledged publishes of the old connection are forgotten: their rows are still in
         * storage and go again from the start. */
        memset(ob->inflight, 0, (size_t)ob->capacity * sizeof(*ob->inflight));
        ob->n_inflight = 0;
        ob->cursor = 0;
        ob->more = true;
}

static struct sw_inflight *free_slot(struct sw_outbox *ob)
{
        for (uint32_t i = 0; i < ob->capacity; i++)
                if (ob->inflight[i].mid == 0)
                        return &ob->inflight[i];
        return NULL;
}

/* A row standing for an anomaly whose stored form cannot be rendered (a damaged database) can
 * never be sent: it is dropped, with an error, so that the rows after it still go. */
static int drop_unrenderable(struct sw_outbox *ob, const struct sw_store_outbox_row *row)
{
        sw_log_err("Outbox: anomaly %s is unreadable in the database, dropping its message",
                   row->msg_id);
        ob->cursor = row->seq;
        ob->dropped++;
        return ob->store.delivered(ob->store.ctx, row->seq);
}

static bool in_flight(const struct sw_outbox *ob, int64_t seq)
{
        for (uint32_t i = 0; i < ob->capacity; i++)
                if (ob->inflight[i].mid != 0 && ob->inflight[i].seq == seq)
                        return true;
        return false;
}

static int send_row(void *ctx, const struct sw_store_outbox_row *row)
{
        struct sw_outbox *ob = ctx;
        struct sw_inflight *slot = free_slot(ob);
        char *json = NULL;
        int mid = 0, r;
        /* Going back (a refusal, rows without a receipt) passes rows still awaiting their
         * PUBACK on this connection: they are not sent twice. */
        if (in_flight(ob, row->seq)) {
                ob->cursor = row->seq;
                return 0;
        }
        if (!slot)
                return -ENOBUFS;
        if (row->anomaly) {
                r = ob->render(ob->render_ctx, row->anomaly, &json);
                if (r == -EBADMSG)
                        return drop_unrenderable(ob, row);
                if (r < 0)
                        return r;
        }
        r = ob->link.publish(ob->link.ctx, row->topic, json ? json : row->payload,
                             json ? strlen(json) : row->len, row->retain != 0, &mid);
        free(json);
        if (r < 0)
                return r;
        slot->mid = mid;
        slot->seq = row->seq;
        slot->rev = row->rev;
        ob->n_inflight++;
        ob->cursor = row->seq;
        return 0;
}

void sw_outbox_pump(struct sw_outbox *ob, uint64_t now_ms)
{
        if (!ob->more || !ob->link.connected(ob->link.ctx) || now_ms < ob->retry_at_ms)
                return;
        uint32_t room = ob->capacity - ob->n_inflight;
        if (room == 0)
                return;
        int r = ob->store.pending(ob->store.ctx, ob->cursor, room, send_row, ob);
        if (r < 0) {
                if (r != -ENOTCONN && r != -ENOBUFS && now_ms >= ob->log_at_ms) {
                        sw_log_warning("Outbox: cannot send to HQ: %s", strerror(-r));
                        ob->log_at_ms = now_ms + OUTBOX_LOG_EVERY_MS;
                }
                return;
        }
        /* Fewer rows than room: everything pending is in flight now. */
        if ((uint32_t)r < room)
                ob->more = false;
}

/* Send row seq and everything after it again once the pause is over. */
static void resend_from(struct sw_outbox *ob, int64_t seq, uint64_t now_ms)
{
        if (ob->cursor >= seq)
                ob->cursor = seq - 1;
        ob->more = true;
        ob->retry_at_ms = now_ms + ob->retry_ms;
}

/* HQ refused a publish (quota, authorisation): keep the row, and send it again. */
static void refused(struct sw_outbox *ob, struct sw_inflight *slot, uint64_t now_ms)
{
        resend_from(ob, slot->seq, now_ms);
        ob->refused++;
        if (now_ms >= ob->log_at_ms) {
                sw_log_warning("Outbox: HQ refused row %lld, retrying in %u s",
                               (long long)slot->seq, ob->retry_ms / 1000);
                ob->log_at_ms = now_ms + OUTBOX_LOG_EVERY_MS;
        }
}

/* The broker has the row: it is done, or (receipts on, a row with a rev) it awaits HQ's
 * receipt. A row a receipt already covered is gone (-ENOENT): nothing to do. A row the store
 * could not mark (disk full) is still pending behind the cursor: it goes again after the
 * pause, as a refused one, rather than waiting for the next reconnect. */
static void acknowledged(struct sw_outbox *ob, const struct sw_inflight *slot, int64_t now,
                         uint64_t now_ms)
{
        bool wait = ob->receipts.enabled && slot->rev > 0;
        int r = wait ? ob->store.await_receipt(ob->store.ctx, slot->seq, now)
                     : ob->store.delivered(ob->store.ctx, slot->seq);
        if (r < 0 && r != -ENOENT) {
                sw_log_warning("Outbox: cannot mark row %lld %s: %s", (long long)slot->seq,
                               wait ? "awaiting its receipt" : "delivered", strerror(-r));
                resend_from(ob, slot->seq, now_ms);
        }
        if (wait && r == 0)
                ob->receipts.awaiting++;
        ob->delivered++;
}

void sw_outbox_on_published(struct sw_outbox *ob, int mid, bool accepted, int64_t now,
                            uint64_t now_ms)
{
        for (uint32_t i = 0; i < ob->capacity && mid != 0; i++) {
                struct sw_inflight *slot = &ob->inflight[i];
                if (slot->mid != mid)
                        continue;
                if (accepted) {
                        acknowledged(ob, slot, now, now_ms);
                } else {
                        refused(ob, slot, now_ms);
                }
                slot->mid = 0;
                ob->n_inflight--;
                return;
        }
}

/* Rows awaiting a receipt now, or 0 when receipts are off or it cannot be read. */
static uint64_t awaiting_now(struct sw_outbox *ob)
{
        struct sw_store_outbox_stats st;
        if (!ob->receipts.enabled || ob->store.stats(ob->store.ctx, &st) < 0)
                return 0;
        return st.awaiting;
}

int sw_outbox_trim(struct sw_outbox *ob, uint64_t max_rows)
{
        uint64_t awaiting = awaiting_now(ob);
        int r = ob->store.trim(ob->store.ctx, max_rows);
        if (r > 0 && awaiting > 0) {
                /* The policy at the bound is the oldest out, acknowledged or not: said aloud,
                 * since HQ's broker had these and HQ had not confirmed them. */
                uint64_t after = awaiting_now(ob), lost = awaiting > after ? awaiting - after : 0;
                ob->receipts.dropped += lost;
                if (lost)
                        sw_log_warning("Outbox over limits.outbox_max_rows=%llu: %llu of the "
                                       "dropped rows had no receipt from HQ yet",
                                       (unsigned long long)max_rows, (unsigned long long)lost);
        }
        if (r > 0) {
                ob->dropped += (uint64_t)r;
                sw_log_warning(
                    "Outbox over limits.outbox_max_rows=%llu: dropped the %d oldest rows",
                    (unsigned long long)max_rows, r);
        }
        return r;
}

int sw_outbox_depth(struct sw_outbox *ob, uint64_t *ret_rows, uint64_t *ret_bytes)
{
        return ob->store.depth(ob->store.ctx, ret_rows, ret_bytes);
}

int sw_outbox_stats(struct sw_outbox *ob, struct sw_store_outbox_stats *ret)
{
        return ob->store.stats(ob->store.ctx, ret);
}
