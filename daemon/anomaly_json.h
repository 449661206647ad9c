/* JSON payloads of anomalies for HQ (P/anomaly), per PROTOCOL.md. */
#ifndef SW_ANOMALY_JSON_H
#define SW_ANOMALY_JSON_H

#include <stdint.h>

#include "core/detect.h"
#include "core/ghost.h"
#include "core/sku_table.h"

struct sw_anomaly_json_ctx {
        const char *tenant;             /* store.tenant */
        const char *store;              /* store.id */
        const char *id;                 /* the anomaly id */
        const char *sku;                /* SKU key */
        const char *category;           /* category name, "" if unknown */
        int64_t detected_at;            /* first detection, Unix s */
        double price;                   /* list price used for value */
        int32_t on_hand;                /* book on-hand at detection */
        enum sw_ghost_mode ghost_mode;  /* for ghost metadata */
};

/* Render a finding; returns a malloc'd string the caller frees, or NULL on ENOMEM. */
char *sw_anomaly_json(const struct sw_anomaly_json_ctx *c, const struct sw_finding *f);

#endif
