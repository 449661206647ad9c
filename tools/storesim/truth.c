/* truth.c: the ground truth: the --truth file, and which episode an anomaly matches. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "storesim.h"

/* Ground-truth names of the kinds ("kind" in the --truth file). */
const char *const sim_kind_names[SIM_KINDS] = {"ghost",        "stockout",  "price_error",
                                               "demand_spike", "overstock", "register_price_error"};

/* Days after an episode's end that the detectors' inputs still show it: a wrong price or an
 * excess stock is gone with its correction; a spike stays in the 7-day sales for 6 more days,
 * and so do the prices paid at the registers (a 7-day window of them). */
const sw_day_t sim_kind_after[SIM_KINDS] = {[SIM_DEMAND_SPIKE] = SIM_ML_WINDOW_DAYS - 1,
                                            [SIM_REGISTER_PRICE_ERROR] = SIM_ML_WINDOW_DAYS - 1};

/* A realistic ghost's extra fields: cause, partial or total, shortfall, the SKU's demand. */
static void sim_write_ghost_extra(FILE *f, const struct sim *s, const struct sim_episode *e)
{
        const struct sim_sku *k = &s->skus[e->sku];
        fprintf(f,
                "\"cause\":\"%s\",\"partial\":%s,\"total\":%s,\"lost\":%" PRId32
                ",\"days\":%d,\"mean_demand\":%.3f,",
                sim_cause_names[e->cause], e->partial ? "true" : "false",
                e->total ? "true" : "false", e->lost, (int)(e->end - e->start + 1), k->mean_demand);
        if (k->nb_r > 0.0)
                fprintf(f, "\"r\":%g,", k->nb_r);
        else
                fprintf(f, "\"r\":null,");
}

/* The POS feed outages, after the episodes. */
static void sim_write_outages(FILE *f, const struct sim *s)
{
        char from[40], to[40], cat[32];
        for (size_t i = 0; i < s->n_outages; i++) {
                const struct sim_outage *o = &s->outages[i];
                if (sim_local_ts(o->day, o->from_sec, from, sizeof(from)) < 0 ||
                    sim_local_ts(o->day, o->to_sec, to, sizeof(to)) < 0)
                        continue;
                fprintf(f, "{\"kind\":\"pos_outage\",\"scope\":\"%s\",",
                        sim_outage_scope_names[o->scope]);
                if (o->scope == SIM_OUT_REGISTER)
                        fprintf(f, "\"register\":\"r%u\",", o->register_no);
                if (o->scope == SIM_OUT_CATEGORY)
                        fprintf(f, "\"category\":\"%s\",", sim_category(s, o->category, cat));
                fprintf(f,
                        "\"start\":\"%s\",\"end\":\"%s\",\"lost_transactions\":%lu,"
                        "\"lost_units\":%lu}\n",
                        from, to, o->lost_txns, o->lost_units);
        }
}

int sim_write_truth(const struct sim *s, const char *path)
{
        FILE *f = fopen(path, "w");
        char start[11], end[11], cat[32];
        if (!f)
                return -errno;
        for (size_t i = 0; i < s->n_eps; i++) {
                const struct sim_episode *e = &s->eps[i];
                if (e->kind == SIM_STOCKOUT)
                        continue;
                const struct sim_sku *k = &s->skus[e->sku];
                sim_date(e->start, start);
                sim_date(e->end, end);
                fprintf(f,
                        "{\"kind\":\"%s\",\"sku\":\"%s\",\"category\":\"%s\",\"start\":\"%s\","
                        "\"end\":\"%s\",",
                        sim_kind_names[e->kind], k->code, sim_category(s, k->category, cat), start,
                        end);
                if (e->kind == SIM_GHOST && s->opt.realistic)
                        sim_write_ghost_extra(f, s, e);
                if (e->kind == SIM_GHOST)
                        fprintf(f, "\"on_hand_book\":%" PRId32 ",\"price\":%.2f,", e->book,
                                k->price);
                else
                        fprintf(f, "\"price\":%.2f,\"factor\":%.3f,", k->price, e->factor);
                if (e->kind == SIM_PRICE_ERROR || e->kind == SIM_REGISTER_PRICE_ERROR)
                        fprintf(f, "\"wrong_price\":%.2f,", sim_wrong_price(k, e->factor));
                if (e->kind == SIM_OVERSTOCK)
                        fprintf(f, "\"on_hand_book\":%" PRId32 ",\"excess_units\":%" PRId32 ",",
                                e->book, e->excess);
                if (e->kind == SIM_GHOST && s->opt.associates > 0)
                        fprintf(f, "\"fixed_by\":\"%s\",",
                                e->counted  ? "cycle_count"
                                : e->closed ? "inventory"
                                            : "none");
                fprintf(f, "\"fixed\":%s}\n", e->closed ? "true" : "false");
        }
        sim_write_outages(f, s);
        return fclose(f) == 0 ? 0 : -EIO;
}

/* Whether an anomaly on the SKU code whose detectors last saw day matches the episode. */
bool sim_matches(const struct sim *s, const struct sim_episode *e, const char *sku, sw_day_t day)
{
        return e->start <= day && day <= e->end + sim_kind_after[e->kind] &&
               strcmp(s->skus[e->sku].code, sku) == 0;
}

/* An episode of one of the kinds (SIM_KIND() mask) that matches, or NULL. */
const struct sim_episode *sim_find_episode(const struct sim *s, unsigned kinds, const char *sku,
                                           sw_day_t day)
{
        for (size_t i = 0; i < s->n_eps; i++)
                if ((kinds & SIM_KIND(s->eps[i].kind)) && sim_matches(s, &s->eps[i], sku, day))
                        return &s->eps[i];
        return NULL;
}
