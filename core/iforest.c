/* Isolation Forest: fixed-memory fit, sklearn-compatible scoring, DIFFI contributions, persistence.
 */
#include "core/iforest.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

#include "core/rng.h"

#define IFOREST_EULER_GAMMA  0.5772156649
#define IFOREST_HEADER_BYTES 48u
#define IFOREST_NODE_BYTES   8u
#define IFOREST_EMPTY_SLOT   UINT32_MAX

/* Uniform integer in [0, bound), bound >= 1: Lemire's multiply with rejection (32-bit). */
static uint32_t iforest__rng_below(struct sw_xoshiro *r, uint32_t bound)
{
        uint64_t m = (uint64_t)(uint32_t)(sw_xoshiro_next(r) >> 32) * bound;
        uint32_t low = (uint32_t)m;
        if (low < bound) {
                uint32_t floor = (uint32_t)(-bound) % bound;
                while (low < floor) {
                        m = (uint64_t)(uint32_t)(sw_xoshiro_next(r) >> 32) * bound;
                        low = (uint32_t)m;
                }
        }
        return (uint32_t)(m >> 32);
}

double sw_iforest_c(double n)
{
        if (n <= 1.0)
                return 0.0;
        if (n == 2.0)
                return 1.0;
        return 2.0 * (log(n - 1.0) + IFOREST_EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

/* Depth limit for psi rows: the given one, or ceil(log2(max(psi, 2))) as sklearn. */
static uint8_t iforest__depth_limit(uint8_t max_depth, uint32_t psi)
{
        uint8_t d = 0;
        if (max_depth)
                return max_depth;
        while (d < 32 && (1ULL << d) < (psi < 2 ? 2 : psi))
                d++;
        return d;
}

/* Most nodes one tree of psi rows with depth limit d can have. */
static uint64_t iforest__tree_worst_nodes(uint32_t psi, uint8_t d)
{
        uint64_t by_rows = 2ULL * psi - 1;
        if (d >= 40)
                return by_rows;
        uint64_t by_depth = (1ULL << (d + 1)) - 1;
        return by_depth < by_rows ? by_depth : by_rows;
}

void sw_iforest_params_default(struct sw_iforest_params *ret, uint8_t n_features)
{
        *ret = (struct sw_iforest_params){
            .n_trees = 100,
            .sample_size = 256,
            .max_depth = 0,
            .n_features = n_features,
            .contamination = 0.05,
            .seed = 0,
            .pool_nodes = 0,
        };
}

int sw_iforest_params_validate(const struct sw_iforest_params *p)
{
        if (!p || p->n_trees == 0 || p->sample_size < 2 || p->n_features == 0 ||
            p->n_features > SW_IFOREST_MAX_FEATURES)
                return -EINVAL;
        if (!(p->contamination > 0.0 && p->contamination <= 0.5))
                return -EINVAL;
        /* Child indices within a tree are 16-bit. */
        if (iforest__tree_worst_nodes(
                p->sample_size, iforest__depth_limit(p->max_depth, p->sample_size)) > UINT16_MAX)
                return -EINVAL;
        return 0;
}

/* Sizes of the pieces carved out of the caller's block. */
struct iforest_layout {
        uint32_t pool_nodes; /* node pool capacity */
        uint32_t hash_slots; /* sampling set slots, a power of two >= 2 psi */
        uint32_t stack_size; /* work stack frames */
        size_t total;        /* bytes including alignment slack */
};

static size_t iforest__align(size_t v)
{
        return (v + alignof(double) - 1) & ~(size_t)(alignof(double) - 1);
}

static int iforest__layout(const struct sw_iforest_params *p, struct iforest_layout *ret)
{
        if (sw_iforest_params_validate(p) < 0)
                return -EINVAL;
        uint8_t d = iforest__depth_limit(p->max_depth, p->sample_size);
        uint64_t worst = (uint64_t)p->n_trees * iforest__tree_worst_nodes(p->sample_size, d);
        uint64_t pool = p->pool_nodes ? p->pool_nodes : worst;
        /* Also keeps the byte sizes below from overflowing a 32-bit size_t. */
        if (pool > UINT32_MAX || pool > SIZE_MAX / 32)
                return -EINVAL;
        uint32_t slots = 1;
        while (slots < 2u * p->sample_size)
                slots <<= 1;
        /* The fit never goes deeper than psi - 1; the check stack follows the limit too. */
        uint32_t stack = (d < p->sample_size ? d : p->sample_size) + 2u;
        size_t total = alignof(double) - 1;
        total += iforest__align((size_t)pool * sizeof(struct sw_iforest_node));
        total += iforest__align((size_t)pool * sizeof(uint16_t));
        total += iforest__align((size_t)p->n_trees * sizeof(uint32_t) * 2);
        total += 2 * iforest__align(((size_t)p->sample_size + 1) * sizeof(double));
        total += iforest__align((size_t)p->sample_size * sizeof(uint32_t));
        total += iforest__align((size_t)slots * sizeof(uint32_t));
        total += iforest__align((size_t)stack * sizeof(struct sw_iforest_frame));
        if (d <= SW_IFOREST_FLAT_MAX_DEPTH) {
                size_t slots_per_tree = (size_t)1 << d;
                total += iforest__align((size_t)p->n_trees * slots_per_tree * sizeof(uint8_t));
                total += iforest__align((size_t)p->n_trees * slots_per_tree * sizeof(float));
                total += iforest__align((size_t)p->n_trees * slots_per_tree * sizeof(uint32_t));
                total += iforest__align((size_t)p->n_trees * 2 * slots_per_tree * sizeof(uint16_t));
        }
        *ret = (struct iforest_layout){
            .pool_nodes = (uint32_t)pool, .hash_slots = slots, .stack_size = stack, .total = total};
        return 0;
}

size_t sw_iforest_memory_size(const struct sw_iforest_params *p)
{
        struct iforest_layout l;
        if (iforest__layout(p, &l) < 0)
                return 0;
        return l.total;
}

/* Carve n bytes at *cursor, keeping the cursor aligned for doubles. */
static void *iforest__carve(unsigned char **cursor, size_t n)
{
        void *r = *cursor;
        *cursor += iforest__align(n);
        return r;
}

int sw_iforest_init(struct sw_iforest *f, const struct sw_iforest_params *p, void *mem, size_t size)
{
        struct iforest_layout l;
        if (!f || !mem || iforest__layout(p, &l) < 0)
                return -EINVAL;
        if (size < l.total)
                return -ENOBUFS;
        uintptr_t a = ((uintptr_t)mem + alignof(double) - 1) & ~(uintptr_t)(alignof(double) - 1);
        unsigned char *cursor = (unsigned char *)a;
        *f = (struct sw_iforest){.params = *p};
        f->params.pool_nodes = l.pool_nodes;
        f->nodes = iforest__carve(&cursor, (size_t)l.pool_nodes * sizeof(struct sw_iforest_node));
        f->node_rows = iforest__carve(&cursor, (size_t)l.pool_nodes * sizeof(uint16_t));
        f->tree_begin = iforest__carve(&cursor, (size_t)p->n_trees * sizeof(uint32_t) * 2);
        f->tree_nodes = f->tree_begin + p->n_trees;
        f->c_table = iforest__carve(&cursor, ((size_t)p->sample_size + 1) * sizeof(double));
        f->log2_table = iforest__carve(&cursor, ((size_t)p->sample_size + 1) * sizeof(double));
        f->sample = iforest__carve(&cursor, (size_t)p->sample_size * sizeof(uint32_t));
        f->hash = iforest__carve(&cursor, (size_t)l.hash_slots * sizeof(uint32_t));
        f->hash_mask = l.hash_slots - 1;
        f->stack = iforest__carve(&cursor, (size_t)l.stack_size * sizeof(struct sw_iforest_frame));
        f->stack_size = l.stack_size;
        uint8_t d = iforest__depth_limit(p->max_depth, p->sample_size);
        if (d <= SW_IFOREST_FLAT_MAX_DEPTH) {
                size_t slots = (size_t)p->n_trees << d;
                f->flat_feature = iforest__carve(&cursor, slots * sizeof(uint8_t));
                f->flat_threshold = iforest__carve(&cursor, slots * sizeof(float));
                f->flat_leaf = iforest__carve(&cursor, slots * sizeof(uint32_t));
                f->flat_rows = iforest__carve(&cursor, 2 * slots * sizeof(uint16_t));
        }
        for (uint32_t i = 0; i <= p->sample_size; i++) {
                f->c_table[i] = sw_iforest_c((double)i);
                f->log2_table[i] = i ? log2((double)i) : 0.0;
        }
        f->threshold = NAN;
        return 0;
}

bool sw_iforest_fitted(const struct sw_iforest *f)
{
        return f && f->fitted;
}

/* Draw psi distinct row indices of n into f->sample (Floyd's algorithm). */
static void iforest__sample_rows(struct sw_iforest *f, struct sw_xoshiro *r, uint32_t n)
{
        uint32_t psi = f->psi;
        if (psi == n) {
                for (uint32_t i = 0; i < n; i++)
                        f->sample[i] = i;
                return;
        }
        memset(f->hash, 0xff, ((size_t)f->hash_mask + 1) * sizeof(uint32_t));
        uint32_t count = 0;
        for (uint32_t j = n - psi; j < n; j++) {
                uint32_t t = iforest__rng_below(r, j + 1);
                /* Insert t, or j if t is taken; j is never taken yet (all picks are < j). */
                uint32_t slot = (t * 2654435761u) & f->hash_mask;
                bool taken = false;
                while (f->hash[slot] != IFOREST_EMPTY_SLOT) {
                        if (f->hash[slot] == t) {
                                taken = true;
                                break;
                        }
                        slot = (slot + 1) & f->hash_mask;
                }
                uint32_t pick = taken ? j : t;
                if (taken) {
                        slot = (pick * 2654435761u) & f->hash_mask;
                        while (f->hash[slot] != IFOREST_EMPTY_SLOT)
                                slot = (slot + 1) & f->hash_mask;
                }
                f->hash[slot] = pick;
                f->sample[count++] = pick;
        }
}

/* A feature drawn uniformly among those not constant over rows[begin, end): drawn without
 * replacement; false when every feature is constant there. *ret_lo, *ret_hi: its range. */
static bool iforest__pick_feature(const struct sw_iforest *f, struct sw_xoshiro *r, const float *x,
                                  const struct sw_iforest_frame *fr, uint32_t *ret_feature,
                                  float *ret_lo, float *ret_hi)
{
        const uint32_t nf = f->params.n_features;
        const uint32_t *rows = f->sample;
        uint8_t candidates[SW_IFOREST_MAX_FEATURES];
        for (uint32_t k = 0; k < nf; k++)
                candidates[k] = (uint8_t)k;
        for (uint32_t k = 0; k < nf; k++) {
                uint32_t j = k + iforest__rng_below(r, nf - k);
                uint8_t c = candidates[j];
                candidates[j] = candidates[k];
                candidates[k] = c;
                float lo = x[(size_t)rows[fr->begin] * nf + c], hi = lo;
                for (uint32_t i = fr->begin + 1; i < fr->end; i++) {
                        float v = x[(size_t)rows[i] * nf + c];
                        if (v < lo)
                                lo = v;
                        if (v > hi)
                                hi = v;
                }
                if (hi > lo) {
                        *ret_feature = c;
                        *ret_lo = lo;
                        *ret_hi = hi;
                        return true;
                }
        }
        return false;
}

/* Partition rows[begin, end) on feature: x <= t first; returns where the right side starts. */
static uint32_t iforest__partition(struct sw_iforest *f, const float *x,
                                   const struct sw_iforest_frame *fr, uint32_t feature, float t)
{
        const uint32_t nf = f->params.n_features;
        uint32_t *rows = f->sample;
        uint32_t i = fr->begin, j = fr->end;
        while (i < j) {
                if (x[(size_t)rows[i] * nf + feature] <= t) {
                        i++;
                } else {
                        uint32_t tmp = rows[i];
                        rows[i] = rows[--j];
                        rows[j] = tmp;
                }
        }
        return i;
}

/* Grow tree t from f->sample; returns 0 or -ENOSPC. */
static int iforest__grow_tree(struct sw_iforest *f, struct sw_xoshiro *r, const float *x,
                              uint32_t tree)
{
        const uint32_t begin = f->n_nodes;
        uint32_t top = 0;

        f->tree_begin[tree] = begin;
        f->stack[top++] = (struct sw_iforest_frame){.begin = 0, .end = f->psi, .parent = -1};
        while (top > 0) {
                struct sw_iforest_frame fr = f->stack[--top];
                if (f->n_nodes >= f->params.pool_nodes)
                        return -ENOSPC;
                uint32_t id = f->n_nodes++;
                struct sw_iforest_node *node = &f->nodes[id];
                if (fr.parent >= 0)
                        f->nodes[fr.parent].link = (uint16_t)(id - begin);
                uint32_t count = fr.end - fr.begin;
                f->node_rows[id] = (uint16_t)count;
                *node = (struct sw_iforest_node){.link = (uint16_t)count, .flags = SW_IFOREST_LEAF};
                if (fr.depth > f->max_leaf_depth)
                        f->max_leaf_depth = (uint8_t)fr.depth;
                if (count <= 1 || fr.depth >= f->depth_limit)
                        continue;
                uint32_t feature;
                float lo, hi;
                if (!iforest__pick_feature(f, r, x, &fr, &feature, &lo, &hi))
                        continue;
                double u = sw_xoshiro_unit(r);
                float t = (float)((double)lo + u * ((double)hi - (double)lo));
                if (!(t < hi))
                        t = lo;
                /* Both sides are non-empty since lo <= t < hi. */
                uint32_t i = iforest__partition(f, x, &fr, feature, t);
                *node = (struct sw_iforest_node){
                    .threshold = t, .link = 0, .feature = (uint8_t)feature, .flags = 0};
                /* Right pushed first so that the left child is built next (id + 1). */
                f->stack[top++] = (struct sw_iforest_frame){
                    .begin = i, .end = fr.end, .parent = (int32_t)id, .depth = fr.depth + 1};
                f->stack[top++] = (struct sw_iforest_frame){
                    .begin = fr.begin, .end = i, .parent = -1, .depth = fr.depth + 1};
        }
        f->tree_nodes[tree] = f->n_nodes - begin;
        return 0;
}

/* Path length h_t(x) of row in tree t: leaf depth + c(leaf size). */
static inline double iforest__path_length(const struct sw_iforest *f, uint32_t tree,
                                          const float *row)
{
        const struct sw_iforest_node *base = f->nodes + f->tree_begin[tree];
        uint32_t i = 0;
        unsigned depth = 0;
        while (!(base[i].flags & SW_IFOREST_LEAF)) {
                i = row[base[i].feature] <= base[i].threshold ? i + 1 : base[i].link;
                depth++;
        }
        return (double)depth + f->c_table[base[i].link];
}

static double iforest__score_from_sum(const struct sw_iforest *f, double sum)
{
        return exp2(-(sum / (double)f->params.n_trees) / f->c_psi);
}

double sw_iforest_score(const struct sw_iforest *f, const float *row)
{
        if (!sw_iforest_fitted(f) || !row)
                return NAN;
        double sum = 0.0;
        for (uint32_t t = 0; t < f->params.n_trees; t++)
                sum += iforest__path_length(f, t, row);
        return iforest__score_from_sum(f, sum);
}

/* One branch-free step of a walk: a leaf stays put, a split moves to its child. */
static inline void iforest__step(const struct sw_iforest_node *base, const float *row, uint32_t *at,
                                 unsigned *depth)
{
        const struct sw_iforest_node *nd = base + *at;
        const uint32_t split = -(uint32_t) !(nd->flags & SW_IFOREST_LEAF);
        const uint32_t go_left = -(uint32_t)(row[nd->feature] <= nd->threshold);
        const uint32_t next = ((*at + 1) & go_left) | (nd->link & ~go_left);
        *at = (next & split) | (*at & ~split);
        *depth += split & 1u;
}

/* Copy the subtree at pool node `node` (depth `depth`) into complete-tree slot `slot` of a tree
 * with flat_depth levels: split slots number 0 .. 2^D - 2 (children of s at 2s + 1, 2s + 2),
 * leaves 2^D - 1 .. 2^(D+1) - 2. Below a leaf shallower than D every slot passes through to
 * copies of that leaf, whichever way a row goes. */
static void iforest__flatten_node(struct sw_iforest *f, uint32_t tree, uint32_t begin,
                                  uint32_t node, uint32_t slot, unsigned depth, uint32_t leaf)
{
        const uint32_t D = f->flat_depth, splits = (1u << D) - 1;
        const size_t at = (size_t)tree << D;
        const struct sw_iforest_node *n = &f->nodes[node];
        if (leaf == UINT32_MAX && (n->flags & SW_IFOREST_LEAF))
                leaf = (uint32_t)n->link | (uint32_t)depth << 24;
        /* A pass-through slot has its leaf's rows: moving through it isolates nothing. */
        f->flat_rows[((size_t)tree << (D + 1)) + slot] = f->node_rows[node];
        /* Depth D is that of the deepest leaf: a slot there always holds a leaf. */
        if (slot >= splits) {
                f->flat_leaf[at + slot - splits] = leaf;
                return;
        }
        if (leaf == UINT32_MAX) {
                f->flat_feature[at + slot] = n->feature;
                f->flat_threshold[at + slot] = n->threshold;
                iforest__flatten_node(f, tree, begin, node + 1, 2 * slot + 1, depth + 1,
                                      UINT32_MAX);
                iforest__flatten_node(f, tree, begin, begin + n->link, 2 * slot + 2, depth + 1,
                                      UINT32_MAX);
                return;
        }
        f->flat_feature[at + slot] = 0;
        f->flat_threshold[at + slot] = 0.0f;
        iforest__flatten_node(f, tree, begin, node, 2 * slot + 1, depth, leaf);
        iforest__flatten_node(f, tree, begin, node, 2 * slot + 2, depth, leaf);
}

/* Build the complete-tree copy of a fitted model, when it has room for one. */
static void iforest__flatten(struct sw_iforest *f)
{
        f->flat_depth = f->max_leaf_depth;
        if (!f->flat_leaf || f->flat_depth > SW_IFOREST_FLAT_MAX_DEPTH)
                return;
        for (uint32_t t = 0; t < f->params.n_trees; t++)
                iforest__flatten_node(f, t, f->tree_begin[t], f->tree_begin[t], 0, 0, UINT32_MAX);
}

/* Path lengths of four rows in complete tree t: D steps of index arithmetic each. */
static inline void iforest__flat_walk4(const struct sw_iforest *f, uint32_t t, const float *r0,
                                       uint32_t nf, double *ret)
{
        const uint32_t D = f->flat_depth, splits = (1u << D) - 1;
        const uint8_t *feat = f->flat_feature + ((size_t)t << D);
        const float *thr = f->flat_threshold + ((size_t)t << D);
        const uint32_t *leaf = f->flat_leaf + ((size_t)t << D);
        const float *r1 = r0 + nf, *r2 = r1 + nf, *r3 = r2 + nf;
        uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (uint32_t level = 0; level < D; level++) {
                /* Left when x <= threshold; a NaN goes right, as in the pool walk. */
                a0 = 2 * a0 + 2 - (r0[feat[a0]] <= thr[a0]);
                a1 = 2 * a1 + 2 - (r1[feat[a1]] <= thr[a1]);
                a2 = 2 * a2 + 2 - (r2[feat[a2]] <= thr[a2]);
                a3 = 2 * a3 + 2 - (r3[feat[a3]] <= thr[a3]);
        }
        uint32_t l0 = leaf[a0 - splits], l1 = leaf[a1 - splits], l2 = leaf[a2 - splits],
                 l3 = leaf[a3 - splits];
        ret[0] += (double)(l0 >> 24) + f->c_table[l0 & 0xffffffu];
        ret[1] += (double)(l1 >> 24) + f->c_table[l1 & 0xffffffu];
        ret[2] += (double)(l2 >> 24) + f->c_table[l2 & 0xffffffu];
        ret[3] += (double)(l3 >> 24) + f->c_table[l3 & 0xffffffu];
}

/* Twelve rows of eight features (the daemon's feature set): with the row width a constant,
 * every row is a fixed offset from one base, so twelve chains of dependent loads fit in
 * registers and overlap; the walk is bound by their latency, not by instructions (100k rows:
 * 87 ms with four chains, 59 ms with eight, 51 ms with twelve, no better with sixteen). */
#define IFOREST_STEP8(a, k) ((a) = 2 * (a) + 2 - (r0[(k)*8 + feat[a]] <= thr[a]))
static inline void iforest__flat_walk12x8(const struct sw_iforest *f, uint32_t t, const float *r0,
                                          double *ret)
{
        const uint32_t D = f->flat_depth, splits = (1u << D) - 1;
        const uint8_t *feat = f->flat_feature + ((size_t)t << D);
        const float *thr = f->flat_threshold + ((size_t)t << D);
        const uint32_t *leaf = f->flat_leaf + ((size_t)t << D);
        uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        uint32_t a8 = 0, a9 = 0, a10 = 0, a11 = 0;
        for (uint32_t level = 0; level < D; level++) {
                IFOREST_STEP8(a0, 0);
                IFOREST_STEP8(a1, 1);
                IFOREST_STEP8(a2, 2);
                IFOREST_STEP8(a3, 3);
                IFOREST_STEP8(a4, 4);
                IFOREST_STEP8(a5, 5);
                IFOREST_STEP8(a6, 6);
                IFOREST_STEP8(a7, 7);
                IFOREST_STEP8(a8, 8);
                IFOREST_STEP8(a9, 9);
                IFOREST_STEP8(a10, 10);
                IFOREST_STEP8(a11, 11);
        }
        const uint32_t at[12] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11};
        for (uint32_t k = 0; k < 12; k++) {
                uint32_t l = leaf[at[k] - splits];
                ret[k] += (double)(l >> 24) + f->c_table[l & 0xffffffu];
        }
}
#undef IFOREST_STEP8

int sw_iforest_score_many(const struct sw_iforest *f, const float *x, uint32_t n,
                          double *ret_scores)
{
        const uint32_t nf = f ? f->params.n_features : 0;
        if (!sw_iforest_fitted(f) || (n && (!x || !ret_scores)))
                return -EINVAL;
        for (uint32_t i = 0; i < n; i++)
                ret_scores[i] = 0.0;
        if (f->flat_leaf && f->flat_depth <= SW_IFOREST_FLAT_MAX_DEPTH) {
                for (uint32_t t = 0; t < f->params.n_trees; t++) {
                        uint32_t i = 0;
                        for (; nf == 8 && i + 12 <= n; i += 12)
                                iforest__flat_walk12x8(f, t, x + (size_t)i * nf, ret_scores + i);
                        for (; i + 4 <= n; i += 4)
                                iforest__flat_walk4(f, t, x + (size_t)i * nf, nf, ret_scores + i);
                        for (; i < n; i++)
                                ret_scores[i] += iforest__path_length(f, t, x + (size_t)i * nf);
                }
                for (uint32_t i = 0; i < n; i++)
                        ret_scores[i] = iforest__score_from_sum(f, ret_scores[i]);
                return 0;
        }
        /* Tree by tree (a tree stays in cache); four rows walk together, branch free, so
         * that their dependent loads overlap. Same additions in the same order as
         * sw_iforest_score, so identical results. */
        for (uint32_t t = 0; t < f->params.n_trees; t++) {
                const struct sw_iforest_node *base = f->nodes + f->tree_begin[t];
                uint32_t i = 0;
                for (; i + 4 <= n; i += 4) {
                        const float *r0 = x + (size_t)i * nf;
                        uint32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                        unsigned d0 = 0, d1 = 0, d2 = 0, d3 = 0;
                        for (unsigned level = 0; level < f->max_leaf_depth; level++) {
                                iforest__step(base, r0, &a0, &d0);
                                iforest__step(base, r0 + nf, &a1, &d1);
                                iforest__step(base, r0 + 2 * nf, &a2, &d2);
                                iforest__step(base, r0 + 3 * nf, &a3, &d3);
                        }
                        ret_scores[i] += (double)d0 + f->c_table[base[a0].link];
                        ret_scores[i + 1] += (double)d1 + f->c_table[base[a1].link];
                        ret_scores[i + 2] += (double)d2 + f->c_table[base[a2].link];
                        ret_scores[i + 3] += (double)d3 + f->c_table[base[a3].link];
                }
                for (; i < n; i++)
                        ret_scores[i] += iforest__path_length(f, t, x + (size_t)i * nf);
        }
        for (uint32_t i = 0; i < n; i++)
                ret_scores[i] = iforest__score_from_sum(f, ret_scores[i]);
        return 0;
}

/* k-th smallest of a[0..n-1] (k < n), partially reordering a (Hoare quickselect). */
static double iforest__select(double *a, size_t n, size_t k)
{
        ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
        while (lo < hi) {
                /* Median of three as pivot: an element of a[lo..hi], so the scans stop. */
                double x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi];
                double pivot =
                    x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
                ptrdiff_t i = lo, j = hi;
                while (i <= j) {
                        while (a[i] < pivot)
                                i++;
                        while (a[j] > pivot)
                                j--;
                        if (i <= j) {
                                double tmp = a[i];
                                a[i++] = a[j];
                                a[j--] = tmp;
                        }
                }
                /* Now a[lo..j] <= pivot <= a[i..hi] and a[j+1..i-1] == pivot. */
                if (kk <= j)
                        hi = j;
                else if (kk >= i)
                        lo = i;
                else
                        break;
        }
        return a[k];
}

/* numpy.percentile(a, 100 q), linear interpolation; reorders a. */
static double iforest__quantile(double *a, size_t n, double q)
{
        double pos = q * (double)(n - 1);
        size_t k = (size_t)floor(pos);
        if (k >= n - 1)
                return iforest__select(a, n, n - 1);
        double frac = pos - (double)k;
        double lo = iforest__select(a, n, k);
        /* After selection every element above k is >= a[k]: the next order statistic is their min.
         */
        double next = a[k + 1];
        for (size_t i = k + 2; i < n; i++)
                if (a[i] < next)
                        next = a[i];
        return lo + frac * (next - lo);
}

int sw_iforest_fit(struct sw_iforest *f, const float *x, uint32_t n, double *scratch)
{
        if (!f || !f->nodes || !x || !scratch || n < 2)
                return -EINVAL;
        struct sw_xoshiro r;
        sw_xoshiro_seed(&r, f->params.seed);
        f->fitted = false;
        f->n_nodes = 0;
        f->max_leaf_depth = 0;
        f->psi = (uint16_t)(n < f->params.sample_size ? n : f->params.sample_size);
        f->depth_limit = iforest__depth_limit(f->params.max_depth, f->psi);
        f->c_psi = f->c_table[f->psi];
        for (uint32_t t = 0; t < f->params.n_trees; t++) {
                iforest__sample_rows(f, &r, n);
                int err = iforest__grow_tree(f, &r, x, t);
                if (err < 0) {
                        f->n_nodes = 0;
                        return err;
                }
        }
        f->fitted = true;
        iforest__flatten(f);
        (void)sw_iforest_score_many(f, x, n, scratch);
        f->threshold = iforest__quantile(scratch, n, 1.0 - f->params.contamination);
        return 0;
}

bool sw_iforest_is_anomaly(const struct sw_iforest *f, double score)
{
        return sw_iforest_fitted(f) && score >= f->threshold;
}

double sw_iforest_threshold(const struct sw_iforest *f)
{
        return sw_iforest_fitted(f) ? f->threshold : NAN;
}

/* Trees t .. t + 3 walked together for one row through their complete trees (four
 * independent chains of loads): each tree's split shares by feature into split[j] (zeroed
 * here, nf entries) and its path length into h[j]. A pass-through slot adds
 * log2(rows) - log2(rows) = 0 to feature 0, changing nothing. */
static void iforest__flat_explain4(const struct sw_iforest *f, uint32_t t, const float *row,
                                   double split[4][SW_IFOREST_MAX_FEATURES], double h[4])
{
        const uint32_t D = f->flat_depth, splits = (1u << D) - 1, nf = f->params.n_features;
        const uint8_t *feat[4];
        const float *thr[4];
        const uint16_t *rows[4];
        uint32_t a[4] = {0, 0, 0, 0};
        double lg[4]; /* log2 of the rows at a[j]: a step's child is the next step's node */
        for (uint32_t j = 0; j < 4; j++) {
                feat[j] = f->flat_feature + ((size_t)(t + j) << D);
                thr[j] = f->flat_threshold + ((size_t)(t + j) << D);
                rows[j] = f->flat_rows + ((size_t)(t + j) << (D + 1));
                lg[j] = f->log2_table[rows[j][0]];
                for (uint32_t k = 0; k < nf; k++)
                        split[j][k] = 0.0;
        }
        for (uint32_t level = 0; level < D; level++) {
                for (uint32_t j = 0; j < 4; j++) {
                        uint32_t k = feat[j][a[j]], child = 2 * a[j] + 2 - (row[k] <= thr[j][a[j]]);
                        double lc = f->log2_table[rows[j][child]];
                        split[j][k] += lg[j] - lc;
                        lg[j] = lc;
                        a[j] = child;
                }
        }
        for (uint32_t j = 0; j < 4; j++) {
                uint32_t l = f->flat_leaf[((size_t)(t + j) << D) + a[j] - splits];
                h[j] = (double)(l >> 24) + f->c_table[l & 0xffffffu];
        }
}

double sw_iforest_contributions(const struct sw_iforest *f, const float *row, double *ret)
{
        double share[SW_IFOREST_MAX_FEATURES];
        if (!f)
                return NAN;
        const uint32_t nf = f->params.n_features;
        if (!ret)
                ret = share;
        for (uint32_t k = 0; k < nf; k++)
                ret[k] = 0.0;
        if (!sw_iforest_fitted(f) || !row)
                return NAN;
        double total = 0.0, sum = 0.0, split4[4][SW_IFOREST_MAX_FEATURES], h4[4];
        const bool flat = f->flat_leaf && f->flat_depth <= SW_IFOREST_FLAT_MAX_DEPTH;
        /* One walk a tree: each split's share of the rows it isolated (a split sends rows
         * both ways, so a share is > 0), by feature, divided by the path length once it is
         * known at the leaf. Complete trees are walked four at a time, then taken in order;
         * the pool walk takes a forest's last trees when they are not four (same path, same
         * shares). */
        for (uint32_t t = 0; t < f->params.n_trees; t++) {
                double h, *split = split4[t % 4];
                if (flat && t % 4 == 0 && t + 4 <= f->params.n_trees)
                        iforest__flat_explain4(f, t, row, split4, h4);
                if (flat && t - t % 4 + 4 <= f->params.n_trees) {
                        h = h4[t % 4];
                } else {
                        for (uint32_t k = 0; k < nf; k++)
                                split[k] = 0.0;
                        const uint32_t begin = f->tree_begin[t];
                        uint32_t i = begin;
                        unsigned depth = 0;
                        while (!(f->nodes[i].flags & SW_IFOREST_LEAF)) {
                                const struct sw_iforest_node *n = &f->nodes[i];
                                uint32_t child =
                                    row[n->feature] <= n->threshold ? i + 1 : begin + n->link;
                                split[n->feature] += f->log2_table[f->node_rows[i]] -
                                                     f->log2_table[f->node_rows[child]];
                                depth++;
                                i = child;
                        }
                        h = (double)depth + f->c_table[f->nodes[i].link];
                }
                sum += h; /* as sw_iforest_score adds them: the same score */
                if (!(h > 0.0))
                        continue;
                double per_h = 1.0 / h;
                for (uint32_t k = 0; k < nf; k++) {
                        ret[k] += split[k] * per_h;
                        total += split[k] * per_h;
                }
        }
        if (total > 0.0)
                for (uint32_t k = 0; k < nf; k++)
                        ret[k] /= total;
        return iforest__score_from_sum(f, sum);
}

/* ---- persistence ---- */

static unsigned char *iforest__put(unsigned char *p, uint64_t v, unsigned bytes)
{
        for (unsigned i = 0; i < bytes; i++)
                p[i] = (unsigned char)(v >> (8 * i));
        return p + bytes;
}

static uint64_t iforest__get(const unsigned char **p, unsigned bytes)
{
        uint64_t v = 0;
        for (unsigned i = 0; i < bytes; i++)
                v |= (uint64_t)(*p)[i] << (8 * i);
        *p += bytes;
        return v;
}

static uint64_t iforest__double_bits(double d)
{
        uint64_t v;
        memcpy(&v, &d, sizeof(v));
        return v;
}

size_t sw_iforest_serialized_size(const struct sw_iforest *f)
{
        if (!sw_iforest_fitted(f))
                return 0;
        return IFOREST_HEADER_BYTES + (size_t)f->n_nodes * IFOREST_NODE_BYTES;
}

int sw_iforest_serialize(const struct sw_iforest *f, void *buf, size_t size)
{
        if (!sw_iforest_fitted(f) || !buf)
                return -EINVAL;
        size_t need = sw_iforest_serialized_size(f);
        if (need > INT_MAX)
                return -EFBIG;
        if (size < need)
                return -ENOBUFS;
        const struct sw_iforest_params *p = &f->params;
        unsigned char *o = buf;
        memcpy(o, "SWIF", 4);
        o += 4;
        o = iforest__put(o, SW_IFOREST_FORMAT_VERSION, 2);
        o = iforest__put(o, p->n_trees, 2);
        o = iforest__put(o, p->sample_size, 2);
        o = iforest__put(o, p->max_depth, 1);
        o = iforest__put(o, p->n_features, 1);
        o = iforest__put(o, iforest__double_bits(p->contamination), 8);
        o = iforest__put(o, p->seed, 8);
        o = iforest__put(o, p->pool_nodes, 4);
        o = iforest__put(o, f->psi, 2);
        o = iforest__put(o, f->depth_limit, 1);
        o = iforest__put(o, 0, 1);
        o = iforest__put(o, iforest__double_bits(f->threshold), 8);
        o = iforest__put(o, f->n_nodes, 4);
        for (uint32_t i = 0; i < f->n_nodes; i++) {
                const struct sw_iforest_node *n = &f->nodes[i];
                uint32_t bits;
                memcpy(&bits, &n->threshold, sizeof(bits));
                o = iforest__put(o, bits, 4);
                o = iforest__put(o, n->link, 2);
                o = iforest__put(o, n->feature, 1);
                o = iforest__put(o, n->flags, 1);
        }
        return (int)need;
}

/*
 * Check the tree starting at pool index begin (at most avail nodes) is a well-formed
 * depth-first tree: each split's left child follows it and its right child starts right
 * after the left subtree, depth within the limit, features in range, leaf sizes summing
 * to psi. Returns the tree's node count or -EINVAL.
 */
static int64_t iforest__check_tree(struct sw_iforest *f, uint32_t begin, uint32_t avail)
{
        const struct sw_iforest_node *base = f->nodes + begin;
        uint32_t top = 0, cur = 0, depth = 0;
        uint64_t rows = 0;
        for (;;) {
                if (cur >= avail)
                        return -EINVAL;
                const struct sw_iforest_node *n = &base[cur];
                if (n->flags & ~SW_IFOREST_LEAF)
                        return -EINVAL;
                if (!(n->flags & SW_IFOREST_LEAF)) {
                        if (n->feature >= f->params.n_features || isnan(n->threshold) ||
                            depth >= f->depth_limit || n->link <= cur + 1 || n->link >= avail ||
                            top >= f->stack_size)
                                return -EINVAL;
                        f->stack[top++] =
                            (struct sw_iforest_frame){.begin = n->link, .depth = depth + 1};
                        cur++;
                        depth++;
                        continue;
                }
                if (n->link == 0 || n->link > f->psi || n->feature >= f->params.n_features)
                        return -EINVAL;
                if (depth > f->max_leaf_depth)
                        f->max_leaf_depth = (uint8_t)depth;
                rows += n->link;
                if (top == 0)
                        break;
                struct sw_iforest_frame fr = f->stack[--top];
                if (fr.begin != cur + 1)
                        return -EINVAL;
                cur = fr.begin;
                depth = fr.depth;
        }
        if (rows != f->psi)
                return -EINVAL;
        return (int64_t)cur + 1;
}

/* The trees' extents over nodes[0, n_nodes), each checked; 0 or -EINVAL. */
static int iforest__index_trees(struct sw_iforest *f, uint32_t n_nodes)
{
        uint32_t at = 0;
        for (uint32_t t = 0; t < f->params.n_trees; t++) {
                int64_t count = iforest__check_tree(f, at, n_nodes - at);
                if (count < 0)
                        return -EINVAL;
                f->tree_begin[t] = at;
                f->tree_nodes[t] = (uint32_t)count;
                at += (uint32_t)count;
        }
        if (at != n_nodes)
                return -EINVAL;
        /* Row counts: children follow their parent, so one backward pass per tree. */
        for (uint32_t t = 0; t < f->params.n_trees; t++) {
                uint32_t begin = f->tree_begin[t];
                for (uint32_t i = begin + f->tree_nodes[t]; i-- > begin;) {
                        const struct sw_iforest_node *n = &f->nodes[i];
                        f->node_rows[i] =
                            (n->flags & SW_IFOREST_LEAF)
                                ? n->link
                                : (uint16_t)(f->node_rows[i + 1] + f->node_rows[begin + n->link]);
                }
        }
        return 0;
}

int sw_iforest_deserialize(struct sw_iforest *f, const void *buf, size_t len)
{
        if (!f || !f->nodes || !buf)
                return -EINVAL;
        f->fitted = false;
        f->n_nodes = 0;
        if (len < IFOREST_HEADER_BYTES || memcmp(buf, "SWIF", 4) != 0)
                return -EINVAL;
        const struct sw_iforest_params *p = &f->params;
        const unsigned char *in = (const unsigned char *)buf + 4;
        if (iforest__get(&in, 2) != SW_IFOREST_FORMAT_VERSION)
                return -EINVAL;
        if (iforest__get(&in, 2) != p->n_trees || iforest__get(&in, 2) != p->sample_size ||
            iforest__get(&in, 1) != p->max_depth || iforest__get(&in, 1) != p->n_features ||
            iforest__get(&in, 8) != iforest__double_bits(p->contamination) ||
            iforest__get(&in, 8) != p->seed || iforest__get(&in, 4) != p->pool_nodes)
                return -EINVAL;
        uint64_t psi = iforest__get(&in, 2);
        uint64_t depth_limit = iforest__get(&in, 1);
        if (iforest__get(&in, 1) != 0)
                return -EINVAL;
        uint64_t threshold_bits = iforest__get(&in, 8);
        uint64_t n_nodes = iforest__get(&in, 4);
        if (psi < 2 || psi > p->sample_size ||
            depth_limit != iforest__depth_limit(p->max_depth, (uint32_t)psi) ||
            n_nodes > p->pool_nodes || len != IFOREST_HEADER_BYTES + n_nodes * IFOREST_NODE_BYTES)
                return -EINVAL;
        double threshold;
        memcpy(&threshold, &threshold_bits, sizeof(threshold));
        if (!(threshold > 0.0 && threshold < 1.0))
                return -EINVAL;
        for (uint32_t i = 0; i < n_nodes; i++) {
                struct sw_iforest_node *n = &f->nodes[i];
                uint32_t bits = (uint32_t)iforest__get(&in, 4);
                memcpy(&n->threshold, &bits, sizeof(bits));
                n->link = (uint16_t)iforest__get(&in, 2);
                n->feature = (uint8_t)iforest__get(&in, 1);
                n->flags = (uint8_t)iforest__get(&in, 1);
        }
        f->psi = (uint16_t)psi;
        f->depth_limit = (uint8_t)depth_limit;
        f->max_leaf_depth = 0;
        if (iforest__index_trees(f, (uint32_t)n_nodes) < 0)
                return -EINVAL;
        f->n_nodes = (uint32_t)n_nodes;
        f->c_psi = f->c_table[f->psi];
        f->threshold = threshold;
        f->fitted = true;
        iforest__flatten(f);
        return 0;
}
