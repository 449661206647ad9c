/* Receipts of committed messages waiting for the receipt link: merged per store, bounded. */
#include "hq/hq_receipt_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hq_receipt_queue_init(struct hq_receipt_queue *q, size_t capacity)
{
        if (capacity == 0)
                return -EINVAL;
        *q = (struct hq_receipt_queue){.capacity = capacity};
        q->items = calloc(capacity, sizeof(*q->items));
        return q->items ? 0 : -ENOMEM;
}

static void free_item(struct hq_receipt_item *it)
{
        free((char *)it->tenant);
        *it = (struct hq_receipt_item){0};
}

void hq_receipt_queue_free(struct hq_receipt_queue *q)
{
        if (!q)
                return;
        for (size_t i = 0; i < q->count; i++)
                free_item(&q->items[i]);
        free(q->items);
        *q = (struct hq_receipt_queue){0};
}

int hq_receipt_queue_add(struct hq_receipt_queue *q, const char *tenant, const char *store,
                         const char *id, int64_t rev)
{
        size_t lt = strlen(tenant) + 1, ls = strlen(store) + 1, li = strlen(id) + 1;
        char *block;
        if (q->count >= q->capacity)
                return -ENOBUFS;
        block = malloc(lt + ls + li);
        if (!block)
                return -ENOMEM;
        memcpy(block, tenant, lt);
        memcpy(block + lt, store, ls);
        memcpy(block + lt + ls, id, li);
        q->items[q->count++] = (struct hq_receipt_item){
            .tenant = block, .store = block + lt, .id = block + lt + ls, .rev = rev};
        return 0;
}

/* The end of the receipt that starts at items[from]: one store, at most max_ids distinct ids.
 * Lower revs of an id right behind it are freed and marked (tenant NULL) on the way. */
static size_t receipt_end(struct hq_receipt_item *items, size_t n, size_t from, uint32_t max_ids)
{
        size_t i = from + 1, ids = 1, last = from;
        for (; i < n && hq_receipt_same_store(&items[from], &items[i]); i++) {
                if (strcmp(items[last].id, items[i].id) == 0) {
                        free_item(&items[i]); /* sorted: a lower or equal rev of the same id */
                        continue;
                }
                if (ids == max_ids)
                        break;
                ids++;
                last = i;
        }
        return i;
}

/* Copy the ids of [from, to) that are still there (tenant not NULL) into a dense run. */
static size_t gather(struct hq_receipt_item *items, size_t from, size_t to,
                     struct hq_receipt_item *out)
{
        size_t k = 0;
        for (size_t i = from; i < to; i++)
                if (items[i].tenant)
                        out[k++] = items[i];
        return k;
}

int hq_receipt_queue_flush(struct hq_receipt_queue *q, uint32_t max_ids, size_t max_messages,
                           hq_receipt_emit_fn emit, void *ctx, uint64_t *ret_dropped)
{
        size_t from = 0, kept = 0;
        int sent = 0;
        if (max_ids == 0)
                return -EINVAL;
        if (q->count == 0 || max_messages == 0)
                return 0;
        qsort(q->items, q->count, sizeof(*q->items), hq_receipt_item_compare);
        while (from < q->count && (size_t)sent < max_messages) {
                size_t to = receipt_end(q->items, q->count, from, max_ids);
                /* the run is dense at its start: gather in place */
                size_t n = gather(q->items, from, to, q->items + from);
                int r = hq_receipt_emit_one(q->items, from, from + n, emit, ctx);
                for (size_t i = from + n; i < to; i++)
                        q->items[i] = (struct hq_receipt_item){0};
                if (r == -EAGAIN)
                        break;
                if (r < 0 && ret_dropped)
                        *ret_dropped += n;
                for (size_t i = from; i < from + n; i++)
                        free_item(&q->items[i]);
                if (r >= 0)
                        sent++;
                from = to;
        }
        for (size_t i = 0; i < q->count; i++) /* what is left moves to the front */
                if (q->items[i].tenant)
                        q->items[kept++] = q->items[i];
        for (size_t i = kept; i < q->count; i++)
                q->items[i] = (struct hq_receipt_item){0};
        q->count = kept;
        return sent;
}
