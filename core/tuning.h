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
 */
struct sw_tuning_params {
        bool enabled;            /* learn (default true); disabled: every scale is 1.0 */
        double target_precision; /* (0,1), default 0.5 */
        double step;             /* (0,1], default 0.1 */
        double min_scale;        /* (0,1], default 0.7 */
        double max_scale;        /* [1,10], default 2.5 */
        uint32_t min_outcomes;   /* outcomes in a cell before its scale is used, default 5 */
};

/* One learnt cell. */
struct sw_tuning_cell {
        float scale;             /* s, within the bounds */
        uint32_t outcomes;       /* outcomes recorded (saturates at UINT32_MAX) */
        uint32_t true_positives; /* of which true positives, <= outcomes */
};

/* Upper bound on max_categories: category ids are uint16_t. */
#define SW_TUNING_MAX_CATEGORIES 65536u

struct sw_tuning {
        struct sw_tuning_params p; /* validated params */
        uint32_t
            max_categories; /* categories per type, ids 0 .. max_categories - 1, id 0 = unknown */
        struct sw_tuning_cell *cells; /* [SW_ANOMALY_TYPE_COUNT * (max_categories + 1)]: per type,
                                         slot 0 = the type as a whole, slot 1 + c = category c */
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
/* Record one outcome. Disabled: only the counts move. -EINVAL: NULL, type or category out of range.
 */
int sw_tuning_record(struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category,
                     bool true_positive);
/* Effective scale: the category cell's once it has min_outcomes outcomes, else the type cell's once
 * it has, else 1.0; clamped into the bounds. 1.0 when disabled, for NULL or out-of-range arguments.
 */
double sw_tuning_scale(const struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category);
/* A cell (category -1 = the type as a whole), or NULL out of range. */
const struct sw_tuning_cell *sw_tuning_cell(const struct sw_tuning *t, enum sw_anomaly_type type,
                                            int32_t category);

/*
 * Persistence, little-endian: "SWTU", u32 version (1), u32 max_categories, u32 types, then per type
 * (max_categories + 1) cells of {f32 scale, u32 outcomes, u32 true_positives}, then a u32 FNV-1a
 * checksum of everything before it.
 */
#define SW_TUNING_HEADER_SIZE 16
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
