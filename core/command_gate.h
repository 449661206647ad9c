/* What a command request must pass before it runs: not retained, a reply topic in the store's
 * reply space, within its rate. */
#ifndef SW_COMMAND_GATE_H
#define SW_COMMAND_GATE_H

#include <stdbool.h>
#include <stddef.h>

#define SW_CMD_REPLY_SPACE     "/reply/" /* replies go under {prefix}/reply/ only */
#define SW_CMD_REPLY_TOPIC_MAX 512       /* longest reply topic accepted, in bytes */

/* Why a command was not run (each is counted in health's commands.refused). */
enum sw_cmd_refusal {
        SW_CMD_REFUSED_RETAINED,     /* delivered retained: a command is an event, not state */
        SW_CMD_REFUSED_REPLY_TOPIC,  /* the reply topic lies outside {prefix}/reply/ */
        SW_CMD_REFUSED_RATE_LIMITED, /* over limits.command_rate_per_second / command_burst */
        SW_CMD_REFUSED_INVALID,      /* the request did not decode (answered with the error) */
        SW_CMD_REFUSAL_COUNT
};

/* Wire name of a refusal ("retained", "reply_topic", ...), "unknown" out of range. */
const char *sw_cmd_refusal_name(enum sw_cmd_refusal r);

/*
 * True when topic may receive a reply for the store whose topic prefix is prefix: it is
 * "{prefix}/reply/" followed by at least one byte, holds no MQTT wildcard ('+', '#'), and is
 * at most SW_CMD_REPLY_TOPIC_MAX bytes. Anything else (another topic of the store, another
 * store's or tenant's prefix, "$SYS/...") is refused. NULL is never allowed.
 */
bool sw_cmd_reply_topic_allowed(const char *prefix, const char *topic);

/*
 * The check made before a request is decoded: a retained request is refused first, then one
 * whose reply topic (the MQTT v5 Response Topic, NULL when absent) is not allowed. Returns 0
 * to go on, or the refusal + 1 (a request with no reply topic goes on: it is answered to
 * nobody, and a reply_to in the payload is checked once decoded).
 */
int sw_cmd_gate(const char *prefix, bool retained, const char *response_topic);

#endif
