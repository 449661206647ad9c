/* A private PostgreSQL 15 for one test: initdb in a temporary directory, unprivileged. */
#include "pg.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "integration/harness.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"

/* Clusters still running at exit (a failed assertion skips the test's own stop): copies, since
 * a test's struct pg_server lives on its stack. */
static struct pg_server pg_live[8];

static void pg_stop_all(void)
{
        for (size_t i = 0; i < sizeof(pg_live) / sizeof(pg_live[0]); i++)
                if (pg_live[i].running)
                        pg_stop(&pg_live[i], true);
}

static void pg_track(const struct pg_server *p, bool running)
{
        static bool registered;
        if (!registered) {
                atexit(pg_stop_all);
                registered = true;
        }
        for (size_t i = 0; i < sizeof(pg_live) / sizeof(pg_live[0]); i++)
                if (running ? !pg_live[i].running : strcmp(pg_live[i].dir, p->dir) == 0) {
                        pg_live[i] = *p;
                        pg_live[i].running = running;
                        return;
                }
}

/* Run a PostgreSQL tool as the cluster's owner; returns its exit status. */
static int pg_tool(const struct pg_server *p, const char *log, const char *fmt, ...)
{
        char cmd[4096], args[1536];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(args, sizeof(args), fmt, ap);
        va_end(ap);
        if (geteuid() == 0)
                snprintf(cmd, sizeof(cmd), "cd %s && runuser -u nobody -- %s >>%s/%s 2>&1", p->dir,
                         args, p->dir, log);
        else
                snprintf(cmd, sizeof(cmd), "cd %s && %s >>%s/%s 2>&1", p->dir, args, p->dir, log);
        int st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void pg_print_log(const struct pg_server *p, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", p->dir, name);
        char *text = h_read_file(path);
        fprintf(stderr, "---- %s\n%s\n", path, text ? text : "(none)");
        free(text);
}

void pg_restart(struct pg_server *p)
{
        int st = pg_tool(p, "pg_ctl.log",
                         PG_BIN "/pg_ctl -D %s/data -l %s/pg.log -w -t 60 start -o \"-p %d -k %s "
                                "-c listen_addresses='' -c fsync=off -c full_page_writes=off "
                                "-c max_connections=200\"",
                         p->dir, p->dir, p->port, p->dir);
        if (st != 0) {
                pg_print_log(p, "pg_ctl.log");
                pg_print_log(p, "pg.log");
        }
        assert_int_equal(st, 0);
        p->running = true;
        pg_track(p, true);
}

void pg_start(struct pg_server *p)
{
        h_tmpdir(p->dir, sizeof(p->dir));
        p->port = sw_test_free_port();
        if (geteuid() == 0) {
                struct passwd *nobody = getpwnam("nobody");
                assert_non_null(nobody);
                assert_int_equal(chown(p->dir, nobody->pw_uid, nobody->pw_gid), 0);
        }
        assert_int_equal(chmod(p->dir, 0755), 0);
        int st = pg_tool(p, "initdb.log",
                         PG_BIN "/initdb -D %s/data -U postgres -A trust -E UTF8 --locale=C "
                                "--no-sync",
                         p->dir);
        if (st != 0)
                pg_print_log(p, "initdb.log");
        assert_int_equal(st, 0);
        snprintf(p->conninfo, sizeof(p->conninfo), "host=%s port=%d user=postgres dbname=postgres",
                 p->dir, p->port);
        pg_restart(p);
}

void pg_stop(struct pg_server *p, bool immediate)
{
        if (!p->running)
                return;
        (void)pg_tool(p, "pg_ctl.log", PG_BIN "/pg_ctl -D %s/data -w -t 60 -m %s stop", p->dir,
                      immediate ? "immediate" : "fast");
        p->running = false;
        pg_track(p, false);
}

void pg_destroy(struct pg_server *p)
{
        pg_stop(p, false);
        h_rmdir(p->dir);
}

void pg_conninfo_as(const struct pg_server *p, const char *user, char *buf, size_t size)
{
        snprintf(buf, size, "host=%s port=%d user=%s dbname=postgres", p->dir, p->port,
                 user ? user : "postgres");
}

PGconn *pg_connect(const struct pg_server *p, const char *user)
{
        char conninfo[512];
        pg_conninfo_as(p, user, conninfo, sizeof(conninfo));
        PGconn *c = PQconnectdb(conninfo);
        if (PQstatus(c) != CONNECTION_OK)
                fprintf(stderr, "pg_connect(%s): %s", conninfo, PQerrorMessage(c));
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        return c;
}

long long pg_number(PGconn *c, const char *sql)
{
        PGresult *res = PQexec(c, sql);
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1)
                fprintf(stderr, "pg_number(%s): %s", sql, PQerrorMessage(c));
        assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
        assert_true(PQntuples(res) >= 1);
        long long v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        return v;
}

int pg_exec(PGconn *c, const char *sql, char *err, size_t errsz)
{
        PGresult *res = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(res);
        int r = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
        if (r < 0 && err)
                snprintf(err, errsz, "%s", PQerrorMessage(c));
        PQclear(res);
        return r;
}
