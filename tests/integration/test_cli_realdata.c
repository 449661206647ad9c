/*
 * shelfwatch import of real sales (UCI Online Retail II, ../shared/realdata/online_retail/,
 * never copied into the repository): 8 weeks of item-day sales of a tenth of the SKUs that
 * sold, moved by whole weeks to end yesterday; after the import, the next detect has a forecast
 * for every SKU that sold. Skipped, with a message, where the data is not there.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/civil_time.h"
#include "harness.h"
#include "tests/support/test_main.h"

#define CLI      SW_BUILD_DIR "/shelfwatch"
#define PREFIX   "retail/demo/store1"
#define DATA     SW_SOURCE_DIR "/../shared/realdata/online_retail/online_retail_item_day.csv.gz"
#define LAST_DAY "2011-12-09" /* the data's last day, a Friday */
#define DAYS     56           /* 8 weeks */
#define EVERY    10           /* a tenth of the SKUs that sold in the window */
#define MAX_SKUS 4096
#define MAX_ROWS 200000
#define SKU_SIZE 16

/* One item-day of the window. */
struct sale {
        int day;            /* index in the window, 0 = its first day */
        char sku[SKU_SIZE]; /* stock code */
        long units;         /* units sold */
        double revenue;     /* GBP */
};

/* The window read from the data. */
struct window {
        struct sale *rows;             /* item-days with units sold, in the data's order */
        size_t n;                      /* entries in rows */
        char skus[MAX_SKUS][SKU_SIZE]; /* codes that sold, sorted */
        size_t n_skus;                 /* entries in skus */
};

static const char *data_path(void)
{
        const char *env = getenv("SW_REALDATA_ITEM_DAY");
        return env && env[0] ? env : DATA;
}

static int sku_cmp(const void *a, const void *b)
{
        return strcmp(a, b);
}

/* Read the window's item-days with sales (gzip -dc: no zlib needed). */
static void read_window(struct window *w, sw_day_t first)
{
        char cmd[1024], line[512];
        snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", data_path());
        FILE *in = popen(cmd, "r");
        assert_non_null(in);
        w->rows = calloc(MAX_ROWS, sizeof(*w->rows));
        while (fgets(line, sizeof(line), in)) {
                char date[16], sku[64];
                long units;
                double revenue;
                sw_day_t day;
                if (sscanf(line, "%15[^,],%63[^,],%ld,%*d,%lf", date, sku, &units, &revenue) != 4 ||
                    sw_date_parse(date, strlen(date), &day) < 0 || day < first ||
                    day >= first + DAYS || units <= 0 || strlen(sku) >= SKU_SIZE)
                        continue;
                assert_true(w->n < MAX_ROWS);
                struct sale *s = &w->rows[w->n++];
                *s = (struct sale){.day = (int)(day - first), .units = units, .revenue = revenue};
                memcpy(s->sku, sku, strlen(sku) + 1); /* length checked above */
        }
        assert_int_equal(pclose(in), 0);
        /* The codes that sold, sorted, each once. */
        static char all[MAX_ROWS][SKU_SIZE];
        for (size_t i = 0; i < w->n; i++)
                memcpy(all[i], w->rows[i].sku, SKU_SIZE);
        qsort(all, w->n, SKU_SIZE, sku_cmp);
        for (size_t i = 0; i < w->n; i++)
                if (i == 0 || strcmp(all[i], all[i - 1]) != 0) {
                        assert_true(w->n_skus < MAX_SKUS);
                        memcpy(w->skus[w->n_skus++], all[i], SKU_SIZE);
                }
}

static bool picked(const struct window *w, const char *sku)
{
        const char *at = bsearch(sku, w->skus, w->n_skus, SKU_SIZE, sku_cmp);
        return at && (size_t)(at - w->skus[0]) / SKU_SIZE % EVERY == 0;
}

/* The import's files: sales per SKU and day (dates moved by `shift` days), and the items with a
 * list price (the window's revenue per unit) and a book of about four weeks of sales. */
static size_t write_files(const struct window *w, const char *dir, sw_day_t first, int shift,
                          size_t *ret_skus)
{
        char path[512], date[16];
        size_t rows = 0, skus = 0;
        snprintf(path, sizeof(path), "%s/sales.csv", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "date,stock_code,units_sold,revenue\n");
        for (size_t i = 0; i < w->n; i++) {
                if (!picked(w, w->rows[i].sku))
                        continue;
                sw_date_format(first + w->rows[i].day + shift, date, sizeof(date));
                fprintf(f, "%s,%s,%ld,%.2f\n", date, w->rows[i].sku, w->rows[i].units,
                        w->rows[i].revenue);
                rows++;
        }
        fclose(f);
        snprintf(path, sizeof(path), "%s/items.csv", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "sku,price,on_hand\n");
        for (size_t k = 0; k < w->n_skus; k += EVERY) {
                long units = 0;
                double revenue = 0;
                for (size_t i = 0; i < w->n; i++)
                        if (strcmp(w->rows[i].sku, w->skus[k]) == 0) {
                                units += w->rows[i].units;
                                revenue += w->rows[i].revenue;
                        }
                fprintf(f, "%s,%.2f,%ld\n", w->skus[k],
                        units ? fmax(revenue / (double)units, 0.01) : 0.01,
                        (long)ceil((double)units / 2.0));
                skus++;
        }
        fclose(f);
        *ret_skus = skus;
        return rows;
}

static void test_realdata_import_gives_every_sku_a_forecast(void **state)
{
        static struct window w;
        char dir[256], conf[1024], sales[512], items[512], out[512], err[512], today[16];
        sw_day_t first, last;
        (void)state;
        if (access(data_path(), R_OK) != 0) {
                fprintf(stderr,
                        "SKIPPED: %s is not here (the real item-day sales of "
                        "../shared/realdata/online_retail/, see its README; SW_REALDATA_ITEM_DAY "
                        "names another copy)\n",
                        data_path());
                skip();
        }
        assert_int_equal(sw_date_parse(LAST_DAY, 10, &last), 0);
        first = last - DAYS + 1;
        read_window(&w, first);

        /* Whole weeks (weekdays kept: the retailer closes on Saturdays) so the last day is on or
         * before yesterday. */
        sw_day_t yesterday = (sw_day_t)(time(NULL) / 86400) - 1;
        int shift = (int)((yesterday - last) / 7 * 7);
        h_tmpdir(dir, sizeof(dir));
        size_t skus, rows = write_files(&w, dir, first, shift, &skus);
        char from[16];
        sw_date_format(first, from, sizeof(from));
        fprintf(stderr, "real sales: %zu SKUs sold from %s to %s; importing the %zu rows of %zu\n",
                w.n_skus, from, LAST_DAY, rows, skus);
        assert_true(skus >= 250 && rows >= 4000);

        struct h_broker b = {0};
        struct h_daemon d = {0};
        h_broker_start(&b, 0, NULL);
        h_config(conf, sizeof(conf), b.port, dir,
                 "limits = { history_days = 63; };\n"
                 "store = { opening_hours = { sat = \"closed\"; }; };\n");
        h_daemon_start(&d, dir, conf, b.port);
        snprintf(sales, sizeof(sales), "%s/sales.csv", dir);
        snprintf(items, sizeof(items), "%s/items.csv", dir);
        snprintf(out, sizeof(out), "%s/import.json", dir);
        snprintf(err, sizeof(err), "%s/import.err", dir);
        double start = h_mono_s();
        int status = h_run(out, (char *[]){CLI, "--config", d.conf, "import", "--items", items,
                                           "--sales", sales, "--json", NULL});
        double secs = h_mono_s() - start;
        char *text = h_read_file(out);
        if (status != 0)
                fail_msg("import: exit %d:\n%s", status, text);
        /* h_run sends stderr to the same file: the JSON starts at the first '{'. */
        cJSON *j = cJSON_Parse(strchr(text, '{'));
        assert_non_null(j);
        cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "files"), 1);
        assert_string_equal(h_json_string(f, "kind"), "sales");
        assert_true(h_json_number(f, "accepted") == (double)rows);
        assert_true(h_json_number(j, "skus_registered.accepted") == (double)skus);
        fprintf(stderr, "imported %zu rows and %zu SKUs in %.1f s (%.0f rows a second)\n", rows,
                skus, secs, (double)rows / secs);
        cJSON_Delete(j);
        free(text);

        /* The next detect, then each SKU's forecast as of today. */
        sw_date_format(yesterday + 1, today, sizeof(today));
        char q[64];
        snprintf(q, sizeof(q), "{\"as_of\":\"%s\"}", today);
        cJSON_Delete(h_command_within(b.port, PREFIX, "detect", q, 60));
        snprintf(q, sizeof(q), "{\"as_of\":\"%s\",\"limit\":100000}", today);
        cJSON *fc = h_command_within(b.port, PREFIX, "forecast", q, 60), *row;
        assert_true(h_json_number(fc, "skus") == (double)skus);
        size_t with = 0;
        cJSON_ArrayForEach(row, cJSON_GetObjectItem(fc, "rows"))
        {
                if (!cJSON_IsString(cJSON_GetObjectItem(row, "source")))
                        fail_msg("%s has no forecast (%g days of history)",
                                 h_json_string(row, "sku"), h_json_number(row, "history_days"));
                assert_true(h_json_number(row, "history_days") >= 14);
                with++;
        }
        assert_int_equal(with, skus);
        assert_true(h_json_number(fc, "with_forecast") == (double)skus);
        fprintf(stderr, "forecast as of %s: %zu of %zu SKUs\n", today, with, skus);
        cJSON_Delete(fc);
        free(w.rows);
        h_finish_test(&d, &b, dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_realdata_import_gives_every_sku_a_forecast, h_teardown))
/* clang-format on */
