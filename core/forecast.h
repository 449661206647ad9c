/* Local demand forecast: weekday-aware, exponentially weighted daily sales rate. */
#ifndef SW_FORECAST_H
#define SW_FORECAST_H

#include <stdbool.h>
#include <stdint.h>

#define SW_FORECAST_MIN_HISTORY_DEFAULT 14
#define SW_FORECAST_HALF_LIFE_DEFAULT   14.0
#define SW_FORECAST_WEEKDAY_PSEUDO      2.0

/* Tuning of the local forecast (config section detectors.forecast). */
struct sw_forecast_params {
        uint16_t min_history_days;  /* fewer days than this: model not valid (>= 1) */
        double half_life_days;      /* age at which a day's weight halves (> 0, INFINITY = flat) */
        double weekday_pseudo_days; /* days' worth of "factor 1" mixed into each weekday (>= 0) */
};

/* A fitted model. Expected sales on weekday w = level * weekday_factor[w]. */
struct sw_forecast_model {
        double level;             /* weighted deseasonalised daily rate, units/day */
        double weekday_factor[7]; /* multiplicative, 0 = Monday .. 6 = Sunday, mean 1 */
        double dispersion;        /* phi in Var = mu + phi * mu^2, >= 0 (0 = Poisson) */
        uint16_t days_used;       /* days the fit saw (saturates at UINT16_MAX) */
        bool valid;               /* false when days_used < min_history_days */
};

void sw_forecast_params_default(struct sw_forecast_params *ret);
/* 0 when usable, -EINVAL otherwise. */
int sw_forecast_params_validate(const struct sw_forecast_params *p);

/*
 * Fit on n chronological days (index n-1 = most recent, which gets weight 1).
 * weekday[i] is 0 = Monday .. 6 = Sunday. Fewer than min_history_days days is not
 * an error: the model is written with valid = false, level 0, factors 1.
 * Returns 0, or -EINVAL (NULL pointer, bad params, weekday > 6).
 */
int sw_forecast_fit(const struct sw_forecast_params *p, const uint16_t *sales,
                    const uint8_t *weekday, uint32_t n, struct sw_forecast_model *ret_model);

/* Expected units on a weekday (0 = Monday .. 6 = Sunday); NAN if invalid model or weekday. */
double sw_forecast_expected(const struct sw_forecast_model *m, unsigned weekday);

#endif
