/* The in-memory queue of parsed messages awaiting a batch commit: bounded, FIFO. */
#include "hq/hq_queue.h"

#include <errno.h>
#include <stdlib.h>

int hq_queue_init(struct hq_queue *q, uint32_t max_messages, size_t max_bytes, uint32_t slack)
{
        if (!q || max_messages == 0 || max_bytes == 0 || slack > UINT32_MAX - max_messages)
                return -EINVAL;
        *q = (struct hq_queue){
            .capacity = max_messages + slack, .max_messages = max_messages, .max_bytes = max_bytes};
        q->items = calloc(q->capacity, sizeof(*q->items));
        q->arrived_ms = calloc(q->capacity, sizeof(*q->arrived_ms));
        if (!q->items || !q->arrived_ms) {
                hq_queue_free(q);
                return -ENOMEM;
        }
        return 0;
}

void hq_queue_free(struct hq_queue *q)
{
        if (!q)
                return;
        if (q->items)
                hq_queue_pop(q, q->count);
        free(q->items);
        free(q->arrived_ms);
        q->items = NULL;
        q->arrived_ms = NULL;
        q->count = 0;
}

int hq_queue_push(struct hq_queue *q, struct hq_msg *m, uint64_t now_ms)
{
        uint32_t slot;
        if (q->count >= q->capacity)
                return -ENOBUFS;
        slot = (q->head + q->count) % q->capacity;
        q->items[slot] = *m;
        q->arrived_ms[slot] = now_ms;
        q->count++;
        q->bytes += m->row_len;
        *m = (struct hq_msg){0};
        return 0;
}

struct hq_msg *hq_queue_at(struct hq_queue *q, uint32_t i)
{
        return &q->items[(q->head + i) % q->capacity];
}

void hq_queue_pop(struct hq_queue *q, uint32_t n)
{
        if (n > q->count)
                n = q->count;
        for (uint32_t i = 0; i < n; i++) {
                struct hq_msg *m = &q->items[q->head];
                q->bytes -= m->row_len;
                hq_msg_clear(m);
                q->head = (q->head + 1) % q->capacity;
        }
        q->count -= n;
}

bool hq_queue_accepting(const struct hq_queue *q)
{
        return q->count < q->max_messages && q->bytes < q->max_bytes;
}

uint64_t hq_queue_deadline_ms(const struct hq_queue *q, uint32_t max_latency_ms)
{
        if (q->count == 0)
                return UINT64_MAX;
        return q->arrived_ms[q->head] + max_latency_ms;
}

bool hq_queue_due(const struct hq_queue *q, uint32_t batch_size, uint32_t max_latency_ms,
                  uint64_t now_ms)
{
        if (q->count == 0)
                return false;
        return q->count >= batch_size || now_ms >= hq_queue_deadline_ms(q, max_latency_ms);
}
