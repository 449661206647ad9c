/* The daemon's side of HQ: the outbox wired to storage and to the HQ link (or the local broker
 * a bridge carries upstream), and the retained P/status. */
#include "daemon/hq_link.h"

#include "daemon/daemon.h"

#include <stdio.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/json_out.h"
#include "daemon/anomaly_json.h"
#include "daemon/version.h"
#include "platform/clock.h"

static struct sw_mqtt *hq_link(struct sw_daemon *d)
{
        return d->hq ? d->hq : d->local;
}

static int store_add(void *ctx, const char *topic, const char *msg_id, const void *payload,
                     size_t len, bool retain, int64_t created, int64_t *ret_seq)
{
        return sw_store_outbox_add(ctx, topic, msg_id, payload, len, retain, created, ret_seq);
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
        return sw_anomaly_json_of_row(a, d->cfg.store.tenant, d->cfg.store.id, ret_json);
}

int sw_daemon_outbox_init(struct sw_daemon *d, struct sw_inflight *inflight)
{
        struct sw_outbox_store store = {.add = store_add,
                                        .add_anomaly = store_add_anomaly,
                                        .pending = store_pending,
                                        .delivered = store_delivered,
                                        .depth = store_depth,
                                        .trim = store_trim,
                                        .ctx = d->store};
        struct sw_outbox_link link = {
            .publish = link_publish, .connected = link_connected, .ctx = d};
        return sw_outbox_init(&d->outbox, &store, &link, render_anomaly, d, d->prefix, inflight,
                              d->cfg.limits.outbox_inflight);
}

void sw_daemon_outbox_pump(struct sw_daemon *d)
{
        sw_outbox_pump(&d->outbox, sw_clock_monotonic_ms());
}

void sw_daemon_outbox_on_published(void *ctx, int mid, bool accepted)
{
        struct sw_daemon *d = ctx;
        sw_outbox_on_published(&d->outbox, mid, accepted, sw_clock_monotonic_ms());
}

int sw_daemon_status_json(const struct sw_daemon *d, bool online, char *buf, size_t size)
{
        char started[32];
        struct sw_json_out o;
        sw_rfc3339_format(d->started_at, started, sizeof(started));
        sw_json_out_init(&o, buf, size);
        sw_json_out_object_begin(&o);
        sw_json_out_key(&o, "state");
        sw_json_out_string(&o, online ? "online" : "offline");
        sw_json_out_key(&o, "version");
        sw_json_out_string(&o, sw_version());
        sw_json_out_key(&o, "started_at");
        sw_json_out_string(&o, started);
        sw_json_out_key(&o, "pos_feed");
        sw_json_out_string(&o, online ? sw_pos_feed_state(&d->pos_feed) : "unknown");
        sw_json_out_object_end(&o);
        return sw_json_out_finish(&o);
}

void sw_daemon_publish_status(struct sw_daemon *d, bool online)
{
        char topic[SW_TOPIC_MAX], json[256];
        struct sw_mqtt *link = hq_link(d);
        if (!link || !sw_mqtt_connected(link))
                return;
        snprintf(topic, sizeof(topic), "%s/status", d->prefix);
        int n = sw_daemon_status_json(d, online, json, sizeof(json));
        if (n > 0)
                (void)sw_mqtt_publish(link, topic, json, (size_t)n, 1, true, NULL, NULL);
}
