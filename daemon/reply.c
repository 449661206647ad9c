/* Command replies: the ok and error shapes every command shares, and their common parts. */
#include "daemon/reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"

cJSON *sw_reply_error(const char *fmt, const char *arg)
{
        char msg[384];
        cJSON *o = cJSON_CreateObject();
        /* fmt is one of the daemon's constant formats with one %s. */
        snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
        cJSON_AddBoolToObject(o, "ok", false);
        cJSON_AddStringToObject(o, "error", msg);
        return o;
}

cJSON *sw_reply_ok(void)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", true);
        return o;
}

void sw_reply_add_summary(cJSON *parent, const char *name, const struct sw_detect_summary *s)
{
        cJSON *o = cJSON_AddObjectToObject(parent, name);
        cJSON_AddNumberToObject(o, "evaluated", s->evaluated);
        cJSON_AddNumberToObject(o, "opened", s->opened);
        cJSON_AddNumberToObject(o, "updated", s->updated);
        cJSON_AddNumberToObject(o, "cleared", s->cleared);
        sw_reply_add_count_if(o, "dropped_book_full", s->book_full);
        sw_reply_add_count_if(o, "suppressed", s->suppressed);
        sw_reply_add_count_if(o, "deferred", s->deferred);
        if (s->store_shortfall_days || s->category_shortfall_days) {
                char day[16];
                cJSON_AddNumberToObject(o, "store_shortfall_days", s->store_shortfall_days);
                cJSON_AddNumberToObject(o, "category_shortfall_days", s->category_shortfall_days);
                if (s->newest_store_shortfall != SW_DAY_NONE) {
                        sw_date_format(s->newest_store_shortfall, day, sizeof(day));
                        cJSON_AddStringToObject(o, "newest_store_shortfall", day);
                }
        }
}

void sw_reply_add_money(cJSON *o, const char *name, double v, unsigned minor_digits)
{
        char text[64];
        struct sw_json_out w;
        sw_json_out_init(&w, text, sizeof(text));
        sw_json_out_money(&w, v, minor_digits);
        if (sw_json_out_finish(&w) < 0) /* a usage error (digits > 6): still a number */
                snprintf(text, sizeof(text), "0");
        cJSON_AddRawToObject(o, name, text);
}

void sw_reply_add_string_if(cJSON *o, const char *name, const char *s)
{
        if (s)
                cJSON_AddStringToObject(o, name, s);
}

void sw_reply_add_count_if(cJSON *o, const char *name, double n)
{
        if (n != 0)
                cJSON_AddNumberToObject(o, name, n);
}

void sw_reply_add_raw(cJSON *o, const char *name, const char *json)
{
        cJSON_AddRawToObject(o, name, json);
}

void sw_reply_add_day(cJSON *o, const char *name, sw_day_t day)
{
        char text[16];
        if (day == SW_DAY_NONE) {
                cJSON_AddNullToObject(o, name);
                return;
        }
        sw_date_format(day, text, sizeof(text));
        cJSON_AddStringToObject(o, name, text);
}

void sw_reply_add_time(cJSON *o, const char *name, int64_t t)
{
        char ts[32];
        if (t <= 0) {
                cJSON_AddNullToObject(o, name);
                return;
        }
        sw_rfc3339_format(t, ts, sizeof(ts));
        cJSON_AddStringToObject(o, name, ts);
}

void sw_reply_write(struct sw_json_out *o, const cJSON *item)
{
        const cJSON *c;
        switch (item->type & 0xff) {
        case cJSON_False:
        case cJSON_True:
                sw_json_out_bool(o, (item->type & 0xff) == cJSON_True);
                return;
        case cJSON_NULL:
                sw_json_out_null(o);
                return;
        case cJSON_Number:
                sw_json_out_number(o, item->valuedouble);
                return;
        case cJSON_String:
                sw_json_out_string(o, item->valuestring ? item->valuestring : "");
                return;
        case cJSON_Raw:
                sw_json_out_raw(o, item->valuestring ? item->valuestring : "",
                                item->valuestring ? strlen(item->valuestring) : 0);
                return;
        case cJSON_Array:
                sw_json_out_array_begin(o);
                for (c = item->child; c; c = c->next)
                        sw_reply_write(o, c);
                sw_json_out_array_end(o);
                return;
        default:
                sw_json_out_object_begin(o);
                for (c = item->child; c; c = c->next) {
                        sw_json_out_key(o, c->string ? c->string : "");
                        sw_reply_write(o, c);
                }
                sw_json_out_object_end(o);
                return;
        }
}

char *sw_reply_print(const cJSON *item)
{
        char stack[4096];
        struct sw_json_out o;
        sw_json_out_init(&o, stack, sizeof(stack));
        sw_reply_write(&o, item);
        int n = sw_json_out_finish(&o);
        if (n >= 0)
                return strdup(stack);
        if (n != -ENOBUFS)
                return NULL;
        /* The writer counted the whole length past the stack buffer: write again, exactly. */
        size_t size = o.len + 1;
        char *out = malloc(size);
        if (!out)
                return NULL;
        sw_json_out_init(&o, out, size);
        sw_reply_write(&o, item);
        if (sw_json_out_finish(&o) < 0) {
                free(out);
                return NULL;
        }
        return out;
}
