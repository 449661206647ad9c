/* One MQTT message from a gateway, validated and turned into a row for the batch writer. */
#ifndef HQ_MESSAGE_H
#define HQ_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HQ_NAME_SIZE 65   /* tenant, store: 1..64 bytes + NUL (a topic level) */
#define HQ_ID_SIZE   256  /* anomaly and outcome ids: 1..255 bytes + NUL */
#define HQ_TS_NONE   (-1) /* a time the message does not carry (valid times are >= 0) */

/* What the topic's last level says the message is. */
enum hq_kind { HQ_KIND_ANOMALY, HQ_KIND_OUTCOME, HQ_KIND_SUMMARY, HQ_KIND_STATUS, HQ_KIND_COUNT };

/* Why a message was refused; each is counted, the message is acknowledged and dropped. */
enum hq_bad_reason {
        HQ_BAD_TOPIC,         /* not {root}/{tenant}/{store}/{kind} with a known kind */
        HQ_BAD_OVERSIZE,      /* payload above limits.max_payload_bytes */
        HQ_BAD_ENCODING,      /* not UTF-8, or a \u0000 that PostgreSQL's jsonb refuses */
        HQ_BAD_JSON,          /* not a JSON object */
        HQ_BAD_MISSING,       /* a required field is absent */
        HQ_BAD_TYPE,          /* a field has the wrong JSON type */
        HQ_BAD_VALUE,         /* a field is out of range or too long */
        HQ_BAD_TIME,          /* a time that is neither RFC 3339 nor Unix seconds */
        HQ_BAD_VERSION,       /* "v" names a major version other than 1 */
        HQ_BAD_MISMATCH,      /* payload tenant/store differ from the topic's */
        HQ_BAD_DB_REJECTED,   /* PostgreSQL refused the row on its own (written alone) */
        HQ_BAD_DUPLICATE_KEY, /* an object gives a key twice (validation reads the first, jsonb
                                 keeps the last) */
        HQ_BAD_COUNT
};

/* A parsed message. row is owned (free with hq_msg_clear). */
struct hq_msg {
        enum hq_kind kind;         /* from the topic */
        char tenant[HQ_NAME_SIZE]; /* topic level 2 */
        char store[HQ_NAME_SIZE];  /* topic level 3 */
        char id[HQ_ID_SIZE];       /* anomaly or outcome id; "" for summary and status */
        int64_t rev;               /* anomaly rev (0: a v1 message without one); outcome 1 */
        bool versioned;            /* carried "v" (1.1 or later): its sender wants a receipt */
        int64_t ts;                /* Unix s: summary ts; status ts (optional); else HQ_TS_NONE */
        int64_t started_at;        /* Unix s: status started_at, or HQ_TS_NONE */
        char *row;                 /* JSON object handed to the SQL: normalised fields + payload */
        size_t row_len;            /* strlen(row) */
};

/* "anomaly", "outcome", "summary", "status"; NULL out of range. */
const char *hq_kind_name(enum hq_kind k);
/* Reason names for counters: "topic", "oversize", ...; NULL out of range. */
const char *hq_bad_reason_name(enum hq_bad_reason r);

/*
 * Parse topic and payload. root is the first topic level (the configuration's topic root).
 * Returns 0 and fills *ret (the caller later calls hq_msg_clear), -EBADMSG with *ret_reason set
 * for a message to refuse (ret untouched), or -ENOMEM.
 */
int hq_msg_parse(const char *root, const char *topic, const void *payload, size_t len,
                 size_t max_payload, struct hq_msg *ret, enum hq_bad_reason *ret_reason);

/* s (NUL-terminated) as a quoted JSON string into dst, which has room for 6 * strlen(s) + 3
 * bytes; returns its length. */
size_t hq_json_quote(char *dst, const char *s);

/* Free the row; the struct can be reused. NULL-safe. */
void hq_msg_clear(struct hq_msg *m);

#endif
