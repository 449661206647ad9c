/* Typed, range-checked reads of one JSON field (hq_message.c's validators use these). */
#ifndef HQ_FIELDS_H
#define HQ_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hq/hq_message.h"

/* Each returns 0 when the field is valid or absent (and optional), -EBADMSG with *reason set
 * otherwise. A JSON null counts as absent. ret_* are written only when the field is present. */

/* A string of 1..max_len bytes; ret may be NULL (validate only). */
int hq_field_string(const cJSON *o, const char *name, bool required, size_t max_len,
                    const char **ret, enum hq_bad_reason *reason);
/* A finite number in [min, max]; integer: also a whole number. */
int hq_field_number(const cJSON *o, const char *name, bool required, double min, double max,
                    bool integer, double *ret, enum hq_bad_reason *reason);
/* RFC 3339 text or Unix seconds (a number in [0, 1e11]). */
int hq_field_time(const cJSON *o, const char *name, bool required, int64_t *ret,
                  enum hq_bad_reason *reason);
/* A store-local day "YYYY-MM-DD". */
int hq_field_date(const cJSON *o, const char *name, bool required, const char **ret,
                  enum hq_bad_reason *reason);

/* True when s[0..len) is valid UTF-8 (no overlong forms, no surrogates). */
bool hq_utf8_valid(const char *s, size_t len);

#endif
