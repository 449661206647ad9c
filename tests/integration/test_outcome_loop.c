/* The closed loop: associates count what the daemon recommends; outcomes, effectiveness, ROI and
 * learnt thresholds follow from the counts, checked against the simulator's ground truth. */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"
/* The daemon's default limits: the simulator's traffic must pass them as a real store's does. */
#define LIMITS "limits: { "

/* The verdict an ack or outcome carries: a name, or the P/outcome object's "outcome". */
static const char *ack_verdict(cJSON *ack)
{
        cJSON *o = cJSON_GetObjectItemCaseSensitive(ack, "outcome");
        return cJSON_IsObject(o)   ? h_json_string(o, "outcome")
               : cJSON_IsString(o) ? o->valuestring
                                   : "";
}

/* Publish a count on scanner t1 and return its ack (the next message on the ack collector). */
static cJSON *count_and_ack(int port, struct h_collector *acks, const char *payload)
{
        return h_publish_await(port, PREFIX "/scanner/t1/count", payload, acks, 5000);
}

/* One line of storesim --counts, what the test needs of it. */
struct count_line {
        char anomaly[200]; /* anomaly answered */
        bool ghost;        /* truth: the shelf was short (a ghost was active) */
        double value;      /* truth: (book - counted) x price for a ghost, else 0 */
        char payload[512]; /* the count as sent, to redeliver it */
};

/* Read storesim's counts file; checks each ack against the truth. Returns the lines (malloc'd). */
static struct count_line *read_counts(const char *path, size_t *ret_n)
{
        char *text = h_read_file(path);
        struct count_line *lines = NULL;
        size_t n = 0;
        assert_non_null(text);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                cJSON *c = cJSON_Parse(line), *ack;
                assert_non_null(c);
                ack = cJSON_GetObjectItemCaseSensitive(c, "ack");
                lines = realloc(lines, (n + 1) * sizeof(*lines));
                struct count_line *l = &lines[n++];
                *l = (struct count_line){.ghost = cJSON_IsTrue(h_json_item(c, "ghost")),
                                         .value = h_json_number(c, "value_truth")};
                snprintf(l->anomaly, sizeof(l->anomaly), "%s", h_json_string(c, "anomaly"));
                snprintf(l->payload, sizeof(l->payload),
                         "{\"id\":\"%s\",\"ts\":\"%s\",\"sku\":\"%s\",\"counted\":%.0f,\"anomaly\":"
                         "\"%s\","
                         "\"user\":\"associate\"}",
                         h_json_string(c, "id"), h_json_string(c, "ts"), h_json_string(c, "sku"),
                         h_json_number(c, "counted"), l->anomaly);
                double book = h_json_number(c, "book"), counted = h_json_number(c, "counted"),
                       shortfall = book - counted;
                /* The truth and the daemon's rule agree here: a ghost empties a shelf holding >= 2.
                 */
                if (l->ghost)
                        assert_true(shortfall >= 2 && shortfall >= 0.2 * fmax(book, 1));
                else
                        assert_true(shortfall == 0);
                if (strcmp(h_json_string(ack, "status"), "accepted") != 0 ||
                    cJSON_IsTrue(h_json_item(ack, "duplicate")))
                        fail_msg("count not plainly accepted: %s", line);
                assert_true(h_json_number(ack, "book_before") == book);
                assert_string_equal(h_json_string(ack, "anomaly"), l->anomaly);
                if (strcmp(ack_verdict(ack), l->ghost ? "true_positive" : "false_positive") != 0)
                        fail_msg("ack outcome '%s', truth says %s: %s", ack_verdict(ack),
                                 l->ghost ? "ghost" : "no ghost", line);
                for (size_t i = 0; i + 1 < n; i++)
                        if (strcmp(lines[i].anomaly, l->anomaly) == 0)
                                fail_msg("anomaly %s counted twice (it should have left the list)",
                                         l->anomaly);
                cJSON_Delete(c);
        }
        free(text);
        *ret_n = n;
        return lines;
}

static bool seen_anomaly(struct h_collector *anomalies, const char *id)
{
        char needle[256];
        snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
        for (size_t i = 0; i < h_collector_count(anomalies); i++) {
                char *msg = h_collector_get(anomalies, i);
                bool hit = strstr(msg, needle) != NULL;
                free(msg);
                if (hit)
                        return true;
        }
        return false;
}

/* Every counted anomaly has exactly one P/outcome at HQ, known from P/anomaly, with the truth's
 * verdict. Returns the sum of their prevented_value. */
static double check_outcomes_at_hq(struct h_collector *outcomes, struct h_collector *anomalies,
                                   const struct count_line *lines, size_t n)
{
        double prevented = 0;
        size_t got = h_collector_wait(outcomes, n, 15000);
        usleep(500 * 1000);
        got = h_collector_count(outcomes);
        if (got != n)
                fail_msg("%zu P/outcome messages at HQ for %zu counted anomalies", got, n);
        char **ids = calloc(got + 1, sizeof(*ids));
        bool *matched = calloc(n + 1, sizeof(*matched));
        for (size_t i = 0; i < got; i++) {
                char *msg = h_collector_get(outcomes, i);
                cJSON *o = cJSON_Parse(msg);
                assert_non_null(o);
                ids[i] = strdup(h_json_string(o, "id"));
                assert_true(ids[i][0]);
                for (size_t k = 0; k < i; k++)
                        if (strcmp(ids[k], ids[i]) == 0)
                                fail_msg("outcome id %s twice at HQ", ids[i]);
                const char *anomaly = h_json_string(o, "anomaly");
                if (!seen_anomaly(anomalies, anomaly))
                        fail_msg("outcome for %s, which HQ never got on P/anomaly", anomaly);
                size_t k = 0;
                while (k < n && strcmp(lines[k].anomaly, anomaly) != 0)
                        k++;
                if (k == n)
                        fail_msg("outcome for %s, which nobody counted", anomaly);
                assert_false(matched[k]);
                matched[k] = true;
                assert_string_equal(h_json_string(o, "type"), "ghost_stock");
                assert_string_equal(h_json_string(o, "outcome"),
                                    lines[k].ghost ? "true_positive" : "false_positive");
                assert_string_equal(h_json_string(o, "status"),
                                    lines[k].ghost ? "resolved" : "dismissed");
                if (lines[k].ghost)
                        assert_true(fabs(h_json_number(o, "value_recovered") - lines[k].value) <=
                                    1e-6 * fmax(1.0, lines[k].value));
                /* A confirmed ghost of a selling SKU saved sales; a false alarm saved nothing. */
                if (lines[k].ghost)
                        assert_true(h_json_number(o, "prevented_value") > 0);
                else
                        assert_true(h_json_number(o, "prevented_value") == 0);
                prevented += h_json_number(o, "prevented_value");
                cJSON_Delete(o);
                free(msg);
        }
        for (size_t i = 0; i < got; i++)
                free(ids[i]);
        free(ids);
        free(matched);
        return prevented;
}

/* Health numbers that a rejected count must not move. */
struct health_snap {
        double accepted_count; /* messages.accepted.count */
        double tracked;        /* skus.tracked */
        double open;           /* open_anomalies */
        double rejected_count; /* sum of messages.rejected.count */
};

static struct health_snap snap(int port)
{
        cJSON *h = h_health(port, PREFIX), *v;
        struct health_snap s = {.accepted_count = h_json_number(h, "messages.accepted.count"),
                                .tracked = h_json_number(h, "skus.tracked"),
                                .open = h_json_number(h, "open_anomalies")};
        cJSON_ArrayForEach(v, h_json_item(h, "messages.rejected.count")) s.rejected_count +=
            v->valuedouble;
        cJSON_Delete(h);
        return s;
}

/* Publish a count that must be refused: a "rejected" ack with an error. */
static void expect_rejected(int port, struct h_collector *acks, const char *payload)
{
        cJSON *a = count_and_ack(port, acks, payload);
        if (strcmp(h_json_string(a, "status"), "rejected") != 0 || !h_json_string(a, "error")[0])
                fail_msg("bad count %s: ack %s", payload, cJSON_PrintUnformatted(a));
        print_message("refused as expected: %s -> %s\n", payload, h_json_string(a, "error"));
        cJSON_Delete(a);
}

/* A SKU without any anomaly, so that counting it records no outcome. */
static void quiet_sku(int port, char *buf, size_t size)
{
        for (int i = 1; i < 1000; i++) {
                char req[128];
                snprintf(buf, size, "SKU%04d", i);
                snprintf(req, sizeof(req), "{\"sku\":\"%s\",\"days\":365}", buf);
                cJSON *l = h_command(port, PREFIX, "anomalies", req);
                bool none = h_json_number(l, "count") == 0;
                cJSON_Delete(l);
                if (none)
                        return;
        }
        fail_msg("every SKU has an anomaly");
}

/* Bad counts are refused with a reason and change nothing; a redelivered count is a duplicate. */
static void check_bad_and_duplicate_counts(int port, const struct count_line *lines, size_t n,
                                           const char *ts1, const char *ts2)
{
        struct h_collector *acks = h_collector_start(port, PREFIX "/scanner/t1/ack");
        char payload[512], sku[16];
        cJSON *a;

        quiet_sku(port, sku, sizeof(sku));
        snprintf(payload, sizeof(payload),
                 "{\"id\":\"t-good-1\",\"ts\":\"%s\",\"sku\":\"%s\",\"counted\":5}", ts1, sku);
        a = count_and_ack(port, acks, payload);
        assert_string_equal(h_json_string(a, "status"), "accepted");
        assert_true(h_json_number(a, "counted") == 5);
        cJSON_Delete(a);

        /* Each refused with a reason, and nothing moves but the count of refusals. */
        struct health_snap before = snap(port);
        static const char *const bad[] = {
            "{\"id\":\"t-bad-2\",\"ts\":\"%s\",\"sku\":\"%s\",\"counted\":-1}",    /* negative */
            "{\"ts\":\"%s\",\"sku\":\"%s\",\"counted\":3}",                        /* no id */
            "{\"id\":\"t-bad-4\",\"ts\":\"%s\",\"sku\":\"%s\",\"counted\":\"5\"}", /* a string */
            "{\"id\":\"t-bad-5\",\"ts\":\"%s\",\"sku\":7,\"counted\":3}", /* sku a number */
        };
        size_t n_bad = sizeof(bad) / sizeof(bad[0]);
        for (size_t i = 0; i < n_bad; i++) {
                snprintf(payload, sizeof(payload), bad[i], ts2, sku);
                expect_rejected(port, acks, payload);
        }
        struct health_snap after = snap(port);
        assert_true(after.accepted_count == before.accepted_count);
        assert_true(after.tracked == before.tracked);
        assert_true(after.open == before.open);
        assert_true(after.rejected_count == before.rejected_count + (double)n_bad);

        /* The book is what the last good count said. */
        snprintf(payload, sizeof(payload),
                 "{\"id\":\"t-good-2\",\"ts\":\"%s\",\"sku\":\"%s\",\"counted\":6}", ts2, sku);
        a = count_and_ack(port, acks, payload);
        assert_string_equal(h_json_string(a, "status"), "accepted");
        if (h_json_number(a, "book_before") != 5)
                fail_msg("book_before %g after rejected counts, expected 5",
                         h_json_number(a, "book_before"));
        assert_true(h_json_number(a, "adjustment") == 1);
        cJSON_Delete(a);

        /* A redelivered associate count: acknowledged as a duplicate, no second outcome. */
        if (n > 0) {
                struct h_collector *outcomes = h_collector_start(port, PREFIX "/outcome");
                cJSON *e1 = h_command(port, PREFIX, "effectiveness", "{\"days\":365}");
                a = count_and_ack(port, acks, lines[n - 1].payload);
                assert_true(cJSON_IsTrue(h_json_item(a, "duplicate")));
                assert_string_equal(h_json_string(a, "status"), "accepted");
                cJSON_Delete(a);
                usleep(1000 * 1000);
                cJSON *e2 = h_command(port, PREFIX, "effectiveness", "{\"days\":365}");
                assert_true(h_json_number(e1, "with_outcome") == h_json_number(e2, "with_outcome"));
                assert_true(h_json_number(e1, "precision.overall.true_positive") ==
                            h_json_number(e2, "precision.overall.true_positive"));
                assert_true(h_json_number(e1, "precision.overall.false_positive") ==
                            h_json_number(e2, "precision.overall.false_positive"));
                assert_int_equal(h_collector_count(outcomes), 0);
                cJSON_Delete(e1);
                cJSON_Delete(e2);
                h_collector_stop(outcomes);
        }

        /* A count of a SKU the store does not carry is refused too, and adds no SKU. */
        before = snap(port);
        snprintf(payload, sizeof(payload),
                 "{\"id\":\"t-bad-1\",\"ts\":\"%s\",\"sku\":\"NOSUCHSKU\",\"counted\":3}", ts2);
        expect_rejected(port, acks, payload);
        after = snap(port);
        if (after.tracked != before.tracked)
                fail_msg("SKUs tracked %g -> %g: a refused count added a SKU", before.tracked,
                         after.tracked);
        assert_true(after.accepted_count == before.accepted_count);
        assert_true(after.rejected_count == before.rejected_count + 1);
        h_collector_stop(acks);
}

/* The retained P/summary a newcomer at HQ gets agrees with the daemon's own answers. */
static void check_summary(int port)
{
        /* An outcome or a detection run makes the next loop pass publish; wait for one. */
        cJSON *det = h_command(port, PREFIX, "detect", "{}");
        cJSON_Delete(det);
        struct h_collector *sum = NULL;
        cJSON *s = NULL;
        for (int tries = 0; tries < 50 && !s; tries++) {
                sum = h_collector_start(port, PREFIX "/summary");
                if (h_collector_wait(sum, 1, 400) >= 1) {
                        char *msg = h_collector_get(sum, h_collector_count(sum) - 1);
                        s = cJSON_Parse(msg);
                        free(msg);
                }
                h_collector_stop(sum);
        }
        assert_non_null(s);
        cJSON *open =
            h_command(port, PREFIX, "anomalies", "{\"status\":\"open\",\"limit\":100000}");
        cJSON *eff = h_command(port, PREFIX, "effectiveness", "{\"days\":30}");
        double open_n = h_json_number(open, "count");
        double summed = h_json_number(s, "open.critical") + h_json_number(s, "open.warning") +
                        h_json_number(s, "open.info");
        double by_type = h_json_number(s, "by_type.ghost_stock") +
                         h_json_number(s, "by_type.ml_detected") +
                         h_json_number(s, "by_type.shelf_out") +
                         h_json_number(s, "by_type.inventory_discrepancy");
        print_message("summary: open %.0f (anomalies says %.0f), precision %.4f\n", summed, open_n,
                      h_json_number(s, "precision"));
        assert_true(summed == open_n);
        assert_true(by_type == open_n);
        assert_true(fabs(h_json_number(s, "precision") -
                         h_json_number(eff, "precision.overall.precision")) < 1e-9);
        assert_true(h_json_string(s, "last_detect.ghost_stock.as_of")[0] != '\0');
        assert_true(h_json_number(s, "ghost_value") >= 0);
        /* stats counts the same anomalies effectiveness does. */
        cJSON *st = h_command(port, PREFIX, "stats", "{\"days\":30}");
        assert_true(h_json_number(st, "total") == h_json_number(eff, "alerts"));
        assert_true(h_json_number(st, "by_status.resolved") +
                        h_json_number(st, "by_status.dismissed") >=
                    h_json_number(eff, "with_outcome"));
        cJSON_Delete(st);
        cJSON_Delete(open);
        cJSON_Delete(eff);
        cJSON_Delete(s);
}

static void test_counts_close_the_loop(void **state)
{
        struct h_fixture *f = *state; /* the local broker is HQ's too */
        char report_path[512], counts_path[512], ts1[40], ts2[40];
        const char *dir = f->dir;
        /* The loop's mechanics need counts of both kinds: the per-SKU poisson test, whose
         * imprecision in a store this small makes sure some counts find the book right. */
        h_fixture_start(f, LIMITS "};\ndetectors: { ghost: { mode = \"poisson\"; }; };\n");
        struct h_collector *anomalies = h_fixture_collect(f, PREFIX "/anomaly");
        struct h_collector *outcomes = h_fixture_collect(f, PREFIX "/outcome");
        snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
        snprintf(counts_path, sizeof(counts_path), "%s/counts.jsonl", dir);

        assert_int_equal(h_storesim(f->b.port, dir, "sim.log", "--profile", "basic", "--days", "35",
                                    "--warmup", "14", "--skus", "150", "--seed", "11",
                                    "--ghost-rate", "0.006", "--associates", "4", "--quiet",
                                    "--report", report_path, "--counts", counts_path, NULL),
                         0);

        size_t n;
        struct count_line *lines = read_counts(counts_path, &n);
        unsigned tp = 0, fp = 0;
        double value = 0;
        for (size_t i = 0; i < n; i++) {
                tp += lines[i].ghost;
                fp += !lines[i].ghost;
                value += lines[i].value;
        }
        print_message("%zu counts: %u true positives (value %.2f), %u false positives\n", n, tp,
                      value, fp);
        assert_true(tp > 0);
        assert_true(fp > 0);

        char *report = h_read_file(report_path);
        cJSON *r = cJSON_Parse(report);
        free(report);
        assert_non_null(r);
        assert_true(h_json_number(r, "associates.counts_sent") == (double)n);
        assert_true(h_json_number(r, "associates.daemon.agree_with_truth") == (double)n);
        assert_true(h_json_number(r, "associates.daemon.no_outcome") == 0);
        snprintf(ts1, sizeof(ts1), "%sT23:00:00Z", h_json_string(r, "last_as_of"));
        snprintf(ts2, sizeof(ts2), "%sT23:30:00Z", h_json_string(r, "last_as_of"));
        cJSON_Delete(r);

        /* effectiveness: the counts' truth, exactly. */
        cJSON *e = h_command(f->b.port, PREFIX, "effectiveness", "{\"days\":365}");
        char *text = cJSON_PrintUnformatted(e);
        print_message("effectiveness: %s\n", text);
        free(text);
        assert_true(h_json_number(e, "precision.overall.true_positive") == tp);
        assert_true(h_json_number(e, "precision.overall.false_positive") == fp);
        assert_true(h_json_number(e, "precision.by_type.ghost_stock.true_positive") == tp);
        assert_true(h_json_number(e, "precision.by_type.ghost_stock.false_positive") == fp);
        assert_true(fabs(h_json_number(e, "precision.overall.precision") - (double)tp / (tp + fp)) <
                    1e-9);
        assert_true(fabs(h_json_number(e, "false_positive_rate") - (double)fp / (tp + fp)) < 1e-9);
        assert_true(h_json_number(e, "with_outcome") == (double)n);
        cJSON_Delete(e);

        /* roi: the value the ghosts' shortfalls were worth. */
        cJSON *roi = h_command(f->b.port, PREFIX, "roi", "{\"days\":365}");
        text = cJSON_PrintUnformatted(roi);
        print_message("roi: %s\n", text);
        free(text);
        double got = h_json_number(roi, "ghost_stock_recovered_value");
        if (fabs(got - value) > 1e-6 * fmax(1.0, value))
                fail_msg("ghost_stock_recovered_value %.6f, truth %.6f", got, value);
        assert_true(h_json_number(roi, "true_positive_outcomes") == tp);
        cJSON_Delete(roi);

        double prevented = check_outcomes_at_hq(outcomes, anomalies, lines, n);
        roi = h_command(f->b.port, PREFIX, "roi", "{\"days\":365}");
        got = h_json_number(roi, "prevented_stockout_value");
        if (fabs(got - prevented) > 1e-6 * fmax(1.0, prevented))
                fail_msg("prevented_stockout_value %.6f, the outcomes at HQ add to %.6f", got,
                         prevented);
        assert_true(fabs(h_json_number(roi, "total") - got -
                         h_json_number(roi, "ghost_stock_recovered_value")) < 1e-6);
        cJSON_Delete(roi);
        check_summary(f->b.port);
        check_bad_and_duplicate_counts(f->b.port, lines, n, ts1, ts2);

        free(lines);
        h_fixture_finish(f);
}

/* What one 10-week run of the store says about its ghost_stock alerts. */
struct tuning_run {
        double early_precision;  /* weeks 3-4: the first two weeks ghosts happen */
        double late_precision;   /* weeks 8-10 */
        double recall;           /* ghosts flagged / ghosts the daemon could see */
        double counts_precision; /* the associates' counts that found a ghost */
};

static double weeks_precision(cJSON *weeks, int from, int to)
{
        double tp = 0, fp = 0;
        for (int w = from; w <= to; w++) {
                cJSON *o = cJSON_GetArrayItem(weeks, w);
                assert_non_null(o);
                tp += h_json_number(o, "true_positives");
                fp += h_json_number(o, "false_positives");
        }
        return tp + fp > 0 ? tp / (tp + fp) : 0;
}

static struct tuning_run run_store(struct h_fixture *f, bool tuning)
{
        assert_int_equal(f->n_collectors, 0); /* the reset below would drop them unstopped */
        *f = (struct h_fixture){0};
        char report_path[512];
        const char *dir = f->dir;
        struct tuning_run t;
        /* 70 days: keep every simulated POS day inside the daemon's history window. The
         * per-SKU poisson test: a detector whose precision depends on the store, which is
         * what the learnt thresholds correct (bayes mode has a budget of its own). A fixed
         * calendar: storesim's default start is today - days - 1, and which ghosts fall in
         * which week (three weeks of ten or so counts each) moved the precisions compared
         * below by more than the thresholds' gain from one day to the next. */
#define POISSON "detectors: { ghost: { mode = \"poisson\"; }; };\n"
        h_fixture_start(f, tuning ? LIMITS "history_days = 90; };\n" POISSON
                                  : LIMITS
                               "history_days = 90; };\ntuning: { enabled = false; };\n" POISSON);
        snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
        assert_int_equal(h_storesim(f->b.port, dir, "sim.log", "--profile", "basic", "--days", "70",
                                    "--start", "2026-09-27", "--warmup", "14", "--skus", "300",
                                    "--seed", "23", "--ml-rate", "0", "--associates", "8",
                                    "--quiet", "--report", report_path, NULL),
                         0);
        char *text = h_read_file(report_path);
        cJSON *r = cJSON_Parse(text), *weeks = h_json_item(r, "types.ghost_stock.weeks");
        free(text);
        assert_non_null(r);
        assert_int_equal(cJSON_GetArraySize(weeks), 10);
        t.early_precision = weeks_precision(weeks, 2, 3);
        t.late_precision = weeks_precision(weeks, 7, 9);
        t.recall = h_json_number(r, "types.ghost_stock.recall");
        t.counts_precision = h_json_number(r, "associates.truth.precision");
        for (int w = 0; w < 10; w++) {
                cJSON *o = cJSON_GetArrayItem(weeks, w);
                print_message("  tuning %s week %d: tp %.0f fp %.0f ghosts %.0f found %.0f\n",
                              tuning ? "on" : "off", w + 1, h_json_number(o, "true_positives"),
                              h_json_number(o, "false_positives"), h_json_number(o, "events"),
                              h_json_number(o, "events_detected"));
        }
        cJSON *h = h_health(f->b.port, PREFIX);
        char *tuned = cJSON_PrintUnformatted(h_json_item(h, "tuning"));
        print_message("  tuning %s: health.tuning %s\n", tuning ? "on" : "off", tuned);
        free(tuned);
        cJSON_Delete(h);
        cJSON_Delete(r);
        h_fixture_finish(f);
        return t;
}

/*
 * The same store twice, threshold learning on and off: 10 weeks (2 of warm-up, then 8 with
 * ghosts), 300 SKUs, associates counting the top 8 recommendations each night. Precision of the
 * ghost_stock alerts by ground truth, weeks 3-4 (the first with ghosts) against weeks 8-10.
 */
static void test_learnt_thresholds_raise_precision(void **state)
{
        struct tuning_run on = run_store(*state, true), off = run_store(*state, false);
        print_message("tuning on:  precision weeks 3-4 %.3f, weeks 8-10 %.3f, recall %.3f, counts "
                      "precision %.3f\n",
                      on.early_precision, on.late_precision, on.recall, on.counts_precision);
        print_message("tuning off: precision weeks 3-4 %.3f, weeks 8-10 %.3f, recall %.3f, counts "
                      "precision %.3f\n",
                      off.early_precision, off.late_precision, off.recall, off.counts_precision);
        /* Precision rises as outcomes come in ... */
        assert_true(on.late_precision > on.early_precision);
        /* ... and not only because the detector's history grows: the untuned store gains less. */
        assert_true(on.late_precision > off.late_precision);
        /* The learnt thresholds cost some recall, not most of it. */
        assert_true(on.recall >= 0.6 * off.recall);
}

/* clang-format off */
SW_TEST_MAIN_FILTERED(
        cmocka_unit_test_setup_teardown(test_counts_close_the_loop, h_fixture_setup,
                                        h_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_learnt_thresholds_raise_precision, h_fixture_setup,
                                        h_fixture_teardown))
/* clang-format on */
