/* features.c: --features-out: the daemon's daily ML feature rows with ground-truth labels. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "storesim.h"

/* The columns of --features-out: the daemon's feature names in its order (the same on every
 * day: the first reply's become the header, with "label" after them), what
 * tools/bench/iforest_parity.py --features reads. The seed feature set's header was
 * "sales_7d,sales_trend_7d,quantity_on_hand,unit_price,day_of_week,is_holiday,stock_turnover,
 * price_vs_avg,label"; the scaled set has its own names. */

/* Whether the reply's feature names are SIM_FEATURES strings and, after the first day, the
 * header's; the first day's are kept and written as the header. */
static bool sim_features_match(struct sim *s, const cJSON *names)
{
        char joined[sizeof(s->features_names)] = "";
        size_t len = 0;
        const cJSON *n;
        if (cJSON_GetArraySize(names) != SIM_FEATURES)
                return false;
        cJSON_ArrayForEach(n, names)
        {
                const char *v = cJSON_GetStringValue(n);
                int w = v && *v && !strchr(v, ',') ? snprintf(joined + len, sizeof(joined) - len,
                                                              "%s%s", len ? "," : "", v)
                                                   : -1;
                if (w < 0 || (size_t)w >= sizeof(joined) - len)
                        return false;
                len += (size_t)w;
        }
        if (s->features_names[0])
                return strcmp(joined, s->features_names) == 0;
        memcpy(s->features_names, joined, len + 1);
        fprintf(s->features_file, "%s,label\n", joined);
        return true;
}

/* Whether a row of the reply has a SKU code and SIM_FEATURES numbers. */
static bool sim_feature_row_ok(const cJSON *row)
{
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(row, "x"), *v;
        if (!sim_json_str(row, "sku")[0] || cJSON_GetArraySize(x) != SIM_FEATURES)
                return false;
        cJSON_ArrayForEach(v, x)
        {
                if (!cJSON_IsNumber(v))
                        return false;
        }
        return true;
}

static int sim_cmp_feature_row(const void *a, const void *b)
{
        const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
        return strcmp(sim_json_str(x, "sku"), sim_json_str(y, "sku"));
}

/*
 * Ask the daemon for every SKU's features as of as_of (ml-features, over the same
 * request/reply path as detect) and append one CSV row per SKU, in SKU code order so the
 * file does not depend on the daemon's table order. label is 1 when the SKU had an ML event
 * that these features still show: the ml_detected matching rule with as_of - 1 as the last
 * day seen. Returns the rows written, -EBADMSG for a reply that is not the expected shape,
 * or sim_command's errors (nothing written then).
 */
int sim_write_features(struct sim *s, sw_day_t as_of)
{
        char date[11], corr[64];
        sim_date(as_of, date);
        snprintf(corr, sizeof(corr), "features-%s", date);
        int r = sim_command(s, "ml-features", as_of, corr);
        if (r < 0)
                return r;
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(s->reply, "rows"), *row;
        if (!sim_features_match(s, cJSON_GetObjectItemCaseSensitive(s->reply, "features")) ||
            !cJSON_IsArray(rows) || strcmp(sim_json_str(s->reply, "as_of"), date) != 0)
                return -EBADMSG;
        int n = cJSON_GetArraySize(rows), i = 0;
        const cJSON **sorted = calloc((size_t)n + 1, sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        cJSON_ArrayForEach(row, rows)
        {
                if (!sim_feature_row_ok(row)) {
                        free(sorted);
                        return -EBADMSG;
                }
                sorted[i++] = row;
        }
        qsort(sorted, (size_t)n, sizeof(*sorted), sim_cmp_feature_row);
        for (i = 0; i < n; i++) {
                const char *sku = sim_json_str(sorted[i], "sku");
                bool label = sim_find_episode(s, SIM_ML_KINDS, sku, as_of - 1) != NULL;
                const cJSON *v;
                /* The daemon's features are float32: 9 digits read back exactly. */
                cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(sorted[i], "x"))
                    fprintf(s->features_file, "%.9g,", (double)(float)v->valuedouble);
                fprintf(s->features_file, "%d\n", label);
                s->feature_positives += label;
        }
        s->feature_rows += (unsigned long)n;
        free(sorted);
        return n;
}
