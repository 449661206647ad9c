/* test_storesim_realism.c: storesim's store against the real daemon: the basic profile plays the
 * store of the simulator before the realistic one, and the realistic store's calendar, outages
 * and redelivered POS are what its ground truth says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

/* FNV-1a 64 of the traffic file of `--profile basic --seed 5 --skus 60 --days 20 --warmup 10
 * --start 2026-11-01 --shelf-fraction 0.2`, as the simulator before the realistic profile
 * (commit 6494a51) published it, captured off the broker; and its length. */
#define BASIC_TRAFFIC_FNV   0x4bc4f6fdd067dc99ULL
#define BASIC_TRAFFIC_BYTES 291425

static uint64_t fnv1a(const char *text)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        return h;
}

static void test_basic_profile_plays_the_old_store(void **state)
{
        struct h_fixture f = {0};
        char traffic[512];
        (void)state;
        h_fixture_start(&f, NULL);
        snprintf(traffic, sizeof(traffic), "%s/traffic.tsv", f.dir);
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", "--profile", "basic", "--seed", "5",
                                    "--skus", "60", "--days", "20", "--warmup", "10", "--start",
                                    "2026-11-01", "--shelf-fraction", "0.2", "--quiet", "--traffic",
                                    traffic, NULL),
                         0);
        char *text = h_read_file(traffic);
        assert_non_null(text);
        assert_int_equal(strlen(text), BASIC_TRAFFIC_BYTES);
        assert_true(fnv1a(text) == BASIC_TRAFFIC_FNV);
        free(text);
        h_fixture_finish(&f);
}

/* One message of the traffic file: its topic suffix after the prefix, and its JSON. */
struct msg {
        char topic[128]; /* after "retail/demo/store1/" */
        cJSON *json;     /* payload */
};

static size_t read_traffic(const char *path, struct msg **ret)
{
        char *text = h_read_file(path), *save = NULL;
        size_t n = 0, cap = 1024;
        struct msg *m = malloc(cap * sizeof(*m));
        assert_non_null(text);
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *tab = strchr(line, '\t');
                assert_non_null(tab);
                *tab = '\0';
                if (n == cap)
                        m = realloc(m, (cap *= 2) * sizeof(*m));
                snprintf(m[n].topic, sizeof(m[n].topic), "%s", line + strlen(PREFIX) + 1);
                m[n].json = cJSON_Parse(tab + 1);
                assert_non_null(m[n].json);
                n++;
        }
        free(text);
        *ret = m;
        return n;
}

/* The store-local date of a message's ts ("" without one). */
static const char *msg_date(const struct msg *m, char buf[11])
{
        const char *ts = cJSON_GetStringValue(cJSON_GetObjectItem(m->json, "ts"));
        snprintf(buf, 11, "%s", ts ? ts : "");
        return buf;
}

/* The category of every SKU, from the day-0 inventory records. */
static const char *category_of(const struct msg *m, size_t n, const char *sku)
{
        for (size_t i = 0; i < n; i++) {
                const cJSON *it;
                if (strcmp(m[i].topic, "inventory") != 0)
                        continue;
                cJSON_ArrayForEach(it, cJSON_GetObjectItem(m[i].json, "items"))
                {
                        const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(it, "category"));
                        if (c && strcmp(h_json_string(it, "sku"), sku) == 0)
                                return c;
                }
        }
        return "";
}

/* No POS, receipt or shelf reading on a closed day; the POS of an outage's scope are lost. */
static void check_outage(const struct msg *m, size_t n, const cJSON *o)
{
        const char *scope = h_json_string(o, "scope"), *start = h_json_string(o, "start");
        const char *end = h_json_string(o, "end");
        char date[11];
        assert_true(strcmp(scope, "store") != 0 || h_json_number(o, "lost_units") > 0);
        for (size_t i = 0; i < n; i++) {
                const char *ts = cJSON_GetStringValue(cJSON_GetObjectItem(m[i].json, "ts"));
                const cJSON *line;
                if (strncmp(m[i].topic, "pos/", 4) != 0 || strncmp(ts, start, 10) != 0)
                        continue;
                if (strcmp(scope, "store") == 0)
                        fail_msg("POS on the store outage day %s", msg_date(&m[i], date));
                if (strcmp(scope, "register") == 0 &&
                    strcmp(m[i].topic + 4, h_json_string(o, "register")) == 0)
                        assert_true(strcmp(ts, start) < 0 || strcmp(ts, end) >= 0);
                if (strcmp(scope, "category") != 0)
                        continue;
                cJSON_ArrayForEach(line, cJSON_GetObjectItem(m[i].json, "lines"))
                {
                        assert_string_not_equal(category_of(m, n, h_json_string(line, "sku")),
                                                h_json_string(o, "category"));
                }
        }
}

/* No store message on Thanksgiving or a closed Sunday; counts POS messages and those sent
 * twice in a row (a redelivery). */
static void check_closed_days(const struct msg *m, size_t n, size_t *ret_pos, size_t *ret_twice)
{
        static const char *const closed[] = {"2026-11-26", "2026-11-08", "2026-11-15", "2026-11-22",
                                             "2026-11-29"};
        char date[11];
        size_t pos = 0, twice = 0;
        for (size_t i = 0; i < n; i++) {
                bool store_msg = strncmp(m[i].topic, "pos/", 4) == 0 ||
                                 strcmp(m[i].topic, "receipt") == 0 ||
                                 strncmp(m[i].topic, "shelf/", 6) == 0;
                msg_date(&m[i], date);
                for (size_t c = 0; store_msg && c < sizeof(closed) / sizeof(closed[0]); c++)
                        if (strcmp(date, closed[c]) == 0)
                                fail_msg("%s on closed day %s", m[i].topic, date);
                if (strncmp(m[i].topic, "pos/", 4) != 0)
                        continue;
                pos++;
                twice += i > 0 && cJSON_Compare(m[i].json, m[i - 1].json, true);
        }
        *ret_pos = pos;
        *ret_twice = twice;
}

/* Every outage of the truth file left its scope out of the traffic; all three scopes occur. */
static void check_outages(const struct msg *m, size_t n, const char *truth)
{
        char *lines = h_read_file(truth), *save = NULL;
        unsigned scopes = 0;
        for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                cJSON *o = cJSON_Parse(l);
                if (strcmp(h_json_string(o, "kind"), "pos_outage") == 0) {
                        check_outage(m, n, o);
                        char scope = h_json_string(o, "scope")[0];
                        scopes |= scope == 's' ? 1u : scope == 'c' ? 2u : 4u;
                }
                cJSON_Delete(o);
        }
        free(lines);
        assert_int_equal(scopes, 7); /* a store, a category and a register outage */
}

static void test_realistic_store_calendar_outages_redelivery(void **state)
{
        struct h_fixture f = {0};
        char traffic[512], truth[512], report[512], store[512];
        (void)state;
        h_tmpdir(f.dir, sizeof(f.dir));
        snprintf(traffic, sizeof(traffic), "%s/traffic.tsv", f.dir);
        snprintf(truth, sizeof(truth), "%s/truth.jsonl", f.dir);
        snprintf(report, sizeof(report), "%s/report.json", f.dir);
        snprintf(store, sizeof(store), "%s/store.conf", f.dir);
#define REALISTIC_ARGS                                                                             \
        "--seed", "9", "--skus", "80", "--days", "28", "--warmup", "10", "--start", "2026-11-08",  \
            "--timezone", "America/Chicago", "--closed-weekday", "sun", "--register-outages", "3", \
            "--pos-redelivery", "0.05", "--shelf-fraction", "0.3"
        char *argv[] = {SW_BUILD_DIR "/storesim", "--print-store-config", REALISTIC_ARGS, NULL};
        assert_int_equal(h_run(store, argv), 0);
        char *store_conf = h_read_file(store);
        assert_non_null(strstr(store_conf, "holidays = [ \"2026-11-26\" ];"));
        assert_non_null(strstr(store_conf, "opening_hours = { sun = \"closed\"; };"));
        h_broker_start(&f.b, 0, NULL);
        h_config(f.conf, sizeof(f.conf), f.b.port, f.dir, store_conf);
        free(store_conf);
        h_fixture_daemon(&f);
        assert_int_equal(h_storesim(f.b.port, f.dir, "sim.log", REALISTIC_ARGS, "--quiet",
                                    "--traffic", traffic, "--truth", truth, "--report", report,
                                    NULL),
                         0);
        struct msg *m;
        size_t n = read_traffic(traffic, &m), pos = 0, twice = 0;
        check_closed_days(m, n, &pos, &twice);
        check_outages(m, n, truth);
        char *text = h_read_file(report);
        cJSON *r = cJSON_Parse(text);
        assert_true(twice > 0);
        assert_int_equal(h_json_number(r, "store.pos_redelivered"), twice);
        assert_int_equal(h_json_number(r, "store.open_days"), 28 - 4 - 1);
        assert_non_null(h_json_item(r, "types.shelf_out.by_first_severity.critical"));
        assert_non_null(h_json_item(r, "types.ghost_stock.recall_that_matter"));
        assert_non_null(h_json_item(r, "types.ml_detected.by_kind.register_price_error"));
        /* The daemon counted each redelivered POS message once. */
        cJSON *health = h_health(f.b.port, PREFIX);
        assert_int_equal(h_json_number(health, "messages.accepted.pos"), pos - twice);
        assert_int_equal(h_json_number(health, "messages.duplicates.pos"), twice);
        cJSON_Delete(health);
        cJSON_Delete(r);
        free(text);
        for (size_t i = 0; i < n; i++)
                cJSON_Delete(m[i].json);
        free(m);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_basic_profile_plays_the_old_store, h_teardown),
        cmocka_unit_test_teardown(test_realistic_store_calendar_outages_redelivery, h_teardown))
/* clang-format on */
