/* The health command: counters, capacities, storage and broker states, detector runs. */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "core/civil_time.h"
#include "daemon/cmd_handlers.h"
#include "daemon/daemon.h"
#include "daemon/reply.h"
#include "daemon/version.h"
#include "platform/clock.h"

static void add_counters(cJSON *o, const struct sw_ingest_counters *c)
{
        cJSON *acc = cJSON_AddObjectToObject(o, "accepted"),
              *dup = cJSON_AddObjectToObject(o, "duplicates");
        cJSON *rej = cJSON_AddObjectToObject(o, "rejected");
        for (int k = 0; k < SW_MSG_KIND_COUNT; k++) {
                const char *kind = sw_msg_kind_name((enum sw_msg_kind)k);
                cJSON *per = cJSON_AddObjectToObject(rej, kind);
                cJSON_AddNumberToObject(acc, kind, (double)c->accepted[k]);
                cJSON_AddNumberToObject(dup, kind, (double)c->duplicates[k]);
                for (int r = 0; r < SW_REJECT_REASON_COUNT; r++)
                        if (c->rejected[k][r])
                                cJSON_AddNumberToObject(
                                    per, sw_reject_reason_name((enum sw_reject_reason)r),
                                    (double)c->rejected[k][r]);
        }
        cJSON_AddNumberToObject(o, "lines_skipped_sku_table_full", (double)c->lines_skipped_full);
        cJSON_AddNumberToObject(o, "categories_full", (double)c->categories_full);
        cJSON_AddNumberToObject(o, "stale_items", (double)c->stale_items);
        cJSON_AddNumberToObject(o, "shelves_full", (double)c->shelves_full);
        cJSON_AddNumberToObject(o, "sales_saturated", (double)c->sales_saturated);
}

static void add_link(cJSON *o, const char *name, const struct sw_mqtt *m)
{
        struct sw_mqtt_stats st;
        cJSON *l = cJSON_AddObjectToObject(o, name);
        sw_mqtt_get_stats(m, &st);
        cJSON_AddStringToObject(l, "state", sw_mqtt_connected(m) ? "connected" : "disconnected");
        cJSON_AddNumberToObject(l, "connects", (double)st.connects);
        cJSON_AddNumberToObject(l, "disconnects", (double)st.disconnects);
        cJSON_AddNumberToObject(l, "connect_failures", (double)st.connect_failures);
        cJSON_AddNumberToObject(l, "backoff_ms", st.backoff_ms);
}

/* Requests run and refused, per reason (every reason listed, 0 included). */
static void add_commands(cJSON *o, const struct sw_daemon *d)
{
        cJSON *c = cJSON_AddObjectToObject(o, "commands"), *refused;
        cJSON_AddNumberToObject(c, "run", (double)d->commands.run);
        cJSON_AddNumberToObject(c, "replies", (double)d->commands.replies);
        refused = cJSON_AddObjectToObject(c, "refused");
        for (int r = 0; r < SW_CMD_REFUSAL_COUNT; r++)
                cJSON_AddNumberToObject(refused, sw_cmd_refusal_name((enum sw_cmd_refusal)r),
                                        (double)d->commands.refused[r]);
}

static void add_skus(cJSON *o, const struct sw_daemon *d)
{
        cJSON *skus = cJSON_AddObjectToObject(o, "skus");
        cJSON_AddNumberToObject(skus, "tracked", d->skus.count);
        cJSON_AddNumberToObject(skus, "capacity", d->skus.p.max_skus);
        cJSON_AddNumberToObject(skus, "reclaimed", (double)d->skus.reclaimed_total);
        cJSON_AddNumberToObject(skus, "categories", d->skus.n_categories - 1);
        cJSON_AddNumberToObject(skus, "history_days", d->skus.p.history_days);
        cJSON_AddNumberToObject(skus, "with_shelf_sensors", d->skus.n_shelves);
        cJSON_AddNumberToObject(skus, "shelf_capacity", d->skus.p.max_shelves);
        cJSON_AddNumberToObject(skus, "fast_sellers", d->skus.n_fast);
        cJSON_AddNumberToObject(skus, "fast_seller_capacity", d->skus.p.max_fast);
}

/* End-to-end receipts (PROTOCOL 1.1): what waits, since when, and what came back. */
static void add_receipts(cJSON *out, const struct sw_daemon *d,
                         const struct sw_store_outbox_stats *st)
{
        const struct sw_outbox_receipts *r = &d->outbox.receipts;
        int64_t now = sw_clock_now();
        cJSON *o = cJSON_AddObjectToObject(out, "receipts");
        cJSON_AddBoolToObject(o, "enabled", r->enabled);
        cJSON_AddNumberToObject(o, "resend_after_s", r->enabled ? r->resend_after_s : 0);
        cJSON_AddNumberToObject(o, "awaiting", (double)st->awaiting);
        sw_reply_add_time(o, "oldest_awaiting_since", st->awaiting ? st->oldest_acked_at : 0);
        cJSON_AddNumberToObject(
            o, "oldest_awaiting_s",
            st->awaiting && now > st->oldest_acked_at ? (double)(now - st->oldest_acked_at) : 0);
        cJSON_AddNumberToObject(o, "received", (double)r->received);
        cJSON_AddNumberToObject(o, "confirmed", (double)r->confirmed);
        cJSON_AddNumberToObject(o, "unknown", (double)r->unknown);
        cJSON_AddNumberToObject(o, "malformed", (double)r->malformed);
        cJSON_AddNumberToObject(o, "retained_ignored", (double)r->retained);
        cJSON_AddNumberToObject(o, "resent", (double)r->resent);
        cJSON_AddNumberToObject(o, "dropped_awaiting", (double)r->dropped);
        /* What happens at limits.outbox_max_rows, said where it is watched. */
        cJSON_AddStringToObject(o, "at_limit", "drop_oldest");
}

static void add_outbox(cJSON *o, struct sw_daemon *d)
{
        struct sw_store_outbox_stats st = {0};
        int64_t now = sw_clock_now();
        cJSON *out = cJSON_AddObjectToObject(o, "outbox");
        (void)sw_outbox_stats(&d->outbox, &st);
        cJSON_AddNumberToObject(out, "depth", (double)st.rows);
        cJSON_AddNumberToObject(out, "bytes", (double)st.bytes);
        cJSON_AddNumberToObject(
            out, "oldest_age_s",
            st.rows && now > st.oldest_created ? (double)(now - st.oldest_created) : 0);
        cJSON_AddNumberToObject(out, "max_rows", d->cfg.limits.outbox_max_rows);
        cJSON_AddNumberToObject(out, "in_flight", d->outbox.n_inflight);
        cJSON_AddNumberToObject(out, "delivered", (double)d->outbox.delivered);
        cJSON_AddNumberToObject(out, "refused", (double)d->outbox.refused);
        cJSON_AddNumberToObject(out, "dropped", (double)d->outbox.dropped);
        add_receipts(out, d, &st);
}

static void add_storage(cJSON *o, const struct sw_daemon *d)
{
        cJSON *stg = cJSON_AddObjectToObject(o, "storage");
        cJSON_AddStringToObject(stg, "state", sw_storage_state_name(d->storage.state));
        sw_reply_add_time(stg, "since", d->storage.since);
        cJSON_AddNumberToObject(stg, "failures", (double)d->storage.failures);
        cJSON_AddStringToObject(stg, "last_error", d->storage.last_error);
        cJSON_AddNumberToObject(stg, "max_db_kib", d->cfg.storage.max_db_kib);
}

static void add_detector_runs(cJSON *o, const struct sw_daemon *d)
{
        cJSON *runs = cJSON_AddObjectToObject(o, "detectors");
        cJSON *g = cJSON_AddObjectToObject(runs, "ghost_stock");
        char day[16];
        cJSON_AddStringToObject(g, "mode", sw_ghost_mode_name(d->detector.ghost.mode));
        const struct sw_detect_run *ghost = &d->runs.last[SW_RUN_GHOST];
        sw_reply_add_time(g, "last_run", ghost->at);
        if (ghost->at) {
                sw_date_format(ghost->as_of, day, sizeof(day));
                cJSON_AddStringToObject(g, "as_of", day);
                sw_reply_add_summary(g, "found", &ghost->found);
        }
        g = cJSON_AddObjectToObject(runs, "stock");
        sw_reply_add_time(g, "last_run", d->runs.last[SW_RUN_STOCK].at);
        g = cJSON_AddObjectToObject(runs, "ml_detected");
        cJSON_AddBoolToObject(g, "enabled", d->cfg.detectors.ml.enabled);
        sw_reply_add_time(g, "trained_at", d->ml.trained_at);
        cJSON_AddBoolToObject(g, "model", sw_iforest_fitted(&d->ml.forest));
        if (sw_iforest_fitted(&d->ml.forest))
                cJSON_AddNumberToObject(g, "threshold", sw_iforest_threshold(&d->ml.forest));
        cJSON_AddNumberToObject(g, "reservoir", sw_reservoir_count(&d->ml.reservoir));
        cJSON_AddNumberToObject(g, "reservoir_seen", (double)sw_reservoir_seen(&d->ml.reservoir));
        sw_reply_add_time(g, "last_run", d->runs.last[SW_RUN_ML].at);
        if (d->runs.last[SW_RUN_ML].at)
                sw_reply_add_summary(g, "found", &d->runs.last[SW_RUN_ML].found);
}

static void add_cell(cJSON *parent, const char *name, const struct sw_tuning_cell *c, double scale)
{
        cJSON *o = cJSON_AddObjectToObject(parent, name);
        cJSON_AddNumberToObject(o, "scale", scale);
        cJSON_AddNumberToObject(o, "outcomes", c->outcomes);
        cJSON_AddNumberToObject(o, "true_positives", c->true_positives);
}

/* The learnt evidence scales. */
static void add_tuning(struct sw_daemon *d, cJSON *parent)
{
        const struct sw_tuning *t = &d->tuning;
        cJSON *o = cJSON_AddObjectToObject(parent, "tuning");
        cJSON_AddBoolToObject(o, "enabled", t->p.enabled);
        cJSON_AddNumberToObject(o, "target_precision", t->p.target_precision);
        cJSON_AddNumberToObject(o, "min_scale", t->p.min_scale);
        cJSON_AddNumberToObject(o, "max_scale", t->p.max_scale);
        cJSON_AddNumberToObject(o, "max_daily_factor", t->p.max_daily_factor);
        cJSON *w = cJSON_AddObjectToObject(o, "weights");
        cJSON_AddNumberToObject(w, "scanner_user", t->p.weight_scanner_user);
        cJSON_AddNumberToObject(w, "scanner", t->p.weight_scanner);
        cJSON_AddNumberToObject(w, "command", t->p.weight_command);
        cJSON *types = cJSON_AddObjectToObject(o, "types");
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++) {
                enum sw_anomaly_type type = (enum sw_anomaly_type)k;
                const struct sw_tuning_cell *all = sw_tuning_cell(t, type, -1);
                cJSON *ty = cJSON_AddObjectToObject(types, sw_anomaly_type_name(type));
                add_cell(ty, "all", all,
                         all && all->outcomes >= t->p.min_outcomes && t->p.enabled ? all->scale
                                                                                   : 1.0);
                cJSON *cats = cJSON_AddObjectToObject(ty, "categories");
                /* Only the categories that have learnt something: health stays small. */
                for (uint32_t c = 0; c < d->skus.n_categories && c < t->max_categories; c++) {
                        const struct sw_tuning_cell *cell = sw_tuning_cell(t, type, (int32_t)c);
                        if (!cell || cell->outcomes == 0)
                                continue;
                        add_cell(cats,
                                 c == 0 ? "unknown" : sw_sku_category_name(&d->skus, (uint16_t)c),
                                 cell, sw_tuning_scale(t, type, (uint16_t)c));
                }
        }
}

/* The POS feed: live silence and the detection runs' store shortfalls. */
static void add_pos_feed(cJSON *parent, const struct sw_pos_feed *f)
{
        cJSON *o = cJSON_AddObjectToObject(parent, "pos_feed");
        cJSON_AddStringToObject(o, "state", sw_pos_feed_state(f));
        sw_reply_add_time(o, "last_pos_at", f->last_pos_at);
        sw_reply_add_time(o, "silent_since", f->silent ? f->silent_since : 0);
        cJSON_AddNumberToObject(o, "silences", (double)f->silences);
        cJSON_AddNumberToObject(o, "store_shortfalls", (double)f->shortfalls);
        sw_reply_add_day(o, "newest_store_shortfall", f->newest_shortfall);
}

/* The store-wide conditions P/summary and P/status carry (daemon/hq_health.c). */
static void add_conditions(cJSON *o, const struct sw_daemon *d)
{
        const char *cond[SW_HQ_CONDITIONS_MAX];
        size_t n = sw_hq_conditions(d, cond, SW_HQ_CONDITIONS_MAX);
        cJSON *a = cJSON_AddArrayToObject(o, "conditions");
        for (size_t i = 0; i < n; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(cond[i]));
}

cJSON *sw_cmd_health(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        (void)args;
        cJSON *o = sw_reply_ok(), *brokers;
        cJSON_AddStringToObject(o, "version", sw_version());
        sw_reply_add_time(o, "started_at", d->started_at);
        cJSON_AddNumberToObject(o, "uptime_s", (double)(sw_clock_now() - d->started_at));
        cJSON *msgs = cJSON_AddObjectToObject(o, "messages");
        add_counters(msgs, &d->ingest.counters);
        cJSON_AddNumberToObject(msgs, "unknown_topic", (double)d->unknown_topics);
        add_commands(o, d);
        add_skus(o, d);
        cJSON_AddNumberToObject(o, "open_anomalies", d->book.count);
        add_outbox(o, d);
        cJSON_AddNumberToObject(o, "store_errors", (double)d->store_errors);
        add_pos_feed(o, &d->pos_feed);
        add_conditions(o, d);
        add_tuning(d, o);
        add_storage(o, d);
        brokers = cJSON_AddObjectToObject(o, "brokers");
        add_link(brokers, "local", d->local);
        if (d->hq)
                add_link(brokers, "hq", d->hq);
        add_detector_runs(o, d);
        return o;
}
