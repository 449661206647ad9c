/* What ml_detected watches per SKU between detections: its prices (16 bytes), its receipts (8). */
#ifndef SW_SKU_WATCH_H
#define SW_SKU_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sw_types.h"

/*
 * Two signals of a price error, kept per SKU by ingest and read by the ML features
 * (docs/detectors.md, "Isolation Forest", scaled features):
 *
 * - **The list price against the one it replaced.** A new list price (P/inventory `price`
 *   differing from the held one by more than SW_PRICE_TOLERANCE in log terms) remembers the
 *   price before it as list_prev, unless the held price had itself been in force for fewer
 *   than SW_PRICE_SETTLE_DAYS days: then it was short-lived (a slip being corrected, say),
 *   and list_prev stays the price before it. So a wrong price file gives ln(wrong / right),
 *   and its correction gives ln(right / right) = 0, not a second alarm.
 * - **The price paid at the registers against the list price.** A POS line (qty > 0, with a
 *   `price`) on a SKU with a list price is "off" when |ln(paid / list)| > SW_PRICE_TOLERANCE.
 *   The first off line starts a streak; every POS line with a price counts in it (off ones
 *   add their ln(paid / list)) until 7 days pass without an off line, or the list price
 *   changes (the lines were judged against another price). The streak's mean, sum over its
 *   lines of ln(paid / list) with on-list lines 0, is the registers' typical deviation.
 *
 * Counts are 8 bits: when one would pass 255 both counts and the sum are halved, which keeps
 * the mean and the share of off lines. Days are 16 bits (a store-local day, days since
 * 1970-01-01, through 2149; 0 = none), units 16 bits saturating at 65535: 24 bytes a SKU in
 * all, held for every SKU of the table.
 */
#define SW_WATCH_DAY_NONE    0     /* a 16-bit day that is none */
#define SW_WATCH_UNITS_MAX   65535 /* 16-bit units saturate here */
#define SW_PRICE_TOLERANCE   0.02  /* |ln ratio| at or below this is the same price (2%) */
#define SW_PRICE_SETTLE_DAYS 14    /* a list price in force this long is the established one */
#define SW_PAID_STREAK_DAYS  7     /* a streak ends after this many days without an off line */

struct sw_price_watch {
        float list_prev;     /* established list price the current one replaced, 0 = none */
        float off_log_sum;   /* sum of ln(paid / list) over the streak's off-list lines */
        uint16_t list_since; /* day the current list price took effect, 0 = none */
        uint16_t off_from;   /* first day of the registers' off-list streak, 0 = none */
        uint8_t off_last;    /* days from off_from to the streak's latest off line (<= 255) */
        uint8_t off_lines;   /* POS lines of the streak paid off the list price */
        uint8_t on_lines;    /* POS lines of the streak paid at the list price */
        uint8_t reserved;    /* 0 */
};

/* A day in 16 bits (SW_WATCH_DAY_NONE for SW_DAY_NONE or a day outside 1970-01-02 ..
 * 2149), and back. */
uint16_t sw_watch_day16(sw_day_t day);
sw_day_t sw_watch_day(uint16_t day16);

/* An empty watch: no list price, no streak. */
void sw_price_watch_init(struct sw_price_watch *w);

/*
 * A list price `price` recorded on `day` for a SKU whose list price was `held` (has_held
 * false: none yet). Returns true when the watch took it as a new list price (the first, or
 * a change beyond SW_PRICE_TOLERANCE), which also ends the registers' streak; false for the
 * same price again, or a price that is not positive and finite (ignored here).
 */
bool sw_price_watch_list(struct sw_price_watch *w, bool has_held, double held, double price,
                         sw_day_t day);

/* A POS line paid `paid` a unit on `day`, the list price being `list` (> 0). */
void sw_price_watch_paid(struct sw_price_watch *w, double list, double paid, sw_day_t day);

/*
 * ln(list / list_prev) as of the start of as_of when the list price changed on one of the
 * SW_PRICE_SETTLE_DAYS days before as_of (or later); 0 when it is established, or without a
 * previous or a current price. ret_age (may be NULL) gets as_of - 1 - list_since (0 for a
 * change dated as_of or later), 0 when the result is 0.
 */
double sw_price_watch_list_change(const struct sw_price_watch *w, double list, sw_day_t as_of,
                                  uint32_t *ret_age);

/*
 * The largest receipt of the last SW_RECEIPT_DAYS days (a day's receipts summed), with what a
 * delivery usually is for the SKU: the receipt it replaced (the previous largest one), and
 * the book just before it. An overstock is a delivery far beyond those, not stock that
 * stopped selling, nor a seasonal line's usual order (core/ml_cause.h).
 */
#define SW_RECEIPT_DAYS 7

struct sw_receipt_watch {
        uint16_t day;    /* day of the largest recent receipt, 0 = none */
        uint16_t units;  /* its units (that day's receipts summed, saturating) */
        uint16_t usual;  /* units of the receipt it replaced, 0 = none before it */
        uint16_t before; /* book on-hand just before that day's first receipt (0 if below) */
};

/* No receipt yet. */
void sw_receipt_watch_init(struct sw_receipt_watch *w);
/* units (> 0) received on day, the book being book_before just before them: they replace
 * the held receipt (which becomes the usual one) when it is older than SW_RECEIPT_DAYS days
 * before day or smaller; the same day's add up. */
void sw_receipt_watch_add(struct sw_receipt_watch *w, sw_day_t day, uint32_t units,
                          int32_t book_before);
/* The largest receipt on one of the SW_RECEIPT_DAYS days before as_of (or later); all 0
 * without one. */
struct sw_receipt_watch sw_receipt_watch_recent(const struct sw_receipt_watch *w, sw_day_t as_of);

/* The registers' streak as of the start of as_of. */
struct sw_paid_summary {
        double mean_log;    /* mean ln(paid / list) over the streak's lines, 0 = none */
        double off_mean;    /* mean ln(paid / list) over its off lines only, 0 = none */
        uint32_t off_lines; /* lines paid off the list price */
        uint32_t lines;     /* all lines of the streak */
        sw_day_t from;      /* first day of the streak, SW_DAY_NONE = none */
};

/* The streak, when its latest off line is on one of the SW_PAID_STREAK_DAYS days before as_of
 * (or later); all 0 (from SW_DAY_NONE) otherwise. */
struct sw_paid_summary sw_price_watch_paid_summary(const struct sw_price_watch *w, sw_day_t as_of);

#endif
