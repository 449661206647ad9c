/* Unit tests of opening hours and holidays (core/store_calendar.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "core/store_calendar.h"
#include "tests/support/test_main.h"

#define H 3600u

static sw_day_t monday; /* 2026-11-23 */

/* Mon-Fri 09:00-21:00, Sat 10:00-18:00, Sun closed (open == close, not zero). */
static void week_calendar(struct sw_store_calendar *c)
{
        memset(c, 0, sizeof(*c));
        for (int w = 0; w < 5; w++) {
                c->open_minute[w] = 9 * 60;
                c->close_minute[w] = 21 * 60;
        }
        c->open_minute[5] = 10 * 60;
        c->close_minute[5] = 18 * 60;
        c->open_minute[6] = 12 * 60;
        c->close_minute[6] = 12 * 60;
}

static struct sw_local_time lt(sw_day_t day, unsigned h, unsigned m, unsigned s)
{
        return (struct sw_local_time){.day = day,
                                      .weekday = (uint8_t)sw_weekday(day),
                                      .second_of_day = h * 3600 + m * 60 + s};
}

static bool open_at(const struct sw_store_calendar *c, sw_day_t day, unsigned h, unsigned m,
                    unsigned s)
{
        struct sw_local_time t = lt(day, h, m, s);
        return sw_calendar_is_open(c, &t);
}

static uint32_t between(const struct sw_store_calendar *c, struct sw_local_time a,
                        struct sw_local_time b)
{
        return sw_calendar_open_seconds_between(c, &a, &b);
}

static int setup(void **state)
{
        (void)state;
        monday = sw_days_from_civil(2026, 11, 23);
        assert_int_equal(sw_weekday(monday), 0);
        return 0;
}

static void test_is_open_boundaries(void **state)
{
        struct sw_store_calendar c;
        (void)state;
        week_calendar(&c);
        for (sw_day_t d = monday; d < monday + 5; d++) {
                assert_false(open_at(&c, d, 0, 0, 0));
                assert_false(open_at(&c, d, 8, 59, 59));
                assert_true(open_at(&c, d, 9, 0, 0)); /* opening minute inclusive */
                assert_true(open_at(&c, d, 15, 0, 0));
                assert_true(open_at(&c, d, 20, 59, 59));
                assert_false(open_at(&c, d, 21, 0, 0)); /* closing minute exclusive */
                assert_false(open_at(&c, d, 23, 59, 59));
        }
        assert_false(open_at(&c, monday + 5, 9, 59, 59));
        assert_true(open_at(&c, monday + 5, 10, 0, 0));
        assert_true(open_at(&c, monday + 5, 17, 59, 59));
        assert_false(open_at(&c, monday + 5, 18, 0, 0));
        /* Closed all day: open == close. */
        for (unsigned h = 0; h < 24; h++)
                assert_false(open_at(&c, monday + 6, h, 0, 0));
        assert_false(open_at(&c, monday + 6, 12, 0, 0));
        /* Open around the clock. */
        c.open_minute[0] = 0;
        c.close_minute[0] = 24 * 60;
        assert_true(open_at(&c, monday, 0, 0, 0));
        assert_true(open_at(&c, monday, 23, 59, 59));
}

static void test_holidays(void **state)
{
        struct sw_store_calendar c;
        static const int offsets[] = {-400, -3, 0, 1, 2, 9, 30, 31, 100, 365};
        const size_t n = sizeof(offsets) / sizeof(offsets[0]);
        (void)state;
        week_calendar(&c);
        assert_false(sw_calendar_is_holiday(&c, monday)); /* none */
        for (size_t i = 0; i < n; i++)
                c.holidays[i] = monday + offsets[i];
        /* Every prefix of the list: each held date is found, no other date is. */
        for (size_t len = 0; len <= n; len++) {
                c.n_holidays = (uint16_t)len;
                for (sw_day_t d = monday - 402; d <= monday + 367; d++) {
                        bool want = false;
                        for (size_t i = 0; i < len; i++)
                                want |= c.holidays[i] == d;
                        if (sw_calendar_is_holiday(&c, d) != want)
                                fail_msg("len %zu, day %+d: got %d", len, d - monday, !want);
                }
        }
        /* A full list. */
        for (uint16_t i = 0; i < SW_MAX_HOLIDAYS; i++)
                c.holidays[i] = monday + 2 * i;
        c.n_holidays = SW_MAX_HOLIDAYS;
        for (sw_day_t d = monday - 2; d < monday + 2 * SW_MAX_HOLIDAYS + 2; d++)
                assert_int_equal(sw_calendar_is_holiday(&c, d),
                                 d >= monday && d < monday + 2 * SW_MAX_HOLIDAYS &&
                                     (d - monday) % 2 == 0);
}

static void test_closed_on_holiday(void **state)
{
        struct sw_store_calendar c;
        (void)state;
        week_calendar(&c);
        c.holidays[0] = monday + 1; /* Tuesday */
        c.n_holidays = 1;
        assert_true(open_at(&c, monday, 12, 0, 0));
        assert_false(open_at(&c, monday + 1, 9, 0, 0));
        assert_false(open_at(&c, monday + 1, 12, 0, 0));
        assert_true(open_at(&c, monday + 2, 12, 0, 0));
        /* No opening hours on the holiday, within the day or across it. */
        assert_int_equal(between(&c, lt(monday + 1, 8, 0, 0), lt(monday + 1, 22, 0, 0)), 0);
        assert_int_equal(between(&c, lt(monday, 20, 0, 0), lt(monday + 2, 10, 0, 0)), 2 * H);
        assert_int_equal(between(&c, lt(monday + 1, 10, 0, 0), lt(monday + 2, 10, 0, 0)), H);
        assert_int_equal(between(&c, lt(monday, 20, 0, 0), lt(monday + 1, 23, 0, 0)), H);
}

static void test_open_seconds_between(void **state)
{
        struct sw_store_calendar c;
        (void)state;
        week_calendar(&c);
        /* Same day. */
        assert_int_equal(between(&c, lt(monday, 8, 0, 0), lt(monday, 10, 0, 0)), H);
        assert_int_equal(between(&c, lt(monday, 10, 0, 0), lt(monday, 10, 30, 0)), 1800);
        assert_int_equal(between(&c, lt(monday, 10, 0, 0), lt(monday, 10, 0, 1)), 1);
        assert_int_equal(between(&c, lt(monday, 6, 0, 0), lt(monday, 8, 0, 0)), 0);
        assert_int_equal(between(&c, lt(monday, 20, 0, 0), lt(monday, 23, 0, 0)), H);
        assert_int_equal(between(&c, lt(monday, 0, 0, 0), lt(monday, 23, 59, 59)), 12 * H);
        /* Empty or reversed intervals. */
        assert_int_equal(between(&c, lt(monday, 10, 0, 0), lt(monday, 10, 0, 0)), 0);
        assert_int_equal(between(&c, lt(monday, 11, 0, 0), lt(monday, 10, 0, 0)), 0);
        assert_int_equal(between(&c, lt(monday + 1, 8, 0, 0), lt(monday, 10, 0, 0)), 0);
        /* Across days. */
        assert_int_equal(between(&c, lt(monday, 20, 0, 0), lt(monday + 1, 10, 0, 0)), 2 * H);
        assert_int_equal(between(&c, lt(monday, 0, 0, 0), lt(monday + 2, 0, 0, 0)), 24 * H);
        assert_int_equal(between(&c, lt(monday, 21, 0, 0), lt(monday + 1, 9, 0, 0)), 0);
        /* Across a closed Sunday: Sat 17:00-18:00, Sun nothing, Mon 09:00-10:00. */
        assert_int_equal(between(&c, lt(monday + 5, 17, 0, 0), lt(monday + 7, 10, 0, 0)), 2 * H);
        /* Fri 20:00 to Mon 09:30: 1 h + 8 h + 0 + 0.5 h. */
        assert_int_equal(between(&c, lt(monday + 4, 20, 0, 0), lt(monday + 7, 9, 30, 0)),
                         9 * H + 1800);
        /* A whole week: 5 x 12 h + 8 h. */
        assert_int_equal(between(&c, lt(monday, 0, 0, 0), lt(monday + 7, 0, 0, 0)), 68 * H);
        /* From or to a closed day. */
        assert_int_equal(between(&c, lt(monday + 6, 0, 0, 0), lt(monday + 7, 9, 10, 0)), 600);
        assert_int_equal(between(&c, lt(monday + 5, 17, 59, 0), lt(monday + 6, 23, 0, 0)), 60);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(setup, NULL,
        cmocka_unit_test(test_is_open_boundaries),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_closed_on_holiday),
        cmocka_unit_test(test_open_seconds_between))
/* clang-format on */
