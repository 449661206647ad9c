/* Ghost stock, bayes mode: a zero-sales run weighed against pooled, store-calibrated demand. */
#ifndef SW_GHOST_BAYES_H
#define SW_GHOST_BAYES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ghost.h"

/*
 * The test in one paragraph (docs/detectors.md, "bayes mode", has the derivation): a ghost
 * shelf sells nothing, so the evidence is the run of open, uncensored days since the SKU's
 * last sale. How surprising that run is under normal selling depends on how often the SKU
 * has a day without sales, which depends on its level and on how bursty its demand is: a
 * negative binomial's dispersion phi. A SKU's own history pins phi down poorly (a few weeks
 * of a bursty SKU often look calm), so phi is not estimated but integrated over: a grid of
 * dispersions, a prior over it per velocity class learnt from the store's SKUs (empirical
 * Bayes: the class's mix of calm and bursty SKUs), and each SKU's own zero days and variance
 * weighing the grid. The run's p-value is that mixture's probability of the run; the
 * posterior probability of a ghost weighs it against the prior onset rate and shelf-sensor
 * evidence.
 */

#define SW_GHOST_POOL_CLASSES 10 /* velocity classes of the pooled prior */
#define SW_GHOST_DISPERSIONS  10 /* points of the dispersion grid */

/* The dispersion grid: phi of each point, from Poisson (0) to very lumpy demand. */
extern const double sw_ghost_dispersion_grid[SW_GHOST_DISPERSIONS];

/* Store-wide evidence collected over SKUs before the per-SKU tests of one run. */
struct sw_ghost_pool {
        double weight[SW_GHOST_POOL_CLASSES][SW_GHOST_DISPERSIONS]; /* SKUs' posterior weights
                                                                       summed per class */
        uint32_t n[SW_GHOST_POOL_CLASSES];                          /* SKUs added per class */
        double prior[SW_GHOST_POOL_CLASSES][SW_GHOST_DISPERSIONS];  /* after finish: each
                                           class's mix, shrunk toward the store's */
        double share_sum;   /* sum of SKUs' zero-day shares */
        double share_sq;    /* sum of their squares */
        double inv_days;    /* sum of 1 / days behind each share */
        uint32_t skus;      /* SKUs added */
        double never_alpha; /* Beta prior of the zero-day probability of a SKU */
        double never_beta;  /* that has not sold yet (after finish) */
};

/* One SKU's days as of day D: n chronological days, index n - 1 = D - 1. */
struct sw_ghost_series {
        const uint16_t *sales;   /* units sold per day */
        const uint8_t *weekday;  /* 0 = Monday .. 6 = Sunday */
        const uint8_t *censored; /* nonzero: closed, store or category shortfall, stock-out or
                                    a pushed forecast of 0: neither history nor run */
        uint32_t n;              /* days in the arrays */
        uint32_t known;          /* the last `known` days have data; earlier ones are unknown */
        uint32_t run_floor;      /* the run starts at this index at the earliest (the day after
                                    the latest stock-out: a run does not span one), 0 = none */
};

/* What the series says before any pooling: where the run is and the history's fit. */
struct sw_ghost_fit {
        bool has_sale;            /* a known day sold (else the SKU has not sold yet) */
        uint32_t last_sale;       /* index of the newest known day that sold, if has_sale */
        uint32_t run_days;        /* uncensored known days after it (all of them if !has_sale) */
        uint32_t history_days;    /* uncensored known days up to and including last_sale */
        uint32_t zero_days;       /* of those, days without sales */
        double level;             /* EW deseasonalised units a day over the history */
        double weekday_factor[7]; /* multiplicative, mean 1 */
        double moment_num;        /* sum w((x - mu)^2 - mu) over the history */
        double moment_den;        /* sum w mu^2 over the history */
        double effective_days;    /* (sum w)^2 / sum w^2: days' worth behind the moments */
        uint16_t weekday_days[7]; /* history days per weekday */
        uint16_t weekday_zero[7]; /* ... of them without sales */
};

/* Shelf-sensor evidence for the run (none: zero_readings 0, stocked false). */
struct sw_ghost_shelf {
        uint16_t zero_readings; /* consecutive zero readings, all after the last sale */
        bool stocked;           /* the newest reading, taken after the last sale, saw units */
};

/* Velocity class of a level (units a day), 0 .. SW_GHOST_POOL_CLASSES - 1. */
unsigned sw_ghost_pool_class(double level);
/* Zero-day probability of a negative binomial with this mean and dispersion (0 = Poisson). */
double sw_ghost_zero_probability(double mean, double phi);

/* A SKU's own moment estimate of its dispersion (may be negative: underdispersed or noise). */
double sw_ghost_own_dispersion(const struct sw_ghost_fit *fit);
/* The SKU's posterior weights over the dispersion grid (summing to 1), from its class's
 * prior and its history. */
void sw_ghost_dispersion_weights(const struct sw_ghost_pool *pool, const struct sw_ghost_fit *fit,
                                 double ret_w[SW_GHOST_DISPERSIONS]);

/* Split the series into history and run and fit the history. Returns 0, or -EINVAL. */
int sw_ghost_bayes_fit(const struct sw_ghost_params *p, const struct sw_ghost_series *s,
                       struct sw_ghost_fit *ret);

void sw_ghost_pool_reset(struct sw_ghost_pool *pool);
/* Add one SKU's fit (those with fewer than forecast.min_history_days history days are
 * ignored). */
void sw_ghost_pool_add(struct sw_ghost_pool *pool, const struct sw_ghost_params *p,
                       const struct sw_ghost_fit *fit);
/* Compute the pooled dispersions and the never-sold prior from what was added. */
void sw_ghost_pool_finish(struct sw_ghost_pool *pool);

/*
 * Whether sw_ghost_bayes_evaluate could flag the SKU: false only when it cannot, from a bound
 * that needs neither the pool nor the dispersion grid (the run's evidence is at most its
 * expected units, the Poisson case). Lets a detector skip the full test of most SKUs.
 */
bool sw_ghost_bayes_may_flag(const struct sw_ghost_params *p, const struct sw_ghost_series *s,
                             const struct sw_ghost_fit *f, const struct sw_ghost_shelf *shelf,
                             int32_t on_hand, double scale);
/*
 * The verdict for one SKU from its fit. scale (>= 1 makes the test stricter) divides the
 * run's evidence, as learnt from outcomes. flagged means "a candidate": probability >=
 * min_probability and on-hand > 0; the store's daily budget is applied by the caller.
 * Returns 0, or -EINVAL.
 */
int sw_ghost_bayes_evaluate(const struct sw_ghost_params *p, const struct sw_ghost_pool *pool,
                            const struct sw_ghost_series *s, const struct sw_ghost_fit *fit,
                            const struct sw_ghost_shelf *shelf, int32_t on_hand, double price,
                            double scale, struct sw_ghost_result *ret);

#endif
