/* What makes an accepted message survive: the inbox file (one write a message, one fdatasync a
 * loop pass) and the group commit of the state that holds it (platform/inbox_file.h,
 * docs/reliability.md). */
#ifndef SW_DURABILITY_H
#define SW_DURABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/storage_health.h"
#include "platform/inbox_file.h"
#include "platform/store.h"

/* meta key of the newest inbox generation a group commit holds */
#define SW_DURABILITY_META_GENERATION "inbox_generation"
/* the inbox file is emptied after a group commit once it is this large */
#define SW_DURABILITY_ROTATE_BYTES (1024 * 1024)

/* The daemon's state the group commit writes (daemon/persist.c). */
struct sw_durable_state {
        bool (*dirty)(void *ctx);   /* something to write */
        int (*write)(void *ctx);    /* write it, inside the commit's transaction */
        void (*written)(void *ctx); /* the transaction committed: clear the marks */
        void (*idle)(void *ctx);    /* every commit attempt, after it (derived data) */
        void *ctx;                  /* passed to each */
};

/* Replays one record of the inbox at start-up (kind, topic, payload). */
typedef int (*sw_durability_replay_fn)(void *ctx, int kind, const char *topic, const void *payload,
                                       size_t len);

struct sw_durability {
        struct sw_inbox_file inbox;       /* "<storage.path>.inbox" */
        uint64_t generation;              /* of the records written now; the group commit stores
                                             it under SW_DURABILITY_META_GENERATION */
        uint64_t max_bytes;               /* storage.max_inbox_kib: the file grows only while
                                             commits fail */
        bool open;                        /* records written since the last fdatasync */
        bool sync_store;                  /* the next flush syncs the database's WAL too (a
                                             count's outcomes were committed) */
        bool lost;                        /* a record could not be written: only the state holds
                                             it, until a durable commit */
        bool legacy_rows;                 /* rows of the old SQLite inbox table were replayed: the
                                             next group commit deletes them */
        uint32_t rows;                    /* records since the last group commit */
        struct sw_store *store;           /* the database (not owned) */
        struct sw_storage_health *health; /* storage state for health (not owned) */
        uint64_t *errors;                 /* the daemon's count of failed writes (not owned) */
        struct sw_durable_state state;    /* what the group commit writes */
};

/* Set up (the file is opened by sw_durability_restore). */
void sw_durability_init(struct sw_durability *du, struct sw_store *store,
                        struct sw_storage_health *health, uint64_t *errors, uint64_t max_bytes,
                        const struct sw_durable_state *state);
/* Open the inbox file of the database at db_path (unless du->inbox is open already: the
 * daemon locks it before it opens the database) and replay what the database does not hold
 * yet (rows of the old SQLite inbox table, then the file's newer generations), then commit.
 * Returns how many were replayed, or -errno (logged). */
int sw_durability_restore(struct sw_durability *du, const char *db_path,
                          sw_durability_replay_fn replay, void *ctx);
void sw_durability_close(struct sw_durability *du);

/* Keep an applied message (one write). 0, or -errno (logged once as a change of storage
 * state; the message is then only in memory until sw_durability_make_durable). */
int sw_durability_add(struct sw_durability *du, int kind, const char *topic, const void *payload,
                      size_t len);
/* Make this pass's records durable (one fdatasync; the WAL too after a count). */
int sw_durability_flush(struct sw_durability *du);
/* Before a device is told "accepted": flush, and when a record was lost, commit and sync the
 * state that holds it. */
int sw_durability_make_durable(struct sw_durability *du);
/* Group commit: the state and the inbox generation it holds, in one transaction. */
int sw_durability_commit(struct sw_durability *du);

#endif
