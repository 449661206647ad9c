/* Wire contract 1.1, "prices are carried exactly as received", end to end: real mosquitto, the
 * real daemon. P/inventory sets list prices a float32 cannot hold (150000.01 was published as
 * 150000.02, 1234567.89 as 1234567.9, 25490001 as 25490000); a sale beyond the book raises an
 * inventory_discrepancy whose P/anomaly metadata.price is the received text, byte for byte, also
 * in the anomalies command reply, and after a restart (the SKU state restored from its blob). */
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

/* A SKU, the list price as P/inventory carries it, and the value of a book of -2 and -3. */
static const struct {
        const char *sku, *price, *value[2];
} skus[] = {{"P-150K", "150000.01", {"300000.02", "450000.03"}},
            {"P-1M", "1234567.89", {"2469135.78", "3703703.67"}},
            {"P-VND", "25490001", {"50980002", "76470003"}},
            {"P-CENT", "12.99", {"25.98", "38.97"}}};
#define N_SKUS (sizeof(skus) / sizeof(skus[0]))

/* The text after "key": in json, up to the next ',' or '}' (the number as written). */
static void number_text(const char *json, const char *key, char *buf, size_t size)
{
        const char *p = h_json_raw(json, key);
        size_t n = strcspn(p, ",}");
        snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

/* The P/anomaly message (the last one collected) of sku. */
static char *anomaly_of(struct h_collector *c, const char *sku)
{
        char pat[96];
        snprintf(pat, sizeof(pat), "\"sku\":\"%s\"", sku);
        for (size_t i = h_collector_count(c); i-- > 0;) {
                char *msg = h_collector_get(c, i);
                if (strstr(msg, pat))
                        return msg;
                free(msg);
        }
        fail_msg("no anomaly for %s", sku);
        abort(); /* not reached: fail_msg() jumps out of the test */
}

/* A sale of qty units of every SKU, at ts. */
static void publish_sale(int port, const char *id, const char *ts, int qty)
{
        char msg[1024];
        size_t n =
            (size_t)snprintf(msg, sizeof(msg), "{\"id\":\"%s\",\"ts\":\"%s\",\"lines\":[", id, ts);
        for (size_t k = 0; k < N_SKUS; k++)
                n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s{\"sku\":\"%s\",\"qty\":%d}",
                                      k ? "," : "", skus[k].sku, qty);
        snprintf(msg + n, sizeof(msg) - n, "]}");
        h_publish(port, PREFIX "/pos/r1", msg);
}

/* Every SKU's latest anomaly carries its price exactly as received, and the value of a book of
 * -negative (to the cent). */
static void check_anomalies(struct h_collector *c, int negative)
{
        char got[64];
        for (size_t k = 0; k < N_SKUS; k++) {
                char *msg = anomaly_of(c, skus[k].sku);
                print_message("%s\n", msg);
                const char *meta = strstr(msg, "\"metadata\":");
                assert_non_null(meta);
                number_text(meta, "price", got, sizeof(got));
                if (strcmp(got, skus[k].price) != 0)
                        fail_msg("%s: metadata.price %s, received %s", skus[k].sku, got,
                                 skus[k].price);
                number_text(msg, "value", got, sizeof(got));
                if (strcmp(got, skus[k].value[negative - 2]) != 0)
                        fail_msg("%s: value %s, want %s", skus[k].sku, got,
                                 skus[k].value[negative - 2]);
                free(msg);
        }
}

static void test_prices_reach_hq_as_received(void **state)
{
        struct h_broker b = {0};
        struct h_daemon d = {0};
        char dir[256], conf[1024], msg[1024], ts[32], sale_ts[32];
        size_t n = 0;
        (void)state;
        time_t now = time(NULL);
        time_t t_inv = now - 3600, t_sale = now - 1800;
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t_inv));
        strftime(sale_ts, sizeof(sale_ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t_sale));
        h_tmpdir(dir, sizeof(dir));
        h_broker_start(&b, 0, NULL);
        struct h_collector *c = h_collector_start(b.port, PREFIX "/anomaly");
        h_config(conf, sizeof(conf), b.port, dir, "");
        h_daemon_start(&d, dir, conf, b.port);

        /* A book of 1 unit at each list price, then a sale of 3: the book is -2. */
        n = (size_t)snprintf(msg, sizeof(msg), "{\"ts\":\"%s\",\"items\":[", ts);
        for (size_t k = 0; k < N_SKUS; k++)
                n += (size_t)snprintf(msg + n, sizeof(msg) - n,
                                      "%s{\"sku\":\"%s\",\"on_hand\":1,\"price\":%s}", k ? "," : "",
                                      skus[k].sku, skus[k].price);
        snprintf(msg + n, sizeof(msg) - n, "]}");
        h_publish(b.port, PREFIX "/inventory", msg);
        publish_sale(b.port, "sale-1", sale_ts, 3);
        h_wait_health_number(b.port, PREFIX, "messages.accepted.pos", 1, 100);

        cJSON *r =
            h_command(b.port, PREFIX, "detect", "{\"detectors\":[\"inventory_discrepancy\"]}");
        assert_true(cJSON_IsTrue(h_json_item(r, "ok")));
        cJSON_Delete(r);
        if (h_collector_wait(c, N_SKUS, 20000) < N_SKUS)
                fail_msg("%zu anomalies published, want %zu", h_collector_count(c), N_SKUS);
        check_anomalies(c, 2);

        /* The anomalies command lists them from the stored rows: the same text. */
        r = h_command(b.port, PREFIX, "anomalies", "{\"type\":\"inventory_discrepancy\"}");
        char *listed = cJSON_PrintUnformatted(r);
        for (size_t k = 0; k < N_SKUS; k++) {
                char pat[64];
                snprintf(pat, sizeof(pat), "\"price\":%s,", skus[k].price);
                if (!strstr(listed, pat))
                        fail_msg("no %s in the anomalies reply %s", pat, listed);
        }
        free(listed);
        cJSON_Delete(r);

        /* Restarted, the SKUs are restored from their blobs; one more unit sold each and the
         * book is -3: the anomalies are republished with the restored prices. */
        h_daemon_stop(&d, SIGTERM);
        h_daemon_start(&d, dir, conf, b.port);
        size_t before = h_collector_count(c);
        t_sale = time(NULL) - 60;
        strftime(sale_ts, sizeof(sale_ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t_sale));
        publish_sale(b.port, "sale-2", sale_ts, 1);
        h_wait_health_number(b.port, PREFIX, "messages.accepted.pos", 1, 100);
        r = h_command(b.port, PREFIX, "detect", "{\"detectors\":[\"inventory_discrepancy\"]}");
        assert_true(cJSON_IsTrue(h_json_item(r, "ok")));
        cJSON_Delete(r);
        if (h_collector_wait(c, before + N_SKUS, 20000) < before + N_SKUS)
                fail_msg("%zu anomalies republished, want %zu", h_collector_count(c) - before,
                         N_SKUS);
        check_anomalies(c, 3);

        h_collector_stop(c);
        h_finish_test(&d, &b, dir);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_prices_reach_hq_as_received, h_teardown))
/* clang-format on */
