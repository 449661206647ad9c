/* Unit tests of the Isolation Forest (core/iforest.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/iforest.h"
#include "tests/support/test_main.h"

/* c(n) written independently of the module: 2 (ln(n - 1) + gamma) - 2 (n - 1) / n. */
static double ref_c(double n)
{
        if (n <= 1.0)
                return 0.0;
        if (n == 2.0)
                return 1.0;
        return 2.0 * (log(n - 1.0) + 0.5772156649) - 2.0 * (n - 1.0) / n;
}

static void assert_close(double got, double want, double tol)
{
        if (!(fabs(got - want) <= tol))
                fail_msg("got %.15g, want %.15g (tol %g)", got, want, tol);
}

/* A forest with its memory, freed by forest_free. */
struct forest {
        struct sw_iforest f; /* the forest */
        void *mem;           /* its memory block */
};

static void forest_init(struct forest *t, const struct sw_iforest_params *p)
{
        size_t size = sw_iforest_memory_size(p);
        assert_true(size > 0);
        t->mem = malloc(size);
        assert_non_null(t->mem);
        assert_int_equal(sw_iforest_init(&t->f, p, t->mem, size), 0);
}

static void forest_free(struct forest *t)
{
        free(t->mem);
        t->mem = NULL;
}

/* Deterministic test data: xorshift64 and Box-Muller. */
static uint64_t rng_state;

static double test_unit(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return ((double)(rng_state >> 11) + 0.5) * 0x1.0p-53;
}

static double test_gauss(void)
{
        return sqrt(-2.0 * log(test_unit())) * cos(2.0 * M_PI * test_unit());
}

/* n rows of nf standard normal features. */
static float *gaussian_rows(uint32_t n, uint32_t nf, uint64_t seed)
{
        float *x = malloc((size_t)n * nf * sizeof(float));
        assert_non_null(x);
        rng_state = seed * 2654435761u + 1;
        for (size_t i = 0; i < (size_t)n * nf; i++)
                x[i] = (float)test_gauss();
        return x;
}

/* Fit f on the n rows of x, which must succeed. */
static void fit_ok(struct sw_iforest *f, const float *x, uint32_t n)
{
        double *scratch = malloc(n * sizeof(double));
        assert_non_null(scratch);
        assert_int_equal(sw_iforest_fit(f, x, n, scratch), 0);
        free(scratch);
        assert_true(sw_iforest_fitted(f));
}

/* Fit the default forest (nf features, given seed) on x; caller frees. */
static void fit_default(struct forest *t, uint8_t nf, uint64_t seed, const float *x, uint32_t n)
{
        struct sw_iforest_params p;
        sw_iforest_params_default(&p, nf);
        p.seed = seed;
        forest_init(t, &p);
        fit_ok(&t->f, x, n);
}

/* Serialize into a fresh buffer; returns its length in *ret_len. */
static unsigned char *serialize(const struct sw_iforest *f, size_t *ret_len)
{
        size_t size = sw_iforest_serialized_size(f);
        assert_true(size > 0);
        unsigned char *buf = malloc(size);
        assert_non_null(buf);
        assert_int_equal(sw_iforest_serialize(f, buf, size), (int)size);
        *ret_len = size;
        return buf;
}

/* ---- c(n) ---- */

static void test_c_values(void **state)
{
        (void)state;
        assert_true(sw_iforest_c(0) == 0.0);
        assert_true(sw_iforest_c(1) == 0.0);
        assert_true(sw_iforest_c(2) == 1.0);
        assert_close(sw_iforest_c(3), 2.0 * (log(2.0) + 0.5772156649) - 4.0 / 3.0, 1e-12);
        assert_close(sw_iforest_c(3), 1.2073922, 1e-6);
        assert_close(sw_iforest_c(256), 10.2447709, 1e-6);
        for (int n = 3; n < 1000; n += 37)
                assert_close(sw_iforest_c(n), ref_c(n), 1e-12);
}

/* ---- hand-built trees, loaded through the documented byte format ---- */

/* One node of a hand-built tree. */
struct hand_node {
        float threshold; /* split threshold */
        uint16_t link;   /* right child (split) or rows (leaf) */
        uint8_t feature; /* split feature */
        uint8_t flags;   /* SW_IFOREST_LEAF or 0 */
};

static void put(unsigned char **o, uint64_t v, unsigned bytes)
{
        for (unsigned i = 0; i < bytes; i++)
                (*o)[i] = (unsigned char)(v >> (8 * i));
        *o += bytes;
}

/* Bytes of a model with params p, written by hand from the format in core/iforest.h. */
static size_t hand_model(unsigned char *buf, const struct sw_iforest_params *p, uint16_t psi,
                         uint8_t depth_limit, double threshold, const struct hand_node *nodes,
                         uint32_t n_nodes)
{
        unsigned char *o = buf;
        uint64_t bits;
        uint32_t fbits;
        memcpy(o, "SWIF", 4);
        o += 4;
        put(&o, 1, 2);
        put(&o, p->n_trees, 2);
        put(&o, p->sample_size, 2);
        put(&o, p->max_depth, 1);
        put(&o, p->n_features, 1);
        memcpy(&bits, &p->contamination, 8);
        put(&o, bits, 8);
        put(&o, p->seed, 8);
        put(&o, p->pool_nodes, 4);
        put(&o, psi, 2);
        put(&o, depth_limit, 1);
        put(&o, 0, 1);
        memcpy(&bits, &threshold, 8);
        put(&o, bits, 8);
        put(&o, n_nodes, 4);
        for (uint32_t i = 0; i < n_nodes; i++) {
                memcpy(&fbits, &nodes[i].threshold, 4);
                put(&o, fbits, 4);
                put(&o, nodes[i].link, 2);
                put(&o, nodes[i].feature, 1);
                put(&o, nodes[i].flags, 1);
        }
        return (size_t)(o - buf);
}

/*
 * Two trees over 4 rows (psi 4, depth limit 2), 2 features:
 *   tree 0: x0 <= 0.5 ? leaf(1) : (x1 <= 2 ? leaf(2) : leaf(1))
 *   tree 1: x1 <= 1 ? leaf(3) : leaf(1)
 */
static const struct hand_node hand_nodes[] = {
    {0.5f, 2, 0, 0},
    {0, 1, 0, SW_IFOREST_LEAF},
    {2.0f, 4, 1, 0},
    {0, 2, 0, SW_IFOREST_LEAF},
    {0, 1, 0, SW_IFOREST_LEAF},
    {1.0f, 2, 1, 0},
    {0, 3, 0, SW_IFOREST_LEAF},
    {0, 1, 0, SW_IFOREST_LEAF},
};
#define HAND_NODES (sizeof(hand_nodes) / sizeof(hand_nodes[0]))

static void hand_params(struct sw_iforest_params *p)
{
        sw_iforest_params_default(p, 2);
        p->n_trees = 2;
        p->sample_size = 4;
        p->pool_nodes = 16;
}

static void test_hand_built_path_lengths(void **state)
{
        struct sw_iforest_params p;
        struct forest t;
        unsigned char buf[256];
        double contrib[2];
        (void)state;
        hand_params(&p);
        forest_init(&t, &p);
        size_t len = hand_model(buf, &p, 4, 2, 0.6, hand_nodes, HAND_NODES);
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len), 0);
        assert_true(sw_iforest_fitted(&t.f));
        assert_close(sw_iforest_threshold(&t.f), 0.6, 0);

        const double c4 = ref_c(4); /* 1.851656 */
        /* (0, 0): tree 0 leaf(1) at depth 1: h = 1; tree 1 leaf(3) at depth 1: h = 1 + c(3). */
        float a[2] = {0.0f, 0.0f};
        double e = (1.0 + (1.0 + ref_c(3))) / 2.0;
        assert_close(sw_iforest_score(&t.f, a), pow(2.0, -e / c4), 1e-12);
        /* (1, 3): tree 0 leaf(1) at depth 2: h = 2; tree 1 leaf(1) at depth 1: h = 1. */
        float b[2] = {1.0f, 3.0f};
        double sb = pow(2.0, -1.5 / c4);
        assert_close(sw_iforest_score(&t.f, b), sb, 1e-12);
        assert_close(sb, 0.5703, 1e-4);
        /* (1, 1): tree 0 leaf(2) at depth 2: h = 2 + c(2) = 3; tree 1 left: h = 1 + c(3). */
        float c[2] = {1.0f, 1.0f};
        e = (3.0 + 1.0 + ref_c(3)) / 2.0;
        assert_close(sw_iforest_score(&t.f, c), pow(2.0, -e / c4), 1e-12);
        /* Thresholds are inclusive on the left: x0 = 0.5 goes left in tree 0. */
        float d[2] = {0.5f, 1.5f};
        e = (1.0 + 1.0) / 2.0;
        assert_close(sw_iforest_score(&t.f, d), pow(2.0, -e / c4), 1e-12);

        assert_true(sw_iforest_is_anomaly(&t.f, sw_iforest_score(&t.f, d)));  /* 0.688 */
        assert_false(sw_iforest_is_anomaly(&t.f, sw_iforest_score(&t.f, b))); /* 0.570 */
        assert_true(sw_iforest_is_anomaly(&t.f, 0.6));

        /* Contributions of (1, 3). Tree 0 (h = 2): the root (4 rows, x0) sends it to 3 rows,
         * log2(4/3); the x1 split (3 rows) to 1 row, log2(3); both / 2. Tree 1 (h = 1): the
         * x1 split sends it from 4 rows to 1, log2(4). */
        sw_iforest_contributions(&t.f, b, contrib);
        double c0 = log2(4.0 / 3.0) / 2.0, c1 = log2(3.0) / 2.0 + 2.0;
        assert_close(contrib[0], c0 / (c0 + c1), 1e-12);
        assert_close(contrib[1], c1 / (c0 + c1), 1e-12);
        /* (0, 0): tree 0 (h = 1): x0 from 4 rows to 1, 2 bits; tree 1 (h = 1 + c(3)): x1
         * from 4 rows to 3. */
        sw_iforest_contributions(&t.f, a, contrib);
        c0 = 2.0;
        c1 = log2(4.0 / 3.0) / (1.0 + ref_c(3));
        assert_close(contrib[0], c0 / (c0 + c1), 1e-12);
        assert_close(contrib[1], c1 / (c0 + c1), 1e-12);
        /* The model re-serializes to the same bytes. */
        size_t len2;
        unsigned char *again = serialize(&t.f, &len2);
        assert_int_equal(len2, len);
        assert_memory_equal(again, buf, len);
        free(again);
        forest_free(&t);
}

static void expect_rejected(struct forest *t, const struct sw_iforest_params *p,
                            const struct hand_node *nodes, uint32_t n_nodes, uint16_t psi,
                            uint8_t depth_limit)
{
        unsigned char buf[256];
        size_t len = hand_model(buf, p, psi, depth_limit, 0.6, nodes, n_nodes);
        assert_int_equal(sw_iforest_deserialize(&t->f, buf, len), -EINVAL);
        assert_false(sw_iforest_fitted(&t->f));
}

static void test_deserialize_rejects_malformed(void **state)
{
        struct sw_iforest_params p, other;
        struct forest t;
        struct hand_node bad[HAND_NODES];
        unsigned char buf[256];
        (void)state;
        hand_params(&p);
        forest_init(&t, &p);

        memcpy(bad, hand_nodes, sizeof(bad));
        bad[0].link = 3; /* right child not after the left subtree */
        expect_rejected(&t, &p, bad, HAND_NODES, 4, 2);
        memcpy(bad, hand_nodes, sizeof(bad));
        bad[0].link = 1; /* right child == left child */
        expect_rejected(&t, &p, bad, HAND_NODES, 4, 2);
        memcpy(bad, hand_nodes, sizeof(bad));
        bad[5].link = 7; /* beyond the pool */
        expect_rejected(&t, &p, bad, HAND_NODES, 4, 2);
        memcpy(bad, hand_nodes, sizeof(bad));
        bad[3].link = 1; /* leaf sizes sum to 3, not psi */
        expect_rejected(&t, &p, bad, HAND_NODES, 4, 2);
        memcpy(bad, hand_nodes, sizeof(bad));
        bad[2].feature = 2; /* feature out of range */
        expect_rejected(&t, &p, bad, HAND_NODES, 4, 2);
        memcpy(bad, hand_nodes, sizeof(bad));
        bad[1].flags = 0x80; /* unknown flag */
        expect_rejected(&t, &p, bad, HAND_NODES, 4, 2);
        /* Too deep for the depth limit of psi 4 (2), or the limit itself wrong. */
        expect_rejected(&t, &p, hand_nodes, HAND_NODES, 4, 1);
        expect_rejected(&t, &p, hand_nodes, HAND_NODES, 4, 3);
        /* One tree missing, or a node left over. */
        expect_rejected(&t, &p, hand_nodes, 5, 4, 2);
        struct hand_node extra[HAND_NODES + 1];
        memcpy(extra, hand_nodes, sizeof(hand_nodes));
        extra[HAND_NODES] = (struct hand_node){0, 4, 0, SW_IFOREST_LEAF};
        expect_rejected(&t, &p, extra, HAND_NODES + 1, 4, 2);

        /* Truncated, bad magic, other version, other params. */
        size_t len = hand_model(buf, &p, 4, 2, 0.6, hand_nodes, HAND_NODES);
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len - 1), -EINVAL);
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, 10), -EINVAL);
        buf[0] = 'X';
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len), -EINVAL);
        buf[0] = 'S';
        buf[4] = 2;
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len), -EINVAL);
        buf[4] = 1;
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len), 0);
        other = p;
        other.seed = 7;
        len = hand_model(buf, &other, 4, 2, 0.6, hand_nodes, HAND_NODES);
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len), -EINVAL);
        other = p;
        other.contamination = 0.1;
        len = hand_model(buf, &other, 4, 2, 0.6, hand_nodes, HAND_NODES);
        assert_int_equal(sw_iforest_deserialize(&t.f, buf, len), -EINVAL);
        assert_false(sw_iforest_fitted(&t.f));
        assert_true(isnan(sw_iforest_score(&t.f, (float[2]){0, 0})));
        forest_free(&t);
}

/* ---- fitting ---- */

static void test_two_rows(void **state)
{
        /* psi = min(256, 2) = 2: every tree is one split and two leaves of one row at
         * depth 1, so h = 1 = c(2) and s = 1/2 everywhere. */
        const float x[4] = {0.0f, 1.0f, 5.0f, 1.0f};
        double scratch[2];
        struct forest t;
        struct sw_iforest_params p;
        (void)state;
        sw_iforest_params_default(&p, 2);
        forest_init(&t, &p);
        assert_int_equal(sw_iforest_fit(&t.f, x, 2, scratch), 0);
        assert_close(sw_iforest_score(&t.f, x), 0.5, 1e-15);
        assert_close(sw_iforest_score(&t.f, (float[2]){100.0f, -3.0f}), 0.5, 1e-15);
        assert_close(sw_iforest_threshold(&t.f), 0.5, 1e-15);
        /* Only feature 0 varies, so it is the only split feature. */
        double contrib[2];
        sw_iforest_contributions(&t.f, x, contrib);
        assert_close(contrib[0], 1.0, 1e-15);
        assert_close(contrib[1], 0.0, 0);
        assert_int_equal(sw_iforest_serialized_size(&t.f), 48 + 100 * 3 * 8);
        forest_free(&t);
}

static void test_constant_data(void **state)
{
        /* Every row equal: every tree is a single leaf of psi rows: h = c(psi), s = 1/2. */
        float x[300 * 3];
        double scratch[300], contrib[3];
        struct forest t;
        struct sw_iforest_params p;
        (void)state;
        for (size_t i = 0; i < 300 * 3; i++)
                x[i] = 2.5f;
        sw_iforest_params_default(&p, 3);
        forest_init(&t, &p);
        assert_int_equal(sw_iforest_fit(&t.f, x, 300, scratch), 0);
        assert_close(sw_iforest_score(&t.f, x), 0.5, 1e-12);
        assert_int_equal(sw_iforest_serialized_size(&t.f), 48 + 100 * 8);
        sw_iforest_contributions(&t.f, x, contrib);
        assert_true(contrib[0] == 0.0 && contrib[1] == 0.0 && contrib[2] == 0.0);
        forest_free(&t);
}

static void test_constant_feature_never_split(void **state)
{
        uint32_t n = 500;
        float *x = gaussian_rows(n, 3, 5);
        double contrib[3];
        struct forest t;
        (void)state;
        for (uint32_t i = 0; i < n; i++)
                x[i * 3 + 1] = 7.0f;
        fit_default(&t, 3, 1, x, n);
        for (uint32_t i = 0; i < n; i += 17) {
                sw_iforest_contributions(&t.f, x + i * 3, contrib);
                assert_true(contrib[1] == 0.0);
                assert_close(contrib[0] + contrib[2], 1.0, 1e-12);
        }
        forest_free(&t);
        free(x);
}

static void test_same_seed_same_model(void **state)
{
        uint32_t n = 1000;
        float *x = gaussian_rows(n, 4, 1);
        struct forest a, b, c;
        size_t la, lb, lc;
        (void)state;
        fit_default(&a, 4, 42, x, n);
        fit_default(&b, 4, 42, x, n);
        fit_default(&c, 4, 43, x, n);
        unsigned char *ba = serialize(&a.f, &la);
        unsigned char *bb = serialize(&b.f, &lb);
        unsigned char *bc = serialize(&c.f, &lc);
        assert_int_equal(la, lb);
        assert_memory_equal(ba, bb, la);
        assert_true(la != lc || memcmp(ba, bc, la) != 0);
        /* Refit of the same forest gives the same model again. */
        fit_ok(&a.f, x, n);
        free(ba);
        ba = serialize(&a.f, &la);
        assert_memory_equal(ba, bb, la);
        free(ba);
        free(bb);
        free(bc);
        forest_free(&a);
        forest_free(&b);
        forest_free(&c);
        free(x);
}

static void test_node_pool_capacity(void **state)
{
        uint32_t n = 2000;
        float *x = gaussian_rows(n, 8, 2);
        double *scratch = malloc(n * sizeof(double));
        struct sw_iforest_params p;
        struct forest t;
        size_t len;
        (void)state;
        /* Defaults: 100 trees x 511 worst-case nodes x (8 + 2) bytes, well under 1 MB. */
        sw_iforest_params_default(&p, 8);
        assert_int_equal(sizeof(struct sw_iforest_node), 8);
        assert_true(sw_iforest_memory_size(&p) <= 1024 * 1024);
        assert_true(sw_iforest_memory_size(&p) >= 100 * 511 * 10);
        forest_init(&t, &p);
        assert_int_equal(t.f.params.pool_nodes, 100 * 511);
        assert_int_equal(sw_iforest_fit(&t.f, x, n, scratch), 0);
        unsigned char *ref = serialize(&t.f, &len);
        uint32_t used = (uint32_t)((len - 48) / 8);
        assert_true(used > 100 && used <= 100 * 511);
        forest_free(&t);

        /* Exactly enough nodes: fits, and the same model. */
        p.pool_nodes = used;
        forest_init(&t, &p);
        assert_int_equal(sw_iforest_fit(&t.f, x, n, scratch), 0);
        size_t len2;
        unsigned char *again = serialize(&t.f, &len2);
        assert_int_equal(len2, len);
        /* Only the pool_nodes header field differs. */
        assert_memory_equal(again, ref, 28);
        assert_memory_equal(again + 32, ref + 32, len - 32);
        free(again);
        forest_free(&t);

        /* One node short: -ENOSPC, nothing fitted. */
        p.pool_nodes = used - 1;
        forest_init(&t, &p);
        assert_int_equal(sw_iforest_fit(&t.f, x, n, scratch), -ENOSPC);
        assert_false(sw_iforest_fitted(&t.f));
        assert_true(isnan(sw_iforest_score(&t.f, x)));
        assert_int_equal(sw_iforest_serialized_size(&t.f), 0);
        forest_free(&t);

        free(ref);
        free(scratch);
        free(x);
}

static void test_outlier_and_contamination(void **state)
{
        uint32_t n = 2003, nf = 4; /* not a multiple of the 4 rows scored together */
        float *x = gaussian_rows(n, nf, 3);
        double *scores = malloc(n * sizeof(double));
        struct forest t;
        (void)state;
        fit_default(&t, (uint8_t)nf, 9, x, n);
        double thr = sw_iforest_threshold(&t.f);
        assert_true(thr > 0.0 && thr < 1.0);

        /* About 5% of the training rows at or above the threshold. */
        assert_int_equal(sw_iforest_score_many(&t.f, x, n, scores), 0);
        uint32_t above = 0;
        double max_inlier = 0.0, mean = 0.0;
        for (uint32_t i = 0; i < n; i++) {
                assert_true(scores[i] > 0.0 && scores[i] < 1.0);
                above += sw_iforest_is_anomaly(&t.f, scores[i]);
                mean += scores[i] / n;
                if (scores[i] > max_inlier)
                        max_inlier = scores[i];
                /* Batch (complete trees), single and explained scoring agree exactly. */
                assert_true(scores[i] == sw_iforest_score(&t.f, x + (size_t)i * nf));
                assert_true(scores[i] == sw_iforest_contributions(&t.f, x + (size_t)i * nf, NULL));
        }
        assert_in_range(above, 95, 105);

        float outlier[4] = {8.0f, -8.0f, 8.0f, 8.0f};
        double s = sw_iforest_score(&t.f, outlier);
        assert_true(s > max_inlier);
        assert_true(s > 0.7);
        assert_true(mean < 0.5);
        assert_true(sw_iforest_is_anomaly(&t.f, s));
        float centre[4] = {0, 0, 0, 0};
        assert_false(sw_iforest_is_anomaly(&t.f, sw_iforest_score(&t.f, centre)));

        free(scores);
        forest_free(&t);
        free(x);
}

static void test_contributions_extreme_feature(void **state)
{
        uint32_t n = 3000, nf = 8;
        float *x = gaussian_rows(n, nf, 4);
        double contrib[8], again[8];
        struct forest t;
        (void)state;
        fit_default(&t, (uint8_t)nf, 11, x, n);
        for (uint32_t k = 0; k < nf; k++) {
                float row[8] = {0.1f, -0.2f, 0.3f, 0.0f, -0.1f, 0.2f, 0.0f, 0.1f};
                row[k] = (k % 2) ? -6.0f : 6.0f;
                sw_iforest_contributions(&t.f, row, contrib);
                double sum = 0.0;
                uint32_t top = 0;
                for (uint32_t j = 0; j < nf; j++) {
                        assert_true(contrib[j] >= 0.0);
                        sum += contrib[j];
                        if (contrib[j] > contrib[top])
                                top = j;
                }
                assert_close(sum, 1.0, 1e-12);
                assert_int_equal(top, k);
                /* Clearly on top (measured: 0.56 to 0.70 against at most 0.08). */
                assert_true(contrib[k] > 0.4);
                for (uint32_t j = 0; j < nf; j++)
                        if (j != k)
                                assert_true(contrib[k] > 4.0 * contrib[j]);
                sw_iforest_contributions(&t.f, row, again);
                assert_memory_equal(contrib, again, sizeof(contrib));
        }
        forest_free(&t);
        free(x);
}

static void test_serialize_round_trip(void **state)
{
        uint32_t n = 1500, nf = 5;
        float *x = gaussian_rows(n, nf, 6);
        struct sw_iforest_params p;
        struct forest a, b;
        size_t len;
        (void)state;
        fit_default(&a, (uint8_t)nf, 77, x, n);
        unsigned char *buf = serialize(&a.f, &len);
        assert_int_equal(sw_iforest_serialize(&a.f, buf, len - 1), -ENOBUFS);

        sw_iforest_params_default(&p, (uint8_t)nf);
        p.seed = 77;
        forest_init(&b, &p);
        assert_false(sw_iforest_fitted(&b.f));
        assert_int_equal(sw_iforest_deserialize(&b.f, buf, len), 0);
        assert_true(sw_iforest_threshold(&a.f) == sw_iforest_threshold(&b.f));
        for (uint32_t i = 0; i < n; i += 7) {
                const float *row = x + (size_t)i * nf;
                assert_true(sw_iforest_score(&a.f, row) == sw_iforest_score(&b.f, row));
        }
        float far[5] = {9, 9, 9, 9, 9};
        assert_true(sw_iforest_score(&a.f, far) == sw_iforest_score(&b.f, far));
        /* Contributions too: the row counts they use are rebuilt from the leaves. */
        double ca[5], cb[5];
        for (uint32_t i = 0; i < n; i += 101) {
                sw_iforest_contributions(&a.f, x + (size_t)i * nf, ca);
                sw_iforest_contributions(&b.f, x + (size_t)i * nf, cb);
                assert_memory_equal(ca, cb, sizeof(ca));
        }
        sw_iforest_contributions(&a.f, far, ca);
        sw_iforest_contributions(&b.f, far, cb);
        assert_memory_equal(ca, cb, sizeof(ca));

        /* Batch scores of the restored model (its complete trees rebuilt) are the same. */
        double *sa = malloc(n * sizeof(double)), *sb = malloc(n * sizeof(double));
        assert_int_equal(sw_iforest_score_many(&a.f, x, n, sa), 0);
        assert_int_equal(sw_iforest_score_many(&b.f, x, n, sb), 0);
        assert_memory_equal(sa, sb, n * sizeof(double));
        free(sa);
        free(sb);

        /* Another forest with different params refuses it. */
        struct forest c;
        p.n_trees = 50;
        forest_init(&c, &p);
        assert_int_equal(sw_iforest_deserialize(&c.f, buf, len), -EINVAL);
        forest_free(&c);

        free(buf);
        forest_free(&a);
        forest_free(&b);
        free(x);
}

/* Models too deep for complete trees (depth limit above SW_IFOREST_FLAT_MAX_DEPTH) score
 * by walking the pool, and a NaN feature goes right in both walks: batch, single and
 * explained scores agree exactly, with and without complete trees, for 8 features (twelve
 * rows walked together, the rest four at a time, then one by one) and for 6. */
static void check_batch_scores_match_walks(uint32_t nf);

static void test_batch_scores_match_walks(void **state)
{
        (void)state;
        for (uint32_t nf = 6; nf <= 8; nf += 2)
                check_batch_scores_match_walks(nf);
}

static void check_batch_scores_match_walks(uint32_t nf)
{
        uint32_t n = 3001;
        float *x = gaussian_rows(n, nf, 12);
        double *scores = malloc(n * sizeof(double));
        for (uint32_t i = 0; i < n; i += 5)
                x[(size_t)i * nf + i % nf] = NAN;
        /* 100 trees; too deep for complete trees; 10 trees (explained four at a time, then
         * two by the pool walk). */
        for (int variant = 0; variant < 3; variant++) {
                struct sw_iforest_params p;
                struct forest t;
                bool deep = variant == 1;
                sw_iforest_params_default(&p, (uint8_t)nf);
                p.seed = 5;
                if (deep) {
                        p.sample_size = 2048; /* depth limit 11 */
                        p.n_trees = 20;
                }
                if (variant == 2)
                        p.n_trees = 10;
                forest_init(&t, &p);
                assert_int_equal(sw_iforest_fit(&t.f, x, n, scores), 0);
                assert_true(deep ? t.f.max_leaf_depth > SW_IFOREST_FLAT_MAX_DEPTH
                                 : t.f.flat_leaf != NULL);
                assert_int_equal(sw_iforest_score_many(&t.f, x, n, scores), 0);
                for (uint32_t i = 0; i < n; i++) {
                        const float *row = x + (size_t)i * nf;
                        assert_true(scores[i] == sw_iforest_score(&t.f, row));
                        assert_true(scores[i] == sw_iforest_contributions(&t.f, row, NULL));
                }
                /* Explanations walked through the complete trees equal the pool walk's. */
                for (uint32_t i = 0; !deep && i < n; i += 3) {
                        const float *row = x + (size_t)i * nf;
                        double flat[8], pool[8];
                        uint32_t *saved = t.f.flat_leaf;
                        double s_flat = sw_iforest_contributions(&t.f, row, flat);
                        t.f.flat_leaf = NULL; /* the pool walk */
                        double s_pool = sw_iforest_contributions(&t.f, row, pool);
                        t.f.flat_leaf = saved;
                        assert_true(s_flat == s_pool);
                        assert_memory_equal(flat, pool, nf * sizeof(double));
                }
                forest_free(&t);
        }
        free(scores);
        free(x);
}

static void test_bad_params(void **state)
{
        struct sw_iforest_params p;
        struct sw_iforest f;
        unsigned char mem[64];
        double scratch[4];
        const float x[8] = {0};
        (void)state;

        sw_iforest_params_default(&p, 8);
        assert_int_equal(p.n_trees, 100);
        assert_int_equal(p.sample_size, 256);
        assert_int_equal(p.max_depth, 0);
        assert_close(p.contamination, 0.05, 0);
        assert_int_equal(sw_iforest_params_validate(&p), 0);

        struct sw_iforest_params bad[8];
        for (int i = 0; i < 8; i++)
                bad[i] = p;
        bad[0].n_trees = 0;
        bad[1].sample_size = 1;
        bad[2].n_features = 0;
        bad[3].n_features = SW_IFOREST_MAX_FEATURES + 1;
        bad[4].contamination = 0.0;
        bad[5].contamination = 0.51;
        bad[6].contamination = NAN;
        bad[7].sample_size = 65535; /* 2^17 - 1 worst-case nodes per tree: 16-bit links */
        bad[7].max_depth = 20;
        for (int i = 0; i < 8; i++) {
                assert_int_equal(sw_iforest_params_validate(&bad[i]), -EINVAL);
                assert_int_equal(sw_iforest_memory_size(&bad[i]), 0);
                assert_int_equal(sw_iforest_init(&f, &bad[i], mem, sizeof(mem)), -EINVAL);
        }
        assert_int_equal(sw_iforest_params_validate(NULL), -EINVAL);
        p.contamination = 0.5;
        assert_int_equal(sw_iforest_params_validate(&p), 0);
        p.sample_size = 32768; /* 65535 nodes per tree: the largest that fits */
        assert_int_equal(sw_iforest_params_validate(&p), 0);

        /* Memory: too small, NULL. */
        sw_iforest_params_default(&p, 2);
        assert_int_equal(sw_iforest_init(&f, &p, mem, sizeof(mem)), -ENOBUFS);
        assert_int_equal(sw_iforest_init(&f, &p, NULL, 1 << 20), -EINVAL);

        /* Fit arguments: fewer than two rows, NULL data or scratch. */
        struct forest t;
        forest_init(&t, &p);
        assert_int_equal(sw_iforest_fit(&t.f, x, 1, scratch), -EINVAL);
        assert_int_equal(sw_iforest_fit(&t.f, NULL, 4, scratch), -EINVAL);
        assert_int_equal(sw_iforest_fit(&t.f, x, 4, NULL), -EINVAL);
        assert_false(sw_iforest_fitted(&t.f));
        assert_true(isnan(sw_iforest_threshold(&t.f)));
        assert_false(sw_iforest_is_anomaly(&t.f, 0.99));
        assert_int_equal(sw_iforest_score_many(&t.f, x, 4, scratch), -EINVAL);
        assert_int_equal(sw_iforest_serialize(&t.f, mem, sizeof(mem)), -EINVAL);
        forest_free(&t);
}

static void test_unaligned_memory(void **state)
{
        uint32_t n = 400;
        float *x = gaussian_rows(n, 3, 8);
        struct sw_iforest_params p;
        struct sw_iforest f;
        struct forest ref;
        (void)state;
        sw_iforest_params_default(&p, 3);
        size_t size = sw_iforest_memory_size(&p);
        unsigned char *mem = malloc(size + 1);
        assert_int_equal(sw_iforest_init(&f, &p, mem + 1, size), 0);
        fit_ok(&f, x, n);
        fit_default(&ref, 3, 0, x, n);
        assert_true(sw_iforest_score(&f, x) == sw_iforest_score(&ref.f, x));
        forest_free(&ref);
        free(mem);
        free(x);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_c_values),
        cmocka_unit_test(test_hand_built_path_lengths),
        cmocka_unit_test(test_deserialize_rejects_malformed),
        cmocka_unit_test(test_two_rows),
        cmocka_unit_test(test_constant_data),
        cmocka_unit_test(test_constant_feature_never_split),
        cmocka_unit_test(test_same_seed_same_model),
        cmocka_unit_test(test_node_pool_capacity),
        cmocka_unit_test(test_outlier_and_contamination),
        cmocka_unit_test(test_contributions_extreme_feature),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_batch_scores_match_walks),
        cmocka_unit_test(test_unaligned_memory))
/* clang-format on */
