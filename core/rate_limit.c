/* Per-device token buckets: a fixed table with a recency list, idle buckets reused. */
#include "core/rate_limit.h"

#include <errno.h>
#include <string.h>

#include "core/fnv.h"
#include "core/probe.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

static uint32_t sw_rate__slots(uint32_t max_devices)
{
        uint32_t n = 2;
        while (n < 2u * max_devices)
                n *= 2;
        return n;
}

static bool sw_rate__valid(const struct sw_rate_params *p)
{
        /* 2 * max_devices must fit the table's uint32_t size; rate * elapsed must not overflow. */
        return p && p->rate_per_second >= 1 && p->rate_per_second <= 1000000 && p->burst >= 1 &&
               p->burst <= 1000000 && p->max_devices >= 1 && p->max_devices <= (1u << 24);
}

size_t sw_rate_memory_size(const struct sw_rate_params *p)
{
        if (!sw_rate__valid(p))
                return 0;
        return ALIGN8((size_t)p->max_devices * sizeof(struct sw_rate_bucket)) +
               (size_t)sw_rate__slots(p->max_devices) * sizeof(uint32_t);
}

int sw_rate_init(struct sw_rate_limiter *r, const struct sw_rate_params *p, void *memory,
                 size_t size)
{
        size_t need = sw_rate_memory_size(p);
        if (!r || !memory || need == 0)
                return -EINVAL;
        if (size < need)
                return -ENOBUFS;
        memset(memory, 0, need);
        *r = (struct sw_rate_limiter){
            .p = *p,
            .buckets = memory,
            .slots = (uint32_t *)(void *)((char *)memory + ALIGN8((size_t)p->max_devices *
                                                                  sizeof(struct sw_rate_bucket))),
            .slot_count = sw_rate__slots(p->max_devices),
            .newest = SW_RATE_NONE,
            .oldest = SW_RATE_NONE};
        r->overflow.hash = 1;
        r->overflow.milli = (uint64_t)p->burst * 1000;
        r->grants.hash = 1;
        r->grants.milli = (uint64_t)p->max_devices * 1000;
        return 0;
}

/* FNV-1a over the kind and the name, never 0 (0 marks an unused bucket). */
static uint64_t sw_rate__hash(uint8_t kind, const char *s, size_t n)
{
        uint64_t h = sw_fnv1a64_more(sw_fnv1a64(&kind, 1), s, n);
        return h ? h : 1;
}

static uint32_t sw_rate__home(const struct sw_rate_limiter *r, uint64_t hash)
{
        return (uint32_t)(hash ^ (hash >> 32)) & (r->slot_count - 1);
}

/* Tokens (x 1000) bucket b holds at now_ms, at most full; the clock going back adds none. */
static uint64_t sw_rate__level(const struct sw_rate_bucket *b, uint64_t now_ms, uint64_t full,
                               uint32_t rate)
{
        uint64_t elapsed;
        if (now_ms <= b->last_ms)
                return b->milli;
        elapsed = now_ms - b->last_ms;
        if (elapsed >= full) /* enough to fill any bucket, as rate >= 1 */
                return full;
        /* rate is in tokens per second: one ms adds rate milli-tokens. */
        return b->milli + elapsed * rate > full ? full : b->milli + elapsed * rate;
}

/* Refill b to now and take one token; false when it has none. */
static bool sw_rate__take(struct sw_rate_bucket *b, uint64_t now_ms, uint64_t full, uint32_t rate)
{
        b->milli = sw_rate__level(b, now_ms, full, rate);
        if (now_ms > b->last_ms)
                b->last_ms = now_ms;
        if (b->milli < 1000)
                return false;
        b->milli -= 1000;
        return true;
}

static void sw_rate__unlink(struct sw_rate_limiter *r, uint32_t i)
{
        struct sw_rate_bucket *b = &r->buckets[i];
        if (b->newer != SW_RATE_NONE)
                r->buckets[b->newer].older = b->older;
        else
                r->newest = b->older;
        if (b->older != SW_RATE_NONE)
                r->buckets[b->older].newer = b->newer;
        else
                r->oldest = b->newer;
}

static void sw_rate__push_newest(struct sw_rate_limiter *r, uint32_t i)
{
        struct sw_rate_bucket *b = &r->buckets[i];
        b->newer = SW_RATE_NONE;
        b->older = r->newest;
        if (r->newest != SW_RATE_NONE)
                r->buckets[r->newest].newer = i;
        r->newest = i;
        if (r->oldest == SW_RATE_NONE)
                r->oldest = i;
}

/* Index slot of (kind, name), or the empty slot that ends its probe (load <= 1/2). */
static uint32_t sw_rate__probe(const struct sw_rate_limiter *r, uint64_t h, uint8_t kind,
                               const char *name, size_t n)
{
        uint32_t mask = r->slot_count - 1;
        for (uint32_t i = sw_rate__home(r, h);; i = (i + 1) & mask) {
                uint32_t v = r->slots[i];
                if (v == 0)
                        return i;
                const struct sw_rate_bucket *b = &r->buckets[v - 1];
                if (b->hash == h && b->kind == kind && strncmp(b->name, name, n) == 0 &&
                    b->name[n] == '\0')
                        return i;
        }
}

/* The home slot of index entry e (bucket e - 1). */
static uint32_t sw_rate__entry_home(const void *ctx, uint32_t e)
{
        const struct sw_rate_limiter *r = ctx;
        return sw_rate__home(r, r->buckets[e - 1].hash);
}

/* A bucket for a new device: a free one, else the least recently used idle one. */
static int sw_rate__claim(struct sw_rate_limiter *r, uint64_t now_ms, uint32_t *ret)
{
        uint64_t full = (uint64_t)r->p.burst * 1000;
        uint32_t i = r->oldest;
        if (r->devices < r->p.max_devices) {
                *ret = r->devices++;
                return 0;
        }
        for (int n = 0; n < SW_RATE_EVICT_SCAN && i != SW_RATE_NONE; n++, i = r->buckets[i].newer) {
                struct sw_rate_bucket *b = &r->buckets[i];
                if (sw_rate__level(b, now_ms, full, r->p.rate_per_second) < full)
                        continue;
                sw_probe_delete(r->slots, r->slot_count,
                                sw_rate__probe(r, b->hash, b->kind, b->name, strlen(b->name)),
                                sw_rate__entry_home, r);
                sw_rate__unlink(r, i);
                r->reused++;
                *ret = i;
                return 0;
        }
        return -ENOSPC;
}

static struct sw_rate_bucket *sw_rate__find(struct sw_rate_limiter *r, uint8_t kind,
                                            const char *name, size_t n, uint64_t now_ms)
{
        uint64_t h = sw_rate__hash(kind, name, n);
        uint32_t slot = sw_rate__probe(r, h, kind, name, n), i;
        if (r->slots[slot] != 0) {
                i = r->slots[slot] - 1;
                sw_rate__unlink(r, i);
                sw_rate__push_newest(r, i);
                return &r->buckets[i];
        }
        uint64_t grants_full = (uint64_t)r->p.max_devices * 1000;
        if (sw_rate__level(&r->grants, now_ms, grants_full, r->p.rate_per_second) < 1000 ||
            sw_rate__claim(r, now_ms, &i) < 0) {
                r->overflow_hits++;
                return &r->overflow;
        }
        (void)sw_rate__take(&r->grants, now_ms, grants_full, r->p.rate_per_second);
        struct sw_rate_bucket *b = &r->buckets[i];
        *b = (struct sw_rate_bucket){
            .hash = h, .kind = kind, .last_ms = now_ms, .milli = (uint64_t)r->p.burst * 1000};
        memcpy(b->name, name, n);
        b->name[n] = '\0';
        /* The eviction may have shifted the probe run: find the empty slot again. */
        r->slots[sw_rate__probe(r, h, kind, name, n)] = i + 1;
        sw_rate__push_newest(r, i);
        return b;
}

bool sw_rate_allow(struct sw_rate_limiter *r, uint8_t kind, const char *name, size_t name_len,
                   uint64_t now_ms)
{
        struct sw_rate_bucket *b;
        if (!r || !r->slots)
                return true;
        if (!name)
                name_len = 0;
        if (name_len > SW_RATE_DEVICE_MAX_LEN)
                name_len = SW_RATE_DEVICE_MAX_LEN;
        b = sw_rate__find(r, kind, name ? name : "", name_len, now_ms);
        if (!sw_rate__take(b, now_ms, (uint64_t)r->p.burst * 1000, r->p.rate_per_second)) {
                r->limited++;
                return false;
        }
        r->allowed++;
        return true;
}
