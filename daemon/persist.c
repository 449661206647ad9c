/* Group commit of state, and anomalies written with their outbox rows in one transaction. */
#include "daemon/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_detail.h"
#include "core/civil_time.h"
#include "daemon/outcomes.h"
#include "platform/clock.h"

struct dedup_flush {
        struct sw_store *store; /* target */
        int error;              /* first error */
};

static void flush_id(void *ctx, uint64_t hash)
{
        struct dedup_flush *f = ctx;
        if (f->error == 0)
                f->error = sw_store_put_dedup(f->store, hash);
}

/* The category names in id order, NUL-separated: restored first at start-up, so a category
 * keeps its id (and its learnt tuning) across restarts. */
static int write_categories(struct sw_daemon *d)
{
        size_t size = (size_t)d->skus.n_categories * (SW_CATEGORY_MAX_LEN + 1), n = 0;
        char *buf = malloc(size ? size : 1);
        int r;
        if (!buf)
                return -ENOMEM;
        for (uint16_t id = 1; id < d->skus.n_categories; id++) {
                const char *name = sw_sku_category_name(&d->skus, id);
                size_t len = strlen(name) + 1;
                memcpy(buf + n, name, len);
                n += len;
        }
        r = sw_store_meta_put_blob(d->store, "categories", buf, n);
        free(buf);
        return r;
}

/* Write dirty SKUs and new ids; the caller holds the transaction. */
static int write_dirty(struct sw_daemon *d)
{
        struct dedup_flush df = {.store = d->store};
        /* First the state of reclaimed SKUs deleted: a key that came back since is written
         * again below. */
        for (uint32_t k = 0; k < d->skus.n_reclaimed; k++) {
                int r = sw_store_delete_sku(d->store, sw_sku_reclaimed_key(&d->skus, k));
                if (r < 0)
                        return r;
        }
        /* Then an undone count's id deleted, then a resend of it stored again below. */
        for (uint32_t k = 0; k < d->n_dedup_forget; k++) {
                int r = sw_store_delete_dedup(d->store, d->dedup_forget[k]);
                if (r < 0)
                        return r;
        }
        for (uint32_t k = 0; k < d->skus.n_dirty; k++) {
                uint32_t i = d->skus.dirty[k];
                int n = sw_sku_serialize(&d->skus, i, d->blob, d->blob_size);
                if (n < 0)
                        return n;
                n = sw_store_put_sku(d->store, sw_sku_key(&d->skus, i), d->blob, (size_t)n);
                if (n < 0)
                        return n;
        }
        if (d->skus.n_categories != d->persisted_categories) {
                int r = write_categories(d);
                if (r < 0)
                        return r;
        }
        if (d->ingest.event_clock != d->persisted_event_clock) {
                int r = sw_store_meta_put_int(d->store, "event_clock", d->ingest.event_clock);
                if (r < 0)
                        return r;
        }
        sw_dedup_for_each_pending(&d->dedup, flush_id, &df);
        if (df.error < 0)
                return df.error;
        if (d->dedup.pending > 0) {
                /* It returns how many it deleted: a count is not an error, and must not skip
                 * the COMMIT (the transaction stayed open until the next group commit's BEGIN
                 * failed and rolled it back). */
                int n = sw_store_prune_dedup(d->store, d->dedup.capacity);
                return n < 0 ? n : 0;
        }
        return 0;
}

/* The learnt scales are derived data: written at the group commit after they change (about
 * 200 KB at 4096 categories), not fsynced with every outcome; after a power loss the last
 * second's learning is lost, never an outcome. */
static void persist_tuning_now(struct sw_daemon *d)
{
        int r = sw_daemon_tuning_persist(d);
        if (r < 0)
                sw_log_warning("Cannot save the learnt thresholds, will retry: %s", strerror(-r));
        else
                d->tuning_dirty = false;
}

static bool state_dirty(void *ctx)
{
        const struct sw_daemon *d = ctx;
        return d->skus.n_dirty > 0 || d->dedup.pending > 0 ||
               d->ingest.event_clock != d->persisted_event_clock || d->n_dedup_forget > 0 ||
               d->skus.n_reclaimed > 0;
}

static int state_write(void *ctx)
{
        return write_dirty(ctx);
}

static void state_written(void *ctx)
{
        struct sw_daemon *d = ctx;
        sw_sku_clear_dirty(&d->skus);
        sw_dedup_mark_persisted(&d->dedup);
        d->n_dedup_forget = 0;
        sw_sku_reclaimed_flushed(&d->skus);
        d->persisted_event_clock = d->ingest.event_clock;
        d->persisted_categories = d->skus.n_categories;
}

static void state_idle(void *ctx)
{
        struct sw_daemon *d = ctx;
        if (d->tuning_dirty)
                persist_tuning_now(d);
}

struct sw_durable_state sw_daemon_durable_state(struct sw_daemon *d)
{
        return (struct sw_durable_state){.dirty = state_dirty, .write = state_write,
                                         .written = state_written, .idle = state_idle, .ctx = d};
}

int sw_daemon_commit(struct sw_daemon *d)
{
        return sw_durability_commit(&d->durability);
}

bool sw_daemon_storage_note(struct sw_daemon *d, int r, const char *what)
{
        return sw_storage_health_note(&d->storage, r, what, sw_store_errmsg(d->store),
                                      sw_clock_now());
}

int sw_daemon_record_finding(void *ctx, const struct sw_finding *f)
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
                r = sw_daemon_outcome_suppresses(d, f->type, sku, f->since, f->as_of);
                if (r != 0)
                        return r < 0 ? r : SW_FINDING_SUPPRESSED;
        }
        /* The payload is rendered from the row and this detail when it is sent. */
        struct sw_anomaly_snapshot snap = {.on_hand = s->on_hand, .price = s->price,
                                           .ghost_mode = d->detector.ghost.mode};
        r = sw_anomaly_detail_encode(f, &snap, detail, sizeof(detail));
        if (r < 0)
                return r;
        sw_date_format(f->as_of, as_of, sizeof(as_of));
        struct sw_store_anomaly a = {.id = id, .type = sw_anomaly_type_name(f->type),
                                     .severity = sw_severity_name(f->severity),
                                     .status = sw_status_name(f->status), .sku = sku,
                                     .category = sw_sku_category_name(&d->skus, s->category), .as_of = as_of,
                                     .episode_day = f->since, .detected_at = now, /* kept on update */
                                     .updated_at = now, .score = f->score, .probability = f->probability,
                                     .value = f->value, .detail = detail, .detail_len = (size_t)r};
        r = sw_store_put_anomaly(d->store, &a);
        if (r == 0)
                r = sw_outbox_add_anomaly(&d->outbox, id, sw_clock_now()); /* sends the anomaly just stored */
        if (r == 0 && f->is_new) {
                if (d->findings_logged < d->cfg.log.max_findings_per_run) {
                        d->findings_logged++;
                        sw_log_notice("%s %s %s: %s", sw_severity_name(f->severity), sw_anomaly_type_name(f->type),
                                      sku, f->description);
                } else {
                        d->findings_unlogged++;
                }
        }
        return r;
}

int sw_daemon_in_transaction(struct sw_daemon *d, int (*fn)(struct sw_daemon *d, void *arg), void *arg)
{
        int r = sw_daemon_commit(d);
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
                              "(log.max_findings_per_run = %" PRIu32 "; the anomalies command lists them)",
                              d->findings_unlogged, d->cfg.log.max_findings_per_run);
        if (r < 0) {
                sw_store_rollback(d->store);
                d->store_errors++;
                (void)sw_daemon_storage_note(d, r, "writing detections");
                sw_daemon_reload_episodes(d);
        }
        return r;
}

struct ghost_run {
        sw_day_t as_of;                /* detection day */
        struct sw_detect_summary sum;  /* result */
};

static int run_ghost(struct sw_daemon *d, void *arg)
{
        struct ghost_run *g = arg;
        return sw_detect_ghost(&d->detector, g->as_of, sw_daemon_record_finding, d, &g->sum);
}

void sw_daemon_note_as_of(struct sw_daemon *d, sw_day_t as_of)
{
        int64_t start = sw_clock_from_local(as_of, 0);
        if (start <= d->detect_clock)
                return;
        d->detect_clock = start;
        if (sw_store_meta_put_int(d->store, "detect_clock", d->detect_clock) < 0)
                sw_log_warning("Cannot record the detection clock: %s", sw_store_errmsg(d->store));
}

int sw_daemon_detect_ghost(struct sw_daemon *d, sw_day_t as_of, struct sw_detect_summary *ret)
{
        sw_daemon_note_as_of(d, as_of);
        struct ghost_run g = {.as_of = as_of};
        int r = sw_daemon_in_transaction(d, run_ghost, &g);
        if (r < 0)
                return r;
        d->runs.ghost_at = sw_clock_now();
        d->runs.ghost_as_of = as_of;
        d->runs.ghost = g.sum;
        sw_daemon_pos_note_run(d, &g.sum);
        d->summary_due = true;
        sw_daemon_outbox_pump(d);
        if (ret)
                *ret = g.sum;
        return 0;
}

/* The time stock checks measure to: what the data has reached (the newest event, or the
 * start of the last detect's as_of day), never past the wall clock. A replay of the same
 * traffic thus raises the same episodes as live traffic did. */
static int64_t known_time(const struct sw_daemon *d)
{
        int64_t t = d->ingest.event_clock > d->detect_clock ? d->ingest.event_clock : d->detect_clock;
        int64_t now = sw_clock_now();
        return t < now ? t : now;
}

static int run_stock(struct sw_daemon *d, void *arg)
{
        struct sw_local_time now_local;
        int64_t now = known_time(d);
        int r = sw_clock_to_local(NULL, now, &now_local);
        if (r < 0)
                return r;
        return sw_detect_stock(&d->detector, now, &now_local, sw_daemon_record_finding, d, arg);
}

int sw_daemon_detect_stock(struct sw_daemon *d, struct sw_detect_summary *ret)
{
        struct sw_detect_summary sum = {0};
        int r = sw_daemon_in_transaction(d, run_stock, &sum);
        if (r < 0)
                return r;
        d->runs.stock_at = sw_clock_now();
        d->runs.stock = sum;
        sw_daemon_outbox_pump(d);
        if (ret)
                *ret = sum;
        return 0;
}
