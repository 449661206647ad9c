/* SQLite persistence of shelfwatchd: schema migrations, prepared statements, -errno mapping. */
#include "platform/store.h"
#include "platform/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

/*
 * Durability. The file runs in WAL mode with synchronous=NORMAL: a commit
 * appends frames to the -wal file without fsync; the WAL is synced only at
 * checkpoints. On power loss the newest transactions (those since the last
 * sync) may be lost, but the database is never corrupted: WAL frames carry
 * checksums and an unsynced tail is simply discarded on recovery. That is
 * the right trade for bulk SKU state and dedup hashes, which the daemon
 * commits in batches about once a second and can rebuild from the next
 * messages. Anomalies and outbox rows are promises to HQ, so the daemon
 * commits those with sw_store_commit_durable(), which after COMMIT fsyncs
 * the WAL through SQLite's own file handle (SQLITE_FCNTL_JOURNAL_POINTER):
 * exactly the sync synchronous=FULL would do, which cannot be switched on
 * inside an open transaction ("Safety level may not be changed inside a
 * transaction").
 */

#define STORE_BUSY_TIMEOUT_MS    5000
#define STORE_JOURNAL_SIZE_LIMIT (4 * 1024 * 1024)
#define STORE_ERRMSG_MAX         256

/* Each step moves the schema from version i to i + 1, in one transaction. */
static const char *const store_migrations[SW_STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: initial schema */
    "CREATE TABLE sku_state ("
    "  sku TEXT PRIMARY KEY NOT NULL,"
    "  blob BLOB NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE dedup ("
    "  seq INTEGER PRIMARY KEY," /* rowid: max + 1 on insert, so increasing */
    "  hash INTEGER NOT NULL UNIQUE"
    ");"
    "CREATE TABLE anomaly ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  type TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  sku TEXT NOT NULL,"
    "  category TEXT,"
    "  as_of TEXT NOT NULL,"
    "  episode_day INTEGER NOT NULL,"
    "  detected_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  score REAL NOT NULL,"
    "  probability REAL NOT NULL,"
    "  value REAL NOT NULL,"
    "  payload TEXT NOT NULL"
    ");"
    "CREATE INDEX anomaly_by_updated ON anomaly(updated_at, id);"
    "CREATE INDEX anomaly_by_status ON anomaly(status, detected_at);"
    "CREATE INDEX anomaly_by_sku ON anomaly(sku);"
    /* AUTOINCREMENT: a seq is never reused after its row is deleted, so
     * the daemon's "sent up to seq" cursor stays valid. */
    "CREATE TABLE outbox ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  topic TEXT NOT NULL,"
    "  msg_id TEXT NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  retain INTEGER NOT NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value ANY NOT NULL"
    ") WITHOUT ROWID;",
    /* 1 -> 2: the inbox of device messages applied since the last group commit */
    "CREATE TABLE inbox ("
    "  seq INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  payload BLOB NOT NULL"
    ");",
    /* 2 -> 3: outcomes of anomalies (cycle counts, the outcome command) */
    "CREATE TABLE outcome ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  anomaly TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  sku TEXT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  count_id TEXT,"
    "  ts INTEGER NOT NULL,"
    "  value_recovered REAL NOT NULL,"
    "  prevented_value REAL NOT NULL,"
    "  payload TEXT NOT NULL"
    ");"
    "CREATE INDEX outcome_by_anomaly ON outcome(anomaly, seq);"
    "CREATE INDEX outcome_by_sku ON outcome(sku, type, ts);"
    "CREATE INDEX outcome_by_count ON outcome(count_id) WHERE count_id IS NOT NULL;",
    /* 3 -> 4: an outbox row may stand for an anomaly's current payload (msg_id = its id)
     * instead of holding a copy: a detection run writes each payload once, not twice. */
    "ALTER TABLE outbox ADD COLUMN anomaly_ref INTEGER NOT NULL DEFAULT 0;",
    /* 4 -> 5: an anomaly row keeps its detail (core/anomaly_detail.h) instead of its JSON,
     * which is rendered from the row when sent or listed: a quarter of the bytes. Rows
     * from before keep their JSON (payload), their detail is NULL. */
    "ALTER TABLE anomaly ADD COLUMN detail BLOB;",
    /* 5 -> 6 (PROTOCOL 1.1): an anomaly's rev, raised by every outbox row queued for it (a
     * row written before was published once at least: rev 1); each outbox row's rev (what
     * a receipt must cover: an anomaly's rev when queued, 1 for an outcome, 0 needs none)
     * and when HQ's broker acknowledged it (Unix s, 0 = not yet): with receipts on, an
     * acknowledged row waits for its receipt. An outcome queued before holds a v1 payload,
     * which HQ does not receipt: its rev stays 0. */
    "ALTER TABLE anomaly ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;"
    "UPDATE anomaly SET rev = 1;"
    "ALTER TABLE outbox ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE outbox ADD COLUMN acked_at INTEGER NOT NULL DEFAULT 0;"
    "UPDATE outbox SET rev = 1 WHERE anomaly_ref;"
    "CREATE INDEX outbox_by_msg_id ON outbox(msg_id);"
    "CREATE INDEX outbox_awaiting ON outbox(acked_at) WHERE acked_at > 0;",
};

#define ANOMALY_COLUMNS                                                                            \
        "id, type, severity, status, sku, category, as_of, episode_day, detected_at, "             \
        "updated_at, score, probability, value, payload, detail"
/* What is read back: the columns written, and the rev the outbox keeps (schema 6). */
#define ANOMALY_READ_COLUMNS ANOMALY_COLUMNS ", rev"

enum store_stmt {
        STMT_BEGIN,
        STMT_COMMIT,
        STMT_ROLLBACK,
        STMT_QUICK_CHECK,
        STMT_PUT_SKU,
        STMT_DELETE_SKU,
        STMT_LOAD_SKUS,
        STMT_PUT_DEDUP,
        STMT_DELETE_DEDUP,
        STMT_PRUNE_DEDUP,
        STMT_LOAD_DEDUP,
        STMT_PUT_ANOMALY,
        STMT_LOAD_OPEN_ANOMALIES,
        STMT_GET_ANOMALY,
        STMT_LIST_ANOMALIES,
        STMT_OUTBOX_ADD,
        STMT_ANOMALY_NEXT_REV,
        STMT_OUTBOX_ADD_ANOMALY,
        STMT_OUTBOX_PENDING,
        STMT_OUTBOX_DELIVERED,
        STMT_OUTBOX_DEPTH,
        STMT_OUTBOX_TRIM,
        STMT_META_PUT,
        STMT_META_GET,
        STMT_INBOX_ADD,
        STMT_INBOX_LOAD,
        STMT_INBOX_CLEAR,
        STMT_COUNT
};

static const char *const store_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_QUICK_CHECK] = "PRAGMA quick_check",
    [STMT_PUT_SKU] = "INSERT INTO sku_state(sku, blob) VALUES(?1, ?2) "
                     "ON CONFLICT(sku) DO UPDATE SET blob = excluded.blob",
    [STMT_DELETE_SKU] = "DELETE FROM sku_state WHERE sku = ?1",
    [STMT_LOAD_SKUS] = "SELECT sku, blob FROM sku_state ORDER BY sku",
    [STMT_PUT_DEDUP] = "INSERT OR REPLACE INTO dedup(hash) VALUES(?1)",
    [STMT_DELETE_DEDUP] = "DELETE FROM dedup WHERE hash = ?1",
    [STMT_PRUNE_DEDUP] = "DELETE FROM dedup WHERE seq <= "
                         "(SELECT seq FROM dedup ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
    [STMT_LOAD_DEDUP] = "SELECT hash FROM dedup ORDER BY seq",
    [STMT_PUT_ANOMALY] =
        "INSERT INTO anomaly(" ANOMALY_COLUMNS ") "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
        "ON CONFLICT(id) DO UPDATE SET type = excluded.type, "
        "severity = excluded.severity, status = excluded.status, sku = excluded.sku, "
        "category = excluded.category, as_of = excluded.as_of, "
        "episode_day = excluded.episode_day, updated_at = excluded.updated_at, "
        "score = excluded.score, probability = excluded.probability, "
        "value = excluded.value, payload = excluded.payload, detail = excluded.detail",
    [STMT_LOAD_OPEN_ANOMALIES] = "SELECT " ANOMALY_READ_COLUMNS " FROM anomaly "
                                 "WHERE status = 'open' ORDER BY detected_at, id",
    [STMT_GET_ANOMALY] = "SELECT " ANOMALY_READ_COLUMNS " FROM anomaly WHERE id = ?1",
    [STMT_LIST_ANOMALIES] = "SELECT " ANOMALY_READ_COLUMNS " FROM anomaly "
                            "WHERE (?1 IS NULL OR type = ?1) "
                            "AND (?2 IS NULL OR severity = ?2) "
                            "AND (?3 IS NULL OR status = ?3) "
                            "AND (?4 IS NULL OR sku = ?4) "
                            "AND updated_at >= ?5 "
                            "ORDER BY updated_at DESC, id DESC LIMIT ?6",
    [STMT_OUTBOX_ADD] = "INSERT INTO outbox(topic, msg_id, payload, retain, created, rev) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    /* Every row queued for an anomaly publishes a new revision of it (PROTOCOL 1.1). */
    [STMT_ANOMALY_NEXT_REV] = "UPDATE anomaly SET rev = max(rev + 1, ?2) WHERE id = ?1",
    [STMT_OUTBOX_ADD_ANOMALY] =
        "INSERT INTO outbox(topic, msg_id, payload, retain, created, anomaly_ref, rev) "
        "VALUES(?1, ?2, X'', 0, ?3, 1, coalesce((SELECT rev FROM anomaly WHERE id = ?2), 1))",
    /* A row standing for an anomaly comes with the anomaly's columns as they are now; one
     * whose anomaly is gone (not written by the daemon: anomalies are never deleted) is never
     * sent. */
    [STMT_OUTBOX_PENDING] =
        "SELECT o.seq, o.topic, o.msg_id, o.payload, o.retain, o.rev, a.* "
        "FROM outbox o LEFT JOIN (SELECT " ANOMALY_READ_COLUMNS " FROM anomaly) a "
        "ON o.anomaly_ref AND a.id = o.msg_id "
        "WHERE o.seq > ?1 AND o.acked_at = 0 "
        "AND (o.anomaly_ref = 0 OR a.id IS NOT NULL) "
        "ORDER BY o.seq LIMIT ?2",
    [STMT_OUTBOX_DELIVERED] = "DELETE FROM outbox WHERE seq = ?1",
    [STMT_OUTBOX_DEPTH] = "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox",
    [STMT_OUTBOX_TRIM] = "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox "
                         "ORDER BY seq LIMIT max(0, (SELECT count(*) FROM outbox) - ?1))",
    [STMT_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [STMT_INBOX_ADD] = "INSERT INTO inbox(kind, topic, payload) VALUES(?1, ?2, ?3)",
    [STMT_INBOX_LOAD] = "SELECT kind, topic, payload FROM inbox ORDER BY seq",
    [STMT_INBOX_CLEAR] = "DELETE FROM inbox",
};

struct sw_store {
        sqlite3 *db;                    /* the one connection */
        sqlite3_stmt *stmt[STMT_COUNT]; /* prepared at open, finalized at close */
        char errmsg[STORE_ERRMSG_MAX];  /* last failure, for the caller to log */
        int64_t rev_floor;              /* least rev of a new revision (after a restore) */
};

int sw_store_errno_from_sqlite(int sqlite_rc)
{
        switch (sqlite_rc) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_IOERR_NOMEM:
                return -ENOMEM;
        case SQLITE_CANTOPEN_ISDIR:
                return -EISDIR;
        default:
                break;
        }
        switch (sqlite_rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EUCLEAN;
        case SQLITE_CANTOPEN:
                return -ENOENT; /* refined with the OS errno in store_fail() */
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CONSTRAINT:
        case SQLITE_MISMATCH:
        case SQLITE_RANGE:
                return -EINVAL;
        default:
                return -EIO;
        }
}

/* Record SQLite's message for rc and return it as -errno. */
static int store_fail(struct sw_store *s, int rc)
{
        int r = sw_store_errno_from_sqlite(rc);

        if (r == 0)
                r = -EIO;
        if ((rc & 0xff) == SQLITE_CANTOPEN) {
                int e = sqlite3_system_errno(s->db);

                if (e == EACCES || e == EPERM || e == EROFS)
                        r = -EACCES;
        }
        snprintf(s->errmsg, sizeof(s->errmsg), "%s", sqlite3_errmsg(s->db));
        return r;
}

/* Record our own message and return r. */
static int store_fail_msg(struct sw_store *s, int r, const char *msg)
{
        snprintf(s->errmsg, sizeof(s->errmsg), "%s", msg);
        return r;
}

/* Reset and unbind a shared statement so it holds no read lock and no stale values. */
static void store_release(sqlite3_stmt *st)
{
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
}

/* Step a statement that returns no rows, then release it. */
static int store_run(struct sw_store *s, sqlite3_stmt *st)
{
        int rc = sqlite3_step(st);
        int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_fail(s, rc);

        store_release(st);
        return r;
}

/* Run one-off SQL (pragmas, migrations) that is not worth keeping prepared. */
static int store_exec(struct sw_store *s, const char *sql)
{
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* Run a pragma returning one value and copy it as text. */
static int store_pragma_text(struct sw_store *s, const char *sql, char *buf, size_t size)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);

                snprintf(buf, size, "%s", t ? (const char *)t : "");
                rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
                buf[0] = '\0';
                rc = SQLITE_OK;
        }
        int r = rc == SQLITE_OK ? 0 : store_fail(s, rc);

        sqlite3_finalize(st);
        return r;
}

static int store_user_version(struct sw_store *s, int *ret)
{
        char buf[32];
        int r = store_pragma_text(s, "PRAGMA user_version", buf, sizeof(buf));

        if (r < 0)
                return r;
        *ret = atoi(buf);
        return 0;
}

static int store_refuse_version(struct sw_store *s, int version)
{
        snprintf(s->errmsg, sizeof(s->errmsg),
                 "database schema version %d is not supported by this build (up to %d)", version,
                 SW_STORE_SCHEMA_VERSION);
        return -EPROTO;
}

/* Apply each pending migration in its own transaction; refuse a newer file. */
static int store_migrate(struct sw_store *s)
{
        int current;
        int r = store_user_version(s, &current);

        /* Up to date: do not take the write lock at all. */
        if (r < 0)
                return r;
        if (current > SW_STORE_SCHEMA_VERSION || current < 0)
                return store_refuse_version(s, current);
        if (current == SW_STORE_SCHEMA_VERSION)
                return 0;
        for (;;) {
                char sql[64];
                int version;

                r = store_exec(s, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                /* Read inside the write transaction: another process may have migrated. */
                r = store_user_version(s, &version);
                if (r < 0)
                        goto fail;
                if (version > SW_STORE_SCHEMA_VERSION || version < 0) {
                        r = store_refuse_version(s, version);
                        goto fail;
                }
                if (version == SW_STORE_SCHEMA_VERSION)
                        return store_exec(s, "COMMIT");
                r = store_exec(s, store_migrations[version]);
                if (r < 0)
                        goto fail;
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
                r = store_exec(s, sql);
                if (r < 0)
                        goto fail;
                r = store_exec(s, "COMMIT");
                if (r < 0)
                        goto fail;
                continue;
        fail:
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
}

static int store_configure(struct sw_store *s, const struct sw_store_options *opt)
{
        char buf[64];
        int r;

        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
        /* The first statement that reads the header: garbage fails here with -EUCLEAN. */
        r = store_pragma_text(s, "PRAGMA journal_mode = WAL", buf, sizeof(buf));
        if (r < 0)
                return r;
        if (strcmp(buf, "wal") != 0)
                return store_fail_msg(s, -ENOTSUP, "WAL journal mode is not available");
        /* NORMAL: see the durability note at the top of this file. */
        r = store_exec(s, "PRAGMA synchronous = NORMAL;"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA secure_delete = OFF;");
        if (r < 0)
                return r;
        snprintf(buf, sizeof(buf), "PRAGMA journal_size_limit = %d", STORE_JOURNAL_SIZE_LIMIT);
        r = store_exec(s, buf);
        if (r < 0)
                return r;
        if (opt && opt->cache_kib > 0) {
                snprintf(buf, sizeof(buf), "PRAGMA cache_size = -%" PRIu32, opt->cache_kib);
                r = store_exec(s, buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int store_prepare_all(struct sw_store *s)
{
        for (size_t i = 0; i < STMT_COUNT; i++) {
                int rc = sqlite3_prepare_v3(s->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                            &s->stmt[i], NULL);

                if (rc != SQLITE_OK)
                        return store_fail(s, rc);
        }
        return 0;
}

int sw_store_open(const char *path, const struct sw_store_options *opt, struct sw_store **ret)
{
        struct sw_store *s;
        int rc, r;

        if (!path || !*path || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        if (rc != SQLITE_OK) {
                r = s->db ? store_fail(s, rc) : -ENOMEM;
                goto fail;
        }
        r = store_configure(s, opt);
        if (r < 0)
                goto fail;
        r = store_migrate(s);
        if (r < 0)
                goto fail;
        r = store_prepare_all(s);
        if (r < 0)
                goto fail;
        s->errmsg[0] = '\0';
        *ret = s;
        return 0;
fail:
        /* Leave a -wal file where it is for sw_store_quarantine(): closing the
         * last connection would otherwise delete it. */
        if (s->db) {
                int one = 1;

                sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
        }
        sw_store_close(s);
        return r;
}

struct sw_store *sw_store_close(struct sw_store *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < STMT_COUNT; i++)
                sqlite3_finalize(s->stmt[i]);
        /* Closing the last connection checkpoints and removes the -wal file;
         * an open transaction is rolled back. */
        sqlite3_close_v2(s->db);
        free(s);
        return NULL;
}

const char *sw_store_errmsg(const struct sw_store *s)
{
        return s ? s->errmsg : "no store";
}

int sw_store_schema_version(struct sw_store *s, int *ret)
{
        int v, r;

        if (!s || !ret)
                return -EINVAL;
        r = store_user_version(s, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int sw_store_set_busy_timeout(struct sw_store *s, uint32_t ms)
{
        if (!s)
                return -EINVAL;
        sqlite3_busy_timeout(s->db, ms > INT_MAX ? INT_MAX : (int)ms);
        return 0;
}

int sw_store_set_rev_floor(struct sw_store *s, int64_t floor)
{
        if (!s || floor < 0)
                return -EINVAL;
        s->rev_floor = floor;
        return 0;
}

int64_t sw_store_rev_floor(const struct sw_store *s)
{
        return s ? s->rev_floor : 0;
}

int sw_store_set_max_bytes(struct sw_store *s, uint64_t max_bytes)
{
        char buf[96];
        uint64_t pages;
        int page_size, r;

        if (!s)
                return -EINVAL;
        r = store_pragma_text(s, "PRAGMA page_size", buf, sizeof(buf));
        if (r < 0)
                return r;
        page_size = atoi(buf);
        if (page_size <= 0)
                return store_fail_msg(s, -EIO, "cannot read page_size");
        /* 0 means "no cap": SQLite's own maximum page count. */
        pages = max_bytes ? max_bytes / (uint64_t)page_size : 0xfffffffeu;
        if (pages < 1)
                pages = 1;
        if (pages > 0xfffffffeu)
                pages = 0xfffffffeu;
        snprintf(buf, sizeof(buf), "PRAGMA max_page_count = %" PRIu64, pages);
        return store_exec(s, buf);
}

int sw_store_quick_check(struct sw_store *s)
{
        sqlite3_stmt *st;
        size_t used = 0;
        int rc, r = 0;

        if (!s)
                return -EINVAL;
        st = s->stmt[STMT_QUICK_CHECK];
        /* One row "ok", or one row per problem (the first names the schema). */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *t = (const char *)sqlite3_column_text(st, 0);

                if (!t || strcmp(t, "ok") != 0) {
                        r = -EUCLEAN;
                        if (used + 1 < sizeof(s->errmsg)) {
                                int n = snprintf(s->errmsg + used, sizeof(s->errmsg) - used, "%s%s",
                                                 used ? "; " : "", t ? t : "?");

                                used += n > 0 ? (size_t)n : 0;
                        }
                }
        }
        if (rc != SQLITE_DONE && r == 0)
                r = store_fail(s, rc);
        else if (rc != SQLITE_DONE && used + 1 < sizeof(s->errmsg))
                snprintf(s->errmsg + used, sizeof(s->errmsg) - used, "; %s", sqlite3_errmsg(s->db));
        store_release(st);
        return r;
}

int sw_store_in_transaction(const struct sw_store *s)
{
        return s && !sqlite3_get_autocommit(s->db);
}

int sw_store_begin(struct sw_store *s)
{
        if (!s)
                return -EINVAL;
        if (sw_store_in_transaction(s))
                return store_fail_msg(s, -EALREADY, "a transaction is already open");
        return store_run(s, s->stmt[STMT_BEGIN]);
}

int sw_store_commit(struct sw_store *s)
{
        if (!s)
                return -EINVAL;
        if (!sw_store_in_transaction(s))
                return store_fail_msg(s, -EINVAL, "no transaction is open");
        return store_run(s, s->stmt[STMT_COMMIT]);
}

int sw_store_commit_durable(struct sw_store *s)
{
        sqlite3_file *wal = NULL;
        int rc, r;

        if (!s)
                return -EINVAL;
        if (sw_store_in_transaction(s)) {
                r = store_run(s, s->stmt[STMT_COMMIT]);
                if (r < 0)
                        return r;
        }
        rc = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        /* No WAL open yet means nothing was ever written through this connection. */
        if (!wal || !wal->pMethods)
                return 0;
        rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
        if (rc != SQLITE_OK)
                return store_fail_msg(s, sw_store_errno_from_sqlite(rc), "fsync of the WAL failed");
        return 0;
}

int sw_store_rollback(struct sw_store *s)
{
        if (!s)
                return -EINVAL;
        if (!sw_store_in_transaction(s))
                return 0;
        return store_run(s, s->stmt[STMT_ROLLBACK]);
}

/* Bind a blob, never as SQL NULL: a zero-length payload is still a payload. */
static int store_bind_blob(sqlite3_stmt *st, int i, const void *b, size_t len)
{
        if (len == 0)
                return sqlite3_bind_zeroblob(st, i, 0);
        return sqlite3_bind_blob64(st, i, b, len, SQLITE_STATIC);
}

static int store_bind_text(sqlite3_stmt *st, int i, const char *t)
{
        if (!t)
                return sqlite3_bind_null(st, i);
        return sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

/* Bind failures (only SQLITE_TOOBIG/NOMEM/RANGE in practice) as -errno. */
static int store_bind_check(struct sw_store *s, sqlite3_stmt *st, int rc)
{
        if (rc == SQLITE_OK)
                return 0;
        int r = store_fail(s, rc);

        store_release(st);
        return r;
}

int sw_store__bind(sqlite3_stmt *st, const struct sw_store_value *v, size_t n)
{
        int rc = SQLITE_OK;

        for (size_t k = 0; k < n && rc == SQLITE_OK; k++) {
                int i = (int)k + 1;

                switch (v[k].type) {
                case SW_STORE_VALUE_TEXT:
                        rc = store_bind_text(st, i, v[k].text);
                        break;
                case SW_STORE_VALUE_INT:
                        rc = sqlite3_bind_int64(st, i, v[k].i);
                        break;
                case SW_STORE_VALUE_REAL:
                        rc = sqlite3_bind_double(st, i, v[k].d);
                        break;
                case SW_STORE_VALUE_BLOB:
                        rc = store_bind_blob(st, i, v[k].blob, v[k].len);
                        break;
                }
        }
        return rc;
}

/* Bind v[0..n) to one of the store's statements: 0, or -errno with st released. */
static int store_bind(struct sw_store *s, sqlite3_stmt *st, const struct sw_store_value *v,
                      size_t n)
{
        return store_bind_check(s, st, sw_store__bind(st, v, n));
}

/* Bind v[0..n) to one of the store's statements that returns no rows and run it. */
static int store_run_values(struct sw_store *s, enum store_stmt id, const struct sw_store_value *v,
                            size_t n)
{
        int r = store_bind(s, s->stmt[id], v, n);

        return r < 0 ? r : store_run(s, s->stmt[id]);
}

static const void *store_column_blob(sqlite3_stmt *st, int i, size_t *ret_len)
{
        const void *b = sqlite3_column_blob(st, i);

        *ret_len = (size_t)sqlite3_column_bytes(st, i);
        return b ? b : "";
}

/* Step st to the end, calling row(st, arg) for each row (none for NULL): returns the rows
 * seen, the first negative row() result (which stops the walk), or -errno; releases st either
 * way. */
static int store_walk(struct sw_store *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *arg),
                      void *arg)
{
        int rc, r = 0, n = 0;

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = row ? row(st, arg) : 0;
                if (r < 0)
                        break;
                n++;
        }
        if (r >= 0)
                r = rc == SQLITE_DONE ? n : store_fail(s, rc);
        store_release(st);
        return r;
}

int sw_store_put_sku(struct sw_store *s, const char *sku, const void *blob, size_t len)
{
        if (!s || !sku || !*sku || (!blob && len > 0))
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_TEXT(sku), SW_STORE_BLOB(blob, len)};
        return store_run_values(s, STMT_PUT_SKU, v, SW_STORE_N(v));
}

int sw_store_delete_sku(struct sw_store *s, const char *sku)
{
        if (!s || !sku || !*sku)
                return -EINVAL;
        return store_run_values(s, STMT_DELETE_SKU, &SW_STORE_TEXT(sku), 1);
}

struct sku_walk {
        int (*cb)(void *ctx, const char *sku, const void *blob, size_t len); /* caller's */
        void *ctx;                                                           /* its context */
};

static int sku_row(sqlite3_stmt *st, void *arg)
{
        struct sku_walk *w = arg;
        size_t len;
        const void *b = store_column_blob(st, 1, &len);

        return w->cb(w->ctx, (const char *)sqlite3_column_text(st, 0), b, len);
}

int sw_store_load_skus(struct sw_store *s,
                       int (*cb)(void *ctx, const char *sku, const void *blob, size_t len),
                       void *ctx)
{
        struct sku_walk w = {.cb = cb, .ctx = ctx};

        if (!s || !cb)
                return -EINVAL;
        return store_walk(s, s->stmt[STMT_LOAD_SKUS], sku_row, &w);
}

int sw_store_put_dedup(struct sw_store *s, uint64_t hash)
{
        if (!s)
                return -EINVAL;
        /* Stored as the signed 64-bit integer with the same bits. */
        return store_run_values(s, STMT_PUT_DEDUP, &SW_STORE_INT((int64_t)hash), 1);
}

int sw_store_delete_dedup(struct sw_store *s, uint64_t hash)
{
        if (!s)
                return -EINVAL;
        return store_run_values(s, STMT_DELETE_DEDUP, &SW_STORE_INT((int64_t)hash), 1);
}

int sw_store_prune_dedup(struct sw_store *s, uint32_t keep_newest)
{
        if (!s)
                return -EINVAL;
        int r = store_run_values(s, STMT_PRUNE_DEDUP, &SW_STORE_INT(keep_newest), 1);
        return r < 0 ? r : sqlite3_changes(s->db);
}

struct dedup_walk {
        int (*cb)(void *ctx, uint64_t hash); /* caller's */
        void *ctx;                           /* its context */
};

static int dedup_row(sqlite3_stmt *st, void *arg)
{
        struct dedup_walk *w = arg;

        return w->cb(w->ctx, (uint64_t)sqlite3_column_int64(st, 0));
}

int sw_store_load_dedup(struct sw_store *s, int (*cb)(void *ctx, uint64_t hash), void *ctx)
{
        struct dedup_walk w = {.cb = cb, .ctx = ctx};

        if (!s || !cb)
                return -EINVAL;
        return store_walk(s, s->stmt[STMT_LOAD_DEDUP], dedup_row, &w);
}

int sw_store_put_anomaly(struct sw_store *s, const struct sw_store_anomaly *a)
{
        if (!s || !a || !a->id || !a->type || !a->severity || !a->status || !a->sku || !a->as_of ||
            (a->detail ? a->detail_len == 0 : !a->payload))
                return -EINVAL;
        /* In ANOMALY_COLUMNS order; a detail stands in for the payload (then ""). */
        const struct sw_store_value v[] = {
            SW_STORE_TEXT(a->id),
            SW_STORE_TEXT(a->type),
            SW_STORE_TEXT(a->severity),
            SW_STORE_TEXT(a->status),
            SW_STORE_TEXT(a->sku),
            SW_STORE_TEXT(a->category),
            SW_STORE_TEXT(a->as_of),
            SW_STORE_INT(a->episode_day),
            SW_STORE_INT(a->detected_at),
            SW_STORE_INT(a->updated_at),
            SW_STORE_REAL(a->score),
            SW_STORE_REAL(a->probability),
            SW_STORE_REAL(a->value),
            SW_STORE_TEXT(a->detail || !a->payload ? "" : a->payload),
            a->detail ? SW_STORE_BLOB(a->detail, a->detail_len) : SW_STORE_TEXT(NULL)};
        return store_run_values(s, STMT_PUT_ANOMALY, v, SW_STORE_N(v));
}

static const char *store_column_text(sqlite3_stmt *st, int i)
{
        return (const char *)sqlite3_column_text(st, i);
}

/* Walk the rows of an anomaly SELECT (columns in ANOMALY_COLUMNS order). */
struct anomaly_walk {
        int (*cb)(void *ctx, const struct sw_store_anomaly *a); /* caller's */
        void *ctx;                                              /* its context */
};

/* The ANOMALY_COLUMNS of st's row, starting at column i. */
static struct sw_store_anomaly anomaly_columns(sqlite3_stmt *st, int i)
{
        struct sw_store_anomaly a = {
            .id = store_column_text(st, i),
            .type = store_column_text(st, i + 1),
            .severity = store_column_text(st, i + 2),
            .status = store_column_text(st, i + 3),
            .sku = store_column_text(st, i + 4),
            .category = store_column_text(st, i + 5),
            .as_of = store_column_text(st, i + 6),
            .episode_day = sqlite3_column_int64(st, i + 7),
            .detected_at = sqlite3_column_int64(st, i + 8),
            .updated_at = sqlite3_column_int64(st, i + 9),
            .score = sqlite3_column_double(st, i + 10),
            .probability = sqlite3_column_double(st, i + 11),
            .value = sqlite3_column_double(st, i + 12),
            .payload = store_column_text(st, i + 13),
            .detail = sqlite3_column_blob(st, i + 14),
            .rev = sqlite3_column_int64(st, i + 15),
        };

        a.detail_len = a.detail ? (size_t)sqlite3_column_bytes(st, i + 14) : 0;
        return a;
}

static int anomaly_row(sqlite3_stmt *st, void *arg)
{
        struct anomaly_walk *w = arg;
        struct sw_store_anomaly a = anomaly_columns(st, 0);

        return w->cb(w->ctx, &a);
}

static int store_walk_anomalies(struct sw_store *s, sqlite3_stmt *st,
                                int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx)
{
        struct anomaly_walk w = {.cb = cb, .ctx = ctx};

        return store_walk(s, st, anomaly_row, &w);
}

int sw_store_load_open_anomalies(struct sw_store *s,
                                 int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx)
{
        if (!s || !cb)
                return -EINVAL;
        return store_walk_anomalies(s, s->stmt[STMT_LOAD_OPEN_ANOMALIES], cb, ctx);
}

/* Adapter for sw_store_get_anomaly: remember the callback's return value. */
struct store_get_ctx {
        int (*cb)(void *ctx, const struct sw_store_anomaly *a); /* caller's callback */
        void *ctx;                                              /* caller's context */
        int ret;                                                /* what cb returned */
};

static int store_get_cb(void *ctx, const struct sw_store_anomaly *a)
{
        struct store_get_ctx *g = ctx;

        g->ret = g->cb(g->ctx, a);
        return g->ret < 0 ? g->ret : 0;
}

int sw_store_get_anomaly(struct sw_store *s, const char *id,
                         int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx)
{
        struct store_get_ctx g = {.cb = cb, .ctx = ctx};
        sqlite3_stmt *st;
        int r;

        if (!s || !id || !cb)
                return -EINVAL;
        st = s->stmt[STMT_GET_ANOMALY];
        r = store_bind(s, st, &SW_STORE_TEXT(id), 1);
        if (r < 0)
                return r;
        r = store_walk_anomalies(s, st, store_get_cb, &g);
        if (r < 0)
                return r;
        if (r == 0)
                return store_fail_msg(s, -ENOENT, "no such anomaly");
        return g.ret;
}

int sw_store_list_anomalies(struct sw_store *s, const struct sw_store_anomaly_filter *f,
                            int (*cb)(void *ctx, const struct sw_store_anomaly *a), void *ctx)
{
        static const struct sw_store_anomaly_filter none = {0};
        sqlite3_stmt *st;
        int r;

        if (!s || !cb)
                return -EINVAL;
        if (!f)
                f = &none;
        st = s->stmt[STMT_LIST_ANOMALIES];
        /* A negative LIMIT is no limit in SQLite. */
        const struct sw_store_value v[] = {SW_STORE_TEXT(f->type),
                                           SW_STORE_TEXT(f->severity),
                                           SW_STORE_TEXT(f->status),
                                           SW_STORE_TEXT(f->sku),
                                           SW_STORE_INT(f->since ? f->since : INT64_MIN),
                                           SW_STORE_INT(f->limit ? (int64_t)f->limit : -1)};
        r = store_bind(s, st, v, SW_STORE_N(v));
        return r < 0 ? r : store_walk_anomalies(s, st, cb, ctx);
}

/* Run an outbox INSERT with the values v[0..n); its seq into *ret_seq. */
static int outbox_insert(struct sw_store *s, enum store_stmt id, const struct sw_store_value *v,
                         size_t n, int64_t *ret_seq)
{
        int r = store_run_values(s, id, v, n);
        if (r < 0)
                return r;
        if (ret_seq)
                *ret_seq = sqlite3_last_insert_rowid(s->db);
        return 0;
}

int sw_store_outbox_add(struct sw_store *s, const char *topic, const char *msg_id,
                        const void *payload, size_t len, int retain, int64_t created,
                        int64_t *ret_seq)
{
        return sw_store_outbox_add_rev(s, topic, msg_id, payload, len, retain, created, 0, ret_seq);
}

int sw_store_outbox_add_rev(struct sw_store *s, const char *topic, const char *msg_id,
                            const void *payload, size_t len, int retain, int64_t created,
                            int64_t rev, int64_t *ret_seq)
{
        if (!s || !topic || !msg_id || (!payload && len > 0))
                return -EINVAL;
        const struct sw_store_value v[] = {
            SW_STORE_TEXT(topic),         SW_STORE_TEXT(msg_id), SW_STORE_BLOB(payload, len),
            SW_STORE_INT(retain ? 1 : 0), SW_STORE_INT(created), SW_STORE_INT(rev)};
        return outbox_insert(s, STMT_OUTBOX_ADD, v, SW_STORE_N(v), ret_seq);
}

int sw_store_outbox_add_anomaly(struct sw_store *s, const char *topic, const char *anomaly_id,
                                int64_t created, int64_t *ret_seq)
{
        if (!s || !topic || !anomaly_id)
                return -EINVAL;
        const struct sw_store_value rev[] = {SW_STORE_TEXT(anomaly_id), SW_STORE_INT(s->rev_floor)};
        int r = store_run_values(s, STMT_ANOMALY_NEXT_REV, rev, SW_STORE_N(rev));
        if (r < 0)
                return r;
        const struct sw_store_value v[] = {SW_STORE_TEXT(topic), SW_STORE_TEXT(anomaly_id),
                                           SW_STORE_INT(created)};
        return outbox_insert(s, STMT_OUTBOX_ADD_ANOMALY, v, SW_STORE_N(v), ret_seq);
}

struct outbox_walk {
        int (*cb)(void *ctx, const struct sw_store_outbox_row *row); /* caller's */
        void *ctx;                                                   /* its context */
};

static int outbox_row(sqlite3_stmt *st, void *arg)
{
        struct outbox_walk *w = arg;
        struct sw_store_anomaly a;
        struct sw_store_outbox_row row = {
            .seq = sqlite3_column_int64(st, 0),
            .topic = store_column_text(st, 1),
            .msg_id = store_column_text(st, 2),
            .retain = sqlite3_column_int(st, 4),
            .rev = sqlite3_column_int64(st, 5),
        };

        row.payload = store_column_blob(st, 3, &row.len);
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) { /* the joined anomaly's id */
                a = anomaly_columns(st, 6);
                row.anomaly = &a;
        }
        return w->cb(w->ctx, &row);
}

int sw_store_outbox_pending(struct sw_store *s, int64_t after_seq, uint32_t limit,
                            int (*cb)(void *ctx, const struct sw_store_outbox_row *row), void *ctx)
{
        struct outbox_walk w = {.cb = cb, .ctx = ctx};
        sqlite3_stmt *st;

        if (!s || !cb)
                return -EINVAL;
        st = s->stmt[STMT_OUTBOX_PENDING];
        const struct sw_store_value v[] = {SW_STORE_INT(after_seq),
                                           SW_STORE_INT(limit ? (int64_t)limit : -1)};
        int r = store_bind(s, st, v, SW_STORE_N(v));
        return r < 0 ? r : store_walk(s, st, outbox_row, &w);
}

int sw_store_outbox_delivered(struct sw_store *s, int64_t seq)
{
        if (!s)
                return -EINVAL;
        int r = store_run_values(s, STMT_OUTBOX_DELIVERED, &SW_STORE_INT(seq), 1);
        if (r < 0)
                return r;
        if (sqlite3_changes(s->db) == 0)
                return store_fail_msg(s, -ENOENT, "no such outbox row");
        return 0;
}

int sw_store_outbox_depth(struct sw_store *s, uint64_t *ret_rows, uint64_t *ret_bytes)
{
        sqlite3_stmt *st;
        sqlite3_int64 rows = 0, bytes = 0;
        int rc, r = 0;

        if (!s)
                return -EINVAL;
        st = s->stmt[STMT_OUTBOX_DEPTH];
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                rows = sqlite3_column_int64(st, 0);
                bytes = sqlite3_column_int64(st, 1);
        } else {
                r = store_fail(s, rc);
        }
        store_release(st);
        if (r < 0)
                return r;
        if (ret_rows)
                *ret_rows = (uint64_t)rows;
        if (ret_bytes)
                *ret_bytes = (uint64_t)bytes;
        return 0;
}

int sw_store_outbox_trim(struct sw_store *s, uint64_t max_rows)
{
        if (!s)
                return -EINVAL;
        int64_t keep = max_rows > INT64_MAX ? INT64_MAX : (int64_t)max_rows;
        int r = store_run_values(s, STMT_OUTBOX_TRIM, &SW_STORE_INT(keep), 1);
        return r < 0 ? r : sqlite3_changes(s->db);
}

int sw_store_meta_put_int(struct sw_store *s, const char *key, int64_t v)
{
        if (!s || !key || !*key)
                return -EINVAL;
        const struct sw_store_value kv[] = {SW_STORE_TEXT(key), SW_STORE_INT(v)};
        return store_run_values(s, STMT_META_PUT, kv, SW_STORE_N(kv));
}

int sw_store_meta_put_blob(struct sw_store *s, const char *key, const void *b, size_t len)
{
        if (!s || !key || !*key || (!b && len > 0))
                return -EINVAL;
        const struct sw_store_value kv[] = {SW_STORE_TEXT(key), SW_STORE_BLOB(b, len)};
        return store_run_values(s, STMT_META_PUT, kv, SW_STORE_N(kv));
}

/* Step STMT_META_GET for key; on 0 the row is current and the caller must release. */
static int store_meta_find(struct sw_store *s, const char *key, int want_type)
{
        sqlite3_stmt *st = s->stmt[STMT_META_GET];
        int rc = store_bind(s, st, &SW_STORE_TEXT(key), 1);

        if (rc < 0)
                return rc;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == want_type)
                return 0;
        int r = rc == SQLITE_DONE  ? store_fail_msg(s, -ENOENT, "no such meta key")
                : rc == SQLITE_ROW ? store_fail_msg(s, -EBADMSG, "meta key holds another type")
                                   : store_fail(s, rc);

        store_release(st);
        return r;
}

int sw_store_meta_get_int(struct sw_store *s, const char *key, int64_t *ret)
{
        sqlite3_stmt *st;
        int r;

        if (!s || !key || !ret)
                return -EINVAL;
        r = store_meta_find(s, key, SQLITE_INTEGER);
        if (r < 0)
                return r;
        st = s->stmt[STMT_META_GET];
        *ret = sqlite3_column_int64(st, 0);
        store_release(st);
        return 0;
}

int sw_store_meta_get_blob(struct sw_store *s, const char *key, void *buf, size_t size,
                           size_t *ret_len)
{
        sqlite3_stmt *st;
        size_t len;
        const void *b;
        int r;

        if (!s || !key || (!buf && size > 0))
                return -EINVAL;
        r = store_meta_find(s, key, SQLITE_BLOB);
        if (r < 0)
                return r;
        st = s->stmt[STMT_META_GET];
        b = store_column_blob(st, 0, &len);
        if (len > size) {
                store_release(st);
                return store_fail_msg(s, -ENOBUFS, "meta blob larger than the buffer");
        }
        if (len > 0)
                memcpy(buf, b, len);
        store_release(st);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int sw_store_meta_blob_len(struct sw_store *s, const char *key, size_t *ret_len)
{
        sqlite3_stmt *st;
        int r, len;

        if (!s || !key || !ret_len)
                return -EINVAL;
        r = store_meta_find(s, key, SQLITE_BLOB);
        if (r < 0)
                return r;
        st = s->stmt[STMT_META_GET];
        len = sqlite3_column_bytes(st, 0);
        store_release(st);
        *ret_len = (size_t)len;
        return 0;
}

int sw_store_quarantine(const char *path, int64_t now, char *ret_new_path, size_t size)
{
        static const char *const sidecars[] = {"-wal", "-shm"};
        char target[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
        int r = -EEXIST;

        if (!path || !*path)
                return -EINVAL;
        if (access(path, F_OK) < 0)
                return -errno;
        /* Two quarantines in the same second get .1, .2, ... */
        for (unsigned n = 0; n < 100 && r == -EEXIST; n++) {
                int len = n == 0
                              ? snprintf(target, sizeof(target), "%s.corrupt-%" PRId64, path, now)
                              : snprintf(target, sizeof(target), "%s.corrupt-%" PRId64 ".%u", path,
                                         now, n);

                if (len < 0 || (size_t)len + 5 > sizeof(target))
                        return -ENAMETOOLONG;
                if (ret_new_path && (size_t)len >= size)
                        return -ENOBUFS;
                r = sw_store__rename(path, target, false);
        }
        if (r < 0)
                return r;
        /* Keep the pair together: a hot WAL holds committed data. */
        for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
                snprintf(from, sizeof(from), "%s%s", path, sidecars[i]);
                snprintf(to, sizeof(to), "%s%s", target, sidecars[i]);
                if (rename(from, to) < 0 && errno != ENOENT) {
                        /* Without the main file the sidecar is useless; drop it
                         * so a fresh database is not paired with a stale WAL. */
                        if (unlink(from) < 0 && errno != ENOENT)
                                return -errno;
                }
        }
        if (ret_new_path)
                snprintf(ret_new_path, size, "%s", target);
        return 0;
}

int sw_store_inbox_add(struct sw_store *s, int kind, const char *topic, const void *payload,
                       size_t len)
{
        if (!s || !topic || (!payload && len > 0))
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_INT(kind), SW_STORE_TEXT(topic),
                                           SW_STORE_BLOB(payload, len)};
        return store_run_values(s, STMT_INBOX_ADD, v, SW_STORE_N(v));
}

struct inbox_walk {
        int (*cb)(void *ctx, int kind, const char *topic, const void *payload,
                  size_t len); /* caller's */
        void *ctx;             /* its context */
};

static int inbox_row(sqlite3_stmt *st, void *arg)
{
        struct inbox_walk *w = arg;
        size_t len;
        const void *b = store_column_blob(st, 2, &len);

        return w->cb(w->ctx, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1), b,
                     len);
}

int sw_store_inbox_load(struct sw_store *s,
                        int (*cb)(void *ctx, int kind, const char *topic, const void *payload,
                                  size_t len),
                        void *ctx)
{
        struct inbox_walk w = {.cb = cb, .ctx = ctx};

        if (!s || !cb)
                return -EINVAL;
        return store_walk(s, s->stmt[STMT_INBOX_LOAD], inbox_row, &w);
}

int sw_store_inbox_clear(struct sw_store *s)
{
        int r;

        if (!s)
                return -EINVAL;
        r = store_run(s, s->stmt[STMT_INBOX_CLEAR]);
        return r < 0 ? r : sqlite3_changes(s->db);
}

/* ---- for the other store_*.c files (platform/store_internal.h) --------------------------- */

int sw_store__rename(const char *from, const char *to, bool replace)
{
        if (replace)
                return rename(from, to) < 0 ? -errno : 0;
        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;
        /* File system without RENAME_NOREPLACE: check, then rename (racy, but
         * only shelfwatchd itself names files like these). */
        if (access(to, F_OK) == 0)
                return -EEXIST;
        return rename(from, to) < 0 ? -errno : 0;
}

sqlite3 *sw_store__db(struct sw_store *s)
{
        return s->db;
}

int sw_store__fail(struct sw_store *s, int rc)
{
        return store_fail(s, rc);
}

int sw_store__fail_msg(struct sw_store *s, int r, const char *msg)
{
        return store_fail_msg(s, r, msg);
}

int sw_store__query(struct sw_store *s, const char *sql, const struct sw_store_value *v, size_t n,
                    int (*row)(sqlite3_stmt *st, void *arg), void *arg)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

        if (rc == SQLITE_OK)
                rc = sw_store__bind(st, v, n);
        int r = rc == SQLITE_OK ? store_walk(s, st, row, arg) : store_fail(s, rc);

        sqlite3_finalize(st);
        return r;
}
