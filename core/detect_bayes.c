/* Ghost stock, bayes mode, over the store: context, pooled prior, per-SKU test, daily budget. */
#include <math.h>
#include <stdio.h>

#include "core/detect.h"
#include "core/detect_internal.h"
#include "core/topk.h"

/* Pooling needs a few thousand SKUs, not all of them: a larger store is sampled evenly. */
#define POOL_SAMPLE_SKUS 20000u

/* Mark the days of the SKU's series the ghost test leaves out. ctx_shift maps series day i
 * to context day i + ctx_shift; with_shortfalls false before the context is finished. */
static void censor_series(struct sw_detector *d, const struct sw_sku *s, sw_day_t as_of, uint32_t n,
                          uint32_t ctx_shift, bool with_shortfalls)
{
        sw_day_t from = as_of - (sw_day_t)n;
        for (uint32_t i = 0; i < n; i++) {
                uint32_t c = i + ctx_shift;
                bool out = with_shortfalls
                               ? sw_store_context_censored(&d->context, s->category, c)
                               : (sw_store_context_day(&d->context, c) & SW_CONTEXT_CLOSED);
                /* A pushed forecast of 0 says the SKU was not meant to sell that day. */
                out = out || d->scratch_pushed[i] == 0.0;
                /* The book was at or below zero: the shelf was known to be empty. */
                sw_day_t day = from + (sw_day_t)i;
                out = out || (s->stockout_day != SW_DAY_NONE && day >= s->stockout_from &&
                              day <= s->stockout_day);
                d->scratch_censored[i] = out;
        }
}

/* The SKU's series as the ghost test reads it; a run starts after its latest stock-out. */
static struct sw_ghost_series series_of(const struct sw_detector *d, const struct sw_sku *s,
                                        sw_day_t as_of, uint32_t n, uint32_t known)
{
        struct sw_ghost_series ser = {.sales = d->scratch_sales,
                                      .weekday = d->scratch_weekday,
                                      .censored = d->scratch_censored,
                                      .n = n,
                                      .known = known};
        sw_day_t from = as_of - (sw_day_t)n;
        if (s->stockout_day != SW_DAY_NONE && s->stockout_day >= from)
                ser.run_floor =
                    s->stockout_day >= as_of ? n : (uint32_t)(s->stockout_day - from) + 1;
        return ser;
}

/* Pass 1: the store context, a sample's fits into the pool. */
static int pass_context_and_pool(struct sw_detector *d, sw_day_t as_of)
{
        uint32_t h = d->skus->p.history_days, stride = d->skus->count / POOL_SAMPLE_SKUS + 1;
        sw_detect__store_context(d, as_of);
        sw_ghost_pool_reset(&d->pool);
        for (uint32_t i = 0; i < d->skus->count; i += stride) {
                const struct sw_sku *s = sw_sku_at(d->skus, i);
                uint32_t known, n;
                if (s->last_day == SW_DAY_NONE || s->first_day >= as_of)
                        continue;
                struct sw_ghost_fit fit;
                n = sw_detect__fill_series(d, i, as_of, &known);
                if (n == 0)
                        continue;
                censor_series(d, s, as_of, n, h - n, false);
                struct sw_ghost_series ser = series_of(d, s, as_of, n, known);
                int r = sw_ghost_bayes_fit(&d->ghost, &ser, &fit);
                if (r < 0)
                        return r;
                sw_ghost_pool_add(&d->pool, &d->ghost, &fit);
        }
        sw_ghost_pool_finish(&d->pool);
        return 0;
}

/*
 * The book the test may trust: the book less what the SKU is expected to have sold on the
 * days of the window whose POS was lost (store and category shortfalls) since the book was
 * last set from a record. The store system counted those sales; the daemon never heard them,
 * so its book is that much too high, and an empty shelf behind it is no ghost.
 */
static int32_t trusted_on_hand(const struct sw_detector *d, const struct sw_sku *s,
                               const struct sw_ghost_fit *fit, sw_day_t as_of, uint32_t n,
                               uint32_t ctx_shift)
{
        sw_day_t book_day = sw_detect__day_of(d, s->book_as_of, SW_DAY_NONE);
        double missed = 0.0;
        for (uint32_t i = 0; i < n; i++) {
                uint32_t c = i + ctx_shift;
                sw_day_t day = as_of - (sw_day_t)n + (sw_day_t)i;
                bool lost = (sw_store_context_day(&d->context, c) & SW_CONTEXT_STORE_SHORTFALL) ||
                            sw_store_context_category_short(&d->context, s->category, c);
                if (lost && (book_day == SW_DAY_NONE || day >= book_day))
                        missed += fit->level * fit->weekday_factor[d->scratch_weekday[i]];
        }
        double trusted = (double)s->on_hand - ceil(missed);
        return trusted < INT32_MIN ? INT32_MIN : (int32_t)trusted;
}

/* What the shelf sensor has said since the SKU's last sale. */
static struct sw_ghost_shelf shelf_evidence(const struct sw_detector *d, uint32_t index,
                                            sw_day_t last_sale_day)
{
        const struct sw_shelf *sh = sw_sku_shelf(d->skus, index);
        struct sw_ghost_shelf e = {0};
        if (!sh || sh->ts == 0 || sh->count < 0)
                return e;
        if (sh->count == 0 && sw_detect__day_of(d, sh->zero_since, SW_DAY_NONE) >= last_sale_day)
                e.zero_readings =
                    (uint16_t)(sh->zero_readings > UINT16_MAX ? UINT16_MAX : sh->zero_readings);
        else if (sh->count > 0 && sw_detect__day_of(d, sh->ts, SW_DAY_NONE) > last_sale_day)
                e.stocked = true;
        return e;
}

static void describe(const struct sw_sku *s, const struct sw_ghost_shelf *sh, struct sw_finding *f)
{
        const struct sw_ghost_result *g = &f->ghost;
        char shelf[48] = "";
        if (sh->zero_readings > 0)
                snprintf(shelf, sizeof(shelf), " | Shelf read 0 at %u reading%s", sh->zero_readings,
                         sh->zero_readings == 1 ? "" : "s");
        if (g->model == SW_GHOST_MODEL_NEVER_SOLD)
                snprintf(f->description, sizeof(f->description),
                         "No sale in %u open days since its first record (p=%.2g)%s | Book shows "
                         "%d units",
                         g->run_days, g->p_value, shelf, s->on_hand);
        else
                snprintf(f->description, sizeof(f->description),
                         "No sales for %u open day%s (expected %.1f units, p=%.2g)%s | Book shows "
                         "%d units",
                         g->run_days, g->run_days == 1 ? "" : "s", g->expected_units, g->p_value,
                         shelf, s->on_hand);
}

static void finding_of(struct sw_finding *f, uint32_t index, sw_day_t as_of)
{
        *f = (struct sw_finding){.type = SW_ANOMALY_GHOST_STOCK,
                                 .sku_index = index,
                                 .as_of = as_of,
                                 .action = SW_ACTION_CYCLE_COUNT};
}

static void fill_finding(struct sw_finding *f, const struct sw_ghost_result *g)
{
        f->ghost = *g;
        f->severity = g->severity;
        f->score = g->score;
        f->probability = g->probability;
        f->value = g->value;
}

/* Candidate order: probability, then money at stake, then the lower SKU index. */
static bool cand_less(const void *va, const void *vb)
{
        const struct sw_ghost_candidate *a = va, *b = vb;
        if (a->g.probability != b->g.probability)
                return a->g.probability < b->g.probability;
        if (a->g.priority != b->g.priority)
                return a->g.priority < b->g.priority;
        return a->sku_index > b->sku_index;
}

/* Keep the max_candidates strongest candidates; the others are deferred. */
static void candidate_push(struct sw_detector *d, const struct sw_ghost_candidate *c,
                           struct sw_detect_summary *sum)
{
        if (!sw_topk_offer(d->candidates, sizeof(*c), &d->n_candidates, d->max_candidates, c,
                           cand_less))
                sum->deferred++;
}

/* Open the strongest candidates while their expected false alerts, the sum of 1 - P, stay
 * within the store's daily budget; the rest wait for more evidence. */
static int admit_candidates(struct sw_detector *d, sw_day_t as_of, sw_finding_fn fn, void *ctx,
                            struct sw_detect_summary *sum)
{
        struct sw_ghost_candidate *h = d->candidates;
        uint32_t n = d->n_candidates;
        sw_topk_sort(h, sizeof(*h), n, cand_less); /* strongest first */
        double expected_false = 0.0;
        for (uint32_t k = 0; k < n; k++) {
                expected_false += 1.0 - h[k].g.probability;
                if (expected_false > d->ghost.false_alerts_per_day) {
                        sum->deferred += n - k;
                        break;
                }
                const struct sw_sku *s = sw_sku_at(d->skus, h[k].sku_index);
                struct sw_ghost_shelf sh = shelf_evidence(d, h[k].sku_index, h[k].since - 1);
                struct sw_finding f;
                finding_of(&f, h[k].sku_index, as_of);
                fill_finding(&f, &h[k].g);
                describe(s, &sh, &f);
                int r = sw_detect__transition(d, &f, true, false, h[k].since, fn, ctx, sum);
                if (r < 0)
                        return r;
        }
        d->n_candidates = 0;
        return 0;
}

/* Pass 2 for one SKU: test it; update or clear an open episode, or make it a candidate. */
static int evaluate_sku(struct sw_detector *d, uint32_t i, sw_day_t as_of, bool open,
                        sw_finding_fn fn, void *ctx, struct sw_detect_summary *sum)
{
        const struct sw_sku *s = sw_sku_at(d->skus, i);
        uint32_t h = d->skus->p.history_days, known,
                 n = sw_detect__fill_series(d, i, as_of, &known);
        struct sw_ghost_fit fit;
        struct sw_finding f;
        if (n == 0)
                return 0;
        censor_series(d, s, as_of, n, h - n, true);
        struct sw_ghost_series ser = series_of(d, s, as_of, n, known);
        int r = sw_ghost_bayes_fit(&d->ghost, &ser, &fit);
        if (r < 0)
                return r;
        sw_day_t last_sale =
            fit.has_sale ? as_of - (sw_day_t)(n - fit.last_sale) : as_of - (sw_day_t)known - 1;
        struct sw_ghost_shelf sh = shelf_evidence(d, i, last_sale);
        int32_t on_hand = trusted_on_hand(d, s, &fit, as_of, n, h - n);
        double scale = sw_detect__scale(d, SW_ANOMALY_GHOST_STOCK, s);
        sum->evaluated++;
        if (!open && !sw_ghost_bayes_may_flag(&d->ghost, &ser, &fit, &sh, on_hand, scale))
                return 0;
        finding_of(&f, i, as_of);
        r = sw_ghost_bayes_evaluate(&d->ghost, &d->pool, &ser, &fit, &sh, on_hand,
                                    sw_detect__sku_price(s), scale, &f.ghost);
        if (r < 0)
                return r;
        if (!open) {
                if (f.ghost.flagged)
                        candidate_push(d,
                                       &(struct sw_ghost_candidate){
                                           .sku_index = i, .since = last_sale + 1, .g = f.ghost},
                                       sum);
                return 0;
        }
        fill_finding(&f, &f.ghost);
        if (f.ghost.flagged)
                describe(s, &sh, &f);
        return sw_detect__transition(d, &f, f.ghost.flagged,
                                     f.ghost.sales_resumed || s->on_hand <= 0, last_sale + 1, fn,
                                     ctx, sum);
}

int sw_detect__ghost_bayes(struct sw_detector *d, sw_day_t as_of, sw_finding_fn fn, void *ctx,
                           struct sw_detect_summary *sum)
{
        int r = pass_context_and_pool(d, as_of);
        if (r < 0)
                return r;
        d->n_candidates = 0;
        for (uint32_t i = 0; i < d->skus->count && r == 0; i++) {
                const struct sw_sku *s = sw_sku_at(d->skus, i);
                sw_day_t since;
                if (s->last_day == SW_DAY_NONE || s->first_day >= as_of)
                        continue;
                bool open = sw_anomaly_book_find(d->book, SW_ANOMALY_GHOST_STOCK, i, &since) == 0;
                /* A SKU that sold on D-1 has no run: nothing to test unless an episode is open. */
                if (!open && sw_sku_sold(d->skus, i, as_of - 1) > 0) {
                        sum->evaluated++;
                        continue;
                }
                r = evaluate_sku(d, i, as_of, open, fn, ctx, sum);
        }
        if (r == 0)
                r = admit_candidates(d, as_of, fn, ctx, sum);
        d->n_candidates = 0;
        sum->store_shortfall_days = d->context.store_shortfalls;
        sum->category_shortfall_days = d->context.category_shortfalls;
        sum->newest_store_shortfall = d->context.newest_store_shortfall;
        return r;
}
