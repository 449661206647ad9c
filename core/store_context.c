/* Store-wide context of a detection window: closed days and POS shortfalls. */
#include "core/store_context.h"

#include <errno.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/sku_table.h"

/* A weekday needs this many open days in the window for a usual breadth of its own. */
#define CONTEXT_MIN_WEEKDAY_DAYS 3

static size_t context__bits_bytes(uint16_t max_days, uint16_t max_categories)
{
        return ((size_t)max_days * max_categories + 7) / 8;
}

size_t sw_store_context_memory_size(uint16_t max_days, uint16_t max_categories)
{
        return (size_t)max_days * (sizeof(double) + sizeof(uint64_t) + 2 * sizeof(uint32_t) + 1) +
               (size_t)max_days * max_categories * sizeof(uint16_t) +
               context__bits_bytes(max_days, max_categories) + 16;
}

int sw_store_context_init(struct sw_store_context *c, const struct sw_store_context_params *p,
                          uint16_t max_days, uint16_t max_categories, void *mem, size_t size)
{
        if (!c || !p || max_days == 0 || max_categories == 0 || !(p->shortfall_ratio >= 0.0) ||
            !(p->shortfall_ratio < 1.0))
                return -EINVAL;
        if (!mem || size < sw_store_context_memory_size(max_days, max_categories))
                return -ENOBUFS;
        char *at = mem;
        memset(c, 0, sizeof(*c));
        c->p = *p;
        c->max_days = max_days;
        c->max_categories = max_categories;
        c->scratch = (double *)(void *)at;
        at += (size_t)max_days * sizeof(double);
        c->store_units = (uint64_t *)(void *)at;
        at += (size_t)max_days * sizeof(uint64_t);
        c->store_breadth = (uint32_t *)(void *)at;
        at += (size_t)max_days * sizeof(uint32_t);
        c->store_known = (uint32_t *)(void *)at;
        at += (size_t)max_days * sizeof(uint32_t);
        c->category_breadth = (uint16_t *)(void *)at;
        at += (size_t)max_days * max_categories * sizeof(uint16_t);
        c->day_flags = (uint8_t *)at;
        at += max_days;
        c->category_short = (uint8_t *)at;
        c->newest_store_shortfall = SW_DAY_NONE;
        return 0;
}

void sw_store_context_begin(struct sw_store_context *c, const struct sw_store_calendar *cal,
                            sw_day_t from, uint32_t n)
{
        if (n > c->max_days)
                n = c->max_days;
        c->from = from;
        c->n = n;
        c->store_shortfalls = c->category_shortfalls = 0;
        c->newest_store_shortfall = SW_DAY_NONE;
        c->categories_seen = 0;
        memset(c->store_units, 0, (size_t)n * sizeof(uint64_t));
        memset(c->store_breadth, 0, (size_t)n * sizeof(uint32_t));
        memset(c->store_known, 0, (size_t)n * sizeof(uint32_t));
        memset(c->category_breadth, 0, (size_t)c->max_days * c->max_categories * sizeof(uint16_t));
        memset(c->category_short, 0, context__bits_bytes(c->max_days, c->max_categories));
        for (uint32_t i = 0; i < n; i++) {
                sw_day_t day = from + (sw_day_t)i;
                int wd = sw_weekday(day);
                bool closed = cal && (sw_calendar_is_holiday(cal, day) ||
                                      cal->open_minute[wd] >= cal->close_minute[wd]);
                c->day_flags[i] = closed ? SW_CONTEXT_CLOSED : 0;
        }
}

void sw_store_context_add(struct sw_store_context *c, uint16_t category, const uint16_t *sales,
                          uint32_t known_from)
{
        if (known_from < c->n)
                c->store_known[known_from]++; /* summed up by finish */
        uint16_t *cat = category < c->max_categories
                            ? c->category_breadth + (size_t)category * c->max_days
                            : NULL;
        /* Branch free, so that it vectorises: this runs for every SKU and day. */
        for (uint32_t i = 0; i < c->n; i++) {
                c->store_units[i] += sales[i];
                c->store_breadth[i] += sales[i] != 0;
        }
        for (uint32_t i = 0; cat && i < c->n; i++)
                cat[i] += (uint16_t)((sales[i] != 0) & (cat[i] != UINT16_MAX));
        if (cat && category >= c->categories_seen)
                c->categories_seen = (uint16_t)(category + 1);
}

/* Median of v[0..m) (sorted in place; m small: insertion sort). */
static double context__median(double *v, uint32_t m)
{
        for (uint32_t i = 1; i < m; i++) {
                double x = v[i];
                uint32_t j = i;
                for (; j > 0 && v[j - 1] > x; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
        return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

static double context__store_at(const void *series, uint32_t i)
{
        return ((const uint32_t *)series)[i];
}

static double context__category_at(const void *series, uint32_t i)
{
        return ((const uint16_t *)series)[i];
}

/* Whether window day i is open and enough of the store's SKUs had data for it to judge it. */
static bool context__testable(const struct sw_store_context *c, uint32_t i, uint32_t known_max)
{
        return !(c->day_flags[i] & SW_CONTEXT_CLOSED) &&
               2u * (uint64_t)c->store_known[i] >= known_max;
}

/* Median breadth of the testable days of weekday wd (all weekdays when wd is 7); 0 days: -1. */
static double context__usual(struct sw_store_context *c, double (*breadth)(const void *, uint32_t),
                             const void *series, unsigned wd, uint32_t *ret_days)
{
        uint32_t m = 0;
        for (uint32_t i = 0; i < c->n; i++)
                if (context__testable(c, i, c->known_max) &&
                    (wd == 7 || sw_weekday(c->from + (sw_day_t)i) == wd))
                        c->scratch[m++] = breadth(series, i);
        *ret_days = m;
        return m ? context__median(c->scratch, m) : -1.0;
}

/*
 * Mark the shortfall days of one breadth series: open days below shortfall_ratio x their
 * usual breadth, when that is at least min. The usual breadth of a day is the median of its
 * weekday's open days in the window (of all open days when its weekday has fewer than
 * CONTEXT_MIN_WEEKDAY_DAYS): medians, so one outage does not move what is usual.
 */
static void context__shortfalls(struct sw_store_context *c,
                                double (*breadth)(const void *, uint32_t), const void *series,
                                double min,
                                void (*mark)(struct sw_store_context *, uint32_t, uint16_t),
                                uint16_t arg)
{
        double usual[8];
        uint32_t days;
        usual[7] = context__usual(c, breadth, series, 7, &days);
        if (days == 0)
                return;
        for (unsigned wd = 0; wd < 7; wd++) {
                usual[wd] = context__usual(c, breadth, series, wd, &days);
                if (days < CONTEXT_MIN_WEEKDAY_DAYS)
                        usual[wd] = usual[7];
        }
        for (uint32_t i = 0; i < c->n; i++) {
                if (!context__testable(c, i, c->known_max))
                        continue;
                double expect = usual[sw_weekday(c->from + (sw_day_t)i)];
                if (expect >= min && breadth(series, i) < c->p.shortfall_ratio * expect)
                        mark(c, i, arg);
        }
}

static void context__mark_store(struct sw_store_context *c, uint32_t i, uint16_t unused)
{
        (void)unused;
        c->day_flags[i] |= SW_CONTEXT_STORE_SHORTFALL;
        c->store_shortfalls++;
        c->newest_store_shortfall = c->from + (sw_day_t)i;
}

static void context__mark_category(struct sw_store_context *c, uint32_t i, uint16_t category)
{
        size_t bit = (size_t)category * c->max_days + i;
        if (c->day_flags[i] & SW_CONTEXT_STORE_SHORTFALL)
                return; /* the store's, not the category's */
        c->category_short[bit / 8] |= (uint8_t)(1u << (bit % 8));
        c->category_shortfalls++;
}

void sw_store_context_finish(struct sw_store_context *c)
{
        c->known_max = 0;
        for (uint32_t i = 0; i < c->n; i++) {
                c->store_known[i] += i > 0 ? c->store_known[i - 1] : 0;
                if (c->store_known[i] > c->known_max)
                        c->known_max = c->store_known[i];
        }
        if (!(c->p.shortfall_ratio > 0.0) || c->n == 0)
                return;
        context__shortfalls(c, context__store_at, c->store_breadth, c->p.min_store_breadth,
                            context__mark_store, 0);
        /* Category 0 (unknown) is no category. */
        for (uint16_t k = 1; k < c->categories_seen; k++)
                context__shortfalls(c, context__category_at,
                                    c->category_breadth + (size_t)k * c->max_days,
                                    c->p.min_category_breadth, context__mark_category, k);
}
