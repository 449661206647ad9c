/* Runs the detectors over the SKU table and turns verdicts into anomaly lifecycle events. */
#ifndef SW_DETECT_H
#define SW_DETECT_H

#include <stdint.h>

#include "core/anomaly_book.h"
#include "core/features.h"
#include "core/ghost.h"
#include "core/ghost_bayes.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "core/store_context.h"
#include "core/tuning.h"

struct sw_shelf_out_params {
        bool enabled;           /* run the shelf-out check */
        uint32_t zero_seconds;  /* opening-hours seconds at zero (between zero readings) */
        uint32_t min_readings;  /* consecutive zero readings needed, >= 1 */
        double false_zero_rate; /* share of readings wrongly 0: the probability of a streak */
};

struct sw_discrepancy_params {
        bool enabled;                 /* run the discrepancy checks */
        uint32_t shelf_above_seconds; /* shelf above book this long before raising */
};

/* Evidence of a shelf-out or discrepancy finding (metadata). */
struct sw_stock_evidence {
        int32_t on_hand;       /* book on-hand */
        int32_t shelf_count;   /* last shelf count, -1 none */
        uint32_t duration_s;   /* how long the condition has held */
        uint8_t negative_book; /* discrepancy: 1 = book below zero, 0 = shelf above book */
};

/* Evidence of an ml_detected finding (metadata). */
struct sw_ml_evidence {
        float features[SW_FEAT_COUNT];       /* the SKU-day's feature vector */
        double contributions[SW_FEAT_COUNT]; /* per-feature share of the isolation, sums to 1 */
        double z;                            /* z-score of the score among the day's scores */
        double threshold;                    /* the forest's anomaly threshold */
        uint8_t feature_set;                 /* enum sw_feature_set of features[] */
        uint8_t cause;                       /* enum sw_ml_cause (scaled), 0 = none */
        double strength;                     /* how far past its bound the cause is (>= 1) */
};

/* One lifecycle event for the daemon to persist and publish. */
struct sw_finding {
        enum sw_anomaly_type type;      /* detector */
        enum sw_status status;          /* SW_STATUS_OPEN (new or update) or SW_STATUS_CLEARED */
        bool is_new;                    /* a new episode (else an update or a clearing) */
        uint32_t sku_index;             /* SKU */
        sw_day_t since;                 /* episode start day (part of the id) */
        sw_day_t as_of;                 /* detection day */
        enum sw_severity severity;      /* for open findings */
        enum sw_action action;          /* what an associate should do */
        double score;                   /* detector score (ghost: -log10 p) */
        double probability;             /* in [0, 1] */
        double value;                   /* money at stake */
        char description[192];          /* short human-readable explanation */
        struct sw_ghost_result ghost;   /* ghost evidence (type ghost_stock) */
        struct sw_stock_evidence stock; /* shelf_out / inventory_discrepancy evidence */
        struct sw_ml_evidence ml;       /* ml_detected evidence */
};

/* Receives each finding; a negative return aborts the run and is passed back. For a new
 * episode, SW_FINDING_SUPPRESSED says a person already judged this condition (an outcome was
 * recorded during it): the episode is not opened and is counted as suppressed. */
typedef int (*sw_finding_fn)(void *ctx, const struct sw_finding *f);
#define SW_FINDING_SUPPRESSED 1

struct sw_detect_summary {
        uint32_t evaluated;   /* SKUs evaluated */
        uint32_t opened;      /* new episodes */
        uint32_t updated;     /* open episodes re-detected */
        uint32_t cleared;     /* episodes closed because the condition went away */
        uint32_t book_full;   /* new episodes dropped because the book is full */
        uint32_t quiet;       /* ml: above the forest's threshold but under warning_sigma */
        uint32_t unexplained; /* ml (scaled): flagged by the forest, but no actionable cause */
        uint32_t suppressed;  /* new episodes of a condition a person already judged */
        uint32_t deferred;    /* ghost (bayes): candidates left for another day by the store's
                                 budget (false_alerts_per_day) or max_new_per_day; ml
                                 (scaled): new alerts beyond detectors.ml.max_new_per_day */
        uint32_t store_shortfall_days;    /* ghost (bayes): days of the window on which the
                                             whole store sold far below a usual day */
        uint32_t category_shortfall_days; /* ... category-days, the store's aside */
        sw_day_t newest_store_shortfall;  /* the newest such store day, SW_DAY_NONE if none */
};

/* A SKU that passed the ghost test and waits for the store's daily budget. */
struct sw_ghost_candidate {
        uint32_t sku_index;       /* SKU */
        sw_day_t since;           /* the day after its last sale: the episode's start */
        struct sw_ghost_result g; /* its verdict */
};

struct sw_detector {
        struct sw_ghost_params ghost;             /* ghost detector tuning */
        struct sw_shelf_out_params shelf_out;     /* shelf-out tuning */
        struct sw_discrepancy_params discrepancy; /* discrepancy tuning */
        struct sw_sku_table *skus;                /* state (not owned) */
        struct sw_anomaly_book *book;             /* open episodes (not owned) */
        const struct sw_store_calendar *cal;      /* opening hours (not owned) */
        uint16_t *scratch_sales;                  /* [history_days] */
        double *scratch_pushed;                   /* [history_days] */
        uint8_t *scratch_weekday;                 /* [history_days] */
        uint8_t *scratch_censored;                /* [history_days] bayes: days left out */
        struct sw_store_context context;          /* bayes: closed and shortfall days */
        struct sw_ghost_pool pool;                /* bayes: dispersion pooled over SKUs */
        struct sw_ghost_candidate *candidates;    /* [max_candidates] bayes: min-heap */
        uint32_t max_candidates;                  /* new ghost alerts a day at most */
        uint32_t n_candidates;                    /* in the heap during a run */
        sw_day_t weekday_from;                    /* scratch_weekday holds the weekdays of */
        uint32_t weekday_n;                       /* days [weekday_from, + weekday_n) */
        bool quiet_updates;                       /* report only opened and cleared episodes,
                                                     not re-detections (the minute sweep) */
        const struct sw_tuning *tuning;           /* evidence scales learnt from outcomes (not
                                                     owned); NULL = every scale 1 */
        bool day_open;                            /* between sw_detect_day_begin and _end: the
                                                     context is day_as_of's, shared by the runs */
        sw_day_t day_as_of;                       /* the open day's detection day */
};

/* Scratch bytes for the detector's per-SKU series, the store context of a window of
 * history_days over max_categories, and max_candidates new ghost alerts a day. */
size_t sw_detector_memory_size(uint16_t history_days, uint16_t max_categories,
                               uint32_t max_candidates);
/* -EINVAL (max_candidates 0), -ENOBUFS. The context's params are set by the caller
 * (d->context.p) and may change between runs. */
int sw_detector_init(struct sw_detector *d, struct sw_sku_table *skus, struct sw_anomaly_book *book,
                     const struct sw_store_calendar *cal, uint32_t max_candidates, void *mem,
                     size_t size);

/*
 * Runs of several detectors over the same data (ghost stock, then the ML detector, with no
 * ingest between them) may share the store context of as_of: begin builds it once, the runs
 * for as_of in between use it, end lets it go. A run outside begin/end builds its own.
 */
void sw_detect_day_begin(struct sw_detector *d, sw_day_t as_of);
void sw_detect_day_end(struct sw_detector *d);

/* Ghost stock as of the start of as_of (completed days before it). */
int sw_detect_ghost(struct sw_detector *d, sw_day_t as_of, sw_finding_fn fn, void *ctx,
                    struct sw_detect_summary *ret);
/* Shelf-out and inventory discrepancy at wall time now, with today's local time. */
int sw_detect_stock(struct sw_detector *d, int64_t now, const struct sw_local_time *now_local,
                    sw_finding_fn fn, void *ctx, struct sw_detect_summary *ret);

#endif
