/* Isolation Forest (Liu, Ting and Zhou 2008), scored as scikit-learn does, in fixed memory. */
#ifndef SW_IFOREST_H
#define SW_IFOREST_H

/* Longer than a screen (about 175 lines): the forest's memory layout (nodes, pool, flattened
 * scoring arrays) is public so that the caller sizes and places it, and each field says which
 * scikit-learn quantity it mirrors; that is the model's whole contract, kept in one place. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_IFOREST_MAX_FEATURES 32
/* Version of the serialized model (sw_iforest_serialize). */
#define SW_IFOREST_FORMAT_VERSION 1

/*
 * Method.
 *
 * Fit: each tree draws sample_size rows (psi = min(sample_size, n)) without replacement
 * (Floyd's algorithm) and grows depth first until a node holds one row, reaches the depth
 * limit (max_depth, 0 = ceil(log2(max(psi, 2))), as sklearn) or has all its rows equal.
 * A split draws its feature uniformly among the features that are not constant on the
 * node's rows (scikit-learn's RandomSplitter: constant features are redrawn, a node
 * constant on every feature is a leaf) and its threshold t uniformly in [min, max) of that
 * feature over the node's rows, rounded to float; should rounding give max, t = min
 * (as sklearn does). Rows with x[f] <= t go left, so both children are non-empty.
 *
 * Score: h(x) = depth of the leaf x reaches (root = 0) + c(size), size = training rows
 * of the tree's sample that reached that leaf; s(x) = 2^(-E[h(x)] / c(psi)), E over the
 * trees. A NaN feature value goes right at every split on it.
 *
 * Threshold: the (1 - contamination) quantile, linear interpolation as numpy.percentile,
 * of the scores of the n training rows: sklearn's offset_ is minus this value.
 *
 * Contributions (explanations), in the spirit of DIFFI (Carletti, Terzi and Susto 2020):
 * in each tree t, every split on x's path credits its feature with
 *     log2(n_node / n_child) / h_t(x),
 * n_node the training rows of the tree's sample that reached the split and n_child those
 * that reached the child x goes to. The log ratio is how much that split isolates x (the
 * credits of one tree add up to log2(psi / n_leaf), in place of DIFFI's induced imbalance
 * coefficient); 1 / h_t(x) makes trees that isolate x early count more (local DIFFI).
 * A split that isolates an extreme value in one step earns its feature log2(n_node), a
 * split that halves the rows 1. Credits are summed over trees and divided by their total
 * (sum 1). If x is in a single-leaf tree everywhere (nothing to credit), all are 0.
 * Memory: one block from the caller (sw_iforest_memory_size) holds the node pool, the
 * c(size) table and the fit scratch; fitting n rows also needs n doubles of `scratch`
 * from the caller for the training scores. Nothing is allocated after init.
 * The node pool holds pool_nodes 8-byte nodes plus a 2-byte row count per node (for the
 * contributions; not serialized, it is the sum of the leaf sizes below); by default the
 * worst case n_trees * min(2 psi - 1, 2^(depth + 1) - 1) nodes: 511,000 bytes at the
 * defaults (100 trees, psi 256, depth 8).
 */

/* Fit parameters. Set with sw_iforest_params_default, then change fields. */
struct sw_iforest_params {
        uint16_t n_trees;     /* trees, >= 1, default 100 */
        uint16_t sample_size; /* psi, >= 2, default 256 (min(psi, n) used at fit) */
        uint8_t max_depth;    /* depth limit, 0 = ceil(log2(max(psi, 2))) (default) */
        uint8_t n_features;   /* 1..SW_IFOREST_MAX_FEATURES */
        double contamination; /* (0, 0.5], default 0.05: threshold at this training quantile */
        uint64_t seed;        /* PRNG seed: same seed + same data = same model (default 0) */
        uint32_t pool_nodes;  /* node pool capacity, 0 = worst case for the params (default) */
};

/* One tree node, 8 bytes. Trees are stored depth first: a split's left child follows it. */
struct sw_iforest_node {
        float threshold; /* split: rows with x[feature] <= threshold go left; leaf: 0 */
        uint16_t link;   /* split: right child, index within the tree; leaf: training rows */
        uint8_t feature; /* split: feature index; leaf: 0 */
        uint8_t flags;   /* SW_IFOREST_LEAF for a leaf, 0 for a split */
};
#define SW_IFOREST_LEAF 0x01
/* Models whose depth limit is at most this are also held as complete trees (3.3 KiB a tree
 * at depth 8) and scored and explained by index arithmetic, without branches or child links. */
#define SW_IFOREST_FLAT_MAX_DEPTH 8

/* One entry of the depth-first work stack used by fit and deserialize. */
struct sw_iforest_frame {
        uint32_t begin; /* fit: first row (into the sample) of the node; check: right child */
        uint32_t end;   /* fit: one past the last row of the node */
        int32_t parent; /* fit: pool index of the split whose right child this is, or -1 */
        uint32_t depth; /* depth of the node (root = 0) */
};

/* A forest. Fields are private to core/iforest.c; the caller only allocates the struct. */
struct sw_iforest {
        struct sw_iforest_params params; /* as given to init (pool_nodes resolved) */
        struct sw_iforest_node *nodes;   /* node pool, params.pool_nodes entries */
        uint16_t *node_rows;             /* pool_nodes: training rows that reached each node */
        uint32_t *tree_begin;            /* n_trees: pool index of each tree's root */
        uint32_t *tree_nodes;            /* n_trees: node count of each tree */
        double *c_table;                 /* sample_size + 1: c(i), the leaf adjustment */
        double *log2_table;              /* sample_size + 1: log2(i) (log2(0) unused), for
                                            explanations */
        uint32_t *sample;                /* fit scratch: sample_size row indices */
        uint32_t *hash;                  /* fit scratch: open-addressing set for sampling */
        uint32_t hash_mask;              /* hash slots - 1 (slots a power of two >= 2 psi) */
        struct sw_iforest_frame *stack;  /* fit/check scratch: depth limit + 2 frames */
        uint8_t *flat_feature;           /* n_trees x 2^flat_depth: each tree as a complete
                                            tree for scoring (NULL when the depth limit is
                                            above SW_IFOREST_FLAT_MAX_DEPTH): split features */
        float *flat_threshold;           /* the same: split thresholds */
        uint32_t *flat_leaf;             /* n_trees x 2^flat_depth: leaf size | depth << 24 */
        uint16_t *flat_rows;             /* n_trees x 2^(flat_depth + 1): training rows that
                                            reached each slot, splits then leaves (explanations) */
        uint8_t flat_depth;              /* levels of the complete trees (max_leaf_depth) */
        uint32_t stack_size;             /* frames in stack */
        uint32_t n_nodes;                /* nodes in use after fit */
        uint16_t psi;                    /* rows per tree used by the fit */
        uint8_t depth_limit;             /* depth limit used by the fit */
        uint8_t max_leaf_depth;          /* deepest leaf of the model */
        double c_psi;                    /* c(psi), the score normaliser */
        double threshold;                /* anomaly threshold on the score */
        bool fitted;                     /* a model is loaded (fit or deserialize) */
};

/* Defaults for n_features features (not checked here; init checks). */
void sw_iforest_params_default(struct sw_iforest_params *ret, uint8_t n_features);
/* 0 when usable, -EINVAL otherwise (also when the per-tree worst case exceeds 65535 nodes). */
int sw_iforest_params_validate(const struct sw_iforest_params *p);
/* Bytes of memory init needs (node pool + tables + scratch), 0 if the params are invalid. */
size_t sw_iforest_memory_size(const struct sw_iforest_params *p);
/* Initialise f in mem (any alignment). -EINVAL bad params or NULL, -ENOBUFS size too small. */
int sw_iforest_init(struct sw_iforest *f, const struct sw_iforest_params *p, void *mem,
                    size_t size);

/*
 * Fit on n >= 2 rows of n_features floats (row-major) and set the threshold. scratch: n
 * doubles, overwritten (the training scores). Replaces any previous model; on failure
 * the forest is left unfitted. Returns 0, -EINVAL (NULL, n < 2, uninitialised) or
 * -ENOSPC (the trees need more than pool_nodes nodes).
 */
int sw_iforest_fit(struct sw_iforest *f, const float *x, uint32_t n, double *scratch);

/* Anomaly score s in (0, 1) of one row of n_features floats; NAN if not fitted. */
double sw_iforest_score(const struct sw_iforest *f, const float *row);
/*
 * Scores of n rows into ret_scores (n doubles), identical to sw_iforest_score row by row
 * but tree by tree, four rows at a time without branches (about 1.5x faster). Returns 0 or
 * -EINVAL (not fitted, NULL).
 */
int sw_iforest_score_many(const struct sw_iforest *f, const float *x, uint32_t n,
                          double *ret_scores);
/* score >= threshold on a fitted forest. */
bool sw_iforest_is_anomaly(const struct sw_iforest *f, double score);
/* The anomaly threshold on the score; NAN if not fitted. */
double sw_iforest_threshold(const struct sw_iforest *f);
/* Per-feature contributions of one row (see Method), n_features doubles summing to 1 or all 0
 * (NULL: none wanted). Returns the row's score, exactly sw_iforest_score's (the same walk),
 * NAN if not fitted. */
double sw_iforest_contributions(const struct sw_iforest *f, const float *row, double *ret);
/* Average path length of an unsuccessful BST search: c(n) = 2H(n-1) - 2(n-1)/n, c(2) = 1,
 * c(n <= 1) = 0, H(i) = ln(i) + 0.5772156649 (sklearn's _average_path_length). */
double sw_iforest_c(double n);

/*
 * Persisted model, little-endian: "SWIF", u16 version, u16 n_trees, u16 sample_size,
 * u8 max_depth, u8 n_features, f64 contamination, u64 seed, u32 pool_nodes, u16 psi,
 * u8 depth_limit, u8 0, f64 threshold, u32 n_nodes, n_nodes x (f32 threshold, u16 link,
 * u8 feature, u8 flags), trees one after the other.
 */
/* Bytes sw_iforest_serialize writes; 0 if not fitted. */
size_t sw_iforest_serialized_size(const struct sw_iforest *f);
/* Returns the length written, -EINVAL (NULL or not fitted) or -ENOBUFS. */
int sw_iforest_serialize(const struct sw_iforest *f, void *buf, size_t size);
/*
 * Load a model into a forest initialised with the same params (all fields). Returns 0,
 * or -EINVAL if malformed (every tree is checked), of another version or other params;
 * on failure the forest is left unfitted.
 */
int sw_iforest_deserialize(struct sw_iforest *f, const void *buf, size_t len);
/* A model is loaded. */
bool sw_iforest_fitted(const struct sw_iforest *f);

#endif
