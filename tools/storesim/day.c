/* day.c: one simulated day as messages: records, counts, deliveries, sales, shelf readings. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "storesim.h"

static const unsigned sim_shelf_secs[] = {10 * 3600, 14 * 3600, 18 * 3600};

static int sim_emit_shelf(struct sim *s, sw_day_t day, unsigned secs)
{
        char ts[40], suffix[32];
        if (sim_local_ts(day, secs, ts, sizeof(ts)) < 0)
                return -EINVAL;
        for (unsigned sensor = 0; sensor < SIM_SENSORS; sensor++) {
                struct sim_batch b;
                snprintf(suffix, sizeof(suffix), "shelf/s%u", sensor + 1);
                sim_batch_begin(&b, suffix, "readings", ts, NULL);
                for (unsigned i = sensor; i < s->opt.skus; i += SIM_SENSORS) {
                        if (!s->skus[i].shelf)
                                continue;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", s->skus[i].code);
                        cJSON_AddNumberToObject(it, "count", s->skus[i].running);
                }
                if (sim_batch_flush(s, &b) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int sim_emit_txn(struct sim *s, sw_day_t day, const char *stem, size_t t)
{
        const struct sim_txn *x = &s->txns[t];
        char ts[40], id[200], suffix[16];
        if (sim_local_ts(day, x->secs, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(id, sizeof(id), "%s-t%zu", stem, t + 1);
        snprintf(suffix, sizeof(suffix), "pos/r%u", x->register_no);
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "id", id);
        cJSON_AddStringToObject(msg, "ts", ts);
        cJSON *lines = cJSON_AddArrayToObject(msg, "lines");
        for (unsigned l = x->first; l < x->first + x->n; l++) {
                struct sim_sku *k = &s->skus[s->lines[l].sku];
                cJSON *it = cJSON_CreateObject();
                cJSON_AddItemToArray(lines, it);
                cJSON_AddStringToObject(it, "sku", k->code);
                cJSON_AddNumberToObject(it, "qty", s->lines[l].qty);
                cJSON_AddNumberToObject(it, "price", k->price);
                k->running -= s->lines[l].qty;
        }
        return sim_emit(s, suffix, msg);
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

/*
 * Morning: ML events end and start; book records (day 0), fixing counts and ML corrections; new
 * ghosts; deliveries (and overstock receipts); stock-out bookkeeping.
 */
static int sim_morning(struct sim *s, unsigned d, sw_day_t day, const char *stem)
{
        struct sim_batch b;
        char ts[40], rstem[176], cat[32];
        struct sim_schedule *ghosts = &s->ghost_plan;
        sim_end_ml(s, day);
        if (sim_start_ml(s, day) < 0)
                return -ENOMEM;
        if (sim_local_ts(day, SIM_COUNT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        sim_batch_begin(&b, "inventory", "items", ts, NULL);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                bool fix = k->ghost >= 0 && s->eps[k->ghost].end == day;
                if (fix) { /* the full inventory count finds the truth */
                        k->book = k->physical;
                        s->eps[k->ghost].closed = true;
                        k->ghost = -1;
                        k->ghost_clear = day + SIM_ML_WINDOW_DAYS;
                }
                unsigned publish = k->publish | (d == 0 || fix ? SIM_PUBLISH_ON_HAND : 0) |
                                   (d == 0 ? SIM_PUBLISH_PRICE : 0);
                k->publish = 0;
                if (!publish)
                        continue;
                cJSON *it = sim_batch_item(s, &b);
                if (!it)
                        return -ENOMEM;
                cJSON_AddStringToObject(it, "sku", k->code);
                if (publish & SIM_PUBLISH_ON_HAND)
                        cJSON_AddNumberToObject(it, "on_hand", k->book);
                if (publish & SIM_PUBLISH_PRICE)
                        cJSON_AddNumberToObject(it, "price", k->shown_price);
                if (d == 0)
                        cJSON_AddStringToObject(it, "category", sim_category(k->category, cat));
        }
        if (sim_batch_flush(s, &b) < 0)
                return -ENOMEM;
        for (; ghosts->next < ghosts->n && ghosts->plans[ghosts->next].day <= day; ghosts->next++)
                if (sim_start_ghost(s, ghosts->plans[ghosts->next].sku, day) < 0)
                        return -ENOMEM;
        if (sim_local_ts(day, SIM_RECEIPT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(rstem, sizeof(rstem), "%s-r", stem);
        sim_batch_begin(&b, "receipt", "lines", ts, rstem);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                const struct sim_episode *over = sim_ml_episode(s, k, SIM_OVERSTOCK);
                int32_t qty = k->has_order && k->order_due == day ? k->order_qty : 0;
                k->has_order = k->has_order && !qty;
                qty += over && over->start == day ? over->excess : 0;
                if (qty) {
                        k->book += qty;
                        k->physical += qty;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", k->code);
                        cJSON_AddNumberToObject(it, "qty", qty);
                }
                bool empty = k->physical == 0 && k->book == 0 && k->ghost < 0;
                if (empty && k->stockout < 0) {
                        int e = sim_add_episode(s, SIM_STOCKOUT, i, day, day);
                        if (e < 0)
                                return e;
                        k->stockout = e;
                } else if (empty) {
                        s->eps[k->stockout].end = day;
                } else if (k->stockout >= 0) {
                        s->eps[k->stockout].closed = true;
                        k->stockout = -1;
                }
        }
        return sim_batch_flush(s, &b);
}

/* Simulate day index d and fill the outbox with its messages, in time order. */
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
        if ((r = sim_morning(s, d, day, stem)) < 0 || (r = sim_sell(s, day)) < 0 ||
            (r = sim_group(s)) < 0)
                return r;
        for (unsigned i = 0; i < s->opt.skus; i++)
                s->skus[i].running = s->skus[i].physical;
        size_t shelf = 0, n_shelf = sizeof(sim_shelf_secs) / sizeof(sim_shelf_secs[0]);
        for (size_t t = 0; t <= s->n_txns; t++) {
                unsigned until = t < s->n_txns ? s->txns[t].secs : UINT32_MAX;
                for (; shelf < n_shelf && sim_shelf_secs[shelf] <= until; shelf++)
                        if ((r = sim_emit_shelf(s, day, sim_shelf_secs[shelf])) < 0)
                                return r;
                if (t < s->n_txns && (r = sim_emit_txn(s, day, stem, t)) < 0)
                        return r;
        }
        for (unsigned i = 0; i < s->opt.skus; i++) { /* evening: books close, orders go out */
                struct sim_sku *k = &s->skus[i];
                k->book -= k->sold;
                k->physical -= k->sold;
                if (k->has_order || k->ghost >= 0 || k->book > k->reorder_point)
                        continue;
                unsigned lead = 1 + sim_below(&s->rng, 2);
                if (sim_uniform(&s->rng) < SIM_LATE_DELIVERY)
                        lead += 3 + sim_below(&s->rng, 3);
                k->has_order = true;
                k->order_due = day + (sw_day_t)lead;
        }
        return 0;
}
