/* Storage health: a full disk or an I/O error is a state, logged when it changes, not per write. */
#include "daemon/storage_health.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/log.h"

const char *sw_storage_state_name(enum sw_storage_state s)
{
        switch (s) {
        case SW_STORAGE_OK:
                return "ok";
        case SW_STORAGE_FULL:
                return "full";
        case SW_STORAGE_ERROR:
                return "error";
        }
        return "unknown";
}

/* Two stores decide the state: the inbox file and the database. Storage is "ok" again only
 * once each that failed has taken a write since: a capped database fails its commits while
 * the inbox file still takes appends, and one's success must not clear the other's failure. */
#define STORE_INBOX_FILE 1u
#define STORE_DATABASE   2u

static uint32_t writer_bit(const char *what)
{
        return strcmp(what, "inbox") == 0 || strcmp(what, "inbox sync") == 0 ? STORE_INBOX_FILE
                                                                             : STORE_DATABASE;
}

bool sw_storage_health_note(struct sw_storage_health *h, int r, const char *what,
                            const char *db_error, int64_t now)
{
        enum sw_storage_state next;
        uint32_t bit = writer_bit(what);

        if (r >= 0) {
                h->failing &= ~bit;
                if (h->failing)
                        return false; /* another writer still fails: the state holds */
                next = SW_STORAGE_OK;
        } else if (r == -ENOSPC || r == -EDQUOT || r == -EFBIG)
                next = SW_STORAGE_FULL;
        else if (r == -EIO || r == -EROFS || r == -EUCLEAN || r == -EBADF || r == -EACCES ||
                 r == -EPERM)
                next = SW_STORAGE_ERROR;
        else
                return false; /* not a storage condition (e.g. -ENOMEM building JSON) */
        if (r < 0) {
                bool file = bit == STORE_INBOX_FILE;
                h->failing |= bit;
                h->failures++;
                /* SQLite's message only for SQLite's failures: the inbox is a plain file. */
                snprintf(h->last_error, sizeof(h->last_error), "%s: %s%s%s%s", what, strerror(-r),
                         file ? "" : " (", file ? "" : db_error, file ? "" : ")");
        }
        if (next == h->state)
                return false;
        const struct sw_log_fields lf = {.event = next == SW_STORAGE_OK ? SW_EVENT_STORAGE_OK
                                                                        : SW_EVENT_STORAGE_FULL};
        if (next == SW_STORAGE_OK)
                sw_log_event(SW_LOG_NOTICE, &lf,
                             "Storage takes writes again after %lld s (%s); %llu writes had failed",
                             (long long)(now - h->since), what, (unsigned long long)h->failures);
        else
                sw_log_event(SW_LOG_ERR, &lf,
                             "Storage %s: %s. The daemon keeps running: state stays in memory, "
                             "writes are retried every storage.commit_interval_ms, but a crash "
                             "or stop before space returns loses what was not written",
                             next == SW_STORAGE_FULL ? "full" : "error", h->last_error);
        h->state = next;
        h->since = now;
        return true;
}
