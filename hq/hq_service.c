/* The ingest service: set-up, the poll() loop, and a clean stop. */
#include "hq/hq_service.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "hq/hq_db.h"
#include "platform/clock.h"
#include "platform/notify.h"
#include "platform/signal_fd.h"

#define HQ_SUB_PATTERN_SIZE 200 /* $share/{group}/{root}/+/+/{kind} */

static void on_connect(void *ctx)
{
        struct hq_service *s = ctx;
        s->counters.mqtt_connects++;
        sw_log_info("Connected to the broker %s:%u as %s", s->cfg.broker.host, s->cfg.broker.port,
                    s->cfg.broker.client_id);
}

static void log_lost(const struct hq_service *s, const char *link, const struct sw_mqtt *m,
                     int reason)
{
        if (reason == -EPROTO) /* TLS refused: retrying will not heal it; logged once a reason */
                sw_log_err("Cannot connect to the broker %s:%u (%s link): TLS handshake refused: "
                           "%s (check broker.tls: ca_file, cert_file, key_file)",
                           s->cfg.broker.host, s->cfg.broker.port, link, sw_mqtt_last_error(m));
        else
                sw_log_warning("Lost the broker %s:%u (%s link): %s", s->cfg.broker.host,
                               s->cfg.broker.port, link, strerror(-reason));
}

static void on_disconnect(void *ctx, int reason)
{
        struct hq_service *s = ctx;
        log_lost(s, "ingest", s->mqtt, reason);
}

static void on_receipt_disconnect(void *ctx, int reason)
{
        struct hq_service *s = ctx;
        log_lost(s, "receipt", s->receipt_link, reason);
}

/* Open the link: a persistent session (clean_start false, session expiry) and the four shared
 * subscriptions. The broker resends what it sent but we never acknowledged. */
static int mqtt_open(struct hq_service *s)
{
        const struct hq_config_broker *b = &s->cfg.broker;
        struct sw_mqtt_tls tls;
        struct sw_mqtt_options o;
        hq_config_link_options(b, "hq", b->client_id, &tls, &o);
        o.clean_start = false;
        o.session_expiry_s = b->session_expiry_s;
        struct sw_mqtt_callbacks cb = {.on_connect = on_connect,
                                       .on_disconnect = on_disconnect,
                                       .on_message = hq_service__on_message};
        int r = sw_mqtt_new(&o, &cb, s, &s->mqtt);
        for (int k = 0; r == 0 && k < HQ_KIND_COUNT; k++) {
                char pattern[HQ_SUB_PATTERN_SIZE];
                snprintf(pattern, sizeof(pattern), "$share/%s/%s/+/+/%s", s->cfg.topics.share_group,
                         s->cfg.topics.root, hq_kind_name((enum hq_kind)k));
                r = sw_mqtt_subscribe(s->mqtt, pattern);
        }
        return r;
}

/* The receipt link: same broker and credentials, client id <client_id>-receipts, a clean
 * session (it subscribes to nothing; a receipt lost with it is resent by the gateway's resend). */
static int receipt_link_open(struct hq_service *s)
{
        const struct hq_config_broker *b = &s->cfg.broker;
        char id[HQ_CONFIG_ID_SIZE + 16];
        struct sw_mqtt_tls tls;
        snprintf(id, sizeof(id), "%s-receipts", b->client_id);
        struct sw_mqtt_options o;
        hq_config_link_options(b, "hq-receipts", id, &tls, &o);
        struct sw_mqtt_callbacks cb = {.on_disconnect = on_receipt_disconnect};
        return sw_mqtt_new(&o, &cb, s, &s->receipt_link);
}

/* Connect (and at start-up migrate). Failures schedule a retry. */
static int db_open(struct hq_service *s, bool migrate, uint64_t now_ms)
{
        char err[512];
        int r = hq_db_connect(s->cfg.database.conninfo, s->cfg.database.statement_timeout_ms,
                              &s->db, err, sizeof(err));
        if (r == 0 && migrate) {
                r = hq_db_migrate(s->db, err, sizeof(err));
                if (r >= 0)
                        sw_log_info("Database schema version %d", r);
        }
        if (r >= 0 && hq_write_attach(s->db) < 0) {
                snprintf(err, sizeof(err), "cannot use libpq's pipeline mode: %s",
                         PQerrorMessage(s->db));
                r = -EIO;
        }
        if (r == -EPROTO) {
                sw_log_err("%s", err);
                return r;
        }
        if (r < 0) {
                if (sw_ratelimit_allow(&s->db_log, now_ms))
                        sw_log_err("%s; retrying", err);
                hq_service__db_lost(s, now_ms);
                return r;
        }
        s->counters.db_connects++;
        s->db_backoff_ms = 0;
        sw_log_info("Connected to PostgreSQL");
        return 0;
}

static void read_signals(struct hq_service *s)
{
        struct signalfd_siginfo si;
        while (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                sw_log_info("Received %s, stopping", strsignal((int)si.ssi_signo));
                s->stop = true;
        }
}

static void log_stats(struct hq_service *s)
{
        const struct hq_counters *c = &s->counters;
        uint64_t bad = 0;
        for (int k = 0; k < HQ_BAD_COUNT; k++)
                bad += c->bad[k];
        sw_log_info("Ingest: %llu anomalies, %llu outcomes, %llu summaries, %llu status; "
                    "%llu rows committed in %llu batches (%llu failed); %llu duplicates, %llu "
                    "stale revs, %llu refused; %llu receipts (%llu failed); %u queued",
                    (unsigned long long)c->messages[HQ_KIND_ANOMALY],
                    (unsigned long long)c->messages[HQ_KIND_OUTCOME],
                    (unsigned long long)c->messages[HQ_KIND_SUMMARY],
                    (unsigned long long)c->messages[HQ_KIND_STATUS],
                    (unsigned long long)c->rows_committed, (unsigned long long)c->batches,
                    (unsigned long long)c->batch_failures, (unsigned long long)c->duplicates,
                    (unsigned long long)c->stale_revs, (unsigned long long)bad,
                    (unsigned long long)c->receipts_sent, (unsigned long long)c->receipts_failed,
                    s->queue.count);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

/*
 * With PostgreSQL down, leave the broker at once (a clean DISCONNECT keeps the session: the
 * broker queues for us, within its own limits) rather than read on: a message read is PUBACKed
 * and lives only in this process's queue until it commits, so a stop or a crash while the
 * database is down would lose it. Come back once the database has taken everything queued here
 * (a connection alone does not prove it can: a batch that fails again drops it), so a database
 * that keeps failing never has the instance reading what it cannot store.
 */
static void park_or_resume_mqtt(struct hq_service *s, uint64_t now)
{
        if (s->mqtt && !s->db) {
                if (sw_ratelimit_allow(&s->db_log, now))
                        sw_log_warning("PostgreSQL is down: leaving the broker until it is back "
                                       "(the broker keeps this session; %u messages are queued "
                                       "here)",
                                       s->queue.count);
                s->mqtt = sw_mqtt_free(s->mqtt);
        } else if (!s->mqtt && s->db && s->queue.count == 0 && s->writer.state == HQ_WRITE_IDLE &&
                   !s->stop && sw_mqtt_connected(s->receipt_link)) {
                int r = mqtt_open(s);
                if (r < 0)
                        sw_log_err("Cannot set up the MQTT link: %s", strerror(-r));
        }
}

/* The database's socket while no batch is in flight (revents from poll): readable may mean
 * PostgreSQL closed the connection (a shutdown, a crash, a terminated backend), or only a notice.
 * A loss noticed here parks the ingest link before it reads messages that could not commit. */
static void watch_idle_db(struct hq_service *s, short revents, uint64_t now)
{
        if (!(revents & (POLLIN | POLLERR | POLLHUP)))
                return;
        if (PQconsumeInput(s->db) && PQstatus(s->db) == CONNECTION_OK)
                return;
        if (sw_ratelimit_allow(&s->db_log, now))
                sw_log_err("Lost the connection to PostgreSQL: %s", PQerrorMessage(s->db));
        hq_service__db_lost(s, now);
        park_or_resume_mqtt(s, now);
}

static void pass_work(struct hq_service *s, uint64_t now)
{
        if (!s->db && now >= s->db_retry_ms)
                (void)db_open(s, false, now);
        (void)hq_service__start_batch(s, false, now);
        hq_service__send_receipts(s);
        park_or_resume_mqtt(s, now);
        if (s->cfg.log.stats_interval_s && now >= s->next_stats_ms) {
                log_stats(s);
                s->next_stats_ms = now + s->cfg.log.stats_interval_s * 1000ull;
        }
        if (now >= s->next_watchdog_ms) {
                sw_notify_watchdog();
                s->next_watchdog_ms = now + s->watchdog_interval_ms;
        }
}

static int pass_timeout(const struct hq_service *s, uint64_t now)
{
        uint64_t t = earliest(s->next_stats_ms, s->next_watchdog_ms);
        if (!s->cfg.log.stats_interval_s)
                t = s->next_watchdog_ms;
        if (s->mqtt)
                t = earliest(t, sw_mqtt_next_deadline_ms(s->mqtt, now));
        t = earliest(t, sw_mqtt_next_deadline_ms(s->receipt_link, now));
        if (s->db && s->writer.state == HQ_WRITE_IDLE)
                t = earliest(t, hq_queue_deadline_ms(&s->queue, s->cfg.batch.max_latency_ms));
        if (s->db && s->counters_due_ms)
                t = earliest(t, s->counters_due_ms);
        else if (!s->db) /* (connected, db_retry_ms is in the past: it spun the loop) */
                t = earliest(t, s->db_retry_ms);
        if (t <= now)
                return 0;
        return t - now > 1000 ? 1000 : (int)(t - now);
}

static void pass_poll(struct hq_service *s, uint64_t now)
{
        struct pollfd p[4] = {
            {.fd = s->signal_fd, .events = POLLIN}, {.fd = -1}, {.fd = -1}, {.fd = -1}};
        bool reading = hq_queue_accepting(&s->queue) && !s->stop;
        if (!reading && !s->paused)
                s->counters.read_pauses++;
        s->paused = !reading;
        if (s->mqtt && sw_mqtt_fd(s->mqtt) >= 0) {
                p[1].fd = sw_mqtt_fd(s->mqtt);
                p[1].events = sw_mqtt_poll_events(s->mqtt);
                if (!reading)
                        p[1].events &= (short)~POLLIN;
        }
        if (sw_mqtt_fd(s->receipt_link) >= 0) {
                p[2].fd = sw_mqtt_fd(s->receipt_link);
                p[2].events = sw_mqtt_poll_events(s->receipt_link);
        }
        p[3].fd = hq_write_fd(&s->writer);
        p[3].events = hq_write_poll_events(&s->writer);
        bool idle_db = p[3].fd < 0 && s->db && s->writer.state == HQ_WRITE_IDLE;
        if (idle_db) {
                p[3].fd = PQsocket(s->db);
                p[3].events = POLLIN;
        }
        if (poll(p, 4, pass_timeout(s, now)) < 0 && errno != EINTR)
                sw_log_err("poll: %s", strerror(errno));
        if (p[0].revents & POLLIN)
                read_signals(s);
        if (idle_db) /* first: a lost idle connection parks the link before this pass reads */
                watch_idle_db(s, p[3].revents, sw_clock_monotonic_ms());
        else
                hq_write_service(&s->writer, p[3].revents);
        if (s->mqtt)
                (void)sw_mqtt_service(s->mqtt,
                                      reading ? p[1].revents : (short)(p[1].revents & ~POLLIN),
                                      sw_clock_monotonic_ms());
        (void)sw_mqtt_service(s->receipt_link, p[2].revents, sw_clock_monotonic_ms());
        if (s->writer.state == HQ_WRITE_DONE)
                hq_service__batch_done(s, sw_clock_monotonic_ms());
}

static int service_init(struct hq_service *s, const struct hq_config *cfg)
{
        uint32_t b = cfg->batch.max_messages;
        *s = (struct hq_service){.cfg = *cfg,
                                 .signal_fd = -1,
                                 .next_watchdog_ms = UINT64_MAX,
                                 .started_at = sw_clock_now()};
        s->bad_log = (struct sw_ratelimit){.interval_ms = 1000, .burst = 10, .tokens = 10};
        s->db_log = (struct sw_ratelimit){.interval_ms = 10000, .burst = 3, .tokens = 3};
        int r =
            hq_queue_init(&s->queue, cfg->limits.queue_messages,
                          (size_t)cfg->limits.queue_kib * 1024u, cfg->broker.max_reads_per_pass);
        if (r < 0)
                return r;
        r = hq_receipt_queue_init(&s->receipts, cfg->limits.queue_messages);
        if (r < 0)
                return r;
        s->batch = calloc(b, sizeof(*s->batch));
        s->results = calloc(b, sizeof(*s->results));
        if (!s->batch || !s->results)
                return -ENOMEM;
        s->signal_fd = sw_signal_fd_open((const int[]){SIGTERM, SIGINT, 0}, false);
        if (s->signal_fd < 0)
                return s->signal_fd;
        s->watchdog_interval_ms = sw_notify_watchdog_interval_ms() / 2;
        if (s->watchdog_interval_ms)
                s->next_watchdog_ms = 0;
        return 0;
}

static void service_free(struct hq_service *s)
{
        s->mqtt = sw_mqtt_free(s->mqtt);
        s->receipt_link = sw_mqtt_free(s->receipt_link);
        PQfinish(s->db);
        s->db = NULL;
        hq_queue_free(&s->queue);
        hq_receipt_queue_free(&s->receipts);
        hq_write_free(&s->writer);
        free(s->batch);
        free(s->results);
        if (s->signal_fd >= 0)
                close(s->signal_fd);
}

/* Start-up: the database must be reachable and its schema ours before we take messages. */
static int wait_for_database(struct hq_service *s)
{
        while (!s->stop) {
                uint64_t now = sw_clock_monotonic_ms();
                if (now >= s->db_retry_ms) {
                        int r = db_open(s, true, now);
                        if (r == 0 || r == -EPROTO)
                                return r;
                }
                struct pollfd p = {.fd = s->signal_fd, .events = POLLIN};
                uint64_t wait = s->db_retry_ms > now ? s->db_retry_ms - now : 0;
                if (poll(&p, 1, wait > 1000 ? 1000 : (int)wait) > 0)
                        read_signals(s);
                if (now >= s->next_watchdog_ms) {
                        sw_notify_watchdog();
                        s->next_watchdog_ms = now + s->watchdog_interval_ms;
                }
        }
        return -ECANCELED;
}

/* Stop: commit what is queued (while the database lets us), let receipts reach the broker. */
static void drain_and_stop(struct hq_service *s)
{
        uint64_t until;
        struct sw_mqtt_stats st = {0};
        sw_notify_stopping();
        s->mqtt = sw_mqtt_free(s->mqtt); /* read no more: the session keeps the rest */
        while (s->db && (s->writer.state != HQ_WRITE_IDLE || s->queue.count > 0)) {
                uint64_t now = sw_clock_monotonic_ms();
                if (s->writer.state == HQ_WRITE_IDLE && !hq_service__start_batch(s, true, now))
                        break;
                hq_write_wait(&s->writer, (int)s->cfg.database.statement_timeout_ms + 1000);
                if (s->writer.state == HQ_WRITE_DONE)
                        hq_service__batch_done(s, sw_clock_monotonic_ms());
        }
        if (s->queue.count > 0)
                sw_log_warning("Stopping with %u messages not committed: v1.1 gateways resend "
                               "their anomalies and outcomes (no receipt); their summaries and "
                               "statuses, and v1 gateways' messages, are lost to HQ",
                               s->queue.count);
        until = sw_clock_monotonic_ms() + 2000;
        while (s->receipt_link && sw_mqtt_connected(s->receipt_link) &&
               sw_clock_monotonic_ms() < until) {
                hq_service__send_receipts(s);
                sw_mqtt_get_stats(s->receipt_link, &st);
                if (st.unacked == 0 && s->receipts.count == 0)
                        break;
                struct pollfd p = {.fd = sw_mqtt_fd(s->receipt_link),
                                   .events = sw_mqtt_poll_events(s->receipt_link)};
                (void)poll(&p, 1, 50);
                (void)sw_mqtt_service(s->receipt_link, p.revents, sw_clock_monotonic_ms());
        }
        if (s->receipts.count > 0)
                sw_log_warning("Stopping with %zu receipt ids not sent: their gateways resend the "
                               "rows, which are receipted then",
                               s->receipts.count);
        log_stats(s);
}

int hq_service_run(const struct hq_config *cfg)
{
        struct hq_service *s = malloc(sizeof(*s));
        int r = s ? service_init(s, cfg) : -ENOMEM;
        if (r < 0) {
                sw_log_err("Cannot start: %s", strerror(-r));
                goto out;
        }
        sw_log_info("shelfwatch-hq %s starting: %s:%u, share group %s, root %s", SW_VERSION,
                    cfg->broker.host, cfg->broker.port, cfg->topics.share_group, cfg->topics.root);
        r = wait_for_database(s);
        if (r == 0) /* the ingest link opens once this one is up (park_or_resume_mqtt) */
                r = receipt_link_open(s);
        if (r < 0) {
                if (r != -ECANCELED)
                        sw_log_err("Cannot start: %s", strerror(-r));
                r = r == -ECANCELED ? 0 : r;
                goto out;
        }
        sw_notify_ready("ingesting");
        while (!s->stop) {
                pass_work(s, sw_clock_monotonic_ms());
                pass_poll(s, sw_clock_monotonic_ms());
        }
        drain_and_stop(s);
out:
        if (s)
                service_free(s);
        free(s);
        return r;
}
