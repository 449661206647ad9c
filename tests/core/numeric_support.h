/* Test support for the numeric core tests: a tolerance check and a reproducible random stream. */
#ifndef SW_TEST_NUMERIC_SUPPORT_H
#define SW_TEST_NUMERIC_SUPPORT_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/rng.h"

/* Fail the test unless got is within tol of want (a NaN is never close). */
static inline void assert_close(double got, double want, double tol)
{
        if (!(fabs(got - want) <= tol))
                fail_msg("got %.15g, want %.15g (tol %g)", got, want, tol);
}

/* splitmix64: the next 64 random bits of the stream at *state, so that runs are reproducible. */
static inline uint64_t rng_next(uint64_t *state)
{
        return sw_splitmix64(state);
}

/* Uniform in [0, 1): the top 53 bits of rng_next. */
static inline double rng_uniform(uint64_t *state)
{
        return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

#endif
