/* Printing a query's result: an aligned table, or JSON objects under one key. */
#ifndef HQ_CLI_PRINT_H
#define HQ_CLI_PRINT_H

#include <stdbool.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

/* Rows of res as JSON objects (numbers, booleans and jsonb typed as such); NULL on no memory. */
cJSON *hq_result_json(const PGresult *res);
/* Rows of res as a table with a header line; "-" for NULL. */
void hq_result_table(const PGresult *res);
/* Print {"ok":true,"<key>":[rows]} or the table; returns an exit code. */
int hq_result_print(const PGresult *res, const char *key, bool json);
/* Run sql with text params (NULL = SQL NULL); prints the error and returns NULL on failure. */
PGresult *hq_query(PGconn *c, const char *sql, int n, const char *const *params);
/* Print a cJSON document on stdout, unformatted, and delete it; returns an exit code. */
int hq_json_print(cJSON *o);

#endif
