/* bench_rng.h: the benchmark programs' random numbers: xorshift64, one stream per program. */
#ifndef SW_BENCH_RNG_H
#define SW_BENCH_RNG_H

#include <stdint.h>

/* The stream's state; a program may mix a seed into it before the first draw. */
static uint64_t bench_rand_state = 0x9e3779b97f4a7c15ull;

/* The next 32 random bits (the state's high half after one xorshift step). */
static uint32_t bench_rand(void)
{
        bench_rand_state ^= bench_rand_state << 13;
        bench_rand_state ^= bench_rand_state >> 7;
        bench_rand_state ^= bench_rand_state << 17;
        return (uint32_t)(bench_rand_state >> 32);
}

#endif
