/* Unit tests of the checks a command request passes before it runs (core/command_gate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/command_gate.h"
#include "tests/support/test_main.h"

#define P "retail/acme/s1"

static void test_reply_topics_under_the_reply_space_only(void **state)
{
        static const char *const refused[] = {
            P "/reply/",   /* the space itself, nothing in it */
            P "/reply",    /* not under it */
            P "/replyx/a", /* a longer level is another topic */
            P "/anomaly",  /* the store's own outputs */
            P "/outcome",
            P "/status",
            P "/summary",
            P "/scanner/hh-3/ack",     /* another scanner's ack */
            P "/cmd/detect",           /* a command loop */
            "retail/acme/s2/reply/x",  /* another store */
            "retail/acme/s10/reply/x", /* a store whose id starts like ours */
            "retail/other/s1/reply/x", /* another tenant */
            "$SYS/x",                  /* the broker's: it disconnects a client publishing there */
            P "/reply/+",              /* wildcards are no topic */
            P "/reply/a/#",
            "",
        };
        (void)state;
        assert_true(sw_cmd_reply_topic_allowed(P, P "/reply/x"));
        assert_true(sw_cmd_reply_topic_allowed(P, P "/reply/manager/alice/shelfwatch-1-ab"));
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
                if (sw_cmd_reply_topic_allowed(P, refused[i]))
                        fail_msg("reply topic '%s' was allowed", refused[i]);
        assert_false(sw_cmd_reply_topic_allowed(P, NULL));
        assert_false(sw_cmd_reply_topic_allowed(NULL, P "/reply/x"));
        assert_false(sw_cmd_reply_topic_allowed("", "/reply/x"));
}

static void test_reply_topic_length_is_capped(void **state)
{
        char topic[SW_CMD_REPLY_TOPIC_MAX + 2];
        (void)state;
        memset(topic, 'x', sizeof(topic));
        memcpy(topic, P "/reply/", strlen(P "/reply/"));
        topic[SW_CMD_REPLY_TOPIC_MAX] = '\0';
        assert_true(sw_cmd_reply_topic_allowed(P, topic));
        topic[SW_CMD_REPLY_TOPIC_MAX] = 'x';
        topic[SW_CMD_REPLY_TOPIC_MAX + 1] = '\0';
        assert_false(sw_cmd_reply_topic_allowed(P, topic));
}

static void test_gate_order(void **state)
{
        (void)state;
        assert_int_equal(sw_cmd_gate(P, false, NULL), 0);
        assert_int_equal(sw_cmd_gate(P, false, P "/reply/me"), 0);
        assert_int_equal(sw_cmd_gate(P, true, NULL), SW_CMD_REFUSED_RETAINED + 1);
        assert_int_equal(sw_cmd_gate(P, true, "$SYS/x"), SW_CMD_REFUSED_RETAINED + 1);
        assert_int_equal(sw_cmd_gate(P, false, "$SYS/x"), SW_CMD_REFUSED_REPLY_TOPIC + 1);
        assert_string_equal(sw_cmd_refusal_name(SW_CMD_REFUSED_RETAINED), "retained");
        assert_string_equal(sw_cmd_refusal_name(SW_CMD_REFUSED_REPLY_TOPIC), "reply_topic");
        assert_string_equal(sw_cmd_refusal_name(SW_CMD_REFUSED_RATE_LIMITED), "rate_limited");
        assert_string_equal(sw_cmd_refusal_name(SW_CMD_REFUSED_INVALID), "invalid");
        assert_string_equal(sw_cmd_refusal_name(SW_CMD_REFUSAL_COUNT), "unknown");
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_reply_topics_under_the_reply_space_only),
        cmocka_unit_test(test_reply_topic_length_is_capped),
        cmocka_unit_test(test_gate_order))
/* clang-format on */
