/* The daemon's side of HQ: the outbox wired to storage and to the HQ link (or the local broker
 * a bridge carries upstream), and HQ's receipts coming back on the same link. */
#include "daemon/hq_link.h"

#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/anomaly_json.h"
#include "platform/clock.h"

struct sw_mqtt *sw_daemon_hq_link(const struct sw_daemon *d)
{
        return d->hq ? d->hq : d->local;
}

static struct sw_mqtt *hq_link(struct sw_daemon *d)
{
        return sw_daemon_hq_link(d);
}

static int store_add(void *ctx, const char *topic, const char *msg_id, const void *payload,
                     size_t len, bool retain, int64_t created, int64_t rev, int64_t *ret_seq)
{
        return sw_store_outbox_add_rev(ctx, topic, msg_id, payload, len, retain, created, rev,
                                       ret_seq);
}

static int store_add_anomaly(void *ctx, const char *topic, const char *anomaly_id, int64_t created,
                             int64_t *ret_seq)
{
        return sw_store_outbox_add_anomaly(ctx, topic, anomaly_id, created, ret_seq);
}

static int store_pending(void *ctx, int64_t after_seq, uint32_t limit,
                         int (*cb)(void *cb_ctx, const struct sw_store_outbox_row *row),
                         void *cb_ctx)
{
        return sw_store_outbox_pending(ctx, after_seq, limit, cb, cb_ctx);
}

static int store_delivered(void *ctx, int64_t seq)
{
        return sw_store_outbox_delivered(ctx, seq);
}

static int store_depth(void *ctx, uint64_t *ret_rows, uint64_t *ret_bytes)
{
        return sw_store_outbox_depth(ctx, ret_rows, ret_bytes);
}

static int store_trim(void *ctx, uint64_t max_rows)
{
        return sw_store_outbox_trim(ctx, max_rows);
}

static int store_await_receipt(void *ctx, int64_t seq, int64_t now)
{
        return sw_store_outbox_await_receipt(ctx, seq, now);
}

static int store_receipt(void *ctx, const char *msg_id, int64_t rev)
{
        return sw_store_outbox_receipt(ctx, msg_id, rev);
}

static int store_requeue(void *ctx, int64_t acked_before, int64_t acked_after,
                         int64_t *ret_first_seq)
{
        return sw_store_outbox_requeue(ctx, acked_before, acked_after, ret_first_seq);
}

static int store_stats(void *ctx, struct sw_store_outbox_stats *ret)
{
        return sw_store_outbox_stats(ctx, ret);
}

static int link_publish(void *ctx, const char *topic, const void *payload, size_t len, bool retain,
                        int *ret_mid)
{
        return sw_mqtt_publish(hq_link(ctx), topic, payload, len, 1, retain, NULL, ret_mid);
}

static bool link_connected(void *ctx)
{
        return sw_mqtt_connected(hq_link(ctx));
}

static int render_anomaly(void *ctx, const struct sw_store_anomaly *a, char **ret_json)
{
        struct sw_daemon *d = ctx;
        return sw_anomaly_json_of_row(a, &d->who, ret_json);
}

int sw_daemon_outbox_init(struct sw_daemon *d, struct sw_inflight *inflight)
{
        struct sw_outbox_store store = {.add = store_add,
                                        .add_anomaly = store_add_anomaly,
                                        .pending = store_pending,
                                        .delivered = store_delivered,
                                        .depth = store_depth,
                                        .trim = store_trim,
                                        .await_receipt = store_await_receipt,
                                        .receipt = store_receipt,
                                        .requeue = store_requeue,
                                        .stats = store_stats,
                                        .ctx = d->store};
        struct sw_outbox_link link = {
            .publish = link_publish, .connected = link_connected, .ctx = d};
        int r = sw_outbox_init(&d->outbox, &store, &link, render_anomaly, d, d->prefix, inflight,
                               d->cfg.limits.outbox_inflight);
        if (r == 0 && d->cfg.hq_receipts.enabled)
                sw_outbox_receipts_enable(&d->outbox, d->cfg.hq_receipts.resend_after_seconds);
        return r;
}

int sw_daemon_receipts_subscribe(struct sw_daemon *d)
{
        char topic[SW_TOPIC_MAX];
        if (!d->cfg.hq_receipts.enabled)
                return 0;
        snprintf(topic, sizeof(topic), "%s/%s", d->prefix, SW_HQ_RECEIPT_SUFFIX);
        return sw_mqtt_subscribe(hq_link(d), topic);
}

void sw_daemon_on_receipt(struct sw_daemon *d, const char *topic, const void *payload, size_t len,
                          bool retained)
{
        int r = sw_outbox_on_receipt(&d->outbox, payload, len, retained);
        if (r == -EBADMSG || r == -EPERM) {
                if (sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                        sw_log_warning("Ignored a %s receipt on %s (%zu bytes)",
                                       r == -EPERM ? "retained" : "malformed", topic, len);
                return;
        }
        if (r > 0)
                sw_daemon_outbox_pump(d); /* rows it freed leave room for more */
}

/* The HQ link's messages: only receipts are subscribed there. */
void sw_daemon_hq_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                             const struct sw_mqtt_props *props)
{
        struct sw_daemon *d = ctx;
        size_t plen = strlen(d->prefix);
        if (strncmp(topic, d->prefix, plen) == 0 && topic[plen] == '/' &&
            strcmp(topic + plen + 1, SW_HQ_RECEIPT_SUFFIX) == 0)
                sw_daemon_on_receipt(d, topic, payload, len, props && props->retained);
}

void sw_daemon_outbox_tick(struct sw_daemon *d)
{
        d->outbox.receipts.resend_after_s = d->cfg.hq_receipts.resend_after_seconds;
        sw_outbox_resend_due(&d->outbox, sw_clock_now(), sw_clock_monotonic_ms());
}

void sw_daemon_outbox_pump(struct sw_daemon *d)
{
        sw_outbox_pump(&d->outbox, sw_clock_monotonic_ms());
}

void sw_daemon_outbox_on_published(void *ctx, int mid, bool accepted)
{
        struct sw_daemon *d = ctx;
        sw_outbox_on_published(&d->outbox, mid, accepted, sw_clock_now(), sw_clock_monotonic_ms());
}
