/* Each command's own fields, checked and converted from the request envelope (no I/O). */
#include "daemon/command_args.h"

#include <stdio.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "daemon/reply.h"

#define DEFAULT_LIST_LIMIT        100    /* anomalies */
#define DEFAULT_GHOST_STOCK_LIMIT 50     /* ghost-stock recommendations */
#define DEFAULT_FEATURES_LIMIT    100000 /* ml-features rows */
#define DEFAULT_WINDOW_DAYS       30     /* stats, effectiveness and roi */
#define DEFAULT_FORECAST_LIMIT    100    /* forecast rows */

static cJSON *decode_as_of(const struct sw_cmd_request *q, struct sw_cmd_detect_args *a)
{
        a->has_as_of = q->as_of != NULL;
        if (q->as_of && sw_date_parse(q->as_of, strlen(q->as_of), &a->as_of) < 0)
                return sw_reply_error("as_of: must be a date YYYY-MM-DD (got '%s')", q->as_of);
        return NULL;
}

cJSON *sw_cmd_decode_detect(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        struct sw_cmd_detect_args *a = &ret->detect;
        char msg[256], types[160];
        *a = (struct sw_cmd_detect_args){0};
        cJSON *e = decode_as_of(q, a);
        if (e)
                return e;
        for (uint32_t i = 0; i < q->n_detectors; i++) {
                enum sw_anomaly_type t;
                if (sw_anomaly_type_parse(q->detectors[i], &t) < 0) {
                        sw_anomaly_type_list(types, sizeof(types), ", ", ", ");
                        snprintf(msg, sizeof(msg), "detectors: unknown detector '%%s' (%s)", types);
                        return sw_reply_error(msg, q->detectors[i]);
                }
                a->detectors |= 1u << t;
        }
        if (q->n_detectors == 0)
                a->detectors = (1u << SW_ANOMALY_TYPE_COUNT) - 1;
        return NULL;
}

cJSON *sw_cmd_decode_ml_features(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        ret->detect = (struct sw_cmd_detect_args){.limit = q->has_limit ? (uint32_t)q->limit
                                                                        : DEFAULT_FEATURES_LIMIT};
        return decode_as_of(q, &ret->detect);
}

cJSON *sw_cmd_decode_anomalies(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        enum sw_anomaly_type t;
        enum sw_severity s;
        enum sw_status st;
        if (q->type && sw_anomaly_type_parse(q->type, &t) < 0)
                return sw_reply_error("type: unknown anomaly type '%s'", q->type);
        if (q->severity && sw_severity_parse(q->severity, &s) < 0)
                return sw_reply_error("severity: must be info, warning or critical (got '%s')",
                                      q->severity);
        if (q->status && sw_status_parse(q->status, &st) < 0)
                return sw_reply_error(
                    "status: must be open, resolved, dismissed or cleared (got '%s')", q->status);
        ret->list = (struct sw_cmd_list_args){.type = q->type,
                                              .severity = q->severity,
                                              .status = q->status,
                                              .sku = q->sku,
                                              .limit = q->has_limit ? (uint32_t)q->limit
                                                                    : DEFAULT_LIST_LIMIT,
                                              .days = q->has_days ? q->days : 0};
        return NULL;
}

cJSON *sw_cmd_decode_ghost_stock(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        ret->list = (struct sw_cmd_list_args){.type = "ghost_stock",
                                              .status = "open",
                                              .limit = q->has_limit ? (uint32_t)q->limit
                                                                    : DEFAULT_GHOST_STOCK_LIMIT};
        return NULL;
}

cJSON *sw_cmd_decode_outcome(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        enum sw_outcome_kind kind;
        if (!q->anomaly || !q->anomaly[0])
                return sw_reply_error("%sanomaly: required (the anomaly id)", "");
        if (!q->outcome || sw_outcome_kind_parse(q->outcome, &kind) < 0)
                return sw_reply_error("outcome: must be true_positive or false_positive (got '%s')",
                                      q->outcome ? q->outcome : "nothing");
        if (q->action && !q->action[0])
                return sw_reply_error("%saction: must not be empty", "");
        ret->outcome = (struct sw_cmd_outcome_args){.anomaly = q->anomaly,
                                                    .kind = kind,
                                                    .action = q->action,
                                                    .note = q->note,
                                                    .user = q->user};
        return NULL;
}

cJSON *sw_cmd_decode_window(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        ret->window.days = q->has_days ? q->days : DEFAULT_WINDOW_DAYS;
        return NULL;
}

cJSON *sw_cmd_decode_forecast(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        struct sw_cmd_forecast_args *a = &ret->forecast;
        *a = (struct sw_cmd_forecast_args){.has_as_of = q->as_of != NULL,
                                           .sku = q->sku,
                                           .limit = q->has_limit ? (uint32_t)q->limit
                                                                 : DEFAULT_FORECAST_LIMIT};
        if (q->as_of && sw_date_parse(q->as_of, strlen(q->as_of), &a->as_of) < 0)
                return sw_reply_error("as_of: must be a date YYYY-MM-DD (got '%s')", q->as_of);
        return NULL;
}

cJSON *sw_cmd_decode_backup(const struct sw_cmd_request *q, union sw_cmd_args *ret)
{
        if (!q->path || !q->path[0])
                return sw_reply_error("path: the file to write is missing%s", "");
        /* The daemon's working directory is no place anyone chose. */
        if (q->path[0] != '/')
                return sw_reply_error("path: must be absolute (got '%s')", q->path);
        ret->backup = (struct sw_cmd_backup_args){.path = q->path, .force = q->force};
        return NULL;
}
