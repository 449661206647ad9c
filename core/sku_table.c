/* Fixed-capacity SKU table: open-addressing index, key arena, history ring. */
#include "core/sku_table.h"
#include "core/sku_table_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/byte_order.h"
#include "core/currency.h"
#include "core/fnv.h"

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* The SKU record is most of the daemon's memory (docs/benchmarks.md): growing it is a decision. */
_Static_assert(sizeof(struct sw_sku) <= 88, "struct sw_sku grew: update the memory figures");

/* Forecast code scale: code 2 = 0.01 units, code 255 = 10000 units. */
#define FC_MIN       0.01
#define FC_STEPS     253.0
#define FC_LOG_RANGE 13.815510557964274 /* ln(10000 / 0.01) */

/* Hash slots: load factor at most 3/4 (linear probing stays short there). Not rounded up
 * to a power of two: a hash maps to a slot by multiply-shift, and rounding would cost up
 * to twice the memory (1 MB instead of 0.53 MB at 100k SKUs). */
static uint32_t slots_for(uint32_t max_skus)
{
        uint64_t n = ((uint64_t)max_skus * 4 + 2) / 3;
        return n < 16 ? 16 : (uint32_t)n;
}

/* Params with their defaults filled in. */
static struct sw_sku_table_params resolved(const struct sw_sku_table_params *p)
{
        struct sw_sku_table_params r = *p;
        if (!r.key_arena_bytes)
                r.key_arena_bytes = r.max_skus * 24u;
        if (!r.forecast_days)
                r.forecast_days = r.history_days;
        if (!r.max_shelves || r.max_shelves > r.max_skus)
                r.max_shelves = r.max_skus;
        if (r.max_fast > r.max_skus)
                r.max_fast = r.max_skus;
        return r;
}

/* Reclaimed keys that may wait for deletion: never more than the table holds. */
static uint32_t reclaim_pending(const struct sw_sku_table_params *p)
{
        return p->max_skus < SW_SKU_RECLAIM_PENDING ? p->max_skus : SW_SKU_RECLAIM_PENDING;
}

static bool params_valid(const struct sw_sku_table_params *p)
{
        return p && p->max_skus > 0 && p->max_skus <= (1u << 28) && p->history_days >= 1 &&
               p->max_categories >= 1;
}

size_t sw_sku_table_memory_size(const struct sw_sku_table_params *params)
{
        struct sw_sku_table_params p;
        size_t n;
        if (!params_valid(params))
                return 0;
        p = resolved(params);
        n = p.max_skus;
        return ALIGN8(n * sizeof(struct sw_sku)) + ALIGN8(n * p.history_days) +
               ALIGN8((size_t)p.max_fast * p.history_days * sizeof(uint16_t)) +
               ALIGN8(n * p.forecast_days) +
               ALIGN8((size_t)p.max_shelves * sizeof(struct sw_shelf)) +
               ALIGN8((size_t)slots_for(p.max_skus) * sizeof(uint32_t)) +
               ALIGN8(p.key_arena_bytes) +
               ALIGN8((size_t)p.max_categories * (SW_CATEGORY_MAX_LEN + 1)) +
               ALIGN8(n * sizeof(uint32_t)) + ALIGN8(reclaim_pending(&p) * sizeof(uint32_t));
}

int sw_sku_table_init(struct sw_sku_table *t, const struct sw_sku_table_params *p, void *mem,
                      size_t size)
{
        size_t need = sw_sku_table_memory_size(p), n;
        char *at = mem;
        if (need == 0)
                return -EINVAL;
        if (!mem || size < need)
                return -ENOBUFS;
        memset(t, 0, sizeof(*t));
        t->p = resolved(p);
        n = t->p.max_skus;
        t->n_slots = slots_for(p->max_skus);
        t->skus = (struct sw_sku *)(void *)at;
        at += ALIGN8(n * sizeof(struct sw_sku));
        t->sold = (uint8_t *)at;
        at += ALIGN8(n * t->p.history_days);
        t->fast_sold = (uint16_t *)(void *)at;
        at += ALIGN8((size_t)t->p.max_fast * t->p.history_days * sizeof(uint16_t));
        t->forecast_code = (uint8_t *)at;
        at += ALIGN8(n * t->p.forecast_days);
        t->shelves = (struct sw_shelf *)(void *)at;
        at += ALIGN8((size_t)t->p.max_shelves * sizeof(struct sw_shelf));
        t->slots = (uint32_t *)(void *)at;
        at += ALIGN8((size_t)t->n_slots * sizeof(uint32_t));
        t->arena = at;
        at += ALIGN8(t->p.key_arena_bytes);
        t->categories = (char(*)[SW_CATEGORY_MAX_LEN + 1])(void *)at;
        at += ALIGN8((size_t)p->max_categories * (SW_CATEGORY_MAX_LEN + 1));
        t->dirty = (uint32_t *)(void *)at;
        at += ALIGN8(n * sizeof(uint32_t));
        t->reclaimed = (uint32_t *)(void *)at;
        t->today = SW_DAY_NONE;
        t->reclaim_dry_day = SW_DAY_NONE;
        t->message_day = SW_DAY_NONE;
        /* Only the index must start zeroed; SKU records and rings are set when used. */
        memset(t->slots, 0, (size_t)t->n_slots * sizeof(uint32_t));
        t->categories[0][0] = '\0';
        t->n_categories = 1;
        for (int code = 0; code < 256; code++)
                t->forecast_units[code] = sw_forecast_decode((uint8_t)code);
        return 0;
}

uint32_t sw_sku__key_hash(const char *s, size_t len)
{
        /* FNV-1a, then a final mix so that linear probing sees well-spread slots. */
        uint32_t h = sw_fnv1a32(s, len);
        h ^= h >> 16;
        h *= 0x7feb352du;
        h ^= h >> 15;
        return h;
}

uint32_t sw_sku__home(const struct sw_sku_table *t, const char *sku, size_t len)
{
        return (uint32_t)(((uint64_t)sw_sku__key_hash(sku, len) * t->n_slots) >> 32);
}

/* Slot holding sku, or the empty slot where it would go. */
uint32_t sw_sku__probe(const struct sw_sku_table *t, const char *sku, size_t len)
{
        uint32_t i = sw_sku__home(t, sku, len);
        for (;;) {
                uint32_t v = t->slots[i];
                if (v == 0)
                        return i;
                const struct sw_sku *s = &t->skus[v - 1];
                if (s->key_len == len && memcmp(t->arena + s->key_offset, sku, len) == 0)
                        return i;
                i = i + 1 == t->n_slots ? 0 : i + 1;
        }
}

int sw_sku_table_find(const struct sw_sku_table *t, const char *sku, size_t len,
                      uint32_t *ret_index)
{
        uint32_t slot;
        if (len == 0 || len > SW_SKU_MAX_LEN)
                return -ENOENT;
        slot = sw_sku__probe(t, sku, len);
        if (t->slots[slot] == 0)
                return -ENOENT;
        *ret_index = t->slots[slot] - 1;
        return 0;
}

int sw_sku_table_get_or_add(struct sw_sku_table *t, const char *sku, size_t len,
                            uint32_t *ret_index)
{
        uint32_t slot, index;
        struct sw_sku *s;
        if (len == 0 || len > SW_SKU_MAX_LEN)
                return -EINVAL;
        slot = sw_sku__probe(t, sku, len);
        if (t->slots[slot] != 0) {
                *ret_index = t->slots[slot] - 1;
                return 0;
        }
        if (t->p.key_arena_bytes - t->arena_used < len + 1)
                sw_sku__compact_keys(t);
        if (t->p.key_arena_bytes - t->arena_used < len + 1)
                return -ENOSPC;
        bool reused = false;
        if (t->count < t->p.max_skus)
                index = t->count++;
        else if (sw_sku__reclaim(t, &index) == 0)
                reused = true;
        else
                return -ENOSPC;
        if (reused)
                slot = sw_sku__probe(t, sku, len); /* the removal may have moved entries */
        s = &t->skus[index];
        /* A reclaimed slot may be on the dirty list: keep its mark, so it is listed once. */
        uint8_t dirty = reused ? s->flags & SW_SKU_DIRTY : 0;
        memset(s, 0, sizeof(*s));
        s->flags = dirty;
        s->last_event_day = t->today; /* a SKU just added is not reclaimable at once */
        s->key_offset = t->arena_used;
        s->key_len = (uint8_t)len;
        s->first_day = SW_DAY_NONE;
        s->last_day = SW_DAY_NONE;
        s->forecast_last_day = SW_DAY_NONE;
        s->stockout_from = SW_DAY_NONE;
        s->stockout_day = SW_DAY_NONE;
        sw_price_watch_init(&s->price_watch);
        sw_receipt_watch_init(&s->receipt_watch);
        memcpy(t->arena + t->arena_used, sku, len);
        t->arena[t->arena_used + len] = '\0';
        t->arena_used += (uint32_t)len + 1;
        t->slots[slot] = index + 1;
        *ret_index = index;
        return 1;
}

const char *sw_sku_key(const struct sw_sku_table *t, uint32_t index)
{
        return t->arena + t->skus[index].key_offset;
}

int sw_sku_table_category(struct sw_sku_table *t, const char *name, size_t len, uint16_t *ret_id)
{
        if (len == 0 || len > SW_CATEGORY_MAX_LEN)
                return -EINVAL;
        /* Linear search: categories are few (hundreds) and interned only on inventory records. */
        for (uint16_t i = 1; i < t->n_categories; i++) {
                if (strncmp(t->categories[i], name, len) == 0 && t->categories[i][len] == '\0') {
                        *ret_id = i;
                        return 0;
                }
        }
        if (t->n_categories >= t->p.max_categories)
                return -ENOSPC;
        memcpy(t->categories[t->n_categories], name, len);
        t->categories[t->n_categories][len] = '\0';
        *ret_id = t->n_categories++;
        return 1;
}

const char *sw_sku_category_name(const struct sw_sku_table *t, uint16_t id)
{
        return id < t->n_categories ? t->categories[id] : "";
}

static size_t ring_pos(uint32_t index, sw_day_t day, uint32_t len)
{
        int32_t r = day % (int32_t)len;
        if (r < 0)
                r += (int32_t)len;
        return (size_t)index * len + (size_t)r;
}

static size_t fc_at(const struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        return ring_pos(index, day, t->p.forecast_days);
}

/* Position of day within a SKU's ring (0..history_days - 1). */
static size_t ring_slot(const struct sw_sku_table *t, sw_day_t day)
{
        return ring_pos(0, day, t->p.history_days);
}

/* The SKU's 1-byte ring (NULL for a fast seller) and its 2-byte ring (NULL otherwise). */
static uint8_t *narrow_ring(const struct sw_sku_table *t, uint32_t index)
{
        return t->skus[index].fast ? NULL : t->sold + (size_t)index * t->p.history_days;
}

static uint16_t *fast_ring(const struct sw_sku_table *t, uint32_t index)
{
        uint32_t k = t->skus[index].fast;
        return k ? t->fast_sold + (size_t)(k - 1) * t->p.history_days : NULL;
}

/* Units sold on the day at ring slot of the SKU. */
static uint32_t sold_get(const struct sw_sku_table *t, uint32_t index, size_t slot)
{
        const uint16_t *fast = fast_ring(t, index);
        return fast ? fast[slot] : narrow_ring(t, index)[slot];
}

/* Store units at a ring slot; the caller has checked that they fit the SKU's ring. */
static void sold_put(struct sw_sku_table *t, uint32_t index, size_t slot, uint32_t units)
{
        uint16_t *fast = fast_ring(t, index);
        if (fast)
                fast[slot] = (uint16_t)units;
        else
                narrow_ring(t, index)[slot] = (uint8_t)units;
}

/* Move a SKU to a 2-byte ring, copying its days. -ENOSPC when the pool is full. */
static int make_fast(struct sw_sku_table *t, uint32_t index)
{
        const uint8_t *narrow = narrow_ring(t, index);
        uint16_t *ring;
        if (!narrow)
                return 0;
        if (t->n_fast >= t->p.max_fast)
                return -ENOSPC;
        ring = t->fast_sold + (size_t)t->n_fast * t->p.history_days;
        for (size_t i = 0; i < t->p.history_days; i++)
                ring[i] = narrow[i];
        t->skus[index].fast = ++t->n_fast;
        return 0;
}

/* Set a held day's total, widening the ring or capping as needed: -ENOSPC when capped. */
static int sold_set(struct sw_sku_table *t, uint32_t index, sw_day_t day, uint64_t units)
{
        int r = 0;
        if (units > SW_SOLD_NARROW_MAX && make_fast(t, index) < 0) {
                units = SW_SOLD_NARROW_MAX;
                t->sales_saturated++;
                r = -ENOSPC;
        }
        if (units > SW_SOLD_MAX)
                units = SW_SOLD_MAX;
        sold_put(t, index, ring_slot(t, day), (uint32_t)units);
        return r;
}

void sw_sku_advance(struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        struct sw_sku *s = &t->skus[index];
        sw_day_t from;
        if (s->last_day != SW_DAY_NONE && day <= s->last_day)
                return;
        from = s->last_day == SW_DAY_NONE || day - s->last_day > (sw_day_t)t->p.history_days
                   ? day - (sw_day_t)t->p.history_days + 1
                   : s->last_day + 1;
        for (sw_day_t d = from; d <= day; d++)
                sold_put(t, index, ring_slot(t, d), 0);
        if (s->first_day == SW_DAY_NONE)
                s->first_day = day;
        s->last_day = day;
}

bool sw_sku_day_expired(const struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        const struct sw_sku *s = &t->skus[index];
        return s->last_day != SW_DAY_NONE && day <= s->last_day - (sw_day_t)t->p.history_days;
}

bool sw_sku_day_held(const struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        const struct sw_sku *s = &t->skus[index];
        return s->last_day != SW_DAY_NONE && day <= s->last_day && day >= s->first_day &&
               !sw_sku_day_expired(t, index, day);
}

int32_t sw_sku_sold(const struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        const struct sw_sku *s = &t->skus[index];
        if (s->last_day == SW_DAY_NONE || day < s->first_day || sw_sku_day_expired(t, index, day))
                return -1;
        if (day > s->last_day)
                return 0;
        return (int32_t)sold_get(t, index, ring_slot(t, day));
}

/* The part of days [from, from + n) that falls in [lo, hi]: indexes [*ret_i, *ret_end) of the
 * window (empty when *ret_i >= *ret_end). */
static void window_overlap(sw_day_t from, uint32_t n, sw_day_t lo, sw_day_t hi, uint32_t *ret_i,
                           uint32_t *ret_end)
{
        *ret_i = *ret_end = 0;
        if (from > hi || (int64_t)from + n <= lo)
                return;
        *ret_i = from < lo ? (uint32_t)(lo - from) : 0;
        *ret_end = (int64_t)from + n - 1 > hi ? (uint32_t)(hi - from + 1) : n;
}

void sw_sku_sold_series(const struct sw_sku_table *t, uint32_t index, sw_day_t from, uint32_t n,
                        uint16_t *ret)
{
        const struct sw_sku *s = &t->skus[index];
        const uint32_t h = t->p.history_days;
        const uint16_t *fast = fast_ring(t, index);
        const uint8_t *narrow = narrow_ring(t, index);
        uint32_t i, end;
        memset(ret, 0, (size_t)n * sizeof(*ret));
        if (s->last_day == SW_DAY_NONE)
                return;
        /* The held days: not before first_day, nor before the ring's reach. */
        sw_day_t oldest = s->last_day - (sw_day_t)h + 1;
        window_overlap(from, n, oldest > s->first_day ? oldest : s->first_day, s->last_day, &i,
                       &end);
        /* Walk the ring from the first held day, wrapping at its end. */
        for (size_t slot = ring_slot(t, from + (sw_day_t)i); i < end;
             i++, slot = slot + 1 == h ? 0 : slot + 1)
                ret[i] = fast ? fast[slot] : narrow[slot];
}

/* Make day writable: advance the ring, or extend first_day back for a late event. */
static bool make_held(struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        struct sw_sku *s = &t->skus[index];
        sw_sku_advance(t, index, day);
        if (sw_sku_day_expired(t, index, day))
                return false;
        while (day < s->first_day) {
                /* A late event for a day before the first one seen: those days had no data, zero.
                 */
                --s->first_day;
                sold_put(t, index, ring_slot(t, s->first_day), 0);
        }
        return true;
}

int sw_sku_add_sold(struct sw_sku_table *t, uint32_t index, sw_day_t day, uint32_t units)
{
        if (!make_held(t, index, day))
                return 0;
        /* 64-bit: units near UINT32_MAX must not wrap */
        return sold_set(t, index, day, (uint64_t)sw_sku_sold(t, index, day) + units);
}

uint8_t sw_forecast_encode(double units)
{
        double steps;
        if (!(units >= 0)) /* also NaN */
                return 0;
        if (units < FC_MIN / 2)
                return 1;
        if (units <= FC_MIN)
                return 2;
        steps = log(units / FC_MIN) / FC_LOG_RANGE * FC_STEPS;
        if (steps >= FC_STEPS)
                return 255;
        return (uint8_t)(2 + (int)lround(steps));
}

double sw_forecast_decode(uint8_t code)
{
        if (code == 0)
                return -1;
        if (code == 1)
                return 0;
        return FC_MIN * exp((double)(code - 2) / FC_STEPS * FC_LOG_RANGE);
}

double sw_sku_pushed_forecast(const struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        const struct sw_sku *s = &t->skus[index];
        if (s->forecast_last_day == SW_DAY_NONE || day > s->forecast_last_day ||
            day <= s->forecast_last_day - (sw_day_t)t->p.forecast_days)
                return -1;
        return sw_forecast_decode(t->forecast_code[fc_at(t, index, day)]);
}

void sw_sku_pushed_series(const struct sw_sku_table *t, uint32_t index, sw_day_t from, uint32_t n,
                          double *ret)
{
        const struct sw_sku *s = &t->skus[index];
        const uint32_t f = t->p.forecast_days;
        for (uint32_t i = 0; i < n; i++)
                ret[i] = NAN;
        uint32_t i, end;
        if (s->forecast_last_day == SW_DAY_NONE)
                return;
        window_overlap(from, n, s->forecast_last_day - (sw_day_t)f + 1, s->forecast_last_day, &i,
                       &end);
        const uint8_t *ring = t->forecast_code + (size_t)index * f;
        size_t slot = ring_pos(0, from + (sw_day_t)i, f);
        for (; i < end; i++, slot = slot + 1 == f ? 0 : slot + 1) {
                /* Code 0 (none) decodes to -1: no forecast held for that day. */
                double units = t->forecast_units[ring[slot]];
                ret[i] = units < 0 ? NAN : units;
        }
}

int sw_sku_set_pushed_forecast(struct sw_sku_table *t, uint32_t index, sw_day_t day, double units)
{
        struct sw_sku *s = &t->skus[index];
        sw_day_t f = (sw_day_t)t->p.forecast_days;
        if (s->forecast_last_day == SW_DAY_NONE || day > s->forecast_last_day) {
                sw_day_t from =
                    s->forecast_last_day == SW_DAY_NONE || day - s->forecast_last_day > f
                        ? day - f + 1
                        : s->forecast_last_day + 1;
                for (sw_day_t d = from; d <= day; d++)
                        t->forecast_code[fc_at(t, index, d)] = 0;
                s->forecast_last_day = day;
        } else if (day <= s->forecast_last_day - f) {
                return -ERANGE;
        }
        t->forecast_code[fc_at(t, index, day)] = sw_forecast_encode(units);
        return 0;
}

struct sw_shelf *sw_sku_shelf(const struct sw_sku_table *t, uint32_t index)
{
        uint32_t k = t->skus[index].shelf;
        return k ? &t->shelves[k - 1] : NULL;
}

int sw_sku_shelf_get_or_add(struct sw_sku_table *t, uint32_t index, struct sw_shelf **ret)
{
        struct sw_sku *s = &t->skus[index];
        if (!s->shelf) {
                if (t->n_shelves >= t->p.max_shelves)
                        return -ENOSPC;
                t->shelves[t->n_shelves] = (struct sw_shelf){.count = -1};
                s->shelf = ++t->n_shelves;
        }
        *ret = &t->shelves[s->shelf - 1];
        return 0;
}

void sw_sku_mark_dirty(struct sw_sku_table *t, uint32_t index)
{
        struct sw_sku *s = &t->skus[index];
        if (s->flags & SW_SKU_DIRTY)
                return;
        s->flags |= SW_SKU_DIRTY;
        t->dirty[t->n_dirty++] = index;
}

void sw_sku_clear_dirty(struct sw_sku_table *t)
{
        for (uint32_t i = 0; i < t->n_dirty; i++)
                t->skus[t->dirty[i]].flags &= (uint8_t)~SW_SKU_DIRTY;
        t->n_dirty = 0;
}

/* Blob layout, little-endian, version 5 (1 held the shelf state and forecasts inline, 2 had no
 * last_event_day, stock-out days or zero-reading streak, 3 no price or receipt watch, 4 the
 * price as f32; 2, 3 and 4 are still read, their f32 price as sw_price_from_float32()):
 * u8 version (5), u8 flags, u8 category_len, u8 has_shelf, u16 history_len,
 * u16 forecast_len, u32 on_hand, f64 price, u32 book_as_of, i32 first_day, i32 last_day,
 * i32 forecast_last_day, u32 book_negative_since, i32 last_event_day, i32 stockout_from,
 * i32 stockout_day, price watch (f32 list_prev, f32 off_log_sum, u16 list_since, u16 off_from,
 * u8 off_last, u8 off_lines, u8 on_lines, u8 0), receipt watch (u16 day, u16 units, u16 usual,
 * u16 before), [has_shelf: i32 count, u32 ts, u32 zero_open_s, u32 above_since, u32 zero_since,
 * u32 zero_readings], category bytes, history_len x u16 sold (oldest first, ending at
 * last_day), forecast_len x u8 forecast code (oldest first, ending at forecast_last_day). */
#define BLOB_VERSION    5
#define BLOB_VERSION_V4 4
#define BLOB_VERSION_V3 3
#define BLOB_VERSION_V2 2
#define BLOB_FIXED_V2   (8 + 4 * 7)
#define BLOB_FIXED_V3   (BLOB_FIXED_V2 + 4 * 3)
#define BLOB_WATCH      24
#define BLOB_FIXED_V4   (BLOB_FIXED_V3 + BLOB_WATCH)
#define BLOB_FIXED      (BLOB_FIXED_V4 + 4) /* the price in 8 bytes, not 4 */
#define BLOB_SHELF_V2   (4 * 5)
#define BLOB_SHELF      (BLOB_SHELF_V2 + 4)

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                *p++ = (uint8_t)(v >> (8 * i));
        return p;
}

static const uint8_t *get_u32(const uint8_t *p, uint32_t *v)
{
        *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return p + 4;
}

static uint32_t float_bits(float v)
{
        uint32_t u;
        memcpy(&u, &v, sizeof(u));
        return u;
}

static float bits_float(uint32_t u)
{
        float v;
        memcpy(&v, &u, sizeof(v));
        return v;
}

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
        *p++ = (uint8_t)(v & 0xff);
        *p++ = (uint8_t)(v >> 8);
        return p;
}

static uint16_t get_u16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static uint8_t *put_watch(uint8_t *p, const struct sw_price_watch *w,
                          const struct sw_receipt_watch *rw)
{
        p = put_u32(p, float_bits(w->list_prev));
        p = put_u32(p, float_bits(w->off_log_sum));
        p = put_u16(p, w->list_since);
        p = put_u16(p, w->off_from);
        *p++ = w->off_last;
        *p++ = w->off_lines;
        *p++ = w->on_lines;
        *p++ = 0;
        p = put_u16(p, rw->day);
        p = put_u16(p, rw->units);
        p = put_u16(p, rw->usual);
        return put_u16(p, rw->before);
}

static const uint8_t *get_watch(const uint8_t *p, struct sw_price_watch *w,
                                struct sw_receipt_watch *rw)
{
        uint32_t v;
        p = get_u32(p, &v);
        w->list_prev = bits_float(v);
        p = get_u32(p, &v);
        w->off_log_sum = bits_float(v);
        w->list_since = get_u16(p);
        w->off_from = get_u16(p + 2);
        w->off_last = p[4];
        w->off_lines = p[5];
        w->on_lines = p[6];
        w->reserved = 0;
        p += 8;
        rw->day = get_u16(p);
        rw->units = get_u16(p + 2);
        rw->usual = get_u16(p + 4);
        rw->before = get_u16(p + 6);
        return p + 8;
}

/* Days a ring of len ending at last holds, given the first day with data. */
static uint16_t ring_span(sw_day_t first, sw_day_t last, uint32_t len)
{
        int64_t span;
        if (last == SW_DAY_NONE)
                return 0;
        span = (int64_t)last - first + 1;
        return (uint16_t)(span < (int64_t)len ? span : len);
}

int sw_sku_serialize(const struct sw_sku_table *t, uint32_t index, void *buf, size_t size)
{
        const struct sw_sku *s = &t->skus[index];
        const struct sw_shelf *sh = sw_sku_shelf(t, index);
        const char *cat = sw_sku_category_name(t, s->category);
        size_t cat_len = strlen(cat);
        uint16_t hist = ring_span(s->first_day, s->last_day, t->p.history_days);
        /* The forecast ring is cleared when first used, so all of it is held once set (and
         * SW_DAY_NONE - forecast_days would overflow). */
        uint16_t fc = s->forecast_last_day == SW_DAY_NONE ? 0 : t->p.forecast_days;
        uint64_t price;
        uint8_t *p = buf;
        if (size < BLOB_FIXED + (sh ? BLOB_SHELF : 0) + cat_len + 2u * hist + fc)
                return -ENOBUFS;
        memcpy(&price, &s->price, sizeof(price));
        *p++ = BLOB_VERSION;
        *p++ = (uint8_t)(s->flags & ~SW_SKU_DIRTY);
        *p++ = (uint8_t)cat_len;
        *p++ = sh != NULL;
        *p++ = (uint8_t)(hist & 0xff);
        *p++ = (uint8_t)(hist >> 8);
        *p++ = (uint8_t)(fc & 0xff);
        *p++ = (uint8_t)(fc >> 8);
        p = put_u32(p, (uint32_t)s->on_hand);
        sw_put_le64(p, price);
        p += 8;
        p = put_u32(p, s->book_as_of);
        p = put_u32(p, (uint32_t)s->first_day);
        p = put_u32(p, (uint32_t)s->last_day);
        p = put_u32(p, (uint32_t)s->forecast_last_day);
        p = put_u32(p, s->book_negative_since);
        p = put_u32(p, (uint32_t)s->last_event_day);
        p = put_u32(p, (uint32_t)s->stockout_from);
        p = put_u32(p, (uint32_t)s->stockout_day);
        p = put_watch(p, &s->price_watch, &s->receipt_watch);
        if (sh) {
                p = put_u32(p, (uint32_t)sh->count);
                p = put_u32(p, sh->ts);
                p = put_u32(p, sh->zero_open_s);
                p = put_u32(p, sh->above_since);
                p = put_u32(p, sh->zero_since);
                p = put_u32(p, sh->zero_readings);
        }
        memcpy(p, cat, cat_len);
        p += cat_len;
        for (sw_day_t d = s->last_day - hist + 1; hist > 0 && d <= s->last_day; d++) {
                uint16_t v = (uint16_t)sw_sku_sold(t, index, d);
                *p++ = (uint8_t)(v & 0xff);
                *p++ = (uint8_t)(v >> 8);
        }
        for (sw_day_t d = s->forecast_last_day - fc + 1; fc > 0 && d <= s->forecast_last_day; d++)
                *p++ = t->forecast_code[fc_at(t, index, d)];
        return (int)(p - (uint8_t *)buf);
}

/* The scalar part of a blob. */
struct blob_head {
        uint8_t flags, cat_len, has_shelf;
        uint16_t hist, fc;
        uint32_t on_hand, book, first, last, fc_last, neg_since, last_event;
        uint32_t stockout_from, stockout;
        uint32_t shelf[6];
        double price;                     /* f64 from version 5, f32 before */
        struct sw_price_watch watch;      /* version 4 on; empty before */
        struct sw_receipt_watch receipts; /* version 4 on; empty before */
};

/* A version 2 blob has no last_event_day: its last sale, book record or shelf reading stands
 * for it (UTC days: a day early or late at most), none of them: no event known. */
static uint32_t v2_last_event(const struct blob_head *h)
{
        sw_day_t day = (sw_day_t)h->last;
        if ((h->flags & SW_SKU_HAS_BOOK) && h->book && (sw_day_t)(h->book / 86400) > day)
                day = (sw_day_t)(h->book / 86400);
        if (h->has_shelf && h->shelf[1] && (sw_day_t)(h->shelf[1] / 86400) > day)
                day = (sw_day_t)(h->shelf[1] / 86400);
        return (uint32_t)day;
}

/* A blob's price: an f64, or the f32 of the versions before 5. */
static const uint8_t *get_price(const uint8_t *p, bool f32, double *ret)
{
        if (f32) {
                uint32_t bits;
                p = get_u32(p, &bits);
                *ret = sw_price_from_float32(bits_float(bits));
                return p;
        }
        uint64_t bits = sw_get_le64(p);
        memcpy(ret, &bits, sizeof(*ret));
        return p + 8;
}

static const uint8_t *parse_head(const uint8_t *p, size_t len, struct blob_head *h)
{
        if (len == 0 || p[0] < BLOB_VERSION_V2 || p[0] > BLOB_VERSION)
                return NULL;
        bool v2 = p[0] == BLOB_VERSION_V2, v3 = p[0] == BLOB_VERSION_V3;
        bool f32_price = p[0] < BLOB_VERSION;
        size_t fixed = v2          ? BLOB_FIXED_V2
                       : v3        ? BLOB_FIXED_V3
                       : f32_price ? BLOB_FIXED_V4
                                   : BLOB_FIXED;
        size_t shelf = v2 ? BLOB_SHELF_V2 : BLOB_SHELF;
        if (len < fixed)
                return NULL;
        h->flags = p[1];
        h->cat_len = p[2];
        h->has_shelf = p[3];
        h->hist = (uint16_t)(p[4] | p[5] << 8);
        h->fc = (uint16_t)(p[6] | p[7] << 8);
        if (h->has_shelf > 1 || h->cat_len > SW_CATEGORY_MAX_LEN ||
            len != fixed + (h->has_shelf ? shelf : 0) + h->cat_len + 2u * h->hist + h->fc)
                return NULL;
        p += 8;
        p = get_u32(p, &h->on_hand);
        p = get_price(p, f32_price, &h->price);
        p = get_u32(p, &h->book);
        p = get_u32(p, &h->first);
        p = get_u32(p, &h->last);
        p = get_u32(p, &h->fc_last);
        p = get_u32(p, &h->neg_since);
        h->last_event = h->stockout_from = h->stockout = (uint32_t)SW_DAY_NONE;
        sw_price_watch_init(&h->watch);
        sw_receipt_watch_init(&h->receipts);
        if (!v2) {
                p = get_u32(p, &h->last_event);
                p = get_u32(p, &h->stockout_from);
                p = get_u32(p, &h->stockout);
        }
        if (!v2 && !v3)
                p = get_watch(p, &h->watch, &h->receipts);
        h->shelf[5] = 0;
        for (size_t i = 0; h->has_shelf && i < shelf / 4; i++)
                p = get_u32(p, &h->shelf[i]);
        /* A version 2 streak at zero counts as one reading: its length was not kept. */
        if (v2 && h->has_shelf && h->shelf[0] == 0)
                h->shelf[5] = 1;
        if (h->hist > 0 && ((sw_day_t)h->last == SW_DAY_NONE ||
                            (int64_t)(sw_day_t)h->last - (sw_day_t)h->first + 1 < h->hist))
                return NULL;
        if (h->fc > 0 && (sw_day_t)h->fc_last == SW_DAY_NONE)
                return NULL;
        if (v2)
                h->last_event = v2_last_event(h);
        return p;
}

/* The scalars of a blob into s; its dirty mark is kept (the SKU is on the dirty list, and
 * marking again must not re-add it). */
static void restore_scalars(struct sw_sku *s, const struct blob_head *h, uint16_t category)
{
        s->category = category;
        s->flags = (uint8_t)((h->flags & ~SW_SKU_DIRTY) | (s->flags & SW_SKU_DIRTY));
        s->on_hand = (int32_t)h->on_hand;
        s->price = h->price;
        s->book_as_of = h->book;
        s->book_negative_since = h->neg_since;
        s->last_event_day = (sw_day_t)h->last_event;
        s->stockout_from = (sw_day_t)h->stockout_from;
        s->stockout_day = (sw_day_t)h->stockout;
        s->price_watch = h->watch;
        s->receipt_watch = h->receipts;
        s->first_day = SW_DAY_NONE;
        s->last_day = SW_DAY_NONE;
        s->forecast_last_day = SW_DAY_NONE;
}

/* Both rings of a blob (p at the sales days) into SKU index. */
static void restore_rings(struct sw_sku_table *t, uint32_t index, const struct blob_head *h,
                          const uint8_t *p)
{
        struct sw_sku *s = &t->skus[index];
        if (h->hist > 0) {
                /* A shorter ring than when saved keeps the newest days; days older than the
                 * saved ones were already expired and stay unknown. */
                sw_day_t last = (sw_day_t)h->last, oldest = last - h->hist + 1;
                sw_sku_advance(t, index, last);
                s->first_day = (sw_day_t)h->first > oldest ? (sw_day_t)h->first : oldest;
                if (s->first_day < last - (sw_day_t)t->p.history_days + 1)
                        s->first_day = last - (sw_day_t)t->p.history_days + 1;
                for (uint16_t i = 0; i < h->hist; i++, p += 2) {
                        sw_day_t d = oldest + i;
                        if (d >= s->first_day)
                                (void)sold_set(t, index, d, (uint64_t)(p[0] | p[1] << 8));
                }
        }
        if (h->fc > 0) {
                sw_day_t last = (sw_day_t)h->fc_last, f = (sw_day_t)t->p.forecast_days;
                for (sw_day_t d = last - f + 1; d <= last; d++)
                        t->forecast_code[fc_at(t, index, d)] = 0;
                s->forecast_last_day = last;
                for (uint16_t i = 0; i < h->fc; i++, p++) {
                        sw_day_t d = last - h->fc + 1 + i;
                        if (d > last - f)
                                t->forecast_code[fc_at(t, index, d)] = p[0];
                }
        }
}

int sw_sku_restore(struct sw_sku_table *t, const char *sku, size_t len, const void *blob,
                   size_t blob_len)
{
        struct blob_head h;
        const uint8_t *p = parse_head(blob, blob_len, &h);
        uint32_t index;
        uint16_t category = 0;
        struct sw_shelf *sh;
        int r;
        if (!p)
                return -EINVAL;
        if (len == 0 || len > SW_SKU_MAX_LEN)
                return -EINVAL;
        if (sw_sku_table_find(t, sku, len, &index) < 0 &&
            (t->count >= t->p.max_skus || t->p.key_arena_bytes - t->arena_used < len + 1))
                return -ENOSPC;
        /* A category that no longer fits (max_categories lowered) is dropped, not the SKU. */
        if (h.cat_len > 0 && sw_sku_table_category(t, (const char *)p, h.cat_len, &category) < 0)
                category = 0;
        p += h.cat_len;
        r = sw_sku_table_get_or_add(t, sku, len, &index);
        if (r < 0)
                return r;
        restore_scalars(&t->skus[index], &h, category);
        if (h.has_shelf && sw_sku_shelf_get_or_add(t, index, &sh) == 0)
                *sh = (struct sw_shelf){.count = (int32_t)h.shelf[0],
                                        .ts = h.shelf[1],
                                        .zero_open_s = h.shelf[2],
                                        .above_since = h.shelf[3],
                                        .zero_since = h.shelf[4],
                                        .zero_readings = h.shelf[5]};
        restore_rings(t, index, &h, p);
        return 0;
}
