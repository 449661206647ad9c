/* Local demand forecast: weekday factors, exponentially weighted level, moment dispersion. */
#include "core/forecast.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>

void sw_forecast_params_default(struct sw_forecast_params *ret)
{
        ret->min_history_days = SW_FORECAST_MIN_HISTORY_DEFAULT;
        ret->half_life_days = SW_FORECAST_HALF_LIFE_DEFAULT;
        ret->weekday_pseudo_days = SW_FORECAST_WEEKDAY_PSEUDO;
}

int sw_forecast_params_validate(const struct sw_forecast_params *p)
{
        if (!p || p->min_history_days < 1)
                return -EINVAL;
        /* !(x > 0) also rejects NaN. */
        if (!(p->half_life_days > 0.0))
                return -EINVAL;
        if (!(p->weekday_pseudo_days >= 0.0) || !isfinite(p->weekday_pseudo_days))
                return -EINVAL;
        return 0;
}

static void forecast__reset(struct sw_forecast_model *m, uint32_t n)
{
        m->level = 0.0;
        for (unsigned k = 0; k < 7; k++)
                m->weekday_factor[k] = 1.0;
        m->dispersion = 0.0;
        m->days_used = n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
        m->valid = false;
}

/*
 * Weekday factors from unweighted per-weekday means: weekday patterns are stable and
 * need every day of the window, while the level should follow recent changes.
 * f_k = (S_k + a*m) / (N_k + a) / m, then scaled to mean 1.
 */
static void forecast__weekday_factors(const struct sw_forecast_params *p, const uint16_t *sales,
                                      const uint8_t *weekday, uint32_t n, double ret_f[7])
{
        double sum_k[7] = {0}, cnt_k[7] = {0}, sum = 0.0;

        for (uint32_t i = 0; i < n; i++) {
                sum_k[weekday[i]] += sales[i];
                cnt_k[weekday[i]] += 1.0;
                sum += sales[i];
        }
        double mean = sum / (double)n;
        double a = p->weekday_pseudo_days, fsum = 0.0;
        for (unsigned k = 0; k < 7; k++) {
                if (mean > 0.0 && cnt_k[k] + a > 0.0)
                        ret_f[k] = (sum_k[k] + a * mean) / (cnt_k[k] + a) / mean;
                else
                        ret_f[k] = 1.0;
                fsum += ret_f[k];
        }
        /* fsum > 0: mean > 0 means some weekday sold, so its factor is positive. */
        for (unsigned k = 0; k < 7; k++)
                ret_f[k] = ret_f[k] * 7.0 / fsum;
}

int sw_forecast_fit(const struct sw_forecast_params *p, const uint16_t *sales,
                    const uint8_t *weekday, uint32_t n, struct sw_forecast_model *ret_model)
{
        struct sw_forecast_model m;

        if (sw_forecast_params_validate(p) < 0 || !ret_model || (n > 0 && (!sales || !weekday)))
                return -EINVAL;
        for (uint32_t i = 0; i < n; i++)
                if (weekday[i] > 6)
                        return -EINVAL;

        forecast__reset(&m, n);
        if (n < p->min_history_days) {
                *ret_model = m;
                return 0;
        }

        forecast__weekday_factors(p, sales, weekday, n, m.weekday_factor);

        /*
         * Level: the Poisson maximum-likelihood rate given the factors, with weights
         * w = 2^(-age / half_life): L = sum w x / sum w f. It is the weighted mean of the
         * deseasonalised sales x / f with weights w f, and keeps the weighted total of
         * fitted sales equal to the weighted total sold, even where shrinkage has left a
         * factor wrong (a plain mean of x / f under-forecasts sparse sellers badly).
         */
        double decay = exp2(-1.0 / p->half_life_days), w = 1.0;
        double wx = 0.0, wf = 0.0;
        for (uint32_t i = n; i-- > 0; w *= decay) {
                wx += w * (double)sales[i];
                wf += w * m.weekday_factor[weekday[i]];
        }
        m.level = wf > 0.0 ? wx / wf : 0.0;

        /*
         * Method of moments for Var = mu + phi mu^2, with the same weights so that a
         * level drift the weighting follows is not mistaken for dispersion:
         * phi = sum w((x - mu)^2 - mu) / sum w mu^2, clamped at 0.
         */
        double num = 0.0, den = 0.0;
        w = 1.0;
        for (uint32_t i = n; i-- > 0; w *= decay) {
                double mu = m.level * m.weekday_factor[weekday[i]];
                double d = (double)sales[i] - mu;
                num += w * (d * d - mu);
                den += w * mu * mu;
        }
        m.dispersion = den > 0.0 && num > 0.0 ? num / den : 0.0;
        m.valid = true;
        *ret_model = m;
        return 0;
}

double sw_forecast_expected(const struct sw_forecast_model *m, unsigned weekday)
{
        if (!m || !m->valid || weekday > 6)
                return NAN;
        return m->level * m->weekday_factor[weekday];
}
