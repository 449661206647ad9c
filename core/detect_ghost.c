/* Ghost-stock runs over the SKU table: the per-SKU modes (poisson, seed) and the dispatcher. */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "core/civil_time.h"
#include "core/detect.h"
#include "core/detect_internal.h"

/* Ghost parameters for one SKU: the learnt scale multiplies the evidence asked for, so
 * alpha becomes alpha^scale (-log10 p must reach scale x -log10 alpha) and the seed rule
 * needs scale x as many low days. */
static void scaled_ghost_params(const struct sw_ghost_params *base, double scale,
                                struct sw_ghost_params *ret)
{
        *ret = *base;
        if (scale == 1.0)
                return;
        ret->alpha = pow(base->alpha, scale);
        double days = ceil(base->seed_min_low_days * scale - 1e-9);
        if (days < 1)
                days = 1;
        if (days > base->seed_lookback_days)
                days = base->seed_lookback_days;
        ret->seed_min_low_days = (uint16_t)days;
}

/* Day D-1 of the SKU is known and, against the forecast pushed for it, not low (mode and low
 * ratio are not scaled by tuning). */
static bool d1_rules_out_run(const struct sw_detector *d, uint32_t index, sw_day_t as_of)
{
        int32_t sold = sw_sku_sold(d->skus, index, as_of - 1);
        double pushed;
        if (sold < 0)
                return false;
        sw_sku_pushed_series(d->skus, index, as_of - 1, 1, &pushed);
        return sw_ghost_d1_rules_out_run(&d->ghost, (uint16_t)sold, pushed);
}

static void describe_ghost(const struct sw_detector *d, const struct sw_sku *s,
                           struct sw_finding *f)
{
        const struct sw_ghost_result *g = &f->ghost;
        if (d->ghost.mode == SW_GHOST_MODE_SEED)
                snprintf(f->description, sizeof(f->description),
                         "Sales below %.0f%% of forecast for %u days | Book shows %d units",
                         d->ghost.low_ratio * 100, g->run_days, s->on_hand);
        else if (g->observed_units == 0)
                snprintf(
                    f->description, sizeof(f->description),
                    "No sales for %u day%s (expected %.1f units, p=%.2g) | Book shows %d units",
                    g->run_days, g->run_days == 1 ? "" : "s", g->expected_units, g->p_value,
                    s->on_hand);
        else
                snprintf(
                    f->description, sizeof(f->description),
                    "Sold %llu units in %u days vs %.1f expected (p=%.2g) | Book shows %d units",
                    (unsigned long long)g->observed_units, g->run_days, g->expected_units,
                    g->p_value, s->on_hand);
}

/* poisson and seed modes: one verdict per SKU, each on its own. */
static int ghost_per_sku(struct sw_detector *d, sw_day_t as_of, sw_finding_fn fn, void *ctx,
                         struct sw_detect_summary *ret)
{
        struct sw_detect_summary sum = {.newest_store_shortfall = SW_DAY_NONE};
        int r;
        for (uint32_t i = 0; i < d->skus->count; i++) {
                const struct sw_sku *s = sw_sku_at(d->skus, i);
                struct sw_ghost_input in;
                struct sw_ghost_params params;
                uint32_t known, n;
                sw_day_t since;
                if (s->last_day == SW_DAY_NONE || s->first_day >= as_of)
                        continue;
                /* Without an open episode, a SKU with no run reports nothing: no baseline, and
                 * when D-1 alone rules a run out, not even its series. */
                bool open = sw_anomaly_book_find(d->book, SW_ANOMALY_GHOST_STOCK, i, &since) == 0;
                if (!open && d1_rules_out_run(d, i, as_of)) {
                        sum.evaluated++;
                        continue;
                }
                n = sw_detect__fill_series(d, i, as_of, &known);
                if (n == 0)
                        continue;
                struct sw_finding f = {.type = SW_ANOMALY_GHOST_STOCK,
                                       .sku_index = i,
                                       .as_of = as_of,
                                       .action = SW_ACTION_CYCLE_COUNT};
                in = (struct sw_ghost_input){.sales = d->scratch_sales,
                                             .pushed = d->scratch_pushed,
                                             .weekday = d->scratch_weekday,
                                             .n = n,
                                             .history_days_available = known,
                                             .on_hand = s->on_hand,
                                             .price = sw_detect__sku_price(s),
                                             .skip_baseline_without_run = !open};
                scaled_ghost_params(&d->ghost, sw_detect__scale(d, SW_ANOMALY_GHOST_STOCK, s),
                                    &params);
                r = sw_ghost_evaluate(&params, &in, &f.ghost);
                if (r < 0)
                        return r;
                sum.evaluated++;
                f.severity = f.ghost.severity;
                f.score = f.ghost.score;
                f.probability = f.ghost.probability;
                f.value = f.ghost.value;
                if (f.ghost.flagged) /* the description is only read for an open finding */
                        describe_ghost(d, s, &f);
                r = sw_detect__transition(d, &f, f.ghost.flagged,
                                          f.ghost.sales_resumed || s->on_hand <= 0,
                                          as_of - (sw_day_t)f.ghost.run_days, fn, ctx, &sum);
                if (r < 0)
                        return r;
        }
        *ret = sum;
        return 0;
}

int sw_detect_ghost(struct sw_detector *d, sw_day_t as_of, sw_finding_fn fn, void *ctx,
                    struct sw_detect_summary *ret)
{
        struct sw_detect_summary sum = {.newest_store_shortfall = SW_DAY_NONE};
        int r;
        if (sw_ghost_params_validate(&d->ghost) < 0)
                return -EINVAL;
        if (d->ghost.mode == SW_GHOST_MODE_BAYES)
                r = sw_detect__ghost_bayes(d, as_of, fn, ctx, &sum);
        else
                r = ghost_per_sku(d, as_of, fn, ctx, &sum);
        if (r == 0 && ret)
                *ret = sum;
        return r;
}
