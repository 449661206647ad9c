/* FNV-1a hashes of bytes: SKU and category keys, dedup ids, persisted blobs' checksums. */
#ifndef SW_FNV_H
#define SW_FNV_H

#include <stddef.h>
#include <stdint.h>

/* Fast and well spread for table keys; a checksum against torn or bit-flipped data, not a
 * defence against tampering. */
static inline uint32_t sw_fnv1a32(const void *data, size_t n)
{
        const uint8_t *p = data;
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 16777619u;
        }
        return h;
}

/* The 64-bit hash h of some bytes, carried on over n more: sw_fnv1a64 of both joined. */
static inline uint64_t sw_fnv1a64_more(uint64_t h, const void *data, size_t n)
{
        const uint8_t *p = data;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 1099511628211ull;
        }
        return h;
}

static inline uint64_t sw_fnv1a64(const void *data, size_t n)
{
        return sw_fnv1a64_more(14695981039346656037ull, data, n);
}

#endif
