/* A simulated v1.1 gateway outbox: every row is resent until HQ's receipt covers its id and rev
 * (PROTOCOL 1.1), so a test can check end-to-end delivery across crashes. */
#ifndef HQ_TEST_GATEWAY_SIM_H
#define HQ_TEST_GATEWAY_SIM_H

#include <stdbool.h>
#include <stddef.h>

#include "integration/harness.h"
#include "hq_harness.h"

/* One outbox row. */
struct gw_row {
        char topic[128]; /* retail/{tenant}/{store}/{anomaly|outcome} */
        char id[64];     /* anomaly or outcome id */
        int rev;         /* the rev this row carries (1 for an outcome) */
        char *payload;   /* owned */
        double sent_at;  /* h_mono_s of the last send, 0 never */
        int sends;       /* times sent */
        bool receipted;  /* a receipt covered id at >= rev */
};

struct gw_sim {
        struct hq_pub *pub;      /* publishing client */
        struct h_collector *col; /* receipts of every store */
        size_t col_seen;         /* receipts already applied */
        struct gw_row *rows;     /* the outbox */
        size_t n, cap;           /* rows used / allocated */
        double resend_s;         /* resend a row without receipt after this long */
};

void gw_open(struct gw_sim *g, int port, const char *client_id, double resend_s);
void gw_close(struct gw_sim *g);
/* Queue a row (the payload is copied); sent by the next gw_pump. */
void gw_add(struct gw_sim *g, const char *topic, const char *id, int rev, const char *payload);
/* Apply new receipts, then send rows never sent or due for a resend (at most max_sends a call);
 * returns the rows still without a receipt. */
size_t gw_pump(struct gw_sim *g, size_t max_sends);
/* Pump until every row is receipted or timeout_s passed; returns the rows still waiting. */
size_t gw_drain(struct gw_sim *g, double timeout_s);
/* Sends beyond the first, over all rows. */
int gw_resends(const struct gw_sim *g);

#endif
