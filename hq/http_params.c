/* The API's input checks: query parameters by name and type, ids, text, dates; error replies. */
#include "hq/http_api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

int hq_api__error(struct hq_api_reply *ret, unsigned status, const char *fmt, ...)
{
        char reason[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        cJSON *o = cJSON_CreateObject();
        cJSON *e = o ? cJSON_AddObjectToObject(o, "error") : NULL;
        if (e) {
                cJSON_AddNumberToObject(e, "status", status);
                cJSON_AddStringToObject(e, "reason", reason);
        }
        cJSON_Delete(ret->body);
        *ret = (struct hq_api_reply){.status = status, .body = o};
        return 0;
}

int hq_api__ok(struct hq_api_reply *ret, cJSON *body)
{
        cJSON_Delete(ret->body);
        *ret = (struct hq_api_reply){.status = 200, .body = body};
        return 0;
}

bool hq_api__id_valid(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || strchr("._:-", *s)))
                        return false;
        return true;
}

/* UTF-8 (no overlongs, no surrogates) without control characters. */
bool hq_api__text_valid(const char *s, size_t max)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        while (*p) {
                unsigned c = *p, len = 0, cp;
                if (c < 0x20 || c == 0x7f)
                        return false;
                if (c < 0x80) {
                        p++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf)
                        len = 1, cp = c & 0x1f;
                else if (c >= 0xe0 && c <= 0xef)
                        len = 2, cp = c & 0x0f;
                else if (c >= 0xf0 && c <= 0xf4)
                        len = 3, cp = c & 0x07;
                else
                        return false;
                for (unsigned k = 1; k <= len; k++) {
                        if ((p[k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[k] & 0x3f);
                }
                if ((len == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
                    (len == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
                        return false;
                p += len + 1;
        }
        return true;
}

bool hq_api__date_valid(const char *s)
{
        struct tm tm = {0};
        int y, m, d;
        char tail;
        if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' ||
            s[7] != '-' || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
                return false;
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_hour = 12;
        time_t t = timegm(&tm);
        struct tm back;
        gmtime_r(&t, &back);
        return back.tm_mday == d && back.tm_mon == m - 1; /* 2026-02-30 does not come back */
}

static bool one_of(const char *v, const char *const *names)
{
        for (; *names; names++)
                if (strcmp(v, *names) == 0)
                        return true;
        return false;
}

/* Refused in text filters although every value is a bind parameter (never part of the SQL
 * text): no SKU or category of a real store has them, and a request with them is a probe. */
#define SQL_METACHARACTERS "'\";\\`"

static const char *const anomaly_types[] = {"ghost_stock", "ml_detected", "shelf_out",
                                            "inventory_discrepancy", NULL};
static const char *const severities[] = {"info", "warning", "critical", NULL};
static const char *const statuses[] = {"open", "resolved", "dismissed", "cleared", NULL};

/* A whole decimal number in [lo, hi], digits only. */
static int parse_number(const char *v, long long lo, long long hi, long long *ret)
{
        char *end;
        if (!v[0] || strlen(v) > 12 || strspn(v, "0123456789") != strlen(v))
                return -EINVAL;
        long long n = strtoll(v, &end, 10);
        if (n < lo || n > hi)
                return -ERANGE;
        *ret = n;
        return 0;
}

/* Check one value; on failure a reason into why. */
static int check_value(const struct hq_api *api, struct hq_param *p, const char *v, char *why,
                       size_t whysz)
{
        const struct hq_http_config *h = &api->cfg.http;
        long long lo = 1, hi = 0;
        switch (p->type) {
        case HQ_PARAM_TYPE:
                if (one_of(v, anomaly_types))
                        return 0;
                snprintf(why, whysz,
                         "must be ghost_stock, ml_detected, shelf_out or "
                         "inventory_discrepancy");
                return -EINVAL;
        case HQ_PARAM_SEVERITY:
                if (one_of(v, severities))
                        return 0;
                snprintf(why, whysz, "must be info, warning or critical");
                return -EINVAL;
        case HQ_PARAM_STATUS:
                if (one_of(v, statuses))
                        return 0;
                snprintf(why, whysz, "must be open, resolved, dismissed or cleared");
                return -EINVAL;
        case HQ_PARAM_STORE:
                if (hq_api__id_valid(v, 64))
                        return 0;
                snprintf(why, whysz, "must be 1..64 of A-Z a-z 0-9 . _ : -");
                return -EINVAL;
        case HQ_PARAM_TEXT:
                if (hq_api__text_valid(v, 64) && !strpbrk(v, SQL_METACHARACTERS))
                        return 0;
                snprintf(why, whysz,
                         "must be 1..64 bytes of UTF-8 without control characters, "
                         "quotes, ; or \\");
                return -EINVAL;
        case HQ_PARAM_SKU:
                for (const char *c = v; *c; c++)
                        if (*c < 0x20 || *c > 0x7e)
                                lo = 0;
                if (lo && v[0] && strlen(v) <= 64 && v[0] != ' ' && v[strlen(v) - 1] != ' ' &&
                    !strpbrk(v, SQL_METACHARACTERS))
                        return 0;
                snprintf(why, whysz,
                         "must be 1..64 printable ASCII characters without quotes, ; "
                         "or \\");
                return -EINVAL;
        case HQ_PARAM_DAYS:
                hi = h->max_days;
                break;
        case HQ_PARAM_LIMIT:
                hi = h->max_limit;
                break;
        case HQ_PARAM_OFFSET:
                lo = 0;
                hi = h->max_offset;
                break;
        }
        if (parse_number(v, lo, hi, &p->number) == 0)
                return 0;
        snprintf(why, whysz, "must be a whole number from %lld to %lld", lo, hi);
        return -EINVAL;
}

/* The iteration's state: the accepted names, and the first problem met. */
struct params_walk {
        const struct hq_api *api;
        struct hq_param *params;
        size_t n;
        char error[320]; /* "" while every argument is fine */
};

static enum MHD_Result visit(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                             const char *value, size_t value_size)
{
        struct params_walk *w = cls;
        struct hq_param *p = NULL;
        char why[160];
        (void)kind;
        if (w->error[0])
                return MHD_NO;
        for (size_t i = 0; i < w->n; i++)
                if (strlen(w->params[i].name) == key_size && strcmp(w->params[i].name, key) == 0)
                        p = &w->params[i];
        if (!p || strlen(key) != key_size) {
                snprintf(w->error, sizeof(w->error), "unknown filter: %.64s", key);
                return MHD_NO;
        }
        if (p->value) {
                snprintf(w->error, sizeof(w->error), "%s: given more than once", p->name);
                return MHD_NO;
        }
        if (!value || strlen(value) != value_size ||
            check_value(w->api, p, value, why, sizeof(why)) < 0) {
                snprintf(w->error, sizeof(w->error), "%s: %s", p->name,
                         value && strlen(value) == value_size ? why : "a value is required");
                return MHD_NO;
        }
        p->value = value;
        return MHD_YES;
}

int hq_api__params(struct MHD_Connection *conn, const struct hq_api *api, struct hq_param *params,
                   size_t n, struct hq_api_reply *ret)
{
        struct params_walk w = {.api = api, .params = params, .n = n};
        for (size_t i = 0; i < n; i++)
                params[i].value = NULL;
        MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, visit, &w);
        if (w.error[0]) {
                hq_api__error(ret, 400, "%s", w.error);
                return -EINVAL;
        }
        return 0;
}

const struct hq_param *hq_api__param(const struct hq_param *params, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(params[i].name, name) == 0)
                        return params[i].value ? &params[i] : NULL;
        return NULL;
}
