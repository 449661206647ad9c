/* Commands from the store LAN: a retained command never runs, replies go only under P/reply/,
 * and requests are rate-limited per command name (issue 15, defects 1, 2 and 4). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"

/* mosquitto_pub -V mqttv5 of payload on P/cmd/{name}, retained or not, with a Response Topic
 * when response_topic is not NULL. */
static void publish_command(int port, const char *name, const char *payload, bool retain,
                            const char *response_topic)
{
        char portbuf[16], topic[256];
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        snprintf(topic, sizeof(topic), PREFIX "/cmd/%s", name);
        char *argv[24] = {"mosquitto_pub", "-h", "127.0.0.1", "-p", portbuf, "-V",
                          "mqttv5",        "-q", "1",         "-t", topic,   "-m",
                          (char *)payload};
        int n = 13; /* the options above */
        if (retain)
                argv[n++] = "-r";
        if (response_topic) {
                argv[n++] = "-D";
                argv[n++] = "publish";
                argv[n++] = "response-topic";
                argv[n++] = (char *)response_topic;
        }
        argv[n] = NULL;
        assert_int_equal(h_run(NULL, argv), 0);
}

/* Messages of a collector on topic. */
static size_t count_on(struct h_collector *c, const char *topic)
{
        size_t n = 0;
        for (size_t i = 0; i < h_collector_count(c); i++) {
                char *t = h_collector_topic(c, i);
                n += strcmp(t, topic) == 0;
                free(t);
        }
        return n;
}

/* Messages of a collector whose payload holds needle. */
static size_t count_holding(struct h_collector *c, const char *needle)
{
        size_t n = 0;
        for (size_t i = 0; i < h_collector_count(c); i++) {
                char *m = h_collector_get(c, i);
                n += strstr(m, needle) != NULL;
                free(m);
        }
        return n;
}

/*
 * A retained detect with a reply topic, published while the daemon runs, then the daemon
 * restarted three times: the broker hands the retained request over at every subscription.
 * Before: it ran each time (4 replies "ok":true, 4 detection runs). Now: never; each daemon
 * counts it under commands.refused.retained and logs it once.
 */
static void test_retained_commands_never_run(void **state)
{
        struct h_fixture f = {0};
        (void)state;
        h_fixture_start(&f, NULL);
        struct h_collector *replies = h_fixture_collect(&f, PREFIX "/reply/retained/#");

        publish_command(f.b.port, "detect", "{}", true, PREFIX "/reply/retained/1");
        h_sleep_ms(1000);
        for (int restart = 0; restart < 3; restart++) {
                h_fixture_restart(&f);
                h_sleep_ms(1000);
        }
        cJSON *h = h_health(f.b.port, PREFIX);
        print_message("replies to the retained detect over 4 daemon runs: %zu; ghost run %s\n",
                      h_collector_count(replies),
                      cJSON_IsNull(h_json_item(h, "detectors.ghost_stock.last_run")) ? "never"
                                                                                     : "ran");
        assert_int_equal(h_collector_count(replies), 0);
        assert_true(cJSON_IsNull(h_json_item(h, "detectors.ghost_stock.last_run")));
        assert_int_equal(h_json_number(h, "commands.refused.retained"), 1);
        cJSON_Delete(h);
        h_daemon_stop(&f.d, SIGTERM);
        char *log = h_read_file(f.d.log);
        /* Four daemon runs, one line each (the first time it came in), not one per delivery. */
        assert_int_equal(h_count(log, "Refused a retained command on " PREFIX "/cmd/detect"), 4);
        free(log);
        h_fixture_finish(&f);
}

/*
 * Requests whose reply topic is outside P/reply/: the daemon's own outputs, another scanner's
 * ack, another store's or tenant's reply space, $SYS. Before: each was answered there (and
 * $SYS got the daemon disconnected by the broker). Now: nothing is published, each is counted.
 */
static void test_replies_only_under_the_reply_space(void **state)
{
        static const char *const bad[] = {
            PREFIX "/anomaly",
            PREFIX "/outcome",
            PREFIX "/status",
            PREFIX "/summary",
            PREFIX "/scanner/hh-3/ack",
            "retail/demo/store2/reply/x",
            "retail/other/store1/reply/x",
            "$SYS/x",
            PREFIX "/reply",
        };
        const size_t n_bad = sizeof(bad) / sizeof(bad[0]);
        struct h_fixture f = {0};
        char payload[512];
        (void)state;
        h_fixture_start(&f, NULL);
        struct h_collector *all = h_fixture_collect(&f, "#");
        struct h_collector *sys = h_fixture_collect(&f, "$SYS/x");

        for (size_t i = 0; i < n_bad; i++) {
                publish_command(f.b.port, "health", "{}", false, bad[i]); /* v5 Response Topic */
                snprintf(payload, sizeof(payload), "{\"reply_to\":\"%s\",\"corr\":\"attacker\"}",
                         bad[i]);
                publish_command(f.b.port, "health", payload, false, NULL); /* 3.1.1 reply_to */
        }
        /* The daemon handles requests in order: once this one is answered, all were. */
        publish_command(f.b.port, "health",
                        "{\"reply_to\":\"" PREFIX "/reply/good\",\"corr\":\"g\"}", false, NULL);
        for (int t = 0; t < 100 && count_on(all, PREFIX "/reply/good") == 0; t++)
                h_sleep_ms(50);
        assert_int_equal(count_on(all, PREFIX "/reply/good"), 1);
        size_t replies = count_holding(all, "\"ok\":");
        for (size_t i = 0; i < h_collector_count(all); i++) {
                char *topic = h_collector_topic(all, i), *msg = h_collector_get(all, i);
                if (strstr(msg, "\"ok\":") && strcmp(topic, PREFIX "/reply/good") != 0)
                        print_message("reply published on %s\n", topic);
                free(topic);
                free(msg);
        }
        cJSON *h = h_health(f.b.port, PREFIX);
        print_message("replies published: %zu (1 wanted); refused reply_topic %.0f of %zu; "
                      "local disconnects %.0f\n",
                      replies, h_json_number_or(h, "commands.refused.reply_topic", -1), 2 * n_bad,
                      h_json_number(h, "brokers.local.disconnects"));
        assert_int_equal(replies, 1);
        assert_int_equal(h_collector_count(sys), 0);
        assert_int_equal(h_json_number(h, "commands.refused.reply_topic"), 2 * n_bad);
        assert_int_equal(h_json_number(h, "brokers.local.disconnects"), 0);
        cJSON_Delete(h);
        h_fixture_finish(&f);
}

/* 60 detect requests at once against a burst of 10 and 1 a second: the rest are refused before
 * they run (each would be a detection over the whole store), and other commands still pass. */
static void test_commands_are_rate_limited(void **state)
{
        struct h_fixture f = {0};
        char cmd[1024];
        (void)state;
        h_fixture_start(&f, "limits: { command_rate_per_second = 1; command_burst = 10; };\n");
        snprintf(
            cmd, sizeof(cmd),
            "yes '{}' | head -n 60 | mosquitto_pub -h 127.0.0.1 -p %d -q 1 -t %s/cmd/detect -l",
            f.b.port, PREFIX);
        char *argv[] = {"sh", "-c", cmd, NULL};
        assert_int_equal(h_run(NULL, argv), 0);
        /* health has a bucket of its own: it answers while detect is throttled. */
        for (int t = 0; t < 100; t++) {
                cJSON *h = h_health(f.b.port, PREFIX);
                double run = h_json_number(h, "commands.run"),
                       limited = h_json_number(h, "commands.refused.rate_limited");
                cJSON_Delete(h);
                if (limited >= 45 && run >= 10) {
                        print_message("60 detect requests: %.0f refused rate_limited\n", limited);
                        assert_true(limited <= 50);
                        h_fixture_finish(&f);
                        return;
                }
                h_sleep_ms(100);
        }
        fail_msg("detect requests were not rate-limited");
}

/* clang-format off */
SW_TEST_MAIN_FILTERED(
        cmocka_unit_test_teardown(test_retained_commands_never_run, h_teardown),
        cmocka_unit_test_teardown(test_replies_only_under_the_reply_space, h_teardown),
        cmocka_unit_test_teardown(test_commands_are_rate_limited, h_teardown))
/* clang-format on */
