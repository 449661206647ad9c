/* A second shelfwatchd on the database of a running one stops at the inbox lock before it
 * touches the database: here one whose quick_check fails, which the second one would otherwise
 * move aside (the running one's live file) and then run beside it on an empty database. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "harness.h"
#include "platform/store.h"
#include "tests/support/test_main.h"

/* Root page and page size of index name in the database at path. */
static void index_page(const char *path, const char *name, int *ret_page, int *ret_size)
{
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        *ret_page = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        *ret_size = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
}

/* Files of dir whose name holds part. */
static int count_files(const char *dir, const char *part)
{
        int n = 0;
        DIR *d = opendir(dir);
        struct dirent *e;
        assert_non_null(d);
        while ((e = readdir(d)) != NULL)
                n += strstr(e->d_name, part) != NULL;
        closedir(d);
        return n;
}

static void test_second_daemon_leaves_the_database_alone(void **state)
{
        struct h_broker b = {0};
        struct h_daemon a = {0};
        char dir[256], conf[1024], db[300], log[300];
        struct stat before, after;
        int page = 0, size = 0;
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        h_broker_start(&b, 0, NULL);
        h_config(conf, sizeof(conf), b.port, dir, NULL);
        snprintf(db, sizeof(db), "%s/sw.db", dir);
        /* The database exists and is checkpointed before the first daemon starts. */
        struct sw_store *s = NULL;
        assert_int_equal(sw_store_open(db, NULL, &s), 0);
        sw_store_close(s);
        index_page(db, "anomaly_by_sku", &page, &size);
        h_daemon_start(&a, dir, conf, b.port);
        assert_int_equal(stat(db, &before), 0);

        /* A page the running daemon has no reason to read goes bad (a disk error). */
        char junk[65536];
        assert_true((size_t)size <= sizeof(junk));
        memset(junk, 0xA5, (size_t)size);
        int fd = open(db, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, junk, (size_t)size, (off_t)(page - 1) * size), size);
        close(fd);

        /* The second daemon: refused, at once, and the database is where it was. */
        snprintf(log, sizeof(log), "%s/second.log", dir);
        char *argv[] = {SW_BUILD_DIR "/shelfwatchd", "-c", a.conf, NULL};
        pid_t pid = h_spawn(log, argv);
        int status = -1;
        for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
                h_sleep_ms(100);
        if (status == -1) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                char *text = h_read_file(log);
                fail_msg("the second daemon is still running after 10 s:\n%s", text);
        }
        char *text = h_read_file(log);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
        if (!strstr(text, "another shelfwatchd runs on this database"))
                fail_msg("the second daemon's log does not say why:\n%s", text);
        assert_null(strstr(text, "corrupt"));
        free(text);
        assert_int_equal(stat(db, &after), 0);
        assert_true(after.st_ino == before.st_ino);
        assert_int_equal(count_files(dir, "corrupt"), 0);

        /* Its database is damaged: the first one is stopped without a last commit. */
        h_daemon_stop(&a, SIGKILL);
        h_finish_test(&a, &b, dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_second_daemon_leaves_the_database_alone, h_teardown))
/* clang-format on */
