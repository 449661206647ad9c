/* Typed, range-checked reads of one JSON field. */
#include "hq/hq_fields.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/sw_types.h"

#define HQ_MAX_UNIX_SECONDS 1e11 /* year 5138: anything later is a unit mistake */

static int bad(enum hq_bad_reason *reason, enum hq_bad_reason why)
{
        *reason = why;
        return -EBADMSG;
}

/* The field when present (not null) and of the type is() accepts: 1 with *ret_f set; 0 when
 * absent and optional; or -EBADMSG (missing, wrong type). */
static int field(const cJSON *o, const char *name, bool required,
                 cJSON_bool (*is)(const cJSON *item), const cJSON **ret_f,
                 enum hq_bad_reason *reason)
{
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
        if (!f || cJSON_IsNull(f))
                return required ? bad(reason, HQ_BAD_MISSING) : 0;
        if (!is(f))
                return bad(reason, HQ_BAD_TYPE);
        *ret_f = f;
        return 1;
}

static cJSON_bool is_number_or_string(const cJSON *item)
{
        return cJSON_IsNumber(item) || cJSON_IsString(item);
}

int hq_field_string(const cJSON *o, const char *name, bool required, size_t max_len,
                    const char **ret, enum hq_bad_reason *reason)
{
        const cJSON *f = NULL;
        int r = field(o, name, required, cJSON_IsString, &f, reason);
        if (r <= 0)
                return r;
        size_t len = strlen(f->valuestring);
        if (len == 0 || len > max_len)
                return bad(reason, HQ_BAD_VALUE);
        if (ret)
                *ret = f->valuestring;
        return 0;
}

int hq_field_number(const cJSON *o, const char *name, bool required, double min, double max,
                    bool integer, double *ret, enum hq_bad_reason *reason)
{
        const cJSON *f = NULL;
        int r = field(o, name, required, cJSON_IsNumber, &f, reason);
        if (r <= 0)
                return r;
        double v = f->valuedouble;
        if (!isfinite(v) || v < min || v > max || (integer && v != floor(v)))
                return bad(reason, HQ_BAD_VALUE);
        if (ret)
                *ret = v;
        return 0;
}

int hq_field_time(const cJSON *o, const char *name, bool required, int64_t *ret,
                  enum hq_bad_reason *reason)
{
        const cJSON *f = NULL;
        int64_t t;
        int r = field(o, name, required, is_number_or_string, &f, reason);
        if (r <= 0)
                return r;
        if (cJSON_IsNumber(f)) {
                if (!isfinite(f->valuedouble) || f->valuedouble < 0 ||
                    f->valuedouble > HQ_MAX_UNIX_SECONDS)
                        return bad(reason, HQ_BAD_TIME);
                t = (int64_t)f->valuedouble;
        } else if (sw_rfc3339_parse(f->valuestring, strlen(f->valuestring), &t) < 0 || t < 0 ||
                   (double)t > HQ_MAX_UNIX_SECONDS) {
                return bad(reason, HQ_BAD_TIME);
        }
        *ret = t;
        return 0;
}

int hq_field_date(const cJSON *o, const char *name, bool required, const char **ret,
                  enum hq_bad_reason *reason)
{
        const cJSON *f = NULL;
        sw_day_t day;
        int r = field(o, name, required, cJSON_IsString, &f, reason);
        if (r <= 0)
                return r;
        if (sw_date_parse(f->valuestring, strlen(f->valuestring), &day) < 0)
                return bad(reason, HQ_BAD_TIME);
        *ret = f->valuestring;
        return 0;
}

/* Length of the UTF-8 sequence starting with byte c and the lowest code point it may encode;
 * 0 for a byte that cannot start one. */
static size_t utf8_lead(unsigned char c, uint32_t *ret_min, uint32_t *ret_cp)
{
        if (c < 0x80) {
                *ret_min = 0, *ret_cp = c;
                return 1;
        }
        if ((c & 0xE0) == 0xC0) {
                *ret_min = 0x80, *ret_cp = c & 0x1Fu;
                return 2;
        }
        if ((c & 0xF0) == 0xE0) {
                *ret_min = 0x800, *ret_cp = c & 0x0Fu;
                return 3;
        }
        if ((c & 0xF8) == 0xF0) {
                *ret_min = 0x10000, *ret_cp = c & 0x07u;
                return 4;
        }
        return 0;
}

bool hq_utf8_valid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;
        while (i < len) {
                uint64_t w;
                if (len - i >= 8) { /* ASCII, 8 bytes at a time: most of a payload */
                        memcpy(&w, p + i, 8);
                        if ((w & UINT64_C(0x8080808080808080)) == 0) {
                                i += 8;
                                continue;
                        }
                }
                uint32_t min, cp;
                size_t n = utf8_lead(p[i], &min, &cp);
                if (n == 0 || n > len - i)
                        return false;
                for (size_t k = 1; k < n; k++) {
                        if ((p[i + k] & 0xC0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + k] & 0x3Fu);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return false;
                i += n;
        }
        return true;
}
