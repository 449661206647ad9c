/* One device floods: it is rate limited, another device's messages all get applied, memory stays
 * flat. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX "retail/demo/store1"
#define RATE   50  /* limits.device_rate_per_second in this test */
#define BURST  100 /* limits.device_burst */
#define NORMAL 150 /* receipts from the well-behaved device, 50 per second (its limit) / 2 */
#define FLOOD  20000

static long vm_rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
                        break;
        fclose(f);
        return kib;
}

/* n POS messages from register "flood" as lines for mosquitto_pub -l. */
static void write_flood(const char *path, int first, int n, long ts)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = first; i < first + n; i++)
                fprintf(f,
                        "{\"id\":\"flood-%d\",\"ts\":%ld,\"lines\":[{\"sku\":\"F%d\",\"qty\":1,"
                        "\"price\":2.5}]}\n",
                        i, ts, i % 50);
        fclose(f);
}

/* Publish every line of path on topic at QoS 1, as fast as mosquitto_pub goes (or paced). */
static pid_t publish_lines(int port, const char *topic, const char *path, const char *pace,
                           const char *log)
{
        char cmd[2048];
        if (pace)
                snprintf(cmd, sizeof(cmd),
                         "while read -r l; do echo \"$l\"; sleep %s; done < %s | "
                         "mosquitto_pub -h 127.0.0.1 -p %d -t %s -q 1 -l",
                         pace, path, port, topic);
        else
                snprintf(cmd, sizeof(cmd), "mosquitto_pub -h 127.0.0.1 -p %d -t %s -q 1 -l < %s",
                         port, topic, path);
        char *argv[] = {"sh", "-c", cmd, NULL};
        return h_spawn(log, argv);
}

/* Wait until the daemon has seen want POS messages (accepted + rate limited). */
static void wait_pos_seen(int port, double want)
{
        double seen = 0;
        for (int i = 0; i < 600 && seen < want; i++) {
                cJSON *h = h_health(port, PREFIX);
                seen = h_json_number(h, "messages.accepted.pos") +
                       h_json_number_or(h, "messages.rejected.pos.rate_limited", 0);
                cJSON_Delete(h);
                if (seen < want)
                        usleep(100000);
        }
        assert_true(seen >= want);
}

static void test_a_flooding_device_neither_starves_others_nor_grows_memory(void **state)
{
        struct h_fixture f = {0};
        char flood[512], normal[512], log[512];
        long ts = (long)time(NULL);
        (void)state;
        char extra[256];
        snprintf(extra, sizeof(extra),
                 "limits: { device_rate_per_second = %d; device_burst = %d; };\n", RATE, BURST);
        /* The broker must not drop what queues up for the daemon: it is the daemon's limit
         * under test, not mosquitto's default max_queued_messages. */
        h_fixture_prepare(&f, "max_queued_messages 0\n", extra);
        h_fixture_daemon(&f);
        snprintf(log, sizeof(log), "%s/pub.log", f.dir);

        /* Warm-up flood: SQLite's cache, the inbox table, the broker session reach their size. */
        snprintf(flood, sizeof(flood), "%s/flood0.txt", f.dir);
        write_flood(flood, 0, 5000, ts);
        assert_int_equal(h_wait(publish_lines(f.b.port, PREFIX "/pos/flood", flood, NULL, log)), 0);
        wait_pos_seen(f.b.port, 5000);
        long rss_before = vm_rss_kib(f.d.pid);

        /* The flood and, at the same time, a normal device at half its limit. */
        snprintf(flood, sizeof(flood), "%s/flood1.txt", f.dir);
        write_flood(flood, 5000, FLOOD, ts);
        snprintf(normal, sizeof(normal), "%s/normal.txt", f.dir);
        FILE *nf = fopen(normal, "w");
        assert_non_null(nf);
        for (int i = 0; i < NORMAL; i++)
                fprintf(nf,
                        "{\"id\":\"rcpt-%d\",\"ts\":%ld,\"lines\":[{\"sku\":\"N%d\",\"qty\":3}]}\n",
                        i, ts, i % 10);
        fclose(nf);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t fp = publish_lines(f.b.port, PREFIX "/pos/flood", flood, NULL, log);
        pid_t np = publish_lines(f.b.port, PREFIX "/receipt", normal, "0.04", log);
        assert_int_equal(h_wait(fp), 0);
        assert_int_equal(h_wait(np), 0);
        wait_pos_seen(f.b.port, 5000 + FLOOD);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long rss_after = vm_rss_kib(f.d.pid);

        cJSON *h = h_health(f.b.port, PREFIX);
        double limited = h_json_number_or(h, "messages.rejected.pos.rate_limited", 0);
        double pos_ok = h_json_number(h, "messages.accepted.pos");
        double receipts = h_json_number(h, "messages.accepted.receipt");
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        print_message(
            "flood: %d sent in %.1f s, %.0f accepted, %.0f rate limited; normal device: %.0f/%d "
            "applied; VmRSS %ld -> %ld KiB\n",
            5000 + FLOOD, secs, pos_ok, limited, receipts, NORMAL, rss_before, rss_after);
        /* Every message of the well-behaved device was applied, none limited. */
        assert_int_equal((int)receipts, NORMAL);
        assert_null(h_json_item(h, "messages.rejected.receipt.rate_limited"));
        /* The flood got its burst plus its rate over the time it lasted, no more. */
        assert_true(limited > 0);
        assert_true(pos_ok <= 2 * BURST + RATE * (secs + 5) + 5000);
        cJSON_Delete(h);
        /* Memory stays flat: fixed tables, nothing queued per message. Not under AddressSanitizer
         * (tools/run-sanitized-tests.sh), whose quarantine keeps every freed block resident, nor
         * under qemu (SW_TEST_WRAPPER), whose RSS is the emulator's and its code cache. */
        if (!getenv("ASAN_OPTIONS") && !getenv("SW_TEST_WRAPPER"))
                assert_true(rss_after - rss_before < 2048);

        h_fixture_finish(&f);
}

/* n POS messages of register name, published in one mosquitto_pub -l (as fast as it goes). */
static void pos_burst(int port, const char *dir, const char *name, int n, long ts)
{
        char path[512], topic[256];
        snprintf(path, sizeof(path), "%s/%s.lines", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < n; i++)
                fprintf(f,
                        "{\"id\":\"%s-%d\",\"ts\":%ld,\"lines\":[{\"sku\":\"S%d\",\"qty\":1}]}\n",
                        name, i, ts, i % 7);
        fclose(f);
        snprintf(topic, sizeof(topic), PREFIX "/pos/%s", name);
        assert_int_equal(h_wait(publish_lines(port, topic, path, NULL, NULL)), 0);
}

static double pos_limited(int port)
{
        cJSON *h = h_health(port, PREFIX);
        double n = h_json_number_or(h, "messages.rejected.pos.rate_limited", 0);
        cJSON_Delete(h);
        return n;
}

/*
 * Buckets are per kind and device (issue 15, defect 4), 1 a second, burst 5, 4 buckets.
 * A flood on pos/hh-3 leaves scanner/hh-3's counts alone; before, they shared the "hh-3" bucket
 * and the count was refused. Made-up register names that filled the table and went quiet make
 * room: a new flooder and a new register each get a bucket of their own; before, both landed
 * in the one overflow bucket and the flooder starved the register.
 */
static void test_buckets_per_kind_and_device_and_idle_ones_reused(void **state)
{
        struct h_fixture f = {0};
        char msg[256];
        long ts = (long)time(NULL);
        (void)state;
        h_fixture_start(
            &f, "limits: { device_rate_per_second = 1; device_burst = 5; max_devices = 4; };\n");
        struct h_collector *acks = h_fixture_collect(&f, PREFIX "/scanner/hh-3/ack");

        /* Four made-up registers, one sale each: the table is full; then they go quiet. */
        for (int i = 0; i < 4; i++) {
                snprintf(msg, sizeof(msg), "junk%d", i);
                pos_burst(f.b.port, f.dir, msg, 1, ts);
        }
        wait_pos_seen(f.b.port, 4);
        h_sleep_ms(3000);
        /* A new register floods, and another new one sends one sale. */
        pos_burst(f.b.port, f.dir, "flood", 30, ts);
        wait_pos_seen(f.b.port, 34);
        double limited = pos_limited(f.b.port);
        pos_burst(f.b.port, f.dir, "real", 1, ts);
        wait_pos_seen(f.b.port, 35);
        double real_limited = pos_limited(f.b.port) - limited;
        print_message(
            "30 sales from a new flooder: %.0f rate_limited; the new register's sale: %s\n",
            limited, real_limited ? "rate_limited" : "accepted");
        assert_true(real_limited == 0);
        assert_true(limited == 25);

        /* hh-3 floods as a register; hh-3 the scanner still counts. */
        pos_burst(f.b.port, f.dir, "hh-3", 30, ts);
        wait_pos_seen(f.b.port, 65);
        h_publish(f.b.port, PREFIX "/inventory",
                  "{\"ts\":1,\"items\":[{\"sku\":\"S1\",\"on_hand\":3}]}");
        snprintf(msg, sizeof(msg), "{\"id\":\"c-1\",\"ts\":%ld,\"sku\":\"S1\",\"counted\":2}", ts);
        h_publish(f.b.port, PREFIX "/scanner/hh-3/count", msg);
        char *ack = h_collector_await(acks, 0, 5000);
        print_message("count from scanner/hh-3 during a flood on pos/hh-3: %s\n", ack);
        assert_null(strstr(ack, "rate_limited"));
        assert_non_null(strstr(ack, "\"status\":\"accepted\""));
        free(ack);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_a_flooding_device_neither_starves_others_nor_grows_memory),
        cmocka_unit_test_teardown(test_buckets_per_kind_and_device_and_idle_ones_reused,
                                  h_teardown))
/* clang-format on */
