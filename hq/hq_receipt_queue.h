/* Receipts of committed messages waiting for the receipt link: merged per store, bounded. */
#ifndef HQ_RECEIPT_QUEUE_H
#define HQ_RECEIPT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "hq/hq_receipt.h"

/*
 * The broker lets a client have only a few QoS 1 publishes in flight (mosquitto: its
 * max_inflight_messages, 20 by default, sent as Receive Maximum), so receipts leave more slowly
 * than a busy ingest commits. They wait here, not in libmosquitto's unbounded queue: the loop
 * hands over only what the link's window takes, and the rest keeps merging, so under load a
 * store gets one receipt for several batches instead of one per batch, and nobody waits for a
 * PUBACK. At most `capacity` ids wait; beyond, new ids are dropped and counted (their gateways
 * resend the rows, which come back as duplicates and are receipted then).
 */
struct hq_receipt_queue {
        struct hq_receipt_item *items; /* ids waiting; each item's strings are one allocation
                                          starting at its tenant */
        size_t count;                  /* items waiting */
        size_t capacity;               /* items allocated: the bound */
};

/* Returns 0, -EINVAL (capacity 0), -ENOMEM. */
int hq_receipt_queue_init(struct hq_receipt_queue *q, size_t capacity);
void hq_receipt_queue_free(struct hq_receipt_queue *q);

/* Copy one confirmed id in. Returns 0, -ENOBUFS (full: dropped), -ENOMEM. */
int hq_receipt_queue_add(struct hq_receipt_queue *q, const char *tenant, const char *store,
                         const char *id, int64_t rev);

/*
 * Emit at most max_messages receipts, {"v":"1.1","ids":[...]} per store with at most max_ids
 * ids (one per id: its highest rev), and forget what was emitted. emit returning -EAGAIN stops
 * the walk and keeps that receipt's ids for a later call; any other negative return drops them
 * (*ret_dropped counts the ids). Returns the messages emitted, or -EINVAL (max_ids 0).
 */
int hq_receipt_queue_flush(struct hq_receipt_queue *q, uint32_t max_ids, size_t max_messages,
                           hq_receipt_emit_fn emit, void *ctx, uint64_t *ret_dropped);

#endif
