/* The daily detection schedule on the store's wall clock. */
#include "daemon/schedule.h"

#include <stddef.h>

#include "platform/clock.h"

sw_day_t sw_schedule_day_of(int64_t t)
{
        struct sw_local_time lt;
        if (sw_clock_to_local(NULL, t, &lt) < 0)
                return (sw_day_t)(t / 86400);
        return lt.day;
}

int64_t sw_schedule_next_run(int64_t now, uint16_t schedule_min)
{
        struct sw_local_time t;
        int64_t run;
        if (sw_clock_to_local(NULL, now, &t) < 0)
                return now + 86400;
        run = sw_clock_from_local(t.day, (uint32_t)schedule_min * 60u);
        if (run <= now)
                run = sw_clock_from_local(t.day + 1, (uint32_t)schedule_min * 60u);
        return run;
}
