/* One batch of messages written to PostgreSQL in one transaction. */
#ifndef HQ_WRITE_H
#define HQ_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hq/hq_counters.h"
#include "hq/hq_message.h"

/* What the commit did with one message. */
enum hq_write_outcome {
        HQ_WRITE_WRITTEN,   /* its row was inserted or replaced */
        HQ_WRITE_DUPLICATE, /* the database already held it (or a newer summary/status) */
        HQ_WRITE_STALE,     /* an anomaly older than the stored rev: ignored */
};

struct hq_write_result {
        enum hq_write_outcome outcome; /* see above */
        int32_t stored_rev;            /* anomaly: the rev stored after the commit; outcome: 1 */
};

/* The instance whose counters go with the batch. */
struct hq_write_instance {
        const char *client_id; /* ingest_instance key */
        int64_t started_at;    /* Unix s */
};

/*
 * BEGIN, write msgs[0..n) (all kinds), refresh the stores' last_message_at, store counters
 * (updated by this batch's results) under inst, COMMIT. results[i] is filled for msgs[i], and
 * *counters updated, only after the COMMIT succeeded. Returns 0, or hq_db_result_errno()'s
 * -ECONNRESET / -EBADMSG / -EAGAIN / -EIO (rolled back; message in err), -ENOMEM.
 */
int hq_write_batch(PGconn *c, struct hq_msg *const *msgs, size_t n,
                   const struct hq_write_instance *inst, struct hq_counters *counters,
                   struct hq_write_result *results, char *err, size_t errsz);

#endif
