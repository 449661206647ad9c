/* The detect and ml-features commands: detectors run on request, the forest's inputs shown. */
#include "daemon/cmd_handlers.h"

#include <string.h>

#include "core/civil_time.h"
#include "daemon/daemon.h"
#include "daemon/ml.h"
#include "daemon/reply.h"

static bool wants(const struct sw_cmd_detect_args *a, enum sw_anomaly_type type)
{
        return (a->detectors & (1u << type)) != 0;
}

/* One day detector into reply's "detectors" as name; on failure reply is freed and an error
 * reply returned. */
static cJSON *run_day(struct sw_daemon *d, enum sw_run_kind kind, const char *name, sw_day_t as_of,
                      cJSON *reply, struct sw_detect_summary *ret)
{
        int r = sw_detect_runs_run(&d->runs, kind, as_of, false, ret);
        if (r < 0) {
                cJSON_Delete(reply);
                return sw_reply_error(kind == SW_RUN_GHOST ? "ghost_stock detection failed: %s"
                                                           : "ml_detected detection failed: %s",
                                      strerror(-r));
        }
        sw_reply_add_summary(cJSON_GetObjectItem(reply, "detectors"), name, ret);
        return reply;
}

/* The day detectors of a detect request into reply (see run_day). */
static cJSON *detect_days(struct sw_daemon *d, const struct sw_cmd_detect_args *a, sw_day_t as_of,
                          cJSON *reply)
{
        struct sw_detect_summary sum;
        if (wants(a, SW_ANOMALY_GHOST_STOCK) && d->cfg.detectors.ghost.enabled) {
                reply = run_day(d, SW_RUN_GHOST, "ghost_stock", as_of, reply, &sum);
                if (!cJSON_GetObjectItem(reply, "detectors"))
                        return reply;
        }
        if (wants(a, SW_ANOMALY_ML_DETECTED) && d->cfg.detectors.ml.enabled) {
                reply = run_day(d, SW_RUN_ML, "ml_detected", as_of, reply, &sum);
                cJSON *ml =
                    cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "detectors"), "ml_detected");
                if (!ml)
                        return reply;
                cJSON_AddNumberToObject(ml, "above_threshold_under_sigma", sum.quiet);
                if (d->cfg.detectors.ml.features == SW_FEATURES_SCALED)
                        cJSON_AddNumberToObject(ml, "unexplained", sum.unexplained);
        }
        return reply;
}

/* The stock checks of a detect request and the count of open episodes into reply; on
 * failure reply is freed and an error reply returned. */
static cJSON *detect_stock(struct sw_daemon *d, const struct sw_cmd_detect_args *a, cJSON *reply)
{
        struct sw_detect_summary sum;
        if (wants(a, SW_ANOMALY_SHELF_OUT) || wants(a, SW_ANOMALY_INVENTORY_DISCREPANCY)) {
                int r = sw_detect_runs_run(&d->runs, SW_RUN_STOCK, a->as_of, false, &sum);
                if (r < 0) {
                        cJSON_Delete(reply);
                        return sw_reply_error("stock checks failed: %s", strerror(-r));
                }
                sw_reply_add_summary(cJSON_GetObjectItem(reply, "detectors"), "stock", &sum);
        }
        cJSON_AddNumberToObject(reply, "open", d->book.count);
        return reply;
}

cJSON *sw_cmd_detect(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        struct sw_cmd_detect_args a = args->detect;
        char day[16];
        cJSON *reply, *days;
        if (!a.has_as_of)
                a.as_of = sw_detect_runs_today(&d->runs);
        sw_detect_runs_note_as_of(&d->runs, a.as_of);
        reply = sw_reply_ok();
        sw_date_format(a.as_of, day, sizeof(day));
        cJSON_AddStringToObject(reply, "as_of", day);
        cJSON_AddObjectToObject(reply, "detectors");
        /* Ghost stock and the ML detector read the same store context: built once. */
        sw_detect_day_begin(&d->detector, a.as_of);
        days = detect_days(d, &a, a.as_of, reply);
        sw_detect_day_end(&d->detector);
        return cJSON_GetObjectItem(days, "detectors") ? detect_stock(d, &a, days) : days;
}

/* Diagnostics for the ML benchmark and for operators: each SKU's feature vector as of a day
 * (and its score under the current model). */
cJSON *sw_cmd_ml_features(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        const struct sw_cmd_detect_args *a = &args->detect;
        sw_day_t as_of = a->has_as_of ? a->as_of : sw_detect_runs_today(&d->runs);
        uint32_t n = 0;
        float x[SW_FEAT_COUNT];
        char day[16];
        struct sw_ml_params p = sw_daemon_ml_params(d);
        struct sw_ml_run run = sw_daemon_ml_scratch(d);
        cJSON *o = sw_reply_ok(), *names = cJSON_AddArrayToObject(o, "features"), *rows;
        sw_date_format(as_of, day, sizeof(day));
        cJSON_AddStringToObject(o, "as_of", day);
        cJSON_AddStringToObject(o, "feature_set", sw_feature_set_name(p.features));
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                cJSON_AddItemToArray(names, cJSON_CreateString(sw_feature_name_in(p.features, k)));
        rows = cJSON_AddArrayToObject(o, "rows");
        sw_ml_prepare(&d->detector, &p, &run, as_of);
        for (uint32_t i = 0; i < d->skus.count && n < a->limit; i++) {
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
