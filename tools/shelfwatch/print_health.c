/* print_health.c: output of shelfwatch health, detect and backup. */
#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "shelfwatch.h"

/* Rows DETECTOR / LAST RUN / AS OF / EVALUATED / OPENED / UPDATED / CLEARED. */
static void cli_print_detectors(const cJSON *detectors, bool with_run)
{
        static const struct cli_column cols[] = {
            {"DETECTOR", false}, {"EVALUATED", true}, {"OPENED", true},   {"UPDATED", true},
            {"CLEARED", true},   {"AS OF", false},    {"LAST RUN", false}};
        struct cli_table t;
        const cJSON *d;
        char n[4][CLI_CELL_SIZE];
        cli_table_init(&t, cols, with_run ? 7 : 5);
        cJSON_ArrayForEach(d, detectors)
        {
                const cJSON *found = with_run ? cli_get(d, "found") : d;
                const char *row[] = {d->string,
                                     CLI_COUNT(found, "evaluated", n[0]),
                                     CLI_COUNT(found, "opened", n[1]),
                                     CLI_COUNT(found, "updated", n[2]),
                                     CLI_COUNT(found, "cleared", n[3]),
                                     cli_str(d, "as_of"),
                                     cli_str(d, "last_run")};
                cli_table_add(&t, row);
        }
        cli_table_print(&t);
}

void cli_print_detect(const cJSON *reply)
{
        char open[CLI_CELL_SIZE];
        printf(
            "Detection as of %s: %s.\n\n", cli_str(reply, "as_of"),
            cli_num_quantity(reply, "open", "open anomaly", "open anomalies", open, sizeof(open)));
        cli_print_detectors(cli_get(reply, "detectors"), false);
}

static double cli_sum_numbers(const cJSON *o)
{
        const cJSON *it;
        double sum = 0;
        cJSON_ArrayForEach(it, o) sum += cJSON_IsNumber(it) ? it->valuedouble : 0;
        return sum;
}

/* Rows KIND / ACCEPTED / DUPLICATES / REJECTED / REASONS. */
static void cli_print_messages(const cJSON *messages)
{
        static const struct cli_column cols[] = {{"MESSAGES", false},
                                                 {"ACCEPTED", true},
                                                 {"DUPLICATES", true},
                                                 {"REJECTED", true},
                                                 {"REASONS", false}};
        const cJSON *rejected = cli_get(messages, "rejected"), *kind;
        struct cli_table t;
        char acc[CLI_CELL_SIZE], dup[CLI_CELL_SIZE], rej[CLI_CELL_SIZE], reasons[512];
        cli_table_init(&t, cols, 5);
        cJSON_ArrayForEach(kind, cli_get(messages, "accepted"))
        {
                const cJSON *why = cli_get(rejected, kind->string), *r;
                size_t len = 0;
                reasons[0] = '\0';
                cJSON_ArrayForEach(r, why) if (len < sizeof(reasons)) len +=
                    (size_t)snprintf(reasons + len, sizeof(reasons) - len, "%s%s %.0f",
                                     len ? ", " : "", r->string, cJSON_GetNumberValue(r));
                snprintf(rej, sizeof(rej), "%.0f", cli_sum_numbers(why));
                const char *row[] = {kind->string,
                                     CLI_COUNT(cli_get(messages, "accepted"), kind->string, acc),
                                     CLI_COUNT(cli_get(messages, "duplicates"), kind->string, dup),
                                     rej, reasons[0] ? reasons : "-"};
                cli_table_add(&t, row);
        }
        cli_table_print(&t);
}

static void cli_format_uptime(const cJSON *reply, char *buf, size_t size)
{
        const cJSON *v = cli_get(reply, "uptime_s");
        if (!cJSON_IsNumber(v)) {
                snprintf(buf, size, "-");
                return;
        }
        long s = (long)v->valuedouble;
        if (s >= 86400)
                snprintf(buf, size, "%ldd %02ldh %02ldm", s / 86400, s % 86400 / 3600,
                         s % 3600 / 60);
        else if (s >= 3600)
                snprintf(buf, size, "%ldh %02ldm", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, size, "%ldm %02lds", s / 60, s % 60);
}

void cli_print_health(const cJSON *reply)
{
        const cJSON *skus = cli_get(reply, "skus"), *outbox = cli_get(reply, "outbox"), *b;
        char a[CLI_CELL_SIZE], c[CLI_CELL_SIZE], d[CLI_CELL_SIZE], e[CLI_CELL_SIZE];
        cli_kv("Version", "shelfwatchd %s", cli_str(reply, "version"));
        cli_format_uptime(reply, a, sizeof(a));
        cli_kv("Started", "%s (up %s)", cli_str(reply, "started_at"), a);
        cli_kv("Open anomalies", "%s", CLI_COUNT(reply, "open_anomalies", a));
        cli_kv("SKUs tracked", "%s of %s", CLI_COUNT(skus, "tracked", a),
               CLI_COUNT(skus, "capacity", c));
        cli_kv("Store errors", "%s", CLI_COUNT(reply, "store_errors", a));
        cli_kv("Outbox", "%s queued (%s), %s in flight", CLI_COUNT(outbox, "depth", a),
               cli_num_quantity(outbox, "bytes", "byte", "bytes", c, sizeof(c)),
               CLI_COUNT(outbox, "in_flight", d));
        cli_kv("", "%s delivered, %s refused, %s dropped", CLI_COUNT(outbox, "delivered", a),
               CLI_COUNT(outbox, "refused", c), CLI_COUNT(outbox, "dropped", d));
        cJSON_ArrayForEach(b, cli_get(reply, "brokers"))
        {
                char key[64];
                snprintf(key, sizeof(key), "Broker %s", b->string);
                cli_kv(
                    key, "%s (%s, %s, %s)", cli_str(b, "state"),
                    cli_num_quantity(b, "connects", "connect", "connects", c, sizeof(c)),
                    cli_num_quantity(b, "disconnects", "disconnect", "disconnects", d, sizeof(d)),
                    cli_num_quantity(b, "connect_failures", "failure", "failures", e, sizeof(e)));
        }
        putchar('\n');
        cli_print_messages(cli_get(reply, "messages"));
        putchar('\n');
        cli_print_detectors(cli_get(reply, "detectors"), true);
}

void cli_print_backup(const cJSON *reply)
{
        char bytes[CLI_CELL_SIZE], schema[CLI_CELL_SIZE], ms[CLI_CELL_SIZE];
        printf("Backup written to %s on the gateway: %s bytes, schema %s, in %s ms.\n"
               "Restore it with: shelfwatchd --restore %s (with shelfwatchd stopped).\n",
               cli_str(reply, "path"), CLI_COUNT(reply, "bytes", bytes),
               CLI_COUNT(reply, "schema_version", schema), CLI_COUNT(reply, "duration_ms", ms),
               cli_str(reply, "path"));
}
