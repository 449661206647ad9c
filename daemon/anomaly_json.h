/* JSON payloads of anomalies for HQ (P/anomaly), per PROTOCOL.md. */
#ifndef SW_ANOMALY_JSON_H
#define SW_ANOMALY_JSON_H

#include <stdint.h>

#include "core/anomaly_detail.h"
#include "core/detect.h"
#include "platform/store.h"

struct sw_anomaly_json_ctx {
        const char *tenant;              /* store.tenant */
        const char *store;               /* store.id */
        const char *id;                  /* the anomaly id */
        const char *sku;                 /* SKU key */
        const char *category;            /* category name, "" if unknown */
        int64_t detected_at;             /* first detection, Unix s */
        struct sw_anomaly_snapshot snap; /* on-hand, price and ghost mode of the detection */
};

/* Render a finding; returns a malloc'd string the caller frees, or NULL on ENOMEM. */
char *sw_anomaly_json(const struct sw_anomaly_json_ctx *c, const struct sw_finding *f);

/* The payload of a stored anomaly as it is now: rendered from its columns and detail with
 * tenant and store, or the JSON a row written before schema 5 keeps. 0 and a malloc'd string
 * in *ret_json; -EBADMSG: a column or the detail is unreadable; -ENOMEM. */
int sw_anomaly_json_of_row(const struct sw_store_anomaly *a, const char *tenant, const char *store,
                           char **ret_json);

#endif
