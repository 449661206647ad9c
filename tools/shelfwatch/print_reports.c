/* print_reports.c: output of shelfwatch stats, effectiveness and roi. */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "shelfwatch.h"

/* A two-column table NAME / COUNT from an object of counts, e.g. {"info":3,"warning":1}. */
static void cli_print_counts(const char *title, const cJSON *counts)
{
        const struct cli_column cols[] = {{title, false}, {"COUNT", true}};
        struct cli_table t;
        const cJSON *it;
        char n[CLI_CELL_SIZE];
        cli_table_init(&t, cols, 2);
        cJSON_ArrayForEach(it, counts)
        {
                const char *row[] = {it->string, CLI_COUNT(counts, it->string, n)};
                cli_table_add(&t, row);
        }
        cli_table_print(&t);
}

void cli_print_stats(const cJSON *reply)
{
        const cJSON *detail = cli_get(reply, "trend_detail");
        char days[CLI_CELL_SIZE], total[CLI_CELL_SIZE], earlier[CLI_CELL_SIZE],
            later[CLI_CELL_SIZE];
        cli_kv("Window (days)", "%s", CLI_COUNT(reply, "days", days));
        cli_kv("Anomalies", "%s", CLI_COUNT(reply, "total", total));
        cli_kv("Trend", "%s (earlier half %s, later half %s)", cli_str(reply, "trend"),
               CLI_COUNT(detail, "earlier", earlier), CLI_COUNT(detail, "later", later));
        putchar('\n');
        cli_print_counts("SEVERITY", cli_get(reply, "by_severity"));
        putchar('\n');
        cli_print_counts("TYPE", cli_get(reply, "by_type"));
        putchar('\n');
        cli_print_counts("STATUS", cli_get(reply, "by_status"));
}

/* Rows NAME / PRECISION / TP / FP from {"name":{"precision","true_positive","false_positive"}}. */
static void cli_print_precision(const char *title, const cJSON *groups)
{
        const struct cli_column cols[] = {
            {title, false}, {"PRECISION", true}, {"TRUE POS", true}, {"FALSE POS", true}};
        struct cli_table t;
        const cJSON *g;
        char p[CLI_CELL_SIZE], tp[CLI_CELL_SIZE], fp[CLI_CELL_SIZE];
        cli_table_init(&t, cols, 4);
        cJSON_ArrayForEach(g, groups)
        {
                const char *row[] = {g->string, CLI_PERCENT(g, "precision", p),
                                     CLI_COUNT(g, "true_positive", tp),
                                     CLI_COUNT(g, "false_positive", fp)};
                cli_table_add(&t, row);
        }
        if (!cli_table_print_rows(&t))
                printf("%s: no outcomes recorded yet\n", title);
}

void cli_print_effectiveness(const cJSON *reply)
{
        const cJSON *precision = cli_get(reply, "precision"),
                    *overall = cli_get(precision, "overall");
        char a[CLI_CELL_SIZE], b[CLI_CELL_SIZE], c[CLI_CELL_SIZE];
        cli_kv("Window (days)", "%s", CLI_COUNT(reply, "days", a));
        cli_kv("Alerts", "%s", CLI_COUNT(reply, "alerts", a));
        cli_kv("With an outcome", "%s", CLI_COUNT(reply, "with_outcome", a));
        cli_kv("False-positive rate", "%s", CLI_PERCENT(reply, "false_positive_rate", a));
        cli_kv("Mean response", "%s", cli_hours(reply, "mean_response_hours", a, sizeof(a)));
        cli_kv("Resolution rate", "%s", CLI_PERCENT(reply, "resolution_rate", a));
        cli_kv("Precision", "%s (%s, %s)", CLI_PERCENT(overall, "precision", a),
               cli_num_quantity(overall, "true_positive", "true positive", "true positives", b,
                                sizeof(b)),
               cli_num_quantity(overall, "false_positive", "false positive", "false positives", c,
                                sizeof(c)));
        putchar('\n');
        cli_print_precision("TYPE", cli_get(precision, "by_type"));
        putchar('\n');
        cli_print_precision("CATEGORY", cli_get(precision, "by_category"));
}

void cli_print_roi(const cJSON *reply)
{
        char buf[CLI_CELL_SIZE];
        cli_kv("Window (days)", "%s", CLI_COUNT(reply, "days", buf));
        cli_kv("Prevented stock-out value", "%s",
               CLI_MONEY(reply, "prevented_stockout_value", buf));
        cli_kv("Ghost stock recovered", "%s", CLI_MONEY(reply, "ghost_stock_recovered_value", buf));
        cli_kv("Total", "%s", CLI_MONEY(reply, "total", buf));
        cli_kv("True-positive outcomes", "%s", CLI_COUNT(reply, "true_positive_outcomes", buf));
}
