/* Device payload and command request decoding (cJSON): JSON bytes in, validated struct sw_msg out.
 */
#ifndef SW_PAYLOAD_H
#define SW_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/message.h"

/* Owns the cJSON tree of the last decode; strings handed out borrow from it. */
struct sw_payload_decoder;

/* Returns 0 and a new decoder in *ret, or -ENOMEM. */
int sw_payload_decoder_new(struct sw_payload_decoder **ret);
/* Frees the decoder and its tree; accepts NULL, returns NULL. */
struct sw_payload_decoder *sw_payload_decoder_free(struct sw_payload_decoder *d);

/* Caps applied before and while decoding. */
struct sw_payload_limits {
        size_t max_bytes;   /* payloads longer than this are refused unparsed (too_large) */
        uint32_t max_items; /* most lines/items/readings per message (too_many_items) */
};

/*
 * Decode one device payload of the given kind (PROTOCOL.md, "In-store devices to the
 * gateway"). payload is len bytes, not NUL-terminated; the whole of it must be one JSON
 * object (only JSON whitespace may follow). Unknown fields are ignored; an optional field
 * set to null counts as absent. All or nothing: one bad line refuses the whole message.
 *
 * On success returns 0 and fills *msg: msg->kind = kind, items written to msg->items (at
 * most msg->items_cap, which the caller sets). String pointers in msg borrow from d and stay
 * valid until the next decode (of either kind) or free.
 *
 * On refusal returns -EINVAL, sets *ret_reason and writes a short message naming the field
 * into err (e.g. "lines[3].qty: must be an integer"). The header fields of *msg are then
 * left unchanged; the contents of msg->items[] are unspecified.
 *
 * Choices (see the tests): sku and id are printable ASCII 0x20..0x7e without a leading or
 * trailing space; category is valid UTF-8 without control characters; a string containing
 * \u0000 is refused as not_json (cJSON would silently cut it there); a key given twice in
 * any object of the payload, known field or not, is refused as duplicate_key; cJSON failing to
 * allocate is reported as not_json.
 */
int sw_payload_decode(struct sw_payload_decoder *d, enum sw_msg_kind kind, const void *payload,
                      size_t len, const struct sw_payload_limits *lim, struct sw_msg *msg,
                      enum sw_reject_reason *ret_reason, char *err, size_t errsz);

/*
 * The id and the sku of a cycle count payload as far as they can be read, for the answer to a
 * count that was refused (rate-limited, or not decodable as a whole): each is copied,
 * NUL-terminated, when the payload is a JSON object of at most max_bytes (the checks of
 * sw_payload_decode() before the fields: UTF-8, no \u0000) that holds the key exactly once as
 * a string passing its field's check (id 1..SW_ID_MAX_LEN, sku 1..SW_SKU_MAX_LEN printable
 * ASCII, no leading or trailing space); otherwise "". A key given twice is not echoed: which
 * one would the scanner mean?
 */
void sw_payload_count_ids(const void *payload, size_t len, size_t max_bytes,
                          char ret_id[SW_ID_MAX_LEN + 1], char ret_sku[SW_SKU_MAX_LEN + 1]);

#define SW_CMD_MAX_DETECTORS  8      /* capacity of sw_cmd_request.detectors */
#define SW_CMD_MAX_NUMBER     100000 /* largest days / limit */
#define SW_CMD_MAX_STRING_LEN 256    /* longest string field except note, in bytes */
#define SW_CMD_MAX_NOTE_LEN   1024   /* longest note, in bytes */
#define SW_CMD_MAX_PATH_LEN   1023   /* longest path (backup), in bytes */

/* A command request, cJSON-free. Strings are NUL-terminated, borrow from the decoder, NULL if
 * absent. */
struct sw_cmd_request {
        const char *as_of;    /* detect: "YYYY-MM-DD" (not checked here) */
        const char *type;     /* anomalies: anomaly type wire name */
        const char *severity; /* anomalies: severity wire name */
        const char *status;   /* anomalies: status wire name */
        const char *sku;      /* anomalies: SKU filter */
        const char *anomaly;  /* outcome: anomaly id */
        const char *outcome;  /* outcome: "true_positive" / "false_positive" */
        const char *action;   /* outcome: action taken */
        const char *note;     /* outcome: free text */
        const char *user;     /* outcome: who judged it */
        const char *reply_to; /* MQTT 3.1.1 clients: topic to reply to (no wildcards) */
        const char *corr;     /* MQTT 3.1.1 clients: correlation string echoed back */
        const char *path;     /* backup: the file on the gateway (not checked here) */
        int64_t days;         /* window in days, 1..SW_CMD_MAX_NUMBER; valid when has_days */
        int64_t limit;        /* most rows, 1..SW_CMD_MAX_NUMBER; valid when has_limit */
        bool has_days;        /* days was given */
        bool has_limit;       /* limit was given */
        bool force;           /* backup: replace an existing file (JSON true; absent: false) */
        const char *detectors[SW_CMD_MAX_DETECTORS]; /* detect: detector names */
        uint32_t n_detectors;                        /* entries used in detectors; 0 when absent */
};

/*
 * Decode a command request. An empty (or all-whitespace) payload means every field absent.
 * Otherwise the payload must be one JSON object of at most max_bytes; known fields must have
 * their type (strings: valid UTF-8 without control characters, bounded length; days/limit:
 * integers 1..SW_CMD_MAX_NUMBER; detectors: array of at most SW_CMD_MAX_DETECTORS strings);
 * null counts as absent; unknown fields are ignored; a key given twice in any object is
 * refused ("name: key given more than once"). Names are not checked against the vocabulary
 * here. Returns 0 and fills *ret, or -EINVAL with a message in err (*ret untouched).
 * Invalidates strings from the previous decode of d.
 */
int sw_payload_decode_command(struct sw_payload_decoder *d, const void *payload, size_t len,
                              size_t max_bytes, struct sw_cmd_request *ret, char *err,
                              size_t errsz);

#endif
