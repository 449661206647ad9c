/* Findings: anomalies written with their outbox rows, in one transaction with the episode book. */
#ifndef SW_FINDINGS_H
#define SW_FINDINGS_H

#include "core/detect.h"

struct sw_daemon;

/* Persist one finding (a sw_finding_fn): the anomaly row and its outbox row; a new episode a
 * person already judged is SW_FINDING_SUPPRESSED. The caller holds the transaction. */
int sw_findings_record(void *daemon, const struct sw_finding *f);
/* Run fn inside one durable transaction (after a group commit); on failure roll back and
 * reload the open-episode book and the learnt scales so memory and disk agree. Returns 0 or
 * fn's (or the store's) -errno. */
int sw_findings_in_transaction(struct sw_daemon *d, int (*fn)(struct sw_daemon *d, void *arg),
                               void *arg);
/* Load the open episodes into the (empty) book; 0 or -errno. */
int sw_findings_load_open(struct sw_daemon *d);
/* Reload the open-episode book and the learnt scales from the database (after a rollback). */
void sw_findings_reload(struct sw_daemon *d);

#endif
