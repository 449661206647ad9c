/* Unit tests of the command room (daemon/commands.c, command_args.c): the gate, refusals, the
 * table's dispatch and each command's own decoder, over a fake reply link and fake handlers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/commands.h"
#include "daemon/reply.h"
#include "tests/support/test_main.h"

#define PREFIX "r/t/s"

/* The fake link's last reply and the fake handlers' last call. */
struct fake {
        int replies;            /* publishes */
        char topic[128];        /* the last one's topic */
        char payload[512];      /* and payload */
        bool v5;                /* it carried v5 properties */
        char corr[32];          /* their correlation data */
        int fail;               /* publish fails with this (0 none) */
        int ran;                /* handler calls */
        union sw_cmd_args args; /* the last one's arguments */
};

static int fake_publish(void *ctx, const char *topic, const char *payload, size_t len,
                        const struct sw_mqtt_props *props)
{
        struct fake *f = ctx;
        f->replies++;
        snprintf(f->topic, sizeof(f->topic), "%s", topic);
        snprintf(f->payload, sizeof(f->payload), "%.*s", (int)len, payload);
        f->v5 = props != NULL;
        if (props)
                snprintf(f->corr, sizeof(f->corr), "%.*s", (int)props->corr_len,
                         (const char *)props->corr);
        return f->fail;
}

static cJSON *fake_run(void *ctx, const union sw_cmd_args *a)
{
        struct fake *f = ctx;
        f->ran++;
        f->args = *a;
        return sw_reply_ok();
}

static const struct sw_command table[] = {
    {"detect", sw_cmd_decode_detect, fake_run, "detect"},
    {"health", NULL, fake_run, "health"},
    {"anomalies", sw_cmd_decode_anomalies, fake_run, "anomalies"},
    {"outcome", sw_cmd_decode_outcome, fake_run, "outcome"},
    {"stats", sw_cmd_decode_window, fake_run, "stats"},
};

/* The room under test and its memory. */
struct room {
        struct sw_commands c;          /* under test */
        struct fake f;                 /* its link and handlers */
        struct sw_ratelimit log_limit; /* refusal warnings */
        void *rate_mem;                /* the rate limiter's buckets */
};

static void room_init(struct room *r, uint32_t burst)
{
        struct sw_rate_params p = {.rate_per_second = 1, .burst = burst, .max_devices = 8};
        struct sw_command_link link = {.publish = fake_publish, .ctx = &r->f};
        size_t size = sw_rate_memory_size(&p);
        memset(r, 0, sizeof(*r));
        r->log_limit = (struct sw_ratelimit){.interval_ms = 1000, .burst = 10};
        r->rate_mem = malloc(size);
        assert_non_null(r->rate_mem);
        assert_int_equal(sw_commands_init(&r->c, table, sizeof(table) / sizeof(table[0]), &r->f,
                                          &link, PREFIX, 4096, &r->log_limit),
                         0);
        assert_int_equal(sw_rate_init(&r->c.rate, &p, r->rate_mem, size), 0);
}

static void room_fini(struct room *r)
{
        sw_commands_fini(&r->c);
        free(r->rate_mem);
}

/* A fresh room per test: burst 10, or 2 for the rate test. */
static int setup_burst(void **state, uint32_t burst)
{
        struct room *r = malloc(sizeof(*r));
        if (!r)
                return -1;
        room_init(r, burst);
        *state = r;
        return 0;
}

static int setup(void **state)
{
        return setup_burst(state, 10);
}

static int setup_burst_2(void **state)
{
        return setup_burst(state, 2);
}

static int teardown(void **state)
{
        room_fini(*state);
        free(*state);
        return 0;
}

static void v5(struct room *r, const char *name, const char *payload, bool retained)
{
        struct sw_mqtt_props props = {.response_topic = PREFIX "/reply/me",
                                      .corr = "c-1",
                                      .corr_len = 3,
                                      .retained = retained};
        sw_commands_handle(&r->c, name, payload, strlen(payload), &props, 1000);
}

/* A v5 request runs its row's handler and is answered on its Response Topic with its
 * correlation data. */
static void test_v5_request(void **state)
{
        struct room *r = *state;
        v5(r, "health", "{}", false);
        assert_int_equal(r->f.ran, 1);
        assert_int_equal(r->f.replies, 1);
        assert_string_equal(r->f.topic, PREFIX "/reply/me");
        assert_string_equal(r->f.payload, "{\"ok\":true}");
        assert_true(r->f.v5);
        assert_string_equal(r->f.corr, "c-1");
        assert_int_equal(r->c.run, 1);
        assert_int_equal(r->c.replies, 1);
}

/* MQTT 3.1.1: reply_to in the payload, corr echoed in the reply; outside P/reply/ refused. */
static void test_reply_to(void **state)
{
        struct room *r = *state;
        const char *ok = "{\"reply_to\":\"" PREFIX "/reply/x\",\"corr\":\"k\"}";
        const char *outside = "{\"reply_to\":\"elsewhere/reply\"}";
        sw_commands_handle(&r->c, "health", ok, strlen(ok), NULL, 1000);
        assert_string_equal(r->f.topic, PREFIX "/reply/x");
        assert_string_equal(r->f.payload, "{\"ok\":true,\"corr\":\"k\"}");
        assert_false(r->f.v5);
        sw_commands_handle(&r->c, "health", outside, strlen(outside), NULL, 1000);
        assert_int_equal(r->f.replies, 1);
        assert_int_equal(r->f.ran, 1);
        assert_int_equal(r->c.refused[SW_CMD_REFUSED_REPLY_TOPIC], 1);
        /* no reply route at all: it runs, nothing is sent */
        sw_commands_handle(&r->c, "health", "", 0, NULL, 1000);
        assert_int_equal(r->f.ran, 2);
        assert_int_equal(r->f.replies, 1);
}

/* A retained request, or a Response Topic outside P/reply/, runs nothing and is not answered. */
static void test_gate_refusals(void **state)
{
        struct room *r = *state;
        struct sw_mqtt_props bad = {.response_topic = "other/topic"};
        v5(r, "health", "{}", true);
        v5(r, "health", "{}", true);
        sw_commands_handle(&r->c, "health", "{}", 2, &bad, 1000);
        assert_int_equal(r->f.ran, 0);
        assert_int_equal(r->f.replies, 0);
        assert_int_equal(r->c.refused[SW_CMD_REFUSED_RETAINED], 2);
        assert_true(r->c.retained_logged);
        assert_int_equal(r->c.refused[SW_CMD_REFUSED_REPLY_TOPIC], 1);
        assert_int_equal(r->c.run, 0);
}

/* Over its rate a command is refused (and told so) before its payload is even decoded; each
 * rate class has its own bucket. */
static void test_rate_limited(void **state)
{
        struct room *r = *state;
        v5(r, "health", "{}", false);
        v5(r, "health", "not json", false); /* spends a token, then fails to decode */
        v5(r, "health", "{}", false);
        assert_int_equal(r->f.ran, 1);
        assert_int_equal(r->c.refused[SW_CMD_REFUSED_INVALID], 1);
        assert_int_equal(r->c.refused[SW_CMD_REFUSED_RATE_LIMITED], 1);
        assert_string_equal(
            r->f.payload,
            "{\"ok\":false,\"error\":\"rate_limited: too many health requests, ask again later\"}");
        v5(r, "stats", "{}", false);
        assert_int_equal(r->f.ran, 2);
}

/* Unknown commands are answered with an error; a row's decoder refuses its own bad fields
 * before the handler runs (counted as run: the request was valid). */
static void test_unknown_and_decoder_errors(void **state)
{
        struct room *r = *state;
        v5(r, "reboot", "{}", false);
        assert_string_equal(r->f.payload, "{\"ok\":false,\"error\":\"unknown command 'reboot'\"}");
        v5(r, "detect", "{\"detectors\":[\"ghost_stock\",\"bogus\"]}", false);
        assert_string_equal(r->f.payload,
                            "{\"ok\":false,\"error\":\"detectors: unknown detector 'bogus' "
                            "(ghost_stock, ml_detected, shelf_out, inventory_discrepancy)\"}");
        v5(r, "detect", "{\"as_of\":\"2026-13-01\"}", false);
        assert_string_equal(
            r->f.payload,
            "{\"ok\":false,\"error\":\"as_of: must be a date YYYY-MM-DD (got '2026-13-01')\"}");
        v5(r, "outcome", "{\"anomaly\":\"a-1\"}", false);
        assert_string_equal(r->f.payload,
                            "{\"ok\":false,\"error\":\"outcome: must be true_positive or "
                            "false_positive (got 'nothing')\"}");
        v5(r, "anomalies", "{\"severity\":\"loud\"}", false);
        assert_string_equal(r->f.payload,
                            "{\"ok\":false,\"error\":\"severity: must be info, warning or "
                            "critical (got 'loud')\"}");
        assert_int_equal(r->f.ran, 0);
        assert_int_equal(r->c.run, 5);
}

/* Each decoder hands its handler typed fields. */
static void test_decoded_fields(void **state)
{
        struct room *r = *state;
        v5(r, "detect", "{\"as_of\":\"2026-01-02\",\"detectors\":[\"shelf_out\"]}", false);
        assert_true(r->f.args.detect.has_as_of);
        assert_int_equal(r->f.args.detect.as_of, 20455);
        assert_int_equal(r->f.args.detect.detectors, 1u << SW_ANOMALY_SHELF_OUT);
        v5(r, "detect", "{}", false);
        assert_false(r->f.args.detect.has_as_of);
        assert_int_equal(r->f.args.detect.detectors, (1u << SW_ANOMALY_TYPE_COUNT) - 1);
        v5(r, "outcome", "{\"anomaly\":\"a-1\",\"outcome\":\"false_positive\",\"user\":\"u\"}",
           false);
        assert_string_equal(r->f.args.outcome.anomaly, "a-1");
        assert_int_equal(r->f.args.outcome.kind, SW_OUTCOME_FALSE_POSITIVE);
        assert_string_equal(r->f.args.outcome.user, "u");
        assert_null(r->f.args.outcome.action);
        v5(r, "stats", "{}", false);
        assert_int_equal(r->f.args.window.days, 30);
        v5(r, "anomalies", "{\"days\":3,\"sku\":\"A\"}", false);
        assert_int_equal(r->f.args.list.days, 3);
        assert_int_equal(r->f.args.list.limit, 100);
        assert_string_equal(r->f.args.list.sku, "A");
        assert_int_equal(r->f.ran, 5);
}

/* A reply that cannot be sent is still counted (the requester asks again). */
static void test_publish_failure(void **state)
{
        struct room *r = *state;
        r->f.fail = -ENOTCONN;
        v5(r, "health", "{}", false);
        assert_int_equal(r->f.replies, 1);
        assert_int_equal(r->c.replies, 1);
}

/* The daemon's own table: every row has a name, a handler and a rate class, names unique. */
static void test_daemon_table(void **state)
{
        (void)state;
        assert_true(sw_command_table_rows >= 9);
        for (size_t i = 0; i < sw_command_table_rows; i++) {
                assert_non_null(sw_command_table[i].run);
                assert_non_null(sw_command_table[i].rate_class);
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(sw_command_table[i].name, sw_command_table[j].name);
        }
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_v5_request),
        SW_TEST_FRESH(test_reply_to),
        SW_TEST_FRESH(test_gate_refusals),
        cmocka_unit_test_setup_teardown(test_rate_limited, setup_burst_2, teardown),
        SW_TEST_FRESH(test_unknown_and_decoder_errors),
        SW_TEST_FRESH(test_decoded_fields),
        SW_TEST_FRESH(test_publish_failure),
        cmocka_unit_test(test_daemon_table))
/* clang-format on */
