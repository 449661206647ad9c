/* Which messages of a batch reach PostgreSQL: one row per key, the one the upsert would keep. */
#ifndef HQ_COLLAPSE_H
#define HQ_COLLAPSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hq/hq_message.h"

/*
 * A batch often holds several messages for one key: an anomaly republished at rev 2 and 3, a
 * store's summaries of the last minutes, an outcome resent. Applying them one by one leaves the
 * same database as applying only the one that wins, so only that one is sent (less JSON for
 * PostgreSQL to parse, fewer rows to lock), and the others take their result from it:
 *
 * - anomaly (tenant, store, id): the highest rev, the latest arrival among equals;
 * - outcome (tenant, store, id): the first arrival (the row is inserted once);
 * - summary (tenant, store): the highest ts, the latest arrival among equals;
 * - status: every message is sent (each change makes a history row); the latest per store is
 *   folded in arrival order by hq_status_replaces(), and only it may replace store_status.
 */
struct hq_collapse {
        uint32_t *order; /* [n] message indexes sorted by tenant, store, kind, id */
        uint32_t *rep;   /* [n] per message: the index of the message whose row decides it */
        size_t cap;      /* entries allocated in order and rep */
        size_t n;        /* messages planned */
        size_t stores;   /* distinct (tenant, store) pairs */
};

/* Plan msgs[0..n). Returns 0 or -ENOMEM (p unchanged but for its arrays). */
int hq_collapse_plan(struct hq_collapse *p, struct hq_msg *const *msgs, size_t n);
/* True when msgs[i]'s row is sent: it decides itself, or it is a status. */
bool hq_collapse_sent(const struct hq_collapse *p, struct hq_msg *const *msgs, size_t i);
/* True when msgs[i] is the status that may replace its store's store_status row. */
bool hq_collapse_latest_status(const struct hq_collapse *p, size_t i);

/*
 * Status order (store_status must not go backwards): next replaces cur unless next is older by
 * what both carry: an earlier started_at (an earlier run of the gateway), or the same run and
 * an earlier ts. Without those, arrival order decides. The SQL applies the same rule against
 * the stored row (hq_write_sql.h).
 */
bool hq_status_replaces(const struct hq_msg *cur, const struct hq_msg *next);

void hq_collapse_free(struct hq_collapse *p);

#endif
