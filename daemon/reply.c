/* Command replies: the ok and error shapes every command shares, and their common parts. */
#include "daemon/reply.h"

#include <stdio.h>

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
        if (s->book_full)
                cJSON_AddNumberToObject(o, "dropped_book_full", s->book_full);
        if (s->suppressed)
                cJSON_AddNumberToObject(o, "suppressed", s->suppressed);
        if (s->deferred)
                cJSON_AddNumberToObject(o, "deferred", s->deferred);
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
