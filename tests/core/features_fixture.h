/* Test support for the feature tests (test_features.c, test_features_scaled.c): the SKU table
 * they compute from, over malloc'd memory, the day they compute as of, and their sales. */
#ifndef SW_TEST_FEATURES_FIXTURE_H
#define SW_TEST_FEATURES_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/sku_table.h"
#include "tests/support/store_fixture.h"

#define MAX_CATEGORIES 4

static struct sw_sku_table skus; /* the table under test */
static void *skus_mem;           /* its memory */
static sw_day_t D;               /* as_of: 2026-11-24, a Tuesday, so D-1 is a Monday */

/* A fresh table of max_skus SKUs, history_days days and MAX_CATEGORIES categories (its memory
 * filled with junk when junk is set, so that a missing initialisation shows), and D. */
static inline void features_table_init(uint32_t max_skus, uint16_t history_days, bool junk)
{
        struct sw_sku_table_params p = {
            .max_skus = max_skus, .history_days = history_days, .max_categories = MAX_CATEGORIES};
        memset(&skus, 0, sizeof(skus));
        skus_mem = sw_test_sku_table_init(&skus, &p, junk);
        D = sw_days_from_civil(2026, 11, 24);
}

/* The cmocka teardown of every test that had a table. */
static inline int teardown(void **state)
{
        (void)state;
        free(skus_mem);
        skus_mem = NULL;
        return 0;
}

/* Sell units a day on each day of [from, to]. */
static inline void sell(uint32_t i, sw_day_t from, sw_day_t to, uint32_t units)
{
        for (sw_day_t d = from; d <= to; d++)
                sw_sku_add_sold(&skus, i, d, units);
}

#endif
