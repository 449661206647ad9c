/* Unit tests of the outbox (daemon/outbox.c, outbox_receipts.c) against a fake store and a
 * fake HQ link: the in-flight bound, PUBACKs, refusals and their pause, reconnects,
 * unrenderable rows; end-to-end receipts: rows kept after PUBACK, removed by a receipt covering
 * their rev, resent after the time, bounded. */
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
#include "tests/support/test_main.h"

#define ROWS     16
#define CAPACITY 3
#define WALL     5000 /* Unix s of the PUBACKs in the tests without receipts */

/* The fake store: rows by seq, deleted when delivered. */
struct fake_row {
        int64_t seq;
        char topic[128], msg_id[64], payload[64];
        bool retain, anomaly, live;
        int64_t rev, acked_at, created;
};
static struct {
        struct fake_row rows[ROWS];
        int n;
        int pending_error; /* returned by pending when set */
        int mark_error;    /* returned by delivered and await_receipt when set */
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
                 bool retain, int64_t created, int64_t rev, int64_t *ret_seq)
{
        (void)ctx;
        assert_true(store.n < ROWS);
        struct fake_row *r = &store.rows[store.n];
        *r = (struct fake_row){
            .seq = store.n + 1, .retain = retain, .live = true, .rev = rev, .created = created};
        snprintf(r->topic, sizeof(r->topic), "%s", topic);
        snprintf(r->msg_id, sizeof(r->msg_id), "%s", msg_id);
        snprintf(r->payload, sizeof(r->payload), "%.*s", (int)len, (const char *)payload);
        *ret_seq = r->seq;
        store.n++;
        return 0;
}

/* As the store: each row queued for an anomaly raises its rev and carries it. */
static int f_add_anomaly(void *ctx, const char *topic, const char *id, int64_t created,
                         int64_t *ret)
{
        int64_t rev = 1;
        for (int i = 0; i < store.n; i++)
                if (store.rows[i].anomaly && strcmp(store.rows[i].msg_id, id) == 0)
                        rev++;
        int r = f_add(ctx, topic, id, "", 0, false, created, rev, ret);
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
                if (!f->live || f->seq <= after || f->acked_at > 0)
                        continue;
                struct sw_store_outbox_row row = {.seq = f->seq,
                                                  .topic = f->topic,
                                                  .msg_id = f->msg_id,
                                                  .payload = f->payload,
                                                  .len = strlen(f->payload),
                                                  .retain = f->retain,
                                                  .rev = f->rev,
                                                  .anomaly = f->anomaly ? &stand_in : NULL};
                int r = cb(cb_ctx, &row);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}

/* Mark the live row seq: delivered (gone), or else awaiting its receipt since now. */
static int mark_live_row(int64_t seq, bool delivered, int64_t now)
{
        if (store.mark_error)
                return store.mark_error;
        for (int i = 0; i < store.n; i++)
                if (store.rows[i].seq == seq && store.rows[i].live) {
                        if (delivered)
                                store.rows[i].live = false;
                        else
                                store.rows[i].acked_at = now;
                        return 0;
                }
        return -ENOENT;
}

static int f_delivered(void *ctx, int64_t seq)
{
        (void)ctx;
        return mark_live_row(seq, true, 0);
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

static int f_await_receipt(void *ctx, int64_t seq, int64_t now)
{
        (void)ctx;
        return mark_live_row(seq, false, now);
}

static int f_receipt(void *ctx, const char *msg_id, int64_t rev)
{
        (void)ctx;
        int n = 0;
        for (int i = 0; i < store.n; i++) {
                struct fake_row *f = &store.rows[i];
                if (f->live && strcmp(f->msg_id, msg_id) == 0 && f->rev > 0 && f->rev <= rev) {
                        f->live = false;
                        n++;
                }
        }
        return n;
}

static int f_requeue(void *ctx, int64_t before, int64_t after, int64_t *ret_first)
{
        (void)ctx;
        int n = 0;
        for (int i = 0; i < store.n; i++) {
                struct fake_row *f = &store.rows[i];
                if (f->live && f->acked_at > 0 && (f->acked_at <= before || f->acked_at > after)) {
                        if (n++ == 0)
                                *ret_first = f->seq;
                        f->acked_at = 0;
                }
        }
        return n;
}

static int f_stats(void *ctx, struct sw_store_outbox_stats *ret)
{
        (void)ctx;
        *ret = (struct sw_store_outbox_stats){0};
        for (int i = 0; i < store.n; i++) {
                struct fake_row *f = &store.rows[i];
                if (!f->live)
                        continue;
                ret->rows++;
                if (f->acked_at > 0) {
                        ret->awaiting++;
                        if (!ret->oldest_acked_at || f->acked_at < ret->oldest_acked_at)
                                ret->oldest_acked_at = f->acked_at;
                }
        }
        return 0;
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
        struct sw_outbox_store s = {f_add,  f_add_anomaly,   f_pending, f_delivered, f_depth,
                                    f_trim, f_await_receipt, f_receipt, f_requeue,   f_stats,
                                    NULL};
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
                assert_int_equal(sw_outbox_add(&ob, "outcome", id, "{}", false, 1, 100), 0);
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
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, WALL, 1002);
        sw_outbox_on_published(&ob, link_.sent[1].mid, true, WALL, 1002);
        assert_int_equal(ob.delivered, 2);
        assert_false(store.rows[0].live || store.rows[1].live);
        sw_outbox_pump(&ob, 1003);
        assert_int_equal(link_.n_sent, 5);
        /* An unknown or zero mid changes nothing. */
        sw_outbox_on_published(&ob, 999, true, WALL, 1004);
        sw_outbox_on_published(&ob, 0, true, WALL, 1004);
        assert_int_equal(ob.delivered, 2);
        for (int i = 2; i < 5; i++)
                sw_outbox_on_published(&ob, link_.sent[i].mid, true, WALL, 1005);
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
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, WALL, 1001);
        sw_outbox_on_published(&ob, link_.sent[1].mid, false, WALL, 1001);
        assert_int_equal(ob.refused, 1);
        assert_true(store.rows[1].live);
        sw_outbox_on_published(&ob, link_.sent[2].mid, true, WALL, 1002);
        sw_outbox_pump(&ob, 1001 + ob.retry_ms - 1);
        assert_int_equal(link_.n_sent, 3); /* still pausing */
        sw_outbox_pump(&ob, 1001 + ob.retry_ms);
        assert_int_equal(link_.n_sent, 4);
        assert_string_equal(link_.sent[3].topic, "r/t/s/outcome");
        assert_int_equal(store.rows[1].seq, 2);
        sw_outbox_on_published(&ob, link_.sent[3].mid, true, WALL, 7000);
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
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, WALL, 1002);
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

/* ---- end-to-end receipts ---- */

#define RESEND_S 60

static int setup_receipts(void **state)
{
        setup(state);
        sw_outbox_receipts_enable(&ob, RESEND_S);
        return 0;
}

static int receipt(const char *json)
{
        return sw_outbox_on_receipt(&ob, json, strlen(json), false);
}

static int live_rows(void)
{
        int n = 0;
        for (int i = 0; i < store.n; i++)
                n += store.rows[i].live;
        return n;
}

/* Acknowledge every publish in flight at Unix time `wall`. */
static void puback_all(int64_t wall, uint64_t now_ms)
{
        for (int i = 0; i < link_.n_sent; i++)
                sw_outbox_on_published(&ob, link_.sent[i].mid, true, wall, now_ms);
}

/* A PUBACK no longer ends an anomaly or an outcome: they wait for HQ's receipt (and are not
 * sent again meanwhile); a summary (rev 0) needs none. */
static void test_rows_kept_after_puback(void **state)
{
        (void)state;
        assert_int_equal(sw_outbox_add_anomaly(&ob, "A", 100), 0);
        add(1); /* an outcome, rev 1 */
        assert_int_equal(sw_outbox_add(&ob, "summary", "S", "{}", true, 0, 100), 0);
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, 3);
        puback_all(1000, 1001);
        assert_int_equal(ob.delivered, 3);
        assert_int_equal(ob.receipts.awaiting, 2);
        assert_true(store.rows[0].live && store.rows[1].live);
        assert_false(store.rows[2].live);
        assert_int_equal(store.rows[0].acked_at, 1000);
        sw_outbox_reset(&ob); /* a reconnect does not send them again either */
        sw_outbox_pump(&ob, 1002);
        assert_int_equal(link_.n_sent, 3);
        struct sw_store_outbox_stats st;
        assert_int_equal(sw_outbox_stats(&ob, &st), 0);
        assert_int_equal(st.awaiting, 2);
        /* Receipts off (v1): a PUBACK ends the row, and a receipt is not even looked at. */
        setup(state);
        add(2);
        link_.connected = false;
        assert_int_equal(receipt("{\"ids\":[{\"id\":\"m1\",\"rev\":1}]}"), 0);
        assert_int_equal(live_rows(), 2);
        link_.connected = true;
        sw_outbox_pump(&ob, 1000);
        puback_all(1000, 1001);
        assert_int_equal(live_rows(), 0);
}

/* A receipt removes the rows whose rev it covers; an older rev removes nothing newer. */
static void test_receipt_covers_rev(void **state)
{
        (void)state;
        assert_int_equal(sw_outbox_add_anomaly(&ob, "A", 100), 0); /* rev 1 */
        assert_int_equal(sw_outbox_add_anomaly(&ob, "A", 101), 0); /* rev 2 */
        add(1);                                                    /* outcome m3, rev 1 */
        sw_outbox_pump(&ob, 1000);
        puback_all(1000, 1001);
        assert_int_equal(store.rows[1].rev, 2);
        /* HQ stored rev 1 only: the rev-2 row stays. */
        assert_int_equal(receipt("{\"v\":\"1.1\",\"ids\":[{\"id\":\"A\",\"rev\":1}]}"), 1);
        assert_false(store.rows[0].live);
        assert_true(store.rows[1].live);
        assert_int_equal(ob.receipts.confirmed, 1);
        /* The same receipt again, or an unknown id: counted, nothing else. */
        assert_int_equal(receipt("{\"ids\":[{\"id\":\"A\",\"rev\":1},{\"id\":\"zz\",\"rev\":4}]}"),
                         2);
        assert_int_equal(ob.receipts.unknown, 2);
        assert_true(store.rows[1].live);
        /* rev 2 and the outcome's rev 1 in one receipt. */
        assert_int_equal(receipt("{\"ids\":[{\"id\":\"A\",\"rev\":2},{\"id\":\"m3\",\"rev\":1}]}"),
                         2);
        assert_int_equal(live_rows(), 0);
        assert_int_equal(ob.receipts.confirmed, 3);
        assert_int_equal(ob.receipts.received, 3);
}

/* Malformed receipts change nothing (not even their valid entries); retained ones are ignored. */
static void test_bad_receipts_counted_and_ignored(void **state)
{
        (void)state;
        static const char *const bad[] = {"",
                                          "not json",
                                          "[]",
                                          "{}",
                                          "{\"ids\":{}}",
                                          "{\"ids\":[{\"id\":\"A\"}]}",
                                          "{\"ids\":[{\"id\":\"A\",\"rev\":0}]}",
                                          "{\"ids\":[{\"id\":\"A\",\"rev\":1.5}]}",
                                          "{\"ids\":[{\"id\":\"A\",\"rev\":\"1\"}]}",
                                          "{\"ids\":[{\"id\":\"\",\"rev\":1}]}",
                                          "{\"ids\":[{\"id\":\"A\",\"rev\":1},7]}",
                                          "{\"ids\":[{\"id\":\"A\",\"rev\":1e300}]}"};
        assert_int_equal(sw_outbox_add_anomaly(&ob, "A", 100), 0);
        sw_outbox_pump(&ob, 1000);
        puback_all(1000, 1001);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(receipt(bad[i]), -EBADMSG);
        assert_int_equal(ob.receipts.malformed, sizeof(bad) / sizeof(bad[0]));
        const char *good = "{\"ids\":[{\"id\":\"A\",\"rev\":1}]}";
        assert_int_equal(sw_outbox_on_receipt(&ob, good, strlen(good), true), -EPERM);
        assert_int_equal(ob.receipts.retained, 1);
        assert_true(store.rows[0].live);
        assert_int_equal(ob.receipts.received, 0);
        assert_int_equal(receipt(good), 1);
        assert_false(store.rows[0].live);
}

/* A row without a receipt goes again after the time, same topic and payload, after what is in
 * flight; it waits again after its second PUBACK, until a receipt comes. */
static void test_resent_after_the_time(void **state)
{
        (void)state;
        add(2);
        sw_outbox_pump(&ob, 1000);
        puback_all(1000, 1001);
        add(1); /* m3: sent, not acknowledged yet */
        sw_outbox_pump(&ob, 1002);
        assert_int_equal(link_.n_sent, 3);
        sw_outbox_resend_due(&ob, 1000 + RESEND_S - 1, 2000);
        assert_int_equal(ob.receipts.resent, 0);
        assert_true(sw_outbox_next_receipt_check_ms(&ob) > 2000);
        /* Looked at most every RESEND_S / 4 s: not before. */
        sw_outbox_resend_due(&ob, 1000 + RESEND_S, 2001);
        assert_int_equal(ob.receipts.resent, 0);
        uint64_t at = sw_outbox_next_receipt_check_ms(&ob);
        sw_outbox_resend_due(&ob, 1000 + RESEND_S, at);
        assert_int_equal(ob.receipts.resent, 2);
        sw_outbox_pump(&ob, at);
        assert_int_equal(link_.n_sent, 5); /* m1, m2 again; m3 not twice */
        assert_string_equal(link_.sent[3].topic, link_.sent[0].topic);
        assert_string_equal(link_.sent[3].payload, link_.sent[0].payload);
        assert_string_equal(link_.sent[4].topic, link_.sent[1].topic);
        sw_outbox_on_published(&ob, link_.sent[3].mid, true, 2000, at + 1);
        sw_outbox_pump(&ob, at + 1); /* room again: m3 still awaits its PUBACK, not sent twice */
        assert_int_equal(link_.n_sent, 5);
        assert_true(store.rows[0].live);
        assert_int_equal(store.rows[0].acked_at, 2000);
        assert_int_equal(receipt("{\"ids\":[{\"id\":\"m1\",\"rev\":1}]}"), 1);
        assert_false(store.rows[0].live);
        /* Off: never looks. */
        setup(state);
        assert_int_equal(sw_outbox_next_receipt_check_ms(&ob), UINT64_MAX);
}

/* A PUBACK the store could not record (disk full): the row goes again after the pause, not at
 * the next reconnect only. Rows stamped by a clock since set back are due at once. */
static void test_unmarked_and_future_rows_go_again(void **state)
{
        (void)state;
        add(2);
        sw_outbox_pump(&ob, 1000);
        store.mark_error = -ENOSPC;
        sw_outbox_on_published(&ob, link_.sent[0].mid, true, 100000, 1001);
        store.mark_error = 0;
        sw_outbox_on_published(&ob, link_.sent[1].mid, true, 100000, 1001);
        assert_int_equal(store.rows[0].acked_at, 0);
        assert_int_equal(store.rows[1].acked_at, 100000);
        sw_outbox_pump(&ob, 1001 + ob.retry_ms - 1);
        assert_int_equal(link_.n_sent, 2); /* pausing */
        sw_outbox_pump(&ob, 1001 + ob.retry_ms);
        assert_int_equal(link_.n_sent, 3); /* m1 again; m2 awaits its receipt */
        assert_string_equal(link_.sent[2].payload, link_.sent[0].payload);
        sw_outbox_on_published(&ob, link_.sent[2].mid, true, 100000, 1002 + ob.retry_ms);
        /* The clock is set back a day: both were acknowledged "tomorrow", and go again now. */
        uint64_t at = 2002 + ob.retry_ms;
        assert_true(sw_outbox_next_receipt_check_ms(&ob) <= at);
        sw_outbox_resend_due(&ob, 100000 - 86400, at);
        assert_int_equal(ob.receipts.resent, 2);
        sw_outbox_pump(&ob, at);
        assert_int_equal(link_.n_sent, 5);
}

/* A run with receipts off after one with receipts on: the rows that run left awaiting a
 * receipt will never get one; they go again once (v1: their PUBACK ends them) instead of
 * staying in the outbox for good. */
static void test_left_awaiting_when_receipts_off(void **state)
{
        (void)state;
        add(2);
        store.rows[0].acked_at = 900; /* acknowledged by the previous run */
        store.rows[1].acked_at = 950;
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, 0);
        sw_outbox_resend_due(&ob, 1000, 1000);
        sw_outbox_pump(&ob, 1000);
        assert_int_equal(link_.n_sent, 2);
        assert_string_equal(link_.sent[0].topic, "r/t/s/outcome");
        puback_all(1001, 1001);
        assert_int_equal(live_rows(), 0);
        /* Once: a row is never looked at again with receipts off. */
        add(1);
        store.rows[2].acked_at = 990;
        sw_outbox_resend_due(&ob, 5000, 90000);
        sw_outbox_pump(&ob, 90000);
        assert_int_equal(link_.n_sent, 2);
}

/* Rows awaiting a receipt count towards the bound; the policy (the oldest out) holds for them,
 * and they are counted apart. */
static void test_bounded_with_rows_awaiting(void **state)
{
        (void)state;
        add(4);
        sw_outbox_pump(&ob, 1000);
        puback_all(1000, 1001); /* three acknowledged (the in-flight bound), one pending */
        assert_int_equal(ob.receipts.awaiting, 3);
        add(2);
        assert_int_equal(sw_outbox_trim(&ob, 2), 4);
        assert_int_equal(ob.dropped, 4);
        assert_int_equal(ob.receipts.dropped, 3);
        assert_int_equal(live_rows(), 2);
        assert_true(store.rows[4].live && store.rows[5].live);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_setup(test_in_flight_bound_and_pubacks, setup),
        cmocka_unit_test_setup(test_refusal_pauses_and_resends_from_the_row, setup),
        cmocka_unit_test_setup(test_reconnect_sends_everything_again, setup),
        cmocka_unit_test_setup(test_anomaly_rows_rendered_and_unreadable_dropped, setup),
        cmocka_unit_test_setup(test_errors_and_trim, setup),
        cmocka_unit_test_setup(test_rows_kept_after_puback, setup_receipts),
        cmocka_unit_test_setup(test_receipt_covers_rev, setup_receipts),
        cmocka_unit_test_setup(test_bad_receipts_counted_and_ignored, setup_receipts),
        cmocka_unit_test_setup(test_resent_after_the_time, setup_receipts),
        cmocka_unit_test_setup(test_bounded_with_rows_awaiting, setup_receipts),
        cmocka_unit_test_setup(test_unmarked_and_future_rows_go_again, setup_receipts),
        cmocka_unit_test_setup(test_left_awaiting_when_receipts_off, setup))
/* clang-format on */
