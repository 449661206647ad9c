/* The Isolation Forest detector run (ml_detected). */
#include "core/detect_ml.h"

#include <math.h>
#include <string.h>

#include "core/detect_internal.h"

enum sw_action sw_ml_action(const double contributions[SW_FEAT_COUNT])
{
        int top = 0;
        for (int k = 1; k < SW_FEAT_COUNT; k++)
                if (contributions[k] > contributions[top])
                        top = k;
        switch (top) {
        case SW_FEAT_UNIT_PRICE:
        case SW_FEAT_PRICE_VS_AVG:
                return SW_ACTION_CHECK_PRICE;
        case SW_FEAT_ON_HAND:
        case SW_FEAT_STOCK_TURNOVER:
                return SW_ACTION_CYCLE_COUNT;
        default:
                return SW_ACTION_INVESTIGATE;
        }
}

/* Running mean and variance (Welford), so the day's scores need no array. */
struct score_moments {
        uint32_t n;  /* scores seen */
        double mean; /* their mean */
        double m2;   /* sum of squared deviations */
};

static void moments_add(struct score_moments *m, double x)
{
        double delta = x - m->mean;
        m->n++;
        m->mean += delta / m->n;
        m->m2 += delta * (x - m->mean);
}

static double moments_sd(const struct score_moments *m)
{
        return m->n > 1 ? sqrt(m->m2 / (m->n - 1)) : 0;
}

static bool forest_ready(const struct sw_ml_run *run)
{
        return run->forest && sw_iforest_fitted(run->forest);
}

/* Seed features: the previous system's rule, unchanged. */
static int flag_sku(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                    uint32_t i, sw_day_t as_of, const float *x, double score,
                    const double *contributions, double z, sw_finding_fn fn, void *ctx,
                    struct sw_detect_summary *sum)
{
        const struct sw_sku *s = sw_sku_at(d->skus, i);
        bool above = sw_iforest_is_anomaly(run->forest, score);
        sw_day_t since;
        bool open = sw_anomaly_book_find(d->book, SW_ANOMALY_ML_DETECTED, i, &since) == 0;
        /* Hysteresis: an episode opens above the threshold at warning_sigma, and stays open
         * while the score stays above the threshold, so a SKU near the line does not flap
         * into a new anomaly every few days. */
        bool flagged = above && (open || z >= p->warning_sigma *
                                                  sw_detect__scale(d, SW_ANOMALY_ML_DETECTED, s));
        if (above && !flagged)
                sum->quiet++;
        /* Nothing to report for a normal SKU without an open episode. */
        if (!flagged && !open)
                return 0;
        struct sw_finding f = {
            .type = SW_ANOMALY_ML_DETECTED, .sku_index = i, .as_of = as_of, .score = score};
        memcpy(f.ml.features, x, sizeof(f.ml.features));
        memcpy(f.ml.contributions, contributions, sizeof(f.ml.contributions));
        f.ml.z = z;
        f.ml.threshold = sw_iforest_threshold(run->forest);
        f.ml.feature_set = SW_FEATURES_SEED;
        f.severity = z >= p->critical_sigma  ? SW_SEVERITY_CRITICAL
                     : z >= p->warning_sigma ? SW_SEVERITY_WARNING
                                             : SW_SEVERITY_INFO;
        /* The share of a normal day's scores below this one, under a normal model of the day. */
        f.probability = 0.5 * erfc(-z / sqrt(2.0));
        f.value = s->on_hand > 0 ? s->on_hand * sw_detect__sku_price(s) : 0;
        f.action = sw_ml_action(f.ml.contributions);
        if (sw_explain(x, f.ml.contributions, run->stats, p->max_reasons, f.description,
                       sizeof(f.description)) < 0)
                f.description[0] = '\0';
        return sw_detect__transition(d, &f, flagged, !flagged, as_of, fn, ctx, sum);
}

/* Rows scored together: the forest's trees stay in cache across the batch (see
 * sw_iforest_score_many, which walks twelve rows at a time); 96 rows of features fit in
 * 3 KiB of stack. */
#define ML_BATCH 96

/* Pass 1 for one batch: the day's moments, and the bit of each SKU pass 2 looks at: at or
 * above the threshold, or (tails non-NULL: scaled features) rare on one feature alone. */
static void score_batch(const struct sw_ml_run *run, const struct sw_feature_stats *tails,
                        const float *x, const uint32_t *idx, uint32_t n, struct score_moments *m)
{
        double scores[ML_BATCH];
        if (n == 0 || sw_iforest_score_many(run->forest, x, n, scores) < 0)
                return;
        for (uint32_t k = 0; k < n; k++) {
                moments_add(m, scores[k]);
                bool look = sw_iforest_is_anomaly(run->forest, scores[k]) ||
                            (tails && sw_feature_rare(tails, x + (size_t)k * SW_FEAT_COUNT));
                if (run->above && look)
                        run->above[idx[k] / 64] |= UINT64_C(1) << (idx[k] % 64);
        }
}

static int ml_features(struct sw_detector *d, const struct sw_ml_params *p,
                       const struct sw_ml_run *run, uint32_t i, sw_day_t as_of, float *x,
                       struct sw_scaled_detail *dt)
{
        if (p->features == SW_FEATURES_SEED)
                return sw_features_compute(d->skus, i, as_of, d->cal, run->category_avg, x);
        struct sw_scaled_inputs in = sw_detect__ml_inputs(d, run);
        return sw_features_scaled(d->skus, i, as_of, &in, x, dt);
}

void sw_ml_prepare(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                   sw_day_t as_of)
{
        if (p->features == SW_FEATURES_SEED) {
                sw_features_category_prices(d->skus, run->category_avg, run->category_counts);
                return;
        }
        sw_features_category_log_prices(d->skus, run->category_avg, run->category_counts);
        sw_detect__ml_context(d, run, as_of);
        run->n_candidates = 0;
}

int sw_ml_features(struct sw_detector *d, const struct sw_ml_params *p, const struct sw_ml_run *run,
                   uint32_t i, sw_day_t as_of, float x[SW_FEAT_COUNT])
{
        return ml_features(d, p, run, i, as_of, x, NULL);
}

static bool ml_may_flag(struct sw_detector *d, const struct sw_ml_run *run, uint32_t i)
{
        sw_day_t since;
        if (!run->above || run->above[i / 64] & (UINT64_C(1) << (i % 64)))
                return true;
        /* Below the threshold: only an open episode has something to report (it clears). */
        return sw_anomaly_book_find(d->book, SW_ANOMALY_ML_DETECTED, i, &since) == 0;
}

/* Pass 1: feed the reservoir and learn the day's score distribution, scoring in batches
 * (same scores, same order of moments_add as one row at a time). */
static void pass_score(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                       sw_day_t as_of, struct score_moments *m, struct sw_detect_summary *sum)
{
        float batch[ML_BATCH * SW_FEAT_COUNT];
        uint32_t idx[ML_BATCH], nb = 0;
        const struct sw_feature_stats *tails =
            p->features == SW_FEATURES_SCALED ? run->stats : NULL;
        for (uint32_t i = 0; i < d->skus->count; i++) {
                float *row = batch + (size_t)nb * SW_FEAT_COUNT;
                if (ml_features(d, p, run, i, as_of, row, NULL) < 0)
                        continue;
                sum->evaluated++;
                if (run->reservoir)
                        sw_reservoir_add(run->reservoir, row);
                if (!forest_ready(run))
                        continue;
                idx[nb++] = i;
                if (nb == ML_BATCH) {
                        score_batch(run, tails, batch, idx, nb, m);
                        nb = 0;
                }
        }
        if (forest_ready(run))
                score_batch(run, tails, batch, idx, nb, m);
}

/* Scaled SKU-days that can have no cause and no open episode: they are only counted (quiet
 * or unexplained), so they are scored in batches, without explanations. */
struct count_batch {
        float rows[ML_BATCH * SW_FEAT_COUNT]; /* their features */
        uint32_t idx[ML_BATCH];               /* their SKU indexes */
        uint32_t n;                           /* rows held */
};

static int flush_counted(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                         sw_day_t as_of, struct count_batch *b, const struct score_moments *m,
                         struct sw_detect_summary *sum)
{
        double scores[ML_BATCH], sd = moments_sd(m);
        if (b->n == 0)
                return 0;
        int r = sw_iforest_score_many(run->forest, b->rows, b->n, scores);
        for (uint32_t k = 0; k < b->n && r == 0; k++) {
                double z = sd > 0 ? (scores[k] - m->mean) / sd : 0;
                r = sw_detect__ml_scaled_sku(d, p, run, b->idx[k], as_of,
                                             b->rows + (size_t)k * SW_FEAT_COUNT, NULL, scores[k],
                                             NULL, z, NULL, NULL, sum);
        }
        b->n = 0;
        return r;
}

/* Pass 2: flag against the threshold and the day's spread. Only SKUs at or above the
 * threshold, rare on a feature, or with an open episode, can report anything: only those
 * are scored again (the same score as pass 1), with their explanation when it can matter. */
static int pass_flag(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                     sw_day_t as_of, const struct score_moments *m, sw_finding_fn fn, void *ctx,
                     struct sw_detect_summary *sum)
{
        struct count_batch counted = {.n = 0};
        int r = 0;
        for (uint32_t i = 0; r == 0 && i < d->skus->count; i++) {
                struct sw_scaled_detail dt;
                double contributions[SW_FEAT_COUNT];
                float x[SW_FEAT_COUNT];
#ifdef SW_ML_DEBUG
                if (ml_features(d, p, run, i, as_of, x, &dt) < 0)
                        continue;
#else
                if (!ml_may_flag(d, run, i) || ml_features(d, p, run, i, as_of, x, &dt) < 0)
                        continue;
#endif
                if (p->features == SW_FEATURES_SCALED &&
                    !sw_detect__ml_scaled_explains(d, p, i, x, &dt)) {
                        memcpy(counted.rows + (size_t)counted.n * SW_FEAT_COUNT, x, sizeof(x));
                        counted.idx[counted.n++] = i;
                        if (counted.n == ML_BATCH)
                                r = flush_counted(d, p, run, as_of, &counted, m, sum);
                        continue;
                }
                double score = sw_iforest_contributions(run->forest, x, contributions);
                double sd = moments_sd(m), z = sd > 0 ? (score - m->mean) / sd : 0;
                if (p->features == SW_FEATURES_SEED)
                        r = flag_sku(d, p, run, i, as_of, x, score, contributions, z, fn, ctx, sum);
                else
                        r = sw_detect__ml_scaled_sku(d, p, run, i, as_of, x, &dt, score,
                                                     contributions, z, fn, ctx, sum);
        }
        return r < 0 ? r : flush_counted(d, p, run, as_of, &counted, m, sum);
}

int sw_detect_ml(struct sw_detector *d, const struct sw_ml_params *p, struct sw_ml_run *run,
                 sw_day_t as_of, sw_finding_fn fn, void *ctx, struct sw_detect_summary *ret)
{
        struct sw_detect_summary sum = {0};
        struct score_moments m = {0};
        int r;

        sw_ml_prepare(d, p, run, as_of);
        if (run->above && forest_ready(run))
                memset(run->above, 0, ((size_t)d->skus->count + 63) / 64 * sizeof(uint64_t));
        pass_score(d, p, run, as_of, &m, &sum);
        if (forest_ready(run)) {
                r = pass_flag(d, p, run, as_of, &m, fn, ctx, &sum);
                if (r == 0 && p->features == SW_FEATURES_SCALED)
                        r = sw_detect__ml_admit(d, p, run, as_of, fn, ctx, &sum);
                if (r < 0)
                        return r;
        }
        if (ret)
                *ret = sum;
        return 0;
}
