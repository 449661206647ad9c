/* systemd service notification via sd-daemon. */
#include "platform/notify.h"

#include <stdio.h>
#include <time.h>
#include <systemd/sd-daemon.h>

void sw_notify_ready(const char *status)
{
        sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "running");
}

void sw_notify_status(const char *status)
{
        sd_notifyf(0, "STATUS=%s", status);
}

void sw_notify_stopping(void)
{
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void sw_notify_reloading(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
                   (unsigned long long)ts.tv_sec * 1000000ull +
                       (unsigned long long)ts.tv_nsec / 1000u);
}

void sw_notify_watchdog(void)
{
        sd_notify(0, "WATCHDOG=1");
}

uint64_t sw_notify_watchdog_interval_ms(void)
{
        uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) <= 0)
                return 0;
        return usec / 1000u;
}
