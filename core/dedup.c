/* Bounded message-id deduplication (FIFO ring + open-addressing index with tombstones). */
#include "core/dedup.h"

#include <errno.h>
#include <string.h>

#include "core/fnv.h"

/* An index slot holds the FIFO position of an id plus 2; these two values are reserved. */
#define EMPTY 0u
#define TOMB  1u

static uint32_t slots_for(uint32_t capacity)
{
        uint32_t n = 16;
        while (n < 2u * capacity)
                n <<= 1;
        return n;
}

size_t sw_dedup_memory_size(uint32_t capacity)
{
        if (capacity == 0 || capacity > (1u << 28))
                return 0;
        return (size_t)capacity * sizeof(uint64_t) + (size_t)slots_for(capacity) * sizeof(uint32_t);
}

int sw_dedup_init(struct sw_dedup *d, uint32_t capacity, void *mem, size_t size)
{
        size_t need = sw_dedup_memory_size(capacity);
        if (need == 0)
                return -EINVAL;
        if (!mem || size < need)
                return -ENOBUFS;
        memset(d, 0, sizeof(*d));
        d->capacity = capacity;
        d->n_slots = slots_for(capacity);
        d->fifo = mem;
        d->slots = (uint32_t *)(void *)(d->fifo + capacity);
        memset(d->slots, 0, (size_t)d->n_slots * sizeof(uint32_t));
        return 0;
}

uint64_t sw_dedup_hash(const char *id, size_t len)
{
        uint64_t h = sw_fnv1a64(id, len);
        return h <= 1 ? h + 2 : h;
}

static uint32_t slot_start(const struct sw_dedup *d, uint64_t hash)
{
        return (uint32_t)((hash ^ (hash >> 29)) * 0x9e3779b97f4a7c15ull >> 32) & (d->n_slots - 1);
}

/* Index slot of hash, or UINT32_MAX. */
static uint32_t find(const struct sw_dedup *d, uint64_t hash)
{
        uint32_t mask = d->n_slots - 1, i = slot_start(d, hash);
        for (uint32_t n = 0; n < d->n_slots; n++, i = (i + 1) & mask) {
                uint32_t v = d->slots[i];
                if (v == EMPTY)
                        return UINT32_MAX;
                if (v != TOMB && d->fifo[v - 2] == hash)
                        return i;
        }
        return UINT32_MAX;
}

bool sw_dedup_contains(const struct sw_dedup *d, uint64_t hash)
{
        /* The same mapping of the reserved values as sw_dedup_hash(). */
        if (hash <= 1)
                hash += 2;
        return find(d, hash) != UINT32_MAX;
}

static void index_put(struct sw_dedup *d, uint64_t hash, uint32_t pos)
{
        uint32_t mask = d->n_slots - 1, i = slot_start(d, hash);
        while (d->slots[i] != EMPTY && d->slots[i] != TOMB)
                i = (i + 1) & mask;
        d->slots[i] = pos + 2;
}

/* Tombstones accumulate with churn; rebuild the index from the FIFO once per lap. */
static void index_rebuild(struct sw_dedup *d)
{
        memset(d->slots, 0, (size_t)d->n_slots * sizeof(uint32_t));
        for (uint32_t k = 0; k < d->count; k++) {
                uint32_t pos = (d->head + d->capacity - d->count + k) % d->capacity;
                index_put(d, d->fifo[pos], pos);
        }
}

int sw_dedup_insert(struct sw_dedup *d, uint64_t hash)
{
        if (hash <= 1)
                hash += 2;
        if (find(d, hash) != UINT32_MAX)
                return 0;
        if (d->count == d->capacity) {
                uint32_t old = find(d, d->fifo[d->head]);
                if (old != UINT32_MAX)
                        d->slots[old] = TOMB;
                d->count--;
        }
        d->fifo[d->head] = hash;
        index_put(d, hash, d->head);
        d->head = (d->head + 1) % d->capacity;
        d->count++;
        if (d->pending < d->capacity)
                d->pending++;
        if (d->head == 0)
                index_rebuild(d);
        return 1;
}

void sw_dedup_for_each_pending(const struct sw_dedup *d, void (*fn)(void *ctx, uint64_t hash),
                               void *ctx)
{
        for (uint32_t k = 0; k < d->pending; k++)
                fn(ctx, d->fifo[(d->head + d->capacity - d->pending + k) % d->capacity]);
}

void sw_dedup_mark_persisted(struct sw_dedup *d)
{
        d->pending = 0;
}

int sw_dedup_forget_newest(struct sw_dedup *d, uint64_t hash)
{
        uint32_t newest, slot;
        if (hash <= 1)
                hash += 2;
        if (d->count == 0)
                return -ENOENT;
        newest = (d->head + d->capacity - 1) % d->capacity;
        slot = find(d, hash);
        if (d->fifo[newest] != hash || slot == UINT32_MAX)
                return -ENOENT;
        d->slots[slot] = TOMB;
        d->head = newest;
        d->count--;
        if (d->pending == 0)
                return 1;
        d->pending--;
        return 0;
}
