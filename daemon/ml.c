/* The daemon's Isolation Forest: fixed memory, training every few hours on the reservoir,
 * the model kept in SQLite so a restart scores at once with the last one. */
#include "daemon/ml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/findings.h"
#include "daemon/persist.h"
#include "platform/clock.h"

#define ALIGN8(x)               (((x) + 7u) & ~(size_t)7u)
#define ML_MAX_REASONS          3
#define META_MODEL              "ml_model"
#define META_STATS              "ml_stats"
#define META_RESERVOIR          "ml_reservoir"
#define META_TRAINED_AT         "ml_trained_at"
#define META_TRAINED_AS_OF      "ml_trained_as_of"
#define META_FED_AS_OF          "ml_fed_as_of"
#define META_MODEL_FEATURES     "ml_model_features"
#define META_RESERVOIR_FEATURES "ml_reservoir_features"

static struct sw_iforest_params forest_params(const struct sw_config_ml *c)
{
        struct sw_iforest_params p;
        sw_iforest_params_default(&p, SW_FEAT_COUNT);
        p.n_trees = (uint16_t)c->trees;
        p.sample_size = (uint16_t)c->samples;
        p.contamination = c->contamination;
        p.seed = c->seed;
        return p;
}

size_t sw_daemon_ml_memory_size(const struct sw_daemon *d)
{
        const struct sw_config_ml *c = &d->cfg.detectors.ml;
        struct sw_iforest_params p = forest_params(c);
        size_t cats = d->cfg.limits.max_categories;
        return ALIGN8(sw_iforest_memory_size(&p)) +
               ALIGN8(sw_reservoir_memory_size(c->reservoir, SW_FEAT_COUNT)) +
               ALIGN8(cats * sizeof(double)) + ALIGN8(cats * sizeof(uint32_t)) +
               ALIGN8(c->reservoir * sizeof(double)) + ALIGN8(c->reservoir * sizeof(float)) +
               ALIGN8(((size_t)d->cfg.limits.max_skus + 63) / 64 * sizeof(uint64_t)) +
               ALIGN8((size_t)c->max_new_per_day * sizeof(struct sw_ml_candidate)) +
               4 * (size_t)d->cfg.limits.history_days * sizeof(double);
}

int sw_daemon_ml_init(struct sw_daemon *d, void *mem, size_t size)
{
        const struct sw_config_ml *c = &d->cfg.detectors.ml;
        struct sw_daemon_ml *ml = &d->ml;
        struct sw_iforest_params p = forest_params(c);
        size_t forest = ALIGN8(sw_iforest_memory_size(&p));
        size_t res = ALIGN8(sw_reservoir_memory_size(c->reservoir, SW_FEAT_COUNT));
        size_t cats = d->cfg.limits.max_categories;
        char *at = mem;
        int r;
        if (size < sw_daemon_ml_memory_size(d))
                return -ENOBUFS;
        r = sw_iforest_init(&ml->forest, &p, at, forest);
        if (r < 0)
                return r;
        at += forest;
        r = sw_reservoir_init(&ml->reservoir, c->reservoir, SW_FEAT_COUNT, c->seed, at, res);
        if (r < 0)
                return r;
        at += res;
        ml->category_avg = (double *)(void *)at;
        at += ALIGN8(cats * sizeof(double));
        ml->category_counts = (uint32_t *)(void *)at;
        at += ALIGN8(cats * sizeof(uint32_t));
        ml->fit_scratch = (double *)(void *)at;
        at += ALIGN8(c->reservoir * sizeof(double));
        ml->stats_scratch = (float *)(void *)at;
        at += ALIGN8(c->reservoir * sizeof(float));
        ml->above = (uint64_t *)(void *)at;
        at += ALIGN8(((size_t)d->cfg.limits.max_skus + 63) / 64 * sizeof(uint64_t));
        ml->candidates = (struct sw_ml_candidate *)(void *)at;
        at += ALIGN8((size_t)c->max_new_per_day * sizeof(struct sw_ml_candidate));
        ml->days = (double *)(void *)at;
        ml->next_train_ms = 0;
        return 0;
}

/* Read a meta blob into a malloc'd buffer; -ENOENT when absent. */
static int load_blob(struct sw_daemon *d, const char *key, void **ret, size_t *ret_len)
{
        size_t len;
        void *buf;
        int r = sw_store_meta_blob_len(d->store, key, &len);
        if (r < 0)
                return r;
        buf = malloc(len ? len : 1);
        if (!buf)
                return -ENOMEM;
        r = sw_store_meta_get_blob(d->store, key, buf, len, &len);
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* Whether the blob stored under blob (the model or the reservoir) holds rows of the
 * configured feature set, kept under key: a blob without the key predates the scaled
 * features (the seed's); no blob has nothing to mismatch. */
static bool stored_features_match(struct sw_daemon *d, const char *blob, const char *key)
{
        int64_t set = SW_FEATURES_SEED;
        size_t len;
        if (sw_store_meta_blob_len(d->store, blob, &len) < 0)
                return true;
        (void)sw_store_meta_get_int(d->store, key, &set);
        return set == (int64_t)d->cfg.detectors.ml.features;
}

int sw_daemon_ml_restore(struct sw_daemon *d)
{
        struct sw_daemon_ml *ml = &d->ml;
        void *buf;
        size_t len;
        int r;
        if (!d->cfg.detectors.ml.enabled)
                return 0;
        /* A model or reservoir of the other feature set (detectors.ml.features changed) is
         * left unread: it is relearnt, and overwritten at the next training. */
        if (!stored_features_match(d, META_RESERVOIR, META_RESERVOIR_FEATURES))
                sw_log_warning(
                    "Stored ML reservoir holds other features than detectors.ml.features "
                    "= \"%s\", starting empty",
                    sw_feature_set_name(d->cfg.detectors.ml.features));
        else if (load_blob(d, META_RESERVOIR, &buf, &len) == 0) {
                if (sw_reservoir_deserialize(&ml->reservoir, buf, len) < 0)
                        sw_log_warning(
                            "Stored ML reservoir does not fit the configuration, starting empty");
                else
                        (void)sw_store_meta_get_int(d->store, META_FED_AS_OF, &ml->fed_as_of);
                free(buf);
        }
        if (!stored_features_match(d, META_MODEL, META_MODEL_FEATURES)) {
                sw_log_warning("Stored ML model is of other features than detectors.ml.features, "
                               "will retrain");
                return 0;
        }
        r = load_blob(d, META_MODEL, &buf, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = sw_iforest_deserialize(&ml->forest, buf, len);
        free(buf);
        if (r < 0) {
                /* A model of other dimensions (trees, samples changed): retrain rather than fail.
                 */
                sw_log_warning("Stored ML model does not fit the configuration, will retrain");
                return 0;
        }
        if (sw_store_meta_get_blob(d->store, META_STATS, &ml->stats, sizeof(ml->stats), &len) < 0 ||
            len != sizeof(ml->stats))
                memset(&ml->stats, 0, sizeof(ml->stats));
        (void)sw_store_meta_get_int(d->store, META_TRAINED_AT, &ml->trained_at);
        (void)sw_store_meta_get_int(d->store, META_TRAINED_AS_OF, &ml->trained_as_of);
        /* Keep the training rhythm across a restart rather than retraining at once. */
        ml->next_train_ms =
            sw_clock_monotonic_ms() + d->cfg.detectors.ml.train_interval_hours * 3600000ull;
        sw_log_info("Restored the ML model trained at %lld", (long long)ml->trained_at);
        return 0;
}

/* Persist one serialisable object under key through a transient buffer. */
static int put_serialized(struct sw_daemon *d, const char *key, size_t size,
                          int (*serialize)(const void *obj, void *buf, size_t size),
                          const void *obj)
{
        void *buf = malloc(size ? size : 1);
        int n, r;
        if (!buf)
                return -ENOMEM;
        n = serialize(obj, buf, size);
        r = n < 0 ? n : sw_store_meta_put_blob(d->store, key, buf, (size_t)n);
        free(buf);
        return r;
}

static int serialize_forest(const void *obj, void *buf, size_t size)
{
        return sw_iforest_serialize(obj, buf, size);
}

static int serialize_reservoir(const void *obj, void *buf, size_t size)
{
        return sw_reservoir_serialize(obj, buf, size);
}

static int persist_reservoir(struct sw_daemon *d);

static int persist_model(struct sw_daemon *d)
{
        struct sw_daemon_ml *ml = &d->ml;
        int r = sw_persist_commit(d);
        if (r == 0)
                r = sw_store_begin(d->store);
        if (r < 0)
                return r;
        r = put_serialized(d, META_MODEL, sw_iforest_serialized_size(&ml->forest), serialize_forest,
                           &ml->forest);
        if (r == 0)
                r = sw_store_meta_put_blob(d->store, META_STATS, &ml->stats, sizeof(ml->stats));
        if (r == 0)
                r = sw_store_meta_put_int(d->store, META_MODEL_FEATURES,
                                          d->cfg.detectors.ml.features);
        if (r == 0)
                r = persist_reservoir(d);
        if (r == 0)
                r = sw_store_meta_put_int(d->store, META_TRAINED_AT, ml->trained_at);
        if (r == 0)
                r = sw_store_meta_put_int(d->store, META_TRAINED_AS_OF, ml->trained_as_of);
        if (r == 0)
                r = sw_store_commit(d->store);
        if (r < 0)
                sw_store_rollback(d->store);
        return r;
}

int sw_daemon_ml_train(struct sw_daemon *d)
{
        struct sw_daemon_ml *ml = &d->ml;
        uint32_t n = sw_reservoir_count(&ml->reservoir);
        uint64_t start = sw_clock_monotonic_ms();
        int r;
        /* Fewer rows than one tree's sample would make every tree the whole data set. */
        if (n < d->cfg.detectors.ml.samples)
                return -ENODATA;
        r = sw_iforest_fit(&ml->forest, sw_reservoir_rows(&ml->reservoir), n, ml->fit_scratch);
        if (r < 0)
                return r;
        r = sw_feature_stats_compute(sw_reservoir_rows(&ml->reservoir), n, ml->stats_scratch,
                                     &ml->stats);
        /* Scaled features: each one's own tails, for the values the trees can hardly isolate
         * (core/explain.h); all 2 x 8 together hold about `contamination` of the rows. */
        if (r == 0 && d->cfg.detectors.ml.features == SW_FEATURES_SCALED)
                r = sw_feature_stats_tails(
                    sw_reservoir_rows(&ml->reservoir), n, ml->stats_scratch,
                    d->cfg.detectors.ml.contamination / (2.0 * SW_FEAT_COUNT), &ml->stats);
        if (r < 0)
                return r;
        ml->trained_at = sw_clock_now();
        ml->trained_rows = n;
        sw_reservoir_restart_window(&ml->reservoir);
        r = persist_model(d);
        if (r < 0) {
                sw_log_err("Cannot store the ML model: %s (%s)", strerror(-r),
                           sw_store_errmsg(d->store));
                return r;
        }
        sw_log_info("Trained the ML model on %u SKU-days in %llu ms (threshold %.4f)", n,
                    (unsigned long long)(sw_clock_monotonic_ms() - start),
                    sw_iforest_threshold(&ml->forest));
        return 0;
}

struct ml_job {
        sw_day_t as_of;               /* detection day */
        bool feed;                    /* add the day's vectors to the reservoir */
        bool score;                   /* score and raise anomalies */
        struct sw_detect_summary sum; /* result */
};

/* The reservoir and the day it was fed up to, in the caller's transaction. */
static int persist_reservoir(struct sw_daemon *d)
{
        int r = put_serialized(d, META_RESERVOIR, sw_reservoir_serialized_size(&d->ml.reservoir),
                               serialize_reservoir, &d->ml.reservoir);
        if (r == 0)
                r = sw_store_meta_put_int(d->store, META_RESERVOIR_FEATURES,
                                          d->cfg.detectors.ml.features);
        return r < 0 ? r : sw_store_meta_put_int(d->store, META_FED_AS_OF, d->ml.fed_as_of);
}

struct sw_ml_params sw_daemon_ml_params(const struct sw_daemon *d)
{
        const struct sw_config_ml *c = &d->cfg.detectors.ml;
        return (struct sw_ml_params){.warning_sigma = c->warning_sigma,
                                     .critical_sigma = c->critical_sigma,
                                     .max_reasons = ML_MAX_REASONS,
                                     .features = c->features,
                                     .cause = c->cause,
                                     .critical_strength = c->critical_strength,
                                     .max_new_per_day = c->max_new_per_day};
}

struct sw_ml_run sw_daemon_ml_scratch(struct sw_daemon *d)
{
        return (struct sw_ml_run){.stats = &d->ml.stats,
                                  .category_avg = d->ml.category_avg,
                                  .category_counts = d->ml.category_counts,
                                  .above = d->ml.above,
                                  .candidates = d->ml.candidates,
                                  .days = d->ml.days};
}

static int run_ml(struct sw_daemon *d, void *arg)
{
        struct ml_job *job = arg;
        struct sw_ml_params p = sw_daemon_ml_params(d);
        struct sw_ml_run run = sw_daemon_ml_scratch(d);
        run.forest = job->score ? &d->ml.forest : NULL;
        run.reservoir = job->feed ? &d->ml.reservoir : NULL;
        int r = sw_detect_ml(&d->detector, &p, &run, job->as_of, sw_findings_record, d, &job->sum);
        if (r < 0 || !job->feed)
                return r;
        /* Fed rows commit with the run: a crash can neither lose them nor feed the day twice. */
        d->ml.fed_as_of = job->as_of;
        return persist_reservoir(d);
}

static bool retrain_due(const struct sw_daemon *d, sw_day_t as_of)
{
        int64_t stale_days = ((int64_t)d->cfg.detectors.ml.train_interval_hours + 23) / 24;
        return !sw_iforest_fitted(&d->ml.forest) || as_of - d->ml.trained_as_of >= stale_days;
}

int sw_daemon_detect_ml(struct sw_daemon *d, sw_day_t as_of, struct sw_detect_summary *ret)
{
        bool retrain = retrain_due(d, as_of);
        /* Each day feeds the reservoir once, however often it is detected. */
        struct ml_job job = {.as_of = as_of, .feed = as_of > d->ml.fed_as_of, .score = !retrain};
        int r = sw_findings_in_transaction(d, run_ml, &job);
        if (r < 0)
                return r;
        /* Learn from what was just seen, then score the same day with the new model. */
        if (retrain) {
                int64_t fed_as_of = as_of > d->ml.trained_as_of ? as_of : d->ml.trained_as_of;
                int64_t previous = d->ml.trained_as_of;
                d->ml.trained_as_of = fed_as_of;
                r = sw_daemon_ml_train(d);
                if (r < 0)
                        d->ml.trained_as_of = previous;
                if (r == 0)
                        d->ml.next_train_ms = sw_clock_monotonic_ms() +
                                              d->cfg.detectors.ml.train_interval_hours * 3600000ull;
                if (r < 0 && r != -ENODATA)
                        sw_log_err("ML training failed: %s", strerror(-r));
                if (sw_iforest_fitted(&d->ml.forest)) {
                        job = (struct ml_job){.as_of = as_of, .score = true};
                        r = sw_findings_in_transaction(d, run_ml, &job);
                        if (r < 0)
                                return r;
                }
        }
        if (ret)
                *ret = job.sum;
        return 0;
}

void sw_daemon_ml_tick(struct sw_daemon *d, uint64_t now_ms)
{
        int r;
        if (!d->cfg.detectors.ml.enabled || now_ms < d->ml.next_train_ms)
                return;
        d->ml.next_train_ms = now_ms + d->cfg.detectors.ml.train_interval_hours * 3600000ull;
        r = sw_daemon_ml_train(d);
        if (r < 0 && r != -ENODATA)
                sw_log_err("ML training failed: %s", strerror(-r));
}
