/* A simulated v1.1 gateway outbox: rows resent until HQ's receipt covers their id and rev. */
#include "gateway_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

void gw_open(struct gw_sim *g, int port, const char *client_id, double resend_s)
{
        *g = (struct gw_sim){.resend_s = resend_s};
        g->col = h_collector_start(port, "retail/+/+/hq/receipt");
        g->pub = hq_pub_open(port, client_id);
}

void gw_close(struct gw_sim *g)
{
        for (size_t i = 0; i < g->n; i++)
                free(g->rows[i].payload);
        free(g->rows);
        hq_pub_close(g->pub);
        h_collector_stop(g->col);
}

void gw_add(struct gw_sim *g, const char *topic, const char *id, int rev, const char *payload)
{
        if (g->n == g->cap) {
                g->cap = g->cap ? g->cap * 2 : 256;
                g->rows = realloc(g->rows, g->cap * sizeof(*g->rows));
                assert_non_null(g->rows);
        }
        struct gw_row *r = &g->rows[g->n++];
        *r = (struct gw_row){.rev = rev, .payload = strdup(payload)};
        snprintf(r->topic, sizeof(r->topic), "%s", topic);
        snprintf(r->id, sizeof(r->id), "%s", id);
}

/* The receipt topic's store prefix must match the row's: retail/t/s/hq/receipt vs retail/t/s/x. */
static bool same_store(const char *receipt_topic, const char *row_topic)
{
        const char *end = strrchr(row_topic, '/');
        size_t n = (size_t)(end - row_topic);
        return strncmp(receipt_topic, row_topic, n) == 0 &&
               strcmp(receipt_topic + n, "/hq/receipt") == 0;
}

static void apply_receipt(struct gw_sim *g, const char *topic, const char *payload)
{
        cJSON *o = cJSON_Parse(payload), *e;
        assert_non_null(o);
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "ids"))
        {
                const char *id = cJSON_GetObjectItem(e, "id")->valuestring;
                int rev = cJSON_GetObjectItem(e, "rev")->valueint;
                for (size_t i = 0; i < g->n; i++)
                        if (!g->rows[i].receipted && rev >= g->rows[i].rev &&
                            strcmp(g->rows[i].id, id) == 0 && same_store(topic, g->rows[i].topic))
                                g->rows[i].receipted = true;
        }
        cJSON_Delete(o);
}

size_t gw_pump(struct gw_sim *g, size_t max_sends)
{
        size_t waiting = 0, sent = 0;
        double now = h_mono_s();
        for (; g->col_seen < h_collector_count(g->col); g->col_seen++) {
                char *t = h_collector_topic(g->col, g->col_seen);
                char *p = h_collector_get(g->col, g->col_seen);
                apply_receipt(g, t, p);
                free(t);
                free(p);
        }
        for (size_t i = 0; i < g->n; i++) {
                struct gw_row *r = &g->rows[i];
                if (r->receipted)
                        continue;
                waiting++;
                if (sent < max_sends && (r->sends == 0 || now - r->sent_at >= g->resend_s)) {
                        hq_pub_send(g->pub, r->topic, r->payload, false);
                        r->sent_at = now;
                        r->sends++;
                        sent++;
                }
        }
        return waiting;
}

size_t gw_drain(struct gw_sim *g, double timeout_s)
{
        double until = h_mono_s() + timeout_s;
        size_t waiting;
        while ((waiting = gw_pump(g, 1000)) > 0 && h_mono_s() < until)
                h_sleep_ms(50);
        return waiting;
}

int gw_resends(const struct gw_sim *g)
{
        int n = 0;
        for (size_t i = 0; i < g->n; i++)
                n += g->rows[i].sends > 1 ? g->rows[i].sends - 1 : 0;
        return n;
}
