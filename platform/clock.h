/* Clocks and the store's time zone (tzdata via the C library). */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

#include <stdint.h>

#include "core/store_calendar.h"

/* Monotonic milliseconds, for deadlines. */
uint64_t sw_clock_monotonic_ms(void);
/* Wall-clock Unix seconds, for event and record times. */
int64_t sw_clock_now(void);

/* Select the process time zone (an IANA name such as "America/Chicago"). The daemon
 * serves one store, so the process-wide TZ is the store's. -ENOENT if tzdata lacks it. */
int sw_clock_set_timezone(const char *iana_name);
/* sw_calendar_adapter.to_local over the process time zone; ctx is unused. -EOVERFLOW when
 * unix_seconds does not fit the C library's time_t (32 bits on armhf: after 2038-01-19). */
int sw_clock_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret);
/* Unix time of a store-local wall-clock moment (day, second of day); on a DST gap the
 * moment after it, on a repeated hour the first one. */
int64_t sw_clock_from_local(sw_day_t day, uint32_t second_of_day);

#endif
