/* Ghost-stock detector: calibrated low-sales run test and the legacy seed rule. */
#ifndef SW_GHOST_H
#define SW_GHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/forecast.h"
#include "core/sw_types.h"

#define SW_GHOST_MAX_WINDOW_DAYS 366 /* upper bound of max_run_days and seed_lookback_days */

enum sw_ghost_mode {
        SW_GHOST_MODE_POISSON, /* calibrated low-sales run test, per SKU */
        SW_GHOST_MODE_SEED,    /* the previous system's ratio rule, kept for comparison */
        SW_GHOST_MODE_BAYES,   /* zero-sales run against pooled demand, store budget (default;
                                  core/ghost_bayes.h) */
        SW_GHOST_MODE_COUNT
};

/* Distribution behind a result's p-value. */
enum sw_ghost_model {
        SW_GHOST_MODEL_NONE,       /* no test was possible (no forecast, empty run) */
        SW_GHOST_MODEL_POISSON,    /* run sum ~ Poisson(mu) */
        SW_GHOST_MODEL_NEGBIN,     /* run sum ~ negative binomial, moment matched */
        SW_GHOST_MODEL_SEED,       /* seed rule decided; p_value is the run test, for information */
        SW_GHOST_MODEL_NB_MIXTURE, /* bayes: zero run under a mixture of negative binomials */
        SW_GHOST_MODEL_NEVER_SOLD, /* bayes: no sale yet, against the store's SKUs */
        SW_GHOST_MODEL_COUNT
};

/* Tuning (config section detectors.ghost, forecast from detectors.forecast). */
struct sw_ghost_params {
        enum sw_ghost_mode mode;            /* "poisson" or "seed" */
        double alpha;                       /* flag when p <= alpha, (0, 1) */
        double prior_rate;                  /* prior share of phantom SKUs pi, (0, 1) */
        double low_ratio;                   /* low day: sales <= floor(ratio * expected), [0, 1] */
        uint16_t max_run_days;              /* run length cap, 1..SW_GHOST_MAX_WINDOW_DAYS */
        double overdispersion_threshold;    /* phi above this: negative binomial, >= 0 */
        double warning_probability;         /* severity warning at or above (seed: above) */
        double critical_probability;        /* severity critical at or above (poisson mode only) */
        uint16_t seed_lookback_days;        /* seed window, 1..SW_GHOST_MAX_WINDOW_DAYS */
        uint16_t seed_min_low_days;         /* seed: flag at this many consecutive low days, >= 1 */
        double onset_rate;                  /* bayes: prior ghost onsets per SKU-day, (0, 0.5) */
        double min_probability;             /* bayes: candidate at P(ghost) >= this, (0, 1) */
        double false_alerts_per_day;        /* bayes: new alerts a day stop once their expected
                                               false ones, sum (1 - P), would pass this, > 0 */
        double shelf_false_zero_rate;       /* bayes: share of shelf readings wrongly 0, (0, 1) */
        uint32_t min_on_hand;               /* bayes: no alert below this book on-hand: a count
                                               could not find a material shortfall (the
                                               daemon sets outcomes.material_units), >= 1 */
        struct sw_forecast_params forecast; /* local forecast when nothing is pushed */
};

/* One SKU as of day D: n chronological days, index n-1 = D-1. */
struct sw_ghost_input {
        const uint16_t *sales;  /* units sold per day */
        const double *pushed;   /* pushed forecast per day, NAN = none; NULL = none at all */
        const uint8_t *weekday; /* 0 = Monday .. 6 = Sunday */
        uint32_t n;             /* days in the arrays, >= 1 */
        uint32_t history_days_available; /* days ending at D-1 the SKU has data for; earlier
                                            indexes are unknown (not zero) and ignored */
        int32_t on_hand;                 /* book on-hand units */
        double price;                    /* list price, 0 if unknown */
        bool skip_baseline_without_run;  /* no run found: skip fitting the baseline the result
                                            would report (baseline_days and dispersion read 0;
                                            for a caller with no open episode to clear) */
};

/* The verdict for one SKU. Rank cycle counts by priority (= probability x value). */
struct sw_ghost_result {
        bool flagged;              /* raise / keep a ghost-stock anomaly */
        bool sales_resumed;        /* D-1 sold and was not a low day: the condition went away */
        bool forecast_available;   /* an expectation existed for D-1 */
        uint16_t run_days;         /* consecutive low days ending at D-1 */
        uint16_t baseline_days;    /* days the local forecast was fitted on (before the run) */
        uint64_t observed_units;   /* units sold over the run */
        double expected_units;     /* expected units over the run (pushed, else local) */
        double p_value;            /* P(S <= observed) under normal selling; 1 for no run */
        double score;              /* -log10(p_value), finite even when p_value underflows */
        enum sw_ghost_model model; /* how the verdict was reached */
        double dispersion;         /* phi of the local baseline, 0 without one */
        double probability;        /* P(ghost | run) in [0, 1] */
        double value;              /* on_hand x price, 0 when on_hand <= 0 */
        double priority;           /* probability x value, the cycle-count ranking key */
        enum sw_severity severity; /* info / warning / critical */
};

void sw_ghost_params_default(struct sw_ghost_params *ret);
/* 0 when usable (including the forecast part), -EINVAL otherwise. */
int sw_ghost_params_validate(const struct sw_ghost_params *p);

/* "poisson" / "seed"; NULL for an out-of-range value. */
const char *sw_ghost_mode_name(enum sw_ghost_mode m);
/* Returns 0 and sets *ret, or -EINVAL. */
int sw_ghost_mode_parse(const char *s, enum sw_ghost_mode *ret);
/* "none", "poisson", "negative_binomial", "seed"; NULL for an out-of-range value. */
const char *sw_ghost_model_name(enum sw_ghost_model m);

/* Whether day D-1, with a forecast pushed for it, was not low: every run ends at D-1, so then
 * there is none and the SKU cannot be flagged, whatever its other days. */
bool sw_ghost_d1_rules_out_run(const struct sw_ghost_params *p, uint16_t sales, double pushed);

/*
 * Evaluate one SKU (poisson and seed modes; bayes mode needs the store's pool, see
 * core/ghost_bayes.h). Returns 0 and fills *ret, or -EINVAL (NULL pointers, n == 0,
 * weekday > 6, invalid params, bayes mode). Too little history is not an error: not flagged.
 */
int sw_ghost_evaluate(const struct sw_ghost_params *p, const struct sw_ghost_input *in,
                      struct sw_ghost_result *ret);

/* ln P(S <= k) for S ~ Poisson(mu), mu >= 0; NAN for mu < 0 or NaN. */
double sw_ghost_poisson_log_cdf(uint64_t k, double mu);
/*
 * ln P(S <= k) for S ~ negative binomial with the given mean and size r
 * (Var = mean + mean^2 / r); NAN for bad arguments. r > 1e9 is treated as Poisson.
 */
double sw_ghost_negbin_log_cdf(uint64_t k, double mean, double size);

#endif
