/* Open anomaly episodes in a linear-probing table with backward-shift deletion. */
#include "core/anomaly_book.h"

#include "core/anomaly_type.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/probe.h"

#define EMPTY 0xffu

/* A power of two keeping the load factor at most 3/4. */
static uint32_t slots_for(uint32_t capacity)
{
        uint32_t n = 16;
        while ((uint64_t)n * 3 < (uint64_t)capacity * 4)
                n <<= 1;
        return n;
}

_Static_assert(SW_ANOMALY_TYPE_COUNT <= 8, "open_types holds one bit per type");

size_t sw_anomaly_book_memory_size(uint32_t capacity, uint32_t max_skus)
{
        if (capacity == 0 || capacity > (1u << 26) || max_skus == 0 || max_skus > (1u << 30))
                return 0;
        return (size_t)slots_for(capacity) * sizeof(struct sw_episode) + max_skus;
}

int sw_anomaly_book_init(struct sw_anomaly_book *b, uint32_t capacity, uint32_t max_skus, void *mem,
                         size_t size)
{
        size_t need = sw_anomaly_book_memory_size(capacity, max_skus);
        if (need == 0)
                return -EINVAL;
        if (!mem || size < need)
                return -ENOBUFS;
        b->capacity = capacity;
        b->max_skus = max_skus;
        b->n_slots = slots_for(capacity);
        b->count = 0;
        b->slots = mem;
        for (uint32_t i = 0; i < b->n_slots; i++)
                b->slots[i].type = EMPTY;
        b->open_types = (uint8_t *)(b->slots + b->n_slots);
        memset(b->open_types, 0, max_skus);
        return 0;
}

/* Whether an episode of type may be open for sku (exactly: its bit is set). */
static bool is_open(const struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku)
{
        return (unsigned)type < SW_ANOMALY_TYPE_COUNT && sku < b->max_skus &&
               (b->open_types[sku] >> type & 1u);
}

static uint32_t home(const struct sw_anomaly_book *b, uint8_t type, uint32_t sku)
{
        uint64_t k = ((uint64_t)type << 32 | sku) * 0x9e3779b97f4a7c15ull;
        return (uint32_t)(k >> 32) & (b->n_slots - 1);
}

/* Slot of (type, sku), or the empty slot where it would go. */
static uint32_t probe(const struct sw_anomaly_book *b, uint8_t type, uint32_t sku)
{
        uint32_t i = home(b, type, sku), mask = b->n_slots - 1;
        while (b->slots[i].type != EMPTY &&
               (b->slots[i].type != type || b->slots[i].sku_index != sku))
                i = (i + 1) & mask;
        return i;
}

int sw_anomaly_book_find(const struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku,
                         sw_day_t *ret_since)
{
        if (!is_open(b, type, sku))
                return -ENOENT;
        uint32_t i = probe(b, (uint8_t)type, sku);
        if (b->slots[i].type == EMPTY)
                return -ENOENT;
        *ret_since = b->slots[i].since;
        return 0;
}

int sw_anomaly_book_open(struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku,
                         sw_day_t since)
{
        if ((unsigned)type >= SW_ANOMALY_TYPE_COUNT || sku >= b->max_skus)
                return -EINVAL;
        if (is_open(b, type, sku))
                return -EEXIST;
        if (b->count >= b->capacity)
                return -ENOSPC;
        uint32_t i = probe(b, (uint8_t)type, sku);
        b->slots[i] = (struct sw_episode){.sku_index = sku, .type = (uint8_t)type, .since = since};
        b->count++;
        b->open_types[sku] |= (uint8_t)(1u << type);
        return 0;
}

int sw_anomaly_book_close(struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku)
{
        if (!is_open(b, type, sku))
                return -ENOENT;
        uint32_t mask = b->n_slots - 1, i = probe(b, (uint8_t)type, sku), j = i;
        /* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
        for (;;) {
                j = (j + 1) & mask;
                if (b->slots[j].type == EMPTY)
                        break;
                uint32_t h = home(b, b->slots[j].type, b->slots[j].sku_index);
                if (!sw_probe_stays(i, j, h)) {
                        b->slots[i] = b->slots[j];
                        i = j;
                }
        }
        b->slots[i].type = EMPTY;
        b->count--;
        b->open_types[sku] &= (uint8_t) ~(1u << type);
        return 0;
}

/* Two decimal digits of v (0..99) at p. */
static char *put_2digits(char *p, unsigned v)
{
        p[0] = (char)('0' + v / 10);
        p[1] = (char)('0' + v % 10);
        return p + 2;
}

int sw_anomaly_id(char *buf, size_t size, const char *store, enum sw_anomaly_type type,
                  const char *sku, sw_day_t since)
{
        int y, n;
        unsigned m, d;
        const struct sw_anomaly_type_desc *t = sw_anomaly_type_desc(type);
        if (!t)
                return -EINVAL;
        sw_civil_from_days(since, &y, &m, &d);
        if (y < 0 || y > 9999) { /* outside four digits: printf's layout */
                n = snprintf(buf, size, "%s-%s-%04d%02u%02u-%s", store, t->code, y, m, d, sku);
                if (n < 0 || (size_t)n >= size)
                        return -ENOSPC;
                return n;
        }
        /* Once per finding of a detection pass: written by hand, in the same layout. */
        size_t ls = strlen(store), lk = strlen(sku), len = ls + 13 + lk;
        if (len >= size || len > INT_MAX)
                return -ENOSPC;
        char *p = buf;
        memcpy(p, store, ls);
        p += ls;
        *p++ = '-';
        memcpy(p, t->code, 2);
        p += 2;
        *p++ = '-';
        p = put_2digits(p, (unsigned)y / 100);
        p = put_2digits(p, (unsigned)y % 100);
        p = put_2digits(p, m);
        p = put_2digits(p, d);
        *p++ = '-';
        memcpy(p, sku, lk + 1);
        return (int)len;
}
