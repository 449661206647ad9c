/* Device payload and command request decoding: cJSON parsing plus field-by-field validation. */
#include "platform/payload.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/civil_time.h"
#include "platform/json_keys.h"

#define PAYLOAD_QTY_MAX       1000000        /* largest |qty|, on_hand, count, counted */
#define PAYLOAD_PRICE_MAX     1e9            /* largest price */
#define PAYLOAD_UNITS_MAX     1e6            /* largest forecast units */
#define PAYLOAD_TS_MAX        253402300800.0 /* 10000-01-01T00:00:00Z: ts must be below */
#define PAYLOAD_TS_STRING_MAX 64             /* longest RFC 3339 string looked at */
#define PAYLOAD_WHERE_MAX     32             /* "readings[4294967295]" and a NUL fit */

struct sw_payload_decoder {
        cJSON *root; /* tree of the last successful parse, or NULL; msg strings point into it */
};

/* Where a refusal is written while decoding one payload. */
struct decode_ctx {
        enum sw_reject_reason reason; /* set by reject() */
        char *err;                    /* caller's message buffer, may be NULL */
        size_t errsz;                 /* size of err */
};

int sw_payload_decoder_new(struct sw_payload_decoder **ret)
{
        struct sw_payload_decoder *d;

        assert(ret);
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

struct sw_payload_decoder *sw_payload_decoder_free(struct sw_payload_decoder *d)
{
        if (!d)
                return NULL;
        cJSON_Delete(d->root);
        free(d);
        return NULL;
}

static void payload__drop_tree(struct sw_payload_decoder *d)
{
        cJSON_Delete(d->root);
        d->root = NULL;
}

/*
 * Record a refusal: reason, and "where.field: <what>" (or "where: ", or "field: ") in err.
 * Always returns -EINVAL so callers can `return reject(...)`.
 */
__attribute__((format(printf, 5, 6))) static int reject(struct decode_ctx *c,
                                                        enum sw_reject_reason reason,
                                                        const char *where, const char *field,
                                                        const char *fmt, ...)
{
        va_list ap;
        int n;

        c->reason = reason;
        if (!c->err || c->errsz == 0)
                return -EINVAL;
        if (where && field)
                n = snprintf(c->err, c->errsz, "%s.%s: ", where, field);
        else
                n = snprintf(c->err, c->errsz, "%s: ", where ? where : field ? field : "payload");
        if (n < 0 || (size_t)n >= c->errsz)
                return -EINVAL;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errsz - (size_t)n, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static bool is_json_ws(unsigned char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points above U+10FFFF), or n. cJSON copies string bytes as they are,
 * so without this an ignored field could carry bytes that are not text at all.
 */
static size_t utf8_first_invalid(const unsigned char *s, size_t n)
{
        size_t i = 0;
        while (i < n) {
                unsigned char b = s[i];
                uint32_t cp;
                size_t k;
                if (b < 0x80) {
                        i++;
                        continue;
                }
                if (b >= 0xc2 && b <= 0xdf) {
                        k = 1;
                        cp = b & 0x1fu;
                } else if (b >= 0xe0 && b <= 0xef) {
                        k = 2;
                        cp = b & 0x0fu;
                } else if (b >= 0xf0 && b <= 0xf4) {
                        k = 3;
                        cp = b & 0x07u;
                } else {
                        return i;
                }
                if (n - i <= k)
                        return i;
                for (size_t j = 1; j <= k; j++) {
                        if ((s[i + j] & 0xc0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + j] & 0x3fu);
                }
                if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return i;
                i += k + 1;
        }
        return n;
}

/*
 * What cJSON lets through but RFC 8259 (or we) do not: control characters between tokens
 * (cJSON skips every byte <= 0x20), raw control characters inside strings, and \u0000, which
 * cJSON decodes into a NUL that silently cuts the string short. A backslash only ever occurs
 * inside a string in valid JSON, so pairing each backslash with the next byte is exact.
 */
static int json_prescan(struct decode_ctx *c, const unsigned char *p, size_t n)
{
        bool in_string = false;
        size_t bad = utf8_first_invalid(p, n);

        if (bad < n)
                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL, "not UTF-8 at offset %zu", bad);

        for (size_t i = 0; i < n; i++) {
                unsigned char ch = p[i];

                if (!in_string) {
                        if (ch == '"')
                                in_string = true;
                        else if (ch < 0x20 && !is_json_ws(ch))
                                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL,
                                              "control character 0x%02x at offset %zu", ch, i);
                        continue;
                }
                if (ch == '"') {
                        in_string = false;
                } else if (ch < 0x20) {
                        return reject(c, SW_REJECT_NOT_JSON, NULL, NULL,
                                      "unescaped control character in a string at offset %zu", i);
                } else if (ch == '\\') {
                        if (i + 5 < n && p[i + 1] == 'u' && memcmp(p + i + 2, "0000", 4) == 0)
                                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL,
                                              "\\u0000 in a string is not supported");
                        i++; /* the escaped byte cannot close the string */
                }
        }
        return 0;
}

/* Refuse a key given twice in any object of the tree (duplicate_key): lines kept their first
 * sku, the top-level id its last (platform/json_keys.h). */
static int check_duplicate_keys(struct decode_ctx *c, const cJSON *root)
{
        const char *key = NULL;
        int r = sw_json_duplicate_key(root, &key);
        if (r < 0)
                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL, "out of memory");
        if (r > 0)
                return reject(c, SW_REJECT_DUPLICATE_KEY, NULL, key, "key given more than once");
        return 0;
}

/* Cap, parse, require one whole object; on success d->root holds the tree. */
static int parse_object(struct sw_payload_decoder *d, struct decode_ctx *c, const void *payload,
                        size_t len, size_t max_bytes)
{
        const unsigned char *p = payload;
        const char *end = NULL;
        cJSON *root;
        size_t used;
        int r;

        payload__drop_tree(d);
        if (len > max_bytes)
                return reject(c, SW_REJECT_TOO_LARGE, NULL, NULL, "%zu bytes, limit is %zu", len,
                              max_bytes);
        if (len == 0)
                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL, "empty");
        r = json_prescan(c, p, len);
        if (r < 0)
                return r;

        /* Not NUL-terminated, so no require_null_terminated: we check the end ourselves. */
        root = cJSON_ParseWithLengthOpts(payload, len, &end, false);
        if (!root)
                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL, "not valid JSON near offset %td",
                              end ? end - (const char *)payload : (ptrdiff_t)0);
        used = (size_t)(end - (const char *)payload);
        while (used < len && is_json_ws(p[used]))
                used++;
        if (used != len) {
                cJSON_Delete(root);
                return reject(c, SW_REJECT_NOT_JSON, NULL, NULL, "trailing data at offset %zu",
                              used);
        }
        if (!cJSON_IsObject(root)) {
                cJSON_Delete(root);
                return reject(c, SW_REJECT_NOT_OBJECT, NULL, NULL, "top level must be an object");
        }
        r = check_duplicate_keys(c, root);
        if (r < 0) {
                cJSON_Delete(root);
                return r;
        }
        d->root = root;
        return 0;
}

/* ---- field helpers: each returns 1 (present), 0 (optional and absent) or -EINVAL ---- */

/* Look a field up; an optional field set to null counts as absent. */
static int field_get(struct decode_ctx *c, const cJSON *obj, const char *where, const char *name,
                     bool required, const cJSON **ret)
{
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

        if (!item || (!required && cJSON_IsNull(item))) {
                if (required)
                        return reject(c, SW_REJECT_MISSING_FIELD, where, name, "missing");
                return 0;
        }
        *ret = item;
        return 1;
}

/* A string field; its length is measured up to max_len + 1 only. */
static int field_string(struct decode_ctx *c, const cJSON *obj, const char *where, const char *name,
                        bool required, size_t max_len, const char **ret, size_t *ret_len)
{
        const cJSON *item = NULL;
        int r = field_get(c, obj, where, name, required, &item);

        if (r <= 0)
                return r;
        if (!cJSON_IsString(item) || !item->valuestring)
                return reject(c, SW_REJECT_WRONG_TYPE, where, name, "must be a string");
        *ret = item->valuestring;
        *ret_len = strnlen(item->valuestring, max_len + 1);
        return 1;
}

/* A finite number within [lo, hi], integral too when integral is set: 1 with *ret set, 0 when
 * absent and optional, or the rejection. valueint is never used: it saturates silently. */
static int field_number(struct decode_ctx *c, const cJSON *obj, const char *where, const char *name,
                        bool required, bool integral, double lo, double hi, double *ret)
{
        const cJSON *item = NULL;
        int r = field_get(c, obj, where, name, required, &item);

        if (r <= 0)
                return r;
        if (!cJSON_IsNumber(item))
                return reject(c, SW_REJECT_WRONG_TYPE, where, name, "%s",
                              integral ? "must be an integer" : "must be a number");
        double v = item->valuedouble;
        if (!isfinite(v))
                return reject(c, SW_REJECT_OUT_OF_RANGE, where, name, "must be finite");
        if (integral && v != trunc(v))
                return reject(c, SW_REJECT_OUT_OF_RANGE, where, name, "must be an integer");
        if (v < lo || v > hi)
                return integral ? reject(c, SW_REJECT_OUT_OF_RANGE, where, name,
                                         "must be between %" PRId32 " and %" PRId32, (int32_t)lo,
                                         (int32_t)hi)
                                : reject(c, SW_REJECT_OUT_OF_RANGE, where, name,
                                         "must be between %g and %g", lo, hi);
        *ret = v;
        return 1;
}

/* A finite number within [lo, hi]. */
static int field_real(struct decode_ctx *c, const cJSON *obj, const char *where, const char *name,
                      bool required, double lo, double hi, double *ret)
{
        return field_number(c, obj, where, name, required, false, lo, hi, ret);
}

/* An integral number within [lo, hi] (both well inside int32). */
static int field_int(struct decode_ctx *c, const cJSON *obj, const char *where, const char *name,
                     bool required, int32_t lo, int32_t hi, int32_t *ret)
{
        double v = 0;
        int r = field_number(c, obj, where, name, required, true, lo, hi, &v);

        if (r > 0)
                *ret = (int32_t)v;
        return r;
}

static bool ascii_printable(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
                        return false;
        return true;
}

/*
 * Valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) and no
 * control characters (C0, DEL, C1): these strings end up in logs, SQLite and HQ JSON.
 */
static bool utf8_text_valid(const char *str, size_t n)
{
        const unsigned char *s = (const unsigned char *)str;

        if (utf8_first_invalid(s, n) != n)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < 0x20 || s[i] == 0x7f)
                        return false; /* C0 controls and DEL */
                if (s[i] == 0xc2 && i + 1 < n && s[i + 1] <= 0x9f)
                        return false; /* C1 controls U+0080..U+009F */
        }
        return true;
}

/* A text field's bytes (s, n): 0, or reason's rejection unless utf8_text_valid. */
static int check_text(struct decode_ctx *c, enum sw_reject_reason reason, const char *where,
                      const char *name, const char *s, size_t n)
{
        if (!utf8_text_valid(s, n))
                return reject(c, reason, where, name,
                              "must be UTF-8 text without control characters");
        return 0;
}

/* category: 1..SW_CATEGORY_MAX_LEN bytes of UTF-8 text without control characters. */
static int check_category(struct decode_ctx *c, const char *where, const char *s, size_t n)
{
        if (n == 0)
                return reject(c, SW_REJECT_BAD_CATEGORY, where, "category", "must not be empty");
        if (n > SW_CATEGORY_MAX_LEN)
                return reject(c, SW_REJECT_BAD_CATEGORY, where, "category", "longer than %d bytes",
                              SW_CATEGORY_MAX_LEN);
        return check_text(c, SW_REJECT_BAD_CATEGORY, where, "category", s, n);
}

/*
 * sku and id: 1..max_len bytes of printable ASCII 0x20..0x7e. A space inside is allowed
 * (some store systems use "AB 123"), a leading or trailing one is not, so that "X1" and
 * "X1 " cannot become two SKUs.
 */
static int check_token(struct decode_ctx *c, enum sw_reject_reason reason, const char *where,
                       const char *name, const char *s, size_t n, size_t max_len)
{
        if (n == 0)
                return reject(c, reason, where, name, "must not be empty");
        if (n > max_len)
                return reject(c, reason, where, name, "longer than %zu bytes", max_len);
        if (!ascii_printable(s, n))
                return reject(c, reason, where, name, "must be printable ASCII");
        if (s[0] == ' ' || s[n - 1] == ' ')
                return reject(c, reason, where, name, "must not start or end with a space");
        return 0;
}

/* An id-like token field (id, anomaly): string, then check_token with SW_REJECT_BAD_ID. */
static int field_id(struct decode_ctx *c, const cJSON *obj, const char *name, bool required,
                    const char **ret, size_t *ret_len)
{
        const char *s = NULL;
        size_t n = 0;
        int r = field_string(c, obj, NULL, name, required, SW_ID_MAX_LEN, &s, &n);

        if (r <= 0)
                return r;
        r = check_token(c, SW_REJECT_BAD_ID, NULL, name, s, n, SW_ID_MAX_LEN);
        if (r < 0)
                return r;
        *ret = s;
        *ret_len = n;
        return 1;
}

static int field_sku(struct decode_ctx *c, const cJSON *obj, const char *where, struct sw_item *it)
{
        const char *s = NULL;
        size_t n = 0;
        int r = field_string(c, obj, where, "sku", true, SW_SKU_MAX_LEN, &s, &n);

        if (r < 0)
                return r;
        r = check_token(c, SW_REJECT_BAD_SKU, where, "sku", s, n, SW_SKU_MAX_LEN);
        if (r < 0)
                return r;
        it->sku = s;
        it->sku_len = (uint8_t)n;
        return 0;
}

static int check_ts_range(struct decode_ctx *c, int64_t t)
{
        if (t <= 0 || (double)t >= PAYLOAD_TS_MAX)
                return reject(c, SW_REJECT_BAD_TIMESTAMP, NULL, "ts",
                              "must be after 1970-01-01 and before year 10000");
        return 0;
}

/* ts: an RFC 3339 string or Unix seconds (fraction truncated). Always required. */
static int field_ts(struct decode_ctx *c, const cJSON *obj, struct sw_msg *m)
{
        const cJSON *item = NULL;
        int64_t t;
        int r = field_get(c, obj, NULL, "ts", true, &item);

        if (r < 0)
                return r;
        if (cJSON_IsString(item) && item->valuestring) {
                size_t n = strnlen(item->valuestring, PAYLOAD_TS_STRING_MAX + 1);

                if (n > PAYLOAD_TS_STRING_MAX || sw_rfc3339_parse(item->valuestring, n, &t) < 0)
                        return reject(c, SW_REJECT_BAD_TIMESTAMP, NULL, "ts",
                                      "not an RFC 3339 timestamp");
        } else if (cJSON_IsNumber(item)) {
                double v = item->valuedouble;

                if (!isfinite(v) || v <= 0 || v >= PAYLOAD_TS_MAX)
                        return reject(c, SW_REJECT_BAD_TIMESTAMP, NULL, "ts",
                                      "Unix seconds out of range");
                t = (int64_t)v;
        } else {
                return reject(c, SW_REJECT_WRONG_TYPE, NULL, "ts",
                              "must be an RFC 3339 string or Unix seconds");
        }
        r = check_ts_range(c, t);
        if (r < 0)
                return r;
        m->ts = t;
        m->has_ts = true;
        return 0;
}

/* A required array of 1..cap entries. */
static int field_array(struct decode_ctx *c, const cJSON *obj, const char *name, uint32_t cap,
                       const cJSON **ret, uint32_t *ret_n)
{
        const cJSON *arr = NULL, *el;
        uint64_t n = 0;
        int r = field_get(c, obj, NULL, name, true, &arr);

        if (r < 0)
                return r;
        if (!cJSON_IsArray(arr))
                return reject(c, SW_REJECT_WRONG_TYPE, NULL, name, "must be an array");
        cJSON_ArrayForEach(el, arr)
        {
                if (++n > cap)
                        break; /* no need to count further */
        }
        if (n == 0)
                return reject(c, SW_REJECT_EMPTY, NULL, name, "must not be empty");
        if (n > cap)
                return reject(c, SW_REJECT_TOO_MANY_ITEMS, NULL, name,
                              "more than %" PRIu32 " entries", cap);
        *ret = arr;
        *ret_n = (uint32_t)n;
        return 0;
}

/* Start an entry of an array: it must be an object; zero the item and read its sku. */
static int item_begin(struct decode_ctx *c, const cJSON *el, const char *where, struct sw_item *it)
{
        if (!cJSON_IsObject(el))
                return reject(c, SW_REJECT_WRONG_TYPE, where, NULL, "must be an object");
        *it = (struct sw_item){0};
        return field_sku(c, el, where, it);
}

/* Decodes the fields of one array entry after its sku (item_begin) into it. */
typedef int (*item_decoder)(struct decode_ctx *c, const cJSON *el, const char *where,
                            struct sw_item *it);

/* Every entry of root's array `name` (1..cap of them), each an object with a sku, into m. */
static int decode_items(struct decode_ctx *c, const cJSON *root, const char *name, struct sw_msg *m,
                        uint32_t cap, item_decoder decode_rest)
{
        const cJSON *arr = NULL, *el;
        char where[PAYLOAD_WHERE_MAX];
        uint32_t n = 0, i = 0;
        int r = field_array(c, root, name, cap, &arr, &n);

        if (r < 0)
                return r;
        cJSON_ArrayForEach(el, arr)
        {
                snprintf(where, sizeof(where), "%s[%" PRIu32 "]", name, i);
                r = item_begin(c, el, where, &m->items[i]);
                if (r < 0)
                        return r;
                r = decode_rest(c, el, where, &m->items[i]);
                if (r < 0)
                        return r;
                i++;
        }
        m->n_items = n;
        return 0;
}

/* A line of pos (qty may be negative: a return; an optional price) or of receipt (qty >= 1). */
static int line_item(struct decode_ctx *c, const cJSON *el, const char *where, struct sw_item *it,
                     bool pos)
{
        int r = field_int(c, el, where, "qty", true, pos ? -PAYLOAD_QTY_MAX : 1, PAYLOAD_QTY_MAX,
                          &it->qty);
        if (r < 0)
                return r;
        if (it->qty == 0)
                return reject(c, SW_REJECT_OUT_OF_RANGE, where, "qty", "must not be 0");
        it->has |= SW_HAS_QTY;
        if (pos) {
                r = field_real(c, el, where, "price", false, 0, PAYLOAD_PRICE_MAX, &it->price);
                if (r < 0)
                        return r;
                if (r > 0)
                        it->has |= SW_HAS_PRICE;
        }
        return 0;
}

static int pos_line(struct decode_ctx *c, const cJSON *el, const char *where, struct sw_item *it)
{
        return line_item(c, el, where, it, true);
}

static int receipt_line(struct decode_ctx *c, const cJSON *el, const char *where,
                        struct sw_item *it)
{
        return line_item(c, el, where, it, false);
}

/* pos and receipt: {"id","ts","lines":[{"sku","qty","price"?}]}. */
static int decode_lines(struct decode_ctx *c, const cJSON *root, struct sw_msg *m, uint32_t cap,
                        bool pos)
{
        int r = field_id(c, root, "id", true, &m->id, &m->id_len);

        if (r < 0)
                return r;
        r = field_ts(c, root, m);
        if (r < 0)
                return r;
        return decode_items(c, root, "lines", m, cap, pos ? pos_line : receipt_line);
}

/* An inventory item: "on_hand"?, "price"?, "category"?. */
static int inventory_item(struct decode_ctx *c, const cJSON *el, const char *where,
                          struct sw_item *it)
{
        const char *cat = NULL;
        size_t cat_len = 0;
        /* Book on-hand can be negative in store systems that sell before receiving. */
        int r =
            field_int(c, el, where, "on_hand", false, -PAYLOAD_QTY_MAX, PAYLOAD_QTY_MAX, &it->qty);

        if (r < 0)
                return r;
        if (r > 0)
                it->has |= SW_HAS_ON_HAND;
        r = field_real(c, el, where, "price", false, 0, PAYLOAD_PRICE_MAX, &it->price);
        if (r < 0)
                return r;
        if (r > 0)
                it->has |= SW_HAS_PRICE;
        r = field_string(c, el, where, "category", false, SW_CATEGORY_MAX_LEN, &cat, &cat_len);
        if (r <= 0)
                return r;
        r = check_category(c, where, cat, cat_len);
        if (r < 0)
                return r;
        it->category = cat;
        it->category_len = (uint8_t)cat_len;
        it->has |= SW_HAS_CATEGORY;
        return 0;
}

/* inventory: {"ts","items":[{"sku","on_hand"?,"price"?,"category"?}]}. */
static int decode_inventory(struct decode_ctx *c, const cJSON *root, struct sw_msg *m, uint32_t cap)
{
        int r = field_ts(c, root, m);

        if (r < 0)
                return r;
        return decode_items(c, root, "items", m, cap, inventory_item);
}

/* A forecast item: "date", "units". */
static int forecast_item(struct decode_ctx *c, const cJSON *el, const char *where,
                         struct sw_item *it)
{
        const char *date = NULL;
        size_t date_len = 0;
        int r = field_string(c, el, where, "date", true, 10, &date, &date_len);

        if (r < 0)
                return r;
        if (date_len > 10 || sw_date_parse(date, date_len, &it->date) < 0)
                return reject(c, SW_REJECT_BAD_DATE, where, "date", "must be YYYY-MM-DD");
        r = field_real(c, el, where, "units", true, 0, PAYLOAD_UNITS_MAX, &it->units);
        return r < 0 ? r : 0;
}

/* forecast: {"items":[{"sku","date","units"}]}; no ts. */
static int decode_forecast(struct decode_ctx *c, const cJSON *root, struct sw_msg *m, uint32_t cap)
{
        return decode_items(c, root, "items", m, cap, forecast_item);
}

/* The "count" of a shelf reading. */
static int shelf_count(struct decode_ctx *c, const cJSON *obj, const char *where,
                       struct sw_item *it)
{
        int r = field_int(c, obj, where, "count", true, 0, PAYLOAD_QTY_MAX, &it->qty);

        if (r < 0)
                return r;
        it->has |= SW_HAS_QTY;
        return 0;
}

/* shelf: {"ts","sku","count"} or {"ts","readings":[{"sku","count"}]}, not both. */
static int decode_shelf(struct decode_ctx *c, const cJSON *root, struct sw_msg *m, uint32_t cap)
{
        bool single;
        int r = field_ts(c, root, m);

        if (r < 0)
                return r;
        single = cJSON_GetObjectItemCaseSensitive(root, "sku") ||
                 cJSON_GetObjectItemCaseSensitive(root, "count");
        if (!cJSON_GetObjectItemCaseSensitive(root, "readings")) {
                if (cap < 1)
                        return reject(c, SW_REJECT_TOO_MANY_ITEMS, NULL, "sku",
                                      "no room for one reading");
                m->items[0] = (struct sw_item){0};
                r = field_sku(c, root, NULL, &m->items[0]);
                if (r < 0)
                        return r;
                r = shelf_count(c, root, NULL, &m->items[0]);
                if (r < 0)
                        return r;
                m->n_items = 1;
                return 0;
        }
        if (single)
                return reject(c, SW_REJECT_WRONG_TYPE, NULL, "readings",
                              "not allowed together with sku/count");
        return decode_items(c, root, "readings", m, cap, shelf_count);
}

/* cycle count: {"id","ts","sku","counted","anomaly"?,"user"?}. */
static int decode_count(struct decode_ctx *c, const cJSON *root, struct sw_msg *m, uint32_t cap)
{
        struct sw_item *it;
        const char *user = NULL;
        size_t user_len = 0;
        int r;

        r = field_id(c, root, "id", true, &m->id, &m->id_len);
        if (r < 0)
                return r;
        r = field_ts(c, root, m);
        if (r < 0)
                return r;
        if (cap < 1)
                return reject(c, SW_REJECT_TOO_MANY_ITEMS, NULL, "sku", "no room for the count");
        it = &m->items[0];
        *it = (struct sw_item){0};
        r = field_sku(c, root, NULL, it);
        if (r < 0)
                return r;
        r = field_int(c, root, NULL, "counted", true, 0, PAYLOAD_QTY_MAX, &it->qty);
        if (r < 0)
                return r;
        it->has |= SW_HAS_QTY;
        r = field_id(c, root, "anomaly", false, &m->anomaly, &m->anomaly_len);
        if (r < 0)
                return r;
        r = field_string(c, root, NULL, "user", false, SW_ID_MAX_LEN, &user, &user_len);
        if (r < 0)
                return r;
        if (r > 0) {
                if (user_len == 0 || user_len > SW_ID_MAX_LEN)
                        return reject(c, SW_REJECT_BAD_ID, NULL, "user", "must be 1..%d bytes",
                                      SW_ID_MAX_LEN);
                r = check_text(c, SW_REJECT_BAD_ID, NULL, "user", user, user_len);
                if (r < 0)
                        return r;
                m->user = user;
                m->user_len = user_len;
        }
        m->n_items = 1;
        return 0;
}

/* The body of a message of m->kind into m (at most cap items). */
static int decode_kind(struct decode_ctx *c, const cJSON *root, struct sw_msg *m, uint32_t cap)
{
        switch (m->kind) {
        case SW_MSG_POS:
                return decode_lines(c, root, m, cap, true);
        case SW_MSG_RECEIPT:
                return decode_lines(c, root, m, cap, false);
        case SW_MSG_INVENTORY:
                return decode_inventory(c, root, m, cap);
        case SW_MSG_FORECAST:
                return decode_forecast(c, root, m, cap);
        case SW_MSG_SHELF:
                return decode_shelf(c, root, m, cap);
        case SW_MSG_COUNT:
                return decode_count(c, root, m, cap);
        default:
                return reject(c, SW_REJECT_UNKNOWN_TOPIC, NULL, "kind", "unknown message kind");
        }
}

int sw_payload_decode(struct sw_payload_decoder *d, enum sw_msg_kind kind, const void *payload,
                      size_t len, const struct sw_payload_limits *lim, struct sw_msg *msg,
                      enum sw_reject_reason *ret_reason, char *err, size_t errsz)
{
        struct decode_ctx c = {.err = err, .errsz = errsz};
        struct sw_msg m = {0};
        uint32_t cap;
        int r;

        assert(d);
        assert(payload || len == 0);
        assert(lim);
        assert(msg);
        assert(ret_reason);

        if (err && errsz > 0)
                err[0] = '\0';
        m.kind = kind;
        m.items = msg->items;
        m.items_cap = msg->items_cap;
        cap = msg->items ? msg->items_cap : 0;
        if (lim->max_items < cap)
                cap = lim->max_items;

        if ((unsigned)kind >= SW_MSG_KIND_COUNT) {
                payload__drop_tree(d);
                r = reject(&c, SW_REJECT_UNKNOWN_TOPIC, NULL, "kind", "unknown message kind %d",
                           (int)kind);
                goto refuse;
        }
        r = parse_object(d, &c, payload, len, lim->max_bytes);
        if (r < 0)
                goto refuse;

        r = decode_kind(&c, d->root, &m, cap);
        if (r < 0) {
                payload__drop_tree(d);
                goto refuse;
        }
        *msg = m;
        return 0;

refuse:
        *ret_reason = c.reason;
        return r;
}

/* The string at key of obj when the key is there exactly once and the value passes
 * check_token; NULL otherwise. */
static const char *single_token(const cJSON *obj, const char *key, size_t max_len)
{
        const cJSON *item, *found = NULL;
        struct decode_ctx c = {0};
        cJSON_ArrayForEach(item, obj)
        {
                if (strcmp(item->string, key) != 0)
                        continue;
                if (found)
                        return NULL;
                found = item;
        }
        if (!cJSON_IsString(found) || !found->valuestring)
                return NULL;
        size_t n = strnlen(found->valuestring, max_len + 1);
        if (check_token(&c, SW_REJECT_BAD_ID, NULL, key, found->valuestring, n, max_len) < 0)
                return NULL;
        return found->valuestring;
}

void sw_payload_count_ids(const void *payload, size_t len, size_t max_bytes,
                          char ret_id[SW_ID_MAX_LEN + 1], char ret_sku[SW_SKU_MAX_LEN + 1])
{
        struct decode_ctx c = {0};
        const char *end = NULL, *id, *sku;
        cJSON *root;

        ret_id[0] = ret_sku[0] = '\0';
        if (!payload || len == 0 || len > max_bytes || json_prescan(&c, payload, len) < 0)
                return;
        root = cJSON_ParseWithLengthOpts(payload, len, &end, false);
        if (!root)
                return;
        if (cJSON_IsObject(root)) {
                id = single_token(root, "id", SW_ID_MAX_LEN);
                sku = single_token(root, "sku", SW_SKU_MAX_LEN);
                if (id)
                        snprintf(ret_id, SW_ID_MAX_LEN + 1, "%s", id);
                if (sku)
                        snprintf(ret_sku, SW_SKU_MAX_LEN + 1, "%s", sku);
        }
        cJSON_Delete(root);
}

/* ---- command requests ---- */

/* A command string field: UTF-8 text without control characters, at most max_len bytes. */
static int cmd_string(struct decode_ctx *c, const cJSON *obj, const char *name, size_t max_len,
                      const char **ret)
{
        const char *s = NULL;
        size_t n = 0;
        int r = field_string(c, obj, NULL, name, false, max_len, &s, &n);

        if (r <= 0)
                return r;
        if (n > max_len)
                return reject(c, SW_REJECT_OUT_OF_RANGE, NULL, name, "longer than %zu bytes",
                              max_len);
        r = check_text(c, SW_REJECT_WRONG_TYPE, NULL, name, s, n);
        if (r < 0)
                return r;
        *ret = s;
        return 1;
}

static int cmd_number(struct decode_ctx *c, const cJSON *obj, const char *name, int64_t *ret,
                      bool *ret_has)
{
        int32_t v = 0;
        int r = field_int(c, obj, NULL, name, false, 1, SW_CMD_MAX_NUMBER, &v);

        if (r <= 0)
                return r;
        *ret = v;
        *ret_has = true;
        return 1;
}

/* An optional boolean field: 1 (present), 0 (absent) or -EINVAL. */
static int cmd_bool(struct decode_ctx *c, const cJSON *obj, const char *name, bool *ret)
{
        const cJSON *item = NULL;
        int r = field_get(c, obj, NULL, name, false, &item);

        if (r <= 0)
                return r;
        if (!cJSON_IsBool(item))
                return reject(c, SW_REJECT_WRONG_TYPE, NULL, name, "must be true or false");
        *ret = cJSON_IsTrue(item);
        return 1;
}

static int cmd_detectors(struct decode_ctx *c, const cJSON *obj, struct sw_cmd_request *req)
{
        const cJSON *arr = NULL, *el;
        char where[PAYLOAD_WHERE_MAX];
        uint32_t i = 0;
        int r = field_get(c, obj, NULL, "detectors", false, &arr);

        if (r <= 0)
                return r;
        if (!cJSON_IsArray(arr))
                return reject(c, SW_REJECT_WRONG_TYPE, NULL, "detectors", "must be an array");
        cJSON_ArrayForEach(el, arr)
        {
                size_t n;

                snprintf(where, sizeof(where), "detectors[%" PRIu32 "]", i);
                if (i >= SW_CMD_MAX_DETECTORS)
                        return reject(c, SW_REJECT_TOO_MANY_ITEMS, NULL, "detectors",
                                      "more than %d entries", SW_CMD_MAX_DETECTORS);
                if (!cJSON_IsString(el) || !el->valuestring)
                        return reject(c, SW_REJECT_WRONG_TYPE, where, NULL, "must be a string");
                n = strnlen(el->valuestring, SW_CMD_MAX_STRING_LEN + 1);
                if (n == 0 || n > SW_CMD_MAX_STRING_LEN || !ascii_printable(el->valuestring, n))
                        return reject(c, SW_REJECT_WRONG_TYPE, where, NULL,
                                      "must be a name of printable ASCII");
                req->detectors[i++] = el->valuestring;
        }
        req->n_detectors = i;
        return 1;
}

/* The string fields of a command request: name, place in the struct, longest value. */
static const struct {
        const char *name; /* field name */
        size_t offset;    /* offset of the const char * in struct sw_cmd_request */
        size_t max_len;   /* longest value in bytes */
} cmd_strings[] = {
#define CMD_STR(f, max)                                                                            \
        {                                                                                          \
#f, offsetof(struct sw_cmd_request, f), max                                        \
        }
    CMD_STR(as_of, SW_CMD_MAX_STRING_LEN),    CMD_STR(type, SW_CMD_MAX_STRING_LEN),
    CMD_STR(severity, SW_CMD_MAX_STRING_LEN), CMD_STR(status, SW_CMD_MAX_STRING_LEN),
    CMD_STR(sku, SW_CMD_MAX_STRING_LEN),      CMD_STR(anomaly, SW_CMD_MAX_STRING_LEN),
    CMD_STR(outcome, SW_CMD_MAX_STRING_LEN),  CMD_STR(action, SW_CMD_MAX_STRING_LEN),
    CMD_STR(note, SW_CMD_MAX_NOTE_LEN),       CMD_STR(reply_to, SW_CMD_MAX_STRING_LEN),
    CMD_STR(corr, SW_CMD_MAX_STRING_LEN),     CMD_STR(user, SW_CMD_MAX_STRING_LEN),
    CMD_STR(path, SW_CMD_MAX_PATH_LEN),
#undef CMD_STR
};

/* Every known field of a request's object into req; 0 or -EINVAL (reason in c). */
static int cmd_fields(struct decode_ctx *c, const cJSON *root, struct sw_cmd_request *req)
{
        int r;
        for (size_t i = 0; i < sizeof(cmd_strings) / sizeof(cmd_strings[0]); i++) {
                const char **field = (const char **)((char *)req + cmd_strings[i].offset);
                r = cmd_string(c, root, cmd_strings[i].name, cmd_strings[i].max_len, field);
                if (r < 0)
                        return r;
        }
        if (req->reply_to && (req->reply_to[0] == '\0' || strpbrk(req->reply_to, "+#")))
                return reject(c, SW_REJECT_WRONG_TYPE, NULL, "reply_to",
                              "must be a topic without wildcards");
        r = cmd_number(c, root, "days", &req->days, &req->has_days);
        if (r >= 0)
                r = cmd_number(c, root, "limit", &req->limit, &req->has_limit);
        if (r >= 0)
                r = cmd_detectors(c, root, req);
        if (r >= 0)
                r = cmd_bool(c, root, "force", &req->force);
        return r < 0 ? r : 0;
}

int sw_payload_decode_command(struct sw_payload_decoder *d, const void *payload, size_t len,
                              size_t max_bytes, struct sw_cmd_request *ret, char *err, size_t errsz)
{
        struct decode_ctx c = {.err = err, .errsz = errsz};
        struct sw_cmd_request req = {0};
        const unsigned char *p = payload;
        size_t i;
        int r;

        assert(d);
        assert(payload || len == 0);
        assert(ret);

        if (err && errsz > 0)
                err[0] = '\0';
        payload__drop_tree(d);
        if (len > max_bytes)
                return reject(&c, SW_REJECT_TOO_LARGE, NULL, NULL, "%zu bytes, limit is %zu", len,
                              max_bytes);
        for (i = 0; i < len && is_json_ws(p[i]); i++)
                ;
        if (i == len) { /* mosquitto_pub -n: no arguments at all */
                *ret = req;
                return 0;
        }
        r = parse_object(d, &c, payload, len, max_bytes);
        if (r < 0)
                return r;

        r = cmd_fields(&c, d->root, &req);
        if (r < 0) {
                payload__drop_tree(d);
                return r;
        }
        *ret = req;
        return 0;
}
