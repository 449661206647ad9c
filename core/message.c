/* Wire names of message kinds and reject reasons. */
#include "core/message.h"

static const char *const kind_names[SW_MSG_KIND_COUNT] = {"pos",      "receipt", "inventory",
                                                          "forecast", "shelf",   "count"};

static const char *const reason_names[SW_REJECT_REASON_COUNT] = {
    "too_large",      "not_json",       "not_object",   "missing_field", "wrong_type",
    "out_of_range",   "bad_timestamp",  "bad_date",     "bad_sku",       "bad_category",
    "bad_id",         "too_many_items", "empty",        "too_old",       "in_future",
    "sku_table_full", "unknown_topic",  "rate_limited", "unknown_sku",   "duplicate_key",
    "storage_error",  "unknown_device"};

const char *sw_msg_kind_name(enum sw_msg_kind k)
{
        return (unsigned)k < SW_MSG_KIND_COUNT ? kind_names[k] : NULL;
}

const char *sw_reject_reason_name(enum sw_reject_reason r)
{
        return (unsigned)r < SW_REJECT_REASON_COUNT ? reason_names[r] : NULL;
}
