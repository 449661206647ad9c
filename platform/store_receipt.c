/* The outbox's end-to-end receipts in SQLite: acknowledged rows kept until HQ confirms them. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "platform/store_internal.h"
#include "platform/store_receipt.h"

/* Prepare sql, bind up to two int64 (or a text and an int64), step it to the end; one-off
 * statements: they run per PUBACK or receipt, not per message in a hot loop. */
static int run(struct sw_store *s, const char *sql, const char *text, int64_t a, int64_t b)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(sw_store__db(s), sql, -1, &st, NULL);
        int i = 1;
        if (rc == SQLITE_OK && text)
                rc = sqlite3_bind_text(st, i++, text, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(st, i++, a);
        if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= i)
                rc = sqlite3_bind_int64(st, i, b);
        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_DONE || rc == SQLITE_ROW)
                        rc = SQLITE_OK;
        }
        int r = rc == SQLITE_OK ? sqlite3_changes(sw_store__db(s)) : sw_store__fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

int sw_store_outbox_await_receipt(struct sw_store *s, int64_t seq, int64_t now)
{
        if (!s)
                return -EINVAL;
        int r =
            run(s, "UPDATE outbox SET acked_at = ?2 WHERE seq = ?1", NULL, seq, now > 0 ? now : 1);
        if (r == 0)
                return sw_store__fail_msg(s, -ENOENT, "no such outbox row");
        return r < 0 ? r : 0;
}

int sw_store_outbox_receipt(struct sw_store *s, const char *msg_id, int64_t rev)
{
        if (!s || !msg_id)
                return -EINVAL;
        return run(s, "DELETE FROM outbox WHERE msg_id = ?1 AND rev > 0 AND rev <= ?2", msg_id, rev,
                   0);
}

struct first_seq {
        int64_t seq; /* lowest seq of the rows to requeue */
        bool found;  /* there is one */
};

static int first_seq_row(sqlite3_stmt *st, void *arg)
{
        struct first_seq *f = arg;
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
                f->seq = sqlite3_column_int64(st, 0);
                f->found = true;
        }
        return 0;
}

int sw_store_outbox_requeue(struct sw_store *s, int64_t acked_before, int64_t acked_after,
                            int64_t *ret_first_seq)
{
        struct first_seq f = {0};
        sqlite3_stmt *st = NULL;
        if (!s)
                return -EINVAL;
        int rc = sqlite3_prepare_v2(sw_store__db(s),
                                    "SELECT min(seq) FROM outbox WHERE acked_at > 0 "
                                    "AND (acked_at <= ?1 OR acked_at > ?2)",
                                    -1, &st, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(st, 1, acked_before);
        if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(st, 2, acked_after);
        int r = rc == SQLITE_OK ? sw_store__walk(s, st, first_seq_row, &f) : sw_store__fail(s, rc);
        sqlite3_finalize(st);
        if (r < 0 || !f.found)
                return r < 0 ? r : 0;
        r = run(s,
                "UPDATE outbox SET acked_at = 0 WHERE acked_at > 0 AND (acked_at <= ?1 OR "
                "acked_at > ?2)",
                NULL, acked_before, acked_after);
        if (r > 0 && ret_first_seq)
                *ret_first_seq = f.seq;
        return r;
}

static int stats_row(sqlite3_stmt *st, void *arg)
{
        struct sw_store_outbox_stats *t = arg;
        t->rows = (uint64_t)sqlite3_column_int64(st, 0);
        t->bytes = (uint64_t)sqlite3_column_int64(st, 1);
        t->awaiting = (uint64_t)sqlite3_column_int64(st, 2);
        t->oldest_created = sqlite3_column_int64(st, 3);
        t->oldest_acked_at = sqlite3_column_int64(st, 4);
        return 0;
}

int sw_store_outbox_stats(struct sw_store *s, struct sw_store_outbox_stats *ret)
{
        struct sw_store_outbox_stats t = {0};
        sqlite3_stmt *st = NULL;
        if (!s || !ret)
                return -EINVAL;
        int rc = sqlite3_prepare_v2(
            sw_store__db(s),
            "SELECT count(*), coalesce(sum(length(payload)), 0), "
            "coalesce(sum(acked_at > 0), 0), coalesce(min(created), 0), "
            "coalesce((SELECT min(acked_at) FROM outbox WHERE acked_at > 0), 0) FROM outbox",
            -1, &st, NULL);
        int r = rc == SQLITE_OK ? sw_store__walk(s, st, stats_row, &t) : sw_store__fail(s, rc);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}
