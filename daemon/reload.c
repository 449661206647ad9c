/* Configuration reload on SIGHUP: apply what can change live, keep the rest, keep all state. */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* The next daily run under a (maybe new) schedule: today's run is neither lost nor made
 * twice when the time moves across now. */
static int64_t next_daily_run(struct sw_daemon *d)
{
        int64_t now = sw_clock_now(), last = 0;
        sw_day_t today = sw_daemon_today(d);
        int64_t today_run =
            sw_clock_from_local(today, (uint32_t)d->cfg.detectors.schedule_min * 60u);
        int64_t next = sw_schedule_next_run(now, d->cfg.detectors.schedule_min);
        bool done_today =
            sw_store_meta_get_int(d->store, "last_scheduled_day", &last) == 0 && last >= today;
        if (!done_today && today_run <= now)
                return now; /* moved earlier than now: run today's at once */
        if (done_today && next < sw_clock_from_local(today + 1, 0))
                return sw_schedule_next_run(sw_clock_from_local(today + 1, 0),
                                            d->cfg.detectors.schedule_min);
        return next;
}

static void apply(struct sw_daemon *d, bool schedule_changed)
{
        sw_log_set_level(d->cfg.log.level);
        sw_daemon_setup_calendar(d);
        sw_daemon_setup_detectors(d);
        d->ingest.p.max_future_seconds = d->cfg.limits.max_future_seconds;
        d->ingest.p.max_shelf_gap_seconds = d->cfg.detectors.shelf_out.max_gap_minutes * 60u;
        d->pos_feed.silence_seconds = d->cfg.detectors.context.pos_silence_minutes * 60u;
        /* Learnt cells are kept, re-clamped into the new bounds. */
        if (sw_tuning_set_params(&d->tuning, &d->cfg.tuning) < 0)
                sw_log_warning(
                    "Reload: the tuning section was not applied, keeping the learnt scales");
        if (schedule_changed)
                d->next_daily_run = next_daily_run(d);
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
        bool schedule_changed = next.detectors.schedule_min != d->cfg.detectors.schedule_min;
        d->cfg = next;
        apply(d, schedule_changed);
        sw_log_info("Reloaded the configuration from %s%s", path ? path : "the embedded defaults",
                    kept ? "; some settings wait for a restart (see the warnings above)" : "");
        snprintf(status, sizeof(status), "Serving %s: %u SKUs, %u open anomalies (reloaded%s)",
                 d->prefix, d->skus.count, d->book.count,
                 kept ? ", some settings need a restart" : "");
        sw_notify_ready(status);
        return 0;
}
