/* The queue's bounds and batch timing, and the receipts built from a committed batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "hq/hq_queue.h"
#include "hq/hq_receipt.h"
#include "hq/hq_receipt_queue.h"
#include "tests/support/test_main.h"

static struct hq_msg make_msg(size_t row_len)
{
        struct hq_msg m = {.kind = HQ_KIND_ANOMALY, .row_len = row_len};
        m.row = calloc(1, row_len + 1);
        assert_non_null(m.row);
        memset(m.row, 'x', row_len);
        return m;
}

static void test_queue_bounds(void **state)
{
        struct hq_queue q;
        (void)state;
        assert_int_equal(hq_queue_init(&q, 0, 100, 1), -EINVAL);
        assert_int_equal(hq_queue_init(&q, 3, 1000, 2), 0);
        for (int i = 0; i < 3; i++) {
                assert_true(hq_queue_accepting(&q));
                struct hq_msg m = make_msg(10);
                assert_int_equal(hq_queue_push(&q, &m, 100), 0);
                assert_null(m.row); /* ownership moved */
        }
        assert_false(hq_queue_accepting(&q)); /* reading pauses at max_messages */
        for (int i = 0; i < 2; i++) {         /* ... but a pass may still add `slack` */
                struct hq_msg m = make_msg(10);
                assert_int_equal(hq_queue_push(&q, &m, 100), 0);
        }
        struct hq_msg m = make_msg(10);
        assert_int_equal(hq_queue_push(&q, &m, 100), -ENOBUFS);
        hq_msg_clear(&m);
        assert_int_equal(q.bytes, 50);
        hq_queue_pop(&q, 4);
        assert_int_equal(q.count, 1);
        assert_int_equal(q.bytes, 10);
        assert_true(hq_queue_accepting(&q));
        hq_queue_free(&q);
}

static void test_queue_bytes_and_fifo(void **state)
{
        struct hq_queue q;
        (void)state;
        assert_int_equal(hq_queue_init(&q, 100, 25, 4), 0);
        for (int i = 0; i < 3; i++) {
                struct hq_msg m = make_msg(10);
                m.rev = i;
                assert_int_equal(hq_queue_push(&q, &m, 100), 0);
        }
        assert_false(hq_queue_accepting(&q)); /* 30 bytes >= 25 */
        hq_queue_pop(&q, 1);
        assert_int_equal(hq_queue_at(&q, 0)->rev, 1); /* oldest first */
        assert_true(hq_queue_accepting(&q));
        for (int i = 0; i < 6; i++) { /* wraps around the ring */
                hq_queue_pop(&q, 1);
                struct hq_msg m = make_msg(1);
                m.rev = 10 + i;
                assert_int_equal(hq_queue_push(&q, &m, 100), 0);
                m = make_msg(1);
                m.rev = 20 + i;
                assert_int_equal(hq_queue_push(&q, &m, 100), 0);
        }
        hq_queue_free(&q);
}

static void test_batch_due(void **state)
{
        struct hq_queue q;
        (void)state;
        assert_int_equal(hq_queue_init(&q, 100, 100000, 4), 0);
        assert_false(hq_queue_due(&q, 3, 200, 1000));
        assert_int_equal(hq_queue_deadline_ms(&q, 200), UINT64_MAX);
        struct hq_msg m = make_msg(1);
        assert_int_equal(hq_queue_push(&q, &m, 1000), 0);
        assert_int_equal(hq_queue_deadline_ms(&q, 200), 1200);
        assert_false(hq_queue_due(&q, 3, 200, 1199)); /* neither full nor late */
        assert_true(hq_queue_due(&q, 3, 200, 1200));  /* the oldest waited max_latency */
        for (int i = 0; i < 2; i++) {
                m = make_msg(1);
                assert_int_equal(hq_queue_push(&q, &m, 1100), 0);
        }
        assert_true(hq_queue_due(&q, 3, 200, 1001)); /* batch_size reached */
        hq_queue_pop(&q, 1);
        assert_int_equal(hq_queue_deadline_ms(&q, 200), 1300); /* now the next oldest */
        hq_queue_free(&q);
}

struct emitted {
        char topic[8][64]; /* tenant/store of each message */
        char payload[8][512];
        int n;
};

static int collect(void *ctx, const char *tenant, const char *store, const char *payload)
{
        struct emitted *e = ctx;
        assert_true(e->n < 8);
        snprintf(e->topic[e->n], sizeof(e->topic[0]), "%s/%s", tenant, store);
        snprintf(e->payload[e->n], sizeof(e->payload[0]), "%s", payload);
        e->n++;
        return 0;
}

static void test_receipts(void **state)
{
        struct hq_receipt_item items[] = {
            {"acme", "s2", "b", 1},    {"acme", "s1", "a", 1},   {"acme", "s1", "a", 3},
            {"acme", "s1", "c\"q", 1}, {"globex", "s1", "a", 2}, {"acme", "s1", "d", 1},
        };
        struct emitted e = {0};
        (void)state;
        assert_int_equal(hq_receipts_emit(items, 6, 0, collect, &e), -EINVAL);
        assert_int_equal(hq_receipts_emit(items, 6, 2, collect, &e), 4);
        /* acme/s1 holds a (highest rev only), c"q, d: two messages of at most 2 ids. */
        assert_string_equal(e.topic[0], "acme/s1");
        assert_string_equal(
            e.payload[0],
            "{\"v\":\"1.1\",\"ids\":[{\"id\":\"a\",\"rev\":3},{\"id\":\"c\\\"q\",\"rev\":1}]}");
        assert_string_equal(e.topic[1], "acme/s1");
        assert_string_equal(e.payload[1], "{\"v\":\"1.1\",\"ids\":[{\"id\":\"d\",\"rev\":1}]}");
        assert_string_equal(e.topic[2], "acme/s2");
        assert_string_equal(e.topic[3], "globex/s1");
        assert_string_equal(e.payload[3], "{\"v\":\"1.1\",\"ids\":[{\"id\":\"a\",\"rev\":2}]}");
        assert_int_equal(hq_receipts_emit(items, 0, 2, collect, &e), 0);
}

static int refuse(void *ctx, const char *tenant, const char *store, const char *payload)
{
        (void)ctx, (void)tenant, (void)store, (void)payload;
        return -ENOTCONN;
}

static void test_receipt_emit_error(void **state)
{
        struct hq_receipt_item items[] = {{"a", "s", "x", 1}};
        (void)state;
        assert_int_equal(hq_receipts_emit(items, 1, 10, refuse, NULL), -ENOTCONN);
}

/* Emits until `room` receipts went out, then answers -EAGAIN (the link's window is full). */
struct window {
        struct emitted e; /* what went out */
        int room;         /* receipts the link still takes */
        int error;        /* returned instead of 0 when set (a refused publish) */
};

static int windowed(void *ctx, const char *tenant, const char *store, const char *payload)
{
        struct window *w = ctx;
        if (w->room == 0)
                return -EAGAIN;
        if (w->error)
                return w->error;
        w->room--;
        return collect(&w->e, tenant, store, payload);
}

/* Committed ids wait, merge per store across batches, leave as the window allows, and are
 * bounded. */
static void test_receipt_queue(void **state)
{
        struct hq_receipt_queue q;
        struct window w = {.room = 1};
        uint64_t dropped = 0;
        (void)state;
        assert_int_equal(hq_receipt_queue_init(&q, 0), -EINVAL);
        assert_int_equal(hq_receipt_queue_init(&q, 5), 0);
        /* batch 1 and batch 2 of one store, and another store */
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s1", "a", 1), 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s2", "x", 1), 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s1", "a", 2), 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s1", "b\"", 1), 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s3", "y", 1), 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s4", "z", 1), -ENOBUFS); /* full */
        assert_int_equal(hq_receipt_queue_flush(&q, 10, 0, windowed, &w, &dropped), 0);
        assert_int_equal(hq_receipt_queue_flush(&q, 0, 5, windowed, &w, &dropped), -EINVAL);
        /* one message fits the window: s1's, both batches merged, a at its highest rev */
        assert_int_equal(hq_receipt_queue_flush(&q, 10, 5, windowed, &w, &dropped), 1);
        assert_string_equal(w.e.topic[0], "acme/s1");
        assert_string_equal(
            w.e.payload[0],
            "{\"v\":\"1.1\",\"ids\":[{\"id\":\"a\",\"rev\":2},{\"id\":\"b\\\"\",\"rev\":1}]}");
        assert_int_equal(q.count, 2); /* s2 and s3 wait (-EAGAIN kept them) */
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s2", "x2", 1), 0);
        w.room = 8;
        assert_int_equal(hq_receipt_queue_flush(&q, 1, 1, windowed, &w, &dropped), 1);
        assert_string_equal(w.e.payload[1], "{\"v\":\"1.1\",\"ids\":[{\"id\":\"x\",\"rev\":1}]}");
        assert_int_equal(hq_receipt_queue_flush(&q, 1, 8, windowed, &w, &dropped), 2);
        assert_string_equal(w.e.topic[2], "acme/s2");
        assert_string_equal(w.e.topic[3], "acme/s3");
        assert_int_equal(q.count, 0);
        assert_int_equal(dropped, 0);
        /* a refused publish drops its ids, counted */
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s1", "c", 1), 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s1", "d", 1), 0);
        w.error = -EMSGSIZE;
        assert_int_equal(hq_receipt_queue_flush(&q, 10, 8, windowed, &w, &dropped), 0);
        assert_int_equal(dropped, 2);
        assert_int_equal(q.count, 0);
        assert_int_equal(hq_receipt_queue_add(&q, "acme", "s1", "e", 1), 0);
        hq_receipt_queue_free(&q); /* frees what waits */
        hq_receipt_queue_free(&q);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_queue_bounds),       cmocka_unit_test(test_queue_bytes_and_fifo),
        cmocka_unit_test(test_batch_due),          cmocka_unit_test(test_receipts),
        cmocka_unit_test(test_receipt_emit_error), cmocka_unit_test(test_receipt_queue))
/* clang-format on */
