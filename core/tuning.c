/* Evidence scales learnt from outcomes: a Robbins-Monro iteration per (type, category) cell. */
#include "core/tuning.h"
#include "core/byte_order.h"
#include "core/fnv.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

static const char tuning_magic[4] = {'S', 'W', 'T', 'U'};
#define TUNING_VERSION      2u
#define TUNING_V1           1u
#define TUNING_V1_HEADER    16u
#define TUNING_V1_CELL_SIZE 12u
#define TUNING_CELL_SIZE    ((size_t)SW_TUNING_CELL_SIZE)
#define TUNING_SUM_SIZE     4u
/* A blob from a build with up to this many anomaly types is still read. */
#define TUNING_MAX_TYPES 64u

void sw_tuning_params_default(struct sw_tuning_params *ret)
{
        *ret = (struct sw_tuning_params){.enabled = true,
                                         .target_precision = 0.5,
                                         .step = 0.1,
                                         .min_scale = 0.7,
                                         .max_scale = 2.5,
                                         .min_outcomes = 5,
                                         .max_daily_factor = 1.5,
                                         .weight_scanner_user = 1.0,
                                         .weight_scanner = 0.5,
                                         .weight_command = 0.25};
}

static bool weight_valid(double w)
{
        return w >= 0.0 && w <= 1.0; /* false for NaN */
}

int sw_tuning_params_validate(const struct sw_tuning_params *p)
{
        if (!p)
                return -EINVAL;
        if (!(p->target_precision > 0.0 && p->target_precision < 1.0))
                return -EINVAL;
        if (!(p->step > 0.0 && p->step <= 1.0))
                return -EINVAL;
        if (!(p->min_scale > 0.0 && p->min_scale <= 1.0))
                return -EINVAL;
        if (!(p->max_scale >= 1.0 && p->max_scale <= 10.0))
                return -EINVAL;
        if (!(p->max_daily_factor >= 1.0 && p->max_daily_factor <= 10.0))
                return -EINVAL;
        if (!weight_valid(p->weight_scanner_user) || !weight_valid(p->weight_scanner) ||
            !weight_valid(p->weight_command))
                return -EINVAL;
        return 0;
}

static size_t cells_per_type(uint32_t max_categories)
{
        return (size_t)max_categories + 1;
}

static size_t n_cells(uint32_t max_categories)
{
        return SW_ANOMALY_TYPE_COUNT * cells_per_type(max_categories);
}

size_t sw_tuning_memory_size(uint32_t max_categories)
{
        if (max_categories == 0 || max_categories > SW_TUNING_MAX_CATEGORIES)
                return 0;
        return n_cells(max_categories) * sizeof(struct sw_tuning_cell);
}

static const struct sw_tuning_cell fresh_cell = {.scale = 1.0f, .day_start = 1.0f};

int sw_tuning_init(struct sw_tuning *t, const struct sw_tuning_params *p, uint32_t max_categories,
                   void *mem, size_t size)
{
        size_t need = sw_tuning_memory_size(max_categories);
        if (!t || !mem || need == 0 || sw_tuning_params_validate(p) < 0 ||
            (uintptr_t)mem % alignof(struct sw_tuning_cell) != 0)
                return -EINVAL;
        if (size < need)
                return -ENOBUFS;
        *t = (struct sw_tuning){
            .p = *p, .max_categories = max_categories, .cells = mem, .day = SW_DAY_NONE};
        for (size_t i = 0; i < n_cells(max_categories); i++)
                t->cells[i] = fresh_cell;
        return 0;
}

static double clamp_scale(const struct sw_tuning_params *p, double s)
{
        if (s < p->min_scale)
                return p->min_scale;
        if (s > p->max_scale)
                return p->max_scale;
        return s;
}

/* Stored as float: clamp in double, and again on every read (the float may round past a bound). */
static float store_scale(const struct sw_tuning_params *p, double s)
{
        return (float)clamp_scale(p, s);
}

int sw_tuning_set_params(struct sw_tuning *t, const struct sw_tuning_params *p)
{
        if (!t || sw_tuning_params_validate(p) < 0)
                return -EINVAL;
        t->p = *p;
        for (size_t i = 0; i < n_cells(t->max_categories); i++) {
                t->cells[i].scale = store_scale(&t->p, t->cells[i].scale);
                t->cells[i].day_start = store_scale(&t->p, t->cells[i].day_start);
        }
        return 0;
}

static struct sw_tuning_cell *cell_at(const struct sw_tuning *t, enum sw_anomaly_type type,
                                      size_t slot)
{
        return &t->cells[(size_t)type * cells_per_type(t->max_categories) + slot];
}

/* Within today's band around the day's start (then the overall bounds, by store_scale). */
static double clamp_daily(const struct sw_tuning_params *p, const struct sw_tuning_cell *c,
                          double s)
{
        double lo = c->day_start / p->max_daily_factor, hi = c->day_start * p->max_daily_factor;
        return s < lo ? lo : s > hi ? hi : s;
}

static void learn(const struct sw_tuning *t, struct sw_tuning_cell *c, bool true_positive,
                  double weight)
{
        double y = true_positive ? 1.0 : 0.0;
        if (c->outcomes == UINT32_MAX) {
                /* Keep the ratio of the counts when they saturate (years of outcomes): halve both.
                 */
                c->outcomes /= 2;
                c->true_positives /= 2;
        }
        c->outcomes++;
        c->true_positives += true_positive;
        if (t->p.enabled)
                c->scale = store_scale(
                    &t->p,
                    clamp_daily(&t->p, c,
                                c->scale * exp(weight * t->p.step * (t->p.target_precision - y))));
}

/* A later day: every cell's band is centred again on where it stands. */
static void start_day(struct sw_tuning *t, sw_day_t day)
{
        if (day == SW_DAY_NONE || (t->day != SW_DAY_NONE && day <= t->day))
                return;
        for (size_t i = 0; i < n_cells(t->max_categories); i++)
                t->cells[i].day_start = t->cells[i].scale;
        t->day = day;
}

int sw_tuning_record_weighted(struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category,
                              bool true_positive, double weight, sw_day_t day)
{
        if (!t || (unsigned)type >= SW_ANOMALY_TYPE_COUNT || category >= t->max_categories ||
            !weight_valid(weight))
                return -EINVAL;
        start_day(t, day);
        learn(t, cell_at(t, type, 0), true_positive, weight);
        learn(t, cell_at(t, type, 1 + (size_t)category), true_positive, weight);
        return 0;
}

int sw_tuning_record(struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category,
                     bool true_positive)
{
        return sw_tuning_record_weighted(t, type, category, true_positive, 1.0, SW_DAY_NONE);
}

double sw_tuning_source_weight(const struct sw_tuning_params *p, enum sw_outcome_source source)
{
        switch (source) {
        case SW_SOURCE_SCANNER_USER:
                return p->weight_scanner_user;
        case SW_SOURCE_SCANNER:
                return p->weight_scanner;
        case SW_SOURCE_COMMAND:
                return p->weight_command;
        }
        return 0.0;
}

double sw_tuning_scale(const struct sw_tuning *t, enum sw_anomaly_type type, uint16_t category)
{
        const struct sw_tuning_cell *c;
        if (!t || !t->p.enabled || (unsigned)type >= SW_ANOMALY_TYPE_COUNT ||
            category >= t->max_categories)
                return 1.0;
        c = cell_at(t, type, 1 + (size_t)category);
        if (c->outcomes >= t->p.min_outcomes)
                return clamp_scale(&t->p, c->scale);
        c = cell_at(t, type, 0);
        if (c->outcomes >= t->p.min_outcomes)
                return clamp_scale(&t->p, c->scale);
        return clamp_scale(&t->p, 1.0);
}

const struct sw_tuning_cell *sw_tuning_cell(const struct sw_tuning *t, enum sw_anomaly_type type,
                                            int32_t category)
{
        if (!t || (unsigned)type >= SW_ANOMALY_TYPE_COUNT || category < -1 ||
            (category >= 0 && (uint32_t)category >= t->max_categories))
                return NULL;
        return cell_at(t, type, (size_t)(category + 1));
}

size_t sw_tuning_serialized_size(const struct sw_tuning *t)
{
        return SW_TUNING_HEADER_SIZE + n_cells(t->max_categories) * TUNING_CELL_SIZE +
               TUNING_SUM_SIZE;
}

static void put_float(uint8_t *q, float f)
{
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        sw_put_le32(q, bits);
}

static float get_float(const uint8_t *q)
{
        uint32_t bits = sw_get_le32(q);
        float f;
        memcpy(&f, &bits, sizeof(f));
        return f;
}

int sw_tuning_serialize(const struct sw_tuning *t, void *buf, size_t size)
{
        size_t need, body;
        uint8_t *p = buf;

        if (!t || !buf)
                return -EINVAL;
        need = sw_tuning_serialized_size(t);
        if (size < need)
                return -ENOBUFS;
        memcpy(p, tuning_magic, sizeof(tuning_magic));
        sw_put_le32(p + 4, TUNING_VERSION);
        sw_put_le32(p + 8, t->max_categories);
        sw_put_le32(p + 12, SW_ANOMALY_TYPE_COUNT);
        sw_put_le32(p + 16, (uint32_t)t->day);
        for (size_t i = 0; i < n_cells(t->max_categories); i++) {
                uint8_t *q = p + SW_TUNING_HEADER_SIZE + i * TUNING_CELL_SIZE;
                put_float(q, t->cells[i].scale);
                sw_put_le32(q + 4, t->cells[i].outcomes);
                sw_put_le32(q + 8, t->cells[i].true_positives);
                put_float(q + 12, t->cells[i].day_start);
        }
        body = need - TUNING_SUM_SIZE;
        sw_put_le32(p + body, sw_fnv1a32(p, body));
        return (int)need; /* <= 20 + 4 x 65537 x 16 + 4 */
}

/* A cell of a blob of version v (1 has no day_start: the scale stands for it). */
static struct sw_tuning_cell load_cell(const uint8_t *q, uint32_t v)
{
        struct sw_tuning_cell c;
        c.scale = get_float(q);
        c.outcomes = sw_get_le32(q + 4);
        c.true_positives = sw_get_le32(q + 8);
        c.day_start = v == TUNING_V1 ? c.scale : get_float(q + 12);
        return c;
}

static bool cell_valid(const struct sw_tuning_cell *c)
{
        return isfinite(c->scale) && c->scale > 0.0f && isfinite(c->day_start) &&
               c->day_start > 0.0f && c->true_positives <= c->outcomes;
}

/* The layout of a blob: version, header and cell sizes. */
struct blob_shape {
        uint32_t version;    /* 1 or 2 */
        size_t header;       /* bytes before the cells */
        size_t cell;         /* bytes per cell */
        uint32_t categories; /* saved max_categories */
        uint32_t types;      /* saved anomaly types */
        sw_day_t day;        /* the day of day_start, SW_DAY_NONE for version 1 */
};

static int blob_shape(const uint8_t *p, size_t len, struct blob_shape *ret)
{
        uint64_t cells, body;
        if (len < TUNING_V1_HEADER + TUNING_SUM_SIZE ||
            memcmp(p, tuning_magic, sizeof(tuning_magic)) != 0)
                return -EBADMSG;
        ret->version = sw_get_le32(p + 4);
        if (ret->version != TUNING_VERSION && ret->version != TUNING_V1)
                return -EBADMSG;
        bool v1 = ret->version == TUNING_V1;
        ret->header = v1 ? TUNING_V1_HEADER : SW_TUNING_HEADER_SIZE;
        ret->cell = v1 ? TUNING_V1_CELL_SIZE : TUNING_CELL_SIZE;
        if (len < ret->header + TUNING_SUM_SIZE)
                return -EBADMSG;
        ret->categories = sw_get_le32(p + 8);
        ret->types = sw_get_le32(p + 12);
        ret->day = v1 ? SW_DAY_NONE : (sw_day_t)sw_get_le32(p + 16);
        if (ret->categories == 0 || ret->categories > SW_TUNING_MAX_CATEGORIES || ret->types == 0 ||
            ret->types > TUNING_MAX_TYPES)
                return -EBADMSG;
        cells = (uint64_t)ret->types * ((uint64_t)ret->categories + 1);
        body = ret->header + cells * ret->cell;
        if ((uint64_t)len != body + TUNING_SUM_SIZE ||
            sw_get_le32(p + body) != sw_fnv1a32(p, (size_t)body))
                return -EBADMSG;
        return 0;
}

int sw_tuning_deserialize(struct sw_tuning *t, const void *buf, size_t len)
{
        const uint8_t *p = buf;
        struct blob_shape b;
        uint64_t saved_cells;

        if (!t || (!buf && len > 0))
                return -EINVAL;
        if (blob_shape(p, len, &b) < 0)
                return -EBADMSG;
        saved_cells = (uint64_t)b.types * ((uint64_t)b.categories + 1);
        for (uint64_t i = 0; i < saved_cells; i++) {
                struct sw_tuning_cell c = load_cell(p + b.header + i * b.cell, b.version);
                if (!cell_valid(&c))
                        return -EBADMSG;
        }

        /* Valid: now replace the cells, type by type, category by category. */
        for (uint32_t type = 0; type < SW_ANOMALY_TYPE_COUNT; type++) {
                for (uint32_t slot = 0; slot <= t->max_categories; slot++) {
                        struct sw_tuning_cell *dst = cell_at(t, (enum sw_anomaly_type)type, slot);
                        if (type < b.types && slot <= b.categories) {
                                uint64_t i = (uint64_t)type * ((uint64_t)b.categories + 1) + slot;
                                *dst = load_cell(p + b.header + i * b.cell, b.version);
                                dst->scale = store_scale(&t->p, dst->scale);
                                dst->day_start = store_scale(&t->p, dst->day_start);
                        } else {
                                *dst = fresh_cell;
                        }
                }
        }
        t->day = b.day;
        return 0;
}
