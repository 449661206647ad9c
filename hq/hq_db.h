/* PostgreSQL through libpq: connecting, errors as -errno, and the schema migrations. */
#ifndef HQ_DB_H
#define HQ_DB_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* One embedded migration (hq/sql/NNN_*.sql, built into the binary). */
struct hq_migration {
        int version;     /* NNN */
        const char *sql; /* the file's text */
};
extern const struct hq_migration hq_migrations[];
extern const size_t hq_n_migrations;

/* Connect; statement_timeout_ms 0 leaves the server's. Returns 0, -ECONNREFUSED (the message
 * in err). */
int hq_db_connect(const char *conninfo, uint32_t statement_timeout_ms, PGconn **ret, char *err,
                  size_t errsz);

/*
 * A result's status as -errno: 0 for success (COMMAND_OK / TUPLES_OK), -ECONNRESET when the
 * connection is gone, -EBADMSG for a data or integrity error (SQLSTATE class 22 or 23: one row
 * is at fault), -EAGAIN for a serialization failure or deadlock (40001, 40P01: retry), -EIO
 * otherwise. NULL res counts as a lost connection.
 */
int hq_db_result_errno(PGconn *c, const PGresult *res);
/* Run a command without parameters; the error message goes to err. */
int hq_db_exec(PGconn *c, const char *sql, char *err, size_t errsz);

/*
 * Apply every embedded migration newer than the database's schema_version, in one transaction
 * under an advisory lock (instances starting together wait for each other). Returns the
 * version now in force, -EPROTO when the database is newer than this binary knows, or -errno
 * (message in err).
 */
int hq_db_migrate(PGconn *c, char *err, size_t errsz);

#endif
