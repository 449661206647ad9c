/* Request/response commands on P/cmd/{name}: the gate, the table's row, the reply route. */
#include "daemon/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/reply.h"

/* Where a request's reply goes. */
struct reply_route {
        const char *topic; /* where the reply goes, NULL nowhere */
        const void *corr;  /* correlation data (v5) or corr string (3.1.1) */
        size_t corr_len;   /* its length */
        bool v5;           /* correlation goes as a property rather than in the payload */
};

static void send_reply(struct sw_commands *c, const struct reply_route *rt, cJSON *reply)
{
        char *json;
        if (!rt->topic) {
                cJSON_Delete(reply);
                return;
        }
        if (!rt->v5 && rt->corr)
                cJSON_AddStringToObject(reply, "corr", rt->corr);
        json = sw_reply_print(reply);
        cJSON_Delete(reply);
        if (!json)
                return;
        struct sw_mqtt_props props = {.corr = rt->v5 ? rt->corr : NULL,
                                      .corr_len = rt->v5 ? rt->corr_len : 0};
        /* QoS 0: the requester asks again if a reply is lost. */
        int r = c->link.publish(c->link.ctx, rt->topic, json, strlen(json), rt->v5 ? &props : NULL);
        if (r < 0)
                sw_log_warning("Cannot send reply to %s: %s", rt->topic, strerror(-r));
        c->replies++;
        free(json);
}

/* Count a request that was not run, and say why in the journal: a retained one once (it comes
 * back at every reconnect until someone clears it), the others rate-limited. */
static void refuse(struct sw_commands *c, const char *name, enum sw_cmd_refusal why,
                   const char *detail, uint64_t now_ms)
{
        c->refused[why]++;
        if (why == SW_CMD_REFUSED_RETAINED) {
                if (c->retained_logged)
                        return;
                c->retained_logged = true;
                sw_log_warning("Refused a retained command on %s/cmd/%s: a command is never run "
                               "from a retained message (clear it: mosquitto_pub -r -n -t "
                               "'%s/cmd/%s'); further ones are only counted (health "
                               "commands.refused.retained)",
                               c->prefix, name, c->prefix, name);
                return;
        }
        if (!sw_ratelimit_allow(c->log_limit, now_ms))
                return;
        if (why == SW_CMD_REFUSED_REPLY_TOPIC)
                sw_log_warning("Refused command %s: reply topic '%.200s' is not under %s/reply/, "
                               "nothing sent",
                               name, detail, c->prefix);
        else
                sw_log_warning("Refused command %s: %s%s%s", name, sw_cmd_refusal_name(why),
                               detail ? ": " : "", detail ? detail : "");
}

static const struct sw_command *find_row(const struct sw_commands *c, const char *name)
{
        for (size_t i = 0; i < c->n_rows; i++)
                if (strcmp(c->table[i].name, name) == 0)
                        return &c->table[i];
        return NULL;
}

/* The row's decoder, then its handler; an unknown name is an error reply. */
static cJSON *dispatch(struct sw_commands *c, const struct sw_command *row, const char *name,
                       const struct sw_cmd_request *q)
{
        union sw_cmd_args args = {0};
        cJSON *error;
        if (!row)
                return sw_reply_error("unknown command '%s'", name);
        if (row->decode && (error = row->decode(q, &args)) != NULL)
                return error;
        return row->run(c->ctx, &args);
}

int sw_commands_init(struct sw_commands *c, const struct sw_command *table, size_t n_rows,
                     void *ctx, const struct sw_command_link *link, const char *prefix,
                     size_t max_payload, struct sw_ratelimit *log_limit)
{
        c->table = table;
        c->n_rows = n_rows;
        c->ctx = ctx;
        c->link = *link;
        c->prefix = prefix;
        c->max_payload = max_payload;
        c->log_limit = log_limit;
        return sw_payload_decoder_new(&c->decoder) < 0 ? -ENOMEM : 0;
}

void sw_commands_fini(struct sw_commands *c)
{
        c->decoder = sw_payload_decoder_free(c->decoder);
}

void sw_commands_handle(struct sw_commands *c, const char *name, const void *payload, size_t len,
                        const struct sw_mqtt_props *props, uint64_t now_ms)
{
        const char *response_topic = props ? props->response_topic : NULL;
        const struct sw_command *row = find_row(c, name);
        /* An unknown name has a bucket of its own, as every command has. */
        const char *bucket = row ? row->rate_class : name;
        struct reply_route rt = {0};
        struct sw_cmd_request q;
        char err[256];
        int gate = sw_cmd_gate(c->prefix, props && props->retained, response_topic);

        if (gate > 0) {
                refuse(c, name, (enum sw_cmd_refusal)(gate - 1), response_topic, now_ms);
                return;
        }
        if (response_topic)
                rt = (struct reply_route){.topic = response_topic,
                                          .corr = props->corr,
                                          .corr_len = props->corr_len,
                                          .v5 = true};
        if (!sw_rate_allow(&c->rate, 0, bucket, strlen(bucket), now_ms)) {
                refuse(c, name, SW_CMD_REFUSED_RATE_LIMITED, NULL, now_ms);
                send_reply(
                    c, &rt,
                    sw_reply_error("rate_limited: too many %s requests, ask again later", name));
                return;
        }
        if (sw_payload_decode_command(c->decoder, payload, len, c->max_payload, &q, err,
                                      sizeof(err)) < 0) {
                refuse(c, name, SW_CMD_REFUSED_INVALID, err, now_ms);
                send_reply(c, &rt, sw_reply_error("%s", err));
                return;
        }
        if (!rt.topic && q.reply_to) {
                if (!sw_cmd_reply_topic_allowed(c->prefix, q.reply_to)) {
                        refuse(c, name, SW_CMD_REFUSED_REPLY_TOPIC, q.reply_to, now_ms);
                        return;
                }
                rt = (struct reply_route){.topic = q.reply_to, .corr = q.corr};
        }
        c->run++;
        send_reply(c, &rt, dispatch(c, row, name, &q));
}
