/* Command replies: {"ok":true,...}, {"ok":false,"error"} and a detector run's summary. */
#ifndef SW_REPLY_H
#define SW_REPLY_H

#include <cjson/cJSON.h>

#include "core/detect.h"
#include "core/json_out.h"

/* {"ok":true} to add fields to. */
cJSON *sw_reply_ok(void);
/* {"ok":false,"error": fmt with arg} (arg NULL: ""). */
cJSON *sw_reply_error(const char *fmt, const char *arg);
/* A detector run's summary as object name of parent. */
void sw_reply_add_summary(cJSON *parent, const char *name, const struct sw_detect_summary *s);
/* The text of a reply (or of any tree built with cJSON) through the one writer,
 * core/json_out.h: malloc'd, the caller frees it; NULL when out of memory or the tree is
 * nested deeper than SW_JSON_OUT_MAX_DEPTH. Byte for byte what cJSON_PrintUnformatted() gave. */
char *sw_reply_print(const cJSON *item);
/* The same written into o (as its next value). */
void sw_reply_write(struct sw_json_out *o, const cJSON *item);

/* Money as name: rounded to minor_digits decimals by the one writer (sw_json_out_money). */
void sw_reply_add_money(cJSON *o, const char *name, double v, unsigned minor_digits);
/* A string as name, left out when s is NULL. */
void sw_reply_add_string_if(cJSON *o, const char *name, const char *s);
/* A count as name, left out when it is 0. */
void sw_reply_add_count_if(cJSON *o, const char *name, double n);
/* JSON text already written (by sw_json_out) as name, copied. */
void sw_reply_add_raw(cJSON *o, const char *name, const char *json);

/* A date YYYY-MM-DD as name, null when day is SW_DAY_NONE. */
void sw_reply_add_day(cJSON *o, const char *name, sw_day_t day);
/* An RFC 3339 time as name, null when t <= 0. */
void sw_reply_add_time(cJSON *o, const char *name, int64_t t);

#endif
