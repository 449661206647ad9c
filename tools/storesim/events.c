/* events.c: ghost and ML events: planned up front, started on eligible SKUs, ended. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "storesim.h"

static int sim_plan_cmp(const void *a, const void *b)
{
        const struct sim_plan *x = a, *y = b;
        if (x->day != y->day)
                return x->day < y->day ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Plan the events of one family for the whole run: each SKU and day from the warm-up to the
 * second-last day has probability rate; fewer than at_least are topped up, spread evenly.
 */
static int sim_plan_events(struct sim *s, struct sim_rng *rng, struct sim_schedule *sch,
                           double rate, unsigned at_least)
{
        const struct sim_options *o = &s->opt;
        sw_day_t first = o->start + (sw_day_t)o->warmup, last = o->start + (sw_day_t)o->days - 2;
        if (first > last)
                return 0;
        for (sw_day_t d = first; d <= last; d++)
                for (unsigned i = 0; i < o->skus; i++) {
                        if (sim_uniform(rng) >= rate)
                                continue;
                        if (SIM_PUSH(sch->plans, sch->n, sch->cap) < 0)
                                return -ENOMEM;
                        sch->plans[sch->n] = (struct sim_plan){d, i, (unsigned)sch->n, SIM_GHOST};
                        sch->n++;
                }
        size_t extra = at_least > sch->n ? at_least - sch->n : 0;
        int64_t span = last - first + 1;
        for (size_t k = 0; k < extra; k++) {
                if (SIM_PUSH(sch->plans, sch->n, sch->cap) < 0)
                        return -ENOMEM;
                sw_day_t d = first + (sw_day_t)((int64_t)(2 * k + 1) * span / (int64_t)(2 * extra));
                sch->plans[sch->n] =
                    (struct sim_plan){d, sim_below(rng, o->skus), (unsigned)sch->n, SIM_GHOST};
                sch->n++;
        }
        qsort(sch->plans, sch->n, sizeof(*sch->plans), sim_plan_cmp);
        return 0;
}

/* Ghosts from the store's stream; ML events (kinds in turn) from their own, when enabled. */
int sim_plan(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        if (sim_plan_events(s, &s->rng, &s->ghost_plan, o->ghost_rate, o->min_ghosts) < 0)
                return -ENOMEM;
        if (o->ml_rate <= 0.0)
                return 0;
        sim_seed(&s->ml_rng, (uint64_t)o->seed ^ 0x6d6c2d6576656e74ULL);
        if (sim_plan_events(s, &s->ml_rng, &s->ml_plan, o->ml_rate, o->min_ml) < 0)
                return -ENOMEM;
        size_t kinds = o->register_price ? 4 : 3; /* the kinds in turn */
        for (size_t i = 0; i < s->ml_plan.n; i++)
                s->ml_plan.plans[i].kind =
                    i % kinds == 3 ? SIM_REGISTER_PRICE_ERROR
                                   : (enum sim_episode_kind)(SIM_PRICE_ERROR + i % kinds);
        return 0;
}

int sim_add_episode(struct sim *s, enum sim_episode_kind kind, unsigned sku, sw_day_t start,
                    sw_day_t end)
{
        if (SIM_PUSH(s->eps, s->n_eps, s->cap_eps) < 0)
                return -ENOMEM;
        s->eps[s->n_eps] = (struct sim_episode){
            .kind = kind, .sku = sku, .start = start, .end = end, .book = s->skus[sku].book};
        return (int)s->n_eps++;
}

/*
 * Whether an event of this kind may hit the SKU today: one event at a time, and none while the
 * ML features still see an earlier ML event (an ML event also waits for a ghost to leave them),
 * so each ML anomaly has one explanation. A ghost or a demand spike needs stock the book agrees
 * with, above the reorder point and no order pending; an overstock needs a slow seller without
 * an order pending.
 */
static bool sim_eligible(const struct sim *s, const struct sim_sku *k, enum sim_episode_kind kind,
                         sw_day_t day)
{
        if (k->ghost >= 0 || k->ml >= 0 || day < k->ml_clear)
                return false;
        if (kind != SIM_GHOST && day < k->ghost_clear)
                return false;
        /* Realistic: unrecorded shrink may have left the book a unit or so above the shelf. */
        if (s->opt.realistic && (kind == SIM_GHOST || kind == SIM_DEMAND_SPIKE))
                return !k->has_order && k->physical > 0 && k->book > k->reorder_point;
        switch (kind) {
        case SIM_GHOST:
        case SIM_DEMAND_SPIKE:
                return !k->has_order && k->physical == k->book && k->book > k->reorder_point;
        case SIM_OVERSTOCK:
                return !k->has_order && k->rate < SIM_SLOW_RATE;
        default:
                return true;
        }
}

/* The SKU a planned event hits: want if eligible, else the next eligible one from a random
 * offset; -1 when none is (the event is dropped). */
static int sim_pick_sku(struct sim *s, struct sim_rng *rng, unsigned want,
                        enum sim_episode_kind kind, sw_day_t day)
{
        unsigned n = s->opt.skus, off = sim_below(rng, n), i = want;
        for (unsigned k = 0; !sim_eligible(s, &s->skus[i], kind, day); k++) {
                if (k == n)
                        return -1;
                i = (off + k) % n;
        }
        return (int)i;
}

/* Theft, damage or misplacement overnight: physical stock gone, book unchanged. */
int sim_start_ghost(struct sim *s, unsigned want, sw_day_t day)
{
        int i = sim_pick_sku(s, &s->rng, want, SIM_GHOST, day);
        if (i < 0)
                return 0;
        if (s->opt.realistic) { /* the episode is opened by the shortfall it makes */
                sim_inject_loss(s, (unsigned)i);
                return 0;
        }
        s->ghost_injections++;
        int e =
            sim_add_episode(s, SIM_GHOST, (unsigned)i, day, day + (sw_day_t)s->opt.ghost_fix_days);
        if (e < 0)
                return e;
        s->skus[i].physical = 0;
        s->skus[i].ghost = e;
        return 0;
}

/* The SKU's active ML episode if it is of this kind, else NULL. */
struct sim_episode *sim_ml_episode(struct sim *s, const struct sim_sku *k,
                                   enum sim_episode_kind kind)
{
        return k->ml >= 0 && s->eps[k->ml].kind == kind ? &s->eps[k->ml] : NULL;
}

/*
 * Start the ML events planned up to today, before the 07:00 records: a price error publishes
 * the wrong price now; a demand spike multiplies today's demand (sim_sell); an overstock
 * lands with the 07:30 receipts (sim_morning).
 */
int sim_start_ml(struct sim *s, sw_day_t day)
{
        struct sim_schedule *sch = &s->ml_plan;
        struct sim_rng *rng = &s->ml_rng;
        if (s->opt.realistic && sim_closed(s, day))
                return 0; /* the events wait for the next open day */
        for (; sch->next < sch->n && sch->plans[sch->next].day <= day; sch->next++) {
                enum sim_episode_kind kind = sch->plans[sch->next].kind;
                int i = sim_pick_sku(s, rng, sch->plans[sch->next].sku, kind, day);
                if (i < 0)
                        continue;
                struct sim_sku *k = &s->skus[i];
                sw_day_t end = day + (sw_day_t)s->opt.ml_fix_days - 1;
                double factor;
                if (kind == SIM_PRICE_ERROR) {
                        factor = sim_uniform(rng) < 0.5 ? sim_between(rng, 3.0, 10.0)
                                                        : sim_between(rng, 0.1, 0.3);
                        k->shown_price = sim_wrong_price(k, factor);
                        k->publish |= SIM_PUBLISH_PRICE;
                } else if (kind == SIM_DEMAND_SPIKE) {
                        factor = sim_between(rng, 4.0, 10.0);
                        end = day + 1 + (sw_day_t)sim_below(rng, 4); /* 2..5 days */
                } else if (kind == SIM_REGISTER_PRICE_ERROR) {       /* what the POS charges */
                        factor = sim_uniform(rng) < 0.5 ? sim_between(rng, 0.3, 0.5)
                                                        : sim_between(rng, 2.0, 3.0);
                        end = day + 1 + (sw_day_t)sim_below(rng, 4); /* 2..5 days */
                } else {
                        factor = sim_between(rng, 20.0, 50.0);
                }
                int e = sim_add_episode(s, kind, (unsigned)i, day, end);
                if (e < 0)
                        return e;
                s->eps[e].factor = factor;
                if (kind == SIM_OVERSTOCK)
                        s->eps[e].excess = (int32_t)floor(factor * k->order_qty + 0.5);
                k->ml = e;
        }
        return 0;
}

/* End the ML events whose last day was yesterday: the right price is published again; the
 * excess stock goes back to the supplier and a count records the book. */
void sim_end_ml(struct sim *s, sw_day_t day)
{
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                struct sim_episode *e = k->ml >= 0 ? &s->eps[k->ml] : NULL;
                if (!e || e->end >= day)
                        continue;
                if (e->kind == SIM_PRICE_ERROR) {
                        k->shown_price = k->price;
                        k->publish |= SIM_PUBLISH_PRICE;
                } else if (e->kind == SIM_OVERSTOCK) {
                        k->physical -= e->excess < k->physical ? e->excess : k->physical;
                        k->book = k->physical;
                        k->publish |= SIM_PUBLISH_ON_HAND;
                }
                e->closed = true;
                k->ml = -1;
                k->ml_clear = e->end + SIM_ML_WINDOW_DAYS;
        }
}
