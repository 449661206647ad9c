/* Which messages of a batch reach PostgreSQL: one row per key, the one the upsert would keep. */
#include "hq/hq_collapse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int compare_key(const struct hq_msg *a, const struct hq_msg *b)
{
        int c = strcmp(a->tenant, b->tenant);
        if (c == 0)
                c = strcmp(a->store, b->store);
        if (c == 0)
                c = (a->kind > b->kind) - (a->kind < b->kind);
        if (c == 0 && a->kind != HQ_KIND_SUMMARY && a->kind != HQ_KIND_STATUS)
                c = strcmp(a->id, b->id);
        return c;
}

static int compare_int64(int64_t a, int64_t b)
{
        return (a > b) - (a < b);
}

/* Within one key, the message that decides comes first (status: arrival order). */
static int compare_messages(const void *pa, const void *pb, void *ctx)
{
        struct hq_msg *const *msgs = ctx;
        uint32_t ia = *(const uint32_t *)pa, ib = *(const uint32_t *)pb;
        const struct hq_msg *a = msgs[ia], *b = msgs[ib];
        int c = compare_key(a, b);
        if (c != 0)
                return c;
        if (a->kind == HQ_KIND_ANOMALY && a->rev != b->rev)
                return a->rev > b->rev ? -1 : 1;
        if (a->kind == HQ_KIND_SUMMARY && a->ts != b->ts)
                return -compare_int64(a->ts, b->ts);
        if (a->kind == HQ_KIND_OUTCOME || a->kind == HQ_KIND_STATUS)
                return compare_int64(ia, ib);
        return -compare_int64(ia, ib); /* the latest arrival among equals */
}

bool hq_status_replaces(const struct hq_msg *cur, const struct hq_msg *next)
{
        if (cur->started_at != HQ_TS_NONE && next->started_at != HQ_TS_NONE &&
            cur->started_at != next->started_at)
                return next->started_at > cur->started_at;
        if (cur->started_at == next->started_at && cur->ts != HQ_TS_NONE && next->ts != HQ_TS_NONE)
                return next->ts >= cur->ts;
        return true;
}

static int reserve(struct hq_collapse *p, size_t n)
{
        uint32_t *order, *rep;
        if (n <= p->cap)
                return 0;
        order = realloc(p->order, n * sizeof(*order));
        if (order)
                p->order = order;
        rep = order ? realloc(p->rep, n * sizeof(*rep)) : NULL;
        if (rep)
                p->rep = rep;
        if (!order || !rep)
                return -ENOMEM;
        p->cap = n;
        return 0;
}

int hq_collapse_plan(struct hq_collapse *p, struct hq_msg *const *msgs, size_t n)
{
        size_t start = 0;
        if (reserve(p, n) < 0)
                return -ENOMEM;
        p->n = n;
        p->stores = 0;
        for (size_t i = 0; i < n; i++)
                p->order[i] = (uint32_t)i;
        if (n > 1) /* a batch of the counters alone has no message (and order may be NULL) */
                qsort_r(p->order, n, sizeof(*p->order), compare_messages, (void *)msgs);
        for (size_t i = 0; i < n; i++) {
                const struct hq_msg *m = msgs[p->order[i]], *first = msgs[p->order[start]];
                if (i == 0 || strcmp(m->tenant, first->tenant) != 0 ||
                    strcmp(m->store, first->store) != 0)
                        p->stores++;
                if (i > 0 && compare_key(first, m) == 0) {
                        uint32_t r = p->rep[p->order[i - 1]];
                        if (m->kind == HQ_KIND_STATUS && hq_status_replaces(msgs[r], m))
                                r = p->order[i];
                        p->rep[p->order[i]] = r;
                        continue;
                }
                start = i;
                p->rep[p->order[i]] = p->order[i];
        }
        /* A store's statuses all point at the one folded last. */
        for (size_t i = n; i-- > 0;) {
                uint32_t k = p->order[i];
                if (msgs[k]->kind == HQ_KIND_STATUS && i + 1 < n &&
                    compare_key(msgs[k], msgs[p->order[i + 1]]) == 0)
                        p->rep[k] = p->rep[p->order[i + 1]];
        }
        return 0;
}

bool hq_collapse_sent(const struct hq_collapse *p, struct hq_msg *const *msgs, size_t i)
{
        return p->rep[i] == i || msgs[i]->kind == HQ_KIND_STATUS;
}

bool hq_collapse_latest_status(const struct hq_collapse *p, size_t i)
{
        return p->rep[i] == i;
}

void hq_collapse_free(struct hq_collapse *p)
{
        if (!p)
                return;
        free(p->order);
        free(p->rep);
        *p = (struct hq_collapse){0};
}
