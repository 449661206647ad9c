/* Unit tests of the detection runs (daemon/detect_runs.c) over a fake store, detectors and clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "daemon/detect_runs.h"
#include "platform/clock.h"
#include "tests/support/test_main.h"

#define MAX_CALLS 64

/* What the runs asked of the daemon, and what the fake answers. */
struct fake {
        int64_t now;               /* wall clock */
        int64_t events;            /* newest event */
        bool has_last;             /* meta last_scheduled_day exists */
        int64_t last_day;          /* its value */
        int64_t detect_clock;      /* meta detect_clock (0: absent) */
        int fail_kind;             /* a run of this kind fails with -EIO (-1 none) */
        char calls[MAX_CALLS][24]; /* "ghost 20000", "begin 20000", "end", "put 20000" */
        int n_calls;               /* used */
};

static void note(struct fake *f, const char *what, int64_t v)
{
        assert_true(f->n_calls < MAX_CALLS);
        snprintf(f->calls[f->n_calls++], sizeof(f->calls[0]), v < 0 ? "%s" : "%s %lld", what,
                 (long long)v);
}

static int run(void *ctx, enum sw_run_kind kind, sw_day_t as_of, bool quiet,
               struct sw_detect_summary *ret)
{
        static const char *const names[] = {"ghost", "ml", "stock"};
        struct fake *f = ctx;
        note(f, quiet ? "quiet-stock" : names[kind], kind == SW_RUN_STOCK ? -1 : as_of);
        if ((int)kind == f->fail_kind)
                return -EIO;
        *ret = (struct sw_detect_summary){.evaluated = 10, .opened = (uint32_t)kind};
        return 0;
}

static void day_begin(void *ctx, sw_day_t as_of)
{
        note(ctx, "begin", as_of);
}

static void day_end(void *ctx)
{
        note(ctx, "end", -1);
}

static int meta_get(void *ctx, const char *key, int64_t *ret)
{
        struct fake *f = ctx;
        if (strcmp(key, "last_scheduled_day") == 0 && f->has_last) {
                *ret = f->last_day;
                return 0;
        }
        if (strcmp(key, "detect_clock") == 0 && f->detect_clock) {
                *ret = f->detect_clock;
                return 0;
        }
        return -ENOENT;
}

static int meta_put(void *ctx, const char *key, int64_t value)
{
        struct fake *f = ctx;
        if (strcmp(key, "last_scheduled_day") == 0) {
                f->has_last = true;
                f->last_day = value;
                note(f, "put", value);
        } else {
                f->detect_clock = value;
        }
        return 0;
}

static int64_t now(void *ctx)
{
        return ((struct fake *)ctx)->now;
}

static const struct sw_detect_runs_params all = {
    .schedule_min = 270, .ghost = true, .ml = true, .stock = true};

/* Day 20000 is 2024-10-04; its run is at 04:30 UTC. */
#define DAY 20000
static int64_t at(sw_day_t day, int hour, int min)
{
        return (int64_t)day * 86400 + hour * 3600 + min * 60;
}

/* A fake at wall time now with events up to events; the last scheduled day done is last (0:
 * none stored: a first start). */
static struct fake fake_at(int64_t now, int64_t events, sw_day_t last)
{
        return (struct fake){
            .now = now, .events = events, .has_last = last != 0, .last_day = last, .fail_kind = -1};
}

static void setup_runs(struct sw_detect_runs *r, struct fake *f,
                       const struct sw_detect_runs_params *p)
{
        struct sw_detect_runs_ops ops = {.run = run,
                                         .day_begin = day_begin,
                                         .day_end = day_end,
                                         .meta_get = meta_get,
                                         .meta_put = meta_put,
                                         .event_clock = &f->events,
                                         .now = now,
                                         .ctx = f};
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
        sw_detect_runs_init(r, &ops, p);
}

/* The runs over f started as the daemon starts them: set up, then caught up. */
static void start_runs(struct sw_detect_runs *r, struct fake *f,
                       const struct sw_detect_runs_params *p)
{
        setup_runs(r, f, p);
        sw_detect_runs_catch_up(r);
}

/* The calls the runs made, ", " between: "begin 20000, ghost 20000, put 20000". */
static const char *calls(const struct fake *f)
{
        static char text[MAX_CALLS * 26];
        size_t n = 0;
        text[0] = '\0';
        for (int i = 0; i < f->n_calls; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", i ? ", " : "",
                                      f->calls[i]);
        return text;
}

/* Catch-ups at start, all detectors on: the calls made and the next run scheduled. */
static void test_catch_up(void **state)
{
        const struct {
                const char *name;   /* the case */
                struct fake f;      /* the clocks and the last day done */
                const char *calls;  /* what the catch-up runs */
                int64_t next_daily; /* the run it schedules next */
        } cases[] = {
            /* The first start has no history to judge: it only marks the schedule. */
            {"first start", fake_at(at(DAY, 10, 0), at(DAY, 9, 0), 0), "put 20000",
             at(DAY + 1, 4, 30)},
            /* Down for two scheduled runs: both days run, oldest first, ghost then ML in one day
             * context, each day marked done after its ghost run. */
            {"two days down", fake_at(at(DAY, 10, 0), at(DAY, 9, 0), DAY - 2),
             "begin 19999, ghost 19999, put 19999, ml 19999, end, "
             "begin 20000, ghost 20000, put 20000, ml 20000, end",
             at(DAY + 1, 4, 30)},
            /* Before today's run time, today is not due yet: only yesterday is caught up. */
            {"before today's run", fake_at(at(DAY, 3, 0), at(DAY, 2, 0), DAY - 2),
             "begin 19999, ghost 19999, put 19999, ml 19999, end", at(DAY, 4, 30)},
            /* Days without events (a data outage, or a replay of the past) are skipped and
             * marked: 19998 has yesterday's (19997) events; 19999 and 20000 have none. */
            {"days without events", fake_at(at(DAY, 10, 0), at(DAY - 3, 12, 0), DAY - 3),
             "begin 19998, ghost 19998, put 19998, ml 19998, end, put 19999, put 20000",
             at(DAY + 1, 4, 30)},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fake f = cases[i].f;
                struct sw_detect_runs r;
                start_runs(&r, &f, &all);
                if (strcmp(calls(&f), cases[i].calls) != 0 || r.next_daily != cases[i].next_daily)
                        fail_msg("%s: calls \"%s\", next run %lld; want \"%s\", %lld",
                                 cases[i].name, calls(&f), (long long)r.next_daily, cases[i].calls,
                                 (long long)cases[i].next_daily);
        }
}

/* Each detector's last run is recorded; the ghost runs move the detection clock. */
static void test_catch_up_records_the_runs(void **state)
{
        struct fake f = fake_at(at(DAY, 10, 0), at(DAY, 9, 0), DAY - 2);
        struct sw_detect_runs r;
        (void)state;
        start_runs(&r, &f, &all);
        assert_int_equal(r.last[SW_RUN_GHOST].as_of, DAY);
        assert_int_equal(r.last[SW_RUN_GHOST].at, f.now);
        assert_int_equal(r.last[SW_RUN_ML].found.opened, SW_RUN_ML);
        /* to the start of the newest day */
        assert_int_equal(r.detect_clock, at(DAY, 0, 0));
}

/* Down for a month: only the last seven days are run. */
static void test_catch_up_at_most_seven_days(void **state)
{
        struct fake f = fake_at(at(DAY, 10, 0), at(DAY, 9, 0), DAY - 30);
        struct sw_detect_runs r;
        (void)state;
        start_runs(&r, &f, &(struct sw_detect_runs_params){.schedule_min = 270, .ghost = true});
        assert_int_equal(f.n_calls, 7 * 4); /* begin, ghost, put, end */
        assert_string_equal(f.calls[1], "ghost 19994");
        assert_string_equal(f.calls[f.n_calls - 3], "ghost 20000");
}

/* A failed ghost run leaves its day unmarked and runs no ML; ghost disabled runs nothing. */
static void test_failure_and_disabled(void **state)
{
        struct fake f = fake_at(at(DAY, 10, 0), at(DAY, 9, 0), DAY - 1);
        f.fail_kind = SW_RUN_GHOST;
        struct sw_detect_runs r;
        (void)state;
        start_runs(&r, &f, &all);
        assert_string_equal(calls(&f), "begin 20000, ghost 20000, end");
        assert_int_equal(f.last_day, DAY - 1);
        assert_int_equal(r.last[SW_RUN_GHOST].at, 0);

        f = fake_at(at(DAY, 10, 0), at(DAY, 9, 0), DAY - 3);
        start_runs(&r, &f, &(struct sw_detect_runs_params){.schedule_min = 270, .ml = true});
        sw_detect_runs_sweep(&r);
        assert_int_equal(f.n_calls, 0);
}

/* The tick runs today's detection once its time has come, then schedules tomorrow's. */
static void test_tick_runs_at_schedule(void **state)
{
        struct fake f = fake_at(at(DAY, 4, 0), at(DAY, 3, 0), DAY - 1);
        struct sw_detect_runs r;
        (void)state;
        start_runs(&r, &f, &all);
        sw_detect_runs_tick(&r);
        assert_int_equal(f.n_calls, 0);
        f.now = at(DAY, 4, 30);
        sw_detect_runs_tick(&r);
        assert_string_equal(calls(&f), "begin 20000, ghost 20000, put 20000, ml 20000, end");
        assert_int_equal(r.next_daily, at(DAY + 1, 4, 30));
        sw_detect_runs_tick(&r);
        assert_int_equal(f.n_calls, 5);
}

/* A reload that moves the schedule across now: today's run is neither lost nor made twice. */
static void test_schedule_moved(void **state)
{
        struct fake f = fake_at(at(DAY, 6, 0), at(DAY, 5, 0), DAY - 1);
        struct sw_detect_runs r;
        struct sw_detect_runs_params p = all;
        (void)state;
        p.schedule_min = 8 * 60;
        setup_runs(&r, &f, &p);
        assert_int_equal(r.next_daily, at(DAY, 8, 0));
        p.schedule_min = 5 * 60; /* earlier than now, not yet run today: at once */
        sw_detect_runs_set_params(&r, &p);
        assert_int_equal(r.next_daily, f.now);
        f.last_day = DAY;        /* it ran */
        p.schedule_min = 7 * 60; /* later than now, but today's is done: tomorrow */
        sw_detect_runs_set_params(&r, &p);
        assert_int_equal(r.next_daily, at(DAY + 1, 7, 0));
}

/* The stock checks measure to the data's time: the newest event or detection, never past now. */
static void test_known_time_and_sweep(void **state)
{
        struct fake f = fake_at(at(DAY, 12, 0), at(DAY - 5, 12, 0), 0);
        f.detect_clock = at(DAY - 2, 0, 0);
        struct sw_detect_runs r;
        (void)state;
        setup_runs(&r, &f, &all);
        assert_int_equal(sw_detect_runs_known_time(&r), at(DAY - 2, 0, 0));
        sw_detect_runs_note_as_of(&r, DAY - 3); /* older: no change */
        assert_int_equal(r.detect_clock, at(DAY - 2, 0, 0));
        sw_detect_runs_note_as_of(&r, DAY + 3); /* ahead of now: capped by now */
        assert_int_equal(f.detect_clock, at(DAY + 3, 0, 0));
        assert_int_equal(sw_detect_runs_known_time(&r), f.now);
        sw_detect_runs_sweep(&r);
        assert_string_equal(f.calls[0], "quiet-stock");
        assert_int_equal(r.last[SW_RUN_STOCK].at, f.now);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_catch_up_records_the_runs),
        cmocka_unit_test(test_catch_up_at_most_seven_days),
        cmocka_unit_test(test_failure_and_disabled),
        cmocka_unit_test(test_tick_runs_at_schedule),
        cmocka_unit_test(test_schedule_moved),
        cmocka_unit_test(test_known_time_and_sweep))
/* clang-format on */
