/* The store's calendar as core sees it: local-time conversion (adapter), opening hours, holidays.
 */
#ifndef SW_STORE_CALENDAR_H
#define SW_STORE_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sw_types.h"

#define SW_MAX_HOLIDAYS 366

/* A Unix time seen on the store's wall clock. */
struct sw_local_time {
        sw_day_t day;           /* store-local calendar day */
        uint8_t weekday;        /* 0 = Monday .. 6 = Sunday */
        uint32_t second_of_day; /* 0..86399 on the local wall clock */
};

/* Time-zone conversion is I/O-bound (tzdata), so core receives it as an adapter. */
struct sw_calendar_adapter {
        /* Convert Unix seconds to store-local time; 0 or -errno. */
        int (*to_local)(void *ctx, int64_t unix_seconds, struct sw_local_time *ret);
        void *ctx; /* passed to to_local */
};

struct sw_store_calendar {
        struct sw_calendar_adapter tz; /* local-time conversion */
        uint16_t open_minute[7];       /* opening minute of each weekday (0 = Monday) */
        uint16_t close_minute[7];      /* closing minute; equal to open_minute = closed all day */
        uint16_t n_holidays;           /* entries used in holidays */
        sw_day_t holidays[SW_MAX_HOLIDAYS]; /* store-local holiday dates, sorted ascending */
};

bool sw_calendar_is_holiday(const struct sw_store_calendar *c, sw_day_t day);
bool sw_calendar_is_open(const struct sw_store_calendar *c, const struct sw_local_time *t);
/* Seconds of opening hours between two local times a <= b (wall-clock arithmetic: on a
 * DST-change day the hour that is skipped or repeated is not corrected for). */
uint32_t sw_calendar_open_seconds_between(const struct sw_store_calendar *c,
                                          const struct sw_local_time *a,
                                          const struct sw_local_time *b);

#endif
