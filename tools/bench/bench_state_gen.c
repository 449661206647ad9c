/* Writes a shelfwatch database holding N SKUs with full daily history, pushed forecasts for
 * every SKU and shelf-sensor state for every fifth: the memory benchmark's worst case.
 * With a fifth argument it also writes the same data as CSV (for tools/bench/legacy_detect.py):
 * sku,category,on_hand,price,forecast,sales_0..sales_{DAYS-1} (oldest day first; forecast is
 * the pushed daily forecast, the same for every day). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/sku_table.h"
#include "platform/clock.h"
#include "platform/store.h"
#include "bench_rng.h"

int main(int argc, char **argv)
{
        struct sw_sku_table t;
        struct sw_store *store;
        struct sw_store_options o = {.cache_kib = 2048};
        uint8_t blob[SW_SKU_BLOB_MAX(366, 366)];
        FILE *csv = NULL;
        if (argc != 4 && argc != 5) {
                fprintf(stderr, "usage: bench_state_gen DB SKUS HISTORY_DAYS [CSV]\n");
                return 2;
        }
        uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
        uint16_t h = (uint16_t)strtoul(argv[3], NULL, 10);
        /* The daemon's defaults: a 43-day forecast ring, 20000 SKUs with shelf sensors. */
        struct sw_sku_table_params p = {.max_skus = n,
                                        .history_days = h,
                                        .forecast_days = 43,
                                        .max_categories = 64,
                                        .max_shelves = 20000};
        size_t size = sw_sku_table_memory_size(&p);
        void *mem = calloc(1, size);
        if (!mem || sw_sku_table_init(&t, &p, mem, size) < 0 || h > 366) {
                fprintf(stderr, "bench_state_gen: bad sizes\n");
                return 1;
        }
        int r = sw_store_open(argv[1], &o, &store);
        if (r < 0) {
                fprintf(stderr, "bench_state_gen: %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        if (argc == 5 && !(csv = fopen(argv[4], "w"))) {
                fprintf(stderr, "bench_state_gen: %s: %s\n", argv[4], strerror(errno));
                return 1;
        }
        if (csv) {
                fprintf(csv, "sku,category,on_hand,price,forecast");
                for (uint16_t k = 0; k < h; k++)
                        fprintf(csv, ",s%u", k);
                fputc('\n', csv);
        }
        sw_day_t today = (sw_day_t)(sw_clock_now() / 86400);
        sw_store_begin(store);
        for (uint32_t i = 0; i < n; i++) {
                char sku[32], cat[16];
                uint32_t idx;
                uint16_t cid;
                snprintf(sku, sizeof(sku), "SKU%07u", i);
                snprintf(cat, sizeof(cat), "cat%02u", i % 40);
                sw_sku_table_get_or_add(&t, sku, strlen(sku), &idx);
                sw_sku_table_category(&t, cat, strlen(cat), &cid);
                struct sw_sku *s = sw_sku_at(&t, idx);
                s->category = cid;
                s->on_hand = (int32_t)(bench_rand() % 200) + 1;
                /* Whole cents: the CSV's price is exactly the table's. */
                s->price = (double)(bench_rand() % 10000 + 50) / 100.0;
                s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE | SW_SKU_HAS_BOOK;
                uint32_t rate = bench_rand() % 20;
                if (csv)
                        fprintf(csv, "%s,%s,%d,%.2f,%.1f", sku, cat, s->on_hand, s->price,
                                rate + 0.5);
                for (sw_day_t d = today - h; d < today; d++) {
                        uint32_t sold = rate ? bench_rand() % (2 * rate + 1) : bench_rand() % 2;
                        sw_sku_add_sold(&t, idx, d, sold);
                        if (csv)
                                fprintf(csv, ",%u", sold);
                }
                if (csv)
                        fputc('\n', csv);
                /* Worst case: a pushed forecast for every SKU and day the ring holds. */
                for (sw_day_t d = today - 28; d <= today + 14; d++)
                        sw_sku_set_pushed_forecast(&t, idx, d, rate + 0.5);
                struct sw_shelf *sh;
                if (i % 5 == 0 && sw_sku_shelf_get_or_add(&t, idx, &sh) == 0)
                        *sh = (struct sw_shelf){.count = 3, .ts = (uint32_t)sw_clock_now() - 600};
                int len = sw_sku_serialize(&t, idx, blob, sizeof(blob));
                if (len < 0 || sw_store_put_sku(store, sku, blob, (size_t)len) < 0) {
                        fprintf(stderr, "bench_state_gen: cannot write %s: %s\n", sku,
                                sw_store_errmsg(store));
                        return 1;
                }
        }
        if (csv && fclose(csv) != 0)
                return 1;
        r = sw_store_commit(store);
        sw_store_close(store);
        free(mem);
        if (r < 0)
                return 1;
        printf("wrote %u SKUs x %u days into %s\n", n, h, argv[1]);
        return 0;
}
