/* The daily detection schedule on the store's wall clock, across DST changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
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

static void test_next_run_later_today_or_tomorrow(void **state)
{
        (void)state;
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
        /* 04:30 is still ahead at 03:00, behind at 05:00, and exactly now counts as done. */
        assert_int_equal(sw_schedule_next_run(utc("2026-11-26T03:00:00Z"), 270),
                         utc("2026-11-26T04:30:00Z"));
        assert_int_equal(sw_schedule_next_run(utc("2026-11-26T05:00:00Z"), 270),
                         utc("2026-11-27T04:30:00Z"));
        assert_int_equal(sw_schedule_next_run(utc("2026-11-26T04:30:00Z"), 270),
                         utc("2026-11-27T04:30:00Z"));
}

static void test_local_time_zone_and_dst(void **state)
{
        (void)state;
        assert_int_equal(sw_clock_set_timezone("America/New_York"), 0);
        /* 04:30 EST is 09:30Z. */
        assert_int_equal(sw_schedule_next_run(utc("2026-11-26T06:00:00Z"), 270),
                         utc("2026-11-26T09:30:00Z"));
        /* DST starts 2026-03-08: 04:30 EDT that morning is 08:30Z, a 23-hour day after 03-07. */
        assert_int_equal(sw_schedule_next_run(utc("2026-03-07T10:00:00Z"), 270),
                         utc("2026-03-08T08:30:00Z"));
        /* DST ends 2026-11-01: 04:30 EST is 09:30Z, 25 hours after the run of 10-31. */
        assert_int_equal(sw_schedule_next_run(utc("2026-10-31T09:00:00Z"), 270),
                         utc("2026-11-01T09:30:00Z"));
        /* A run at 02:30 on the spring-forward day does not exist: it moves past the gap. */
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
        cmocka_unit_test(test_next_run_later_today_or_tomorrow),
        cmocka_unit_test(test_local_time_zone_and_dst),
        cmocka_unit_test(test_unknown_zone_is_refused))
/* clang-format on */
