/* truth.c: the ground truth: the --truth file, and which episode an anomaly matches. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "storesim.h"

/* Ground-truth names of the kinds ("kind" in the --truth file). */
const char *const sim_kind_names[SIM_KINDS] = {"ghost", "stockout", "price_error", "demand_spike",
                                               "overstock"};

/* Days after an episode's end that the detectors' inputs still show it: a wrong price or an
 * excess stock is gone with its correction; a spike stays in the 7-day sales for 6 more days. */
const sw_day_t sim_kind_after[SIM_KINDS] = {[SIM_DEMAND_SPIKE] = SIM_ML_WINDOW_DAYS - 1};

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
                        sim_kind_names[e->kind], k->code, sim_category(k->category, cat), start,
                        end);
                if (e->kind == SIM_GHOST)
                        fprintf(f, "\"on_hand_book\":%" PRId32 ",\"price\":%.2f,", e->book,
                                k->price);
                else
                        fprintf(f, "\"price\":%.2f,\"factor\":%.3f,", k->price, e->factor);
                if (e->kind == SIM_PRICE_ERROR)
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
