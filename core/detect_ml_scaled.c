/* ml_detected with the scaled features: actionable causes only, within a daily budget. */
#include <math.h>
#ifdef SW_ML_DEBUG
#include <stdio.h>
#endif
#include <string.h>

#include "core/detect_internal.h"
#include "core/topk.h"

void sw_detect__ml_context(struct sw_detector *d, struct sw_ml_run *run, sw_day_t as_of)
{
        uint32_t h = d->skus->p.history_days;
        double *units = run->days, *known = run->days + h;
        sw_detect__store_context(d, as_of);
        for (uint32_t k = 0; k < h; k++) {
                units[k] = (double)d->context.store_units[k];
                known[k] = d->context.store_known[k];
        }
        sw_features_day_factors(units, known, h, &d->context, run->days + 3 * (size_t)h,
                                run->days + 2 * (size_t)h);
}

struct sw_scaled_inputs sw_detect__ml_inputs(struct sw_detector *d, const struct sw_ml_run *run)
{
        return (struct sw_scaled_inputs){.context = &d->context,
                                         .day_factor =
                                             run->days + 2 * (size_t)d->skus->p.history_days,
                                         .category_log_price = run->category_avg,
                                         .scratch_sales = d->scratch_sales};
}

/* Whether the SKU-day stands out: its cause's feature rare on its own, or its score far out
 * among the day's (sigma x the learnt scale). */
static bool stands_out(const struct sw_ml_verdict *v, double z, double sigma)
{
        return v->rare || z >= sigma;
}

/* Critical: a cause seen in the store's own records (a price, a delivery), far past its bound
 * and standing out at critical_sigma; else warning, or info for an open episode that no longer
 * stands out. A sales spike is inferred from noisy demand: a warning at most. */
static enum sw_severity severity_of(const struct sw_ml_params *p, const struct sw_ml_verdict *v,
                                    double z)
{
        if (v->cause != SW_ML_CAUSE_SALES_SPIKE && stands_out(v, z, p->critical_sigma) &&
            v->strength >= p->critical_strength)
                return SW_SEVERITY_CRITICAL;
        return stands_out(v, z, p->warning_sigma) ? SW_SEVERITY_WARNING : SW_SEVERITY_INFO;
}

static void fill_finding(struct sw_detector *d, const struct sw_ml_params *p,
                         const struct sw_ml_run *run, uint32_t i, sw_day_t as_of, const float *x,
                         const struct sw_scaled_detail *dt, double score,
                         const double *contributions, double z, const struct sw_ml_verdict *v,
                         struct sw_finding *f)
{
        const struct sw_sku *s = sw_sku_at(d->skus, i);
        *f = (struct sw_finding){
            .type = SW_ANOMALY_ML_DETECTED, .sku_index = i, .as_of = as_of, .score = score};
        memcpy(f->ml.features, x, sizeof(f->ml.features));
        memcpy(f->ml.contributions, contributions, sizeof(f->ml.contributions));
        f->ml.z = z;
        f->ml.threshold = sw_iforest_threshold(run->forest);
        f->ml.feature_set = SW_FEATURES_SCALED;
        f->ml.cause = (uint8_t)v->cause;
        f->ml.strength = v->strength;
        f->severity = severity_of(p, v, z);
        f->probability = 0.5 * erfc(-z / sqrt(2.0));
        f->value = s->on_hand > 0 ? s->on_hand * sw_detect__sku_price(s) : 0;
        f->action = v->action;
        if (sw_ml_cause_describe(v, x, contributions, dt, p->max_reasons, f->description,
                                 sizeof(f->description)) < 0)
                f->description[0] = '\0';
}

/* How directly a cause is seen: a price mismatch and a delivery are facts in the store's own
 * records; a sales spike is inferred from noisy demand (promotions, bulk orders look alike). */
static int cause_rank(enum sw_ml_cause c)
{
        switch (c) {
        case SW_ML_CAUSE_LIST_PRICE:
        case SW_ML_CAUSE_PAID_PRICE:
                return 2;
        case SW_ML_CAUSE_OVERSTOCK:
                return 1;
        default:
                return 0;
        }
}

/* Candidate order: severity, how directly the cause is seen, its strength, the score, then the
 * lower SKU index. */
static bool cand_less(const void *va, const void *vb)
{
        const struct sw_ml_candidate *a = va, *b = vb;
        if (a->severity != b->severity)
                return a->severity < b->severity;
        if (cause_rank(a->cause) != cause_rank(b->cause))
                return cause_rank(a->cause) < cause_rank(b->cause);
        if (a->strength != b->strength)
                return a->strength < b->strength;
        if (a->score != b->score)
                return a->score < b->score;
        return a->sku_index > b->sku_index;
}

/* Keep the max_new_per_day strongest candidates; the others are deferred. */
static void candidate_push(const struct sw_ml_params *p, struct sw_ml_run *run,
                           const struct sw_ml_candidate *c, struct sw_detect_summary *sum)
{
        if (!sw_topk_offer(run->candidates, sizeof(*c), &run->n_candidates, p->max_new_per_day, c,
                           cand_less))
                sum->deferred++;
}

bool sw_detect__ml_scaled_explains(struct sw_detector *d, const struct sw_ml_params *p, uint32_t i,
                                   const float *x, const struct sw_scaled_detail *dt)
{
        sw_day_t since;
        return sw_anomaly_book_find(d->book, SW_ANOMALY_ML_DETECTED, i, &since) == 0 ||
               sw_ml_cause_possible(&p->cause, x, dt);
}

int sw_detect__ml_scaled_sku(struct sw_detector *d, const struct sw_ml_params *p,
                             struct sw_ml_run *run, uint32_t i, sw_day_t as_of, const float *x,
                             const struct sw_scaled_detail *dt, double score,
                             const double *contributions, double z, sw_finding_fn fn, void *ctx,
                             struct sw_detect_summary *sum)
{
        const struct sw_sku *s = sw_sku_at(d->skus, i);
        double scale = sw_detect__scale(d, SW_ANOMALY_ML_DETECTED, s);
        sw_day_t since;
        unsigned rare = sw_feature_rare(run->stats, x);
        bool above = sw_iforest_is_anomaly(run->forest, score), unusual = above || rare;
        bool open = sw_anomaly_book_find(d->book, SW_ANOMALY_ML_DETECTED, i, &since) == 0;
        struct sw_ml_verdict v = {.cause = SW_ML_CAUSE_NONE, .feature = -1};
        if (unusual && contributions)
                v = sw_ml_cause_find(&p->cause, x, contributions, rare, dt);
        if (open) {
                /* An episode stays open while the SKU-day stays unusual with a cause. */
                struct sw_finding f;
                bool keep = unusual && v.cause != SW_ML_CAUSE_NONE;
                fill_finding(d, p, run, i, as_of, x, dt, score, contributions, z, &v, &f);
                return sw_detect__transition(d, &f, keep, !keep, as_of, fn, ctx, sum);
        }
        if (!unusual)
                return 0;
        if (v.cause == SW_ML_CAUSE_NONE) {
                /* Isolated for no reason an associate could act on: not an alert. */
                if (rare || z >= p->warning_sigma * scale)
                        sum->unexplained++;
                else
                        sum->quiet++;
                return 0;
        }
        /* A learnt scale above 1 asks for more: a cause further past its bound, and a score
         * further out among the day's. */
        if (!stands_out(&v, z, p->warning_sigma * scale) || v.strength < scale) {
                sum->quiet++;
                return 0;
        }
        struct sw_ml_candidate c = {.sku_index = i,
                                    .severity = severity_of(p, &v, z),
                                    .cause = v.cause,
                                    .strength = v.strength,
                                    .score = score,
                                    .z = z};
        candidate_push(p, run, &c, sum);
        return 0;
}

/* Open the day's candidates, strongest first (the heap holds at most max_new_per_day). */
int sw_detect__ml_admit(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                        sw_day_t as_of, sw_finding_fn fn, void *ctx, struct sw_detect_summary *sum)
{
        struct sw_ml_candidate *h = run->candidates;
        struct sw_scaled_inputs in = sw_detect__ml_inputs(d, run);
        sw_topk_sort(h, sizeof(*h), run->n_candidates, cand_less); /* strongest first */
        for (uint32_t k = 0; k < run->n_candidates; k++) {
                float x[SW_FEAT_COUNT];
                double contributions[SW_FEAT_COUNT];
                struct sw_scaled_detail dt;
                struct sw_finding f;
                if (sw_features_scaled(d->skus, h[k].sku_index, as_of, &in, x, &dt) < 0)
                        continue;
                double score = sw_iforest_contributions(run->forest, x, contributions);
                struct sw_ml_verdict v = sw_ml_cause_find(&p->cause, x, contributions,
                                                          sw_feature_rare(run->stats, x), &dt);
                fill_finding(d, p, run, h[k].sku_index, as_of, x, &dt, score, contributions, h[k].z,
                             &v, &f);
                int r = sw_detect__transition(d, &f, true, false, as_of, fn, ctx, sum);
                if (r < 0)
                        return r;
        }
        run->n_candidates = 0;
        return 0;
}
