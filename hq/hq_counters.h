/* What the ingest counted since start: health, logged and stored with every batch. */
#ifndef HQ_COUNTERS_H
#define HQ_COUNTERS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "hq/hq_message.h"

struct hq_counters {
        uint64_t messages[HQ_KIND_COUNT]; /* valid messages received, per kind */
        uint64_t bad[HQ_BAD_COUNT];       /* refused messages, per reason (acknowledged) */
        uint64_t rows_committed;          /* messages whose row a commit wrote (new or newer) */
        uint64_t duplicates;              /* anomaly at its stored rev again, outcome id again,
                                             summary/status already newer or equal */
        uint64_t stale_revs;              /* anomaly older than the stored rev: ignored */
        uint64_t batches;                 /* transactions committed */
        uint64_t batch_failures;          /* transactions that failed (retried) */
        uint64_t receipts_sent;           /* receipt messages published */
        uint64_t receipt_ids;             /* ids they carried */
        uint64_t receipts_failed;         /* receipt messages the broker link refused */
        uint64_t receipt_ids_dropped;     /* ids never receipted: the receipt queue was full
                                             (their gateways resend them) */
        uint64_t queue_overflows;         /* messages dropped: the ring was full (never, by
                                             design; counted in case) */
        uint64_t read_pauses;             /* times reading paused on a full queue */
        uint64_t db_connects;             /* successful PostgreSQL connections */
        uint64_t mqtt_connects;           /* MQTT CONNACKs */
};

/* {"messages":{kind:N},"bad":{reason:N},...}; NULL on allocation failure. */
cJSON *hq_counters_json(const struct hq_counters *c);

#endif
