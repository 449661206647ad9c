/* The store calendar and the detector parameters, built from the configuration in force. */
#ifndef SW_SETUP_H
#define SW_SETUP_H

struct sw_daemon;

/* (Re)build d->cal from d->cfg: time zone adapter, opening hours, holidays. */
void sw_setup_calendar(struct sw_daemon *d);
/* (Re)build the detectors' parameters from d->cfg. */
void sw_setup_detectors(struct sw_daemon *d);

#endif
