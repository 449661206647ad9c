/* The in-memory queue of parsed messages awaiting a batch commit: bounded, FIFO. */
#ifndef HQ_QUEUE_H
#define HQ_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hq/hq_message.h"

/*
 * libmosquitto acknowledges a QoS 1 message as it reads it, so a message read must be kept:
 * the queue never refuses one it has room for. The loop stops reading the socket once
 * hq_queue_accepting() is false (limits.queue_messages or limits.queue_bytes reached); one
 * pass can still add up to `slack` messages (broker.max_reads_per_pass), which the ring has
 * room for beyond queue_messages. queue_bytes is therefore a soft cap, exceeded by at most
 * slack rows.
 */
struct hq_queue {
        struct hq_msg *items;  /* ring of capacity messages */
        uint64_t *arrived_ms;  /* monotonic arrival time of each */
        uint32_t capacity;     /* ring size: max_messages + slack */
        uint32_t max_messages; /* reading pauses at this many */
        size_t max_bytes;      /* ... or at this many row bytes */
        uint32_t head;         /* index of the oldest message */
        uint32_t count;        /* messages queued */
        size_t bytes;          /* sum of their row_len */
};

/* Returns 0, -EINVAL (a zero size), -ENOMEM. */
int hq_queue_init(struct hq_queue *q, uint32_t max_messages, size_t max_bytes, uint32_t slack);
/* Clears every queued message and frees the ring. NULL-safe. */
void hq_queue_free(struct hq_queue *q);

/* Take ownership of *m (its row) at monotonic now_ms. -ENOBUFS when the ring is full (only if
 * a pass read more than slack messages past the limit): m is left to the caller. */
int hq_queue_push(struct hq_queue *q, struct hq_msg *m, uint64_t now_ms);
/* The i-th oldest message, i < count. */
struct hq_msg *hq_queue_at(struct hq_queue *q, uint32_t i);
/* Clear and drop the n oldest (after they were committed or refused). */
void hq_queue_pop(struct hq_queue *q, uint32_t n);

/* False once max_messages or max_bytes is reached: stop reading from the broker. */
bool hq_queue_accepting(const struct hq_queue *q);
/* A batch is due: batch_size messages are waiting, or the oldest waited max_latency_ms. */
bool hq_queue_due(const struct hq_queue *q, uint32_t batch_size, uint32_t max_latency_ms,
                  uint64_t now_ms);
/* When the oldest message's latency runs out; UINT64_MAX when the queue is empty. */
uint64_t hq_queue_deadline_ms(const struct hq_queue *q, uint32_t max_latency_ms);

#endif
