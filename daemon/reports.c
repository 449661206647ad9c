/* The outcome, stats, effectiveness and roi commands, health's tuning block, and P/summary. */
#include "daemon/reports.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "core/outcome_metrics.h"
#include "daemon/cmd_handlers.h"
#include "daemon/findings.h"
#include "daemon/reply.h"
#include "daemon/outcomes.h"
#include "platform/clock.h"
#include "platform/metrics_json.h"
#include "platform/store_outcome.h"

#define TREND_BAND             0.25 /* a half of the window must differ by 25% ... */
#define TREND_MIN_CHANGE       3    /* ... and by 3 anomalies to be a trend */
#define SUMMARY_PRECISION_DAYS 30   /* the summary's precision looks back this far */

/* ---- outcome ------------------------------------------------------------------------------ */

struct outcome_job {
        struct sw_outcome_input in; /* what to record */
        char *json;                 /* the P/outcome payload recorded */
};

static int record_outcome_job(struct sw_daemon *d, void *arg)
{
        struct outcome_job *job = arg;
        return sw_daemon_record_outcome(d, &job->in, &job->json);
}

cJSON *sw_cmd_outcome(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        const struct sw_cmd_outcome_args *q = &args->outcome;
        struct outcome_job job = {0};
        job.in = (struct sw_outcome_input){.anomaly = q->anomaly,
                                           .outcome = q->kind,
                                           .action = q->action,
                                           .note = q->note,
                                           .user = q->user,
                                           .source = "command",
                                           .trust = SW_SOURCE_COMMAND,
                                           .ts = sw_clock_now()};
        int r = sw_findings_in_transaction(d, record_outcome_job, &job);
        if (r == -ENOENT)
                return sw_reply_error("anomaly: no anomaly with id '%s'", q->anomaly);
        if (r < 0) {
                free(job.json);
                return sw_reply_error("cannot record the outcome: %s", strerror(-r));
        }
        sw_daemon_outbox_pump(d);
        d->summary_due = true;
        cJSON *o = sw_reply_ok();
        cJSON_AddItemToObject(o, "outcome", cJSON_Parse(job.json));
        free(job.json);
        return o;
}

/* ---- metrics over the stored anomalies ------------------------------------------------- */

struct metrics_job {
        struct sw_daemon *d; /* for SKU categories */
        struct sw_metrics m; /* the accumulator */
        int error;           /* first fold error */
};

static int fold_row(void *ctx, const struct sw_store_metrics_row *row)
{
        struct metrics_job *job = ctx;
        struct sw_metrics_anomaly a = {.detected_at = row->detected_at};
        uint32_t index;
        if (sw_anomaly_type_parse(row->type, &a.type) < 0 ||
            sw_severity_parse(row->severity, &a.severity) < 0 ||
            sw_status_parse(row->status, &a.status) < 0)
                return 0; /* a row this build does not know: not counted */
        if (row->sku && sw_sku_table_find(&job->d->skus, row->sku, strlen(row->sku), &index) == 0)
                a.category = sw_sku_at(&job->d->skus, index)->category;
        if (row->outcome && sw_outcome_kind_parse(row->outcome, &a.outcome) == 0) {
                a.has_outcome = true;
                a.first_outcome_at = row->first_outcome_at;
                a.value_recovered = row->value_recovered;
                a.prevented_value = row->prevented_value;
        }
        int r = sw_metrics_add(&job->m, &a);
        if (r < 0 && job->error == 0)
                job->error = r;
        return 0;
}

/* Fold every anomaly detected in the last days into job->m; the caller frees *ret_mem. */
static int compute_metrics(struct sw_daemon *d, int64_t days, struct metrics_job *job,
                           void **ret_mem)
{
        uint32_t cats = d->skus.p.max_categories ? d->skus.p.max_categories : 1;
        size_t size = sw_metrics_memory_size(cats);
        int64_t now = sw_clock_now(), start = now - days * 86400;
        void *mem = calloc(1, size ? size : 1);
        int r;
        if (!mem)
                return -ENOMEM;
        *job = (struct metrics_job){.d = d};
        r = sw_metrics_init(&job->m, cats, start, now + 1, mem, size);
        if (r == 0)
                r = sw_store_walk_metrics(d->store, start, fold_row, job);
        if (r < 0) {
                free(mem);
                return r;
        }
        *ret_mem = mem;
        return 0;
}

static const char *category_name(const void *ctx, uint32_t id)
{
        return sw_sku_category_name(ctx, (uint16_t)id);
}

/* How one metrics command adds its figures to the reply. */
typedef void (*metrics_render)(cJSON *o, const struct sw_daemon *d, const struct sw_metrics *m);

/* A metrics command: the figures of its window of days, rendered into an ok reply. */
static cJSON *metrics_command(void *ctx, const union sw_cmd_args *args, metrics_render render)
{
        struct sw_daemon *d = ctx;
        struct metrics_job job;
        void *mem = NULL;
        int r = compute_metrics(d, args->window.days, &job, &mem);
        if (r < 0)
                return sw_reply_error("cannot read anomalies: %s", strerror(-r));
        cJSON *o = sw_reply_ok();
        cJSON_AddNumberToObject(o, "days", (double)args->window.days);
        render(o, d, &job.m);
        free(mem);
        return o;
}

static void render_stats(cJSON *o, const struct sw_daemon *d, const struct sw_metrics *m)
{
        cJSON *g;
        (void)d;
        cJSON_AddNumberToObject(o, "total", m->total);
        g = cJSON_AddObjectToObject(o, "by_severity");
        for (int k = 0; k < SW_SEVERITY_COUNT; k++)
                cJSON_AddNumberToObject(g, sw_severity_name((enum sw_severity)k),
                                        m->by_severity[k]);
        g = cJSON_AddObjectToObject(o, "by_type");
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++)
                cJSON_AddNumberToObject(g, sw_anomaly_type_name((enum sw_anomaly_type)k),
                                        m->by_type[k]);
        g = cJSON_AddObjectToObject(o, "by_status");
        for (int k = 0; k < SW_STATUS_COUNT; k++)
                cJSON_AddNumberToObject(g, sw_status_name((enum sw_status)k), m->by_status[k]);
        cJSON_AddStringToObject(
            o, "trend",
            sw_trend_name(sw_metrics_trend(m->earlier, m->later, TREND_BAND, TREND_MIN_CHANGE)));
        g = cJSON_AddObjectToObject(o, "trend_detail");
        cJSON_AddNumberToObject(g, "earlier", m->earlier);
        cJSON_AddNumberToObject(g, "later", m->later);
}

static void render_effectiveness(cJSON *o, const struct sw_daemon *d, const struct sw_metrics *m)
{
        sw_metrics_json_add_rates(o, m);
        sw_metrics_json_add_precision(o, m, d->skus.n_categories, category_name, &d->skus);
}

static void render_roi(cJSON *o, const struct sw_daemon *d, const struct sw_metrics *m)
{
        (void)d;
        sw_metrics_json_add_roi(o, m);
}

cJSON *sw_cmd_stats(void *ctx, const union sw_cmd_args *q)
{
        return metrics_command(ctx, q, render_stats);
}

cJSON *sw_cmd_effectiveness(void *ctx, const union sw_cmd_args *q)
{
        return metrics_command(ctx, q, render_effectiveness);
}

cJSON *sw_cmd_roi(void *ctx, const union sw_cmd_args *q)
{
        return metrics_command(ctx, q, render_roi);
}

/* ---- P/summary -------------------------------------------------------------------------- */

struct open_tally {
        uint32_t by_severity[SW_SEVERITY_COUNT]; /* open anomalies per severity */
        uint32_t by_type[SW_ANOMALY_TYPE_COUNT]; /* and per type */
        double ghost_value;                      /* money at stake in open ghost stock */
};

static int tally_open(void *ctx, const struct sw_store_anomaly *a)
{
        struct open_tally *t = ctx;
        enum sw_anomaly_type type;
        enum sw_severity sev;
        if (sw_anomaly_type_parse(a->type, &type) < 0 || sw_severity_parse(a->severity, &sev) < 0)
                return 0;
        t->by_severity[sev]++;
        t->by_type[type]++;
        if (sw_anomaly_type_desc(type)->summary_value && isfinite(a->value))
                t->ghost_value += a->value;
        return 0;
}

static void add_run(cJSON *parent, const char *name, int64_t at)
{
        sw_reply_add_time(cJSON_AddObjectToObject(parent, name), "at", at);
}

/* Store-wide conditions and the gateway's health, as P/status carries them (PROTOCOL 1.1):
 * written once, by daemon/hq_health.c. */
static void add_health(cJSON *parent, const struct sw_daemon *d)
{
        char text[2048];
        struct sw_json_out o;
        sw_json_out_init(&o, text, sizeof(text));
        sw_json_out_object_begin(&o);
        sw_hq_health_members(d, &o, true);
        sw_json_out_object_end(&o);
        if (sw_json_out_finish(&o) > 0)
                sw_reply_add_raw(parent, "health", text);
}

static char *summary_json(struct sw_daemon *d, int64_t now)
{
        struct open_tally t = {0};
        struct metrics_job job;
        void *mem = NULL;
        char ts[32], day[16];
        double precision = 0;
        int pr = -EDOM;
        if (sw_store_load_open_anomalies(d->store, tally_open, &t) < 0)
                return NULL;
        if (compute_metrics(d, SUMMARY_PRECISION_DAYS, &job, &mem) == 0) {
                pr = sw_metrics_precision(&job.m.overall, &precision);
                free(mem);
        }
        cJSON *o = cJSON_CreateObject(), *g;
        sw_rfc3339_format(now, ts, sizeof(ts));
        cJSON_AddStringToObject(o, "v", "1.1");
        cJSON_AddStringToObject(o, "ts", ts);
        cJSON_AddStringToObject(o, "tenant", d->cfg.store.tenant);
        cJSON_AddStringToObject(o, "store", d->cfg.store.id);
        g = cJSON_AddObjectToObject(o, "open");
        for (int k = SW_SEVERITY_COUNT - 1; k >= 0; k--)
                cJSON_AddNumberToObject(g, sw_severity_name((enum sw_severity)k), t.by_severity[k]);
        g = cJSON_AddObjectToObject(o, "by_type");
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++)
                cJSON_AddNumberToObject(g, sw_anomaly_type_name((enum sw_anomaly_type)k),
                                        t.by_type[k]);
        sw_reply_add_money(o, "ghost_value", t.ghost_value, d->who.money_digits);
        if (d->who.currency[0])
                cJSON_AddStringToObject(o, "currency", d->who.currency);
        sw_metrics_json_add_ratio(o, "precision", pr, precision);
        g = cJSON_AddObjectToObject(o, "last_detect");
        add_run(g, "ghost_stock", d->runs.last[SW_RUN_GHOST].at);
        if (d->runs.last[SW_RUN_GHOST].at) {
                sw_date_format(d->runs.last[SW_RUN_GHOST].as_of, day, sizeof(day));
                cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(g, "ghost_stock"), "as_of",
                                        day);
        }
        add_run(g, "ml_detected", d->runs.last[SW_RUN_ML].at);
        add_run(g, "stock", d->runs.last[SW_RUN_STOCK].at);
        add_health(o, d);
        char *json = sw_reply_print(o);
        cJSON_Delete(o);
        return json;
}

bool sw_daemon_summary_wanted(const struct sw_daemon *d, uint64_t now_ms)
{
        return d->summary_due || now_ms >= d->next_summary_ms ||
               (d->summary_after_count && now_ms >= d->last_summary_ms + SW_SUMMARY_COUNT_GAP_MS);
}

void sw_daemon_summary_tick(struct sw_daemon *d, uint64_t now_ms)
{
        char id[SW_ANOMALY_ID_MAX];
        if (!sw_daemon_summary_wanted(d, now_ms))
                return;
        d->summary_after_count = false;
        d->last_summary_ms = now_ms;
        int64_t now = sw_clock_now();
        char *json = summary_json(d, now);
        d->summary_due = false;
        d->next_summary_ms = now_ms + (uint64_t)d->cfg.summary.interval_seconds * 1000u;
        if (!json) {
                sw_log_warning("Cannot build the summary for HQ: %s", sw_store_errmsg(d->store));
                return;
        }
        snprintf(id, sizeof(id), "%s-summary-%lld", d->cfg.store.id, (long long)now);
        if (sw_outbox_add(&d->outbox, "summary", id, json, true, 0, sw_clock_now()) < 0)
                sw_log_warning("Cannot queue the summary for HQ: %s", sw_store_errmsg(d->store));
        free(json);
        sw_daemon_publish_status(d, true); /* its health, as fresh as the summary's */
}
