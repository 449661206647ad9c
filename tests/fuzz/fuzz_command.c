/* libFuzzer harness: command request payloads (sw_payload_decode_command) and the checks a
 * request passes before it runs (core/command_gate: retained, reply topic). */
/*
 * Each input is the MQTT payload of one P/cmd/{name} request. Beyond the sanitizers, the
 * harness checks the documented contract: a refusal returns -EINVAL with a message and
 * leaves *ret untouched; an accepted request has NUL-terminated strings within their
 * length caps, days/limit within 1..SW_CMD_MAX_NUMBER, at most SW_CMD_MAX_DETECTORS
 * printable detector names, and a reply_to without MQTT wildcards. The gate: a retained request
 * is always refused first; a reply topic (the decoded reply_to, and the raw input taken as a v5
 * Response Topic) is allowed only under PREFIX/reply/, non-empty there, without wildcards, at
 * most SW_CMD_REPLY_TOPIC_MAX bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/command_gate.h"
#include "platform/payload.h"
#include "tests/fuzz/fuzz_common.h"

#define MAX_BYTES 65536 /* limits.max_payload_bytes default */

static struct sw_payload_decoder *dec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        FUZZ_CHECK(sw_payload_decoder_new(&dec) == 0);
        return 0;
}

#define PREFIX "retail/demo/store1"

/* What sw_cmd_reply_topic_allowed() promises, and the gate's order. */
static void check_reply_topic(const char *topic)
{
        static const char space[] = PREFIX "/reply/";
        bool allowed = sw_cmd_reply_topic_allowed(PREFIX, topic);
        if (allowed) {
                FUZZ_CHECK(strncmp(topic, space, sizeof(space) - 1) == 0);
                FUZZ_CHECK(strlen(topic) > sizeof(space) - 1);
                FUZZ_CHECK(strlen(topic) <= SW_CMD_REPLY_TOPIC_MAX);
                FUZZ_CHECK(!strpbrk(topic, "+#"));
        }
        FUZZ_CHECK(sw_cmd_gate(PREFIX, true, topic) == SW_CMD_REFUSED_RETAINED + 1);
        FUZZ_CHECK(sw_cmd_gate(PREFIX, false, topic) ==
                   (allowed ? 0 : SW_CMD_REFUSED_REPLY_TOPIC + 1));
}

static void check_string(const char *s, size_t max_len)
{
        if (!s)
                return;
        FUZZ_CHECK(strnlen(s, max_len + 1) <= max_len);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char sentinel[] = "untouched";
        struct sw_cmd_request req;
        char err[256];
        int r;

        /* The raw bytes as a v5 Response Topic (up to the first NUL). */
        {
                char topic[SW_CMD_REPLY_TOPIC_MAX + 2];
                size_t n = size < sizeof(topic) - 1 ? size : sizeof(topic) - 1;
                memcpy(topic, data, n);
                topic[n] = '\0';
                check_reply_topic(topic);
        }
        memset(&req, 0, sizeof(req));
        req.as_of = sentinel;
        req.days = -7;
        req.n_detectors = 99;
        r = sw_payload_decode_command(dec, data, size, MAX_BYTES, &req, err, sizeof(err));
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL);
                FUZZ_CHECK(err[0] != '\0');
                FUZZ_CHECK(req.as_of == sentinel && req.days == -7 && req.n_detectors == 99);
                return 0;
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(req.as_of != sentinel);
        check_string(req.as_of, SW_CMD_MAX_STRING_LEN);
        check_string(req.type, SW_CMD_MAX_STRING_LEN);
        check_string(req.severity, SW_CMD_MAX_STRING_LEN);
        check_string(req.status, SW_CMD_MAX_STRING_LEN);
        check_string(req.sku, SW_CMD_MAX_STRING_LEN);
        check_string(req.anomaly, SW_CMD_MAX_STRING_LEN);
        check_string(req.outcome, SW_CMD_MAX_STRING_LEN);
        check_string(req.action, SW_CMD_MAX_STRING_LEN);
        check_string(req.note, SW_CMD_MAX_NOTE_LEN);
        check_string(req.reply_to, SW_CMD_MAX_STRING_LEN);
        check_string(req.corr, SW_CMD_MAX_STRING_LEN);
        if (req.reply_to) {
                FUZZ_CHECK(req.reply_to[0] != '\0' && !strpbrk(req.reply_to, "+#"));
                check_reply_topic(req.reply_to);
        }
        if (req.has_days)
                FUZZ_CHECK(req.days >= 1 && req.days <= SW_CMD_MAX_NUMBER);
        else
                FUZZ_CHECK(req.days == 0);
        if (req.has_limit)
                FUZZ_CHECK(req.limit >= 1 && req.limit <= SW_CMD_MAX_NUMBER);
        else
                FUZZ_CHECK(req.limit == 0);
        FUZZ_CHECK(req.n_detectors <= SW_CMD_MAX_DETECTORS);
        for (uint32_t i = 0; i < req.n_detectors; i++) {
                size_t n = strnlen(req.detectors[i], SW_CMD_MAX_STRING_LEN + 1);

                FUZZ_CHECK(n >= 1 && n <= SW_CMD_MAX_STRING_LEN);
                for (size_t k = 0; k < n; k++)
                        FUZZ_CHECK(req.detectors[i][k] >= 0x20 && req.detectors[i][k] <= 0x7e);
        }
        return 0;
}
