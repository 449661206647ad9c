/* store.c: the simulated store: its SKUs, their prices and stock, and each day's demand. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "storesim.h"

static const char *const sim_category_names[] = {"dairy",  "bakery",    "produce", "meat",
                                                 "frozen", "beverages", "snacks",  "household",
                                                 "health", "pet",       "baby",    "electronics"};

/* Make room for need elements in a growable array. Returns 0 or -ENOMEM. */
int sim_reserve(void **array, size_t *cap, size_t need, size_t elem)
{
        if (need <= *cap)
                return 0;
        size_t n = *cap ? *cap : 64;
        while (n < need)
                n *= 2;
        void *p = realloc(*array, n * elem);
        if (!p)
                return -ENOMEM;
        *array = p;
        *cap = n;
        return 0;
}

const char *sim_category(unsigned c, char buf[32])
{
        size_t names = sizeof(sim_category_names) / sizeof(sim_category_names[0]);
        if (c < names)
                return sim_category_names[c];
        snprintf(buf, 32, "category%02u", c + 1);
        return buf;
}

double sim_cents(double v)
{
        return floor(v * 100.0 + 0.5) / 100.0;
}

/* The list price published during a price error of this factor. */
double sim_wrong_price(const struct sim_sku *k, double factor)
{
        return fmax(0.01, sim_cents(k->price * factor));
}

int sim_init_store(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        struct sim_rng *rng = &s->rng;
        double level[SIM_MAX_CATEGORIES];
        s->skus = calloc(o->skus, sizeof(*s->skus));
        if (!s->skus)
                return -ENOMEM;
        for (unsigned c = 0; c < o->categories; c++)
                level[c] = 0.6 * sim_normal(rng);
        int width = o->skus > 10000 ? 6 : 4;
        for (unsigned i = 0; i < o->skus; i++) {
                struct sim_sku *k = &s->skus[i];
                snprintf(k->code, sizeof(k->code), "SKU%0*u", width, i + 1);
                k->category = sim_below(rng, o->categories);
                double p = exp(log(6.0) + level[k->category] + 0.9 * sim_normal(rng));
                p = fmin(200.0, fmax(0.5, p));
                k->price = sim_cents(p);
                k->shown_price = k->price;
                double r = exp(log(2.0) - 0.35 * log(k->price / 6.0) + 1.1 * sim_normal(rng));
                k->rate = fmin(40.0, fmax(0.1, r));
                k->shape = sim_uniform(rng) < 0.25 ? 2.0 + 6.0 * sim_uniform(rng) : 0.0;
                k->reorder_point = (int32_t)fmax(1.0, ceil(4.0 * k->rate));
                k->order_qty = (int32_t)fmax(2.0, ceil(10.0 * k->rate));
                k->book = k->reorder_point + 1 + (int32_t)sim_below(rng, (unsigned)k->order_qty);
                k->physical = k->book;
                k->shelf = sim_uniform(rng) < o->shelf_fraction;
                k->ghost = -1;
                k->ml = -1;
                k->stockout = -1;
        }
        return 0;
}

/* Sold units as POS lines of 1..3 units. */
int sim_sell(struct sim *s, sw_day_t day)
{
        struct sim_rng *rng = &s->rng;
        double factor = sim_weekday(day) * exp(0.08 * sim_normal(rng)); /* store-wide day noise */
        s->n_lines = 0;
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                double lambda = k->rate * factor;
                if (k->shape > 0.0)
                        lambda *= sim_gamma(rng, k->shape) / k->shape;
                struct sim_episode *spike = sim_ml_episode(s, k, SIM_DEMAND_SPIKE);
                if (spike) { /* a promotion nobody told the system about */
                        lambda *= spike->factor;
                        spike->closed = spike->end == day;
                }
                int32_t demand = sim_poisson(rng, lambda);
                k->sold = demand < k->physical ? demand : k->physical;
                for (int32_t left = k->sold; left > 0;) {
                        int32_t q = sim_uniform(rng) < 0.7 ? 1 : 2 + (int32_t)sim_below(rng, 2);
                        q = q < left ? q : left;
                        if (SIM_PUSH(s->lines, s->n_lines, s->cap_lines) < 0)
                                return -ENOMEM;
                        s->lines[s->n_lines++] = (struct sim_line){i, q};
                        left -= q;
                }
                s->units_sold += (unsigned long)k->sold;
        }
        for (size_t i = s->n_lines; i > 1; i--) { /* Fisher-Yates */
                size_t j = sim_below(rng, (unsigned)i);
                struct sim_line t = s->lines[i - 1];
                s->lines[i - 1] = s->lines[j];
                s->lines[j] = t;
        }
        return 0;
}

static int sim_txn_cmp(const void *a, const void *b)
{
        const struct sim_txn *x = a, *y = b;
        if (x->secs != y->secs)
                return x->secs < y->secs ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Group the shuffled lines into transactions of 1..5 lines at times in opening hours. */
int sim_group(struct sim *s)
{
        s->n_txns = 0;
        for (size_t first = 0; first < s->n_lines;) {
                unsigned n = 1 + sim_below(&s->rng, 5);
                if (n > s->n_lines - first)
                        n = (unsigned)(s->n_lines - first);
                if (SIM_PUSH(s->txns, s->n_txns, s->cap_txns) < 0)
                        return -ENOMEM;
                s->txns[s->n_txns] = (struct sim_txn){
                    .secs = SIM_OPEN_SEC + sim_below(&s->rng, SIM_CLOSE_SEC - SIM_OPEN_SEC),
                    .seq = (unsigned)s->n_txns,
                    .first = (unsigned)first,
                    .n = n,
                    .register_no = 1 + sim_below(&s->rng, SIM_REGISTERS)};
                s->n_txns++;
                first += n;
        }
        qsort(s->txns, s->n_txns, sizeof(*s->txns), sim_txn_cmp);
        return 0;
}
