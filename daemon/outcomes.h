/* Outcomes of anomalies: from cycle counts and the outcome command, persisted and learnt from. */
#ifndef SW_DAEMON_OUTCOMES_H
#define SW_DAEMON_OUTCOMES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/outcome_metrics.h"
#include "daemon/daemon.h"

/* One outcome to record. */
struct sw_outcome_input {
        const char *anomaly;          /* anomaly id */
        enum sw_outcome_kind outcome; /* the verdict */
        const char *action;           /* what was done, NULL = none given */
        const char *note;             /* free text, NULL = none */
        const char *user;             /* who judged it, NULL = unknown */
        const char *source;           /* "scanner" or "command" */
        enum sw_outcome_source trust; /* for the tuning weight: a count with or without a user,
                                         or the command */
        const char *device;           /* scanner device, NULL otherwise */
        const char *count_id;         /* the cycle count's message id, NULL otherwise */
        int64_t ts;                   /* when, Unix s */
        bool has_count;               /* a count measured the book error */
        int32_t adjustment;           /* counted - book_before */
        double value_recovered;       /* from the count verdict */
};

/*
 * Record an outcome inside the caller's transaction: the outcome row, the anomaly's new status
 * (resolved for a true positive, dismissed for a false one), P/outcome and the republished
 * P/anomaly in the outbox, the episode closed, the tuning updated and persisted. ret_json (may
 * be NULL) receives the P/outcome payload, malloc'd. -ENOENT: no such anomaly; -errno else.
 */
int sw_daemon_record_outcome(struct sw_daemon *d, const struct sw_outcome_input *in,
                             char **ret_json);

/* What a cycle count did to anomalies, for its ack. */
struct sw_count_outcome {
        char anomaly[SW_ANOMALY_ID_MAX]; /* the anomaly judged, "" none */
        const char *outcome;             /* its outcome wire name, NULL none */
};
/*
 * Judge the anomalies a cycle count answers (the one it names, else the SKU's open ghost_stock
 * and inventory_discrepancy episodes) and record their outcomes, inside the caller's (inbox)
 * transaction so that the count and its outcomes are durable together. Returns how many were
 * recorded or -errno.
 */
int sw_daemon_count_outcomes(struct sw_daemon *d, const struct sw_msg *m,
                             const struct sw_ingest_result *res, const char *device,
                             struct sw_count_outcome *ret);

/* The same in its own transaction (not fsynced: the caller's inbox flush does that); on
 * failure everything is rolled back and the open episodes and tuning reloaded. A count replayed
 * from the inbox after a crash is judged again here: an anomaly whose outcome was committed
 * is no longer open, so nothing is recorded twice. */
int sw_daemon_count_outcomes_atomic(struct sw_daemon *d, const struct sw_msg *m,
                                    const struct sw_ingest_result *res, const char *device,
                                    struct sw_count_outcome *ret);

#endif
