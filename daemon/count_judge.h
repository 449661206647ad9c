/* Count judging: which anomalies a cycle count answers, and its verdict on each. */
#ifndef SW_COUNT_JUDGE_H
#define SW_COUNT_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/anomaly_book.h"
#include "core/outcome_metrics.h"

/* A stored anomaly as the judging needs it. */
struct sw_count_named {
        bool open;                    /* its status is open */
        enum sw_anomaly_type type;    /* its type */
        char sku[SW_SKU_MAX_LEN + 1]; /* its SKU */
};

/* The store behind the judging (the daemon's SQLite; a fake in tests). */
struct sw_count_lookup {
        /* The anomaly with this id: 0 and *ret, -ENOENT when there is none (or its type is
         * unknown), another -errno on a read error. */
        int (*anomaly)(void *ctx, const char *id, struct sw_count_named *ret);
        void *ctx; /* its first argument */
};

/* The count, as ingest applied it. */
struct sw_count_facts {
        const char *store_id;   /* for anomaly ids */
        const char *sku;        /* the counted SKU */
        uint32_t sku_index;     /* its index in the SKU table (the book's key) */
        const char *named;      /* the anomaly id the count names, NULL none */
        uint32_t items_applied; /* 0: older than the book, it proves nothing */
        int32_t book_before;    /* the book before the count */
        int32_t counted;        /* the count */
        double price;           /* the SKU's price, 0 unknown */
};

/* One anomaly the count answers, and the verdict. */
struct sw_count_target {
        char anomaly[SW_ANOMALY_ID_MAX]; /* its id */
        enum sw_anomaly_type type;       /* its type */
        struct sw_count_verdict verdict; /* what the count proves */
};

/*
 * The anomalies a count answers: the one it names when that is an open anomaly of the counted
 * SKU; else the SKU's open episodes in book of every type whose descriptor says a count judges
 * it (core/anomaly_type.c), in type order. Writes at most SW_ANOMALY_TYPE_COUNT targets; returns
 * how many, or -errno (the lookup's, or the verdict's -ERANGE).
 */
int sw_count_judge(const struct sw_outcome_params *p, const struct sw_anomaly_book *book,
                   const struct sw_count_facts *c, const struct sw_count_lookup *lookup,
                   struct sw_count_target ret[SW_ANOMALY_TYPE_COUNT]);

#endif
