/* Test support: the pieces of a store the core tests build again and again, on malloc'd memory. */
#ifndef SW_TEST_STORE_FIXTURE_H
#define SW_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/anomaly_book.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"

/* Store time is UTC: Unix seconds split into day (floor), weekday and second of day. */
int sw_test_utc_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret);

/* cal open open_hour:00 to close_hour:00 every day, its time zone UTC (sw_test_utc_to_local). */
void sw_test_calendar_daily(struct sw_store_calendar *cal, int open_hour, int close_hour);

/* Init t over fresh malloc'd memory (filled with junk when junk is set, so that a missing
 * initialisation shows); fails the test on error. Returns the memory, for free(). */
void *sw_test_sku_table_init(struct sw_sku_table *t, const struct sw_sku_table_params *p,
                             bool junk);

/* Init b (capacity anomalies over max_skus) over fresh malloc'd memory. Returns it, for free(). */
void *sw_test_anomaly_book_init(struct sw_anomaly_book *b, uint32_t capacity, uint32_t max_skus);

#endif
