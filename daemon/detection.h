/* The detection runs wired to the daemon: each detector in its own transaction. */
#ifndef SW_DETECTION_H
#define SW_DETECTION_H

#include "daemon/detect_runs.h"
#include "platform/config.h"

struct sw_daemon;

/* Which detectors run and when, from the configuration. */
struct sw_detect_runs_params sw_detection_params(const struct sw_config *cfg);
/* Set up d->runs over the daemon's store, detectors and clock (storage must be open). */
void sw_detection_init(struct sw_daemon *d);

#endif
