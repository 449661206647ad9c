/* The daemon's side of HQ: the outbox wired to storage and the HQ link, and HQ's receipts. */
#ifndef SW_HQ_LINK_H
#define SW_HQ_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/outbox.h"
#include "platform/mqtt_link.h"

struct sw_daemon;

/* Set up d->outbox over the in-flight slots, the database and the HQ link (or the local
 * broker a bridge carries upstream); 0 or -errno. */
int sw_daemon_outbox_init(struct sw_daemon *d, struct sw_inflight *inflight);
/* Send what is pending now. */
void sw_daemon_outbox_pump(struct sw_daemon *d);
/* The link's PUBACK callback (ctx is the daemon). */
void sw_daemon_outbox_on_published(void *ctx, int mid, bool accepted);
/* The link that carries HQ's topics: the hq section's, else the local broker (a bridge). */
struct sw_mqtt *sw_daemon_hq_link(const struct sw_daemon *d);

/* ---- end-to-end receipts (PROTOCOL 1.1, hq_receipts.enabled) ---- */

#define SW_HQ_RECEIPT_SUFFIX "hq/receipt" /* P/hq/receipt */

/* Subscribe to P/hq/receipt on the HQ link (the local broker in bridge mode) when receipts
 * are on; 0 or -errno. */
int sw_daemon_receipts_subscribe(struct sw_daemon *d);
/* A message on P/hq/receipt (from either link): applied to the outbox, or counted. */
void sw_daemon_on_receipt(struct sw_daemon *d, const char *topic, const void *payload, size_t len,
                          bool retained);
/* The HQ link's on_message callback (ctx is the daemon). */
void sw_daemon_hq_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                             const struct sw_mqtt_props *props);
/* Rows without a receipt for hq_receipts.resend_after_seconds go again. */
void sw_daemon_outbox_tick(struct sw_daemon *d);

#endif
