/* outbox.c: a simulated day's messages, kept so the day can be resent identically. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "storesim.h"

/* Serialise obj (consumed) into the outbox under P/suffix. */
int sim_emit(struct sim *s, const char *suffix, cJSON *obj)
{
        char topic[SIM_TOPIC_MAX];
        char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
        cJSON_Delete(obj);
        snprintf(topic, sizeof(topic), "%s/%s", s->prefix, suffix);
        char *t = strdup(topic);
        if (!text || !t || SIM_PUSH(s->out, s->n_out, s->cap_out) < 0) {
                free(text);
                free(t);
                return -ENOMEM;
        }
        s->out[s->n_out++] = (struct sim_msg){.topic = t, .payload = text};
        if (s->traffic_file) /* the day is built once: each message once, resends left out */
                fprintf(s->traffic_file, "%s\t%s\n", t, text);
        return 0;
}

void sim_outbox_clear(struct sim *s)
{
        for (size_t i = 0; i < s->n_out; i++) {
                free(s->out[i].topic);
                free(s->out[i].payload);
        }
        s->n_out = 0;
}

void sim_batch_begin(struct sim_batch *b, const char *suffix, const char *array, const char *ts,
                     const char *id_stem)
{
        *b = (struct sim_batch){.array = array};
        snprintf(b->suffix, sizeof(b->suffix), "%s", suffix);
        snprintf(b->ts, sizeof(b->ts), "%s", ts ? ts : "");
        snprintf(b->id_stem, sizeof(b->id_stem), "%s", id_stem ? id_stem : "");
}

int sim_batch_flush(struct sim *s, struct sim_batch *b)
{
        if (!b->msg)
                return 0;
        cJSON *msg = b->msg;
        b->msg = NULL;
        b->n = 0;
        b->part++;
        return sim_emit(s, b->suffix, msg);
}

/* A new, empty item object in the batch (NULL on ENOMEM); flushes full messages. */
cJSON *sim_batch_item(struct sim *s, struct sim_batch *b)
{
        if (b->n >= s->opt.batch && sim_batch_flush(s, b) < 0)
                return NULL;
        if (!b->msg) {
                char id[200];
                b->msg = cJSON_CreateObject();
                if (b->id_stem[0]) {
                        snprintf(id, sizeof(id), "%s-%u", b->id_stem, b->part);
                        cJSON_AddStringToObject(b->msg, "id", id);
                }
                if (b->ts[0])
                        cJSON_AddStringToObject(b->msg, "ts", b->ts);
                b->items = cJSON_AddArrayToObject(b->msg, b->array);
        }
        cJSON *item = cJSON_CreateObject();
        if (!item || !b->items || !cJSON_AddItemToArray(b->items, item))
                return NULL;
        b->n++;
        return item;
}
