/* Daemon lifetime: fixed memory, storage and state restore, MQTT links. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/detection.h"
#include "daemon/findings.h"
#include "daemon/inbound.h"
#include "daemon/persist.h"
#include "daemon/restore.h"
#include "daemon/setup.h"
#include "daemon/tuning_store.h"
#include "platform/clock.h"
#include "platform/store_outcome.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

#define FORECAST_HORIZON_DAYS 14 /* pushed forecasts are accepted this far ahead */

/* Pushed forecasts are read for the days a detector looks back over (the ghost run, the
 * seed lookback); their ring holds those and the horizon ahead, not the whole history. */
static uint16_t forecast_days(const struct sw_config *c)
{
        const struct sw_ghost_params *g = &c->detectors.ghost.params;
        uint32_t back =
            g->max_run_days > g->seed_lookback_days ? g->max_run_days : g->seed_lookback_days;
        return (uint16_t)(back + FORECAST_HORIZON_DAYS + 1);
}

static struct sw_sku_table_params table_params(const struct sw_config *c)
{
        return (struct sw_sku_table_params){.max_skus = c->limits.max_skus,
                                            .history_days = (uint16_t)c->limits.history_days,
                                            .forecast_days = forecast_days(c),
                                            .max_categories = (uint16_t)c->limits.max_categories,
                                            .max_shelves = c->limits.max_shelf_skus,
                                            .max_fast = c->limits.max_fast_skus};
}

/* The parts of the daemon's one block of memory: each one's parameters and size. */
struct block_layout {
        struct sw_sku_table_params table_p; /* the SKU table's */
        struct sw_rate_params device_p;     /* per-device rate buckets */
        struct sw_rate_params command_p;    /* per-command rate buckets */
        size_t table, dedup, book, det, items, infl, blob, ml, rate, crate, tuning; /* bytes each,
                                                                                  8-aligned */
        size_t total;                                                               /* their sum */
};

static int block_layout(const struct sw_daemon *d, struct block_layout *l)
{
        const struct sw_config *c = &d->cfg;
        l->table_p = table_params(c);
        l->device_p = (struct sw_rate_params){.rate_per_second = c->limits.device_rate_per_second,
                                              .burst = c->limits.device_burst,
                                              .max_devices = c->limits.max_devices};
        l->command_p = (struct sw_rate_params){.rate_per_second = c->limits.command_rate_per_second,
                                               .burst = c->limits.command_burst,
                                               .max_devices = SW_DAEMON_COMMAND_NAMES};
        l->table = ALIGN8(sw_sku_table_memory_size(&l->table_p));
        l->dedup = ALIGN8(sw_dedup_memory_size(c->limits.dedup_ids));
        l->book =
            ALIGN8(sw_anomaly_book_memory_size(c->limits.max_open_anomalies, l->table_p.max_skus));
        l->det = ALIGN8(sw_detector_memory_size(l->table_p.history_days, l->table_p.max_categories,
                                                c->detectors.ghost.max_new_per_day));
        l->items = ALIGN8((size_t)c->limits.max_items_per_message * sizeof(struct sw_item));
        l->infl = ALIGN8((size_t)c->limits.outbox_inflight * sizeof(struct sw_inflight));
        l->blob = ALIGN8(SW_SKU_BLOB_MAX(l->table_p.history_days, l->table_p.forecast_days));
        l->ml = ALIGN8(sw_daemon_ml_memory_size(d));
        l->rate = ALIGN8(sw_rate_memory_size(&l->device_p));
        l->crate = ALIGN8(sw_rate_memory_size(&l->command_p));
        l->tuning = ALIGN8(sw_tuning_memory_size(c->limits.max_categories));
        if (!l->table || !l->dedup || !l->book || !l->rate || !l->crate || !l->tuning)
                return -EINVAL;
        l->total = l->table + l->dedup + l->book + l->det + l->items + l->infl + l->blob + l->ml +
                   l->rate + l->crate + l->tuning;
        return 0;
}

/* The core structures laid over the block in the layout's order. */
static int place_core(struct sw_daemon *d, const struct block_layout *l)
{
        const struct sw_config *c = &d->cfg;
        char *at = d->memory;
        int r = sw_sku_table_init(&d->skus, &l->table_p, at, l->table);
        at += l->table;
        if (r == 0)
                r = sw_dedup_init(&d->dedup, c->limits.dedup_ids, at, l->dedup);
        at += l->dedup;
        if (r == 0)
                r = sw_anomaly_book_init(&d->book, c->limits.max_open_anomalies,
                                         l->table_p.max_skus, at, l->book);
        at += l->book;
        /* A SKU with an open anomaly is never reclaimed (core/sku_reclaim.c). */
        sw_sku_table_set_pinned(&d->skus, d->book.open_types);
        if (r == 0)
                r = sw_detector_init(&d->detector, &d->skus, &d->book, &d->cal,
                                     c->detectors.ghost.max_new_per_day, at, l->det);
        at += l->det;
        d->items = (struct sw_item *)(void *)at;
        at += l->items;
        d->outbox.inflight = (struct sw_inflight *)(void *)at; /* set up once storage is open */
        at += l->infl;
        d->blob = (uint8_t *)at;
        d->blob_size = l->blob;
        at += l->blob;
        if (r == 0)
                r = sw_daemon_ml_init(d, at, l->ml);
        at += l->ml;
        if (r == 0)
                r = sw_rate_init(&d->device_rate, &l->device_p, at, l->rate);
        at += l->rate;
        if (r == 0)
                r = sw_rate_init(&d->commands.rate, &l->command_p, at, l->crate);
        at += l->crate;
        if (r == 0)
                r = sw_tuning_init(&d->tuning, &c->tuning, c->limits.max_categories, at, l->tuning);
        d->detector.tuning = &d->tuning;
        return r;
}

/* One block for every fixed-size core structure: nothing is allocated after start-up. */
static int alloc_core(struct sw_daemon *d)
{
        struct block_layout l;
        int r = block_layout(d, &l);
        if (r < 0)
                return r;
        d->memory_size = l.total;
        /* calloc, not malloc: untouched pages cost no RSS until used. */
        d->memory = calloc(1, d->memory_size);
        if (!d->memory)
                return -ENOMEM;
        return place_core(d, &l);
}

static int restore_sku(void *ctx, const char *sku, const void *blob, size_t len)
{
        struct sw_daemon *d = ctx;
        int r = sw_sku_restore(&d->skus, sku, strlen(sku), blob, len);
        if (r == -ENOSPC) {
                sw_log_warning(
                    "SKU table full (limits.max_skus=%u) while restoring '%s', dropping it",
                    d->cfg.limits.max_skus, sku);
                return 0;
        }
        if (r < 0)
                sw_log_warning("Stored state of SKU '%s' is malformed, ignoring: %s", sku,
                               strerror(-r));
        return 0;
}

static int restore_dedup(void *ctx, uint64_t hash)
{
        struct sw_daemon *d = ctx;
        sw_dedup_insert(&d->dedup, hash);
        return 0;
}

/* The inbox file that goes with the database at db_path. */
static void inbox_path(char *buf, size_t size, const char *db_path)
{
        snprintf(buf, size, "%s.inbox", db_path);
}

/* Intern the categories in their persisted id order before any SKU names one. */
static void restore_categories(struct sw_daemon *d)
{
        size_t len = 0, at = 0;
        char *buf;
        if (sw_store_meta_blob_len(d->store, "categories", &len) < 0 || len == 0)
                return;
        buf = malloc(len + 1);
        if (!buf)
                return;
        if (sw_store_meta_get_blob(d->store, "categories", buf, len, &len) == 0) {
                buf[len] = '\0';
                while (at < len) {
                        uint16_t id;
                        size_t n = strlen(buf + at);
                        if (n > 0 && n <= SW_CATEGORY_MAX_LEN &&
                            sw_sku_table_category(&d->skus, buf + at, n, &id) < 0)
                                break;
                        at += n + 1;
                }
        }
        free(buf);
        d->persisted_categories = d->skus.n_categories;
}

static int restore_state(struct sw_daemon *d)
{
        restore_categories(d);
        int r = sw_store_load_skus(d->store, restore_sku, d);
        if (r < 0)
                return r;
        r = sw_store_load_dedup(d->store, restore_dedup, d);
        if (r < 0)
                return r;
        sw_dedup_mark_persisted(&d->dedup);
        if (sw_store_meta_get_int(d->store, "event_clock", &d->ingest.event_clock) < 0)
                d->ingest.event_clock = 0;
        d->persisted_event_clock = d->ingest.event_clock;
        sw_detection_init(d);
        r = sw_findings_load_open(d);
        if (r < 0)
                return r;
        sw_tuning_store_restore(d);
        d->outcomes_none = sw_store_outcome_any(d->store) == 0;
        /* Messages acknowledged and applied before a crash, but not yet group-committed. */
        r = sw_durability_restore(&d->durability, d->cfg.storage.path, sw_inbound_replay, d);
        if (r < 0)
                return r;
        sw_log_info("Restored %u SKUs, %u message ids, %u open anomalies", d->skus.count,
                    d->dedup.count, d->book.count);
        return 0;
}

/* One daemon per database, taken before anything opens it: the inbox file's lock (flock, which
 * --restore takes too). Else a second daemon would open, upgrade or even quarantine the running
 * one's database before it learns, from this lock, that it must not run. */
static int lock_inbox(struct sw_inbox_file *f, const char *db_path)
{
        char path[1200];
        inbox_path(path, sizeof(path), db_path);
        int r = sw_inbox_file_open(f, path);
        if (r < 0)
                sw_log_err("Cannot open the inbox file %s: %s", path,
                           r == -EBUSY ? "another shelfwatchd runs on this database"
                                       : strerror(-r));
        return r;
}

/* Open the database; a corrupt one is moved aside so the daemon comes back up (no restart loop).
 * lock: the locked inbox file (lock_inbox), locked again if it moved aside with the database. */
static int open_store(struct sw_daemon *d, struct sw_inbox_file *lock)
{
        struct sw_store_options o = {.cache_kib = d->cfg.storage.cache_kib};
        const char *path = d->cfg.storage.path;
        char moved[1200];
        int r = sw_store_open(path, &o, &d->store);
        if (r == 0) {
                r = sw_store_quick_check(d->store);
                if (r == 0)
                        return 0;
                d->store = sw_store_close(d->store);
        }
        if (r != -EUCLEAN && r != -EPROTO) {
                sw_log_err("Cannot open database %s: %s", path, strerror(-r));
                return r;
        }
        if (r == -EPROTO) {
                sw_log_err("Database %s was written by a newer shelfwatch; refusing to touch it",
                           path);
                return r;
        }
        if (sw_store_quarantine(path, sw_clock_now(), moved, sizeof(moved)) < 0)
                return r;
        sw_log_err("Database %s is corrupt: moved it to %s and starting with an empty one", path,
                   moved);
        /* Its inbox file goes with it: its generations mean nothing to a fresh database. */
        {
                char from[1200], to[1300];
                inbox_path(from, sizeof(from), path);
                inbox_path(to, sizeof(to), moved);
                if (rename(from, to) < 0 && errno != ENOENT)
                        sw_log_warning("Cannot move the inbox file %s aside: %s", from,
                                       strerror(errno));
        }
        /* The lock went with the file moved aside: take it on the new one. */
        sw_inbox_file_close(lock);
        r = lock_inbox(lock, path);
        if (r == 0)
                r = sw_store_open(path, &o, &d->store);
        /* Ids found again on the fresh database are ones HQ may hold at a higher rev. */
        if (r == 0) {
                r = sw_restore_mark_fresh(d->store, moved, sw_clock_now());
                if (r < 0)
                        sw_log_err("Cannot mark the new database %s: %s (%s)", path, strerror(-r),
                                   sw_store_errmsg(d->store));
        }
        return r;
}

static int open_links(struct sw_daemon *d);

/* Replies go to the local broker at QoS 0: a requester that misses one asks again. */
static int publish_reply(void *ctx, const char *topic, const char *payload, size_t len,
                         const struct sw_mqtt_props *props)
{
        struct sw_daemon *d = ctx;
        return sw_mqtt_publish(d->local, topic, payload, len, 0, false, props, NULL);
}

static int commands_init(struct sw_daemon *d)
{
        struct sw_command_link link = {.publish = publish_reply, .ctx = d};
        return sw_commands_init(&d->commands, sw_command_table, sw_command_table_rows, d, &link,
                                d->prefix, d->cfg.limits.max_payload_bytes, &d->reject_log);
}

/* The database, the durability object and the outbox over it, and its size cap. */
static int open_storage(struct sw_daemon *d)
{
        const struct sw_config *cfg = &d->cfg;
        struct sw_inbox_file lock;
        int r = lock_inbox(&lock, cfg->storage.path);
        if (r < 0)
                return r;
        r = open_store(d, &lock);
        /* After a restore, revisions jump above what HQ may hold (docs/deploy.md). */
        if (r == 0) {
                r = sw_restore_apply_rev_floor(d->store);
                if (r < 0)
                        sw_log_err("Cannot read the restore marker: %s (%s)", strerror(-r),
                                   sw_store_errmsg(d->store));
        }
        if (r == 0) {
                struct sw_durable_state state = sw_persist_state(d);
                sw_durability_init(&d->durability, d->store, &d->storage, &d->store_errors,
                                   (uint64_t)cfg->storage.max_inbox_kib * 1024, &state);
                d->durability.inbox = lock; /* sw_durability_restore reads it, still locked */
                lock.fd = -1;
                r = sw_daemon_outbox_init(d, d->outbox.inflight);
        }
        sw_inbox_file_close(&lock);
        if (r < 0 || cfg->storage.max_db_kib == 0)
                return r;
        r = sw_store_set_max_bytes(d->store, (uint64_t)cfg->storage.max_db_kib * 1024);
        if (r < 0)
                sw_log_err("Cannot cap the database at storage.max_db_kib=%u: %s",
                           cfg->storage.max_db_kib, strerror(-r));
        return r;
}

/* Memory, calendar, detectors, ingest and the decoders (no I/O but the time zone's files). */
static int setup_memory(struct sw_daemon *d)
{
        const struct sw_config *cfg = &d->cfg;
        int r = sw_clock_set_timezone(cfg->store.timezone);
        if (r < 0) {
                sw_log_err("Time zone '%s' is not available: %s", cfg->store.timezone,
                           strerror(-r));
                return r;
        }
        r = alloc_core(d);
        if (r < 0) {
                sw_log_err("Cannot set up %zu bytes of state for %u SKUs: %s", d->memory_size,
                           cfg->limits.max_skus, strerror(-r));
                return r;
        }
        sw_setup_calendar(d);
        sw_setup_detectors(d);
        struct sw_ingest_params ip = {.max_future_seconds = cfg->limits.max_future_seconds,
                                      .forecast_horizon_days = FORECAST_HORIZON_DAYS,
                                      .max_shelf_gap_seconds =
                                          cfg->detectors.shelf_out.max_gap_minutes * 60u};
        sw_ingest_init(&d->ingest, &ip, &d->skus, &d->dedup, &d->cal);
        if (sw_payload_decoder_new(&d->decoder) < 0 || commands_init(d) < 0)
                return -ENOMEM;
        return 0;
}

int sw_daemon_init(struct sw_daemon *d, const struct sw_config *cfg)
{
        int r;

        memset(d, 0, sizeof(*d));
        d->durability.inbox.fd = -1;
        d->cfg = *cfg;
        d->started_at = sw_clock_now();
        sw_pos_feed_init(&d->pos_feed, cfg->detectors.context.pos_silence_minutes * 60u,
                         d->started_at);
        d->reject_log = (struct sw_ratelimit){.interval_ms = 1000, .burst = 10};
        snprintf(d->prefix, sizeof(d->prefix), "%s/%s/%s", cfg->store.root, cfg->store.tenant,
                 cfg->store.id);
        /* d->cfg's strings: they stay put (tenant, id and currency wait for a restart). */
        d->who = sw_payload_store_of(d->cfg.store.tenant, d->cfg.store.id, d->cfg.store.currency);
        r = setup_memory(d);
        if (r == 0)
                r = open_storage(d);
        if (r < 0)
                return r;
        r = restore_state(d);
        if (r == 0)
                r = sw_daemon_ml_restore(d);
        if (r < 0) {
                sw_log_err("Cannot restore state from %s: %s (%s)", cfg->storage.path, strerror(-r),
                           sw_store_errmsg(d->store));
                return r;
        }
        r = open_links(d);
        d->ready = r == 0;
        return r;
}

static void on_local_connect(void *ctx)
{
        struct sw_daemon *d = ctx;
        sw_log_info("Connected to local broker %s:%u", d->cfg.broker.host, d->cfg.broker.port);
        if (!d->hq) {
                sw_daemon_publish_status(d, true);
                sw_outbox_reset(&d->outbox);
        }
}

/* A refused TLS handshake is a configuration problem: an error naming OpenSSL's reason. */
static bool log_tls_refused(const char *what, const struct sw_config_broker *b,
                            const struct sw_mqtt *m, int reason)
{
        if (reason != -EPROTO)
                return false;
        sw_log_err(
            "Cannot connect to %s broker %s:%u: TLS handshake refused: %s (check %s.tls: ca_file, "
            "cert_file, key_file, the certificates' dates and the broker's host name)",
            what, b->host, b->port,
            *sw_mqtt_last_error(m) ? sw_mqtt_last_error(m) : "no reason given",
            strcmp(what, "HQ") == 0 ? "hq" : "broker");
        return true;
}

static void on_local_disconnect(void *ctx, int reason)
{
        struct sw_daemon *d = ctx;
        if (!log_tls_refused("local", &d->cfg.broker, d->local, reason))
                sw_log_warning("Lost local broker %s:%u: %s", d->cfg.broker.host,
                               d->cfg.broker.port, strerror(-reason));
        if (!d->hq)
                sw_outbox_reset(&d->outbox);
}

static void on_hq_connect(void *ctx)
{
        struct sw_daemon *d = ctx;
        sw_log_info("Connected to HQ broker %s:%u", d->cfg.hq.host, d->cfg.hq.port);
        sw_daemon_publish_status(d, true);
        sw_outbox_reset(&d->outbox);
}

static void on_hq_disconnect(void *ctx, int reason)
{
        struct sw_daemon *d = ctx;
        if (!log_tls_refused("HQ", &d->cfg.hq, d->hq, reason))
                sw_log_warning("Lost HQ broker %s:%u: %s", d->cfg.hq.host, d->cfg.hq.port,
                               strerror(-reason));
        sw_outbox_reset(&d->outbox);
}

static struct sw_mqtt_options link_options(const struct sw_config_broker *b, const char *name,
                                           struct sw_mqtt_tls *tls)
{
        *tls = (struct sw_mqtt_tls){.ca_file = b->tls.ca_file,
                                    .cert_file = b->tls.cert_file,
                                    .key_file = b->tls.key_file,
                                    .insecure = b->tls.insecure};
        return (struct sw_mqtt_options){.name = name,
                                        .host = b->host,
                                        .port = b->port,
                                        .client_id = b->client_id,
                                        .keepalive_s = (int)b->keepalive,
                                        .username = b->username,
                                        .password = b->password,
                                        .tls = b->tls.enabled ? tls : NULL,
                                        .backoff_min_ms = b->reconnect_min_ms,
                                        .backoff_max_ms = b->reconnect_max_ms,
                                        .max_reads = b->max_reads_per_pass};
}

/* A link of d's in *ret; a failure is logged, naming the link. */
static int new_link(struct sw_daemon *d, const struct sw_mqtt_options *o,
                    const struct sw_mqtt_callbacks *cb, const char *name, struct sw_mqtt **ret)
{
        int r = sw_mqtt_new(o, cb, d, ret);
        if (r < 0)
                sw_log_err("Cannot set up the %s MQTT link: %s", name, strerror(-r));
        return r;
}

/* The link that carries P/status leaves the offline one, retained, as its last will. */
static void carry_will(struct sw_mqtt_options *o, const char *topic, const char *payload)
{
        o->will_topic = topic;
        o->will_payload = payload;
        o->will_retain = true;
}

static int open_links(struct sw_daemon *d)
{
        static const char *const subs[] = {"pos/+",   "receipt",         "inventory", "forecast",
                                           "shelf/+", "scanner/+/count", "cmd/+"};
        struct sw_mqtt_tls tls_local, tls_hq;
        struct sw_mqtt_options lo = link_options(&d->cfg.broker, "local", &tls_local);
        struct sw_mqtt_callbacks lcb = {.on_connect = on_local_connect,
                                        .on_disconnect = on_local_disconnect,
                                        .on_message = sw_inbound_on_message};
        char will_topic[SW_TOPIC_MAX], pattern[SW_TOPIC_MAX], will[256];
        int r;

        snprintf(will_topic, sizeof(will_topic), "%s/status", d->prefix);
        /* The last will is the offline P/status (libmosquitto copies it). */
        if (sw_daemon_status_json(d, false, will, sizeof(will)) < 0)
                return -ENAMETOOLONG;
        /* Keep the broker session so QoS 1 device messages queued while we were down arrive. */
        lo.clean_start = false;
        lo.session_expiry_s = 7 * 24 * 3600;
        if (!d->cfg.hq_enabled) {
                carry_will(&lo, will_topic, will);
                lcb.on_published = sw_daemon_outbox_on_published;
        }
        r = new_link(d, &lo, &lcb, "local", &d->local);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
                snprintf(pattern, sizeof(pattern), "%s/%s", d->prefix, subs[i]);
                r = sw_mqtt_subscribe(d->local, pattern);
                if (r < 0)
                        return r;
        }
        if (!d->cfg.hq_enabled)
                return sw_daemon_receipts_subscribe(d); /* a bridge brings them in */
        struct sw_mqtt_options ho = link_options(&d->cfg.hq, "hq", &tls_hq);
        struct sw_mqtt_callbacks hcb = {.on_connect = on_hq_connect,
                                        .on_disconnect = on_hq_disconnect,
                                        .on_message = sw_daemon_hq_on_message,
                                        .on_published = sw_daemon_outbox_on_published};
        carry_will(&ho, will_topic, will);
        ho.clean_start = true;
        r = new_link(d, &ho, &hcb, "HQ", &d->hq);
        if (r < 0)
                return r;
        return sw_daemon_receipts_subscribe(d);
}

void sw_daemon_fini(struct sw_daemon *d)
{
        /* After a failed start nothing is flushed: a commit would clear inbox rows that
         * were never replayed. */
        if (d->ready) {
                int r = sw_persist_commit(d);
                if (r < 0)
                        sw_log_err("Final commit failed: %s", strerror(-r));
        }
        if (d->local && sw_mqtt_connected(d->hq ? d->hq : d->local))
                sw_daemon_publish_status(d, false);
        d->hq = sw_mqtt_free(d->hq);
        d->local = sw_mqtt_free(d->local);
        d->store = sw_store_close(d->store);
        sw_durability_close(&d->durability);
        d->decoder = sw_payload_decoder_free(d->decoder);
        sw_commands_fini(&d->commands);
        free(d->memory);
        d->memory = NULL;
}
