/* Receipts: what a committed batch confirms to each store, on P/hq/receipt (PROTOCOL 1.1). */
#ifndef HQ_RECEIPT_H
#define HQ_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hq/hq_message.h"

/* One confirmed message: the anomaly's stored rev (covers the one received), or 1 for an
 * outcome. Pointers borrow from the batch's messages. */
struct hq_receipt_item {
        const char *tenant; /* topic tenant */
        const char *store;  /* topic store */
        const char *id;     /* anomaly or outcome id */
        int64_t rev;        /* rev stored in the database for it */
};

/* Called once per receipt message; a negative return stops the walk and is returned. */
typedef int (*hq_receipt_emit_fn)(void *ctx, const char *tenant, const char *store,
                                  const char *payload);

/*
 * Sort items by store and id (in place), keep one per id (the highest rev), and call emit with
 * {"v":"1.1","ids":[{"id":"...","rev":N},...]} for each store, at most max_ids ids a message.
 * Returns the number of messages emitted, emit's negative return, -EINVAL (max_ids 0) or
 * -ENOMEM.
 */
int hq_receipts_emit(struct hq_receipt_item *items, size_t n, uint32_t max_ids,
                     hq_receipt_emit_fn emit, void *ctx);

/* qsort order: tenant, store, id, the highest rev first. */
int hq_receipt_item_compare(const void *a, const void *b);
bool hq_receipt_same_store(const struct hq_receipt_item *a, const struct hq_receipt_item *b);
/* One message for items[from, to) (one store, distinct ids): emit's return, or -ENOMEM. */
int hq_receipt_emit_one(const struct hq_receipt_item *items, size_t from, size_t to,
                        hq_receipt_emit_fn emit, void *ctx);

#endif
