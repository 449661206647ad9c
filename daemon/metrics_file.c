/* health's counters as a Prometheus/OpenMetrics text file for node_exporter's textfile
 * collector, rewritten atomically (a temporary file renamed in the same directory). */
#include "daemon/metrics_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/version.h"
#include "platform/clock.h"

/* One metric family: its # HELP and # TYPE lines. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one sample and no labels. */
static void single(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
        family(f, name, type, help);
        fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void messages(FILE *f, const struct sw_daemon *d)
{
        const struct sw_ingest_counters *c = &d->ingest.counters;
        family(f, "shelfwatch_messages_accepted_total", "counter",
               "Device messages applied, per kind.");
        for (int k = 0; k < SW_MSG_KIND_COUNT; k++)
                fprintf(f, "shelfwatch_messages_accepted_total{kind=\"%s\"} %" PRIu64 "\n",
                        sw_msg_kind_name((enum sw_msg_kind)k), c->accepted[k]);
        family(f, "shelfwatch_messages_duplicate_total", "counter",
               "Device messages ignored as redeliveries of an id already applied, per kind.");
        for (int k = 0; k < SW_MSG_KIND_COUNT; k++)
                fprintf(f, "shelfwatch_messages_duplicate_total{kind=\"%s\"} %" PRIu64 "\n",
                        sw_msg_kind_name((enum sw_msg_kind)k), c->duplicates[k]);
        family(f, "shelfwatch_messages_rejected_total", "counter",
               "Device messages refused, per kind and reason.");
        for (int k = 0; k < SW_MSG_KIND_COUNT; k++)
                for (int r = 0; r < SW_REJECT_REASON_COUNT; r++)
                        fprintf(f,
                                "shelfwatch_messages_rejected_total{kind=\"%s\",reason=\"%s\"} "
                                "%" PRIu64 "\n",
                                sw_msg_kind_name((enum sw_msg_kind)k),
                                sw_reject_reason_name((enum sw_reject_reason)r), c->rejected[k][r]);
        single(f, "shelfwatch_messages_unknown_topic_total", "counter",
               "Messages on topics under the store's prefix that shelfwatchd does not know.",
               d->unknown_topics);
        single(f, "shelfwatch_lines_skipped_sku_table_full_total", "counter",
               "Message lines skipped because the SKU table (limits.max_skus) is full.",
               c->lines_skipped_full);
        single(f, "shelfwatch_categories_full_total", "counter",
               "Categories not kept because limits.max_categories is reached.", c->categories_full);
        single(f, "shelfwatch_stale_items_total", "counter",
               "Items older than the history kept, ignored.", c->stale_items);
        single(f, "shelfwatch_shelves_full_total", "counter",
               "Shelf readings dropped because limits.max_shelf_skus is reached.", c->shelves_full);
        single(f, "shelfwatch_sales_saturated_total", "counter",
               "Daily sales that reached the largest value a SKU's day can hold.",
               c->sales_saturated);
}

static void commands(FILE *f, const struct sw_daemon *d)
{
        single(f, "shelfwatch_commands_run_total", "counter", "Commands run.", d->commands.run);
        single(f, "shelfwatch_command_replies_total", "counter", "Command replies sent.",
               d->commands.replies);
        family(f, "shelfwatch_commands_refused_total", "counter",
               "Command requests not run, per reason.");
        for (int r = 0; r < SW_CMD_REFUSAL_COUNT; r++)
                fprintf(f, "shelfwatch_commands_refused_total{reason=\"%s\"} %" PRIu64 "\n",
                        sw_cmd_refusal_name((enum sw_cmd_refusal)r), d->commands.refused[r]);
}

static void skus(FILE *f, const struct sw_daemon *d)
{
        const struct sw_sku_table *t = &d->skus;
        single(f, "shelfwatch_skus_tracked", "gauge", "SKUs tracked.", t->count);
        single(f, "shelfwatch_skus_capacity", "gauge",
               "SKUs that can be tracked (limits.max_skus).", t->p.max_skus);
        single(f, "shelfwatch_skus_reclaimed_total", "counter",
               "Idle SKUs whose slot was reclaimed for a new one.", t->reclaimed_total);
        single(f, "shelfwatch_categories", "gauge", "Categories known.",
               (uint64_t)(t->n_categories > 0 ? t->n_categories - 1 : 0));
        single(f, "shelfwatch_skus_with_shelf_sensors", "gauge", "SKUs with shelf-sensor state.",
               t->n_shelves);
        single(f, "shelfwatch_shelf_capacity", "gauge",
               "SKUs that can have shelf-sensor state (limits.max_shelf_skus).", t->p.max_shelves);
        single(f, "shelfwatch_fast_sellers", "gauge", "SKUs with two-byte daily sales.", t->n_fast);
        single(f, "shelfwatch_fast_seller_capacity", "gauge",
               "SKUs that can have two-byte daily sales (limits.max_fast_skus).", t->p.max_fast);
        single(f, "shelfwatch_open_anomalies", "gauge", "Open anomalies.", d->book.count);
}

static void outbox(FILE *f, struct sw_daemon *d)
{
        uint64_t rows = 0, bytes = 0;
        (void)sw_outbox_depth(&d->outbox, &rows, &bytes);
        single(f, "shelfwatch_outbox_depth", "gauge", "Messages for HQ waiting in the outbox.",
               rows);
        single(f, "shelfwatch_outbox_bytes", "gauge", "Payload bytes waiting in the outbox.",
               bytes);
        single(f, "shelfwatch_outbox_in_flight", "gauge", "Publishes to HQ awaiting PUBACK.",
               d->outbox.n_inflight);
        single(f, "shelfwatch_outbox_delivered_total", "counter", "Messages HQ acknowledged.",
               d->outbox.delivered);
        single(f, "shelfwatch_outbox_refused_total", "counter",
               "Publishes HQ refused (kept and retried).", d->outbox.refused);
        single(f, "shelfwatch_outbox_dropped_total", "counter",
               "Outbox rows dropped (over limits.outbox_max_rows, or unrenderable).",
               d->outbox.dropped);
}

static void storage(FILE *f, const struct sw_daemon *d)
{
        single(f, "shelfwatch_store_errors_total", "counter", "Failed SQLite writes.",
               d->store_errors);
        family(f, "shelfwatch_storage_state", "gauge",
               "Storage state: 1 for the current one (ok, full, error).");
        for (int s = SW_STORAGE_OK; s <= SW_STORAGE_ERROR; s++)
                fprintf(f, "shelfwatch_storage_state{state=\"%s\"} %d\n",
                        sw_storage_state_name((enum sw_storage_state)s),
                        (int)d->storage.state == s);
        single(f, "shelfwatch_storage_failures_total", "counter",
               "Failed writes of the inbox file or the database.", d->storage.failures);
}

static void pos_feed(FILE *f, const struct sw_daemon *d)
{
        const struct sw_pos_feed *p = &d->pos_feed;
        single(f, "shelfwatch_pos_feed_silent", "gauge",
               "1 while no POS message came for detectors.context.pos_silence_minutes of opening "
               "hours.",
               p->silent);
        single(f, "shelfwatch_pos_last_message_timestamp_seconds", "gauge",
               "Unix time of the last POS message accepted (0: none since start).",
               (uint64_t)(p->last_pos_at > 0 ? p->last_pos_at : 0));
        single(f, "shelfwatch_pos_silences_total", "counter", "Times the POS feed went silent.",
               p->silences);
        single(f, "shelfwatch_pos_store_shortfalls_total", "counter",
               "Days whose store-wide sales fell far below the forecast.", p->shortfalls);
}

static void brokers(FILE *f, const struct sw_daemon *d)
{
        const struct sw_mqtt *links[2] = {d->local, d->hq};
        const char *names[2] = {"local", "hq"};
        struct sw_mqtt_stats st[2];
        for (int i = 0; i < 2; i++)
                if (links[i])
                        sw_mqtt_get_stats(links[i], &st[i]);
        family(f, "shelfwatch_broker_connected", "gauge", "1 while the MQTT link is connected.");
        for (int i = 0; i < 2; i++)
                if (links[i])
                        fprintf(f, "shelfwatch_broker_connected{link=\"%s\"} %d\n", names[i],
                                sw_mqtt_connected(links[i]));
        family(f, "shelfwatch_broker_connects_total", "counter", "MQTT connections made.");
        for (int i = 0; i < 2; i++)
                if (links[i])
                        fprintf(f, "shelfwatch_broker_connects_total{link=\"%s\"} %" PRIu64 "\n",
                                names[i], (uint64_t)st[i].connects);
        family(f, "shelfwatch_broker_disconnects_total", "counter", "MQTT connections lost.");
        for (int i = 0; i < 2; i++)
                if (links[i])
                        fprintf(f, "shelfwatch_broker_disconnects_total{link=\"%s\"} %" PRIu64 "\n",
                                names[i], (uint64_t)st[i].disconnects);
        family(f, "shelfwatch_broker_connect_failures_total", "counter",
               "MQTT connection attempts that failed.");
        for (int i = 0; i < 2; i++)
                if (links[i])
                        fprintf(f,
                                "shelfwatch_broker_connect_failures_total{link=\"%s\"} %" PRIu64
                                "\n",
                                names[i], (uint64_t)st[i].connect_failures);
}

static void detectors(FILE *f, const struct sw_daemon *d)
{
        static const struct {
                enum sw_run_kind kind;
                const char *name;
        } runs[] = {
            {SW_RUN_GHOST, "ghost_stock"}, {SW_RUN_ML, "ml_detected"}, {SW_RUN_STOCK, "stock"}};
        family(f, "shelfwatch_detector_last_run_timestamp_seconds", "gauge",
               "Unix time of each detector's last run (0: none yet).");
        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                int64_t at = d->runs.last[runs[i].kind].at;
                fprintf(f,
                        "shelfwatch_detector_last_run_timestamp_seconds{detector=\"%s\"} %" PRId64
                        "\n",
                        runs[i].name, at > 0 ? at : 0);
        }
        single(f, "shelfwatch_ml_reservoir_rows", "gauge",
               "Rows in the Isolation Forest's training reservoir.",
               sw_reservoir_count(&d->ml.reservoir));
}

int sw_metrics_format(struct sw_daemon *d, FILE *f)
{
        family(f, "shelfwatch_info", "gauge", "The gateway: version, tenant and store; always 1.");
        fprintf(f, "shelfwatch_info{version=\"%s\",tenant=\"%s\",store=\"%s\"} 1\n", sw_version(),
                d->cfg.store.tenant, d->cfg.store.id);
        single(f, "shelfwatch_start_time_seconds", "gauge", "Unix time shelfwatchd started.",
               (uint64_t)d->started_at);
        messages(f, d);
        commands(f, d);
        skus(f, d);
        outbox(f, d);
        storage(f, d);
        pos_feed(f, d);
        brokers(f, d);
        detectors(f, d);
        return ferror(f) ? -EIO : 0;
}

int sw_metrics_file_write(struct sw_daemon *d, const char *path)
{
        char tmp[SW_CONFIG_PATH_SIZE + 8];
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        /* The unit's UMask=0077 would leave it unreadable to node_exporter's user. */
        (void)fchmod(fd, 0644);
        FILE *f = fdopen(fd, "w");
        if (!f) {
                int r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        int r = sw_metrics_format(d, f);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        /* No fsync: after a power loss the collector reads an older file or none, and the
         * next interval writes it again. */
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

void sw_metrics_tick(struct sw_daemon *d, uint64_t now_ms)
{
        const char *path = d->cfg.metrics.textfile_path;
        if (!path[0] || now_ms < d->next_metrics_ms)
                return;
        d->next_metrics_ms = now_ms + (uint64_t)d->cfg.metrics.interval_s * 1000u;
        int r = sw_metrics_file_write(d, path);
        if (r < 0 && !d->metrics_failing)
                sw_log_warning("Cannot write the metrics file %s: %s (logged once until it works)",
                               path, strerror(-r));
        else if (r == 0 && d->metrics_failing)
                sw_log_info("Metrics file %s written again", path);
        d->metrics_failing = r < 0;
}
