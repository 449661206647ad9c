/* shelfwatch import against a real broker and daemon: formats, refusals, an interrupted run. */
#include <fcntl.h>
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
#include "tests/support/test_main.h"

#define CLI    SW_BUILD_DIR "/shelfwatch"
#define PREFIX "retail/demo/store1"

/* A broker and a daemon of one test. */
struct store {
        struct h_broker broker; /* mosquitto */
        struct h_daemon daemon; /* shelfwatchd */
        char dir[256];          /* scratch directory: config, database, CSV files */
};

/* What one run of the client did. */
struct run {
        int status; /* exit status */
        char *out;  /* stdout (malloc'd) */
        char *err;  /* stderr (malloc'd) */
};

static void run_free(struct run *r)
{
        free(r->out);
        free(r->err);
        *r = (struct run){0};
}

static void expect_in(const char *text, const char *needle)
{
        if (!text || !strstr(text, needle))
                fail_msg("expected '%s' in:\n%s", needle, text ? text : "(nothing)");
}

/* The client's argv: CLI --config CONF, then the NULL-ended arguments. */
static void cli_argv(char **argv, size_t cap, const struct store *s, const char *first, va_list ap)
{
        size_t n = 0;
        argv[n++] = CLI;
        argv[n++] = "--config";
        argv[n++] = (char *)s->daemon.conf;
        for (const char *a = first; a && n + 1 < cap; a = va_arg(ap, const char *))
                argv[n++] = (char *)a;
        argv[n] = NULL;
}

/* Start the client in the background, stdout and stderr to files in the store's directory. */
static pid_t cli_spawn(const struct store *s, const char *first, ...)
{
        char *argv[40], out[512], err[512];
        va_list ap;
        va_start(ap, first);
        cli_argv(argv, 40, s, first, ap);
        va_end(ap);
        snprintf(out, sizeof(out), "%s/cli.out", s->dir);
        snprintf(err, sizeof(err), "%s/cli.err", s->dir);
        return h_spawn_apart(argv, out, err);
}

static struct run cli_collect(const struct store *s, pid_t pid)
{
        char out[512], err[512];
        snprintf(out, sizeof(out), "%s/cli.out", s->dir);
        snprintf(err, sizeof(err), "%s/cli.err", s->dir);
        struct run r = {.status = h_wait(pid), .out = h_read_file(out), .err = h_read_file(err)};
        assert_non_null(r.out);
        assert_non_null(r.err);
        return r;
}

#define cli_run(s, ...) cli_collect((s), cli_spawn((s), __VA_ARGS__))

/* A broker and a daemon with extra config text. */
static void store_start(struct store *s, const char *extra)
{
        char conf[2048];
        *s = (struct store){0};
        h_tmpdir(s->dir, sizeof(s->dir));
        h_broker_start(&s->broker, 0, NULL);
        h_config(conf, sizeof(conf), s->broker.port, s->dir, extra);
        h_daemon_start(&s->daemon, s->dir, conf, s->broker.port);
}

static char *path_in(const struct store *s, const char *name)
{
        static char buf[4][512];
        static int next;
        char *b = buf[next++ % 4];
        snprintf(b, sizeof(buf[0]), "%s/%s", s->dir, name);
        return b;
}

/* The UTC day (the daemon's default store time zone) days from today, in a format. */
static const char *day_from_today(int days, const char *fmt)
{
        static char buf[8][32];
        static int next;
        char *b = buf[next++ % 8];
        time_t t = time(NULL) + (time_t)days * 86400;
        strftime(b, sizeof(buf[0]), fmt, gmtime(&t));
        return b;
}

static double health_number(const struct store *s, const char *path)
{
        cJSON *h = h_health(s->broker.port, PREFIX);
        double v = h_json_number_or(h, path, 0);
        cJSON_Delete(h);
        return v;
}

static cJSON *json_of(const struct run *r)
{
        cJSON *j = cJSON_Parse(r->out);
        if (!j)
                fail_msg("not JSON (exit %d): %s\nstderr: %s", r->status, r->out, r->err);
        return j;
}

/* The file of kind in an import's --json summary. */
static cJSON *file_of(cJSON *summary, const char *kind)
{
        cJSON *f;
        cJSON_ArrayForEach(
            f, cJSON_GetObjectItem(summary, "files")) if (strcmp(h_json_string(f, "kind"), kind) ==
                                                          0) return f;
        fail_msg("no %s file in the summary", kind);
        return NULL;
}

/* Every format the import reads, what the client refuses (with file:line) and what the daemon
 * refuses (with its reason), and the same command again sends nothing. */
static void test_formats_and_refusals(void **state)
{
        struct store s;
        char text[4096];
        (void)state;
        store_start(&s, NULL);
        /* Book records: ';'-separated with decimal commas, a byte order mark, quoted fields,
         * header names of an ERP export, a column the import does not know, one bad row. */
        h_write_file(path_in(&s, "items.csv"),
                     "\xef\xbb\xbf"
                     "Item Code;Description;Stock On Hand;Unit Price;Department\n"
                     "A1;\"Mug; blue\";12;2,50;kitchen\n"
                     "A2;\"Tote \"\"big\"\"\";7;10;bags\n"
                     "A3;Card;x;1,00;paper\n"
                     "B1;Candle;40;3,99;\"home\"\n"
                     "B2;\"Lamp;3;5,00;home\n"); /* line 6: a quote never closed */
        /* Sales per SKU and day: three date formats, an amount instead of a price, a day of 0
         * units, a bad date and a bad quantity (refused here), a day older than the daemon's
         * 56 days and one too far ahead (refused by the daemon). */
        snprintf(text, sizeof(text),
                 "date,sku,units,amount\n"
                 "%s,A1,3,7.50\n"        /* line 2 */
                 "%s,A1,2,5.00\n"        /* line 3 */
                 "%s,A2,1,10\n"          /* line 4 */
                 "%s,A2,0,0\n"           /* line 5: nothing sold */
                 "2026-02-30,A1,1,2.5\n" /* line 6: no such day */
                 "%s,A1,two,5\n"         /* line 7 */
                 "%s,B1,1,3.99\n"        /* line 8: older than the history window */
                 "%s,B1,1,3.99\n"        /* line 9: three days ahead */
                 "%s,\"A2\"x,1,10\n",    /* line 10: text after a closing quote */
                 day_from_today(-3, "%Y-%m-%d"), day_from_today(-2, "%Y%m%d"),
                 day_from_today(-2, "%d.%m.%Y"), day_from_today(-1, "%Y-%m-%d"),
                 day_from_today(-1, "%Y-%m-%d"), day_from_today(-70, "%Y-%m-%d"),
                 day_from_today(3, "%Y-%m-%d"), day_from_today(-1, "%Y-%m-%d"));
        h_write_file(path_in(&s, "sales.csv"), text);
        /* Receipt lines: a date and a time of day, registers, one receipt with a bad line
         * (refused whole, as the daemon would), an RFC 3339 time, a line the reader cannot
         * split; the file's name has a space (the refusal still names file and line). */
        snprintf(text, sizeof(text),
                 "receipt\tdate\ttime\tsku\tqty\tprice\tregister\n"
                 "R-1\t%s\t09:15\tA1\t1\t2.5\tr1\n"
                 "R-1\t%s\t09:15\tB1\t2\t3.99\tr1\n"
                 "R-2\t%s\t10:00\tA2\t1\t10\tr2\n"
                 "R-2\t%s\t10:00\tA2\tmany\t10\tr2\n"
                 "R-3\t\t%sT11:30:00Z\tB1\t-1\t3.99\tr1\n"
                 "R-4\t\"%s\t12:00\tB1\t1\t3.99\tr1\n", /* line 7: a quote never closed */
                 day_from_today(-1, "%Y-%m-%d"), day_from_today(-1, "%Y-%m-%d"),
                 day_from_today(-1, "%Y-%m-%d"), day_from_today(-1, "%Y-%m-%d"),
                 day_from_today(-1, "%Y-%m-%d"), day_from_today(-1, "%Y-%m-%d"));
        h_write_file(path_in(&s, "receipt lines.tsv"), text);

        struct run r = cli_run(&s, "import", "--items", path_in(&s, "items.csv"), "--sales",
                               path_in(&s, "sales.csv"), "--receipts",
                               path_in(&s, "receipt lines.tsv"), "--json", NULL);
        /* Rows were refused: exit 1, each refusal of the client named by file and line. */
        assert_int_equal(r.status, 1);
        char where[600];
        snprintf(where, sizeof(where), "%s:4: on_hand: must be a whole number (got 'x')",
                 path_in(&s, "items.csv"));
        expect_in(r.err, where);
        snprintf(where, sizeof(where), "%s:6: a quoted field is not closed",
                 path_in(&s, "items.csv"));
        expect_in(r.err, where);
        snprintf(where, sizeof(where), "%s:10: text after a closing quote",
                 path_in(&s, "sales.csv"));
        expect_in(r.err, where);
        snprintf(where, sizeof(where), "%s:6: date: must be", path_in(&s, "sales.csv"));
        expect_in(r.err, where);
        snprintf(where, sizeof(where), "%s:7: quantity: must be a whole number (got 'two')",
                 path_in(&s, "sales.csv"));
        expect_in(r.err, where);
        snprintf(where, sizeof(where), "%s:5: quantity", path_in(&s, "receipt lines.tsv"));
        expect_in(r.err, where);
        snprintf(where, sizeof(where), "%s:7: a quoted field is not closed",
                 path_in(&s, "receipt lines.tsv"));
        expect_in(r.err, where);

        cJSON *j = json_of(&r), *items = file_of(j, "items"), *sales = file_of(j, "sales"),
              *receipts = file_of(j, "receipts");
        assert_true(h_json_number(items, "read") == 5);
        assert_true(h_json_number(items, "not_sent.bad_row") == 1);
        assert_true(h_json_number(items, "accepted") == 3);
        assert_true(h_json_number(items, "not_sent.bad_number") == 1);
        assert_true(h_json_number(sales, "read") == 9);
        assert_true(h_json_number(sales, "not_sent.bad_row") == 1);
        assert_true(h_json_number(sales, "sent") == 5);
        assert_true(h_json_number(sales, "accepted") == 3);
        assert_true(h_json_number(sales, "not_sent.zero_units") == 1);
        assert_true(h_json_number(sales, "not_sent.bad_date") == 1);
        assert_true(h_json_number(sales, "not_sent.bad_number") == 1);
        assert_true(h_json_number(sales, "refused.too_old") == 1);
        assert_true(h_json_number(sales, "refused.in_future") == 1);
        assert_true(h_json_number(receipts, "read") == 4);
        assert_true(h_json_number(receipts, "not_sent.bad_row") == 1);
        assert_true(h_json_number(receipts, "accepted") == 2);
        assert_true(h_json_number(receipts, "not_sent.bad_number") == 1);
        assert_true(h_json_number(j, "skus_registered.accepted") == 3); /* A1, A2, B1 */
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "exact")));
        cJSON_Delete(j);
        run_free(&r);

        /* The daemon's own counters say the same. */
        assert_true(health_number(&s, "messages.accepted.pos") == 3 + 2);
        assert_true(health_number(&s, "messages.rejected.pos.too_old") == 1);
        assert_true(health_number(&s, "messages.rejected.pos.in_future") == 1);
        assert_true(health_number(&s, "messages.accepted.inventory") == 2);
        assert_true(health_number(&s, "skus.tracked") == 3);
        assert_true(health_number(&s, "skus.categories") == 3);

        /* The book of A1 is the items file's, as of the file's time: the sales before it do
         * not lower it; B1's return on R-3 came before it too. */
        r = cli_run(&s, "count", "A1", "12", "--json", NULL);
        j = json_of(&r);
        assert_true(h_json_number(j, "book_before") == 12);
        cJSON_Delete(j);
        run_free(&r);

        /* The same command again: the state file says it is done, nothing is sent. */
        r = cli_run(&s, "import", "--items", path_in(&s, "items.csv"), "--sales",
                    path_in(&s, "sales.csv"), "--receipts", path_in(&s, "receipt lines.tsv"), NULL);
        assert_int_equal(r.status, 1);
        expect_in(r.out, "Nothing left to send");
        expect_in(r.out, "REFUSED");
        expect_in(r.out, "too_old");
        run_free(&r);
        assert_true(health_number(&s, "messages.accepted.pos") == 5);
        assert_true(health_number(&s, "messages.duplicates.pos") == 0);

        /* A file that changed since is refused: its rows would get new ids. */
        FILE *f = fopen(path_in(&s, "sales.csv"), "a");
        fprintf(f, "%s,A1,1,2.5\n", day_from_today(-1, "%Y-%m-%d"));
        fclose(f);
        r = cli_run(&s, "import", "--items", path_in(&s, "items.csv"), "--sales",
                    path_in(&s, "sales.csv"), "--receipts", path_in(&s, "receipt lines.tsv"), NULL);
        assert_int_equal(r.status, 2);
        expect_in(r.err, "changed since the import");
        assert_string_equal(r.out, "");
        run_free(&r);
        assert_true(health_number(&s, "messages.accepted.pos") == 5);
        h_finish_test(&s.daemon, &s.broker, s.dir);
}

/* Bad command lines and unreadable files: exit 2, nothing sent; no broker: exit 3. */
static void test_usage_and_unreachable(void **state)
{
        struct store s;
        (void)state;
        store_start(&s, NULL);
        h_write_file(path_in(&s, "nocols.csv"), "sku,when,how many\nA1,2026-01-01,3\n");
        h_write_file(path_in(&s, "ok.csv"), "sku,on_hand\nA1,3\n");
        static const struct {
                const char *args[4];
                const char *message;
        } cases[] = {
            {{"import"}, "give at least one of --items, --sales, --receipts"},
            {{"import", "--sales", "/nonexistent/sales.csv"},
             "/nonexistent/sales.csv: No such file"},
            {{"import", "--sales", "NOCOLS"}, "a sales file needs the columns sku, date and units"},
            {{"import", "--items", "OK", "--device"}, "needs a value"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *a[4];
                for (int k = 0; k < 4; k++)
                        a[k] = !cases[i].args[k]                         ? NULL
                               : strcmp(cases[i].args[k], "NOCOLS") == 0 ? path_in(&s, "nocols.csv")
                               : strcmp(cases[i].args[k], "OK") == 0     ? path_in(&s, "ok.csv")
                                                                         : cases[i].args[k];
                struct run r = cli_run(&s, a[0], a[1], a[2], a[3], NULL);
                if (r.status != 2)
                        fail_msg("case %zu: exit %d, stderr: %s", i, r.status, r.err);
                expect_in(r.err, cases[i].message);
                run_free(&r);
        }
        assert_true(health_number(&s, "messages.accepted.inventory") == 0);
        char port[16];
        snprintf(port, sizeof(port), "%d", sw_test_free_port());
        struct run r =
            cli_run(&s, "--port", port, "import", "--items", path_in(&s, "ok.csv"), NULL);
        assert_int_equal(r.status, 3);
        expect_in(r.err, "cannot connect");
        run_free(&r);
        h_finish_test(&s.daemon, &s.broker, s.dir);
}

/* 3000 sales rows of 60 SKUs over 50 days, ending yesterday. */
static void write_big_sales(const struct store *s, long *ret_last_week)
{
        FILE *f = fopen(path_in(s, "big.csv"), "w");
        assert_non_null(f);
        fprintf(f, "date,sku,units\n");
        for (int d = 50; d >= 1; d--)
                for (int k = 0; k < 60; k++) {
                        int units = 1 + (d * 7 + k * 3) % 5;
                        fprintf(f, "%s,S%02d,%d\n", day_from_today(-d, "%Y-%m-%d"), k, units);
                        if (d <= 7)
                                ret_last_week[k] += units;
                }
        fclose(f);
}

/* The state file's next line of the sales file (0 while there is none). */
static unsigned state_next_line(const struct store *s)
{
        char *text = h_read_file(path_in(s, "big.csv.import-state"));
        unsigned next = 0;
        const char *line = text ? strstr(text, "\nfile sales ") : NULL;
        if (line)
                (void)sscanf(line, "\nfile sales %*s %*s %u", &next);
        free(text);
        return next;
}

/* Start the import, stop it with sig once the daemon confirmed batches, wait for it. */
static struct run interrupt_import(struct store *s, int sig, unsigned after_line)
{
        pid_t pid = cli_spawn(s, "import", "--sales", path_in(s, "big.csv"), NULL);
        double deadline = h_mono_s() + 60;
        while (state_next_line(s) < after_line && h_mono_s() < deadline)
                h_sleep_ms(20);
        assert_true(state_next_line(s) >= after_line);
        assert_int_equal(kill(pid, sig), 0);
        return cli_collect(s, pid);
}

/* An import killed (SIGKILL, then SIGINT) and run again counts nothing twice: the daemon
 * accepted each row once, the rest of what was sent again is counted as duplicates, and each
 * SKU's last week of sales is what the file says. Paced under a tight device rate: nothing is
 * refused as rate_limited. */
static void test_interrupted_import_counts_nothing_twice(void **state)
{
        struct store s;
        long last_week[60] = {0};
        (void)state;
        store_start(&s, "limits = { device_rate_per_second = 400; device_burst = 200; };\n"
                        "detectors = { ml = { features = \"seed\"; }; };\n");
        write_big_sales(&s, last_week);

        struct run r = interrupt_import(&s, SIGKILL, 600);
        assert_int_equal(r.status, 128 + SIGKILL);
        run_free(&r);
        unsigned killed_at = state_next_line(&s);
        assert_true(killed_at < 3001);

        /* SIGINT: the open batch is confirmed and the state saved; exit 130. */
        r = interrupt_import(&s, SIGINT, killed_at + 400);
        assert_int_equal(r.status, 130);
        expect_in(r.err, "interrupted");
        expect_in(r.err, "run the same command again");
        run_free(&r);
        unsigned stopped_at = state_next_line(&s);
        assert_true(stopped_at > killed_at && stopped_at < 3001);
        assert_true(health_number(&s, "messages.accepted.pos") == stopped_at - 2);

        double start = h_mono_s();
        r = cli_run(&s, "import", "--sales", path_in(&s, "big.csv"), "--json", NULL);
        double secs = h_mono_s() - start;
        if (r.status != 0)
                fail_msg("exit %d, stderr: %s", r.status, r.err);
        cJSON *j = json_of(&r), *sales = file_of(j, "sales");
        double accepted = h_json_number(sales, "accepted"),
               duplicates = h_json_number(sales, "duplicates");
        assert_true(h_json_number(sales, "read") == 3000);
        assert_true(h_json_number(sales, "sent") == 3000);
        assert_true(accepted + duplicates == 3000);
        assert_true(cJSON_GetObjectItem(sales, "refused")->child == NULL);
        cJSON_Delete(j);
        run_free(&r);
        /* The last run sent what was left at 200 a second (half the device rate). */
        assert_true(secs >= (3000.0 - stopped_at) / 200.0 * 0.9);
        fprintf(stderr, "killed at line %u, interrupted at %u; the last run: %.1f s\n", killed_at,
                stopped_at, secs);

        /* The daemon: every row once, what was sent again a duplicate, nothing refused. */
        cJSON *h = h_health(s.broker.port, PREFIX);
        assert_true(h_json_number(h, "messages.accepted.pos") == 3000);
        assert_true(h_json_number(h, "messages.duplicates.pos") == duplicates);
        assert_null(cJSON_GetObjectItem(h_json_item(h, "messages.rejected"), "pos")->child);
        cJSON_Delete(h);
        cJSON *f = h_command(s.broker.port, PREFIX, "ml-features", "{}"), *row;
        int checked = 0;
        cJSON_ArrayForEach(row, cJSON_GetObjectItem(f, "rows"))
        {
                int k = atoi(h_json_string(row, "sku") + 1);
                double sales_7d = cJSON_GetArrayItem(cJSON_GetObjectItem(row, "x"), 0)->valuedouble;
                if (sales_7d != (double)last_week[k])
                        fail_msg("%s sold %g in the last week, the file says %ld",
                                 h_json_string(row, "sku"), sales_7d, last_week[k]);
                checked++;
        }
        assert_int_equal(checked, 60);
        cJSON_Delete(f);
        h_finish_test(&s.daemon, &s.broker, s.dir);
}

/* A line the reader cannot split, met when the open batch is full (20 messages under this
 * device rate), is refused as bad_row like any other. The batch's confirmation used to take
 * the reader's answer's place, and the line was parsed half split. */
static void test_unsplittable_line_after_a_full_batch(void **state)
{
        struct store s;
        char text[4096];
        size_t n = 0;
        const char *day = day_from_today(-1, "%Y-%m-%d");
        (void)state;
        store_start(&s, "limits = { device_rate_per_second = 40; device_burst = 40; };\n");
        n += (size_t)snprintf(text + n, sizeof(text) - n, "date,sku,units,amount\n");
        for (int i = 0; i < 20; i++) /* lines 2..21: a message each, the batch's 20 */
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%s,A%d,1,2.5\n", day, i);
        snprintf(text + n, sizeof(text) - n, "%s,\"A1\"x,1,2.5\n", day); /* line 22 */
        h_write_file(path_in(&s, "sales.csv"), text);

        struct run r = cli_run(&s, "import", "--sales", path_in(&s, "sales.csv"), "--json", NULL);
        assert_int_equal(r.status, 1);
        char where[600];
        snprintf(where, sizeof(where), "%s:22: text after a closing quote",
                 path_in(&s, "sales.csv"));
        expect_in(r.err, where);
        cJSON *j = json_of(&r), *sales = file_of(j, "sales");
        assert_true(h_json_number(sales, "read") == 21);
        assert_true(h_json_number(sales, "sent") == 20);
        assert_true(h_json_number(sales, "not_sent.bad_row") == 1);
        cJSON_Delete(j);
        run_free(&r);
        h_finish_test(&s.daemon, &s.broker, s.dir);
}

/* The progress bar is drawn only on a terminal (script(1) gives the client one). */
static void test_progress_bar_on_terminal_only(void **state)
{
        struct store s;
        char cmd[2048], out[600];
        (void)state;
        store_start(&s, NULL);
        h_write_file(path_in(&s, "items.csv"), "sku,on_hand\nA1,3\nA2,4\n");
        /* Under qemu (cross builds) the client runs through the wrapper. */
        const char *wrapper = getenv("SW_TEST_WRAPPER");
        snprintf(cmd, sizeof(cmd), "%s %s --config %s import --items %s", wrapper ? wrapper : "",
                 CLI, s.daemon.conf, path_in(&s, "items.csv"));
        snprintf(out, sizeof(out), "%s/tty.out", s.dir);
        char *argv[] = {"script", "-qec", cmd, "/dev/null", NULL};
        assert_int_equal(h_run(out, argv), 0);
        char *tty = h_read_file(out);
        expect_in(tty, "\r");
        expect_in(tty, "[##############################] 100%");
        free(tty);

        unlink(path_in(&s, "items.csv.import-state"));
        struct run r = cli_run(&s, "import", "--items", path_in(&s, "items.csv"), NULL);
        assert_int_equal(r.status, 0);
        assert_null(strchr(r.out, '\r'));
        assert_null(strstr(r.out, "[###"));
        expect_in(r.out, "ACCEPTED");
        run_free(&r);
        h_finish_test(&s.daemon, &s.broker, s.dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_formats_and_refusals, h_teardown),
        cmocka_unit_test_teardown(test_usage_and_unreachable, h_teardown),
        cmocka_unit_test_teardown(test_interrupted_import_counts_nothing_twice, h_teardown),
        cmocka_unit_test_teardown(test_unsplittable_line_after_a_full_batch, h_teardown),
        cmocka_unit_test_teardown(test_progress_bar_on_terminal_only, h_teardown))
/* clang-format on */
