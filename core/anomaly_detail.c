/* The stored detail of an anomaly, encoded and decoded (layout in anomaly_detail.h's order). */
#include "core/anomaly_detail.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "core/byte_order.h"
#include "core/currency.h"

/* Bytes of each part: the header (version, type, action, ghost mode, as_of, on_hand, price,
 * description length) before the description, then the evidence of the type: ghost (model,
 * run_days, baseline_days, observed, expected, p-value, dispersion, priority), ml (features,
 * contributions, z, threshold, and from version 2 the feature set, the cause and its
 * strength) or stock (shelf_count, duration_s, negative_book). Versions 1 and 2 are still
 * read: their price is a float32 widened (sw_price_from_float32() gives back the decimal that
 * was published for it), and version 1's ML details are of the seed features, without a
 * cause. Version 3 has version 2's layout, with the price as received. */
#define DETAIL_VERSION     3
#define DETAIL_HEADER_SIZE 21
#define GHOST_SIZE         45
#define ML_SIZE_V1         (SW_FEAT_COUNT * 4 + SW_FEAT_COUNT * 8 + 16)
#define ML_SIZE            (ML_SIZE_V1 + 10)
#define STOCK_SIZE         9

_Static_assert(DETAIL_HEADER_SIZE + sizeof(((struct sw_finding *)0)->description) - 1 + ML_SIZE <=
                   SW_ANOMALY_DETAIL_MAX,
               "SW_ANOMALY_DETAIL_MAX too small");

/* A position in a buffer whose room was checked before writing or reading started. */
struct cursor {
        uint8_t *w;       /* writing */
        const uint8_t *r; /* reading */
};

/* The evidence a type's detail carries (its descriptor says which). */
static enum sw_evidence evidence_of(enum sw_anomaly_type type)
{
        return sw_anomaly_type_desc(type)->evidence;
}

static size_t evidence_size(enum sw_anomaly_type type, uint8_t version)
{
        switch (evidence_of(type)) {
        case SW_EVIDENCE_GHOST:
                return GHOST_SIZE;
        case SW_EVIDENCE_ML:
                return version == 1 ? ML_SIZE_V1 : ML_SIZE;
        default:
                return STOCK_SIZE;
        }
}

static void put8(struct cursor *c, uint8_t v)
{
        *c->w++ = v;
}

static void put16(struct cursor *c, uint16_t v)
{
        sw_put_le16(c->w, v);
        c->w += 2;
}

static void put32(struct cursor *c, uint32_t v)
{
        sw_put_le32(c->w, v);
        c->w += 4;
}

static void put64(struct cursor *c, uint64_t v)
{
        sw_put_le64(c->w, v);
        c->w += 8;
}

static void put_float(struct cursor *c, float v)
{
        uint32_t bits;
        memcpy(&bits, &v, sizeof(bits));
        put32(c, bits);
}

static void put_double(struct cursor *c, double v)
{
        uint64_t bits;
        memcpy(&bits, &v, sizeof(bits));
        put64(c, bits);
}

static uint8_t get8(struct cursor *c)
{
        return *c->r++;
}

static uint16_t get16(struct cursor *c)
{
        uint16_t v = sw_get_le16(c->r);
        c->r += 2;
        return v;
}

static uint32_t get32(struct cursor *c)
{
        uint32_t v = sw_get_le32(c->r);
        c->r += 4;
        return v;
}

static uint64_t get64(struct cursor *c)
{
        uint64_t v = sw_get_le64(c->r);
        c->r += 8;
        return v;
}

static float get_float(struct cursor *c)
{
        uint32_t bits = get32(c);
        float v;
        memcpy(&v, &bits, sizeof(v));
        return v;
}

static double get_double(struct cursor *c)
{
        uint64_t bits = get64(c);
        double v;
        memcpy(&v, &bits, sizeof(v));
        return v;
}

static void put_evidence(struct cursor *c, const struct sw_finding *f)
{
        if (evidence_of(f->type) == SW_EVIDENCE_GHOST) {
                const struct sw_ghost_result *g = &f->ghost;
                put8(c, (uint8_t)g->model);
                put16(c, g->run_days);
                put16(c, g->baseline_days);
                put64(c, g->observed_units);
                put_double(c, g->expected_units);
                put_double(c, g->p_value);
                put_double(c, g->dispersion);
                put_double(c, g->priority);
        } else if (evidence_of(f->type) == SW_EVIDENCE_ML) {
                for (int k = 0; k < SW_FEAT_COUNT; k++)
                        put_float(c, f->ml.features[k]);
                for (int k = 0; k < SW_FEAT_COUNT; k++)
                        put_double(c, f->ml.contributions[k]);
                put_double(c, f->ml.z);
                put_double(c, f->ml.threshold);
                put8(c, f->ml.feature_set);
                put8(c, f->ml.cause);
                put_double(c, f->ml.strength);
        } else {
                put32(c, (uint32_t)f->stock.shelf_count);
                put32(c, f->stock.duration_s);
                put8(c, f->stock.negative_book);
        }
}

int sw_anomaly_detail_encode(const struct sw_finding *f, const struct sw_anomaly_snapshot *snap,
                             uint8_t *buf, size_t size)
{
        size_t desc, need;
        if (!f || !snap || !buf || (unsigned)f->type >= SW_ANOMALY_TYPE_COUNT ||
            (unsigned)f->action >= SW_ACTION_COUNT ||
            (unsigned)snap->ghost_mode >= SW_GHOST_MODE_COUNT ||
            (evidence_of(f->type) == SW_EVIDENCE_GHOST &&
             (unsigned)f->ghost.model >= SW_GHOST_MODEL_COUNT))
                return -EINVAL;
        desc = strnlen(f->description, sizeof(f->description) - 1);
        need = DETAIL_HEADER_SIZE + desc + evidence_size(f->type, DETAIL_VERSION);
        if (size < need)
                return -ENOBUFS;
        struct cursor c = {.w = buf};
        put8(&c, DETAIL_VERSION);
        put8(&c, (uint8_t)f->type);
        put8(&c, (uint8_t)f->action);
        put8(&c, (uint8_t)snap->ghost_mode);
        put32(&c, (uint32_t)f->as_of);
        put32(&c, (uint32_t)snap->on_hand);
        put_double(&c, snap->price);
        put8(&c, (uint8_t)desc);
        memcpy(c.w, f->description, desc);
        c.w += desc;
        put_evidence(&c, f);
        return (int)need;
}

/* Reads the evidence of f->type in a detail of version; false if an enum in it is out of
 * range. */
static bool get_evidence(struct cursor *c, struct sw_finding *f, uint8_t version)
{
        if (evidence_of(f->type) == SW_EVIDENCE_GHOST) {
                struct sw_ghost_result *g = &f->ghost;
                uint8_t model = get8(c);
                if (model >= SW_GHOST_MODEL_COUNT)
                        return false;
                g->model = (enum sw_ghost_model)model;
                g->run_days = get16(c);
                g->baseline_days = get16(c);
                g->observed_units = get64(c);
                g->expected_units = get_double(c);
                g->p_value = get_double(c);
                g->dispersion = get_double(c);
                g->priority = get_double(c);
        } else if (evidence_of(f->type) == SW_EVIDENCE_ML) {
                for (int k = 0; k < SW_FEAT_COUNT; k++)
                        f->ml.features[k] = get_float(c);
                for (int k = 0; k < SW_FEAT_COUNT; k++)
                        f->ml.contributions[k] = get_double(c);
                f->ml.z = get_double(c);
                f->ml.threshold = get_double(c);
                f->ml.feature_set = version == 1 ? (uint8_t)SW_FEATURES_SEED : get8(c);
                f->ml.cause = version == 1 ? (uint8_t)SW_ML_CAUSE_NONE : get8(c);
                f->ml.strength = version == 1 ? 0.0 : get_double(c);
                if (f->ml.feature_set > SW_FEATURES_SEED || f->ml.cause > SW_ML_CAUSE_OVERSTOCK)
                        return false;
        } else {
                f->stock.shelf_count = (int32_t)get32(c);
                f->stock.duration_s = get32(c);
                f->stock.negative_book = get8(c);
        }
        return true;
}

int sw_anomaly_detail_decode(const uint8_t *buf, size_t len, enum sw_anomaly_type type,
                             struct sw_finding *ret_f, struct sw_anomaly_snapshot *ret_snap)
{
        if (!ret_f || !ret_snap || (!buf && len > 0))
                return -EINVAL;
        if ((unsigned)type >= SW_ANOMALY_TYPE_COUNT || len < DETAIL_HEADER_SIZE || buf[0] < 1 ||
            buf[0] > DETAIL_VERSION || buf[1] != (uint8_t)type || buf[2] >= SW_ACTION_COUNT ||
            buf[3] >= SW_GHOST_MODE_COUNT ||
            len != DETAIL_HEADER_SIZE + (size_t)buf[20] + evidence_size(type, buf[0]) ||
            buf[20] >= sizeof(ret_f->description))
                return -EBADMSG;
        /* Decoded into copies: nothing is written unless the whole detail is valid. */
        struct sw_finding f = *ret_f;
        struct sw_anomaly_snapshot snap;
        struct cursor c = {.r = buf + 2};
        f.type = type;
        f.action = (enum sw_action)get8(&c);
        snap.ghost_mode = (enum sw_ghost_mode)get8(&c);
        f.as_of = (sw_day_t)get32(&c);
        snap.on_hand = (int32_t)get32(&c);
        snap.price = get_double(&c);
        if (buf[0] < 3) /* the SKU record's float32 then */
                snap.price = sw_price_from_float32((float)snap.price);
        size_t desc = get8(&c);
        memcpy(f.description, c.r, desc);
        f.description[desc] = '\0';
        c.r += desc;
        if (!get_evidence(&c, &f, buf[0]))
                return -EBADMSG;
        *ret_f = f;
        *ret_snap = snap;
        return 0;
}
