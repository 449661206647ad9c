/* test_storesim.c: unit tests of the store simulator's pieces (tools/storesim/, all but main.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/civil_time.h"
#include "storesim.h"
#include "tests/support/test_main.h"

/* A one-SKU store of days days from start, ready for the demand and calendar functions. */
static void one_sku_store(struct sim *s, struct sim_sku *k, sw_day_t start, unsigned days)
{
        *s = (struct sim){0};
        *k = (struct sim_sku){.rate = 3.0, .ghost = -1, .ml = -1, .stockout = -1};
        s->opt = (struct sim_options){.skus = 1,
                                      .days = days,
                                      .start = start,
                                      .seed = 1,
                                      .holidays = "none",
                                      .nb_mix = "off",
                                      .profile = "realistic",
                                      .realistic = true,
                                      .material_units = 2,
                                      .material_ratio = 0.2,
                                      .categories = 12};
        s->skus = k;
        s->flags = calloc(days, 1);
        assert_non_null(s->flags);
        assert_int_equal(sim_init_calendar(s), 0);
        sim_seed(&s->rng, 1);
}

static void free_store(struct sim *s)
{
        free(s->flags);
        free(s->closed);
        free(s->day_factor);
        free(s->outages);
}

/* A fresh one-SKU store of one day from 2026-10-01 per test (setup, teardown). */
struct one_sku {
        struct sim s;     /* the store */
        struct sim_sku k; /* its SKU */
};

static int setup(void **state)
{
        struct one_sku *o = calloc(1, sizeof(*o));
        if (!o)
                return -1;
        one_sku_store(&o->s, &o->k, sw_days_from_civil(2026, 10, 1), 1);
        *state = o;
        return 0;
}

static int teardown(void **state)
{
        struct one_sku *o = *state;
        free_store(&o->s);
        free(o);
        return 0;
}

/* Mean and variance of n demand draws of the SKU (store factor 1). */
static void demand_moments(struct sim *s, unsigned n, double *ret_mean, double *ret_var)
{
        double sum = 0.0, sq = 0.0;
        for (unsigned i = 0; i < n; i++) {
                double u = sim_demand_units(s, 0, s->opt.start, 1.0);
                sum += u;
                sq += u * u;
        }
        *ret_mean = sum / n;
        *ret_var = sq / n - *ret_mean * *ret_mean;
}

/* NB(mean 3, r): variance 3 + 9 / r; Poisson: 3. */
static void test_negative_binomial_variance(void **state)
{
        static const double sizes[] = {1.0, 2.0, 5.0, 0.0};
        struct sim s;
        struct sim_sku k;
        (void)state;
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                double mean, var, want = 3.0 + (sizes[i] > 0 ? 9.0 / sizes[i] : 0.0);
                one_sku_store(&s, &k, sw_days_from_civil(2026, 10, 1), 1);
                k.nb_r = sizes[i];
                demand_moments(&s, 40000, &mean, &var);
                assert_true(mean > 2.9 && mean < 3.1);
                assert_true(var > want * 0.9 && var < want * 1.1);
                free_store(&s);
        }
}

static void test_nb_mix_parsing(void **state)
{
        double w[SIM_NB_SIZES];
        (void)state;
        assert_int_equal(sim_parse_nb_mix("1,1,1,1", w), 0);
        assert_int_equal(sim_parse_nb_mix("0,0,0,2.5", w), 0);
        assert_true(w[3] == 2.5);
        assert_int_equal(sim_parse_nb_mix("1,1,1", w), -EINVAL);
        assert_int_equal(sim_parse_nb_mix("0,0,0,0", w), -EINVAL);
        assert_int_equal(sim_parse_nb_mix("1,-1,1,1", w), -EINVAL);
        assert_int_equal(sim_parse_nb_mix("1,1,1,1,", w), -EINVAL);
}

/* Thanksgiving and Christmas closed, Black Friday x2.5, a closed weekday; the daemon's group. */
static void test_us_calendar(void **state)
{
        struct sim s;
        struct sim_sku k;
        char text[1024] = "";
        (void)state;
        assert_int_equal(sim_thanksgiving(2026), sw_days_from_civil(2026, 11, 26));
        assert_int_equal(sim_thanksgiving(2025), sw_days_from_civil(2025, 11, 27));
        assert_int_equal(sim_thanksgiving(2024), sw_days_from_civil(2024, 11, 28));
        sw_day_t start = sw_days_from_civil(2026, 11, 20); /* a Friday */
        one_sku_store(&s, &k, start, 1);                   /* to have a store; calendar redone */
        free(s.closed);
        free(s.day_factor);
        s.opt.days = 42;
        s.opt.holidays = "us";
        s.opt.closed_weekdays = 1u << 5; /* Saturday */
        s.opt.root = "retail", s.opt.tenant = "demo", s.opt.store = "store1";
        s.opt.timezone = "America/Chicago";
        assert_int_equal(sim_init_calendar(&s), 0);
        assert_true(sim_closed(&s, sw_days_from_civil(2026, 11, 26)));
        assert_true(sim_closed(&s, sw_days_from_civil(2026, 12, 25)));
        assert_true(sim_closed(&s, sw_days_from_civil(2026, 11, 21))); /* Saturday */
        assert_false(sim_closed(&s, sw_days_from_civil(2026, 11, 27)));
        assert_true(s.day_factor[sw_days_from_civil(2026, 11, 27) - start] == SIM_BLACK_FRIDAY);
        assert_true(s.day_factor[0] == 1.0);
        assert_int_equal(s.open_days, 42 - 6 - 2);
        FILE *f = fmemopen(text, sizeof(text) - 1, "w");
        assert_int_equal(sim_print_store_config(&s, f), 0);
        fclose(f);
        assert_non_null(strstr(text, "holidays = [ \"2026-11-26\", \"2026-12-25\" ];"));
        assert_non_null(strstr(text, "opening_hours = { sat = \"closed\"; };"));
        assert_non_null(strstr(text, "timezone = \"America/Chicago\";"));
        free_store(&s);
}

/* Promotions come about every --promo-weeks, 3-7 days at x2-x4 then a dip at x0.6-0.8. */
static void test_promotions(void **state)
{
        struct sim s;
        struct sim_sku k;
        unsigned promo_days = 0, dip_days = 0, days = 5600;
        (void)state;
        one_sku_store(&s, &k, sw_days_from_civil(2000, 1, 1), 1);
        s.opt.promo_weeks = 8;
        s.opt.days = days; /* promotions are counted within the run */
        sim_init_demand(&s);
        for (unsigned d = 0; d < days; d++) {
                double f = sim_promo_factor(&s, &k, s.opt.start + (sw_day_t)d);
                assert_true(f == 1.0 || (f >= 2.0 && f < 4.0) || (f >= 0.6 && f < 0.8));
                promo_days += f >= 2.0;
                dip_days += f < 1.0;
        }
        unsigned promos = (unsigned)s.promotions; /* about days / 56 = 100 */
        assert_true(promos > 75 && promos < 125);
        assert_true(promo_days >= 3 * promos && promo_days <= 7 * promos + 7);
        assert_true(dip_days >= 5 * promos - 10 && dip_days <= 10 * promos + 10);
        free_store(&s);
}

/* A shortfall is a ghost when a count would call it material (2 units and 20% of the book). */
static void test_material_shortfall(void **state)
{
        struct one_sku *o = *state;
        struct {
                int32_t book, physical;
                bool ghost;
        } cases[] = {{10, 8, true}, {10, 9, false}, {20, 17, false}, {20, 16, true},
                     {1, 0, false}, {2, 0, true},   {0, 0, false},   {5, 5, false}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                o->k.book = cases[i].book;
                o->k.physical = cases[i].physical;
                if (sim_materially_short(&o->s, &o->k) != cases[i].ghost)
                        fail_msg("case %zu (book %d, physical %d): want %s", i, cases[i].book,
                                 cases[i].physical, cases[i].ghost ? "short" : "not short");
        }
}

/* A partial ghost leaves at most half the book and loses at least a unit; a total one all. */
static void test_partial_and_total_ghosts(void **state)
{
        struct one_sku *o = *state;
        struct sim *s = &o->s;
        struct sim_sku *k = &o->k;
        sim_seed(&s->loss_rng, 3);
        for (int i = 0; i < 200; i++) {
                s->opt.partial_share = i < 100 ? 1.0 : 0.0;
                k->book = k->physical = 2 + i % 40;
                sim_inject_loss(s, 0);
                assert_true(k->physical <= k->book / 2 && k->physical < k->book);
                assert_true(i < 100 || k->physical == 0);
                assert_true(k->cause == SIM_CAUSE_THEFT || k->cause == SIM_CAUSE_DAMAGE);
        }
        assert_true(s->partial_injections > 60 && s->partial_injections <= 100);
}

/* Each outage silences exactly its scope: a register in its hours, the store, a category. */
static void test_outage_scopes(void **state)
{
        struct sim s;
        struct sim_sku k;
        (void)state;
        sw_day_t day = sw_days_from_civil(2026, 11, 2);
        one_sku_store(&s, &k, day, 1);
        struct sim_outage reg = {.scope = SIM_OUT_REGISTER,
                                 .day = day,
                                 .from_sec = 10 * 3600,
                                 .to_sec = 12 * 3600,
                                 .register_no = 2};
        struct sim_outage cat = {.scope = SIM_OUT_CATEGORY, .day = day + 1, .category = 4};
        struct sim_outage store = {.scope = SIM_OUT_STORE, .day = day + 2, .to_sec = 86400};
        struct sim_outage all[] = {reg, cat, store};
        s.outages = malloc(sizeof(all));
        memcpy(s.outages, all, sizeof(all));
        s.n_outages = 3;
        assert_ptr_equal(sim_txn_outage(&s, day, 10 * 3600, 2), &s.outages[0]);
        assert_null(sim_txn_outage(&s, day, 12 * 3600, 2)); /* the end is excluded */
        assert_null(sim_txn_outage(&s, day, 11 * 3600, 1)); /* another register */
        assert_null(sim_txn_outage(&s, day + 1, 11 * 3600, 2));
        assert_null(sim_line_outage(&s, day + 1, 3));
        assert_ptr_equal(sim_line_outage(&s, day + 1, 4), &s.outages[1]);
        assert_null(sim_txn_outage(&s, day + 1, 11 * 3600, 1)); /* only the category */
        for (unsigned r = 1; r <= SIM_REGISTERS; r++)
                assert_ptr_equal(sim_txn_outage(&s, day + 2, 9 * 3600, r), &s.outages[2]);
        assert_null(sim_line_outage(&s, day + 2, 4));
        free_store(&s);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_negative_binomial_variance),
        cmocka_unit_test(test_nb_mix_parsing),
        cmocka_unit_test(test_us_calendar),
        cmocka_unit_test(test_promotions),
        SW_TEST_FRESH(test_material_shortfall),
        SW_TEST_FRESH(test_partial_and_total_ghosts),
        cmocka_unit_test(test_outage_scopes))
/* clang-format on */
