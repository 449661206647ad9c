/* JSON payloads of anomalies for HQ (P/anomaly), per PROTOCOL.md. */
#include "daemon/anomaly_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/anomaly_type.h"
#include "core/civil_time.h"
#include "core/currency.h"
#include "core/features_scaled.h"
#include "core/ml_cause.h"
#include "core/sw_types.h"
#include "core/json_out.h"

#define PAYLOAD_VERSION "1.1" /* PROTOCOL version of every message to HQ */

struct sw_payload_store sw_payload_store_of(const char *tenant, const char *store,
                                            const char *currency)
{
        int digits = currency && currency[0] ? sw_currency_minor_digits(currency) : -EINVAL;
        return (struct sw_payload_store){.tenant = tenant,
                                         .store = store,
                                         .currency = currency ? currency : "",
                                         .money_digits = digits >= 0 ? (unsigned)digits : 2u};
}

/* Room for every payload but one with very long ids or a description full of escapes. */
#define ANOMALY_JSON_STACK_SIZE 4096

/* A string member; a NULL value (an out-of-range enum's name) leaves the key out, as cJSON did. */
static void member_string(struct sw_json_out *o, const char *key, const char *s)
{
        if (!s)
                return;
        sw_json_out_key(o, key);
        sw_json_out_string(o, s);
}

static void member_int(struct sw_json_out *o, const char *key, int64_t v)
{
        sw_json_out_key(o, key);
        sw_json_out_int(o, v);
}

/* NaN and infinities are written as 0 by the writer (JSON has neither). */
static void member_double(struct sw_json_out *o, const char *key, double v)
{
        sw_json_out_key(o, key);
        sw_json_out_double(o, v);
}

static void add_ghost_metadata(struct sw_json_out *o, const struct sw_anomaly_json_ctx *c,
                               const struct sw_finding *f)
{
        const struct sw_ghost_result *g = &f->ghost;
        member_string(o, "mode", sw_ghost_mode_name(c->snap.ghost_mode));
        member_string(o, "model", sw_ghost_model_name(g->model));
        member_int(o, "run_days", g->run_days);
        if (g->observed_units <= INT64_MAX)
                member_int(o, "observed_units", (int64_t)g->observed_units);
        else
                member_double(o, "observed_units", (double)g->observed_units);
        member_double(o, "expected_units", g->expected_units);
        member_double(o, "p_value", g->p_value);
        member_double(o, "dispersion", g->dispersion);
        member_int(o, "baseline_days", g->baseline_days);
        member_double(o, "priority", g->priority);
}

/* Feature values and each feature's share of the isolation (4 decimals), by feature name; with
 * the scaled features, the feature set, the cause named and its strength. */
static void add_ml_metadata(struct sw_json_out *o, const struct sw_finding *f)
{
        enum sw_feature_set set = (enum sw_feature_set)f->ml.feature_set;
        sw_json_out_key(o, "features");
        sw_json_out_object_begin(o);
        for (int k = 0; k < SW_FEAT_COUNT; k++)
                member_double(o, sw_feature_name_in(set, k), f->ml.features[k]);
        sw_json_out_object_end(o);
        sw_json_out_key(o, "contributions");
        sw_json_out_object_begin(o);
        for (int k = 0; k < SW_FEAT_COUNT; k++) {
                sw_json_out_key(o, sw_feature_name_in(set, k));
                sw_json_out_fixed(o, f->ml.contributions[k], 4);
        }
        sw_json_out_object_end(o);
        member_double(o, "z", f->ml.z);
        member_double(o, "threshold", f->ml.threshold);
        if (set == SW_FEATURES_SEED)
                return;
        member_string(o, "feature_set", sw_feature_set_name(set));
        member_string(o, "cause", sw_ml_cause_name((enum sw_ml_cause)f->ml.cause));
        member_double(o, "strength", f->ml.strength);
}

static void add_stock_metadata(struct sw_json_out *o, const struct sw_finding *f)
{
        const struct sw_stock_evidence *s = &f->stock;
        member_int(o, "shelf_count", s->shelf_count);
        member_int(o, "duration_minutes", s->duration_s / 60);
        if (sw_anomaly_type_desc(f->type)->stock_kind)
                member_string(o, "kind", s->negative_book ? "negative_book" : "shelf_above_book");
}

/* The whole payload into buf[0..size); returns sw_json_out_finish()'s result, o->len after. */
static int render(struct sw_json_out *o, const struct sw_anomaly_json_ctx *c,
                  const struct sw_finding *f, char *buf, size_t size)
{
        char day[16] = "", ts[32] = "", since[16] = "";
        sw_date_format(f->as_of, day, sizeof(day));
        sw_date_format(f->since, since, sizeof(since));
        sw_rfc3339_format(c->detected_at, ts, sizeof(ts));
        sw_json_out_init(o, buf, size);
        sw_json_out_object_begin(o);
        member_string(o, "v", PAYLOAD_VERSION);
        member_string(o, "id", c->id);
        member_string(o, "tenant", c->tenant);
        member_string(o, "store", c->store);
        member_string(o, "type", sw_anomaly_type_name(f->type));
        member_string(o, "severity", sw_severity_name(f->severity));
        member_string(o, "status", sw_status_name(f->status));
        member_string(o, "sku", c->sku);
        member_string(o, "category", c->category);
        member_string(o, "as_of", day);
        member_string(o, "detected_at", ts);
        sw_rfc3339_format(c->updated_at ? c->updated_at : c->detected_at, ts, sizeof(ts));
        member_string(o, "updated_at", ts);
        member_int(o, "rev", c->rev);
        member_double(o, "score", f->score);
        member_double(o, "probability", f->probability);
        sw_json_out_key(o, "value");
        sw_json_out_money(o, f->value, c->money_digits);
        if (c->currency && c->currency[0])
                member_string(o, "currency", c->currency);
        sw_json_out_key(o, "description");
        sw_json_out_string_n(o, f->description, strnlen(f->description, sizeof(f->description)));
        member_string(o, "action", sw_action_name(f->action));
        sw_json_out_key(o, "metadata");
        sw_json_out_object_begin(o);
        member_string(o, "since", since);
        member_int(o, "on_hand", c->snap.on_hand);
        /* The price as received: %.15g gives back every decimal of up to 15 significant digits
         * (a parsed price is never NaN; a damaged record's is written as 0, as before). */
        sw_json_out_key(o, "price");
        sw_json_out_number(o, isfinite(c->snap.price) ? c->snap.price : 0.0);
        switch (sw_anomaly_type_desc(f->type)->evidence) {
        case SW_EVIDENCE_GHOST:
                add_ghost_metadata(o, c, f);
                break;
        case SW_EVIDENCE_ML:
                add_ml_metadata(o, f);
                break;
        default:
                add_stock_metadata(o, f);
        }
        sw_json_out_object_end(o);
        sw_json_out_object_end(o);
        return sw_json_out_finish(o);
}

char *sw_anomaly_json(const struct sw_anomaly_json_ctx *c, const struct sw_finding *f)
{
        char stack[ANOMALY_JSON_STACK_SIZE];
        struct sw_json_out o;
        char *out;
        int r = render(&o, c, f, stack, sizeof(stack));
        if (r >= 0) {
                out = malloc((size_t)r + 1);
                if (out)
                        memcpy(out, stack, (size_t)r + 1);
                return out;
        }
        if (r != -ENOBUFS)
                return NULL;
        /* The writer counted the whole length past the stack buffer: render again, exactly. */
        out = malloc(o.len + 1);
        if (!out)
                return NULL;
        if (render(&o, c, f, out, o.len + 1) < 0)
                return (free(out), NULL);
        return out;
}

/* A row written before schema 5 keeps its v1 JSON: the 1.1 members go in front of it. */
static char *legacy_json(const struct sw_store_anomaly *a)
{
        const char *p = a->payload ? a->payload : "";
        char ts[32], *out;
        if (p[0] != '{' || p[1] == '}' || p[1] == '\0')
                return strdup(p);
        sw_rfc3339_format(a->updated_at ? a->updated_at : a->detected_at, ts, sizeof(ts));
        size_t n = strlen(p) + 96;
        out = malloc(n);
        if (out)
                snprintf(out, n, "{\"v\":\"%s\",\"rev\":%lld,\"updated_at\":\"%s\",%s",
                         PAYLOAD_VERSION, (long long)a->rev, ts, p + 1);
        return out;
}

int sw_anomaly_json_of_row(const struct sw_store_anomaly *a, const struct sw_payload_store *who,
                           char **ret_json)
{
        struct sw_finding f = {0};
        struct sw_anomaly_json_ctx c = {.tenant = who->tenant,
                                        .store = who->store,
                                        .currency = who->currency,
                                        .money_digits = who->money_digits,
                                        .rev = a->rev,
                                        .updated_at = a->updated_at,
                                        .id = a->id,
                                        .sku = a->sku,
                                        .category = a->category,
                                        .detected_at = a->detected_at};
        char *json;
        if (!a->detail) {
                json = legacy_json(a);
        } else {
                if (sw_anomaly_type_parse(a->type, &f.type) < 0 ||
                    sw_severity_parse(a->severity, &f.severity) < 0 ||
                    sw_status_parse(a->status, &f.status) < 0 ||
                    sw_anomaly_detail_decode(a->detail, a->detail_len, f.type, &f, &c.snap) < 0)
                        return -EBADMSG;
                f.since = (sw_day_t)a->episode_day;
                f.score = a->score;
                f.probability = a->probability;
                f.value = a->value;
                json = sw_anomaly_json(&c, &f);
        }
        if (!json)
                return -ENOMEM;
        *ret_json = json;
        return 0;
}
