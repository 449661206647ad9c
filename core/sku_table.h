/* Fixed-capacity SKU table: per-SKU scalars plus a ring of store-local daily history. */
#ifndef SW_SKU_TABLE_H
#define SW_SKU_TABLE_H

/* Longer than a screen (about 210 lines) on purpose: struct sw_sku is the hot per-SKU record
 * whose field comments are its memory budget (docs/benchmarks.md), and the table, its ring of
 * days and its reclaiming share one probe scheme; split headers would split that layout. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sku_watch.h"
#include "core/sw_types.h"

/*
 * Memory: the caller allocates sw_sku_table_memory_size() bytes once at start-up and
 * hands them to sw_sku_table_init(); nothing is allocated afterwards. A SKU-day of
 * history costs 1 byte (units sold, 0..255 exact): a SKU that sells more in a day moves
 * to a pool of fast sellers whose rings hold 2 bytes a day (saturating at SW_SOLD_MAX);
 * when that pool is full, its days saturate at SW_SOLD_NARROW_MAX instead, and are
 * counted. Pushed forecasts have a shorter ring of their own (1 byte a day, log-coded)
 * covering the days detectors read them for plus the horizon ahead, so a forecast for a
 * future day never moves the sales ring. Shelf-sensor state lives in a pool sized for
 * the SKUs that have sensors.
 * 100k SKUs x 56 days: 5.6 MB of sales, 4.3 MB of forecasts, 8.8 MB of scalars (struct sw_sku:
 * 88 bytes, 84 of fields and 4 of tail padding, free for a 4-byte field; 80 with a float price).
 */

#define SW_SOLD_MAX        UINT16_MAX /* daily units saturate here (fast sellers) */
#define SW_SOLD_NARROW_MAX 255 /* ... or here, for a SKU that found the fast-seller pool full */

enum sw_sku_flags {
        SW_SKU_HAS_LIST_PRICE = 1 << 0, /* price came from P/inventory */
        SW_SKU_HAS_PRICE = 1 << 1,      /* price known (list price or last price paid) */
        SW_SKU_HAS_BOOK = 1 << 2,       /* on_hand came from an inventory record or a count */
        SW_SKU_DIRTY = 1 << 3,          /* changed since the last persist */
};

/* What the shelf sensors last said about a SKU. */
struct sw_shelf {
        int32_t count;        /* last shelf count */
        uint32_t ts;          /* Unix s of the last reading */
        uint32_t zero_open_s; /* opening-hours seconds the shelf has read zero */
        uint32_t above_since; /* Unix s since the shelf has read above book, 0 if not */
        uint32_t zero_since;  /* Unix s of the first zero reading of the current streak, 0 if not */
        uint32_t zero_readings; /* zero readings in the current streak (0 when not at zero) */
};

struct sw_sku {
        uint32_t key_offset; /* NUL-terminated key in the arena */
        uint16_t category;   /* category id, 0 = unknown */
        uint8_t flags;       /* enum sw_sku_flags */
        uint8_t key_len;     /* 1..SW_SKU_MAX_LEN */
        double price;        /* list price (or last price paid, see flags), exactly as received */
        int32_t on_hand;     /* book on-hand units */
        uint32_t book_as_of; /* Unix s of the inventory record on_hand was set from, 0 none */
        sw_day_t first_day;  /* first store-local day with sales data, SW_DAY_NONE if none */
        sw_day_t last_day;   /* newest day held by the sales ring, SW_DAY_NONE if none */
        sw_day_t forecast_last_day; /* newest day held by the forecast ring, SW_DAY_NONE if none */
        uint32_t
            book_negative_since; /* Unix s of the event that drove the book below zero, 0 if not */
        sw_day_t stockout_from;  /* the latest known stock-out (the book at or below 0):
                                    its first day ... */
        sw_day_t stockout_day;   /* ... and its newest day, SW_DAY_NONE if none; its days'
                                    sales are censored by the ghost test */
        uint32_t shelf;          /* index + 1 of the SKU's shelf state, 0 = no sensor seen */
        uint32_t fast;           /* index + 1 of the SKU's 2-byte sales ring, 0 = 1-byte ring */
        sw_day_t last_event_day; /* newest store-local day of a message about the SKU,
                                    SW_DAY_NONE if none (reclaiming, core/sku_reclaim.c) */
        struct sw_price_watch price_watch;     /* the list price it replaced and the registers'
                                                  price against it (ml_detected) */
        struct sw_receipt_watch receipt_watch; /* its largest recent receipt (ml_detected) */
};

struct sw_sku_table_params {
        uint32_t max_skus;        /* capacity, fixed at init */
        uint16_t history_days;    /* sales ring length in days */
        uint16_t forecast_days;   /* pushed-forecast ring length in days; 0 = history_days */
        uint32_t key_arena_bytes; /* bytes for SKU keys incl. NUL; 0 = max_skus * 24 */
        uint16_t max_categories;  /* distinct categories, id 0 is reserved for "unknown" */
        uint32_t max_shelves;     /* SKUs with shelf-sensor state; 0 = max_skus */
        uint32_t max_fast;        /* SKUs with a 2-byte sales ring (a day above 255 units) */
};

struct sw_sku_table {
        struct sw_sku_table_params p; /* sizes fixed at init (defaults resolved) */
        uint32_t count;               /* SKUs in use */
        uint32_t n_slots;             /* hash slots (load factor <= 3/4) */
        uint32_t arena_used;          /* bytes of the key arena in use */
        uint16_t n_categories;        /* categories in use, including id 0 */
        uint32_t n_shelves;           /* shelf states in use */
        uint32_t n_dirty;             /* entries in dirty[] */
        uint32_t n_fast;              /* 2-byte sales rings in use */
        uint64_t sales_saturated;     /* day totals capped at SW_SOLD_NARROW_MAX: fast pool full */
        double forecast_units[256];   /* sw_forecast_decode() of every code, for bulk reads */
        struct sw_sku *skus;          /* [max_skus] */
        uint8_t *sold;                /* [max_skus * history_days] ring of daily units sold */
        uint16_t *fast_sold;          /* [max_fast * history_days] the same, for fast sellers */
        uint8_t *forecast_code;       /* [max_skus * forecast_days] ring of pushed forecasts */
        struct sw_shelf *shelves;     /* [max_shelves] shelf-sensor state */
        uint32_t *slots;              /* [n_slots] index + 1 of the SKU, 0 = empty */
        char *arena;                  /* [key_arena_bytes] SKU keys */
        char (*categories)[SW_CATEGORY_MAX_LEN + 1]; /* [max_categories] names */
        uint32_t *dirty;                             /* [max_skus] indices of SKUs marked dirty */
        /* reclaiming a SKU slot when the table is full (core/sku_reclaim.c) */
        const uint8_t *pinned;            /* [max_skus] non-zero: never reclaim (the open-anomaly
                                             book's types per SKU), NULL: none pinned */
        sw_day_t today;                   /* store-local today, SW_DAY_NONE: reclaim nothing */
        sw_day_t message_day;             /* the day of the message being applied: a SKU whose last
                                             event is on or after it is kept (SW_DAY_NONE: no such rule) */
        uint32_t reclaim_cursor;          /* where the next sweep for a reclaimable SKU starts */
        sw_day_t reclaim_dry_day;         /* a whole sweep on this day found none ... */
        sw_day_t reclaim_dry_message_day; /* ... for messages of this day or older: no sweep
                                             again for those until the day changes */
        uint32_t *reclaimed;  /* [min(max_skus, SW_SKU_RECLAIM_PENDING)] arena offsets of reclaimed
                                 keys whose stored state the caller has not deleted yet */
        uint32_t n_reclaimed; /* entries used in reclaimed */
        uint32_t arena_garbage;   /* arena bytes of reclaimed keys, deleted and unused */
        uint64_t reclaimed_total; /* SKUs reclaimed since start */
};

#define SW_SKU_RECLAIM_PENDING 1024 /* reclaimed keys awaiting deletion from storage at most */

/* Bytes of caller memory needed for params (0 if params are invalid). */
size_t sw_sku_table_memory_size(const struct sw_sku_table_params *p);
/* Initialise in place over mem. -EINVAL on bad params, -ENOBUFS if size is too small. */
int sw_sku_table_init(struct sw_sku_table *t, const struct sw_sku_table_params *p, void *mem,
                      size_t size);

/* Index of sku, or -ENOENT. */
int sw_sku_table_find(const struct sw_sku_table *t, const char *sku, size_t len,
                      uint32_t *ret_index);
/* Index of sku, adding it when new: 1 if added, 0 if found; -ENOSPC when the table or key
 * arena is full and no SKU is reclaimable (see below), -EINVAL for an empty or too long key. */
int sw_sku_table_get_or_add(struct sw_sku_table *t, const char *sku, size_t len,
                            uint32_t *ret_index);
static inline struct sw_sku *sw_sku_at(const struct sw_sku_table *t, uint32_t index)
{
        return &t->skus[index];
}
const char *sw_sku_key(const struct sw_sku_table *t, uint32_t index);

/* Category id of name, interning it: 0 is never returned for a name. -ENOSPC when full. */
int sw_sku_table_category(struct sw_sku_table *t, const char *name, size_t len, uint16_t *ret_id);
/* Name of a category id; "" for 0 (unknown). */
const char *sw_sku_category_name(const struct sw_sku_table *t, uint16_t id);

/* Move the ring forward so that day is held, clearing the days it skips. */
void sw_sku_advance(struct sw_sku_table *t, uint32_t index, sw_day_t day);
/* True when day is held by the ring (within history and not before first_day). */
bool sw_sku_day_held(const struct sw_sku_table *t, uint32_t index, sw_day_t day);
/* True when day is too old for the ring: older than last_day - history_days + 1. */
bool sw_sku_day_expired(const struct sw_sku_table *t, uint32_t index, sw_day_t day);
/* Units sold on day: 0 for days after last_day, -1 when not held (unknown). */
int32_t sw_sku_sold(const struct sw_sku_table *t, uint32_t index, sw_day_t day);
/* Add units sold on day (advancing the ring); saturates at SW_SOLD_MAX. -ENOSPC when the
 * day needed a 2-byte ring and the fast-seller pool is full: the day is capped at
 * SW_SOLD_NARROW_MAX (and counted in sales_saturated). 0 otherwise, also for a day too old
 * for the ring (ignored). */
int sw_sku_add_sold(struct sw_sku_table *t, uint32_t index, sw_day_t day, uint32_t units);
/* Units sold on days [from, from + n) into ret: days not held (unknown) read as 0, as do
 * days after last_day. */
void sw_sku_sold_series(const struct sw_sku_table *t, uint32_t index, sw_day_t from, uint32_t n,
                        uint16_t *ret);
/* Pushed forecasts for days [from, from + n) into ret: NaN where none is held. */
void sw_sku_pushed_series(const struct sw_sku_table *t, uint32_t index, sw_day_t from, uint32_t n,
                          double *ret);
/* Pushed forecast for day, or a negative value if none is held for it. */
double sw_sku_pushed_forecast(const struct sw_sku_table *t, uint32_t index, sw_day_t day);
/* Hold a pushed forecast; -ERANGE when day is older than the forecast ring reaches. */
int sw_sku_set_pushed_forecast(struct sw_sku_table *t, uint32_t index, sw_day_t day, double units);

/* The SKU's shelf state, or NULL if no sensor has reported it. */
struct sw_shelf *sw_sku_shelf(const struct sw_sku_table *t, uint32_t index);
/* The SKU's shelf state, taking one from the pool on first use: -ENOSPC when it is full. */
int sw_sku_shelf_get_or_add(struct sw_sku_table *t, uint32_t index, struct sw_shelf **ret);

/* The forecast code: 0 = none; 1 = zero units; 2..255 log-spaced from 0.01 to 10000 units
 * (ratio ~1.056 per step, so a stored value is within 2.8% of what was pushed). */
uint8_t sw_forecast_encode(double units);
double sw_forecast_decode(uint8_t code);

/* Dirty tracking for group commit. */
void sw_sku_mark_dirty(struct sw_sku_table *t, uint32_t index);
/* Clear all dirty marks (after they were persisted). */
void sw_sku_clear_dirty(struct sw_sku_table *t);

/*
 * Reclaiming (core/sku_reclaim.c). When the table is full, a new SKU takes the slot of a
 * reclaimable one: no message about it for the whole history window (last_event_day <= today -
 * history_days), no units on the book (on_hand <= 0) and no open anomaly (pinned[index] == 0).
 * Such a SKU has nothing left that a detector could read or an associate act on; if it comes
 * back it starts anew. Its shelf state and 2-byte ring go back to their pools. Its key stays in
 * the arena until the caller has deleted its stored state (sw_sku_reclaimed_key(), then
 * sw_sku_reclaimed_flushed()); at most SW_SKU_RECLAIM_PENDING wait, beyond that nothing is
 * reclaimed. Keys of flushed SKUs are garbage that the arena compacts once it is full.
 * While a message is applied, a SKU it named is not reclaimed for another of its lines: its
 * last event is on or after the message's day (sw_sku_table_set_message_day()), so an old
 * message reclaims only SKUs quiet since before its day, and applying it again changes nothing.
 * A sweep that finds nothing is not repeated the same day for a message as old or older.
 * Nothing is reclaimed while today is SW_DAY_NONE (the start-up restore).
 */
/* The per-SKU bytes saying which SKUs must never be reclaimed (NULL: none). */
void sw_sku_table_set_pinned(struct sw_sku_table *t, const uint8_t *pinned);
/* Store-local today, for the reclaim rule (the caller sets it before applying a message);
 * also clears the message day. */
void sw_sku_table_set_today(struct sw_sku_table *t, sw_day_t today);
/* The store-local day of the message being applied (after sw_sku_table_set_today()). */
void sw_sku_table_set_message_day(struct sw_sku_table *t, sw_day_t day);
/* A message about the SKU, dated day: last_event_day moves forward. */
void sw_sku_note_event(struct sw_sku_table *t, uint32_t index, sw_day_t day);
/* True when the SKU's slot may be reclaimed now (the rule above). */
bool sw_sku_reclaimable(const struct sw_sku_table *t, uint32_t index);
/* Key k (0..n_reclaimed - 1) of a reclaimed SKU whose stored state is to be deleted. */
const char *sw_sku_reclaimed_key(const struct sw_sku_table *t, uint32_t k);
/* The caller deleted every reclaimed key's stored state: their arena bytes become garbage. */
void sw_sku_reclaimed_flushed(struct sw_sku_table *t);

/* Serialise one SKU's state (scalars, shelf state, category name, both rings oldest
 * first) into buf. Returns the length, or -ENOBUFS. SW_SKU_BLOB_MAX(h, f) bytes always
 * suffice for history_days h and forecast_days f. */
#define SW_SKU_BLOB_MAX(h, f) (112 + SW_CATEGORY_MAX_LEN + 2 * (size_t)(h) + (size_t)(f))
int sw_sku_serialize(const struct sw_sku_table *t, uint32_t index, void *buf, size_t size);
/* Restore a SKU from a blob (adding it). -EINVAL for a malformed blob, -ENOSPC when the
 * table is full. Rings shorter than when saved keep the newest days; shelf state that
 * no longer fits the pool is dropped (the next reading starts it again). */
int sw_sku_restore(struct sw_sku_table *t, const char *sku, size_t len, const void *blob,
                   size_t blob_len);

#endif
