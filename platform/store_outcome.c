/* SQLite persistence of anomaly outcomes and the walk the effectiveness metrics read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/store_internal.h"
#include "platform/store_outcome.h"

int sw_store_put_outcome(struct sw_store *s, const struct sw_store_outcome *o)
{
        if (!s || !o || !o->id || !o->anomaly || !o->type || !o->sku || !o->outcome || !o->source ||
            !o->payload)
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_TEXT(o->id),
                                           SW_STORE_TEXT(o->anomaly),
                                           SW_STORE_INT(o->seq),
                                           SW_STORE_TEXT(o->type),
                                           SW_STORE_TEXT(o->sku),
                                           SW_STORE_TEXT(o->outcome),
                                           SW_STORE_TEXT(o->source),
                                           SW_STORE_TEXT(o->count_id),
                                           SW_STORE_INT(o->ts),
                                           SW_STORE_REAL(o->value_recovered),
                                           SW_STORE_REAL(o->prevented_value),
                                           SW_STORE_TEXT(o->payload)};
        int r = sw_store__query(s,
                                "INSERT INTO outcome(id, anomaly, seq, type, sku, outcome, source, "
                                "count_id, ts, value_recovered, prevented_value, payload) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                                v, SW_STORE_N(v), NULL, NULL);
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

        if (!s || !anomaly || !ret_count || !ret_first_ts)
                return -EINVAL;
        int r = sw_store__query(s,
                                "SELECT count(*), coalesce(min(ts), 0) FROM outcome "
                                "WHERE anomaly = ?1",
                                &SW_STORE_TEXT(anomaly), 1, history_row, &h);
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

        if (!s || !count_id || !buf || size == 0)
                return -EINVAL;
        int r = sw_store__query(s,
                                "SELECT payload FROM outcome WHERE count_id = ?1 "
                                "ORDER BY rowid LIMIT 1",
                                &SW_STORE_TEXT(count_id), 1, copy_row, &c);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        return c.r;
}

int sw_store_outcome_exists_since(struct sw_store *s, const char *type, const char *sku, int64_t ts,
                                  const char *only_outcome)
{
        if (!s || !type || !sku)
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_TEXT(sku), SW_STORE_TEXT(type),
                                           SW_STORE_INT(ts), SW_STORE_TEXT(only_outcome)};
        int r = sw_store__query(s,
                                "SELECT 1 FROM outcome WHERE sku = ?1 AND type = ?2 AND ts >= ?3 "
                                "AND (?4 IS NULL OR outcome = ?4) LIMIT 1",
                                v, SW_STORE_N(v), NULL, NULL);
        return r < 0 ? r : r > 0;
}

int sw_store_outcome_any(struct sw_store *s)
{
        if (!s)
                return -EINVAL;
        int r = sw_store__query(s, "SELECT 1 FROM outcome LIMIT 1", NULL, 0, NULL, NULL);
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

        if (!s || !cb)
                return -EINVAL;
        /* The latest outcome decides (a manager may correct a scanner); the first one times
         * the response. */
        return sw_store__query(
            s,
            "SELECT a.type, a.severity, a.status, a.sku, a.category, a.detected_at, "
            "  coalesce((SELECT min(ts) FROM outcome f WHERE f.anomaly = a.id), 0), "
            "  o.outcome, coalesce(o.value_recovered, 0), coalesce(o.prevented_value, 0) "
            "FROM anomaly a LEFT JOIN outcome o ON o.anomaly = a.id AND o.seq = "
            "  (SELECT max(seq) FROM outcome l WHERE l.anomaly = a.id) "
            "WHERE a.detected_at >= ?1 ORDER BY a.detected_at, a.id",
            &SW_STORE_INT(since), 1, metrics_row, &w);
}
