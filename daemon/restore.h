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
 * stderr. Returns 0, -EBUSY (a daemon runs on the database), -EPROTO (the copy is newer than
 * this build), -EUCLEAN (not a database or corrupt) or another -errno; nothing is moved on
 * failure before the copy is in place. */
int sw_restore_run(const struct sw_config *cfg, const char *from);

/* The time of the last restore of the open database (SW_RESTORE_META_AT): 0 and *ret, or
 * -ENOENT when it was never restored, or another -errno of the store. */
int sw_restore_marker(struct sw_store *s, int64_t *ret);

/* The rule of docs/deploy.md for PROTOCOL 1.1's rev: the rev to publish for a change of an
 * anomaly whose stored rev is stored_rev and whose row was last written at last_written_at
 * (Unix s), on a database last restored at restored_at (0: never). A row not written since
 * the restore may have had revisions HQ holds and the copy does not: it jumps to at least
 * restored_at, above any count of changes; otherwise stored_rev + 1. */
int64_t sw_restore_next_rev(int64_t stored_rev, int64_t last_written_at, int64_t restored_at);

#endif
