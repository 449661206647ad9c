/* store.c: the simulated store: its SKUs, their prices and stock, and each day's demand. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *sim_category(const struct sim *s, unsigned c, char buf[32])
{
        size_t names = sizeof(sim_category_names) / sizeof(sim_category_names[0]);
        if (s->cat_names)
                return s->cat_names[c];
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
        if (s->demand.units)
                sim_replay_skus(s);
        sim_init_demand(s);
        return 0;
}

/* Sold units of SKU i as POS lines: of 1..3 units each; in a replay, a real day's units split
 * into 1..3 lines. */
static int sim_lines(struct sim *s, unsigned i)
{
        struct sim_rng *rng = &s->rng;
        int32_t sold = s->skus[i].sold;
        unsigned lines = 0;
        if (s->demand.units && sold > 0) {
                unsigned n = 1 + sim_below(rng, 3);
                lines = n < (unsigned)sold ? n : (unsigned)sold;
        }
        for (int32_t left = sold; left > 0; lines -= lines > 0) {
                int32_t q;
                if (lines > 1) /* leave at least a unit for each line still to come */
                        q = 1 + (int32_t)sim_below(rng, (unsigned)(left - (int32_t)lines + 1));
                else if (lines == 1)
                        q = left;
                else
                        q = sim_uniform(rng) < 0.7 ? 1 : 2 + (int32_t)sim_below(rng, 2);
                q = q < left ? q : left;
                if (SIM_PUSH(s->lines, s->n_lines, s->cap_lines) < 0)
                        return -ENOMEM;
                s->lines[s->n_lines++] = (struct sim_line){i, q};
                left -= q;
        }
        return 0;
}

/* Today's demand, capped by the physical stock, as POS lines in random order. */
int sim_sell(struct sim *s, sw_day_t day)
{
        struct sim_rng *rng = &s->rng;
        double factor = sim_weekday(day) * exp(0.08 * sim_normal(rng)); /* store-wide day noise */
        s->n_lines = 0;
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                int32_t demand = sim_demand_units(s, i, day, factor);
                k->sold = demand < k->physical ? demand : k->physical;
                if (sim_lines(s, i) < 0)
                        return -ENOMEM;
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

static const struct sim *sim_sort_ctx; /* qsort has no context argument */

static int sim_code_cmp(const void *a, const void *b)
{
        return strcmp(sim_sort_ctx->skus[*(const unsigned *)a].code,
                      sim_sort_ctx->skus[*(const unsigned *)b].code);
}

/* Index the SKUs by code for sim_sku_index. 0 or -ENOMEM. */
int sim_index_codes(struct sim *s)
{
        s->by_code = malloc(s->opt.skus * sizeof(*s->by_code));
        if (!s->by_code)
                return -ENOMEM;
        for (unsigned i = 0; i < s->opt.skus; i++)
                s->by_code[i] = i;
        sim_sort_ctx = s;
        qsort(s->by_code, s->opt.skus, sizeof(*s->by_code), sim_code_cmp);
        sim_sort_ctx = NULL;
        return 0;
}

/* Index of the SKU with this code, or -1. */
int sim_sku_index(const struct sim *s, const char *code)
{
        size_t lo = 0, hi = s->by_code ? s->opt.skus : 0;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(s->skus[s->by_code[mid]].code, code);
                if (c == 0)
                        return (int)s->by_code[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}
