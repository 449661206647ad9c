/* The shelfwatch client against a real broker and daemon fed by the simulator: output, exit codes.
 */
#include <fcntl.h>
#include <locale.h>
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
#include <wchar.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define CLI    SW_BUILD_DIR "/shelfwatch"
#define PREFIX "retail/demo/store1"

/* What one run of the client did. */
struct run {
        int status; /* exit status */
        char *out;  /* stdout (malloc'd) */
        char *err;  /* stderr (malloc'd) */
};

/* Broker and daemon shared by the tests, fed once by the simulator. */
static struct h_fixture *fx;

static void run_free(struct run *r)
{
        free(r->out);
        free(r->err);
        *r = (struct run){0};
}

/* Run the client with the arguments first and ap (NULL-ended), stdout and stderr kept apart. */
static struct run cli_run_va(const char *first, va_list ap)
{
        char *argv[40], out[512], err[512];
        int n = 0;
        argv[n++] = CLI;
        for (const char *a = first; a && n < 39; a = va_arg(ap, const char *))
                argv[n++] = (char *)a;
        argv[n] = NULL;
        snprintf(out, sizeof(out), "%s/cli.out", fx->dir);
        snprintf(err, sizeof(err), "%s/cli.err", fx->dir);
        pid_t pid = h_spawn_apart(argv, out, err); /* through h_exec: qemu in cross builds */
        struct run r = {.status = h_wait(pid), .out = h_read_file(out), .err = h_read_file(err)};
        assert_non_null(r.out);
        assert_non_null(r.err);
        return r;
}

/* Run the client with NULL-ended arguments, stdout and stderr kept apart. */
__attribute__((sentinel)) static struct run cli_run(const char *first, ...)
{
        va_list ap;
        va_start(ap, first);
        struct run r = cli_run_va(first, ap);
        va_end(ap);
        return r;
}

/* Every needle of the NULL-ended list is in text. */
__attribute__((sentinel)) static void expect_in(const char *text, ...)
{
        va_list ap;
        va_start(ap, text);
        for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
                if (!strstr(text, needle))
                        fail_msg("expected '%s' in:\n%s", needle, text);
        va_end(ap);
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

/* json_ok() of a run of the client with NULL-ended arguments. */
__attribute__((sentinel)) static cJSON *cli_json(const char *first, ...)
{
        va_list ap;
        va_start(ap, first);
        struct run r = cli_run_va(first, ap);
        va_end(ap);
        cJSON *j = json_ok(&r);
        run_free(&r);
        return j;
}

static int setup(void **state)
{
        (void)state;
        if (access(CLI, X_OK) != 0) {
                fprintf(stderr, "%s is missing: build the target shelfwatch first\n", CLI);
                return -1;
        }
        fx = calloc(1, sizeof(*fx));
        h_fixture_start(fx, NULL);
        /* Ends yesterday; every simulated day is detected, so there are anomalies to list. */
        assert_int_equal(h_storesim(fx->b.port, fx->dir, "sim.log", "--profile", "basic", "--days",
                                    "25", "--warmup", "10", "--skus", "100", "--seed", "7",
                                    "--quiet", NULL),
                         0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        if (!fx)
                return 0;
        h_fixture_finish(fx);
        free(fx);
        fx = NULL;
        return 0;
}

static void test_health_table_and_json(void **state)
{
        (void)state;
        /* Broker port, tenant and store all come from the daemon's config file. */
        struct run r = cli_run("--config", fx->d.conf, "health", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "shelfwatchd " SW_VERSION, "Open anomalies", "MESSAGES", "ghost_stock",
                  NULL);
        assert_string_equal(r.err, "");
        run_free(&r);

        cJSON *j = cli_json("health", "--json", "--config", fx->d.conf, NULL);
        assert_string_equal(h_json_string(j, "version"), SW_VERSION);
        assert_true(h_json_number(j, "skus.tracked") == 100);
        cJSON_Delete(j);
}

static void test_detect_as_of(void **state)
{
        char today[16];
        time_t now = time(NULL);
        (void)state;
        strftime(today, sizeof(today), "%Y-%m-%d", gmtime(&now));
        cJSON *j = cli_json("--config", fx->d.conf, "detect", "--as-of", today, "--detector",
                            "ghost_stock", "--json", NULL);
        assert_string_equal(h_json_string(j, "as_of"), today);
        cJSON *d = cJSON_GetObjectItem(j, "detectors");
        assert_int_equal(cJSON_GetArraySize(d), 1);
        assert_true(h_json_number(d, "ghost_stock.evaluated") >= 1);
        cJSON_Delete(j);

        struct run r = cli_run("--config", fx->d.conf, "detect", "--as-of", today, NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Detection as of ", today, "EVALUATED", "ml_detected", NULL);
        run_free(&r);
}

static void test_anomalies_by_severity(void **state)
{
        (void)state;
        cJSON *j = cli_json("--config", fx->d.conf, "anomalies", "--severity", "critical", "--json",
                            NULL),
              *list = cJSON_GetObjectItem(j, "anomalies"), *a;
        assert_true(cJSON_GetArraySize(list) >= 1);
        assert_true(h_json_number(j, "count") == cJSON_GetArraySize(list));
        cJSON_ArrayForEach(a, list) assert_string_equal(h_json_string(a, "severity"), "critical");

        struct run r = cli_run("--config", fx->d.conf, "anomalies", "--severity", "critical", NULL);
        assert_int_equal(r.status, 0);
        assert_true(strncmp(r.out, "ID ", 3) == 0);
        expect_in(r.out, "SEVERITY", "DESCRIPTION", NULL);
        /* Each row has its date: the store-local day of the anomaly's latest detection. */
        expect_in(r.out, " DATE ", NULL);
        cJSON_ArrayForEach(a, list)
        {
                char *row = strstr(r.out, h_json_string(a, "id"));
                assert_non_null(row);
                char *end = strchr(row, '\n');
                const char *day = h_json_string(a, "as_of");
                char *at = strstr(row, day);
                if (!at || at > end)
                        fail_msg("row of %s lacks its date %s:\n%s", h_json_string(a, "id"), day,
                                 r.out);
        }
        char count_line[64];
        snprintf(count_line, sizeof(count_line), "\n%d %s\n", cJSON_GetArraySize(list),
                 cJSON_GetArraySize(list) == 1 ? "anomaly" : "anomalies");
        expect_in(r.out, count_line, NULL);
        run_free(&r);
        cJSON_Delete(j);

        /* Descriptions are cut to the terminal width (COLUMNS when stdout is not a terminal);
         * without either they are whole. */
        j = cli_json("--config", fx->d.conf, "anomalies", "--json", NULL);
        const char *longest = "";
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "anomalies"))
        {
                const char *d = h_json_string(a, "description");
                longest = strlen(d) > strlen(longest) ? d : longest;
        }
        assert_true(strlen(longest) > 60);
        setenv("COLUMNS", "140", 1);
        r = cli_run("--config", fx->d.conf, "anomalies", NULL);
        unsetenv("COLUMNS");
        assert_int_equal(r.status, 0);
        for (char *line = r.out, *nl; (nl = strchr(line, '\n')); line = nl + 1)
                if (nl - line > 140)
                        fail_msg("line longer than 140 columns: %.*s", (int)(nl - line), line);
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "%s", longest);
        expect_in(r.out, prefix, NULL);
        if (strstr(r.out, longest))
                fail_msg("'%s' not cut to 140 columns:\n%s", longest, r.out);
        run_free(&r);
        r = cli_run("--config", fx->d.conf, "anomalies", NULL);
        expect_in(r.out, longest, NULL);
        run_free(&r);
        cJSON_Delete(j);
}

static void test_ghost_stock(void **state)
{
        (void)state;
        cJSON *j = cli_json("--config", fx->d.conf, "ghost-stock", "--limit", "3", "--json", NULL),
              *list = cJSON_GetObjectItem(j, "recommendations"), *it;
        int n = cJSON_GetArraySize(list), rank = 1;
        assert_true(n >= 1 && n <= 3);
        cJSON_ArrayForEach(it, list) assert_true(h_json_number(it, "rank") == rank++);

        struct run r = cli_run("--config", fx->d.conf, "ghost-stock", "--limit", "3", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "RANK", "PRIORITY", NULL);
        cJSON_ArrayForEach(it, list) expect_in(r.out, h_json_string(it, "id"), NULL);
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
                expect_in(r.err, cases[i].message, "--help", NULL);
                assert_string_equal(r.out, "");
                run_free(&r);
        }
}

static void test_help_and_version(void **state)
{
        (void)state;
        struct run r = cli_run("--help", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Usage: shelfwatch", "ghost-stock", "Exit status", NULL);
        run_free(&r);
        r = cli_run("anomalies", "--help", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "--severity", NULL);
        run_free(&r);
        r = cli_run("help", "outcome", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "false_positive", NULL);
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
        struct run r =
            cli_run("--config", fx->d.conf, "outcome", "no-such-anomaly", "true_positive", NULL);
        assert_int_equal(r.status, 1);
        expect_in(r.err, "shelfwatchd: ", NULL);
        assert_string_equal(r.out, "");
        run_free(&r);

        r = cli_run("--config", fx->d.conf, "--json", "outcome", "no-such-anomaly",
                    "false_positive", NULL);
        assert_int_equal(r.status, 1);
        cJSON *j = cJSON_Parse(r.out);
        assert_non_null(j);
        assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
        expect_in(r.err, h_json_string(j, "error"), NULL);
        cJSON_Delete(j);
        run_free(&r);
}

static void test_unreachable_exits_3(void **state)
{
        char port[16];
        (void)state;
        /* Nothing listens there; the explicit --port overrides the config's. */
        snprintf(port, sizeof(port), "%d", sw_test_free_port());
        struct run r = cli_run("--config", fx->d.conf, "--port", port, "health", NULL);
        assert_int_equal(r.status, 3);
        char where[64];
        snprintf(where, sizeof(where), "127.0.0.1:%s", port);
        expect_in(r.err, where, "broker", NULL);
        run_free(&r);

        /* The broker is up but no daemon serves this store: a timeout, also 3, in about 1 s. */
        time_t start = time(NULL);
        r = cli_run("--config", fx->d.conf, "--store", "nowhere", "--timeout", "1", "health", NULL);
        assert_int_equal(r.status, 3);
        expect_in(r.err, "no reply from shelfwatchd", "retail/demo/nowhere", NULL);
        assert_true(time(NULL) - start <= 5);
        run_free(&r);
}

/* The newest open anomaly of a type. Returns a malloc'd id. */
static char *open_anomaly(const char *type)
{
        cJSON *j = cli_json("--config", fx->d.conf, "anomalies", "--status", "open", "--type", type,
                            "--limit", "1", "--json", NULL),
              *a = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "anomalies"), 0);
        if (!a)
                fail_msg("no open %s anomaly", type);
        char *id = strdup(h_json_string(a, "id"));
        cJSON_Delete(j);
        return id;
}

/* outcome, then effectiveness, stats and roi see it. These need the daemon commands outcome,
 * stats, effectiveness and roi (docs/protocol.md). */
static void test_outcome_then_effectiveness_stats_roi(void **state)
{
        (void)state;
        char *tp = open_anomaly("ghost_stock"), *fp = open_anomaly("ml_detected");
        cJSON *j = cli_json("--config", fx->d.conf, "outcome", tp, "true_positive", "--action",
                            "cycle_count", "--note", "counted: shelf empty", "--user", "tester",
                            "--json", NULL),
              *o = cJSON_GetObjectItem(j, "outcome");
        assert_string_equal(h_json_string(o, "anomaly"), tp);
        assert_string_equal(h_json_string(o, "outcome"), "true_positive");
        cJSON_Delete(j);

        struct run r = cli_run("--config", fx->d.conf, "outcome", fp, "false_positive", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Recorded false_positive for anomaly ", fp, NULL);
        run_free(&r);

        j = cli_json("--config", fx->d.conf, "effectiveness", "--days", "60", "--json", NULL);
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

        r = cli_run("--config", fx->d.conf, "effectiveness", "--days", "60", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "False-positive rate", "PRECISION", "ghost_stock", "CATEGORY", NULL);
        run_free(&r);

        j = cli_json("--config", fx->d.conf, "stats", "--json", NULL);
        assert_true(h_json_number(j, "total") >= 2);
        assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "trend")));
        cJSON_Delete(j);
        r = cli_run("--config", fx->d.conf, "stats", "--days", "60", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Trend", "SEVERITY", "critical", NULL);
        run_free(&r);

        j = cli_json("--config", fx->d.conf, "roi", "--days", "60", "--json", NULL);
        assert_true(h_json_number(j, "true_positive_outcomes") >= 1);
        assert_true(h_json_number(j, "total") >= 0);
        cJSON_Delete(j);
        r = cli_run("--config", fx->d.conf, "roi", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "Ghost stock recovered", NULL);
        run_free(&r);
        free(tp);
        free(fp);
}

/* "KEY<padding> VALUE" as the CLI prints a key/value line (tools/shelfwatch/table.c). */
static const char *kv(const char *key, const char *value)
{
        static char buf[4][256];
        static int next;
        char *b = buf[next++ % 4];
        snprintf(b, sizeof(buf[0]), "%-26s %s", key, value);
        return b;
}

/* The number at a dotted path of a JSON text (a run's --json output). */
static double json_number_of(const char *text, const char *path)
{
        cJSON *j = cJSON_Parse(text);
        if (!j)
                fail_msg("not JSON: %s", text);
        double v = h_json_number(j, path);
        cJSON_Delete(j);
        return v;
}

/* count: a count of the top ghost-stock SKU finds the shelf empty: the anomaly is resolved as a
 * true positive, and the value the CLI shows is the one the daemon's P/outcome carries. */
static void test_count_judges_ghost_stock(void **state)
{
        (void)state;
        struct h_collector *outcomes = h_collector_start(fx->b.port, PREFIX "/outcome");
        cJSON *j = cli_json("--config", fx->d.conf, "ghost-stock", "--limit", "1", "--json", NULL),
              *top = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "recommendations"), 0);
        assert_non_null(top);
        char *sku = strdup(h_json_string(top, "sku")), *id = strdup(h_json_string(top, "id"));
        cJSON_Delete(j);

        struct run r = cli_run("--config", fx->d.conf, "count", sku, "0", "--anomaly", id, "--user",
                               "tester", NULL);
        if (r.status != 0)
                fail_msg("count: exit %d, stderr: %s", r.status, r.err);
        expect_in(r.out, " accepted", kv("Counted", "0 units\n"), id,
                  "true_positive (the anomaly is resolved)", "Value recovered", NULL);

        /* The daemon's own figure, from the outcome it sends to HQ. */
        assert_true(h_collector_wait(outcomes, 1, 10000) >= 1);
        char *payload = h_collector_get(outcomes, h_collector_count(outcomes) - 1);
        cJSON *o = cJSON_Parse(payload);
        assert_string_equal(h_json_string(o, "anomaly"), id);
        assert_string_equal(h_json_string(o, "source"), "scanner");
        assert_string_equal(h_json_string(o, "device"), "shelfwatch");
        assert_string_equal(h_json_string(o, "user"), "tester");
        char value[64];
        snprintf(value, sizeof(value), "%.2f (", h_json_number(o, "value_recovered"));
        expect_in(r.out, kv("Value recovered", value), NULL);
        assert_true(h_json_number(o, "value_recovered") > 0);
        cJSON_Delete(o);
        free(payload);
        run_free(&r);
        h_collector_stop(outcomes);

        j = cli_json("--config", fx->d.conf, "anomalies", "--sku", sku, "--json", NULL);
        cJSON *a;
        bool seen = false;
        cJSON_ArrayForEach(
            a, cJSON_GetObjectItem(j, "anomalies")) if (strcmp(h_json_string(a, "id"), id) == 0)
        {
                assert_string_equal(h_json_string(a, "status"), "resolved");
                seen = true;
        }
        assert_true(seen);
        cJSON_Delete(j);

        /* Units agree in number: a book of 5 counted 4 is "-1 unit". JSON is the ack as sent.
         * The daemon keeps times in seconds: a count in the second of the last one is not newer
         * than the book it set, and changes nothing. Both counts carry the CLI's clock, and
         * whether two runs share a second depends on the machine (natively they usually do;
         * under qemu or sanitizers often not), so the daemon's own answer decides: a count that
         * changed nothing is repeated a second later, and that one must apply. */
        h_sleep_ms(1100);
        r = cli_run("--config", fx->d.conf, "count", sku, "5", "--json", NULL);
        assert_int_equal(r.status, 0);
        assert_true(json_number_of(r.out, "counted") == 5);
        expect_in(r.out, "\"status\":\t\"accepted\"", NULL);
        run_free(&r);
        r = cli_run("--config", fx->d.conf, "count", sku, "4", NULL);
        assert_int_equal(r.status, 0);
        if (strstr(r.out, "changed nothing") != NULL) {
                expect_in(r.out, kv("Adjustment", "0 units\n"), NULL);
                run_free(&r);
                h_sleep_ms(1100);
                r = cli_run("--config", fx->d.conf, "count", sku, "4", NULL);
                assert_int_equal(r.status, 0);
        } else {
                print_message("the two counts fell in different seconds: the second applied\n");
        }
        expect_in(r.out, kv("Book before", "5 units\n"), kv("Adjustment", "-1 unit\n"),
                  kv("Outcome", "none"), NULL);
        run_free(&r);
        free(sku);
        free(id);
}

/* count: what the daemon refuses exits 1 with its reason; a bad count is a usage error. */
static void test_count_refused(void **state)
{
        (void)state;
        struct run r = cli_run("--config", fx->d.conf, "count", "NO-SUCH-SKU", "3", NULL);
        assert_int_equal(r.status, 1);
        expect_in(r.err, "refused the count: unknown_sku", NULL);
        assert_string_equal(r.out, "");
        run_free(&r);

        r = cli_run("--config", fx->d.conf, "count", "SKU0001", "3.5", NULL);
        assert_int_equal(r.status, 2);
        expect_in(r.err, "the count must be a whole number from 0 to 1000000", NULL);
        run_free(&r);

        /* devices.scanners set (a reload applies it): the CLI's scanner name must be listed. */
        char conf[1024];
        h_config(conf, sizeof(conf), fx->b.port, fx->dir,
                 "devices = { scanners = [ \"hh-1\" ]; };\n");
        h_write_file(fx->d.conf, conf);
        assert_int_equal(kill(fx->d.pid, SIGHUP), 0);
        h_sleep_ms(500);
        r = cli_run("--config", fx->d.conf, "count", "SKU0002", "3", NULL);
        assert_int_equal(r.status, 1);
        expect_in(r.err, "unknown_device", "add 'shelfwatch' there, or give --device a listed name",
                  NULL);
        run_free(&r);
        r = cli_run("--config", fx->d.conf, "count", "SKU0002", "3", "--device", "hh-1", NULL);
        if (r.status != 0)
                fail_msg("count --device hh-1: exit %d, stderr: %s", r.status, r.err);
        expect_in(r.out, kv("Counted", "3 units\n"), NULL);
        run_free(&r);
        h_config(conf, sizeof(conf), fx->b.port, fx->dir, NULL);
        h_write_file(fx->d.conf, conf);
        assert_int_equal(kill(fx->d.pid, SIGHUP), 0);
        h_sleep_ms(500);
}

/* forecast: every SKU of 25 days has a local forecast; the table and the JSON agree. */
static void test_forecast(void **state)
{
        (void)state;
        cJSON *j =
                  cli_json("--config", fx->d.conf, "forecast", "--limit", "100000", "--json", NULL),
              *row;
        assert_true(h_json_number(j, "skus") == 100);
        assert_true(h_json_number(j, "with_forecast") == 100);
        cJSON_ArrayForEach(row, cJSON_GetObjectItem(j, "rows"))
        {
                assert_string_equal(h_json_string(row, "source"), "local");
                assert_true(h_json_number(row, "expected") >= 0);
                assert_true(h_json_number(row, "history_days") >= 14);
        }
        cJSON_Delete(j);
        struct run r = cli_run("--config", fx->d.conf, "forecast", "--sku", "SKU0001", NULL);
        assert_int_equal(r.status, 0);
        expect_in(r.out, "SKU0001", " local ", "1 of 1 SKU have a forecast.", NULL);
        run_free(&r);
}

/* Display width of UTF-8 text (wide characters count 2). */
static int display_width(const char *s, size_t bytes)
{
        wchar_t w[256];
        char buf[1024];
        snprintf(buf, sizeof(buf), "%.*s", (int)bytes, s);
        size_t n = mbstowcs(w, buf, 256);
        assert_true(n != (size_t)-1);
        return wcswidth(w, n);
}

/* Wide characters: a category in CJK keeps the columns after it aligned, in any locale. */
static void test_wide_characters_align(void **state)
{
        (void)state;
        char msg[256];
        cJSON *h = h_health(fx->b.port, PREFIX);
        double before = h_json_number(h, "messages.accepted.inventory");
        cJSON_Delete(h);
        snprintf(msg, sizeof(msg),
                 "{\"ts\":%lld,\"items\":[{\"sku\":\"SKU0003\",\"category\":\"日本の文具\"}]}",
                 (long long)time(NULL));
        h_publish(fx->b.port, PREFIX "/inventory", msg);
        h_wait_health_number(fx->b.port, PREFIX, "messages.accepted.inventory", before + 1, 50);
        setlocale(LC_CTYPE, "C.UTF-8");
        for (int pass = 0; pass < 2; pass++) {
                /* The CLI uses C.UTF-8 when the locale's character set is not UTF-8. */
                setenv("LC_ALL", pass ? "C" : "C.UTF-8", 1);
                struct run r =
                    cli_run("--config", fx->d.conf, "forecast", "--sku", "SKU0003", NULL);
                unsetenv("LC_ALL");
                assert_int_equal(r.status, 0);
                expect_in(r.out, "日本の文具", NULL);
                char *head = strstr(r.out, "SKU "), *row = strstr(r.out, "SKU0003 ");
                assert_non_null(head);
                assert_non_null(row);
                int want = display_width(head, (size_t)(strstr(head, "HISTORY") - head) + 7);
                char *hist = strstr(row, " days");
                assert_non_null(hist);
                int got = display_width(row, (size_t)(hist - row) + 5);
                if (got != want)
                        fail_msg("HISTORY ends at column %d in the header, %d in the row:\n%s",
                                 want, got, r.out);
                run_free(&r);
        }
}

/* clang-format off */
SW_TEST_MAIN_GROUP(setup, teardown,
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_health_table_and_json),
        cmocka_unit_test(test_detect_as_of),
        cmocka_unit_test(test_anomalies_by_severity),
        cmocka_unit_test(test_ghost_stock),
        cmocka_unit_test(test_daemon_error_exits_1),
        cmocka_unit_test(test_unreachable_exits_3),
        cmocka_unit_test(test_outcome_then_effectiveness_stats_roi),
        cmocka_unit_test(test_count_judges_ghost_stock),
        cmocka_unit_test(test_count_refused),
        cmocka_unit_test(test_forecast),
        cmocka_unit_test(test_wide_characters_align))
/* clang-format on */
