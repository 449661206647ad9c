/* Bounded message-id deduplication: a FIFO of 64-bit id hashes with an open-addressing index. */
#ifndef SW_DEDUP_H
#define SW_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Holds the newest `capacity` ids; inserting into a full set forgets the oldest. A
 * redelivery older than that window is counted again: size capacity for the longest
 * redelivery delay expected (the broker's session queue, a device's retry window).
 * Ids are kept as 64-bit hashes: with 65536 ids the chance that two different ids
 * collide is about 1e-10. Hashes 0 and 1 are mapped to 2 and 3.
 */
struct sw_dedup {
        uint32_t capacity; /* ids held at most */
        uint32_t n_slots;  /* index slots, power of two >= 2 x capacity */
        uint32_t head;     /* next FIFO position to write */
        uint32_t count;    /* ids held */
        uint32_t pending;  /* ids inserted since the last sw_dedup_mark_persisted() */
        uint64_t *fifo;    /* [capacity] hashes in insertion order (ring) */
        uint32_t *slots;   /* [n_slots] index: FIFO position + 2; 0 empty, 1 deleted */
};

size_t sw_dedup_memory_size(uint32_t capacity);
/* -EINVAL for capacity 0, -ENOBUFS if size is too small. */
int sw_dedup_init(struct sw_dedup *d, uint32_t capacity, void *mem, size_t size);
/* FNV-1a 64 of an id, never 0 or 1. */
uint64_t sw_dedup_hash(const char *id, size_t len);
bool sw_dedup_contains(const struct sw_dedup *d, uint64_t hash);
/* Insert (no-op if present). Returns 1 if inserted, 0 if it was there. */
int sw_dedup_insert(struct sw_dedup *d, uint64_t hash);
/* Ids inserted since the last mark, oldest first, for persisting: calls fn for each. */
void sw_dedup_for_each_pending(const struct sw_dedup *d, void (*fn)(void *ctx, uint64_t hash),
                               void *ctx);
void sw_dedup_mark_persisted(struct sw_dedup *d);
/* Forget hash when it is the newest id inserted (a message whose effects were undone): 0 when it
 * was still pending persistence, 1 when it had been persisted already (the caller deletes the
 * stored copy), -ENOENT when it is not the newest id held. An older id that the insert pushed out
 * of a full set is not brought back. */
int sw_dedup_forget_newest(struct sw_dedup *d, uint64_t hash);

#endif
