/* Unit tests of the ml_detected run (core/detect_ml.c, core/detect_ml_scaled.c): a store of
 * steady SKUs, a forest trained on them, then a price slip, a register charging the wrong
 * price, a sales spike and a dear item the forest isolates for no fixable reason. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/anomaly_book.h"
#include "core/civil_time.h"
#include "core/detect.h"
#include "core/detect_ml.h"
#include "core/sku_table.h"
#include "tests/core/detect_recorder.h"
#include "tests/support/test_main.h"

#define HISTORY_DAYS 56
#define N_SKUS       240
#define MAX_SKUS     256
#define CATEGORIES   4
#define RESERVOIR    4096
#define MAX_NEW      8

struct fixture {
        struct sw_sku_table skus;             /* the store */
        struct sw_anomaly_book book;          /* open episodes */
        struct sw_store_calendar cal;         /* open every day, no holiday */
        struct sw_detector det;               /* the detector */
        struct sw_iforest forest;             /* the model */
        struct sw_reservoir reservoir;        /* training rows */
        struct sw_feature_stats stats;        /* their baseline and tails */
        double category_avg[CATEGORIES];      /* run scratch */
        uint32_t category_counts[CATEGORIES]; /* run scratch */
        uint64_t above[(MAX_SKUS + 63) / 64]; /* run scratch */
        struct sw_ml_candidate cand[MAX_NEW]; /* run scratch */
        double days[4 * HISTORY_DAYS];        /* run scratch */
        double fit_scratch[RESERVOIR];        /* training scores */
        float stats_scratch[RESERVOIR];       /* one feature column */
        void *mem[4];                         /* blocks to free */
};

static struct fixture fx;
static struct sw_test_recorder rec;
static sw_day_t D; /* the last day of sales before the anomalies: 2026-11-24 */

static void *block(int k, size_t size)
{
        fx.mem[k] = malloc(size);
        assert_non_null(fx.mem[k]);
        return fx.mem[k];
}

static void init_store(void)
{
        struct sw_sku_table_params p = {
            .max_skus = MAX_SKUS, .history_days = HISTORY_DAYS, .max_categories = CATEGORIES};
        size_t size = sw_sku_table_memory_size(&p);
        assert_int_equal(sw_sku_table_init(&fx.skus, &p, block(0, size), size), 0);
        size = sw_anomaly_book_memory_size(64, MAX_SKUS);
        assert_int_equal(sw_anomaly_book_init(&fx.book, 64, MAX_SKUS, block(1, size), size), 0);
        for (int w = 0; w < 7; w++)
                fx.cal.close_minute[w] = 24 * 60;
        size = sw_detector_memory_size(HISTORY_DAYS, CATEGORIES, 8);
        assert_int_equal(
            sw_detector_init(&fx.det, &fx.skus, &fx.book, &fx.cal, 8, block(2, size), size), 0);
        fx.det.context.p = (struct sw_store_context_params){.shortfall_ratio = 0.0};
}

/* SKU k: 2 + (k + day) % 4 units a day from D-49 to D, list price 1 + k % 17 in category
 * 1 + k % 3, 20 + k % 30 on hand. */
static void fill_store(void)
{
        char key[16];
        for (uint32_t k = 0; k < N_SKUS; k++) {
                uint32_t i;
                uint16_t cat;
                char name[8] = {'c', 'a', 't', (char)('1' + k % 3), 0};
                snprintf(key, sizeof(key), "SKU%04u", k);
                assert_int_equal(sw_sku_table_get_or_add(&fx.skus, key, strlen(key), &i), 1);
                assert_true(sw_sku_table_category(&fx.skus, name, 4, &cat) >= 0);
                struct sw_sku *s = sw_sku_at(&fx.skus, i);
                s->category = cat;
                s->price = (float)(1 + k % 17);
                s->flags |= SW_SKU_HAS_PRICE | SW_SKU_HAS_LIST_PRICE | SW_SKU_HAS_BOOK;
                s->on_hand = (int32_t)(20 + k % 30);
                s->price_watch.list_since = sw_watch_day16(D - 49);
                for (sw_day_t d = D - 49; d <= D; d++)
                        sw_sku_add_sold(&fx.skus, i, d, 2 + (uint32_t)(k + (uint32_t)d) % 4);
        }
}

static struct sw_ml_params params(enum sw_feature_set set, uint32_t max_new)
{
        return (struct sw_ml_params){.warning_sigma = 2.0,
                                     .critical_sigma = 3.0,
                                     .max_reasons = 3,
                                     .features = set,
                                     .cause = {.price_ratio = 1.5,
                                               .spike_ratio = 4.0,
                                               .spike_min_units = 10.0,
                                               .overstock_weeks = 16.0,
                                               .overstock_min_units = 20.0},
                                     .critical_strength = 2.0,
                                     .max_new_per_day = max_new};
}

static struct sw_ml_run run_of(bool score)
{
        return (struct sw_ml_run){.forest = score ? &fx.forest : NULL,
                                  .stats = &fx.stats,
                                  .reservoir = score ? NULL : &fx.reservoir,
                                  .category_avg = fx.category_avg,
                                  .category_counts = fx.category_counts,
                                  .above = fx.above,
                                  .candidates = fx.cand,
                                  .days = fx.days};
}

/* Feed the days as of D-13 .. D+1 and train the forest, its stats and tails, on them. */
static void train(enum sw_feature_set set)
{
        struct sw_iforest_params ip;
        struct sw_ml_params p = params(set, MAX_NEW);
        struct sw_ml_run run = run_of(false);
        size_t size = sw_reservoir_memory_size(RESERVOIR, SW_FEAT_COUNT);
        assert_int_equal(
            sw_reservoir_init(&fx.reservoir, RESERVOIR, SW_FEAT_COUNT, 7, block(3, size), size), 0);
        for (sw_day_t as_of = D - 13; as_of <= D + 1; as_of++)
                assert_int_equal(sw_detect_ml(&fx.det, &p, &run, as_of, sw_test_record, &rec, NULL),
                                 0);
        assert_int_equal(rec.n, 0); /* no model yet: only fed */
        sw_iforest_params_default(&ip, SW_FEAT_COUNT);
        ip.seed = 3;
        size = sw_iforest_memory_size(&ip);
        void *mem = malloc(size);
        assert_non_null(mem);
        assert_int_equal(sw_iforest_init(&fx.forest, &ip, mem, size), 0);
        uint32_t n = sw_reservoir_count(&fx.reservoir);
        assert_int_equal(n, 15 * N_SKUS);
        assert_int_equal(
            sw_iforest_fit(&fx.forest, sw_reservoir_rows(&fx.reservoir), n, fx.fit_scratch), 0);
        assert_int_equal(sw_feature_stats_compute(sw_reservoir_rows(&fx.reservoir), n,
                                                  fx.stats_scratch, &fx.stats),
                         0);
        if (set == SW_FEATURES_SCALED)
                assert_int_equal(sw_feature_stats_tails(sw_reservoir_rows(&fx.reservoir), n,
                                                        fx.stats_scratch, 0.05 / 16, &fx.stats),
                                 0);
        free(fx.mem[3]);
        fx.mem[3] = mem;
}

static int setup(void **state)
{
        (void)state;
        memset(&fx, 0, sizeof(fx));
        memset(&rec, 0, sizeof(rec));
        D = sw_days_from_civil(2026, 11, 24);
        init_store();
        fill_store();
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        for (int k = 0; k < 4; k++)
                free(fx.mem[k]);
        return 0;
}

static uint32_t sku(uint32_t k)
{
        char key[16];
        uint32_t i;
        snprintf(key, sizeof(key), "SKU%04u", k);
        assert_int_equal(sw_sku_table_find(&fx.skus, key, strlen(key), &i), 0);
        return i;
}

/* On D+1: SKU 5's price file says 5x its price; the registers charge SKU 7 0.4x the list on
 * 3 lines; SKU 9 sells 30 a day for 3 days; SKU 11's list price is 60x its category's,
 * for years (no change, no register error): rare, but nothing to fix. */
static void inject(void)
{
        struct sw_sku *s = sw_sku_at(&fx.skus, sku(5));
        assert_true(sw_price_watch_list(&s->price_watch, true, s->price, 5.0 * s->price, D + 1));
        s->price *= 5.0f;
        s = sw_sku_at(&fx.skus, sku(7));
        for (int k = 0; k < 3; k++)
                sw_price_watch_paid(&s->price_watch, s->price, 0.4 * s->price, D + 1);
        for (sw_day_t d = D - 1; d <= D + 1; d++)
                sw_sku_add_sold(&fx.skus, sku(9), d, 27);
        sw_sku_at(&fx.skus, sku(11))->price = 600.0f;
        for (uint32_t k = 0; k < N_SKUS; k++)
                sw_sku_add_sold(&fx.skus, sku(k), D + 1, 2 + (k + (uint32_t)(D + 1)) % 4);
}

/* A scoring run as of D+2 with the given features and daily budget, its findings in rec. */
static struct sw_detect_summary detect(enum sw_feature_set set, uint32_t max_new)
{
        struct sw_detect_summary sum;
        struct sw_ml_params p = params(set, max_new);
        struct sw_ml_run run = run_of(true);
        rec.n = 0;
        assert_int_equal(sw_detect_ml(&fx.det, &p, &run, D + 2, sw_test_record, &rec, &sum), 0);
        return sum;
}

/* The forest trained on set, the anomalies injected, then detect(set, max_new). */
static struct sw_detect_summary detect_injected(enum sw_feature_set set, uint32_t max_new)
{
        train(set);
        inject();
        return detect(set, max_new);
}

static const struct sw_finding *finding_of(uint32_t index)
{
        for (uint32_t k = 0; k < sw_test_recorded(&rec); k++)
                if (rec.f[k].sku_index == index)
                        return &rec.f[k];
        return NULL;
}

static void test_actionable_causes(void **state)
{
        struct sw_detect_summary sum = detect_injected(SW_FEATURES_SCALED, MAX_NEW);
        (void)state;
        assert_int_equal(sum.evaluated, N_SKUS);
        assert_int_equal(sum.opened, 3);
        assert_true(sum.unexplained >= 1); /* SKU 11 at least */
        assert_null(finding_of(sku(11)));
        const struct sw_finding *f = finding_of(sku(5));
        assert_non_null(f);
        assert_int_equal(f->ml.cause, SW_ML_CAUSE_LIST_PRICE);
        assert_int_equal(f->ml.feature_set, SW_FEATURES_SCALED);
        assert_int_equal(f->action, SW_ACTION_CHECK_PRICE);
        assert_int_equal(f->severity, SW_SEVERITY_CRITICAL); /* ln 5 / ln 1.5 = 3.97 */
        assert_true(strncmp(f->description, "List price ", 11) == 0);
        f = finding_of(sku(7));
        assert_non_null(f);
        assert_int_equal(f->ml.cause, SW_ML_CAUSE_PAID_PRICE);
        assert_int_equal(f->severity, SW_SEVERITY_CRITICAL); /* ln 0.4 / ln 1.5 = 2.26 */
        assert_true(strncmp(f->description, "Registers charged 0.40x the list price", 38) == 0);
        f = finding_of(sku(9));
        assert_non_null(f);
        assert_int_equal(f->ml.cause, SW_ML_CAUSE_SALES_SPIKE);
        assert_int_equal(f->action, SW_ACTION_INVESTIGATE);
        assert_int_equal(f->severity, SW_SEVERITY_WARNING); /* a spike is inferred: no more */
        /* Detected again, the same SKU-days update their episodes; none opens again. */
        sum = detect(SW_FEATURES_SCALED, MAX_NEW);
        assert_int_equal(sum.opened, 0);
        assert_int_equal(sum.updated, 3);
        /* The price file is corrected: that episode clears (no cause any more). */
        struct sw_sku *s = sw_sku_at(&fx.skus, sku(5));
        assert_true(sw_price_watch_list(&s->price_watch, true, s->price, s->price / 5.0, D + 2));
        s->price /= 5.0f;
        assert_int_equal(detect(SW_FEATURES_SCALED, MAX_NEW).cleared, 1);
        assert_int_equal(finding_of(sku(5))->status, SW_STATUS_CLEARED);
}

/* A budget of one: the strongest opens (critical, a price, the larger strength), the others
 * wait, and open in later runs while they still show. */
static void test_daily_budget(void **state)
{
        struct sw_detect_summary sum = detect_injected(SW_FEATURES_SCALED, 1);
        (void)state;
        assert_int_equal(sum.opened, 1);
        assert_int_equal(sum.deferred, 2);
        assert_int_equal(rec.f[0].sku_index, sku(5));
        sum = detect(SW_FEATURES_SCALED, 1);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(sum.deferred, 1);
        assert_non_null(finding_of(sku(7))); /* the register, critical, before the spike */
        assert_true(finding_of(sku(7))->is_new);
        sum = detect(SW_FEATURES_SCALED, 1);
        assert_int_equal(sum.opened, 1);
        assert_int_equal(sum.deferred, 0);
        assert_true(finding_of(sku(9))->is_new);
}

/* The seed features keep the previous rule: no cause, no budget, seed metadata. */
static void test_seed_features(void **state)
{
        struct sw_detect_summary sum = detect_injected(SW_FEATURES_SEED, 1);
        (void)state;
        assert_int_equal(sum.evaluated, N_SKUS);
        assert_int_equal(sum.unexplained, 0);
        assert_int_equal(sum.deferred, 0);
        assert_int_equal(sum.opened, rec.n);
        for (uint32_t k = 0; k < sw_test_recorded(&rec); k++) {
                assert_int_equal(rec.f[k].ml.feature_set, SW_FEATURES_SEED);
                assert_int_equal(rec.f[k].ml.cause, SW_ML_CAUSE_NONE);
                assert_true(rec.f[k].ml.z >= 2.0);
        }
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_actionable_causes),
        SW_TEST_FRESH(test_daily_budget),
        SW_TEST_FRESH(test_seed_features))
/* clang-format on */
