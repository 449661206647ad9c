/* The gateway's health as HQ gets it: P/status and the health block of P/summary. */
#include "daemon/hq_health.h"

#include "daemon/daemon.h"

#include <stdio.h>
#include <string.h>

#include "core/civil_time.h"
#include "daemon/version.h"
#include "platform/clock.h"
#include "platform/store_receipt.h"

#define STATUS_JSON_SIZE 4096 /* P/status with its health; the will is far smaller */

size_t sw_hq_conditions(const struct sw_daemon *d, const char **ret, size_t max)
{
        struct sw_store_outbox_stats st = {0};
        size_t n = 0;
        if (d->pos_feed.silent && n < max)
                ret[n++] = "pos_feed_silent";
        if (d->storage.state != SW_STORAGE_OK && n < max)
                ret[n++] = d->storage.state == SW_STORAGE_FULL ? "storage_full" : "storage_error";
        if (d->store && sw_store_outbox_stats(d->store, &st) == 0 &&
            st.rows >= d->cfg.limits.outbox_max_rows && n < max)
                ret[n++] = "outbox_full";
        return n;
}

static void member_time(struct sw_json_out *o, const char *key, int64_t t)
{
        char ts[32];
        sw_json_out_key(o, key);
        if (t <= 0) {
                sw_json_out_null(o);
                return;
        }
        sw_rfc3339_format(t, ts, sizeof(ts));
        sw_json_out_string(o, ts);
}

static void member_uint(struct sw_json_out *o, const char *key, uint64_t v)
{
        sw_json_out_key(o, key);
        sw_json_out_int(o, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* Depth, the oldest undelivered row's age, and the receipts' side of it. */
static void write_outbox(const struct sw_daemon *d, struct sw_json_out *o, int64_t now)
{
        struct sw_store_outbox_stats st = {0};
        (void)sw_store_outbox_stats(d->store, &st);
        sw_json_out_key(o, "outbox");
        sw_json_out_object_begin(o);
        member_uint(o, "depth", st.rows);
        member_uint(o, "oldest_age_s",
                    st.rows && now > st.oldest_created ? (uint64_t)(now - st.oldest_created) : 0);
        member_uint(o, "limit", d->cfg.limits.outbox_max_rows);
        sw_json_out_key(o, "receipts");
        sw_json_out_bool(o, d->outbox.receipts.enabled);
        member_uint(o, "awaiting_receipt", st.awaiting);
        member_uint(o, "oldest_receipt_wait_s",
                    st.awaiting && now > st.oldest_acked_at ? (uint64_t)(now - st.oldest_acked_at)
                                                            : 0);
        member_uint(o, "dropped", d->outbox.dropped);
        sw_json_out_object_end(o);
}

/* Messages accepted and rejected (all reasons) per kind since start. */
static void write_messages(const struct sw_ingest_counters *c, struct sw_json_out *o)
{
        sw_json_out_key(o, "messages");
        sw_json_out_object_begin(o);
        for (int which = 0; which < 2; which++) {
                sw_json_out_key(o, which ? "rejected" : "accepted");
                sw_json_out_object_begin(o);
                for (int k = 0; k < SW_MSG_KIND_COUNT; k++) {
                        uint64_t n = which ? 0 : c->accepted[k];
                        for (int r = 0; which && r < SW_REJECT_REASON_COUNT; r++)
                                n += c->rejected[k][r];
                        member_uint(o, sw_msg_kind_name((enum sw_msg_kind)k), n);
                }
                sw_json_out_object_end(o);
        }
        sw_json_out_object_end(o);
}

/* The storage state, as an object: HQ's API reads health.storage.state. */
static void write_storage(const struct sw_storage_health *h, struct sw_json_out *o)
{
        sw_json_out_key(o, "storage");
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "state");
        sw_json_out_string(o, sw_storage_state_name(h->state));
        member_time(o, "since", h->since);
        member_uint(o, "failures", h->failures);
        sw_json_out_object_end(o);
}

void sw_hq_health_members(const struct sw_daemon *d, struct sw_json_out *o, bool pos_feed)
{
        const struct sw_pos_feed *f = &d->pos_feed;
        const char *cond[SW_HQ_CONDITIONS_MAX];
        char day[16];
        size_t n = sw_hq_conditions(d, cond, SW_HQ_CONDITIONS_MAX);
        if (pos_feed) {
                sw_json_out_key(o, "pos_feed");
                sw_json_out_string(o, sw_pos_feed_state(f));
        }
        member_time(o, "last_pos_at", f->last_pos_at);
        member_uint(o, "pos_silences", f->silences);
        member_uint(o, "store_shortfalls", f->shortfalls);
        sw_json_out_key(o, "newest_store_shortfall");
        if (f->newest_shortfall == SW_DAY_NONE) {
                sw_json_out_null(o);
        } else {
                sw_date_format(f->newest_shortfall, day, sizeof(day));
                sw_json_out_string(o, day);
        }
        sw_json_out_key(o, "conditions");
        sw_json_out_array_begin(o);
        for (size_t i = 0; i < n; i++)
                sw_json_out_string(o, cond[i]);
        sw_json_out_array_end(o);
        write_storage(&d->storage, o);
        write_outbox(d, o, sw_clock_now());
        write_messages(&d->ingest.counters, o);
}

void sw_hq_health_write(const struct sw_daemon *d, struct sw_json_out *o)
{
        sw_json_out_key(o, "health");
        sw_json_out_object_begin(o);
        sw_hq_health_members(d, o, true);
        sw_json_out_object_end(o);
}

int sw_daemon_status_json(const struct sw_daemon *d, bool online, char *buf, size_t size)
{
        char started[32];
        struct sw_json_out o;
        sw_rfc3339_format(d->started_at, started, sizeof(started));
        sw_json_out_init(&o, buf, size);
        sw_json_out_object_begin(&o);
        sw_json_out_key(&o, "v");
        sw_json_out_string(&o, "1.1");
        sw_json_out_key(&o, "state");
        sw_json_out_string(&o, online ? "online" : "offline");
        sw_json_out_key(&o, "version");
        sw_json_out_string(&o, sw_version());
        sw_json_out_key(&o, "started_at");
        sw_json_out_string(&o, started);
        sw_json_out_key(&o, "pos_feed");
        sw_json_out_string(&o, online ? sw_pos_feed_state(&d->pos_feed) : "unknown");
        if (online) { /* the health beside state and pos_feed, as HQ reads a status */
                member_time(&o, "ts", sw_clock_now());
                sw_hq_health_members(d, &o, false);
        }
        sw_json_out_object_end(&o);
        return sw_json_out_finish(&o);
}

void sw_daemon_publish_status(struct sw_daemon *d, bool online)
{
        char topic[SW_TOPIC_MAX], json[STATUS_JSON_SIZE];
        struct sw_mqtt *link = sw_daemon_hq_link(d);
        if (!link || !sw_mqtt_connected(link))
                return;
        snprintf(topic, sizeof(topic), "%s/status", d->prefix);
        int n = sw_daemon_status_json(d, online, json, sizeof(json));
        if (n > 0)
                (void)sw_mqtt_publish(link, topic, json, (size_t)n, 1, true, NULL, NULL);
}
