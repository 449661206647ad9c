/* Messages from the local broker, and the inbox's messages replayed at start-up. */
#ifndef SW_INBOUND_H
#define SW_INBOUND_H

#include <stddef.h>

#include "platform/mqtt_link.h"

/*
 * Handle a message from the local broker (the link's on_message; ctx is the daemon): route by
 * topic to a command, or decode, apply and keep a device message, answering a cycle count.
 */
void sw_inbound_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                           const struct sw_mqtt_props *props);
/* Apply one message the inbox file kept (sw_durability_replay_fn; ctx is the daemon), judging
 * again the anomalies of a count whose outcomes may not have been committed. Returns 0. */
int sw_inbound_replay(void *ctx, int kind, const char *topic, const void *payload, size_t len);

#endif
