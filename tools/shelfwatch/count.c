/* count.c: shelfwatch count: a cycle count published as a handheld scanner does, and its ack. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/outcome_metrics.h"
#include "core/sw_types.h"
#include "session.h"
#include "shelfwatch.h"

#define COUNT_MAX_UNITS    1000000 /* the wire's largest count (docs/protocol.md) */
#define COUNT_RESEND_S     3.0     /* a scanner that missed the ack sends the count again */
#define COUNT_DEFAULT_NAME "shelfwatch"

/* One count: what is sent, and where its answer comes. */
struct count_job {
        const char *sku;                /* the SKU counted */
        long counted;                   /* units found */
        char device[72];                /* the scanner name, P/scanner/{device}/count */
        char id[SW_ID_MAX_LEN + 1];     /* the count's id, the same on every resend */
        char topic[CLI_TOPIC_SIZE];     /* P/scanner/{device}/count */
        char ack_topic[CLI_TOPIC_SIZE]; /* P/scanner/{device}/ack */
};

/* The scanner name: --device, else a broker user "scanner/NAME" (the store ACL's scanners
 * publish only under their own name), else "shelfwatch". */
static void count_device(const struct cli_options *o, const struct cli_target *t, char *buf,
                         size_t size)
{
        const char *user = t->username;
        if (o->device)
                snprintf(buf, size, "%s", o->device);
        else if (user && strncmp(user, "scanner/", 8) == 0 && cli_device_name_ok(user + 8))
                snprintf(buf, size, "%s", user + 8);
        else
                snprintf(buf, size, "%s", COUNT_DEFAULT_NAME);
}

/* A fresh id: the device, the time and 4 random bytes (a scanner's ids are its own business;
 * the daemon only needs them unique, and the same on a resend). */
static void count_make_id(struct count_job *j)
{
        uint32_t rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
                rnd = (uint32_t)getpid() ^ (uint32_t)clock();
        snprintf(j->id, sizeof(j->id), "cli-%.64s-%" PRId64 "-%08" PRIx32, j->device,
                 (int64_t)time(NULL), rnd);
}

static int count_check_args(const struct cli_options *o, struct count_job *j)
{
        const char *sku = o->args[0];
        size_t n = strlen(sku);
        if (!cli_printable(sku, SW_SKU_MAX_LEN) || sku[0] == ' ' || sku[n - 1] == ' ') {
                cli_usage_error("count",
                                "the SKU must be 1 to %d printable ASCII characters, without a "
                                "space at either end (got '%.80s')",
                                SW_SKU_MAX_LEN, sku);
                return -EINVAL;
        }
        if (cli_parse_long(o->args[1], 0, COUNT_MAX_UNITS, &j->counted) < 0) {
                cli_usage_error("count",
                                "the count must be a whole number from 0 to %d (got '%.80s')",
                                COUNT_MAX_UNITS, o->args[1]);
                return -EINVAL;
        }
        j->sku = sku;
        return 0;
}

static bool count_ack_is_ours(const char *payload, size_t len, void *ctx)
{
        const struct count_job *j = ctx;
        cJSON *a = cJSON_ParseWithLength(payload, len);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
        bool ours = id && strcmp(id, j->id) == 0;
        cJSON_Delete(a);
        return ours;
}

static char *count_payload(const struct cli_options *o, const struct count_job *j)
{
        cJSON *m = cli_check_alloc(cJSON_CreateObject());
        cli_check_alloc(cJSON_AddStringToObject(m, "id", j->id));
        cli_check_alloc(cJSON_AddNumberToObject(m, "ts", (double)time(NULL)));
        cli_check_alloc(cJSON_AddStringToObject(m, "sku", j->sku));
        cli_check_alloc(cJSON_AddNumberToObject(m, "counted", (double)j->counted));
        if (o->anomaly)
                cli_check_alloc(cJSON_AddStringToObject(m, "anomaly", o->anomaly));
        if (o->user)
                cli_check_alloc(cJSON_AddStringToObject(m, "user", o->user));
        char *text = cli_check_alloc(cJSON_PrintUnformatted(m));
        cJSON_Delete(m);
        return text;
}

/* Publish the count and wait for its ack, sending it again (same id) every COUNT_RESEND_S
 * while none came, as a scanner does: acks are QoS 0. 0 and the ack, -ETIMEDOUT, or
 * -EHOSTUNREACH. */
static int count_exchange(struct cli_session *s, const struct count_job *j, const char *payload,
                          double deadline, char **ret_ack)
{
        int r = cli_session_subscribe(s, j->ack_topic, deadline);
        while (r == 0) {
                cli_session_expect(s, j->ack_topic, count_ack_is_ours, (void *)j);
                r = cli_session_publish(s, j->topic, payload, 1, deadline);
                if (r < 0)
                        break;
                double until = cli_now_s() + COUNT_RESEND_S;
                r = cli_session_wait(s, until < deadline ? until : deadline, ret_ack);
                if (r != -ETIMEDOUT || cli_now_s() >= deadline)
                        break;
                r = 0;
        }
        return r;
}

/* What the outcome a count recorded was worth. */
struct count_value {
        double value; /* money the book stopped claiming */
        double units; /* units it is made of */
        double price; /* the price of each */
};

/* The anomaly the count judged, read back for its type and the price its detection saw, and
 * the daemon's formula (core/outcome_metrics.c) on the ack's numbers and verdict. */
static bool count_value_recovered(struct cli_session *s, const struct sw_config *cfg,
                                  const cJSON *ack, double deadline, struct count_value *ret)
{
        const char *id = cJSON_GetStringValue(cli_get(ack, "anomaly"));
        bool tp = strcmp(cli_str(ack, "outcome"), "true_positive") == 0, found = false;
        char *text = NULL;
        cJSON *req = cli_check_alloc(cJSON_CreateObject()), *a;
        cli_check_alloc(cJSON_AddStringToObject(req, "sku", cli_str(ack, "sku")));
        char *q = cli_check_alloc(cJSON_PrintUnformatted(req));
        cJSON_Delete(req);
        int r = cli_session_request(s, "anomalies", q, deadline, &text);
        free(q);
        cJSON *reply = r == 0 ? cJSON_Parse(text) : NULL;
        /* The verdict is the daemon's (the ack's): the material test is not made again. */
        struct sw_outcome_params always = cfg->outcomes;
        always.material_units = 0;
        always.material_ratio = 0;
        cJSON_ArrayForEach(a, cli_get(reply, "anomalies"))
        {
                const cJSON *price = cli_get(cli_get(a, "metadata"), "price");
                enum sw_anomaly_type type;
                struct sw_count_verdict v;
                if (!id || strcmp(cli_str(a, "id"), id) != 0)
                        continue;
                if (cJSON_IsNumber(price) &&
                    sw_anomaly_type_parse(cli_str(a, "type"), &type) == 0 &&
                    sw_outcome_judge_count(
                        &always, type, (int32_t)cJSON_GetNumberValue(cli_get(ack, "book_before")),
                        (int32_t)cJSON_GetNumberValue(cli_get(ack, "counted")), price->valuedouble,
                        &v) == 0) {
                        *ret = (struct count_value){
                            .value = tp ? v.value_recovered : 0,
                            .units =
                                price->valuedouble > 0 ? v.value_recovered / price->valuedouble : 0,
                            .price = price->valuedouble};
                        found = true;
                }
                break;
        }
        cJSON_Delete(reply);
        free(text);
        return found;
}

static void count_print(const cJSON *ack, const struct count_value *value)
{
        char a[CLI_CELL_SIZE], b[CLI_CELL_SIZE];
        const char *outcome = cJSON_GetStringValue(cli_get(ack, "outcome"));
        double book = cJSON_GetNumberValue(cli_get(ack, "book_before")),
               counted = cJSON_GetNumberValue(cli_get(ack, "counted")),
               adjustment = cJSON_GetNumberValue(cli_get(ack, "adjustment"));
        bool duplicate = cJSON_IsTrue(cli_get(ack, "duplicate"));
        printf("Count %s of %s accepted%s.\n", cli_str(ack, "id"), cli_str(ack, "sku"),
               duplicate ? " (sent before: the book was not changed again)" : "");
        cli_kv("Book before", "%s",
               cli_num_quantity(ack, "book_before", "unit", "units", a, sizeof(a)));
        cli_kv("Counted", "%s", cli_num_quantity(ack, "counted", "unit", "units", a, sizeof(a)));
        cli_kv("Adjustment", "%s",
               cli_num_quantity(ack, "adjustment", "unit", "units", a, sizeof(a)));
        if (!duplicate && adjustment == 0 && book != counted)
                printf("The gateway holds a book of this SKU as new as the count (set in the "
                       "same second or later): the count changed nothing.\n");
        if (!outcome) {
                cli_kv("Outcome", "none: no open ghost stock or inventory discrepancy on %s%s",
                       cli_str(ack, "sku"),
                       cJSON_IsString(cli_get(ack, "anomaly")) ? " answered by this count" : "");
                return;
        }
        cli_kv("Anomaly", "%s", cli_str(ack, "anomaly"));
        cli_kv("Outcome", "%s (the anomaly is %s)", outcome,
               strcmp(outcome, "true_positive") == 0 ? "resolved" : "dismissed");
        if (value && value->value > 0)
                cli_kv("Value recovered", "%.2f (%s x %.2f, the price it was detected at)",
                       value->value,
                       cli_quantity(round(value->units), "unit", "units", b, sizeof(b)),
                       value->price);
        else if (value)
                cli_kv("Value recovered", "0.00");
}

/* Exit status of an ack: 0 accepted (printed), 1 rejected (its error on stderr). */
static int count_show(const struct cli_options *o, struct cli_session *s,
                      const struct sw_config *cfg, const struct count_job *j, const char *text,
                      double deadline)
{
        cJSON *ack = cli_parse_object(text, "an ack");
        if (!ack)
                return CLI_EXIT_REFUSED;
        bool accepted = strcmp(cli_str(ack, "status"), "accepted") == 0;
        struct count_value value;
        bool have_value = accepted && cJSON_IsString(cli_get(ack, "outcome")) &&
                          count_value_recovered(s, cfg, ack, deadline, &value);
        if (o->json)
                cli_print_json(ack);
        else if (accepted)
                count_print(ack, have_value ? &value : NULL);
        if (!accepted) {
                const char *err = cJSON_GetStringValue(cli_get(ack, "error"));
                fprintf(stderr, "shelfwatch: shelfwatchd refused the count: %s\n",
                        err ? err : "no reason given");
                if (err && strncmp(err, "unknown_device", 14) == 0)
                        fprintf(
                            stderr,
                            "shelfwatch: the daemon takes counts only from the scanners in "
                            "devices.scanners: add '%s' there, or give --device a listed name\n",
                            j->device);
        }
        cJSON_Delete(ack);
        return accepted ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

int cli_run_count(const struct cli_options *o, const struct cli_target *t,
                  const struct sw_config *cfg)
{
        struct count_job j = {0};
        struct cli_session s;
        char *ack = NULL;
        if (count_check_args(o, &j) < 0)
                return CLI_EXIT_USAGE;
        count_device(o, t, j.device, sizeof(j.device));
        count_make_id(&j);
        snprintf(j.topic, sizeof(j.topic), "%s/scanner/%s/count", t->prefix, j.device);
        snprintf(j.ack_topic, sizeof(j.ack_topic), "%s/scanner/%s/ack", t->prefix, j.device);
        char *payload = count_payload(o, &j);
        double deadline = cli_now_s() + o->timeout_s;
        int r = cli_session_open(&s, t, o->timeout_s);
        if (r == 0)
                r = count_exchange(&s, &j, payload, deadline, &ack);
        free(payload);
        if (r == -ETIMEDOUT)
                snprintf(
                    s.error, sizeof(s.error),
                    "no ack from shelfwatchd on %.200s within %g s (is shelfwatchd running, and "
                    "are --tenant/--store right?)",
                    j.ack_topic, o->timeout_s);
        if (r < 0) {
                cli_session_report(&s);
                cli_session_close(&s);
                return CLI_EXIT_UNREACHABLE;
        }
        int status = count_show(o, &s, cfg, &j, ack, cli_now_s() + o->timeout_s);
        free(ack);
        cli_session_close(&s);
        return status;
}
