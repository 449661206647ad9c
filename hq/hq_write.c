/* One batch of messages written to PostgreSQL in one transaction. */
#include "hq/hq_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hq/hq_db.h"
#include "hq/hq_write_sql.h"

static const char *const kind_sql[HQ_KIND_COUNT] = {hq_sql_anomaly, hq_sql_outcome, hq_sql_summary,
                                                    hq_sql_status};

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

/* [{"o":i,<row fields>},...] of the messages of one kind; *ret_count of them. */
static int rows_of_kind(struct hq_msg *const *msgs, size_t n, enum hq_kind kind, struct text *t,
                        size_t *ret_count)
{
        size_t count = 0;
        int r = text_add(t, "[", 1);
        for (size_t i = 0; r == 0 && i < n; i++) {
                char head[32];
                if (msgs[i]->kind != kind)
                        continue;
                int hl = snprintf(head, sizeof(head), "%s{\"o\":%zu,", count ? "," : "", i);
                r = text_add(t, head, (size_t)hl);
                if (r == 0) /* the row without its opening brace */
                        r = text_add(t, msgs[i]->row + 1, msgs[i]->row_len - 1);
                count++;
        }
        if (r == 0)
                r = text_add(t, "]", 1);
        *ret_count = count;
        return r;
}

static int run_params(PGconn *c, const char *sql, int nparams, const char *const *params,
                      PGresult **ret, char *err, size_t errsz)
{
        PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
        int r = hq_db_result_errno(c, res);
        if (r < 0) {
                snprintf(err, errsz, "PostgreSQL: %s", PQerrorMessage(c));
                err[strcspn(err, "\n")] = '\0';
                PQclear(res);
                return r;
        }
        if (ret)
                *ret = res;
        else
                PQclear(res);
        return 0;
}

/* Classify the statement's rows (o, stored rev, written) into results. */
static void take_results(PGresult *res, struct hq_msg *const *msgs, size_t n,
                         struct hq_write_result *results)
{
        for (int row = 0; row < PQntuples(res); row++) {
                size_t o = (size_t)strtoul(PQgetvalue(res, row, 0), NULL, 10);
                int32_t stored = (int32_t)strtol(PQgetvalue(res, row, 1), NULL, 10);
                bool written = PQgetvalue(res, row, 2)[0] == 't';
                if (o >= n)
                        continue;
                results[o].stored_rev = stored;
                if (written)
                        results[o].outcome = HQ_WRITE_WRITTEN;
                else if (msgs[o]->kind == HQ_KIND_ANOMALY && msgs[o]->rev < stored)
                        results[o].outcome = HQ_WRITE_STALE;
                else
                        results[o].outcome = HQ_WRITE_DUPLICATE;
        }
}

static int write_kind(PGconn *c, struct hq_msg *const *msgs, size_t n, enum hq_kind kind,
                      struct hq_write_result *results, char *err, size_t errsz)
{
        struct text t = {0};
        PGresult *res = NULL;
        size_t count = 0;
        int r = rows_of_kind(msgs, n, kind, &t, &count);
        if (r == 0 && count > 0) {
                const char *params[1] = {t.s};
                r = run_params(c, kind_sql[kind], 1, params, &res, err, errsz);
                if (r == 0)
                        take_results(res, msgs, n, results);
                PQclear(res);
        }
        free(t.s);
        return r;
}

static int write_seen(PGconn *c, struct hq_msg *const *msgs, size_t n, char *err, size_t errsz)
{
        cJSON *a = cJSON_CreateArray();
        char *text = NULL;
        int r = -ENOMEM;
        for (size_t i = 0; a && i < n; i++) {
                cJSON *e = cJSON_CreateObject();
                if (!e)
                        goto out;
                cJSON_AddItemToArray(a, e);
                if (!cJSON_AddStringToObject(e, "tenant", msgs[i]->tenant) ||
                    !cJSON_AddStringToObject(e, "store", msgs[i]->store))
                        goto out;
        }
        text = a ? cJSON_PrintUnformatted(a) : NULL;
        if (text) {
                const char *params[1] = {text};
                r = run_params(c, hq_sql_seen, 1, params, NULL, err, errsz);
        }
out:
        free(text);
        cJSON_Delete(a);
        return r;
}

/* counters plus what results say about this batch. */
static void count_results(struct hq_counters *c, struct hq_write_result *results, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (results[i].outcome == HQ_WRITE_WRITTEN)
                        c->rows_committed++;
                else if (results[i].outcome == HQ_WRITE_STALE)
                        c->stale_revs++;
                else
                        c->duplicates++;
        }
        if (n > 0)
                c->batches++; /* n == 0: the counters alone */
}

static int write_counters(PGconn *c, const struct hq_write_instance *inst,
                          const struct hq_counters *counters, char *err, size_t errsz)
{
        cJSON *o = hq_counters_json(counters);
        char *json = o ? cJSON_PrintUnformatted(o) : NULL, started[32];
        int r = -ENOMEM;
        snprintf(started, sizeof(started), "%lld", (long long)inst->started_at);
        if (json) {
                const char *params[3] = {inst->client_id, started, json};
                r = run_params(c, hq_sql_counters, 3, params, NULL, err, errsz);
        }
        free(json);
        cJSON_Delete(o);
        return r;
}

int hq_write_batch(PGconn *c, struct hq_msg *const *msgs, size_t n,
                   const struct hq_write_instance *inst, struct hq_counters *counters,
                   struct hq_write_result *results, char *err, size_t errsz)
{
        struct hq_write_result *scratch = calloc(n ? n : 1, sizeof(*scratch));
        struct hq_counters next = *counters;
        int r = scratch ? hq_db_exec(c, "BEGIN", err, errsz) : -ENOMEM;
        for (int k = 0; r == 0 && k < HQ_KIND_COUNT; k++)
                r = write_kind(c, msgs, n, (enum hq_kind)k, scratch, err, errsz);
        if (r == 0 && n > 0)
                r = write_seen(c, msgs, n, err, errsz);
        if (r == 0) {
                count_results(&next, scratch, n);
                r = write_counters(c, inst, &next, err, errsz);
        }
        if (r == 0)
                r = hq_db_exec(c, "COMMIT", err, errsz);
        if (r == 0) {
                memcpy(results, scratch, n * sizeof(*results));
                *counters = next;
        } else if (scratch && PQstatus(c) == CONNECTION_OK) {
                (void)hq_db_exec(c, "ROLLBACK", NULL, 0);
        }
        free(scratch);
        return r;
}
