/* Online copies of the database (VACUUM INTO) and putting one back in place (restore). */
#include "platform/store_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/store_internal.h"

#define COPY_CHUNK (64 * 1024)

/* fsync the directory that holds path, so a rename in it survives power loss. */
static int sync_parent(const char *path)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;
        if (n == 0)
                snprintf(dir, sizeof(dir), "%s", slash ? "/" : ".");
        else if (n < sizeof(dir))
                snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
        else
                return -ENAMETOOLONG;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = fsync(fd) < 0 ? -errno : 0;
        close(fd);
        return r;
}

static int sync_file(const char *path, uint64_t *ret_bytes)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = fsync(fd) < 0 || fstat(fd, &st) < 0 ? -errno : 0;
        close(fd);
        if (r == 0 && ret_bytes)
                *ret_bytes = (uint64_t)st.st_size;
        return r;
}

int sw_store_backup(struct sw_store *s, const char *path, bool force,
                    struct sw_store_copy_info *ret_info)
{
        char tmp[PATH_MAX];
        struct sw_store_copy_info info = {.schema_version = SW_STORE_SCHEMA_VERSION};
        if (!s || !path || path[0] != '/' || sw_store_in_transaction(s))
                return -EINVAL;
        if (!force && access(path, F_OK) == 0)
                return sw_store__fail_msg(s, -EEXIST, "the file exists");
        /* One name per path: a backup killed half-way leaves it, and the next one removes it
         * (one daemon per database takes its backups one at a time). */
        int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -ENAMETOOLONG;
        (void)unlink(tmp);
        /* One statement: SQLite reads one snapshot, so the copy holds every commit so far and
         * nothing half-written; it is compact (no free pages). */
        int r = sw_store__query(s, "VACUUM INTO ?1", &SW_STORE_TEXT(tmp), 1, NULL, NULL);
        /* VACUUM INTO does not sync its output: do, before the rename makes it the copy. */
        if (r == 0) {
                r = sync_file(tmp, &info.bytes);
                if (r < 0)
                        sw_store__fail_msg(s, r, "cannot sync the copy");
        }
        if (r == 0) {
                r = sw_store__rename(tmp, path, force);
                if (r < 0)
                        sw_store__fail_msg(s, r,
                                           r == -EEXIST ? "the file exists"
                                                        : "cannot rename the copy into place");
        }
        if (r < 0) {
                (void)unlink(tmp);
                return r;
        }
        (void)sync_parent(path);
        if (ret_info)
                *ret_info = info;
        return 0;
}

/* "file:" URI of path with everything but [A-Za-z0-9/._-] percent-encoded. */
static int uri_of(const char *path, char *buf, size_t size)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = (size_t)snprintf(buf, size, "file:");
        for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
                if (o + 4 >= size)
                        return -ENAMETOOLONG;
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '/' || *p == '.' || *p == '_' || *p == '-') {
                        buf[o++] = (char)*p;
                } else {
                        buf[o++] = '%';
                        buf[o++] = hex[*p >> 4];
                        buf[o++] = hex[*p & 15];
                }
        }
        const char *tail = "?mode=ro&immutable=1";
        if (o + strlen(tail) + 1 > size)
                return -ENAMETOOLONG;
        snprintf(buf + o, size - o, "%s", tail);
        return 0;
}

static void set_msg(char *errmsg, size_t errsz, const char *fmt, const char *detail)
{
        if (errmsg && errsz)
                snprintf(errmsg, errsz, fmt, detail);
}

/* One integer or text result of sql on db into buf. */
static int query_text(sqlite3 *db, const char *sql, char *buf, size_t size)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        const unsigned char *t = sqlite3_column_text(st, 0);
                        snprintf(buf, size, "%s", t ? (const char *)t : "");
                        rc = SQLITE_OK;
                }
        }
        sqlite3_finalize(st);
        return rc;
}

/* What sw_store_check_copy checks before SQLite opens path: a regular file with no -wal beside
 * it. 0 with its stat in *ret_st, or -errno with errmsg set (*ret_st untouched). */
static int check_copy_file(const char *path, struct stat *ret_st, char *errmsg, size_t errsz)
{
        char wal_path[PATH_MAX + 64];
        struct stat st, wal;
        /* sqlite3_open_v2 would report a missing file only at the first read. */
        if (stat(path, &st) < 0) {
                int r = -errno;
                set_msg(errmsg, errsz, "%s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                set_msg(errmsg, errsz, "%s", "not a regular file");
                return -EINVAL;
        }
        /* immutable below reads the main file alone: commits in a -wal beside it (a database
         * not closed cleanly, or in use) would be silently left out of the restore. */
        int r = snprintf(wal_path, sizeof(wal_path), "%s-wal", path);
        if (r < 0 || (size_t)r >= sizeof(wal_path))
                return -ENAMETOOLONG;
        if (stat(wal_path, &wal) == 0 && wal.st_size > 0) {
                set_msg(errmsg, errsz, "%s",
                        "it has a -wal file beside it (in use, or not closed cleanly): its "
                        "commits are not in the file; stop what uses it or open it once with "
                        "sqlite3 to fold them in");
                return -EBUSY;
        }
        *ret_st = st;
        return 0;
}

int sw_store_check_copy(const char *path, struct sw_store_copy_info *ret_info, char *errmsg,
                        size_t errsz)
{
        char uri[PATH_MAX + 64], buf[256];
        struct stat st = {0};
        sqlite3 *db = NULL;
        set_msg(errmsg, errsz, "%s", "");
        if (!path || !*path)
                return -EINVAL;
        int r = check_copy_file(path, &st, errmsg, errsz);
        if (r < 0)
                return r;
        r = uri_of(path, uri, sizeof(uri));
        if (r < 0)
                return r;
        /* immutable: no lock, no -shm, no write, even on a read-only medium. */
        int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        if (rc == SQLITE_OK)
                rc = query_text(db, "PRAGMA quick_check", buf, sizeof(buf));
        if (rc != SQLITE_OK) {
                r = sw_store_errno_from_sqlite(rc);
                set_msg(errmsg, errsz, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close_v2(db);
                return r == -ENOENT || r == -EIO ? -EUCLEAN : r;
        }
        if (strcmp(buf, "ok") != 0) {
                set_msg(errmsg, errsz, "quick_check: %s", buf);
                sqlite3_close_v2(db);
                return -EUCLEAN;
        }
        rc = query_text(db, "PRAGMA user_version", buf, sizeof(buf));
        sqlite3_close_v2(db);
        if (rc != SQLITE_OK) {
                set_msg(errmsg, errsz, "%s", sqlite3_errstr(rc));
                return -EUCLEAN;
        }
        int version = atoi(buf);
        if (version > SW_STORE_SCHEMA_VERSION || version < 0) {
                if (errmsg && errsz)
                        snprintf(errmsg, errsz,
                                 "database schema version %d is newer than this build's (%d)",
                                 version, SW_STORE_SCHEMA_VERSION);
                return -EPROTO;
        }
        if (ret_info)
                *ret_info = (struct sw_store_copy_info){.schema_version = version,
                                                        .bytes = (uint64_t)st.st_size};
        return 0;
}

/* Byte copy of from into a new file to (mode 0600, owned like like_path when root), fsync'd. */
static int copy_file(const char *from, const char *to, const char *like_path)
{
        char buf[COPY_CHUNK];
        struct stat like;
        int in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -errno;
        /* A new file, never one found at to: run as root in a directory the daemon's user can
         * write, a symbolic link planted there would have root overwrite and chown its target. */
        int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0) {
                int r = -errno;
                close(in);
                return r;
        }
        int r = 0;
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        r = n < 0 ? -errno : 0;
                        break;
                }
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = write(out, buf + done, (size_t)(n - done));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0) {
                                r = -errno;
                                break;
                        }
                        done += w;
                }
                if (r < 0)
                        break;
        }
        /* Run as root: the daemon's user must still own its database. */
        if (r == 0 && geteuid() == 0 && stat(like_path, &like) == 0 &&
            fchown(out, like.st_uid, like.st_gid) < 0)
                r = -errno;
        if (r == 0 && fsync(out) < 0)
                r = -errno;
        if (close(out) < 0 && r == 0)
                r = -errno;
        close(in);
        return r;
}

/* Move db_path and its -wal/-shm to "<db_path>.before-restore-<now>[.n]". */
static int move_aside(const char *db_path, int64_t now, char *ret_aside, size_t size)
{
        static const char *const sidecars[] = {"-wal", "-shm"};
        char target[PATH_MAX], from[PATH_MAX + 8], to[PATH_MAX + 8];
        int r = -EEXIST;
        bool have_db = access(db_path, F_OK) == 0;
        if (!have_db && errno != ENOENT)
                return -errno;
        /* Without a database a -wal can still be there (the file deleted by hand): it goes
         * aside all the same, else SQLite would replay its frames into the copy. */
        for (unsigned n = 0; n < 100 && r == -EEXIST; n++) {
                int len = n == 0 ? snprintf(target, sizeof(target), "%s.before-restore-%" PRId64,
                                            db_path, now)
                                 : snprintf(target, sizeof(target),
                                            "%s.before-restore-%" PRId64 ".%u", db_path, now, n);
                if (len < 0 || (size_t)len >= sizeof(target))
                        return -ENAMETOOLONG;
                if (have_db)
                        r = sw_store__rename(db_path, target, false);
                else
                        r = access(target, F_OK) == 0 ? -EEXIST : 0;
        }
        if (r < 0)
                return r;
        /* A hot WAL belongs to the file moved aside: it must never meet the copy. */
        for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
                snprintf(from, sizeof(from), "%s%s", db_path, sidecars[i]);
                snprintf(to, sizeof(to), "%s%s", target, sidecars[i]);
                if (rename(from, to) < 0 && errno != ENOENT && unlink(from) < 0 && errno != ENOENT)
                        return -errno;
        }
        if (ret_aside && size)
                snprintf(ret_aside, size, "%s", have_db ? target : "");
        return 0;
}

/* Remove the temporary copy and the -wal/-shm SQLite may have left beside it (a stale -wal
 * would be replayed into the next copy made there). */
static void remove_tmp(const char *tmp)
{
        char side[PATH_MAX + 8];
        (void)unlink(tmp);
        snprintf(side, sizeof(side), "%s-wal", tmp);
        (void)unlink(side);
        snprintf(side, sizeof(side), "%s-shm", tmp);
        (void)unlink(side);
}

int sw_store_restore(const char *from, const char *db_path, int64_t now,
                     sw_store_restore_prepare_fn prepare, void *ctx, char *ret_aside,
                     size_t aside_size, char *errmsg, size_t errsz)
{
        char tmp[PATH_MAX];
        if (!from || !db_path || !*db_path)
                return -EINVAL;
        int r = sw_store_check_copy(from, NULL, errmsg, errsz);
        if (r < 0)
                return r;
        int n = snprintf(tmp, sizeof(tmp), "%s.restore-tmp", db_path);
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -ENAMETOOLONG;
        remove_tmp(tmp); /* left by an interrupted restore (a link is removed, not followed) */
        r = copy_file(from, tmp, db_path);
        if (r < 0) {
                set_msg(errmsg, errsz, "cannot copy it next to the database: %s", strerror(-r));
                remove_tmp(tmp);
                return r;
        }
        r = prepare ? prepare(ctx, tmp) : 0;
        if (r < 0) {
                set_msg(errmsg, errsz, "cannot prepare the copy: %s", strerror(-r));
                remove_tmp(tmp);
                return r;
        }
        r = move_aside(db_path, now, ret_aside, aside_size);
        if (r < 0) {
                set_msg(errmsg, errsz, "cannot move the current database aside: %s", strerror(-r));
                remove_tmp(tmp);
                return r;
        }
        if (rename(tmp, db_path) < 0) {
                r = -errno;
                set_msg(errmsg, errsz, "cannot rename the copy into place: %s", strerror(-r));
                return r;
        }
        (void)sync_parent(db_path);
        return 0;
}
