/* Clock and time zone: local days and their edges, including where time_t is 32 bits (armhf). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "platform/clock.h"
#include "tests/support/test_main.h"

static void test_to_local_in_utc_and_a_zone(void **state)
{
        struct sw_local_time t;
        (void)state;
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
        /* 2026-11-24T10:15:02Z, a Tuesday. */
        assert_int_equal(sw_clock_to_local(NULL, 1795515302, &t), 0);
        assert_int_equal(t.day, sw_days_from_civil(2026, 11, 24));
        assert_int_equal(t.weekday, 1);
        assert_int_equal(t.second_of_day, 10 * 3600 + 15 * 60 + 2);
        assert_int_equal(sw_clock_from_local(t.day, t.second_of_day), 1795515302);

        assert_int_equal(sw_clock_set_timezone("America/Chicago"), 0);
        assert_int_equal(sw_clock_to_local(NULL, 1795515302, &t), 0);
        assert_int_equal(t.second_of_day, 4 * 3600 + 15 * 60 + 2); /* UTC-6 */
        assert_int_equal(sw_clock_from_local(t.day, t.second_of_day), 1795515302);
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
}

/* The last second a 32-bit time_t holds works everywhere; one after it either gives the
 * right day (64-bit time_t) or -EOVERFLOW (32-bit), never a day in 1901. */
static void test_to_local_past_2038(void **state)
{
        struct sw_local_time t;
        (void)state;
        assert_int_equal(sw_clock_set_timezone("UTC"), 0);
        assert_int_equal(sw_clock_to_local(NULL, INT32_MAX, &t), 0);
        assert_int_equal(t.day, sw_days_from_civil(2038, 1, 19));
        int r = sw_clock_to_local(NULL, (int64_t)INT32_MAX + 86400, &t);
        if (sizeof(time_t) < sizeof(int64_t)) {
                assert_int_equal(r, -EOVERFLOW);
        } else {
                assert_int_equal(r, 0);
                assert_int_equal(t.day, sw_days_from_civil(2038, 1, 20));
        }
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_to_local_in_utc_and_a_zone),
        cmocka_unit_test(test_to_local_past_2038))
/* clang-format on */
