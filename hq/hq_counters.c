/* What the ingest counted since start. */
#include "hq/hq_counters.h"

cJSON *hq_counters_json(const struct hq_counters *c)
{
        cJSON *o = cJSON_CreateObject(), *g;
        if (!o)
                return NULL;
        g = cJSON_AddObjectToObject(o, "messages");
        for (int k = 0; k < HQ_KIND_COUNT; k++)
                cJSON_AddNumberToObject(g, hq_kind_name((enum hq_kind)k), (double)c->messages[k]);
        g = cJSON_AddObjectToObject(o, "bad");
        for (int k = 0; k < HQ_BAD_COUNT; k++)
                cJSON_AddNumberToObject(g, hq_bad_reason_name((enum hq_bad_reason)k),
                                        (double)c->bad[k]);
        cJSON_AddNumberToObject(o, "rows_committed", (double)c->rows_committed);
        cJSON_AddNumberToObject(o, "duplicates", (double)c->duplicates);
        cJSON_AddNumberToObject(o, "stale_revs", (double)c->stale_revs);
        cJSON_AddNumberToObject(o, "batches", (double)c->batches);
        cJSON_AddNumberToObject(o, "batch_failures", (double)c->batch_failures);
        cJSON_AddNumberToObject(o, "receipts_sent", (double)c->receipts_sent);
        cJSON_AddNumberToObject(o, "receipt_ids", (double)c->receipt_ids);
        cJSON_AddNumberToObject(o, "receipts_failed", (double)c->receipts_failed);
        cJSON_AddNumberToObject(o, "receipt_ids_dropped", (double)c->receipt_ids_dropped);
        cJSON_AddNumberToObject(o, "queue_overflows", (double)c->queue_overflows);
        cJSON_AddNumberToObject(o, "read_pauses", (double)c->read_pauses);
        cJSON_AddNumberToObject(o, "db_connects", (double)c->db_connects);
        cJSON_AddNumberToObject(o, "mqtt_connects", (double)c->mqtt_connects);
        return o;
}
