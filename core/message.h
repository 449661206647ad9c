/* Decoded, validated device messages: what the payload parser hands to core/ingest. */
#ifndef SW_MESSAGE_H
#define SW_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sw_types.h"

enum sw_msg_kind {
        SW_MSG_POS,       /* P/pos/{register} */
        SW_MSG_RECEIPT,   /* P/receipt */
        SW_MSG_INVENTORY, /* P/inventory */
        SW_MSG_FORECAST,  /* P/forecast */
        SW_MSG_SHELF,     /* P/shelf/{sensor} */
        SW_MSG_COUNT,     /* P/scanner/{device}/count */
        SW_MSG_KIND_COUNT
};

/* Why a message was refused; each has a counter in health. */
enum sw_reject_reason {
        SW_REJECT_TOO_LARGE,      /* payload over limits.max_payload_bytes */
        SW_REJECT_NOT_JSON,       /* does not parse as JSON (or nests too deep) */
        SW_REJECT_NOT_OBJECT,     /* top level is not an object */
        SW_REJECT_MISSING_FIELD,  /* a required field is absent */
        SW_REJECT_WRONG_TYPE,     /* a field has the wrong JSON type */
        SW_REJECT_OUT_OF_RANGE,   /* a number is negative, NaN, fractional or too big where not
                                     allowed */
        SW_REJECT_BAD_TIMESTAMP,  /* ts is not RFC 3339 nor Unix seconds */
        SW_REJECT_BAD_DATE,       /* a date is not YYYY-MM-DD */
        SW_REJECT_BAD_SKU,        /* sku empty, too long or not printable ASCII */
        SW_REJECT_BAD_CATEGORY,   /* category empty or too long */
        SW_REJECT_BAD_ID,         /* id empty or too long */
        SW_REJECT_TOO_MANY_ITEMS, /* more lines/items than limits.max_items_per_message */
        SW_REJECT_EMPTY,          /* lines/items array is empty */
        SW_REJECT_TOO_OLD,        /* event day older than the history window */
        SW_REJECT_IN_FUTURE,      /* event time beyond limits.max_future_seconds */
        SW_REJECT_SKU_TABLE_FULL, /* a new SKU did not fit in limits.max_skus */
        SW_REJECT_UNKNOWN_TOPIC,  /* topic matches no message kind */
        SW_REJECT_RATE_LIMITED,   /* the sending device is over limits.device_rate_per_second */
        SW_REJECT_UNKNOWN_SKU,    /* a cycle count of a SKU the gateway has no record of */
        SW_REJECT_DUPLICATE_KEY,  /* an object of the payload gives a key twice */
        SW_REJECT_STORAGE_ERROR,  /* a cycle count that could not be made durable (undone) */
        SW_REJECT_UNKNOWN_DEVICE, /* a cycle count from a scanner not in devices.scanners */
        SW_REJECT_REASON_COUNT
};

const char *sw_msg_kind_name(enum sw_msg_kind k);
const char *sw_reject_reason_name(enum sw_reject_reason r);

/* Which optional fields of an item were present. */
enum sw_item_has {
        SW_HAS_QTY = 1 << 0,
        SW_HAS_PRICE = 1 << 1,
        SW_HAS_ON_HAND = 1 << 2,
        SW_HAS_CATEGORY = 1 << 3,
};

/*
 * One line/item/reading. String pointers borrow from the decoder's buffers and
 * are valid until the next decode; they are not NUL-terminated, use the length.
 */
struct sw_item {
        const char *sku;      /* SKU code, sku_len bytes, printable ASCII */
        uint8_t sku_len;      /* 1..SW_SKU_MAX_LEN */
        uint8_t has;          /* enum sw_item_has bits */
        uint8_t category_len; /* 0 when absent */
        const char *category; /* category name, category_len bytes */
        int32_t qty;          /* pos/receipt qty, inventory on_hand, shelf count */
        double price;         /* pos unit price paid, inventory list price (finite, >= 0) */
        sw_day_t date;        /* forecast: store-local day */
        double units;         /* forecast: expected units (finite, >= 0) */
};

/* A decoded message. The caller owns items (capacity items_cap). */
struct sw_msg {
        enum sw_msg_kind kind;
        const char *id; /* message id (pos, receipt, count), id_len bytes; NULL if none */
        size_t id_len;
        int64_t ts; /* Unix seconds; valid when has_ts */
        bool has_ts;
        uint32_t n_items;   /* items used */
        uint32_t items_cap; /* capacity of items */
        struct sw_item *items;
        /* cycle count (SW_MSG_COUNT) only: the single item holds sku and qty = counted. */
        const char *anomaly; /* optional anomaly id being answered, anomaly_len bytes */
        size_t anomaly_len;
        const char *user; /* optional user, user_len bytes */
        size_t user_len;
};

#endif
