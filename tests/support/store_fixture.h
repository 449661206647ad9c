/* Test support: the pieces of a store the core tests build again and again, on malloc'd memory. */
#ifndef SW_TEST_STORE_FIXTURE_H
#define SW_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/anomaly_book.h"
#include "core/detect.h"
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

/* A store for the detector tests: its SKU table, anomaly book, calendar and detector. */
struct sw_test_store {
        struct sw_sku_table skus;
        struct sw_anomaly_book book;
        struct sw_store_calendar cal; /* the caller fills it in (sw_test_calendar_daily) */
        struct sw_detector det;       /* ghost parameters at their defaults */
        void *mem[3];                 /* the table's, the book's and the detector's memory */
};

/* st over fresh malloc'd memory: the table of p, a book of book_capacity anomalies and a
 * detector taking up to candidates ghost candidates; fails the test on error. */
void sw_test_store_init(struct sw_test_store *st, const struct sw_sku_table_params *p,
                        uint32_t book_capacity, uint32_t candidates);
/* Free st's memory (st zeroed). */
void sw_test_store_free(struct sw_test_store *st);

#endif
