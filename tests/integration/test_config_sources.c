/* The real daemon configured by conf.d drop-ins, SHELFWATCH_* variables and systemd credentials
 * ($CREDENTIALS_DIRECTORY), as one image and one conffile serve every store. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define DAEMON SW_BUILD_DIR "/shelfwatchd"

/* Run shelfwatchd with args; its exit status, and what it printed in *ret_output. */
static int run_daemon(const char *dir, char *const argv[], char **ret_output)
{
        char out[512];

        snprintf(out, sizeof(out), "%s/run.txt", dir);
        unlink(out);
        int st = h_run(out, argv);
        *ret_output = h_read_file(out);
        return st;
}

static void expect_in(const char *text, const char *needle)
{
        if (!text || !strstr(text, needle))
                fail_msg("no \"%s\" in:\n%s", needle, text ? text : "(nothing)");
}

static void write_in(const char *dir, const char *name, const char *text)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        h_write_file(path, text);
}

static void make_dir(const char *dir, const char *name)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_int_equal(mkdir(path, 0700), 0);
}

/* The same conffile for every store; the store's identity in a drop-in. A later drop-in wins,
 * -n -v says where each setting came from, and the daemon serves under the drop-in's topics. */
static void test_dropins_name_the_store(void **state)
{
        struct h_fixture f = {0};
        char path[512], want[1024], *out;
        (void)state;
        h_fixture_prepare(&f, NULL, "store = { tenant = \"demo\"; id = \"store1\"; };\n");
        make_dir(f.dir, "conf.d");
        write_in(f.dir, "conf.d/10-store.conf",
                 "store = {\n  tenant = \"acme\";\n  id = \"s0001\";\n};\n");
        write_in(f.dir, "conf.d/20-fix.conf",
                 "# the store was renumbered\nstore = { id = \"s0042\"; };\n");
        write_in(f.dir, "conf.d/notes.txt", "not a drop-in: never read");
        snprintf(path, sizeof(path), "%s/shelfwatch.conf", f.dir);
        h_write_file(path, f.conf);

        assert_int_equal(run_daemon(f.dir, (char *[]){DAEMON, "-n", "-v", "-c", path, NULL}, &out),
                         0);
        snprintf(want, sizeof(want), "store.tenant = \"acme\" (%s/conf.d/10-store.conf:2)", f.dir);
        expect_in(out, want);
        snprintf(want, sizeof(want), "store.id = \"s0042\" (%s/conf.d/20-fix.conf:2)", f.dir);
        expect_in(out, want);
        snprintf(want, sizeof(want),
                 "warning: store.id is set 3 times: %s/conf.d/20-fix.conf:2 overrides "
                 "%s/conf.d/10-store.conf:3 (the later wins)",
                 f.dir, f.dir);
        expect_in(out, want);
        expect_in(out, "is valid");
        free(out);

        h_daemon_start_at(&f.d, f.dir, f.conf, f.b.port, "retail/acme/s0042");
        cJSON *h = h_health(f.b.port, "retail/acme/s0042");
        cJSON_Delete(h);
        /* The CLI reads the drop-ins too: it asks the daemon of retail/acme/s0042. */
        assert_int_equal(
            run_daemon(f.dir,
                       (char *[]){SW_BUILD_DIR "/shelfwatch", "--config", path, "health", NULL},
                       &out),
            0);
        free(out);
        h_daemon_stop(&f.d, SIGTERM);
        char *log = h_read_file(f.d.log);
        expect_in(log, "store acme/s0042");
        expect_in(log, "store.currency is not set"); /* the start-up warning */
        free(log);
        h_fixture_finish(&f);
}

/* A bad drop-in: a clear error naming its file and line; the daemon does not start on it,
 * and a running daemon refuses it on reload and keeps serving what it had. */
static void test_bad_dropin_changes_nothing(void **state)
{
        struct h_fixture f = {0};
        char path[512], want[1024], *out;
        (void)state;
        h_fixture_prepare(&f, NULL, NULL);
        make_dir(f.dir, "conf.d");
        write_in(f.dir, "conf.d/10-ok.conf", "log = { level = \"info\"; };\n");
        h_fixture_daemon(&f);

        write_in(f.dir, "conf.d/50-bad.conf",
                 "store = { id = \"s0042\"; };\nlimits = {\n max_skus = 0;\n};\n");
        snprintf(path, sizeof(path), "%s/shelfwatch.conf", f.dir);
        assert_int_equal(run_daemon(f.dir, (char *[]){DAEMON, "-n", "-c", path, NULL}, &out), 1);
        snprintf(want, sizeof(want),
                 "%s/conf.d/50-bad.conf:3: limits.max_skus: must be between 1 and 10000000 (got 0)",
                 f.dir);
        expect_in(out, want);
        free(out);

        /* SIGHUP: refused whole, store.id of the same drop-in is not applied either. */
        assert_int_equal(kill(f.d.pid, SIGHUP), 0);
        for (int i = 0; i < 100 && h_daemon_log_count(&f.d, "Reload failed") == 0; i++)
                h_sleep_ms(50);
        char *log = h_read_file(f.d.log);
        snprintf(want, sizeof(want),
                 "Reload failed, keeping the configuration in force: %s/conf.d/50-bad.conf:3",
                 f.dir);
        expect_in(log, want);
        free(log);
        cJSON_Delete(h_health(f.b.port, "retail/demo/store1")); /* still the old store */

        /* A fresh start refuses it too: exit 1, the same message. */
        h_daemon_stop(&f.d, SIGTERM);
        assert_int_equal(run_daemon(f.dir, (char *[]){DAEMON, "-c", path, NULL}, &out), 1);
        expect_in(out, "50-bad.conf:3: limits.max_skus");
        free(out);
        h_fixture_finish(&f);
}

/* Identity from the environment and credentials, the broker password from a credential file
 * (the conffile holds none); credentials win over the environment. */
static void test_credentials_and_environment(void **state)
{
        struct h_fixture f = {0};
        char extra[1024], passwd[512], creds[512], path[512], *out;
        (void)state;
        h_tmpdir(f.b.dir, sizeof(f.b.dir));
        /* A broker that wants a password: the daemon's comes only from its credential. */
        snprintf(passwd, sizeof(passwd), "%s/passwd", f.b.dir);
        h_write_file(passwd, "");
        char *pw_argv[][6] = {
            {"mosquitto_passwd", "-b", passwd, "shelfwatchd", "cred-s3cret", NULL},
            {"mosquitto_passwd", "-b", passwd, "tester", "tester-pw", NULL}};
        for (size_t i = 0; i < 2; i++)
                assert_int_equal(h_run(NULL, pw_argv[i]), 0);
        assert_int_equal(chmod(passwd, 0644), 0);
        snprintf(extra, sizeof(extra), "allow_anonymous false\npassword_file %s\n", passwd);
        /* h_config's text has a broker group already: the user name goes in a drop-in. */
        h_fixture_prepare(&f, extra, NULL);
        h_set_credentials("tester", "tester-pw");
        make_dir(f.dir, "conf.d");
        write_in(f.dir, "conf.d/10-user.conf", "broker = { username = \"shelfwatchd\"; };\n");
        make_dir(f.dir, "creds");
        write_in(f.dir, "creds/shelfwatch.store.id", "s0099\n");
        write_in(f.dir, "creds/shelfwatch.broker.password", "cred-s3cret\n");
        write_in(f.dir, "creds/shelfwatch.store.currency", "EUR\n");
        write_in(f.dir, "creds/hq-client.key", "a credential that is not a setting");
        snprintf(creds, sizeof(creds), "%s/creds", f.dir);
        setenv("CREDENTIALS_DIRECTORY", creds, 1);
        setenv("SHELFWATCH_STORE_TENANT", "envco", 1);
        setenv("SHELFWATCH_STORE_ID", "loses-to-the-credential", 1);

        snprintf(path, sizeof(path), "%s/shelfwatch.conf", f.dir);
        h_write_file(path, f.conf);
        assert_int_equal(run_daemon(f.dir, (char *[]){DAEMON, "-n", "-v", "-c", path, NULL}, &out),
                         0);
        expect_in(out, "store.tenant = \"envco\" (environment SHELFWATCH_STORE_TENANT)");
        expect_in(out, "store.id = \"s0099\" (credential shelfwatch.store.id)");
        expect_in(out, "broker.password = (secret) (credential shelfwatch.broker.password)");
        expect_in(out, "warning: store.id is set 2 times: credential shelfwatch.store.id overrides "
                       "environment SHELFWATCH_STORE_ID (the later wins)");
        assert_null(strstr(out, "cred-s3cret"));
        assert_null(strstr(out, "currency is not set"));
        free(out);

        /* The daemon logs in with the credential's password and serves the credential's store. */
        h_daemon_start_at(&f.d, f.dir, f.conf, f.b.port, "retail/envco/s0099");
        h_daemon_stop(&f.d, SIGTERM);
        char *log = h_read_file(f.d.log);
        expect_in(log, "store envco/s0099");
        assert_int_equal(h_count(log, "store.currency is not set"), 0);
        free(log);

        /* A bad credential: a clear error with its path; nothing starts. */
        write_in(f.dir, "creds/shelfwatch.store.currency", "euro\n");
        assert_int_equal(run_daemon(f.dir, (char *[]){DAEMON, "-c", path, NULL}, &out), 1);
        char want[1024];
        snprintf(want, sizeof(want), "%s/shelfwatch.store.currency: store.currency: must be",
                 creds);
        expect_in(out, want);
        free(out);
        /* A misspelt variable: refused, not ignored. */
        write_in(f.dir, "creds/shelfwatch.store.currency", "EUR\n");
        setenv("SHELFWATCH_STORE_IDD", "x", 1);
        assert_int_equal(run_daemon(f.dir, (char *[]){DAEMON, "-n", "-c", path, NULL}, &out), 1);
        expect_in(out, "environment SHELFWATCH_STORE_IDD: unknown variable");
        free(out);

        unsetenv("SHELFWATCH_STORE_IDD");
        unsetenv("SHELFWATCH_STORE_ID");
        unsetenv("SHELFWATCH_STORE_TENANT");
        unsetenv("CREDENTIALS_DIRECTORY");
        h_set_credentials(NULL, NULL);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(NULL, h_teardown,
        cmocka_unit_test(test_dropins_name_the_store),
        cmocka_unit_test(test_bad_dropin_changes_nothing),
        cmocka_unit_test(test_credentials_and_environment))
/* clang-format on */
