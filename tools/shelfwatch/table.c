/* table.c: reading reply fields, and the key/value lines of the shelfwatch CLI's output. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "shelfwatch.h"

#define CLI_KEY_WIDTH 26 /* key column of key/value blocks */

/* A message from shelfwatchd (what: "a reply", "an ack") parsed: the object, or NULL when it
 * is not a JSON object (said on stderr). */
cJSON *cli_parse_object(const char *text, const char *what)
{
        cJSON *o = cJSON_Parse(text);
        if (cJSON_IsObject(o))
                return o;
        fprintf(stderr, "shelfwatch: shelfwatchd sent %s that is not a JSON object: %.200s\n", what,
                text);
        cJSON_Delete(o);
        return NULL;
}

/* Print JSON indented, as --json shows it. */
void cli_print_json(const cJSON *j)
{
        char *text = cli_check_alloc(cJSON_Print(j));
        puts(text);
        free(text);
}

const cJSON *cli_get(const cJSON *o, const char *name)
{
        return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* A string field, or "-" when it is missing or null. */
const char *cli_str(const cJSON *o, const char *name)
{
        const char *s = cJSON_GetStringValue(cli_get(o, name));
        return s ? s : "-";
}

/* A number field printed with fmt (scaled), or "-" when it is missing or null. */
const char *cli_num(const cJSON *o, const char *name, const char *fmt, double scale, char *buf,
                    size_t size)
{
        const cJSON *v = cli_get(o, name);
        if (!cJSON_IsNumber(v))
                return "-";
        snprintf(buf, size, fmt, v->valuedouble * scale);
        return buf;
}

void cli_kv(const char *key, const char *fmt, ...)
{
        va_list ap;
        printf("%-*s ", CLI_KEY_WIDTH, key);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

/* n and its noun, agreeing in number: "1 unit", "-1 unit", "0 units", "12 units". */
const char *cli_quantity(double n, const char *one, const char *many, char *buf, size_t size)
{
        snprintf(buf, size, "%.0f %s", n, n == 1 || n == -1 ? one : many);
        return buf;
}

/* A count field with its noun ("12 units"), or "-" when it is missing or null. */
const char *cli_num_quantity(const cJSON *o, const char *name, const char *one, const char *many,
                             char *buf, size_t size)
{
        const cJSON *v = cli_get(o, name);
        return cJSON_IsNumber(v) ? cli_quantity(v->valuedouble, one, many, buf, size) : "-";
}

/* Hours with one decimal and their noun: "5.5 hours", "1 hour", "0 hours"; "-" when missing. */
const char *cli_hours(const cJSON *o, const char *name, char *buf, size_t size)
{
        const cJSON *v = cli_get(o, name);
        if (!cJSON_IsNumber(v))
                return "-";
        double tenths = round(v->valuedouble * 10.0);
        if (fmod(tenths, 10.0) == 0)
                return cli_quantity(tenths / 10.0, "hour", "hours", buf, size);
        snprintf(buf, size, "%.1f hours", tenths / 10.0);
        return buf;
}
