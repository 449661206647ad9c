/* JSON payloads of anomalies for HQ (P/anomaly), per PROTOCOL.md. */
#ifndef SW_ANOMALY_JSON_H
#define SW_ANOMALY_JSON_H

#include <stdint.h>

#include "core/anomaly_detail.h"
#include "core/detect.h"
#include "platform/store.h"

/* Who publishes, and in what money (PROTOCOL 1.1). */
struct sw_payload_store {
        const char *tenant;    /* store.tenant */
        const char *store;     /* store.id */
        const char *currency;  /* store.currency; "" = not set: no "currency" member */
        unsigned money_digits; /* its minor-unit digits; 2 (cents) when not set */
};

/* The store's identity and currency as payloads carry them. */
struct sw_payload_store sw_payload_store_of(const char *tenant, const char *store,
                                            const char *currency);

struct sw_anomaly_json_ctx {
        const char *tenant;              /* store.tenant */
        const char *store;               /* store.id */
        const char *currency;            /* store.currency, "" or NULL = not set */
        unsigned money_digits;           /* decimals of money (the currency's minor unit) */
        int64_t rev;                     /* revision published (PROTOCOL 1.1) */
        int64_t updated_at;              /* last change, Unix s */
        const char *id;                  /* the anomaly id */
        const char *sku;                 /* SKU key */
        const char *category;            /* category name, "" if unknown */
        int64_t detected_at;             /* first detection, Unix s */
        struct sw_anomaly_snapshot snap; /* on-hand, price and ghost mode of the detection */
};

/* Render a finding; returns a malloc'd string the caller frees, or NULL on ENOMEM. */
char *sw_anomaly_json(const struct sw_anomaly_json_ctx *c, const struct sw_finding *f);

/* The payload of a stored anomaly as it is now, with its rev: rendered from its columns and
 * detail, or the JSON a row written before schema 5 keeps (given "v", "rev" and "updated_at" in
 * front). 0 and a malloc'd string in *ret_json; -EBADMSG: a column or the detail is
 * unreadable; -ENOMEM. */
int sw_anomaly_json_of_row(const struct sw_store_anomaly *a, const struct sw_payload_store *who,
                           char **ret_json);

#endif
