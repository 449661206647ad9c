/* The outcome, stats, effectiveness and roi commands (daemon/cmd_handlers.h), and P/summary. */
#ifndef SW_DAEMON_REPORTS_H
#define SW_DAEMON_REPORTS_H

#include <stdbool.h>
#include <stdint.h>

/* After a count, P/summary goes again at most this often (a stocktake's hundreds of counts make
 * one summary every few seconds, not hundreds). */
#define SW_SUMMARY_COUNT_GAP_MS 5000u

struct sw_daemon;

/* Publish the retained P/summary through the outbox when it is due: every
 * summary.interval_seconds, on the pass after a detection run (d->summary_due), and after a
 * cycle count (d->summary_after_count, rate-limited). */
void sw_daemon_summary_tick(struct sw_daemon *d, uint64_t now_ms);
/* Whether sw_daemon_summary_tick would publish now: periodic, after a run or an outcome, or a
 * count applied more than SW_SUMMARY_COUNT_GAP_MS after the last summary. */
bool sw_daemon_summary_wanted(const struct sw_daemon *d, uint64_t now_ms);

#endif
