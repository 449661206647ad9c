/* The gateway's health as HQ gets it (PROTOCOL 1.1): the retained P/status and the health
 * block of P/summary, so that HQ can find broken stores. */
#ifndef SW_HQ_HEALTH_H
#define SW_HQ_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/json_out.h"

struct sw_daemon;

#define SW_HQ_CONDITIONS_MAX 4 /* store-wide conditions that can hold at once */

/* The store-wide conditions that hold now ("pos_feed_silent", "storage_full",
 * "storage_error", "outbox_full"), names into ret[0..max): returns how many. */
size_t sw_hq_conditions(const struct sw_daemon *d, const char **ret, size_t max);
/* The health's members into the object open in o (pos_feed first when asked): last POS
 * message, conditions, storage, outbox, messages per kind. P/status carries them beside its
 * state; P/summary in "health". */
void sw_hq_health_members(const struct sw_daemon *d, struct sw_json_out *o, bool pos_feed);
/* "health":{...} as the next member of the object open in o. */
void sw_hq_health_write(const struct sw_daemon *d, struct sw_json_out *o);
/* P/status's payload into buf (online with its health members, or the offline one the last will
 * carries: no time, no health, as it is published long after it was written):
 * sw_json_out_finish()'s result. */
int sw_daemon_status_json(const struct sw_daemon *d, bool online, char *buf, size_t size);
/* Publish the retained P/status to the HQ link (when connected). */
void sw_daemon_publish_status(struct sw_daemon *d, bool online);

#endif
