/* Storage health: a full disk or an I/O error is a state, logged when it changes, not per write. */
#ifndef SW_STORAGE_HEALTH_H
#define SW_STORAGE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

/* Whether the database and the inbox file take writes (for health). */
enum sw_storage_state {
        SW_STORAGE_OK,    /* the last write succeeded */
        SW_STORAGE_FULL,  /* the disk or storage.max_db_kib is full (-ENOSPC, -EDQUOT, -EFBIG) */
        SW_STORAGE_ERROR, /* an I/O error (-EIO, -EROFS, ...) */
};

struct sw_storage_health {
        enum sw_storage_state state; /* since the last write */
        int64_t since;               /* Unix s of the last change of state, 0 = since start */
        uint64_t failures;           /* failed writes since start */
        uint32_t failing;            /* stores (inbox file, database) whose last write failed */
        char last_error[256];        /* the message of the latest failure, "" none */
};

/* "ok", "full", "error". */
const char *sw_storage_state_name(enum sw_storage_state s);

/*
 * Account the result r (0 or -errno) of a write done while `what` ("inbox", "inbox sync":
 * the inbox file; anything else: the database, whose own message db_error says more) at
 * Unix time now: storage errors (full, I/O) move the state, success after a failure moves it
 * back to ok once every store that failed has taken a write. Logs once per change of state;
 * returns true when the state changed. Other errors (-ENOMEM...) are ignored.
 */
bool sw_storage_health_note(struct sw_storage_health *h, int r, const char *what,
                            const char *db_error, int64_t now);

#endif
