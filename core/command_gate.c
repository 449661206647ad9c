/* What a command request must pass before it runs. */
#include "core/command_gate.h"

#include <string.h>

const char *sw_cmd_refusal_name(enum sw_cmd_refusal r)
{
        static const char *const names[SW_CMD_REFUSAL_COUNT] = {
            [SW_CMD_REFUSED_RETAINED] = "retained",
            [SW_CMD_REFUSED_REPLY_TOPIC] = "reply_topic",
            [SW_CMD_REFUSED_RATE_LIMITED] = "rate_limited",
            [SW_CMD_REFUSED_INVALID] = "invalid",
        };
        return (unsigned)r < SW_CMD_REFUSAL_COUNT ? names[r] : "unknown";
}

bool sw_cmd_reply_topic_allowed(const char *prefix, const char *topic)
{
        size_t plen, slen = strlen(SW_CMD_REPLY_SPACE), n;
        if (!prefix || !topic)
                return false;
        plen = strlen(prefix);
        n = strnlen(topic, SW_CMD_REPLY_TOPIC_MAX + 1);
        /* The store's reply space and something in it: never the prefix's other topics (its
         * anomalies, outcomes, status, a scanner's ack), another store's, nor $SYS. */
        if (plen == 0 || n > SW_CMD_REPLY_TOPIC_MAX || n <= plen + slen)
                return false;
        if (memcmp(topic, prefix, plen) != 0 || memcmp(topic + plen, SW_CMD_REPLY_SPACE, slen) != 0)
                return false;
        return strpbrk(topic, "+#") == NULL;
}

int sw_cmd_gate(const char *prefix, bool retained, const char *response_topic)
{
        if (retained)
                return SW_CMD_REFUSED_RETAINED + 1;
        if (response_topic && !sw_cmd_reply_topic_allowed(prefix, response_topic))
                return SW_CMD_REFUSED_REPLY_TOPIC + 1;
        return 0;
}
