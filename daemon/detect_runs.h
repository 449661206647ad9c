/* Detection runs: the daily schedule, catch-up after downtime, and each detector's run. */
#ifndef SW_DETECT_RUNS_H
#define SW_DETECT_RUNS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/detect.h"

/* The detector runs the daemon schedules: each is one transaction. */
enum sw_run_kind {
        SW_RUN_GHOST, /* ghost stock as of a day (the daily run) */
        SW_RUN_ML,    /* the Isolation Forest as of a day (after ghost stock, same day) */
        SW_RUN_STOCK, /* shelf-out and discrepancy, to the time the data has reached */
        SW_RUN_KIND_COUNT
};

/*
 * What the runs need from the daemon (like SQLite's VFS: the daemon wires the store, the
 * detectors and the clock in; tests/daemon/test_detect_runs.c puts in fakes). Each returns
 * 0 or -errno unless said otherwise.
 */
struct sw_detect_runs_ops {
        /* Run one detector in its own transaction; *ret receives what it found. quiet: open
         * episodes are not republished (the minute sweep). */
        int (*run)(void *ctx, enum sw_run_kind kind, sw_day_t as_of, bool quiet,
                   struct sw_detect_summary *ret);
        /* The store context of one day, shared by the ghost and ML runs; and its end. */
        void (*day_begin)(void *ctx, sw_day_t as_of);
        void (*day_end)(void *ctx);
        /* A stored integer (meta table); -ENOENT when absent. */
        int (*meta_get)(void *ctx, const char *key, int64_t *ret);
        int (*meta_put)(void *ctx, const char *key, int64_t value);
        const int64_t *event_clock; /* newest event time seen (Unix s, 0 none), read at each use */
        int64_t (*now)(void *ctx);  /* wall clock (Unix s) */
        void *ctx;                  /* their first argument */
};

/* Which detectors run, and when (from the configuration; changed by a reload). */
struct sw_detect_runs_params {
        uint16_t schedule_min; /* store-local minute of the daily run */
        bool ghost;            /* detectors.ghost.enabled: the daily run happens at all */
        bool ml;               /* detectors.ml.enabled: the daily run includes the forest */
        bool stock;            /* shelf_out or discrepancy enabled: the minute sweep runs */
};

/* A detector's last run, for health and P/summary. */
struct sw_detect_run {
        int64_t at;                     /* Unix s, 0 never */
        sw_day_t as_of;                 /* its as_of day */
        struct sw_detect_summary found; /* what it found */
};

struct sw_detect_runs {
        struct sw_detect_runs_ops ops;                /* the daemon behind the runs */
        struct sw_detect_runs_params p;               /* what runs, and when */
        struct sw_detect_run last[SW_RUN_KIND_COUNT]; /* each detector's last run */
        int64_t next_daily;                           /* Unix s of the next scheduled run */
        int64_t detect_clock;                         /* start of the newest as_of detected
                                                         (Unix s, meta "detect_clock") */
};

/* Set up; reads the stored detection clock. */
void sw_detect_runs_init(struct sw_detect_runs *r, const struct sw_detect_runs_ops *ops,
                         const struct sw_detect_runs_params *p);
/* Run the scheduled days missed while the daemon was down (the last 7 at most), oldest first,
 * then schedule the next. On the first start only the schedule is marked. */
void sw_detect_runs_catch_up(struct sw_detect_runs *r);
/* The scheduled run when its time has come (call every loop pass). */
void sw_detect_runs_tick(struct sw_detect_runs *r);
/* New parameters (a reload): today's run is neither lost nor made twice when the schedule
 * moves across now. */
void sw_detect_runs_set_params(struct sw_detect_runs *r, const struct sw_detect_runs_params *p);
/* Data has been detected up to the start of as_of: stock checks may measure to it. */
void sw_detect_runs_note_as_of(struct sw_detect_runs *r, sw_day_t as_of);
/* The time stock checks measure to: the newest event or the detection clock, never past now. */
int64_t sw_detect_runs_known_time(const struct sw_detect_runs *r);
/* The minute sweep: the stock checks when enabled, quietly (new and cleared episodes only). */
void sw_detect_runs_sweep(struct sw_detect_runs *r);
/* Run one detector now and keep its summary as the last run; 0 or its -errno. */
int sw_detect_runs_run(struct sw_detect_runs *r, enum sw_run_kind kind, sw_day_t as_of, bool quiet,
                       struct sw_detect_summary *ret);
/* The store-local today. */
sw_day_t sw_detect_runs_today(const struct sw_detect_runs *r);

#endif
