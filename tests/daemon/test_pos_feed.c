/* Unit tests of the POS feed's health (daemon/pos_feed.c): silence in opening hours, shortfalls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "daemon/pos_feed.h"
#include "tests/support/store_fixture.h"
#include "tests/support/test_main.h"

#define MIN 60

static struct sw_store_calendar cal;
static sw_day_t D; /* a Tuesday */

static int64_t at(sw_day_t day, int h, int m)
{
        return (int64_t)day * 86400 + h * 3600 + m * 60;
}

static int setup(void **state)
{
        (void)state;
        memset(&cal, 0, sizeof(cal));
        sw_test_calendar_daily(&cal, 8, 21);
        D = sw_days_from_civil(2026, 12, 1);
        return 0;
}

static void test_silence_counts_opening_hours_only(void **state)
{
        struct sw_pos_feed f;
        (void)state;
        sw_pos_feed_init(&f, 60 * MIN, at(D, 7, 0));
        assert_string_equal(sw_pos_feed_state(&f), "ok");
        /* Nothing heard since 07:00: 08:59 is 59 opening minutes. */
        assert_false(sw_pos_feed_check(&f, &cal, at(D, 8, 59)));
        assert_true(sw_pos_feed_check(&f, &cal, at(D, 9, 0)));
        assert_string_equal(sw_pos_feed_state(&f), "silent");
        assert_int_equal(f.silences, 1);
        assert_int_equal(f.silent_since, at(D, 9, 0));
        /* Silent stays silent: not counted twice. */
        assert_false(sw_pos_feed_check(&f, &cal, at(D, 12, 0)));
        assert_int_equal(f.silences, 1);
        /* A POS message: heard again, and it says it was silent. */
        assert_true(sw_pos_feed_heard(&f, at(D, 12, 5)));
        assert_false(sw_pos_feed_heard(&f, at(D, 12, 6)));
        assert_string_equal(sw_pos_feed_state(&f), "ok");
        /* The last sale at 20:30; overnight only 30 + 30 opening minutes pass by 08:30. */
        assert_false(sw_pos_feed_heard(&f, at(D, 20, 30)));
        assert_false(sw_pos_feed_check(&f, &cal, at(D + 1, 8, 29)));
        assert_true(sw_pos_feed_check(&f, &cal, at(D + 1, 8, 30)));
        assert_int_equal(f.silences, 2);
        /* A holiday is no opening time. */
        sw_pos_feed_heard(&f, at(D + 1, 20, 30));
        cal.holidays[0] = D + 2;
        cal.n_holidays = 1;
        assert_false(sw_pos_feed_check(&f, &cal, at(D + 2, 20, 0)));
        assert_false(sw_pos_feed_check(&f, &cal, at(D + 3, 8, 29)));
        assert_true(sw_pos_feed_check(&f, &cal, at(D + 3, 8, 30)));
}

static void test_off(void **state)
{
        struct sw_pos_feed f;
        (void)state;
        sw_pos_feed_init(&f, 0, at(D, 7, 0));
        assert_false(sw_pos_feed_check(&f, &cal, at(D + 5, 12, 0)));
        assert_string_equal(sw_pos_feed_state(&f), "off");
}

static void test_store_shortfalls_are_counted_once(void **state)
{
        struct sw_pos_feed f;
        struct sw_detect_summary s = {.newest_store_shortfall = SW_DAY_NONE};
        (void)state;
        sw_pos_feed_init(&f, 60 * MIN, at(D, 7, 0));
        assert_false(sw_pos_feed_note_run(&f, &s));
        assert_int_equal(f.newest_shortfall, SW_DAY_NONE);
        s.store_shortfall_days = 1;
        s.category_shortfall_days = 2;
        s.newest_store_shortfall = D - 3;
        assert_true(sw_pos_feed_note_run(&f, &s));
        assert_int_equal(f.shortfalls, 1);
        assert_int_equal(f.window_category_shortfalls, 2);
        /* The next day's run sees the same day in its window: nothing new. */
        assert_false(sw_pos_feed_note_run(&f, &s));
        assert_int_equal(f.shortfalls, 1);
        /* A re-run of an older day neither. */
        s.newest_store_shortfall = D - 10;
        assert_false(sw_pos_feed_note_run(&f, &s));
        s.newest_store_shortfall = D - 1;
        assert_true(sw_pos_feed_note_run(&f, &s));
        assert_int_equal(f.shortfalls, 2);
        assert_int_equal(f.newest_shortfall, D - 1);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_setup(test_silence_counts_opening_hours_only, setup),
        cmocka_unit_test_setup(test_off, setup),
        cmocka_unit_test_setup(test_store_shortfalls_are_counted_once, setup))
/* clang-format on */
