/* The daemon's Isolation Forest: its memory, training schedule, persistence and runs. */
#ifndef SW_DAEMON_ML_H
#define SW_DAEMON_ML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/detect_ml.h"

struct sw_daemon;

struct sw_daemon_ml {
        struct sw_iforest forest;           /* the model (fitted or not) */
        struct sw_reservoir reservoir;      /* recent SKU-day feature vectors */
        struct sw_feature_stats stats;      /* baseline of the training rows, for explanations */
        double *category_avg;               /* [max_categories] scratch */
        uint32_t *category_counts;          /* [max_categories] scratch */
        double *fit_scratch;                /* [reservoir] training scores */
        float *stats_scratch;               /* [reservoir] one feature column */
        uint64_t *above;                    /* [(max_skus + 63) / 64] scoring scratch (sw_ml_run) */
        struct sw_ml_candidate *candidates; /* [max_new_per_day] the run's new alerts (scaled) */
        double *days;                       /* [4 x history_days] the run's day scratch (scaled) */
        uint64_t next_train_ms;             /* monotonic deadline of the next training */
        int64_t trained_at;                 /* Unix s of the model in use, 0 none */
        int64_t trained_as_of;              /* newest as_of day fed before that training, 0 none */
        int64_t fed_as_of;     /* newest as_of day whose vectors are in the reservoir */
        uint32_t trained_rows; /* rows it was trained on */
};

/* Bytes of the fixed block for the configured forest and reservoir. */
size_t sw_daemon_ml_memory_size(const struct sw_daemon *d);
/* Lay the ML state over mem (part of the daemon's block). */
int sw_daemon_ml_init(struct sw_daemon *d, void *mem, size_t size);
/* Load the last model, its stats and the reservoir from the database, if any. */
int sw_daemon_ml_restore(struct sw_daemon *d);
/* Train on the reservoir and persist the model; -ENODATA when it holds too few rows. */
int sw_daemon_ml_train(struct sw_daemon *d);
/* Score every SKU as of a day in one transaction. Trains first (after adding the day's
 * vectors to the reservoir) when there is no model yet or the model's data is older than
 * the training interval in event time, so a replay of many days learns as live traffic would. */
int sw_daemon_detect_ml(struct sw_daemon *d, sw_day_t as_of, struct sw_detect_summary *ret);
/* The run's parameters from the configuration. */
struct sw_ml_params sw_daemon_ml_params(const struct sw_daemon *d);
/* The run's memory (no reservoir, no forest: features only), for sw_ml_prepare. */
struct sw_ml_run sw_daemon_ml_scratch(struct sw_daemon *d);
/* Train when the interval has passed. */
void sw_daemon_ml_tick(struct sw_daemon *d, uint64_t now_ms);

#endif
