/* The group commit of the daemon's state: dirty SKUs, message ids, categories, clocks. */
#include "daemon/persist.h"

#include "daemon/daemon.h"
#include "daemon/tuning_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_detail.h"
#include "core/civil_time.h"
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
        int r = sw_tuning_store_persist(d);
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

struct sw_durable_state sw_persist_state(struct sw_daemon *d)
{
        return (struct sw_durable_state){.dirty = state_dirty,
                                         .write = state_write,
                                         .written = state_written,
                                         .idle = state_idle,
                                         .ctx = d};
}

int sw_persist_commit(struct sw_daemon *d)
{
        return sw_durability_commit(&d->durability);
}

bool sw_persist_storage_note(struct sw_daemon *d, int r, const char *what)
{
        return sw_storage_health_note(&d->storage, r, what, sw_store_errmsg(d->store),
                                      sw_clock_now());
}
