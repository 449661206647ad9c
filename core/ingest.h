/* Applies decoded device messages to the SKU table: event-time bucketing, dedup, counters. */
#ifndef SW_INGEST_H
#define SW_INGEST_H

#include <stdint.h>

#include "core/dedup.h"
#include "core/message.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"

struct sw_ingest_params {
        int64_t max_future_seconds;     /* events with ts beyond now + this are refused */
        uint16_t forecast_horizon_days; /* pushed forecasts at most this many days ahead (less
                                           than the table's forecast_days) */
        uint32_t max_shelf_gap_seconds; /* open seconds between two zero shelf readings that
                                           count as zero time at most (a gap is not zero) */
};

/* Counters shown by the health command. */
struct sw_ingest_counters {
        uint64_t accepted[SW_MSG_KIND_COUNT];   /* messages applied */
        uint64_t duplicates[SW_MSG_KIND_COUNT]; /* redeliveries ignored by id */
        uint64_t rejected[SW_MSG_KIND_COUNT][SW_REJECT_REASON_COUNT]; /* refused, by reason */
        uint64_t lines_skipped_full; /* lines dropped because a new SKU did not fit */
        uint64_t categories_full;    /* categories dropped because the table was full */
        uint64_t stale_items;        /* inventory/shelf/forecast items older than what is held */
        uint64_t shelves_full;       /* shelf readings dropped: limits.max_shelf_skus reached */
        uint64_t sales_saturated; /* sales lines whose day capped at 255: max_fast_skus reached */
};

struct sw_ingest {
        struct sw_ingest_params p;           /* limits */
        struct sw_sku_table *skus;           /* state (not owned) */
        struct sw_dedup *dedup;              /* message ids (not owned) */
        const struct sw_store_calendar *cal; /* time zone and opening hours (not owned) */
        struct sw_ingest_counters counters;  /* running totals */
        int64_t event_clock;                 /* newest event time applied (Unix s), 0 none: the
                                                time shelf-out durations are measured to, so a
                                                replay gives the same result as live traffic */
        sw_day_t message_day;                /* store-local day of the message being applied (its
                                                ts, else today): each SKU it names had an event */
};

enum sw_ingest_outcome { SW_INGEST_ACCEPTED, SW_INGEST_DUPLICATE, SW_INGEST_REJECTED };

struct sw_ingest_result {
        enum sw_ingest_outcome outcome; /* what happened */
        enum sw_reject_reason reason;   /* when rejected */
        uint32_t items_applied;         /* items/lines applied */
        uint32_t items_skipped;         /* items/lines skipped (SKU table full, stale, shelf
                                           pool full); each reason is also counted below */
        uint32_t skipped_table_full;    /* lines of a new SKU beyond limits.max_skus */
        uint32_t skipped_stale;         /* items not newer than what is held: a shelf reading,
                                           a count, a forecast day older than the ring (skipped)
                                           or an inventory on_hand (the rest of the item applies) */
        uint32_t skipped_shelves_full;  /* shelf readings beyond limits.max_shelf_skus */
        int64_t event_clock_before;     /* in->event_clock before the message */
        /* cycle counts only */
        uint32_t sku_index;       /* the counted SKU */
        int32_t book_before;      /* book on-hand before the count */
        int32_t adjustment;       /* counted - book_before */
        struct sw_sku sku_before; /* the counted SKU as it was (sw_ingest_undo_count) */
};

void sw_ingest_init(struct sw_ingest *in, const struct sw_ingest_params *p,
                    struct sw_sku_table *skus, struct sw_dedup *dedup,
                    const struct sw_store_calendar *cal);
/* Apply a decoded message at wall-clock time now (Unix s). Rejections change nothing.
 * Returns 0 (see ret->outcome) or -errno if the calendar adapter failed. */
int sw_ingest_apply(struct sw_ingest *in, const struct sw_msg *m, int64_t now,
                    struct sw_ingest_result *ret);
/*
 * Undo an accepted cycle count, res being what sw_ingest_apply() returned for m with nothing
 * applied since: the SKU, the event clock and the message id as they were before, the count
 * moved from accepted to rejected (storage_error). A count that could not be made durable must
 * change nothing (PROTOCOL: a rejected count is all or nothing), and its resend must be judged
 * as new. The SKU keeps its dirty mark (it is on the dirty list), so the next group commit
 * writes it back as it was. Returns 0, 1 when the id had been persisted already (the caller
 * deletes the stored copy), -EINVAL when res is not an accepted count.
 */
int sw_ingest_undo_count(struct sw_ingest *in, const struct sw_msg *m,
                         const struct sw_ingest_result *res);
/* Count a message refused before it reached ingest (decode errors). */
void sw_ingest_count_reject(struct sw_ingest *in, enum sw_msg_kind kind,
                            enum sw_reject_reason reason);

#endif
