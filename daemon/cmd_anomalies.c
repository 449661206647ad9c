/* The anomalies and ghost-stock commands: stored anomalies listed, or ranked for counting. */
#include "daemon/cmd_handlers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_detail.h"
#include "core/civil_time.h"
#include "core/json_out.h"
#include "daemon/anomaly_json.h"
#include "daemon/daemon.h"
#include "daemon/reply.h"
#include "platform/clock.h"

/* A row from before schema 5 keeps the payload last published: its status column is
 * authoritative (the same value since outcomes rewrite both). */
static cJSON *stored_payload(const struct sw_store_anomaly *a)
{
        cJSON *row = cJSON_Parse(a->payload ? a->payload : "");
        if (row)
                cJSON_ReplaceItemInObjectCaseSensitive(row, "status",
                                                       cJSON_CreateString(a->status));
        return row;
}

struct list_ctx {
        const struct sw_daemon *d; /* for tenant and store */
        cJSON *array;              /* rows go here */
};

/* A listed anomaly is its P/anomaly payload, rendered once and embedded as it is. */
static int add_anomaly_row(void *ctx, const struct sw_store_anomaly *a)
{
        struct list_ctx *l = ctx;
        char *json = NULL;
        cJSON *row;
        if (!a->detail) {
                row = stored_payload(a);
        } else {
                int r = sw_anomaly_json_of_row(a, &l->d->who, &json);
                if (r < 0)
                        return r;
                row = cJSON_CreateRaw(json);
                free(json);
        }
        if (!row)
                return -ENOMEM;
        cJSON_AddItemToArray(l->array, row);
        return 0;
}

cJSON *sw_cmd_anomalies(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        const struct sw_cmd_list_args *a = &args->list;
        struct sw_store_anomaly_filter f = {.type = a->type,
                                            .severity = a->severity,
                                            .status = a->status,
                                            .sku = a->sku,
                                            .limit = a->limit,
                                            .since =
                                                a->days ? sw_clock_now() - a->days * 86400 : 0};
        cJSON *o = sw_reply_ok();
        struct list_ctx l = {.d = d, .array = cJSON_AddArrayToObject(o, "anomalies")};
        int r = sw_store_list_anomalies(d->store, &f, add_anomaly_row, &l);
        if (r < 0) {
                cJSON_Delete(o);
                return sw_reply_error("cannot read anomalies: %s", strerror(-r));
        }
        cJSON_AddNumberToObject(o, "count", r);
        return o;
}

/* One cycle-count recommendation, before it is ranked. */
struct recommendation {
        cJSON *rec;      /* its fields but the rank */
        double priority; /* probability x value, as their readers compute it */
};

/* The recommendation's fields, in the order of the anomaly payload. */
struct rec_fields {
        const char *id, *sku, *category; /* category NULL: none */
        double probability, value;       /* as the payload carries them */
        const char *severity, *as_of;    /* wire names */
        const char *description;         /* text */
        const char *action;              /* wire name, NULL none */
};

static cJSON *rec_object(const struct rec_fields *r, double priority)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", r->id);
        cJSON_AddStringToObject(o, "sku", r->sku);
        sw_reply_add_string_if(o, "category", r->category);
        cJSON_AddNumberToObject(o, "probability", r->probability);
        cJSON_AddNumberToObject(o, "value", r->value);
        cJSON_AddNumberToObject(o, "priority", priority);
        cJSON_AddStringToObject(o, "severity", r->severity);
        cJSON_AddStringToObject(o, "as_of", r->as_of);
        cJSON_AddStringToObject(o, "description", r->description);
        sw_reply_add_string_if(o, "action", r->action);
        return o;
}

/* The fields of a row from before schema 5, read from the payload it keeps. */
static int legacy_recommendation(const struct sw_store_anomaly *a, struct recommendation *ret)
{
        static const char *const keep[] = {"id",          "sku",         "category",
                                           "probability", "value",       "severity",
                                           "as_of",       "description", "action"};
        cJSON *row = stored_payload(a), *v;
        if (!row)
                return -ENOMEM;
        ret->priority = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "probability")) *
                        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "value"));
        ret->rec = cJSON_CreateObject();
        for (size_t j = 0; j < sizeof(keep) / sizeof(keep[0]); j++) {
                if ((v = cJSON_GetObjectItemCaseSensitive(row, keep[j])) != NULL)
                        cJSON_AddItemToObject(ret->rec, keep[j], cJSON_Duplicate(v, true));
                if (j == 4)
                        cJSON_AddNumberToObject(ret->rec, "priority", ret->priority);
        }
        cJSON_Delete(row);
        return 0;
}

static int recommendation_of(const struct sw_store_anomaly *a, struct recommendation *ret)
{
        struct sw_finding f = {0};
        struct sw_anomaly_snapshot snap;
        char day[16];
        if (!a->detail)
                return legacy_recommendation(a, ret);
        if (sw_anomaly_type_parse(a->type, &f.type) < 0 ||
            sw_severity_parse(a->severity, &f.severity) < 0 ||
            sw_status_parse(a->status, &f.status) < 0 ||
            sw_anomaly_detail_decode(a->detail, a->detail_len, f.type, &f, &snap) < 0)
                return -EBADMSG;
        sw_date_format(f.as_of, day, sizeof(day));
        struct rec_fields r = {.id = a->id,
                               .sku = a->sku,
                               .category = a->category,
                               .probability = sw_json_out_wire_double(a->probability),
                               .value = sw_json_out_wire_fixed(a->value, 2),
                               .severity = a->severity,
                               .as_of = day,
                               .description = f.description,
                               .action = sw_action_name(f.action)};
        ret->priority = r.probability * r.value;
        ret->rec = rec_object(&r, ret->priority);
        return 0;
}

struct rank_ctx {
        struct recommendation *recs; /* malloc'd, grown by doubling */
        uint32_t n;                  /* used */
        uint32_t cap;                /* allocated */
};

static int add_recommendation(void *ctx, const struct sw_store_anomaly *a)
{
        struct rank_ctx *k = ctx;
        if (k->n == k->cap) {
                uint32_t cap = k->cap ? 2 * k->cap : 64;
                struct recommendation *grown = realloc(k->recs, cap * sizeof(*grown));
                if (!grown)
                        return -ENOMEM;
                k->recs = grown;
                k->cap = cap;
        }
        int r = recommendation_of(a, &k->recs[k->n]);
        if (r == 0)
                k->n++;
        return r;
}

static int cmp_priority(const void *a, const void *b)
{
        double px = ((const struct recommendation *)a)->priority;
        double py = ((const struct recommendation *)b)->priority;
        return px < py ? 1 : px > py ? -1 : 0;
}

/* Cycle-count recommendations: open ghost-stock anomalies by probability x value. */
cJSON *sw_cmd_ghost_stock(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        const struct sw_cmd_list_args *a = &args->list;
        struct sw_store_anomaly_filter f = {.type = a->type, .status = a->status};
        struct rank_ctx k = {0};
        int r = sw_store_list_anomalies(d->store, &f, add_recommendation, &k);
        cJSON *o =
            r < 0 ? sw_reply_error("cannot read anomalies: %s", strerror(-r)) : sw_reply_ok();
        cJSON *out = r < 0 ? NULL : cJSON_AddArrayToObject(o, "recommendations");
        if (k.n > 1) /* recs is NULL when there is none: qsort must not see it */
                qsort(k.recs, k.n, sizeof(*k.recs), cmp_priority);
        for (uint32_t i = 0; i < k.n; i++) {
                if (!out || i >= a->limit) {
                        cJSON_Delete(k.recs[i].rec);
                        continue;
                }
                cJSON_AddNumberToObject(k.recs[i].rec, "rank", i + 1);
                cJSON_AddItemToArray(out, k.recs[i].rec);
        }
        if (out)
                cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(out));
        free(k.recs);
        return o;
}
