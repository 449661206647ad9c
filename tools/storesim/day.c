/* day.c: one simulated day as messages: the morning, sales as POS transactions (some lost to
 * feed outages, some redelivered), shelf readings, the evening's books and orders. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "storesim.h"

#define SIM_MAX_READINGS 800 /* shelf reading rounds a day (every minute of opening at most) */

/* The price the register charges for k: the list price, or a register price error's. */
static double sim_pos_price(struct sim *s, const struct sim_sku *k)
{
        const struct sim_episode *e = sim_ml_episode(s, k, SIM_REGISTER_PRICE_ERROR);
        return e ? sim_wrong_price(k, e->factor) : k->price;
}

/* Whether line l of a transaction at secs is heard: a category outage drops it (the units are
 * counted against the outage and the SKU-day marked). */
static bool sim_line_heard(struct sim *s, sw_day_t day, const struct sim_line *l)
{
        struct sim_outage *o =
            s->n_outages ? sim_line_outage(s, day, s->skus[l->sku].category) : NULL;
        if (!o)
                return true;
        o->lost_units += (unsigned long)l->qty;
        s->flags[(size_t)l->sku * s->opt.days + (size_t)(day - s->opt.start)] |= SIM_F_UNHEARD;
        return false;
}

/* A whole transaction lost to a store or register outage: its units and SKU-days. */
static void sim_txn_lost(struct sim *s, sw_day_t day, const struct sim_txn *x, struct sim_outage *o)
{
        o->lost_txns++;
        for (unsigned l = x->first; l < x->first + x->n; l++) {
                o->lost_units += (unsigned long)s->lines[l].qty;
                s->flags[(size_t)s->lines[l].sku * s->opt.days + (size_t)(day - s->opt.start)] |=
                    SIM_F_UNHEARD;
        }
}

/* Transaction t: the shelf loses its units whatever happens; the POS message goes out unless
 * an outage silences it, and is sometimes published twice (same id). */
static int sim_emit_txn(struct sim *s, sw_day_t day, const char *stem, size_t t)
{
        const struct sim_txn *x = &s->txns[t];
        char ts[40], id[200], suffix[16];
        for (unsigned l = x->first; l < x->first + x->n; l++)
                s->skus[s->lines[l].sku].running -= s->lines[l].qty;
        struct sim_outage *lost =
            s->n_outages ? sim_txn_outage(s, day, x->secs, x->register_no) : NULL;
        if (lost) {
                sim_txn_lost(s, day, x, lost);
                return 0;
        }
        if (sim_local_ts(day, x->secs, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(id, sizeof(id), "%s-t%zu", stem, t + 1);
        snprintf(suffix, sizeof(suffix), "pos/r%u", x->register_no);
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "id", id);
        cJSON_AddStringToObject(msg, "ts", ts);
        cJSON *lines = cJSON_AddArrayToObject(msg, "lines");
        unsigned heard = 0;
        for (unsigned l = x->first; l < x->first + x->n; l++) {
                const struct sim_sku *k = &s->skus[s->lines[l].sku];
                if (!sim_line_heard(s, day, &s->lines[l]))
                        continue;
                cJSON *it = cJSON_CreateObject();
                cJSON_AddItemToArray(lines, it);
                cJSON_AddStringToObject(it, "sku", k->code);
                cJSON_AddNumberToObject(it, "qty", s->lines[l].qty);
                cJSON_AddNumberToObject(it, "price", sim_pos_price(s, k));
                heard++;
        }
        if (!heard) { /* every line in a silent category */
                cJSON_Delete(msg);
                sim_line_outage(s, day, s->skus[s->lines[x->first].sku].category)->lost_txns++;
                return 0;
        }
        cJSON *again =
            s->opt.pos_redelivery > 0.0 && sim_uniform(&s->noise_rng) < s->opt.pos_redelivery
                ? cJSON_Duplicate(msg, true)
                : NULL;
        int r = sim_emit(s, suffix, msg);
        if (r == 0 && again) {
                s->redelivered++;
                return sim_emit(s, suffix, again);
        }
        cJSON_Delete(again);
        return r;
}

static int sim_emit_forecast(struct sim *s, sw_day_t day)
{
        struct sim_batch b;
        char date[11];
        sim_batch_begin(&b, "forecast", "items", NULL, NULL);
        for (unsigned i = 0; i < s->opt.skus; i++)
                for (sw_day_t d = day; d < day + SIM_FORECAST_DAYS; d++) {
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        sim_date(d, date);
                        double units = s->skus[i].rate * sim_weekday(d);
                        cJSON_AddStringToObject(it, "sku", s->skus[i].code);
                        cJSON_AddStringToObject(it, "date", date);
                        cJSON_AddNumberToObject(it, "units", sim_cents(units));
                }
        return sim_batch_flush(s, &b);
}

/* The open hours: transactions in time order with the shelf readings between them. */
static int sim_open_hours(struct sim *s, sw_day_t day, const char *stem)
{
        unsigned times[SIM_MAX_READINGS];
        size_t shelf = 0, n_shelf = sim_shelf_times(s, times, SIM_MAX_READINGS);
        int r;
        for (unsigned i = 0; i < s->opt.skus; i++)
                s->skus[i].running = s->skus[i].physical;
        for (size_t t = 0; t <= s->n_txns; t++) {
                unsigned until = t < s->n_txns ? s->txns[t].secs : UINT32_MAX;
                for (; shelf < n_shelf && times[shelf] <= until; shelf++)
                        if ((r = sim_emit_shelf(s, day, times[shelf])) < 0)
                                return r;
                if (t < s->n_txns && (r = sim_emit_txn(s, day, stem, t)) < 0)
                        return r;
        }
        return 0;
}

/* Evening: the books close and the store system orders what its book says is low. */
static void sim_evening(struct sim *s, sw_day_t day)
{
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                k->book -= k->sold;
                k->physical -= k->sold;
                /* The basic store never reordered a ghost; a real one does not know of it. */
                if (k->has_order || (!s->opt.realistic && k->ghost >= 0) ||
                    k->book > k->reorder_point)
                        continue;
                unsigned lead = 1 + sim_below(&s->rng, 2);
                if (sim_uniform(&s->rng) < SIM_LATE_DELIVERY)
                        lead += 3 + sim_below(&s->rng, 3);
                k->has_order = true;
                k->order_due = day + (sw_day_t)lead;
        }
}

/* Simulate day index d and fill the outbox with its messages, in time order. A closed day has
 * no sales, POS, receipts or shelf readings. */
int sim_build_day(struct sim *s, unsigned d)
{
        sw_day_t day = s->opt.start + (sw_day_t)d;
        char stem[160], date[11];
        int r;
        sim_date(day, date);
        snprintf(stem, sizeof(stem), "%s-s%u-%.4s%.2s%.2s", s->opt.store, s->opt.seed, date,
                 date + 5, date + 8);
        if (s->opt.push_forecast && (r = sim_emit_forecast(s, day)) < 0)
                return r;
        if ((r = sim_morning(s, d, day, stem)) < 0)
                return r;
        if (sim_closed(s, day)) {
                s->n_lines = s->n_txns = 0;
                for (unsigned i = 0; i < s->opt.skus; i++)
                        s->skus[i].sold = 0;
        } else if ((r = sim_sell(s, day)) < 0 || (r = sim_group(s)) < 0 ||
                   (r = sim_open_hours(s, day, stem)) < 0) {
                return r;
        }
        sim_evening(s, day);
        if (s->opt.realistic && sim_track_shortfall(s, day) < 0)
                return -ENOMEM;
        sim_mark_close(s, day);
        return 0;
}
