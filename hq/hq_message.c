/* One MQTT message from a gateway, validated and turned into a row for the batch writer. */
#include "hq/hq_message.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hq/hq_fields.h"
#include "platform/json_keys.h"

#define HQ_TEXT_MAX  1024               /* description, action and other free text */
#define HQ_SHORT_MAX 64                 /* enum-like words, sku, category, version */
#define HQ_MONEY_MAX 1e15               /* money beyond this is a unit error */
#define HQ_COUNT_MAX 1e9                /* counts in a summary */
#define HQ_DATE_MAX  10                 /* YYYY-MM-DD (hq_field_date accepts nothing else) */
#define HQ_REV_MAX   9007199254740991.0 /* 2^53 - 1: every rev up to it is exact in JSON */

static const char *const kind_names[HQ_KIND_COUNT] = {"anomaly", "outcome", "summary", "status"};
static const char *const bad_names[HQ_BAD_COUNT] = {
    "topic", "oversize", "encoding", "not_json", "missing_field", "wrong_type",
    "value", "time",     "version",  "mismatch", "db_rejected",   "duplicate_key"};

const char *hq_kind_name(enum hq_kind k)
{
        return (unsigned)k < HQ_KIND_COUNT ? kind_names[k] : NULL;
}

const char *hq_bad_reason_name(enum hq_bad_reason r)
{
        return (unsigned)r < HQ_BAD_COUNT ? bad_names[r] : NULL;
}

/* Copy one topic level [s, end) into buf (1..size-1 bytes, no control characters). */
static int copy_level(const char *s, const char *end, char *buf, size_t size)
{
        size_t n = (size_t)(end - s);
        if (n == 0 || n >= size)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return 0;
}

/* {root}/{tenant}/{store}/{kind}: tenant, store and kind into m. */
static int parse_topic(const char *root, const char *topic, struct hq_msg *m)
{
        size_t rl = strlen(root);
        const char *t, *s, *k;
        if (strncmp(topic, root, rl) != 0 || topic[rl] != '/')
                return -EINVAL;
        t = topic + rl + 1;
        s = strchr(t, '/');
        if (!s || copy_level(t, s, m->tenant, sizeof(m->tenant)) < 0)
                return -EINVAL;
        k = strchr(s + 1, '/');
        if (!k || copy_level(s + 1, k, m->store, sizeof(m->store)) < 0)
                return -EINVAL;
        for (int i = 0; i < HQ_KIND_COUNT; i++)
                if (strcmp(k + 1, kind_names[i]) == 0) {
                        m->kind = (enum hq_kind)i;
                        return 0;
                }
        return -EINVAL;
}

/* "v": absent (v1), or "1.x". */
static int check_version(const cJSON *o, struct hq_msg *m, enum hq_bad_reason *reason)
{
        const char *v = NULL;
        int r = hq_field_string(o, "v", false, HQ_SHORT_MAX, &v, reason);
        if (r < 0 || !v)
                return r;
        if (strncmp(v, "1.", 2) != 0) {
                *reason = HQ_BAD_VERSION;
                return -EBADMSG;
        }
        m->versioned = true;
        return 0;
}

/* Payload tenant/store, when present, must be the topic's (RLS trusts the topic). */
static int check_identity(const cJSON *o, const struct hq_msg *m, enum hq_bad_reason *reason)
{
        const char *t = NULL, *s = NULL;
        int r = hq_field_string(o, "tenant", false, HQ_NAME_SIZE - 1, &t, reason);
        if (r == 0)
                r = hq_field_string(o, "store", false, HQ_NAME_SIZE - 1, &s, reason);
        if (r < 0)
                return r;
        if ((t && strcmp(t, m->tenant) != 0) || (s && strcmp(s, m->store) != 0)) {
                *reason = HQ_BAD_MISMATCH;
                return -EBADMSG;
        }
        return 0;
}

/* The normalised fields the SQL reads beside the payload (hq_write_sql.h): times as Unix
 * seconds whatever form they came in, the rev a v1 message lacks. */
struct row_fields {
        int64_t detected_at; /* anomaly; HQ_TS_NONE when absent (as every time below) */
        int64_t updated_at;  /* anomaly, optional */
        int64_t ts;          /* outcome, summary; status (optional) */
        int64_t last_pos_at; /* summary health.last_pos_at, optional */
        int64_t started_at;  /* status, optional */
        int64_t rev;         /* anomaly: its rev (0 for v1); -1 for the other kinds */
        const char *as_of;   /* anomaly as_of, NULL when absent */
};

/* A time field as Unix seconds into *slot, or HQ_TS_NONE when absent. */
static int add_time(int64_t *slot, const cJSON *o, const char *name, bool required,
                    enum hq_bad_reason *reason)
{
        int64_t t = HQ_TS_NONE;
        int r = hq_field_time(o, name, required, &t, reason);
        *slot = r == 0 ? t : HQ_TS_NONE;
        return r;
}

static int copy_id(const cJSON *o, struct hq_msg *m, enum hq_bad_reason *reason)
{
        const char *id = NULL;
        int r = hq_field_string(o, "id", true, HQ_ID_SIZE - 1, &id, reason);
        if (r == 0)
                snprintf(m->id, sizeof(m->id), "%s", id);
        return r;
}

static int check_strings(const cJSON *o, const char *const *names, size_t n, bool required,
                         size_t max_len, enum hq_bad_reason *reason)
{
        for (size_t i = 0; i < n; i++) {
                int r = hq_field_string(o, names[i], required, max_len, NULL, reason);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_money(const cJSON *o, const char *const *names, size_t n,
                       enum hq_bad_reason *reason)
{
        for (size_t i = 0; i < n; i++) {
                int r = hq_field_number(o, names[i], false, -HQ_MONEY_MAX, HQ_MONEY_MAX, false,
                                        NULL, reason);
                if (r < 0)
                        return r;
        }
        return hq_field_string(o, "currency", false, 3, NULL, reason);
}

static int parse_anomaly(const cJSON *o, struct row_fields *row, struct hq_msg *m,
                         enum hq_bad_reason *reason)
{
        static const char *const words[] = {"type", "severity", "status", "sku"};
        static const char *const optional[] = {"category", "action"};
        static const char *const money[] = {"value"};
        const char *as_of = NULL;
        double rev = 0;
        int r = copy_id(o, m, reason);
        if (r == 0)
                r = check_strings(o, words, 4, true, HQ_SHORT_MAX, reason);
        if (r == 0)
                r = check_strings(o, optional, 2, false, HQ_SHORT_MAX, reason);
        if (r == 0)
                r = hq_field_string(o, "description", false, HQ_TEXT_MAX, NULL, reason);
        if (r == 0)
                r = hq_field_number(o, "rev", false, 0, HQ_REV_MAX, true, &rev, reason);
        if (r == 0)
                r = hq_field_number(o, "probability", false, 0, 1, false, NULL, reason);
        if (r == 0)
                r = hq_field_number(o, "score", false, -1e300, 1e300, false, NULL, reason);
        if (r == 0)
                r = check_money(o, money, 1, reason);
        if (r == 0)
                r = hq_field_date(o, "as_of", false, &as_of, reason);
        if (r == 0)
                r = add_time(&row->detected_at, o, "detected_at", true, reason);
        if (r == 0)
                r = add_time(&row->updated_at, o, "updated_at", false, reason);
        if (r < 0)
                return r;
        m->rev = (int64_t)rev;
        row->rev = (int64_t)rev;
        row->as_of = as_of;
        return 0;
}

static int parse_outcome(const cJSON *o, struct row_fields *row, struct hq_msg *m,
                         enum hq_bad_reason *reason)
{
        static const char *const optional[] = {"sku", "type", "status", "action", "source"};
        static const char *const money[] = {"value_recovered", "prevented_value"};
        const char *outcome = NULL;
        int r = copy_id(o, m, reason);
        if (r == 0)
                r = hq_field_string(o, "anomaly", true, HQ_ID_SIZE - 1, NULL, reason);
        if (r == 0)
                r = hq_field_string(o, "outcome", true, HQ_SHORT_MAX, &outcome, reason);
        if (r == 0 && strcmp(outcome, "true_positive") != 0 &&
            strcmp(outcome, "false_positive") != 0) {
                *reason = HQ_BAD_VALUE;
                r = -EBADMSG;
        }
        if (r == 0)
                r = check_strings(o, optional, 5, false, HQ_SHORT_MAX, reason);
        if (r == 0)
                r = hq_field_number(o, "response_hours", false, 0, 1e9, false, NULL, reason);
        if (r == 0)
                r = hq_field_number(o, "adjustment", false, INT32_MIN, INT32_MAX, true, NULL,
                                    reason);
        if (r == 0)
                r = check_money(o, money, 2, reason);
        if (r == 0)
                r = add_time(&row->ts, o, "ts", true, reason);
        m->rev = 1; /* PROTOCOL 1.1: outcomes are receipted with rev 1 */
        return r;
}

static int parse_summary(const cJSON *o, struct row_fields *row, struct hq_msg *m,
                         enum hq_bad_reason *reason)
{
        static const char *const levels[] = {"critical", "warning", "info"};
        static const char *const money[] = {"ghost_value"};
        const cJSON *open = cJSON_GetObjectItemCaseSensitive(o, "open");
        const cJSON *health = cJSON_GetObjectItemCaseSensitive(o, "health");
        int r = add_time(&row->ts, o, "ts", true, reason);
        if (r == 0 && open && !cJSON_IsObject(open) && !cJSON_IsNull(open))
                r = (*reason = HQ_BAD_TYPE, -EBADMSG);
        for (int i = 0; r == 0 && cJSON_IsObject(open) && i < 3; i++)
                r = hq_field_number(open, levels[i], false, 0, HQ_COUNT_MAX, true, NULL, reason);
        if (r == 0)
                r = check_money(o, money, 1, reason);
        if (r == 0)
                r = hq_field_number(o, "precision", false, 0, 1, false, NULL, reason);
        if (r == 0 && health && !cJSON_IsObject(health) && !cJSON_IsNull(health))
                r = (*reason = HQ_BAD_TYPE, -EBADMSG);
        if (r == 0 && cJSON_IsObject(health))
                r = hq_field_string(health, "pos_feed", false, HQ_SHORT_MAX, NULL, reason);
        if (r == 0 && cJSON_IsObject(health))
                r = add_time(&row->last_pos_at, health, "last_pos_at", false, reason);
        m->ts = row->ts;
        return r;
}

/* A status may carry "ts" (when the gateway published it): it orders statuses of one run. */
static int parse_status(const cJSON *o, struct row_fields *row, struct hq_msg *m,
                        enum hq_bad_reason *reason)
{
        static const char *const optional[] = {"version", "pos_feed"};
        const char *state = NULL;
        int r = hq_field_string(o, "state", true, HQ_SHORT_MAX, &state, reason);
        if (r == 0 && strcmp(state, "online") != 0 && strcmp(state, "offline") != 0) {
                *reason = HQ_BAD_VALUE;
                r = -EBADMSG;
        }
        if (r == 0)
                r = check_strings(o, optional, 2, false, HQ_SHORT_MAX, reason);
        if (r == 0)
                r = add_time(&row->started_at, o, "started_at", false, reason);
        if (r == 0)
                r = add_time(&row->ts, o, "ts", false, reason);
        m->started_at = row->started_at;
        m->ts = row->ts;
        return r;
}

size_t hq_json_quote(char *dst, const char *s)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = 0;
        dst[n++] = '"';
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        dst[n++] = '\\';
                        dst[n++] = (char)*p;
                } else if (*p < 0x20) {
                        memcpy(dst + n, "\\u00", 4);
                        dst[n + 4] = hex[*p >> 4];
                        dst[n + 5] = hex[*p & 15];
                        n += 6;
                } else {
                        dst[n++] = (char)*p;
                }
        }
        dst[n++] = '"';
        dst[n] = '\0';
        return n;
}

/* ,"name":value for a time that is present. */
static size_t put_time(char *dst, const char *name, int64_t t)
{
        return t == HQ_TS_NONE ? 0 : (size_t)sprintf(dst, ",\"%s\":%lld", name, (long long)t);
}

/* The row: {"tenant","store","id"?,<normalised fields>,"payload":<the payload as received>}. */
static int build_row(const struct row_fields *f, const char *raw, size_t len, struct hq_msg *m)
{
        /* quoted strings: 6 bytes an input byte at worst */
        char head[6 * (2 * HQ_NAME_SIZE + HQ_ID_SIZE + HQ_DATE_MAX) + 256];
        size_t n = 0;
        memcpy(head, "{\"tenant\":", 10);
        n = 10 + hq_json_quote(head + 10, m->tenant);
        memcpy(head + n, ",\"store\":", 9);
        n += 9;
        n += hq_json_quote(head + n, m->store);
        if (m->id[0]) {
                memcpy(head + n, ",\"id\":", 6);
                n += 6;
                n += hq_json_quote(head + n, m->id);
        }
        if (f->rev >= 0)
                n += (size_t)sprintf(head + n, ",\"rev\":%lld", (long long)f->rev);
        if (f->as_of) {
                memcpy(head + n, ",\"as_of\":", 9);
                n += 9;
                n += hq_json_quote(head + n, f->as_of);
        }
        n += put_time(head + n, "detected_at", f->detected_at);
        n += put_time(head + n, "updated_at", f->updated_at);
        n += put_time(head + n, "ts", f->ts);
        n += put_time(head + n, "last_pos_at", f->last_pos_at);
        n += put_time(head + n, "started_at", f->started_at);
        m->row = malloc(n + len + sizeof(",\"payload\":}"));
        if (!m->row)
                return -ENOMEM;
        memcpy(m->row, head, n);
        m->row_len = n;
        memcpy(m->row + m->row_len, ",\"payload\":", 11);
        m->row_len += 11;
        memcpy(m->row + m->row_len, raw, len);
        m->row_len += len;
        m->row[m->row_len++] = '}';
        m->row[m->row_len] = '\0';
        return 0;
}

static int parse_fields(const cJSON *o, struct row_fields *row, struct hq_msg *m,
                        enum hq_bad_reason *reason)
{
        int r = check_version(o, m, reason);
        if (r == 0)
                r = check_identity(o, m, reason);
        if (r < 0)
                return r;
        switch (m->kind) {
        case HQ_KIND_ANOMALY:
                return parse_anomaly(o, row, m, reason);
        case HQ_KIND_OUTCOME:
                return parse_outcome(o, row, m, reason);
        case HQ_KIND_SUMMARY:
                return parse_summary(o, row, m, reason);
        default:
                return parse_status(o, row, m, reason);
        }
}

/* Checks that need only the bytes: size, UTF-8, no NUL and no \u0000 (jsonb refuses it). */
static int check_bytes(const char *buf, size_t len, size_t max_payload, enum hq_bad_reason *reason)
{
        if (len > max_payload)
                *reason = HQ_BAD_OVERSIZE;
        else if (memchr(buf, '\0', len) || !hq_utf8_valid(buf, len) ||
                 memmem(buf, len, "\\u0000", 6))
                *reason = HQ_BAD_ENCODING;
        else
                return 0;
        return -EBADMSG;
}

/* The payload as one JSON object, nothing after it but white space (no copy: the payload is
 * not NUL-terminated). */
static cJSON *parse_object(const char *buf, size_t len)
{
        const char *end = NULL;
        cJSON *o = cJSON_ParseWithLengthOpts(buf, len, &end, false);
        while (o && end && end < buf + len && strchr(" \t\r\n", *end))
                end++;
        if (o && (!cJSON_IsObject(o) || end != buf + len)) {
                cJSON_Delete(o);
                o = NULL;
        }
        return o;
}

int hq_msg_parse(const char *root, const char *topic, const void *payload, size_t len,
                 size_t max_payload, struct hq_msg *ret, enum hq_bad_reason *ret_reason)
{
        struct hq_msg m = {.ts = HQ_TS_NONE, .started_at = HQ_TS_NONE};
        struct row_fields row = {.detected_at = HQ_TS_NONE,
                                 .updated_at = HQ_TS_NONE,
                                 .ts = HQ_TS_NONE,
                                 .last_pos_at = HQ_TS_NONE,
                                 .started_at = HQ_TS_NONE,
                                 .rev = -1};
        enum hq_bad_reason reason = HQ_BAD_JSON;
        const char *buf = payload, *key = NULL;
        cJSON *o = NULL;
        int r = -EBADMSG;

        if (parse_topic(root, topic, &m) < 0) {
                *ret_reason = HQ_BAD_TOPIC;
                return -EBADMSG;
        }
        if (len > max_payload) {
                *ret_reason = HQ_BAD_OVERSIZE;
                return -EBADMSG;
        }
        if (check_bytes(buf, len, max_payload, &reason) < 0)
                goto out;
        o = parse_object(buf, len);
        if (!o) {
                reason = HQ_BAD_JSON;
                goto out;
        }
        int twice = sw_json_duplicate_key(o, &key);
        if (twice != 0) {
                reason = twice < 0 ? HQ_BAD_JSON : HQ_BAD_DUPLICATE_KEY;
                goto out;
        }
        if (parse_fields(o, &row, &m, &reason) < 0)
                goto out;
        r = build_row(&row, buf, len, &m);
        if (r == 0)
                *ret = m;
out:
        if (r == -EBADMSG)
                *ret_reason = reason;
        cJSON_Delete(o);
        return r;
}

void hq_msg_clear(struct hq_msg *m)
{
        if (!m)
                return;
        free(m->row);
        m->row = NULL;
        m->row_len = 0;
}
