/* One descriptor an anomaly type: every fact about a type that is not its detector. */
#ifndef SW_ANOMALY_TYPE_H
#define SW_ANOMALY_TYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/sw_types.h"

/* Which evidence an anomaly's stored detail and its payload's metadata carry. */
enum sw_evidence {
        SW_EVIDENCE_GHOST, /* the sales-run test (core/ghost.h, core/ghost_bayes.h) */
        SW_EVIDENCE_ML,    /* the Isolation Forest's features and contributions */
        SW_EVIDENCE_STOCK, /* a shelf reading against the book */
        SW_EVIDENCE_COUNT
};

/* What a finished episode's description says, from the SKU's book and shelf as they stand. */
struct sw_cleared_facts {
        int32_t on_hand;     /* the book's on-hand */
        int32_t shelf_count; /* the shelf sensors' count, -1 without sensors */
};

/* The number a clearing text shows. */
enum sw_cleared_shows {
        SW_CLEARED_SHOWS_NOTHING, /* no number */
        SW_CLEARED_SHOWS_BOOK,    /* the book's on-hand */
        SW_CLEARED_SHOWS_SHELF,   /* the shelf sensors' count */
};

/*
 * An anomaly type. Adding one is a row in core/anomaly_type.c, the enum value in
 * core/sw_types.h and its detector (docs/architecture.md lists the files).
 */
struct sw_anomaly_type_desc {
        const char *name;          /* wire name (P/anomaly "type", detect's detector name) */
        const char *code;          /* two letters in anomaly ids: {store}-{code}-{day}-{sku} */
        enum sw_action action;     /* what to do about it (ML: the cause may name another) */
        enum sw_evidence evidence; /* its detail's and its payload metadata's evidence */
        bool stock_kind;           /* stock evidence names its kind (negative book, shelf
                                      above the book) */
        bool counted;              /* a cycle count of the SKU judges its open episode */
        bool count_absolute;       /* a count's error is |adjustment| (the book wrong either
                                      way), else the shortfall (stock missing) */
        bool recovers_value;       /* a true count recovers its error's value (ROI's
                                      ghost_stock_recovered_value) */
        bool prevents_stockout;    /* acting on it prevents a stock-out (ROI's
                                      prevented_stockout_value) */
        bool summary_value;        /* its open value sums into P/summary's ghost_value */
        bool dismissal_quiets;     /* a dismissed alert keeps the SKU quiet for
                                      outcomes.dismiss_days (its evidence spans days) */
        const char *cleared_text;  /* "Cleared: ..." printf format, with at most one %d:
                                      the number cleared_shows names */
        enum sw_cleared_shows cleared_shows; /* that number */
        bool cleared_on_empty_book;          /* an empty book ends it: "book on-hand is now N" */
};

/* The descriptor of type, or NULL for an out-of-range value. */
const struct sw_anomaly_type_desc *sw_anomaly_type_desc(enum sw_anomaly_type type);

/* "Cleared: ..." for an episode of type that ended, into buf; returns snprintf's result or
 * -EINVAL for an unknown type. */
int sw_anomaly_cleared_text(enum sw_anomaly_type type, const struct sw_cleared_facts *f, char *buf,
                            size_t size);

/* The wire names joined: "a, b, c" (sep ", ") or "a, b or c" (last " or "); returns
 * snprintf's result. For help texts and error messages. */
int sw_anomaly_type_list(char *buf, size_t size, const char *sep, const char *last);

#endif
