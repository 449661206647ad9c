/* Unit tests of the stored anomaly detail (core/anomaly_detail.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly_detail.h"
#include "tests/support/test_main.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng_next(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* Any bit pattern: NaNs, infinities, subnormals and negative zero included. */
static double rng_double(void)
{
        uint64_t bits = rng_next();
        double v;
        memcpy(&v, &bits, sizeof(v));
        return v;
}

static float rng_float(void)
{
        uint32_t bits = (uint32_t)rng_next();
        float v;
        memcpy(&v, &bits, sizeof(v));
        return v;
}

static bool same_double(double a, double b)
{
        return memcmp(&a, &b, sizeof(a)) == 0;
}

static struct sw_finding random_finding(enum sw_anomaly_type type)
{
        struct sw_finding f = {.type = type};
        f.action = (enum sw_action)(rng_next() % SW_ACTION_COUNT);
        f.as_of = (sw_day_t)rng_next();
        size_t n = (size_t)(rng_next() % sizeof(f.description));
        for (size_t i = 0; i < n; i++)
                f.description[i] = (char)(1 + rng_next() % 255); /* any byte but NUL */
        f.ghost.model = (enum sw_ghost_model)(rng_next() % SW_GHOST_MODEL_COUNT);
        f.ghost.run_days = (uint16_t)rng_next();
        f.ghost.baseline_days = (uint16_t)rng_next();
        f.ghost.observed_units = rng_next();
        f.ghost.expected_units = rng_double();
        f.ghost.p_value = rng_double();
        f.ghost.dispersion = rng_double();
        f.ghost.priority = rng_double();
        for (int k = 0; k < SW_FEAT_COUNT; k++) {
                f.ml.features[k] = rng_float();
                f.ml.contributions[k] = rng_double();
        }
        f.ml.z = rng_double();
        f.ml.threshold = rng_double();
        f.ml.feature_set = (uint8_t)(rng_next() % 2);
        f.ml.cause = (uint8_t)(rng_next() % (SW_ML_CAUSE_OVERSTOCK + 1));
        f.ml.strength = rng_double();
        f.stock.shelf_count = (int32_t)rng_next();
        f.stock.duration_s = (uint32_t)rng_next();
        f.stock.negative_book = (uint8_t)(rng_next() % 2);
        return f;
}

static void assert_decoded(const struct sw_finding *want, const struct sw_finding *got)
{
        assert_int_equal(got->type, want->type);
        assert_int_equal(got->action, want->action);
        assert_int_equal(got->as_of, want->as_of);
        assert_string_equal(got->description, want->description);
        if (want->type == SW_ANOMALY_GHOST_STOCK) {
                assert_int_equal(got->ghost.model, want->ghost.model);
                assert_int_equal(got->ghost.run_days, want->ghost.run_days);
                assert_int_equal(got->ghost.baseline_days, want->ghost.baseline_days);
                assert_true(got->ghost.observed_units == want->ghost.observed_units);
                assert_true(same_double(got->ghost.expected_units, want->ghost.expected_units));
                assert_true(same_double(got->ghost.p_value, want->ghost.p_value));
                assert_true(same_double(got->ghost.dispersion, want->ghost.dispersion));
                assert_true(same_double(got->ghost.priority, want->ghost.priority));
        } else if (want->type == SW_ANOMALY_ML_DETECTED) {
                assert_memory_equal(got->ml.features, want->ml.features, sizeof(want->ml.features));
                for (int k = 0; k < SW_FEAT_COUNT; k++)
                        assert_true(
                            same_double(got->ml.contributions[k], want->ml.contributions[k]));
                assert_true(same_double(got->ml.z, want->ml.z));
                assert_true(same_double(got->ml.threshold, want->ml.threshold));
                assert_int_equal(got->ml.feature_set, want->ml.feature_set);
                assert_int_equal(got->ml.cause, want->ml.cause);
                assert_true(same_double(got->ml.strength, want->ml.strength));
        } else {
                assert_int_equal(got->stock.shelf_count, want->stock.shelf_count);
                assert_int_equal(got->stock.duration_s, want->stock.duration_s);
                assert_int_equal(got->stock.negative_book, want->stock.negative_book);
        }
}

static void test_every_type_round_trips_bit_exactly(void **state)
{
        (void)state;
        for (int i = 0; i < 20000; i++) {
                enum sw_anomaly_type type = (enum sw_anomaly_type)(i % SW_ANOMALY_TYPE_COUNT);
                struct sw_finding f = random_finding(type), got = {0};
                struct sw_anomaly_snapshot snap = {
                    .on_hand = (int32_t)rng_next(),
                    .price = rng_double(),
                    .ghost_mode = (enum sw_ghost_mode)(rng_next() % SW_GHOST_MODE_COUNT)};
                struct sw_anomaly_snapshot snap_got = {0};
                uint8_t buf[SW_ANOMALY_DETAIL_MAX];
                int n = sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf));
                assert_true(n > 0);
                got.score = 7.0; /* a column's field: left as it is */
                assert_int_equal(sw_anomaly_detail_decode(buf, (size_t)n, type, &got, &snap_got),
                                 0);
                assert_decoded(&f, &got);
                assert_true(got.score == 7.0);
                assert_int_equal(snap_got.on_hand, snap.on_hand);
                assert_true(same_double(snap_got.price, snap.price));
                assert_int_equal(snap_got.ghost_mode, snap.ghost_mode);
        }
}

static void test_the_longest_detail_fits_the_maximum(void **state)
{
        struct sw_finding f = random_finding(SW_ANOMALY_ML_DETECTED);
        struct sw_anomaly_snapshot snap = {0};
        uint8_t buf[SW_ANOMALY_DETAIL_MAX];
        (void)state;
        memset(f.description, 'x', sizeof(f.description)); /* no NUL: 191 bytes are kept */
        int n = sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf));
        assert_true(n > 0 && n <= SW_ANOMALY_DETAIL_MAX);
        struct sw_finding got = {0};
        assert_int_equal(
            sw_anomaly_detail_decode(buf, (size_t)n, SW_ANOMALY_ML_DETECTED, &got, &snap), 0);
        assert_int_equal(strlen(got.description), sizeof(f.description) - 1);
}

static void test_a_short_buffer_is_refused(void **state)
{
        (void)state;
        for (int type = 0; type < SW_ANOMALY_TYPE_COUNT; type++) {
                struct sw_finding f = random_finding((enum sw_anomaly_type)type);
                struct sw_anomaly_snapshot snap = {0};
                uint8_t buf[SW_ANOMALY_DETAIL_MAX];
                int n = sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf));
                assert_true(n > 0);
                assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, (size_t)n - 1), -ENOBUFS);
                assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, (size_t)n), n);
        }
}

static void test_out_of_range_enums_are_not_encoded(void **state)
{
        struct sw_anomaly_snapshot snap = {0};
        uint8_t buf[SW_ANOMALY_DETAIL_MAX];
        (void)state;
        struct sw_finding f = random_finding(SW_ANOMALY_GHOST_STOCK);
        f.type = SW_ANOMALY_TYPE_COUNT;
        assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf)), -EINVAL);
        f = random_finding(SW_ANOMALY_GHOST_STOCK);
        f.action = SW_ACTION_COUNT;
        assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf)), -EINVAL);
        f = random_finding(SW_ANOMALY_GHOST_STOCK);
        f.ghost.model = SW_GHOST_MODEL_COUNT;
        assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf)), -EINVAL);
        f = random_finding(SW_ANOMALY_GHOST_STOCK);
        snap.ghost_mode = SW_GHOST_MODE_COUNT;
        assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf)), -EINVAL);
        assert_int_equal(sw_anomaly_detail_encode(NULL, &snap, buf, sizeof(buf)), -EINVAL);
}

/* Decoding a bad detail fails and leaves the outputs exactly as they were. */
static void assert_refused(const uint8_t *buf, size_t len, enum sw_anomaly_type type)
{
        struct sw_finding f, before;
        struct sw_anomaly_snapshot snap, snap_before;
        memset(&f, 0xab, sizeof(f));
        memset(&snap, 0xcd, sizeof(snap));
        before = f;
        snap_before = snap;
        assert_int_equal(sw_anomaly_detail_decode(buf, len, type, &f, &snap), -EBADMSG);
        assert_memory_equal(&f, &before, sizeof(f));
        assert_memory_equal(&snap, &snap_before, sizeof(snap));
}

static void test_damaged_details_are_refused_without_writing(void **state)
{
        (void)state;
        for (int type = 0; type < SW_ANOMALY_TYPE_COUNT; type++) {
                struct sw_finding f = random_finding((enum sw_anomaly_type)type);
                struct sw_anomaly_snapshot snap = {.ghost_mode = SW_GHOST_MODE_SEED};
                uint8_t buf[SW_ANOMALY_DETAIL_MAX + 1], bad[SW_ANOMALY_DETAIL_MAX + 1];
                int n = sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf));
                assert_true(n > 0);
                for (int len = 0; len < n; len++) /* every truncation */
                        assert_refused(buf, (size_t)len, (enum sw_anomaly_type)type);
                assert_refused(buf, (size_t)n + 1,
                               (enum sw_anomaly_type)type); /* a byte too many */
                /* Another type's detail. */
                assert_refused(buf, (size_t)n,
                               (enum sw_anomaly_type)((type + 1) % SW_ANOMALY_TYPE_COUNT));
                assert_refused(buf, (size_t)n, SW_ANOMALY_TYPE_COUNT);
                /* Another version, an unknown action, an unknown ghost mode. */
                const struct {
                        size_t at;
                        uint8_t value;
                } damage[] = {
                    {0, 0}, {0, 4}, {2, SW_ACTION_COUNT}, {3, SW_GHOST_MODE_COUNT}, {20, 0xff}};
                for (size_t k = 0; k < sizeof(damage) / sizeof(damage[0]); k++) {
                        memcpy(bad, buf, (size_t)n);
                        bad[damage[k].at] = damage[k].value;
                        assert_refused(bad, (size_t)n, (enum sw_anomaly_type)type);
                }
                if (type == SW_ANOMALY_ML_DETECTED) { /* an unknown feature set, an unknown cause */
                        size_t at = (size_t)n - 10;
                        memcpy(bad, buf, (size_t)n);
                        bad[at] = SW_FEATURES_SEED + 1;
                        assert_refused(bad, (size_t)n, (enum sw_anomaly_type)type);
                        memcpy(bad, buf, (size_t)n);
                        bad[at + 1] = SW_ML_CAUSE_OVERSTOCK + 1;
                        assert_refused(bad, (size_t)n, (enum sw_anomaly_type)type);
                }
                if (type == SW_ANOMALY_GHOST_STOCK) { /* an unknown ghost model */
                        memcpy(bad, buf, (size_t)n);
                        bad[21 + strlen(f.description)] = SW_GHOST_MODEL_COUNT;
                        assert_refused(bad, (size_t)n, (enum sw_anomaly_type)type);
                }
        }
}

/* Version 1 details are still read: the same layout without the ML feature set, cause and
 * strength (an ML detail of version 1 is of the seed features). */
static void test_version1_details_are_read(void **state)
{
        (void)state;
        for (int type = 0; type < SW_ANOMALY_TYPE_COUNT; type++) {
                struct sw_finding f = random_finding((enum sw_anomaly_type)type), got = {0};
                struct sw_anomaly_snapshot snap = {.ghost_mode = SW_GHOST_MODE_BAYES}, snap_got;
                uint8_t buf[SW_ANOMALY_DETAIL_MAX];
                int n = sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf));
                assert_true(n > 0);
                assert_int_equal(buf[0], 3);
                buf[0] = 1;
                if (type == SW_ANOMALY_ML_DETECTED) {
                        n -= 10;
                        f.ml.feature_set = SW_FEATURES_SEED;
                        f.ml.cause = SW_ML_CAUSE_NONE;
                        f.ml.strength = 0.0;
                }
                assert_int_equal(sw_anomaly_detail_decode(
                                     buf, (size_t)n, (enum sw_anomaly_type)type, &got, &snap_got),
                                 0);
                assert_decoded(&f, &got);
                /* A version 1 ML detail with the version 2 length is refused. */
                if (type == SW_ANOMALY_ML_DETECTED)
                        assert_refused(buf, (size_t)n + 10, (enum sw_anomaly_type)type);
        }
}

/* Version 2 details hold the SKU record's float32 price widened: it is read back as the decimal
 * it was published as (150000.01 was held as 150000.015625 and published as 150000.02);
 * version 3 holds the price as received. */
static void test_version2_prices_are_their_float32_decimal(void **state)
{
        (void)state;
        static const struct {
                double received, old;
        } cases[] = {{150000.01, 150000.02}, {2.1, 2.1}, {25490001, 25490000}, {0, 0}};
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
                struct sw_finding f = random_finding(SW_ANOMALY_GHOST_STOCK), got = {0};
                struct sw_anomaly_snapshot snap = {.price = cases[k].received}, snap_got;
                uint8_t buf[SW_ANOMALY_DETAIL_MAX];
                int n = sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf));
                assert_true(n > 0);
                assert_int_equal(sw_anomaly_detail_decode(buf, (size_t)n, SW_ANOMALY_GHOST_STOCK,
                                                          &got, &snap_got),
                                 0);
                assert_true(snap_got.price == cases[k].received);
                snap.price = (double)(float)cases[k].received; /* as version 2 stored it */
                assert_int_equal(sw_anomaly_detail_encode(&f, &snap, buf, sizeof(buf)), n);
                buf[0] = 2;
                assert_int_equal(sw_anomaly_detail_decode(buf, (size_t)n, SW_ANOMALY_GHOST_STOCK,
                                                          &got, &snap_got),
                                 0);
                if (snap_got.price != cases[k].old)
                        fail_msg("%.17g read back as %.17g", cases[k].received, snap_got.price);
        }
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_every_type_round_trips_bit_exactly),
        cmocka_unit_test(test_the_longest_detail_fits_the_maximum),
        cmocka_unit_test(test_version1_details_are_read),
        cmocka_unit_test(test_version2_prices_are_their_float32_decimal),
        cmocka_unit_test(test_a_short_buffer_is_refused),
        cmocka_unit_test(test_out_of_range_enums_are_not_encoded),
        cmocka_unit_test(test_damaged_details_are_refused_without_writing))
/* clang-format on */
