/* outages.c: POS feed outages: a register silent for hours, the whole store or one category for
 * a day. The store still sells (stock and book move); the daemon never hears those sales. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "storesim.h"

/* Scope names of the --truth file and the report. */
const char *const sim_outage_scope_names[] = {"register", "store", "category"};

static int sim_add_outage(struct sim *s, struct sim_outage o)
{
        if (SIM_PUSH(s->outages, s->n_outages, s->cap_outages) < 0)
                return -ENOMEM;
        s->outages[s->n_outages++] = o;
        return 0;
}

/* Whether a one-day outage may fall on day index d: open, after the warm-up, before the last
 * day, and no other one-day outage that day. */
static bool sim_outage_day_free(const struct sim *s, unsigned d)
{
        sw_day_t day = s->opt.start + (sw_day_t)d;
        if (d < s->opt.warmup || d + 1 >= s->opt.days || sim_closed(s, day))
                return false;
        for (size_t i = 0; i < s->n_outages; i++)
                if (s->outages[i].day == day && s->outages[i].scope != SIM_OUT_REGISTER)
                        return false;
        return true;
}

/* Plan n one-day outages of a scope on random free days (fewer when no day is free). */
static int sim_plan_day_outages(struct sim *s, enum sim_outage_scope scope, unsigned n)
{
        struct sim_rng *rng = &s->outage_rng;
        for (unsigned k = 0; k < n; k++) {
                unsigned d = sim_below(rng, s->opt.days), tries = 0;
                while (!sim_outage_day_free(s, d) && tries++ < s->opt.days)
                        d = (d + 1) % s->opt.days;
                if (!sim_outage_day_free(s, d))
                        return 0;
                struct sim_outage o = {.scope = scope,
                                       .day = s->opt.start + (sw_day_t)d,
                                       .from_sec = 0,
                                       .to_sec = 24 * 3600,
                                       .category = sim_below(rng, s->opt.categories)};
                if (sim_add_outage(s, o) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Plan every outage of the run up front, from a stream of their own: the one-day ones, then a
 * register outage on each open day after the first with probability --register-outages / 7,
 * from a random hour for 2-6 hours (to closing at the latest). */
int sim_plan_outages(struct sim *s)
{
        sim_seed(&s->outage_rng, (uint64_t)s->opt.seed ^ 0x6f757461676573ULL);
        if (sim_plan_day_outages(s, SIM_OUT_STORE, s->opt.store_outage_days) < 0 ||
            sim_plan_day_outages(s, SIM_OUT_CATEGORY, s->opt.cat_outage_days) < 0)
                return -ENOMEM;
        double p = s->opt.register_outages / 7.0;
        for (unsigned d = 1; p > 0.0 && d < s->opt.days; d++) {
                sw_day_t day = s->opt.start + (sw_day_t)d;
                if (sim_closed(s, day) || sim_uniform(&s->outage_rng) >= p)
                        continue;
                unsigned from = SIM_OPEN_SEC + 3600 * sim_below(&s->outage_rng, 12);
                unsigned to = from + 3600 * (2 + sim_below(&s->outage_rng, 5));
                struct sim_outage o = {.scope = SIM_OUT_REGISTER,
                                       .day = day,
                                       .from_sec = from,
                                       .to_sec = to < SIM_CLOSE_SEC ? to : SIM_CLOSE_SEC,
                                       .register_no = 1 + sim_below(&s->outage_rng, SIM_REGISTERS)};
                if (sim_add_outage(s, o) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The outage that silences a whole transaction of this register at secs on day, or NULL. */
struct sim_outage *sim_txn_outage(struct sim *s, sw_day_t day, unsigned secs, unsigned reg)
{
        for (size_t i = 0; i < s->n_outages; i++) {
                struct sim_outage *o = &s->outages[i];
                if (o->day != day || secs < o->from_sec || secs >= o->to_sec ||
                    o->scope == SIM_OUT_CATEGORY)
                        continue;
                if (o->scope == SIM_OUT_STORE || o->register_no == reg)
                        return o;
        }
        return NULL;
}

/* The outage that silences a line of this category on day, or NULL. */
struct sim_outage *sim_line_outage(struct sim *s, sw_day_t day, unsigned category)
{
        for (size_t i = 0; i < s->n_outages; i++) {
                struct sim_outage *o = &s->outages[i];
                if (o->day == day && o->scope == SIM_OUT_CATEGORY && o->category == category)
                        return o;
        }
        return NULL;
}
