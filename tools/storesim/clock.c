/* clock.c: the monotonic clock, and store-local dates and timestamps of simulated days. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/civil_time.h"
#include "storesim.h"

/* Monday .. Sunday (sw_weekday order). */
static const double sim_weekday_factor[7] = {0.90, 0.90, 0.95, 1.00, 1.20, 1.35, 0.70};

int64_t sim_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double sim_weekday(sw_day_t day)
{
        return sim_weekday_factor[sw_weekday(day)];
}

void sim_date(sw_day_t day, char buf[11])
{
        (void)sw_date_format(day, buf, 11);
}

/* RFC 3339 with the numeric offset of the store's zone (TZ is set at start-up). */
int sim_local_ts(sw_day_t day, unsigned secs, char *buf, size_t size)
{
        int y;
        unsigned m, d;
        sw_civil_from_days(day, &y, &m, &d);
        struct tm tm = {.tm_year = y - 1900,
                        .tm_mon = (int)m - 1,
                        .tm_mday = (int)d,
                        .tm_hour = (int)(secs / 3600),
                        .tm_min = (int)(secs / 60 % 60),
                        .tm_sec = (int)(secs % 60),
                        .tm_isdst = -1};
        time_t t = mktime(&tm);
        struct tm lt;
        if (t == (time_t)-1 || !localtime_r(&t, &lt))
                return -EINVAL;
        long off = lt.tm_gmtoff < 0 ? -lt.tm_gmtoff : lt.tm_gmtoff;
        int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", lt.tm_year + 1900,
                         lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec,
                         lt.tm_gmtoff < 0 ? '-' : '+', off / 3600, off / 60 % 60);
        return n > 0 && (size_t)n < size ? 0 : -ENOSPC;
}
