/*
 * import_send.c: publishing an import at a pace the daemon takes, and confirming each batch.
 *
 * Pace: half of limits.device_rate_per_second (the daemon's config as the CLI read it), never
 * the burst: a device's live traffic under the same name (the store system's P/inventory)
 * keeps the other half.
 *
 * Confirmation: the import's messages and its health requests go over one connection at QoS 1,
 * which the broker delivers to the daemon in order, and the daemon handles what it reads in
 * order. So the health reply that follows a batch comes after the daemon has applied (or
 * refused) every message of it, and its counters, against those of the health before the
 * batch, say what became of the batch: accepted, duplicates, refused per reason. Applied
 * messages are in the daemon's inbox file by then (docs/reliability.md: they outlive the daemon
 * being killed; its next fdatasync, at the end of that loop pass, makes them outlive a power
 * cut). Only then does the state file move past the batch.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "import.h"
#include "session.h"

#define IMP_MAX_IN_FLIGHT 64   /* publishes awaiting their PUBACK */
#define IMP_BATCH_MAX     500  /* messages a batch: under mosquitto's default queue of 1000 */
#define IMP_BATCH_MIN     20   /* ... but not a round trip every few messages */
#define IMP_CONFIRM_MIN_S 60.0 /* a daily detection run can hold the daemon's loop a while */
#define IMP_BUCKET_S      0.05 /* at most this many seconds of messages go at once */

volatile sig_atomic_t imp_interrupted;

struct imp_sender {
        struct imp_run *run;     /* the import */
        struct cli_session s;    /* the connection */
        cJSON *baseline;         /* the daemon's health before the open batch */
        char started_at[48];     /* when the daemon started: its counters count from then */
        double rate;             /* messages a second */
        double tokens;           /* messages that may go now */
        double refilled;         /* cli_now_s() of the last refill */
        double bucket;           /* most tokens held */
        unsigned batch_max;      /* messages of a batch before it is confirmed */
        double confirm_s;        /* how long a confirmation may take */
        enum sw_msg_kind kind;   /* the open batch: its messages' kind */
        struct imp_tally *tally; /* ... what it is credited to */
        bool keeps_lines;        /* ... a line skipped (SKU table full) leaves the rest
                                    applied (a receipt), else it refuses its unit (a row) */
        unsigned messages;       /* ... messages published */
        uint64_t units;          /* ... rows or receipts they carry */
};

/* The daemon's counter at a dotted path of a health reply (0 when absent: unused reasons are
 * left out). */
static double imp_counter(const cJSON *h, const char *a, const char *b, const char *c)
{
        const cJSON *v = cli_get(cli_get(h, "messages"), a);
        if (b)
                v = cli_get(v, b);
        if (c)
                v = cli_get(v, c);
        return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static uint64_t imp_delta(const cJSON *now, const cJSON *before, const char *a, const char *b,
                          const char *c)
{
        double d = imp_counter(now, a, b, c) - imp_counter(before, a, b, c);
        return d > 0 ? (uint64_t)d : 0;
}

/* Ask health; 0 and the parsed reply, or -errno (printed). A request refused by the daemon's
 * command rate (someone else asking a lot) is asked again a second later. */
static int imp_health(struct imp_sender *s, cJSON **ret)
{
        double deadline = cli_now_s() + s->confirm_s;
        for (;;) {
                char *text = NULL;
                int r = cli_session_request(&s->s, "health", "{}", deadline, &text);
                if (r == -ETIMEDOUT) {
                        fprintf(stderr,
                                "shelfwatch: no reply from shelfwatchd on %s/cmd/health within %g "
                                "s: the import stops; run it again to go on from the last batch "
                                "confirmed\n",
                                s->run->target->prefix, s->confirm_s);
                        return r;
                }
                if (r < 0) {
                        cli_session_report(&s->s);
                        return r;
                }
                cJSON *h = cJSON_Parse(text);
                free(text);
                const char *err = cJSON_GetStringValue(cli_get(h, "error"));
                if (err && strncmp(err, "rate_limited", 12) == 0 && cli_now_s() + 1 < deadline) {
                        cJSON_Delete(h);
                        if ((r = cli_session_idle(&s->s, 1.0)) < 0)
                                return r;
                        continue;
                }
                if (!cJSON_IsTrue(cli_get(h, "ok")) || !cJSON_IsObject(cli_get(h, "messages"))) {
                        fprintf(stderr,
                                "shelfwatch: shelfwatchd's health reply has no message "
                                "counters%s%s\n",
                                err ? ": " : "", err ? err : "");
                        cJSON_Delete(h);
                        return -EPROTO;
                }
                *ret = h;
                return 0;
        }
}

int imp_sender_open(struct imp_run *r, struct imp_sender **ret)
{
        struct imp_sender *s = cli_check_alloc(calloc(1, sizeof(*s)));
        const struct sw_config_limits *lim = &r->cfg->limits;
        s->run = r;
        s->rate = lim->device_rate_per_second / 2.0 < 1 ? 1 : lim->device_rate_per_second / 2.0;
        s->bucket = ceil(s->rate * IMP_BUCKET_S);
        s->refilled = cli_now_s();
        /* A batch is a second of messages, between the bounds, and a small share of the ids the
         * daemon remembers: what a resumed run sends again must still be known to it. */
        double batch = s->rate;
        if (batch > IMP_BATCH_MAX)
                batch = IMP_BATCH_MAX;
        if (batch > lim->dedup_ids / 4.0)
                batch = lim->dedup_ids / 4.0;
        if (batch < IMP_BATCH_MIN)
                batch = IMP_BATCH_MIN;
        s->batch_max = (unsigned)batch;
        s->confirm_s = r->o->timeout_s > IMP_CONFIRM_MIN_S ? r->o->timeout_s : IMP_CONFIRM_MIN_S;
        if (cli_session_open(&s->s, r->target, r->o->timeout_s) < 0) {
                cli_session_report(&s->s);
                imp_sender_close(s);
                return -EHOSTUNREACH;
        }
        int rc = imp_health(s, &s->baseline);
        if (rc < 0) {
                imp_sender_close(s);
                return rc;
        }
        snprintf(s->started_at, sizeof(s->started_at), "%s", cli_str(s->baseline, "started_at"));
        *ret = s;
        return 0;
}

void imp_sender_close(struct imp_sender *s)
{
        if (!s)
                return;
        cli_session_close(&s->s);
        cJSON_Delete(s->baseline);
        free(s);
}

/* Take a token, serving the connection while none is there. */
static int imp_pace(struct imp_sender *s)
{
        for (;;) {
                double now = cli_now_s();
                s->tokens += (now - s->refilled) * s->rate;
                s->refilled = now;
                if (s->tokens > s->bucket)
                        s->tokens = s->bucket;
                if (s->tokens >= 1) {
                        s->tokens -= 1;
                        return 0;
                }
                int r = cli_session_idle(&s->s, (1 - s->tokens) / s->rate);
                if (r < 0)
                        return r;
        }
}

int imp_send(struct imp_sender *s, struct imp_tally *t, bool keeps_lines, enum sw_msg_kind kind,
             const char *topic, const char *payload, unsigned units)
{
        int r = imp_pace(s);
        if (r == 0)
                r = cli_session_publish(&s->s, topic, payload, IMP_MAX_IN_FLIGHT,
                                        cli_now_s() + s->confirm_s);
        if (r < 0) {
                cli_session_report(&s->s);
                return r;
        }
        s->kind = kind;
        s->tally = t;
        s->keeps_lines = keeps_lines;
        s->messages++;
        s->units += units;
        t->sent += units;
        s->run->sent_this_run++;
        return 0;
}

bool imp_batch_full(const struct imp_sender *s)
{
        /* Book records carry many items each and have no id: one message a batch, so that a
         * refusal is known item by item. */
        return s->messages >= (s->kind == SW_MSG_INVENTORY ? 1 : s->batch_max);
}

/* Credit what the counters say of the batch to its tally. */
static void imp_credit(struct imp_sender *s, const cJSON *now)
{
        struct imp_tally *t = s->tally;
        const cJSON *before = s->baseline;
        const char *kind = sw_msg_kind_name(s->kind);
        uint64_t acc = imp_delta(now, before, "accepted", kind, NULL),
                 dup = imp_delta(now, before, "duplicates", kind, NULL), rej = 0;
        uint64_t skipped = imp_delta(now, before, "lines_skipped_sku_table_full", NULL, NULL);
        const cJSON *reasons = cli_get(cli_get(cli_get(now, "messages"), "rejected"), kind), *it;
        char name[IMP_REASON_SIZE];
        bool per_message = s->units == s->messages; /* else one message of many items */
        uint64_t seen = acc + dup;
        cJSON_ArrayForEach(it, reasons)
        {
                uint64_t n = imp_delta(now, before, "rejected", kind, it->string);
                if (n == 0)
                        continue;
                snprintf(name, sizeof(name), "daemon:%s", it->string);
                imp_tally_add_reason(t, name, per_message ? n : s->units);
                rej += n;
        }
        seen += rej;
        if (seen > s->messages) { /* another device's messages of the kind were counted too */
                s->run->exact = false;
                s->run->other_messages += seen - s->messages;
        }
        if (per_message) {
                uint64_t ours = s->messages > dup + rej ? s->messages - dup - rej : 0;
                t->duplicates += dup;
                t->accepted += acc < ours ? acc : ours;
        } else if (acc > 0) {
                t->accepted += s->units;
        }
        /* Lines of SKUs the table could not take: a sales row (or book item) so is refused; a
         * receipt keeps its other lines. */
        if (s->keeps_lines) {
                t->items_skipped_full += skipped;
        } else if (skipped > 0) {
                uint64_t n = skipped < t->accepted ? skipped : t->accepted;
                t->accepted -= n;
                imp_tally_add_reason(t, "daemon:sku_table_full", n);
        }
        t->stale += imp_delta(now, before, "stale_items", NULL, NULL);
        t->categories_full += imp_delta(now, before, "categories_full", NULL, NULL);
        t->saturated += imp_delta(now, before, "sales_saturated", NULL, NULL);
}

/* The counters the daemon sent back cover fewer messages than the batch: some never reached
 * it. Nothing of the batch is recorded; the next run sends it again (ids, or book records not
 * newer than the book held, make that harmless). */
static int imp_check_seen(struct imp_sender *s, const cJSON *now)
{
        const char *kind = sw_msg_kind_name(s->kind);
        uint64_t seen = imp_delta(now, s->baseline, "accepted", kind, NULL) +
                        imp_delta(now, s->baseline, "duplicates", kind, NULL);
        const cJSON *it;
        cJSON_ArrayForEach(it, cli_get(cli_get(cli_get(now, "messages"), "rejected"), kind)) seen +=
            imp_delta(now, s->baseline, "rejected", kind, it->string);
        if (strcmp(cli_str(now, "started_at"), s->started_at) != 0) {
                fprintf(stderr,
                        "shelfwatch: shelfwatchd restarted during the import (its counters start "
                        "again): run the import again to go on from the last batch confirmed\n");
                return -EPROTO;
        }
        if (seen < s->messages) {
                fprintf(stderr,
                        "shelfwatch: shelfwatchd saw %llu of the %u messages of the last batch: "
                        "the broker dropped some (its max_queued_messages?). Run the import again "
                        "to send that batch again\n",
                        (unsigned long long)seen, s->messages);
                return -EPROTO;
        }
        return 0;
}

int imp_confirm(struct imp_sender *s, struct imp_file *f, unsigned next_line)
{
        char err[512];
        cJSON *now = NULL;
        if (s->messages > 0) {
                int r = cli_session_flush(&s->s, cli_now_s() + s->confirm_s);
                if (r < 0) {
                        cli_session_report(&s->s);
                        return r;
                }
                r = imp_health(s, &now);
                if (r < 0)
                        return r;
                r = imp_check_seen(s, now);
                if (r < 0) {
                        cJSON_Delete(now);
                        return r;
                }
                imp_credit(s, now);
                cJSON_Delete(s->baseline);
                s->baseline = now;
        }
        s->messages = 0;
        s->units = 0;
        if (f)
                f->next_line = next_line;
        if (imp_state_save(s->run, err, sizeof(err)) < 0) {
                fprintf(stderr, "shelfwatch: %s\n", err);
                return -EIO;
        }
        return 0;
}
