/* Receipts: what a committed batch confirms to each store, on P/hq/receipt (PROTOCOL 1.1). */
#include "hq/hq_receipt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int hq_receipt_item_compare(const void *pa, const void *pb)
{
        const struct hq_receipt_item *a = pa, *b = pb;
        int c = strcmp(a->tenant, b->tenant);
        if (c == 0)
                c = strcmp(a->store, b->store);
        if (c == 0)
                c = strcmp(a->id, b->id);
        if (c == 0)
                c = (a->rev < b->rev) - (a->rev > b->rev); /* highest rev first */
        return c;
}

bool hq_receipt_same_store(const struct hq_receipt_item *a, const struct hq_receipt_item *b)
{
        return strcmp(a->tenant, b->tenant) == 0 && strcmp(a->store, b->store) == 0;
}

int hq_receipt_emit_one(const struct hq_receipt_item *items, size_t from, size_t to,
                        hq_receipt_emit_fn emit, void *ctx)
{
        cJSON *o = cJSON_CreateObject(), *ids = NULL;
        char *payload;
        int r = -ENOMEM;
        if (!o || !cJSON_AddStringToObject(o, "v", "1.1") ||
            !(ids = cJSON_AddArrayToObject(o, "ids")))
                goto out;
        for (size_t i = from; i < to; i++) {
                cJSON *e = cJSON_CreateObject();
                if (!e)
                        goto out;
                cJSON_AddItemToArray(ids, e);
                if (!cJSON_AddStringToObject(e, "id", items[i].id) ||
                    !cJSON_AddNumberToObject(e, "rev", (double)items[i].rev))
                        goto out;
        }
        payload = cJSON_PrintUnformatted(o);
        if (!payload)
                goto out;
        r = emit(ctx, items[from].tenant, items[from].store, payload);
        free(payload);
out:
        cJSON_Delete(o);
        return r;
}

int hq_receipts_emit(struct hq_receipt_item *items, size_t n, uint32_t max_ids,
                     hq_receipt_emit_fn emit, void *ctx)
{
        size_t kept = 0, start = 0;
        int sent = 0;
        if (max_ids == 0)
                return -EINVAL;
        if (n == 0)
                return 0;
        qsort(items, n, sizeof(*items), hq_receipt_item_compare);
        for (size_t i = 0; i < n; i++) /* drop lower revs of an id already kept */
                if (kept == 0 || !hq_receipt_same_store(&items[kept - 1], &items[i]) ||
                    strcmp(items[kept - 1].id, items[i].id) != 0)
                        items[kept++] = items[i];
        for (size_t i = 1; i <= kept; i++) {
                if (i < kept && hq_receipt_same_store(&items[start], &items[i]) &&
                    i - start < max_ids)
                        continue;
                int r = hq_receipt_emit_one(items, start, i, emit, ctx);
                if (r < 0)
                        return r;
                sent++;
                start = i;
        }
        return sent;
}
