/* The outbox's end-to-end receipts in SQLite: acknowledged rows kept until HQ confirms them. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "platform/store_internal.h"
#include "platform/store_receipt.h"

/* Run sql with the values v[0..n): the rows it changed, or -errno. One-off statements: they run
 * per PUBACK or receipt, not per message in a hot loop. */
static int run(struct sw_store *s, const char *sql, const struct sw_store_value *v, size_t n)
{
        int r = sw_store__query(s, sql, v, n, NULL, NULL);
        return r < 0 ? r : sqlite3_changes(sw_store__db(s));
}

int sw_store_outbox_await_receipt(struct sw_store *s, int64_t seq, int64_t now)
{
        if (!s)
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_INT(seq), SW_STORE_INT(now > 0 ? now : 1)};
        int r = run(s, "UPDATE outbox SET acked_at = ?2 WHERE seq = ?1", v, SW_STORE_N(v));
        if (r == 0)
                return sw_store__fail_msg(s, -ENOENT, "no such outbox row");
        return r < 0 ? r : 0;
}

int sw_store_outbox_receipt(struct sw_store *s, const char *msg_id, int64_t rev)
{
        if (!s || !msg_id)
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_TEXT(msg_id), SW_STORE_INT(rev)};
        return run(s, "DELETE FROM outbox WHERE msg_id = ?1 AND rev > 0 AND rev <= ?2", v,
                   SW_STORE_N(v));
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
        if (!s)
                return -EINVAL;
        const struct sw_store_value v[] = {SW_STORE_INT(acked_before), SW_STORE_INT(acked_after)};
        int r = sw_store__query(s,
                                "SELECT min(seq) FROM outbox WHERE acked_at > 0 "
                                "AND (acked_at <= ?1 OR acked_at > ?2)",
                                v, SW_STORE_N(v), first_seq_row, &f);
        if (r < 0 || !f.found)
                return r < 0 ? r : 0;
        r = run(s,
                "UPDATE outbox SET acked_at = 0 WHERE acked_at > 0 AND (acked_at <= ?1 OR "
                "acked_at > ?2)",
                v, SW_STORE_N(v));
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
        if (!s || !ret)
                return -EINVAL;
        int r = sw_store__query(
            s,
            "SELECT count(*), coalesce(sum(length(payload)), 0), "
            "coalesce(sum(acked_at > 0), 0), coalesce(min(created), 0), "
            "coalesce((SELECT min(acked_at) FROM outbox WHERE acked_at > 0), 0) FROM outbox",
            NULL, 0, stats_row, &t);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}
