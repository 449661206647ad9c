/* Tests of platform/store_backup: copies of a real SQLite file, checked and put back. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "platform/store.h"
#include "platform/store_backup.h"
#include "tests/support/test_main.h"

struct fixture {
        char dir[64];       /* mkdtemp directory */
        char db[128];       /* dir/sw.db */
        char copy[128];     /* dir/copy.db */
        struct sw_store *s; /* the open database */
};

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(p);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        snprintf(f->dir, sizeof(f->dir), "/tmp/sw-backup-test-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->db, sizeof(f->db), "%s/sw.db", f->dir);
        snprintf(f->copy, sizeof(f->copy), "%s/copy.db", f->dir);
        assert_int_equal(sw_store_open(f->db, NULL, &f->s), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", 1), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        sw_store_close(f->s);
        nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static int64_t meta_of(const char *path, const char *key)
{
        struct sw_store *s = NULL;
        int64_t v = -1;
        assert_int_equal(sw_store_open(path, NULL, &s), 0);
        assert_int_equal(sw_store_meta_get_int(s, key, &v), 0);
        sw_store_close(s);
        return v;
}

static void set_user_version(const char *path, int v)
{
        sqlite3 *db;
        char sql[64];
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

static void test_backup_holds_the_commits_and_refuses(void **state)
{
        struct fixture *f = *state;
        struct sw_store_copy_info info = {0};
        char tmp[160];
        /* What a backup killed half-way left: replaced, then renamed into place. */
        snprintf(tmp, sizeof(tmp), "%s.tmp", f->copy);
        FILE *stale = fopen(tmp, "w");
        assert_non_null(stale);
        fputs("half a copy", stale);
        fclose(stale);
        assert_int_equal(sw_store_backup(f->s, f->copy, false, &info), 0);
        assert_int_equal(info.schema_version, SW_STORE_SCHEMA_VERSION);
        assert_true(info.bytes > 0);
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(meta_of(f->copy, "k"), 1);

        /* Existing file: refused without force, replaced with it. */
        assert_int_equal(sw_store_meta_put_int(f->s, "k", 2), 0);
        assert_int_equal(sw_store_backup(f->s, f->copy, false, NULL), -EEXIST);
        assert_int_equal(meta_of(f->copy, "k"), 1);
        assert_int_equal(sw_store_backup(f->s, f->copy, true, NULL), 0);
        assert_int_equal(meta_of(f->copy, "k"), 2);

        /* Relative, inside a transaction, a directory that does not exist. */
        assert_int_equal(sw_store_backup(f->s, "copy.db", false, NULL), -EINVAL);
        assert_int_equal(sw_store_begin(f->s), 0);
        assert_int_equal(sw_store_backup(f->s, f->copy, true, NULL), -EINVAL);
        assert_int_equal(sw_store_rollback(f->s), 0);
        snprintf(tmp, sizeof(tmp), "%s/nodir/x.db", f->dir);
        assert_true(sw_store_backup(f->s, tmp, false, NULL) < 0);
        assert_int_equal(access(tmp, F_OK), -1);
}

static void test_check_copy(void **state)
{
        struct fixture *f = *state;
        struct sw_store_copy_info info = {0};
        char msg[256], bad[160];
        assert_int_equal(sw_store_backup(f->s, f->copy, false, NULL), 0);
        assert_int_equal(sw_store_check_copy(f->copy, &info, msg, sizeof(msg)), 0);
        assert_int_equal(info.schema_version, SW_STORE_SCHEMA_VERSION);

        snprintf(bad, sizeof(bad), "%s/garbage.db", f->dir);
        FILE *g = fopen(bad, "w");
        fputs("not a database, just text long enough to have a header's worth.....", g);
        fclose(g);
        assert_int_equal(sw_store_check_copy(bad, NULL, msg, sizeof(msg)), -EUCLEAN);
        assert_int_equal(sw_store_check_copy("/nonexistent/x.db", NULL, msg, sizeof(msg)), -ENOENT);
        assert_int_equal(sw_store_check_copy(f->dir, NULL, msg, sizeof(msg)), -EINVAL);

        set_user_version(f->copy, SW_STORE_SCHEMA_VERSION + 1);
        assert_int_equal(sw_store_check_copy(f->copy, NULL, msg, sizeof(msg)), -EPROTO);
        assert_non_null(strstr(msg, "newer"));
}

static void test_restore_moves_aside_and_keeps_the_copy(void **state)
{
        struct fixture *f = *state;
        char aside[256], msg[256], wal[160];
        assert_int_equal(sw_store_backup(f->s, f->copy, false, NULL), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", 5), 0); /* after the copy */
        f->s = sw_store_close(f->s);
        /* A -wal left by a crash belongs to the old file: it must not meet the copy. */
        snprintf(wal, sizeof(wal), "%s-wal", f->db);
        FILE *w = fopen(wal, "w");
        fputs("stale", w);
        fclose(w);
        assert_int_equal(sw_store_restore(f->copy, f->db, 1700000000, NULL, NULL, aside,
                                          sizeof(aside), msg, sizeof(msg)),
                         0);
        assert_string_equal(strrchr(aside, '/'), "/sw.db.before-restore-1700000000");
        assert_int_equal(meta_of(aside, "k"), 5);
        assert_int_equal(meta_of(f->db, "k"), 1);
        assert_int_equal(access(f->copy, F_OK), 0);
        /* Twice in the same second: a new name, nothing overwritten. */
        assert_int_equal(sw_store_restore(f->copy, f->db, 1700000000, NULL, NULL, aside,
                                          sizeof(aside), msg, sizeof(msg)),
                         0);
        assert_string_equal(strrchr(aside, '/'), "/sw.db.before-restore-1700000000.1");
        /* A copy that is not a database changes nothing. */
        char bad[160];
        snprintf(bad, sizeof(bad), "%s/garbage.db", f->dir);
        FILE *g = fopen(bad, "w");
        fputs("garbage garbage garbage garbage garbage garbage garbage garbage garbage.", g);
        fclose(g);
        assert_int_equal(
            sw_store_restore(bad, f->db, 2, NULL, NULL, aside, sizeof(aside), msg, sizeof(msg)),
            -EUCLEAN);
        assert_int_equal(meta_of(f->db, "k"), 1);
        assert_int_equal(sw_store_open(f->db, NULL, &f->s), 0);
}

/* A byte copy of from into to, as cp does. */
static void copy_bytes(const char *from, const char *to)
{
        char buf[4096];
        size_t n;
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        assert_non_null(in);
        assert_non_null(out);
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
                assert_int_equal(fwrite(buf, 1, n, out), n);
        fclose(in);
        assert_int_equal(fclose(out), 0);
}

/* A file copied with its -wal while in use (or left by a crash): the main file alone lacks
 * the commits in the -wal, here all of them. Restoring it would put an empty database in
 * place without a word: it is refused, and nothing moves. */
static void test_restore_refuses_a_copy_with_a_hot_wal(void **state)
{
        struct fixture *f = *state;
        char hot[128], from[160], to[160], target[128], msg[256], aside[256];
        snprintf(hot, sizeof(hot), "%s/hot.db", f->dir);
        snprintf(target, sizeof(target), "%s/target.db", f->dir);
        assert_int_equal(sw_store_backup(f->s, target, false, NULL), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", 7), 0);
        copy_bytes(f->db, hot);
        snprintf(from, sizeof(from), "%s-wal", f->db);
        snprintf(to, sizeof(to), "%s-wal", hot);
        copy_bytes(from, to);
        assert_int_equal(sw_store_check_copy(hot, NULL, msg, sizeof(msg)), -EBUSY);
        assert_non_null(strstr(msg, "-wal"));
        assert_int_equal(
            sw_store_restore(hot, target, 3, NULL, NULL, aside, sizeof(aside), msg, sizeof(msg)),
            -EBUSY);
        assert_int_equal(meta_of(target, "k"), 1);
}

/* The database was deleted by hand but its -wal stayed: its frames belong to another file and
 * must not be replayed into the copy. */
static void test_restore_moves_a_lone_wal_aside(void **state)
{
        struct fixture *f = *state;
        char from[160], target[128], wal[200], aside[256], msg[256];
        snprintf(target, sizeof(target), "%s/target.db", f->dir);
        assert_int_equal(sw_store_backup(f->s, f->copy, false, NULL), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", 9), 0); /* in sw.db's -wal */
        snprintf(from, sizeof(from), "%s-wal", f->db);
        snprintf(wal, sizeof(wal), "%s-wal", target);
        copy_bytes(from, wal);
        assert_int_equal(sw_store_restore(f->copy, target, 1700000000, NULL, NULL, aside,
                                          sizeof(aside), msg, sizeof(msg)),
                         0);
        struct sw_store *s = NULL;
        assert_int_equal(sw_store_open(target, NULL, &s), 0);
        assert_int_equal(sw_store_quick_check(s), 0);
        sw_store_close(s);
        assert_int_equal(meta_of(target, "k"), 1);
        assert_string_equal(aside, ""); /* there was no database */
        snprintf(wal, sizeof(wal), "%s.before-restore-1700000000-wal", target);
        assert_int_equal(access(wal, F_OK), 0); /* kept, out of the way */
}

/* --restore runs as root in the unit's StateDirectory, which the daemon's user can write: a
 * link planted at "<db>.restore-tmp" must not have root write through it, nor become the
 * database. */
static void test_restore_does_not_follow_a_planted_link(void **state)
{
        struct fixture *f = *state;
        char victim[128], tmp[160], aside[256], msg[256];
        struct stat st;
        snprintf(victim, sizeof(victim), "%s/victim", f->dir);
        snprintf(tmp, sizeof(tmp), "%s.restore-tmp", f->db);
        FILE *v = fopen(victim, "w");
        fputs("precious", v);
        fclose(v);
        assert_int_equal(symlink(victim, tmp), 0);
        assert_int_equal(sw_store_backup(f->s, f->copy, false, NULL), 0);
        f->s = sw_store_close(f->s);
        assert_int_equal(sw_store_restore(f->copy, f->db, 1700000000, NULL, NULL, aside,
                                          sizeof(aside), msg, sizeof(msg)),
                         0);
        assert_int_equal(stat(victim, &st), 0);
        assert_int_equal(st.st_size, 8);
        assert_int_equal(lstat(f->db, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(meta_of(f->db, "k"), 1);
        assert_int_equal(sw_store_open(f->db, NULL, &f->s), 0);
}

/* prepare of sw_store_restore: what it sees and what it may refuse. */
struct prepare_seen {
        const char *db; /* the database path */
        int64_t db_k;   /* meta k of the database at db when prepare ran */
        int result;     /* what prepare returns */
};

static int prepare_copy(void *ctx, const char *tmp)
{
        struct prepare_seen *p = ctx;
        struct sw_store *s = NULL;
        p->db_k = meta_of(p->db, "k");
        assert_int_equal(sw_store_open(tmp, NULL, &s), 0);
        assert_int_equal(sw_store_meta_put_int(s, "marked", 1), 0);
        sw_store_close(s);
        return p->result;
}

/* The restore's marker is in the copy before the copy becomes the database: a daemon starting
 * the moment it is in place finds it. A prepare that fails moves nothing. */
static void test_restore_prepares_the_copy_before_it_is_in_place(void **state)
{
        struct fixture *f = *state;
        char aside[256], msg[256], tmp[160];
        struct prepare_seen seen = {.db = f->db, .db_k = -1, .result = -EIO};
        assert_int_equal(sw_store_backup(f->s, f->copy, false, NULL), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", 5), 0);
        f->s = sw_store_close(f->s);
        assert_int_equal(sw_store_restore(f->copy, f->db, 1700000000, prepare_copy, &seen, aside,
                                          sizeof(aside), msg, sizeof(msg)),
                         -EIO);
        assert_int_equal(meta_of(f->db, "k"), 5); /* nothing moved */
        snprintf(tmp, sizeof(tmp), "%s.restore-tmp", f->db);
        assert_int_equal(access(tmp, F_OK), -1);
        seen.result = 0;
        assert_int_equal(sw_store_restore(f->copy, f->db, 1700000000, prepare_copy, &seen, aside,
                                          sizeof(aside), msg, sizeof(msg)),
                         0);
        assert_int_equal(seen.db_k, 5); /* the old database was still in place */
        assert_int_equal(meta_of(f->db, "marked"), 1);
        assert_int_equal(meta_of(f->db, "k"), 1);
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(sw_store_open(f->db, NULL, &f->s), 0);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_backup_holds_the_commits_and_refuses),
        SW_TEST_FRESH(test_check_copy),
        SW_TEST_FRESH(test_restore_moves_aside_and_keeps_the_copy),
        SW_TEST_FRESH(test_restore_refuses_a_copy_with_a_hot_wal),
        SW_TEST_FRESH(test_restore_moves_a_lone_wal_aside),
        SW_TEST_FRESH(test_restore_does_not_follow_a_planted_link),
        SW_TEST_FRESH(test_restore_prepares_the_copy_before_it_is_in_place))
/* clang-format on */
