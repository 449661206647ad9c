/* Ghost stock, bayes mode: a zero-sales run weighed against pooled, store-calibrated demand. */
#include "core/ghost_bayes.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Upper bounds (units a day) of the velocity classes; the last class is open. */
static const double pool_class_top[SW_GHOST_POOL_CLASSES - 1] = {0.1, 0.2,  0.5,  1.0, 2.0,
                                                                 5.0, 10.0, 20.0, 50.0};
/* A class's own mix counts as this many SKUs' worth against the store's. */
#define POOL_SHRINK_SKUS 5.0
/* No grid point's prior weight falls below this share: a class never rules a dispersion out. */
#define POOL_MIN_WEIGHT 0.002
/* The never-sold prior needs this many SKUs with a history to mean anything. */
#define POOL_MIN_SKUS_FOR_NEVER 20
/* Zero shelf readings are evidence from this many open days without a sale on. */
#define SHELF_MIN_RUN_DAYS 2
/* Evidence from consecutive zero shelf readings stops growing here: one empty shelf, not
 * independent observations. */
#define SHELF_MAX_READINGS 4
/* A day's sales above this many times the median selling day count only up to it in the
 * level (a promotion or one big order must not lift the expectation of every later day). */
#define LEVEL_CAP_MEDIANS 3.0
/* Zero-day probabilities are kept inside (0, 1) so logs and Beta parameters stay finite. */
#define Q_MIN 1e-12
#define Q_MAX (1.0 - 1e-9)

const double sw_ghost_dispersion_grid[SW_GHOST_DISPERSIONS] = {0.0, 0.1, 0.25, 0.5,  1.0,
                                                               2.0, 4.0, 8.0,  16.0, 32.0};

unsigned sw_ghost_pool_class(double level)
{
        unsigned c = 0;
        while (c < SW_GHOST_POOL_CLASSES - 1 && !(level < pool_class_top[c]))
                c++;
        return c;
}

/* ln P(0 units) for a day of that mean under dispersion phi. */
static double bayes__log_zero_probability(double mean, double phi)
{
        if (!(mean > 0.0))
                return 0.0;
        if (!(phi > 1e-12))
                return -mean;
        return -log1p(phi * mean) / phi;
}

double sw_ghost_zero_probability(double mean, double phi)
{
        return exp(bayes__log_zero_probability(mean, phi));
}

static double bayes__lbeta(double a, double b)
{
        int sign;
        return lgamma_r(a, &sign) + lgamma_r(b, &sign) - lgamma_r(a + b, &sign);
}

/* Median of the selling days' units in the history, for the level's cap. */
static double bayes__median_selling_day(const struct sw_ghost_series *s, uint32_t first,
                                        uint32_t last)
{
        uint16_t v[SW_GHOST_MAX_WINDOW_DAYS];
        uint32_t m = 0;
        for (uint32_t i = first; i <= last && m < SW_GHOST_MAX_WINDOW_DAYS; i++) {
                if (s->censored[i] || s->sales[i] == 0)
                        continue;
                uint32_t j = m++;
                for (; j > 0 && v[j - 1] > s->sales[i]; j--)
                        v[j] = v[j - 1];
                v[j] = s->sales[i];
        }
        if (m == 0)
                return 0.0;
        return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* Weekday factors over the usable history days, shrunk toward 1 (as core/forecast.c). */
static void bayes__weekday_factors(const struct sw_ghost_params *p, const struct sw_ghost_series *s,
                                   uint32_t first, uint32_t last, double ret_f[7])
{
        double sum_k[7] = {0}, cnt_k[7] = {0}, sum = 0.0, days = 0.0, fsum = 0.0;
        for (uint32_t i = first; i <= last; i++) {
                if (s->censored[i])
                        continue;
                sum_k[s->weekday[i]] += s->sales[i];
                cnt_k[s->weekday[i]] += 1.0;
                sum += s->sales[i];
                days += 1.0;
        }
        double mean = days > 0.0 ? sum / days : 0.0, a = p->forecast.weekday_pseudo_days;
        for (unsigned k = 0; k < 7; k++) {
                ret_f[k] = mean > 0.0 && cnt_k[k] + a > 0.0
                               ? (sum_k[k] + a * mean) / (cnt_k[k] + a) / mean
                               : 1.0;
                fsum += ret_f[k];
        }
        for (unsigned k = 0; k < 7; k++)
                ret_f[k] = ret_f[k] * 7.0 / fsum;
}

/* Level (EW, capped days) and the dispersion moments of the history [first, last]. */
static void bayes__level(const struct sw_ghost_params *p, const struct sw_ghost_series *s,
                         uint32_t first, uint32_t last, struct sw_ghost_fit *f)
{
        double cap = LEVEL_CAP_MEDIANS * bayes__median_selling_day(s, first, last);
        double decay = exp2(-1.0 / p->forecast.half_life_days), w = 1.0, wx = 0.0, wf = 0.0;
        if (cap < LEVEL_CAP_MEDIANS)
                cap = LEVEL_CAP_MEDIANS;
        for (uint32_t i = last + 1; i-- > first; w *= decay) {
                if (s->censored[i])
                        continue;
                wx += w * fmin((double)s->sales[i], cap);
                wf += w * f->weekday_factor[s->weekday[i]];
        }
        f->level = wf > 0.0 ? wx / wf : 0.0;
        double sw = 0.0, sw2 = 0.0;
        w = 1.0;
        for (uint32_t i = last + 1; i-- > first; w *= decay) {
                if (s->censored[i])
                        continue;
                double mu = f->level * f->weekday_factor[s->weekday[i]], d = s->sales[i] - mu;
                f->moment_num += w * (d * d - mu);
                f->moment_den += w * mu * mu;
                sw += w;
                sw2 += w * w;
                f->weekday_days[s->weekday[i]]++;
                if (s->sales[i] == 0)
                        f->weekday_zero[s->weekday[i]]++;
        }
        f->effective_days = sw2 > 0.0 ? sw * sw / sw2 : 0.0;
}

int sw_ghost_bayes_fit(const struct sw_ghost_params *p, const struct sw_ghost_series *s,
                       struct sw_ghost_fit *ret)
{
        struct sw_ghost_fit f = {0};
        if (!p || !s || !ret || !s->sales || !s->weekday || !s->censored || s->n == 0 ||
            s->n > SW_GHOST_MAX_WINDOW_DAYS)
                return -EINVAL;
        uint32_t known = s->known < s->n ? s->known : s->n, first = s->n - known;
        for (unsigned k = 0; k < 7; k++)
                f.weekday_factor[k] = 1.0;
        for (uint32_t i = s->n; i-- > first;)
                if (s->sales[i] > 0) {
                        f.has_sale = true;
                        f.last_sale = i;
                        break;
                }
        uint32_t run_from = f.has_sale ? f.last_sale + 1 : first;
        if (run_from < s->run_floor)
                run_from = s->run_floor;
        for (uint32_t i = run_from; i < s->n; i++)
                f.run_days += !s->censored[i];
        if (f.has_sale) {
                for (uint32_t i = first; i <= f.last_sale; i++) {
                        if (s->censored[i])
                                continue;
                        f.history_days++;
                        f.zero_days += s->sales[i] == 0;
                }
                bayes__weekday_factors(p, s, first, f.last_sale, f.weekday_factor);
                bayes__level(p, s, first, f.last_sale, &f);
        }
        *ret = f;
        return 0;
}

void sw_ghost_pool_reset(struct sw_ghost_pool *pool)
{
        memset(pool, 0, sizeof(*pool));
}

double sw_ghost_own_dispersion(const struct sw_ghost_fit *f)
{
        return f->moment_den > 0.0 ? f->moment_num / f->moment_den : 0.0;
}

/*
 * Log likelihood of a SKU's history under each grid dispersion: its zero days per weekday
 * (binomial in the zero-day probability of that weekday's mean) and its own moment estimate
 * of phi (about normal, with the sampling variance of a sample variance of negative binomial
 * counts: (2 + 6 phi) / n (1 / mu + phi)^2, the 6 phi for their heavy tail).
 */
static void bayes__history_loglik(const struct sw_ghost_fit *f, double ret_ll[SW_GHOST_DISPERSIONS])
{
        double own = sw_ghost_own_dispersion(f),
               n = f->effective_days > 1.0 ? f->effective_days : 1.0;
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++) {
                double phi = sw_ghost_dispersion_grid[g], ll = 0.0;
                for (unsigned k = 0; k < 7; k++) {
                        if (f->weekday_days[k] == 0)
                                continue;
                        double log_q =
                            bayes__log_zero_probability(f->level * f->weekday_factor[k], phi);
                        log_q = fmin(fmax(log_q, log(Q_MIN)), log(Q_MAX));
                        ll += f->weekday_zero[k] * log_q +
                              (f->weekday_days[k] - f->weekday_zero[k]) * log1p(-exp(log_q));
                }
                double x = 1.0 / f->level + phi, var = (2.0 + 6.0 * phi) / n * x * x;
                ll += -0.5 * (own - phi) * (own - phi) / var - 0.5 * log(var);
                ret_ll[g] = ll;
        }
}

/* Normalise log weights into weights summing to 1; returns the log of their sum. */
static double bayes__normalise(double ll[SW_GHOST_DISPERSIONS], double ret_w[SW_GHOST_DISPERSIONS])
{
        double top = ll[0], sum = 0.0;
        for (unsigned g = 1; g < SW_GHOST_DISPERSIONS; g++)
                top = fmax(top, ll[g]);
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                sum += ret_w[g] = exp(ll[g] - top);
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                ret_w[g] /= sum;
        return top + log(sum);
}

void sw_ghost_pool_add(struct sw_ghost_pool *pool, const struct sw_ghost_params *p,
                       const struct sw_ghost_fit *fit)
{
        double ll[SW_GHOST_DISPERSIONS], w[SW_GHOST_DISPERSIONS];
        if (!fit->has_sale || fit->history_days < p->forecast.min_history_days ||
            !(fit->level > 0.0))
                return;
        unsigned c = sw_ghost_pool_class(fit->level);
        bayes__history_loglik(fit, ll);
        (void)bayes__normalise(ll, w);
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                pool->weight[c][g] += w[g];
        pool->n[c]++;
        double share = (double)fit->zero_days / fit->history_days;
        pool->share_sum += share;
        pool->share_sq += share * share;
        pool->inv_days += 1.0 / fit->history_days;
        pool->skus++;
}

/* Beta prior of a SKU's zero-day share, by moments over the SKUs added (binomial noise of
 * each share taken out of their spread). */
static void pool__never_sold_prior(struct sw_ghost_pool *pool)
{
        pool->never_alpha = pool->never_beta = 0.0;
        if (pool->skus < POOL_MIN_SKUS_FOR_NEVER)
                return;
        double n = pool->skus, m = pool->share_sum / n;
        double var = pool->share_sq / n - m * m - m * (1.0 - m) * (pool->inv_days / n);
        if (!(m > 0.0 && m < 1.0))
                return;
        if (!(var > 1e-6))
                var = 1e-6;
        double strength = m * (1.0 - m) / var - 1.0;
        if (strength < 0.5)
                strength = 0.5;
        pool->never_alpha = m * strength;
        pool->never_beta = (1.0 - m) * strength;
}

void sw_ghost_pool_finish(struct sw_ghost_pool *pool)
{
        double store[SW_GHOST_DISPERSIONS] = {0}, total = 0.0;
        for (unsigned c = 0; c < SW_GHOST_POOL_CLASSES; c++)
                for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++) {
                        store[g] += pool->weight[c][g];
                        total += pool->weight[c][g];
                }
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                store[g] = total > 0.0 ? store[g] / total : 1.0 / SW_GHOST_DISPERSIONS;
        for (unsigned c = 0; c < SW_GHOST_POOL_CLASSES; c++) {
                double sum = 0.0;
                for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++) {
                        double w = (pool->weight[c][g] + POOL_SHRINK_SKUS * store[g]) /
                                   (pool->n[c] + POOL_SHRINK_SKUS);
                        sum += pool->prior[c][g] = fmax(w, POOL_MIN_WEIGHT);
                }
                for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                        pool->prior[c][g] /= sum;
        }
        pool__never_sold_prior(pool);
}

void sw_ghost_dispersion_weights(const struct sw_ghost_pool *pool, const struct sw_ghost_fit *fit,
                                 double ret_w[SW_GHOST_DISPERSIONS])
{
        double ll[SW_GHOST_DISPERSIONS];
        unsigned c = sw_ghost_pool_class(fit->level);
        bayes__history_loglik(fit, ll);
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                ll[g] += log(pool->prior[c][g]);
        (void)bayes__normalise(ll, ret_w);
}

/* ln P(run of zero days) for a SKU that sold: the run's probability under each grid
 * dispersion, weighted by the SKU's posterior over the grid. */
static double bayes__run_log_p(const struct sw_ghost_pool *pool, const struct sw_ghost_series *s,
                               const struct sw_ghost_fit *f, struct sw_ghost_result *r)
{
        double w[SW_GHOST_DISPERSIONS], run[SW_GHOST_DISPERSIONS] = {0}, expected = 0.0;
        uint32_t days[7] = {0};
        sw_ghost_dispersion_weights(pool, f, w);
        /* Days of one weekday share a mean: the run is counted by weekday. */
        for (uint32_t i = f->last_sale + 1; i < s->n; i++)
                days[s->weekday[i]] += !s->censored[i];
        for (unsigned k = 0; k < 7; k++) {
                if (days[k] == 0)
                        continue;
                double mu = f->level * f->weekday_factor[k];
                for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++)
                        run[g] += days[k] *
                                  fmax(bayes__log_zero_probability(mu, sw_ghost_dispersion_grid[g]),
                                       log(Q_MIN));
                expected += days[k] * mu;
        }
        r->dispersion = 0.0;
        for (unsigned g = 0; g < SW_GHOST_DISPERSIONS; g++) {
                r->dispersion += w[g] * sw_ghost_dispersion_grid[g];
                run[g] += log(fmax(w[g], 1e-300));
        }
        double unused[SW_GHOST_DISPERSIONS];
        r->model = SW_GHOST_MODEL_NB_MIXTURE;
        r->expected_units = expected;
        return bayes__normalise(run, unused);
}

/* Log likelihood ratio (ghost against normal) of the shelf readings. Zero readings count from
 * the second open day without a sale: one day of an empty shelf and no sales is also what a
 * stock-out looks like whose last sales the daemon never heard, restocked a day later. */
static double bayes__shelf_llr(const struct sw_ghost_params *p, const struct sw_ghost_shelf *sh,
                               uint32_t run_days)
{
        if (!sh || (run_days < SHELF_MIN_RUN_DAYS && !sh->stocked))
                return 0.0;
        if (sh->stocked)
                return log(p->shelf_false_zero_rate);
        unsigned k =
            sh->zero_readings < SHELF_MAX_READINGS ? sh->zero_readings : SHELF_MAX_READINGS;
        return -(double)k * log(p->shelf_false_zero_rate);
}

static enum sw_severity bayes__severity(const struct sw_ghost_params *p, double probability)
{
        if (probability >= p->critical_probability)
                return SW_SEVERITY_CRITICAL;
        if (probability >= p->warning_probability)
                return SW_SEVERITY_WARNING;
        return SW_SEVERITY_INFO;
}

bool sw_ghost_bayes_may_flag(const struct sw_ghost_params *p, const struct sw_ghost_series *s,
                             const struct sw_ghost_fit *f, const struct sw_ghost_shelf *shelf,
                             int32_t on_hand, double scale)
{
        if (f->run_days == 0 || on_hand < (int64_t)p->min_on_hand)
                return false;
        bool tested =
            f->has_sale && f->history_days >= p->forecast.min_history_days && f->level > 0.0;
        if (!f->has_sale || !tested || !(scale > 0.0))
                return true; /* the never-sold test, or the shelf alone: evaluate decides */
        /* Each grid point's log P(0 units) is at least -mu (log1p(x) <= x), so the mixture's
         * log P(run) is at least minus the expected units of the run. */
        double expected = 0.0;
        uint32_t days[7] = {0};
        for (uint32_t i = f->last_sale + 1; i < s->n; i++)
                days[s->weekday[i]] += !s->censored[i];
        for (unsigned k = 0; k < 7; k++)
                expected += days[k] * f->level * f->weekday_factor[k];
        double prior = log(p->onset_rate / (1.0 - p->onset_rate));
        double most = prior + expected / scale + bayes__shelf_llr(p, shelf, f->run_days);
        double needed = log(p->min_probability / (1.0 - p->min_probability));
        return most >= needed - 1e-9 * (1.0 + fabs(needed));
}

int sw_ghost_bayes_evaluate(const struct sw_ghost_params *p, const struct sw_ghost_pool *pool,
                            const struct sw_ghost_series *s, const struct sw_ghost_fit *f,
                            const struct sw_ghost_shelf *shelf, int32_t on_hand, double price,
                            double scale, struct sw_ghost_result *ret)
{
        struct sw_ghost_result r = {0};
        if (!p || !pool || !s || !f || !ret || !(scale > 0.0))
                return -EINVAL;
        double log_p = 0.0;
        r.model = SW_GHOST_MODEL_NONE;
        r.run_days = (uint16_t)f->run_days;
        r.baseline_days = (uint16_t)f->history_days;
        r.sales_resumed = f->has_sale && f->last_sale == s->n - 1;
        r.forecast_available = f->has_sale && f->history_days >= p->forecast.min_history_days;
        if (f->run_days > 0 && !f->has_sale && pool->never_alpha > 0.0) {
                r.model = SW_GHOST_MODEL_NEVER_SOLD;
                log_p = bayes__lbeta(pool->never_alpha + f->run_days, pool->never_beta) -
                        bayes__lbeta(pool->never_alpha, pool->never_beta);
        } else if (f->run_days > 0 && r.forecast_available && f->level > 0.0) {
                log_p = bayes__run_log_p(pool, s, f, &r);
        }
        if (log_p > 0.0)
                log_p = 0.0;
        r.p_value = exp(log_p);
        r.score = log_p == 0.0 ? 0.0 : -log_p / M_LN10;
        r.value = on_hand > 0 && isfinite(price) && price > 0.0 ? (double)on_hand * price : 0.0;

        double prior = log(p->onset_rate / (1.0 - p->onset_rate));
        double log_odds = prior - log_p / scale + bayes__shelf_llr(p, shelf, f->run_days);
        r.probability = 1.0 / (1.0 + exp(-log_odds));
        r.flagged = f->run_days > 0 && r.probability >= p->min_probability &&
                    on_hand >= (int64_t)p->min_on_hand;
        r.severity = bayes__severity(p, r.probability);
        r.priority = r.probability * r.value;
        *ret = r;
        return 0;
}
