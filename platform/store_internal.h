/* What the store_*.c files share inside platform/ (never included above platform/). */
#ifndef SW_STORE_INTERNAL_H
#define SW_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* One parameter of a statement, bound by its place in a list (sw_store__query). */
struct sw_store_value {
        enum sw_store_value_type {
                SW_STORE_VALUE_TEXT, /* text; NULL binds SQL NULL */
                SW_STORE_VALUE_INT,  /* i */
                SW_STORE_VALUE_REAL, /* d */
                SW_STORE_VALUE_BLOB, /* blob, len; never SQL NULL, even when empty */
        } type;                      /* which of the fields below holds the value */
        const char *text;            /* TEXT */
        const void *blob;            /* BLOB */
        size_t len;                  /* BLOB's bytes */
        int64_t i;                   /* INT */
        double d;                    /* REAL */
};
#define SW_STORE_TEXT(t) ((struct sw_store_value){.type = SW_STORE_VALUE_TEXT, .text = (t)})
#define SW_STORE_INT(v)  ((struct sw_store_value){.type = SW_STORE_VALUE_INT, .i = (v)})
#define SW_STORE_REAL(v) ((struct sw_store_value){.type = SW_STORE_VALUE_REAL, .d = (v)})
#define SW_STORE_BLOB(b, n)                                                                        \
        ((struct sw_store_value){.type = SW_STORE_VALUE_BLOB, .blob = (b), .len = (n)})
#define SW_STORE_N(v) (sizeof(v) / sizeof((v)[0]))

/* Bind v[0..n) to st's parameters 1..n: SQLITE_OK, or the first failure's SQLite code. */
int sw_store__bind(sqlite3_stmt *st, const struct sw_store_value *v, size_t n);
/* Prepare sql (a one-off statement), bind v[0..n), step it to the end calling row() per row
 * (none for NULL), finalize it. Returns the rows seen, row()'s first negative result, or
 * -errno with the store's message. */
int sw_store__query(struct sw_store *s, const char *sql, const struct sw_store_value *v, size_t n,
                    int (*row)(sqlite3_stmt *st, void *arg), void *arg);

#endif
