/* Ghost-stock detector: calibrated low-sales run test and the legacy seed rule. */
#include "core/ghost.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

/* Relative size below which a further term cannot change a sum of doubles. */
#define GHOST_SUM_EPS (DBL_EPSILON * 0.01)
/* Continued fraction: converges in O(sqrt(max(a, b))) steps, a few thousand here. */
#define GHOST_CF_MAX_ITER 200000
#define GHOST_CF_TINY     1e-300
/* Guards floor(low_ratio * expected) against representation noise (0.3 * 10 = 2.99..). */
#define GHOST_FLOOR_SLACK 1e-9
/* Sizes above this are indistinguishable from Poisson in double precision here. */
#define GHOST_NEGBIN_POISSON_SIZE 1e9

static const char *const ghost_mode_names[SW_GHOST_MODE_COUNT] = {
    [SW_GHOST_MODE_POISSON] = "poisson",
    [SW_GHOST_MODE_SEED] = "seed",
    [SW_GHOST_MODE_BAYES] = "bayes",
};

static const char *const ghost_model_names[SW_GHOST_MODEL_COUNT] = {
    [SW_GHOST_MODEL_NONE] = "none",
    [SW_GHOST_MODEL_POISSON] = "poisson",
    [SW_GHOST_MODEL_NEGBIN] = "negative_binomial",
    [SW_GHOST_MODEL_SEED] = "seed",
    [SW_GHOST_MODEL_NB_MIXTURE] = "nb_mixture",
    [SW_GHOST_MODEL_NEVER_SOLD] = "never_sold",
};

void sw_ghost_params_default(struct sw_ghost_params *ret)
{
        ret->mode = SW_GHOST_MODE_BAYES;
        ret->alpha = 0.01;
        ret->prior_rate = 0.02;
        ret->low_ratio = 0.3;
        ret->max_run_days = 28;
        ret->overdispersion_threshold = 0.1;
        ret->warning_probability = 0.7;
        ret->critical_probability = 0.999;
        ret->seed_lookback_days = 7;
        ret->seed_min_low_days = 3;
        ret->onset_rate = 0.002;
        ret->min_probability = 0.95;
        ret->false_alerts_per_day = 1.0;
        ret->shelf_false_zero_rate = 0.05;
        ret->min_on_hand = 2;
        sw_forecast_params_default(&ret->forecast);
}

static bool ghost__in_unit(double x, bool open)
{
        return open ? (x > 0.0 && x < 1.0) : (x >= 0.0 && x <= 1.0);
}

int sw_ghost_params_validate(const struct sw_ghost_params *p)
{
        if (!p || (unsigned)p->mode >= SW_GHOST_MODE_COUNT)
                return -EINVAL;
        if (!ghost__in_unit(p->alpha, true) || !ghost__in_unit(p->prior_rate, true) ||
            !ghost__in_unit(p->low_ratio, false) ||
            !ghost__in_unit(p->warning_probability, false) ||
            !ghost__in_unit(p->critical_probability, false) ||
            p->critical_probability < p->warning_probability)
                return -EINVAL;
        if (!(p->overdispersion_threshold >= 0.0) || !isfinite(p->overdispersion_threshold))
                return -EINVAL;
        if (!(p->onset_rate > 0.0 && p->onset_rate < 0.5) ||
            !ghost__in_unit(p->min_probability, true) ||
            !ghost__in_unit(p->shelf_false_zero_rate, true) || !(p->false_alerts_per_day > 0.0) ||
            !isfinite(p->false_alerts_per_day) || p->min_on_hand < 1)
                return -EINVAL;
        if (p->max_run_days < 1 || p->max_run_days > SW_GHOST_MAX_WINDOW_DAYS ||
            p->seed_lookback_days < 1 || p->seed_lookback_days > SW_GHOST_MAX_WINDOW_DAYS ||
            p->seed_min_low_days < 1 || p->seed_min_low_days > p->seed_lookback_days)
                return -EINVAL;
        return sw_forecast_params_validate(&p->forecast);
}

const char *sw_ghost_mode_name(enum sw_ghost_mode m)
{
        if ((unsigned)m >= SW_GHOST_MODE_COUNT)
                return NULL;
        return ghost_mode_names[m];
}

int sw_ghost_mode_parse(const char *s, enum sw_ghost_mode *ret)
{
        if (!s || !ret)
                return -EINVAL;
        for (unsigned m = 0; m < SW_GHOST_MODE_COUNT; m++)
                if (strcmp(s, ghost_mode_names[m]) == 0) {
                        *ret = (enum sw_ghost_mode)m;
                        return 0;
                }
        return -EINVAL;
}

const char *sw_ghost_model_name(enum sw_ghost_model m)
{
        if ((unsigned)m >= SW_GHOST_MODEL_COUNT)
                return NULL;
        return ghost_model_names[m];
}

/* lgamma_r: lgamma() writes the global signgam; arguments here are always positive. */
static double ghost__lgamma(double x)
{
        int sign;
        return lgamma_r(x, &sign);
}

double sw_ghost_poisson_log_cdf(uint64_t k, double mu)
{
        if (isnan(mu) || mu < 0.0)
                return NAN;
        if (mu == 0.0)
                return 0.0;
        if (isinf(mu))
                return -INFINITY;

        double kd = (double)k;
        if (kd < mu) {
                /* Below the mean terms shrink going down: sum pmf(k), pmf(k-1), ... */
                double log_top = -mu + kd * log(mu) - ghost__lgamma(kd + 1.0);
                double t = 1.0, s = 1.0;
                for (uint64_t j = k; j >= 1; j--) {
                        t *= (double)j / mu;
                        s += t;
                        if (t < s * GHOST_SUM_EPS)
                                break;
                }
                return log_top + log(s);
        }
        /* At or above the mean the upper tail is the small side: 1 - sum_{j>k} pmf(j). */
        double log_first = -mu + (kd + 1.0) * log(mu) - ghost__lgamma(kd + 2.0);
        double t = 1.0, s = 1.0;
        for (double j = kd + 1.0;; j += 1.0) {
                t *= mu / (j + 1.0);
                s += t;
                if (t < s * GHOST_SUM_EPS)
                        break;
        }
        return log1p(-exp(log_first + log(s)));
}

/* One step of Lentz's method: fold the coefficient aa into c and d, return the factor d * c. */
static double ghost__lentz_step(double aa, double *c, double *d)
{
        *d = 1.0 + aa * *d;
        if (fabs(*d) < GHOST_CF_TINY)
                *d = GHOST_CF_TINY;
        *c = 1.0 + aa / *c;
        if (fabs(*c) < GHOST_CF_TINY)
                *c = GHOST_CF_TINY;
        *d = 1.0 / *d;
        return *d * *c;
}

/* Lentz's continued fraction for the incomplete beta function (Numerical Recipes betacf). */
static double ghost__beta_cf(double a, double b, double x)
{
        double qab = a + b, qap = a + 1.0, qam = a - 1.0;
        double c = 1.0, d = 1.0 - qab * x / qap;

        if (fabs(d) < GHOST_CF_TINY)
                d = GHOST_CF_TINY;
        d = 1.0 / d;
        double h = d;
        for (int m = 1; m <= GHOST_CF_MAX_ITER; m++) {
                double m2 = 2.0 * m;
                /* the even step, then the odd one */
                h *= ghost__lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
                double del =
                    ghost__lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
                h *= del;
                if (fabs(del - 1.0) < 4.0 * DBL_EPSILON)
                        break;
        }
        return h;
}

double sw_ghost_negbin_log_cdf(uint64_t k, double mean, double size)
{
        if (isnan(mean) || mean < 0.0 || isnan(size) || !(size > 0.0))
                return NAN;
        if (mean == 0.0)
                return 0.0;
        if (isinf(mean))
                return -INFINITY;
        if (size > GHOST_NEGBIN_POISSON_SIZE)
                return sw_ghost_poisson_log_cdf(k, mean);

        /* P(S <= k) = I_x(r, k + 1) with x = r / (r + mean), the regularised incomplete beta. */
        double a = size, b = (double)k + 1.0;
        double x = size / (size + mean), y = mean / (size + mean);
        double log_front = ghost__lgamma(a + b) - ghost__lgamma(a) - ghost__lgamma(b) +
                           a * (log(size) - log(size + mean)) + b * (log(mean) - log(size + mean));
        if (x < (a + 1.0) / (a + b + 2.0))
                return log_front + log(ghost__beta_cf(a, b, x)) - log(a);
        double log_upper = log_front + log(ghost__beta_cf(b, a, y)) - log(b);
        return log1p(-exp(log_upper));
}

/* Expected units on day i: pushed forecast first, else the local model, else NAN. */
static double ghost__expected(const struct sw_ghost_input *in, const struct sw_forecast_model *m,
                              uint32_t i)
{
        if (in->pushed && isfinite(in->pushed[i]) && in->pushed[i] >= 0.0)
                return in->pushed[i];
        return sw_forecast_expected(m, in->weekday[i]);
}

static bool ghost__is_low(const struct sw_ghost_params *p, uint16_t sales, double expected)
{
        if (p->mode == SW_GHOST_MODE_SEED)
                /* The seed rule verbatim: actual / forecast < ratio; forecast 0 is never low. */
                return expected > 0.0 && (double)sales / expected < p->low_ratio;
        return (double)sales <= floor(p->low_ratio * expected + GHOST_FLOOR_SLACK);
}

bool sw_ghost_d1_rules_out_run(const struct sw_ghost_params *p, uint16_t sales, double pushed)
{
        return isfinite(pushed) && pushed >= 0.0 && !ghost__is_low(p, sales, pushed);
}

/* Whether the last len days are all low against model m (pushed forecasts first). */
static bool ghost__suffix_low(const struct sw_ghost_params *p, const struct sw_ghost_input *in,
                              const struct sw_forecast_model *m, uint32_t len)
{
        for (uint32_t d = 0; d < len; d++) {
                uint32_t i = in->n - 1 - d;
                double e = ghost__expected(in, m, i);
                if (isnan(e) || !ghost__is_low(p, in->sales[i], e))
                        return false;
        }
        return true;
}

/*
 * A cheap stand-in for the fits of ghost__find_run: the sums of sw_forecast_fit over the
 * first m known days, kept up to date one day at a time. The weekday sums are integers, so
 * the weekday factors come out bit for bit as the fit computes them; the weighted sums come
 * from a recurrence instead of the fit's loop from the newest day, so the level differs
 * from the fit's in the last bits only (positive terms: relative error below 1e-13 for any
 * history the SKU table holds). It only ever rules a candidate out (GHOST_PREFIX_SLACK):
 * the run is still decided by the real fit, so results are those of fitting every candidate.
 */
#define GHOST_PREFIX_SLACK 1e-9
/* Weights below 2^-900 would come near the subnormal range, where the error bound fails. */
#define GHOST_PREFIX_MAX_HALVINGS 900.0

struct ghost_prefix {
        const struct sw_forecast_params *fp; /* forecast tuning */
        double decay;                        /* per-day weight factor of the fit */
        uint32_t m;                          /* days summed */
        double sum_k[7];                     /* units sold per weekday */
        double cnt_k[7];                     /* days per weekday */
        double sum;                          /* units sold */
        double wx;                           /* sum of decay^age * units, age 0 = day m-1 */
        double w_k[7];                       /* sum of decay^age per weekday */
};

static void ghost__prefix_add(struct ghost_prefix *g, uint16_t sales, uint8_t weekday)
{
        g->sum_k[weekday] += sales;
        g->cnt_k[weekday] += 1.0;
        g->sum += sales;
        g->wx = g->wx * g->decay + (double)sales;
        for (unsigned k = 0; k < 7; k++)
                g->w_k[k] *= g->decay;
        g->w_k[weekday] += 1.0;
        g->m++;
}

/*
 * An upper bound on the fit's expectation for each weekday; false when the fit would not be
 * valid (too few days: it expects NAN). The fit's e_w = level * f_w with f_k = 7 r_k / sum r,
 * r_k = (S_k + a m) / (N_k + a) / m and level = wx / sum_k W_k f_k; the scale factors cancel:
 * e_w = wx * q_w / sum_k W_k q_k with q_k = (S_k + a m) / (N_k + a) (m where the fit uses 1).
 * A few roundings away from the fit's value, far inside GHOST_PREFIX_SLACK.
 */
static bool ghost__prefix_bound(const struct ghost_prefix *g, double ret_hi[7])
{
        double q[7], wq = 0.0;
        if (g->m < g->fp->min_history_days)
                return false;
        double mean = g->sum / (double)g->m;
        double a = g->fp->weekday_pseudo_days;
        if (!(mean > 0.0)) {
                /* Nothing sold: the fit's level is 0. */
                for (unsigned k = 0; k < 7; k++)
                        ret_hi[k] = 0.0;
                return true;
        }
        for (unsigned k = 0; k < 7; k++) {
                q[k] = g->cnt_k[k] + a > 0.0 ? (g->sum_k[k] + a * mean) / (g->cnt_k[k] + a) : mean;
                wq += g->w_k[k] * q[k];
        }
        double scale = wq > 0.0 ? g->wx / wq * (1.0 + GHOST_PREFIX_SLACK) : 0.0;
        for (unsigned k = 0; k < 7; k++)
                ret_hi[k] = scale * q[k];
        return true;
}

/* False when the last len days cannot all be low against the fit on the first `base` known
 * days, from in->sales[first] on (ghost__is_low grows with the expectation, so the upper bound
 * decides it). The sums in g are brought up to base only when a day has no pushed forecast:
 * base only grows from one candidate to the next, so catching up late sums the same days in
 * the same order. */
static bool ghost__suffix_may_be_low(const struct sw_ghost_params *p,
                                     const struct sw_ghost_input *in, struct ghost_prefix *g,
                                     uint32_t first, uint32_t base, uint32_t len)
{
        double hi[7];
        int valid = -1; /* the bound, computed at the first day without a pushed forecast */
        for (uint32_t d = 0; d < len; d++) {
                uint32_t i = in->n - 1 - d;
                double e;
                if (in->pushed && isfinite(in->pushed[i]) && in->pushed[i] >= 0.0) {
                        e = in->pushed[i];
                } else {
                        if (valid < 0) {
                                while (g->m < base)
                                        ghost__prefix_add(g, in->sales[first + g->m],
                                                          in->weekday[first + g->m]);
                                valid = ghost__prefix_bound(g, hi);
                        }
                        if (!valid)
                                return false;
                        e = hi[in->weekday[i]];
                }
                if (!ghost__is_low(p, in->sales[i], e))
                        return false;
        }
        return true;
}

/*
 * The run and its baseline: the longest L <= cap such that each of the last L days
 * is low against the local model fitted on the known history before them, so a quiet
 * run never drags its own expectation down. Searched from the cap downwards, because
 * a shorter candidate's baseline contains the rest of a long run of partial sales and
 * may hide it. A candidate is fitted only when the running sums (struct ghost_prefix)
 * say it may pass, so a SKU costs at most one pass over its days and a fit or two, not cap
 * fits.
 * *ret_model is the baseline of the accepted run (of L = 1 when there is none).
 */
static int ghost__find_run(const struct sw_ghost_params *p, const struct sw_ghost_input *in,
                           uint32_t known, uint32_t cap, uint32_t *ret_run,
                           struct sw_forecast_model *ret_model)
{
        struct sw_forecast_model m = {.valid = false};
        uint32_t first = in->n - known, len = cap < known ? cap : known;
        struct ghost_prefix g = {.fp = &p->forecast,
                                 .decay = exp2(-1.0 / p->forecast.half_life_days)};
        /* The bound needs weights clear of the subnormal range (half-lives under a day or so
         * over long histories): otherwise every candidate is fitted. */
        bool prune = (double)known / p->forecast.half_life_days < GHOST_PREFIX_MAX_HALVINGS;
        int rc;

        /* Every candidate's run ends at D-1: with a forecast pushed for it, whether it is low
         * does not depend on the candidate, so one look rules them all out. */
        uint32_t newest = in->n - 1;
        if (len >= 1 && in->pushed &&
            sw_ghost_d1_rules_out_run(p, in->sales[newest], in->pushed[newest]))
                len = 0;
        for (; len >= 1; len--) {
                /* The candidate's baseline is the first known - len days. */
                if (!prune || ghost__suffix_may_be_low(p, in, &g, first, known - len, len)) {
                        rc = sw_forecast_fit(&p->forecast, in->sales + first, in->weekday + first,
                                             known - len, &m);
                        if (rc < 0)
                                return rc;
                        if (ghost__suffix_low(p, in, &m, len))
                                break;
                }
        }
        if (len == 0 && in->skip_baseline_without_run) {
                m = (struct sw_forecast_model){.valid = false};
        } else if (len == 0) {
                /* No run (or no known day): report against the baseline before D-1. */
                rc = sw_forecast_fit(&p->forecast, in->sales + first, in->weekday + first,
                                     known > 0 ? known - 1 : 0, &m);
                if (rc < 0)
                        return rc;
        }
        *ret_run = len;
        *ret_model = m;
        return 0;
}

/* ln P(S <= observed) over the run, Poisson or moment-matched negative binomial. */
static double ghost__run_log_p(const struct sw_ghost_params *p, double phi, uint64_t observed,
                               double mu_sum, double mu_sq_sum, enum sw_ghost_model *ret_model)
{
        if (phi > p->overdispersion_threshold && mu_sq_sum > 0.0) {
                /* Var(S) = sum mu_d + phi * sum mu_d^2 = M + M^2 / r. */
                *ret_model = SW_GHOST_MODEL_NEGBIN;
                return sw_ghost_negbin_log_cdf(observed, mu_sum,
                                               mu_sum * mu_sum / (phi * mu_sq_sum));
        }
        *ret_model = SW_GHOST_MODEL_POISSON;
        return sw_ghost_poisson_log_cdf(observed, mu_sum);
}

/* Probability, flag and severity of a run of `run` days whose p-value r->p_value holds. */
static void ghost__judge(const struct sw_ghost_params *p, const struct sw_ghost_input *in,
                         uint32_t run, struct sw_ghost_result *r)
{
        if (p->mode == SW_GHOST_MODE_SEED) {
                r->model = SW_GHOST_MODEL_SEED;
                r->probability = fmin(0.95, (double)run / (double)p->seed_lookback_days);
                r->flagged = run >= p->seed_min_low_days && in->on_hand > 0;
                r->severity = r->probability > p->warning_probability ? SW_SEVERITY_WARNING
                                                                      : SW_SEVERITY_INFO;
                return;
        }
        /* Bayes with P(run | ghost) ~ 1: a phantom shelf sells nothing. */
        double pi = p->prior_rate;
        r->probability = pi / (pi + (1.0 - pi) * r->p_value);
        r->flagged = run > 0 && r->p_value <= p->alpha && in->on_hand > 0;
        if (r->probability >= p->critical_probability)
                r->severity = SW_SEVERITY_CRITICAL;
        else if (r->probability >= p->warning_probability)
                r->severity = SW_SEVERITY_WARNING;
        else
                r->severity = SW_SEVERITY_INFO;
}

int sw_ghost_evaluate(const struct sw_ghost_params *p, const struct sw_ghost_input *in,
                      struct sw_ghost_result *ret)
{
        struct sw_ghost_result r = {0};
        struct sw_forecast_model m;
        int rc;

        if (!in || !ret || sw_ghost_params_validate(p) < 0 || p->mode == SW_GHOST_MODE_BAYES ||
            in->n == 0 || !in->sales || !in->weekday)
                return -EINVAL;
        for (uint32_t i = 0; i < in->n; i++)
                if (in->weekday[i] > 6)
                        return -EINVAL;

        uint32_t known = in->history_days_available < in->n ? in->history_days_available : in->n;
        uint32_t cap = p->mode == SW_GHOST_MODE_SEED ? p->seed_lookback_days : p->max_run_days;
        uint32_t run;

        rc = ghost__find_run(p, in, known, cap, &run, &m);
        if (rc < 0)
                return rc;

        double mu_sum = 0.0, mu_sq_sum = 0.0;
        uint64_t observed = 0;
        for (uint32_t d = 0; d < run; d++) {
                uint32_t i = in->n - 1 - d;
                double e = ghost__expected(in, &m, i);
                mu_sum += e;
                mu_sq_sum += e * e;
                observed += in->sales[i];
        }

        r.run_days = (uint16_t)run;
        r.baseline_days = m.valid ? m.days_used : 0;
        r.observed_units = observed;
        r.expected_units = mu_sum;
        r.forecast_available = known > 0 && !isnan(ghost__expected(in, &m, in->n - 1));
        r.sales_resumed = run == 0 && known > 0 && in->sales[in->n - 1] > 0;
        r.dispersion = m.valid ? m.dispersion : 0.0;
        r.value = in->on_hand > 0 && isfinite(in->price) && in->price > 0.0
                      ? (double)in->on_hand * in->price
                      : 0.0;

        double log_p = 0.0;
        r.model = SW_GHOST_MODEL_NONE;
        if (run > 0)
                log_p = ghost__run_log_p(p, r.dispersion, observed, mu_sum, mu_sq_sum, &r.model);
        if (log_p > 0.0)
                log_p = 0.0; /* rounding at the top of the distribution */
        r.p_value = exp(log_p);
        r.score = log_p == 0.0 ? 0.0 : -log_p / M_LN10;

        ghost__judge(p, in, run, &r);
        r.priority = r.probability * r.value;
        *ret = r;
        return 0;
}
