/* shelfwatchd --restore FILE: put a copy made by the backup command in place of the database. */
#ifndef SW_RESTORE_H
#define SW_RESTORE_H

#include "platform/config.h"

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

#endif
