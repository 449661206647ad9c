/* demandfile.c: --demand: read a replay's demand file (tools/realdata/prepare.py writes it). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "storesim.h"

#define SIM_DEMAND_MAGIC  "shelfwatch-demand 1"
#define SIM_DEMAND_HEADER "sku,category,price,day_index,units"
#define SIM_DEMAND_LINE   512

/* Index of the category name, added when new; -ENOSPC past SIM_MAX_CATEGORIES. */
static int sim_demand_category(struct sim_demand *m, const char *name)
{
        for (unsigned c = 0; c < m->n_cats; c++)
                if (strcmp(m->cat_names[c], name) == 0)
                        return (int)c;
        if (m->n_cats >= SIM_MAX_CATEGORIES || strlen(name) >= sizeof(m->cat_names[0]))
                return -ENOSPC;
        snprintf(m->cat_names[m->n_cats], sizeof(m->cat_names[0]), "%s", name);
        return (int)m->n_cats++;
}

/* The header lines: start, days and the closed days. 0 or -EBADMSG. */
static int sim_demand_header(struct sim_demand *m, FILE *f)
{
        char line[SIM_DEMAND_LINE * 8], *tok, *save = NULL;
        if (!fgets(line, sizeof(line), f) ||
            strncmp(line, SIM_DEMAND_MAGIC, strlen(SIM_DEMAND_MAGIC)))
                return -EBADMSG;
        if (!fgets(line, sizeof(line), f) || strncmp(line, "start ", 6) ||
            sw_date_parse(line + 6, 10, &m->start) < 0)
                return -EBADMSG;
        if (!fgets(line, sizeof(line), f) || sscanf(line, "days %u", &m->days) != 1 ||
            m->days < 1 || m->days > 3660)
                return -EBADMSG;
        m->closed = calloc(m->days, sizeof(*m->closed));
        m->cat_names = calloc(SIM_MAX_CATEGORIES, sizeof(*m->cat_names));
        if (!m->closed || !m->cat_names)
                return -ENOMEM;
        if (!fgets(line, sizeof(line), f) || strncmp(line, "closed", 6))
                return -EBADMSG;
        for (tok = strtok_r(line + 6, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                sw_day_t d;
                if (sw_date_parse(tok, strlen(tok), &d) < 0 || d < m->start ||
                    d >= m->start + (sw_day_t)m->days)
                        return -EBADMSG;
                m->closed[d - m->start] = true;
        }
        if (!fgets(line, sizeof(line), f) ||
            strncmp(line, SIM_DEMAND_HEADER, strlen(SIM_DEMAND_HEADER)))
                return -EBADMSG;
        return 0;
}

/* Make room for SKU index sku (codes, prices, categories, a row of units). */
static int sim_demand_grow(struct sim_demand *m, size_t *cap, unsigned sku)
{
        if (sku < *cap)
                return 0;
        size_t n = *cap ? *cap * 2 : 256;
        void *a = realloc(m->codes, n * sizeof(*m->codes)), *b, *c, *u;
        if (a)
                m->codes = a;
        b = realloc(m->prices, n * sizeof(*m->prices));
        if (b)
                m->prices = b;
        c = realloc(m->categories, n * sizeof(*m->categories));
        if (c)
                m->categories = c;
        u = realloc(m->units, n * m->days * sizeof(*m->units));
        if (u)
                m->units = u;
        if (!a || !b || !c || !u)
                return -ENOMEM;
        memset(m->units + *cap * m->days, 0, (n - *cap) * m->days * sizeof(*m->units));
        *cap = n;
        return 0;
}

/* One row "sku,category,price,day_index,units"; a new SKU code starts a new SKU. */
static int sim_demand_row(struct sim_demand *m, size_t *cap, char *line)
{
        char *f[5], *save = NULL;
        int n = 0;
        for (char *t = strtok_r(line, ",\n", &save); t && n < 5; t = strtok_r(NULL, ",\n", &save))
                f[n++] = t;
        if (n != 5 || strlen(f[0]) >= sizeof(m->codes[0]))
                return -EBADMSG;
        unsigned day = (unsigned)strtoul(f[3], NULL, 10);
        long units = strtol(f[4], NULL, 10);
        if (day >= m->days || units < 0 || units > 1000000)
                return -EBADMSG;
        if (m->skus == 0 || strcmp(m->codes[m->skus - 1], f[0]) != 0) {
                int c = sim_demand_category(m, f[1]);
                if (c < 0 || m->skus >= SIM_DEMAND_MAX_SKU)
                        return c < 0 ? c : -ENOSPC;
                if (sim_demand_grow(m, cap, m->skus) < 0)
                        return -ENOMEM;
                snprintf(m->codes[m->skus], sizeof(m->codes[0]), "%s", f[0]);
                m->prices[m->skus] = strtod(f[2], NULL);
                m->categories[m->skus] = (unsigned)c;
                m->skus++;
        }
        m->units[(size_t)(m->skus - 1) * m->days + day] += (int32_t)units;
        return 0;
}

/* Read --demand into s->demand. 0, -errno of the file, -EBADMSG or -ENOMEM. */
int sim_load_demand(struct sim *s)
{
        struct sim_demand *m = &s->demand;
        char line[SIM_DEMAND_LINE];
        size_t cap = 0;
        FILE *f = fopen(s->opt.demand_path, "r");
        if (!f)
                return -errno;
        int r = sim_demand_header(m, f);
        while (r == 0 && fgets(line, sizeof(line), f))
                r = sim_demand_row(m, &cap, line);
        fclose(f);
        return r == 0 && m->skus == 0 ? -EBADMSG : r;
}

void sim_free_demand(struct sim_demand *m)
{
        free(m->units);
        free(m->codes);
        free(m->prices);
        free(m->categories);
        free(m->cat_names);
        free(m->closed);
        *m = (struct sim_demand){0};
}

/*
 * Fit the run to the file: its SKUs and days; the first day is the file's, moved by whole
 * weeks (the weekdays stay) to the latest day at or before the run's start (--start, or
 * today - days - 1 so that every day is in the daemon's past). The SKUs take the file's codes,
 * categories and prices (sim_init_store, then sim_replay_skus).
 */
void sim_replay_window(struct sim *s)
{
        struct sim_options *o = &s->opt;
        o->days = s->demand.days;
        o->skus = s->demand.skus;
        o->categories = s->demand.n_cats;
        sw_day_t shift = o->start - s->demand.start;
        shift = shift >= 0 ? shift / 7 * 7 : -((-shift + 6) / 7 * 7);
        o->start = s->demand.start + shift;
        s->cat_names = s->demand.cat_names;
}

/* The replayed SKUs: codes, categories, prices and a stock sized from their mean demand. */
void sim_replay_skus(struct sim *s)
{
        const struct sim_demand *m = &s->demand;
        unsigned open = 0;
        for (unsigned d = 0; d < m->days; d++)
                open += !m->closed[d];
        for (unsigned i = 0; i < m->skus; i++) {
                struct sim_sku *k = &s->skus[i];
                long total = 0;
                for (unsigned d = 0; d < m->days; d++)
                        total += m->units[(size_t)i * m->days + d];
                snprintf(k->code, sizeof(k->code), "%s", m->codes[i]);
                k->category = m->categories[i];
                k->price = k->shown_price = m->prices[i] > 0.01 ? sim_cents(m->prices[i]) : 0.01;
                k->rate = (double)total / m->days;
                k->mean_demand = open ? (double)total / open : 0.0;
                k->shape = 0.0;
                k->nb_r = 0.0;
                k->reorder_point = (int32_t)fmax(1.0, ceil(4.0 * k->rate));
                k->order_qty = (int32_t)fmax(2.0, ceil(10.0 * k->rate));
                k->book =
                    k->reorder_point + 1 + (int32_t)sim_below(&s->rng, (unsigned)k->order_qty);
                k->physical = k->book;
        }
}
