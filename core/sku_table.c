/* Fixed-capacity SKU table: open-addressing index, key arena, history ring. */
#include "core/sku_table.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* Forecast code scale: code 2 = 0.01 units, code 255 = 10000 units. */
#define FC_MIN   0.01
#define FC_STEPS 253.0
#define FC_LOG_RANGE 13.815510557964274 /* ln(10000 / 0.01) */

/* Hash slots: a power of two keeping the load factor at most 3/4 (linear probing stays
 * short there, and 4 bytes a slot is a quarter of a SKU's scalars). */
static uint32_t slots_for(uint32_t max_skus)
{
        uint32_t n = 16;
        while ((uint64_t)n * 3 < (uint64_t)max_skus * 4)
                n <<= 1;
        return n;
}

static uint32_t arena_bytes(const struct sw_sku_table_params *p)
{
        return p->key_arena_bytes ? p->key_arena_bytes : p->max_skus * 24u;
}

static bool params_valid(const struct sw_sku_table_params *p)
{
        return p && p->max_skus > 0 && p->max_skus <= (1u << 28) && p->history_days >= 1 &&
               p->max_categories >= 1;
}

size_t sw_sku_table_memory_size(const struct sw_sku_table_params *p)
{
        size_t n, h;
        if (!params_valid(p))
                return 0;
        n = p->max_skus;
        h = p->history_days;
        return ALIGN8(n * sizeof(struct sw_sku)) + ALIGN8(n * h * sizeof(uint16_t)) + ALIGN8(n * h) +
               ALIGN8((size_t)slots_for(p->max_skus) * sizeof(uint32_t)) + ALIGN8(arena_bytes(p)) +
               ALIGN8((size_t)p->max_categories * (SW_CATEGORY_MAX_LEN + 1)) +
               ALIGN8(n * sizeof(uint32_t));
}

int sw_sku_table_init(struct sw_sku_table *t, const struct sw_sku_table_params *p, void *mem, size_t size)
{
        size_t need = sw_sku_table_memory_size(p), n, h;
        char *at = mem;
        if (need == 0)
                return -EINVAL;
        if (!mem || size < need)
                return -ENOBUFS;
        n = p->max_skus;
        h = p->history_days;
        memset(t, 0, sizeof(*t));
        t->p = *p;
        t->p.key_arena_bytes = arena_bytes(p);
        t->n_slots = slots_for(p->max_skus);
        t->skus = (struct sw_sku *)(void *)at;
        at += ALIGN8(n * sizeof(struct sw_sku));
        t->sold = (uint16_t *)(void *)at;
        at += ALIGN8(n * h * sizeof(uint16_t));
        t->forecast_code = (uint8_t *)at;
        at += ALIGN8(n * h);
        t->slots = (uint32_t *)(void *)at;
        at += ALIGN8((size_t)t->n_slots * sizeof(uint32_t));
        t->arena = at;
        at += ALIGN8(t->p.key_arena_bytes);
        t->categories = (char(*)[SW_CATEGORY_MAX_LEN + 1])(void *)at;
        at += ALIGN8((size_t)p->max_categories * (SW_CATEGORY_MAX_LEN + 1));
        t->dirty = (uint32_t *)(void *)at;
        /* Only the index must start zeroed; SKU records and rings are set when used. */
        memset(t->slots, 0, (size_t)t->n_slots * sizeof(uint32_t));
        t->categories[0][0] = '\0';
        t->n_categories = 1;
        return 0;
}

static uint32_t key_hash(const char *s, size_t len)
{
        /* FNV-1a, then a final mix so that linear probing sees well-spread slots. */
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < len; i++) {
                h ^= (uint8_t)s[i];
                h *= 16777619u;
        }
        h ^= h >> 16;
        h *= 0x7feb352du;
        h ^= h >> 15;
        return h;
}

/* Slot holding sku, or the empty slot where it would go. */
static uint32_t probe(const struct sw_sku_table *t, const char *sku, size_t len)
{
        uint32_t mask = t->n_slots - 1, i = key_hash(sku, len) & mask;
        for (;;) {
                uint32_t v = t->slots[i];
                if (v == 0)
                        return i;
                const struct sw_sku *s = &t->skus[v - 1];
                if (s->key_len == len && memcmp(t->arena + s->key_offset, sku, len) == 0)
                        return i;
                i = (i + 1) & mask;
        }
}

int sw_sku_table_find(const struct sw_sku_table *t, const char *sku, size_t len, uint32_t *ret_index)
{
        uint32_t slot;
        if (len == 0 || len > SW_SKU_MAX_LEN)
                return -ENOENT;
        slot = probe(t, sku, len);
        if (t->slots[slot] == 0)
                return -ENOENT;
        *ret_index = t->slots[slot] - 1;
        return 0;
}

int sw_sku_table_get_or_add(struct sw_sku_table *t, const char *sku, size_t len, uint32_t *ret_index)
{
        uint32_t slot, index;
        struct sw_sku *s;
        if (len == 0 || len > SW_SKU_MAX_LEN)
                return -EINVAL;
        slot = probe(t, sku, len);
        if (t->slots[slot] != 0) {
                *ret_index = t->slots[slot] - 1;
                return 0;
        }
        if (t->count >= t->p.max_skus || t->p.key_arena_bytes - t->arena_used < len + 1)
                return -ENOSPC;
        index = t->count++;
        s = &t->skus[index];
        memset(s, 0, sizeof(*s));
        s->key_offset = t->arena_used;
        s->key_len = (uint8_t)len;
        s->first_day = SW_DAY_NONE;
        s->last_day = SW_DAY_NONE;
        s->shelf_count = -1;
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

static size_t ring_at(const struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        uint32_t h = t->p.history_days;
        int32_t r = day % (int32_t)h;
        if (r < 0)
                r += (int32_t)h;
        return (size_t)index * h + (size_t)r;
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
        for (sw_day_t d = from; d <= day; d++) {
                size_t at = ring_at(t, index, d);
                t->sold[at] = 0;
                t->forecast_code[at] = 0;
        }
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
        return t->sold[ring_at(t, index, day)];
}

/* Make day writable: advance the ring, or extend first_day back for a late event. */
static bool make_held(struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        struct sw_sku *s = &t->skus[index];
        sw_sku_advance(t, index, day);
        if (sw_sku_day_expired(t, index, day))
                return false;
        while (day < s->first_day) {
                /* A late event for a day before the first one seen: those days had no data, zero. */
                size_t at = ring_at(t, index, --s->first_day);
                t->sold[at] = 0;
                t->forecast_code[at] = 0;
        }
        return true;
}

void sw_sku_add_sold(struct sw_sku_table *t, uint32_t index, sw_day_t day, uint32_t units)
{
        size_t at;
        uint64_t v;
        if (!make_held(t, index, day))
                return;
        at = ring_at(t, index, day);
        v = (uint64_t)t->sold[at] + units; /* 64-bit: units near UINT32_MAX must not wrap */
        t->sold[at] = (uint16_t)(v > SW_SOLD_MAX ? SW_SOLD_MAX : v);
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
        if (s->last_day == SW_DAY_NONE || day > s->last_day || day < s->first_day ||
            sw_sku_day_expired(t, index, day))
                return -1;
        return sw_forecast_decode(t->forecast_code[ring_at(t, index, day)]);
}

void sw_sku_set_pushed_forecast(struct sw_sku_table *t, uint32_t index, sw_day_t day, double units)
{
        if (!make_held(t, index, day))
                return;
        t->forecast_code[ring_at(t, index, day)] = sw_forecast_encode(units);
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

/* Blob layout, little-endian, version 1:
 * u8 version, u8 flags, u8 category_len, u16 history_len, i32 on_hand, f32 price,
 * u32 book_as_of, i32 first_day, i32 last_day, i32 shelf_count, u32 shelf_ts,
 * u32 shelf_zero_open_s, u32 shelf_above_since, u32 shelf_zero_since,
 * u32 book_negative_since, category bytes,
 * history_len x (u16 sold, u8 forecast_code), oldest day first, ending at last_day. */
#define BLOB_VERSION 1
#define BLOB_FIXED   (3 + 2 + 4 * 11)

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

static uint32_t f32_bits(float f)
{
        uint32_t u;
        memcpy(&u, &f, sizeof(u));
        return u;
}

int sw_sku_serialize(const struct sw_sku_table *t, uint32_t index, void *buf, size_t size)
{
        const struct sw_sku *s = &t->skus[index];
        const char *cat = sw_sku_category_name(t, s->category);
        size_t cat_len = strlen(cat);
        uint16_t hist = 0;
        uint8_t *p = buf;
        if (s->last_day != SW_DAY_NONE) {
                int64_t span = (int64_t)s->last_day - s->first_day + 1;
                hist = (uint16_t)(span < t->p.history_days ? span : t->p.history_days);
        }
        if (size < BLOB_FIXED + cat_len + 3u * hist)
                return -ENOBUFS;
        *p++ = BLOB_VERSION;
        *p++ = (uint8_t)(s->flags & ~SW_SKU_DIRTY);
        *p++ = (uint8_t)cat_len;
        *p++ = (uint8_t)(hist & 0xff);
        *p++ = (uint8_t)(hist >> 8);
        p = put_u32(p, (uint32_t)s->on_hand);
        p = put_u32(p, f32_bits(s->price));
        p = put_u32(p, s->book_as_of);
        p = put_u32(p, (uint32_t)s->first_day);
        p = put_u32(p, (uint32_t)s->last_day);
        p = put_u32(p, (uint32_t)s->shelf_count);
        p = put_u32(p, s->shelf_ts);
        p = put_u32(p, s->shelf_zero_open_s);
        p = put_u32(p, s->shelf_above_since);
        p = put_u32(p, s->shelf_zero_since);
        p = put_u32(p, s->book_negative_since);
        memcpy(p, cat, cat_len);
        p += cat_len;
        for (sw_day_t d = s->last_day - hist + 1; hist > 0 && d <= s->last_day; d++) {
                size_t at = ring_at(t, index, d);
                *p++ = (uint8_t)(t->sold[at] & 0xff);
                *p++ = (uint8_t)(t->sold[at] >> 8);
                *p++ = t->forecast_code[at];
        }
        return (int)(p - (uint8_t *)buf);
}

int sw_sku_restore(struct sw_sku_table *t, const char *sku, size_t len, const void *blob, size_t blob_len)
{
        const uint8_t *p = blob;
        uint32_t index, on_hand, price, book, first, last, shelf, shelf_ts, zero_s, above, zero_since, neg_since;
        uint8_t flags, cat_len;
        uint16_t hist, category = 0;
        int r;
        if (blob_len < BLOB_FIXED || p[0] != BLOB_VERSION)
                return -EINVAL;
        flags = p[1];
        cat_len = p[2];
        hist = (uint16_t)(p[3] | p[4] << 8);
        if (blob_len != BLOB_FIXED + cat_len + 3u * hist || cat_len > SW_CATEGORY_MAX_LEN)
                return -EINVAL;
        p += 5;
        p = get_u32(p, &on_hand);
        p = get_u32(p, &price);
        p = get_u32(p, &book);
        p = get_u32(p, &first);
        p = get_u32(p, &last);
        p = get_u32(p, &shelf);
        p = get_u32(p, &shelf_ts);
        p = get_u32(p, &zero_s);
        p = get_u32(p, &above);
        p = get_u32(p, &zero_since);
        p = get_u32(p, &neg_since);
        if (hist > 0 && ((sw_day_t)last == SW_DAY_NONE || (int64_t)(sw_day_t)last - (sw_day_t)first + 1 < hist))
                return -EINVAL;
        if (cat_len > 0) {
                r = sw_sku_table_category(t, (const char *)p, cat_len, &category);
                if (r < 0)
                        return r;
        }
        p += cat_len;
        r = sw_sku_table_get_or_add(t, sku, len, &index);
        if (r < 0)
                return r;
        struct sw_sku *s = &t->skus[index];
        s->category = category;
        /* Keep the dirty mark: it must agree with t->dirty[], where the SKU may already be. */
        s->flags = (uint8_t)((flags & ~SW_SKU_DIRTY) | (s->flags & SW_SKU_DIRTY));
        s->on_hand = (int32_t)on_hand;
        memcpy(&s->price, &price, sizeof(price));
        s->book_as_of = book;
        s->shelf_count = (int32_t)shelf;
        s->shelf_ts = shelf_ts;
        s->shelf_zero_open_s = zero_s;
        s->shelf_above_since = above;
        s->shelf_zero_since = zero_since;
        s->book_negative_since = neg_since;
        s->first_day = SW_DAY_NONE;
        s->last_day = SW_DAY_NONE;
        if (hist == 0)
                return 0;
        /* A shorter ring than when saved keeps the newest days. */
        sw_sku_advance(t, index, (sw_day_t)last);
        s->first_day = (sw_day_t)first;
        /* Days before the saved history had expired when saved: keep them unknown, not zero. */
        if (s->first_day < s->last_day - (sw_day_t)hist + 1)
                s->first_day = s->last_day - (sw_day_t)hist + 1;
        if (s->first_day < s->last_day - (sw_day_t)t->p.history_days + 1)
                s->first_day = s->last_day - (sw_day_t)t->p.history_days + 1;
        for (uint16_t i = 0; i < hist; i++, p += 3) {
                sw_day_t d = (sw_day_t)last - hist + 1 + i;
                if (d < s->first_day)
                        continue;
                size_t at = ring_at(t, index, d);
                t->sold[at] = (uint16_t)(p[0] | p[1] << 8);
                t->forecast_code[at] = p[2];
        }
        return 0;
}
