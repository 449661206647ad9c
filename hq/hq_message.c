/* One MQTT message from a gateway, validated and turned into a row for the batch writer. */
#include "hq/hq_message.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hq/hq_fields.h"

#define HQ_TEXT_MAX  1024 /* description, action and other free text */
#define HQ_SHORT_MAX 64   /* enum-like words, sku, category, version */
#define HQ_MONEY_MAX 1e15 /* money beyond this is a unit error */
#define HQ_COUNT_MAX 1e9  /* counts in a summary */

static const char *const kind_names[HQ_KIND_COUNT] = {"anomaly", "outcome", "summary", "status"};
static const char *const bad_names[HQ_BAD_COUNT] = {
    "topic", "oversize", "encoding", "not_json", "missing_field", "wrong_type",
    "value", "time",     "version",  "mismatch", "db_rejected"};

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

/* Add a time field to the row as Unix seconds, when present; *ret_t (may be NULL) gets it, or
 * HQ_TS_NONE. */
static int add_time(cJSON *row, const cJSON *o, const char *name, bool required, int64_t *ret_t,
                    enum hq_bad_reason *reason)
{
        int64_t t = HQ_TS_NONE;
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
        int r = hq_field_time(o, name, required, &t, reason);
        if (r == 0 && f && !cJSON_IsNull(f))
                cJSON_AddNumberToObject(row, name, (double)t);
        else
                t = HQ_TS_NONE;
        if (r == 0 && ret_t)
                *ret_t = t;
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

static int parse_anomaly(const cJSON *o, cJSON *row, struct hq_msg *m, enum hq_bad_reason *reason)
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
                r = hq_field_number(o, "rev", false, 0, INT32_MAX, true, &rev, reason);
        if (r == 0)
                r = hq_field_number(o, "probability", false, 0, 1, false, NULL, reason);
        if (r == 0)
                r = hq_field_number(o, "score", false, -1e300, 1e300, false, NULL, reason);
        if (r == 0)
                r = check_money(o, money, 1, reason);
        if (r == 0)
                r = hq_field_date(o, "as_of", false, &as_of, reason);
        if (r == 0)
                r = add_time(row, o, "detected_at", true, NULL, reason);
        if (r == 0)
                r = add_time(row, o, "updated_at", false, NULL, reason);
        if (r < 0)
                return r;
        m->rev = (int32_t)rev;
        cJSON_AddNumberToObject(row, "rev", rev);
        if (as_of)
                cJSON_AddStringToObject(row, "as_of", as_of);
        return 0;
}

static int parse_outcome(const cJSON *o, cJSON *row, struct hq_msg *m, enum hq_bad_reason *reason)
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
                r = add_time(row, o, "ts", true, NULL, reason);
        m->rev = 1; /* PROTOCOL 1.1: outcomes are receipted with rev 1 */
        return r;
}

static int parse_summary(const cJSON *o, cJSON *row, struct hq_msg *m, enum hq_bad_reason *reason)
{
        static const char *const levels[] = {"critical", "warning", "info"};
        static const char *const money[] = {"ghost_value"};
        const cJSON *open = cJSON_GetObjectItemCaseSensitive(o, "open");
        const cJSON *health = cJSON_GetObjectItemCaseSensitive(o, "health");
        int r = add_time(row, o, "ts", true, &m->ts, reason);
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
                r = add_time(row, health, "last_pos_at", false, NULL, reason);
        return r;
}

/* A status may carry "ts" (when the gateway published it): it orders statuses of one run. */
static int parse_status(const cJSON *o, cJSON *row, struct hq_msg *m, enum hq_bad_reason *reason)
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
                r = add_time(row, o, "started_at", false, &m->started_at, reason);
        if (r == 0)
                r = add_time(row, o, "ts", false, &m->ts, reason);
        return r;
}

/* The row: printed normalised fields with ,"payload":<raw> spliced before the final '}'. */
static int build_row(cJSON *row, const char *raw, size_t len, struct hq_msg *m)
{
        char *head = cJSON_PrintUnformatted(row);
        size_t hl;
        if (!head)
                return -ENOMEM;
        hl = strlen(head); /* ends with '}' and holds at least "tenant" */
        m->row = malloc(hl + len + sizeof(",\"payload\":}"));
        if (!m->row) {
                free(head);
                return -ENOMEM;
        }
        memcpy(m->row, head, hl - 1);
        m->row_len = hl - 1;
        memcpy(m->row + m->row_len, ",\"payload\":", 11);
        m->row_len += 11;
        memcpy(m->row + m->row_len, raw, len);
        m->row_len += len;
        m->row[m->row_len++] = '}';
        m->row[m->row_len] = '\0';
        free(head);
        return 0;
}

static int parse_fields(const cJSON *o, cJSON *row, struct hq_msg *m, enum hq_bad_reason *reason)
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
        else if (strlen(buf) != len || !hq_utf8_valid(buf, len) || strstr(buf, "\\u0000"))
                *reason = HQ_BAD_ENCODING;
        else
                return 0;
        return -EBADMSG;
}

int hq_msg_parse(const char *root, const char *topic, const void *payload, size_t len,
                 size_t max_payload, struct hq_msg *ret, enum hq_bad_reason *ret_reason)
{
        struct hq_msg m = {.ts = HQ_TS_NONE, .started_at = HQ_TS_NONE};
        enum hq_bad_reason reason = HQ_BAD_JSON;
        cJSON *o = NULL, *row = NULL;
        char *buf = NULL;
        int r = -EBADMSG;

        if (parse_topic(root, topic, &m) < 0) {
                *ret_reason = HQ_BAD_TOPIC;
                return -EBADMSG;
        }
        if (len > max_payload) {
                *ret_reason = HQ_BAD_OVERSIZE;
                return -EBADMSG;
        }
        buf = malloc(len + 1);
        row = cJSON_CreateObject();
        if (!buf || !row) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(buf, payload, len);
        buf[len] = '\0';
        if (check_bytes(buf, len, max_payload, &reason) < 0)
                goto out;
        o = cJSON_ParseWithOpts(buf, NULL, true);
        if (!cJSON_IsObject(o)) {
                reason = HQ_BAD_JSON;
                goto out;
        }
        cJSON_AddStringToObject(row, "tenant", m.tenant);
        cJSON_AddStringToObject(row, "store", m.store);
        if (parse_fields(o, row, &m, &reason) < 0)
                goto out;
        if (m.id[0])
                cJSON_AddStringToObject(row, "id", m.id);
        r = build_row(row, buf, len, &m);
        if (r == 0)
                *ret = m;
out:
        if (r == -EBADMSG)
                *ret_reason = reason;
        cJSON_Delete(o);
        cJSON_Delete(row);
        free(buf);
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
