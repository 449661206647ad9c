/* Findings: anomalies written with their outbox rows, in one transaction with the episode book. */
#include "daemon/findings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/anomaly_detail.h"
#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "daemon/daemon.h"
#include "daemon/persist.h"
#include "daemon/tuning_store.h"
#include "platform/clock.h"
#include "platform/store_outcome.h"

/* 1 when a new episode continues a condition a person already judged, 0 not, or -errno. */
static int suppressed(struct sw_daemon *d, enum sw_anomaly_type type, const char *sku,
                      sw_day_t since, sw_day_t as_of)
{
        const char *name = sw_anomaly_type_name(type);
        /* One query per new episode: skipped while there is nothing to find. */
        if (d->outcomes_none)
                return 0;
        /* A person judged this condition while it lasted: do not raise it again. */
        int r =
            sw_store_outcome_exists_since(d->store, name, sku, sw_clock_from_local(since, 0), NULL);
        if (r != 0 || !sw_anomaly_type_desc(type)->dismissal_quiets)
                return r;
        /* The forest looks at a week of features: a dismissed alert of such a type stays
         * quiet for outcomes.dismiss_days, not just until tomorrow's fresh episode. */
        return sw_store_outcome_exists_since(
            d->store, name, sku,
            sw_clock_from_local(as_of - (sw_day_t)d->cfg.outcomes.dismiss_days, 0),
            "false_positive");
}

/* The journal's record of a finding that opened or cleared, at most log.max_findings_per_run
 * a run (the others are counted). */
static void log_finding(struct sw_daemon *d, const struct sw_finding *f, const char *id,
                        const char *sku)
{
        bool cleared = f->status == SW_STATUS_CLEARED && !f->is_new;
        if (!f->is_new && !cleared)
                return;
        const struct sw_log_fields lf = {.event = cleared ? SW_EVENT_ANOMALY_CLEARED
                                                          : SW_EVENT_ANOMALY_RAISED,
                                         .anomaly_id = id,
                                         .sku = sku,
                                         .type = sw_anomaly_type_name(f->type)};
        if (d->findings_logged < d->cfg.log.max_findings_per_run) {
                d->findings_logged++;
                if (cleared)
                        sw_log_event(SW_LOG_INFO, &lf, "Cleared %s %s: %s",
                                     sw_anomaly_type_name(f->type), sku, f->description);
                else
                        sw_log_event(SW_LOG_NOTICE, &lf, "%s %s %s: %s",
                                     sw_severity_name(f->severity), sw_anomaly_type_name(f->type),
                                     sku, f->description);
        } else {
                d->findings_unlogged++;
        }
}

int sw_findings_record(void *ctx, const struct sw_finding *f)
{
        struct sw_daemon *d = ctx;
        const struct sw_sku *s = sw_sku_at(&d->skus, f->sku_index);
        const char *sku = sw_sku_key(&d->skus, f->sku_index);
        char id[SW_ANOMALY_ID_MAX], as_of[16];
        uint8_t detail[SW_ANOMALY_DETAIL_MAX];
        int64_t now = sw_clock_now();
        int r = sw_anomaly_id(id, sizeof(id), d->cfg.store.id, f->type, sku, f->since);
        if (r < 0)
                return r;
        if (f->is_new) {
                r = suppressed(d, f->type, sku, f->since, f->as_of);
                if (r != 0)
                        return r < 0 ? r : SW_FINDING_SUPPRESSED;
        }
        /* The payload is rendered from the row and this detail when it is sent. */
        struct sw_anomaly_snapshot snap = {
            .on_hand = s->on_hand, .price = s->price, .ghost_mode = d->detector.ghost.mode};
        r = sw_anomaly_detail_encode(f, &snap, detail, sizeof(detail));
        if (r < 0)
                return r;
        sw_date_format(f->as_of, as_of, sizeof(as_of));
        struct sw_store_anomaly a = {.id = id,
                                     .type = sw_anomaly_type_name(f->type),
                                     .severity = sw_severity_name(f->severity),
                                     .status = sw_status_name(f->status),
                                     .sku = sku,
                                     .category = sw_sku_category_name(&d->skus, s->category),
                                     .as_of = as_of,
                                     .episode_day = f->since,
                                     .detected_at = now, /* kept on update */
                                     .updated_at = now,
                                     .score = f->score,
                                     .probability = f->probability,
                                     .value = f->value,
                                     .detail = detail,
                                     .detail_len = (size_t)r};
        r = sw_store_put_anomaly(d->store, &a);
        if (r == 0)
                r = sw_outbox_add_anomaly(&d->outbox, id,
                                          sw_clock_now()); /* sends the anomaly just stored */
        if (r == 0)
                log_finding(d, f, id, sku);
        return r;
}

int sw_findings_in_transaction(struct sw_daemon *d, int (*fn)(struct sw_daemon *d, void *arg),
                               void *arg)
{
        int r = sw_persist_commit(d);
        if (r < 0)
                return r;
        r = sw_store_begin(d->store);
        if (r < 0)
                return r;
        d->findings_logged = d->findings_unlogged = 0;
        r = fn(d, arg);
        if (r > 0)
                r = 0;
        if (r == 0)
                r = sw_store_commit_durable(d->store);
        if (r == 0 && d->findings_unlogged > 0)
                sw_log_notice("... and %" PRIu32 " more new anomalies, not logged one by one "
                              "(log.max_findings_per_run = %" PRIu32
                              "; the anomalies command lists them)",
                              d->findings_unlogged, d->cfg.log.max_findings_per_run);
        if (r < 0) {
                sw_store_rollback(d->store);
                d->store_errors++;
                (void)sw_persist_storage_note(d, r, "writing detections");
                sw_findings_reload(d);
        }
        return r;
}

static int restore_episode(void *ctx, const struct sw_store_anomaly *a)
{
        struct sw_daemon *d = ctx;
        enum sw_anomaly_type type;
        uint32_t index;
        if (sw_anomaly_type_parse(a->type, &type) < 0 ||
            sw_sku_table_find(&d->skus, a->sku, strlen(a->sku), &index) < 0)
                return 0;
        if (sw_anomaly_book_open(&d->book, type, index, (sw_day_t)a->episode_day) == -ENOSPC)
                sw_log_warning(
                    "Open-anomaly book full (limits.max_open_anomalies=%u), not tracking %s",
                    d->cfg.limits.max_open_anomalies, a->id);
        return 0;
}

int sw_findings_load_open(struct sw_daemon *d)
{
        return sw_store_load_open_anomalies(d->store, restore_episode, d);
}

void sw_findings_reload(struct sw_daemon *d)
{
        int r =
            sw_anomaly_book_init(&d->book, d->book.capacity, d->book.max_skus, d->book.slots,
                                 sw_anomaly_book_memory_size(d->book.capacity, d->book.max_skus));
        if (r == 0)
                r = sw_findings_load_open(d);
        if (r < 0)
                sw_log_err("Cannot reload open anomalies: %s", strerror(-r));
        /* The learnt scales as last committed. */
        if (sw_tuning_init(&d->tuning, &d->cfg.tuning, d->tuning.max_categories, d->tuning.cells,
                           sw_tuning_memory_size(d->tuning.max_categories)) == 0) {
                sw_tuning_store_restore(d);
                d->tuning_dirty = false;
        }
}
