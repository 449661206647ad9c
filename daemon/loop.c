/* The poll() loop: one thread, rebuilt every pass; the timeout is the earliest deadline. */
#include "daemon/daemon.h"
#include "daemon/metrics_file.h"
#include "daemon/persist.h"
#include "daemon/reports.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/civil_time.h"
#include "platform/clock.h"
#include "platform/notify.h"
#include "platform/signal_fd.h"

#define STOCK_SWEEP_MS   60000u /* shelf-out / discrepancy sweep and outbox cap check */
#define FINAL_SUMMARY_MS 3000u  /* at a clean stop, wait this long for the last summary's PUBACK */

static void read_signals(struct sw_daemon *d, int fd)
{
        struct signalfd_siginfo si;
        while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        (void)sw_daemon_reload(d); /* logs its outcome */
                        continue;
                }
                sw_log_info("Received %s, stopping", strsignal((int)si.ssi_signo));
                d->stop = true;
        }
}

static uint64_t deadline_min(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

static void add_link(struct pollfd *fds, int *n, const struct sw_mqtt *m)
{
        int fd = m ? sw_mqtt_fd(m) : -1;
        fds[*n] = (struct pollfd){.fd = fd, .events = fd >= 0 ? sw_mqtt_poll_events(m) : 0};
        (*n)++;
}

static void service_link(struct sw_daemon *d, struct sw_mqtt *m, short revents, const char *name)
{
        int r;
        if (!m)
                return;
        r = sw_mqtt_service(m, revents, sw_clock_monotonic_ms());
        if (r < 0 && r != -EAGAIN && r != -ENOTCONN && r != -ECONNREFUSED &&
            sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                sw_log_debug("MQTT %s: %s", name, strerror(-r));
}

static void periodic(struct sw_daemon *d, uint64_t now_ms)
{
        int r;
        if (now_ms >= d->next_commit_ms) {
                r = sw_persist_commit(d);
                /* A full disk or an I/O error is logged once, when storage health changes. */
                if (r < 0 && d->storage.state == SW_STORAGE_OK)
                        sw_log_err("Group commit failed, will retry: %s (%s)", strerror(-r),
                                   sw_store_errmsg(d->store));
                d->next_commit_ms = now_ms + d->cfg.storage.commit_interval_ms;
        }
        if (now_ms >= d->next_stock_ms) {
                sw_daemon_pos_check(d);
                sw_detect_runs_sweep(&d->runs);
                (void)sw_outbox_trim(&d->outbox, d->cfg.limits.outbox_max_rows);
                d->next_stock_ms = now_ms + STOCK_SWEEP_MS;
        }
        sw_daemon_outbox_tick(d);
        sw_detect_runs_tick(&d->runs);
        sw_daemon_ml_tick(d, now_ms);
        sw_daemon_summary_tick(d, now_ms);
        sw_metrics_tick(d, now_ms);
        if (d->watchdog_interval_ms && now_ms >= d->next_watchdog_ms) {
                sw_notify_watchdog();
                d->next_watchdog_ms = now_ms + d->watchdog_interval_ms / 2;
        }
}

static int next_timeout_ms(const struct sw_daemon *d, uint64_t now_ms)
{
        uint64_t next = deadline_min(d->next_commit_ms, d->next_stock_ms);
        next = deadline_min(next, d->summary_due ? now_ms : d->next_summary_ms);
        next = deadline_min(next, sw_outbox_next_receipt_check_ms(&d->outbox));
        if (d->summary_after_count)
                next = deadline_min(next, d->last_summary_ms + SW_SUMMARY_COUNT_GAP_MS);
        int64_t until_run = (d->runs.next_daily - sw_clock_now()) * 1000;
        if (d->watchdog_interval_ms)
                next = deadline_min(next, d->next_watchdog_ms);
        if (d->cfg.metrics.textfile_path[0])
                next = deadline_min(next, d->next_metrics_ms);
        if (d->cfg.detectors.ml.enabled && d->ml.next_train_ms > now_ms)
                next = deadline_min(next, d->ml.next_train_ms);
        next = deadline_min(next, sw_mqtt_next_deadline_ms(d->local, now_ms));
        if (d->hq)
                next = deadline_min(next, sw_mqtt_next_deadline_ms(d->hq, now_ms));
        next = deadline_min(next, now_ms + (uint64_t)(until_run > 0 ? until_run : 0));
        return next <= now_ms ? 0 : (int)deadline_min(next - now_ms, 60000);
}

/* A clean stop: HQ gets a summary of the state as it is now (retained, so never a stale one),
 * before sw_daemon_fini's offline status. Waits up to FINAL_SUMMARY_MS for the PUBACKs; what is
 * not acknowledged by then stays in the outbox and goes at the next start. */
static void final_summary(struct sw_daemon *d)
{
        struct sw_mqtt *link = d->hq ? d->hq : d->local;
        if (!link || !sw_mqtt_connected(link))
                return;
        uint64_t now_ms = sw_clock_monotonic_ms(), until = now_ms + FINAL_SUMMARY_MS;
        d->summary_due = true;
        sw_daemon_summary_tick(d, now_ms);
        for (;;) {
                sw_daemon_outbox_pump(d);
                now_ms = sw_clock_monotonic_ms();
                if ((d->outbox.n_inflight == 0 && !d->outbox.more) || now_ms >= until ||
                    !sw_mqtt_connected(link))
                        break;
                struct pollfd fds[2];
                int n = 0;
                add_link(fds, &n, d->local);
                add_link(fds, &n, d->hq);
                if (poll(fds, (nfds_t)n, 50) < 0 && errno != EINTR)
                        break;
                service_link(d, d->local, fds[0].revents, "local");
                service_link(d, d->hq, n > 1 ? fds[1].revents : 0, "hq");
        }
}

int sw_daemon_run(struct sw_daemon *d)
{
        char status[320];
        int result = 0;
        int sfd = sw_signal_fd_open((const int[]){SIGTERM, SIGINT, SIGHUP, 0}, false);
        if (sfd < 0) {
                sw_log_err("Cannot set up signal handling: %s", strerror(-sfd));
                return sfd;
        }
        uint64_t now_ms = sw_clock_monotonic_ms();
        d->next_commit_ms = now_ms + d->cfg.storage.commit_interval_ms;
        d->next_stock_ms = now_ms + STOCK_SWEEP_MS;
        d->next_summary_ms = now_ms; /* HQ hears the state it missed while we were down */
        d->next_metrics_ms = now_ms;
        d->watchdog_interval_ms = sw_notify_watchdog_interval_ms();
        d->next_watchdog_ms = now_ms;
        snprintf(status, sizeof(status), "Serving %s: %u SKUs, %u open anomalies", d->prefix,
                 d->skus.count, d->book.count);
        sw_notify_ready(status);
        sw_log_event(SW_LOG_INFO, &(struct sw_log_fields){.event = SW_EVENT_STARTED}, "%s", status);
        /* After READY: catching up on days may take seconds at 100k SKUs (the watchdog
         * interval is far longer), and must not hold the start-up timeout. */
        if (d->watchdog_interval_ms)
                sw_notify_watchdog();
        sw_detect_runs_catch_up(&d->runs);

        while (!d->stop) {
                struct pollfd fds[3] = {{.fd = sfd, .events = POLLIN}};
                int n = 1, r;
                add_link(fds, &n, d->local);
                add_link(fds, &n, d->hq);
                now_ms = sw_clock_monotonic_ms();
                r = poll(fds, (nfds_t)n, next_timeout_ms(d, now_ms));
                if (r < 0 && errno != EINTR) {
                        result = -errno;
                        sw_log_err("poll failed: %s", strerror(errno));
                        break;
                }
                if (fds[0].revents & POLLIN)
                        read_signals(d, sfd);
                service_link(d, d->local, fds[1].revents, "local");
                service_link(d, d->hq, fds[2].revents, "hq");
                /* Before anything else: what this pass received must outlive a crash. */
                sw_durability_flush(&d->durability);
                sw_daemon_outbox_pump(d);
                periodic(d, sw_clock_monotonic_ms());
        }
        sw_notify_stopping();
        if (result == 0)
                final_summary(d);
        close(sfd);
        return result;
}
