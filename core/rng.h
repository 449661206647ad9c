/* Reproducible pseudo-random numbers: splitmix64, and xoshiro256** seeded by it. */
#ifndef SW_RNG_H
#define SW_RNG_H

#include <stdint.h>

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, passes BigCrush. */
static inline uint64_t sw_splitmix64(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* xoshiro256** (Blackman, Vigna 2018): a longer period and four lanes of state. */
struct sw_xoshiro {
        uint64_t s[4]; /* generator state, never all zero */
};

/* The state from four splitmix64 draws from seed. */
static inline void sw_xoshiro_seed(struct sw_xoshiro *r, uint64_t seed)
{
        for (unsigned i = 0; i < 4; i++)
                r->s[i] = sw_splitmix64(&seed);
}

static inline uint64_t sw_xoshiro__rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static inline uint64_t sw_xoshiro_next(struct sw_xoshiro *r)
{
        uint64_t *s = r->s;
        uint64_t result = sw_xoshiro__rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = sw_xoshiro__rotl(s[3], 45);
        return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double sw_xoshiro_unit(struct sw_xoshiro *r)
{
        return (double)(sw_xoshiro_next(r) >> 11) * 0x1.0p-53;
}

#endif
