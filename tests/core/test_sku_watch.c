/* Tests for core/sku_watch.c: list price changes, the registers' off-list streaks, receipts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/sku_watch.h"
#include "tests/support/test_main.h"

#define D 20000 /* a day */

static void assert_near(double a, double b)
{
        if (fabs(a - b) > 1e-6)
                fail_msg("%.9g != %.9g", a, b);
}

static void test_first_price_then_change(void **state)
{
        struct sw_price_watch w;
        uint32_t age = 99;
        (void)state;
        sw_price_watch_init(&w);
        assert_int_equal(w.list_since, SW_WATCH_DAY_NONE);
        assert_int_equal(w.off_from, SW_WATCH_DAY_NONE);
        /* 16-bit days: 1970-01-02 .. 2149; none, earlier or later is none. */
        assert_int_equal(sw_watch_day16(D), D);
        assert_int_equal(sw_watch_day16(SW_DAY_NONE), SW_WATCH_DAY_NONE);
        assert_int_equal(sw_watch_day16(0), SW_WATCH_DAY_NONE);
        assert_int_equal(sw_watch_day16(65536), SW_WATCH_DAY_NONE);
        assert_int_equal(sw_watch_day(SW_WATCH_DAY_NONE), SW_DAY_NONE);
        assert_int_equal(sw_watch_day(65535), 65535);
        /* The first list price: no previous one to compare with. */
        assert_true(sw_price_watch_list(&w, false, 0.0, 6.0, D));
        assert_int_equal(w.list_since, D);
        assert_true(w.list_prev == 0.0f);
        assert_near(sw_price_watch_list_change(&w, 6.0, D + 1, &age), 0.0);
        assert_int_equal(age, 0);
        /* The same price again (1% off is the same: rounding), and a non-positive one. */
        assert_false(sw_price_watch_list(&w, true, 6.0, 6.06, D + 3));
        assert_false(sw_price_watch_list(&w, true, 6.0, 0.0, D + 3));
        assert_int_equal(w.list_since, D);
        /* A price file slip on D+30, 5 x: ln 5 = 1.6094379, seen 1 day later ... */
        assert_true(sw_price_watch_list(&w, true, 6.0, 30.0, D + 30));
        assert_true(w.list_prev == 6.0f);
        assert_near(sw_price_watch_list_change(&w, 30.0, D + 31, &age), log(5.0));
        assert_int_equal(age, 0);
        /* ... and 13 days after it (age 13) it still shows; at 14 it is established. */
        assert_near(sw_price_watch_list_change(&w, 30.0, D + 44, &age), log(5.0));
        assert_int_equal(age, 13);
        assert_near(sw_price_watch_list_change(&w, 30.0, D + 45, &age), 0.0);
        assert_int_equal(age, 0);
        /* A change dated as_of itself counts, with age 0. */
        assert_near(sw_price_watch_list_change(&w, 30.0, D + 30, &age), log(5.0));
        assert_int_equal(age, 0);
        /* The correction after 5 days goes back to the established price: no second alarm. */
        assert_true(sw_price_watch_list(&w, true, 30.0, 6.0, D + 35));
        assert_true(w.list_prev == 6.0f);
        assert_near(sw_price_watch_list_change(&w, 6.0, D + 36, NULL), 0.0);
        /* A change 20 days later replaces an established price: 6 -> 4.5, ln 0.75. */
        assert_true(sw_price_watch_list(&w, true, 6.0, 4.5, D + 55));
        assert_true(w.list_prev == 6.0f);
        assert_near(sw_price_watch_list_change(&w, 4.5, D + 57, &age), log(0.75));
        assert_int_equal(age, 1);
        /* Without a current price nothing is said. */
        assert_near(sw_price_watch_list_change(&w, 0.0, D + 57, &age), 0.0);
}

/* A short-lived first price still becomes the reference: there is no other. */
static void test_short_lived_first_price(void **state)
{
        struct sw_price_watch w;
        (void)state;
        sw_price_watch_init(&w);
        assert_true(sw_price_watch_list(&w, false, 0.0, 2.0, D));
        assert_true(sw_price_watch_list(&w, true, 2.0, 0.2, D + 2));
        assert_true(w.list_prev == 2.0f);
        assert_near(sw_price_watch_list_change(&w, 0.2, D + 3, NULL), log(0.1));
        /* A price held before restore without its day (version 2) counts as established. */
        sw_price_watch_init(&w);
        assert_true(sw_price_watch_list(&w, true, 8.0, 4.0, D));
        assert_true(w.list_prev == 8.0f);
        assert_near(sw_price_watch_list_change(&w, 4.0, D + 1, NULL), log(0.5));
}

static void test_paid_streak(void **state)
{
        struct sw_price_watch w;
        struct sw_paid_summary s;
        (void)state;
        sw_price_watch_init(&w);
        /* At the list price, nothing starts. */
        sw_price_watch_paid(&w, 10.0, 10.0, D);
        sw_price_watch_paid(&w, 10.0, 10.1, D); /* 1%: the same price */
        assert_int_equal(w.off_from, SW_WATCH_DAY_NONE);
        s = sw_price_watch_paid_summary(&w, D + 1);
        assert_int_equal(s.lines, 0);
        assert_int_equal(s.from, SW_DAY_NONE);
        /* Three lines at 25 (ln 2.5 = 0.9162907) on D+1 and D+3, one at the list price. */
        sw_price_watch_paid(&w, 10.0, 25.0, D + 1);
        sw_price_watch_paid(&w, 10.0, 10.0, D + 2);
        sw_price_watch_paid(&w, 10.0, 25.0, D + 3);
        sw_price_watch_paid(&w, 10.0, 25.0, D + 3);
        assert_int_equal(w.off_from, D + 1);
        assert_int_equal(w.off_last, 2);
        s = sw_price_watch_paid_summary(&w, D + 4);
        assert_int_equal(s.off_lines, 3);
        assert_int_equal(s.lines, 4);
        assert_near(s.mean_log, 3 * log(2.5) / 4);
        assert_near(s.off_mean, log(2.5));
        assert_int_equal(s.from, D + 1);
        /* Seen 7 days after the last off line (D+3 is the first of the 7 days before D+10)
         * it still shows; from D+11 on it is over. */
        assert_int_equal(sw_price_watch_paid_summary(&w, D + 10).off_lines, 3);
        assert_int_equal(sw_price_watch_paid_summary(&w, D + 11).off_lines, 0);
        /* On-list lines within 7 days of the last off line still count ... */
        sw_price_watch_paid(&w, 10.0, 10.0, D + 10);
        assert_int_equal(w.on_lines, 2);
        /* ... later ones do not, and the next off line starts a new streak. */
        sw_price_watch_paid(&w, 10.0, 10.0, D + 11);
        assert_int_equal(w.on_lines, 2);
        sw_price_watch_paid(&w, 10.0, 4.0, D + 12);
        assert_int_equal(w.off_from, D + 12);
        s = sw_price_watch_paid_summary(&w, D + 13);
        assert_int_equal(s.lines, 1);
        assert_near(s.mean_log, log(0.4));
        /* Not positive or not finite: ignored. */
        sw_price_watch_paid(&w, 10.0, 0.0, D + 12);
        sw_price_watch_paid(&w, 0.0, 5.0, D + 12);
        sw_price_watch_paid(&w, 10.0, INFINITY, D + 12);
        assert_int_equal(sw_price_watch_paid_summary(&w, D + 13).lines, 1);
}

/* A new list price ends the streak: its lines were judged against the old price. */
static void test_list_change_ends_streak(void **state)
{
        struct sw_price_watch w;
        (void)state;
        sw_price_watch_init(&w);
        assert_true(sw_price_watch_list(&w, false, 0.0, 1.0, D));
        sw_price_watch_paid(&w, 1.0, 3.0, D + 20);
        assert_int_equal(sw_price_watch_paid_summary(&w, D + 21).off_lines, 1);
        assert_true(sw_price_watch_list(&w, true, 1.0, 3.0, D + 21));
        assert_int_equal(w.off_from, SW_WATCH_DAY_NONE);
        assert_int_equal(sw_price_watch_paid_summary(&w, D + 22).lines, 0);
}

/* Counts are 8 bits: at 255 both halve with the sum, keeping the mean and the share. */
static void test_paid_counts_saturate(void **state)
{
        struct sw_price_watch w;
        (void)state;
        sw_price_watch_init(&w);
        for (int k = 0; k < 255; k++)
                sw_price_watch_paid(&w, 4.0, 2.0, D);
        assert_int_equal(w.off_lines, 255);
        for (int k = 0; k < 85; k++)
                sw_price_watch_paid(&w, 4.0, 4.0, D);
        /* The first line after 255 off halved them (127, sum 127.5 ln 0.5); then 85 on and
         * one more off. */
        assert_int_equal(w.off_lines, 127);
        assert_int_equal(w.on_lines, 85);
        sw_price_watch_paid(&w, 4.0, 2.0, D);
        assert_int_equal(w.off_lines, 128);
        assert_int_equal(w.on_lines, 85);
        struct sw_paid_summary s = sw_price_watch_paid_summary(&w, D + 1);
        /* (float sums of 255 terms: within 1e-4) */
        if (fabs(s.off_mean - log(0.5) * (127.5 + 1) / 128) > 1e-4)
                fail_msg("off_mean %.9g", s.off_mean);
        assert_int_equal(s.lines, 213);
        /* off_last saturates at 255 days; a line more than 7 days after that starts anew. */
        sw_price_watch_init(&w);
        for (int k = 0; k <= 260; k += 5)
                sw_price_watch_paid(&w, 4.0, 2.0, D + k);
        assert_int_equal(w.off_from, D);
        assert_int_equal(w.off_last, 255);
        sw_price_watch_paid(&w, 4.0, 2.0, D + 263);
        assert_int_equal(w.off_from, D + 263);
        assert_int_equal(w.off_last, 0);
}

/* The largest receipt of the last 7 days; the same day's receipts add up; the one it replaced
 * is the usual one. */
static void test_receipts(void **state)
{
        struct sw_receipt_watch w;
        (void)state;
        sw_receipt_watch_init(&w);
        assert_int_equal(sw_receipt_watch_recent(&w, D).units, 0);
        assert_int_equal(sw_receipt_watch_recent(&w, D).day, SW_WATCH_DAY_NONE);
        sw_receipt_watch_add(&w, D, 0, 5); /* nothing received */
        assert_int_equal(w.day, SW_WATCH_DAY_NONE);
        sw_receipt_watch_add(&w, D, 12, 5);
        sw_receipt_watch_add(&w, D, 8, 17);
        assert_int_equal(w.units, 20);
        assert_int_equal(w.before, 5); /* the book before the day's first receipt */
        assert_int_equal(w.usual, 0);
        /* Seen on the 7 days before as_of: D+1 .. D+7; not from D+8 on. */
        assert_int_equal(sw_receipt_watch_recent(&w, D + 1).units, 20);
        assert_int_equal(sw_receipt_watch_recent(&w, D + 7).units, 20);
        assert_int_equal(sw_receipt_watch_recent(&w, D + 8).units, 0);
        /* A smaller one within 7 days does not replace it; a larger one does. */
        sw_receipt_watch_add(&w, D + 3, 5, 20);
        assert_int_equal(w.day, D);
        sw_receipt_watch_add(&w, D + 4, 300, 2);
        assert_int_equal(w.day, D + 4);
        assert_int_equal(w.units, 300);
        assert_int_equal(w.usual, 20);
        assert_int_equal(w.before, 2);
        /* 7 days later any receipt replaces it. */
        sw_receipt_watch_add(&w, D + 11, 2, 290);
        assert_int_equal(w.day, D + 11);
        assert_int_equal(w.units, 2);
        assert_int_equal(w.usual, 300);
        /* A day's sum saturates at 16 bits, and so does the book before (a negative one is 0). */
        sw_receipt_watch_add(&w, D + 11, UINT32_MAX, 0);
        assert_int_equal(w.units, SW_WATCH_UNITS_MAX);
        sw_receipt_watch_add(&w, D + 30, 70000, 100000);
        assert_int_equal(w.units, SW_WATCH_UNITS_MAX);
        assert_int_equal(w.before, SW_WATCH_UNITS_MAX);
        assert_int_equal(w.usual, SW_WATCH_UNITS_MAX);
        sw_receipt_watch_add(&w, D + 40, 3, -4);
        assert_int_equal(w.before, 0);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_first_price_then_change),
        cmocka_unit_test(test_short_lived_first_price),
        cmocka_unit_test(test_paid_streak),
        cmocka_unit_test(test_list_change_ends_streak),
        cmocka_unit_test(test_paid_counts_saturate),
        cmocka_unit_test(test_receipts))
/* clang-format on */
