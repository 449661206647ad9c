/* The daily detection schedule on the store's wall clock, across DST changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "daemon/schedule.h"
#include "platform/clock.h"
#include "tests/support/test_main.h"

static int64_t utc(const char *s)
{
        int64_t t;
        assert_int_equal(sw_rfc3339_parse(s, 20, &t), 0);
        return t;
}

/* The next run at `minute` past local midnight, asked at `now`, in time zone `zone`. */
static const struct {
        const char *zone; /* the store's time zone */
        const char *now;  /* when it is asked (UTC) */
        uint16_t minute;  /* the run's minute of the local day */
        const char *want; /* the run it gives (UTC) */
} runs[] = {
    /* 04:30 is still ahead at 03:00, behind at 05:00, and exactly now counts as done. */
    {"UTC", "2026-11-26T03:00:00Z", 270, "2026-11-26T04:30:00Z"},
    {"UTC", "2026-11-26T05:00:00Z", 270, "2026-11-27T04:30:00Z"},
    {"UTC", "2026-11-26T04:30:00Z", 270, "2026-11-27T04:30:00Z"},
    /* 04:30 EST is 09:30Z. */
    {"America/New_York", "2026-11-26T06:00:00Z", 270, "2026-11-26T09:30:00Z"},
    /* DST starts 2026-03-08: 04:30 EDT that morning is 08:30Z, a 23-hour day after 03-07. */
    {"America/New_York", "2026-03-07T10:00:00Z", 270, "2026-03-08T08:30:00Z"},
    /* DST ends 2026-11-01: 04:30 EST is 09:30Z, 25 hours after the run of 10-31. */
    {"America/New_York", "2026-10-31T09:00:00Z", 270, "2026-11-01T09:30:00Z"},
};

static void test_next_run_in_each_zone_and_dst(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                int64_t got;
                assert_int_equal(sw_clock_set_timezone(runs[i].zone), 0);
                got = sw_schedule_next_run(utc(runs[i].now), runs[i].minute);
                if (got != utc(runs[i].want))
                        fail_msg("%s at %s: next run %" PRId64 ", want %s", runs[i].zone,
                                 runs[i].now, got, runs[i].want);
        }
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
}

/* A run at 02:30 on the spring-forward day does not exist: it moves past the gap. */
static void test_run_in_the_spring_forward_gap(void **state)
{
        (void)state;
        assert_int_equal(sw_clock_set_timezone("America/New_York"), 0);
        int64_t r = sw_schedule_next_run(utc("2026-03-08T05:00:00Z"), 150);
        assert_true(r >= utc("2026-03-08T07:00:00Z") && r <= utc("2026-03-08T07:30:00Z"));
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
}

static void test_unknown_zone_is_refused(void **state)
{
        (void)state;
        assert_int_equal(sw_clock_set_timezone("Mars/Olympus_Mons"), -ENOENT);
        assert_int_equal(sw_clock_set_timezone("../../etc/passwd"), -EINVAL);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_next_run_in_each_zone_and_dst),
        cmocka_unit_test(test_run_in_the_spring_forward_gap),
        cmocka_unit_test(test_unknown_zone_is_refused))
/* clang-format on */
