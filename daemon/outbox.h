/* The outbox: messages for HQ kept in storage until delivered, sent at QoS 1 with a bounded
 * number in flight; a row is deleted on PUBACK, and every undelivered row goes again, same id,
 * after a reconnect or a refusal. */
#ifndef SW_OUTBOX_H
#define SW_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/store.h"

/* Where the rows live (platform/store in the daemon, a fake in tests). Each returns 0 or
 * -errno, as the platform/store function of the same name. */
struct sw_outbox_store {
        int (*add)(void *ctx, const char *topic, const char *msg_id, const void *payload,
                   size_t len, bool retain, int64_t created, int64_t *ret_seq);
        int (*add_anomaly)(void *ctx, const char *topic, const char *anomaly_id, int64_t created,
                           int64_t *ret_seq);
        int (*pending)(void *ctx, int64_t after_seq, uint32_t limit,
                       int (*cb)(void *cb_ctx, const struct sw_store_outbox_row *row),
                       void *cb_ctx);
        int (*delivered)(void *ctx, int64_t seq);
        int (*depth)(void *ctx, uint64_t *ret_rows, uint64_t *ret_bytes);
        int (*trim)(void *ctx, uint64_t max_rows); /* returns rows dropped */
        void *ctx;                                 /* passed to each */
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
};

/* Set up over the caller's capacity in-flight slots; the prefix is copied. -EINVAL (a NULL
 * operation, capacity 0, a prefix too long). */
int sw_outbox_init(struct sw_outbox *ob, const struct sw_outbox_store *store,
                   const struct sw_outbox_link *link, sw_outbox_render_fn render, void *render_ctx,
                   const char *prefix, struct sw_inflight *inflight, uint32_t capacity);

/* Queue a message for prefix/suffix (in the caller's transaction, if any). 0 or -errno. */
int sw_outbox_add(struct sw_outbox *ob, const char *suffix, const char *msg_id, const char *json,
                  bool retain, int64_t now);
/* Queue the anomaly anomaly_id for prefix/anomaly: sent as it is when it is sent. */
int sw_outbox_add_anomaly(struct sw_outbox *ob, const char *anomaly_id, int64_t now);

/* Hand pending rows to the link while there is room in flight (now_ms: monotonic). Logs a
 * failure at most once every few seconds. */
void sw_outbox_pump(struct sw_outbox *ob, uint64_t now_ms);
/* The link's answer for a publish: accepted deletes its row; refused keeps it and pauses
 * (retry_ms), then sends it and everything after it again. */
void sw_outbox_on_published(struct sw_outbox *ob, int mid, bool accepted, uint64_t now_ms);
/* A new connection: publishes in flight are forgotten, every undelivered row goes again. */
void sw_outbox_reset(struct sw_outbox *ob);
/* Drop the oldest rows beyond max_rows (logged); returns how many were dropped, or -errno. */
int sw_outbox_trim(struct sw_outbox *ob, uint64_t max_rows);
/* Rows waiting and their payload bytes. */
int sw_outbox_depth(struct sw_outbox *ob, uint64_t *ret_rows, uint64_t *ret_bytes);

#endif
