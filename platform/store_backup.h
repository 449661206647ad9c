/* Online copies of the database (VACUUM INTO) and putting one back in place (restore). */
#ifndef SW_STORE_BACKUP_H
#define SW_STORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/store.h"

/* What a copy holds, read from it without changing it. */
struct sw_store_copy_info {
        int schema_version; /* PRAGMA user_version */
        uint64_t bytes;     /* size of the file */
};

/* Write a consistent copy of the open database to path (absolute) through VACUUM INTO: into
 * "<path>.tmp" in the same directory (one left by a killed backup is replaced), fsync'd, then
 * renamed over path, so path is never a half-written file. Outside a transaction only: the copy
 * holds every commit made so far. force: replace an existing path. ret_info may be NULL. -EINVAL:
 * path NULL or relative, or a transaction is open. -EEXIST: path exists (without force).
 * -ENAMETOOLONG. -ENOSPC, -EACCES, -ENOENT (no such directory), -EIO: as SQLite or the file system
 * report them (the temporary file is removed). */
int sw_store_backup(struct sw_store *s, const char *path, bool force,
                    struct sw_store_copy_info *ret_info);

/* Read a copy without writing to it (read-only, immutable): quick_check and its schema.
 * -ENOENT/-EACCES: cannot be opened. -EUCLEAN: not a database or corrupt. -EPROTO: written by
 * a newer schema than this build's. -EBUSY: a non-empty "<path>-wal" is beside it (commits
 * the file alone does not hold). errmsg (may be NULL) receives a one-line reason. */
int sw_store_check_copy(const char *path, struct sw_store_copy_info *ret_info, char *errmsg,
                        size_t errsz);

/* Called on the copy at its temporary path, before it is put in place (nothing has moved yet):
 * what must hold from the first moment the copy is the database (the restore's marker). 0 or
 * -errno, then nothing is moved. */
typedef int (*sw_store_restore_prepare_fn)(void *ctx, const char *tmp_path);

/* Put the copy from in place of the database at db_path (which must not be open anywhere):
 * from is checked (sw_store_check_copy), copied to "<db_path>.restore-tmp" and fsync'd, handed
 * to prepare (may be NULL) with ctx; the current database and its -wal/-shm are moved to
 * "<db_path>.before-restore-<now>" (written to ret_aside, may be NULL: "" when there was none;
 * a -wal/-shm without a database is moved aside all the same); the copy is renamed into place.
 * from itself is never changed. Errors of sw_store_check_copy, of prepare, or -errno of the
 * file operations (nothing is moved when the copy could not be made or prepared). */
int sw_store_restore(const char *from, const char *db_path, int64_t now,
                     sw_store_restore_prepare_fn prepare, void *ctx, char *ret_aside,
                     size_t aside_size, char *errmsg, size_t errsz);

#endif
