/* Made-up SKUs do not fill the table for good (issue 15, defect 5): a SKU with no event for the
 * whole history window, nothing on the book and no open anomaly gives its slot to a new one, at
 * the boundary of the window, and the reclaimed state is gone after a restart. */
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

#define PREFIX  "retail/demo/store1"
#define HISTORY 28 /* limits.history_days in this test */
#define HALF    20 /* SKUs on each side of the boundary */

/* One inventory message registering HALF SKUs "{prefix}{i}" as of ts (no book: on_hand 0). */
static void register_skus(int port, const char *prefix, long ts)
{
        char msg[4096];
        size_t n = (size_t)snprintf(msg, sizeof(msg), "{\"ts\":%ld,\"items\":[", ts);
        for (int i = 0; i < HALF; i++)
                n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s{\"sku\":\"%s%d\",\"price\":1}",
                                      i ? "," : "", prefix, i);
        snprintf(msg + n, sizeof(msg) - n, "]}");
        h_publish(port, PREFIX "/inventory", msg);
}

static cJSON *count_ack(int port, struct h_collector *acks, const char *id, const char *sku)
{
        char msg[256];
        snprintf(msg, sizeof(msg), "{\"id\":\"%s\",\"ts\":%ld,\"sku\":\"%s\",\"counted\":5}", id,
                 (long)time(NULL), sku);
        return h_publish_await(port, PREFIX "/scanner/hh-1/count", msg, acks, 10000);
}

/*
 * A table of 40: 20 SKUs last heard of exactly history_days ago (reclaimable), 20 one day later
 * (not yet). A receipt of 25 real new SKUs: before, all 25 lines were skipped (table full); now
 * 20 take the quiet SKUs' slots and 5 are skipped. After a restart the 20 are there, the
 * reclaimed ones are not.
 */
static void test_quiet_skus_make_room_for_new_ones(void **state)
{
        struct h_fixture f = {0};
        char msg[4096];
        long now = (long)time(NULL);
        (void)state;
        h_fixture_start(&f, "limits: { max_skus = 40; history_days = 28; };\n");
        register_skus(f.b.port, "OLD", now - HISTORY * 86400L);
        register_skus(f.b.port, "RECENT", now - (HISTORY - 1) * 86400L);
        h_wait_health_number(f.b.port, PREFIX, "skus.tracked", 40, 50);

        size_t n =
            (size_t)snprintf(msg, sizeof(msg), "{\"id\":\"r-1\",\"ts\":%ld,\"lines\":[", now);
        for (int i = 0; i < 25; i++)
                n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s{\"sku\":\"NEW%d\",\"qty\":5}",
                                      i ? "," : "", i);
        snprintf(msg + n, sizeof(msg) - n, "]}");
        h_publish(f.b.port, PREFIX "/receipt", msg);
        h_wait_health_number(f.b.port, PREFIX, "messages.accepted.receipt", 1, 50);
        cJSON *h = h_health(f.b.port, PREFIX);
        double skipped = h_json_number(h, "messages.lines_skipped_sku_table_full");
        print_message("25 new SKUs into a full table of 40 (20 quiet for %d days): %.0f skipped, "
                      "%.0f reclaimed\n",
                      HISTORY, skipped, h_json_number_or(h, "skus.reclaimed", -1));
        assert_int_equal(skipped, 5);
        assert_int_equal(h_json_number(h, "skus.reclaimed"), HALF);
        assert_int_equal(h_json_number(h, "skus.tracked"), 40);
        cJSON_Delete(h);

        /* What is on disk: a clean restart, then ask by counting. */
        h_sleep_ms(1500);
        h_fixture_restart(&f);
        h = h_health(f.b.port, PREFIX);
        assert_int_equal(h_json_number(h, "skus.tracked"), 40);
        cJSON_Delete(h);
        struct h_collector *acks = h_fixture_collect(&f, PREFIX "/scanner/hh-1/ack");
        cJSON *a = count_ack(f.b.port, acks, "c-new", "NEW0");
        assert_string_equal(h_json_string(a, "status"), "accepted");
        assert_true(h_json_number(a, "book_before") == 5);
        cJSON_Delete(a);
        a = count_ack(f.b.port, acks, "c-recent", "RECENT0");
        assert_string_equal(h_json_string(a, "status"), "accepted");
        cJSON_Delete(a);
        a = count_ack(f.b.port, acks, "c-old", "OLD0");
        assert_string_equal(h_json_string(a, "status"), "rejected");
        assert_non_null(strstr(h_json_string(a, "error"), "unknown_sku"));
        cJSON_Delete(a);
        char *log = h_read_file(f.d.log);
        assert_int_equal(h_count(log, "while restoring"), 0);
        free(log);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_quiet_skus_make_room_for_new_ones, h_teardown))
/* clang-format on */
