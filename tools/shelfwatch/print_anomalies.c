/* print_anomalies.c: output of shelfwatch anomalies, ghost-stock and outcome. */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "shelfwatch.h"

void cli_print_anomalies(const cJSON *reply)
{
        static const struct cli_column cols[] = {
            {"ID", false},     {"DATE", false}, {"TYPE", false}, {"SEVERITY", false},
            {"STATUS", false}, {"SKU", false},  {"VALUE", true}, {"DESCRIPTION", false}};
        const cJSON *list = cli_get(reply, "anomalies"), *a;
        struct cli_table t;
        char value[CLI_CELL_SIZE];
        cli_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
        cJSON_ArrayForEach(a, list)
        {
                /* The store-local day of the latest detection: while an anomaly stays open,
                 * each day's run moves it on; once closed, it says when it was last seen. */
                const char *row[] = {cli_str(a, "id"),
                                     cli_str(a, "as_of"),
                                     cli_str(a, "type"),
                                     cli_str(a, "severity"),
                                     cli_str(a, "status"),
                                     cli_str(a, "sku"),
                                     CLI_MONEY(a, "value", value),
                                     cli_str(a, "description")};
                cli_table_add(&t, row);
        }
        if (!cli_table_print_rows(&t)) {
                printf("No anomalies match.\n");
                return;
        }
        printf("%s\n", cli_quantity(cJSON_GetArraySize(list), "anomaly", "anomalies", value,
                                    sizeof(value)));
}

void cli_print_ghost_stock(const cJSON *reply)
{
        static const struct cli_column cols[] = {
            {"RANK", true}, {"ID", false},   {"SKU", false},     {"CATEGORY", false},
            {"PROB", true}, {"VALUE", true}, {"PRIORITY", true}, {"DESCRIPTION", false}};
        const cJSON *list = cli_get(reply, "recommendations"), *r;
        struct cli_table t;
        char rank[CLI_CELL_SIZE], prob[CLI_CELL_SIZE], value[CLI_CELL_SIZE], prio[CLI_CELL_SIZE];
        cli_table_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
        cJSON_ArrayForEach(r, list)
        {
                const char *row[] = {CLI_COUNT(r, "rank", rank),
                                     cli_str(r, "id"),
                                     cli_str(r, "sku"),
                                     cli_str(r, "category"),
                                     cli_num(r, "probability", "%.2f", 1.0, prob, sizeof(prob)),
                                     CLI_MONEY(r, "value", value),
                                     CLI_MONEY(r, "priority", prio),
                                     cli_str(r, "description")};
                cli_table_add(&t, row);
        }
        if (cli_table_print_rows(&t))
                printf("Count these SKUs, then record the result: shelfwatch outcome ID "
                       "true_positive|false_positive\n");
        else
                printf("No open ghost stock: nothing to count.\n");
}

void cli_print_outcome(const cJSON *reply)
{
        const cJSON *o = cli_get(reply, "outcome");
        char buf[CLI_CELL_SIZE];
        printf("Recorded %s for anomaly %s.\n", cli_str(o, "outcome"), cli_str(o, "anomaly"));
        cli_kv("Outcome id", "%s", cli_str(o, "id"));
        cli_kv("SKU", "%s", cli_str(o, "sku"));
        cli_kv("Type", "%s", cli_str(o, "type"));
        cli_kv("Anomaly status", "%s", cli_str(o, "status"));
        cli_kv("Action", "%s", cli_str(o, "action"));
        cli_kv("Source", "%s", cli_str(o, "source"));
        cli_kv("Recorded at", "%s", cli_str(o, "ts"));
        cli_kv("Response time", "%s", cli_hours(o, "response_hours", buf, sizeof(buf)));
        cli_kv("Adjustment", "%s",
               cli_num_quantity(o, "adjustment", "unit", "units", buf, sizeof(buf)));
        cli_kv("Value recovered", "%s", CLI_MONEY(o, "value_recovered", buf));
        cli_kv("Note", "%s", cli_str(o, "note"));
}
