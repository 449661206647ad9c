/* Reclaiming the slot of a SKU that has nothing left to say, when the SKU table is full. */
#include "core/sku_table.h"
#include "core/sku_table_internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/probe.h"

#define GARBAGE_MARK 0x01 /* first byte of a deleted key in the arena (keys are printable) */

void sw_sku_table_set_pinned(struct sw_sku_table *t, const uint8_t *pinned)
{
        t->pinned = pinned;
}

void sw_sku_table_set_today(struct sw_sku_table *t, sw_day_t today)
{
        t->today = today;
        t->message_day = SW_DAY_NONE;
}

void sw_sku_table_set_message_day(struct sw_sku_table *t, sw_day_t day)
{
        t->message_day = day;
}

void sw_sku_note_event(struct sw_sku_table *t, uint32_t index, sw_day_t day)
{
        struct sw_sku *s = &t->skus[index];
        if (s->last_event_day == SW_DAY_NONE || day > s->last_event_day)
                s->last_event_day = day;
}

bool sw_sku_reclaimable(const struct sw_sku_table *t, uint32_t index)
{
        const struct sw_sku *s = &t->skus[index];
        if (t->today == SW_DAY_NONE || index >= t->count)
                return false;
        /* No event for the whole history window: last_event_day is older than its first day. */
        bool quiet = s->last_event_day == SW_DAY_NONE ||
                     s->last_event_day <= t->today - (sw_day_t)t->p.history_days;
        /* Not a SKU that the message being applied named (its event is that message's day). */
        bool named = t->message_day != SW_DAY_NONE && s->last_event_day != SW_DAY_NONE &&
                     s->last_event_day >= t->message_day;
        return quiet && !named && s->on_hand <= 0 && !(t->pinned && t->pinned[index]);
}

const char *sw_sku_reclaimed_key(const struct sw_sku_table *t, uint32_t k)
{
        return k < t->n_reclaimed ? t->arena + t->reclaimed[k] : NULL;
}

void sw_sku_reclaimed_flushed(struct sw_sku_table *t)
{
        for (uint32_t k = 0; k < t->n_reclaimed; k++) {
                char *key = t->arena + t->reclaimed[k];
                t->arena_garbage += (uint32_t)strlen(key) + 1;
                key[0] = GARBAGE_MARK;
        }
        t->n_reclaimed = 0;
}

/* The home slot of index entry e (SKU e - 1). */
static uint32_t entry_home(const void *ctx, uint32_t e)
{
        const struct sw_sku_table *t = ctx;
        const struct sw_sku *s = &t->skus[e - 1];
        return sw_sku__home(t, t->arena + s->key_offset, s->key_len);
}

/* The SKU whose pool entry (1-based, in the field at offset) is ref. */
static uint32_t owner_of(const struct sw_sku_table *t, size_t offset, uint32_t ref)
{
        for (uint32_t j = 0; j < t->count; j++) {
                uint32_t v;
                memcpy(&v, (const char *)&t->skus[j] + offset, sizeof(v));
                if (v == ref)
                        return j;
        }
        return UINT32_MAX;
}

/* Give shelf state k back: the last one in the pool moves into its place. */
static void free_shelf(struct sw_sku_table *t, uint32_t k)
{
        uint32_t last = t->n_shelves - 1;
        if (k != last) {
                uint32_t j = owner_of(t, offsetof(struct sw_sku, shelf), last + 1);
                t->shelves[k] = t->shelves[last];
                if (j != UINT32_MAX)
                        t->skus[j].shelf = k + 1;
        }
        t->n_shelves--;
}

/* Give 2-byte ring k back: the last one moves into its place. */
static void free_fast(struct sw_sku_table *t, uint32_t k)
{
        uint32_t last = t->n_fast - 1;
        size_t h = t->p.history_days;
        if (k != last) {
                uint32_t j = owner_of(t, offsetof(struct sw_sku, fast), last + 1);
                memcpy(t->fast_sold + (size_t)k * h, t->fast_sold + (size_t)last * h,
                       h * sizeof(uint16_t));
                if (j != UINT32_MAX)
                        t->skus[j].fast = k + 1;
        }
        t->n_fast--;
}

static void evict(struct sw_sku_table *t, uint32_t index)
{
        struct sw_sku *s = &t->skus[index];
        sw_probe_delete(t->slots, t->n_slots,
                        sw_sku__probe(t, t->arena + s->key_offset, s->key_len), entry_home, t);
        t->reclaimed[t->n_reclaimed++] = s->key_offset;
        if (s->shelf)
                free_shelf(t, s->shelf - 1);
        if (s->fast)
                free_fast(t, s->fast - 1);
        s->shelf = s->fast = 0;
        t->reclaimed_total++;
}

/* The day from which on the message being applied keeps SKUs (none: after every day). */
static sw_day_t newest_kept(const struct sw_sku_table *t)
{
        return t->message_day == SW_DAY_NONE ? INT32_MAX : t->message_day;
}

int sw_sku__reclaim(struct sw_sku_table *t, uint32_t *ret_index)
{
        if (t->today == SW_DAY_NONE || t->count == 0 || t->n_reclaimed >= SW_SKU_RECLAIM_PENDING ||
            t->n_reclaimed >= t->p.max_skus ||
            (t->reclaim_dry_day == t->today && newest_kept(t) <= t->reclaim_dry_message_day))
                return -ENOSPC;
        /* A clock sweep: each call goes on where the last stopped, so a full table of busy
         * SKUs costs one lap a day, not one per new SKU. */
        for (uint32_t n = 0; n < t->count; n++) {
                uint32_t i = t->reclaim_cursor < t->count ? t->reclaim_cursor : 0;
                t->reclaim_cursor = i + 1;
                if (sw_sku_reclaimable(t, i)) {
                        evict(t, i);
                        *ret_index = i;
                        return 0;
                }
        }
        t->reclaim_dry_day = t->today;
        t->reclaim_dry_message_day = newest_kept(t);
        return -ENOSPC;
}

void sw_sku__compact_keys(struct sw_sku_table *t)
{
        uint32_t at = 0, to = 0;
        if (t->arena_garbage == 0 || t->n_reclaimed > 0)
                return;
        /* Keys are in the arena back to back; a live one is found through the index (its
         * probe compares the bytes at each candidate's offset: moved keys have been moved
         * whole, unmoved ones lie beyond at). */
        while (at < t->arena_used) {
                char *key = t->arena + at;
                uint32_t len = (uint32_t)strlen(key);
                if (key[0] != GARBAGE_MARK) {
                        uint32_t v = t->slots[sw_sku__probe(t, key, len)];
                        memmove(t->arena + to, key, len + 1);
                        if (v != 0)
                                t->skus[v - 1].key_offset = to;
                        to += len + 1;
                }
                at += len + 1;
        }
        t->arena_used = to;
        t->arena_garbage = 0;
}
