/* The outbox's end-to-end receipts in SQLite (PROTOCOL 1.1): rows kept after HQ's broker
 * acknowledged them until HQ's receipt covers their id and rev. */
#ifndef SW_STORE_RECEIPT_H
#define SW_STORE_RECEIPT_H

#include <stdint.h>

#include "platform/store.h"

/* The outbox as health and P/summary report it. */
struct sw_store_outbox_stats {
        uint64_t rows;           /* rows kept: waiting to go, or awaiting a receipt */
        uint64_t bytes;          /* payload bytes they hold */
        uint64_t awaiting;       /* rows acknowledged by the broker, awaiting a receipt */
        int64_t oldest_created;  /* Unix s the oldest row was queued, 0 when empty */
        int64_t oldest_acked_at; /* Unix s the longest-waiting receipt's row was acknowledged */
};

/* The broker acknowledged row seq at Unix time now: it waits for its receipt (it is no longer
 * pending). -ENOENT: no such row (a receipt came first, or it was trimmed). */
int sw_store_outbox_await_receipt(struct sw_store *s, int64_t seq, int64_t now);
/* A receipt for msg_id at rev: deletes every row of that id whose rev is 1..rev (acknowledged
 * or not: a resend still in flight is covered too). Returns the rows deleted. -EINVAL: NULL id. */
int sw_store_outbox_receipt(struct sw_store *s, const char *msg_id, int64_t rev);
/* Rows acknowledged at or before acked_before, or after acked_after (stamped in what is now the
 * future: the clock was set back), and still without a receipt go back to pending (same id and
 * rev). Returns how many; *ret_first_seq (may be NULL) gets the lowest seq among them (written
 * only when the count is > 0). */
int sw_store_outbox_requeue(struct sw_store *s, int64_t acked_before, int64_t acked_after,
                            int64_t *ret_first_seq);
/* Counts and ages of the rows; 0 or -errno. */
int sw_store_outbox_stats(struct sw_store *s, struct sw_store_outbox_stats *ret);

#endif
