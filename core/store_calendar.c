/* Opening hours and holidays of the store. */
#include "core/store_calendar.h"

#include "core/civil_time.h"

bool sw_calendar_is_holiday(const struct sw_store_calendar *c, sw_day_t day)
{
        uint16_t lo = 0, hi = c->n_holidays;
        while (lo < hi) {
                uint16_t mid = (uint16_t)((lo + hi) / 2);
                if (c->holidays[mid] < day)
                        lo = (uint16_t)(mid + 1);
                else
                        hi = mid;
        }
        return lo < c->n_holidays && c->holidays[lo] == day;
}

bool sw_calendar_is_open(const struct sw_store_calendar *c, const struct sw_local_time *t)
{
        uint32_t minute = t->second_of_day / 60;
        unsigned w = t->weekday % 7;
        /* A holiday is a day the store is closed (store.holidays). */
        return minute >= c->open_minute[w] && minute < c->close_minute[w] &&
               !sw_calendar_is_holiday(c, t->day);
}

/* Overlap of [from, to) seconds-of-day with day's opening hours. */
static uint32_t open_overlap(const struct sw_store_calendar *c, sw_day_t day, uint32_t from,
                             uint32_t to)
{
        unsigned w = sw_weekday(day);
        uint32_t open = c->open_minute[w] * 60u, close = c->close_minute[w] * 60u;
        uint32_t lo = from > open ? from : open, hi = to < close ? to : close;
        if (sw_calendar_is_holiday(c, day))
                return 0;
        return hi > lo ? hi - lo : 0;
}

uint32_t sw_calendar_open_seconds_between(const struct sw_store_calendar *c,
                                          const struct sw_local_time *a,
                                          const struct sw_local_time *b)
{
        uint64_t total = 0;
        if (b->day < a->day || (b->day == a->day && b->second_of_day <= a->second_of_day))
                return 0;
        if (a->day == b->day)
                return open_overlap(c, a->day, a->second_of_day, b->second_of_day);
        total += open_overlap(c, a->day, a->second_of_day, 86400);
        /* Whole days in between; capped so a year-long gap cannot loop for long. */
        for (sw_day_t d = a->day + 1; d < b->day && d < a->day + 400; d++)
                total += open_overlap(c, d, 0, 86400);
        total += open_overlap(c, b->day, 0, b->second_of_day);
        return total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
}
