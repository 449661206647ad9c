/* The outcome, stats, effectiveness and roi commands, health's tuning block, and P/summary. */
#ifndef SW_DAEMON_REPORTS_H
#define SW_DAEMON_REPORTS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "daemon/daemon.h"

/* Each returns the reply object ({"ok":true,...} or {"ok":false,"error"}); the caller sends
 * and frees it. */
cJSON *sw_report_outcome(struct sw_daemon *d, const struct sw_cmd_request *q);
cJSON *sw_report_stats(struct sw_daemon *d, const struct sw_cmd_request *q);
cJSON *sw_report_effectiveness(struct sw_daemon *d, const struct sw_cmd_request *q);
cJSON *sw_report_roi(struct sw_daemon *d, const struct sw_cmd_request *q);
/* The learnt evidence scales, for health. */
void sw_report_add_tuning(struct sw_daemon *d, cJSON *parent);

/* Publish the retained P/summary through the outbox when it is due: every
 * summary.interval_seconds, and on the pass after a detection run (d->summary_due). */
void sw_daemon_summary_tick(struct sw_daemon *d, uint64_t now_ms);

#endif
