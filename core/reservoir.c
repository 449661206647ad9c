/* Reservoir sampling (Algorithm R, Vitter 1985) of float vectors in caller memory. */
#include "core/reservoir.h"
#include "core/byte_order.h"

#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <string.h>

#include "core/rng.h"

static const char reservoir_magic[4] = {'S', 'W', 'R', '1'};

/* Uniform in [0, n), n >= 1, without modulo bias (rejects the short top range). */
static uint64_t rng_below(uint64_t *state, uint64_t n)
{
        uint64_t threshold = (0 - n) % n, x;
        do
                x = sw_splitmix64(state);
        while (x < threshold);
        return x % n;
}

size_t sw_reservoir_memory_size(uint32_t capacity, uint32_t dim)
{
        uint64_t floats = (uint64_t)capacity * dim;
        if (capacity == 0 || dim == 0 ||
            floats > (INT_MAX - SW_RESERVOIR_HEADER_SIZE) / sizeof(float) ||
            floats > SIZE_MAX / sizeof(float))
                return 0;
        return (size_t)floats * sizeof(float);
}

int sw_reservoir_init(struct sw_reservoir *r, uint32_t capacity, uint32_t dim, uint64_t seed,
                      void *mem, size_t size)
{
        size_t need = sw_reservoir_memory_size(capacity, dim);
        if (need == 0 || !mem || (uintptr_t)mem % alignof(float) != 0)
                return -EINVAL;
        if (size < need)
                return -ENOBUFS;
        *r = (struct sw_reservoir){.capacity = capacity, .dim = dim, .rng = seed, .rows = mem};
        return 0;
}

static float *row_at(const struct sw_reservoir *r, uint32_t i)
{
        return r->rows + (size_t)i * r->dim;
}

bool sw_reservoir_add(struct sw_reservoir *r, const float *row)
{
        uint64_t slot;
        r->seen++;
        if (r->count < r->capacity) {
                slot = r->count++;
        } else {
                /* Row number seen (1-based) replaces a random held row with probability
                 * capacity/seen. */
                slot = rng_below(&r->rng, r->seen);
                if (slot >= r->capacity)
                        return false;
        }
        memcpy(row_at(r, (uint32_t)slot), row, (size_t)r->dim * sizeof(float));
        return true;
}

uint32_t sw_reservoir_count(const struct sw_reservoir *r)
{
        return r->count;
}

uint64_t sw_reservoir_seen(const struct sw_reservoir *r)
{
        return r->seen;
}

const float *sw_reservoir_rows(const struct sw_reservoir *r)
{
        return r->rows;
}

void sw_reservoir_reset(struct sw_reservoir *r)
{
        r->count = 0;
        r->seen = 0;
}

size_t sw_reservoir_serialized_size(const struct sw_reservoir *r)
{
        return SW_RESERVOIR_HEADER_SIZE + (size_t)r->count * r->dim * sizeof(float);
}

int sw_reservoir_serialize(const struct sw_reservoir *r, void *buf, size_t size)
{
        size_t need = sw_reservoir_serialized_size(r), n = (size_t)r->count * r->dim;
        uint8_t *p = buf;
        if (size < need)
                return -ENOBUFS;
        memcpy(p, reservoir_magic, sizeof(reservoir_magic));
        sw_put_le32(p + 4, r->dim);
        sw_put_le32(p + 8, r->capacity);
        sw_put_le32(p + 12, r->count);
        sw_put_le64(p + 16, r->seen);
        sw_put_le64(p + 24, r->rng);
        p += SW_RESERVOIR_HEADER_SIZE;
        for (size_t i = 0; i < n; i++) {
                uint32_t bits;
                memcpy(&bits, &r->rows[i], sizeof(bits));
                sw_put_le32(p + 4 * i, bits);
        }
        return (int)need; /* fits: memory_size() capped capacity x dim */
}

static void load_row(float *dst, const uint8_t *src, uint32_t dim)
{
        for (uint32_t k = 0; k < dim; k++) {
                uint32_t bits = sw_get_le32(src + 4 * (size_t)k);
                memcpy(&dst[k], &bits, sizeof(bits));
        }
}

int sw_reservoir_deserialize(struct sw_reservoir *r, const void *buf, size_t len)
{
        const uint8_t *p = buf;
        uint32_t dim, saved_capacity, count, kept = 0;
        uint64_t seen, rng;
        size_t row_bytes;

        if (len < SW_RESERVOIR_HEADER_SIZE ||
            memcmp(p, reservoir_magic, sizeof(reservoir_magic)) != 0)
                return -EINVAL;
        dim = sw_get_le32(p + 4);
        saved_capacity = sw_get_le32(p + 8);
        count = sw_get_le32(p + 12);
        seen = sw_get_le64(p + 16);
        rng = sw_get_le64(p + 24);
        row_bytes = (size_t)dim * sizeof(float);
        if (dim != r->dim || count > saved_capacity || seen < count ||
            (len - SW_RESERVOIR_HEADER_SIZE) / row_bytes != count ||
            (len - SW_RESERVOIR_HEADER_SIZE) % row_bytes != 0)
                return -EINVAL;

        p += SW_RESERVOIR_HEADER_SIZE;
        if (count <= r->capacity) {
                for (uint32_t i = 0; i < count; i++)
                        load_row(row_at(r, i), p + i * row_bytes, dim);
                /* A larger reservoir than the one saved cannot tell how the seen rows beyond
                 * the saved ones were sampled: count the saved rows as the first ones seen. */
                if (count < r->capacity && seen > count)
                        seen = count;
        } else {
                /* Selection sampling (Knuth's Algorithm S): a uniform subset of capacity rows,
                 * in one pass and in place; a uniform subset of a uniform sample is uniform. */
                for (uint32_t i = 0; i < count && kept < r->capacity; i++) {
                        if (rng_below(&rng, count - i) < r->capacity - kept)
                                load_row(row_at(r, kept++), p + i * row_bytes, dim);
                }
                count = kept;
        }
        r->count = count;
        r->seen = seen;
        r->rng = rng;
        return 0;
}

void sw_reservoir_restart_window(struct sw_reservoir *r)
{
        r->seen = r->count;
}
