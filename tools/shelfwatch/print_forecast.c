/* print_forecast.c: output of shelfwatch forecast. */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "shelfwatch.h"

void cli_print_forecast(const cJSON *reply)
{
        static const struct cli_column cols[] = {{"SKU", false},    {"CATEGORY", false},
                                                 {"HISTORY", true}, {"EXPECTED", true},
                                                 {"SOURCE", false}, {"LEVEL", true}};
        const cJSON *rows = cli_get(reply, "rows"), *r;
        struct cli_table t;
        char hist[CLI_CELL_SIZE], exp[CLI_CELL_SIZE], level[CLI_CELL_SIZE], a[CLI_CELL_SIZE],
            b[CLI_CELL_SIZE];
        cli_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
        cJSON_ArrayForEach(r, rows)
        {
                const char *row[] = {
                    cli_str(r, "sku"),
                    cli_str(r, "category"),
                    cli_num_quantity(r, "history_days", "day", "days", hist, sizeof(hist)),
                    cli_num(r, "expected", "%.2f", 1.0, exp, sizeof(exp)),
                    cli_str(r, "source"),
                    cli_num(r, "level", "%.2f", 1.0, level, sizeof(level))};
                cli_table_add(&t, row);
        }
        printf("Expected unit sales on %s (a local forecast needs %s of history).\n\n",
               cli_str(reply, "as_of"),
               cli_num_quantity(reply, "min_history_days", "day", "days", a, sizeof(a)));
        (void)cli_table_print_rows(&t);
        printf("%s of %s have a forecast.\n", CLI_COUNT(reply, "with_forecast", a),
               cli_num_quantity(reply, "skus", "SKU", "SKUs", b, sizeof(b)));
}
