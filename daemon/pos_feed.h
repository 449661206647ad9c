/* Whether the store's POS feed is heard: a store-wide health condition for HQ. */
#ifndef SW_POS_FEED_H
#define SW_POS_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/detect.h"
#include "core/store_calendar.h"

/*
 * Two views of one question. Live: no POS message for silence_seconds of opening hours
 * (wall clock) means the registers or their uplink are silent now. After the fact: a
 * detection run finds days on which the whole store sold far below a usual day
 * (core/store_context.h); those are the store's, not each SKU's.
 */
struct sw_pos_feed {
        uint32_t silence_seconds; /* opening seconds without POS that make the feed silent; 0 off */
        int64_t watch_from;   /* wall clock the silence is measured from when nothing was heard */
        int64_t last_pos_at;  /* wall clock of the last accepted POS message, 0 none */
        bool silent;          /* the feed is silent now */
        int64_t silent_since; /* wall clock it went silent */
        uint64_t silences;    /* times it went silent since start */
        uint64_t shortfalls;  /* new store shortfall days found by detection runs */
        sw_day_t newest_shortfall;  /* the newest store shortfall day found, SW_DAY_NONE if none */
        uint32_t window_shortfalls; /* store shortfall days in the last run's window */
        uint32_t window_category_shortfalls; /* category-days in the last run's window */
};

void sw_pos_feed_init(struct sw_pos_feed *f, uint32_t silence_seconds, int64_t now);
/* A POS message was accepted at wall clock now. Returns true when the feed was silent. */
bool sw_pos_feed_heard(struct sw_pos_feed *f, int64_t now);
/* Re-check the silence at wall clock now; returns true when the state changed. A calendar
 * conversion that fails changes nothing. */
bool sw_pos_feed_check(struct sw_pos_feed *f, const struct sw_store_calendar *cal, int64_t now);
/* Take in a ghost run's store context; returns true when it found a new store shortfall day. */
bool sw_pos_feed_note_run(struct sw_pos_feed *f, const struct sw_detect_summary *s);
/* "ok", "silent", or "off" (silence_seconds 0). */
const char *sw_pos_feed_state(const struct sw_pos_feed *f);

#endif
