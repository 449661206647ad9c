/* Store-wide context of a detection window: closed days and POS shortfalls of the store or a
 * category, which are evidence about the store or its feed, not about each SKU's shelf. */
#ifndef SW_STORE_CONTEXT_H
#define SW_STORE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store_calendar.h"
#include "core/sw_types.h"

/*
 * A day's breadth is the number of SKUs that sold anything on it. On a usual open day it
 * is steady (a share of the assortment sells every day, whatever the size of its orders);
 * a silent register or POS feed, or a category whose sales were not reported, shows as a
 * day far below it. The usual breadth of a day is the median of the window's open days of
 * its weekday (core/store_context.c). Days for which fewer than half of the store's SKUs had
 * data yet (before the gateway's first records) are not tested and set no usual breadth.
 */
struct sw_store_context_params {
        double shortfall_ratio;        /* a day below this share of its usual breadth is a
                                          shortfall; 0 turns the test off, [0, 1) */
        uint32_t min_store_breadth;    /* the store test needs a usual breadth of this many SKUs */
        uint32_t min_category_breadth; /* a category's test needs this many */
};

enum sw_context_day_flags {
        SW_CONTEXT_CLOSED = 1 << 0,          /* the calendar says closed (weekday or holiday) */
        SW_CONTEXT_STORE_SHORTFALL = 1 << 1, /* the whole store sold far below a usual day */
};

struct sw_store_context {
        struct sw_store_context_params p; /* tuning */
        uint16_t max_days;                /* window capacity */
        uint16_t max_categories;          /* category ids are below this */
        uint16_t categories_seen;         /* 1 + the highest category id added this window */
        uint32_t known_max;               /* most SKUs with data on any day of the window */
        sw_day_t from;                    /* first day of the current window */
        uint32_t n;                       /* days in the current window */
        uint32_t *store_breadth;          /* [max_days] SKUs that sold, per day */
        uint64_t *store_units;            /* [max_days] units the store sold, per day */
        uint32_t *store_known;            /* [max_days] SKUs with data for the day; until finish,
                                             SKUs whose data starts that day */
        uint16_t *category_breadth;       /* [max_categories * max_days], saturating */
        uint8_t *day_flags;               /* [max_days] enum sw_context_day_flags */
        uint8_t *category_short;          /* [max_categories * max_days / 8] bit per category-day */
        uint32_t store_shortfalls;        /* store shortfall days in the window */
        uint32_t category_shortfalls;     /* category-days with a shortfall in the window */
        sw_day_t newest_store_shortfall;  /* newest store shortfall day, SW_DAY_NONE if none */
        double *scratch;                  /* [max_days] for the medians */
};

/* Bytes for a window of max_days and category ids below max_categories. */
size_t sw_store_context_memory_size(uint16_t max_days, uint16_t max_categories);
/* -EINVAL for bad params, -ENOBUFS when size is too small. */
int sw_store_context_init(struct sw_store_context *c, const struct sw_store_context_params *p,
                          uint16_t max_days, uint16_t max_categories, void *mem, size_t size);

/* Start a window of n <= max_days days from `from`; marks the days the calendar closes. */
void sw_store_context_begin(struct sw_store_context *c, const struct sw_store_calendar *cal,
                            sw_day_t from, uint32_t n);
/* Count one SKU's sales over the window (units per day, n values); the SKU has data from
 * window day known_from on (earlier days are before its first record). */
void sw_store_context_add(struct sw_store_context *c, uint16_t category, const uint16_t *sales,
                          uint32_t known_from);
/* Decide the shortfall days of the store and of each category. */
void sw_store_context_finish(struct sw_store_context *c);

/* Flags of window day i. */
static inline uint8_t sw_store_context_day(const struct sw_store_context *c, uint32_t i)
{
        return c->day_flags[i];
}
/* Whether window day i is a shortfall of the category (not of the whole store). */
static inline bool sw_store_context_category_short(const struct sw_store_context *c,
                                                   uint16_t category, uint32_t i)
{
        if (category == 0 || category >= c->max_categories || i >= c->n)
                return false;
        size_t bit = (size_t)category * c->max_days + i;
        return c->category_short[bit / 8] & (1u << (bit % 8));
}
/* Whether window day i is closed or a shortfall of the store or of the category. */
static inline bool sw_store_context_censored(const struct sw_store_context *c, uint16_t category,
                                             uint32_t i)
{
        return i < c->n && (c->day_flags[i] || sw_store_context_category_short(c, category, i));
}

#endif
