/* shelfwatchd --restore FILE: put a copy made by the backup command in place of the database. */
#ifndef SW_RESTORE_H
#define SW_RESTORE_H

#include <stdint.h>

#include "platform/config.h"
#include "platform/store.h"

/* meta key: Unix s of the last restore (a rev written before it may be behind HQ's) */
#define SW_RESTORE_META_AT "restored_at"
/* meta key: the file the last restore came from (text) */
#define SW_RESTORE_META_FROM "restored_from"

/* With the daemon stopped: check the copy, move the database, its -wal/-shm and its inbox file
 * aside ("<storage.path>.before-restore-<now>"), put the copy in place, upgrade its schema
 * and record the restore (SW_RESTORE_META_*). Prints what it did to stdout and errors to
 * stderr. Returns 0, -EBUSY (a daemon runs on the database, or the copy has a -wal beside
 * it), -EPROTO (the copy is newer than
 * this build), -EUCLEAN (not a database or corrupt) or another -errno; nothing is moved on
 * failure before the copy is in place. */
int sw_restore_run(const struct sw_config *cfg, const char *from);

/* The time of the last restore of the open database (SW_RESTORE_META_AT): 0 and *ret, or
 * -ENOENT when it was never restored, or another -errno of the store. */
int sw_restore_marker(struct sw_store *s, int64_t *ret);

/* The rule of docs/deploy.md for PROTOCOL 1.1's rev: the rev to publish for a change of an
 * anomaly whose stored rev is stored_rev, on a database last restored at restored_at (Unix s;
 * 0: never). HQ may hold revisions the copy does not have, of rows in the copy and of rows
 * queued after it and found again with the same id: a rev below restored_at jumps to it,
 * above any count of changes; from there on stored_rev + 1. */
int64_t sw_restore_next_rev(int64_t stored_rev, int64_t restored_at);

/* The N of an outcome's id "<anomaly>-oN" for the anomaly's seq-th outcome recorded here (seq
 * >= 1), on a database last restored at restored_at (0: never): seq, or after a restore
 * restored_at + seq - 1. HQ may hold outcomes recorded after the copy was made, numbered on from
 * the copy's count; HQ keeps the first message of an id, so a new outcome must not take one of
 * those numbers, and the highest N must stay the latest outcome (docs/hq.md). */
int64_t sw_restore_outcome_number(uint32_t seq, int64_t restored_at);

/* Mark s, a fresh database that replaced a corrupt one (moved to moved_to), as restored at now:
 * its anomaly ids are the ones HQ may hold at any rev, so its revisions jump as after a restore
 * (the time, and "empty, after <moved_to>" as where it came from). 0 or -errno of the store. */
int sw_restore_mark_fresh(struct sw_store *s, const char *moved_to, int64_t now);

/* Apply that rule to the open database s (sw_store_set_rev_floor with its marker): called by
 * the daemon when it opens its database. 0 (also when it was never restored) or -errno. */
int sw_restore_apply_rev_floor(struct sw_store *s);

#endif
