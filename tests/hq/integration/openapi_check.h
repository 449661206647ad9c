/* A small JSON Schema check for the API test: what the server sends against openapi.json. */
#ifndef HQ_TEST_OPENAPI_CHECK_H
#define HQ_TEST_OPENAPI_CHECK_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * Check value against schema (resolving "#/components/..." $refs in doc): type (a string or a
 * list, with "null"), nullable, enum, required, properties, additionalProperties (false or a
 * schema), items, minimum, maximum. Returns 0, or -1 with the first mismatch ("where: why") in
 * err. Keywords it does not know are ignored.
 */
int openapi_check(const cJSON *doc, const cJSON *schema, const cJSON *value, const char *where,
                  char *err, size_t errsz);
/* The schema of the response status of method path (e.g. "/anomalies", "get", "200"); NULL
 * when the document has none. */
const cJSON *openapi_response_schema(const cJSON *doc, const char *path, const char *method,
                                     const char *status);

#endif
