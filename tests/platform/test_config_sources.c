/* Tests of the configuration's layers: conf.d drop-ins, SHELFWATCH_* variables, credentials. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/config.h"
#include "platform/config_sources.h"
#include "tests/support/scratch.h"
#include "tests/support/test_main.h"

static char tmpdir[64];
static struct sw_config_report report; /* ~110 KB: not on the stack */
static struct sw_config cfg;           /* what the test's last load() gave */
static char err[1024];                 /* the error message of the test's last load() */

static const char *in_tmp(const char *name)
{
        return sw_test_path(tmpdir, name);
}

static const char *write_file(const char *name, const char *text)
{
        return sw_test_write_file(tmpdir, name, text);
}

/* Each test: a fresh directory with conf.d/ and creds/, no SHELFWATCH_* or credentials set. */
static int setup(void **state)
{
        (void)state;
        if (sw_test_mkdtemp(tmpdir, sizeof(tmpdir), "sw-test-sources") < 0 ||
            mkdir(in_tmp("conf.d"), 0700) < 0 || mkdir(in_tmp("creds"), 0700) < 0)
                return -1;
        unsetenv("CREDENTIALS_DIRECTORY");
        for (char **e = environ; e && *e;)
                if (strncmp(*e, "SHELFWATCH_", 11) == 0) {
                        char name[128];
                        snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
                        unsetenv(name);
                } else {
                        e++;
                }
        memset(&cfg, 0x5a, sizeof(cfg)); /* no test sees the last one's config or error */
        err[0] = '\0';
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        unsetenv("CREDENTIALS_DIRECTORY");
        unsetenv("SHELFWATCH_STORE_ID");
        unsetenv("SHELFWATCH_STORE_TENANT");
        unsetenv("SHELFWATCH_STORE_IDD");
        return sw_test_rm_rf(tmpdir);
}

/* Load main.conf and conf.d/ into cfg, report and err. */
static int load(void)
{
        return sw_config_load_all(in_tmp("main.conf"), 0, &cfg, &report, err, sizeof(err));
}

static const struct sw_config_origin *origin_of(const char *name)
{
        return &report.origin[sw_config_setting_index(sw_config_setting_find(name))];
}

static void assert_origin(const char *name, const char *want)
{
        char text[1024];

        sw_config_origin_text(&report, name, origin_of(name), text, sizeof(text));
        if (strcmp(text, want) != 0)
                fail_msg("%s came from \"%s\", want \"%s\"", name, text, want);
}

/* Loading must fail with a message that starts with prefix and contains reason; *c unchanged. */
static void assert_load_error(const char *prefix, const char *reason)
{
        struct sw_config got, before;
        char msg[1024];

        memset(&got, 0x5a, sizeof(got));
        before = got;
        assert_int_equal(
            sw_config_load_all(in_tmp("main.conf"), 0, &got, &report, msg, sizeof(msg)), -EINVAL);
        if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, reason))
                fail_msg("got \"%s\", want \"%s...%s...\"", msg, prefix, reason);
        assert_memory_equal(&got, &before, sizeof(got));
}

static void test_dropins_in_name_order_later_wins(void **state)
{

        (void)state;
        write_file("main.conf", "store = {\n  tenant = \"acme\";\n  id = \"main\";\n};\n");
        write_file("conf.d/20-b.conf",
                   "limits = { max_skus = 500; };\nstore = {\n id = \"b\"; };\n");
        write_file("conf.d/10-a.conf", "store = { id = \"a\"; };\n");
        /* Skipped: not *.conf, hidden. Their text would not load. */
        write_file("conf.d/README", "not libconfig at all");
        write_file("conf.d/.hidden.conf", "limits = { max_skus = 0; };\n");
        write_file("conf.d/30-c.conf.dpkg-old", "limits = { max_skus = 0; };\n");
        assert_int_equal(load(), 0);
        assert_string_equal(cfg.store.tenant, "acme");
        assert_string_equal(cfg.store.id, "b");
        assert_int_equal(cfg.limits.max_skus, 500);
        assert_string_equal(cfg.broker.client_id, "shelfwatchd-acme-b"); /* derived at the end */
        assert_int_equal(report.n_files, 3);
        assert_int_equal(report.n_dropins, 2);
        assert_string_equal(report.files[1], in_tmp("conf.d/10-a.conf"));
        assert_origin("store.tenant", in_tmp("main.conf:2"));
        char want[600];
        snprintf(want, sizeof(want), "%s:3", in_tmp("conf.d/20-b.conf"));
        assert_origin("store.id", want);
        assert_origin("limits.history_days", "default");
        assert_int_equal(
            report.times_set[sw_config_setting_index(sw_config_setting_find("store.id"))], 3);

        /* A single-file load reads no drop-ins. */
        assert_int_equal(sw_config_load(in_tmp("main.conf"), &cfg, err, sizeof(err)), 0);
        assert_string_equal(cfg.store.id, "main");
}

static void test_bad_dropin_refuses_everything(void **state)
{
        (void)state;
        write_file("main.conf", "store = { id = \"main\"; };\n");
        write_file("conf.d/10-a.conf", "store = { id = \"a\"; };\n");
        write_file("conf.d/20-bad.conf", "# bad\nlimits = {\n max_skus = 0; };\n");
        char prefix[600];
        snprintf(prefix, sizeof(prefix), "%s:3: limits.max_skus: ", in_tmp("conf.d/20-bad.conf"));
        assert_load_error(prefix, "must be between 1 and 10000000 (got 0)");

        write_file("conf.d/20-bad.conf", "limits = { max_skus = ; };\n");
        snprintf(prefix, sizeof(prefix), "%s:1: syntax error", in_tmp("conf.d/20-bad.conf"));
        assert_load_error(prefix, "");

        write_file("conf.d/20-bad.conf", "store = { idd = \"x\"; };\n");
        assert_load_error(in_tmp("conf.d/20-bad.conf"), "store.idd: unknown setting (did you mean "
                                                        "store.id?)");
        unlink(in_tmp("conf.d/20-bad.conf"));

        /* A directory named like a drop-in is no file. */
        assert_int_equal(mkdir(in_tmp("conf.d/40-dir.conf"), 0700), 0);
        assert_int_equal(load(), -EISDIR);
        assert_non_null(strstr(err, "40-dir.conf: cannot read: Is a directory"));
        rmdir(in_tmp("conf.d/40-dir.conf"));
}

static void test_rules_see_every_layer(void **state)
{

        (void)state;
        /* hq.host in a drop-in completes the main file's hq section. */
        write_file("main.conf", "\nhq = {\n port = 8883;\n};\n");
        char prefix[600];
        snprintf(prefix, sizeof(prefix), "%s:2: hq.host: ", in_tmp("main.conf"));
        assert_load_error(prefix, "required when the hq section is given");
        write_file("conf.d/10-a.conf", "hq = { host = \"hq.example.com\"; };\n");
        assert_int_equal(load(), 0);
        assert_true(cfg.hq_enabled);
        assert_int_equal(cfg.hq.port, 8883);
        assert_string_equal(cfg.hq.host, "hq.example.com");

        /* A drop-in lowering history_days is blamed, with the file and line that set it. */
        write_file("conf.d/10-a.conf", "limits = {\n history_days = 20; };\n");
        write_file("main.conf", "");
        snprintf(prefix, sizeof(prefix), "%s:2: limits.history_days: ", in_tmp("conf.d/10-a.conf"));
        assert_load_error(prefix, "must be at least detectors.ghost.max_run_days (28) (got 20)");
        unlink(in_tmp("conf.d/10-a.conf"));
}

static void test_missing_main_and_conf_d(void **state)
{
        struct sw_config d;

        (void)state;
        unlink(in_tmp("main.conf"));
        assert_int_equal(load(), -ENOENT);
        write_file("conf.d/10-a.conf", "store = { id = \"only-dropin\"; };\n");
        assert_int_equal(sw_config_load_all(in_tmp("main.conf"), SW_CONFIG_PATH_OPTIONAL, &cfg,
                                            &report, err, sizeof(err)),
                         0);
        assert_string_equal(cfg.store.id, "only-dropin");
        unlink(in_tmp("conf.d/10-a.conf"));
        rmdir(in_tmp("conf.d"));
        assert_int_equal(sw_config_load_all(in_tmp("main.conf"), SW_CONFIG_PATH_OPTIONAL, &cfg,
                                            &report, err, sizeof(err)),
                         0);
        sw_config_defaults(&d);
        assert_memory_equal(&cfg, &d, sizeof(cfg));
        assert_int_equal(report.n_files, 0);
        /* conf.d that is a file: refused, not skipped. */
        write_file("conf.d", "x");
        write_file("main.conf", "");
        assert_int_equal(load(), -ENOTDIR);
        assert_non_null(strstr(err, "conf.d: cannot read: Not a directory"));
        unlink(in_tmp("conf.d"));
        assert_int_equal(mkdir(in_tmp("conf.d"), 0700), 0);
}

static void test_too_many_dropins(void **state)
{
        char name[64];

        (void)state;
        write_file("main.conf", "");
        for (int i = 0; i <= SW_CONFIG_MAX_DROPINS; i++) {
                snprintf(name, sizeof(name), "conf.d/%03d.conf", i);
                write_file(name, "");
        }
        assert_int_equal(load(), -E2BIG);
        assert_non_null(strstr(err, "more than 64 drop-in files"));
        for (int i = 0; i <= SW_CONFIG_MAX_DROPINS; i++) {
                snprintf(name, sizeof(name), "conf.d/%03d.conf", i);
                unlink(in_tmp(name));
        }
        assert_int_equal(load(), 0);
}

static void test_environment(void **state)
{

        (void)state;
        write_file("main.conf", "store = { tenant = \"acme\";\n id = \"main\"; };\n");
        setenv("SHELFWATCH_STORE_ID", "s0042", 1);
        setenv("SHELFWATCH_STORE_TENANT", "", 1); /* empty: not given */
        assert_int_equal(load(), 0);
        assert_string_equal(cfg.store.id, "s0042");
        assert_string_equal(cfg.store.tenant, "acme");
        assert_origin("store.id", "environment SHELFWATCH_STORE_ID");
        assert_origin("store.tenant", in_tmp("main.conf:1"));

        /* Its value is checked like the file's. */
        setenv("SHELFWATCH_STORE_ID", "s 42", 1);
        assert_load_error("environment SHELFWATCH_STORE_ID: store.id: ",
                          "must be 1 to 64 characters of A-Z a-z 0-9 _ . - (got \"s 42\")");
        setenv("SHELFWATCH_STORE_ID", "s0042", 1);
        /* A misspelt variable is an error, not a silent default. */
        setenv("SHELFWATCH_STORE_IDD", "x", 1);
        assert_load_error("environment SHELFWATCH_STORE_IDD: unknown variable; known: ",
                          "SHELFWATCH_STORE_ID SHELFWATCH_STORE_TIMEZONE");
        unsetenv("SHELFWATCH_STORE_IDD");
        /* Not a setting the environment may give. */
        setenv("SHELFWATCH_LIMITS_MAX_SKUS", "5", 1);
        assert_load_error("environment SHELFWATCH_LIMITS_MAX_SKUS: unknown variable", "");
        unsetenv("SHELFWATCH_LIMITS_MAX_SKUS");
        /* sw_config_load() reads the one file only. */
        assert_int_equal(sw_config_load(in_tmp("main.conf"), &cfg, err, sizeof(err)), 0);
        assert_string_equal(cfg.store.id, "main");
        unsetenv("SHELFWATCH_STORE_ID");
        unsetenv("SHELFWATCH_STORE_TENANT");
}

static void test_credentials(void **state)
{
        char prefix[600];

        (void)state;
        write_file("main.conf", "store = { id = \"main\"; };\nbroker = { username = \"gw\"; };\n");
        write_file("creds/shelfwatch.store.id", "s0042\n"); /* one newline is dropped */
        write_file("creds/shelfwatch.broker.password", "pa ss");
        write_file("creds/shelfwatch.store.currency", "\n"); /* SetCredential=...:\n fallback */
        write_file("creds/shelfwatch.store.timezone", "");   /* empty: not given */
        write_file("creds/hq-client.key", "not ours");
        setenv("CREDENTIALS_DIRECTORY", in_tmp("creds"), 1);
        setenv("SHELFWATCH_STORE_ID", "from-env", 1);
        assert_int_equal(load(), 0);
        assert_string_equal(cfg.store.id, "s0042"); /* credentials beat the environment */
        assert_string_equal(cfg.broker.password, "pa ss");
        assert_string_equal(cfg.store.currency, "");
        assert_string_equal(cfg.store.timezone, "UTC");
        assert_origin("store.id", "credential shelfwatch.store.id");
        assert_origin("broker.password", "credential shelfwatch.broker.password");
        assert_string_equal(report.credentials_dir, in_tmp("creds"));
        unsetenv("SHELFWATCH_STORE_ID");

        write_file("creds/shelfwatch.store.currency", "eur\n");
        snprintf(prefix, sizeof(prefix),
                 "%s: store.currency: ", in_tmp("creds/shelfwatch.store.currency"));
        assert_load_error(prefix, "must be an ISO 4217 currency code");
        write_file("creds/shelfwatch.store.currency", "EUR\nUSD\n");
        assert_load_error(prefix, "must be one line of text");
        write_file("creds/shelfwatch.store.currency", "EUR");
        write_file("creds/shelfwatch.store.idd", "x");
        assert_load_error(in_tmp("creds/shelfwatch.store.idd"),
                          "unknown credential; known: shelfwatch.store.tenant shelfwatch.store.id");
        unlink(in_tmp("creds/shelfwatch.store.idd"));
        assert_int_equal(load(), 0);
        assert_string_equal(cfg.store.currency, "EUR");

        /* A password needs a user name, wherever each came from. */
        write_file("main.conf", "");
        snprintf(prefix, sizeof(prefix),
                 "%s: broker.password: ", in_tmp("creds/shelfwatch.broker.password"));
        assert_load_error(prefix, "requires broker.username");
        write_file("creds/shelfwatch.broker.username", "gw");
        assert_int_equal(load(), 0);
        assert_string_equal(cfg.broker.username, "gw");

        /* An unreadable directory is an error, not "no credentials". */
        setenv("CREDENTIALS_DIRECTORY", in_tmp("no-such-dir"), 1);
        assert_int_equal(load(), -ENOENT);
        assert_non_null(strstr(err, "cannot read the credentials"));
        unsetenv("CREDENTIALS_DIRECTORY");
}

static char *report_text(const struct sw_config *c, unsigned *ret_warnings)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        *ret_warnings = sw_config_report_write(&report, c, f);
        fclose(f);
        return text;
}

static void expect_line(const char *text, const char *line)
{
        if (!strstr(text, line))
                fail_msg("no \"%s\" in:\n%s", line, text);
}

static void test_report(void **state)
{
        char line[1024];
        unsigned warnings;
        char *text;

        (void)state;
        write_file("main.conf", "store = {\n id = \"main\";\n currency = \"JPY\"; };\n"
                                "broker = { username = \"gw\"; };\n");
        write_file("conf.d/10-a.conf", "store = { id = \"a\"; };\n");
        write_file("creds/shelfwatch.store.id", "s0042\n");
        write_file("creds/shelfwatch.broker.password", "hunter2");
        setenv("CREDENTIALS_DIRECTORY", in_tmp("creds"), 1);
        assert_int_equal(load(), 0);
        text = report_text(&cfg, &warnings);
        snprintf(line, sizeof(line), "files: %s, %s\n", in_tmp("main.conf"),
                 in_tmp("conf.d/10-a.conf"));
        expect_line(text, line);
        snprintf(line, sizeof(line), "credentials: %s\n", in_tmp("creds"));
        expect_line(text, line);
        expect_line(text, "\nstore.id = \"s0042\" (credential shelfwatch.store.id)\n");
        snprintf(line, sizeof(line), "\nstore.currency = \"JPY\" (%s:3)\n", in_tmp("main.conf"));
        expect_line(text, line);
        expect_line(text, "\nbroker.password = (secret) (credential shelfwatch.broker.password)\n");
        snprintf(line, sizeof(line),
                 "\nwarning: store.id is set 3 times: credential shelfwatch.store.id overrides "
                 "%s:1 (the later wins)\n",
                 in_tmp("conf.d/10-a.conf"));
        expect_line(text, line);
        assert_null(strstr(text, "hunter2"));
        assert_null(strstr(text, "limits.max_skus")); /* not set: not listed */
        assert_null(strstr(text, "currency is not set"));
        assert_int_equal(warnings, 1);
        free(text);

        write_file("main.conf", "");
        unlink(in_tmp("creds/shelfwatch.broker.password"));
        assert_int_equal(load(), 0);
        text = report_text(&cfg, &warnings);
        expect_line(text, "warning: store.currency is not set");
        assert_int_equal(warnings, 2); /* and store.id, set twice */
        free(text);
        unsetenv("CREDENTIALS_DIRECTORY");
        unlink(in_tmp("creds/shelfwatch.store.id"));
        unlink(in_tmp("conf.d/10-a.conf"));
}

static void test_currency_setting(void **state)
{

        (void)state;
        write_file("main.conf", "store = { currency = \"CLF\"; };\n");
        assert_int_equal(load(), 0);
        assert_string_equal(cfg.store.currency, "CLF");
        write_file("main.conf", "store = { currency = \"XXX\"; };\n");
        assert_load_error(in_tmp("main.conf:1: store.currency: "),
                          "must be an ISO 4217 currency code such as \"EUR\" or \"USD\", in "
                          "capitals (got \"XXX\")");
        write_file("main.conf", "store = { currency = \"EURO\"; };\n");
        assert_load_error(in_tmp("main.conf:1: store.currency: "),
                          "must be at most 3 characters long (got 4)");
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_dropins_in_name_order_later_wins),
        SW_TEST_FRESH(test_bad_dropin_refuses_everything),
        SW_TEST_FRESH(test_rules_see_every_layer),
        SW_TEST_FRESH(test_missing_main_and_conf_d),
        SW_TEST_FRESH(test_too_many_dropins),
        SW_TEST_FRESH(test_environment),
        SW_TEST_FRESH(test_credentials),
        SW_TEST_FRESH(test_report),
        SW_TEST_FRESH(test_currency_setting))
/* clang-format on */
