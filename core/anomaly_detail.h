/* The stored detail of an anomaly: what its P/anomaly payload needs beyond the row's columns. */
#ifndef SW_ANOMALY_DETAIL_H
#define SW_ANOMALY_DETAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/detect.h"
#include "core/features_scaled.h"
#include "core/ml_cause.h"
#include "core/ghost.h"

/*
 * An anomaly row keeps id, type, severity, status, SKU, category, episode start, times, score,
 * probability and value as columns; the detail is the rest, in a compact versioned binary
 * form (little-endian): the detection day, action, description, the SKU's book on-hand and
 * price as the detection saw them, and the detector's evidence. The payload is rendered from
 * both when it is sent or listed; the detail is about a quarter of the JSON's bytes.
 */
struct sw_anomaly_snapshot {
        int32_t on_hand;               /* book on-hand at the detection */
        double price;                  /* list price used for the value */
        enum sw_ghost_mode ghost_mode; /* the ghost detector's mode (ghost metadata) */
};

/* Bytes the longest detail takes (an ml_detected one with a 191-byte description). */
#define SW_ANOMALY_DETAIL_MAX 336

/* Encode f's as_of, action, description and evidence (by f->type) with the snapshot.
 * Returns the length; -EINVAL on NULL or an out-of-range enum; -ENOBUFS if size is short. */
int sw_anomaly_detail_encode(const struct sw_finding *f, const struct sw_anomaly_snapshot *snap,
                             uint8_t *buf, size_t size);

/* Decode a detail written for an anomaly of type `type` into ret_f's as_of, action,
 * description (NUL-terminated) and evidence, and ret_snap; the other fields of ret_f are left
 * as they are (the row's columns hold them). -EBADMSG: not a detail of this version and type,
 * or not exactly its length; nothing is written then. */
int sw_anomaly_detail_decode(const uint8_t *buf, size_t len, enum sw_anomaly_type type,
                             struct sw_finding *ret_f, struct sw_anomaly_snapshot *ret_snap);

#endif
