/* One batch of messages written to PostgreSQL in one transaction, without blocking the loop. */
#ifndef HQ_WRITE_H
#define HQ_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hq/hq_collapse.h"
#include "hq/hq_counters.h"
#include "hq/hq_message.h"

/* What the commit did with one message. */
enum hq_write_outcome {
        HQ_WRITE_WRITTEN,   /* its row was inserted or replaced */
        HQ_WRITE_DUPLICATE, /* the database already held it (or a newer summary/status), or a
                               newer message of the same batch carried the same key */
        HQ_WRITE_STALE,     /* an anomaly older than the stored rev: ignored */
};

struct hq_write_result {
        enum hq_write_outcome outcome; /* see above */
        int64_t stored_rev;            /* anomaly: the rev stored after the commit; outcome: 1 */
};

/* The instance whose counters go with the batch. */
struct hq_write_instance {
        const char *client_id; /* ingest_instance key */
        int64_t started_at;    /* Unix s */
};

/* Where a batch is; the connection is in libpq pipeline mode and non-blocking throughout. */
enum hq_write_state {
        HQ_WRITE_IDLE,       /* no batch: hq_write_start() may be called */
        HQ_WRITE_ROWS,       /* BEGIN and the row statements sent, awaiting their results */
        HQ_WRITE_COMMITTING, /* the counters and COMMIT sent, awaiting them */
        HQ_WRITE_ROLLBACK,   /* a statement failed: ROLLBACK sent, awaiting it */
        HQ_WRITE_DONE,       /* finished: hq_write_finish() tells how */
};

/*
 * One batch in flight. The loop polls hq_write_fd() for hq_write_poll_events(), calls
 * hq_write_service() with the revents, and once the state is HQ_WRITE_DONE takes the outcome
 * with hq_write_finish(). Only one batch at a time per connection. The messages and results
 * arrays are the caller's and must stay put until then.
 */
struct hq_write {
        PGconn *c;                       /* the connection, in pipeline mode */
        enum hq_write_state state;       /* see above */
        struct hq_msg *const *msgs;      /* the batch, msgs[0..n) */
        size_t n;                        /* messages in the batch */
        struct hq_write_result *results; /* [n], filled from the row statements */
        struct hq_collapse plan;         /* which messages are sent, in key order */
        struct hq_write_instance inst;   /* whose counters */
        struct hq_counters *counters;    /* the caller's live counters: this batch's outcomes
                                            are added once the COMMIT succeeded */
        struct hq_counters stored;       /* the counters the COMMIT stored (valid after it) */
        struct hq_counters delta;        /* this batch's outcomes (rows, duplicates, stale) */
        int steps[8];                    /* what each statement sent in this phase is */
        int n_steps;                     /* statements sent in this phase */
        int step;                        /* the statement whose result comes next */
        bool step_done;                  /* its result was taken, its NULL terminator not yet */
        int error;                       /* first failure as -errno (hq_db_result_errno), 0 */
        char err[512];                   /* its message */
        char *text[5];                   /* parameters in flight: each kind's rows, the stores,
                                            then the counters */
        bool flush_pending;              /* libpq holds bytes the socket did not take yet */
};

/* Prepare the connection: its statements, then non-blocking pipeline mode (blocks for the
 * PREPAREs). Returns 0, or -ECONNRESET / -EIO (message in PQerrorMessage). */
int hq_write_attach(PGconn *c);

/*
 * Start writing msgs[0..n) (n == 0: the counters alone): BEGIN, each kind's rows, the stores'
 * last message time, then (once those succeeded) the counters plus this batch's outcomes and
 * COMMIT. Returns 0, -EBUSY (a batch is in flight), -ENOMEM, or -ECONNRESET (nothing sent).
 */
int hq_write_start(struct hq_write *w, PGconn *c, struct hq_msg *const *msgs, size_t n,
                   const struct hq_write_instance *inst, struct hq_counters *counters,
                   struct hq_write_result *results);

/* poll() integration: the socket and the events to wait for (0 when idle). */
int hq_write_fd(const struct hq_write *w);
short hq_write_poll_events(const struct hq_write *w);

/* Read and send what the socket allows and move the batch on. Never blocks. */
void hq_write_service(struct hq_write *w, short revents);

/*
 * After HQ_WRITE_DONE: 0 when the COMMIT succeeded (results[] filled, the caller's counters
 * updated), or hq_db_result_errno()'s -ECONNRESET / -EBADMSG (a row refused for its data) /
 * -EAGAIN (serialization failure or deadlock) / -EIO (rolled back; message in err), or
 * -ENOMEM. The writer is idle again.
 */
int hq_write_finish(struct hq_write *w, char *err, size_t errsz);

/* Service the batch until it is done or timeout_ms passed (shutdown), blocking. Then it is
 * HQ_WRITE_DONE (or still idle): on time out with -ETIMEDOUT (drop the connection). */
void hq_write_wait(struct hq_write *w, int timeout_ms);

/* Free the scratch; NULL-safe. The connection is the caller's. */
void hq_write_free(struct hq_write *w);

#endif
