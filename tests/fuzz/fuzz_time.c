/* libFuzzer harness: RFC 3339 and YYYY-MM-DD parsing (core/civil_time), with round trips. */
/*
 * The input is handed as is (len bytes, not NUL-terminated) to sw_rfc3339_parse() and
 * sw_date_parse(). Round trips checked:
 * - a parsed timestamp in years 1..9999 (UTC) formats with sw_rfc3339_format() and parses
 *   back to the same value; an input already in that canonical form formats to itself;
 * - a parsed date formats with sw_date_format() to exactly the input, and its day number
 *   survives sw_civil_from_days() / sw_days_from_civil().
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/civil_time.h"
#include "tests/fuzz/fuzz_common.h"

#define UNIX_YEAR_1     (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define UNIX_YEAR_10000 253402300800LL   /* 10000-01-01T00:00:00Z */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" with seconds below 60: what sw_rfc3339_format() writes. */
static bool canonical(const char *s, size_t n)
{
        return n == 20 && s[10] == 'T' && s[19] == 'Z' && !(s[17] == '6' && s[18] == '0');
}

static void check_rfc3339(const char *s, size_t n)
{
        char buf[32];
        int64_t t = 0, back = 0;

        if (sw_rfc3339_parse(s, n, &t) < 0)
                return;
        /* Years 1..9999 with a UTC offset of at most a day reach this far, no further. */
        FUZZ_CHECK(t >= UNIX_YEAR_1 - 86400 && t < UNIX_YEAR_10000 + 86400);
        if (t < UNIX_YEAR_1 || t >= UNIX_YEAR_10000)
                return; /* outside what the formatter's 4-digit years can say */
        FUZZ_CHECK(sw_rfc3339_format(t, buf, sizeof(buf)) == 20);
        FUZZ_CHECK(strlen(buf) == 20);
        FUZZ_CHECK(sw_rfc3339_parse(buf, 20, &back) == 0);
        FUZZ_CHECK(back == t);
        if (canonical(s, n))
                FUZZ_CHECK(memcmp(buf, s, 20) == 0);
}

static void check_date(const char *s, size_t n)
{
        char buf[16];
        sw_day_t day = 0;
        unsigned m = 0, d = 0;
        int y = 0;

        if (sw_date_parse(s, n, &day) < 0)
                return;
        FUZZ_CHECK(n == 10);
        FUZZ_CHECK(sw_date_format(day, buf, sizeof(buf)) == 10);
        FUZZ_CHECK(memcmp(buf, s, 10) == 0);
        sw_civil_from_days(day, &y, &m, &d);
        FUZZ_CHECK(y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
        FUZZ_CHECK(sw_days_from_civil(y, m, d) == day);
        FUZZ_CHECK(sw_weekday(day) <= 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;

        check_rfc3339(s, size);
        check_date(s, size);
        return 0;
}
