/* Calendar arithmetic and RFC 3339 parsing, pure and time-zone free. */
#include "core/civil_time.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

sw_day_t sw_days_from_civil(int year, unsigned month, unsigned day)
{
        int y = year - (month <= 2);
        int era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (153 * (month + (month > 2 ? (unsigned)-3 : 9)) + 2) / 5 + day - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return (sw_day_t)(era * 146097 + (int)doe - 719468);
}

void sw_civil_from_days(sw_day_t days, int *ret_year, unsigned *ret_month, unsigned *ret_day)
{
        int z = days + 719468;
        int era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int y = (int)yoe + era * 400;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        unsigned d = doy - (153 * mp + 2) / 5 + 1;
        unsigned m = mp < 10 ? mp + 3 : mp - 9;
        *ret_year = y + (m <= 2);
        *ret_month = m;
        *ret_day = d;
}

unsigned sw_weekday(sw_day_t days)
{
        /* 1970-01-01 was a Thursday (3 with Monday = 0). */
        int w = (days + 3) % 7;
        return (unsigned)(w < 0 ? w + 7 : w);
}

static bool digits(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *ret = v;
        return true;
}

static unsigned days_in_month(int year, unsigned month)
{
        static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 && leap ? 29 : mdays[month - 1];
}

/* Parse "YYYY-MM-DD" at s (10 bytes available). */
static int parse_ymd(const char *s, int *ret_y, unsigned *ret_m, unsigned *ret_d)
{
        unsigned y, m, d;
        if (s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
            !digits(s + 8, 2, &d))
                return -EINVAL;
        if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month((int)y, m))
                return -EINVAL;
        *ret_y = (int)y;
        *ret_m = m;
        *ret_d = d;
        return 0;
}

int sw_date_parse(const char *s, size_t len, sw_day_t *ret_day)
{
        int y;
        unsigned m, d;
        if (!s || len != 10 || parse_ymd(s, &y, &m, &d) < 0)
                return -EINVAL;
        *ret_day = sw_days_from_civil(y, m, d);
        return 0;
}

int sw_date_format(sw_day_t day, char *buf, size_t size)
{
        int y;
        unsigned m, d;
        if (size < 11)
                return -ENOSPC;
        sw_civil_from_days(day, &y, &m, &d);
        if (y < 0 || y > 9999)
                return -ERANGE;
        snprintf(buf, size, "%04d-%02u-%02u", y, m, d);
        return 10;
}

int sw_rfc3339_parse(const char *s, size_t len, int64_t *ret_unix)
{
        int y;
        unsigned mo, d, hh, mi, ss, oh, om;
        size_t i = 19;
        int64_t offset = 0;

        if (!s || len < 20 || parse_ymd(s, &y, &mo, &d) < 0)
                return -EINVAL;
        if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
                return -EINVAL;
        if (s[13] != ':' || s[16] != ':' || !digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mi) ||
            !digits(s + 17, 2, &ss))
                return -EINVAL;
        /* 60 is a leap second: it is folded into the next minute. */
        if (hh > 23 || mi > 59 || ss > 60)
                return -EINVAL;
        if (s[i] == '.') {
                size_t start = ++i;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++;
                if (i == start)
                        return -EINVAL;
        }
        if (i >= len)
                return -EINVAL;
        if (s[i] == 'Z' || s[i] == 'z') {
                i++;
        } else if (s[i] == '+' || s[i] == '-') {
                if (len - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
                    !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
                        return -EINVAL;
                offset = (int64_t)(oh * 3600 + om * 60);
                if (s[i] == '-')
                        offset = -offset;
                i += 6;
        } else {
                return -EINVAL;
        }
        if (i != len)
                return -EINVAL;
        *ret_unix =
            (int64_t)sw_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
        return 0;
}

int sw_rfc3339_format(int64_t unix_seconds, char *buf, size_t size)
{
        int64_t days = unix_seconds / 86400, rem = unix_seconds % 86400;
        int y;
        unsigned m, d;
        if (size < 21)
                return -ENOSPC;
        if (rem < 0) {
                rem += 86400;
                days--;
        }
        sw_civil_from_days((sw_day_t)days, &y, &m, &d);
        snprintf(buf, size, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, (unsigned)(rem / 3600),
                 (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
        return 20;
}
