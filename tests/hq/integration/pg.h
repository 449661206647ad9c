/* A private PostgreSQL 15 for one test: initdb in a temporary directory, unprivileged. */
#ifndef HQ_TEST_PG_H
#define HQ_TEST_PG_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/*
 * PostgreSQL refuses to run as root. Run as root (CI), the cluster belongs to "nobody" and
 * initdb/pg_ctl run through runuser; otherwise as the current user. Only a unix socket in the
 * directory is opened (listen_addresses is empty), trust authentication, fsync off (the tests
 * kill processes, never the machine).
 */
struct pg_server {
        char dir[256];      /* the temporary directory (data/, the socket, pg.log) */
        int port;           /* the socket's port number (names the socket file) */
        char conninfo[512]; /* superuser connection string: user postgres, dbname postgres */
        bool running;       /* started and not stopped */
};

/* initdb and start; fails the test when it cannot. */
void pg_start(struct pg_server *p);
/* Start again after pg_stop (same data). */
void pg_restart(struct pg_server *p);
/* pg_ctl stop: immediate (like a crash) or fast. */
void pg_stop(struct pg_server *p, bool immediate);
/* Stop (if running) and remove the directory. */
void pg_destroy(struct pg_server *p);
/* A connection as user (NULL: postgres); fails the test when it cannot. */
PGconn *pg_connect(const struct pg_server *p, const char *user);
/* The first column of the first row as a number; fails the test on an error. */
long long pg_number(PGconn *c, const char *sql);
/* Run a statement; returns 0 or -1 (error text in err if given). */
int pg_exec(PGconn *c, const char *sql, char *err, size_t errsz);
/* The conninfo for another user. */
void pg_conninfo_as(const struct pg_server *p, const char *user, char *buf, size_t size);

#endif
