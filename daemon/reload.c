/* Configuration reload on SIGHUP: apply what can change live, keep the rest, keep all state. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/detection.h"
#include "daemon/setup.h"
#include "platform/clock.h"
#include "platform/notify.h"

/* Settings that size the fixed memory block, name the database or the topics, or shape
 * objects built once at start-up cannot change under a running daemon. A reload that
 * changes one logs a warning naming it and keeps the value in force; the rest applies. */
#define KEEP_VALUE(field, name)                                                                    \
        do {                                                                                       \
                if (memcmp(&old->field, &next->field, sizeof(old->field)) != 0) {                  \
                        warn_kept(name);                                                           \
                        memcpy(&next->field, &old->field, sizeof(old->field));                     \
                        kept++;                                                                    \
                }                                                                                  \
        } while (0)

#define KEEP_STRING(field, name)                                                                   \
        do {                                                                                       \
                if (strcmp(old->field, next->field) != 0) {                                        \
                        warn_kept(name);                                                           \
                        memcpy(next->field, old->field, sizeof(old->field));                       \
                        kept++;                                                                    \
                }                                                                                  \
        } while (0)

static void warn_kept(const char *name)
{
        sw_log_warning("Reload: %s cannot change without a restart, keeping the value in force",
                       name);
}

/* One broker's settings: the link is built once (client id, session, TLS context), so a
 * change waits for the next restart. prefix is "broker" or "hq". */
static unsigned keep_broker(const struct sw_config_broker *old, struct sw_config_broker *next,
                            const char *prefix)
{
        unsigned kept = 0;
        char name[64];
#define KEEP_BROKER(field, how)                                                                    \
        do {                                                                                       \
                snprintf(name, sizeof(name), "%s." #field, prefix);                                \
                how(field, name);                                                                  \
        } while (0)
        KEEP_BROKER(host, KEEP_STRING);
        KEEP_BROKER(port, KEEP_VALUE);
        KEEP_BROKER(client_id, KEEP_STRING);
        KEEP_BROKER(keepalive, KEEP_VALUE);
        KEEP_BROKER(username, KEEP_STRING);
        KEEP_BROKER(password, KEEP_STRING);
        KEEP_BROKER(reconnect_min_ms, KEEP_VALUE);
        KEEP_BROKER(reconnect_max_ms, KEEP_VALUE);
        KEEP_BROKER(tls.enabled, KEEP_VALUE);
        KEEP_BROKER(tls.ca_file, KEEP_STRING);
        KEEP_BROKER(tls.cert_file, KEEP_STRING);
        KEEP_BROKER(tls.key_file, KEEP_STRING);
        KEEP_BROKER(tls.insecure, KEEP_VALUE);
        KEEP_BROKER(max_reads_per_pass, KEEP_VALUE);
#undef KEEP_BROKER
        return kept;
}

/* Put the start-up-only settings of old back into next; returns how many differed. */
static unsigned keep_fixed(const struct sw_config *old, struct sw_config *next)
{
        unsigned kept = 0;
        /* Topic prefix and subscriptions. */
        KEEP_STRING(store.root, "store.root");
        KEEP_STRING(store.tenant, "store.tenant");
        KEEP_STRING(store.id, "store.id");
        /* The process-wide zone: days already bucketed would shift under the SKU history. */
        KEEP_STRING(store.timezone, "store.timezone");
        kept += keep_broker(&old->broker, &next->broker, "broker");
        if (old->hq_enabled != next->hq_enabled) {
                warn_kept(old->hq_enabled ? "hq (removing the section)"
                                          : "hq (adding the section)");
                next->hq_enabled = old->hq_enabled;
                next->hq = old->hq;
                kept++;
        } else if (old->hq_enabled) {
                kept += keep_broker(&old->hq, &next->hq, "hq");
        } else {
                next->hq = old->hq;
        }
        KEEP_STRING(storage.path, "storage.path");
        KEEP_VALUE(storage.cache_kib, "storage.cache_kib");
        KEEP_VALUE(storage.max_db_kib, "storage.max_db_kib"); /* set on the connection at open */
        /* Sizes of the fixed memory block (daemon.c alloc_core). */
        KEEP_VALUE(limits.max_skus, "limits.max_skus");
        KEEP_VALUE(limits.history_days, "limits.history_days");
        KEEP_VALUE(limits.dedup_ids, "limits.dedup_ids");
        KEEP_VALUE(limits.max_categories, "limits.max_categories");
        KEEP_VALUE(limits.max_shelf_skus, "limits.max_shelf_skus");
        KEEP_VALUE(limits.max_fast_skus, "limits.max_fast_skus");
        KEEP_VALUE(limits.max_open_anomalies, "limits.max_open_anomalies");
        KEEP_VALUE(limits.max_items_per_message, "limits.max_items_per_message");
        KEEP_VALUE(limits.outbox_inflight, "limits.outbox_inflight");
        /* The per-device token buckets are laid out and parameterised once. */
        KEEP_VALUE(limits.max_devices, "limits.max_devices");
        KEEP_VALUE(limits.device_rate_per_second, "limits.device_rate_per_second");
        KEEP_VALUE(limits.device_burst, "limits.device_burst");
        KEEP_VALUE(limits.command_rate_per_second, "limits.command_rate_per_second");
        KEEP_VALUE(limits.command_burst, "limits.command_burst");
        /* They size the pushed-forecast ring of every SKU. */
        KEEP_VALUE(detectors.ghost.params.max_run_days, "detectors.ghost.max_run_days");
        KEEP_VALUE(detectors.ghost.params.seed_lookback_days, "detectors.ghost.seed_lookback_days");
        /* It sizes the detector's candidate heap. */
        KEEP_VALUE(detectors.ghost.max_new_per_day, "detectors.ghost.max_new_per_day");
        /* The forest and its reservoir are laid out, seeded and restored at start-up. */
        KEEP_VALUE(detectors.ml.enabled, "detectors.ml.enabled");
        KEEP_VALUE(detectors.ml.trees, "detectors.ml.trees");
        KEEP_VALUE(detectors.ml.samples, "detectors.ml.samples");
        KEEP_VALUE(detectors.ml.contamination, "detectors.ml.contamination");
        KEEP_VALUE(detectors.ml.reservoir, "detectors.ml.reservoir");
        KEEP_VALUE(detectors.ml.seed, "detectors.ml.seed");
        /* The stored model and reservoir are rows of one feature set. */
        KEEP_VALUE(detectors.ml.features, "detectors.ml.features");
        /* It sizes the run's candidate heap. */
        KEEP_VALUE(detectors.ml.max_new_per_day, "detectors.ml.max_new_per_day");
        return kept;
}

static void apply(struct sw_daemon *d)
{
        sw_log_set_level(d->cfg.log.level);
        sw_setup_calendar(d);
        sw_setup_detectors(d);
        d->ingest.p.max_future_seconds = d->cfg.limits.max_future_seconds;
        d->commands.max_payload = d->cfg.limits.max_payload_bytes;
        d->ingest.p.max_shelf_gap_seconds = d->cfg.detectors.shelf_out.max_gap_minutes * 60u;
        d->pos_feed.silence_seconds = d->cfg.detectors.context.pos_silence_minutes * 60u;
        /* Learnt cells are kept, re-clamped into the new bounds. */
        if (sw_tuning_set_params(&d->tuning, &d->cfg.tuning) < 0)
                sw_log_warning(
                    "Reload: the tuning section was not applied, keeping the learnt scales");
        struct sw_detect_runs_params runs = sw_detection_params(&d->cfg);
        sw_detect_runs_set_params(&d->runs, &runs);
}

int sw_daemon_reload(struct sw_daemon *d)
{
        static struct sw_config next; /* ~12 KB: off the stack of the loop */
        const char *path = d->config_path;
        char err[512], status[512];
        unsigned kept;
        int r = 0;

        sw_notify_reloading();
        memset(&next, 0, sizeof(next));
        sw_config_defaults(&next);
        if (!path && access(SW_CONFIG_DEFAULT_PATH, F_OK) == 0)
                path = SW_CONFIG_DEFAULT_PATH;
        if (path)
                r = sw_config_load(path, &next, err, sizeof(err));
        if (r < 0) {
                sw_log_err("Reload failed, keeping the configuration in force: %s", err);
                snprintf(status, sizeof(status),
                         "Serving %s: %u SKUs, %u open anomalies; reload failed: %.120s", d->prefix,
                         d->skus.count, d->book.count, err);
                sw_notify_ready(status);
                return r;
        }
        kept = keep_fixed(&d->cfg, &next);
        d->cfg = next;
        apply(d);
        sw_log_info("Reloaded the configuration from %s%s", path ? path : "the embedded defaults",
                    kept ? "; some settings wait for a restart (see the warnings above)" : "");
        snprintf(status, sizeof(status), "Serving %s: %u SKUs, %u open anomalies (reloaded%s)",
                 d->prefix, d->skus.count, d->book.count,
                 kept ? ", some settings need a restart" : "");
        sw_notify_ready(status);
        return 0;
}
