/* Tests for platform/config: defaults, a full file, every class of error, the shipped example. */
#include <errno.h>
#include <ftw.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "core/civil_time.h"
#include "platform/config.h"
#include "platform/config_schema.h"
#include "tests/support/scratch.h"
#include "tests/support/test_main.h"

static char tmpdir[64];

static const char *path_in_tmp(const char *name)
{
        return sw_test_path(tmpdir, name);
}

static const char *write_file(const char *name, const char *text)
{
        return sw_test_write_file(tmpdir, name, text);
}

static int load_text(const char *text, struct sw_config *cfg, char *err, size_t errsz)
{
        return sw_config_load(write_file("test.conf", text), cfg, err, errsz);
}

/* A file that must not load, where the error must point, and what it must say. */
struct load_error {
        const char *what;    /* what the row tests, to name it in a failure */
        const char *text;    /* the whole file */
        unsigned line;       /* line the error names */
        const char *setting; /* setting the error names */
        const char *reason;  /* text the error must contain */
};

/* Loading e->text must fail with exactly "test.conf-path:line: setting: " and contain reason. */
static void assert_load_error_row(const char *row, const struct load_error *e)
{
        struct sw_config cfg, before;
        char err[512], prefix[512];

        memset(&cfg, 0xab, sizeof(cfg));
        memcpy(&before, &cfg, sizeof(cfg));
        assert_int_equal(load_text(e->text, &cfg, err, sizeof(err)), -EINVAL);
        snprintf(prefix, sizeof(prefix), "%s:%u: %s: ", path_in_tmp("test.conf"), e->line,
                 e->setting);
        if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, e->reason))
                fail_msg("%s: got \"%s\", want prefix \"%s\" and \"%s\"", row, err, prefix,
                         e->reason);
        /* Nothing written on failure. */
        assert_memory_equal(&cfg, &before, sizeof(cfg));
}

/* Loading text must fail with exactly the error "path-of-file:line: message". */
static void assert_load_message(const char *text, const char *file, unsigned line,
                                const char *message)
{
        struct sw_config c;
        char err[512], want[512];

        assert_int_equal(load_text(text, &c, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s:%u: %s", path_in_tmp(file), line, message);
        assert_string_equal(err, want);
}

/* One file outside the table: its text is built at run time or its check needs a file. */
static void assert_load_error(const char *text, unsigned line, const char *setting,
                              const char *reason)
{
        const struct load_error e = {"", text, line, setting, reason};

        assert_load_error_row("load error", &e);
}

/* How a setting's value is read out of struct sw_config. */
enum field_kind {
        FIELD_INT,    /* an unsigned integer, bool or enum of its size */
        FIELD_DOUBLE, /* a double */
        FIELD_STRING, /* a char array */
};

/* The value a setting must have; unchecked where the test does not look at it. */
struct field_value {
        bool checked;  /* compare this value */
        uint64_t i;    /* FIELD_INT */
        double d;      /* FIELD_DOUBLE, within 1e-12 */
        const char *s; /* FIELD_STRING */
};

/* One setting, with its value by default and after the full file of test_full_file. */
struct setting_check {
        const char *name;        /* the member of struct sw_config */
        size_t offset;           /* its offset */
        size_t size;             /* its size */
        enum field_kind kind;    /* how to read it */
        struct field_value def;  /* by default */
        struct field_value full; /* after test_full_file's file */
};

/* clang-format off */
/* A member of struct sw_config: its name, where it is, its size and how to read it. */
#define FIELD(m)                                                                \
        #m, offsetof(struct sw_config, m), sizeof(((struct sw_config *)0)->m), \
        _Generic(((struct sw_config *)0)->m,                                    \
                 char *: FIELD_STRING, double: FIELD_DOUBLE, default: FIELD_INT)
#define I(v)      {true, (v), 0, NULL}
#define D(v)      {true, 0, (v), NULL}
#define S(v)      {true, 0, 0, (v)}
#define UNCHECKED {false, 0, 0, NULL}

static const struct setting_check settings[] = {
    {FIELD(store.root), S("retail"), S("shops")},
    {FIELD(store.tenant), S("demo"), S("acme")},
    {FIELD(store.id), S("store1"), S("s0042")},
    {FIELD(store.timezone), S("UTC"), UNCHECKED}, /* the full file names Europe/Berlin if known */
    {FIELD(store.n_holidays), I(0), I(3)},
    {FIELD(broker.host), S("127.0.0.1"), S("broker.local")},
    {FIELD(broker.port), I(1883), I(8883)},
    {FIELD(broker.client_id), S("shelfwatchd-demo-store1"), S("gw-1")},
    {FIELD(broker.keepalive), I(30), I(60)},
    {FIELD(broker.username), S(""), S("u")},
    {FIELD(broker.password), UNCHECKED, S("p")},
    {FIELD(broker.reconnect_min_ms), I(500), I(1000)},
    {FIELD(broker.reconnect_max_ms), I(30000), I(1000)},
    {FIELD(broker.tls.enabled), I(false), I(true)},
    {FIELD(broker.tls.insecure), UNCHECKED, I(true)},
    {FIELD(hq_enabled), I(false), I(true)},
    {FIELD(hq.host), UNCHECKED, S("hq.example.com")},
    {FIELD(hq.port), UNCHECKED, I(8884)},
    {FIELD(hq.keepalive), UNCHECKED, I(30)},
    {FIELD(hq.client_id), UNCHECKED, S("shelfwatchd-acme-s0042-hq")},
    {FIELD(hq.tls.enabled), UNCHECKED, I(true)},
    {FIELD(hq.tls.cert_file), UNCHECKED, S("")},
    {FIELD(storage.path), S("/var/lib/shelfwatch/shelfwatch.db"), S("/tmp/x.db")},
    {FIELD(storage.commit_interval_ms), I(1000), I(250)},
    {FIELD(storage.cache_kib), I(512), I(4096)},
    {FIELD(limits.max_skus), I(100000), I(200000)},
    {FIELD(limits.history_days), I(56), I(90)},
    {FIELD(limits.max_payload_bytes), I(65536), I(4096)},
    {FIELD(limits.max_items_per_message), I(1000), I(50)},
    {FIELD(limits.dedup_ids), I(65536), I(1024)},
    {FIELD(limits.max_categories), I(4096), I(100)},
    {FIELD(limits.max_shelf_skus), I(20000), UNCHECKED},
    {FIELD(limits.max_fast_skus), I(2048), UNCHECKED},
    {FIELD(limits.max_open_anomalies), I(20000), I(5000)},
    {FIELD(limits.max_future_seconds), I(86400), I(0)},
    {FIELD(limits.outbox_inflight), I(64), I(8)},
    {FIELD(limits.outbox_max_rows), I(1000000), I(5000)},
    {FIELD(detectors.ml.enabled), I(true), UNCHECKED},
    {FIELD(detectors.ml.trees), I(100), UNCHECKED},
    {FIELD(detectors.ml.samples), I(256), UNCHECKED},
    {FIELD(detectors.ml.train_interval_hours), I(6), UNCHECKED},
    {FIELD(detectors.schedule_min), I(4 * 60 + 30), I(23 * 60 + 59)},
    {FIELD(detectors.ghost.enabled), I(true), I(false)},
    {FIELD(detectors.ghost.params.mode), I(SW_GHOST_MODE_BAYES), I(SW_GHOST_MODE_SEED)},
    {FIELD(detectors.ghost.params.onset_rate), D(0.002), UNCHECKED},
    {FIELD(detectors.ghost.params.min_probability), D(0.95), UNCHECKED},
    {FIELD(detectors.ghost.params.false_alerts_per_day), D(1.0), UNCHECKED},
    {FIELD(detectors.ghost.max_new_per_day), I(200), UNCHECKED},
    {FIELD(detectors.shelf_out.min_readings), I(3), UNCHECKED},
    {FIELD(detectors.shelf_out.max_gap_minutes), I(120), UNCHECKED},
    {FIELD(detectors.shelf_out.false_zero_rate), D(0.05), UNCHECKED},
    {FIELD(detectors.context.shortfall_ratio), D(0.5), UNCHECKED},
    {FIELD(detectors.context.min_store_skus), I(20), UNCHECKED},
    {FIELD(detectors.context.min_category_skus), I(10), UNCHECKED},
    {FIELD(detectors.context.pos_silence_minutes), I(60), UNCHECKED},
    {FIELD(detectors.ghost.params.alpha), D(0.01), D(0.05)},
    {FIELD(detectors.ghost.params.prior_rate), D(0.02), D(0.1)},
    {FIELD(detectors.ghost.params.low_ratio), D(0.3), D(1.0)},
    {FIELD(detectors.ghost.params.max_run_days), I(28), I(90)},
    {FIELD(detectors.ghost.params.overdispersion_threshold), D(0.1), D(0.0)},
    {FIELD(detectors.ghost.params.warning_probability), D(0.7), D(0.5)},
    {FIELD(detectors.ghost.params.critical_probability), D(0.999), D(0.5)},
    {FIELD(detectors.ghost.params.seed_lookback_days), I(7), I(10)},
    {FIELD(detectors.ghost.params.seed_min_low_days), I(3), I(10)},
    {FIELD(detectors.ghost.params.forecast.min_history_days), I(14), I(21)},
    {FIELD(detectors.ghost.params.forecast.half_life_days), D(14.0), D(7.0)},
    {FIELD(detectors.ghost.params.forecast.weekday_pseudo_days), D(2.0), D(0.5)},
    {FIELD(detectors.shelf_out.enabled), I(true), I(false)},
    {FIELD(detectors.shelf_out.zero_minutes), I(30), I(10080)},
    {FIELD(detectors.discrepancy.enabled), I(true), I(false)},
    {FIELD(detectors.discrepancy.shelf_above_hours), I(24), I(48)},
    {FIELD(log.level), I(SW_LOG_INFO), I(SW_LOG_DEBUG)},
};
/* clang-format on */

/* An unsigned integer, bool or enum of size bytes (1, 2, 4 or 8) at p. */
static uint64_t field_uint(const void *p, size_t size)
{
        union {
                uint8_t u8;
                uint16_t u16;
                uint32_t u32;
                uint64_t u64;
        } v = {0};

        assert_in_range(size, 1, sizeof(v));
        memcpy(&v, p, size);
        return size == 1 ? v.u8 : size == 2 ? v.u16 : size == 4 ? v.u32 : v.u64;
}

/* Every checked setting of c against the defaults (full false) or the full file (full true). */
static void assert_settings(const struct sw_config *c, bool full)
{
        for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
                const struct setting_check *s = &settings[i];
                const struct field_value *want = full ? &s->full : &s->def;
                const char *at = (const char *)c + s->offset;
                const char *which = full ? "full file" : "defaults";
                double d;

                if (!want->checked)
                        continue;
                switch (s->kind) {
                case FIELD_STRING:
                        if (strcmp(at, want->s) != 0)
                                fail_msg("%s: %s is \"%s\", want \"%s\"", which, s->name, at,
                                         want->s);
                        break;
                case FIELD_DOUBLE:
                        memcpy(&d, at, sizeof(d));
                        if (d - want->d > 1e-12 || want->d - d > 1e-12)
                                fail_msg("%s: %s is %.17g, want %.17g", which, s->name, d, want->d);
                        break;
                case FIELD_INT:
                        if (field_uint(at, s->size) != want->i)
                                fail_msg("%s: %s is %llu, want %llu", which, s->name,
                                         (unsigned long long)field_uint(at, s->size),
                                         (unsigned long long)want->i);
                        break;
                }
        }
}

static void test_defaults(void **state)
{
        struct sw_config c;

        (void)state;
        sw_config_defaults(&c);
        assert_settings(&c, false);
        for (unsigned i = 0; i < 7; i++) {
                assert_false(c.store.opening_hours[i].closed);
                assert_int_equal(c.store.opening_hours[i].open_min, 8 * 60);
                assert_int_equal(c.store.opening_hours[i].close_min, 21 * 60);
        }
        assert_true(c.detectors.ml.contamination == 0.05);
        assert_true(c.detectors.ml.warning_sigma == 2.0 && c.detectors.ml.critical_sigma == 3.0);
}

static void test_empty_file_is_defaults(void **state)
{
        struct sw_config a, b;
        char err[256];

        (void)state;
        sw_config_defaults(&a);
        memset(&b, 0x5a, sizeof(b));
        assert_int_equal(load_text("# nothing\n", &b, err, sizeof(err)), 0);
        assert_string_equal(err, "");
        assert_memory_equal(&a, &b, sizeof(a));
}

static void test_full_file(void **state)
{
        struct sw_config c;
        char err[512], text[4096];
        const char *ca = write_file("ca.pem", "ca\n");
        const char *cert = write_file("cert.pem", "cert\n");
        const char *key = write_file("key.pem", "key\n");
        bool have_berlin = access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == 0;

        (void)state;
        snprintf(
            text, sizeof(text),
            "store = {\n"
            "  root = \"shops\"; tenant = \"acme\"; id = \"s0042\";\n"
            "  timezone = \"%s\";\n"
            "  holidays = [ \"2026-12-25\", \"2026-01-01\", \"2024-02-29\" ];\n"
            "  opening_hours = { mon = \"07:30-20:00\"; sun = \"closed\"; sat = \"00:00-24:00\"; "
            "};\n"
            "};\n"
            "broker = {\n"
            "  host = \"broker.local\"; port = 8883; client_id = \"gw-1\"; keepalive = 60;\n"
            "  username = \"u\"; password = \"p\"; reconnect_min_ms = 1000; reconnect_max_ms = "
            "1000;\n"
            "  tls = { ca_file = \"%s\"; cert_file = \"%s\"; key_file = \"%s\"; insecure = true; "
            "};\n"
            "};\n"
            "hq = { host = \"hq.example.com\"; port = 8884; tls = { ca_file = \"%s\"; }; };\n"
            "storage = { path = \"/tmp/x.db\"; commit_interval_ms = 250; cache_kib = 4096; };\n"
            "limits = { max_skus = 200000L; history_days = 90; max_payload_bytes = 0x1000;\n"
            "  max_items_per_message = 50; dedup_ids = 1024; max_categories = 100;\n"
            "  max_open_anomalies = 5000; max_future_seconds = 0;\n"
            "  outbox_inflight = 8; outbox_max_rows = 5000; };\n"
            "detectors = {\n"
            "  schedule = \"23:59\";\n"
            "  ghost = { enabled = false; mode = \"seed\"; alpha = 0.05; prior_rate = 0.1;\n"
            "    low_ratio = 1; max_run_days = 90; overdispersion_threshold = 0;\n"
            "    warning_probability = 0.5; critical_probability = 0.5;\n"
            "    seed_lookback_days = 10; seed_min_low_days = 10; };\n"
            "  forecast = { min_history_days = 21; half_life_days = 7; weekday_pseudo_days = 0.5; "
            "};\n"
            "  shelf_out = { enabled = false; zero_minutes = 10080; };\n"
            "  discrepancy = { enabled = false; shelf_above_hours = 48; };\n"
            "};\n"
            "log = { level = \"debug\"; };\n",
            have_berlin ? "Europe/Berlin" : "UTC", ca, cert, key, ca);
        assert_int_equal(load_text(text, &c, err, sizeof(err)), 0);

        assert_settings(&c, true);
        assert_string_equal(c.store.timezone, have_berlin ? "Europe/Berlin" : "UTC");
        assert_int_equal(c.store.holidays[0], sw_days_from_civil(2024, 2, 29));
        assert_int_equal(c.store.holidays[1], sw_days_from_civil(2026, 1, 1));
        assert_int_equal(c.store.holidays[2], sw_days_from_civil(2026, 12, 25));
        assert_int_equal(c.store.opening_hours[0].open_min, 7 * 60 + 30);
        assert_int_equal(c.store.opening_hours[0].close_min, 20 * 60);
        assert_int_equal(c.store.opening_hours[1].open_min, 8 * 60); /* default kept */
        assert_int_equal(c.store.opening_hours[5].open_min, 0);
        assert_int_equal(c.store.opening_hours[5].close_min, 24 * 60);
        assert_true(c.store.opening_hours[6].closed);
        assert_string_equal(c.broker.tls.ca_file, ca);
        assert_string_equal(c.broker.tls.cert_file, cert);
        assert_string_equal(c.broker.tls.key_file, key);
}

/* Files that must not load: one row a case, named by what it tests (the test it came from). */
/* clang-format off */
static const struct load_error load_errors[] = {
    {"error_wrong_type", "limits = {\n  max_skus = \"100\";\n};\n", 2, "limits.max_skus", "must be an integer (got a string)"},
    {"error_wrong_type", "limits = {\n  max_skus = 1.5;\n};\n", 2, "limits.max_skus", "must be an integer (got a float"},
    {"error_wrong_type", "detectors = { ghost = {\n enabled = 1; }; };\n", 2, "detectors.ghost.enabled", "must be true or false (got an integer)"},
    {"error_wrong_type", "detectors = { ghost = {\n alpha = \"0.1\"; }; };\n", 2, "detectors.ghost.alpha", "must be a number (got a string)"},
    {"error_wrong_type", "store = {\n\n tenant = 5; };\n", 3, "store.tenant", "must be a string (got an integer)"},
    {"error_wrong_type", "\nlimits = 5;\n", 2, "limits", "must be a group { ... } (got an integer)"},
    {"error_wrong_type", "store = { holidays = \"2026-12-25\"; };\n", 1, "store.holidays", "must be a list of dates"},
    {"error_wrong_type", "store = { holidays = ( \"2026-12-25\",\n 7 ); };\n", 2, "store.holidays[1]", "must be a string (got an integer)"},
    /* libconfig 1.5 would wrap these into range: 4294967297 reads as 1. */
    {"error_out_of_range", "limits = {\n  max_skus = 4294967297;\n};\n", 2, "limits.max_skus", "must be between 1 and 10000000 (got 4294967297)"},
    {"error_out_of_range", "limits = { history_days = 14; max_skus = 2147483649; };\n", 1, "limits.max_skus", "(got 2147483649)"},
    {"error_out_of_range", "limits = { max_skus = 0x100000001; };\n", 1, "limits.max_skus", "(got 4294967297)"},
    {"error_out_of_range", "limits = { max_skus = 99999999999999999999; };\n", 1, "limits.max_skus", "integer too large"},
    {"error_out_of_range", "limits = { max_skus = 99999999999L; };\n", 1, "limits.max_skus", "(got 99999999999)"},
    {"error_out_of_range", "limits = { history_days = -14; };\n", 1, "limits.history_days", "must be between 14 and 366 (got -14)"},
    {"error_out_of_range", "broker = { port = 65536; };\n", 1, "broker.port", "must be between 1 and 65535 (got 65536)"},
    {"error_out_of_range", "detectors = { ghost = { alpha = 0; }; };\n", 1, "detectors.ghost.alpha", "must be greater than 0 and less than 0.5 (got 0)"},
    {"error_out_of_range", "detectors = { ghost = { alpha = 0.5; }; };\n", 1, "detectors.ghost.alpha", "(got 0.5)"},
    {"error_out_of_range", "detectors = { ghost = { low_ratio = 1.01; }; };\n", 1, "detectors.ghost.low_ratio", "must be between 0 and 1 (got 1.01)"},
    {"error_out_of_range", "detectors = { forecast = { half_life_days = 0; }; };\n", 1, "detectors.forecast.half_life_days", "must be greater than 0 and at most 3660 (got 0)"},
    {"error_out_of_range", "detectors = { shelf_out = { zero_minutes = 10081; }; };\n", 1, "detectors.shelf_out.zero_minutes", "(got 10081)"},
    {"error_out_of_range", "store = { tenant = \"\"; };\n", 1, "store.tenant", "must be 1 to 64 characters long (got 0)"},
    {"error_out_of_range", "store = { tenant = \"a/b\"; };\n", 1, "store.tenant", "must be 1 to 64 characters of A-Z a-z 0-9 _ . - (got \"a/b\")"},
    {"error_out_of_range", "store = { id = \"s+1\"; };\n", 1, "store.id", "(got \"s+1\")"},
    {"error_out_of_range", "store = { root = \"#\"; };\n", 1, "store.root", "(got \"#\")"},
    {"error_out_of_range", "store = { id = \"01234567890123456789012345678901234567890123456789012345678901234\"; };\n", 1, "store.id", "must be 1 to 64 characters long (got 65)"},
    {"error_out_of_range", "detectors = { schedule = \"4:30\"; };\n", 1, "detectors.schedule", "must be a local time HH:MM"},
    {"error_out_of_range", "detectors = { schedule = \"24:00\"; };\n", 1, "detectors.schedule", "(got \"24:00\")"},
    {"error_out_of_range", "detectors = { ghost = { onset_rate = 0.5; }; };\n", 1, "detectors.ghost.onset_rate", ""},
    {"error_out_of_range", "detectors = { ghost = { min_probability = 1; }; };\n", 1, "detectors.ghost.min_probability", ""},
    {"error_out_of_range", "detectors = { ghost = { false_alerts_per_day = 0; }; };\n", 1, "detectors.ghost.false_alerts_per_day", ""},
    {"error_out_of_range", "detectors = { ghost = { max_new_per_day = 0; }; };\n", 1, "detectors.ghost.max_new_per_day", ""},
    {"error_out_of_range", "detectors = { context = { shortfall_ratio = 1.0; }; };\n", 1, "detectors.context.shortfall_ratio", ""},
    {"error_out_of_range", "detectors = { shelf_out = { false_zero_rate = 0; }; };\n", 1, "detectors.shelf_out.false_zero_rate", ""},
    {"error_out_of_range", "detectors = { shelf_out = { min_readings = 0; }; };\n", 1, "detectors.shelf_out.min_readings", ""},
    {"error_out_of_range", "detectors = { ghost = { mode = \"bayesian\"; }; };\n", 1, "detectors.ghost.mode", "must be \"bayes\", \"poisson\" or \"seed\""},
    {"error_out_of_range", "log = { level = \"verbose\"; };\n", 1, "log.level", "(got \"verbose\")"},
    {"error_out_of_range", "broker = { host = \"a b\"; };\n", 1, "broker.host", "must not contain spaces"},
    {"error_out_of_range", "broker = { client_id = \"a b\"; };\n", 1, "broker.client_id", "must not contain spaces"},
    {"error_cross_settings", "broker = {\n reconnect_min_ms = 5000;\n reconnect_max_ms = 1000; };\n", 2, "broker.reconnect_min_ms", "must be at most broker.reconnect_max_ms (1000) (got 5000)"},
    {"error_cross_settings", "broker = { reconnect_max_ms = 100; };\n", 1, "broker.reconnect_max_ms", "must be at least broker.reconnect_min_ms (500) (got 100)"},
    /* The file sets only history_days: the default max_run_days (28) no longer fits. */
    {"error_cross_settings", "limits = { history_days = 20; };\n", 1, "limits.history_days", "must be at least detectors.ghost.max_run_days (28) (got 20)"},
    {"error_cross_settings", "detectors = { ghost = {\n max_run_days = 60; }; };\n", 2, "detectors.ghost.max_run_days", "must be at most limits.history_days (56) (got 60)"},
    {"error_cross_settings", "detectors = { ghost = { seed_min_low_days = 8; }; };\n", 1, "detectors.ghost.seed_min_low_days", "must be at most detectors.ghost.seed_lookback_days (7)"},
    {"error_cross_settings", "detectors = { forecast = { min_history_days = 57; }; };\n", 1, "detectors.forecast.min_history_days", "limits.history_days (56)"},
    {"error_cross_settings", "detectors = { ghost = { warning_probability = 0.9991; }; };\n", 1, "detectors.ghost.warning_probability", "must be at most detectors.ghost.critical_probability (0.999)"},
    {"error_cross_settings", "broker = { password = \"x\"; };\n", 1, "broker.password", "requires broker.username"},
    {"error_timezone", "store = {\n timezone = \"Mars/Olympus\"; };\n", 2, "store.timezone", "unknown time zone \"Mars/Olympus\""},
    {"error_timezone", "store = { timezone = \"../../../etc/passwd\"; };\n", 1, "store.timezone", "not an IANA time zone name"},
    {"error_timezone", "store = { timezone = \"/etc/localtime\"; };\n", 1, "store.timezone", "not an IANA time zone name"},
    {"error_timezone", "store = { timezone = \"Europe\"; };\n", 1, "store.timezone", "unknown time zone"},
    {"error_timezone", "store = { timezone = \"Europe/Berlin; rm\"; };\n", 1, "store.timezone", "not an IANA time zone name"},
    {"error_timezone", "store = { timezone = \"Europe/./Berlin\"; };\n", 1, "store.timezone", "not an IANA time zone name"},
    {"error_timezone", "store = { timezone = \"UTC/\"; };\n", 1, "store.timezone", "unknown time zone"},
    /* Where the daemon writes files of its own choosing: absolute paths or "" (off). */
    {"error_relative_paths", "storage = { backup_dir = \"backup\"; };\n", 1, "storage.backup_dir", "must be an absolute path (got \"backup\")"},
    {"error_relative_paths", "metrics = { textfile_path = \"./sw.prom\"; };\n", 1, "metrics.textfile_path", "must be an absolute path"},
    {"error_hours", "store = { opening_hours = {\n mon = \"8-21\"; }; };\n", 2, "store.opening_hours.mon", "must be \"HH:MM-HH:MM\" (24-hour clock) or \"closed\" (got \"8-21\")"},
    {"error_hours", "store = { opening_hours = { fri = \"22:00-02:00\"; }; };\n", 1, "store.opening_hours.fri", "closing after midnight is not supported"},
    {"error_hours", "store = { opening_hours = { fri = \"10:00-10:00\"; }; };\n", 1, "store.opening_hours.fri", "closing time must be after opening time"},
    {"error_hours", "store = { opening_hours = { sat = \"08:60-21:00\"; }; };\n", 1, "store.opening_hours.sat", "(got \"08:60-21:00\")"},
    {"error_hours", "store = { opening_hours = { sat = \"24:00-24:00\"; }; };\n", 1, "store.opening_hours.sat", "or \"closed\""},
    {"error_hours", "store = { opening_hours = { sat = \"Closed\"; }; };\n", 1, "store.opening_hours.sat", "or \"closed\""},
    {"error_hours", "store = { opening_hours = { monday = \"closed\"; }; };\n", 1, "store.opening_hours.monday", "unknown setting"},
    {"error_holidays", "store = {\n holidays = [ \"2026-12-25\",\n \"2026-02-30\" ]; };\n", 3, "store.holidays[1]", "must be a date YYYY-MM-DD (got \"2026-02-30\")"},
    {"error_holidays", "store = { holidays = [ \"2026-1-1\" ]; };\n", 1, "store.holidays[0]", "must be a date YYYY-MM-DD"},
    {"error_holidays", "store = { holidays = [ \"2026-12-25\", \"2026-01-01\", \"2026-12-25\" ]; };\n", 1, "store.holidays[2]", "duplicate date 2026-12-25 (also at index 0)"},
    {"error_unknown_setting", "store = { tenant = \"a\"; };\n\nfoo = 1;\n", 3, "foo", "unknown setting"},
    {"error_unknown_setting", "limits = {\n  history_days = 30;\n  max_sku = 5;\n};\n", 3, "limits.max_sku", "unknown setting (did you mean limits.max_skus?)"},
    {"error_unknown_setting", "Store = { };\n", 1, "Store", "unknown setting (did you mean store?)"},
    {"error_unknown_setting", "detectors = { ghost = { tls = { }; }; };\n", 1, "detectors.ghost.tls", "unknown setting"},
    {"error_unknown_setting", "broker = { tls = { ca_file = \"\"; cafile = \"x\"; }; };\n", 1, "broker.tls.cafile", "did you mean broker.tls.ca_file?"},
    {"hq", "\nhq = {\n port = 8883;\n};\n", 2, "hq.host", "required when the hq section is given"},
    {"hq", "hq = { host = \"h\";\n reconnect_min_ms = 40000; };\n", 2, "hq.reconnect_min_ms", "must be at most hq.reconnect_max_ms (30000)"},
    {"hq", "hq = { host = \"h\"; hots = \"x\"; };\n", 1, "hq.hots", "did you mean hq.host?"},
    {"devices_and_trust", "devices = { scanners = \"hh-1\"; };\n", 1, "devices.scanners", "must be a list of device names"},
    {"devices_and_trust", "devices = { scanners = [ \"a/b\" ]; };\n", 1, "devices.scanners[0]", "without spaces, '/', '+' or '#'"},
    {"devices_and_trust", "devices = { scanners = [ \"\" ]; };\n", 1, "devices.scanners[0]", "must be 1 to 64"},
    {"devices_and_trust", "devices = { scanners = [ \"x\", \"y\", \"x\" ]; };\n", 1, "devices.scanners[2]", "duplicate name x (also at index 0)"},
    {"devices_and_trust", "tuning = { max_daily_factor = 0.5; };\n", 1, "tuning.max_daily_factor", ""},
    {"devices_and_trust", "tuning = { weight_scanner = 1.5; };\n", 1, "tuning.weight_scanner", ""},
};
/* clang-format on */

static void test_load_errors(void **state)
{
        char row[64];

        (void)state;
        for (size_t i = 0; i < sizeof(load_errors) / sizeof(load_errors[0]); i++) {
                snprintf(row, sizeof(row), "load_errors[%zu] (%s)", i, load_errors[i].what);
                assert_load_error_row(row, &load_errors[i]);
        }
}

static void test_error_out_of_range(void **state)
{
        (void)state;
        /* The exact message the issue asks for. */
        assert_load_message("# a comment\n\nlimits = {\n        max_skus = 0;\n};\n", "test.conf",
                            4, "limits.max_skus: must be between 1 and 10000000 (got 0)");
}

/* Zone files that are not TZif (checked where the system has them), and an empty name. */
static void test_error_timezone(void **state)
{
        (void)state;
        if (access("/usr/share/zoneinfo/leapseconds", R_OK) == 0)
                assert_load_error("store = { timezone = \"leapseconds\"; };\n", 1, "store.timezone",
                                  "is not a TZif file");
        if (access("/usr/share/zoneinfo/zone.tab", R_OK) == 0)
                assert_load_error("store = { timezone = \"zone.tab\"; };\n", 1, "store.timezone",
                                  "is not a TZif file");
        assert_load_error("store = { timezone = \"\"; };\n", 1, "store.timezone",
                          "must be 1 to 127 characters long (got 0)");
}

static void test_error_holidays(void **state)
{
        char *text;
        size_t len = 0;
        FILE *f;

        (void)state;
        /* 367 dates: one too many. */
        f = open_memstream(&text, &len);
        assert_non_null(f);
        fputs("store = {\n holidays = [", f);
        for (int i = 0; i < 367; i++) {
                char date[16];
                assert_int_equal(
                    sw_date_format(sw_days_from_civil(2026, 1, 1) + i, date, sizeof(date)), 10);
                fprintf(f, "%s\"%s\"", i ? ", " : " ", date);
        }
        fputs(" ]; };\n", f);
        assert_int_equal(fclose(f), 0);
        assert_load_error(text, 2, "store.holidays", "must have at most 366 dates (got 367)");
        free(text);
}

static void test_error_syntax(void **state)
{
        (void)state;
        /* libconfig's ';' is optional, a missing value is not. */
        assert_load_message("store = {\n  tenant = \"a\"\n  id = ;\n};\n", "test.conf", 3,
                            "syntax error");
        assert_load_message("limits = { max_skus = 5; };\nlimits = { };\n", "test.conf", 2,
                            "duplicate setting name");
}

static void test_error_unreadable(void **state)
{
        struct sw_config c;
        char err[512];

        (void)state;
        memset(&c, 0, sizeof(c));
        assert_int_equal(sw_config_load(path_in_tmp("missing.conf"), &c, err, sizeof(err)),
                         -ENOENT);
        assert_non_null(strstr(err, "missing.conf: cannot open: No such file or directory"));
        assert_int_equal(sw_config_load(tmpdir, &c, err, sizeof(err)), -EISDIR);
        assert_non_null(strstr(err, tmpdir));
        /* No buffer at all is fine. */
        assert_int_equal(sw_config_load(path_in_tmp("missing.conf"), &c, NULL, 0), -ENOENT);
        assert_int_equal(load_text("limits = { max_skus = 0; };\n", &c, NULL, 0), -EINVAL);
        assert_int_equal(load_text("limits = { max_skus = 0; };\n", &c, err, 8), -EINVAL);
        assert_int_equal(strlen(err), 7);
        assert_int_equal(sw_config_load(NULL, &c, err, sizeof(err)), -EINVAL);
}

static void test_include_names_included_file(void **state)
{
        struct sw_config c;
        char err[512];

        (void)state;
        write_file("limits.inc", "# limits\nlimits = {\n  max_skus = 0;\n};\n");
        assert_load_message("store = { tenant = \"acme\"; };\n@include \"limits.inc\"\n",
                            "limits.inc", 3,
                            "limits.max_skus: must be between 1 and 10000000 (got 0)");

        /* The 32-bit wrap-around check finds the included file too. */
        write_file("limits.inc", "limits = {\n max_skus = 4294967373; };\n");
        assert_int_equal(load_text("\n@include \"limits.inc\"\n", &c, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(
            err, "limits.inc:2: limits.max_skus: must be between 1 and 10000000 (got 4294967373)"));

        write_file("limits.inc", "limits = { max_skus = 77; };\n");
        assert_int_equal(load_text("@include \"limits.inc\"\n", &c, err, sizeof(err)), 0);
        assert_int_equal(c.limits.max_skus, 77);

        /* A syntax error inside the included file names it. */
        write_file("limits.inc", "\n\nlimits = { max_skus = ; };\n");
        assert_load_message("@include \"limits.inc\"\n", "limits.inc", 3, "syntax error");
}

static void test_hq(void **state)
{
        struct sw_config c;
        char err[512];

        (void)state;
        assert_int_equal(load_text("broker = { host = \"10.0.0.1\"; };\n", &c, err, sizeof(err)),
                         0);
        assert_false(c.hq_enabled);

        assert_int_equal(load_text("store = { tenant = \"t\"; id = \"s\"; };\n"
                                   "hq = { host = \"hq.example.com\"; username = \"gw\"; };\n",
                                   &c, err, sizeof(err)),
                         0);
        assert_true(c.hq_enabled);
        assert_string_equal(c.hq.host, "hq.example.com");
        assert_int_equal(c.hq.port, 1883);
        assert_string_equal(c.hq.username, "gw");
        assert_string_equal(c.hq.client_id, "shelfwatchd-t-s-hq");
        assert_string_equal(c.broker.client_id, "shelfwatchd-t-s");
        assert_false(c.hq.tls.enabled);
}

static void test_client_id(void **state)
{
        struct sw_config c;
        char err[512];

        (void)state;
        assert_int_equal(
            load_text("store = { tenant = \"acme\"; id = \"s0042\"; };\n", &c, err, sizeof(err)),
            0);
        assert_string_equal(c.broker.client_id, "shelfwatchd-acme-s0042");
        assert_int_equal(load_text("store = { tenant = \"acme\"; id = \"s0042\"; };\n"
                                   "broker = { client_id = \"\"; };\n",
                                   &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.broker.client_id, "shelfwatchd-acme-s0042");
        assert_int_equal(load_text("broker = { client_id = \"custom\"; };\n"
                                   "hq = { host = \"h\"; client_id = \"up\"; };\n",
                                   &c, err, sizeof(err)),
                         0);
        assert_string_equal(c.broker.client_id, "custom");
        assert_string_equal(c.hq.client_id, "up");
}

static void test_tls(void **state)
{
        char text[1024];
        const char *ca = write_file("ca.pem", "ca\n");
        const char *cert = write_file("cert.pem", "cert\n");
        const char *key = write_file("key.pem", "key\n");

        (void)state;
        snprintf(text, sizeof(text),
                 "broker = {\n tls = {\n  ca_file = \"%s\";\n  cert_file = \"%s\";\n };\n};\n", ca,
                 cert);
        assert_load_error(text, 4, "broker.tls.cert_file",
                          "requires broker.tls.key_file (give both or neither)");
        snprintf(text, sizeof(text),
                 "hq = { host = \"h\"; tls = { ca_file = \"%s\";\n key_file = \"%s\"; }; };\n", ca,
                 key);
        assert_load_error(text, 2, "hq.tls.key_file", "requires hq.tls.cert_file");
        assert_load_error("broker = {\n tls = { insecure = true; }; };\n", 2, "broker.tls.ca_file",
                          "required when broker.tls is given");
        snprintf(text, sizeof(text), "broker = { tls = { ca_file = \"%s/nope.pem\"; }; };\n",
                 tmpdir);
        assert_load_error(text, 1, "broker.tls.ca_file", "cannot read");
        snprintf(text, sizeof(text), "broker = { tls = { ca_file = \"%s\"; }; };\n", tmpdir);
        assert_load_error(text, 1, "broker.tls.ca_file", "is not a regular file");
        assert_load_error("broker = { tls = { insecure = \"yes\"; }; };\n", 1,
                          "broker.tls.insecure", "must be true or false (got a string)");
}

/* The scanners allowed to count, and the trust settings of the tuning. */
static void test_devices_and_trust(void **state)
{
        struct sw_config cfg;
        char err[512];
        (void)state;
        assert_int_equal(load_text("devices = { scanners = [ \"hh-1\", \"hh-2\" ]; };\n"
                                   "tuning = { max_daily_factor = 2; weight_command = 0; };\n",
                                   &cfg, err, sizeof(err)),
                         0);
        assert_int_equal(cfg.devices.n_scanners, 2);
        assert_string_equal(cfg.devices.scanners[1], "hh-2");
        assert_true(cfg.tuning.max_daily_factor == 2.0);
        assert_true(cfg.tuning.weight_command == 0.0);
        assert_true(sw_config_scanner_allowed(&cfg, "hh-1", 4));
        assert_false(sw_config_scanner_allowed(&cfg, "hh-3", 4));
        assert_false(sw_config_scanner_allowed(&cfg, "hh-", 3));
        sw_config_defaults(&cfg);
        assert_int_equal(cfg.devices.n_scanners, 0);
        assert_true(sw_config_scanner_allowed(&cfg, "anything", 8)); /* empty: every scanner */
}

/* The source tree, from this file's path: strip "tests/platform/test_config.c". */
static void source_path(const char *rel, char *buf, size_t size)
{
        const char *suffix = "tests/platform/test_config.c";
        size_t n = strlen(__FILE__), s = strlen(suffix);

        assert_true(n >= s && strcmp(__FILE__ + n - s, suffix) == 0);
        snprintf(buf, size, "%.*s%s", (int)(n - s), __FILE__, rel);
}

static void test_shipped_example(void **state)
{
        struct sw_config defaults, c;
        char path[1024], err[512];
        config_t cfg;

        (void)state;
        source_path("systemd/shelfwatch.conf", path, sizeof(path));
        memset(&c, 0, sizeof(c));
        if (sw_config_load(path, &c, err, sizeof(err)) != 0)
                fail_msg("%s", err);
        /* Every setting in it is at its default. */
        sw_config_defaults(&defaults);
        assert_memory_equal(&c, &defaults, sizeof(c));

        /* And it shows every setting of the schema (the optional groups hq and tls are
         * commented out). */
        config_init(&cfg);
        assert_true(config_read_file(&cfg, path));
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                if (s->kind == SW_CONFIG_GROUP || strncmp(s->name, "hq.", 3) == 0 ||
                    strstr(s->name, ".tls."))
                        continue;
                if (!config_lookup(&cfg, s->name))
                        fail_msg("%s does not show %s", path, s->name);
        }
        config_destroy(&cfg);
}

static int setup(void **state)
{
        (void)state;
        return sw_test_mkdtemp(tmpdir, sizeof(tmpdir), "sw-test-config");
}

static int teardown(void **state)
{
        (void)state;
        return sw_test_rm_rf(tmpdir);
}

/* clang-format off */
SW_TEST_MAIN_GROUP(setup, teardown,
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_file_is_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_error_out_of_range),
        cmocka_unit_test(test_error_timezone),
        cmocka_unit_test(test_error_holidays),
        cmocka_unit_test(test_devices_and_trust),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_unreadable),
        cmocka_unit_test(test_include_names_included_file),
        cmocka_unit_test(test_hq),
        cmocka_unit_test(test_client_id),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_shipped_example))
/* clang-format on */
