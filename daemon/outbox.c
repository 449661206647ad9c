/* The outbox pump: undelivered rows go to HQ at QoS 1, a bounded number in flight; a row is
 * deleted on PUBACK. After any reconnect every undelivered row is sent again, same id. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "daemon/anomaly_json.h"
#include "daemon/version.h"
#include "platform/clock.h"

#define OUTBOX_RETRY_MS 5000u /* pause after HQ refused a message */

static struct sw_mqtt *hq_link(struct sw_daemon *d)
{
        return d->hq ? d->hq : d->local;
}

int sw_daemon_outbox_add(struct sw_daemon *d, const char *suffix, const char *msg_id, const char *json,
                         bool retain)
{
        char topic[SW_TOPIC_MAX];
        int64_t seq;
        snprintf(topic, sizeof(topic), "%s/%s", d->prefix, suffix);
        int r = sw_store_outbox_add(d->store, topic, msg_id, json, strlen(json), retain, sw_clock_now(), &seq);
        if (r == 0)
                d->outbox_more = true;
        return r;
}

int sw_daemon_outbox_add_anomaly(struct sw_daemon *d, const char *anomaly_id)
{
        char topic[SW_TOPIC_MAX];
        int64_t seq;
        snprintf(topic, sizeof(topic), "%s/anomaly", d->prefix);
        int r = sw_store_outbox_add_anomaly(d->store, topic, anomaly_id, sw_clock_now(), &seq);
        if (r == 0)
                d->outbox_more = true;
        return r;
}

void sw_daemon_outbox_reset(struct sw_daemon *d)
{
        /* Unacknowledged publishes of the old connection are forgotten: their rows are still in
         * the outbox and go again from the start. */
        memset(d->inflight, 0, d->cfg.limits.outbox_inflight * sizeof(*d->inflight));
        d->n_inflight = 0;
        d->outbox_cursor = 0;
        d->outbox_more = true;
}

static struct sw_inflight *free_slot(struct sw_daemon *d)
{
        for (uint32_t i = 0; i < d->cfg.limits.outbox_inflight; i++)
                if (d->inflight[i].mid == 0)
                        return &d->inflight[i];
        return NULL;
}

/* A row standing for an anomaly whose stored form cannot be rendered (a damaged database) can
 * never be sent: it is dropped, with an error, so that the rows after it still go. */
static int drop_unrenderable(struct sw_daemon *d, const struct sw_store_outbox_row *row)
{
        sw_log_err("Outbox: anomaly %s is unreadable in the database, dropping its message", row->msg_id);
        d->outbox_cursor = row->seq;
        d->outbox_dropped++;
        return sw_store_outbox_delivered(d->store, row->seq);
}

static int send_row(void *ctx, const struct sw_store_outbox_row *row)
{
        struct sw_daemon *d = ctx;
        struct sw_inflight *slot = free_slot(d);
        char *json = NULL;
        int mid = 0, r;
        if (!slot)
                return -ENOBUFS;
        if (row->anomaly) {
                r = sw_anomaly_json_of_row(row->anomaly, d->cfg.store.tenant, d->cfg.store.id, &json);
                if (r == -EBADMSG)
                        return drop_unrenderable(d, row);
                if (r < 0)
                        return r;
        }
        r = sw_mqtt_publish(hq_link(d), row->topic, json ? json : row->payload, json ? strlen(json) : row->len, 1,
                            row->retain != 0, NULL, &mid);
        free(json);
        if (r < 0)
                return r;
        slot->mid = mid;
        slot->seq = row->seq;
        d->n_inflight++;
        d->outbox_cursor = row->seq;
        return 0;
}

void sw_daemon_outbox_pump(struct sw_daemon *d)
{
        uint32_t room;
        int r;
        if (!d->outbox_more || !sw_mqtt_connected(hq_link(d)) || sw_clock_monotonic_ms() < d->outbox_retry_ms)
                return;
        room = d->cfg.limits.outbox_inflight - d->n_inflight;
        if (room == 0)
                return;
        r = sw_store_outbox_pending(d->store, d->outbox_cursor, room, send_row, d);
        if (r < 0) {
                if (r != -ENOTCONN && r != -ENOBUFS && sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                        sw_log_warning("Outbox: cannot send to HQ: %s", strerror(-r));
                return;
        }
        /* Fewer rows than room: everything pending is in flight now. */
        if ((uint32_t)r < room)
                d->outbox_more = false;
}

void sw_daemon_outbox_on_published(void *ctx, int mid, bool accepted)
{
        struct sw_daemon *d = ctx;
        for (uint32_t i = 0; i < d->cfg.limits.outbox_inflight; i++) {
                if (d->inflight[i].mid != mid || mid == 0)
                        continue;
                if (!accepted) {
                        /* HQ refused it (quota, authorisation): keep the row, and send it and
                         * everything after it again once the pause is over. */
                        if (d->outbox_cursor >= d->inflight[i].seq)
                                d->outbox_cursor = d->inflight[i].seq - 1;
                        d->inflight[i].mid = 0;
                        d->n_inflight--;
                        d->outbox_more = true;
                        d->outbox_retry_ms = sw_clock_monotonic_ms() + OUTBOX_RETRY_MS;
                        d->outbox_refused++;
                        if (sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                                sw_log_warning("Outbox: HQ refused row %lld, retrying in %u s",
                                               (long long)d->inflight[i].seq, OUTBOX_RETRY_MS / 1000);
                        return;
                }
                int r = sw_store_outbox_delivered(d->store, d->inflight[i].seq);
                if (r < 0 && r != -ENOENT)
                        sw_log_warning("Outbox: cannot mark row %lld delivered: %s",
                                       (long long)d->inflight[i].seq, strerror(-r));
                d->inflight[i].mid = 0;
                d->n_inflight--;
                d->outbox_delivered++;
                return;
        }
}

void sw_daemon_publish_status(struct sw_daemon *d, bool online)
{
        char topic[SW_TOPIC_MAX], json[256], started[32];
        struct sw_mqtt *link = hq_link(d);
        if (!link || !sw_mqtt_connected(link))
                return;
        snprintf(topic, sizeof(topic), "%s/status", d->prefix);
        sw_rfc3339_format(d->started_at, started, sizeof(started));
        snprintf(json, sizeof(json),
                 "{\"state\":\"%s\",\"version\":\"%s\",\"started_at\":\"%s\",\"pos_feed\":\"%s\"}",
                 online ? "online" : "offline", sw_version(), started,
                 online ? sw_pos_feed_state(&d->pos_feed) : "unknown");
        (void)sw_mqtt_publish(link, topic, json, strlen(json), 1, true, NULL, NULL);
}
