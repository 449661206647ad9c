/* The store broker's ACL ships and works (issue 15, item 9): mosquitto runs with
 * docs/examples/store-acl unchanged and a password file made with mosquitto_passwd -b; each
 * device's allowed publishes reach the daemon, each forbidden one is refused: an observer with
 * the daemon's rights sees nothing of it, and the daemon's counters do not move. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define P "retail/acme/s0042"

/* The users of docs/examples/store-acl and their passwords. */
static const char *const users[][2] = {
    {"shelfwatchd", "daemon-pw"},  {"pos/r1", "r1-pw"},           {"pos/r2", "r2-pw"},
    {"shelf/s1", "s1-pw"},         {"scanner/hh-1", "hh1-pw"},    {"scanner/hh-2", "hh2-pw"},
    {"manager/alice", "alice-pw"}, {"store-system", "system-pw"},
};

static const char *password_of(const char *user)
{
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
                if (strcmp(users[i][0], user) == 0)
                        return users[i][1];
        fail_msg("no user %s", user);
        return NULL;
}

/* docs/examples/<name> in the source tree, from this file's path. */
static void example_path(char *buf, size_t size, const char *name)
{
        const char *self = __FILE__, *cut = strstr(self, "tests/integration/");
        assert_non_null(cut);
        snprintf(buf, size, "%.*sdocs/examples/%s", (int)(cut - self), self, name);
}

/* The broker's directory with a password file (mosquitto_passwd -b) and the example ACL. */
static void write_broker_files(const char *dir, char *extra, size_t size)
{
        char passwd[512], acl[512], src[512];
        snprintf(passwd, sizeof(passwd), "%s/store-passwd", dir);
        snprintf(acl, sizeof(acl), "%s/store-acl", dir);
        h_write_file(passwd, "");
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
                char *argv[] = {"mosquitto_passwd",  "-b", passwd, (char *)users[i][0],
                                (char *)users[i][1], NULL};
                assert_int_equal(h_run(NULL, argv), 0);
        }
        example_path(src, sizeof(src), "store-acl");
        char *text = h_read_file(src);
        assert_non_null(text);
        h_write_file(acl, text);
        free(text);
        /* mosquitto drops to its own user when started as root */
        assert_int_equal(chmod(passwd, 0644), 0);
        assert_int_equal(chmod(acl, 0644), 0);
        snprintf(extra, size, "allow_anonymous false\npassword_file %s\nacl_file %s\n", passwd,
                 acl);
}

struct publish {
        const char *user;    /* who */
        const char *topic;   /* P-relative topic */
        const char *payload; /* what */
};

static void publish_all(int port, const struct publish *p, size_t n, long now)
{
        char topic[256], payload[512];
        for (size_t i = 0; i < n; i++) {
                snprintf(topic, sizeof(topic), P "/%s", p[i].topic);
                snprintf(payload, sizeof(payload), p[i].payload, now);
                assert_int_equal(
                    h_publish_as(port, topic, payload, p[i].user, password_of(p[i].user)), 0);
        }
}

/* Messages the observer saw on topic with that payload (the daemon's own retained P/status is
 * there from the start: only the forged one counts). */
static size_t seen(struct h_collector *c, const char *topic, const char *payload)
{
        size_t n = 0;
        for (size_t i = 0; i < h_collector_count(c); i++) {
                char *t = h_collector_topic(c, i), *m = h_collector_get(c, i);
                n += strcmp(t, topic) == 0 && strcmp(m, payload) == 0;
                free(t);
                free(m);
        }
        return n;
}

/* The daemon's message counters, and the commands run other than the health requests this
 * test made (each counts itself), as one line to compare. */
static char *counters(int port)
{
        static int healths; /* the health requests of this function, before this one */
        cJSON *h = h_health(port, P);
        cJSON *m = cJSON_Duplicate(h_json_item(h, "messages"), true);
        cJSON_AddNumberToObject(m, "other_commands_run",
                                h_json_number(h, "commands.run") - ++healths);
        char *text = cJSON_PrintUnformatted(m);
        cJSON_Delete(m);
        cJSON_Delete(h);
        return text;
}

static const char POS[] = "{\"id\":\"p-%1$ld\",\"ts\":%1$ld,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}";
static const char RECEIPT[] =
    "{\"id\":\"r-%1$ld\",\"ts\":%1$ld,\"lines\":[{\"sku\":\"A\",\"qty\":5}]}";
static const char INVENTORY[] = "{\"ts\":%ld,\"items\":[{\"sku\":\"A\",\"on_hand\":20}]}";
static const char SHELF[] = "{\"ts\":%ld,\"sku\":\"A\",\"count\":3}";
static const char COUNT[] = "{\"id\":\"c-%1$ld\",\"ts\":%1$ld,\"sku\":\"A\",\"counted\":2}";
static const char OUTCOME[] =
    "{\"anomaly\":\"s0042-gs-20261120-A\",\"outcome\":\"false_positive\"}";
static const char EMPTY[] = "{}";
static const char FORGED[] = "{\"id\":\"forged\",\"ts\":%ld}";

static void test_store_acl_refuses_what_it_should(void **state)
{
        /* Every one of these is refused by the broker. */
        static const struct publish forbidden[] = {
            {"pos/r1", "pos/r2", POS},                     /* another register */
            {"pos/r1", "scanner/hh-1/count", COUNT},       /* a count, as a register */
            {"pos/r1", "inventory", INVENTORY},            /* the book, as a register */
            {"pos/r1", "cmd/outcome", OUTCOME},            /* feedback, as a register */
            {"pos/r1", "cmd/detect", EMPTY},               /* a detection run, as a register */
            {"shelf/s1", "shelf/s2", SHELF},               /* another sensor */
            {"shelf/s1", "receipt", RECEIPT},              /* receipts, as a sensor */
            {"scanner/hh-1", "scanner/hh-2/count", COUNT}, /* another scanner */
            {"scanner/hh-1", "pos/hh-1", POS},             /* its name under another kind */
            {"scanner/hh-1", "cmd/outcome", OUTCOME},      /* feedback by command, as a scanner */
            {"scanner/hh-1", "scanner/hh-1/ack", FORGED},  /* its own ack: the daemon's to write */
            {"store-system", "cmd/detect", EMPTY},         /* commands, as the store system */
            {"manager/alice", "pos/r1", POS},              /* sales, as a manager */
            {"pos/r2", "anomaly", FORGED},                 /* the daemon's outputs to HQ */
            {"pos/r2", "outcome", FORGED},
            {"pos/r2", "status", FORGED},
            {"pos/r2", "reply/manager/alice/x", FORGED}, /* a forged reply */
        };
        /* And these work. */
        static const struct publish allowed[] = {
            {"store-system", "inventory", INVENTORY},
            {"pos/r1", "pos/r1", POS},
            {"pos/r1", "receipt", RECEIPT},
            {"shelf/s1", "shelf/s1", SHELF},
            {"scanner/hh-1", "scanner/hh-1/count", COUNT},
        };
        struct h_broker b = {0};
        struct h_daemon d = {0};
        char dir[256], conf[1024], extra[1280], topic[256];
        long now = (long)time(NULL);
        (void)state;
        h_tmpdir(dir, sizeof(dir));
        h_tmpdir(b.dir, sizeof(b.dir));
        write_broker_files(b.dir, extra, sizeof(extra));
        h_broker_start(&b, 0, extra);

        /* Anonymous clients are refused outright. */
        assert_true(h_publish_as(b.port, P "/pos/r1", "{}", NULL, NULL) != 0);
        /* A wrong password too. */
        assert_true(h_publish_as(b.port, P "/pos/r1", "{}", "pos/r1", "wrong") != 0);

        snprintf(conf, sizeof(conf),
                 "store: { tenant = \"acme\"; id = \"s0042\"; };\n"
                 "broker: { port = %d; username = \"shelfwatchd\"; password = \"daemon-pw\"; "
                 "reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
                 "storage: { path = \"%s/sw.db\"; };\n"
                 "devices: { scanners = [ \"hh-1\", \"hh-2\" ]; };\n",
                 b.port, dir);
        /* The harness's requests (health, commands) go as the manager. */
        h_set_credentials("manager/alice", password_of("manager/alice"));
        h_daemon_start_at(&d, dir, conf, b.port, P);
        struct h_collector *all = h_collector_start_as(b.port, P "/#", "shelfwatchd", "daemon-pw");
        struct h_collector *hh2 =
            h_collector_start_as(b.port, P "/scanner/+/ack", "scanner/hh-2", "hh2-pw");
        struct h_collector *hh1 =
            h_collector_start_as(b.port, P "/scanner/hh-1/ack", "scanner/hh-1", "hh1-pw");

        char *before = counters(b.port);
        publish_all(b.port, forbidden, sizeof(forbidden) / sizeof(forbidden[0]), now);
        h_sleep_ms(500);
        char *after = counters(b.port);
        print_message("daemon counters before and after %zu forbidden publishes:\n%s\n%s\n",
                      sizeof(forbidden) / sizeof(forbidden[0]), before, after);
        assert_string_equal(before, after);
        for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
                char payload[512];
                snprintf(topic, sizeof(topic), P "/%s", forbidden[i].topic);
                snprintf(payload, sizeof(payload), forbidden[i].payload, now);
                if (seen(all, topic, payload))
                        fail_msg("%s could publish on %s", forbidden[i].user, topic);
        }
        /* And the observer does see what is allowed (checked below): it is not blind. */
        free(before);
        free(after);

        /* The allowed ones, each from its own user, reach the daemon. */
        publish_all(b.port, allowed, sizeof(allowed) / sizeof(allowed[0]), now);
        h_wait_health_number(b.port, P, "messages.accepted.count", 1, 50);
        cJSON *h = h_health(b.port, P);
        assert_int_equal(h_json_number(h, "messages.accepted.inventory"), 1);
        assert_int_equal(h_json_number(h, "messages.accepted.pos"), 1);
        assert_int_equal(h_json_number(h, "messages.accepted.receipt"), 1);
        assert_int_equal(h_json_number(h, "messages.accepted.shelf"), 1);
        assert_int_equal(h_json_number(h, "messages.unknown_topic"), 0);
        cJSON_Delete(h);
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
                char payload[512];
                snprintf(topic, sizeof(topic), P "/%s", allowed[i].topic);
                snprintf(payload, sizeof(payload), allowed[i].payload, now);
                assert_int_equal(seen(all, topic, payload), 1);
        }
        /* The scanner reads its ack; the other scanner, subscribed to every ack, reads none. */
        assert_true(h_collector_wait(hh1, 1, 5000) >= 1);
        char *ack = h_collector_get(hh1, 0);
        assert_non_null(strstr(ack, "\"status\":\"accepted\""));
        free(ack);
        assert_int_equal(h_collector_count(hh2), 0);
        /* The manager runs a detection and gets its reply (under P/reply/manager/alice/). */
        cJSON *r = h_command(b.port, P, "detect", "{}");
        cJSON_Delete(r);

        h_collector_stop(hh1);
        h_collector_stop(hh2);
        h_collector_stop(all);
        h_finish_test(&d, &b, dir);
        h_set_credentials(NULL, NULL);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_store_acl_refuses_what_it_should, h_teardown))
/* clang-format on */
