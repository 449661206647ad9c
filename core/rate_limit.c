/* Per-device token buckets: fixed open-addressing table plus one shared overflow bucket. */
#include "core/rate_limit.h"

#include <errno.h>
#include <string.h>

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
        return (size_t)sw_rate__slots(p->max_devices) * sizeof(struct sw_rate_bucket);
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
            .p = *p, .slots = memory, .slot_count = sw_rate__slots(p->max_devices)};
        r->overflow.hash = 1;
        r->overflow.milli = (uint64_t)p->burst * 1000;
        return 0;
}

/* FNV-1a, never 0 (0 marks a free slot). */
static uint64_t sw_rate__hash(const char *s, size_t n)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (size_t i = 0; i < n; i++) {
                h ^= (uint8_t)s[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h ? h : 1;
}

static struct sw_rate_bucket *sw_rate__find(struct sw_rate_limiter *r, const char *name, size_t n,
                                            uint64_t now_ms)
{
        uint64_t h = sw_rate__hash(name, n);
        uint32_t mask = r->slot_count - 1;
        for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
                struct sw_rate_bucket *b = &r->slots[i];
                if (b->hash == h && strncmp(b->name, name, n) == 0 && b->name[n] == '\0')
                        return b;
                if (b->hash == 0) {
                        /* Load stays <= 1/2, so a free slot ends every probe. */
                        if (r->devices >= r->p.max_devices)
                                break;
                        r->devices++;
                        b->hash = h;
                        memcpy(b->name, name, n);
                        b->name[n] = '\0';
                        b->last_ms = now_ms;
                        b->milli = (uint64_t)r->p.burst * 1000;
                        return b;
                }
        }
        r->overflow_hits++;
        return &r->overflow;
}

bool sw_rate_allow(struct sw_rate_limiter *r, const char *device, size_t name_len, uint64_t now_ms)
{
        struct sw_rate_bucket *b;
        uint64_t full, elapsed;
        if (!r || !r->slots)
                return true;
        if (!device)
                name_len = 0;
        if (name_len > SW_RATE_DEVICE_MAX_LEN)
                name_len = SW_RATE_DEVICE_MAX_LEN;
        b = sw_rate__find(r, device ? device : "", name_len, now_ms);
        full = (uint64_t)r->p.burst * 1000;
        if (now_ms > b->last_ms) {
                elapsed = now_ms - b->last_ms;
                /* rate is in tokens per second: one ms adds rate milli-tokens. */
                if (elapsed >= full) /* enough to fill any bucket, as rate >= 1 */
                        b->milli = full;
                else
                        b->milli = b->milli + elapsed * r->p.rate_per_second > full
                                       ? full
                                       : b->milli + elapsed * r->p.rate_per_second;
                b->last_ms = now_ms;
        }
        if (b->milli < 1000) {
                r->limited++;
                return false;
        }
        b->milli -= 1000;
        r->allowed++;
        return true;
}
