/* JSON payloads of anomalies for HQ (P/anomaly), per PROTOCOL.md. */
#include "daemon/anomaly_json.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "core/civil_time.h"

/* JSON has no NaN or infinity: clamp to a finite number. */
static double finite_or(double v, double fallback)
{
        return isfinite(v) ? v : fallback;
}

static void add_ghost_metadata(cJSON *m, const struct sw_anomaly_json_ctx *c, const struct sw_finding *f)
{
        const struct sw_ghost_result *g = &f->ghost;
        cJSON_AddStringToObject(m, "mode", sw_ghost_mode_name(c->ghost_mode));
        cJSON_AddStringToObject(m, "model", sw_ghost_model_name(g->model));
        cJSON_AddNumberToObject(m, "run_days", g->run_days);
        cJSON_AddNumberToObject(m, "observed_units", (double)g->observed_units);
        cJSON_AddNumberToObject(m, "expected_units", finite_or(g->expected_units, 0));
        cJSON_AddNumberToObject(m, "p_value", finite_or(g->p_value, 0));
        cJSON_AddNumberToObject(m, "dispersion", finite_or(g->dispersion, 0));
        cJSON_AddNumberToObject(m, "baseline_days", g->baseline_days);
        cJSON_AddNumberToObject(m, "priority", finite_or(g->priority, 0));
}

/* Feature values and each feature's share of the isolation, by feature name. */
static void add_ml_metadata(cJSON *m, const struct sw_finding *f)
{
        cJSON *x = cJSON_AddObjectToObject(m, "features"), *c = cJSON_AddObjectToObject(m, "contributions");
        for (int k = 0; k < SW_FEAT_COUNT; k++) {
                const char *name = sw_feature_name((enum sw_feature)k);
                cJSON_AddNumberToObject(x, name, finite_or(f->ml.features[k], 0));
                cJSON_AddNumberToObject(c, name, round(finite_or(f->ml.contributions[k], 0) * 1e4) / 1e4);
        }
        cJSON_AddNumberToObject(m, "z", finite_or(f->ml.z, 0));
        cJSON_AddNumberToObject(m, "threshold", finite_or(f->ml.threshold, 0));
}

static void add_stock_metadata(cJSON *m, const struct sw_finding *f)
{
        const struct sw_stock_evidence *s = &f->stock;
        cJSON_AddNumberToObject(m, "shelf_count", s->shelf_count);
        cJSON_AddNumberToObject(m, "duration_minutes", s->duration_s / 60);
        if (f->type == SW_ANOMALY_INVENTORY_DISCREPANCY)
                cJSON_AddStringToObject(m, "kind", s->negative_book ? "negative_book" : "shelf_above_book");
}

char *sw_anomaly_json(const struct sw_anomaly_json_ctx *c, const struct sw_finding *f)
{
        char day[16], ts[32], since[16];
        cJSON *o = cJSON_CreateObject(), *m;
        char *out;
        if (!o)
                return NULL;
        sw_date_format(f->as_of, day, sizeof(day));
        sw_date_format(f->since, since, sizeof(since));
        sw_rfc3339_format(c->detected_at, ts, sizeof(ts));
        cJSON_AddStringToObject(o, "id", c->id);
        cJSON_AddStringToObject(o, "tenant", c->tenant);
        cJSON_AddStringToObject(o, "store", c->store);
        cJSON_AddStringToObject(o, "type", sw_anomaly_type_name(f->type));
        cJSON_AddStringToObject(o, "severity", sw_severity_name(f->severity));
        cJSON_AddStringToObject(o, "status", sw_status_name(f->status));
        cJSON_AddStringToObject(o, "sku", c->sku);
        cJSON_AddStringToObject(o, "category", c->category);
        cJSON_AddStringToObject(o, "as_of", day);
        cJSON_AddStringToObject(o, "detected_at", ts);
        cJSON_AddNumberToObject(o, "score", finite_or(f->score, 0));
        cJSON_AddNumberToObject(o, "probability", finite_or(f->probability, 0));
        cJSON_AddNumberToObject(o, "value", round(finite_or(f->value, 0) * 100) / 100);
        cJSON_AddStringToObject(o, "description", f->description);
        cJSON_AddStringToObject(o, "action", sw_action_name(f->action));
        m = cJSON_AddObjectToObject(o, "metadata");
        if (m) {
                cJSON_AddStringToObject(m, "since", since);
                cJSON_AddNumberToObject(m, "on_hand", c->on_hand);
                cJSON_AddNumberToObject(m, "price", finite_or(c->price, 0));
                if (f->type == SW_ANOMALY_GHOST_STOCK)
                        add_ghost_metadata(m, c, f);
                else if (f->type == SW_ANOMALY_ML_DETECTED)
                        add_ml_metadata(m, f);
                else
                        add_stock_metadata(m, f);
        }
        out = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return out;
}
