/* Tests of platform/store: a real SQLite file in a mkdtemp directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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
#include "platform/store_receipt.h"
#include "tests/support/scratch.h"
#include "tests/support/test_main.h"

/* Per-test fixture: a fresh directory and the database path inside it. */
struct fixture {
        char dir[64];       /* mkdtemp directory */
        char path[128];     /* dir/shelfwatch.db */
        struct sw_store *s; /* opened store, or NULL */
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(sw_test_mkdtemp(f->dir, sizeof(f->dir), "sw-store-test"), 0);
        snprintf(f->path, sizeof(f->path), "%s/shelfwatch.db", f->dir);
        *state = f;
        return 0;
}

static int setup_open(void **state)
{
        struct fixture *f;

        setup(state);
        f = *state;
        assert_int_equal(
            sw_store_open(f->path, &(struct sw_store_options){.cache_kib = 512}, &f->s), 0);
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        f->s = sw_store_close(f->s);
        sw_test_rm_rf(f->dir);
        free(f);
        return 0;
}

static int file_exists(const char *p)
{
        return access(p, F_OK) == 0;
}

/* Run SQL on the file with a separate raw connection. */
static void raw_exec(const char *path, const char *sql)
{
        sqlite3 *db;

        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
}

static int raw_int(const char *path, const char *sql)
{
        sqlite3 *db;
        sqlite3_stmt *st;
        int v;

        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

/* ---- SKU state ---- */

/* Collected rows of sw_store_load_skus. */
struct sku_rows {
        int n;                     /* rows seen */
        char sku[8][32];           /* keys in callback order */
        unsigned char blob[8][16]; /* blob bytes */
        size_t len[8];             /* blob lengths */
        int stop_after;            /* return -ECANCELED after this many rows; 0 = never */
};

static int sku_cb(void *ctx, const char *sku, const void *blob, size_t len)
{
        struct sku_rows *r = ctx;

        assert_true(r->n < 8);
        assert_true(len <= sizeof(r->blob[0]));
        assert_non_null(blob);
        snprintf(r->sku[r->n], sizeof(r->sku[0]), "%s", sku);
        memcpy(r->blob[r->n], blob, len);
        r->len[r->n] = len;
        r->n++;
        if (r->stop_after && r->n >= r->stop_after)
                return -ECANCELED;
        return 0;
}

static void test_open_close_reopen_keeps_data(void **state)
{
        struct fixture *f = *state;
        struct sku_rows rows = {0};
        int64_t v = 0;

        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_string_equal(sw_store_errmsg(f->s), "");
        assert_int_equal(sw_store_put_sku(f->s, "A1", "abc", 3), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "last_detect_day", 19999), 0);
        f->s = sw_store_close(f->s);
        assert_null(f->s);
        assert_null(sw_store_close(NULL));

        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_load_skus(f->s, sku_cb, &rows), 1);
        assert_string_equal(rows.sku[0], "A1");
        assert_memory_equal(rows.blob[0], "abc", 3);
        assert_int_equal(sw_store_meta_get_int(f->s, "last_detect_day", &v), 0);
        assert_int_equal(v, 19999);
        assert_int_equal(sw_store_quick_check(f->s), 0);
}

static void test_wal_mode(void **state)
{
        struct fixture *f = *state;
        sqlite3 *db;
        sqlite3_stmt *st;

        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db);
}

static void test_migration_from_version_0(void **state)
{
        struct fixture *f = *state;
        int v = -1;

        /* A version-0 file with something already in it. */
        raw_exec(f->path, "CREATE TABLE unrelated(x); INSERT INTO unrelated VALUES(7);");
        assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);

        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_schema_version(f->s, &v), 0);
        assert_int_equal(v, SW_STORE_SCHEMA_VERSION);
        assert_int_equal(raw_int(f->path, "PRAGMA user_version"), SW_STORE_SCHEMA_VERSION);
        assert_int_equal(raw_int(f->path, "SELECT x FROM unrelated"), 7);
        assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                          "('sku_state','dedup','anomaly','outbox','meta')"),
                         5);
        /* Reopening an up-to-date file changes nothing. */
        f->s = sw_store_close(f->s);
        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_schema_version(f->s, &v), 0);
        assert_int_equal(v, SW_STORE_SCHEMA_VERSION);
}

static void test_failed_migration_is_rolled_back(void **state)
{
        struct fixture *f = *state;
        struct sw_store *s = (struct sw_store *)0x1;

        /* The step's CREATE TABLE sku_state collides, after other statements ran. */
        raw_exec(f->path, "CREATE TABLE meta(k);");
        assert_int_equal(sw_store_open(f->path, NULL, &s), -EIO);
        assert_ptr_equal(s, (struct sw_store *)0x1); /* ret not written on failure */
        assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 0);
        assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                          "('sku_state','dedup','anomaly','outbox')"),
                         0);
}

static void test_newer_version_refused(void **state)
{
        struct fixture *f = *state;
        char sql[64];
        struct sw_store *s = NULL;

        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SW_STORE_SCHEMA_VERSION + 1);
        raw_exec(f->path, sql);
        assert_int_equal(sw_store_open(f->path, NULL, &s), -EPROTO);
        assert_null(s);
        assert_int_equal(raw_int(f->path, "PRAGMA user_version"), SW_STORE_SCHEMA_VERSION + 1);
}

static void test_skus_round_trip_and_overwrite(void **state)
{
        struct fixture *f = *state;
        static const unsigned char bin[] = {0x00, 0xff, 0x00, 0x7f, 0x80, 0x00};
        struct sku_rows rows = {0};

        assert_int_equal(sw_store_put_sku(f->s, "B2", bin, sizeof(bin)), 0);
        assert_int_equal(sw_store_put_sku(f->s, "A1", "old", 3), 0);
        assert_int_equal(sw_store_put_sku(f->s, "A1", "newer", 5), 0);
        assert_int_equal(sw_store_put_sku(f->s, "C3", NULL, 0), 0);
        assert_int_equal(sw_store_put_sku(f->s, "", "x", 1), -EINVAL);
        assert_int_equal(sw_store_put_sku(f->s, NULL, "x", 1), -EINVAL);
        assert_int_equal(sw_store_put_sku(f->s, "D4", NULL, 1), -EINVAL);

        assert_int_equal(sw_store_load_skus(f->s, sku_cb, &rows), 3);
        assert_string_equal(rows.sku[0], "A1");
        assert_int_equal(rows.len[0], 5);
        assert_memory_equal(rows.blob[0], "newer", 5);
        assert_string_equal(rows.sku[1], "B2");
        assert_int_equal(rows.len[1], sizeof(bin));
        assert_memory_equal(rows.blob[1], bin, sizeof(bin));
        assert_string_equal(rows.sku[2], "C3");
        assert_int_equal(rows.len[2], 0);

        /* A negative callback result stops the walk and is returned. */
        memset(&rows, 0, sizeof(rows));
        rows.stop_after = 2;
        assert_int_equal(sw_store_load_skus(f->s, sku_cb, &rows), -ECANCELED);
        assert_int_equal(rows.n, 2);
        /* The statement was reset: a later write is not blocked by a read in progress. */
        assert_int_equal(sw_store_put_sku(f->s, "E5", "e", 1), 0);
}

/* ---- dedup ---- */

/* Collected hashes of sw_store_load_dedup. */
struct hash_rows {
        int n;          /* hashes seen */
        uint64_t h[16]; /* in callback order */
};

static int hash_cb(void *ctx, uint64_t hash)
{
        struct hash_rows *r = ctx;

        assert_true(r->n < 16);
        r->h[r->n++] = hash;
        return 0;
}

static void test_dedup_put_prune_load(void **state)
{
        struct fixture *f = *state;
        struct hash_rows rows = {0};

        assert_int_equal(sw_store_put_dedup(f->s, 10), 0);
        assert_int_equal(sw_store_put_dedup(f->s, UINT64_MAX), 0); /* top bit set */
        assert_int_equal(sw_store_put_dedup(f->s, 30), 0);
        assert_int_equal(sw_store_put_dedup(f->s, 40), 0);
        assert_int_equal(sw_store_put_dedup(f->s, 10), 0); /* seen again: now newest */
        assert_int_equal(sw_store_load_dedup(f->s, hash_cb, &rows), 4);
        assert_true(rows.h[0] == UINT64_MAX);
        assert_true(rows.h[1] == 30);
        assert_true(rows.h[2] == 40);
        assert_true(rows.h[3] == 10);

        assert_int_equal(sw_store_prune_dedup(f->s, 2), 2);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_load_dedup(f->s, hash_cb, &rows), 2);
        assert_true(rows.h[0] == 40);
        assert_true(rows.h[1] == 10);
        assert_int_equal(sw_store_prune_dedup(f->s, 5), 0);
        assert_int_equal(sw_store_put_dedup(f->s, 50), 0);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_load_dedup(f->s, hash_cb, &rows), 3);
        assert_true(rows.h[2] == 50);
        assert_int_equal(sw_store_prune_dedup(f->s, 0), 3);
        assert_int_equal(sw_store_load_dedup(f->s, hash_cb, &rows), 0);
}

/* ---- anomalies ---- */

/* Copy of one anomaly row as seen by a callback. */
struct anomaly_copy {
        char id[32], type[32], severity[16], status[16], sku[16], category[16], as_of[16];
        char payload[64];                             /* JSON text */
        char detail[64];                              /* detail bytes, NUL-terminated copy */
        int has_detail;                               /* detail was not NULL */
        int has_category;                             /* category was not NULL */
        int64_t episode_day, detected_at, updated_at; /* integer columns */
        double score, probability, value;             /* real columns */
};

/* Collected rows of an anomaly walk. */
struct anomaly_rows {
        int n;                     /* rows seen */
        struct anomaly_copy a[16]; /* in callback order */
};

static int anomaly_cb(void *ctx, const struct sw_store_anomaly *a)
{
        struct anomaly_rows *r = ctx;
        struct anomaly_copy *c;

        assert_true(r->n < 16);
        c = &r->a[r->n++];
        snprintf(c->id, sizeof(c->id), "%s", a->id);
        snprintf(c->type, sizeof(c->type), "%s", a->type);
        snprintf(c->severity, sizeof(c->severity), "%s", a->severity);
        snprintf(c->status, sizeof(c->status), "%s", a->status);
        snprintf(c->sku, sizeof(c->sku), "%s", a->sku);
        c->has_category = a->category != NULL;
        snprintf(c->category, sizeof(c->category), "%s", a->category ? a->category : "");
        snprintf(c->as_of, sizeof(c->as_of), "%s", a->as_of);
        snprintf(c->payload, sizeof(c->payload), "%s", a->payload);
        c->has_detail = a->detail != NULL;
        assert_true(a->detail_len < sizeof(c->detail));
        if (a->detail)
                memcpy(c->detail, a->detail, a->detail_len);
        else
                assert_int_equal(a->detail_len, 0);
        c->episode_day = a->episode_day;
        c->detected_at = a->detected_at;
        c->updated_at = a->updated_at;
        c->score = a->score;
        c->probability = a->probability;
        c->value = a->value;
        return 0;
}

static struct sw_store_anomaly mk_anomaly(const char *id, const char *type, const char *severity,
                                          const char *status, const char *sku, int64_t detected,
                                          int64_t updated)
{
        return (struct sw_store_anomaly){.id = id,
                                         .type = type,
                                         .severity = severity,
                                         .status = status,
                                         .sku = sku,
                                         .category = "dairy",
                                         .as_of = "2024-03-01",
                                         .episode_day = 19783,
                                         .detected_at = detected,
                                         .updated_at = updated,
                                         .score = 1.5,
                                         .probability = 0.5,
                                         .value = 10.0,
                                         .payload = "{}"};
}

/* Put the n anomalies of a into the store, each a new row. */
static void put_anomalies(struct fixture *f, const struct sw_store_anomaly *a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                assert_int_equal(sw_store_put_anomaly(f->s, &a[i]), 0);
}

static void test_anomaly_upsert_keeps_detected_at(void **state)
{
        struct fixture *f = *state;
        struct anomaly_rows rows = {0};
        struct sw_store_anomaly a =
            mk_anomaly("an-1", "ghost_stock", "warning", "open", "A1", 1000, 1000);

        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);
        a.detected_at = 5000; /* must be ignored on update */
        a.updated_at = 2000;
        a.severity = "critical";
        a.status = "resolved";
        a.category = NULL;
        a.as_of = "2024-03-02";
        a.episode_day = 19784;
        a.score = 3.25;
        a.probability = 0.875;
        a.value = 99.5;
        a.payload = "{\"id\":\"an-1\"}";
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);

        assert_int_equal(sw_store_get_anomaly(f->s, "an-1", anomaly_cb, &rows), 0);
        assert_int_equal(rows.n, 1);
        assert_string_equal(rows.a[0].id, "an-1");
        assert_string_equal(rows.a[0].type, "ghost_stock");
        assert_string_equal(rows.a[0].severity, "critical");
        assert_string_equal(rows.a[0].status, "resolved");
        assert_string_equal(rows.a[0].sku, "A1");
        assert_false(rows.a[0].has_category);
        assert_string_equal(rows.a[0].as_of, "2024-03-02");
        assert_int_equal(rows.a[0].episode_day, 19784);
        assert_int_equal(rows.a[0].detected_at, 1000);
        assert_int_equal(rows.a[0].updated_at, 2000);
        assert_true(rows.a[0].score == 3.25);
        assert_true(rows.a[0].probability == 0.875);
        assert_true(rows.a[0].value == 99.5);
        assert_string_equal(rows.a[0].payload, "{\"id\":\"an-1\"}");

        assert_false(rows.a[0].has_detail);

        assert_int_equal(sw_store_get_anomaly(f->s, "nope", anomaly_cb, &rows), -ENOENT);
        assert_int_equal(rows.n, 1);
        a.payload = NULL;
        assert_int_equal(sw_store_put_anomaly(f->s, &a), -EINVAL);
        a.detail = "";
        assert_int_equal(sw_store_put_anomaly(f->s, &a), -EINVAL); /* a detail has bytes */

        /* With a detail, the row keeps it (binary, NULs included) and no JSON. */
        a.detail = "d\0tail";
        a.detail_len = 6;
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);
        assert_int_equal(sw_store_get_anomaly(f->s, "an-1", anomaly_cb, &rows), 0);
        assert_true(rows.a[1].has_detail);
        assert_memory_equal(rows.a[1].detail, "d\0tail", 6);
        assert_string_equal(rows.a[1].payload, "");
}

/* setup_open(), then the anomalies the listing tests read: three open (a, b, d; detected out
 * of id order, b and d tied), one resolved, one cleared, one dismissed, over three SKUs. */
static int setup_listed(void **state)
{
        struct sw_store_anomaly a[] = {
            mk_anomaly("a", "ghost_stock", "warning", "open", "S1", 20, 100),
            mk_anomaly("b", "ghost_stock", "critical", "open", "S2", 10, 300),
            mk_anomaly("c", "shelf_out", "critical", "resolved", "S1", 10, 200),
            mk_anomaly("d", "ghost_stock", "warning", "open", "S1", 10, 300),
            mk_anomaly("e", "ml_detected", "info", "cleared", "S3", 5, 50),
            mk_anomaly("f", "ml_detected", "info", "dismissed", "S3", 5, 40),
        };

        setup_open(state);
        put_anomalies(*state, a, sizeof(a) / sizeof(a[0]));
        return 0;
}

static void test_load_open_anomalies(void **state)
{
        struct fixture *f = *state;
        struct anomaly_rows rows = {0};

        /* The open ones only, by detected_at then id: b and d (10), then a (20). */
        assert_int_equal(sw_store_load_open_anomalies(f->s, anomaly_cb, &rows), 3);
        assert_string_equal(rows.a[0].id, "b");
        assert_string_equal(rows.a[1].id, "d");
        assert_string_equal(rows.a[2].id, "a");
        for (int i = 0; i < rows.n; i++)
                assert_string_equal(rows.a[i].status, "open");
}

static void test_list_anomalies_filters_limit_order(void **state)
{
        struct fixture *f = *state;
        struct anomaly_rows rows = {0};

        /* Each listing: its filter and the ids it gives, newest first, ties by id descending. */
        const struct {
                const char *name;                             /* names the row in a failure */
                const struct sw_store_anomaly_filter *filter; /* NULL: none */
                const char *ids;                              /* the one-letter ids, in order */
        } listings[] = {
            {"no filter", NULL, "dbcaef"},
            {"type", &(struct sw_store_anomaly_filter){.type = "ghost_stock"}, "dba"},
            {"severity", &(struct sw_store_anomaly_filter){.severity = "critical"}, "bc"},
            {"status and sku", &(struct sw_store_anomaly_filter){.status = "open", .sku = "S1"},
             "da"},
            {"since", &(struct sw_store_anomaly_filter){.since = 200}, "dbc"},
            {"limit", &(struct sw_store_anomaly_filter){.limit = 2}, "db"},
            {"no match", &(struct sw_store_anomaly_filter){.type = "inventory_discrepancy"}, ""},
        };

        for (size_t i = 0; i < sizeof(listings) / sizeof(listings[0]); i++) {
                char ids[16] = "";
                int n;

                memset(&rows, 0, sizeof(rows));
                n = sw_store_list_anomalies(f->s, listings[i].filter, anomaly_cb, &rows);
                for (int j = 0; j < rows.n; j++)
                        strncat(ids, rows.a[j].id, sizeof(ids) - strlen(ids) - 1);
                if (n != (int)strlen(listings[i].ids) || strcmp(ids, listings[i].ids) != 0)
                        fail_msg("listing \"%s\": %d rows \"%s\", want \"%s\"", listings[i].name, n,
                                 ids, listings[i].ids);
        }
}

/* ---- outbox ---- */

/* Collected rows of sw_store_outbox_pending. */
struct outbox_rows {
        int n;                   /* rows seen */
        int64_t seq[16];         /* seq of each row */
        char topic[16][32];      /* topics */
        char msg_id[16][16];     /* message ids */
        char payload[16][32];    /* payload bytes, NUL-terminated copy */
        size_t len[16];          /* payload lengths */
        int retain[16];          /* retain flags */
        int64_t rev[16];         /* the rev a receipt must cover */
        int64_t anomaly_rev[16]; /* a row standing for an anomaly: the anomaly's rev now */
        /* A row standing for an anomaly: the anomaly's status and what it is rendered from
         * (its detail, else its stored JSON), NUL-terminated; "" for other rows. */
        char anomaly_status[16][16];
        char anomaly_stored[16][32];
};

static int outbox_cb(void *ctx, const struct sw_store_outbox_row *row)
{
        struct outbox_rows *r = ctx;
        const struct sw_store_anomaly *a = row->anomaly;

        assert_true(r->n < 16);
        assert_true(row->len < sizeof(r->payload[0]));
        r->seq[r->n] = row->seq;
        snprintf(r->topic[r->n], sizeof(r->topic[0]), "%s", row->topic);
        snprintf(r->msg_id[r->n], sizeof(r->msg_id[0]), "%s", row->msg_id);
        memcpy(r->payload[r->n], row->payload, row->len);
        r->payload[r->n][row->len] = '\0';
        r->len[r->n] = row->len;
        r->retain[r->n] = row->retain;
        r->rev[r->n] = row->rev;
        if (a) {
                r->anomaly_rev[r->n] = a->rev;
                assert_string_equal(a->id, row->msg_id);
                snprintf(r->anomaly_status[r->n], sizeof(r->anomaly_status[0]), "%s", a->status);
                if (a->detail) {
                        assert_true(a->detail_len < sizeof(r->anomaly_stored[0]));
                        memcpy(r->anomaly_stored[r->n], a->detail, a->detail_len);
                } else {
                        snprintf(r->anomaly_stored[r->n], sizeof(r->anomaly_stored[0]), "%s",
                                 a->payload);
                }
        }
        r->n++;
        return 0;
}

/* SQL that takes a current file back to schema 5 (before revs and receipts). */
#define BACK_TO_V5                                                                                 \
        "DROP INDEX outbox_by_msg_id; DROP INDEX outbox_awaiting;"                                 \
        "ALTER TABLE outbox DROP COLUMN acked_at; ALTER TABLE outbox DROP COLUMN rev;"             \
        "ALTER TABLE anomaly DROP COLUMN rev; PRAGMA user_version = 5;"

/* A file of an older schema: a current one taken back by sql, then opened (and migrated). */
static void open_migrated_from(struct fixture *f, const char *sql)
{
        int v = -1;

        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        f->s = sw_store_close(f->s);
        raw_exec(f->path, sql);
        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_schema_version(f->s, &v), 0);
        assert_int_equal(v, SW_STORE_SCHEMA_VERSION);
}

/* A version-3 file (outbox rows without anomaly_ref) keeps its queued rows through 3 -> 4. */
static void test_migration_from_version_3(void **state)
{
        struct fixture *f = *state;
        struct outbox_rows rows = {0};

        open_migrated_from(
            f, BACK_TO_V5
            "ALTER TABLE outbox DROP COLUMN anomaly_ref; ALTER TABLE anomaly DROP COLUMN detail;"
            "PRAGMA user_version = 3;"
            "INSERT INTO outbox(topic, msg_id, payload, retain, created) "
            "VALUES('r/t/s/anomaly', 'm1', '{\"x\":1}', 0, 5);");
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 1);
        assert_string_equal(rows.msg_id[0], "m1");
        assert_string_equal(rows.payload[0], "{\"x\":1}");
}

/* A version-4 file (anomalies with their JSON, no detail) keeps them through 4 -> 5: they are
 * read and sent with their JSON, and a later write gives them a detail. */
static void test_migration_from_version_4(void **state)
{
        struct fixture *f = *state;
        struct outbox_rows rows = {0};
        struct anomaly_rows got = {0};

        open_migrated_from(
            f, BACK_TO_V5
            "ALTER TABLE anomaly DROP COLUMN detail; PRAGMA user_version = 4;"
            "INSERT INTO anomaly VALUES('a1', 'ghost_stock', 'warning', 'open', 'S1', 'c', "
            "'2026-11-26', 20000, 100, 100, 1.5, 0.5, 2.0, '{\"id\":\"a1\"}');"
            "INSERT INTO outbox(topic, msg_id, payload, retain, created, anomaly_ref) "
            "VALUES('r/t/s/anomaly', 'a1', X'', 0, 5, 1);");
        assert_int_equal(sw_store_get_anomaly(f->s, "a1", anomaly_cb, &got), 0);
        assert_false(got.a[0].has_detail);
        assert_string_equal(got.a[0].payload, "{\"id\":\"a1\"}");
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 1);
        assert_string_equal(rows.anomaly_status[0], "open");
        assert_string_equal(rows.anomaly_stored[0], "{\"id\":\"a1\"}");

        struct sw_store_anomaly a =
            mk_anomaly("a1", "ghost_stock", "warning", "cleared", "S1", 100, 200);
        a.payload = NULL;
        a.detail = "DETAIL";
        a.detail_len = 6;
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);
        assert_int_equal(sw_store_get_anomaly(f->s, "a1", anomaly_cb, &got), 0);
        assert_true(got.a[1].has_detail);
        assert_string_equal(got.a[1].detail, "DETAIL");
        assert_string_equal(got.a[1].payload, "");
}

/* A version-5 file upgrades in place to 6: its anomalies were published once (rev 1), a row
 * queued for one carries rev 1, an outcome queued with a v1 payload needs no receipt (HQ does
 * not receipt v1), nothing waits for a receipt; later rows raise the rev, across a reopen. */
static void test_migration_from_version_5(void **state)
{
        struct fixture *f = *state;
        struct outbox_rows rows = {0};
        struct anomaly_rows got = {0};
        struct sw_store_outbox_stats st;
        int64_t seq;

        open_migrated_from(
            f, BACK_TO_V5
            "INSERT INTO anomaly VALUES('a1', 'ghost_stock', 'warning', 'open', 'S1', 'c', "
            "'2026-11-26', 20000, 100, 100, 1.5, 0.5, 2.0, '', X'01');"
            "INSERT INTO outbox(topic, msg_id, payload, retain, created, anomaly_ref) "
            "VALUES('r/t/s/anomaly', 'a1', X'', 0, 5, 1);"
            "INSERT INTO outbox(topic, msg_id, payload, retain, created) "
            "VALUES('r/t/s/outcome', 'a1-o1', '{}', 0, 6);");
        assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 6);
        assert_int_equal(sw_store_get_anomaly(f->s, "a1", anomaly_cb, &got), 0);
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 2);
        assert_int_equal(rows.rev[0], 1);
        assert_int_equal(rows.anomaly_rev[0], 1);
        assert_int_equal(rows.rev[1], 0);
        assert_int_equal(sw_store_outbox_stats(f->s, &st), 0);
        assert_int_equal(st.rows, 2);
        assert_int_equal(st.awaiting, 0);
        assert_int_equal(st.oldest_created, 5);
        /* A new revision is 2; after a reopen the next is 3, never reused or lowered. */
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, "r/t/s/anomaly", "a1", 7, &seq), 0);
        f->s = sw_store_close(f->s);
        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, "r/t/s/anomaly", "a1", 8, &seq), 0);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 4);
        assert_int_equal(rows.rev[2], 2);
        assert_int_equal(rows.rev[3], 3);
        assert_int_equal(rows.anomaly_rev[3], 3);
        /* Writing the anomaly again (a detection update) does not touch its rev. */
        struct sw_store_anomaly a =
            mk_anomaly("a1", "ghost_stock", "critical", "open", "S1", 100, 300);
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 4);
        assert_int_equal(rows.anomaly_rev[0], 3);
}

/* Receipts: an acknowledged row waits (not pending), a receipt of an older rev leaves it, one
 * covering its rev deletes it, rows without a receipt go back to pending after the time. */
static void test_outbox_receipts(void **state)
{
        struct fixture *f = *state;
        struct outbox_rows rows = {0};
        struct sw_store_outbox_stats st;
        int64_t seq[4], first = 0;

        assert_int_equal(
            sw_store_outbox_add_rev(f->s, "t/anomaly", "a1", "{}", 2, 0, 100, 2, &seq[0]), 0);
        assert_int_equal(
            sw_store_outbox_add_rev(f->s, "t/outcome", "a1-o1", "{}", 2, 0, 101, 1, &seq[1]), 0);
        assert_int_equal(
            sw_store_outbox_add_rev(f->s, "t/summary", "s1", "{}", 2, 1, 102, 0, &seq[2]), 0);
        assert_int_equal(
            sw_store_outbox_add_rev(f->s, "t/anomaly", "a2", "{}", 2, 0, 103, 1, &seq[3]), 0);
        assert_int_equal(sw_store_outbox_await_receipt(f->s, seq[0], 1000), 0);
        assert_int_equal(sw_store_outbox_await_receipt(f->s, seq[1], 1010), 0);
        assert_int_equal(sw_store_outbox_await_receipt(f->s, 999, 1010), -ENOENT);
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 2);
        assert_int_equal(rows.seq[0], seq[2]);
        assert_int_equal(sw_store_outbox_stats(f->s, &st), 0);
        assert_int_equal(st.rows, 4);
        assert_int_equal(st.awaiting, 2);
        assert_int_equal(st.oldest_acked_at, 1000);
        assert_int_equal(st.oldest_created, 100);
        /* An older rev, an unknown id, a summary's id: nothing. */
        assert_int_equal(sw_store_outbox_receipt(f->s, "a1", 1), 0);
        assert_int_equal(sw_store_outbox_receipt(f->s, "zz", 9), 0);
        assert_int_equal(sw_store_outbox_receipt(f->s, "s1", 9), 0);
        assert_int_equal(sw_store_outbox_receipt(f->s, NULL, 9), -EINVAL);
        /* Covering revs: gone (a2 was never acknowledged: covered all the same). */
        assert_int_equal(sw_store_outbox_receipt(f->s, "a1-o1", 1), 1);
        assert_int_equal(sw_store_outbox_receipt(f->s, "a2", 5), 1);
        /* a1 waits since 1000: not due at 999, due at 1000. */
        assert_int_equal(sw_store_outbox_requeue(f->s, 999, 1000, &first), 0);
        assert_int_equal(first, 0);
        assert_int_equal(sw_store_outbox_requeue(f->s, 1000, INT64_MAX, &first), 1);
        assert_int_equal(first, seq[0]);
        /* Acknowledged at 5000 by a clock since set back to 1000: due at once, not at 5000. */
        assert_int_equal(sw_store_outbox_await_receipt(f->s, seq[0], 5000), 0);
        first = 0;
        assert_int_equal(sw_store_outbox_requeue(f->s, 1000 - 60, 1000 + 60, &first), 1);
        assert_int_equal(first, seq[0]);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 2);
        assert_int_equal(rows.seq[0], seq[0]);
        assert_int_equal(rows.rev[0], 2);
        assert_int_equal(sw_store_outbox_receipt(f->s, "a1", 3), 1);
        assert_int_equal(sw_store_outbox_stats(f->s, &st), 0);
        assert_int_equal(st.rows, 1);
        assert_int_equal(st.awaiting, 0);
        assert_int_equal(st.oldest_acked_at, 0);
}

/* A row standing for an anomaly comes with the anomaly as it is when sent, holds no bytes
 * itself, and is skipped when its anomaly does not exist. */
static void test_outbox_anomaly_reference(void **state)
{
        struct fixture *f = *state;
        struct outbox_rows rows = {0};
        struct sw_store_anomaly a =
            mk_anomaly("a1", "ghost_stock", "warning", "open", "S1", 100, 100);
        int64_t seq[4];
        uint64_t nrows = 0, bytes = 99;

        a.payload = NULL; /* the row holds its detail, no JSON */
        a.detail = "v1";
        a.detail_len = 2;
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, "r/t/s/anomaly", "a1", 100, &seq[0]), 0);
        assert_int_equal(sw_store_outbox_add(f->s, "r/t/s/outcome", "o1", "{}", 2, 0, 101, &seq[1]),
                         0);
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, "r/t/s/anomaly", "gone", 102, &seq[2]),
                         0);
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, "r/t/s/anomaly", "a1", 103, &seq[3]), 0);
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, NULL, "a1", 0, NULL), -EINVAL);
        assert_int_equal(sw_store_outbox_add_anomaly(f->s, "t", NULL, 0, NULL), -EINVAL);
        /* The anomaly changes before the rows go: both send its state now. */
        a.status = "cleared";
        a.detail = "v2";
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);

        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 3);
        assert_int_equal(rows.seq[0], seq[0]);
        assert_string_equal(rows.msg_id[0], "a1");
        assert_int_equal(rows.len[0], 0);
        assert_string_equal(rows.anomaly_status[0], "cleared");
        assert_string_equal(rows.anomaly_stored[0], "v2");
        assert_int_equal(rows.retain[0], 0);
        assert_int_equal(rows.seq[1], seq[1]);
        assert_string_equal(rows.payload[1], "{}");
        assert_string_equal(rows.anomaly_status[1], ""); /* not an anomaly's row */
        assert_int_equal(rows.seq[2], seq[3]);           /* "gone" is skipped */
        assert_string_equal(rows.anomaly_stored[2], "v2");
        /* A limit counts only rows that can go. */
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, seq[1], 1, outbox_cb, &rows), 1);
        assert_int_equal(rows.seq[0], seq[3]);

        assert_int_equal(sw_store_outbox_depth(f->s, &nrows, &bytes), 0);
        assert_int_equal(nrows, 4);
        assert_int_equal(bytes, 2);
}

static void test_outbox(void **state)
{
        struct fixture *f = *state;
        struct outbox_rows rows = {0};
        int64_t seq[6] = {0};
        uint64_t nrows = 99, bytes = 99;

        assert_int_equal(sw_store_outbox_depth(f->s, &nrows, &bytes), 0);
        assert_int_equal(nrows, 0);
        assert_int_equal(bytes, 0);
        assert_int_equal(
            sw_store_outbox_add(f->s, "r/t/s/anomaly", "m1", "{\"a\":1}", 7, 0, 100, &seq[0]), 0);
        assert_int_equal(sw_store_outbox_add(f->s, "r/t/s/summary", "m2", "{}", 2, 1, 101, &seq[1]),
                         0);
        assert_int_equal(sw_store_outbox_add(f->s, "r/t/s/status", "m3", NULL, 0, 1, 102, &seq[2]),
                         0);
        assert_true(seq[0] < seq[1] && seq[1] < seq[2]);
        assert_int_equal(sw_store_outbox_add(f->s, NULL, "m", "x", 1, 0, 0, NULL), -EINVAL);

        assert_int_equal(sw_store_outbox_pending(f->s, 0, 2, outbox_cb, &rows), 2);
        assert_int_equal(rows.seq[0], seq[0]);
        assert_string_equal(rows.topic[0], "r/t/s/anomaly");
        assert_string_equal(rows.msg_id[0], "m1");
        assert_string_equal(rows.payload[0], "{\"a\":1}");
        assert_int_equal(rows.retain[0], 0);
        assert_int_equal(rows.seq[1], seq[1]);
        assert_int_equal(rows.retain[1], 1);

        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, seq[0], 0, outbox_cb, &rows), 2);
        assert_int_equal(rows.seq[0], seq[1]);
        assert_int_equal(rows.seq[1], seq[2]);
        assert_int_equal(rows.len[1], 0); /* empty payload (clears a retained message) */

        assert_int_equal(sw_store_outbox_depth(f->s, &nrows, &bytes), 0);
        assert_int_equal(nrows, 3);
        assert_int_equal(bytes, 9);

        assert_int_equal(sw_store_outbox_delivered(f->s, seq[1]), 0);
        assert_int_equal(sw_store_outbox_delivered(f->s, seq[1]), -ENOENT);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 2);
        assert_int_equal(rows.seq[0], seq[0]);
        assert_int_equal(rows.seq[1], seq[2]);

        /* Deleting the newest row must not let its seq be reused. */
        assert_int_equal(sw_store_outbox_delivered(f->s, seq[2]), 0);
        assert_int_equal(sw_store_outbox_add(f->s, "t", "m4", "4", 1, 0, 103, &seq[3]), 0);
        assert_true(seq[3] > seq[2]);
        assert_int_equal(sw_store_outbox_add(f->s, "t", "m5", "55", 2, 0, 104, &seq[4]), 0);
        assert_int_equal(sw_store_outbox_add(f->s, "t", "m6", "666", 3, 0, 105, &seq[5]), 0);

        /* Rows now: seq0, seq3, seq4, seq5. Keep the newest 2. */
        assert_int_equal(sw_store_outbox_trim(f->s, 2), 2);
        assert_int_equal(sw_store_outbox_trim(f->s, 2), 0);
        assert_int_equal(sw_store_outbox_trim(f->s, UINT64_MAX), 0);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_outbox_pending(f->s, 0, 0, outbox_cb, &rows), 2);
        assert_int_equal(rows.seq[0], seq[4]);
        assert_int_equal(rows.seq[1], seq[5]);
        assert_int_equal(sw_store_outbox_depth(f->s, &nrows, &bytes), 0);
        assert_int_equal(nrows, 2);
        assert_int_equal(bytes, 5);
        assert_int_equal(sw_store_outbox_trim(f->s, 0), 2);
        assert_int_equal(sw_store_outbox_depth(f->s, &nrows, NULL), 0);
        assert_int_equal(nrows, 0);
}

/* ---- transactions ---- */

static void test_transactions(void **state)
{
        struct fixture *f = *state;
        struct sku_rows rows = {0};
        int64_t seq = 0;

        assert_int_equal(sw_store_rollback(f->s), 0); /* none open: no-op */
        assert_int_equal(sw_store_commit(f->s), -EINVAL);
        assert_int_equal(sw_store_begin(f->s), 0);
        assert_true(sw_store_in_transaction(f->s));
        assert_int_equal(sw_store_begin(f->s), -EALREADY);
        assert_int_equal(sw_store_put_sku(f->s, "gone", "x", 1), 0);
        assert_int_equal(sw_store_outbox_add(f->s, "t", "m", "p", 1, 0, 1, &seq), 0);
        assert_int_equal(sw_store_rollback(f->s), 0);
        assert_false(sw_store_in_transaction(f->s));
        assert_int_equal(sw_store_load_skus(f->s, sku_cb, &rows), 0);
        assert_int_equal(sw_store_outbox_delivered(f->s, seq), -ENOENT);

        /* Group commit: many puts, one commit, visible to another connection. */
        assert_int_equal(sw_store_begin(f->s), 0);
        for (int i = 0; i < 100; i++) {
                char sku[16];

                snprintf(sku, sizeof(sku), "S%03d", i);
                assert_int_equal(sw_store_put_sku(f->s, sku, sku, strlen(sku)), 0);
        }
        assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sku_state"), 0);
        assert_int_equal(sw_store_commit(f->s), 0);
        assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sku_state"), 100);

        /* Durable commit of an anomaly and its outbox row together. */
        struct sw_store_anomaly a = mk_anomaly("an-1", "ghost_stock", "info", "open", "S", 1, 1);

        assert_int_equal(sw_store_begin(f->s), 0);
        assert_int_equal(sw_store_put_anomaly(f->s, &a), 0);
        assert_int_equal(sw_store_outbox_add(f->s, "t", "an-1", "{}", 2, 0, 1, &seq), 0);
        assert_int_equal(sw_store_commit_durable(f->s), 0);
        assert_false(sw_store_in_transaction(f->s));
        assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox"), 1);
        assert_int_equal(sw_store_commit_durable(f->s), 0); /* none open: sync only */
}

/* ---- meta ---- */

static void test_meta(void **state)
{
        struct fixture *f = *state;
        int64_t v = 42;
        char buf[8];
        size_t len = 77;

        assert_int_equal(sw_store_meta_get_int(f->s, "k", &v), -ENOENT);
        assert_int_equal(v, 42);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", -5), 0);
        assert_int_equal(sw_store_meta_put_int(f->s, "k", INT64_MIN), 0);
        assert_int_equal(sw_store_meta_get_int(f->s, "k", &v), 0);
        assert_true(v == INT64_MIN);

        assert_int_equal(sw_store_meta_put_blob(f->s, "model", "0123456789", 10), 0);
        assert_int_equal(sw_store_meta_blob_len(f->s, "model", &len), 0);
        assert_int_equal(len, 10);
        len = 77;
        assert_int_equal(sw_store_meta_get_blob(f->s, "model", buf, sizeof(buf), &len), -ENOBUFS);
        assert_int_equal(len, 77);
        assert_int_not_equal(sw_store_errmsg(f->s)[0], '\0');
        assert_int_equal(sw_store_meta_put_blob(f->s, "model", "abc", 3), 0);
        assert_int_equal(sw_store_meta_get_blob(f->s, "model", buf, sizeof(buf), &len), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(buf, "abc", 3);
        assert_int_equal(sw_store_meta_get_blob(f->s, "none", buf, sizeof(buf), &len), -ENOENT);

        /* Asking for the other kind is refused, not converted. */
        assert_int_equal(sw_store_meta_get_int(f->s, "model", &v), -EBADMSG);
        assert_int_equal(sw_store_meta_get_blob(f->s, "k", buf, sizeof(buf), &len), -EBADMSG);
        assert_int_equal(sw_store_meta_put_int(f->s, "", 1), -EINVAL);
}

/* ---- corruption and quarantine ---- */

static void write_file(const char *path, const void *data, size_t len, off_t off)
{
        int fd = open(path, O_WRONLY | O_CREAT, 0600);

        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, data, len, off), (ssize_t)len);
        close(fd);
}

static void test_garbage_file_quarantined(void **state)
{
        struct fixture *f = *state;
        unsigned char junk[8192];
        char moved[256], wal[160], moved_wal[300];
        struct sw_store *s = NULL;

        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (unsigned char)(i * 131u + 7u);
        write_file(f->path, junk, sizeof(junk), 0);
        snprintf(wal, sizeof(wal), "%s-wal", f->path);
        write_file(wal, junk, 100, 0);

        assert_int_equal(sw_store_open(f->path, NULL, &s), -EUCLEAN);
        assert_null(s);
        assert_true(file_exists(wal)); /* the failed open left the sidecar alone */

        assert_int_equal(sw_store_quarantine(f->path, 1700000000, moved, 8), -ENOBUFS);
        assert_true(file_exists(f->path));
        assert_int_equal(sw_store_quarantine(f->path, 1700000000, moved, sizeof(moved)), 0);
        assert_false(file_exists(f->path));
        assert_false(file_exists(wal));
        assert_true(strstr(moved, ".corrupt-1700000000") != NULL);
        assert_true(file_exists(moved));
        snprintf(moved_wal, sizeof(moved_wal), "%s-wal", moved);
        assert_true(file_exists(moved_wal));

        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_quick_check(f->s), 0);
        assert_int_equal(sw_store_put_sku(f->s, "A", "a", 1), 0);
        f->s = sw_store_close(f->s);

        /* A second quarantine in the same second does not overwrite the first. */
        write_file(f->path, junk, sizeof(junk), 0);
        char moved2[256];

        assert_int_equal(sw_store_quarantine(f->path, 1700000000, moved2, sizeof(moved2)), 0);
        assert_string_not_equal(moved, moved2);
        assert_true(file_exists(moved));
        assert_true(file_exists(moved2));
        assert_int_equal(sw_store_quarantine(f->path, 1, NULL, 0), -ENOENT);
}

static void test_corrupt_page_found(void **state)
{
        struct fixture *f = *state;
        unsigned char junk[4096];
        char blob[600];
        struct sw_store *s = NULL;
        int r;

        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_begin(f->s), 0);
        for (int i = 0; i < 500; i++) {
                char sku[16];

                snprintf(sku, sizeof(sku), "S%04d", i);
                memset(blob, 'a' + i % 26, sizeof(blob));
                assert_int_equal(sw_store_put_sku(f->s, sku, blob, sizeof(blob)), 0);
        }
        assert_int_equal(sw_store_commit(f->s), 0);
        f->s = sw_store_close(f->s); /* checkpoints everything into the main file */

        memset(junk, 0x5a, sizeof(junk));
        /* Smash pages in the middle, leaving the header and schema page intact. */
        write_file(f->path, junk, sizeof(junk), 20 * 4096);
        write_file(f->path, junk, sizeof(junk), 40 * 4096);
        r = sw_store_open(f->path, NULL, &s);
        if (r == 0) {
                r = sw_store_quick_check(s);
                assert_int_not_equal(sw_store_errmsg(s)[0], '\0');
                s = sw_store_close(s);
        }
        assert_int_equal(r, -EUCLEAN);
}

/* ---- error mapping ---- */

struct inbox_rows {
        int n;                /* rows seen */
        int kinds[4];         /* their kinds */
        char topics[4][32];   /* their topics */
        char payloads[4][32]; /* their payloads */
};

static int collect_inbox(void *ctx, int kind, const char *topic, const void *payload, size_t len)
{
        struct inbox_rows *r = ctx;
        if (r->n >= 4)
                return -E2BIG;
        r->kinds[r->n] = kind;
        snprintf(r->topics[r->n], sizeof(r->topics[0]), "%s", topic);
        snprintf(r->payloads[r->n], sizeof(r->payloads[0]), "%.*s", (int)len,
                 (const char *)payload);
        r->n++;
        return 0;
}

static void test_inbox_add_load_clear(void **state)
{
        struct fixture *f = *state;
        struct inbox_rows rows = {0};
        assert_int_equal(sw_store_inbox_add(f->s, 0, "p/pos/r1", "{\"a\":1}", 7), 0);
        assert_int_equal(sw_store_inbox_add(f->s, 4, "p/shelf/s1", "{\"b\":2}", 7), 0);
        assert_int_equal(sw_store_inbox_add(f->s, 1, "p/receipt", "", 0), 0);
        assert_int_equal(sw_store_inbox_add(f->s, 1, NULL, "x", 1), -EINVAL);
        /* Rows survive a reopen, in arrival order. */
        f->s = sw_store_close(f->s);
        assert_int_equal(sw_store_open(f->path, NULL, &f->s), 0);
        assert_int_equal(sw_store_inbox_load(f->s, collect_inbox, &rows), 3);
        assert_int_equal(rows.kinds[0], 0);
        assert_string_equal(rows.topics[0], "p/pos/r1");
        assert_string_equal(rows.payloads[0], "{\"a\":1}");
        assert_int_equal(rows.kinds[1], 4);
        assert_string_equal(rows.payloads[2], "");
        /* Cleared in a transaction that is rolled back: still there. */
        assert_int_equal(sw_store_begin(f->s), 0);
        assert_int_equal(sw_store_inbox_clear(f->s), 3);
        assert_int_equal(sw_store_rollback(f->s), 0);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_inbox_load(f->s, collect_inbox, &rows), 3);
        assert_int_equal(sw_store_begin(f->s), 0);
        assert_int_equal(sw_store_inbox_clear(f->s), 3);
        assert_int_equal(sw_store_commit(f->s), 0);
        memset(&rows, 0, sizeof(rows));
        assert_int_equal(sw_store_inbox_load(f->s, collect_inbox, &rows), 0);
}

static void test_errors_map_to_errno(void **state)
{
        struct fixture *f = *state;
        char path[200];
        struct sw_store *s = NULL, *s2 = NULL;

        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_OK), 0);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_BUSY), -EBUSY);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_BUSY_SNAPSHOT), -EBUSY);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_FULL), -ENOSPC);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_CORRUPT), -EUCLEAN);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_NOTADB), -EUCLEAN);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_CANTOPEN), -ENOENT);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_NOMEM), -ENOMEM);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_IOERR_NOMEM), -ENOMEM);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_IOERR_WRITE), -EIO);
        assert_int_equal(sw_store_errno_from_sqlite(SQLITE_ERROR), -EIO);

        assert_string_equal(sw_store_errmsg(NULL), "no store");
        assert_int_equal(sw_store_open(NULL, NULL, &s), -EINVAL);

        /* Missing directory. */
        snprintf(path, sizeof(path), "%s/missing/x.db", f->dir);
        assert_int_equal(sw_store_open(path, NULL, &s), -ENOENT);
        assert_null(s);

        /* Unreadable file (root bypasses permissions, so only as a normal user). */
        if (geteuid() != 0) {
                snprintf(path, sizeof(path), "%s/noperm.db", f->dir);
                write_file(path, "", 0, 0);
                assert_int_equal(chmod(path, 0), 0);
                assert_int_equal(sw_store_open(path, NULL, &s), -EACCES);
        }

        /* Lock held by another connection past the busy timeout. */
        assert_int_equal(sw_store_open(f->path, NULL, &s), 0);
        assert_int_equal(sw_store_open(f->path, NULL, &s2), 0);
        assert_int_equal(sw_store_set_busy_timeout(s2, 0), 0);
        assert_int_equal(sw_store_begin(s), 0);
        assert_int_equal(sw_store_begin(s2), -EBUSY);
        assert_int_equal(sw_store_put_sku(s2, "x", "x", 1), -EBUSY);
        assert_string_equal(sw_store_errmsg(s2), "database is locked");
        assert_int_equal(sw_store_rollback(s), 0);
        assert_int_equal(sw_store_put_sku(s2, "x", "x", 1), 0);
        s2 = sw_store_close(s2);

        /* Full: a size cap makes SQLite report SQLITE_FULL. */
        static char big[64 * 1024];

        memset(big, 'z', sizeof(big));
        assert_int_equal(sw_store_set_max_bytes(s, 256 * 1024), 0);
        int r = 0;

        for (int i = 0; i < 16 && r == 0; i++) {
                char sku[16];

                snprintf(sku, sizeof(sku), "big%d", i);
                r = sw_store_put_sku(s, sku, big, sizeof(big));
        }
        assert_int_equal(r, -ENOSPC);
        assert_false(sw_store_in_transaction(s));
        assert_int_equal(sw_store_set_max_bytes(s, 0), 0);
        assert_int_equal(sw_store_put_sku(s, "big-again", big, sizeof(big)), 0);
        s = sw_store_close(s);
}

/* One test run between setup_open() and teardown(): it starts with the store open. */
#define TEST_STORE_OPEN(test) cmocka_unit_test_setup_teardown(test, setup_open, teardown)
/* One test run between setup_listed() and teardown(). */
#define TEST_STORE_LISTED(test) cmocka_unit_test_setup_teardown(test, setup_listed, teardown)

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_open_close_reopen_keeps_data),
        TEST_STORE_OPEN(test_wal_mode),
        SW_TEST_FRESH(test_migration_from_version_0),
        SW_TEST_FRESH(test_failed_migration_is_rolled_back),
        SW_TEST_FRESH(test_newer_version_refused),
        TEST_STORE_OPEN(test_skus_round_trip_and_overwrite),
        TEST_STORE_OPEN(test_dedup_put_prune_load),
        TEST_STORE_OPEN(test_anomaly_upsert_keeps_detected_at),
        TEST_STORE_LISTED(test_load_open_anomalies),
        TEST_STORE_LISTED(test_list_anomalies_filters_limit_order),
        SW_TEST_FRESH(test_migration_from_version_5),
        TEST_STORE_OPEN(test_outbox_receipts),
        TEST_STORE_OPEN(test_outbox_anomaly_reference),
        SW_TEST_FRESH(test_migration_from_version_3),
        SW_TEST_FRESH(test_migration_from_version_4),
        TEST_STORE_OPEN(test_outbox),
        TEST_STORE_OPEN(test_transactions),
        TEST_STORE_OPEN(test_meta),
        SW_TEST_FRESH(test_garbage_file_quarantined),
        SW_TEST_FRESH(test_corrupt_page_found),
        SW_TEST_FRESH(test_errors_map_to_errno),
        TEST_STORE_OPEN(test_inbox_add_load_clear))
/* clang-format on */
