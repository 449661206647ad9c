/* Cycle counts: the answer on P/scanner/{device}/ack, and a count kept all or nothing. */
#ifndef SW_DAEMON_COUNTS_H
#define SW_DAEMON_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

/* Answer a count refused before it could be decoded (rate-limited, not from an allowed scanner,
 * a payload that does not decode): its id and sku are echoed when the payload shows them
 * (sw_payload_count_ids), with error. */
void sw_daemon_count_refused(struct sw_daemon *d, const char *device, size_t device_len,
                             const void *payload, size_t len, const char *error);

/* Answer a decoded count that ingest rejected (res->reason), saying what the reason means. */
void sw_daemon_count_rejected(struct sw_daemon *d, const char *device, size_t device_len,
                              const struct sw_msg *m, const struct sw_ingest_result *res);

/*
 * An applied (or duplicate) count: make it durable first (its inbox record synced, or the state
 * that holds it committed); if that fails, undo it (sw_ingest_undo_count, and its inbox record
 * cut off when kept says one was written at inbox_before) and answer "rejected": nothing of it
 * stays, and a resend is judged as new. Then record what it proves about open anomalies, sync
 * that, and answer "accepted" with the outcome.
 */
void sw_daemon_count_finish(struct sw_daemon *d, const char *device, size_t device_len,
                            const struct sw_msg *m, const struct sw_ingest_result *res, bool kept,
                            uint64_t inbox_before);

#endif
