/* demand.c: realistic demand: negative-binomial sizes per SKU, promotions and their after-dip. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storesim.h"

/* The NB sizes of --nb-mix, in its order; 0 is Poisson. */
static const double sim_nb_sizes[SIM_NB_SIZES] = {1.0, 2.0, 5.0, 0.0};

/* Parse --nb-mix "W,W,W,W" (weights of r = 1, 2, 5, Poisson; not all 0). 0 or -EINVAL. */
int sim_parse_nb_mix(const char *text, double ret_w[SIM_NB_SIZES])
{
        double w[SIM_NB_SIZES], sum = 0.0;
        const char *p = text;
        for (int i = 0; i < SIM_NB_SIZES; i++) {
                char *end = NULL;
                errno = 0;
                w[i] = strtod(p, &end);
                if (errno || end == p || !(w[i] >= 0.0 && w[i] <= 1e6) ||
                    *end != (i + 1 < SIM_NB_SIZES ? ',' : '\0'))
                        return -EINVAL;
                sum += w[i];
                p = end + 1;
        }
        if (!(sum > 0.0))
                return -EINVAL;
        memcpy(ret_w, w, sizeof(w));
        return 0;
}

/* A geometric gap of mean days (at least 1). */
static sw_day_t sim_gap(struct sim_rng *rng, double mean)
{
        return 1 + (sw_day_t)floor(-log(1.0 - sim_uniform(rng)) * mean);
}

/* Draw each SKU's NB size and first promotion, from the promotions' stream (the store's
 * stream draws what it always drew). */
void sim_init_demand(struct sim *s)
{
        double w[SIM_NB_SIZES], sum = 0.0;
        bool nb = strcmp(s->opt.nb_mix, "off") != 0 && sim_parse_nb_mix(s->opt.nb_mix, w) == 0;
        for (int i = 0; nb && i < SIM_NB_SIZES; i++)
                sum += w[i];
        sim_seed(&s->promo_rng, (uint64_t)s->opt.seed ^ 0x70726f6d6f73ULL);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                k->mean_demand = k->rate; /* the weekday factors average 1 */
                if (nb) {
                        double u = sim_uniform(&s->promo_rng) * sum;
                        int c = 0;
                        while (c + 1 < SIM_NB_SIZES && u >= w[c])
                                u -= w[c++];
                        k->nb_r = sim_nb_sizes[c];
                        k->shape = 0.0; /* the basic model's gamma noise is replaced */
                }
                if (s->opt.promo_weeks > 0.0)
                        k->promo.next =
                            s->opt.start + sim_gap(&s->promo_rng, 7.0 * s->opt.promo_weeks) - 1;
        }
}

/* Draw the promotion that starts on k->promo.next: 3-7 days at x2-x4, then a dip of 5-10
 * days at x0.6-0.8; the next one a geometric gap later (after the dip at the earliest). */
static void sim_next_promo(struct sim *s, struct sim_sku *k)
{
        struct sim_rng *rng = &s->promo_rng;
        struct sim_promo *p = &k->promo;
        p->start = p->next;
        p->end = p->start + 2 + (sw_day_t)sim_below(rng, 5);
        p->factor = sim_between(rng, 2.0, 4.0);
        p->dip_end = p->end + 5 + (sw_day_t)sim_below(rng, 6);
        p->dip_factor = sim_between(rng, 0.6, 0.8);
        sw_day_t gap = sim_gap(rng, 7.0 * s->opt.promo_weeks);
        p->next = p->start + (gap > p->dip_end - p->start + 1 ? gap : p->dip_end - p->start + 1);
        s->promotions += p->start < s->opt.start + (sw_day_t)s->opt.days;
}

/* The SKU's promotion multiplier on day (1 outside promotions and dips). */
double sim_promo_factor(struct sim *s, struct sim_sku *k, sw_day_t day)
{
        if (s->opt.promo_weeks <= 0.0)
                return 1.0;
        while (day >= k->promo.next)
                sim_next_promo(s, k);
        if (k->promo.dip_end == 0 || day < k->promo.start || day > k->promo.dip_end)
                return 1.0;
        return day <= k->promo.end ? k->promo.factor : k->promo.dip_factor;
}

/* Expected units of the SKU today before the NB noise: base rate, weekday and store factor,
 * calendar (Black Friday), promotion and a demand spike. */
double sim_expected_units(struct sim *s, unsigned i, sw_day_t day, double store_factor)
{
        struct sim_sku *k = &s->skus[i];
        double promo = sim_promo_factor(s, k, day);
        if (promo != 1.0)
                s->flags[(size_t)i * s->opt.days + (size_t)(day - s->opt.start)] |= SIM_F_PROMO;
        return k->rate * store_factor * s->day_factor[day - s->opt.start] * promo;
}

/* Units demanded of SKU i today: the replay's units, or a draw; a demand spike multiplies
 * either (and the spike's last day closes it). */
int32_t sim_demand_units(struct sim *s, unsigned i, sw_day_t day, double store_factor)
{
        struct sim_sku *k = &s->skus[i];
        struct sim_episode *spike = sim_ml_episode(s, k, SIM_DEMAND_SPIKE);
        if (spike)
                spike->closed = spike->end == day;
        if (s->demand.units) {
                int32_t u =
                    s->demand.units[(size_t)i * s->demand.days + (size_t)(day - s->opt.start)];
                return spike ? (int32_t)floor(u * spike->factor + 0.5) : u;
        }
        double lambda = sim_expected_units(s, i, day, store_factor);
        if (k->shape > 0.0) /* basic: a quarter of the SKUs gamma-Poisson */
                lambda *= sim_gamma(&s->rng, k->shape) / k->shape;
        if (k->nb_r > 0.0)
                lambda *= sim_gamma(&s->rng, k->nb_r) / k->nb_r;
        if (spike) /* a promotion nobody told the system about */
                lambda *= spike->factor;
        return sim_poisson(&s->rng, lambda);
}
