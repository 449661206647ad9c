/* morning.c: a simulated day's morning: ML events, overnight losses, the 07:00 book records and
 * fixing counts, the 07:30 deliveries, stock-out bookkeeping. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "storesim.h"

/* Whether SKU k's ghost gets its full inventory count this morning: basic, on its planned end;
 * realistic, --ghost-fix-days after its episode began (the next open day if closed). */
static bool sim_fix_due(const struct sim *s, const struct sim_sku *k, sw_day_t day)
{
        if (k->ghost < 0)
                return false;
        if (!s->opt.realistic)
                return s->eps[k->ghost].end == day;
        return k->fix_day <= day && !sim_closed(s, day);
}

/* 07:00 P/inventory: every SKU on day 0; then the fixing counts, and the ML events' prices and
 * corrected books. A count sets the book to the truth; the basic ghost ends there (a realistic
 * one ends when it is no longer short, sim_track_shortfall). */
static int sim_inventory_records(struct sim *s, unsigned d, sw_day_t day)
{
        struct sim_batch b;
        char ts[40], cat[32];
        if (sim_local_ts(day, SIM_COUNT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        sim_batch_begin(&b, "inventory", "items", ts, NULL);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                bool fix = sim_fix_due(s, k, day);
                if (fix) { /* the full inventory count finds the truth */
                        k->book = k->physical;
                        if (!s->opt.realistic) {
                                s->eps[k->ghost].closed = true;
                                k->ghost = -1;
                                k->ghost_clear = day + SIM_ML_WINDOW_DAYS;
                        }
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
                        cJSON_AddStringToObject(it, "category", sim_category(s, k->category, cat));
        }
        return sim_batch_flush(s, &b) < 0 ? -ENOMEM : 0;
}

/* Natural stock-outs (book = physical = 0, no ghost): open, extend or close their episode. */
static int sim_stockout_bookkeeping(struct sim *s, unsigned i, sw_day_t day)
{
        struct sim_sku *k = &s->skus[i];
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
        return 0;
}

/* 07:30 P/receipt: the orders due (late ones after a closed day too) and overstock receipts;
 * nothing arrives on a closed day. Then the stock-out bookkeeping. */
static int sim_receipts(struct sim *s, sw_day_t day, const char *stem)
{
        struct sim_batch b;
        char ts[40], rstem[176];
        bool open = !sim_closed(s, day);
        if (sim_local_ts(day, SIM_RECEIPT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(rstem, sizeof(rstem), "%s-r", stem);
        sim_batch_begin(&b, "receipt", "lines", ts, rstem);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                const struct sim_episode *over = sim_ml_episode(s, k, SIM_OVERSTOCK);
                int32_t qty = open && k->has_order && k->order_due <= day ? k->order_qty : 0;
                k->has_order = k->has_order && !qty;
                qty += open && over && over->start == day ? over->excess : 0;
                if (qty) {
                        k->book += qty;
                        k->physical += qty;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", k->code);
                        cJSON_AddNumberToObject(it, "qty", qty);
                }
                int r = sim_stockout_bookkeeping(s, i, day);
                if (r < 0)
                        return r;
        }
        return sim_batch_flush(s, &b);
}

/* Start the ghosts planned up to today (overnight theft, damage or misplacement). */
static int sim_start_planned_ghosts(struct sim *s, sw_day_t day)
{
        struct sim_schedule *g = &s->ghost_plan;
        for (; g->next < g->n && g->plans[g->next].day <= day; g->next++)
                if (sim_start_ghost(s, g->plans[g->next].sku, day) < 0)
                        return -ENOMEM;
        return 0;
}

/*
 * Morning. Basic: ML events end and start; book records (day 0), fixing counts and ML
 * corrections; new ghosts; deliveries. Realistic: the losses of the night (ghosts, shrink) come
 * before the 07:00 records, and the shortfall they leave is checked before the counts.
 */
int sim_morning(struct sim *s, unsigned d, sw_day_t day, const char *stem)
{
        int r;
        sim_end_ml(s, day);
        if (sim_start_ml(s, day) < 0)
                return -ENOMEM;
        if (!s->opt.realistic) {
                if ((r = sim_inventory_records(s, d, day)) < 0 ||
                    (r = sim_start_planned_ghosts(s, day)) < 0)
                        return r;
                return sim_receipts(s, day, stem);
        }
        if ((r = sim_start_planned_ghosts(s, day)) < 0)
                return r;
        if (!sim_closed(s, day))
                sim_shrink(s);
        if (sim_track_shortfall(s, day) < 0)
                return -ENOMEM;
        if ((r = sim_inventory_records(s, d, day)) < 0)
                return r;
        return sim_receipts(s, day, stem);
}
