/* Calendar arithmetic and RFC 3339 parsing, pure and time-zone free. */
#ifndef SW_CIVIL_TIME_H
#define SW_CIVIL_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/sw_types.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
sw_day_t sw_days_from_civil(int year, unsigned month, unsigned day);
/* Inverse of sw_days_from_civil. */
void sw_civil_from_days(sw_day_t days, int *ret_year, unsigned *ret_month, unsigned *ret_day);
/* 0 = Monday ... 6 = Sunday. */
unsigned sw_weekday(sw_day_t days);

/* Parse "YYYY-MM-DD" (exactly 10 characters). Returns 0 or -EINVAL. */
int sw_date_parse(const char *s, size_t len, sw_day_t *ret_day);
/* Write "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). Returns 10 or -ENOSPC. */
int sw_date_format(sw_day_t day, char *buf, size_t size);

/*
 * Parse an RFC 3339 timestamp: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)";
 * 't' and ' ' are accepted for 'T', 'z' for 'Z'. Fractions are truncated.
 * Returns 0 and Unix seconds in *ret_unix, or -EINVAL.
 */
int sw_rfc3339_parse(const char *s, size_t len, int64_t *ret_unix);
/* Format Unix seconds as "YYYY-MM-DDTHH:MM:SSZ". Returns 20 or -ENOSPC (size >= 21). */
int sw_rfc3339_format(int64_t unix_seconds, char *buf, size_t size);

#endif
