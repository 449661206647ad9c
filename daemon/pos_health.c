/* The POS feed's health in the daemon: logs, P/summary and P/status when it changes. */
#include <stdio.h>

#include "daemon/pos_health.h"

#include "daemon/daemon.h"
#include "core/civil_time.h"
#include "platform/clock.h"

/* The feed's state changed: HQ hears of it now, not at the next periodic summary. */
static void pos_changed(struct sw_daemon *d)
{
        d->summary_due = true;
        sw_daemon_publish_status(d, true);
}

void sw_daemon_pos_heard(struct sw_daemon *d)
{
        int64_t now = sw_clock_now();
        if (!sw_pos_feed_heard(&d->pos_feed, now))
                return;
        sw_log_event(SW_LOG_NOTICE, &(struct sw_log_fields){.event = SW_EVENT_POS_HEARD},
                     "POS feed heard again after %lld min of silence",
                     (long long)((now - d->pos_feed.silent_since) / 60));
        pos_changed(d);
}

void sw_daemon_pos_check(struct sw_daemon *d)
{
        if (!sw_pos_feed_check(&d->pos_feed, &d->cal, sw_clock_now()))
                return;
        sw_log_event(SW_LOG_WARNING, &(struct sw_log_fields){.event = SW_EVENT_POS_SILENT},
                     "POS feed silent: no POS message for %u min of opening hours "
                     "(detectors.context.pos_silence_minutes); registers or their uplink down?",
                     d->pos_feed.silence_seconds / 60);
        pos_changed(d);
}

void sw_daemon_pos_note_run(struct sw_daemon *d, const struct sw_detect_summary *s)
{
        char day[16];
        if (!sw_pos_feed_note_run(&d->pos_feed, s))
                return;
        sw_date_format(s->newest_store_shortfall, day, sizeof(day));
        sw_log_warning("The whole store sold far below a usual day on %s (a POS outage or an "
                       "unrecorded closure): its days are the store's, no SKU is judged on them",
                       day);
        d->summary_due = true;
}
