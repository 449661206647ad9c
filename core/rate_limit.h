/* Per-device token buckets in a fixed table: a flood from one device cannot starve the others. */
#ifndef SW_RATE_LIMIT_H
#define SW_RATE_LIMIT_H

/*
 * Each device (a name such as a register, sensor or scanner id) gets a token bucket that holds
 * up to burst tokens and refills at rate tokens per second; a message takes one token or is
 * refused. The table has a fixed number of slots, sized by the caller at start-up: the first
 * max_devices names each get a slot and keep it; every name after that shares one overflow
 * bucket (so a flood of made-up device names costs no memory and cannot take slots away from
 * real devices, but those names throttle each other). Time is passed in (monotonic ms).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_RATE_DEVICE_MAX_LEN 64 /* longer device names are cut to this many bytes */

struct sw_rate_params {
        uint32_t rate_per_second; /* refill, tokens per second, >= 1 */
        uint32_t burst;           /* bucket size, >= 1 */
        uint32_t max_devices;     /* slots with their own bucket, >= 1 */
};

/* One bucket. */
struct sw_rate_bucket {
        uint64_t hash;                         /* hash of the device name; 0 = free slot */
        uint64_t last_ms;                      /* time of the last refill */
        uint64_t milli;                        /* tokens x 1000 (sub-token refills add up) */
        char name[SW_RATE_DEVICE_MAX_LEN + 1]; /* the device name (a hash collision check) */
};

/* The table; storage comes from the caller. */
struct sw_rate_limiter {
        struct sw_rate_params p;        /* limits */
        struct sw_rate_bucket *slots;   /* [slot_count]: open addressing, linear probing */
        uint32_t slot_count;            /* power of two >= 2 * max_devices */
        uint32_t devices;               /* slots in use, <= p.max_devices */
        struct sw_rate_bucket overflow; /* shared by every device beyond max_devices */
        uint64_t allowed;               /* messages let through */
        uint64_t limited;               /* messages refused */
        uint64_t overflow_hits;         /* messages from devices that share the overflow bucket */
};

/* Bytes of storage sw_rate_init() needs for these parameters (0 if they are invalid). */
size_t sw_rate_memory_size(const struct sw_rate_params *p);
/* Initialise over memory (size bytes, aligned for uint64_t). Returns 0, or -EINVAL (bad
 * params, NULL) or -ENOBUFS (size < sw_rate_memory_size()). */
int sw_rate_init(struct sw_rate_limiter *r, const struct sw_rate_params *p, void *memory,
                 size_t size);
/* Take a token for device (name_len bytes, not NUL-terminated) at now_ms. Returns true when the
 * message may pass, false when the device is over its limit. A clock going backwards refills
 * nothing. */
bool sw_rate_allow(struct sw_rate_limiter *r, const char *device, size_t name_len, uint64_t now_ms);

#endif
