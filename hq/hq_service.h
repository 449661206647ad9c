/* The ingest service: MQTT shared subscription in, batched PostgreSQL commits, receipts out. */
#ifndef HQ_SERVICE_H
#define HQ_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "hq/hq_config.h"
#include "hq/hq_counters.h"
#include "hq/hq_queue.h"
#include "hq/hq_receipt_queue.h"
#include "hq/hq_write.h"
#include "platform/log.h"
#include "platform/mqtt_link.h"

/* One running instance. One thread: MQTT callbacks only parse and queue; the loop hands the
 * batch at the head of the queue to PostgreSQL without waiting for it (hq_write.c), keeps
 * reading while it commits, and publishes the receipts once it did. */
struct hq_service {
        struct hq_config cfg;             /* loaded configuration */
        struct sw_mqtt *mqtt;             /* the broker link; NULL while parked (database lost,
                                             until it took the queue: the broker keeps our
                                             session) */
        struct sw_mqtt *receipt_link;     /* a second connection that only publishes receipts:
                                             libmosquitto reads as many packets per call as
                                             the link has QoS 1 publishes in flight, so
                                             receipts on the ingest link would defeat its
                                             per-pass read bound (and the queue's) */
        PGconn *db;                       /* NULL while disconnected */
        struct hq_write writer;           /* the batch being committed on db, if any */
        uint32_t batch_n;                 /* messages in that batch (the queue's oldest) */
        uint32_t isolate;                 /* after a data error: messages still to write one
                                             at a time, to find the refused one */
        struct hq_queue queue;            /* parsed messages awaiting commit; the batch in
                                             flight stays at its head until it committed */
        struct hq_receipt_queue receipts; /* committed ids awaiting the receipt link */
        struct hq_counters counters;      /* since start */
        struct hq_counters stored;        /* as the last commit stored them */
        uint64_t counters_due_ms;         /* store changed counters (refusals) by then */
        int64_t started_at;               /* Unix s */
        uint64_t db_retry_ms;             /* monotonic time of the next connection attempt */
        uint32_t db_backoff_ms;           /* current reconnect delay */
        uint64_t next_stats_ms;           /* next counters log line */
        uint64_t next_watchdog_ms;        /* next watchdog ping; UINT64_MAX: none */
        uint64_t watchdog_interval_ms;    /* half of WatchdogSec, 0 without a watchdog */
        bool stop;                        /* SIGTERM/SIGINT received */
        bool paused;                      /* reading paused on a full queue (for the counter) */
        int signal_fd;                    /* signalfd of SIGTERM, SIGINT */
        struct hq_msg **batch;            /* [batch.max_messages] pointers into the queue */
        struct hq_write_result *results;  /* [batch.max_messages] */
        struct sw_ratelimit bad_log;      /* refused-message log lines */
        struct sw_ratelimit db_log;       /* database error log lines */
};

/* Run until SIGTERM/SIGINT: returns 0 after a clean stop, -errno on a fatal start-up error
 * (database newer than this binary, out of memory). Logs everything itself. */
int hq_service_run(const struct hq_config *cfg);

/* Internal to hq_service*.c. */
/* Start committing the batch at the head of the queue if one is due, or the counters alone
 * when they changed without a batch (refused messages). Returns true when a write started. */
bool hq_service__start_batch(struct hq_service *s, bool force, uint64_t now_ms);
/* The write finished (hq_write state DONE): receipts and pop, or keep and retry. */
void hq_service__batch_done(struct hq_service *s, uint64_t now_ms);
/* Hand waiting receipts to the receipt link, as many as its window takes. */
void hq_service__send_receipts(struct hq_service *s);
/* Drop the database connection after a failure and schedule the next attempt. */
void hq_service__db_lost(struct hq_service *s, uint64_t now_ms);
/* The MQTT message callback. */
void hq_service__on_message(void *ctx, const char *topic, const void *payload, size_t len,
                            const struct sw_mqtt_props *props);

#endif
