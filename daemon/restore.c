/* shelfwatchd --restore FILE: put a copy made by the backup command in place of the database. */
#include "daemon/restore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/durability.h"
#include "platform/clock.h"
#include "platform/inbox_file.h"
#include "platform/store.h"
#include "platform/store_backup.h"

/* What mark_restored records. */
struct restore_mark {
        const char *from; /* the copy restored */
        int64_t now;      /* Unix s of the restore */
};

/* Records the restore (when, from what) in s, in one durable transaction. */
static int put_marker(struct sw_store *s, const char *from, int64_t now)
{
        int r = sw_store_begin(s);
        if (r < 0)
                return r;
        r = sw_store_meta_put_int(s, SW_RESTORE_META_AT, now);
        if (r == 0)
                r = sw_store_meta_put_blob(s, SW_RESTORE_META_FROM, from, strlen(from));
        if (r == 0)
                r = sw_store_commit_durable(s);
        if (r < 0) /* a failed COMMIT may leave the transaction open */
                (void)sw_store_rollback(s);
        return r;
}

/* Record the restore in the copy at db, before it is put in place (sw_store_restore's prepare),
 * and upgrade its schema (sw_store_open): a daemon that starts the moment the copy is the
 * database already finds the marker, so its revisions jump (sw_restore_apply_rev_floor). */
static int mark_restored(void *ctx, const char *db)
{
        const struct restore_mark *m = ctx;
        const char *from = m->from;
        int64_t now = m->now;
        struct sw_store *s = NULL;
        int r = sw_store_open(db, NULL, &s);
        if (r < 0) {
                fprintf(stderr, "shelfwatchd: cannot open the copy at %s: %s\n", db, strerror(-r));
                return r;
        }
        r = put_marker(s, from, now);
        if (r < 0)
                fprintf(stderr, "shelfwatchd: cannot record the restore in %s: %s (%s)\n", db,
                        strerror(-r), sw_store_errmsg(s));
        sw_store_close(s);
        return r;
}

int sw_restore_mark_fresh(struct sw_store *s, const char *moved_to, int64_t now)
{
        char from[1300];
        snprintf(from, sizeof(from), "empty, after %s", moved_to);
        return put_marker(s, from, now);
}

int sw_restore_run(const struct sw_config *cfg, const char *from)
{
        const char *db = cfg->storage.path;
        char inbox[PATH_MAX], aside[PATH_MAX], aside_inbox[PATH_MAX + 8], msg[512];
        struct sw_inbox_file f;
        struct sw_store_copy_info info;
        int64_t now = sw_clock_now();
        snprintf(inbox, sizeof(inbox), "%s.inbox", db);
        int r = sw_store_check_copy(from, &info, msg, sizeof(msg));
        if (r < 0) {
                fprintf(stderr, "shelfwatchd: %s cannot be restored: %s\n", from,
                        r == -EPROTO ? msg
                        : *msg       ? msg
                                     : strerror(-r));
                return r;
        }
        /* The daemon holds this lock while it runs: never swap a database under it. */
        r = sw_inbox_file_open(&f, inbox);
        if (r < 0) {
                fprintf(stderr, "shelfwatchd: cannot restore: %s\n",
                        r == -EBUSY ? "shelfwatchd is running on this database: stop it first"
                                    : strerror(-r));
                return r;
        }
        struct restore_mark mark = {.from = from, .now = now};
        r = sw_store_restore(from, db, now, mark_restored, &mark, aside, sizeof(aside), msg,
                             sizeof(msg));
        if (r < 0) {
                fprintf(stderr, "shelfwatchd: cannot restore %s: %s\n", from,
                        *msg ? msg : strerror(-r));
                sw_inbox_file_close(&f);
                return r;
        }
        /* The inbox's records came after the copy's group commits: replaying them on the copy
         * would apply part of a later history. They go with the database they belong to. */
        if (aside[0]) {
                snprintf(aside_inbox, sizeof(aside_inbox), "%s.inbox", aside);
                if (rename(inbox, aside_inbox) < 0)
                        r = -errno;
        } else if (unlink(inbox) < 0 && errno != ENOENT) {
                r = -errno;
        }
        sw_inbox_file_close(&f);
        if (r < 0) {
                fprintf(stderr, "shelfwatchd: cannot move the inbox file %s aside: %s\n", inbox,
                        strerror(-r));
                return r;
        }
        printf("shelfwatchd: restored %s (%llu bytes, schema %d) to %s\n", from,
               (unsigned long long)info.bytes, info.schema_version, db);
        if (aside[0])
                printf("shelfwatchd: the database it replaces is kept as %s\n", aside);
        return 0;
}

int sw_restore_marker(struct sw_store *s, int64_t *ret)
{
        return sw_store_meta_get_int(s, SW_RESTORE_META_AT, ret);
}

int64_t sw_restore_next_rev(int64_t stored_rev, int64_t restored_at)
{
        int64_t next = stored_rev + 1;
        return next < restored_at ? restored_at : next;
}

int64_t sw_restore_outcome_number(uint32_t seq, int64_t restored_at)
{
        return restored_at > 0 ? restored_at + (int64_t)seq - 1 : (int64_t)seq;
}

int sw_restore_apply_rev_floor(struct sw_store *s)
{
        int64_t at = 0;
        int r = sw_restore_marker(s, &at);
        if (r == -ENOENT)
                at = 0;
        else if (r < 0)
                return r;
        /* The store computes sw_restore_next_rev(rev, at) in SQL: max(rev + 1, at). */
        return sw_store_set_rev_floor(s, at < 0 ? 0 : at);
}
