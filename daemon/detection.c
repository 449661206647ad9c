/* The detection runs wired to the daemon: the store's meta table, the detectors, the clock. */
#include "daemon/detection.h"

#include "daemon/daemon.h"
#include "daemon/findings.h"
#include "daemon/ml.h"
#include "platform/clock.h"

/* One detector's arguments and result inside a transaction. */
struct run_job {
        sw_day_t as_of;               /* detection day (ghost stock) */
        struct sw_detect_summary sum; /* what it found */
};

static int run_ghost(struct sw_daemon *d, void *arg)
{
        struct run_job *job = arg;
        return sw_detect_ghost(&d->detector, job->as_of, sw_findings_record, d, &job->sum);
}

/* Stock checks measure to the time the data has reached (sw_detect_runs_known_time): a replay
 * of the same traffic thus raises the same episodes as live traffic did. */
static int run_stock(struct sw_daemon *d, void *arg)
{
        struct run_job *job = arg;
        struct sw_local_time now_local;
        int64_t now = sw_detect_runs_known_time(&d->runs);
        int r = sw_clock_to_local(NULL, now, &now_local);
        if (r < 0)
                return r;
        return sw_detect_stock(&d->detector, now, &now_local, sw_findings_record, d, &job->sum);
}

static int run(void *ctx, enum sw_run_kind kind, sw_day_t as_of, bool quiet,
               struct sw_detect_summary *ret)
{
        struct sw_daemon *d = ctx;
        struct run_job job = {.as_of = as_of};
        int r;
        switch (kind) {
        case SW_RUN_GHOST:
                r = sw_findings_in_transaction(d, run_ghost, &job);
                if (r == 0)
                        sw_daemon_pos_note_run(d, &job.sum);
                break;
        case SW_RUN_ML:
                r = sw_daemon_detect_ml(d, as_of, &job.sum);
                break;
        default:
                /* quiet (the minute sweep): new and cleared episodes only; open ones are
                 * republished by the daily run and detect commands. */
                d->detector.quiet_updates = quiet;
                r = sw_findings_in_transaction(d, run_stock, &job);
                d->detector.quiet_updates = false;
                break;
        }
        if (r < 0)
                return r;
        /* A day's run changes what P/summary says; the minute sweep republishes nothing. */
        if (kind != SW_RUN_STOCK)
                d->summary_due = true;
        sw_daemon_outbox_pump(d);
        *ret = job.sum;
        return 0;
}

static void day_begin(void *ctx, sw_day_t as_of)
{
        struct sw_daemon *d = ctx;
        sw_detect_day_begin(&d->detector, as_of);
}

static void day_end(void *ctx)
{
        struct sw_daemon *d = ctx;
        sw_detect_day_end(&d->detector);
}

static int meta_get(void *ctx, const char *key, int64_t *ret)
{
        struct sw_daemon *d = ctx;
        return sw_store_meta_get_int(d->store, key, ret);
}

static int meta_put(void *ctx, const char *key, int64_t value)
{
        struct sw_daemon *d = ctx;
        return sw_store_meta_put_int(d->store, key, value);
}

static int64_t wall_clock(void *ctx)
{
        (void)ctx;
        return sw_clock_now();
}

struct sw_detect_runs_params sw_detection_params(const struct sw_config *cfg)
{
        const struct sw_config_detectors *c = &cfg->detectors;
        return (struct sw_detect_runs_params){.schedule_min = c->schedule_min,
                                              .ghost = c->ghost.enabled,
                                              .ml = c->ml.enabled,
                                              .stock =
                                                  c->shelf_out.enabled || c->discrepancy.enabled};
}

void sw_detection_init(struct sw_daemon *d)
{
        struct sw_detect_runs_ops ops = {.run = run,
                                         .day_begin = day_begin,
                                         .day_end = day_end,
                                         .meta_get = meta_get,
                                         .meta_put = meta_put,
                                         .event_clock = &d->ingest.event_clock,
                                         .now = wall_clock,
                                         .ctx = d};
        struct sw_detect_runs_params p = sw_detection_params(&d->cfg);
        sw_detect_runs_init(&d->runs, &ops, &p);
}
