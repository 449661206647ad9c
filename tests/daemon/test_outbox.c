/* Unit tests of the outbox (daemon/outbox.c) against a fake store and a fake HQ link: the
 * in-flight bound, PUBACKs, refusals and their pause, reconnects, unrenderable rows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/outbox.h"

#define ROWS     16
#define CAPACITY 3

/* The fake store: rows by seq, deleted when delivered. */
struct fake_row {
        int64_t seq;
        char topic[128], msg_id[64], payload[64];
        bool retain, anomaly, live;
};
static struct {
        struct fake_row rows[ROWS];
        int n;
        int pending_error; /* returned by pending when set */
} store;

/* The fake link: what was published, in order. */
static struct {
        bool connected;
        int next_mid;
        int publish_error;
        struct {
                char topic[128], payload[64];
                int mid;
        } sent[64];
        int n_sent;
} link_;

static int f_add(void *ctx, const char *topic, const char *msg_id, const void *payload, size_t len,
                 bool retain, int64_t created, int64_t *ret_seq)
{
        (void)ctx, (void)created;
        struct fake_row *r = &store.rows[store.n];
        *r = (struct fake_row){.seq = store.n + 1, .retain = retain, .live = true};
        snprintf(r->topic, sizeof(r->topic), "%s", topic);
        snprintf(r->msg_id, sizeof(r->msg_id), "%s", msg_id);
        snprintf(r->payload, sizeof(r->payload), "%.*s", (int)len, (const char *)payload);
        *ret_seq = r->seq;
        store.n++;
        return 0;
}

static int f_add_anomaly(void *ctx, const char *topic, const char *id, int64_t created,
                         int64_t *ret)
{
        int r = f_add(ctx, topic, id, "", 0, false, created, ret);
        store.rows[store.n - 1].anomaly = true;
        return r;
}

static int f_pending(void *ctx, int64_t after, uint32_t limit,
                     int (*cb)(void *, const struct sw_store_outbox_row *), void *cb_ctx)
{
        (void)ctx;
        static const struct sw_store_anomaly stand_in; /* the renderer reads its id from msg_id */
        int n = 0;
        if (store.pending_error)
                return store.pending_error;
        for (int i = 0; i < store.n && (uint32_t)n < limit; i++) {
                struct fake_row *f = &store.rows[i];
                if (!f->live || f->seq <= after)
                        continue;
                struct sw_store_outbox_row row = {.seq = f->seq,
                                                  .topic = f->topic,
                                                  .msg_id = f->msg_id,
                                                  .payload = f->payload,
                                                  .len = strlen(f->payload),
                                                  .retain = f->retain,
                                                  .anomaly = f->anomaly ? &stand_in : NULL};
                int r = cb(cb_ctx, &row);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}

static int f_delivered(void *ctx, int64_t seq)
{
        (void)ctx;
        for (int i = 0; i < store.n; i++)
                if (store.rows[i].seq == seq && store.rows[i].live) {
                        store.rows[i].live = false;
                        return 0;
                }
        return -ENOENT;
}

static int f_depth(void *ctx, uint64_t *rows, uint64_t *bytes)
{
        (void)ctx;
        *rows = *bytes = 0;
        for (int i = 0; i < store.n; i++)
                if (store.rows[i].live) {
                        (*rows)++;
                        *bytes += strlen(store.rows[i].payload);
                }
        return 0;
}

static int f_trim(void *ctx, uint64_t max)
{
        uint64_t rows, bytes;
        int dropped = 0;
        f_depth(ctx, &rows, &bytes);
        for (int i = 0; i < store.n && rows > max; i++)
                if (store.rows[i].live) {
                        store.rows[i].live = false;
                        rows--;
                        dropped++;
                }
        return dropped;
}

static int f_publish(void *ctx, const char *topic, const void *payload, size_t len, bool retain,
                     int *ret_mid)
{
        (void)ctx, (void)retain;
        if (link_.publish_error)
                return link_.publish_error;
        int i = link_.n_sent++;
        snprintf(link_.sent[i].topic, sizeof(link_.sent[i].topic), "%s", topic);
        snprintf(link_.sent[i].payload, sizeof(link_.sent[i].payload), "%.*s", (int)len,
                 (const char *)payload);
        link_.sent[i].mid = *ret_mid = ++link_.next_mid;
        return 0;
}

static bool f_connected(void *ctx)
{
        (void)ctx;
        return link_.connected;
}

/* Renders an anomaly row as {"anomaly":N}; the anomaly "BAD" cannot be rendered. */
static int f_render(void *ctx, const struct sw_store_anomaly *a, char **ret)
{
        (void)a;
        const char *id = ctx; /* the msg_id of the row being sent, set by the test */
        if (strcmp(id, "BAD") == 0)
                return -EBADMSG;
        *ret = strdup("{\"anomaly\":1}");
        return *ret ? 0 : -ENOMEM;
}

static struct sw_outbox ob;
static struct sw_inflight slots[CAPACITY];
static char render_id[64] = "A";

static int setup(void **state)
{
        (void)state;
        memset(&store, 0, sizeof(store));
        memset(&link_, 0, sizeof(link_));
        link_.connected = true;
        struct sw_outbox_store s = {f_add,   f_add_anomaly, f_pending, f_delivered,
                                    f_depth, f_trim,        NULL};
        struct sw_outbox_link l = {f_publish, f_connected, NULL};
        snprintf(render_id, sizeof(render_id), "A");
        assert_int_equal(sw_outbox_init(&ob, &s, &l, f_render, render_id, "r/t/s", slots, CAPACITY),
                         0);
        return 0;
}

static void add(int n)
{
        char id[16];
        for (int i = 0; i < n; i++) {
                snprintf(id, sizeof(id), "m%d", store.n + 1);
                assert_int_equal(sw_outbox_add(&ob, "outcome", id, "{}", false, 100), 0);
        }
}

static void test_in_flight_bound_and_pubacks(void **state)
{
        (void)state;
        add(5);
        assert_string_equal(store.rows[0].topic, "r/t/s/outcome");
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, CAPACITY); /* no more than the bound in flight */
        assert_int_equal(ob.n_inflight, CAPACITY);
        sw_outbox_pump(&ob, 1001);
        assert_int_equal(link_.n_sent, CAPACITY);
        /* Two PUBACKs: their rows are deleted, two more go. */
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, 1002);
        sw_outbox_on_published(&ob, link_.sent[1].mid, true, 1002);
        assert_int_equal(ob.delivered, 2);
        assert_false(store.rows[0].live || store.rows[1].live);
        sw_outbox_pump(&ob, 1003);
        assert_int_equal(link_.n_sent, 5);
        /* An unknown or zero mid changes nothing. */
        sw_outbox_on_published(&ob, 999, true, 1004);
        sw_outbox_on_published(&ob, 0, true, 1004);
        assert_int_equal(ob.delivered, 2);
        for (int i = 2; i < 5; i++)
                sw_outbox_on_published(&ob, link_.sent[i].mid, true, 1005);
        uint64_t rows, bytes;
        assert_int_equal(sw_outbox_depth(&ob, &rows, &bytes), 0);
        assert_int_equal(rows, 0);
        sw_outbox_pump(&ob, 1006); /* finds nothing more: stops looking until a row is added */
        assert_false(ob.more);
        assert_int_equal(link_.n_sent, 5);
}

static void test_refusal_pauses_and_resends_from_the_row(void **state)
{
        (void)state;
        add(3);
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, 3);
        /* HQ refuses the second: it and the third go again, after the pause. */
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, 1001);
        sw_outbox_on_published(&ob, link_.sent[1].mid, false, 1001);
        assert_int_equal(ob.refused, 1);
        assert_true(store.rows[1].live);
        sw_outbox_on_published(&ob, link_.sent[2].mid, true, 1002);
        sw_outbox_pump(&ob, 1001 + ob.retry_ms - 1);
        assert_int_equal(link_.n_sent, 3); /* still pausing */
        sw_outbox_pump(&ob, 1001 + ob.retry_ms);
        assert_int_equal(link_.n_sent, 4);
        assert_string_equal(link_.sent[3].topic, "r/t/s/outcome");
        assert_int_equal(store.rows[1].seq, 2);
        sw_outbox_on_published(&ob, link_.sent[3].mid, true, 7000);
        assert_false(store.rows[1].live);
}

static void test_reconnect_sends_everything_again(void **state)
{
        (void)state;
        add(2);
        link_.connected = false;
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, 0); /* nothing while disconnected */
        link_.connected = true;
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, 2);
        /* The connection drops before the PUBACKs: both rows go again, same ids. */
        sw_outbox_reset(&ob);
        assert_int_equal(ob.n_inflight, 0);
        sw_outbox_pump(&ob, 1001);
        assert_int_equal(link_.n_sent, 4);
        assert_string_equal(link_.sent[2].payload, link_.sent[0].payload);
        /* A late PUBACK of the old connection is no PUBACK of the new one. */
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, 1002);
        assert_int_equal(ob.delivered, 0);
}

static void test_anomaly_rows_rendered_and_unreadable_dropped(void **state)
{
        (void)state;
        int64_t now = 100;
        assert_int_equal(sw_outbox_add_anomaly(&ob, "A", now), 0);
        assert_string_equal(store.rows[0].topic, "r/t/s/anomaly");
        sw_outbox_pump(&ob, 1000);
        assert_string_equal(link_.sent[0].payload, "{\"anomaly\":1}");
        /* A row whose anomaly cannot be rendered is dropped; the one after it still goes. */
        snprintf(render_id, sizeof(render_id), "BAD");
        assert_int_equal(sw_outbox_add_anomaly(&ob, "BAD", now), 0);
        sw_outbox_pump(&ob, 1001);
        assert_int_equal(ob.dropped, 1);
        assert_false(store.rows[1].live);
        snprintf(render_id, sizeof(render_id), "A");
        add(1);
        sw_outbox_pump(&ob, 1002);
        assert_int_equal(link_.n_sent, 2);
        assert_string_equal(link_.sent[1].payload, "{}");
}

static void test_errors_and_trim(void **state)
{
        (void)state;
        add(4);
        link_.publish_error = -ENOTCONN;
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(ob.n_inflight, 0);
        assert_true(ob.more); /* tried again later */
        link_.publish_error = 0;
        store.pending_error = -EIO;
        sw_outbox_pump(&ob, 1001);
        assert_int_equal(link_.n_sent, 0);
        store.pending_error = 0;
        assert_int_equal(sw_outbox_trim(&ob, 1), 3);
        assert_int_equal(ob.dropped, 3);
        sw_outbox_pump(&ob, 1002);
        assert_int_equal(link_.n_sent, 1);
        assert_string_equal(link_.sent[0].payload, "{}");
        struct sw_outbox_store none = {0};
        struct sw_outbox_link l = {f_publish, f_connected, NULL};
        assert_int_equal(sw_outbox_init(&ob, &none, &l, f_render, NULL, "p", slots, 1), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_in_flight_bound_and_pubacks, setup),
            cmocka_unit_test_setup(test_refusal_pauses_and_resends_from_the_row, setup),
            cmocka_unit_test_setup(test_reconnect_sends_everything_again, setup),
            cmocka_unit_test_setup(test_anomaly_rows_rendered_and_unreadable_dropped, setup),
            cmocka_unit_test_setup(test_errors_and_trim, setup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
