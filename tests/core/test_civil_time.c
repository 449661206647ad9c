/* Unit tests of calendar arithmetic and RFC 3339 parsing (core/civil_time.c). */
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
#include "tests/support/test_main.h"

/* Reference rules, written independently of the module. */
static bool ref_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned ref_month_days(int y, unsigned m)
{
        static const unsigned md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        return m == 2 && ref_leap(y) ? 29 : md[m - 1];
}

static int parse_date(const char *s, sw_day_t *ret)
{
        return sw_date_parse(s, strlen(s), ret);
}

static int parse_ts(const char *s, int64_t *ret)
{
        return sw_rfc3339_parse(s, strlen(s), ret);
}

/* A text form of a value: a date "YYYY-MM-DD" (days) or a timestamp (Unix seconds). */
struct text_form {
        int (*format)(int64_t v, char *buf, size_t size); /* writes it */
        int (*parse)(const char *s, int64_t *ret);        /* reads it back */
        int len;                                          /* the text's length */
};

#define TEXT_ROOM 32 /* bytes enough for either form, to spare */

static int format_date(int64_t day, char *buf, size_t size)
{
        return sw_date_format((sw_day_t)day, buf, size);
}

static int parse_date_wide(const char *s, int64_t *ret)
{
        sw_day_t day;
        int r = parse_date(s, &day);
        if (r == 0)
                *ret = day;
        return r;
}

static const struct text_form date_form = {format_date, parse_date_wide, 10};
static const struct text_form ts_form = {sw_rfc3339_format, parse_ts, 20};

/* v written into size bytes is want. */
static void assert_formats(const struct text_form *tf, int64_t v, size_t size, const char *want)
{
        char buf[TEXT_ROOM];
        assert_true(size <= sizeof(buf));
        assert_int_equal(tf->format(v, buf, size), tf->len);
        assert_string_equal(buf, want);
}

/* No room for the NUL: -ENOSPC, and nothing written. */
static void assert_too_small_refused(const struct text_form *tf, int64_t v)
{
        char buf[TEXT_ROOM];
        memset(buf, 'x', sizeof(buf));
        assert_int_equal(tf->format(v, buf, (size_t)tf->len), -ENOSPC);
        assert_int_equal(buf[0], 'x');
}

/* Format then parse gives back from, from + step, ... up to (not with) to. */
static void assert_round_trips(const struct text_form *tf, int64_t from, int64_t to, int64_t step)
{
        char buf[TEXT_ROOM];
        for (int64_t v = from; v < to; v += step) {
                int64_t back = 0;
                assert_int_equal(tf->format(v, buf, sizeof(buf)), tf->len);
                assert_int_equal(tf->parse(buf, &back), 0);
                assert_int_equal(back, v);
        }
}

/* ---- days <-> civil ---- */

static void test_known_days(void **state)
{
        int y;
        unsigned m, d;
        (void)state;
        assert_int_equal(sw_days_from_civil(1970, 1, 1), 0);
        assert_int_equal(sw_days_from_civil(1969, 12, 31), -1);
        /* Values from `date -u -d ... +%s` / 86400. */
        assert_int_equal(sw_days_from_civil(2000, 2, 29), 951782400 / 86400);
        assert_int_equal(sw_days_from_civil(1900, 3, 1), -2203891200LL / 86400);
        assert_int_equal(sw_days_from_civil(2100, 2, 28), 4107456000LL / 86400);
        assert_int_equal(sw_days_from_civil(1600, 1, 1), -11676096000LL / 86400);
        assert_int_equal(sw_days_from_civil(1, 1, 1), -62135596800LL / 86400);
        /* 1900 is not a leap year, 2000 is. */
        assert_int_equal(sw_days_from_civil(1900, 3, 1) - sw_days_from_civil(1900, 2, 28), 1);
        assert_int_equal(sw_days_from_civil(2000, 3, 1) - sw_days_from_civil(2000, 2, 28), 2);
        sw_civil_from_days(951782400 / 86400, &y, &m, &d);
        assert_int_equal(y, 2000);
        assert_int_equal(m, 2);
        assert_int_equal(d, 29);
        sw_civil_from_days(sw_days_from_civil(1900, 2, 28) + 1, &y, &m, &d);
        assert_int_equal(y, 1900);
        assert_int_equal(m, 3);
        assert_int_equal(d, 1);
        sw_civil_from_days(-1, &y, &m, &d);
        assert_int_equal(y, 1969);
        assert_int_equal(m, 12);
        assert_int_equal(d, 31);
}

static void test_round_trip_wide_range(void **state)
{
        int y, py;
        unsigned m, d, pm, pd;
        (void)state;
        /* From year -400 to about 10500: every day is the calendar successor of the previous one
         * and maps back to itself. */
        sw_day_t from = sw_days_from_civil(-400, 1, 1), to = sw_days_from_civil(10500, 12, 31);
        sw_civil_from_days(from, &py, &pm, &pd);
        assert_int_equal(py, -400);
        assert_int_equal(pm, 1);
        assert_int_equal(pd, 1);
        for (sw_day_t day = from + 1; day <= to; day++) {
                sw_civil_from_days(day, &y, &m, &d);
                if (pd < ref_month_days(py, pm)) {
                        if (!(y == py && m == pm && d == pd + 1))
                                fail_msg("day %d: %d-%u-%u after %d-%u-%u", day, y, m, d, py, pm,
                                         pd);
                } else if (pm < 12) {
                        if (!(y == py && m == pm + 1 && d == 1))
                                fail_msg("day %d: %d-%u-%u after %d-%u-%u", day, y, m, d, py, pm,
                                         pd);
                } else if (!(y == py + 1 && m == 1 && d == 1)) {
                        fail_msg("day %d: %d-%u-%u after %d-%u-%u", day, y, m, d, py, pm, pd);
                }
                if (sw_days_from_civil(y, m, d) != day)
                        fail_msg("day %d does not round-trip", day);
                py = y;
                pm = m;
                pd = d;
        }
}

static void test_weekday(void **state)
{
        (void)state;
        assert_int_equal(sw_weekday(sw_days_from_civil(2026, 11, 26)), 3); /* Thursday */
        assert_int_equal(sw_weekday(0), 3);                                /* 1970-01-01 Thursday */
        assert_int_equal(sw_weekday(-1), 2);                               /* Wednesday */
        assert_int_equal(sw_weekday(sw_days_from_civil(2000, 1, 1)), 5);   /* Saturday */
        assert_int_equal(sw_weekday(sw_days_from_civil(2026, 11, 23)), 0); /* Monday */
        assert_int_equal(sw_weekday(sw_days_from_civil(2026, 11, 29)), 6); /* Sunday */
        assert_int_equal(sw_weekday(sw_days_from_civil(1900, 1, 1)), 0);   /* Monday */
        for (sw_day_t day = -1000; day < 1000; day++)
                assert_int_equal(sw_weekday(day + 1), (sw_weekday(day) + 1) % 7);
}

/* ---- YYYY-MM-DD ---- */

static void test_date_parse_valid(void **state)
{
        sw_day_t day;
        (void)state;
        assert_int_equal(parse_date("2024-02-29", &day), 0);
        assert_int_equal(day, sw_days_from_civil(2024, 2, 29));
        assert_int_equal(parse_date("2000-02-29", &day), 0);
        assert_int_equal(day, 951782400 / 86400);
        assert_int_equal(parse_date("1970-01-01", &day), 0);
        assert_int_equal(day, 0);
        assert_int_equal(parse_date("2026-12-31", &day), 0);
        assert_int_equal(day, sw_days_from_civil(2026, 12, 31));
        assert_int_equal(parse_date("0001-01-01", &day), 0);
        assert_int_equal(parse_date("9999-12-31", &day), 0);
        assert_int_equal(day, sw_days_from_civil(9999, 12, 31));
        /* Only len bytes are read. */
        assert_int_equal(sw_date_parse("2026-11-26T00:00", 10, &day), 0);
        assert_int_equal(day, sw_days_from_civil(2026, 11, 26));
}

static void test_date_parse_invalid(void **state)
{
        static const char *const bad[] = {
            "2026-02-29", "1900-02-29", "2100-02-29",  "2026-04-31", "2026-13-01", "2026-00-10",
            "2026-01-00", "2026-01-32", "0000-01-01",  "2026/01/01", "2026-0a-01", "2026-01-0b",
            "+026-01-01", "20a6-01-01", " 026-01-01",  "2026-1-01",  "2026-01-1",  "2026-01-011",
            "26-01-01",   "",           "2026-01-01 ", "2026_01-01", "-026-01-01",
        };
        sw_day_t day = 12345;
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse_date(bad[i], &day) != -EINVAL)
                        fail_msg("\"%s\" was accepted", bad[i]);
                assert_int_equal(day, 12345); /* never written on failure */
        }
        assert_int_equal(sw_date_parse(NULL, 10, &day), -EINVAL);
        assert_int_equal(sw_date_parse("2026-01-01", 9, &day), -EINVAL);
        assert_int_equal(day, 12345);
}

static void test_date_format(void **state)
{
        char buf[16];
        (void)state;
        assert_formats(&date_form, 0, sizeof(buf), "1970-01-01");
        assert_formats(&date_form, sw_days_from_civil(2024, 2, 29), 11, "2024-02-29");
        assert_formats(&date_form, sw_days_from_civil(1, 1, 1), sizeof(buf), "0001-01-01");
        assert_too_small_refused(&date_form, 0);
        /* Years that do not fit in four digits are refused (the header only names -ENOSPC). */
        assert_true(sw_date_format(sw_days_from_civil(10000, 1, 1), buf, sizeof(buf)) < 0);
        assert_true(sw_date_format(sw_days_from_civil(-1, 1, 1), buf, sizeof(buf)) < 0);
        /* Format then parse is the identity across years 1..9999. */
        assert_round_trips(&date_form, sw_days_from_civil(1, 1, 1),
                           sw_days_from_civil(9999, 12, 31) + 1, 97);
}

/* ---- RFC 3339 ---- */

static void test_rfc3339_known_values(void **state)
{
        static const struct {
                const char *s;
                int64_t want;
        } cases[] = {
            /* All values from `date -u -d ... +%s`. */
            {"2026-11-24T10:15:02Z", 1795515302},
            {"2026-11-24T04:15:02-06:00", 1795515302},
            {"2026-11-24T15:45:02+05:30", 1795515302},
            {"2026-11-24T10:15:02.999Z", 1795515302},
            {"2026-11-24T10:15:02.5+00:00", 1795515302},
            {"2026-11-24T10:15:02.000000001-00:00", 1795515302},
            {"2026-11-24t10:15:02z", 1795515302},
            {"2026-11-24 10:15:02Z", 1795515302},
            {"2026-11-24T10:15:02.999+05:30", 1795495502},
            {"2025-11-24T10:15:02Z", 1763979302},
            {"1970-01-01T00:00:00Z", 0},
            {"1969-12-31T23:59:59Z", -1},
            {"2000-02-29T00:00:00Z", 951782400},
            {"2024-02-29T12:00:00+05:30", 1709188200},
            {"2026-01-01T00:30:00+01:00", 1767223800}, /* 2025-12-31T23:30Z */
            {"2026-12-31T23:30:00-01:00", 1798763400}, /* 2027-01-01T00:30Z */
            {"9999-12-31T23:59:59Z", 253402300799},
            {"2016-12-31T23:59:60Z", 1483228800}, /* leap second folds into the next minute */
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int64_t got = 0;
                if (parse_ts(cases[i].s, &got) != 0)
                        fail_msg("\"%s\" was refused", cases[i].s);
                if (got != cases[i].want)
                        fail_msg("\"%s\": got %lld, want %lld", cases[i].s, (long long)got,
                                 (long long)cases[i].want);
        }
}

static void test_rfc3339_invalid(void **state)
{
        static const char *const bad[] = {
            "2026-11-24T10:15:02",        /* no offset */
            "2026-11-24T10:15:02.123",    /* fraction, no offset */
            "2026-13-24T10:15:02Z",       /* month 13 */
            "2026-02-29T10:15:02Z",       /* not a leap year */
            "2026-11-24T24:00:00Z",       /* hour 24 */
            "2026-11-24T10:60:02Z",       /* minute 60 */
            "2026-11-24T10:15:61Z",       /* second 61 */
            "2026-11-24T10:15:02Z ",      /* trailing junk */
            "2026-11-24T10:15:02Zx",      /* trailing junk */
            "2026-11-24T10:15:02+05:30x", /* trailing junk */
            "2026-11-24T10:15:02+05:3",   /* short offset */
            "2026-11-24T10:15:02+0530",   /* offset without colon */
            "2026-11-24T10:15:02+24:00",  /* offset hour */
            "2026-11-24T10:15:02+05:60",  /* offset minute */
            "2026-11-24T10:15:02+a5:30",  /* offset letter */
            "2026-11-24T10:15:02.Z",      /* empty fraction */
            "2026-11-24T10:15:02.12a4Z",  /* letter in fraction */
            "2026-11-24T10:15:02X",       /* unknown zone designator */
            "2026-11-24X10:15:02Z",       /* bad separator */
            "2026-11-24T10-15:02Z",       /* bad time separator */
            "2026-11-24T1a:15:02Z",       /* letter in hour */
            "2026-11-24T10:15Z",          /* no seconds */
            "2026-11-24",                 /* date only */
            "2026-11-24T10:15:02z+01:00", /* two zones */
            "",
            "1795515302",
        };
        int64_t v = 42;
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse_ts(bad[i], &v) != -EINVAL)
                        fail_msg("\"%s\" was accepted", bad[i]);
                assert_int_equal(v, 42);
        }
        /* The length is honoured: a valid prefix is not a valid timestamp. */
        assert_int_equal(sw_rfc3339_parse("2026-11-24T10:15:02Z", 19, &v), -EINVAL);
        assert_int_equal(sw_rfc3339_parse("2026-11-24T10:15:02+05:30", 24, &v), -EINVAL);
        assert_int_equal(sw_rfc3339_parse(NULL, 20, &v), -EINVAL);
        assert_int_equal(v, 42);
}

static void test_rfc3339_format(void **state)
{
        (void)state;
        assert_formats(&ts_form, 1795515302, TEXT_ROOM, "2026-11-24T10:15:02Z");
        assert_formats(&ts_form, 0, 21, "1970-01-01T00:00:00Z");
        assert_formats(&ts_form, -1, TEXT_ROOM, "1969-12-31T23:59:59Z");
        assert_formats(&ts_form, -86400, TEXT_ROOM, "1969-12-31T00:00:00Z");
        assert_formats(&ts_form, 951868799, TEXT_ROOM, "2000-02-29T23:59:59Z");
        assert_too_small_refused(&ts_form, 0);
        /* Format then parse is the identity, before and after the epoch. */
        assert_round_trips(&ts_form, -2208988800LL, 4102444800LL, 7777777);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_round_trip_wide_range),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_date_parse_valid),
        cmocka_unit_test(test_date_parse_invalid),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_rfc3339_known_values),
        cmocka_unit_test(test_rfc3339_invalid),
        cmocka_unit_test(test_rfc3339_format))
/* clang-format on */
