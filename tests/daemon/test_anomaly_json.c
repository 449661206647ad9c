/* P/anomaly payloads (daemon/anomaly_json.c): every key, in order, with its value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "core/civil_time.h"
#include "daemon/anomaly_json.h"
#include "tests/support/test_main.h"

/* The member under the cursor must be `key`; returns it and moves the cursor on. */
static const cJSON *member(const cJSON **cur, const char *key)
{
        const cJSON *it = *cur;
        if (!it)
                fail_msg("missing \"%s\" (end of object)", key);
        if (strcmp(it->string, key) != 0)
                fail_msg("expected \"%s\", found \"%s\"", key, it->string);
        *cur = it->next;
        return it;
}

static void check_string(const cJSON **cur, const char *key, const char *want)
{
        const cJSON *it = member(cur, key);
        assert_true(cJSON_IsString(it));
        assert_string_equal(it->valuestring, want);
}

static void check_int(const cJSON **cur, const char *key, int64_t want)
{
        const cJSON *it = member(cur, key);
        assert_true(cJSON_IsNumber(it));
        if (it->valuedouble != (double)want)
                fail_msg("%s: %.17g, want %lld", key, it->valuedouble, (long long)want);
}

/* A double, within relative 1e-9 of the input (non-finite input: 0). */
static void check_double(const cJSON **cur, const char *key, double in)
{
        const cJSON *it = member(cur, key);
        double want = isfinite(in) ? in : 0;
        assert_true(cJSON_IsNumber(it));
        if (!(fabs(it->valuedouble - want) <= 1e-9 * fabs(want)))
                fail_msg("%s: %.17g, want %.17g", key, it->valuedouble, want);
}

/* Exactly the input rounded to `scale` (100: 2 decimals), as round(x * scale) / scale. */
static void check_rounded(const cJSON **cur, const char *key, double in, double scale)
{
        const cJSON *it = member(cur, key);
        double want = round((isfinite(in) ? in : 0) * scale) / scale;
        assert_true(cJSON_IsNumber(it));
        if (it->valuedouble != want)
                fail_msg("%s: %.17g, want %.17g", key, it->valuedouble, want);
}

/* A price: the same double comes back (within DBL_EPSILON for one of 16 or 17 significant
 * digits, exactly for the decimals of up to 15 that prices are: test_prices_as_received). */
static void check_price(const cJSON **cur, const char *key, double in)
{
        const cJSON *it = member(cur, key);
        assert_true(cJSON_IsNumber(it));
        if (!(fabs(it->valuedouble - in) <= fabs(in) * DBL_EPSILON))
                fail_msg("%s: %.17g, want %.17g", key, it->valuedouble, in);
}

static const cJSON *check_object(const cJSON **cur, const char *key)
{
        const cJSON *it = member(cur, key);
        assert_true(cJSON_IsObject(it));
        return it->child;
}

static void check_end(const cJSON *cur)
{
        if (cur)
                fail_msg("unexpected member \"%s\"", cur->string);
}

static struct sw_anomaly_json_ctx ctx(void)
{
        return (struct sw_anomaly_json_ctx){
            .tenant = "acme",
            .store = "store-0042",
            .currency = "USD",
            .money_digits = 2,
            .rev = 3,
            .updated_at = 1795000060, /* 2026-11-18T11:07:40Z */
            .id = "ghost_stock:SKU-000123:2026-11-20",
            .sku = "SKU-000123",
            .category = "dairy",
            .detected_at = 1795000000, /* 2026-11-18T11:06:40Z */
            .snap = {.on_hand = 17, .price = 3.49, .ghost_mode = SW_GHOST_MODE_POISSON},
        };
}

static struct sw_finding finding(enum sw_anomaly_type type)
{
        struct sw_finding f;
        memset(&f, 0, sizeof(f));
        f.type = type;
        f.status = SW_STATUS_OPEN;
        f.is_new = true;
        f.since = 20400; /* 2025-11-08 */
        f.as_of = 20410; /* 2025-11-18 */
        f.severity = SW_SEVERITY_WARNING;
        f.action = SW_ACTION_CYCLE_COUNT;
        f.score = 4.123456789123;
        f.probability = 0.87345123456;
        f.value = 59.335;
        strcpy(f.description, "No sales for 6 days");
        return f;
}

/* A test's inputs: the context and finding it renders and room for the detail of the row they
 * are stored as. Each test starts from ctx() and a ghost_stock finding(). */
struct inputs {
        struct sw_anomaly_json_ctx c;          /* the context */
        struct sw_finding f;                   /* the finding */
        uint8_t detail[SW_ANOMALY_DETAIL_MAX]; /* stored_row()'s detail */
};

static int setup(void **state)
{
        struct inputs *in = calloc(1, sizeof(*in));
        if (!in)
                return -1;
        in->c = ctx();
        in->f = finding(SW_ANOMALY_GHOST_STOCK);
        *state = in;
        return 0;
}

static int teardown(void **state)
{
        free(*state);
        return 0;
}

/* Renders, parses and checks the common members; returns the parsed tree and metadata. */
static cJSON *render_and_check(const struct inputs *in, const char *description,
                               const cJSON **ret_metadata)
{
        const struct sw_anomaly_json_ctx *c = &in->c;
        const struct sw_finding *f = &in->f;
        char day[16], since[16], ts[32];
        char *text = sw_anomaly_json(c, f);
        cJSON *root;
        const cJSON *cur;
        assert_non_null(text);
        root = cJSON_Parse(text);
        if (!root)
                fail_msg("not JSON: %s", text);
        free(text);
        assert_true(cJSON_IsObject(root));
        assert_int_equal(sw_date_format(f->as_of, day, sizeof(day)), 10);
        assert_int_equal(sw_date_format(f->since, since, sizeof(since)), 10);
        assert_int_equal(sw_rfc3339_format(c->detected_at, ts, sizeof(ts)), 20);
        cur = root->child;
        check_string(&cur, "v", "1.1");
        check_string(&cur, "id", c->id);
        check_string(&cur, "tenant", c->tenant);
        check_string(&cur, "store", c->store);
        check_string(&cur, "type", sw_anomaly_type_name(f->type));
        check_string(&cur, "severity", sw_severity_name(f->severity));
        check_string(&cur, "status", sw_status_name(f->status));
        check_string(&cur, "sku", c->sku);
        check_string(&cur, "category", c->category);
        check_string(&cur, "as_of", day);
        check_string(&cur, "detected_at", ts);
        assert_int_equal(sw_rfc3339_format(c->updated_at, ts, sizeof(ts)), 20);
        check_string(&cur, "updated_at", ts);
        check_int(&cur, "rev", c->rev);
        check_double(&cur, "score", f->score);
        check_double(&cur, "probability", f->probability);
        check_rounded(&cur, "value", f->value, 100);
        check_string(&cur, "currency", "USD");
        check_string(&cur, "description", description ? description : f->description);
        check_string(&cur, "action", sw_action_name(f->action));
        *ret_metadata = check_object(&cur, "metadata");
        check_end(cur);
        cur = *ret_metadata;
        check_string(&cur, "since", since);
        check_int(&cur, "on_hand", c->snap.on_hand);
        check_price(&cur, "price", c->snap.price);
        *ret_metadata = cur;
        return root;
}

static void check_ghost(const struct inputs *in)
{
        const struct sw_anomaly_json_ctx *c = &in->c;
        const struct sw_finding *f = &in->f;
        const cJSON *m;
        cJSON *root = render_and_check(in, NULL, &m);
        check_string(&m, "mode", sw_ghost_mode_name(c->snap.ghost_mode));
        check_string(&m, "model", sw_ghost_model_name(f->ghost.model));
        check_int(&m, "run_days", f->ghost.run_days);
        check_int(&m, "observed_units", (int64_t)f->ghost.observed_units);
        check_double(&m, "expected_units", f->ghost.expected_units);
        check_double(&m, "p_value", f->ghost.p_value);
        check_double(&m, "dispersion", f->ghost.dispersion);
        check_int(&m, "baseline_days", f->ghost.baseline_days);
        check_double(&m, "priority", f->ghost.priority);
        check_end(m);
        cJSON_Delete(root);
}

static void test_ghost_calibrated(void **state)
{
        struct inputs *in = *state;
        in->f.severity = SW_SEVERITY_CRITICAL;
        in->f.ghost.model = SW_GHOST_MODEL_NEGBIN;
        in->f.ghost.run_days = 6;
        in->f.ghost.observed_units = 0;
        in->f.ghost.expected_units = 7.41234567891;
        in->f.ghost.p_value = 6.04e-4;
        in->f.ghost.dispersion = 1.3333333333333333;
        in->f.ghost.baseline_days = 28;
        in->f.ghost.priority = 51.82213;
        check_ghost(in);
        /* Tiny p-values, big counts, a value at a rounding boundary, a NaN score. */
        in->f.ghost.p_value = 1.234e-300;
        in->f.ghost.observed_units = 123456789012;
        in->f.ghost.run_days = 65535;
        in->f.value = -0.005;
        in->f.score = NAN;
        in->f.probability = INFINITY;
        check_ghost(in);
}

static void test_ghost_seed_cleared(void **state)
{
        struct inputs *in = *state;
        in->c.snap.ghost_mode = SW_GHOST_MODE_SEED;
        in->c.snap.on_hand = -3;
        in->c.snap.price = 0;
        in->f.status = SW_STATUS_CLEARED;
        in->f.is_new = false;
        in->f.ghost.model = SW_GHOST_MODEL_SEED;
        in->f.ghost.run_days = 3;
        in->f.ghost.observed_units = 1;
        in->f.ghost.expected_units = 9.5;
        in->f.ghost.p_value = 1;
        in->f.ghost.dispersion = NAN;
        in->f.ghost.baseline_days = 0;
        in->f.ghost.priority = -INFINITY;
        in->f.value = 1e9 + 0.126;
        check_ghost(in);
}

/* Renders in's ml_detected finding with the given feature set and checks it. */
static void check_ml_detected(struct inputs *in, enum sw_feature_set set)
{
        struct sw_finding *f = &in->f;
        const cJSON *m, *x, *k;
        cJSON *root;
        f->action = SW_ACTION_CHECK_PRICE;
        for (int i = 0; i < SW_FEAT_COUNT; i++) {
                f->ml.features[i] = (float)(i * 1.37 + 0.1);
                f->ml.contributions[i] = 1.0 / (i + 3.3);
        }
        f->ml.features[1] = NAN;
        f->ml.features[2] = INFINITY;
        f->ml.features[3] = -1e20f;
        f->ml.contributions[4] = NAN;
        f->ml.contributions[5] = -INFINITY;
        f->ml.contributions[6] = -0.00004;
        f->ml.contributions[7] = 0.00005;
        f->ml.z = 3.712345678901;
        f->ml.threshold = NAN;
        f->ml.feature_set = (uint8_t)set;
        f->ml.cause = SW_ML_CAUSE_PAID_PRICE;
        f->ml.strength = 2.25;
        root = render_and_check(in, NULL, &m);
        x = check_object(&m, "features");
        for (int i = 0; i < SW_FEAT_COUNT; i++)
                check_double(&x, sw_feature_name_in(set, i), f->ml.features[i]);
        check_end(x);
        k = check_object(&m, "contributions");
        for (int i = 0; i < SW_FEAT_COUNT; i++)
                check_rounded(&k, sw_feature_name_in(set, i), f->ml.contributions[i], 1e4);
        check_end(k);
        check_double(&m, "z", f->ml.z);
        check_double(&m, "threshold", f->ml.threshold);
        /* The seed's metadata is the previous system's; the scaled one says the cause. */
        if (set == SW_FEATURES_SCALED) {
                check_string(&m, "feature_set", "scaled");
                check_string(&m, "cause", "paid_price");
                check_double(&m, "strength", 2.25);
        }
        check_end(m);
        cJSON_Delete(root);
}

static void test_ml_detected(void **state)
{
        struct inputs *in = *state;
        in->f.type = SW_ANOMALY_ML_DETECTED;
        check_ml_detected(in, SW_FEATURES_SEED);
        check_ml_detected(in, SW_FEATURES_SCALED);
}

static void check_stock(const struct inputs *in, const char *kind)
{
        const cJSON *m;
        cJSON *root = render_and_check(in, NULL, &m);
        check_int(&m, "shelf_count", in->f.stock.shelf_count);
        check_int(&m, "duration_minutes", in->f.stock.duration_s / 60);
        if (kind)
                check_string(&m, "kind", kind);
        check_end(m);
        cJSON_Delete(root);
}

static void test_shelf_out_and_discrepancies(void **state)
{
        struct inputs *in = *state;
        in->f.type = SW_ANOMALY_SHELF_OUT;
        in->f.action = SW_ACTION_CHECK_SHELF;
        in->f.stock.on_hand = 17;
        in->f.stock.shelf_count = 0;
        in->f.stock.duration_s = 7265; /* 121 minutes */
        check_stock(in, NULL);
        in->f.stock.shelf_count = -1;
        in->f.stock.duration_s = UINT32_MAX;
        check_stock(in, NULL);

        in->f = finding(SW_ANOMALY_INVENTORY_DISCREPANCY);
        in->f.action = SW_ACTION_INVESTIGATE;
        in->f.stock.shelf_count = 4;
        in->f.stock.duration_s = 59;
        in->f.stock.negative_book = 1;
        in->c.snap.on_hand = -4;
        check_stock(in, "negative_book");
        in->f.stock.negative_book = 0;
        in->f.stock.shelf_count = 25;
        in->c.snap.on_hand = 12;
        in->f.status = SW_STATUS_CLEARED;
        check_stock(in, "shelf_above_book");
}

static void test_description_round_trips(void **state)
{
        struct inputs *in = *state;
        in->f.type = SW_ANOMALY_SHELF_OUT;
        const cJSON *m;
        cJSON *root;
        static const char desc[] = "Shelf \"A-12\" empty\\back room?\nline 2\ttab\r\x01\x1f"
                                   " caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6 </script>";
        strcpy(in->f.description, desc);
        in->c.category = "caf\xc3\xa9 & \"snacks\"";
        in->c.sku = "SKU\\1\n";
        root = render_and_check(in, desc, &m);
        cJSON_Delete(root);
}

static void test_long_strings_still_complete(void **state)
{
        struct inputs *in = *state;
        in->f.type = SW_ANOMALY_ML_DETECTED;
        char want[sizeof(in->f.description) + 1];
        const cJSON *m;
        cJSON *root;
        /* A description that fills the whole field, NUL included, with bytes that take 6. */
        memset(in->f.description, 0x01, sizeof(in->f.description));
        memcpy(want, in->f.description, sizeof(in->f.description));
        want[sizeof(in->f.description)] = '\0';
        root = render_and_check(in, want, &m);
        cJSON_Delete(root);
        /* Far past the stack buffer: long ids and category too. */
        size_t n = 20000;
        char *id = malloc(n + 1), *category = malloc(n + 1);
        assert_non_null(id);
        assert_non_null(category);
        memset(id, 'i', n);
        id[n] = '\0';
        for (size_t i = 0; i < n; i++)
                category[i] = i % 3 ? '"' : '\n';
        category[n] = '\0';
        in->c.id = id;
        in->c.category = category;
        root = render_and_check(in, want, &m);
        cJSON_Delete(root);
        free(id);
        free(category);
}

/* As cJSON did, a NULL string (an out-of-range enum's name) leaves its key out. */
static void test_unknown_enum_leaves_key_out(void **state)
{
        struct inputs *in = *state;
        in->f.action = SW_ACTION_COUNT; /* out of range: no name */
        char *text = sw_anomaly_json(&in->c, &in->f);
        cJSON *root = cJSON_Parse(text);
        assert_non_null(root);
        assert_null(cJSON_GetObjectItemCaseSensitive(root, "action"));
        assert_non_null(cJSON_GetObjectItemCaseSensitive(root, "metadata"));
        assert_non_null(strstr(text, "\"description\":\"No sales for 6 days\",\"metadata\":{"));
        cJSON_Delete(root);
        free(text);
}

/* A row as the daemon stores a finding: its columns and its detail. */
static struct sw_store_anomaly stored_row(struct inputs *in)
{
        const struct sw_anomaly_json_ctx *c = &in->c;
        const struct sw_finding *f = &in->f;
        int n = sw_anomaly_detail_encode(f, &c->snap, in->detail, sizeof(in->detail));
        assert_true(n > 0);
        return (struct sw_store_anomaly){.id = c->id,
                                         .type = sw_anomaly_type_name(f->type),
                                         .severity = sw_severity_name(f->severity),
                                         .status = sw_status_name(f->status),
                                         .sku = c->sku,
                                         .category = c->category,
                                         .as_of = "unused",
                                         .episode_day = f->since,
                                         .detected_at = c->detected_at,
                                         .updated_at = c->updated_at,
                                         .score = f->score,
                                         .probability = f->probability,
                                         .value = f->value,
                                         .detail = in->detail,
                                         .detail_len = (size_t)n,
                                         .rev = c->rev};
}

static uint64_t rng = 88172645463325252u;

static double random_double(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        switch (rng % 4) {
        case 0:
                return (double)(rng >> 40) / 100.0; /* money-like */
        case 1:
                return (double)(int64_t)(rng >> 20) * 1e-9;
        case 2:
                return ldexp((double)(rng >> 11), (int)(rng % 64) - 60);
        default:
                return (double)(rng >> 60);
        }
}

static const struct sw_payload_store who = {
    .tenant = "acme", .store = "store-0042", .currency = "USD", .money_digits = 2};

/* The payload rendered from the stored row is byte for byte the one rendered from the finding. */
static void test_a_stored_row_renders_the_same_payload(void **state)
{
        struct inputs *in = *state;
        for (int i = 0; i < 4000; i++) {
                char *want, *got = NULL;
                in->c = ctx();
                in->f = finding((enum sw_anomaly_type)(i % SW_ANOMALY_TYPE_COUNT));
                in->f.status = (enum sw_status)(i / 4 % SW_STATUS_COUNT);
                in->f.severity = (enum sw_severity)(i / 16 % SW_SEVERITY_COUNT);
                in->f.action = (enum sw_action)(i / 48 % SW_ACTION_COUNT);
                in->f.score = random_double();
                in->f.probability = random_double();
                in->f.value = random_double();
                in->f.since = 20000 + i;
                in->f.as_of = in->f.since + i % 9;
                snprintf(in->f.description, sizeof(in->f.description), "Item %d \"%.3f\"\n", i,
                         random_double());
                in->f.ghost.model = (enum sw_ghost_model)(i % SW_GHOST_MODEL_COUNT);
                in->f.ghost.run_days = (uint16_t)(i % 40);
                in->f.ghost.observed_units = (uint64_t)i * 7;
                in->f.ghost.expected_units = random_double();
                in->f.ghost.p_value = random_double();
                in->f.ghost.dispersion = random_double();
                in->f.ghost.priority = random_double();
                for (int k = 0; k < SW_FEAT_COUNT; k++) {
                        in->f.ml.features[k] = (float)random_double();
                        in->f.ml.contributions[k] = random_double();
                }
                in->f.ml.z = random_double();
                in->f.ml.threshold = random_double();
                in->f.stock.shelf_count = i % 7 - 1;
                in->f.stock.duration_s = (uint32_t)i * 61;
                in->f.stock.negative_book = (uint8_t)(i % 2);
                in->c.snap.on_hand = i % 300 - 20;
                in->c.snap.price = random_double();
                in->c.snap.ghost_mode = (enum sw_ghost_mode)(i % SW_GHOST_MODE_COUNT);
                in->c.category = i % 5 ? "dairy" : "";
                in->c.rev = i + 1;
                in->c.updated_at = in->c.detected_at + i;
                want = sw_anomaly_json(&in->c, &in->f);
                assert_non_null(want);
                struct sw_store_anomaly a = stored_row(in);
                assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), 0);
                assert_string_equal(got, want);
                free(want);
                free(got);
        }
}

/* A row written before schema 5 keeps its JSON: it is given back with the 1.1 members in
 * front (v, rev, updated_at), the rest as it is. */
static void test_a_row_without_detail_gives_its_stored_json(void **state)
{
        struct inputs *in = *state;
        struct sw_store_anomaly a = stored_row(in);
        /* Its JSON stands for it: no detail, and no type or severity read (there are none such). */
        a.detail = NULL;
        a.detail_len = 0;
        a.type = "no such type";
        a.severity = "?";
        a.payload = "{\"id\":\"x\",\"w\":1.25}";
        char *got = NULL;
        assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), 0);
        assert_string_equal(got, "{\"v\":\"1.1\",\"rev\":3,\"updated_at\":\"2026-11-18T11:07:40Z\","
                                 "\"id\":\"x\",\"w\":1.25}");
        free(got);
        a.payload = "not json";
        assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), 0);
        assert_string_equal(got, "not json");
        free(got);
}

/* Money to the currency's minor unit (none for JPY, three for BHD), the currency named; a
 * store without a currency gets cents and no "currency". */
static void test_money_follows_the_currency(void **state)
{
        struct inputs *in = *state;
        in->f.value = 354.93000221252441;
        in->c.snap.price = 2.1;
        char *text = sw_anomaly_json(&in->c, &in->f);
        assert_non_null(strstr(text, "\"value\":354.93,\"currency\":\"USD\","));
        assert_non_null(strstr(text, "\"price\":2.1,"));
        free(text);
        struct sw_payload_store jpy = sw_payload_store_of("t", "s", "JPY");
        in->c.currency = jpy.currency;
        in->c.money_digits = jpy.money_digits;
        text = sw_anomaly_json(&in->c, &in->f);
        assert_non_null(strstr(text, "\"value\":355,\"currency\":\"JPY\","));
        free(text);
        struct sw_payload_store bhd = sw_payload_store_of("t", "s", "BHD");
        assert_int_equal(bhd.money_digits, 3);
        struct sw_payload_store none = sw_payload_store_of("t", "s", "");
        in->c.currency = none.currency;
        in->c.money_digits = none.money_digits;
        text = sw_anomaly_json(&in->c, &in->f);
        assert_non_null(strstr(text, "\"value\":354.93,\"description\""));
        assert_null(strstr(text, "currency"));
        free(text);
}

/* metadata.price is the received decimal (Version 1.1: no float32 round trip), from the finding
 * and from the stored row alike; a row stored before (detail version 2, the SKU record's float32
 * widened) gives back the decimal published for it then. */
static void test_prices_as_received(void **state)
{
        struct inputs *in = *state;
        static const struct {
                double price;
                const char *text, *old_text;
        } cases[] = {{150000.01, "\"price\":150000.01,", "\"price\":150000.02,"},
                     {1234567.89, "\"price\":1234567.89,", "\"price\":1234567.9,"},
                     {25490001, "\"price\":25490001,", "\"price\":25490000,"},
                     {12.99, "\"price\":12.99,", "\"price\":12.99,"},
                     {0, "\"price\":0,", "\"price\":0,"}};
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                char *text, *got = NULL;
                in->c.snap.price = cases[k].price;
                text = sw_anomaly_json(&in->c, &in->f);
                assert_non_null(text);
                if (!strstr(text, cases[k].text))
                        fail_msg("want %s in %s", cases[k].text, text);
                struct sw_store_anomaly a = stored_row(in);
                assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), 0);
                assert_non_null(strstr(got, cases[k].text));
                free(got);
                free(text);
                /* Detail version 2: the price (bytes 12..19) was a float32 widened. */
                double widened = (double)(float)cases[k].price;
                uint64_t bits;
                memcpy(&bits, &widened, sizeof(bits));
                in->detail[0] = 2;
                for (int b = 0; b < 8; b++)
                        in->detail[12 + b] = (uint8_t)(bits >> (8 * b));
                assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), 0);
                if (!strstr(got, cases[k].old_text))
                        fail_msg("want %s in %s", cases[k].old_text, got);
                free(got);
        }
}

static void test_an_unreadable_row_is_refused(void **state)
{
        struct inputs *in = *state;
        char *got = NULL;
        struct sw_store_anomaly a = stored_row(in);
        a.status = "maybe";
        assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), -EBADMSG);
        a = stored_row(in);
        a.type = "ml_detected"; /* a ghost detail under another type */
        assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), -EBADMSG);
        a = stored_row(in);
        a.detail_len--;
        assert_int_equal(sw_anomaly_json_of_row(&a, &who, &got), -EBADMSG);
        assert_null(got);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_ghost_calibrated),
        SW_TEST_FRESH(test_money_follows_the_currency),
        SW_TEST_FRESH(test_ghost_seed_cleared),
        SW_TEST_FRESH(test_ml_detected),
        SW_TEST_FRESH(test_shelf_out_and_discrepancies),
        SW_TEST_FRESH(test_description_round_trips),
        SW_TEST_FRESH(test_long_strings_still_complete),
        SW_TEST_FRESH(test_unknown_enum_leaves_key_out),
        SW_TEST_FRESH(test_a_stored_row_renders_the_same_payload),
        SW_TEST_FRESH(test_a_row_without_detail_gives_its_stored_json),
        SW_TEST_FRESH(test_an_unreadable_row_is_refused),
        SW_TEST_FRESH(test_prices_as_received))
/* clang-format on */
