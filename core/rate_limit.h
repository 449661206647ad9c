/* Per-device token buckets in a fixed table: a flood from one device cannot starve the others. */
#ifndef SW_RATE_LIMIT_H
#define SW_RATE_LIMIT_H

/*
 * Each device (a kind, such as "pos" or "scanner", and a name, such as a register, sensor or
 * scanner id) gets a token bucket that holds up to burst tokens and refills at rate tokens per
 * second; a message takes one token or is refused. The same name under two kinds is two
 * devices: a flood on pos/hh-3 does not touch scanner/hh-3.
 *
 * The table has max_devices buckets, sized by the caller at start-up. When it is full, a new
 * device takes over the least recently used bucket that is idle (refilled to burst: it holds
 * nothing a fresh bucket would not), so made-up names that went quiet cannot keep real devices
 * out. Taking a bucket for a new name costs a token of a "new devices" bucket (refilled at
 * rate, holding up to max_devices), so rotating names buys a flood no more than rate messages
 * a second. A device that finds neither an idle bucket nor a token shares one overflow bucket
 * with every other such device. Time is passed in (monotonic ms).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_RATE_DEVICE_MAX_LEN 64         /* longer device names are cut to this many bytes */
#define SW_RATE_NONE           UINT32_MAX /* no bucket (ends of the recency list) */
#define SW_RATE_EVICT_SCAN     8 /* least recently used buckets looked at for an idle one */

struct sw_rate_params {
        uint32_t rate_per_second; /* refill, tokens per second, >= 1 */
        uint32_t burst;           /* bucket size, >= 1 */
        uint32_t max_devices;     /* buckets in the table, >= 1 */
};

/* One bucket. */
struct sw_rate_bucket {
        uint64_t hash;                         /* hash of kind and name; 0 = unused */
        uint64_t last_ms;                      /* time of the last refill */
        uint64_t milli;                        /* tokens x 1000 (sub-token refills add up) */
        uint32_t newer;                        /* next more recently used bucket, or SW_RATE_NONE */
        uint32_t older;                        /* next less recently used bucket, or SW_RATE_NONE */
        uint8_t kind;                          /* the caller's device kind */
        char name[SW_RATE_DEVICE_MAX_LEN + 1]; /* the device name (a hash collision check) */
};

/* The table; storage comes from the caller. */
struct sw_rate_limiter {
        struct sw_rate_params p; /* limits */
        struct sw_rate_bucket
            *buckets;        /* [max_devices], never moved (the recency list links them) */
        uint32_t *slots;     /* [slot_count] index, linear probing: bucket + 1, 0 empty */
        uint32_t slot_count; /* power of two >= 2 * max_devices */
        uint32_t devices;    /* buckets in use, <= p.max_devices */
        uint32_t newest;     /* most recently used bucket, SW_RATE_NONE when empty */
        uint32_t oldest;     /* least recently used bucket, SW_RATE_NONE when empty */
        struct sw_rate_bucket overflow; /* shared by devices that found no bucket */
        struct sw_rate_bucket grants; /* tokens for new buckets: rate per s, max_devices at most */
        uint64_t allowed;             /* messages let through */
        uint64_t limited;             /* messages refused */
        uint64_t overflow_hits;       /* messages from devices that share the overflow bucket */
        uint64_t reused;              /* idle buckets handed to another device */
};

/* Bytes of storage sw_rate_init() needs for these parameters (0 if they are invalid). */
size_t sw_rate_memory_size(const struct sw_rate_params *p);
/* Initialise over memory (size bytes, aligned for uint64_t). Returns 0, or -EINVAL (bad
 * params, NULL) or -ENOBUFS (size < sw_rate_memory_size()). */
int sw_rate_init(struct sw_rate_limiter *r, const struct sw_rate_params *p, void *memory,
                 size_t size);
/* Take a token for the device (kind, name of name_len bytes, not NUL-terminated) at now_ms.
 * Returns true when the message may pass, false when the device is over its limit. A clock
 * going backwards refills nothing. */
bool sw_rate_allow(struct sw_rate_limiter *r, uint8_t kind, const char *name, size_t name_len,
                   uint64_t now_ms);

#endif
