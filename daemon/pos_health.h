/* The POS feed's health in the daemon: logs, P/summary and P/status when it changes. */
#ifndef SW_POS_HEALTH_H
#define SW_POS_HEALTH_H

#include "core/detect.h"

struct sw_daemon;

/* A POS message was heard. */
void sw_daemon_pos_heard(struct sw_daemon *d);
/* The minute check of its silence in opening hours. */
void sw_daemon_pos_check(struct sw_daemon *d);
/* A ghost run's store shortfall days. */
void sw_daemon_pos_note_run(struct sw_daemon *d, const struct sw_detect_summary *s);

#endif
