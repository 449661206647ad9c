/* The outcome, stats, effectiveness and roi commands (daemon/cmd_handlers.h), and P/summary. */
#ifndef SW_DAEMON_REPORTS_H
#define SW_DAEMON_REPORTS_H

#include <stdint.h>

struct sw_daemon;

/* Publish the retained P/summary through the outbox when it is due: every
 * summary.interval_seconds, and on the pass after a detection run (d->summary_due). */
void sw_daemon_summary_tick(struct sw_daemon *d, uint64_t now_ms);

#endif
