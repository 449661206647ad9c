/* Evidence scales per (anomaly type, category) learnt from recorded outcomes. */
#ifndef SW_TUNING_H
#define SW_TUNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sw_types.h"

/*
 * Each (type, category) has an evidence scale s in [min_scale, max_scale] that multiplies the
 * detector's evidence threshold (ghost: required -log10 p x s; ML warning sigma x s; shelf-out
 * seconds x s). s > 1 asks for stronger evidence.
 *
 * On each outcome, in the (type, category) cell and in the (type as a whole) cell:
 *   s <- clamp(s x exp(step x (target_precision - y))),  y = 1 for TP, 0 for FP.
 * A Robbins-Monro iteration on log s: when precision rises with s, it settles where the observed
 * precision equals target_precision (a constant step keeps it wandering near there, so it follows
 * a store that changes). An FP raises s by exp(step x target), a TP lowers it by
 * exp(step x (1 - target)).
 *
 * Known limit: the learning sees only alerts that were raised and answered; it cannot see misses
 * (recall), so the bounds are what keeps a noisy category from being silenced altogether.
 *
 * Trust: outcomes come from the store LAN, where a forged one costs an attacker one message.
 * Each outcome carries a weight in [0, 1] that multiplies its step (by its source: a cycle count
 * with a user, one without, the outcome command; see sw_tuning_source_weight()), and within one
 * store-local day a cell's scale stays within a factor max_daily_factor of where it stood when
 * the day's first outcome came in: a burst of forged outcomes moves a threshold at most that
 * much a day, whatever their number.
 */
struct sw_tuning_params {
        bool enabled;               /* learn (default true); disabled: every scale is 1.0 */
        double target_precision;    /* (0,1), default 0.5 */
        double step;                /* (0,1], default 0.1 */
        double min_scale;           /* (0,1], default 0.7 */
        double max_scale;           /* [1,10], default 2.5 */
        uint32_t min_outcomes;      /* outcomes in a cell before its scale is used, default 5 */
        double max_daily_factor;    /* [1, 10], default 1.5: a cell's scale moves at most this
                                       factor up or down from its value at the day's start */
        double weight_scanner_user; /* [0, 1], default 1: a cycle count naming its user */
        double weight_scanner;      /* [0, 1], default 0.5: a cycle count without a user */
        double weight_command;      /* [0, 1], default 0.25: the outcome command */
};

/* Where an outcome came from, for its weight. */
enum sw_outcome_source {
        SW_SOURCE_SCANNER_USER, /* a cycle count from an (allowed) scanner with a user */
        SW_SOURCE_SCANNER,      /* a cycle count without a user */
        SW_SOURCE_COMMAND,      /* the outcome command */
};

/* One learnt cell. */
struct sw_tuning_cell {
        float scale;             /* s, within the bounds */
        uint32_t outcomes;       /* outcomes recorded (saturates at UINT32_MAX) */
        uint32_t true_positives; /* of which true positives, <= outcomes */
        float day_start;         /* s when the tuning's day began: today s stays within
                                    [day_start / max_daily_factor, day_start x max_daily_factor] */
};

/* Upper bound on max_categories: category ids are uint16_t. */
#define SW_TUNING_MAX_CATEGORIES 65536u

struct sw_tuning {
        struct sw_tuning_params p; /* validated params */
        uint32_t
            max_categories; /* categories per type, ids 0 .. max_categories - 1, id 0 = unknown */
        struct sw_tuning_cell *cells; /* [SW_ANOMALY_TYPE_COUNT * (max_categories + 1)]: per type,
                                         slot 0 = the type as a whole, slot 1 + c = category c */
        sw_day_t day; /* the store-local day the cells' day_start belong to, SW_DAY_NONE none */
};

void sw_tuning_params_default(struct sw_tuning_params *ret);
/* 0, or -EINVAL for NULL or a value out of the ranges above (NaN included). */
int sw_tuning_params_validate(const struct sw_tuning_params *p);
/* Bytes of caller memory; 0 when max_categories is 0 or above SW_TUNING_MAX_CATEGORIES. */
size_t sw_tuning_memory_size(uint32_t max_categories);
/* Init in place, every cell at scale 1.0 with no outcomes. -EINVAL for NULL, bad params, a bad
 * max_categories or unaligned mem; -ENOBUFS when size is too small. */
int sw_tuning_init(struct sw_tuning *t, const struct sw_tuning_params *p, uint32_t max_categories,
                   void *mem, size_t size);
/* Apply new params (reload) keeping learnt cells, re-clamped into the new bounds. -EINVAL for bad
 * params (t unchanged). */
int sw_tuning_set_params(struct sw_tuning *t, const struct sw_tuning_params *p);
/* Record one outcome of full weight on the current day. Disabled: only the counts move. -EINVAL:
 * NULL, type or category out of range. */
int sw_tuning_record(struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category,
                     bool true_positive);
/* The same with a weight in [0, 1] (0: counted, the scale does not move) on store-local day
 * (SW_DAY_NONE or a day before the current one: the current day). A later day starts a new day:
 * every cell's day_start becomes its scale. -EINVAL also for a weight out of [0, 1] or NaN. */
int sw_tuning_record_weighted(struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category,
                              bool true_positive, double weight, sw_day_t day);
/* The weight of an outcome from source under params p. */
double sw_tuning_source_weight(const struct sw_tuning_params *p, enum sw_outcome_source source);
/* Effective scale: the category cell's once it has min_outcomes outcomes, else the type cell's once
 * it has, else 1.0; clamped into the bounds. 1.0 when disabled, for NULL or out-of-range arguments.
 */
double sw_tuning_scale(const struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category);
/* A cell (category -1 = the type as a whole), or NULL out of range. */
const struct sw_tuning_cell *sw_tuning_cell(const struct sw_tuning *t, enum sw_anomaly_type type,
                                            int32_t category);

/*
 * Persistence, little-endian: "SWTU", u32 version (2), u32 max_categories, u32 types, i32 day, then
 * per type (max_categories + 1) cells of {f32 scale, u32 outcomes, u32 true_positives,
 * f32 day_start}, then a u32 FNV-1a checksum of everything before it. Version 1 (a 16-byte header
 * without day, 12-byte cells without day_start) is still read: its day_start is its scale.
 */
#define SW_TUNING_HEADER_SIZE 20
#define SW_TUNING_CELL_SIZE   16
/* Bytes sw_tuning_serialize() writes for t. */
size_t sw_tuning_serialized_size(const struct sw_tuning *t);
/* Returns the length written, or -ENOBUFS when size is too small (-EINVAL for NULL). */
int sw_tuning_serialize(const struct sw_tuning *t, void *buf, size_t size);
/*
 * Restore cells. A blob with another max_categories or number of types restores the overlapping
 * ones and resets the rest to 1.0 with no outcomes. -EBADMSG on a bad magic, version, length or
 * checksum, a non-finite or non-positive scale or more true positives than outcomes; -EINVAL for
 * NULL; t unchanged on failure. Scales are re-clamped into the current bounds.
 */
int sw_tuning_deserialize(struct sw_tuning *t, const void *buf, size_t len);

#endif
