/* POST /anomalies/detect and /outcomes/{anomaly,alert}/{id}: stored at HQ, sent to the store's
 * gateway as a command (MQTT v5 request/response, replies under P/reply/), answered with the
 * gateway's reply or 504 when none came within http.command_timeout_ms. */
#include "hq/http_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <microhttpd.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "platform/mqtt_link.h"

#define HQ_TOPIC_SIZE 512 /* a command or reply topic */

/* One command awaiting its gateway's reply. */
struct hq_api_command {
        bool in_use;                     /* slot taken */
        uint64_t corr;                   /* correlation number (the v5 Correlation Data, decimal) */
        struct MHD_Connection *conn;     /* the suspended request's connection */
        struct hq_api_request *rq;       /* its request */
        uint64_t deadline_ms;            /* answer 504 after this (monotonic) */
        char seq[24];                    /* gateway_command.seq of the stored command */
        char store[HQ_HTTP_NAME_SIZE];   /* the store it went to */
        char anomaly[130];               /* outcome: the anomaly; "" for detect */
        char outcome[16];                /* outcome: true_positive / false_positive */
        char reply_topic[HQ_TOPIC_SIZE]; /* the reply must come on this topic: its tenant's and
                                            store's (another store knows the nonce and may
                                            guess the number) */
};

/* ---- the link and its replies --------------------------------------------------------- */

static struct hq_api_command *find_command(struct hq_api *api, uint64_t corr)
{
        for (uint32_t i = 0; i < api->cfg.http.max_pending_commands; i++)
                if (api->commands[i].in_use && api->commands[i].corr == corr)
                        return &api->commands[i];
        return NULL;
}

/* Record what became of the command, as the token's role; a failure is logged only (the
 * gateway already has the command: the response says what it answered). */
static void record(struct hq_api *api, struct hq_api_command *c, const char *state,
                   const char *reply_json)
{
        struct hq_api_reply ignored = {0};
        const char *v[3] = {c->seq, state, reply_json};
        if (hq_api__begin(api, c->rq, true, &ignored) == 0) {
                PGresult *res = hq_api__query(api,
                                              "UPDATE gateway_command SET state = $2, reply = "
                                              "$3::jsonb, answered_at = now() WHERE seq = $1",
                                              3, v, &ignored);
                bool ok = res != NULL;
                PQclear(res);
                hq_api__end(api, ok, &ignored);
        }
        if (ignored.body)
                sw_log_warning("Could not record command %s as %s", c->seq, state);
        cJSON_Delete(ignored.body);
}

/* Hand the response to the suspended request and free the slot. */
static void finish(struct hq_api_command *c, struct hq_api_reply *reply)
{
        c->rq->done = *reply;
        c->rq->ready = true;
        c->rq->command = NULL;
        MHD_resume_connection(c->conn);
        *c = (struct hq_api_command){0};
}

static unsigned status_of_refusal(const char *error)
{
        if (strncmp(error, "anomaly: no anomaly", 19) == 0)
                return 404;
        if (strncmp(error, "rate_limited", 12) == 0)
                return 429;
        return 422;
}

static void answer(struct hq_api *api, struct hq_api_command *c, const char *payload, size_t len)
{
        struct hq_api_reply reply = {0};
        char *text = strndup(payload, len);
        cJSON *r = text ? cJSON_Parse(text) : NULL;
        if (!cJSON_IsObject(r)) {
                record(api, c, "refused", NULL);
                hq_api__error(&reply, 502,
                              "the gateway of store %s answered something that is "
                              "not a JSON object",
                              c->store);
        } else if (!cJSON_IsTrue(cJSON_GetObjectItem(r, "ok"))) {
                const cJSON *e = cJSON_GetObjectItem(r, "error");
                const char *why = cJSON_IsString(e) ? e->valuestring : "no reason given";
                record(api, c, "refused", text);
                hq_api__error(&reply, status_of_refusal(why), "the gateway of store %s refused: %s",
                              c->store, why);
        } else {
                record(api, c, "answered", text);
                cJSON *o = cJSON_CreateObject();
                if (c->anomaly[0]) {
                        cJSON_AddStringToObject(o, "anomaly", c->anomaly);
                        cJSON_AddStringToObject(o, "outcome", c->outcome);
                        cJSON_AddBoolToObject(o, "forwarded", 1);
                }
                cJSON_AddStringToObject(o, "store", c->store);
                cJSON_AddNumberToObject(o, "command", strtod(c->seq, NULL));
                cJSON_AddItemToObject(o, "reply", r);
                r = NULL;
                hq_api__ok(&reply, o);
        }
        cJSON_Delete(r);
        free(text);
        finish(c, &reply);
}

static void on_reply(void *ctx, const char *topic, const void *payload, size_t len,
                     const struct sw_mqtt_props *props)
{
        struct hq_api *api = ctx;
        char corr[24];
        const char *tail = strstr(topic, api->reply_base);
        struct hq_api_command *c;
        if (!tail || strcmp(tail, api->reply_base) != 0 || !props->corr || props->corr_len == 0 ||
            props->corr_len >= sizeof(corr))
                return;
        memcpy(corr, props->corr, props->corr_len);
        corr[props->corr_len] = '\0';
        c = find_command(api, strtoull(corr, NULL, 10));
        if (c && strcmp(topic, c->reply_topic) != 0) {
                sw_log_warning("A reply to command %s came on %s, not on its store's reply "
                               "topic: ignored",
                               c->seq, topic);
                return;
        }
        if (c) /* else: answered after its wait ended (504 already sent) */
                answer(api, c, payload, len);
}

int hq_api__commands_open(struct hq_api *api)
{
        const struct hq_config_broker *b = &api->cfg.broker;
        uint8_t nonce[6];
        char id[HQ_CONFIG_ID_SIZE + 32], pattern[HQ_TOPIC_SIZE];
        if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
                return -EIO;
        /* reply/hq-api-<nonce>: this process's replies; the nonce keeps two servers apart. */
        snprintf(api->reply_base, sizeof(api->reply_base), "/reply/hq-api-%02x%02x%02x%02x%02x%02x",
                 nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5]);
        snprintf(id, sizeof(id), "%s-api-%02x%02x%02x%02x%02x%02x", b->client_id, nonce[0],
                 nonce[1], nonce[2], nonce[3], nonce[4], nonce[5]);
        api->commands = calloc(api->cfg.http.max_pending_commands, sizeof(*api->commands));
        if (!api->commands)
                return -ENOMEM;
        struct sw_mqtt_options o; /* no TLS: hq_config_tls is the ingest and receipt links' */
        hq_config_link_options(b, "hq-api", id, NULL, &o);
        struct sw_mqtt_callbacks cb = {.on_message = on_reply};
        int r = sw_mqtt_new(&o, &cb, api, &api->mqtt);
        snprintf(pattern, sizeof(pattern), "%s/+/+%s", api->cfg.topics.root, api->reply_base);
        return r < 0 ? r : sw_mqtt_subscribe(api->mqtt, pattern);
}

void hq_api__commands_close(struct hq_api *api)
{
        api->mqtt = sw_mqtt_free(api->mqtt);
        free(api->commands);
        api->commands = NULL;
}

uint64_t hq_api__commands_expire(struct hq_api *api, uint64_t now_ms)
{
        uint64_t next = UINT64_MAX;
        for (uint32_t i = 0; api->commands && i < api->cfg.http.max_pending_commands; i++) {
                struct hq_api_command *c = &api->commands[i];
                if (!c->in_use)
                        continue;
                if (now_ms < c->deadline_ms) {
                        next = c->deadline_ms < next ? c->deadline_ms : next;
                        continue;
                }
                struct hq_api_reply reply = {0};
                record(api, c, "timeout", NULL);
                hq_api__error(&reply, 504,
                              "the gateway of store %s did not answer within %u ms (command %s "
                              "was sent and may still run)",
                              c->store, api->cfg.http.command_timeout_ms, c->seq);
                finish(c, &reply);
        }
        return next;
}

void hq_api__commands_abort(struct hq_api *api)
{
        for (uint32_t i = 0; api->commands && i < api->cfg.http.max_pending_commands; i++) {
                struct hq_api_reply reply = {0};
                if (!api->commands[i].in_use)
                        continue;
                hq_api__error(&reply, 503,
                              "shelfwatch-hq is stopping; command %s was sent and "
                              "may still run",
                              api->commands[i].seq);
                finish(&api->commands[i], &reply);
        }
}

void hq_api__commands_cancel(struct hq_api *api, struct hq_api_request *rq)
{
        for (uint32_t i = 0; rq->command && api->commands && i < api->cfg.http.max_pending_commands;
             i++)
                if (api->commands[i].in_use && api->commands[i].rq == rq)
                        api->commands[i] = (struct hq_api_command){0};
        rq->command = NULL;
}

/* ---- sending -------------------------------------------------------------------------- */

static struct hq_api_command *free_slot(struct hq_api *api)
{
        for (uint32_t i = 0; i < api->cfg.http.max_pending_commands; i++)
                if (!api->commands[i].in_use)
                        return &api->commands[i];
        return NULL;
}

/* Store the command (state "sent"), publish it and suspend the request. Returns 1 (suspended)
 * or 0 with an error reply. */
static int send_command(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                        struct hq_api_command *c, const char *name, cJSON *payload,
                        struct hq_api_reply *ret)
{
        char topic[HQ_TOPIC_SIZE], corr[24];
        char *text = cJSON_PrintUnformatted(payload);
        const char *v[7] = {rq->token->tenant,
                            c->store,
                            name,
                            c->anomaly[0] ? c->anomaly : NULL,
                            c->outcome[0] ? c->outcome : NULL,
                            text,
                            rq->token->name};
        PGresult *res = NULL;
        if (!text)
                return hq_api__error(ret, 500, "out of memory");
        if (!sw_mqtt_connected(api->mqtt)) {
                free(text);
                return hq_api__error(ret, 502, "HQ's broker is not reachable: nothing was sent");
        }
        if (hq_api__begin(api, rq, true, ret) == 0)
                res = hq_api__query(api,
                                    "INSERT INTO gateway_command (tenant, store, command, anomaly, "
                                    "outcome, request, requested_by, state) VALUES ($1, $2, $3, "
                                    "$4, $5, $6::jsonb, $7, 'sent') RETURNING seq",
                                    7, v, ret);
        if (!res || hq_api__end(api, true, ret) < 0) {
                PQclear(res);
                free(text);
                return 0;
        }
        snprintf(c->seq, sizeof(c->seq), "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        c->corr = ++api->next_corr;
        snprintf(corr, sizeof(corr), "%llu", (unsigned long long)c->corr);
        snprintf(topic, sizeof(topic), "%s/%s/%s/cmd/%s", api->cfg.topics.root, rq->token->tenant,
                 c->store, name);
        snprintf(c->reply_topic, sizeof(c->reply_topic), "%s/%s/%s%s", api->cfg.topics.root,
                 rq->token->tenant, c->store, api->reply_base);
        struct sw_mqtt_props props = {
            .response_topic = c->reply_topic, .corr = corr, .corr_len = strlen(corr)};
        int r = sw_mqtt_publish(api->mqtt, topic, text, strlen(text), 1, false, &props, NULL);
        free(text);
        if (r < 0) {
                c->rq = rq;
                record(api, c, "unreachable", NULL);
                *c = (struct hq_api_command){0};
                return hq_api__error(ret, 502, "could not send the command to store %s: %s",
                                     c->store, strerror(-r));
        }
        c->in_use = true;
        c->conn = conn;
        c->rq = rq;
        c->deadline_ms = sw_clock_monotonic_ms() + api->cfg.http.command_timeout_ms;
        rq->command = c;
        MHD_suspend_connection(conn);
        return 1;
}

/* The body as a JSON object whose keys are all in allowed; NULL with an error reply. */
static cJSON *parse_body(const struct hq_api_request *rq, const char *const *allowed,
                         struct hq_api_reply *ret)
{
        cJSON *b = rq->body ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL, *e;
        if (!cJSON_IsObject(b)) {
                cJSON_Delete(b);
                hq_api__error(ret, 400, "the body must be a JSON object");
                return NULL;
        }
        cJSON_ArrayForEach(e, b)
        {
                bool known = false;
                for (const char *const *k = allowed; *k; k++)
                        known = known || strcmp(e->string, *k) == 0;
                for (cJSON *f = b->child; known && f != e; f = f->next)
                        if (strcmp(f->string, e->string) == 0) {
                                hq_api__error(ret, 400, "%s: given more than once", e->string);
                                cJSON_Delete(b);
                                return NULL;
                        }
                if (!known) {
                        hq_api__error(ret, 400, "unknown field: %.64s", e->string);
                        cJSON_Delete(b);
                        return NULL;
                }
        }
        return b;
}

/* An optional string field of 1..max bytes of clean UTF-8; -EINVAL with an error reply. */
static int opt_text(const cJSON *b, const char *name, size_t max, const char **ret_v,
                    struct hq_api_reply *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(b, name);
        *ret_v = NULL;
        if (!v)
                return 0;
        if (!cJSON_IsString(v) || !hq_api__text_valid(v->valuestring, max)) {
                hq_api__error(ret, 400,
                              "%s: must be a string of 1..%zu bytes of UTF-8 without "
                              "control characters",
                              name, max);
                return -EINVAL;
        }
        *ret_v = v->valuestring;
        return 0;
}

/* The tenant's store (a row of store), as the token's role: 0, or 404 / 5xx in ret. */
static int store_known(struct hq_api *api, struct hq_api_request *rq, const char *store,
                       struct hq_api_reply *ret)
{
        const char *v[2] = {rq->token->tenant, store};
        if (hq_api__begin(api, rq, false, ret) < 0)
                return -EIO;
        PGresult *res =
            hq_api__query(api, "SELECT 1 FROM store WHERE tenant = $1 AND store = $2", 2, v, ret);
        bool found = res && PQntuples(res) == 1;
        PQclear(res);
        if (!res || hq_api__end(api, true, ret) < 0)
                return -EIO;
        if (!found) {
                hq_api__error(ret, 404, "no store %s", store);
                return -ENOENT;
        }
        return 0;
}

static int detectors_valid(const cJSON *d, struct hq_api_reply *ret)
{
        static const char *const names[] = {"ghost_stock", "ml_detected", "shelf_out",
                                            "inventory_discrepancy"};
        const cJSON *e;
        if (!cJSON_IsArray(d) || cJSON_GetArraySize(d) < 1 || cJSON_GetArraySize(d) > 4)
                return hq_api__error(ret, 400, "detectors: a list of 1..4 detector names"), -1;
        cJSON_ArrayForEach(e, d)
        {
                bool ok = false;
                for (size_t k = 0; cJSON_IsString(e) && k < 4; k++)
                        ok = ok || strcmp(e->valuestring, names[k]) == 0;
                if (!ok)
                        return hq_api__error(ret, 400,
                                             "detectors: each one of ghost_stock, ml_detected, "
                                             "shelf_out, inventory_discrepancy"),
                               -1;
        }
        return 0;
}

int hq_api_detect(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                  struct hq_api_reply *ret)
{
        static const char *const allowed[] = {"store", "as_of", "detectors", NULL};
        struct hq_api_command *c = free_slot(api);
        struct hq_param none[1];
        if (hq_api__params(conn, api, none, 0, ret) < 0)
                return 0;
        cJSON *b = parse_body(rq, allowed, ret);
        if (!b)
                return 0;
        const cJSON *store = cJSON_GetObjectItem(b, "store"),
                    *as_of = cJSON_GetObjectItem(b, "as_of");
        const cJSON *det = cJSON_GetObjectItem(b, "detectors");
        int r = 0;
        if (!cJSON_IsString(store) || !hq_api__id_valid(store->valuestring, 64))
                r = hq_api__error(ret, 400, "store: required, 1..64 of A-Z a-z 0-9 . _ : -") - 1;
        else if (as_of && (!cJSON_IsString(as_of) || !hq_api__date_valid(as_of->valuestring)))
                r = hq_api__error(ret, 400, "as_of: must be a date YYYY-MM-DD") - 1;
        else if (det && detectors_valid(det, ret) < 0)
                r = -1;
        else if (!c)
                r = hq_api__error(ret, 503, "%u commands are awaiting their gateways: try again",
                                  api->cfg.http.max_pending_commands) -
                    1;
        if (r == 0)
                r = store_known(api, rq, store->valuestring, ret);
        if (r == 0) {
                snprintf(c->store, sizeof(c->store), "%s", store->valuestring);
                cJSON_DeleteItemFromObject(b, "store");
                r = send_command(api, rq, conn, c, "detect", b, ret);
        }
        cJSON_Delete(b);
        return r == 1 ? 1 : 0;
}

/* The anomaly's store, as the token's role: 0, or 404 (not the tenant's, or no such id), 409
 * (two stores have that id: name one with ?store=) in ret. */
static int anomaly_store(struct hq_api *api, struct hq_api_request *rq, const char *id,
                         const char *store, char *ret_store, struct hq_api_reply *ret)
{
        const char *v[3] = {rq->token->tenant, id, store};
        if (hq_api__begin(api, rq, false, ret) < 0)
                return -EIO;
        PGresult *res = hq_api__query(api,
                                      "SELECT store FROM anomaly WHERE tenant = $1 AND id = $2 "
                                      "AND ($3::text IS NULL OR store = $3) ORDER BY store LIMIT 2",
                                      3, v, ret);
        if (!res || hq_api__end(api, true, ret) < 0) {
                PQclear(res);
                return -EIO;
        }
        int n = PQntuples(res);
        if (n == 1)
                snprintf(ret_store, HQ_HTTP_NAME_SIZE, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        if (n == 0)
                return hq_api__error(ret, 404, "no anomaly %s", id), -ENOENT;
        if (n > 1)
                return hq_api__error(ret, 409,
                                     "stores %s and others have an anomaly %s: name one "
                                     "with ?store=",
                                     ret_store, id),
                       -EEXIST;
        return 0;
}

int hq_api_outcome(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                   const char *id, struct hq_api_reply *ret)
{
        static const char *const allowed[] = {"outcome", "action", "note", "user", NULL};
        struct hq_api_command *c = free_slot(api);
        struct hq_param p[] = {HQ_PARAM("store", HQ_PARAM_STORE)};
        const char *action, *note, *user;
        char who[HQ_HTTP_NAME_SIZE + 8];
        if (!hq_api__id_valid(id, 128))
                return hq_api__error(ret, 400,
                                     "the anomaly id must be 1..128 of A-Z a-z 0-9 . _ : -");
        if (hq_api__params(conn, api, p, 1, ret) < 0)
                return 0;
        cJSON *b = parse_body(rq, allowed, ret);
        if (!b)
                return 0;
        const cJSON *o = cJSON_GetObjectItem(b, "outcome");
        int r = 0;
        if (!cJSON_IsString(o) || (strcmp(o->valuestring, "true_positive") != 0 &&
                                   strcmp(o->valuestring, "false_positive") != 0))
                r = hq_api__error(ret, 400, "outcome: required, true_positive or false_positive") -
                    1;
        if (r == 0)
                r = opt_text(b, "action", 64, &action, ret);
        if (r == 0)
                r = opt_text(b, "note", 1000, &note, ret);
        if (r == 0)
                r = opt_text(b, "user", 64, &user, ret);
        if (r == 0 && !c)
                r = hq_api__error(ret, 503, "%u commands are awaiting their gateways: try again",
                                  api->cfg.http.max_pending_commands) -
                    1;
        if (r == 0)
                r = anomaly_store(api, rq, id, p[0].value, c->store, ret);
        if (r == 0) {
                snprintf(c->anomaly, sizeof(c->anomaly), "%s", id);
                snprintf(c->outcome, sizeof(c->outcome), "%s", o->valuestring);
                /* The gateway's outcome command; user says who judged: the analyst, else the
                 * token's name. */
                snprintf(who, sizeof(who), "hq:%s", rq->token->name);
                cJSON *cmd = cJSON_CreateObject();
                cJSON_AddStringToObject(cmd, "anomaly", id);
                cJSON_AddStringToObject(cmd, "outcome", o->valuestring);
                if (action)
                        cJSON_AddStringToObject(cmd, "action", action);
                if (note)
                        cJSON_AddStringToObject(cmd, "note", note);
                cJSON_AddStringToObject(cmd, "user", user ? user : who);
                r = send_command(api, rq, conn, c, "outcome", cmd, ret);
                cJSON_Delete(cmd);
        }
        cJSON_Delete(b);
        return r == 1 ? 1 : 0;
}
