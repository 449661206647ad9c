/* health's counters as a Prometheus/OpenMetrics text file for node_exporter's textfile
 * collector (metrics.textfile_path), rewritten atomically every metrics.interval_s. */
#ifndef SW_METRICS_FILE_H
#define SW_METRICS_FILE_H

#include <stdint.h>
#include <stdio.h>

struct sw_daemon;

/* Write every metric (HELP, TYPE, samples; names shelfwatch_*, counters ending in _total) to
 * f. Returns 0 or -errno of the stream. */
int sw_metrics_format(struct sw_daemon *d, FILE *f);
/* Write them to "<path>.tmp" (mode 0644: node_exporter runs as another user) and rename it
 * over path. 0 or -errno (the temporary file is removed). */
int sw_metrics_file_write(struct sw_daemon *d, const char *path);
/* In the loop: write when due (at once after start, then every metrics.interval_s); a
 * failure is logged once until a write succeeds again. */
void sw_metrics_tick(struct sw_daemon *d, uint64_t now_ms);

#endif
