/* Fixed-capacity reservoir sample (Algorithm R) of float vectors: the forest's training set. */
#ifndef SW_RESERVOIR_H
#define SW_RESERVOIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * After n rows were offered, every one of them is held with probability capacity / n
 * (all of them while n <= capacity). The caller provides capacity x dim floats once;
 * the PRNG (splitmix64) lives in the struct, so a seed makes a run reproducible.
 */
struct sw_reservoir {
        uint32_t capacity; /* rows held at most, >= 1 */
        uint32_t dim;      /* floats per row, >= 1 */
        uint32_t count;    /* rows held, <= capacity */
        uint64_t seen;     /* rows offered since init or reset */
        uint64_t rng;      /* splitmix64 state */
        float *rows;       /* [capacity * dim] row-major; the first count rows are in use */
};

/* Bytes of caller memory for capacity rows of dim floats; 0 when either is 0 or the
 * serialised form would not fit an int (capacity x dim > 536 million). */
size_t sw_reservoir_memory_size(uint32_t capacity, uint32_t dim);
/* Initialise empty over mem (float-aligned). -EINVAL on a zero size or unaligned mem,
 * -ENOBUFS when size is too small. */
int sw_reservoir_init(struct sw_reservoir *r, uint32_t capacity, uint32_t dim, uint64_t seed,
                      void *mem, size_t size);
/* Offer one row of dim floats: true if it was kept (possibly replacing an older row). */
bool sw_reservoir_add(struct sw_reservoir *r, const float *row);
/* Rows held. */
uint32_t sw_reservoir_count(const struct sw_reservoir *r);
/* Rows offered since init or reset. */
uint64_t sw_reservoir_seen(const struct sw_reservoir *r);
/* The rows held: count() rows of dim floats, contiguous, in no meaningful order. */
const float *sw_reservoir_rows(const struct sw_reservoir *r);
/* Empty the reservoir; the PRNG continues where it was (no reseeding). */
void sw_reservoir_reset(struct sw_reservoir *r);
/* Keep the rows but count only them as seen: rows added from now on replace held ones
 * with probability capacity/(count + k), close to 1 at first, so after each training the
 * sample leans to recent data (a window of about capacity / rows-per-day days). */
void sw_reservoir_restart_window(struct sw_reservoir *r);

/*
 * Persistence, little-endian: "SWR1", u32 dim, u32 capacity, u32 count, u64 seen,
 * u64 PRNG state, then count x dim IEEE-754 floats. A saved reservoir restores into one
 * of the same dim and any capacity: a larger one keeps every row and restarts the
 * count of seen rows at count; a smaller one keeps a uniform random subset (the sample
 * stays uniform over the rows seen).
 */
#define SW_RESERVOIR_HEADER_SIZE 32
/* Bytes sw_reservoir_serialize() writes for r. */
size_t sw_reservoir_serialized_size(const struct sw_reservoir *r);
/* Returns the length written, or -ENOBUFS when size is too small. */
int sw_reservoir_serialize(const struct sw_reservoir *r, void *buf, size_t size);
/* Replace r's contents with a saved reservoir. -EINVAL for a malformed blob or another
 * dim; r is unchanged on failure. */
int sw_reservoir_deserialize(struct sw_reservoir *r, const void *buf, size_t len);

#endif
