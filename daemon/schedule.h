/* The store's calendar days and the daily run time on its wall clock. */
#ifndef SW_SCHEDULE_H
#define SW_SCHEDULE_H

#include <stdint.h>

#include "core/sw_types.h"

/* The store-local day of Unix time t (in the process's time zone, platform/clock.h). */
sw_day_t sw_schedule_day_of(int64_t t);
/* The next daily run at store-local minute schedule_min strictly after now (Unix s). */
int64_t sw_schedule_next_run(int64_t now, uint16_t schedule_min);

#endif
