/* SQLite persistence of anomaly outcomes and the walk the effectiveness metrics read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/store_internal.h"
#include "platform/store_outcome.h"

/* Prepare a one-off statement; -errno with the store's message on failure. */
static int prepare(struct sw_store *s, const char *sql, sqlite3_stmt **ret)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(sw_store__db(s), sql, -1, &st, NULL);
        if (rc != SQLITE_OK) {
                sqlite3_finalize(st);
                return sw_store__fail(s, rc);
        }
        *ret = st;
        return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *t)
{
        return t ? sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Run a prepared statement over its rows with row(), then finalize it. */
static int walk_once(struct sw_store *s, sqlite3_stmt *st, int rc,
                     int (*row)(sqlite3_stmt *st, void *arg), void *arg)
{
        int r = rc == SQLITE_OK ? sw_store__walk(s, st, row, arg) : sw_store__fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

static int no_row(sqlite3_stmt *st, void *arg)
{
        (void)st;
        (void)arg;
        return 0;
}

int sw_store_put_outcome(struct sw_store *s, const struct sw_store_outcome *o)
{
        sqlite3_stmt *st;
        int rc, r;

        if (!s || !o || !o->id || !o->anomaly || !o->type || !o->sku || !o->outcome || !o->source ||
            !o->payload)
                return -EINVAL;
        r = prepare(
            s,
            "INSERT INTO outcome(id, anomaly, seq, type, sku, outcome, source, count_id, ts, "
            "value_recovered, prevented_value, payload) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            &st);
        if (r < 0)
                return r;
        rc = bind_text(st, 1, o->id);
        rc = rc ? rc : bind_text(st, 2, o->anomaly);
        rc = rc ? rc : sqlite3_bind_int64(st, 3, o->seq);
        rc = rc ? rc : bind_text(st, 4, o->type);
        rc = rc ? rc : bind_text(st, 5, o->sku);
        rc = rc ? rc : bind_text(st, 6, o->outcome);
        rc = rc ? rc : bind_text(st, 7, o->source);
        rc = rc ? rc : bind_text(st, 8, o->count_id);
        rc = rc ? rc : sqlite3_bind_int64(st, 9, o->ts);
        rc = rc ? rc : sqlite3_bind_double(st, 10, o->value_recovered);
        rc = rc ? rc : sqlite3_bind_double(st, 11, o->prevented_value);
        rc = rc ? rc : bind_text(st, 12, o->payload);
        r = walk_once(s, st, rc, no_row, NULL);
        return r < 0 ? r : 0;
}

struct history {
        uint32_t count;   /* outcomes */
        int64_t first_ts; /* earliest */
};

static int history_row(sqlite3_stmt *st, void *arg)
{
        struct history *h = arg;
        h->count = (uint32_t)sqlite3_column_int64(st, 0);
        h->first_ts = sqlite3_column_int64(st, 1);
        return 0;
}

int sw_store_outcome_history(struct sw_store *s, const char *anomaly, uint32_t *ret_count,
                             int64_t *ret_first_ts)
{
        struct history h = {0};
        sqlite3_stmt *st;
        int r;

        if (!s || !anomaly || !ret_count || !ret_first_ts)
                return -EINVAL;
        r = prepare(s, "SELECT count(*), coalesce(min(ts), 0) FROM outcome WHERE anomaly = ?1",
                    &st);
        if (r < 0)
                return r;
        r = walk_once(s, st, bind_text(st, 1, anomaly), history_row, &h);
        if (r < 0)
                return r;
        *ret_count = h.count;
        *ret_first_ts = h.first_ts;
        return 0;
}

struct text_copy {
        char *buf;   /* destination */
        size_t size; /* its size */
        int r;       /* 0, or -ENOBUFS */
};

static int copy_row(sqlite3_stmt *st, void *arg)
{
        struct text_copy *c = arg;
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t n = t ? strlen(t) : 0;
        if (n >= c->size) {
                c->r = -ENOBUFS;
                return 0;
        }
        memcpy(c->buf, t ? t : "", n + 1);
        return 0;
}

int sw_store_outcome_of_count(struct sw_store *s, const char *count_id, char *buf, size_t size)
{
        struct text_copy c = {.buf = buf, .size = size};
        sqlite3_stmt *st;
        int r;

        if (!s || !count_id || !buf || size == 0)
                return -EINVAL;
        r = prepare(s, "SELECT payload FROM outcome WHERE count_id = ?1 ORDER BY rowid LIMIT 1",
                    &st);
        if (r < 0)
                return r;
        r = walk_once(s, st, bind_text(st, 1, count_id), copy_row, &c);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        return c.r;
}

int sw_store_outcome_exists_since(struct sw_store *s, const char *type, const char *sku, int64_t ts,
                                  const char *only_outcome)
{
        sqlite3_stmt *st;
        int rc, r;

        if (!s || !type || !sku)
                return -EINVAL;
        r = prepare(s,
                    "SELECT 1 FROM outcome WHERE sku = ?1 AND type = ?2 AND ts >= ?3 "
                    "AND (?4 IS NULL OR outcome = ?4) LIMIT 1",
                    &st);
        if (r < 0)
                return r;
        rc = bind_text(st, 1, sku);
        rc = rc ? rc : bind_text(st, 2, type);
        rc = rc ? rc : sqlite3_bind_int64(st, 3, ts);
        rc = rc ? rc : bind_text(st, 4, only_outcome);
        r = walk_once(s, st, rc, no_row, NULL);
        return r < 0 ? r : r > 0;
}

int sw_store_outcome_any(struct sw_store *s)
{
        sqlite3_stmt *st;
        int r;

        if (!s)
                return -EINVAL;
        r = prepare(s, "SELECT 1 FROM outcome LIMIT 1", &st);
        if (r < 0)
                return r;
        r = walk_once(s, st, SQLITE_OK, no_row, NULL);
        return r < 0 ? r : r > 0;
}

struct metrics_walk {
        int (*cb)(void *ctx, const struct sw_store_metrics_row *row); /* caller's */
        void *ctx;                                                    /* its context */
};

static int metrics_row(sqlite3_stmt *st, void *arg)
{
        struct metrics_walk *w = arg;
        struct sw_store_metrics_row row = {
            .type = (const char *)sqlite3_column_text(st, 0),
            .severity = (const char *)sqlite3_column_text(st, 1),
            .status = (const char *)sqlite3_column_text(st, 2),
            .sku = (const char *)sqlite3_column_text(st, 3),
            .category = (const char *)sqlite3_column_text(st, 4),
            .detected_at = sqlite3_column_int64(st, 5),
            .first_outcome_at = sqlite3_column_int64(st, 6),
            .outcome = (const char *)sqlite3_column_text(st, 7),
            .value_recovered = sqlite3_column_double(st, 8),
            .prevented_value = sqlite3_column_double(st, 9),
        };
        return w->cb(w->ctx, &row);
}

int sw_store_walk_metrics(struct sw_store *s, int64_t since,
                          int (*cb)(void *ctx, const struct sw_store_metrics_row *row), void *ctx)
{
        struct metrics_walk w = {.cb = cb, .ctx = ctx};
        sqlite3_stmt *st;
        int r;

        if (!s || !cb)
                return -EINVAL;
        /* The latest outcome decides (a manager may correct a scanner); the first one times
         * the response. */
        r = prepare(s,
                    "SELECT a.type, a.severity, a.status, a.sku, a.category, a.detected_at, "
                    "  coalesce((SELECT min(ts) FROM outcome f WHERE f.anomaly = a.id), 0), "
                    "  o.outcome, coalesce(o.value_recovered, 0), coalesce(o.prevented_value, 0) "
                    "FROM anomaly a LEFT JOIN outcome o ON o.anomaly = a.id AND o.seq = "
                    "  (SELECT max(seq) FROM outcome l WHERE l.anomaly = a.id) "
                    "WHERE a.detected_at >= ?1 ORDER BY a.detected_at, a.id",
                    &st);
        if (r < 0)
                return r;
        return walk_once(s, st, sqlite3_bind_int64(st, 1, since), metrics_row, &w);
}
