/* What the store_*.c files share inside platform/ (never included above platform/). */
#ifndef SW_STORE_INTERNAL_H
#define SW_STORE_INTERNAL_H

#include <stdbool.h>

#include <sqlite3.h>

#include "platform/store.h"

/* The store's one connection. */
sqlite3 *sw_store__db(struct sw_store *s);
/* Record SQLite's message for rc and return it as -errno. */
int sw_store__fail(struct sw_store *s, int rc);
/* Record msg and return r. */
int sw_store__fail_msg(struct sw_store *s, int r, const char *msg);
/* rename(from, to); unless replace, refused with -EEXIST when to exists (RENAME_NOREPLACE, or
 * a check first on a file system without it). 0 or -errno. */
int sw_store__rename(const char *from, const char *to, bool replace);
/* Step st to the end calling row() per row; resets st. Returns the rows seen or -errno. */
int sw_store__walk(struct sw_store *s, sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *arg),
                   void *arg);

#endif
