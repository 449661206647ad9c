/* Printing a query's result: an aligned table, or JSON objects under one key. */
#include "hq/hq_cli_print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hq/hq_cli.h"

/* Type OIDs (catalog/pg_type.dat), fixed in every PostgreSQL release. */
#define HQ_OID_BOOL    16
#define HQ_OID_INT8    20
#define HQ_OID_INT2    21
#define HQ_OID_INT4    23
#define HQ_OID_FLOAT4  700
#define HQ_OID_FLOAT8  701
#define HQ_OID_NUMERIC 1700
#define HQ_OID_JSON    114
#define HQ_OID_JSONB   3802
#define HQ_COLUMN_MAX  40 /* a table cell is cut to this width */

static cJSON *cell_json(const PGresult *res, int row, int col)
{
        const char *v = PQgetvalue(res, row, col);
        if (PQgetisnull(res, row, col))
                return cJSON_CreateNull();
        switch (PQftype(res, col)) {
        case HQ_OID_BOOL:
                return cJSON_CreateBool(v[0] == 't');
        case HQ_OID_INT2:
        case HQ_OID_INT4:
        case HQ_OID_INT8:
        case HQ_OID_FLOAT4:
        case HQ_OID_FLOAT8:
        case HQ_OID_NUMERIC:
                return cJSON_CreateNumber(strtod(v, NULL));
        case HQ_OID_JSON:
        case HQ_OID_JSONB: {
                cJSON *j = cJSON_Parse(v);
                return j ? j : cJSON_CreateString(v);
        }
        default:
                return cJSON_CreateString(v);
        }
}

cJSON *hq_result_json(const PGresult *res)
{
        cJSON *a = cJSON_CreateArray();
        for (int r = 0; a && r < PQntuples(res); r++) {
                cJSON *o = cJSON_CreateObject();
                if (!o) {
                        cJSON_Delete(a);
                        return NULL;
                }
                cJSON_AddItemToArray(a, o);
                for (int c = 0; c < PQnfields(res); c++)
                        cJSON_AddItemToObject(o, PQfname(res, c), cell_json(res, r, c));
        }
        return a;
}

static int cell_width(const PGresult *res, int row, int col)
{
        size_t n = PQgetisnull(res, row, col) ? 1 : strlen(PQgetvalue(res, row, col));
        return n > HQ_COLUMN_MAX ? HQ_COLUMN_MAX : (int)n;
}

void hq_result_table(const PGresult *res)
{
        int cols = PQnfields(res), *w = calloc((size_t)cols + 1, sizeof(int));
        if (!w)
                return;
        for (int c = 0; c < cols; c++) {
                w[c] = (int)strlen(PQfname(res, c));
                for (int r = 0; r < PQntuples(res); r++)
                        if (cell_width(res, r, c) > w[c])
                                w[c] = cell_width(res, r, c);
        }
        for (int c = 0; c < cols; c++)
                printf("%-*s%s", w[c], PQfname(res, c), c + 1 < cols ? "  " : "\n");
        for (int r = 0; r < PQntuples(res); r++)
                for (int c = 0; c < cols; c++)
                        printf("%-*.*s%s", w[c], HQ_COLUMN_MAX,
                               PQgetisnull(res, r, c) ? "-" : PQgetvalue(res, r, c),
                               c + 1 < cols ? "  " : "\n");
        if (PQntuples(res) == 0)
                printf("(none)\n");
        free(w);
}

int hq_json_print(cJSON *o)
{
        char *s = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!s) {
                fprintf(stderr, "shelfwatch-hq: out of memory\n");
                return HQ_EXIT_FAILED;
        }
        puts(s);
        free(s);
        return HQ_EXIT_OK;
}

int hq_result_print(const PGresult *res, const char *key, bool json)
{
        if (!json) {
                hq_result_table(res);
                return HQ_EXIT_OK;
        }
        cJSON *o = cJSON_CreateObject();
        if (o) {
                cJSON_AddBoolToObject(o, "ok", 1);
                cJSON_AddItemToObject(o, key, hq_result_json(res));
        }
        return hq_json_print(o);
}

PGresult *hq_query(PGconn *c, const char *sql, int n, const char *const *params)
{
        PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
                fprintf(stderr, "shelfwatch-hq: %s", PQerrorMessage(c));
                PQclear(res);
                return NULL;
        }
        return res;
}
