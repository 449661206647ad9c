/* The list price against the one it replaced, the registers' price against the list, and the
 * largest recent receipt. */
#include "core/sku_watch.h"

#include <math.h>

uint16_t sw_watch_day16(sw_day_t day)
{
        return day == SW_DAY_NONE || day <= 0 || day > UINT16_MAX ? SW_WATCH_DAY_NONE
                                                                  : (uint16_t)day;
}

sw_day_t sw_watch_day(uint16_t day16)
{
        return day16 == SW_WATCH_DAY_NONE ? SW_DAY_NONE : (sw_day_t)day16;
}

static uint16_t units16(uint64_t units)
{
        return units > SW_WATCH_UNITS_MAX ? SW_WATCH_UNITS_MAX : (uint16_t)units;
}

void sw_price_watch_init(struct sw_price_watch *w)
{
        *w = (struct sw_price_watch){0};
}

static bool same_price(double a, double b)
{
        return fabs(log(a / b)) <= SW_PRICE_TOLERANCE;
}

static void end_streak(struct sw_price_watch *w)
{
        w->off_from = SW_WATCH_DAY_NONE;
        w->off_log_sum = 0.0f;
        w->off_last = w->off_lines = w->on_lines = 0;
}

bool sw_price_watch_list(struct sw_price_watch *w, bool has_held, double held, double price,
                         sw_day_t day)
{
        if (!(price > 0.0) || !isfinite(price))
                return false;
        if (has_held && held > 0.0 && same_price(held, price))
                return false;
        if (has_held && held > 0.0) {
                /* The held price becomes the reference unless it was itself short-lived (a
                 * slip now corrected): then the reference stays the price before it. */
                bool settled = w->list_since == SW_WATCH_DAY_NONE ||
                               (int64_t)day - w->list_since >= SW_PRICE_SETTLE_DAYS;
                if (settled || !(w->list_prev > 0.0f))
                        w->list_prev = (float)held;
        }
        w->list_since = sw_watch_day16(day);
        end_streak(w);
        return true;
}

/* Halve both counts and the sum before one of them would pass 255: mean and share stay. */
static void make_room(struct sw_price_watch *w)
{
        if (w->off_lines < UINT8_MAX && w->on_lines < UINT8_MAX)
                return;
        w->off_lines = (uint8_t)(w->off_lines / 2);
        w->on_lines = (uint8_t)(w->on_lines / 2);
        w->off_log_sum /= 2.0f;
}

void sw_price_watch_paid(struct sw_price_watch *w, double list, double paid, sw_day_t day)
{
        if (!(list > 0.0) || !(paid > 0.0) || !isfinite(list) || !isfinite(paid))
                return;
        double r = log(paid / list);
        bool off = fabs(r) > SW_PRICE_TOLERANCE;
        bool active = w->off_from != SW_WATCH_DAY_NONE &&
                      (int64_t)day <= (int64_t)w->off_from + w->off_last + SW_PAID_STREAK_DAYS;
        if (!off) {
                if (active) {
                        make_room(w);
                        w->on_lines++;
                }
                return;
        }
        if (!active) {
                end_streak(w);
                w->off_from = sw_watch_day16(day);
                if (w->off_from == SW_WATCH_DAY_NONE)
                        return;
        }
        make_room(w);
        w->off_lines++;
        w->off_log_sum += (float)r;
        int64_t last = (int64_t)day - w->off_from;
        if (last > w->off_last)
                w->off_last = (uint8_t)(last > UINT8_MAX ? UINT8_MAX : last);
}

double sw_price_watch_list_change(const struct sw_price_watch *w, double list, sw_day_t as_of,
                                  uint32_t *ret_age)
{
        if (ret_age)
                *ret_age = 0;
        if (!(w->list_prev > 0.0f) || !(list > 0.0) || w->list_since == SW_WATCH_DAY_NONE)
                return 0.0;
        int64_t age = (int64_t)as_of - 1 - w->list_since;
        if (age < 0)
                age = 0;
        if (age >= SW_PRICE_SETTLE_DAYS || same_price(list, w->list_prev))
                return 0.0;
        if (ret_age)
                *ret_age = (uint32_t)age;
        return log(list / w->list_prev);
}

struct sw_paid_summary sw_price_watch_paid_summary(const struct sw_price_watch *w, sw_day_t as_of)
{
        struct sw_paid_summary s = {.from = SW_DAY_NONE};
        if (w->off_from == SW_WATCH_DAY_NONE || w->off_lines == 0 ||
            (int64_t)w->off_from + w->off_last < (int64_t)as_of - SW_PAID_STREAK_DAYS)
                return s;
        s.off_lines = w->off_lines;
        s.lines = (uint32_t)w->off_lines + w->on_lines;
        s.mean_log = (double)w->off_log_sum / s.lines;
        s.off_mean = (double)w->off_log_sum / w->off_lines;
        s.from = sw_watch_day(w->off_from);
        return s;
}

void sw_receipt_watch_init(struct sw_receipt_watch *w)
{
        *w = (struct sw_receipt_watch){0};
}

void sw_receipt_watch_add(struct sw_receipt_watch *w, sw_day_t day, uint32_t units,
                          int32_t book_before)
{
        uint16_t d = sw_watch_day16(day);
        if (units == 0 || d == SW_WATCH_DAY_NONE)
                return;
        if (w->day == d) {
                w->units = units16((uint64_t)w->units + units);
                return;
        }
        bool stale = w->day == SW_WATCH_DAY_NONE || (int64_t)d - w->day >= SW_RECEIPT_DAYS;
        /* An older receipt arriving late replaces nothing newer unless it is larger. */
        if (stale || units >= w->units) {
                w->usual = w->units;
                w->day = d;
                w->units = units16(units);
                w->before = units16(book_before > 0 ? (uint64_t)book_before : 0);
        }
}

struct sw_receipt_watch sw_receipt_watch_recent(const struct sw_receipt_watch *w, sw_day_t as_of)
{
        if (w->day == SW_WATCH_DAY_NONE || (int64_t)w->day < (int64_t)as_of - SW_RECEIPT_DAYS)
                return (struct sw_receipt_watch){0};
        return *w;
}
