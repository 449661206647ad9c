/* Outcomes of anomalies: from cycle counts and the outcome command, persisted and learnt from. */
#include "daemon/outcomes.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_detail.h"
#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "core/json_out.h"
#include "daemon/count_judge.h"
#include "daemon/findings.h"
#include "daemon/reply.h"
#include "daemon/restore.h"
#include "platform/clock.h"
#include "platform/store_outcome.h"

#define BASELINE_DAYS 28 /* days before an episode whose sales give the SKU's normal daily rate */

/* The stored anomaly an outcome is about, copied out of its row. */
struct anomaly_row {
        bool found;                             /* the row exists */
        char id[SW_ANOMALY_ID_MAX];             /* anomaly id */
        char type[32];                          /* wire type */
        char severity[16];                      /* wire severity */
        char status[16];                        /* current status */
        char sku[SW_SKU_MAX_LEN + 1];           /* SKU key */
        char category[SW_CATEGORY_MAX_LEN + 1]; /* category, "" none */
        char as_of[16];                         /* latest detection day */
        uint8_t detail[SW_ANOMALY_DETAIL_MAX];  /* its detail (rows since schema 5) */
        struct sw_store_anomaly a;              /* numbers; strings point at the arrays above */
        char *payload; /* malloc'd copy of the stored JSON, "" with a detail */
};

static int copy_anomaly(void *ctx, const struct sw_store_anomaly *a)
{
        struct anomaly_row *row = ctx;
        if (a->detail_len > sizeof(row->detail))
                return -EBADMSG;
        row->payload = strdup(a->payload ? a->payload : "");
        if (!row->payload)
                return -ENOMEM;
        snprintf(row->id, sizeof(row->id), "%s", a->id);
        snprintf(row->type, sizeof(row->type), "%s", a->type);
        snprintf(row->severity, sizeof(row->severity), "%s", a->severity);
        snprintf(row->status, sizeof(row->status), "%s", a->status);
        snprintf(row->sku, sizeof(row->sku), "%s", a->sku);
        snprintf(row->category, sizeof(row->category), "%s", a->category ? a->category : "");
        snprintf(row->as_of, sizeof(row->as_of), "%s", a->as_of);
        row->a = *a;
        row->a.id = row->id;
        row->a.type = row->type;
        row->a.severity = row->severity;
        row->a.status = row->status;
        row->a.sku = row->sku;
        row->a.category = a->category ? row->category : NULL;
        row->a.as_of = row->as_of;
        row->a.payload = row->payload;
        if (a->detail) {
                memcpy(row->detail, a->detail, a->detail_len);
                row->a.detail = row->detail;
        }
        row->found = true;
        return 0;
}

/* Mean units sold per day over the days before the episode: the rate its shortage costs. */
static double baseline_daily_units(const struct sw_daemon *d, uint32_t index, sw_day_t since)
{
        const struct sw_sku *s = sw_sku_at(&d->skus, index);
        uint64_t units = 0;
        uint32_t days = 0;
        for (sw_day_t day = since - BASELINE_DAYS; day < since; day++) {
                if (s->first_day == SW_DAY_NONE || day < s->first_day)
                        continue;
                int32_t sold = sw_sku_sold(&d->skus, index, day);
                if (sold < 0)
                        continue;
                units += (uint64_t)sold;
                days++;
        }
        return days ? (double)units / days : 0.0;
}

static void add_time(cJSON *o, const char *name, int64_t t)
{
        char ts[32];
        sw_rfc3339_format(t, ts, sizeof(ts));
        cJSON_AddStringToObject(o, name, ts);
}

struct outcome_facts {
        const char *id;         /* outcome id */
        const char *status;     /* the anomaly's new status */
        double response_hours;  /* first outcome - detected_at */
        double prevented_value; /* stock-out value prevented */
        double weight;          /* how much it teaches the tuning (0 when it is not the
                                   anomaly's first outcome: that one alone teaches) */
};

/* The P/outcome payload (PROTOCOL.md), plus note, user, device and prevented_value. */
static char *outcome_json(const struct sw_payload_store *who, const struct sw_outcome_input *in,
                          const struct anomaly_row *row, const struct outcome_facts *f)
{
        cJSON *o = cJSON_CreateObject();
        char *json;
        if (!o)
                return NULL;
        cJSON_AddStringToObject(o, "v", "1.1");
        cJSON_AddStringToObject(o, "id", f->id);
        cJSON_AddStringToObject(o, "anomaly", in->anomaly);
        cJSON_AddStringToObject(o, "sku", row->sku);
        cJSON_AddStringToObject(o, "type", row->type);
        cJSON_AddStringToObject(o, "outcome", sw_outcome_kind_name(in->outcome));
        cJSON_AddStringToObject(o, "status", f->status);
        if (in->action)
                cJSON_AddStringToObject(o, "action", in->action);
        cJSON_AddStringToObject(o, "source", in->source);
        add_time(o, "ts", in->ts);
        cJSON_AddNumberToObject(o, "response_hours", f->response_hours);
        if (in->has_count)
                cJSON_AddNumberToObject(o, "adjustment", in->adjustment);
        sw_reply_add_money(o, "value_recovered", in->value_recovered, who->money_digits);
        sw_reply_add_money(o, "prevented_value", f->prevented_value, who->money_digits);
        if (who->currency[0])
                cJSON_AddStringToObject(o, "currency", who->currency);
        sw_reply_add_string_if(o, "note", in->note);
        sw_reply_add_string_if(o, "user", in->user);
        sw_reply_add_string_if(o, "device", in->device);
        cJSON_AddNumberToObject(o, "weight", f->weight);
        json = sw_reply_print(o);
        cJSON_Delete(o);
        return json;
}

/* The anomaly with its new status, queued for HQ. A row written before schema 5 keeps its JSON,
 * so the status is changed in that too. */
static int update_anomaly(struct sw_daemon *d, struct anomaly_row *row, const char *status,
                          int64_t ts)
{
        struct sw_store_anomaly a = row->a;
        char *json = NULL;
        int r;
        if (!a.detail) {
                cJSON *o = cJSON_Parse(row->payload);
                if (!o)
                        return -ENOMEM;
                cJSON_ReplaceItemInObjectCaseSensitive(o, "status", cJSON_CreateString(status));
                json = sw_reply_print(o);
                cJSON_Delete(o);
                if (!json)
                        return -ENOMEM;
                a.payload = json;
        }
        a.status = status;
        a.updated_at = ts;
        r = sw_store_put_anomaly(d->store, &a);
        if (r == 0)
                r = sw_outbox_add_anomaly(&d->outbox, a.id, sw_clock_now());
        free(json);
        return r;
}

/* Fill in what the row and the SKU say: the facts the outcome payload carries. */
static int outcome_facts(struct sw_daemon *d, const struct sw_outcome_input *in,
                         const struct anomaly_row *row, enum sw_anomaly_type type,
                         uint32_t *ret_seq, struct outcome_facts *f)
{
        uint32_t count = 0, index;
        int64_t first = 0;
        int r = sw_store_outcome_history(d->store, in->anomaly, &count, &first);
        if (r < 0)
                return r;
        *ret_seq = count + 1;
        f->weight = count == 0 ? sw_tuning_source_weight(&d->cfg.tuning, in->trust) : 0.0;
        f->status = sw_status_name(in->outcome == SW_OUTCOME_TRUE_POSITIVE ? SW_STATUS_RESOLVED
                                                                           : SW_STATUS_DISMISSED);
        f->response_hours = sw_outcome_response_hours(row->a.detected_at, count ? first : in->ts);
        f->prevented_value = 0;
        if (in->outcome == SW_OUTCOME_TRUE_POSITIVE &&
            sw_sku_table_find(&d->skus, row->sku, strlen(row->sku), &index) == 0) {
                const struct sw_sku *s = sw_sku_at(&d->skus, index);
                double price = (s->flags & SW_SKU_HAS_PRICE) ? s->price : 0;
                f->prevented_value = sw_outcome_prevented_value(
                    &d->cfg.outcomes, type,
                    baseline_daily_units(d, index, (sw_day_t)row->a.episode_day), price);
        }
        /* Money is kept as published (the minor unit): HQ's sums are the gateway's. */
        f->prevented_value = sw_json_out_wire_fixed(f->prevented_value, d->who.money_digits);
        return 0;
}

/* Close the in-memory episode and teach the tuning (the caller's rollback reloads both). Only an
 * anomaly's first outcome teaches: a redelivered outcome command or a manager's correction must
 * not count the same alert twice (the metrics use the latest verdict). It teaches as much as its
 * source is trusted (the weight), within the daily bound of the outcome's store-local day. */
static int learn(struct sw_daemon *d, const struct anomaly_row *row, enum sw_anomaly_type type,
                 bool was_open, bool first, const struct sw_outcome_input *in, double weight)
{
        struct sw_local_time lt;
        uint32_t index;
        uint16_t category = 0;
        if (sw_sku_table_find(&d->skus, row->sku, strlen(row->sku), &index) == 0) {
                category = sw_sku_at(&d->skus, index)->category;
                if (was_open)
                        (void)sw_anomaly_book_close(&d->book, type, index);
        }
        if (!first)
                return 0;
        sw_day_t day = sw_clock_to_local(NULL, in->ts, &lt) == 0 ? lt.day : SW_DAY_NONE;
        int r = sw_tuning_record_weighted(&d->tuning, type, category,
                                          in->outcome == SW_OUTCOME_TRUE_POSITIVE, weight, day);
        if (r == 0)
                d->tuning_dirty = true;
        return r;
}

static int record_outcome(struct sw_daemon *d, const struct sw_outcome_input *in, char **ret_json);

int sw_daemon_record_outcome(struct sw_daemon *d, const struct sw_outcome_input *in,
                             char **ret_json)
{
        /* The value recovered is money: kept and published at the minor unit (PROTOCOL 1.1),
         * so the gateway's roi is the sum of what HQ received. */
        struct sw_outcome_input rounded = *in;
        rounded.value_recovered = sw_json_out_wire_fixed(in->value_recovered, d->who.money_digits);
        return record_outcome(d, &rounded, ret_json);
}

/* The journal's record of an outcome recorded. */
static void log_outcome(const struct sw_outcome_input *in, const struct anomaly_row *row,
                        double weight)
{
        const struct sw_log_fields lf = {.event = SW_EVENT_OUTCOME_RECORDED,
                                         .anomaly_id = in->anomaly,
                                         .sku = row->sku,
                                         .type = row->type,
                                         .outcome = sw_outcome_kind_name(in->outcome),
                                         .device = in->device};
        sw_log_event(SW_LOG_NOTICE, &lf, "Outcome %s for %s (%s %s) from %s%s%s%s%s, weight %.2f",
                     sw_outcome_kind_name(in->outcome), in->anomaly, row->type, row->sku,
                     in->source, in->device ? " " : "", in->device ? in->device : "",
                     in->user ? " user " : "", in->user ? in->user : "", weight);
}

static int record_outcome(struct sw_daemon *d, const struct sw_outcome_input *in, char **ret_json)
{
        struct anomaly_row row = {0};
        struct outcome_facts f = {0};
        enum sw_anomaly_type type;
        char id[SW_ANOMALY_ID_MAX + 24]; /* "-o" and up to 20 digits */
        uint32_t seq = 0;
        char *json = NULL;
        int r = sw_store_get_anomaly(d->store, in->anomaly, copy_anomaly, &row);
        if (r == 0 && (!row.found || sw_anomaly_type_parse(row.type, &type) < 0))
                r = -ENOENT;
        if (r == 0)
                r = outcome_facts(d, in, &row, type, &seq, &f);
        if (r == 0) {
                /* After a restore the store's rev floor is the restore's time. */
                snprintf(id, sizeof(id), "%s-o%lld", in->anomaly,
                         (long long)sw_restore_outcome_number(seq, sw_store_rev_floor(d->store)));
                f.id = id;
                json = outcome_json(&d->who, in, &row, &f);
                r = json ? 0 : -ENOMEM;
        }
        bool was_open = r == 0 && strcmp(row.status, "open") == 0;
        if (r == 0)
                r = update_anomaly(d, &row, f.status, in->ts);
        if (r == 0) {
                struct sw_store_outcome o = {.id = id,
                                             .anomaly = in->anomaly,
                                             .seq = seq,
                                             .type = row.type,
                                             .sku = row.sku,
                                             .outcome = sw_outcome_kind_name(in->outcome),
                                             .source = in->source,
                                             .count_id = in->count_id,
                                             .ts = in->ts,
                                             .value_recovered = in->value_recovered,
                                             .prevented_value = f.prevented_value,
                                             .payload = json};
                d->outcomes_none = false;
                r = sw_store_put_outcome(d->store, &o);
        }
        if (r == 0)
                r = sw_outbox_add(&d->outbox, "outcome", id, json, false, 1,
                                  sw_clock_now()); /* receipted with rev 1 */
        if (r == 0)
                r = learn(d, &row, type, was_open, seq == 1, in, f.weight);
        if (r == 0)
                log_outcome(in, &row, f.weight);
        free(row.payload);
        if (r == 0 && ret_json)
                *ret_json = json;
        else
                free(json);
        return r;
}

/* Record the outcome a count's verdict gives one anomaly. */
static int record_verdict(struct sw_daemon *d, const struct sw_count_target *t,
                          const struct sw_msg *m, const char *device, struct sw_count_outcome *ret)
{
        char count_id[SW_ID_MAX_LEN + 1], user[SW_ID_MAX_LEN + 1];
        snprintf(count_id, sizeof(count_id), "%.*s", (int)m->id_len, m->id);
        snprintf(user, sizeof(user), "%.*s", (int)m->user_len, m->user ? m->user : "");
        struct sw_outcome_input in = {.anomaly = t->anomaly,
                                      .outcome = t->verdict.outcome,
                                      .action = "cycle_count",
                                      .user = m->user ? user : NULL,
                                      .source = "scanner",
                                      .trust = m->user ? SW_SOURCE_SCANNER_USER : SW_SOURCE_SCANNER,
                                      .device = device,
                                      .count_id = count_id,
                                      .ts = m->has_ts ? m->ts : sw_clock_now(),
                                      .has_count = true,
                                      .adjustment = t->verdict.adjustment,
                                      .value_recovered = t->verdict.value_recovered};
        int r = sw_daemon_record_outcome(d, &in, NULL);
        if (r < 0)
                return r;
        if (!ret->outcome) {
                memcpy(ret->anomaly, t->anomaly, sizeof(ret->anomaly)); /* same size */
                ret->outcome = sw_outcome_kind_name(t->verdict.outcome);
        }
        return 0;
}

/* The judging's lookup of a named anomaly in the database. */
static int lookup_anomaly(void *ctx, const char *id, struct sw_count_named *ret)
{
        struct sw_daemon *d = ctx;
        struct anomaly_row row = {0};
        int r = sw_store_get_anomaly(d->store, id, copy_anomaly, &row);
        if (r == 0 && (!row.found || sw_anomaly_type_parse(row.type, &ret->type) < 0))
                r = -ENOENT;
        if (r == 0) {
                ret->open = strcmp(row.status, "open") == 0;
                snprintf(ret->sku, sizeof(ret->sku), "%s", row.sku);
        }
        free(row.payload);
        return r;
}

int sw_daemon_count_outcomes(struct sw_daemon *d, const struct sw_msg *m,
                             const struct sw_ingest_result *res, const char *device,
                             struct sw_count_outcome *ret)
{
        const struct sw_sku *s = sw_sku_at(&d->skus, res->sku_index);
        char named[SW_ANOMALY_ID_MAX];
        struct sw_count_target targets[SW_ANOMALY_TYPE_COUNT];
        struct sw_count_lookup lookup = {.anomaly = lookup_anomaly, .ctx = d};
        struct sw_count_facts c = {.store_id = d->cfg.store.id,
                                   .sku = sw_sku_key(&d->skus, res->sku_index),
                                   .sku_index = res->sku_index,
                                   .named = m->anomaly ? named : NULL,
                                   .items_applied = res->items_applied,
                                   .book_before = res->book_before,
                                   .counted = m->n_items ? m->items[0].qty : 0,
                                   .price = (s->flags & SW_SKU_HAS_PRICE) ? s->price : 0};
        *ret = (struct sw_count_outcome){0};
        snprintf(named, sizeof(named), "%.*s", (int)m->anomaly_len, m->anomaly ? m->anomaly : "");
        int n = sw_count_judge(&d->cfg.outcomes, &d->book, &c, &lookup, targets);
        for (int k = 0; k < n; k++) {
                int r = record_verdict(d, &targets[k], m, device, ret);
                if (r < 0)
                        return r;
        }
        return n;
}

int sw_daemon_count_outcomes_atomic(struct sw_daemon *d, const struct sw_msg *m,
                                    const struct sw_ingest_result *res, const char *device,
                                    struct sw_count_outcome *ret)
{
        int r = sw_store_begin(d->store);
        if (r < 0)
                return r;
        r = sw_daemon_count_outcomes(d, m, res, device, ret);
        if (r >= 0) {
                int c = sw_store_commit(d->store);
                if (c < 0)
                        r = c;
        }
        if (r < 0) {
                sw_store_rollback(d->store);
                sw_findings_reload(d);
                *ret = (struct sw_count_outcome){0};
        }
        return r;
}
