/* One batch of messages written to PostgreSQL in one transaction, without blocking the loop. */
#include "hq/hq_write.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hq/hq_db.h"
#include "hq/hq_write_sql.h"
#include "platform/clock.h"

#define HQ_WRITE_WORK_MEM "64MB" /* per sort or hash of a batch statement */

/*
 * The connection stays in libpq pipeline mode, non-blocking. A batch is two round trips:
 *
 *   BEGIN; <kind rows>...; <stores seen>; Sync      (HQ_WRITE_ROWS)
 *   <counters incl. this batch's outcomes>; COMMIT; Sync   (HQ_WRITE_COMMITTING)
 *
 * The counters need the row statements' results, hence the second trip; the transaction stays
 * open across it (its row locks too, for one loop pass). A failure makes the server skip the
 * rest up to the Sync (PGRES_PIPELINE_ABORTED); the transaction is then rolled back
 * (HQ_WRITE_ROLLBACK) before the writer reports the error. Meanwhile the loop keeps reading the
 * broker: the next batch forms in the queue while this one commits.
 */

enum step {
        STEP_BEGIN = -1,           /* BEGIN */
        STEP_SEEN = HQ_KIND_COUNT, /* the stores' last message time */
        STEP_COUNTERS,             /* the instance's counters */
        STEP_COMMIT,               /* COMMIT */
        STEP_ROLLBACK,             /* ROLLBACK after a failure */
};

/* The statements, prepared once per connection (hq_write_attach): a batch then costs no
 * parsing or planning, which matters when batches are small and frequent. Indexed by step. */
static const char *const step_sql[HQ_KIND_COUNT + 2] = {
    hq_sql_anomaly, hq_sql_outcome, hq_sql_summary, hq_sql_status, hq_sql_seen, hq_sql_counters};
static const char *const step_name[HQ_KIND_COUNT + 2] = {"hq_anomaly", "hq_outcome", "hq_summary",
                                                         "hq_status",  "hq_seen",    "hq_counters"};

/* A growing text buffer. */
struct text {
        char *s;     /* NUL-terminated */
        size_t len;  /* strlen(s) */
        size_t size; /* allocated */
};

static int text_add(struct text *t, const char *s, size_t n)
{
        if (t->len + n + 1 > t->size) {
                size_t size = (t->len + n + 1) * 2;
                char *p = realloc(t->s, size);
                if (!p)
                        return -ENOMEM;
                t->s = p;
                t->size = size;
        }
        memcpy(t->s + t->len, s, n);
        t->len += n;
        t->s[t->len] = '\0';
        return 0;
}

static int text_add_string(struct text *t, const char *s)
{
        char quoted[6 * HQ_NAME_SIZE + 3]; /* tenant and store: topic levels */
        return text_add(t, quoted, hq_json_quote(quoted, s));
}

/* [{"o":i,<row fields>},...] of the sent messages of one kind, in key order; NULL when none. */
static int rows_of_kind(const struct hq_write *w, enum hq_kind kind, char **ret)
{
        struct text t = {0};
        size_t count = 0;
        int r = text_add(&t, "[", 1);
        for (size_t k = 0; r == 0 && k < w->n; k++) {
                uint32_t i = w->plan.order[k];
                const struct hq_msg *m = w->msgs[i];
                char head[48];
                if (m->kind != kind || !hq_collapse_sent(&w->plan, w->msgs, i))
                        continue;
                int hl = snprintf(head, sizeof(head), "%s{\"o\":%u,%s", count ? "," : "", i,
                                  kind != HQ_KIND_STATUS                   ? ""
                                  : hq_collapse_latest_status(&w->plan, i) ? "\"latest\":true,"
                                                                           : "\"latest\":false,");
                r = text_add(&t, head, (size_t)hl);
                if (r == 0) /* the row without its opening brace */
                        r = text_add(&t, m->row + 1, m->row_len - 1);
                count++;
        }
        if (r == 0)
                r = text_add(&t, "]", 1);
        if (r < 0 || count == 0) {
                free(t.s);
                t.s = NULL;
        }
        *ret = t.s;
        return r;
}

/* [{"tenant":...,"store":...},...]: each store of the batch once, in key order. */
static int stores_of_batch(const struct hq_write *w, char **ret)
{
        struct text t = {0};
        const struct hq_msg *prev = NULL;
        int r = text_add(&t, "[", 1);
        for (size_t k = 0; r == 0 && k < w->n; k++) {
                const struct hq_msg *m = w->msgs[w->plan.order[k]];
                if (prev && strcmp(prev->tenant, m->tenant) == 0 &&
                    strcmp(prev->store, m->store) == 0)
                        continue;
                const char *head = prev ? ",{\"tenant\":" : "{\"tenant\":";
                r = text_add(&t, head, strlen(head));
                if (r == 0)
                        r = text_add_string(&t, m->tenant);
                if (r == 0)
                        r = text_add(&t, ",\"store\":", strlen(",\"store\":"));
                if (r == 0)
                        r = text_add_string(&t, m->store);
                if (r == 0)
                        r = text_add(&t, "}", 1);
                prev = m;
        }
        if (r == 0)
                r = text_add(&t, "]", 1);
        if (r < 0) {
                free(t.s);
                t.s = NULL;
        }
        *ret = t.s;
        return r;
}

static void free_texts(struct hq_write *w)
{
        for (size_t i = 0; i < sizeof(w->text) / sizeof(w->text[0]); i++) {
                free(w->text[i]);
                w->text[i] = NULL;
        }
}

/* Queue one statement in the pipeline (libpq buffers it; hq_write_service() flushes): a
 * prepared one for the steps that have one, else sql. */
static int send_step(struct hq_write *w, int step, const char *sql, int nparams,
                     const char *const *params)
{
        int ok = step >= 0 && step <= STEP_COUNTERS
                     ? PQsendQueryPrepared(w->c, step_name[step], nparams, params, NULL, NULL, 0)
                     : PQsendQueryParams(w->c, sql, nparams, NULL, params, NULL, NULL, 0);
        if (!ok)
                return -ECONNRESET;
        w->steps[w->n_steps++] = step;
        return 0;
}

static int end_phase(struct hq_write *w, enum hq_write_state next)
{
        if (!PQpipelineSync(w->c))
                return -ECONNRESET;
        w->state = next;
        w->step = 0;
        w->step_done = false;
        return 0;
}

static void fail(struct hq_write *w, int error, const char *what)
{
        if (w->error)
                return;
        w->error = error;
        snprintf(w->err, sizeof(w->err), "PostgreSQL: %s", what ? what : "unknown error");
        w->err[strcspn(w->err, "\n")] = '\0';
}

static int send_rows(struct hq_write *w)
{
        int r = send_step(w, STEP_BEGIN, "BEGIN", 0, NULL);
        for (int k = 0; r == 0 && k < HQ_KIND_COUNT; k++) {
                r = rows_of_kind(w, (enum hq_kind)k, &w->text[k]);
                if (r == 0 && w->text[k]) {
                        const char *params[1] = {w->text[k]};
                        r = send_step(w, k, NULL, 1, params);
                }
        }
        if (r == 0 && w->n > 0)
                r = stores_of_batch(w, &w->text[HQ_KIND_COUNT]);
        if (r == 0 && w->n > 0) {
                const char *params[1] = {w->text[HQ_KIND_COUNT]};
                r = send_step(w, STEP_SEEN, NULL, 1, params);
        }
        return r == 0 ? end_phase(w, HQ_WRITE_ROWS) : r;
}

/* The non-sent messages take their result from the one that decided their key. */
static void results_of_collapsed(struct hq_write *w)
{
        for (size_t i = 0; i < w->n; i++) {
                uint32_t rep = w->plan.rep[i];
                const struct hq_msg *m = w->msgs[i];
                if (hq_collapse_sent(&w->plan, w->msgs, i))
                        continue;
                w->results[i].stored_rev = w->results[rep].stored_rev;
                w->results[i].outcome =
                    m->kind == HQ_KIND_ANOMALY && m->rev < w->results[rep].stored_rev
                        ? HQ_WRITE_STALE
                        : HQ_WRITE_DUPLICATE;
        }
        w->delta = (struct hq_counters){.batches = w->n > 0};
        for (size_t i = 0; i < w->n; i++) {
                if (w->results[i].outcome == HQ_WRITE_WRITTEN)
                        w->delta.rows_committed++;
                else if (w->results[i].outcome == HQ_WRITE_STALE)
                        w->delta.stale_revs++;
                else
                        w->delta.duplicates++;
        }
}

static void add_delta(struct hq_counters *c, const struct hq_counters *d)
{
        c->rows_committed += d->rows_committed;
        c->stale_revs += d->stale_revs;
        c->duplicates += d->duplicates;
        c->batches += d->batches;
}

static int send_commit(struct hq_write *w)
{
        char started[32];
        cJSON *o;
        int r = -ENOMEM;
        results_of_collapsed(w);
        w->stored = *w->counters;
        add_delta(&w->stored, &w->delta);
        o = hq_counters_json(&w->stored);
        w->text[4] = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        snprintf(started, sizeof(started), "%lld", (long long)w->inst.started_at);
        if (w->text[4]) {
                const char *params[3] = {w->inst.client_id, started, w->text[4]};
                r = send_step(w, STEP_COUNTERS, NULL, 3, params);
        }
        if (r == 0)
                r = send_step(w, STEP_COMMIT, "COMMIT", 0, NULL);
        return r == 0 ? end_phase(w, HQ_WRITE_COMMITTING) : r;
}

/* A row statement's rows: (o, stored rev, written) into results. */
static void take_rows(struct hq_write *w, PGresult *res)
{
        for (int row = 0; row < PQntuples(res); row++) {
                size_t o = (size_t)strtoul(PQgetvalue(res, row, 0), NULL, 10);
                int64_t stored = strtoll(PQgetvalue(res, row, 1), NULL, 10);
                bool written = PQgetvalue(res, row, 2)[0] == 't';
                if (o >= w->n)
                        continue;
                w->results[o].stored_rev = stored;
                if (written)
                        w->results[o].outcome = HQ_WRITE_WRITTEN;
                else if (w->msgs[o]->kind == HQ_KIND_ANOMALY && w->msgs[o]->rev < stored)
                        w->results[o].outcome = HQ_WRITE_STALE;
                else
                        w->results[o].outcome = HQ_WRITE_DUPLICATE;
        }
}

static void take_result(struct hq_write *w, PGresult *res)
{
        ExecStatusType st = PQresultStatus(res);
        int step = w->step < w->n_steps ? w->steps[w->step] : STEP_ROLLBACK;
        if (st == PGRES_PIPELINE_ABORTED)
                return; /* skipped after an earlier failure, which is the one reported */
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                fail(w, hq_db_result_errno(w->c, res), PQresultErrorMessage(res));
                return;
        }
        if (step >= 0 && step < HQ_KIND_COUNT)
                take_rows(w, res);
}

/* The phase's Sync arrived: send the next phase, or finish. */
static void phase_done(struct hq_write *w)
{
        int r;
        w->n_steps = 0;
        free_texts(w);
        if (w->state == HQ_WRITE_ROLLBACK) {
                w->state = HQ_WRITE_DONE;
                return;
        }
        if (!w->error && w->state == HQ_WRITE_ROWS) {
                r = send_commit(w);
                if (r < 0)
                        fail(w, r, r == -ENOMEM ? "out of memory" : PQerrorMessage(w->c));
                if (r == 0)
                        return;
        }
        if (!w->error && w->state == HQ_WRITE_COMMITTING) {
                add_delta(w->counters, &w->delta);
                w->state = HQ_WRITE_DONE;
                return;
        }
        /* Failed: leave no transaction behind (the server keeps a failed one open). */
        if (PQstatus(w->c) == CONNECTION_OK && PQtransactionStatus(w->c) != PQTRANS_IDLE &&
            send_step(w, STEP_ROLLBACK, "ROLLBACK", 0, NULL) == 0 &&
            end_phase(w, HQ_WRITE_ROLLBACK) == 0)
                return;
        w->state = HQ_WRITE_DONE;
}

/* Take every result that has arrived. */
static void take_results(struct hq_write *w)
{
        while (w->state != HQ_WRITE_DONE && w->state != HQ_WRITE_IDLE && !PQisBusy(w->c)) {
                PGresult *res = PQgetResult(w->c);
                if (w->step_done) { /* the NULL that ends one statement's results */
                        PQclear(res);
                        w->step_done = false;
                        w->step++;
                        continue;
                }
                if (!res) {
                        fail(w, -ECONNRESET, PQerrorMessage(w->c));
                        w->state = HQ_WRITE_DONE;
                        return;
                }
                if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
                        PQclear(res);
                        phase_done(w);
                        continue;
                }
                take_result(w, res);
                PQclear(res);
                w->step_done = true;
        }
}

int hq_write_attach(PGconn *c)
{
        /* A batch's rows are sorted and hashed: in memory, not in temporary files (the default
         * 4 MB spills a batch of a few thousand anomalies to disk). */
        int r = hq_db_exec(c, "SET work_mem = '" HQ_WRITE_WORK_MEM "'", NULL, 0);
        if (r < 0)
                return r;
        for (int i = 0; i <= STEP_COUNTERS; i++) {
                PGresult *res = PQprepare(c, step_name[i], step_sql[i], 0, NULL);
                r = hq_db_result_errno(c, res);
                PQclear(res);
                if (r < 0)
                        return r;
        }
        if (PQsetnonblocking(c, 1) != 0 || !PQenterPipelineMode(c))
                return -EIO;
        return 0;
}

int hq_write_start(struct hq_write *w, PGconn *c, struct hq_msg *const *msgs, size_t n,
                   const struct hq_write_instance *inst, struct hq_counters *counters,
                   struct hq_write_result *results)
{
        int r;
        if (w->state != HQ_WRITE_IDLE)
                return -EBUSY;
        if (hq_collapse_plan(&w->plan, msgs, n) < 0)
                return -ENOMEM;
        w->c = c;
        w->msgs = msgs;
        w->n = n;
        w->results = results;
        w->inst = *inst;
        w->counters = counters;
        w->error = 0;
        w->err[0] = '\0';
        w->n_steps = 0;
        for (size_t i = 0; i < n; i++)
                results[i] = (struct hq_write_result){.outcome = HQ_WRITE_DUPLICATE};
        r = send_rows(w);
        if (r < 0) {
                free_texts(w);
                w->state = HQ_WRITE_IDLE;
                return r == -ENOMEM ? r : -ECONNRESET;
        }
        w->flush_pending = PQflush(c) == 1;
        return 0;
}

int hq_write_fd(const struct hq_write *w)
{
        return w->state == HQ_WRITE_IDLE || w->state == HQ_WRITE_DONE ? -1 : PQsocket(w->c);
}

short hq_write_poll_events(const struct hq_write *w)
{
        if (hq_write_fd(w) < 0)
                return 0;
        return (short)(POLLIN | (w->flush_pending ? POLLOUT : 0));
}

void hq_write_service(struct hq_write *w, short revents)
{
        if (hq_write_fd(w) < 0)
                return;
        if ((revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(w->c)) {
                fail(w, -ECONNRESET, PQerrorMessage(w->c));
                w->state = HQ_WRITE_DONE;
                return;
        }
        take_results(w);
        if (w->state != HQ_WRITE_DONE) { /* send what is left, and what the next phase queued */
                int f = PQflush(w->c);
                if (f < 0) {
                        fail(w, -ECONNRESET, PQerrorMessage(w->c));
                        w->state = HQ_WRITE_DONE;
                }
                w->flush_pending = f == 1;
        }
}

int hq_write_finish(struct hq_write *w, char *err, size_t errsz)
{
        int r = w->error;
        if (w->state != HQ_WRITE_DONE)
                return -EBUSY;
        if (r < 0 && err)
                snprintf(err, errsz, "%s", w->err);
        free_texts(w);
        w->state = HQ_WRITE_IDLE;
        w->msgs = NULL;
        w->results = NULL;
        return r;
}

void hq_write_wait(struct hq_write *w, int timeout_ms)
{
        uint64_t until = sw_clock_monotonic_ms() + (uint64_t)timeout_ms;
        while (w->state != HQ_WRITE_DONE && w->state != HQ_WRITE_IDLE) {
                uint64_t now = sw_clock_monotonic_ms();
                struct pollfd p = {.fd = hq_write_fd(w), .events = hq_write_poll_events(w)};
                if (now >= until) {
                        fail(w, -ETIMEDOUT, "no answer in time");
                        w->state = HQ_WRITE_DONE;
                        break;
                }
                if (poll(&p, 1, (int)(until - now)) < 0 && errno != EINTR)
                        p.revents = POLLERR;
                hq_write_service(w, p.revents);
        }
}

void hq_write_free(struct hq_write *w)
{
        if (!w)
                return;
        free_texts(w);
        hq_collapse_free(&w->plan);
}
