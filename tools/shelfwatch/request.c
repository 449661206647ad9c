/* request.c: a command's request and its one MQTT v5 request/response exchange with shelfwatchd. */
#include <errno.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "session.h"
#include "shelfwatch.h"

/* ---- the request ---- */

cJSON *cli_build_request(const struct cli_options *o, const struct cli_command *c)
{
        cJSON *q = cli_check_alloc(cJSON_CreateObject());
        const struct {
                const char *field;
                const char *value;
        } strings[] = {
            {"type", o->type}, {"severity", o->severity}, {"status", o->status},
            {"sku", o->sku},   {"as_of", o->as_of},       {"action", o->action},
            {"note", o->note}, {"user", o->user},
        };
        for (unsigned i = 0; i < c->n_args; i++)
                cli_check_alloc(cJSON_AddStringToObject(q, c->arg_fields[i], o->args[i]));
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                if (strings[i].value)
                        cli_check_alloc(
                            cJSON_AddStringToObject(q, strings[i].field, strings[i].value));
        if (o->given & CLI_BIT(CLI_OPT_DAYS))
                cli_check_alloc(cJSON_AddNumberToObject(q, "days", (double)o->days));
        if (o->given & CLI_BIT(CLI_OPT_LIMIT))
                cli_check_alloc(cJSON_AddNumberToObject(q, "limit", (double)o->limit));
        if (o->force)
                cli_check_alloc(cJSON_AddTrueToObject(q, "force"));
        if (o->n_detectors) {
                cJSON *list = cli_check_alloc(cJSON_AddArrayToObject(q, "detectors"));
                for (unsigned i = 0; i < o->n_detectors; i++)
                        cJSON_AddItemToArray(list,
                                             cli_check_alloc(cJSON_CreateString(o->detectors[i])));
        }
        return q;
}

/* ---- the exchange ---- */

/*
 * Send the request and wait for the reply. 0 and the reply (malloc'd) in *ret_reply, or
 * -EHOSTUNREACH (connection failed or refused, or no reply in time) with a message printed.
 */
int cli_request(const struct cli_target *t, const char *name, const char *payload, double timeout_s,
                char **ret_reply)
{
        struct cli_session s;
        double start = cli_now_s();
        int r = cli_session_open(&s, t, timeout_s);
        if (r == 0) {
                r = cli_session_request(&s, name, payload, start + timeout_s, ret_reply);
                if (r == -ETIMEDOUT)
                        snprintf(s.error, sizeof(s.error),
                                 "no reply from shelfwatchd on %s/cmd within %g s (is shelfwatchd "
                                 "running, and are --tenant/--store right?)",
                                 t->prefix, timeout_s);
        }
        if (r < 0)
                cli_session_report(&s);
        cli_session_close(&s);
        return r < 0 ? -EHOSTUNREACH : 0;
}
