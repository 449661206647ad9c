/* Tests of the configuration schema: core's defaults, the reload policy, the reference docs. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/iforest.h"
#include "platform/config.h"
#include "platform/config_schema.h"

#define SOURCE_DIR_OF_THIS "tests/platform/test_config_schema.c"

/* core's *_params_default() give exactly the schema's defaults: one set of numbers. */
static void test_core_defaults_are_the_schema_defaults(void **state)
{
        struct sw_config c;
        struct sw_ghost_params g;
        struct sw_tuning_params t;
        struct sw_outcome_params o;
        struct sw_iforest_params f;

        (void)state;
        sw_config_defaults(&c);
        sw_ghost_params_default(&g);
        const struct sw_ghost_params *cg = &c.detectors.ghost.params;
        assert_int_equal(cg->mode, g.mode);
        assert_true(cg->alpha == g.alpha && cg->prior_rate == g.prior_rate);
        assert_true(cg->low_ratio == g.low_ratio);
        assert_int_equal(cg->max_run_days, g.max_run_days);
        assert_true(cg->overdispersion_threshold == g.overdispersion_threshold);
        assert_true(cg->warning_probability == g.warning_probability);
        assert_true(cg->critical_probability == g.critical_probability);
        assert_int_equal(cg->seed_lookback_days, g.seed_lookback_days);
        assert_int_equal(cg->seed_min_low_days, g.seed_min_low_days);
        assert_true(cg->onset_rate == g.onset_rate && cg->min_probability == g.min_probability);
        assert_true(cg->false_alerts_per_day == g.false_alerts_per_day);
        assert_int_equal(cg->forecast.min_history_days, g.forecast.min_history_days);
        assert_true(cg->forecast.half_life_days == g.forecast.half_life_days);
        assert_true(cg->forecast.weekday_pseudo_days == g.forecast.weekday_pseudo_days);
        /* Not settings: the daemon derives them from these two, whose defaults agree. */
        assert_true(c.detectors.shelf_out.false_zero_rate == g.shelf_false_zero_rate);
        assert_int_equal(c.outcomes.material_units, g.min_on_hand);

        sw_tuning_params_default(&t);
        assert_true(c.tuning.enabled == t.enabled && c.tuning.step == t.step);
        assert_true(c.tuning.target_precision == t.target_precision);
        assert_true(c.tuning.min_scale == t.min_scale && c.tuning.max_scale == t.max_scale);
        assert_int_equal(c.tuning.min_outcomes, t.min_outcomes);
        assert_true(c.tuning.max_daily_factor == t.max_daily_factor);
        assert_true(c.tuning.weight_scanner_user == t.weight_scanner_user);
        assert_true(c.tuning.weight_scanner == t.weight_scanner);
        assert_true(c.tuning.weight_command == t.weight_command);

        sw_outcome_params_default(&o);
        assert_int_equal(c.outcomes.material_units, o.material_units);
        assert_true(c.outcomes.material_ratio == o.material_ratio);
        assert_true(c.outcomes.prevented_days == o.prevented_days);
        assert_int_equal(c.outcomes.dismiss_days, o.dismiss_days);

        /* The forest's shape; its seed is the daemon's (42, reproducible runs), core's is 0. */
        sw_iforest_params_default(&f, 8);
        assert_int_equal(c.detectors.ml.trees, f.n_trees);
        assert_int_equal(c.detectors.ml.samples, f.sample_size);
        assert_true(c.detectors.ml.contamination == f.contamination);
}

/* Every row is well formed and its default passes its own checks. */
static void test_every_row_is_consistent(void **state)
{
        struct sw_config c;
        char why[SW_CONFIG_REASON_SIZE], buf[64];

        (void)state;
        sw_config_defaults(&c);
        assert_true(sw_config_setting_count() <= SW_CONFIG_MAX_SETTINGS);
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                void *field = sw_config_field(s, &c);
                assert_true(s->kind == SW_CONFIG_GROUP || (s->doc && s->doc[0]));
                assert_ptr_equal(sw_config_setting_find(s->name), s); /* names are unique */
                if (s->provision && s->kind != SW_CONFIG_STRING)
                        fail_msg("%s: only strings come from credentials", s->name);
                switch (s->kind) {
                case SW_CONFIG_UINT:
                        assert_true((long long)s->def_uint >= s->min);
                        assert_true((long long)s->def_uint <= s->max);
                        break;
                case SW_CONFIG_DOUBLE:
                        assert_true(s->fmin_open ? s->def_double > s->fmin
                                                 : s->def_double >= s->fmin);
                        assert_true(s->fmax_open ? s->def_double < s->fmax
                                                 : s->def_double <= s->fmax);
                        break;
                case SW_CONFIG_STRING:
                        assert_true((long long)strlen(s->def_text) >= s->min);
                        if (s->check && s->check(s->def_text, why, sizeof(why)) != 0)
                                fail_msg("%s: default refused: %s", s->name, why);
                        if (!strstr(s->name, "client_id")) /* derived */
                                assert_string_equal(field, s->def_text);
                        break;
                case SW_CONFIG_TEXT:
                        assert_int_equal(s->parse(s->def_text, buf, why, sizeof(why)), 0);
                        s->print(field, buf, sizeof(buf));
                        assert_string_equal(buf, s->def_text); /* print is parse's inverse */
                        break;
                default:
                        break;
                }
        }
}

/* A range the file admits is one core's validation admits too: load each bound (just inside
 * an open one) alone; when the file loads, core must accept what it gave. */
static void test_schema_ranges_within_core(void **state)
{
        char path[] = "/tmp/sw-test-schema-XXXXXX", err[512];
        size_t checked = 0;
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        close(fd);
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                if (s->kind != SW_CONFIG_DOUBLE && s->kind != SW_CONFIG_UINT)
                        continue;
                for (int end = 0; end < 2; end++) {
                        double v = s->kind == SW_CONFIG_UINT ? (double)(end ? s->max : s->min)
                                   : end ? (s->fmax_open ? nextafter(s->fmax, -INFINITY) : s->fmax)
                                         : (s->fmin_open ? nextafter(s->fmin, INFINITY) : s->fmin);
                        const char *dot = strrchr(s->name, '.');
                        struct sw_config c;
                        FILE *f = fopen(path, "we");
                        assert_non_null(f);
                        /* "a.b.c" as "a = { b = { c = v; }; };" */
                        int depth = 0;
                        for (const char *p = s->name; p < dot; depth++) {
                                const char *q = strchr(p, '.');
                                fprintf(f, "%.*s = { ", (int)(q - p), p);
                                p = q + 1;
                        }
                        fprintf(f, s->kind == SW_CONFIG_UINT ? "%s = %.0fL;" : "%s = %.17g;",
                                dot + 1, v);
                        while (depth--)
                                fprintf(f, " };");
                        fprintf(f, "\n");
                        fclose(f);
                        if (sw_config_load(path, &c, err, sizeof(err)) != 0)
                                continue; /* a rule between settings refuses it alone */
                        checked++;
                        if (sw_ghost_params_validate(&c.detectors.ghost.params) != 0 ||
                            sw_tuning_params_validate(&c.tuning) != 0 ||
                            sw_outcome_params_validate(&c.outcomes) != 0)
                                fail_msg("%s = %.17g loads but core refuses it", s->name, v);
                }
        }
        unlink(path);
        assert_true(checked > 100);
}

/* The settings that wait for a restart: the hand list reload.c kept before the schema took
 * the decision over, plus store.currency. A change here changes how a reload behaves. */
static const char *const restart_settings[] = {
    "store.root",
    "store.tenant",
    "store.id",
    "store.timezone",
    "store.currency",
    "storage.path",
    "storage.cache_kib",
    "storage.max_db_kib",
    "limits.max_skus",
    "limits.history_days",
    "limits.dedup_ids",
    "limits.max_categories",
    "limits.max_shelf_skus",
    "limits.max_fast_skus",
    "limits.max_open_anomalies",
    "limits.max_items_per_message",
    "limits.outbox_inflight",
    "limits.max_devices",
    "limits.device_rate_per_second",
    "limits.device_burst",
    "limits.command_rate_per_second",
    "limits.command_burst",
    "detectors.ghost.max_run_days",
    "detectors.ghost.seed_lookback_days",
    "detectors.ghost.max_new_per_day",
    "detectors.ml.enabled",
    "detectors.ml.trees",
    "detectors.ml.samples",
    "detectors.ml.contamination",
    "detectors.ml.reservoir",
    "detectors.ml.seed",
    "detectors.ml.features",
    "detectors.ml.max_new_per_day",
    "hq_receipts.enabled", /* the subscription to P/hq/receipt is made at start-up */
                           /* and every broker and hq setting, TLS included */
};

static bool listed(const char *name)
{
        if (strncmp(name, "broker.", 7) == 0 || strcmp(name, "hq") == 0 ||
            strncmp(name, "hq.", 3) == 0)
                return true;
        for (size_t i = 0; i < sizeof(restart_settings) / sizeof(restart_settings[0]); i++)
                if (strcmp(restart_settings[i], name) == 0)
                        return true;
        return false;
}

static void test_restart_flags_are_the_old_policy(void **state)
{
        (void)state;
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                if (s->kind == SW_CONFIG_GROUP && !s->has_flag)
                        continue;
                if (s->restart != listed(s->name))
                        fail_msg("%s: restart is %d", s->name, s->restart);
        }
}

/* What sw_config_keep_restart_settings() reported. */
struct kept_log {
        char names[16][96]; /* "name" or "name (what)" */
        unsigned n;         /* entries used */
};

static void note_kept(void *ctx, const char *name, const char *what)
{
        struct kept_log *k = ctx;

        assert_true(k->n < 16);
        snprintf(k->names[k->n++], sizeof(k->names[0]), what ? "%s (%s)" : "%s", name, what);
}

static void test_keep_restart_settings(void **state)
{
        static struct sw_config old, next, expect;
        struct kept_log k = {0};

        (void)state;
        sw_config_defaults(&old);
        next = old;
        /* Two that wait, two that apply. */
        next.limits.max_skus = 5;
        snprintf(next.store.id, sizeof(next.store.id), "s2");
        next.limits.max_payload_bytes = 1024;
        next.detectors.ghost.params.alpha = 0.2;
        expect = next;
        expect.limits.max_skus = old.limits.max_skus;
        snprintf(expect.store.id, sizeof(expect.store.id), "%s", old.store.id);
        assert_int_equal(sw_config_keep_restart_settings(&old, &next, note_kept, &k), 2);
        assert_memory_equal(&next, &expect, sizeof(next));
        assert_string_equal(k.names[0], "store.id");
        assert_string_equal(k.names[1], "limits.max_skus");

        /* Adding the hq section waits whole; so does a TLS group added to the local broker. */
        k.n = 0;
        next = old;
        next.hq_enabled = true;
        snprintf(next.hq.host, sizeof(next.hq.host), "hq.example.com");
        next.broker.tls.enabled = true;
        snprintf(next.broker.tls.ca_file, sizeof(next.broker.tls.ca_file), "/ca.pem");
        assert_int_equal(sw_config_keep_restart_settings(&old, &next, note_kept, &k), 2);
        assert_memory_equal(&next, &old, sizeof(next));
        assert_string_equal(k.names[0], "broker.tls (adding the section)");
        assert_string_equal(k.names[1], "hq (adding the section)");

        /* Removing it, and a change inside a section given both times. */
        k.n = 0;
        old.hq_enabled = true;
        next = old;
        next.hq.port = 8883;
        assert_int_equal(sw_config_keep_restart_settings(&old, &next, note_kept, &k), 1);
        assert_string_equal(k.names[0], "hq.port");
        assert_int_equal(next.hq.port, old.hq.port);
        k.n = 0;
        next.hq_enabled = false;
        assert_int_equal(sw_config_keep_restart_settings(&old, &next, note_kept, &k), 1);
        assert_string_equal(k.names[0], "hq (removing the section)");
        assert_true(next.hq_enabled);
}

/* The reference tables in docs/configuration.md say what the schema says. */
static char *read_docs(void)
{
        char path[1024], *text = NULL;
        size_t cap = 0, n = strlen(__FILE__), s = strlen(SOURCE_DIR_OF_THIS);
        FILE *f;

        assert_true(n >= s && strcmp(__FILE__ + n - s, SOURCE_DIR_OF_THIS) == 0);
        snprintf(path, sizeof(path), "%.*sdocs/configuration.md", (int)(n - s), __FILE__);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_true(getdelim(&text, &cap, '\0', f) > 0);
        fclose(f);
        return text;
}

/* Split "| a | b | ... |" into at most max trimmed cells; returns the count. */
static int split_row(char *line, char **cells, int max)
{
        int n = 0;
        char *p = line + 1, *bar;

        while (n < max && (bar = strstr(p, " |")) != NULL) {
                *bar = '\0';
                while (*p == ' ')
                        p++;
                cells[n++] = p;
                p = bar + 2;
        }
        return n;
}

static bool documented_elsewhere(const struct sw_config_setting *s)
{
        /* hq.* is documented as "same keys as broker" in the row of the hq group. */
        for (const struct sw_config_setting *g = sw_config_schema; g->name; g++)
                if (g->same_as && strncmp(s->name, g->name, strlen(g->name)) == 0 &&
                    s->name[strlen(g->name)] == '.')
                        return true;
        return s->kind == SW_CONFIG_GROUP && !s->has_flag;
}

static void expect_cells(const struct sw_config_setting *s, char **cell)
{
        struct sw_config_doc_row d;

        sw_config_doc_row(s, &d);
        if (strcmp(cell[1], d.type) != 0 || strcmp(cell[2], d.def) != 0 ||
            strncmp(cell[3], d.range, strlen(d.range)) != 0 || strcmp(cell[4], d.unit) != 0 ||
            strcmp(cell[5], d.reload) != 0 || strncmp(cell[6], d.doc, strlen(d.doc)) != 0)
                fail_msg("docs/configuration.md: `%s` disagrees with the schema; want\n"
                         "| `%s` | %s | %s | %s... | %s | %s | %s... |",
                         s->name, s->name, d.type, d.def, d.range, d.unit, d.reload, d.doc);
}

static void test_docs_table_matches_schema(void **state)
{
        char *text = read_docs(), *line, *save = NULL;
        unsigned seen[SW_CONFIG_MAX_SETTINGS] = {0};

        (void)state;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *cell[8], name[128];
                const struct sw_config_setting *s;
                if (strncmp(line, "| `", 3) != 0)
                        continue;
                if (split_row(line, cell, 8) != 7)
                        fail_msg("docs row without 7 cells: %s", line);
                if (sscanf(cell[0], "`%127[^`]`", name) != 1)
                        fail_msg("docs row without a setting: %s", cell[0]);
                s = sw_config_setting_find(name);
                if (!s)
                        fail_msg("docs/configuration.md documents `%s`, which is no setting", name);
                seen[sw_config_setting_index(s)]++;
                if (s->kind == SW_CONFIG_GROUP && !s->has_flag)
                        assert_string_equal(cell[1], "group");
                else
                        expect_cells(s, cell);
        }
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++)
                if (!documented_elsewhere(s) && seen[sw_config_setting_index(s)] != 1)
                        fail_msg("docs/configuration.md has %u rows for `%s`, want 1",
                                 seen[sw_config_setting_index(s)], s->name);
        free(text);
}

static void test_value_text(void **state)
{
        struct sw_config c;
        struct sw_config_doc_row d;
        char buf[SW_CONFIG_VALUE_SIZE];

        (void)state;
        sw_config_defaults(&c);
        snprintf(c.broker.password, sizeof(c.broker.password), "hunter2");
        sw_config_value_text(sw_config_setting_find("broker.password"), &c, buf, sizeof(buf));
        assert_string_equal(buf, "(secret)");
        sw_config_value_text(sw_config_setting_find("detectors.schedule"), &c, buf, sizeof(buf));
        assert_string_equal(buf, "\"04:30\"");
        sw_config_value_text(sw_config_setting_find("detectors.forecast.half_life_days"), &c, buf,
                             sizeof(buf));
        assert_string_equal(buf, "14.0");
        c.store.n_holidays = 3;
        sw_config_value_text(sw_config_setting_find("store.holidays"), &c, buf, sizeof(buf));
        assert_string_equal(buf, "[3 dates]");
        sw_config_doc_row(sw_config_setting_find("detectors.ghost.alpha"), &d);
        assert_string_equal(d.range, "(0, 0.5)");
        assert_string_equal(d.def, "`0.01`");
        sw_config_doc_row(sw_config_setting_find("detectors.context.shortfall_ratio"), &d);
        assert_string_equal(d.range, "[0, 1)");
        sw_config_doc_row(sw_config_setting_find("storage.path"), &d);
        assert_string_equal(d.range, "1..1023 characters");
        assert_string_equal(d.reload, "restart");
        sw_config_doc_row(sw_config_setting_find("hq"), &d);
        assert_string_equal(d.def, "absent");
}

/* SW_PRINT_DOC_ROWS=1: print the schema's reference rows (to update the docs by hand). */
static void print_doc_rows(void)
{
        struct sw_config_doc_row d;

        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                sw_config_doc_row(s, &d);
                printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s->name, d.type, d.def, d.range, d.unit,
                       d.reload, d.doc);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_core_defaults_are_the_schema_defaults),
            cmocka_unit_test(test_every_row_is_consistent),
            cmocka_unit_test(test_schema_ranges_within_core),
            cmocka_unit_test(test_restart_flags_are_the_old_policy),
            cmocka_unit_test(test_keep_restart_settings),
            cmocka_unit_test(test_docs_table_matches_schema),
            cmocka_unit_test(test_value_text),
        };

        if (getenv("SW_PRINT_DOC_ROWS")) {
                print_doc_rows();
                return 0;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
