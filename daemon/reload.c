/* Configuration reload on SIGHUP: apply what can change live, keep the rest, keep all state. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/detection.h"
#include "daemon/setup.h"
#include "platform/clock.h"
#include "platform/config_sources.h"
#include "platform/notify.h"

/* Settings that size the fixed memory block, name the database or the topics, or shape
 * objects built once at start-up cannot change under a running daemon: the schema marks them
 * (platform/config_schema.c). A reload that changes one logs a warning naming it and keeps the
 * value in force; the rest applies. */
static void warn_kept(void *ctx, const char *name, const char *what)
{
        (void)ctx;
        if (what)
                sw_log_warning("Reload: %s (%s) cannot change without a restart, keeping the "
                               "value in force",
                               name, what);
        else
                sw_log_warning(
                    "Reload: %s cannot change without a restart, keeping the value in force", name);
}

static void apply(struct sw_daemon *d)
{
        sw_log_set_level(d->cfg.log.level);
        (void)sw_log_use_journal(d->cfg.log.journal_fields);
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
        r = sw_config_load_all(path ? path : SW_CONFIG_DEFAULT_PATH,
                               path ? 0 : SW_CONFIG_PATH_OPTIONAL, &next, NULL, err, sizeof(err));
        if (!path && access(SW_CONFIG_DEFAULT_PATH, F_OK) == 0)
                path = SW_CONFIG_DEFAULT_PATH;
        if (r < 0) {
                sw_log_err("Reload failed, keeping the configuration in force: %s", err);
                snprintf(status, sizeof(status),
                         "Serving %s: %u SKUs, %u open anomalies; reload failed: %.120s", d->prefix,
                         d->skus.count, d->book.count, err);
                sw_notify_ready(status);
                return r;
        }
        kept = sw_config_keep_restart_settings(&d->cfg, &next, warn_kept, NULL);
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
