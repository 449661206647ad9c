/* rng.c: the simulator's random numbers: core/rng.h's xoshiro256** streams, distributions. */
#include <math.h>
#include <stdint.h>

#include "storesim.h"

void sim_seed(struct sim_rng *rng, uint64_t seed)
{
        sw_xoshiro_seed(&rng->x, seed);
}

/* Uniform in [0, 1). */
double sim_uniform(struct sim_rng *rng)
{
        return sw_xoshiro_unit(&rng->x);
}

/* Uniform in [lo, hi). */
double sim_between(struct sim_rng *rng, double lo, double hi)
{
        return lo + (hi - lo) * sim_uniform(rng);
}

/* Uniform integer in [0, n), n > 0. */
unsigned sim_below(struct sim_rng *rng, unsigned n)
{
        return (unsigned)(sim_uniform(rng) * n);
}

double sim_normal(struct sim_rng *rng)
{
        double u1 = 1.0 - sim_uniform(rng), u2 = sim_uniform(rng);
        return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape, 1) by Marsaglia and Tsang. */
double sim_gamma(struct sim_rng *rng, double shape)
{
        if (shape < 1.0)
                return sim_gamma(rng, shape + 1.0) * pow(1.0 - sim_uniform(rng), 1.0 / shape);
        double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
        for (;;) {
                double x = sim_normal(rng), v = 1.0 + c * x;
                if (v <= 0.0)
                        continue;
                v = v * v * v;
                double u = 1.0 - sim_uniform(rng);
                if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
                        return d * v;
        }
}

/* Poisson by Knuth's product method, in slices of 30 to keep exp() away from underflow. */
int32_t sim_poisson(struct sim_rng *rng, double lambda)
{
        int32_t n = 0;
        while (lambda > 0.0) {
                double slice = lambda > 30.0 ? 30.0 : lambda, limit = exp(-slice), p = 1.0;
                lambda -= slice;
                for (;;) {
                        p *= sim_uniform(rng);
                        if (p <= limit)
                                break;
                        n++;
                }
        }
        return n;
}
