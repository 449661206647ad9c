/* Count judging: which anomalies a cycle count answers, and its verdict on each (no I/O). */
#include "daemon/count_judge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/anomaly_type.h"

static int target(const struct sw_outcome_params *p, const struct sw_count_facts *c, const char *id,
                  enum sw_anomaly_type type, struct sw_count_target *ret)
{
        snprintf(ret->anomaly, sizeof(ret->anomaly), "%s", id);
        ret->type = type;
        return sw_outcome_judge_count(p, type, c->book_before, c->counted, c->price, &ret->verdict);
}

/* 0 and its type when the named anomaly is an open one of the counted SKU, else -ENOENT. */
static int named_open(const struct sw_count_facts *c, const struct sw_count_lookup *lookup,
                      enum sw_anomaly_type *ret_type)
{
        struct sw_count_named n = {0};
        int r = lookup->anomaly(lookup->ctx, c->named, &n);
        if (r < 0)
                return r;
        if (!n.open || strcmp(n.sku, c->sku) != 0)
                return -ENOENT;
        *ret_type = n.type;
        return 0;
}

int sw_count_judge(const struct sw_outcome_params *p, const struct sw_anomaly_book *book,
                   const struct sw_count_facts *c, const struct sw_count_lookup *lookup,
                   struct sw_count_target ret[SW_ANOMALY_TYPE_COUNT])
{
        char id[SW_ANOMALY_ID_MAX];
        enum sw_anomaly_type type;
        int n = 0, r;
        /* A count older than the book held changed nothing (ingest skipped it): it proves
         * nothing about the book's anomalies either. */
        if (c->items_applied == 0)
                return 0;
        if (c->named) {
                r = named_open(c, lookup, &type);
                if (r == 0)
                        return (r = target(p, c, c->named, type, &ret[0])) < 0 ? r : 1;
                if (r != -ENOENT)
                        return r;
        }
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++) {
                enum sw_anomaly_type t = (enum sw_anomaly_type)k;
                sw_day_t since;
                if (!sw_anomaly_type_desc(t)->counted ||
                    sw_anomaly_book_find(book, t, c->sku_index, &since) < 0)
                        continue;
                r = sw_anomaly_id(id, sizeof(id), c->store_id, t, c->sku, since);
                if (r >= 0)
                        r = target(p, c, id, t, &ret[n]);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}
