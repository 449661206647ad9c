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

/* Loading text must fail with exactly "test.conf-path:line: setting: " and contain reason. */
static void assert_load_error(const char *text, unsigned line, const char *setting,
                              const char *reason)
{
        struct sw_config cfg, before;
        char err[512], prefix[512];

        memset(&cfg, 0xab, sizeof(cfg));
        memcpy(&before, &cfg, sizeof(cfg));
        assert_int_equal(load_text(text, &cfg, err, sizeof(err)), -EINVAL);
        snprintf(prefix, sizeof(prefix), "%s:%u: %s: ", path_in_tmp("test.conf"), line, setting);
        if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, reason))
                fail_msg("got \"%s\", want prefix \"%s\" and \"%s\"", err, prefix, reason);
        /* Nothing written on failure. */
        assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_defaults(void **state)
{
        struct sw_config c;

        (void)state;
        sw_config_defaults(&c);
        assert_string_equal(c.store.root, "retail");
        assert_string_equal(c.store.tenant, "demo");
        assert_string_equal(c.store.id, "store1");
        assert_string_equal(c.store.timezone, "UTC");
        assert_int_equal(c.store.n_holidays, 0);
        for (unsigned i = 0; i < 7; i++) {
                assert_false(c.store.opening_hours[i].closed);
                assert_int_equal(c.store.opening_hours[i].open_min, 8 * 60);
                assert_int_equal(c.store.opening_hours[i].close_min, 21 * 60);
        }
        assert_string_equal(c.broker.host, "127.0.0.1");
        assert_int_equal(c.broker.port, 1883);
        assert_string_equal(c.broker.client_id, "shelfwatchd-demo-store1");
        assert_int_equal(c.broker.keepalive, 30);
        assert_string_equal(c.broker.username, "");
        assert_int_equal(c.broker.reconnect_min_ms, 500);
        assert_int_equal(c.broker.reconnect_max_ms, 30000);
        assert_false(c.broker.tls.enabled);
        assert_false(c.hq_enabled);
        assert_string_equal(c.storage.path, "/var/lib/shelfwatch/shelfwatch.db");
        assert_int_equal(c.storage.commit_interval_ms, 1000);
        assert_int_equal(c.storage.cache_kib, 512);
        assert_int_equal(c.limits.max_skus, 100000);
        assert_int_equal(c.limits.history_days, 56);
        assert_int_equal(c.limits.max_payload_bytes, 65536);
        assert_int_equal(c.limits.max_items_per_message, 1000);
        assert_int_equal(c.limits.dedup_ids, 65536);
        assert_int_equal(c.limits.max_categories, 4096);
        assert_int_equal(c.limits.max_shelf_skus, 20000);
        assert_int_equal(c.limits.max_fast_skus, 2048);
        assert_true(c.detectors.ml.enabled);
        assert_int_equal(c.detectors.ml.trees, 100);
        assert_int_equal(c.detectors.ml.samples, 256);
        assert_true(c.detectors.ml.contamination == 0.05);
        assert_int_equal(c.detectors.ml.train_interval_hours, 6);
        assert_true(c.detectors.ml.warning_sigma == 2.0 && c.detectors.ml.critical_sigma == 3.0);
        assert_int_equal(c.limits.max_open_anomalies, 20000);
        assert_int_equal(c.limits.max_future_seconds, 86400);
        assert_int_equal(c.limits.outbox_inflight, 64);
        assert_int_equal(c.limits.outbox_max_rows, 1000000);
        assert_int_equal(c.detectors.schedule_min, 4 * 60 + 30);
        assert_true(c.detectors.ghost.enabled);
        assert_int_equal(c.detectors.ghost.params.mode, SW_GHOST_MODE_BAYES);
        assert_float_equal(c.detectors.ghost.params.onset_rate, 0.002, 1e-12);
        assert_float_equal(c.detectors.ghost.params.min_probability, 0.95, 1e-12);
        assert_float_equal(c.detectors.ghost.params.false_alerts_per_day, 1.0, 1e-12);
        assert_int_equal(c.detectors.ghost.max_new_per_day, 200);
        assert_int_equal(c.detectors.shelf_out.min_readings, 3);
        assert_int_equal(c.detectors.shelf_out.max_gap_minutes, 120);
        assert_float_equal(c.detectors.shelf_out.false_zero_rate, 0.05, 1e-12);
        assert_float_equal(c.detectors.context.shortfall_ratio, 0.5, 1e-12);
        assert_int_equal(c.detectors.context.min_store_skus, 20);
        assert_int_equal(c.detectors.context.min_category_skus, 10);
        assert_int_equal(c.detectors.context.pos_silence_minutes, 60);
        assert_float_equal(c.detectors.ghost.params.alpha, 0.01, 1e-12);
        assert_float_equal(c.detectors.ghost.params.prior_rate, 0.02, 1e-12);
        assert_float_equal(c.detectors.ghost.params.low_ratio, 0.3, 1e-12);
        assert_int_equal(c.detectors.ghost.params.max_run_days, 28);
        assert_float_equal(c.detectors.ghost.params.overdispersion_threshold, 0.1, 1e-12);
        assert_float_equal(c.detectors.ghost.params.warning_probability, 0.7, 1e-12);
        assert_float_equal(c.detectors.ghost.params.critical_probability, 0.999, 1e-12);
        assert_int_equal(c.detectors.ghost.params.seed_lookback_days, 7);
        assert_int_equal(c.detectors.ghost.params.seed_min_low_days, 3);
        assert_int_equal(c.detectors.ghost.params.forecast.min_history_days, 14);
        assert_float_equal(c.detectors.ghost.params.forecast.half_life_days, 14.0, 1e-12);
        assert_float_equal(c.detectors.ghost.params.forecast.weekday_pseudo_days, 2.0, 1e-12);
        assert_true(c.detectors.shelf_out.enabled);
        assert_int_equal(c.detectors.shelf_out.zero_minutes, 30);
        assert_true(c.detectors.discrepancy.enabled);
        assert_int_equal(c.detectors.discrepancy.shelf_above_hours, 24);
        assert_int_equal(c.log.level, SW_LOG_INFO);
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

        assert_string_equal(c.store.root, "shops");
        assert_string_equal(c.store.tenant, "acme");
        assert_string_equal(c.store.id, "s0042");
        assert_string_equal(c.store.timezone, have_berlin ? "Europe/Berlin" : "UTC");
        assert_int_equal(c.store.n_holidays, 3);
        assert_int_equal(c.store.holidays[0], sw_days_from_civil(2024, 2, 29));
        assert_int_equal(c.store.holidays[1], sw_days_from_civil(2026, 1, 1));
        assert_int_equal(c.store.holidays[2], sw_days_from_civil(2026, 12, 25));
        assert_int_equal(c.store.opening_hours[0].open_min, 7 * 60 + 30);
        assert_int_equal(c.store.opening_hours[0].close_min, 20 * 60);
        assert_int_equal(c.store.opening_hours[1].open_min, 8 * 60); /* default kept */
        assert_int_equal(c.store.opening_hours[5].open_min, 0);
        assert_int_equal(c.store.opening_hours[5].close_min, 24 * 60);
        assert_true(c.store.opening_hours[6].closed);

        assert_string_equal(c.broker.host, "broker.local");
        assert_int_equal(c.broker.port, 8883);
        assert_string_equal(c.broker.client_id, "gw-1");
        assert_int_equal(c.broker.keepalive, 60);
        assert_string_equal(c.broker.username, "u");
        assert_string_equal(c.broker.password, "p");
        assert_int_equal(c.broker.reconnect_min_ms, 1000);
        assert_int_equal(c.broker.reconnect_max_ms, 1000);
        assert_true(c.broker.tls.enabled);
        assert_string_equal(c.broker.tls.ca_file, ca);
        assert_string_equal(c.broker.tls.cert_file, cert);
        assert_string_equal(c.broker.tls.key_file, key);
        assert_true(c.broker.tls.insecure);

        assert_true(c.hq_enabled);
        assert_string_equal(c.hq.host, "hq.example.com");
        assert_int_equal(c.hq.port, 8884);
        assert_int_equal(c.hq.keepalive, 30);
        assert_string_equal(c.hq.client_id, "shelfwatchd-acme-s0042-hq");
        assert_true(c.hq.tls.enabled);
        assert_string_equal(c.hq.tls.cert_file, "");

        assert_string_equal(c.storage.path, "/tmp/x.db");
        assert_int_equal(c.storage.commit_interval_ms, 250);
        assert_int_equal(c.storage.cache_kib, 4096);

        assert_int_equal(c.limits.max_skus, 200000);
        assert_int_equal(c.limits.history_days, 90);
        assert_int_equal(c.limits.max_payload_bytes, 4096);
        assert_int_equal(c.limits.max_items_per_message, 50);
        assert_int_equal(c.limits.dedup_ids, 1024);
        assert_int_equal(c.limits.max_categories, 100);
        assert_int_equal(c.limits.max_open_anomalies, 5000);
        assert_int_equal(c.limits.max_future_seconds, 0);
        assert_int_equal(c.limits.outbox_inflight, 8);
        assert_int_equal(c.limits.outbox_max_rows, 5000);

        assert_int_equal(c.detectors.schedule_min, 23 * 60 + 59);
        assert_false(c.detectors.ghost.enabled);
        assert_int_equal(c.detectors.ghost.params.mode, SW_GHOST_MODE_SEED);
        assert_float_equal(c.detectors.ghost.params.alpha, 0.05, 1e-12);
        assert_float_equal(c.detectors.ghost.params.prior_rate, 0.1, 1e-12);
        assert_float_equal(c.detectors.ghost.params.low_ratio, 1.0, 1e-12);
        assert_int_equal(c.detectors.ghost.params.max_run_days, 90);
        assert_float_equal(c.detectors.ghost.params.overdispersion_threshold, 0.0, 1e-12);
        assert_float_equal(c.detectors.ghost.params.warning_probability, 0.5, 1e-12);
        assert_float_equal(c.detectors.ghost.params.critical_probability, 0.5, 1e-12);
        assert_int_equal(c.detectors.ghost.params.seed_lookback_days, 10);
        assert_int_equal(c.detectors.ghost.params.seed_min_low_days, 10);
        assert_int_equal(c.detectors.ghost.params.forecast.min_history_days, 21);
        assert_float_equal(c.detectors.ghost.params.forecast.half_life_days, 7.0, 1e-12);
        assert_float_equal(c.detectors.ghost.params.forecast.weekday_pseudo_days, 0.5, 1e-12);
        assert_false(c.detectors.shelf_out.enabled);
        assert_int_equal(c.detectors.shelf_out.zero_minutes, 10080);
        assert_false(c.detectors.discrepancy.enabled);
        assert_int_equal(c.detectors.discrepancy.shelf_above_hours, 48);
        assert_int_equal(c.log.level, SW_LOG_DEBUG);
}

static void test_error_wrong_type(void **state)
{
        (void)state;
        assert_load_error("limits = {\n  max_skus = \"100\";\n};\n", 2, "limits.max_skus",
                          "must be an integer (got a string)");
        assert_load_error("limits = {\n  max_skus = 1.5;\n};\n", 2, "limits.max_skus",
                          "must be an integer (got a float");
        assert_load_error("detectors = { ghost = {\n enabled = 1; }; };\n", 2,
                          "detectors.ghost.enabled", "must be true or false (got an integer)");
        assert_load_error("detectors = { ghost = {\n alpha = \"0.1\"; }; };\n", 2,
                          "detectors.ghost.alpha", "must be a number (got a string)");
        assert_load_error("store = {\n\n tenant = 5; };\n", 3, "store.tenant",
                          "must be a string (got an integer)");
        assert_load_error("\nlimits = 5;\n", 2, "limits",
                          "must be a group { ... } (got an integer)");
        assert_load_error("store = { holidays = \"2026-12-25\"; };\n", 1, "store.holidays",
                          "must be a list of dates");
        assert_load_error("store = { holidays = ( \"2026-12-25\",\n 7 ); };\n", 2,
                          "store.holidays[1]", "must be a string (got an integer)");
}

static void test_error_out_of_range(void **state)
{
        char err[512], want[512];
        struct sw_config c;

        (void)state;
        /* The exact message the issue asks for. */
        assert_int_equal(load_text("# a comment\n\nlimits = {\n        max_skus = 0;\n};\n", &c,
                                   err, sizeof(err)),
                         -EINVAL);
        snprintf(want, sizeof(want),
                 "%s:4: limits.max_skus: must be between 1 and 10000000 (got 0)",
                 path_in_tmp("test.conf"));
        assert_string_equal(err, want);

        /* libconfig 1.5 would wrap these into range: 4294967297 reads as 1. */
        assert_load_error("limits = {\n  max_skus = 4294967297;\n};\n", 2, "limits.max_skus",
                          "must be between 1 and 10000000 (got 4294967297)");
        assert_load_error("limits = { history_days = 14; max_skus = 2147483649; };\n", 1,
                          "limits.max_skus", "(got 2147483649)");
        assert_load_error("limits = { max_skus = 0x100000001; };\n", 1, "limits.max_skus",
                          "(got 4294967297)");
        assert_load_error("limits = { max_skus = 99999999999999999999; };\n", 1, "limits.max_skus",
                          "integer too large");
        assert_load_error("limits = { max_skus = 99999999999L; };\n", 1, "limits.max_skus",
                          "(got 99999999999)");
        assert_load_error("limits = { history_days = -14; };\n", 1, "limits.history_days",
                          "must be between 14 and 366 (got -14)");
        assert_load_error("broker = { port = 65536; };\n", 1, "broker.port",
                          "must be between 1 and 65535 (got 65536)");
        assert_load_error("detectors = { ghost = { alpha = 0; }; };\n", 1, "detectors.ghost.alpha",
                          "must be greater than 0 and less than 0.5 (got 0)");
        assert_load_error("detectors = { ghost = { alpha = 0.5; }; };\n", 1,
                          "detectors.ghost.alpha", "(got 0.5)");
        assert_load_error("detectors = { ghost = { low_ratio = 1.01; }; };\n", 1,
                          "detectors.ghost.low_ratio", "must be between 0 and 1 (got 1.01)");
        assert_load_error("detectors = { forecast = { half_life_days = 0; }; };\n", 1,
                          "detectors.forecast.half_life_days",
                          "must be greater than 0 and at most 3660 (got 0)");
        assert_load_error("detectors = { shelf_out = { zero_minutes = 10081; }; };\n", 1,
                          "detectors.shelf_out.zero_minutes", "(got 10081)");
        assert_load_error("store = { tenant = \"\"; };\n", 1, "store.tenant",
                          "must be 1 to 64 characters long (got 0)");
        assert_load_error("store = { tenant = \"a/b\"; };\n", 1, "store.tenant",
                          "must be 1 to 64 characters of A-Z a-z 0-9 _ . - (got \"a/b\")");
        assert_load_error("store = { id = \"s+1\"; };\n", 1, "store.id", "(got \"s+1\")");
        assert_load_error("store = { root = \"#\"; };\n", 1, "store.root", "(got \"#\")");
        assert_load_error(
            "store = { id = "
            "\"01234567890123456789012345678901234567890123456789012345678901234\"; };\n",
            1, "store.id", "must be 1 to 64 characters long (got 65)");
        assert_load_error("detectors = { schedule = \"4:30\"; };\n", 1, "detectors.schedule",
                          "must be a local time HH:MM");
        assert_load_error("detectors = { schedule = \"24:00\"; };\n", 1, "detectors.schedule",
                          "(got \"24:00\")");
        assert_load_error("detectors = { ghost = { onset_rate = 0.5; }; };\n", 1,
                          "detectors.ghost.onset_rate", "");
        assert_load_error("detectors = { ghost = { min_probability = 1; }; };\n", 1,
                          "detectors.ghost.min_probability", "");
        assert_load_error("detectors = { ghost = { false_alerts_per_day = 0; }; };\n", 1,
                          "detectors.ghost.false_alerts_per_day", "");
        assert_load_error("detectors = { ghost = { max_new_per_day = 0; }; };\n", 1,
                          "detectors.ghost.max_new_per_day", "");
        assert_load_error("detectors = { context = { shortfall_ratio = 1.0; }; };\n", 1,
                          "detectors.context.shortfall_ratio", "");
        assert_load_error("detectors = { shelf_out = { false_zero_rate = 0; }; };\n", 1,
                          "detectors.shelf_out.false_zero_rate", "");
        assert_load_error("detectors = { shelf_out = { min_readings = 0; }; };\n", 1,
                          "detectors.shelf_out.min_readings", "");
        assert_load_error("detectors = { ghost = { mode = \"bayesian\"; }; };\n", 1,
                          "detectors.ghost.mode", "must be \"bayes\", \"poisson\" or \"seed\"");
        assert_load_error("log = { level = \"verbose\"; };\n", 1, "log.level", "(got \"verbose\")");
        assert_load_error("broker = { host = \"a b\"; };\n", 1, "broker.host",
                          "must not contain spaces");
        assert_load_error("broker = { client_id = \"a b\"; };\n", 1, "broker.client_id",
                          "must not contain spaces");
}

static void test_error_cross_settings(void **state)
{
        (void)state;
        assert_load_error("broker = {\n reconnect_min_ms = 5000;\n reconnect_max_ms = 1000; };\n",
                          2, "broker.reconnect_min_ms",
                          "must be at most broker.reconnect_max_ms (1000) (got 5000)");
        assert_load_error("broker = { reconnect_max_ms = 100; };\n", 1, "broker.reconnect_max_ms",
                          "must be at least broker.reconnect_min_ms (500) (got 100)");
        /* The file sets only history_days: the default max_run_days (28) no longer fits. */
        assert_load_error("limits = { history_days = 20; };\n", 1, "limits.history_days",
                          "must be at least detectors.ghost.max_run_days (28) (got 20)");
        assert_load_error("detectors = { ghost = {\n max_run_days = 60; }; };\n", 2,
                          "detectors.ghost.max_run_days",
                          "must be at most limits.history_days (56) (got 60)");
        assert_load_error("detectors = { ghost = { seed_min_low_days = 8; }; };\n", 1,
                          "detectors.ghost.seed_min_low_days",
                          "must be at most detectors.ghost.seed_lookback_days (7)");
        assert_load_error("detectors = { forecast = { min_history_days = 57; }; };\n", 1,
                          "detectors.forecast.min_history_days", "limits.history_days (56)");
        assert_load_error("detectors = { ghost = { warning_probability = 0.9991; }; };\n", 1,
                          "detectors.ghost.warning_probability",
                          "must be at most detectors.ghost.critical_probability (0.999)");
        assert_load_error("broker = { password = \"x\"; };\n", 1, "broker.password",
                          "requires broker.username");
}

static void test_error_timezone(void **state)
{
        (void)state;
        assert_load_error("store = {\n timezone = \"Mars/Olympus\"; };\n", 2, "store.timezone",
                          "unknown time zone \"Mars/Olympus\"");
        assert_load_error("store = { timezone = \"../../../etc/passwd\"; };\n", 1, "store.timezone",
                          "not an IANA time zone name");
        assert_load_error("store = { timezone = \"/etc/localtime\"; };\n", 1, "store.timezone",
                          "not an IANA time zone name");
        assert_load_error("store = { timezone = \"Europe\"; };\n", 1, "store.timezone",
                          "unknown time zone");
        assert_load_error("store = { timezone = \"Europe/Berlin; rm\"; };\n", 1, "store.timezone",
                          "not an IANA time zone name");
        assert_load_error("store = { timezone = \"Europe/./Berlin\"; };\n", 1, "store.timezone",
                          "not an IANA time zone name");
        assert_load_error("store = { timezone = \"UTC/\"; };\n", 1, "store.timezone",
                          "unknown time zone");
        if (access("/usr/share/zoneinfo/leapseconds", R_OK) == 0)
                assert_load_error("store = { timezone = \"leapseconds\"; };\n", 1, "store.timezone",
                                  "is not a TZif file");
        if (access("/usr/share/zoneinfo/zone.tab", R_OK) == 0)
                assert_load_error("store = { timezone = \"zone.tab\"; };\n", 1, "store.timezone",
                                  "is not a TZif file");
        assert_load_error("store = { timezone = \"\"; };\n", 1, "store.timezone",
                          "must be 1 to 127 characters long (got 0)");
}

/* Where the daemon writes files of its own choosing: absolute paths or "" (off). */
static void test_error_relative_paths(void **state)
{
        (void)state;
        assert_load_error("storage = { backup_dir = \"backup\"; };\n", 1, "storage.backup_dir",
                          "must be an absolute path (got \"backup\")");
        assert_load_error("metrics = { textfile_path = \"./sw.prom\"; };\n", 1,
                          "metrics.textfile_path", "must be an absolute path");
}

static void test_error_hours(void **state)
{
        (void)state;
        assert_load_error("store = { opening_hours = {\n mon = \"8-21\"; }; };\n", 2,
                          "store.opening_hours.mon",
                          "must be \"HH:MM-HH:MM\" (24-hour clock) or \"closed\" (got \"8-21\")");
        assert_load_error("store = { opening_hours = { fri = \"22:00-02:00\"; }; };\n", 1,
                          "store.opening_hours.fri", "closing after midnight is not supported");
        assert_load_error("store = { opening_hours = { fri = \"10:00-10:00\"; }; };\n", 1,
                          "store.opening_hours.fri", "closing time must be after opening time");
        assert_load_error("store = { opening_hours = { sat = \"08:60-21:00\"; }; };\n", 1,
                          "store.opening_hours.sat", "(got \"08:60-21:00\")");
        assert_load_error("store = { opening_hours = { sat = \"24:00-24:00\"; }; };\n", 1,
                          "store.opening_hours.sat", "or \"closed\"");
        assert_load_error("store = { opening_hours = { sat = \"Closed\"; }; };\n", 1,
                          "store.opening_hours.sat", "or \"closed\"");
        assert_load_error("store = { opening_hours = { monday = \"closed\"; }; };\n", 1,
                          "store.opening_hours.monday", "unknown setting");
}

static void test_error_holidays(void **state)
{
        char *text;
        size_t len = 0;
        FILE *f;

        (void)state;
        assert_load_error("store = {\n holidays = [ \"2026-12-25\",\n \"2026-02-30\" ]; };\n", 3,
                          "store.holidays[1]", "must be a date YYYY-MM-DD (got \"2026-02-30\")");
        assert_load_error("store = { holidays = [ \"2026-1-1\" ]; };\n", 1, "store.holidays[0]",
                          "must be a date YYYY-MM-DD");
        assert_load_error(
            "store = { holidays = [ \"2026-12-25\", \"2026-01-01\", \"2026-12-25\" ]; };\n", 1,
            "store.holidays[2]", "duplicate date 2026-12-25 (also at index 0)");

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

static void test_error_unknown_setting(void **state)
{
        (void)state;
        assert_load_error("store = { tenant = \"a\"; };\n\nfoo = 1;\n", 3, "foo",
                          "unknown setting");
        assert_load_error("limits = {\n  history_days = 30;\n  max_sku = 5;\n};\n", 3,
                          "limits.max_sku", "unknown setting (did you mean limits.max_skus?)");
        assert_load_error("Store = { };\n", 1, "Store", "unknown setting (did you mean store?)");
        assert_load_error("detectors = { ghost = { tls = { }; }; };\n", 1, "detectors.ghost.tls",
                          "unknown setting");
        assert_load_error("broker = { tls = { ca_file = \"\"; cafile = \"x\"; }; };\n", 1,
                          "broker.tls.cafile", "did you mean broker.tls.ca_file?");
}

static void test_error_syntax(void **state)
{
        struct sw_config c;
        char err[512], want[512];

        (void)state;
        memset(&c, 0, sizeof(c));
        /* libconfig's ';' is optional, a missing value is not. */
        assert_int_equal(
            load_text("store = {\n  tenant = \"a\"\n  id = ;\n};\n", &c, err, sizeof(err)),
            -EINVAL);
        snprintf(want, sizeof(want), "%s:3: syntax error", path_in_tmp("test.conf"));
        assert_string_equal(err, want);

        assert_int_equal(
            load_text("limits = { max_skus = 5; };\nlimits = { };\n", &c, err, sizeof(err)),
            -EINVAL);
        snprintf(want, sizeof(want), "%s:2: duplicate setting name", path_in_tmp("test.conf"));
        assert_string_equal(err, want);
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
        char err[512], want[512];

        (void)state;
        write_file("limits.inc", "# limits\nlimits = {\n  max_skus = 0;\n};\n");
        assert_int_equal(load_text("store = { tenant = \"acme\"; };\n@include \"limits.inc\"\n", &c,
                                   err, sizeof(err)),
                         -EINVAL);
        snprintf(want, sizeof(want),
                 "%s:3: limits.max_skus: must be between 1 and 10000000 (got 0)",
                 path_in_tmp("limits.inc"));
        assert_string_equal(err, want);

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
        assert_int_equal(load_text("@include \"limits.inc\"\n", &c, err, sizeof(err)), -EINVAL);
        snprintf(want, sizeof(want), "%s:3: syntax error", path_in_tmp("limits.inc"));
        assert_string_equal(err, want);
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

        assert_load_error("\nhq = {\n port = 8883;\n};\n", 2, "hq.host",
                          "required when the hq section is given");
        assert_load_error("hq = { host = \"h\";\n reconnect_min_ms = 40000; };\n", 2,
                          "hq.reconnect_min_ms", "must be at most hq.reconnect_max_ms (30000)");
        assert_load_error("hq = { host = \"h\"; hots = \"x\"; };\n", 1, "hq.hots",
                          "did you mean hq.host?");
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
        assert_load_error("devices = { scanners = \"hh-1\"; };\n", 1, "devices.scanners",
                          "must be a list of device names");
        assert_load_error("devices = { scanners = [ \"a/b\" ]; };\n", 1, "devices.scanners[0]",
                          "without spaces, '/', '+' or '#'");
        assert_load_error("devices = { scanners = [ \"\" ]; };\n", 1, "devices.scanners[0]",
                          "must be 1 to 64");
        assert_load_error("devices = { scanners = [ \"x\", \"y\", \"x\" ]; };\n", 1,
                          "devices.scanners[2]", "duplicate name x (also at index 0)");
        assert_load_error("tuning = { max_daily_factor = 0.5; };\n", 1, "tuning.max_daily_factor",
                          "");
        assert_load_error("tuning = { weight_scanner = 1.5; };\n", 1, "tuning.weight_scanner", "");
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
        cmocka_unit_test(test_error_wrong_type),
        cmocka_unit_test(test_error_out_of_range),
        cmocka_unit_test(test_error_cross_settings),
        cmocka_unit_test(test_error_timezone),
        cmocka_unit_test(test_error_relative_paths),
        cmocka_unit_test(test_error_hours),
        cmocka_unit_test(test_error_holidays),
        cmocka_unit_test(test_devices_and_trust),
        cmocka_unit_test(test_error_unknown_setting),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_unreadable),
        cmocka_unit_test(test_include_names_included_file),
        cmocka_unit_test(test_hq),
        cmocka_unit_test(test_client_id),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_shipped_example))
/* clang-format on */
