/* The outbox: messages for HQ kept in storage until delivered, sent at QoS 1 with a bounded
 * number in flight; a row is deleted on PUBACK (or, with end-to-end receipts, on HQ's receipt:
 * daemon/outbox_receipts.c), and every undelivered row goes again, same id, after a reconnect
 * or a refusal. */
#ifndef SW_OUTBOX_H
#define SW_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/store.h"
#include "platform/store_receipt.h"

/* Where the rows live (platform/store in the daemon, a fake in tests). Each returns 0 or
 * -errno, as the platform/store function of the same name. */
struct sw_outbox_store {
        int (*add)(void *ctx, const char *topic, const char *msg_id, const void *payload,
                   size_t len, bool retain, int64_t created, int64_t rev, int64_t *ret_seq);
        int (*add_anomaly)(void *ctx, const char *topic, const char *anomaly_id, int64_t created,
                           int64_t *ret_seq);
        int (*pending)(void *ctx, int64_t after_seq, uint32_t limit,
                       int (*cb)(void *cb_ctx, const struct sw_store_outbox_row *row),
                       void *cb_ctx);
        int (*delivered)(void *ctx, int64_t seq);
        int (*depth)(void *ctx, uint64_t *ret_rows, uint64_t *ret_bytes);
        int (*trim)(void *ctx, uint64_t max_rows); /* returns rows dropped */
        /* Receipts (platform/store_receipt.h): a row awaits its receipt from now (Unix s); a
         * receipt deletes the rows it covers (returns how many); rows acknowledged at or
         * before a time, or after another (the clock was set back), go back to pending;
         * counts and ages. */
        int (*await_receipt)(void *ctx, int64_t seq, int64_t now);
        int (*receipt)(void *ctx, const char *msg_id, int64_t rev);
        int (*requeue)(void *ctx, int64_t acked_before, int64_t acked_after,
                       int64_t *ret_first_seq);
        int (*stats)(void *ctx, struct sw_store_outbox_stats *ret);
        void *ctx; /* passed to each */
};

/* The link to HQ (platform/mqtt_link in the daemon, a fake in tests). */
struct sw_outbox_link {
        /* QoS 1 publish; *ret_mid identifies the PUBACK (sw_outbox_on_published). */
        int (*publish)(void *ctx, const char *topic, const void *payload, size_t len, bool retain,
                       int *ret_mid);
        bool (*connected)(void *ctx);
        void *ctx;
};

/* Renders the anomaly a row stands for, as it is now (daemon/anomaly_json.c): 0 and a malloc'd
 * JSON, -EBADMSG for a row that can never be rendered (it is dropped), other -errno. */
typedef int (*sw_outbox_render_fn)(void *ctx, const struct sw_store_anomaly *a, char **ret_json);

/* A publish handed to the link and not yet acknowledged. */
struct sw_inflight {
        int mid;     /* MQTT message id, 0 = free slot */
        int64_t seq; /* outbox row it carries */
        int64_t rev; /* the rev a receipt must cover, 0 = none (PUBACK ends the row) */
};

/* End-to-end receipts (PROTOCOL 1.1, setting hq_receipts): counters for health. */
struct sw_outbox_receipts {
        bool enabled;            /* rows with a rev wait for HQ's receipt after PUBACK */
        uint32_t resend_after_s; /* a row without receipt this long after PUBACK goes again */
        uint64_t next_check_ms;  /* next look for rows due to be resent (monotonic) */
        uint64_t received;       /* receipt messages taken */
        uint64_t confirmed;      /* rows a receipt covered (deleted) */
        uint64_t unknown;        /* receipt entries that covered no row (a duplicate receipt,
                                    an id never sent, a rev lower than the row's) */
        uint64_t malformed;      /* receipt messages that are not {"ids":[{"id","rev"}...]} */
        uint64_t retained;       /* retained receipt messages, ignored (HQ never retains one) */
        uint64_t awaiting;       /* rows the broker acknowledged that went to await a receipt */
        uint64_t resent;         /* rows sent again for want of a receipt */
        uint64_t dropped;        /* rows awaiting a receipt dropped at limits.outbox_max_rows */
};

struct sw_outbox {
        struct sw_outbox_store store; /* rows */
        struct sw_outbox_link link;   /* HQ */
        sw_outbox_render_fn render;   /* anomaly rows */
        void *render_ctx;             /* passed to render */
        char prefix[200];             /* "{root}/{tenant}/{store}": topics are prefix/suffix */
        struct sw_inflight *inflight; /* [capacity] caller's memory */
        uint32_t capacity;            /* publishes in flight at most (limits.outbox_inflight) */
        uint32_t n_inflight;          /* slots in use */
        uint32_t retry_ms;            /* pause after HQ refused a row */
        int64_t cursor;               /* highest seq handed to the link this connection */
        bool more;                    /* rows may be waiting beyond the cursor */
        uint64_t retry_at_ms;         /* no sending before this monotonic time */
        uint64_t delivered;           /* rows acknowledged since start */
        uint64_t dropped;             /* rows dropped: over the cap, or unrenderable */
        uint64_t refused;             /* publishes HQ refused (kept and retried) */
        uint64_t log_at_ms;           /* next time a pump failure may be logged */
        struct sw_outbox_receipts receipts; /* end-to-end receipts, off by default */
};

/* Set up over the caller's capacity in-flight slots; the prefix is copied. -EINVAL (a NULL
 * operation, capacity 0, a prefix too long). */
int sw_outbox_init(struct sw_outbox *ob, const struct sw_outbox_store *store,
                   const struct sw_outbox_link *link, sw_outbox_render_fn render, void *render_ctx,
                   const char *prefix, struct sw_inflight *inflight, uint32_t capacity);

/* Queue a message for prefix/suffix (in the caller's transaction, if any); rev is what a
 * receipt must cover (1 for an outcome, 0: needs none). 0 or -errno. */
int sw_outbox_add(struct sw_outbox *ob, const char *suffix, const char *msg_id, const char *json,
                  bool retain, int64_t rev, int64_t now);
/* Queue the anomaly anomaly_id for prefix/anomaly: sent as it is when it is sent. */
int sw_outbox_add_anomaly(struct sw_outbox *ob, const char *anomaly_id, int64_t now);

/* Hand pending rows to the link while there is room in flight (now_ms: monotonic). Logs a
 * failure at most once every few seconds. */
void sw_outbox_pump(struct sw_outbox *ob, uint64_t now_ms);
/* The link's answer for a publish: accepted deletes its row (with receipts on, a row with a
 * rev awaits its receipt from now, Unix s, instead); refused keeps it and pauses (retry_ms),
 * then sends it and everything after it again. */
void sw_outbox_on_published(struct sw_outbox *ob, int mid, bool accepted, int64_t now,
                            uint64_t now_ms);
/* A new connection: publishes in flight are forgotten, every undelivered row goes again. */
void sw_outbox_reset(struct sw_outbox *ob);
/* Drop the oldest rows beyond max_rows (logged; rows awaiting a receipt among them are
 * counted in receipts.dropped and logged apart); returns how many were dropped, or -errno. */
int sw_outbox_trim(struct sw_outbox *ob, uint64_t max_rows);
/* Rows waiting and their payload bytes. */
int sw_outbox_depth(struct sw_outbox *ob, uint64_t *ret_rows, uint64_t *ret_bytes);
/* Counts and ages of the rows (rows awaiting a receipt included). */
int sw_outbox_stats(struct sw_outbox *ob, struct sw_store_outbox_stats *ret);

/* ---- end-to-end receipts (daemon/outbox_receipts.c) ---- */

/* Turn receipts on: rows with a rev then wait for HQ's receipt after PUBACK, and go again
 * resend_after_s after it (also the way to change the time). */
void sw_outbox_receipts_enable(struct sw_outbox *ob, uint32_t resend_after_s);
/* A message on P/hq/receipt: {"ids":[{"id","rev"}...]} deletes the rows each entry covers.
 * Returns the entries taken (0 with receipts off: ignored); -EBADMSG (malformed, counted) or
 * -EPERM (retained, counted, not applied); entries that cover nothing are counted in
 * receipts.unknown. */
int sw_outbox_on_receipt(struct sw_outbox *ob, const void *payload, size_t len, bool retained);
/* Rows that have waited resend_after_s for a receipt go again (same id and rev); looks at most
 * once a second-ish (now: Unix s, now_ms: monotonic). With receipts off, rows a run with them
 * on left awaiting a receipt go again once, at the first call (their PUBACK ends them). */
void sw_outbox_resend_due(struct sw_outbox *ob, int64_t now, uint64_t now_ms);
/* When sw_outbox_resend_due() next has work to look for; UINT64_MAX with receipts off. */
uint64_t sw_outbox_next_receipt_check_ms(const struct sw_outbox *ob);

#endif
