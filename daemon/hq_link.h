/* The daemon's side of HQ: the outbox wired to storage and the HQ link, and P/status. */
#ifndef SW_HQ_LINK_H
#define SW_HQ_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/outbox.h"

struct sw_daemon;

/* Set up d->outbox over the in-flight slots, the database and the HQ link (or the local
 * broker a bridge carries upstream); 0 or -errno. */
int sw_daemon_outbox_init(struct sw_daemon *d, struct sw_inflight *inflight);
/* Send what is pending now. */
void sw_daemon_outbox_pump(struct sw_daemon *d);
/* The link's PUBACK callback (ctx is the daemon). */
void sw_daemon_outbox_on_published(void *ctx, int mid, bool accepted);
/* P/status's payload into buf (online, or the offline one the last will carries too):
 * sw_json_out_finish()'s result. */
int sw_daemon_status_json(const struct sw_daemon *d, bool online, char *buf, size_t size);
/* Publish the retained P/status to the HQ link (when connected). */
void sw_daemon_publish_status(struct sw_daemon *d, bool online);

#endif
