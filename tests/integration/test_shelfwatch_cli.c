/* The shelfwatch client against a real broker and daemon fed by the simulator: output, exit codes.
 */
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"

#define CLI    SW_BUILD_DIR "/shelfwatch"
#define PREFIX "retail/demo/store1"

/* Broker and daemon shared by the tests, fed once by the simulator. */
struct fixture {
        struct h_broker broker; /* mosquitto */
        struct h_daemon daemon; /* shelfwatchd */
        char dir[256];          /* scratch directory */
};

/* What one run of the client did. */
struct run {
        int status; /* exit status */
        char *out;  /* stdout (malloc'd) */
        char *err;  /* stderr (malloc'd) */
};

static struct fixture *fx;

static void run_free(struct run *r)
{
        free(r->out);
        free(r->err);
        *r = (struct run){0};
}

/* Run the client with NULL-ended arguments, stdout and stderr kept apart. */
static struct run cli_run(const char *first, ...)
{
        char *argv[40], out[512], err[512];
        va_list ap;
        int n = 0;
        argv[n++] = CLI;
        va_start(ap, first);
        for (const char *a = first; a && n < 39; a = va_arg(ap, const char *))
                argv[n++] = (char *)a;
        va_end(ap);
        argv[n] = NULL;
        snprintf(out, sizeof(out), "%s/cli.out", fx->dir);
        snprintf(err, sizeof(err), "%s/cli.err", fx->dir);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                dup2(fo, 1);
                dup2(fe, 2);
                h_exec(argv); /* through SW_TEST_WRAPPER (qemu) in cross builds */
                _exit(127);
        }
        struct run r = {.status = h_wait(pid), .out = h_read_file(out), .err = h_read_file(err)};
        assert_non_null(r.out);
        assert_non_null(r.err);
        return r;
}

static void expect_in(const char *text, const char *needle)
{
        if (!strstr(text, needle))
                fail_msg("expected '%s' in:\n%s", needle, text);
}

/* Parse the --json output of a successful run; ok must be true. */
static cJSON *json_ok(struct run *r)
{
        if (r->status != 0)
                fail_msg("exit %d, stderr: %s", r->status, r->err);
        cJSON *j = cJSON_Parse(r->out);
        if (!j)
                fail_msg("not JSON: %s", r->out);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
        return j;
}

static int setup(void **state)
{
        char conf[1024];
        (void)state;
        if (access(CLI, X_OK) != 0) {
                fprintf(stderr, "%s is missing: build the target shelfwatch first\n", CLI);
                return -1;
        }
        fx = calloc(1, sizeof(*fx));
        h_tmpdir(fx->dir, sizeof(fx->dir));
        h_broker_start(&fx->broker, 0, NULL);
        h_config(conf, sizeof(conf), fx->broker.port, fx->dir, NULL);
        h_daemon_start(&fx->daemon, fx->dir, conf, fx->broker.port);
        /* Ends yesterday; every simulated day is detected, so there are anomalies to list. */
        assert_int_equal(h_storesim(fx->broker.port, fx->dir, "sim.log", "--profile", "basic", "--days", "25", "--warmup",
                                    "10", "--skus", "100", "--seed", "7", "--quiet", NULL),
                         0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        if (!fx)
                return 0;
        h_daemon_stop(&fx->daemon, SIGTERM);
        h_broker_stop(&fx->broker);
        h_rmdir(fx->broker.dir);
        h_rmdir(fx->dir);
        free(fx);
        fx = NULL;
        return 0;
}

static void test_health_table_and_json(void **state)
{
        (void)state;
        /* Broker port, tenant and store all come from the daemon's config file. */
        struct run r = cli_run("--config", fx->daemon.conf, "health", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "shelfwatchd " SW_VERSION);
        expect_in(r.out, "Open anomalies");
        expect_in(r.out, "MESSAGES");
        expect_in(r.out, "ghost_stock");
        assert_string_equal(r.err, "");
        run_free(&r);

        r = cli_run("health", "--json", "--config", fx->daemon.conf, NULL);
        cJSON *j = json_ok(&r);
        assert_string_equal(h_json_string(j, "version"), SW_VERSION);
        assert_true(h_json_number(j, "skus.tracked") == 100);
        cJSON_Delete(j);
        run_free(&r);
}

static void test_detect_as_of(void **state)
{
        char today[16];
        time_t now = time(NULL);
        (void)state;
        strftime(today, sizeof(today), "%Y-%m-%d", gmtime(&now));
        struct run r = cli_run("--config", fx->daemon.conf, "detect", "--as-of", today,
                               "--detector", "ghost_stock", "--json", NULL);
        cJSON *j = json_ok(&r);
        assert_string_equal(h_json_string(j, "as_of"), today);
        cJSON *d = cJSON_GetObjectItem(j, "detectors");
        assert_int_equal(cJSON_GetArraySize(d), 1);
        assert_true(h_json_number(d, "ghost_stock.evaluated") >= 1);
        cJSON_Delete(j);
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "detect", "--as-of", today, NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Detection as of ");
        expect_in(r.out, today);
        expect_in(r.out, "EVALUATED");
        expect_in(r.out, "ml_detected");
        run_free(&r);
}

static void test_anomalies_by_severity(void **state)
{
        (void)state;
        struct run r = cli_run("--config", fx->daemon.conf, "anomalies", "--severity", "critical",
                               "--json", NULL);
        cJSON *j = json_ok(&r), *list = cJSON_GetObjectItem(j, "anomalies"), *a;
        run_free(&r);
        assert_true(cJSON_GetArraySize(list) >= 1);
        assert_true(h_json_number(j, "count") == cJSON_GetArraySize(list));
        cJSON_ArrayForEach(a, list) assert_string_equal(h_json_string(a, "severity"), "critical");

        r = cli_run("--config", fx->daemon.conf, "anomalies", "--severity", "critical", NULL);
        assert_int_equal(r.status, 0);
        assert_true(strncmp(r.out, "ID ", 3) == 0);
        expect_in(r.out, "SEVERITY");
        expect_in(r.out, "DESCRIPTION");
        cJSON_ArrayForEach(a, list) expect_in(r.out, h_json_string(a, "id"));
        run_free(&r);
        cJSON_Delete(j);

        /* Descriptions are cut to the terminal width (COLUMNS when stdout is not a terminal). */
        setenv("COLUMNS", "110", 1);
        r = cli_run("--config", fx->daemon.conf, "anomalies", NULL);
        unsetenv("COLUMNS");
        assert_int_equal(r.status, 0);
        for (char *line = r.out, *nl; (nl = strchr(line, '\n')); line = nl + 1)
                if (nl - line > 110)
                        fail_msg("line longer than 110 columns: %.*s", (int)(nl - line), line);
        expect_in(r.out, "...");
        run_free(&r);
}

static void test_ghost_stock(void **state)
{
        (void)state;
        struct run r =
            cli_run("--config", fx->daemon.conf, "ghost-stock", "--limit", "3", "--json", NULL);
        cJSON *j = json_ok(&r), *list = cJSON_GetObjectItem(j, "recommendations"), *it;
        run_free(&r);
        int n = cJSON_GetArraySize(list), rank = 1;
        assert_true(n >= 1 && n <= 3);
        cJSON_ArrayForEach(it, list) assert_true(h_json_number(it, "rank") == rank++);

        r = cli_run("--config", fx->daemon.conf, "ghost-stock", "--limit", "3", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "RANK");
        expect_in(r.out, "PRIORITY");
        cJSON_ArrayForEach(it, list) expect_in(r.out, h_json_string(it, "id"));
        run_free(&r);
        cJSON_Delete(j);
}

/* Each of these exits 2 with the message given, before it tries to connect. */
static void test_usage_errors(void **state)
{
        static const struct {
                const char *args[6];
                const char *message;
        } cases[] = {
            {{NULL}, "no command given"},
            {{"bogus"}, "unknown command 'bogus'"},
            {{"--bogus", "health"}, "unknown option '--bogus'"},
            {{"anomalies", "--days", "abc"}, "--days: must be a whole number"},
            {{"stats", "--days", "0"}, "--days: must be a whole number"},
            {{"anomalies", "--limit"}, "needs a value"},
            {{"anomalies", "--severity", "urgent"},
             "--severity: must be info, warning or critical"},
            {{"anomalies", "--type", "ghost"}, "--type: must be ghost_stock"},
            {{"detect", "--as-of", "2026-13-01"}, "--as-of: must be a date YYYY-MM-DD"},
            {{"detect", "--detector", "bogus"}, "--detector: must be ghost_stock"},
            {{"outcome", "some-id", "maybe"}, "true_positive or false_positive"},
            {{"outcome", "some-id"}, "needs 2 arguments"},
            {{"health", "--days", "3"}, "'health' does not take --days"},
            {{"health", "extra"}, "needs 0 arguments"},
            {{"health", "--timeout", "-1"}, "--timeout"},
            {{"health", "--port", "70000"}, "--port"},
            {{"health", "--cert", "c.pem"}, "--cert and --key go together"},
            {{"health", "--config", "/nonexistent/sw.conf"}, "/nonexistent/sw.conf"},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *const *a = cases[i].args;
                /* --port 1: if it tried to connect it would fail with 3, not 2. */
                struct run r =
                    cli_run("--port", "1", a[0], a[0] ? a[1] : NULL, a[0] && a[1] ? a[2] : NULL,
                            a[0] && a[1] && a[2] ? a[3] : NULL, NULL);
                if (r.status != 2)
                        fail_msg("case %zu: exit %d, stderr: %s", i, r.status, r.err);
                expect_in(r.err, cases[i].message);
                expect_in(r.err, "--help");
                assert_string_equal(r.out, "");
                run_free(&r);
        }
}

static void test_help_and_version(void **state)
{
        (void)state;
        struct run r = cli_run("--help", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Usage: shelfwatch");
        expect_in(r.out, "ghost-stock");
        expect_in(r.out, "Exit status");
        run_free(&r);
        r = cli_run("anomalies", "--help", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "--severity");
        run_free(&r);
        r = cli_run("help", "outcome", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "false_positive");
        run_free(&r);
        r = cli_run("--version", NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "shelfwatch " SW_VERSION "\n");
        run_free(&r);
}

/* The daemon answers ok:false: exit 1, its error on stderr (and the JSON on stdout with --json). */
static void test_daemon_error_exits_1(void **state)
{
        (void)state;
        struct run r = cli_run("--config", fx->daemon.conf, "outcome", "no-such-anomaly",
                               "true_positive", NULL);
        assert_int_equal(r.status, 1);
        expect_in(r.err, "shelfwatchd: ");
        assert_string_equal(r.out, "");
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "--json", "outcome", "no-such-anomaly",
                    "false_positive", NULL);
        assert_int_equal(r.status, 1);
        cJSON *j = cJSON_Parse(r.out);
        assert_non_null(j);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
        expect_in(r.err, h_json_string(j, "error"));
        cJSON_Delete(j);
        run_free(&r);
}

static void test_unreachable_exits_3(void **state)
{
        char port[16];
        (void)state;
        /* Nothing listens there; the explicit --port overrides the config's. */
        snprintf(port, sizeof(port), "%d", h_free_port());
        struct run r = cli_run("--config", fx->daemon.conf, "--port", port, "health", NULL);
        assert_int_equal(r.status, 3);
        char where[64];
        snprintf(where, sizeof(where), "127.0.0.1:%s", port);
        expect_in(r.err, where);
        expect_in(r.err, "broker");
        run_free(&r);

        /* The broker is up but no daemon serves this store: a timeout, also 3, in about 1 s. */
        time_t start = time(NULL);
        r = cli_run("--config", fx->daemon.conf, "--store", "nowhere", "--timeout", "1", "health",
                    NULL);
        assert_int_equal(r.status, 3);
        expect_in(r.err, "no reply from shelfwatchd");
        expect_in(r.err, "retail/demo/nowhere");
        assert_true(time(NULL) - start <= 5);
        run_free(&r);
}

/* The newest open anomaly of a type. Returns a malloc'd id. */
static char *open_anomaly(const char *type)
{
        struct run r = cli_run("--config", fx->daemon.conf, "anomalies", "--status", "open",
                               "--type", type, "--limit", "1", "--json", NULL);
        cJSON *j = json_ok(&r), *a = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "anomalies"), 0);
        if (!a)
                fail_msg("no open %s anomaly", type);
        char *id = strdup(h_json_string(a, "id"));
        cJSON_Delete(j);
        run_free(&r);
        return id;
}

/* outcome, then effectiveness, stats and roi see it. These need the daemon commands outcome,
 * stats, effectiveness and roi (docs/protocol.md). */
static void test_outcome_then_effectiveness_stats_roi(void **state)
{
        (void)state;
        char *tp = open_anomaly("ghost_stock"), *fp = open_anomaly("ml_detected");
        struct run r = cli_run("--config", fx->daemon.conf, "outcome", tp, "true_positive",
                               "--action", "cycle_count", "--note", "counted: shelf empty",
                               "--user", "tester", "--json", NULL);
        cJSON *j = json_ok(&r), *o = cJSON_GetObjectItem(j, "outcome");
        assert_string_equal(h_json_string(o, "anomaly"), tp);
        assert_string_equal(h_json_string(o, "outcome"), "true_positive");
        cJSON_Delete(j);
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "outcome", fp, "false_positive", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Recorded false_positive for anomaly ");
        expect_in(r.out, fp);
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "effectiveness", "--days", "60", "--json", NULL);
        j = json_ok(&r);
        assert_true(h_json_number(j, "with_outcome") >= 2);
        assert_true(h_json_number(j, "alerts") >= h_json_number(j, "with_outcome"));
        cJSON *overall = h_json_item(j, "precision.overall");
        assert_true(h_json_number(overall, "true_positive") >= 1);
        assert_true(h_json_number(overall, "false_positive") >= 1);
        /* The rates agree with the counts they come from (docs/protocol.md). */
        double tp_n = h_json_number(overall, "true_positive"),
               fp_n = h_json_number(overall, "false_positive");
        if (fabs(h_json_number(j, "false_positive_rate") - fp_n / (tp_n + fp_n)) > 1e-9)
                fail_msg("false_positive_rate %g, but %g of %g outcomes were false positives",
                         h_json_number(j, "false_positive_rate"), fp_n, tp_n + fp_n);
        assert_true(h_json_number(j, "resolution_rate") >= 1.0 / h_json_number(j, "alerts") - 1e-9);
        assert_true(h_json_number(j, "resolution_rate") <= 1.0);
        cJSON_Delete(j);
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "effectiveness", "--days", "60", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "False-positive rate");
        expect_in(r.out, "PRECISION");
        expect_in(r.out, "ghost_stock");
        expect_in(r.out, "CATEGORY");
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "stats", "--json", NULL);
        j = json_ok(&r);
        assert_true(h_json_number(j, "total") >= 2);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "trend")));
        cJSON_Delete(j);
        run_free(&r);
        r = cli_run("--config", fx->daemon.conf, "stats", "--days", "60", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Trend");
        expect_in(r.out, "SEVERITY");
        expect_in(r.out, "critical");
        run_free(&r);

        r = cli_run("--config", fx->daemon.conf, "roi", "--days", "60", "--json", NULL);
        j = json_ok(&r);
        assert_true(h_json_number(j, "true_positive_outcomes") >= 1);
        assert_true(h_json_number(j, "total") >= 0);
        cJSON_Delete(j);
        run_free(&r);
        r = cli_run("--config", fx->daemon.conf, "roi", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Ghost stock recovered");
        run_free(&r);
        free(tp);
        free(fp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_help_and_version),
            cmocka_unit_test(test_usage_errors),
            cmocka_unit_test(test_health_table_and_json),
            cmocka_unit_test(test_detect_as_of),
            cmocka_unit_test(test_anomalies_by_severity),
            cmocka_unit_test(test_ghost_stock),
            cmocka_unit_test(test_daemon_error_exits_1),
            cmocka_unit_test(test_unreachable_exits_3),
            cmocka_unit_test(test_outcome_then_effectiveness_stats_roi),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
