/* systemd service notification (sd_notify) and the watchdog interval. */
#ifndef SW_NOTIFY_H
#define SW_NOTIFY_H

#include <stdint.h>

/* READY=1 plus a STATUS= line. Outside systemd these do nothing. */
void sw_notify_ready(const char *status);
void sw_notify_status(const char *status);
void sw_notify_stopping(void);
/* RELOADING=1 with MONOTONIC_USEC= (now); READY=1 must follow once the reload is done. */
void sw_notify_reloading(void);
void sw_notify_watchdog(void);
/* Watchdog interval in ms if systemd enabled it for us, else 0. */
uint64_t sw_notify_watchdog_interval_ms(void);

#endif
