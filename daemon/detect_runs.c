/* Detection runs: the daily schedule on the store's clock, catch-up, each detector's run. */
#include "daemon/detect_runs.h"

#include <errno.h>
#include <string.h>

#include "core/civil_time.h"
#include "daemon/schedule.h"
#include "platform/clock.h"
#include "platform/log.h"

#define CATCH_UP_DAYS     7 /* scheduled runs missed while down that are caught up */
#define META_LAST_DAY     "last_scheduled_day"
#define META_DETECT_CLOCK "detect_clock"

static int64_t now(const struct sw_detect_runs *r)
{
        return r->ops.now(r->ops.ctx);
}

sw_day_t sw_detect_runs_today(const struct sw_detect_runs *r)
{
        return sw_schedule_day_of(now(r));
}

void sw_detect_runs_init(struct sw_detect_runs *r, const struct sw_detect_runs_ops *ops,
                         const struct sw_detect_runs_params *p)
{
        memset(r, 0, sizeof(*r));
        r->ops = *ops;
        r->p = *p;
        if (r->ops.meta_get(r->ops.ctx, META_DETECT_CLOCK, &r->detect_clock) < 0)
                r->detect_clock = 0;
        r->next_daily = sw_schedule_next_run(now(r), p->schedule_min);
}

int sw_detect_runs_run(struct sw_detect_runs *r, enum sw_run_kind kind, sw_day_t as_of, bool quiet,
                       struct sw_detect_summary *ret)
{
        struct sw_detect_summary sum = {0};
        if (kind == SW_RUN_GHOST)
                sw_detect_runs_note_as_of(r, as_of);
        int res = r->ops.run(r->ops.ctx, kind, as_of, quiet, &sum);
        if (res < 0)
                return res;
        r->last[kind] = (struct sw_detect_run){.at = now(r), .as_of = as_of, .found = sum};
        if (ret)
                *ret = sum;
        return 0;
}

/* The scheduled day's ghost-stock and ML runs; the day is marked done once ghost stock ran. */
static void day_detectors(struct sw_detect_runs *r, sw_day_t day, const char *as_of)
{
        struct sw_detect_summary s;
        int res = sw_detect_runs_run(r, SW_RUN_GHOST, day, false, &s);
        if (res < 0) {
                sw_log_err("Scheduled ghost-stock run as of %s failed: %s", as_of, strerror(-res));
                return;
        }
        (void)r->ops.meta_put(r->ops.ctx, META_LAST_DAY, day);
        sw_log_info("Ghost-stock run as of %s: %u SKUs, %u new, %u updated, %u cleared", as_of,
                    s.evaluated, s.opened, s.updated, s.cleared);
        if (!r->p.ml)
                return;
        res = sw_detect_runs_run(r, SW_RUN_ML, day, false, &s);
        if (res < 0)
                sw_log_err("Scheduled ML run as of %s failed: %s", as_of, strerror(-res));
        else
                sw_log_info("ML run as of %s: %u SKUs, %u new, %u updated, %u cleared, %u under "
                            "sigma, %u without an actionable cause, %u over the day's budget",
                            as_of, s.evaluated, s.opened, s.updated, s.cleared, s.quiet,
                            s.unexplained, s.deferred);
}

static void scheduled_detection(struct sw_detect_runs *r, sw_day_t day)
{
        char as_of[16], last[32];
        int64_t events = *r->ops.event_clock;
        sw_date_format(day, as_of, sizeof(as_of));
        /* Without events for the day before as_of, every SKU would look silent: that is a
         * data outage (or a replay of past days), not ghost stock. */
        if (events < sw_clock_from_local(day - 1, 0)) {
                sw_rfc3339_format(events, last, sizeof(last));
                sw_log_warning("Skipping the scheduled detection as of %s: no events since %s",
                               as_of, events ? last : "start-up");
                (void)r->ops.meta_put(r->ops.ctx, META_LAST_DAY, day);
                return;
        }
        /* Ghost stock and the ML detector read the same store context: built once. */
        r->ops.day_begin(r->ops.ctx, day);
        day_detectors(r, day, as_of);
        r->ops.day_end(r->ops.ctx);
}

void sw_detect_runs_catch_up(struct sw_detect_runs *r)
{
        int64_t t = now(r), last = 0;
        sw_day_t today = sw_schedule_day_of(t);
        int64_t today_run = sw_clock_from_local(today, (uint32_t)r->p.schedule_min * 60u);
        sw_day_t newest = t >= today_run ? today : today - 1;
        r->next_daily = sw_schedule_next_run(t, r->p.schedule_min);
        if (!r->p.ghost)
                return;
        if (r->ops.meta_get(r->ops.ctx, META_LAST_DAY, &last) < 0) {
                /* First start: there is no history to judge, only mark the schedule. */
                (void)r->ops.meta_put(r->ops.ctx, META_LAST_DAY, newest);
                return;
        }
        /* Only the last CATCH_UP_DAYS: older days were missed long ago and cost start-up time. */
        sw_day_t first = (sw_day_t)last + 1 > newest - CATCH_UP_DAYS + 1
                             ? (sw_day_t)last + 1
                             : newest - CATCH_UP_DAYS + 1;
        for (sw_day_t day = first; day <= newest; day++)
                scheduled_detection(r, day);
        r->next_daily = sw_schedule_next_run(now(r), r->p.schedule_min);
}

void sw_detect_runs_tick(struct sw_detect_runs *r)
{
        if (now(r) < r->next_daily)
                return;
        if (r->p.ghost)
                scheduled_detection(r, sw_detect_runs_today(r));
        r->next_daily = sw_schedule_next_run(now(r), r->p.schedule_min);
}

void sw_detect_runs_set_params(struct sw_detect_runs *r, const struct sw_detect_runs_params *p)
{
        bool moved = p->schedule_min != r->p.schedule_min;
        r->p = *p;
        if (!moved)
                return;
        int64_t t = now(r), last = 0;
        sw_day_t today = sw_schedule_day_of(t);
        int64_t today_run = sw_clock_from_local(today, (uint32_t)p->schedule_min * 60u);
        int64_t next = sw_schedule_next_run(t, p->schedule_min);
        bool done_today = r->ops.meta_get(r->ops.ctx, META_LAST_DAY, &last) == 0 && last >= today;
        if (!done_today && today_run <= t)
                next = t; /* moved earlier than now: run today's at once */
        else if (done_today && next < sw_clock_from_local(today + 1, 0))
                next = sw_schedule_next_run(sw_clock_from_local(today + 1, 0), p->schedule_min);
        r->next_daily = next;
}

void sw_detect_runs_note_as_of(struct sw_detect_runs *r, sw_day_t as_of)
{
        int64_t start = sw_clock_from_local(as_of, 0);
        if (start <= r->detect_clock)
                return;
        r->detect_clock = start;
        int res = r->ops.meta_put(r->ops.ctx, META_DETECT_CLOCK, r->detect_clock);
        if (res < 0)
                sw_log_warning("Cannot record the detection clock: %s", strerror(-res));
}

int64_t sw_detect_runs_known_time(const struct sw_detect_runs *r)
{
        int64_t events = *r->ops.event_clock;
        int64_t t = events > r->detect_clock ? events : r->detect_clock, n = now(r);
        return t < n ? t : n;
}

void sw_detect_runs_sweep(struct sw_detect_runs *r)
{
        if (!r->p.stock)
                return;
        int res = sw_detect_runs_run(r, SW_RUN_STOCK, sw_detect_runs_today(r), true, NULL);
        if (res < 0)
                sw_log_err("Shelf/discrepancy sweep failed: %s", strerror(-res));
}
