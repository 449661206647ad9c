/* Test support: the pieces of a store the core tests build again and again, on malloc'd memory. */
#include "tests/support/store_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"

int sw_test_utc_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret)
{
        int64_t day = unix_seconds / 86400, sod = unix_seconds % 86400;
        (void)ctx;
        if (sod < 0) {
                sod += 86400;
                day--;
        }
        ret->day = (sw_day_t)day;
        ret->weekday = (uint8_t)sw_weekday((sw_day_t)day);
        ret->second_of_day = (uint32_t)sod;
        return 0;
}

void sw_test_calendar_daily(struct sw_store_calendar *cal, int open_hour, int close_hour)
{
        for (int w = 0; w < 7; w++) {
                cal->open_minute[w] = (uint16_t)(open_hour * 60);
                cal->close_minute[w] = (uint16_t)(close_hour * 60);
        }
        cal->tz = (struct sw_calendar_adapter){.to_local = sw_test_utc_to_local};
}

void *sw_test_sku_table_init(struct sw_sku_table *t, const struct sw_sku_table_params *p, bool junk)
{
        size_t size = sw_sku_table_memory_size(p);
        void *mem = malloc(size);

        assert_non_null(mem);
        if (junk)
                memset(mem, 0xab, size);
        assert_int_equal(sw_sku_table_init(t, p, mem, size), 0);
        return mem;
}

void *sw_test_anomaly_book_init(struct sw_anomaly_book *b, uint32_t capacity, uint32_t max_skus)
{
        size_t size = sw_anomaly_book_memory_size(capacity, max_skus);
        void *mem = malloc(size);

        assert_non_null(mem);
        assert_int_equal(sw_anomaly_book_init(b, capacity, max_skus, mem, size), 0);
        return mem;
}

void sw_test_store_init(struct sw_test_store *st, const struct sw_sku_table_params *p,
                        uint32_t book_capacity, uint32_t candidates)
{
        memset(st, 0, sizeof(*st));
        st->mem[0] = sw_test_sku_table_init(&st->skus, p, false);
        st->mem[1] = sw_test_anomaly_book_init(&st->book, book_capacity, p->max_skus);
        size_t size = sw_detector_memory_size(p->history_days, p->max_categories, candidates);
        st->mem[2] = malloc(size);
        assert_non_null(st->mem[2]);
        assert_int_equal(sw_detector_init(&st->det, &st->skus, &st->book, &st->cal, candidates,
                                          st->mem[2], size),
                         0);
        sw_ghost_params_default(&st->det.ghost);
}

void sw_test_store_free(struct sw_test_store *st)
{
        for (int k = 0; k < 3; k++)
                free(st->mem[k]);
        memset(st, 0, sizeof(*st));
}
