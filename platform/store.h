/* SQLite persistence of shelfwatchd: SKU state, dedup hashes, anomalies, HQ outbox, metadata. */
#ifndef SW_STORE_H
#define SW_STORE_H

/* Longer than a screen (about 225 lines): one SQLite connection serves every table, and each of
 * its 39 calls documents the errors it returns, as the house style asks; splitting it would only
 * move the common error list (below) away from the calls it explains. store_outcome.h already
 * holds the outcomes' part. */

#include <stddef.h>
#include <stdint.h>

/*
 * One store is one SQLite connection to one database file, used from one
 * thread. The file is in WAL mode with synchronous=NORMAL; see store.c for
 * what that means for durability and why sw_store_commit_durable() exists.
 *
 * Every function that can fail returns 0 (or a count) on success and -errno
 * on failure; ret_* parameters are not written on failure. After a failure
 * sw_store_errmsg() returns SQLite's message (or ours) for the caller to log.
 *
 * Errors common to every call that touches the file:
 *   -EBUSY   another connection holds the lock past the busy timeout
 *   -ENOSPC  the disk or the size cap (sw_store_set_max_bytes) is full
 *   -EUCLEAN the file is corrupt or not a database (quarantine it)
 *   -ENOMEM  out of memory
 *   -EIO     anything else SQLite reports
 * A failed statement inside sw_store_begin()..commit may have rolled the
 * whole transaction back (SQLite does so on -ENOSPC, -ENOMEM, -EIO); the
 * caller should call sw_store_rollback(), which is a no-op if none is open.
 *
 * Strings and blobs handed to callbacks are valid only during the callback.
 * Callbacks must not call back into the same store (statements are shared).
 * A callback returning < 0 stops the walk; that value is returned.
 *
 * Longer than a screen (about 190 lines): it is the API of one connection whose prepared
 * statements are all in store.c, one group per table; the outcomes, whose statements are
 * prepared per call in their own file, have their own header (platform/store_outcome.h).
 */

struct sw_store;

/* Latest schema version this build writes (PRAGMA user_version). */
#define SW_STORE_SCHEMA_VERSION 6

struct sw_store_options {
        uint32_t cache_kib; /* page cache size in KiB; 0 = SQLite's default (about 2 MiB) */
};

/* Open or create the database, apply pending migrations, prepare statements.
 * -EPROTO: the file was written by a newer shelfwatchd (user_version too high).
 * -ENOENT / -EACCES: the file (or its directory) cannot be opened.
 * -EUCLEAN: not a database or corrupt. -ENOTSUP: WAL mode is not available. */
int sw_store_open(const char *path, const struct sw_store_options *opt, struct sw_store **ret);
/* Close; rolls back an open transaction. NULL-safe, returns NULL. */
struct sw_store *sw_store_close(struct sw_store *s);
/* Message of the last failure on this store; "" if none. Valid until the next call. */
const char *sw_store_errmsg(const struct sw_store *s);
/* Map an SQLite result code (primary or extended) to -errno; 0 for SQLITE_OK/ROW/DONE. */
int sw_store_errno_from_sqlite(int sqlite_rc);
/* Schema version of the open file (PRAGMA user_version). */
int sw_store_schema_version(struct sw_store *s, int *ret);
/* How long to wait for another connection's lock (default 5000 ms). */
int sw_store_set_busy_timeout(struct sw_store *s, uint32_t ms);
/* Cap the database size (PRAGMA max_page_count); writes beyond get -ENOSPC. 0 = no cap. */
int sw_store_set_max_bytes(struct sw_store *s, uint64_t max_bytes);
/* The least rev sw_store_outbox_add_anomaly gives a new revision (0 by default): after a
 * restore, revisions must jump above any HQ may hold (daemon/restore.h). -EINVAL: floor < 0. */
int sw_store_set_rev_floor(struct sw_store *s, int64_t floor);
/* That floor (0 when never set or s is NULL). */
int64_t sw_store_rev_floor(const struct sw_store *s);
/* PRAGMA quick_check; -EUCLEAN if it reports anything but "ok". */
int sw_store_quick_check(struct sw_store *s);

/* Explicit transactions (group commit). begin: -EALREADY if one is open.
 * commit: -EINVAL if none is open. rollback: 0 if none is open. */
int sw_store_begin(struct sw_store *s);
int sw_store_commit(struct sw_store *s);
/* Commit and fsync the WAL before returning: survives power loss. Without an
 * open transaction it only makes the earlier commits durable. */
int sw_store_commit_durable(struct sw_store *s);
int sw_store_rollback(struct sw_store *s);
/* Non-zero while a transaction is open. */
int sw_store_in_transaction(const struct sw_store *s);

/* Per-SKU state: an opaque blob per SKU key (the daemon serialises core state). Upsert.
 * -EINVAL: sku NULL/empty or blob NULL with len > 0. */
int sw_store_put_sku(struct sw_store *s, const char *sku, const void *blob, size_t len);
/* Delete a SKU's state (a reclaimed SKU); 0 also when there was none. -EINVAL: sku NULL/empty. */
int sw_store_delete_sku(struct sw_store *s, const char *sku);
/* Every SKU, ordered by key. Returns the count. */
int sw_store_load_skus(struct sw_store *s,
                       int (*cb)(void *ctx, const char *sku, const void *blob, size_t len),
                       void *ctx);

/* Message-id dedup hashes (64-bit) with an increasing sequence. Putting a hash
 * again moves it to newest. */
int sw_store_put_dedup(struct sw_store *s, uint64_t hash);
/* Forget a hash (a message whose effects were undone); 0 also when it was not stored. */
int sw_store_delete_dedup(struct sw_store *s, uint64_t hash);
/* Delete all but the keep_newest newest hashes; returns how many were deleted. */
int sw_store_prune_dedup(struct sw_store *s, uint32_t keep_newest);
/* Oldest first. Returns the count. */
int sw_store_load_dedup(struct sw_store *s, int (*cb)(void *ctx, uint64_t hash), void *ctx);

/* Anomalies: upsert by id. Indexed columns plus what the JSON payload for HQ is rendered from:
 * the detail (core/anomaly_detail.h) of rows written since schema 5, the JSON itself before. */
struct sw_store_anomaly {
        const char *id;       /* anomaly id, primary key */
        const char *type;     /* wire name: ghost_stock, ml_detected, ... */
        const char *severity; /* info, warning, critical */
        const char *status;   /* open, resolved, dismissed, cleared */
        const char *sku;      /* SKU the episode is about */
        const char *category; /* SKU category; may be NULL */
        const char *as_of;    /* YYYY-MM-DD, store-local day of the latest detection */
        int64_t episode_day;  /* sw_day_t of the episode start */
        int64_t detected_at;  /* Unix s, first detection (kept on update) */
        int64_t updated_at;   /* Unix s, last change */
        double score;         /* detector score */
        double probability;   /* in [0, 1] */
        double value;         /* money at stake */
        const void *detail;   /* the anomaly's detail, NULL for a row written before schema 5 */
        size_t detail_len;    /* its bytes */
        const char *payload;  /* rows without a detail: the JSON as published; else "" or NULL */
        int64_t rev;          /* read only: revisions queued for HQ (PROTOCOL 1.1); raised by
                                 sw_store_outbox_add_anomaly, never by sw_store_put_anomaly */
};
/* Insert, or update every column but detected_at. -EINVAL: a required string (all but
 * category and payload) is NULL, or neither a detail nor a payload is given. */
int sw_store_put_anomaly(struct sw_store *s, const struct sw_store_anomaly *a);
/* Open anomalies (status = 'open'), by detected_at then id. Returns the count. */
int sw_store_load_open_anomalies(struct sw_store *s,
                                 int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx);
/* One anomaly by id; -ENOENT if absent. Returns what cb returned (or 0). */
int sw_store_get_anomaly(struct sw_store *s, const char *id,
                         int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx);
/* Filtered listing, newest first (updated_at then id, descending). */
struct sw_store_anomaly_filter {
        const char *type;     /* exact type, NULL = any */
        const char *severity; /* exact severity, NULL = any */
        const char *status;   /* exact status, NULL = any */
        const char *sku;      /* exact SKU, NULL = any */
        int64_t since;        /* updated_at >= since (Unix s); 0 = no bound */
        uint32_t limit;       /* at most this many rows; 0 = no limit */
};
/* f may be NULL (no filter). Returns the count. */
int sw_store_list_anomalies(struct sw_store *s, const struct sw_store_anomaly_filter *f,
                            int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx);

/* Outbox of messages to HQ, delivered at least once. seq grows strictly and is
 * never reused, even after rows are deleted. -EINVAL: topic/msg_id NULL. */
int sw_store_outbox_add(struct sw_store *s, const char *topic, const char *msg_id,
                        const void *payload, size_t len, int retain, int64_t created,
                        int64_t *ret_seq);
/* The same with the rev a receipt must cover (PROTOCOL 1.1): 1 for an outcome, 0 for a row
 * that needs no receipt (summaries); sw_store_outbox_add gives 0. */
int sw_store_outbox_add_rev(struct sw_store *s, const char *topic, const char *msg_id,
                            const void *payload, size_t len, int retain, int64_t created,
                            int64_t rev, int64_t *ret_seq);
/* An outbox row standing for the anomaly anomaly_id (not retained): it is sent with the
 * anomaly as it is when it is sent, so a detection run writes each anomaly once. Written in
 * the transaction that wrote the anomaly. Raises the anomaly's rev by one, to at least the
 * floor of sw_store_set_rev_floor, and the row carries that rev. -EINVAL: topic/anomaly_id NULL. */
int sw_store_outbox_add_anomaly(struct sw_store *s, const char *topic, const char *anomaly_id,
                                int64_t created, int64_t *ret_seq);
/* An undelivered outbox row. */
struct sw_store_outbox_row {
        int64_t seq;         /* outbox sequence */
        const char *topic;   /* MQTT topic */
        const char *msg_id;  /* message id (an anomaly row: the anomaly id) */
        const void *payload; /* the message; "" for a row standing for an anomaly */
        size_t len;          /* its bytes */
        int retain;          /* publish retained */
        int64_t rev;         /* the rev a receipt must cover; 0 = needs none */
        const struct sw_store_anomaly
            *anomaly; /* a row standing for an anomaly: it, now; else NULL */
};
/* Undelivered rows (not awaiting a receipt) with seq > after_seq, ascending, at most limit (0 = no
 * limit); a row of sw_store_outbox_add_anomaly whose anomaly does not exist is skipped. Returns the
 * count. */
int sw_store_outbox_pending(struct sw_store *s, int64_t after_seq, uint32_t limit,
                            int (*cb)(void *ctx, const struct sw_store_outbox_row *row), void *ctx);
/* Delete a delivered row; -ENOENT if there is none with that seq. */
int sw_store_outbox_delivered(struct sw_store *s, int64_t seq);
/* Rows waiting and the sum of the payload bytes they hold (topics not counted; a row
 * standing for an anomaly holds none). */
int sw_store_outbox_depth(struct sw_store *s, uint64_t *ret_rows, uint64_t *ret_bytes);
/* Drop the oldest undelivered rows beyond max_rows; returns how many were dropped. */
int sw_store_outbox_trim(struct sw_store *s, uint64_t max_rows);

/* Small key/value table for daemon metadata. -EBADMSG: the key holds the other kind. */
int sw_store_meta_put_int(struct sw_store *s, const char *key, int64_t v);
int sw_store_meta_get_int(struct sw_store *s, const char *key, int64_t *ret); /* -ENOENT */
int sw_store_meta_put_blob(struct sw_store *s, const char *key, const void *b, size_t len);
/* -ENOENT; -ENOBUFS if size is too small (see sw_store_meta_blob_len). */
int sw_store_meta_get_blob(struct sw_store *s, const char *key, void *buf, size_t size,
                           size_t *ret_len);
int sw_store_meta_blob_len(struct sw_store *s, const char *key, size_t *ret_len); /* -ENOENT */

/* Move a corrupt/unreadable database and its -wal/-shm aside to
 * path.corrupt-<now> (plus -wal/-shm), never overwriting an earlier one; the
 * new main path is written to ret_new_path (may be NULL). Close the store first.
 * -ENOENT: no such file; -ENOBUFS: ret_new_path too small; else rename's errno. */
int sw_store_quarantine(const char *path, int64_t now, char *ret_new_path, size_t size);

/* Inbox: device messages applied to memory but not yet in a group commit. libmosquitto
 * acknowledges a QoS 1 message before the daemon sees it, so each applied message is kept
 * here until the group commit that holds its effects deletes it; at start-up the rows left
 * are applied again. Outside a transaction the row is its own commit (WAL, no fsync: it
 * survives the process being killed; sw_store_commit_durable() makes it survive power loss).
 * The daemon now keeps its inbox in a file (platform/inbox_file.h) and only replays and clears
 * rows an older version left here; the table stays (migrations only add). */
int sw_store_inbox_add(struct sw_store *s, int kind, const char *topic, const void *payload,
                       size_t len);
/* Rows in arrival order. Returns the count, or what a negative cb returned. */
int sw_store_inbox_load(struct sw_store *s,
                        int (*cb)(void *ctx, int kind, const char *topic, const void *payload,
                                  size_t len),
                        void *ctx);
/* Delete every row (in the group commit's transaction). Returns how many. */
int sw_store_inbox_clear(struct sw_store *s);

#endif
