/* PostgreSQL through libpq: connecting, errors as -errno, and the schema migrations. */
#include "hq/hq_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HQ_MIGRATION_LOCK 0x5368656c66 /* "Shelf": pg_advisory_xact_lock key of migrations */

/* One line: libpq's messages end in newlines and may hold several. */
static void copy_message(char *err, size_t errsz, const char *what, const char *msg)
{
        if (!err || errsz == 0)
                return;
        snprintf(err, errsz, "%s: %s", what, msg ? msg : "unknown error");
        for (char *p = err; *p; p++)
                if (*p == '\n')
                        *p = (p[1] ? ' ' : '\0');
}

int hq_db_connect(const char *conninfo, uint32_t statement_timeout_ms, PGconn **ret, char *err,
                  size_t errsz)
{
        PGconn *c = PQconnectdb(conninfo);
        char sql[96];
        if (!c || PQstatus(c) != CONNECTION_OK) {
                copy_message(err, errsz, "cannot connect to PostgreSQL",
                             c ? PQerrorMessage(c) : "out of memory");
                PQfinish(c);
                return -ECONNREFUSED;
        }
        snprintf(sql, sizeof(sql), "SET statement_timeout = %u", statement_timeout_ms);
        if (statement_timeout_ms > 0 && hq_db_exec(c, sql, err, errsz) < 0) {
                PQfinish(c);
                return -ECONNREFUSED;
        }
        *ret = c;
        return 0;
}

int hq_db_result_errno(PGconn *c, const PGresult *res)
{
        const char *state;
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
                return 0;
        if (!res || PQstatus(c) != CONNECTION_OK)
                return -ECONNRESET;
        state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (!state)
                return -EIO;
        if (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
                return -EBADMSG;
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
                return -EAGAIN;
        /* 57P01..57P03: the server is shutting down or restarting. 08: connection. */
        if (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0)
                return -ECONNRESET;
        return -EIO;
}

int hq_db_exec(PGconn *c, const char *sql, char *err, size_t errsz)
{
        PGresult *res = PQexec(c, sql);
        int r = hq_db_result_errno(c, res);
        if (r < 0)
                copy_message(err, errsz, "PostgreSQL", PQerrorMessage(c));
        PQclear(res);
        return r;
}

/* The schema version in force (0: none yet). */
static int current_version(PGconn *c, char *err, size_t errsz)
{
        PGresult *res = PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_version");
        int r = hq_db_result_errno(c, res);
        if (r == 0)
                r = atoi(PQgetvalue(res, 0, 0));
        else
                copy_message(err, errsz, "reading schema_version", PQerrorMessage(c));
        PQclear(res);
        return r;
}

static int apply_newer(PGconn *c, int from, char *err, size_t errsz)
{
        int version = from;
        for (size_t i = 0; i < hq_n_migrations; i++) {
                char sql[96];
                if (hq_migrations[i].version <= from)
                        continue;
                int r = hq_db_exec(c, hq_migrations[i].sql, err, errsz);
                snprintf(sql, sizeof(sql), "INSERT INTO schema_version (version) VALUES (%d)",
                         hq_migrations[i].version);
                if (r == 0)
                        r = hq_db_exec(c, sql, err, errsz);
                if (r < 0)
                        return r;
                version = hq_migrations[i].version;
        }
        return version;
}

int hq_db_migrate(PGconn *c, char *err, size_t errsz)
{
        int known = hq_n_migrations ? hq_migrations[hq_n_migrations - 1].version : 0;
        char sql[160];
        int r = hq_db_exec(c, "BEGIN", err, errsz), v;
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)",
                 (long long)HQ_MIGRATION_LOCK);
        if (r == 0)
                r = hq_db_exec(c, sql, err, errsz);
        if (r == 0)
                r = hq_db_exec(c,
                               "CREATE TABLE IF NOT EXISTS schema_version (version integer "
                               "PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                               err, errsz);
        v = r == 0 ? current_version(c, err, errsz) : r;
        if (v > known) {
                snprintf(err, errsz,
                         "the database has schema version %d, newer than this binary's %d: "
                         "refusing to run an older shelfwatch-hq on it",
                         v, known);
                v = -EPROTO;
        }
        if (v >= 0)
                v = apply_newer(c, v, err, errsz);
        if (v >= 0 && hq_db_exec(c, "COMMIT", err, errsz) < 0)
                return -EIO;
        if (v < 0)
                (void)hq_db_exec(c, "ROLLBACK", NULL, 0);
        return v;
}
