/* Runs the detectors over the SKU table and turns verdicts into anomaly lifecycle events. */
#include "core/detect.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "core/detect_internal.h"

/* Pieces of the detector's memory, each rounded up to 8 bytes. */
#define DETECT_ALIGN(x) (((x) + 7u) & ~(size_t)7u)

size_t sw_detector_memory_size(uint16_t history_days, uint16_t max_categories,
                               uint32_t max_candidates)
{
        return DETECT_ALIGN((size_t)history_days * sizeof(double)) +
               DETECT_ALIGN((size_t)max_candidates * sizeof(struct sw_ghost_candidate)) +
               DETECT_ALIGN(sw_store_context_memory_size(history_days, max_categories)) +
               DETECT_ALIGN((size_t)history_days * sizeof(uint16_t)) +
               2 * DETECT_ALIGN(history_days);
}

int sw_detector_init(struct sw_detector *d, struct sw_sku_table *skus, struct sw_anomaly_book *book,
                     const struct sw_store_calendar *cal, uint32_t max_candidates, void *mem,
                     size_t size)
{
        uint16_t h = skus->p.history_days, cats = skus->p.max_categories;
        struct sw_store_context_params off = {.shortfall_ratio = 0.0};
        char *at = mem;
        if (max_candidates == 0)
                return -EINVAL;
        if (!mem || size < sw_detector_memory_size(h, cats, max_candidates))
                return -ENOBUFS;
        d->skus = skus;
        d->book = book;
        d->cal = cal;
        d->scratch_pushed = (double *)(void *)at;
        at += DETECT_ALIGN((size_t)h * sizeof(double));
        d->candidates = (struct sw_ghost_candidate *)(void *)at;
        d->max_candidates = max_candidates;
        d->n_candidates = 0;
        at += DETECT_ALIGN((size_t)max_candidates * sizeof(struct sw_ghost_candidate));
        size_t ctx = DETECT_ALIGN(sw_store_context_memory_size(h, cats));
        int r = sw_store_context_init(&d->context, &off, h, cats, at, ctx);
        if (r < 0)
                return r;
        at += ctx;
        d->scratch_sales = (uint16_t *)(void *)at;
        at += DETECT_ALIGN((size_t)h * sizeof(uint16_t));
        d->scratch_weekday = (uint8_t *)at;
        at += DETECT_ALIGN(h);
        d->scratch_censored = (uint8_t *)at;
        d->weekday_from = SW_DAY_NONE;
        d->weekday_n = 0;
        d->quiet_updates = false;
        d->tuning = NULL;
        d->day_open = false;
        d->day_as_of = SW_DAY_NONE;
        sw_ghost_pool_reset(&d->pool);
        return 0;
}

void sw_detect__store_context(struct sw_detector *d, sw_day_t as_of)
{
        uint32_t h = d->skus->p.history_days;
        sw_day_t first = as_of - (sw_day_t)h;
        if (d->day_open && d->day_as_of == as_of)
                return;
        sw_store_context_begin(&d->context, d->cal, first, h);
        for (uint32_t i = 0; i < d->skus->count; i++) {
                const struct sw_sku *s = sw_sku_at(d->skus, i);
                if (s->last_day == SW_DAY_NONE || s->first_day >= as_of)
                        continue;
                /* Days the ring does not hold read as 0: no sale seen. */
                sw_sku_sold_series(d->skus, i, first, h, d->scratch_sales);
                sw_store_context_add(&d->context, s->category, d->scratch_sales,
                                     s->first_day > first ? (uint32_t)(s->first_day - first) : 0);
        }
        sw_store_context_finish(&d->context);
}

void sw_detect_day_begin(struct sw_detector *d, sw_day_t as_of)
{
        d->day_open = false;
        sw_detect__store_context(d, as_of);
        d->day_open = true;
        d->day_as_of = as_of;
}

void sw_detect_day_end(struct sw_detector *d)
{
        d->day_open = false;
}

/* Say why an episode ended, in place of the (now moot) evidence text. */
static void describe_cleared(const struct sw_detector *d, struct sw_finding *f)
{
        const struct sw_sku *s = sw_sku_at(d->skus, f->sku_index);
        const struct sw_shelf *sh = sw_sku_shelf(d->skus, f->sku_index);
        struct sw_cleared_facts facts = {.on_hand = s->on_hand, .shelf_count = sh ? sh->count : -1};
        (void)sw_anomaly_cleared_text(f->type, &facts, f->description, sizeof(f->description));
}

int sw_detect__transition(struct sw_detector *d, struct sw_finding *f, bool flagged, bool gone,
                          sw_day_t new_since, sw_finding_fn fn, void *ctx,
                          struct sw_detect_summary *sum)
{
        sw_day_t since;
        bool open = sw_anomaly_book_find(d->book, f->type, f->sku_index, &since) == 0;
        int r;

        if (flagged) {
                f->status = SW_STATUS_OPEN;
                f->is_new = !open;
                f->since = open ? since : new_since;
                if (!open && d->book->count >= d->book->capacity) {
                        sum->book_full++;
                        return 0;
                }
                if (open && d->quiet_updates)
                        return 0;
                r = fn(ctx, f);
                if (r < 0)
                        return r;
                if (!open && r == SW_FINDING_SUPPRESSED) {
                        sum->suppressed++;
                        return 0;
                }
                if (!open)
                        (void)sw_anomaly_book_open(d->book, f->type, f->sku_index, f->since);
                if (open)
                        sum->updated++;
                else
                        sum->opened++;
                return 0;
        }
        if (!open || !gone)
                return 0;
        f->status = SW_STATUS_CLEARED;
        f->is_new = false;
        f->since = since;
        describe_cleared(d, f);
        r = fn(ctx, f);
        if (r < 0)
                return r;
        (void)sw_anomaly_book_close(d->book, f->type, f->sku_index);
        sum->cleared++;
        return 0;
}

double sw_detect__scale(const struct sw_detector *d, enum sw_anomaly_type type,
                        const struct sw_sku *s)
{
        return d->tuning ? sw_tuning_scale(d->tuning, type, s->category) : 1.0;
}

double sw_detect__sku_price(const struct sw_sku *s)
{
        return (s->flags & SW_SKU_HAS_PRICE) && isfinite(s->price) && s->price > 0 ? s->price : 0.0;
}

uint32_t sw_detect__fill_series(struct sw_detector *d, uint32_t index, sw_day_t as_of,
                                uint32_t *ret_known)
{
        const struct sw_sku *s = sw_sku_at(d->skus, index);
        uint32_t h = d->skus->p.history_days, known = 0;
        sw_day_t oldest_held = s->last_day - (sw_day_t)h + 1;
        uint32_t n = h;
        /* The ring only reaches back to oldest_held. */
        if (as_of - (sw_day_t)n < oldest_held)
                n = as_of > oldest_held ? (uint32_t)(as_of - oldest_held) : 0;
        sw_day_t from = as_of - (sw_day_t)n;
        sw_sku_sold_series(d->skus, index, from, n, d->scratch_sales);
        sw_sku_pushed_series(d->skus, index, from, n, d->scratch_pushed);
        /* Most SKUs of a pass share one window: its weekdays are written once. */
        if (from != d->weekday_from || n > d->weekday_n) {
                for (uint32_t i = 0, weekday = n ? (uint32_t)sw_weekday(from) : 0; i < n; i++) {
                        d->scratch_weekday[i] = (uint8_t)weekday;
                        weekday = weekday == 6 ? 0 : weekday + 1;
                }
                d->weekday_from = from;
                d->weekday_n = n;
        }
        known = from >= s->first_day
                    ? n
                    : (as_of > s->first_day ? (uint32_t)(as_of - s->first_day) : 0);
        *ret_known = known < n ? known : n;
        return n;
}

sw_day_t sw_detect__day_of(const struct sw_detector *d, uint32_t ts, sw_day_t fallback)
{
        struct sw_local_time t;
        if (ts == 0 || d->cal->tz.to_local(d->cal->tz.ctx, ts, &t) < 0)
                return fallback;
        return t.day;
}

/*
 * The shelf reads 0 while the book shows stock: zero sustained across readings. The time
 * is what lay between zero readings (ingest caps a long gap), never the time since the last
 * reading: a sensor that stops reporting is not an empty shelf. A sensor drops a reading to
 * 0 now and then (false_zero_rate), so k readings in a row are wrong with probability
 * rate^k.
 */
static int check_shelf_out(struct sw_detector *d, uint32_t i, const struct sw_local_time *now_local,
                           sw_finding_fn fn, void *ctx, struct sw_detect_summary *sum)
{
        const struct sw_sku *s = sw_sku_at(d->skus, i);
        const struct sw_shelf *sh = sw_sku_shelf(d->skus, i);
        struct sw_finding f = {.type = SW_ANOMALY_SHELF_OUT,
                               .sku_index = i,
                               .as_of = now_local->day,
                               .action = sw_anomaly_type_desc(SW_ANOMALY_SHELF_OUT)->action};
        uint32_t zero_s = sh->count == 0 ? sh->zero_open_s : 0;
        uint32_t readings = sh->count == 0 ? sh->zero_readings : 0;
        double need = d->shelf_out.zero_seconds * sw_detect__scale(d, SW_ANOMALY_SHELF_OUT, s);
        bool flagged = sh->count == 0 && s->on_hand > 0 && zero_s >= need &&
                       readings >= d->shelf_out.min_readings;
        bool gone = sh->count != 0 || s->on_hand <= 0;
        double ratio = need > 0 ? (double)zero_s / need : 1.0;
        f.stock = (struct sw_stock_evidence){
            .on_hand = s->on_hand, .shelf_count = sh->count, .duration_s = zero_s};
        f.probability = 1.0 - pow(d->shelf_out.false_zero_rate, readings);
        f.score = ratio;
        f.severity = ratio >= 2 && readings >= 2 * d->shelf_out.min_readings ? SW_SEVERITY_CRITICAL
                                                                             : SW_SEVERITY_WARNING;
        f.value = s->on_hand > 0 ? s->on_hand * sw_detect__sku_price(s) : 0;
        snprintf(f.description, sizeof(f.description),
                 "Shelf read 0 at %u readings over %u min of opening hours | Book shows %d units",
                 readings, zero_s / 60, s->on_hand);
        /* The episode starts on the day the shelf went empty: independent of when we look. */
        return sw_detect__transition(d, &f, flagged, gone,
                                     sw_detect__day_of(d, sh->zero_since, now_local->day), fn, ctx,
                                     sum);
}

static int check_discrepancy(struct sw_detector *d, uint32_t i,
                             const struct sw_local_time *now_local, sw_finding_fn fn, void *ctx,
                             struct sw_detect_summary *sum)
{
        const struct sw_sku *s = sw_sku_at(d->skus, i);
        const struct sw_shelf *sh = sw_sku_shelf(d->skus, i);
        struct sw_finding f = {.type = SW_ANOMALY_INVENTORY_DISCREPANCY,
                               .sku_index = i,
                               .as_of = now_local->day,
                               .action =
                                   sw_anomaly_type_desc(SW_ANOMALY_INVENTORY_DISCREPANCY)->action};
        bool negative = s->on_hand < 0;
        uint32_t above_s =
            sh && sh->above_since && sh->ts > sh->above_since ? sh->ts - sh->above_since : 0;
        bool above = sh && sh->above_since && sh->count > s->on_hand &&
                     above_s >= d->discrepancy.shelf_above_seconds *
                                    sw_detect__scale(d, SW_ANOMALY_INVENTORY_DISCREPANCY, s);
        int32_t shelf_count = sh ? sh->count : -1;
        f.stock = (struct sw_stock_evidence){.on_hand = s->on_hand,
                                             .shelf_count = shelf_count,
                                             .duration_s = above_s,
                                             .negative_book = negative};
        f.severity = SW_SEVERITY_WARNING;
        if (negative) {
                /* A negative book is impossible stock: the record is certainly wrong. */
                f.probability = 0.99;
                f.score = -(double)s->on_hand;
                f.value = -(double)s->on_hand * sw_detect__sku_price(s);
                snprintf(f.description, sizeof(f.description),
                         "Book on-hand is %d: more sold than recorded stock", s->on_hand);
        } else if (above) {
                f.probability = 0.9;
                f.score = shelf_count - s->on_hand;
                f.value = (double)(shelf_count - s->on_hand) * sw_detect__sku_price(s);
                snprintf(f.description, sizeof(f.description),
                         "Shelf reads %d units but book shows %d for %u h", shelf_count, s->on_hand,
                         above_s / 3600);
        }
        /* No shelf state (no sensor reported the SKU): only a negative book can be flagged. */
        uint32_t since_ts = negative ? s->book_negative_since : sh ? sh->above_since : 0;
        sw_day_t since = sw_detect__day_of(d, since_ts, now_local->day);
        /* Gone only when the condition itself ended, not when a learnt scale raised the
         * threshold above how long it has held. */
        bool shelf_above = sh && sh->above_since && sh->count > s->on_hand;
        return sw_detect__transition(d, &f, negative || above, !negative && !shelf_above, since, fn,
                                     ctx, sum);
}

int sw_detect_stock(struct sw_detector *d, int64_t now, const struct sw_local_time *now_local,
                    sw_finding_fn fn, void *ctx, struct sw_detect_summary *ret)
{
        struct sw_detect_summary sum = {.newest_store_shortfall = SW_DAY_NONE};
        int r;
        (void)now; /* durations are measured between readings, not to now */
        for (uint32_t i = 0; i < d->skus->count; i++) {
                sum.evaluated++;
                if (d->shelf_out.enabled && sw_sku_shelf(d->skus, i)) {
                        r = check_shelf_out(d, i, now_local, fn, ctx, &sum);
                        if (r < 0)
                                return r;
                }
                if (d->discrepancy.enabled) {
                        r = check_discrepancy(d, i, now_local, fn, ctx, &sum);
                        if (r < 0)
                                return r;
                }
        }
        if (ret)
                *ret = sum;
        return 0;
}
