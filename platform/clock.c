/* Clocks and the store's time zone (tzdata via the C library). */
#include "platform/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/civil_time.h"

uint64_t sw_clock_monotonic_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t sw_clock_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec;
}

int sw_clock_set_timezone(const char *iana_name)
{
        char path[512];
        if (!iana_name || !*iana_name || strstr(iana_name, ".."))
                return -EINVAL;
        if (strcmp(iana_name, "UTC") != 0) {
                snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", iana_name);
                if (access(path, R_OK) < 0)
                        return -ENOENT;
        }
        /* ":" makes glibc read the named zone file and never guess a POSIX rule. */
        snprintf(path, sizeof(path), ":%s", iana_name);
        if (setenv("TZ", path, 1) < 0)
                return -errno;
        tzset();
        return 0;
}

int sw_clock_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret)
{
        struct tm tm;
        time_t t = (time_t)unix_seconds;
        (void)ctx;
        /* Debian 12 armhf has a 32-bit time_t: past 2038-01-19 the cast would wrap to a
         * date in 1901 and the event would land on a wrong day without an error. */
        if ((int64_t)t != unix_seconds || !localtime_r(&t, &tm))
                return -EOVERFLOW;
        ret->day =
            sw_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
        ret->weekday = (uint8_t)((tm.tm_wday + 6) % 7);
        ret->second_of_day =
            (uint32_t)(tm.tm_hour * 3600 + tm.tm_min * 60 + (tm.tm_sec > 59 ? 59 : tm.tm_sec));
        return 0;
}

int64_t sw_clock_from_local(sw_day_t day, uint32_t second_of_day)
{
        struct tm tm = {0};
        int y;
        unsigned m, d;
        sw_civil_from_days(day, &y, &m, &d);
        tm.tm_year = y - 1900;
        tm.tm_mon = (int)m - 1;
        tm.tm_mday = (int)d;
        tm.tm_hour = (int)(second_of_day / 3600);
        tm.tm_min = (int)(second_of_day / 60 % 60);
        tm.tm_sec = (int)(second_of_day % 60);
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}
