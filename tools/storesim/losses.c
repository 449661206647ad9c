/* losses.c: realistic losses (partial and total ghosts, unrecorded shrink) and the episodes of
 * material shortfall that scoring counts as ghosts. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "storesim.h"

/* Cause names of the --truth file. */
const char *const sim_cause_names[] = {"none", "theft", "damage", "shrink"};

/*
 * Whether the book is materially above the shelf: what a cycle count would confirm under the
 * daemon's default outcome rule, a shortfall (book - physical) of at least --material-units
 * and at least --material-ratio of the book. With the defaults every empty shelf whose book
 * says 2 units or more is one; an empty shelf with a book of 1 is not (a count finds a 1-unit
 * shortfall), though it is an empty shelf for shelf_out.
 */
bool sim_materially_short(const struct sim *s, const struct sim_sku *k)
{
        int32_t shortfall = k->book - k->physical;
        return k->book > 0 && shortfall >= (int32_t)s->opt.material_units &&
               shortfall >= s->opt.material_ratio * k->book;
}

/* Realistic ghost on SKU i: theft or damage overnight takes all its units or, with probability
 * --partial-share, leaves 0-50% of the book (at least one unit is lost). The book stays. */
void sim_inject_loss(struct sim *s, unsigned i)
{
        struct sim_sku *k = &s->skus[i];
        struct sim_rng *rng = &s->loss_rng;
        k->cause = sim_uniform(rng) < 0.5 ? SIM_CAUSE_THEFT : SIM_CAUSE_DAMAGE;
        int32_t left = 0;
        if (s->opt.partial_share > 0.0 && sim_uniform(rng) < s->opt.partial_share)
                left = (int32_t)floor(sim_between(rng, 0.0, 0.5) * k->book);
        left = left < k->physical - 1 ? left : k->physical - 1;
        left = left > 0 ? left : 0;
        k->partial = left > 0;
        k->physical = left;
        s->ghost_injections++;
        s->partial_injections += left > 0;
}

/* Unrecorded shrink overnight: each SKU with stock loses one unit with --shrink-rate, the book
 * unchanged. Not a ghost unless it makes the shortfall material (sim_track_shortfall). */
void sim_shrink(struct sim *s)
{
        if (s->opt.shrink_rate <= 0.0)
                return;
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                if (sim_uniform(&s->loss_rng) >= s->opt.shrink_rate || k->physical <= 0)
                        continue;
                k->physical--;
                k->cause = SIM_CAUSE_SHRINK;
                k->partial = false;
                s->shrink_units++;
        }
}

/* Open a ghost episode on SKU i: it became materially short today. */
static int sim_open_ghost(struct sim *s, unsigned i, sw_day_t day)
{
        struct sim_sku *k = &s->skus[i];
        int e = sim_add_episode(s, SIM_GHOST, i, day, day);
        if (e < 0)
                return e;
        struct sim_episode *g = &s->eps[e];
        g->cause = k->cause != SIM_CAUSE_NONE ? k->cause : SIM_CAUSE_SHRINK;
        g->partial = k->physical > 0;
        g->lost = k->book - k->physical;
        k->ghost = e;
        k->fix_day = day + (sw_day_t)s->opt.ghost_fix_days;
        return 0;
}

/*
 * Realistic ghost episodes: at each check of the day (overnight, and at close) a SKU materially
 * short opens an episode or extends it to today (when the loss was unrecorded shrink, only once
 * the shelf is empty); one no longer short closes it (its last day stays the last day it was
 * short). Marks SIM_F_GHOST.
 */
int sim_track_shortfall(struct sim *s, sw_day_t day)
{
        size_t d = (size_t)(day - s->opt.start);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                /* Unrecorded shrink opens a ghost only once it leaves the shelf empty: a unit
                 * or two missing while the shelf still sells is a record error, not a ghost. */
                bool opens = k->cause != SIM_CAUSE_SHRINK || k->physical <= 0;
                if (!sim_materially_short(s, k) || (k->ghost < 0 && !opens)) {
                        if (k->ghost >= 0) {
                                s->eps[k->ghost].closed = true;
                                k->ghost = -1;
                                k->ghost_clear = day + SIM_ML_WINDOW_DAYS;
                        }
                        continue;
                }
                if (k->ghost < 0 && sim_open_ghost(s, i, day) < 0)
                        return -1;
                struct sim_episode *g = &s->eps[k->ghost];
                g->end = day;
                g->total |= k->physical <= 0;
                s->flags[(size_t)i * s->opt.days + d] |= SIM_F_GHOST;
        }
        return 0;
}

/* The state at close that scoring reads: an empty shelf with a book, a known stock-out. */
void sim_mark_close(struct sim *s, sw_day_t day)
{
        size_t d = (size_t)(day - s->opt.start);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                const struct sim_sku *k = &s->skus[i];
                uint8_t *f = &s->flags[(size_t)i * s->opt.days + d];
                if (k->physical <= 0)
                        *f |= k->book > 0 ? SIM_F_EMPTY : SIM_F_STOCK0;
        }
}
