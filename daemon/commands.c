/* Request/response commands on P/cmd/{name}: each reply is {"ok":true,...} or {"ok":false,"error"}. */
#include "daemon/commands.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/command_gate.h"
#include "daemon/anomaly_json.h"
#include "daemon/reports.h"
#include "daemon/version.h"
#include "platform/clock.h"

struct reply_route {
        const char *topic; /* where the reply goes */
        const void *corr;  /* correlation data (v5) or corr string (3.1.1) */
        size_t corr_len;   /* its length */
        bool v5;           /* correlation goes as a property rather than in the payload */
};

static void send_reply(struct sw_daemon *d, const struct reply_route *rt, cJSON *reply)
{
        char *json;
        if (!rt->topic) {
                cJSON_Delete(reply);
                return;
        }
        if (!rt->v5 && rt->corr)
                cJSON_AddStringToObject(reply, "corr", rt->corr);
        json = cJSON_PrintUnformatted(reply);
        cJSON_Delete(reply);
        if (!json)
                return;
        struct sw_mqtt_props props = {.corr = rt->v5 ? rt->corr : NULL, .corr_len = rt->v5 ? rt->corr_len : 0};
        /* QoS 0: see ack_count; the requester asks again if a reply is lost. */
        int r = sw_mqtt_publish(d->local, rt->topic, json, strlen(json), 0, false, rt->v5 ? &props : NULL, NULL);
        if (r < 0)
                sw_log_warning("Cannot send reply to %s: %s", rt->topic, strerror(-r));
        d->replies++;
        free(json);
}

cJSON *sw_cmd_error_reply(const char *fmt, const char *arg)
{
        char msg[384];
        cJSON *o = cJSON_CreateObject();
        snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
        cJSON_AddBoolToObject(o, "ok", false);
        cJSON_AddStringToObject(o, "error", msg);
        return o;
}

cJSON *sw_cmd_ok_reply(void)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", true);
        return o;
}

void sw_cmd_add_summary(cJSON *parent, const char *name, const struct sw_detect_summary *s)
{
        cJSON *o = cJSON_AddObjectToObject(parent, name);
        cJSON_AddNumberToObject(o, "evaluated", s->evaluated);
        cJSON_AddNumberToObject(o, "opened", s->opened);
        cJSON_AddNumberToObject(o, "updated", s->updated);
        cJSON_AddNumberToObject(o, "cleared", s->cleared);
        if (s->book_full)
                cJSON_AddNumberToObject(o, "dropped_book_full", s->book_full);
        if (s->suppressed)
                cJSON_AddNumberToObject(o, "suppressed", s->suppressed);
        if (s->deferred)
                cJSON_AddNumberToObject(o, "deferred", s->deferred);
        if (s->store_shortfall_days || s->category_shortfall_days) {
                char day[16];
                cJSON_AddNumberToObject(o, "store_shortfall_days", s->store_shortfall_days);
                cJSON_AddNumberToObject(o, "category_shortfall_days", s->category_shortfall_days);
                if (s->newest_store_shortfall != SW_DAY_NONE) {
                        sw_date_format(s->newest_store_shortfall, day, sizeof(day));
                        cJSON_AddStringToObject(o, "newest_store_shortfall", day);
                }
        }
}

static bool wants(const struct sw_cmd_request *q, const char *name)
{
        if (q->n_detectors == 0)
                return true;
        for (uint32_t i = 0; i < q->n_detectors; i++)
                if (strcmp(q->detectors[i], name) == 0)
                        return true;
        return false;
}

/* The day detectors of a detect request into reply; on failure reply is freed and an error
 * reply returned. */
static cJSON *detect_days(struct sw_daemon *d, const struct sw_cmd_request *q, sw_day_t as_of,
                          cJSON *reply)
{
        cJSON *det = cJSON_GetObjectItem(reply, "detectors");
        struct sw_detect_summary sum;
        int r;
        if (wants(q, "ghost_stock") && d->cfg.detectors.ghost.enabled) {
                r = sw_daemon_detect_ghost(d, as_of, &sum);
                if (r < 0) {
                        cJSON_Delete(reply);
                        return sw_cmd_error_reply("ghost_stock detection failed: %s", strerror(-r));
                }
                sw_cmd_add_summary(det, "ghost_stock", &sum);
        }
        if (wants(q, "ml_detected") && d->cfg.detectors.ml.enabled) {
                r = sw_daemon_detect_ml(d, as_of, &sum);
                if (r < 0) {
                        cJSON_Delete(reply);
                        return sw_cmd_error_reply("ml_detected detection failed: %s", strerror(-r));
                }
                sw_cmd_add_summary(det, "ml_detected", &sum);
                cJSON_AddNumberToObject(cJSON_GetObjectItem(det, "ml_detected"),
                                        "above_threshold_under_sigma", sum.quiet);
                if (d->cfg.detectors.ml.features == SW_FEATURES_SCALED)
                        cJSON_AddNumberToObject(cJSON_GetObjectItem(det, "ml_detected"),
                                                "unexplained", sum.unexplained);
        }
        return reply;
}

/* The stock checks of a detect request and the count of open episodes into reply; on
 * failure reply is freed and an error reply returned. */
static cJSON *detect_stock(struct sw_daemon *d, const struct sw_cmd_request *q, cJSON *reply)
{
        cJSON *det = cJSON_GetObjectItem(reply, "detectors");
        struct sw_detect_summary sum;
        int r;
        if (wants(q, "shelf_out") || wants(q, "inventory_discrepancy")) {
                r = sw_daemon_detect_stock(d, &sum);
                if (r < 0) {
                        cJSON_Delete(reply);
                        return sw_cmd_error_reply("stock checks failed: %s", strerror(-r));
                }
                sw_cmd_add_summary(det, "stock", &sum);
        }
        cJSON_AddNumberToObject(reply, "open", d->book.count);
        return reply;
}

static cJSON *cmd_detect(struct sw_daemon *d, const struct sw_cmd_request *q)
{
        sw_day_t as_of = sw_daemon_today(d);
        char day[16];
        cJSON *reply, *days;

        if (q->as_of && sw_date_parse(q->as_of, strlen(q->as_of), &as_of) < 0)
                return sw_cmd_error_reply("as_of: must be a date YYYY-MM-DD (got '%s')", q->as_of);
        for (uint32_t i = 0; i < q->n_detectors; i++)
                if (strcmp(q->detectors[i], "ghost_stock") && strcmp(q->detectors[i], "shelf_out") &&
                    strcmp(q->detectors[i], "inventory_discrepancy") && strcmp(q->detectors[i], "ml_detected"))
                        return sw_cmd_error_reply("detectors: unknown detector '%s' (ghost_stock, ml_detected, "
                                           "shelf_out, inventory_discrepancy)", q->detectors[i]);
        sw_daemon_note_as_of(d, as_of);
        reply = sw_cmd_ok_reply();
        sw_date_format(as_of, day, sizeof(day));
        cJSON_AddStringToObject(reply, "as_of", day);
        cJSON_AddObjectToObject(reply, "detectors");
        /* Ghost stock and the ML detector read the same store context: built once. */
        sw_detect_day_begin(&d->detector, as_of);
        days = detect_days(d, q, as_of, reply);
        sw_detect_day_end(&d->detector);
        return days == reply ? detect_stock(d, q, reply) : days;
}

struct list_ctx {
        const struct sw_daemon *d; /* for tenant and store */
        cJSON *array;              /* rows go here */
};

static int add_anomaly_row(void *ctx, const struct sw_store_anomaly *a)
{
        struct list_ctx *l = ctx;
        char *json = NULL;
        int r = sw_anomaly_json_of_row(a, l->d->cfg.store.tenant, l->d->cfg.store.id, &json);
        if (r < 0)
                return r;
        cJSON *row = cJSON_Parse(json);
        free(json);
        if (!row)
                return -ENOMEM;
        /* A row from before schema 5 keeps the payload last published; its status column is
         * authoritative (the same value since outcomes rewrite both). */
        cJSON_ReplaceItemInObjectCaseSensitive(row, "status", cJSON_CreateString(a->status));
        cJSON_AddItemToArray(l->array, row);
        return 0;
}

static cJSON *cmd_anomalies(struct sw_daemon *d, const struct sw_cmd_request *q)
{
        enum sw_anomaly_type t;
        enum sw_severity s;
        enum sw_status st;
        if (q->type && sw_anomaly_type_parse(q->type, &t) < 0)
                return sw_cmd_error_reply("type: unknown anomaly type '%s'", q->type);
        if (q->severity && sw_severity_parse(q->severity, &s) < 0)
                return sw_cmd_error_reply("severity: must be info, warning or critical (got '%s')", q->severity);
        if (q->status && sw_status_parse(q->status, &st) < 0)
                return sw_cmd_error_reply("status: must be open, resolved, dismissed or cleared (got '%s')", q->status);
        struct sw_store_anomaly_filter f = {.type = q->type, .severity = q->severity, .status = q->status,
                                            .sku = q->sku, .limit = q->has_limit ? (uint32_t)q->limit : 100,
                                            .since = q->has_days ? sw_clock_now() - q->days * 86400 : 0};
        cJSON *o = sw_cmd_ok_reply();
        struct list_ctx l = {.d = d, .array = cJSON_AddArrayToObject(o, "anomalies")};
        int r = sw_store_list_anomalies(d->store, &f, add_anomaly_row, &l);
        if (r < 0) {
                cJSON_Delete(o);
                return sw_cmd_error_reply("cannot read anomalies: %s", strerror(-r));
        }
        cJSON_AddNumberToObject(o, "count", r);
        return o;
}

static int cmp_priority(const void *a, const void *b)
{
        const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
        double px = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "priority"));
        double py = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(y, "priority"));
        return px < py ? 1 : px > py ? -1 : 0;
}

/* Cycle-count recommendations: open ghost-stock anomalies by probability x value. */
static cJSON *cmd_ghost_stock(struct sw_daemon *d, const struct sw_cmd_request *q)
{
        struct sw_store_anomaly_filter f = {.type = "ghost_stock", .status = "open"};
        cJSON *all = cJSON_CreateArray(), *o, *out, *it;
        struct list_ctx l = {.d = d, .array = all};
        uint32_t limit = q->has_limit ? (uint32_t)q->limit : 50, n, k = 0;
        cJSON **rows;
        int r = sw_store_list_anomalies(d->store, &f, add_anomaly_row, &l);
        if (r < 0) {
                cJSON_Delete(all);
                return sw_cmd_error_reply("cannot read anomalies: %s", strerror(-r));
        }
        n = (uint32_t)cJSON_GetArraySize(all);
        rows = calloc(n ? n : 1, sizeof(*rows));
        if (!rows) {
                cJSON_Delete(all);
                return sw_cmd_error_reply("%sout of memory", "");
        }
        cJSON_ArrayForEach(it, all)
        {
                double p = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "probability"));
                double v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(it, "value"));
                cJSON_AddNumberToObject(it, "priority", p * v);
                rows[k++] = it;
        }
        qsort(rows, n, sizeof(*rows), cmp_priority);
        o = sw_cmd_ok_reply();
        out = cJSON_AddArrayToObject(o, "recommendations");
        for (k = 0; k < n && k < limit; k++) {
                cJSON *rec = cJSON_CreateObject();
                static const char *const keep[] = {"id", "sku", "category", "probability", "value", "priority",
                                                   "severity", "as_of", "description", "action"};
                for (size_t j = 0; j < sizeof(keep) / sizeof(keep[0]); j++) {
                        cJSON *v = cJSON_GetObjectItemCaseSensitive(rows[k], keep[j]);
                        if (v)
                                cJSON_AddItemToObject(rec, keep[j], cJSON_Duplicate(v, true));
                }
                cJSON_AddNumberToObject(rec, "rank", k + 1);
                cJSON_AddItemToArray(out, rec);
        }
        cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(out));
        free(rows);
        cJSON_Delete(all);
        return o;
}

/* Diagnostics for the ML benchmark and for operators: each SKU's feature vector as of a day
 * (and its score under the current model). */
static cJSON *cmd_ml_features(struct sw_daemon *d, const struct sw_cmd_request *q)
{
        sw_day_t as_of = sw_daemon_today(d);
        uint32_t limit = q->has_limit ? (uint32_t)q->limit : 100000, n = 0;
        float x[SW_FEAT_COUNT];
        char day[16];
        if (q->as_of && sw_date_parse(q->as_of, strlen(q->as_of), &as_of) < 0)
                return sw_cmd_error_reply("as_of: must be a date YYYY-MM-DD (got '%s')", q->as_of);
        struct sw_ml_params p = sw_daemon_ml_params(d);
        struct sw_ml_run run = sw_daemon_ml_scratch(d);
        cJSON *o = sw_cmd_ok_reply(), *names = cJSON_AddArrayToObject(o, "features"), *rows;
        sw_date_format(as_of, day, sizeof(day));
        cJSON_AddStringToObject(o, "as_of", day);
        cJSON_AddStringToObject(o, "feature_set", sw_feature_set_name(p.features));
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                cJSON_AddItemToArray(names, cJSON_CreateString(sw_feature_name_in(p.features, k)));
        rows = cJSON_AddArrayToObject(o, "rows");
        sw_ml_prepare(&d->detector, &p, &run, as_of);
        for (uint32_t i = 0; i < d->skus.count && n < limit; i++) {
                if (sw_ml_features(&d->detector, &p, &run, i, as_of, x) < 0)
                        continue;
                cJSON *row = cJSON_CreateObject(), *v = cJSON_AddArrayToObject(row, "x");
                cJSON_AddStringToObject(row, "sku", sw_sku_key(&d->skus, i));
                for (int k = 0; k < SW_FEAT_COUNT; k++)
                        cJSON_AddItemToArray(v, cJSON_CreateNumber(x[k]));
                if (sw_iforest_fitted(&d->ml.forest))
                        cJSON_AddNumberToObject(row, "score", sw_iforest_score(&d->ml.forest, x));
                cJSON_AddItemToArray(rows, row);
                n++;
        }
        cJSON_AddNumberToObject(o, "count", n);
        return o;
}

/* Count a request that was not run, and say why in the journal: a retained one once (it comes
 * back at every reconnect until someone clears it), the others rate-limited. */
static void refuse(struct sw_daemon *d, const char *name, enum sw_cmd_refusal why,
                   const char *detail)
{
        d->cmd_refused[why]++;
        if (why == SW_CMD_REFUSED_RETAINED) {
                if (d->retained_cmd_logged)
                        return;
                d->retained_cmd_logged = true;
                sw_log_warning(
                    "Refused a retained command on %s/cmd/%s: a command is never run from a "
                    "retained "
                    "message (clear it: mosquitto_pub -r -n -t '%s/cmd/%s'); further ones are only "
                    "counted (health commands.refused.retained)",
                    d->prefix, name, d->prefix, name);
                return;
        }
        if (!sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                return;
        if (why == SW_CMD_REFUSED_REPLY_TOPIC)
                sw_log_warning(
                    "Refused command %s: reply topic '%.200s' is not under %s/reply/, nothing sent",
                    name, detail, d->prefix);
        else
                sw_log_warning("Refused command %s: %s%s%s", name, sw_cmd_refusal_name(why),
                               detail ? ": " : "", detail ? detail : "");
}

static cJSON *dispatch(struct sw_daemon *d, const char *name, const struct sw_cmd_request *q)
{
        if (strcmp(name, "detect") == 0)
                return cmd_detect(d, q);
        if (strcmp(name, "health") == 0)
                return sw_cmd_health(d);
        if (strcmp(name, "anomalies") == 0)
                return cmd_anomalies(d, q);
        if (strcmp(name, "ghost-stock") == 0)
                return cmd_ghost_stock(d, q);
        if (strcmp(name, "ml-features") == 0)
                return cmd_ml_features(d, q);
        if (strcmp(name, "forecast") == 0)
                return sw_cmd_forecast(d, q);
        if (strcmp(name, "outcome") == 0)
                return sw_report_outcome(d, q);
        if (strcmp(name, "stats") == 0)
                return sw_report_stats(d, q);
        if (strcmp(name, "effectiveness") == 0)
                return sw_report_effectiveness(d, q);
        if (strcmp(name, "roi") == 0)
                return sw_report_roi(d, q);
        return sw_cmd_error_reply("unknown command '%s'", name);
}

/*
 * A request passes, in this order: not retained (PROTOCOL 1.1), a v5 Response Topic under
 * P/reply/, the command's rate (before any decoding), a payload that decodes, and a reply_to
 * under P/reply/. What fails is counted and nothing runs; a reply goes out only to a topic
 * that passed the check.
 */
void sw_daemon_command(struct sw_daemon *d, const char *name, const void *payload, size_t len,
                       const struct sw_mqtt_props *props)
{
        const char *response_topic = props ? props->response_topic : NULL;
        struct reply_route rt = {0};
        struct sw_cmd_request q;
        char err[256];
        int gate = sw_cmd_gate(d->prefix, props && props->retained, response_topic);

        if (gate > 0) {
                refuse(d, name, (enum sw_cmd_refusal)(gate - 1), response_topic);
                return;
        }
        if (response_topic)
                rt = (struct reply_route){.topic = response_topic,
                                          .corr = props->corr,
                                          .corr_len = props->corr_len,
                                          .v5 = true};
        if (!sw_rate_allow(&d->command_rate, 0, name, strlen(name), sw_clock_monotonic_ms())) {
                refuse(d, name, SW_CMD_REFUSED_RATE_LIMITED, NULL);
                send_reply(d, &rt,
                           sw_cmd_error_reply("rate_limited: too many %s requests, ask again later",
                                              name));
                return;
        }
        if (sw_payload_decode_command(d->cmd_decoder, payload, len, d->cfg.limits.max_payload_bytes,
                                      &q, err, sizeof(err)) < 0) {
                refuse(d, name, SW_CMD_REFUSED_INVALID, err);
                send_reply(d, &rt, sw_cmd_error_reply("%s", err));
                return;
        }
        if (!rt.topic && q.reply_to) {
                if (!sw_cmd_reply_topic_allowed(d->prefix, q.reply_to)) {
                        refuse(d, name, SW_CMD_REFUSED_REPLY_TOPIC, q.reply_to);
                        return;
                }
                rt = (struct reply_route){.topic = q.reply_to, .corr = q.corr};
        }
        d->commands_run++;
        send_reply(d, &rt, dispatch(d, name, &q));
}
