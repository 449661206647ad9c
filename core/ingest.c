/* Applies decoded device messages to the SKU table. */
#include "core/ingest.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

void sw_ingest_init(struct sw_ingest *in, const struct sw_ingest_params *p,
                    struct sw_sku_table *skus, struct sw_dedup *dedup,
                    const struct sw_store_calendar *cal)
{
        memset(in, 0, sizeof(*in));
        in->p = *p;
        in->skus = skus;
        in->dedup = dedup;
        in->cal = cal;
}

void sw_ingest_count_reject(struct sw_ingest *in, enum sw_msg_kind kind,
                            enum sw_reject_reason reason)
{
        if ((unsigned)kind < SW_MSG_KIND_COUNT && (unsigned)reason < SW_REJECT_REASON_COUNT)
                in->counters.rejected[kind][reason]++;
}

static int32_t sat_add(int32_t a, int64_t b)
{
        int64_t v = (int64_t)a + b;
        return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static uint32_t ts32(int64_t ts)
{
        return ts <= 0 ? 0 : ts >= UINT32_MAX ? UINT32_MAX : (uint32_t)ts;
}

/* Track since when the book has been negative (for the discrepancy episode's start) and the
 * days of the latest stock-out, from the first day the book was at or below zero to the
 * newest (the ghost test censors them). was_out: the book was <= 0 before this event, so it
 * was on this day too. */
static void note_book(struct sw_sku *s, int64_t ts, sw_day_t day, bool was_out)
{
        if (s->on_hand >= 0)
                s->book_negative_since = 0;
        else if (s->book_negative_since == 0)
                s->book_negative_since = ts32(ts);
        if (!(s->on_hand <= 0 || was_out))
                return;
        /* A new stock-out, or the current one lasting: days before `day` when it was out and
         * nothing happened are covered by the range. */
        if (!was_out || s->stockout_from == SW_DAY_NONE)
                s->stockout_from = day;
        if (s->stockout_day == SW_DAY_NONE || day > s->stockout_day)
                s->stockout_day = day;
}

/* A SKU's history starts at its first record of any kind, not at its first sale: days from
 * then on with no sale are known zeros. */
static void note_record(struct sw_ingest *in, uint32_t index, sw_day_t day)
{
        if (sw_sku_at(in->skus, index)->first_day == SW_DAY_NONE)
                sw_sku_advance(in->skus, index, day);
}

/* Look up or add the SKU of an item; false (counted) when the table is full. */
static bool item_sku(struct sw_ingest *in, const struct sw_item *it, uint32_t *ret_index)
{
        int r = sw_sku_table_get_or_add(in->skus, it->sku, it->sku_len, ret_index);
        if (r == 1) /* new: its event is this message's, even an old one */
                sw_sku_at(in->skus, *ret_index)->last_event_day = in->message_day;
        else if (r == 0)
                sw_sku_note_event(in->skus, *ret_index, in->message_day);
        if (r >= 0)
                return true;
        in->counters.lines_skipped_full++;
        return false;
}

/* item_sku for a line of a message: a line that does not fit is skipped, not fatal. */
static bool line_sku(struct sw_ingest *in, const struct sw_item *it, struct sw_ingest_result *r,
                     uint32_t *ret_index)
{
        if (item_sku(in, it, ret_index))
                return true;
        r->items_skipped++;
        r->skipped_table_full++;
        return false;
}

/* line_sku for a record that dates the SKU's history (a receipt, an inventory item): the SKU,
 * or NULL when it does not fit. */
static struct sw_sku *record_sku(struct sw_ingest *in, const struct sw_item *it, sw_day_t day,
                                 struct sw_ingest_result *r, uint32_t *ret_index)
{
        if (!line_sku(in, it, r, ret_index))
                return NULL;
        note_record(in, *ret_index, day);
        return sw_sku_at(in->skus, *ret_index);
}

/* An item not newer than the state held: ignored, counted. */
static void skip_stale(struct sw_ingest *in, struct sw_ingest_result *r)
{
        in->counters.stale_items++;
        r->items_skipped++;
        r->skipped_stale++;
}

/* A book change from an event at ts applies only if the book was not set after ts. */
static bool book_applies(const struct sw_sku *s, int64_t ts)
{
        return (int64_t)s->book_as_of < ts || !(s->flags & SW_SKU_HAS_BOOK);
}

/* Move the book by delta units for an event at ts, unless a newer inventory record holds. */
static void move_book(struct sw_sku *s, int64_t ts, sw_day_t day, int64_t delta)
{
        if (!book_applies(s, ts))
                return;
        bool was_out = (s->flags & SW_SKU_HAS_BOOK) && s->on_hand <= 0;
        s->on_hand = sat_add(s->on_hand, delta);
        note_book(s, ts, day, was_out);
}

/* Set the book to qty units, as an inventory record or a count made at ts says. */
static void set_book(struct sw_sku *s, int64_t ts, sw_day_t day, int32_t qty)
{
        bool was_out = (s->flags & SW_SKU_HAS_BOOK) && s->on_hand <= 0;
        s->on_hand = qty;
        s->book_as_of = ts32(ts);
        s->flags |= SW_SKU_HAS_BOOK;
        note_book(s, ts, day, was_out);
}

static void apply_pos_line(struct sw_ingest *in, const struct sw_item *it, int64_t ts, sw_day_t day,
                           struct sw_ingest_result *r)
{
        uint32_t i;
        struct sw_sku *s;
        if (!line_sku(in, it, r, &i))
                return;
        s = sw_sku_at(in->skus, i);
        /* Gross units sold feed the detectors; returns only move the book. */
        if (it->qty > 0 && sw_sku_add_sold(in->skus, i, day, (uint32_t)it->qty) == -ENOSPC)
                in->counters.sales_saturated++;
        else
                sw_sku_advance(in->skus, i, day);
        move_book(s, ts, day, -(int64_t)it->qty);
        /* The price paid against the list price: a register charging another price is a
         * price error to check (ml_detected). Returns are refunds, not prices charged. */
        if ((it->has & SW_HAS_PRICE) && (s->flags & SW_SKU_HAS_LIST_PRICE) && it->qty > 0)
                sw_price_watch_paid(&s->price_watch, s->price, it->price, day);
        if ((it->has & SW_HAS_PRICE) && !(s->flags & SW_SKU_HAS_LIST_PRICE)) {
                s->price = it->price;
                s->flags |= SW_SKU_HAS_PRICE;
        }
        sw_sku_mark_dirty(in->skus, i);
        r->items_applied++;
}

static void apply_receipt_line(struct sw_ingest *in, const struct sw_item *it, int64_t ts,
                               sw_day_t day, struct sw_ingest_result *r)
{
        uint32_t i;
        struct sw_sku *s = record_sku(in, it, day, r, &i);
        if (!s)
                return;
        if (it->qty > 0)
                sw_receipt_watch_add(&s->receipt_watch, day, (uint32_t)it->qty, s->on_hand);
        move_book(s, ts, day, it->qty);
        sw_sku_mark_dirty(in->skus, i);
        r->items_applied++;
}

static void apply_inventory_item(struct sw_ingest *in, const struct sw_item *it, int64_t ts,
                                 sw_day_t day, struct sw_ingest_result *r)
{
        uint32_t i;
        struct sw_sku *s = record_sku(in, it, day, r, &i);
        if (!s)
                return;
        if (it->has & SW_HAS_ON_HAND) {
                /* A record not newer than the one held (a replay, a resend) must not roll
                 * the book back over sales applied since. */
                if (!book_applies(s, ts)) {
                        in->counters.stale_items++;
                        r->skipped_stale++;
                } else {
                        set_book(s, ts, day, it->qty);
                }
        }
        if (it->has & SW_HAS_PRICE) {
                (void)sw_price_watch_list(&s->price_watch, s->flags & SW_SKU_HAS_LIST_PRICE,
                                          s->price, it->price, day);
                s->price = it->price;
                s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE;
        }
        if (it->has & SW_HAS_CATEGORY) {
                uint16_t cat;
                if (sw_sku_table_category(in->skus, it->category, it->category_len, &cat) >= 0)
                        s->category = cat;
                else
                        in->counters.categories_full++;
        }
        sw_sku_mark_dirty(in->skus, i);
        r->items_applied++;
}

static void apply_shelf_reading(struct sw_ingest *in, const struct sw_item *it, int64_t ts,
                                const struct sw_local_time *ev_local, struct sw_ingest_result *r)
{
        uint32_t i;
        struct sw_sku *s;
        struct sw_shelf *sh;
        if (!line_sku(in, it, r, &i))
                return;
        if (sw_sku_shelf_get_or_add(in->skus, i, &sh) < 0) {
                in->counters.shelves_full++;
                r->items_skipped++;
                r->skipped_shelves_full++;
                return;
        }
        s = sw_sku_at(in->skus, i);
        if (sh->count >= 0 && ts <= (int64_t)sh->ts) {
                skip_stale(in, r);
                return;
        }
        note_record(in, i, ev_local->day);
        if (it->qty == 0 && sh->count == 0) {
                struct sw_local_time prev;
                if (in->cal->tz.to_local(in->cal->tz.ctx, sh->ts, &prev) == 0) {
                        uint32_t gap = sw_calendar_open_seconds_between(in->cal, &prev, ev_local);
                        /* A long gap between two zero readings is not known to be zero time. */
                        uint64_t sum =
                            (uint64_t)sh->zero_open_s +
                            (gap < in->p.max_shelf_gap_seconds ? gap : in->p.max_shelf_gap_seconds);
                        sh->zero_open_s = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
                }
                if (sh->zero_readings < UINT32_MAX)
                        sh->zero_readings++;
        } else if (it->qty == 0) {
                sh->zero_open_s = 0;
                sh->zero_since = ts32(ts);
                sh->zero_readings = 1;
        } else {
                sh->zero_open_s = 0;
                sh->zero_since = 0;
                sh->zero_readings = 0;
        }
        if (it->qty > s->on_hand) {
                if (sh->above_since == 0)
                        sh->above_since = ts32(ts);
        } else {
                sh->above_since = 0;
        }
        sh->count = it->qty;
        sh->ts = ts32(ts);
        sw_sku_mark_dirty(in->skus, i);
        r->items_applied++;
}

static void apply_count(struct sw_ingest *in, const struct sw_item *it, int64_t ts, sw_day_t day,
                        struct sw_ingest_result *r)
{
        uint32_t i;
        struct sw_sku *s;
        if (!item_sku(in, it, &i)) {
                r->outcome = SW_INGEST_REJECTED;
                r->reason = SW_REJECT_SKU_TABLE_FULL;
                return;
        }
        s = sw_sku_at(in->skus, i);
        r->sku_index = i;
        r->book_before = s->on_hand;
        r->sku_before = *s;
        /* A count older than the book held (a delayed upload after a newer inventory
         * record) must not roll the book back: applied as "no change". */
        if (!book_applies(s, ts)) {
                r->adjustment = 0;
                skip_stale(in, r);
                return;
        }
        r->adjustment = (int32_t)((int64_t)it->qty - s->on_hand);
        set_book(s, ts, day, it->qty);
        sw_sku_mark_dirty(in->skus, i);
        r->items_applied++;
}

/* Refuse forecasts outside what the forecast ring holds: today + horizon back to
 * today - (forecast_days - horizon) + 1. */
static enum sw_reject_reason check_forecast_dates(const struct sw_ingest *in,
                                                  const struct sw_msg *m, sw_day_t today,
                                                  bool *ret_ok)
{
        for (uint32_t k = 0; k < m->n_items; k++) {
                sw_day_t d = m->items[k].date;
                if (d > today + in->p.forecast_horizon_days) {
                        *ret_ok = false;
                        return SW_REJECT_IN_FUTURE;
                }
                if (d <=
                    today - (sw_day_t)(in->skus->p.forecast_days - in->p.forecast_horizon_days)) {
                        *ret_ok = false;
                        return SW_REJECT_TOO_OLD;
                }
        }
        *ret_ok = true;
        return SW_REJECT_REASON_COUNT;
}

static int reject(struct sw_ingest *in, const struct sw_msg *m, enum sw_reject_reason reason,
                  struct sw_ingest_result *r)
{
        r->outcome = SW_INGEST_REJECTED;
        r->reason = reason;
        sw_ingest_count_reject(in, m->kind, reason);
        return 0;
}

static void apply_forecast_item(struct sw_ingest *in, const struct sw_item *it,
                                struct sw_ingest_result *ret)
{
        uint32_t i;
        if (!line_sku(in, it, ret, &i))
                return;
        if (sw_sku_set_pushed_forecast(in->skus, i, it->date, it->units) < 0) {
                skip_stale(in, ret);
                return;
        }
        sw_sku_mark_dirty(in->skus, i);
        ret->items_applied++;
}

/* Every item of an accepted message, by its kind. */
static void apply_items(struct sw_ingest *in, const struct sw_msg *m,
                        const struct sw_local_time *ev, struct sw_ingest_result *ret)
{
        for (uint32_t k = 0; k < m->n_items; k++) {
                const struct sw_item *it = &m->items[k];
                switch (m->kind) {
                case SW_MSG_POS:
                        apply_pos_line(in, it, m->ts, ev->day, ret);
                        break;
                case SW_MSG_RECEIPT:
                        apply_receipt_line(in, it, m->ts, ev->day, ret);
                        break;
                case SW_MSG_INVENTORY:
                        apply_inventory_item(in, it, m->ts, ev->day, ret);
                        break;
                case SW_MSG_FORECAST:
                        apply_forecast_item(in, it, ret);
                        break;
                case SW_MSG_SHELF:
                        apply_shelf_reading(in, it, m->ts, ev, ret);
                        break;
                case SW_MSG_COUNT:
                        apply_count(in, it, m->ts, ev->day, ret);
                        break;
                default:
                        break;
                }
        }
}

/* The message's time against now and the history: SW_REJECT_REASON_COUNT when it may be
 * applied (*ev is its local time, zero without ts), else why not; -errno from the clock. */
static int check_time(struct sw_ingest *in, const struct sw_msg *m, int64_t now,
                      const struct sw_local_time *now_local, struct sw_local_time *ev)
{
        if (m->has_ts) {
                if (m->ts > now + in->p.max_future_seconds)
                        return SW_REJECT_IN_FUTURE;
                int r = in->cal->tz.to_local(in->cal->tz.ctx, m->ts, ev);
                if (r < 0)
                        return r;
                /* Only POS lines land in the history ring, so only they can be too old. */
                if (m->kind == SW_MSG_POS &&
                    ev->day <= now_local->day - (sw_day_t)in->skus->p.history_days)
                        return SW_REJECT_TOO_OLD;
                in->message_day = ev->day;
        }
        if (m->kind == SW_MSG_FORECAST) {
                bool ok;
                enum sw_reject_reason why = check_forecast_dates(in, m, now_local->day, &ok);
                if (!ok)
                        return (int)why;
        }
        return SW_REJECT_REASON_COUNT;
}

int sw_ingest_apply(struct sw_ingest *in, const struct sw_msg *m, int64_t now,
                    struct sw_ingest_result *ret)
{
        struct sw_local_time now_local, ev = {0};
        uint64_t id_hash = 0;
        uint32_t i;
        int r;

        memset(ret, 0, sizeof(*ret));
        ret->event_clock_before = in->event_clock;
        r = in->cal->tz.to_local(in->cal->tz.ctx, now, &now_local);
        if (r < 0)
                return r;
        /* For reclaiming SKUs when the table is full (core/sku_reclaim.c). */
        sw_sku_table_set_today(in->skus, now_local.day);
        in->message_day = now_local.day;
        r = check_time(in, m, now, &now_local, &ev);
        if (r < 0)
                return r;
        if (r != SW_REJECT_REASON_COUNT)
                return reject(in, m, (enum sw_reject_reason)r, ret);
        sw_sku_table_set_message_day(in->skus, in->message_day);
        if (m->id) {
                id_hash = sw_dedup_hash(m->id, m->id_len);
                if (sw_dedup_contains(in->dedup, id_hash)) {
                        ret->outcome = SW_INGEST_DUPLICATE;
                        in->counters.duplicates[m->kind]++;
                        return 0;
                }
        }
        /* A count sets the book of a SKU the store system told us about; a count of an unknown
         * SKU is a scanning mistake more often than a new product, and must change nothing. */
        if (m->kind == SW_MSG_COUNT && m->n_items > 0 &&
            sw_sku_table_find(in->skus, m->items[0].sku, m->items[0].sku_len, &i) < 0)
                return reject(in, m, SW_REJECT_UNKNOWN_SKU, ret);
        ret->outcome = SW_INGEST_ACCEPTED;
        apply_items(in, m, &ev, ret);
        if (ret->outcome == SW_INGEST_REJECTED) {
                sw_ingest_count_reject(in, m->kind, ret->reason);
                return 0;
        }
        if (m->id)
                sw_dedup_insert(in->dedup, id_hash);
        if (m->has_ts && m->ts > in->event_clock)
                in->event_clock = m->ts;
        in->counters.accepted[m->kind]++;
        return 0;
}

int sw_ingest_undo_count(struct sw_ingest *in, const struct sw_msg *m,
                         const struct sw_ingest_result *res)
{
        struct sw_sku *s;
        int r = 0;
        if (!m || !res || m->kind != SW_MSG_COUNT || res->outcome != SW_INGEST_ACCEPTED ||
            res->sku_index >= in->skus->count)
                return -EINVAL;
        s = sw_sku_at(in->skus, res->sku_index);
        /* The dirty mark stays as it is now: the SKU is on the dirty list once. */
        uint8_t dirty = s->flags & SW_SKU_DIRTY;
        *s = res->sku_before;
        s->flags = (uint8_t)((s->flags & ~SW_SKU_DIRTY) | dirty);
        if (m->id)
                r = sw_dedup_forget_newest(in->dedup, sw_dedup_hash(m->id, m->id_len));
        in->event_clock = res->event_clock_before;
        if (in->counters.accepted[SW_MSG_COUNT] > 0)
                in->counters.accepted[SW_MSG_COUNT]--;
        in->counters.rejected[SW_MSG_COUNT][SW_REJECT_STORAGE_ERROR]++;
        return r == 1 ? 1 : 0;
}
