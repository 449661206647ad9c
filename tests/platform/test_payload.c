/* Tests of platform/payload: every device message kind, every refusal reason, command requests. */
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

#include "platform/payload.h"
#include "tests/support/test_main.h"

#define TS_2026_11_24_101502 INT64_C(1795515302) /* 2026-11-24T10:15:02Z */
#define DAY_2026_11_25       20782               /* days since 1970-01-01 */
#define N_ITEMS              16

/* One decoder and one message with room for N_ITEMS items. */
struct fixture {
        struct sw_payload_decoder *d;  /* decoder under test */
        struct sw_item items[N_ITEMS]; /* msg.items */
        struct sw_msg msg;             /* result */
        struct sw_payload_limits lim;  /* limits passed to each decode */
        enum sw_reject_reason reason;  /* reason of the last refusal */
        char err[256];                 /* message of the last refusal */
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(sw_payload_decoder_new(&f->d), 0);
        f->msg.items = f->items;
        f->msg.items_cap = N_ITEMS;
        f->lim.max_bytes = 64 * 1024;
        f->lim.max_items = N_ITEMS;
        f->reason = SW_REJECT_REASON_COUNT;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        assert_null(sw_payload_decoder_free(f->d));
        free(f);
        return 0;
}

/*
 * Decode len bytes of json from an exact-size heap copy (no NUL after it, so an over-read
 * shows under ASan/valgrind) that is freed before returning: msg must not borrow from it.
 */
static int decode_n(struct fixture *f, enum sw_msg_kind kind, const char *json, size_t len)
{
        char *copy = malloc(len ? len : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, json, len);
        f->err[0] = 'X';
        f->err[1] = '\0';
        r = sw_payload_decode(f->d, kind, copy, len, &f->lim, &f->msg, &f->reason, f->err,
                              sizeof(f->err));
        memset(copy, '#', len);
        free(copy);
        return r;
}

static int decode(struct fixture *f, enum sw_msg_kind kind, const char *json)
{
        return decode_n(f, kind, json, strlen(json));
}

static void expect_ok(struct fixture *f, enum sw_msg_kind kind, const char *json)
{
        int r = decode(f, kind, json);

        if (r != 0)
                print_error("unexpected refusal of %s: %s\n", json, f->err);
        assert_int_equal(r, 0);
        assert_int_equal(f->msg.kind, kind);
}

/* A payload the decoder must refuse, and how: one row of the table of refusals. */
struct reject_case {
        const char *what;             /* what the row tests, to name it in a failure */
        enum sw_msg_kind kind;        /* topic it came on */
        const char *json;             /* the payload */
        enum sw_reject_reason reason; /* reason it must be refused for */
        const char *err_part;         /* text the error message must contain */
};

/* Decode c->json and check it is refused as c says; a failure names the row. */
static void expect_reject_case(struct fixture *f, const char *row, const struct reject_case *c)
{
        int r = decode(f, c->kind, c->json);

        if (r != -EINVAL || f->reason != c->reason || !strstr(f->err, c->err_part))
                print_error(
                    "%s: payload %.200s: r=%d reason=%d (want %d) err=\"%s\" (want \"%s\")\n", row,
                    c->json, r, (int)f->reason, (int)c->reason, f->err, c->err_part);
        assert_int_equal(r, -EINVAL);
        assert_int_equal(f->reason, c->reason);
        assert_non_null(strstr(f->err, c->err_part));
}

/* One refusal outside the table: the payload is built at run time or the limits are changed. */
static void expect_reject(struct fixture *f, enum sw_msg_kind kind, const char *json,
                          enum sw_reject_reason reason, const char *err_part)
{
        const struct reject_case c = {"", kind, json, reason, err_part};

        expect_reject_case(f, "refusal", &c);
}

static void assert_str_n(const char *got, size_t got_len, const char *want)
{
        assert_non_null(got);
        assert_int_equal(got_len, strlen(want));
        assert_memory_equal(got, want, got_len);
}

/* The last message's header: its id (NULL: none), its time (0: none) and how many items. */
static void assert_msg(const struct fixture *f, const char *id, int64_t ts, size_t n_items)
{
        if (id)
                assert_str_n(f->msg.id, f->msg.id_len, id);
        else
                assert_null(f->msg.id);
        assert_int_equal(f->msg.has_ts, ts != 0);
        if (ts != 0)
                assert_int_equal(f->msg.ts, ts);
        assert_int_equal(f->msg.n_items, n_items);
}

/* Decode json as a kind message and check its header as assert_msg() does. */
static void expect_msg(struct fixture *f, enum sw_msg_kind kind, const char *json, const char *id,
                       int64_t ts, size_t n_items)
{
        expect_ok(f, kind, json);
        assert_msg(f, id, ts, n_items);
}

/* Item i of the last message: its sku, quantity (qty, on_hand or count) and the fields given. */
static void assert_item(const struct fixture *f, size_t i, const char *sku, int32_t qty,
                        uint8_t has)
{
        assert_str_n(f->items[i].sku, f->items[i].sku_len, sku);
        assert_int_equal(f->items[i].qty, qty);
        assert_int_equal(f->items[i].has, has);
}

/* What one item of a message must hold: its sku, quantity (0 when none given) and has flags, its
 * price when has says one was given, and its category (NULL: none, so the item has none). */
struct item_want {
        const char *sku;      /* sku */
        int32_t qty;          /* qty, on_hand or count */
        uint8_t has;          /* SW_HAS_* flags */
        double price;         /* checked when has & SW_HAS_PRICE */
        const char *category; /* category, or NULL */
};

static bool str_n_is(const char *got, size_t got_len, const char *want)
{
        return got && got_len == strlen(want) && memcmp(got, want, got_len) == 0;
}

/* The last message's n items, each as want[i] says; a failure names the item. */
static void assert_items(const struct fixture *f, const struct item_want *want, size_t n)
{
        assert_int_equal(f->msg.n_items, n);
        for (size_t i = 0; i < n; i++) {
                const struct sw_item *it = &f->items[i];
                const struct item_want *w = &want[i];
                bool price_ok = !(w->has & SW_HAS_PRICE) || it->price == w->price;
                bool category_ok = w->category
                                       ? str_n_is(it->category, it->category_len, w->category)
                                       : !it->category && it->category_len == 0;

                if (!str_n_is(it->sku, it->sku_len, w->sku) || it->qty != w->qty ||
                    it->has != w->has || !price_ok || !category_ok)
                        print_error("item %zu (sku %s) differs\n", i, w->sku);
                assert_item(f, i, w->sku, w->qty, w->has);
                if (w->has & SW_HAS_PRICE)
                        assert_true(it->price == w->price);
                if (w->category) {
                        assert_str_n(it->category, it->category_len, w->category);
                } else {
                        assert_null(it->category);
                        assert_int_equal(it->category_len, 0);
                }
        }
}

static char *repeat(char c, size_t n)
{
        char *s = malloc(n + 1);

        assert_non_null(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* ---- valid messages, every field checked ---- */

static void test_pos_valid(void **state)
{
        struct fixture *f = *state;
        static const struct item_want want[] = {
            {"A-1", 2, SW_HAS_QTY | SW_HAS_PRICE, 3.49, NULL},
            {"B 2", -1, SW_HAS_QTY, 0, NULL},
            {"C3", 1000000, SW_HAS_QTY | SW_HAS_PRICE, 0.0, NULL},
        };

        expect_msg(f, SW_MSG_POS,
                   "{\"id\":\"tx-0001\",\"ts\":\"2026-11-24T10:15:02Z\",\"lines\":["
                   "{\"sku\":\"A-1\",\"qty\":2,\"price\":3.49},"
                   "{\"sku\":\"B 2\",\"qty\":-1},"
                   "{\"sku\":\"C3\",\"qty\":1000000,\"price\":0}]}",
                   "tx-0001", TS_2026_11_24_101502, 3);
        assert_ptr_equal(f->msg.items, f->items);
        assert_int_equal(f->msg.items_cap, N_ITEMS);
        assert_null(f->msg.anomaly);
        assert_null(f->msg.user);
        assert_items(f, want, sizeof(want) / sizeof(want[0]));
}

static void test_pos_boundaries(void **state)
{
        struct fixture *f = *state;

        expect_ok(f, SW_MSG_POS,
                  "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":-1000000,"
                  "\"price\":1e9},{\"sku\":\"B\",\"qty\":2.0,\"price\":null}]}");
        assert_int_equal(f->msg.ts, 1);
        assert_int_equal(f->items[0].qty, -1000000);
        assert_true(f->items[0].price == 1e9);
        assert_int_equal(f->items[1].qty, 2);
        assert_int_equal(f->items[1].has, SW_HAS_QTY); /* null price counts as absent */
}

static void test_receipt_valid(void **state)
{
        struct fixture *f = *state;

        expect_msg(f, SW_MSG_RECEIPT,
                   "{\"id\":\"rcv-9\",\"ts\":\"2026-11-24T04:15:02-06:00\",\"lines\":["
                   "{\"sku\":\"A-1\",\"qty\":24,\"price\":9.99}]}",
                   "rcv-9", TS_2026_11_24_101502, 1);
        /* price is no receipt field: ignored like any unknown field */
        assert_item(f, 0, "A-1", 24, SW_HAS_QTY);
}

static void test_inventory_valid(void **state)
{
        struct fixture *f = *state;
        static const struct item_want want[] = {
            {"A-1", 12, SW_HAS_ON_HAND | SW_HAS_PRICE | SW_HAS_CATEGORY, 4.5, "Dairy"},
            {"B", -3, SW_HAS_ON_HAND, 0, NULL},
            {"C", 0, 0, 0, NULL},
            {"D", 0, SW_HAS_CATEGORY, 0,
             "B\xc3\xa9"
             "b\xc3\xa9 & Caf\xc3\xa9 \xe2\x82\xac"},
            {"E", 0, SW_HAS_ON_HAND, 0, NULL}, /* null price and category count as absent */
        };

        expect_msg(f, SW_MSG_INVENTORY,
                   "{\"ts\":1795515302.9,\"items\":["
                   "{\"sku\":\"A-1\",\"on_hand\":12,\"price\":4.5,\"category\":\"Dairy\"},"
                   "{\"sku\":\"B\",\"on_hand\":-3},"
                   "{\"sku\":\"C\"},"
                   "{\"sku\":\"D\",\"category\":\"B\\u00e9b\\u00e9 & Caf\xc3\xa9 \xe2\x82\xac\"},"
                   "{\"sku\":\"E\",\"on_hand\":0,\"price\":null,\"category\":null}]}",
                   NULL, TS_2026_11_24_101502, 5); /* fraction truncated */
        assert_items(f, want, sizeof(want) / sizeof(want[0]));
}

static void test_forecast_valid(void **state)
{
        struct fixture *f = *state;

        expect_msg(f, SW_MSG_FORECAST,
                   "{\"items\":[{\"sku\":\"A-1\",\"date\":\"2026-11-25\",\"units\":2.5},"
                   "{\"sku\":\"B\",\"date\":\"1970-01-01\",\"units\":0}]}",
                   NULL, 0, 2);
        assert_str_n(f->items[0].sku, f->items[0].sku_len, "A-1");
        assert_int_equal(f->items[0].date, DAY_2026_11_25);
        assert_true(f->items[0].units == 2.5);
        assert_int_equal(f->items[0].has, 0);
        assert_int_equal(f->items[1].date, 0);
        assert_true(f->items[1].units == 0.0);
}

static void test_shelf_valid(void **state)
{
        struct fixture *f = *state;

        expect_msg(f, SW_MSG_SHELF, "{\"ts\":\"2026-11-24T10:15:02Z\",\"sku\":\"A-1\",\"count\":7}",
                   NULL, TS_2026_11_24_101502, 1);
        assert_item(f, 0, "A-1", 7, SW_HAS_QTY);

        expect_msg(f, SW_MSG_SHELF,
                   "{\"ts\":1795515302,\"readings\":[{\"sku\":\"A\",\"count\":0},"
                   "{\"sku\":\"B\",\"count\":1000000}]}",
                   NULL, TS_2026_11_24_101502, 2);
        assert_item(f, 0, "A", 0, SW_HAS_QTY);
        assert_str_n(f->items[1].sku, f->items[1].sku_len, "B");
        assert_int_equal(f->items[1].qty, 1000000);
}

static void test_count_valid(void **state)
{
        struct fixture *f = *state;

        expect_ok(f, SW_MSG_COUNT,
                  "{\"id\":\"cc-1\",\"ts\":\"2026-11-24T10:15:02Z\",\"sku\":\"A-1\",\"counted\":0,"
                  "\"anomaly\":\"an-42\",\"user\":\"J\\u00fcrgen M.\"}");
        assert_int_equal(f->msg.kind, SW_MSG_COUNT);
        assert_msg(f, "cc-1", TS_2026_11_24_101502, 1);
        assert_item(f, 0, "A-1", 0, SW_HAS_QTY);
        assert_str_n(f->msg.anomaly, f->msg.anomaly_len, "an-42");
        assert_str_n(f->msg.user, f->msg.user_len, "J\xc3\xbcrgen M.");

        expect_ok(f, SW_MSG_COUNT,
                  "{\"id\":\"cc-2\",\"ts\":5,\"sku\":\"B\",\"counted\":17,\"anomaly\":null}");
        assert_str_n(f->msg.id, f->msg.id_len, "cc-2");
        assert_int_equal(f->items[0].qty, 17);
        assert_null(f->msg.anomaly);
        assert_int_equal(f->msg.anomaly_len, 0);
        assert_null(f->msg.user);
        assert_int_equal(f->msg.user_len, 0);
}

static void test_unknown_fields_ignored(void **state)
{
        struct fixture *f = *state;

        expect_ok(f, SW_MSG_POS,
                  "{\"v\":2,\"store\":{\"x\":[1,{\"y\":null}]},\"id\":\"t\",\"ts\":9,"
                  "\"lines\":[{\"sku\":\"A\",\"qty\":1,\"discount\":\"10%\",\"tags\":[]}],"
                  "\"cashier\":true}");
        assert_int_equal(f->msg.n_items, 1);
        assert_int_equal(f->items[0].qty, 1);
}

static void test_whitespace_and_reuse(void **state)
{
        struct fixture *f = *state;
        const char *first_sku;

        expect_ok(f, SW_MSG_SHELF, " \r\n\t{ \"ts\" : 7 , \"sku\" : \"A\" , \"count\" : 1 }\n");
        first_sku = f->items[0].sku;
        assert_str_n(first_sku, f->items[0].sku_len, "A");
        /* a second decode replaces the first; the new strings are valid */
        expect_ok(f, SW_MSG_SHELF, "{\"ts\":8,\"sku\":\"BB\",\"count\":2}");
        assert_str_n(f->items[0].sku, f->items[0].sku_len, "BB");
        assert_int_equal(f->msg.ts, 8);
}

/* A key given twice means two things at once: refused, at every level, known field or not. */
static void test_duplicate_keys_refused(void **state)
{
        struct fixture *f = *state;
        char big[4096];
        size_t n = 0;

        /* The same key in two objects is no duplicate. */
        expect_ok(f, SW_MSG_POS,
                  "{\"id\":\"a\",\"ts\":7,\"lines\":[{\"sku\":\"X\",\"qty\":1},{\"sku\":\"Y\","
                  "\"qty\":1}]}");
        /* A large object (sorted check): 300 distinct keys pass, one repeated is caught. */
        n += (size_t)snprintf(big + n, sizeof(big) - n, "{\"ts\":7,\"sku\":\"A\",\"count\":1");
        for (int i = 0; i < 300; i++)
                n += (size_t)snprintf(big + n, sizeof(big) - n, ",\"k%d\":0", i);
        snprintf(big + n, sizeof(big) - n, "}");
        expect_ok(f, SW_MSG_SHELF, big);
        snprintf(big + n, sizeof(big) - n, ",\"k150\":1}");
        expect_reject(f, SW_MSG_SHELF, big, SW_REJECT_DUPLICATE_KEY,
                      "k150: key given more than once");
}

/* What a refused count's ack can echo: id and sku when they read unambiguously. */
static void test_count_ids_of_refused_counts(void **state)
{
        char id[SW_ID_MAX_LEN + 1], sku[SW_SKU_MAX_LEN + 1];
        static const struct {
                const char *json; /* payload */
                const char *id;   /* echoed id */
                const char *sku;  /* echoed sku */
        } cases[] = {
            {"{\"id\":\"c-7\",\"ts\":7,\"sku\":\"SKU42\"}", "c-7", "SKU42"}, /* counted missing */
            {"{\"id\":\"c-7\",\"sku\":\"SKU42\",\"counted\":-1}", "c-7", "SKU42"},
            {"{\"id\":\"c-7\",\"sku\":\" bad\",\"counted\":1}", "c-7", ""},
            {"{\"id\":7,\"sku\":\"S\"}", "", "S"},
            {"{\"id\":\"a\",\"id\":\"b\",\"sku\":\"S\"}", "", "S"}, /* which id? */
            {"{\"id\":\"c-7\",\"user\":\"a\",\"user\":\"b\"}", "c-7", ""},
            {"{\"id\":\"a\\u0000b\"}", "", ""},
            {"{\"id\":\"c-7\"", "", ""}, /* not JSON */
            {"[\"c-7\"]", "", ""},
            {"", "", ""},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                sw_payload_count_ids(cases[i].json, strlen(cases[i].json), 1024, id, sku);
                if (strcmp(id, cases[i].id) != 0 || strcmp(sku, cases[i].sku) != 0)
                        fail_msg("%s: id '%s' sku '%s', want '%s' '%s'", cases[i].json, id, sku,
                                 cases[i].id, cases[i].sku);
        }
        /* Over the size cap: not parsed at all. */
        sw_payload_count_ids(cases[0].json, strlen(cases[0].json), 8, id, sku);
        assert_string_equal(id, "");
}

/* ---- refusals ---- */

/*
 * Every payload refused on its own, whatever came before: one row a case, named by what it
 * tests (the test it came from).
 */
/* clang-format off */
static const struct reject_case refusals[] = {
    {"duplicate_keys", SW_MSG_SHELF, "{\"ts\":7,\"sku\":\"A\",\"count\":1,\"count\":-5}", SW_REJECT_DUPLICATE_KEY, "count: key given more than once"},
    /* Top level: before, the id read was the last one; lines kept their first sku. */
    {"duplicate_keys", SW_MSG_POS, "{\"id\":\"a\",\"ts\":7,\"id\":\"b\",\"lines\":[{\"sku\":\"X\",\"qty\":1}]}", SW_REJECT_DUPLICATE_KEY, "id: key given more than once"},
    {"duplicate_keys", SW_MSG_POS, "{\"id\":\"a\",\"ts\":7,\"lines\":[{\"sku\":\"X\",\"qty\":1,\"sku\":\"Y\"}]}", SW_REJECT_DUPLICATE_KEY, "sku: key given more than once"},
    {"duplicate_keys", SW_MSG_INVENTORY, "{\"ts\":7,\"items\":[{\"sku\":\"X\"},{\"sku\":\"Y\",\"on_hand\":1,\"on_hand\":9}]}", SW_REJECT_DUPLICATE_KEY, "on_hand"},
    {"duplicate_keys", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"X\",\"date\":\"2026-11-25\",\"units\":1,\"date\":\"x\"}]}", SW_REJECT_DUPLICATE_KEY, "date"},
    {"duplicate_keys", SW_MSG_SHELF, "{\"ts\":7,\"readings\":[{\"sku\":\"X\",\"count\":1,\"count\":2}]}", SW_REJECT_DUPLICATE_KEY, "count"},
    {"duplicate_keys", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":7,\"sku\":\"X\",\"counted\":1,\"user\":\"a\",\"user\":\"b\"}", SW_REJECT_DUPLICATE_KEY, "user"},
    /* In an unknown field, nested, too. */
    {"duplicate_keys", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":7,\"sku\":\"X\",\"counted\":1,\"x\":[{\"a\":{\"k\":1,\"k\":2}}]}", SW_REJECT_DUPLICATE_KEY, "k"},
    {"missing_fields", SW_MSG_POS, "{\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_MISSING_FIELD, "id: missing"},
    {"missing_fields", SW_MSG_POS, "{\"id\":\"x\",\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_MISSING_FIELD, "ts: missing"},
    {"missing_fields", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1}", SW_REJECT_MISSING_FIELD, "lines: missing"},
    {"missing_fields", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"qty\":1}]}", SW_REJECT_MISSING_FIELD, "lines[0].sku: missing"},
    {"missing_fields", SW_MSG_RECEIPT, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\"}]}", SW_REJECT_MISSING_FIELD, "lines[0].qty: missing"},
    {"missing_fields", SW_MSG_INVENTORY, "{\"items\":[{\"sku\":\"A\"}]}", SW_REJECT_MISSING_FIELD, "ts: missing"},
    {"missing_fields", SW_MSG_INVENTORY, "{\"ts\":1,\"item\":[{\"sku\":\"A\"}]}", SW_REJECT_MISSING_FIELD, "items: missing"},
    {"missing_fields", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"A\",\"units\":1}]}", SW_REJECT_MISSING_FIELD, "items[0].date: missing"},
    {"missing_fields", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"A\",\"date\":\"2026-01-01\"}]}", SW_REJECT_MISSING_FIELD, "items[0].units: missing"},
    {"missing_fields", SW_MSG_SHELF, "{\"ts\":1}", SW_REJECT_MISSING_FIELD, "sku: missing"},
    {"missing_fields", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\"}", SW_REJECT_MISSING_FIELD, "count: missing"},
    {"missing_fields", SW_MSG_SHELF, "{\"ts\":1,\"readings\":[{\"sku\":\"A\"}]}", SW_REJECT_MISSING_FIELD, "readings[0].count: missing"},
    {"missing_fields", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\"}", SW_REJECT_MISSING_FIELD, "counted: missing"},
    {"missing_fields", SW_MSG_COUNT, "{\"ts\":1,\"sku\":\"A\",\"counted\":1}", SW_REJECT_MISSING_FIELD, "id: missing"},
    {"wrong_types", SW_MSG_POS, "{\"id\":7,\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_WRONG_TYPE, "id: must be a string"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":true,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_WRONG_TYPE, "ts: must be"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":null,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_WRONG_TYPE, "ts: must be"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":{\"sku\":\"A\"}}", SW_REJECT_WRONG_TYPE, "lines: must be an array"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[\"A\"]}", SW_REJECT_WRONG_TYPE, "lines[0]: must be an object"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":\"5\"}]}", SW_REJECT_WRONG_TYPE, "lines[0].qty: must be an integer"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1,\"price\":\"1.0\"}]}", SW_REJECT_WRONG_TYPE, "lines[0].price: must be a number"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":123,\"qty\":1}]}", SW_REJECT_WRONG_TYPE, "lines[0].sku: must be a string"},
    {"wrong_types", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":null,\"qty\":1}]}", SW_REJECT_WRONG_TYPE, "lines[0].sku: must be a string"},
    {"wrong_types", SW_MSG_INVENTORY, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"category\":5}]}", SW_REJECT_WRONG_TYPE, "items[0].category: must be a string"},
    {"wrong_types", SW_MSG_INVENTORY, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"on_hand\":false}]}", SW_REJECT_WRONG_TYPE, "items[0].on_hand: must be an integer"},
    {"wrong_types", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"A\",\"date\":20260101,\"units\":1}]}", SW_REJECT_WRONG_TYPE, "items[0].date: must be a string"},
    {"wrong_types", SW_MSG_SHELF, "{\"ts\":1,\"readings\":[7]}", SW_REJECT_WRONG_TYPE, "readings[0]: must be an object"},
    {"wrong_types", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1,\"user\":[\"u\"]}", SW_REJECT_WRONG_TYPE, "user: must be a string"},
    {"negative_and_zero", SW_MSG_RECEIPT, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":-1}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty: must be between 1 and 1000000"},
    {"negative_and_zero", SW_MSG_RECEIPT, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":0}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty"},
    {"negative_and_zero", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":0}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty: must not be 0"},
    {"negative_and_zero", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1,\"price\":-0.01}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].price"},
    {"negative_and_zero", SW_MSG_INVENTORY, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"price\":-1}]}", SW_REJECT_OUT_OF_RANGE, "items[0].price"},
    {"negative_and_zero", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"A\",\"date\":\"2026-01-01\",\"units\":-0.5}]}", SW_REJECT_OUT_OF_RANGE, "items[0].units"},
    {"negative_and_zero", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":-1}", SW_REJECT_OUT_OF_RANGE, "count: must be between 0 and 1000000"},
    {"negative_and_zero", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":-2}", SW_REJECT_OUT_OF_RANGE, "counted"},
    /* JSON has no NaN or Infinity literal */
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":NaN}]}", SW_REJECT_NOT_JSON, "not valid JSON"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":-Infinity}]}", SW_REJECT_NOT_JSON, "not valid JSON"},
    /* ... but an overflowing exponent becomes inf in cJSON */
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1e999}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty: must be finite"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1,\"price\":1e999}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].price: must be finite"},
    {"non_finite_and_huge", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"A\",\"date\":\"2026-01-01\",\"units\":-1e999}]}", SW_REJECT_OUT_OF_RANGE, "items[0].units: must be finite"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1e999,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_BAD_TIMESTAMP, "ts"},
    /* huge: would saturate valueint to INT_MAX */
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1e20}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty: must be between"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":4294967297}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1000001}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":-1000001}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty"},
    {"non_finite_and_huge", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1,\"price\":1000000000.01}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].price"},
    {"non_finite_and_huge", SW_MSG_INVENTORY, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"on_hand\":-1000001}]}", SW_REJECT_OUT_OF_RANGE, "items[0].on_hand"},
    {"non_finite_and_huge", SW_MSG_FORECAST, "{\"items\":[{\"sku\":\"A\",\"date\":\"2026-01-01\",\"units\":1000000.5}]}", SW_REJECT_OUT_OF_RANGE, "items[0].units"},
    {"non_finite_and_huge", SW_MSG_SHELF, "{\"ts\":1,\"readings\":[{\"sku\":\"A\",\"count\":1e7}]}", SW_REJECT_OUT_OF_RANGE, "readings[0].count"},
    {"fractional", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1.5}]}", SW_REJECT_OUT_OF_RANGE, "lines[0].qty: must be an integer"},
    {"fractional", SW_MSG_INVENTORY, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"on_hand\":0.25}]}", SW_REJECT_OUT_OF_RANGE, "items[0].on_hand: must be an integer"},
    {"fractional", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":3.000001}", SW_REJECT_OUT_OF_RANGE, "count: must be an integer"},
    {"fractional", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1e-300}", SW_REJECT_OUT_OF_RANGE, "counted: must be an integer"},
    {"not_json", SW_MSG_SHELF, "", SW_REJECT_NOT_JSON, "empty"},
    {"not_json", SW_MSG_SHELF, "   ", SW_REJECT_NOT_JSON, ""},
    {"not_json", SW_MSG_SHELF, "{", SW_REJECT_NOT_JSON, "not valid JSON"},
    {"not_json", SW_MSG_SHELF, "hello", SW_REJECT_NOT_JSON, "not valid JSON"},
    {"not_json", SW_MSG_SHELF, "{'ts':1}", SW_REJECT_NOT_JSON, "not valid JSON"},
    {"not_json", SW_MSG_SHELF, "{\"ts\":1,}", SW_REJECT_NOT_JSON, "not valid JSON"},
    /* cJSON would skip any byte <= 0x20 between tokens; JSON does not */
    {"not_json", SW_MSG_SHELF, "{\"ts\":1,\x01\"sku\":\"A\",\"count\":1}", SW_REJECT_NOT_JSON, "control character"},
    {"not_json", SW_MSG_SHELF, "\x0c{\"ts\":1,\"sku\":\"A\",\"count\":1}", SW_REJECT_NOT_JSON, "control character"},
    /* raw control characters inside strings must be escaped */
    {"not_json", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\tB\",\"count\":1}", SW_REJECT_NOT_JSON, "control character"},
    /* \u0000 would silently cut the string at the NUL */
    {"not_json", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\\u0000B\",\"count\":1}", SW_REJECT_NOT_JSON, "\\u0000"},
    {"trailing_garbage", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":1} x", SW_REJECT_NOT_JSON, "trailing data at offset 29"},
    {"trailing_garbage", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":1}{}", SW_REJECT_NOT_JSON, "trailing data"},
    {"trailing_garbage", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":1},", SW_REJECT_NOT_JSON, "trailing data"},
    {"not_object", SW_MSG_SHELF, "[{\"ts\":1,\"sku\":\"A\",\"count\":1}]", SW_REJECT_NOT_OBJECT, "top level must be an object"},
    {"not_object", SW_MSG_SHELF, "\"x\"", SW_REJECT_NOT_OBJECT, "object"},
    {"not_object", SW_MSG_SHELF, "42", SW_REJECT_NOT_OBJECT, "object"},
    {"not_object", SW_MSG_SHELF, "null", SW_REJECT_NOT_OBJECT, "object"},
    {"empty", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[]}", SW_REJECT_EMPTY, "lines: must not be empty"},
    {"empty", SW_MSG_INVENTORY, "{\"ts\":1,\"items\":[]}", SW_REJECT_EMPTY, "items"},
    {"empty", SW_MSG_FORECAST, "{\"items\":[]}", SW_REJECT_EMPTY, "items"},
    {"empty", SW_MSG_SHELF, "{\"ts\":1,\"readings\":[]}", SW_REJECT_EMPTY, "readings"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"\",\"count\":1}", SW_REJECT_BAD_SKU, "sku: must not be empty"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\\u0001\",\"count\":1}", SW_REJECT_BAD_SKU, "sku: must be printable ASCII"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\\n\",\"count\":1}", SW_REJECT_BAD_SKU, "printable ASCII"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\\u007f\",\"count\":1}", SW_REJECT_BAD_SKU, "printable ASCII"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"caf\xc3\xa9\",\"count\":1}", SW_REJECT_BAD_SKU, "printable ASCII"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\" A\",\"count\":1}", SW_REJECT_BAD_SKU, "must not start or end with a space"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A \",\"count\":1}", SW_REJECT_BAD_SKU, "space"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\" \",\"count\":1}", SW_REJECT_BAD_SKU, "space"},
    {"bad_sku", SW_MSG_SHELF, "{\"ts\":1,\"readings\":[{\"sku\":\"A\",\"count\":1},{\"sku\":\"\",\"count\":1}]}", SW_REJECT_BAD_SKU, "readings[1].sku"},
    {"bad_id", SW_MSG_POS, "{\"id\":\"\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_BAD_ID, "id: must not be empty"},
    {"bad_id", SW_MSG_RECEIPT, "{\"id\":\"a\\u00e9\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_BAD_ID, "id: must be printable ASCII"},
    {"bad_id", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1,\"anomaly\":\"\"}", SW_REJECT_BAD_ID, "anomaly: must not be empty"},
    {"bad_id", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1,\"user\":\"\"}", SW_REJECT_BAD_ID, "user"},
    {"bad_id", SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1,\"user\":\"a\\u001bb\"}", SW_REJECT_BAD_ID, "user: must be UTF-8 text"},
    {"case_sensitive", SW_MSG_SHELF, "{\"ts\":1,\"SKU\":\"A\",\"count\":1}", SW_REJECT_MISSING_FIELD, "sku: missing"},
    {"case_sensitive", SW_MSG_SHELF, "{\"TS\":1,\"sku\":\"A\",\"count\":1}", SW_REJECT_MISSING_FIELD, "ts: missing"},
    {"case_sensitive", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"Lines\":[{\"sku\":\"A\",\"qty\":1}]}", SW_REJECT_MISSING_FIELD, "lines: missing"},
    {"case_sensitive", SW_MSG_POS, "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"Qty\":1}]}", SW_REJECT_MISSING_FIELD, "lines[0].qty: missing"},
    {"shelf_both_forms", SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":1,\"readings\":[{\"sku\":\"B\",\"count\":2}]}", SW_REJECT_WRONG_TYPE, "readings: not allowed together with sku/count"},
    {"shelf_both_forms", SW_MSG_SHELF, "{\"ts\":1,\"count\":1,\"readings\":[{\"sku\":\"B\",\"count\":2}]}", SW_REJECT_WRONG_TYPE, "readings: not allowed"},
    {"shelf_both_forms", SW_MSG_SHELF, "{\"ts\":1,\"readings\":{\"sku\":\"B\",\"count\":2}}", SW_REJECT_WRONG_TYPE, "readings: must be an array"},
    {"unknown_kind", SW_MSG_KIND_COUNT, "{}", SW_REJECT_UNKNOWN_TOPIC, "kind"},
    {"unknown_kind", (enum sw_msg_kind) - 1, "{}", SW_REJECT_UNKNOWN_TOPIC, "kind"},
};
/* clang-format on */

static void test_refusals(void **state)
{
        struct fixture *f = *state;

        char row[64];

        for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
                snprintf(row, sizeof(row), "refusals[%zu] (%s)", i, refusals[i].what);
                expect_reject_case(f, row, &refusals[i]);
        }
}

static void test_oversize(void **state)
{
        struct fixture *f = *state;
        const char *json = "{\"ts\":1,\"sku\":\"A\",\"count\":1}"; /* 28 bytes */

        f->lim.max_bytes = strlen(json);
        expect_ok(f, SW_MSG_SHELF, json);
        f->lim.max_bytes = strlen(json) - 1;
        expect_reject(f, SW_MSG_SHELF, json, SW_REJECT_TOO_LARGE, "28 bytes, limit is 27");
        /* capped before parsing: garbage over the limit is too_large, not not_json */
        expect_reject(f, SW_MSG_SHELF, "this is not JSON at all, and it is long",
                      SW_REJECT_TOO_LARGE, "39 bytes");
}

static void test_not_json(void **state)
{
        struct fixture *f = *state;
        static const char nul_after[] = "{\"ts\":1,\"sku\":\"A\",\"count\":1}\0";

        /* ... but an escaped backslash followed by "u0000" is plain text */
        expect_ok(f, SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\\\\u0000B\",\"count\":1}");
        assert_str_n(f->items[0].sku, f->items[0].sku_len, "A\\u0000B");
        /* a NUL after the object is trailing garbage */
        assert_int_equal(decode_n(f, SW_MSG_SHELF, nul_after, sizeof(nul_after) - 1), -EINVAL);
        assert_int_equal(f->reason, SW_REJECT_NOT_JSON);
}

static void test_trailing_garbage(void **state)
{
        struct fixture *f = *state;

        expect_ok(f, SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":1}\r\n \t");
        /* a payload cut short inside a string must not be read past its end */
        assert_int_equal(decode_n(f, SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\\", 16), -EINVAL);
        assert_int_equal(f->reason, SW_REJECT_NOT_JSON);
}

static void test_deep_nesting(void **state)
{
        struct fixture *f = *state;
        char *deep = repeat('[', 100000);
        char *json;
        size_t n;

        f->lim.max_bytes = 1024 * 1024;
        expect_reject(f, SW_MSG_POS, deep, SW_REJECT_NOT_JSON, "not valid JSON");
        free(deep);

        /* well-formed but 20000 deep: {"a":{"a":...1}...}, refused by the nesting limit */
        deep = malloc(6 * 20000 + 2);
        assert_non_null(deep);
        for (size_t i = 0; i < 20000; i++) {
                memcpy(deep + 5 * i, "{\"a\":", 5);
                deep[5 * 20000 + 1 + i] = '}';
        }
        deep[5 * 20000] = '1';
        deep[6 * 20000 + 1] = '\0';
        expect_reject(f, SW_MSG_POS, deep, SW_REJECT_NOT_JSON, "not valid JSON");
        free(deep);

        /* moderate nesting in an unknown field is parsed and ignored */
        json = malloc(1000);
        assert_non_null(json);
        n = (size_t)sprintf(json, "{\"deep\":");
        for (int i = 0; i < 100; i++)
                json[n++] = '[';
        for (int i = 0; i < 100; i++)
                json[n++] = ']';
        sprintf(json + n, ",\"ts\":1,\"sku\":\"A\",\"count\":1}");
        expect_ok(f, SW_MSG_SHELF, json);
        free(json);
}

static void test_empty_and_too_many(void **state)
{
        struct fixture *f = *state;
        static const char four[] = "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1},"
                                   "{\"sku\":\"B\",\"qty\":1},{\"sku\":\"C\",\"qty\":1},"
                                   "{\"sku\":\"D\",\"qty\":1}]}";

        f->lim.max_items = 4;
        expect_ok(f, SW_MSG_POS, four);
        assert_int_equal(f->msg.n_items, 4);
        f->lim.max_items = 3;
        expect_reject(f, SW_MSG_POS, four, SW_REJECT_TOO_MANY_ITEMS, "lines: more than 3 entries");
        /* the caller's capacity binds too */
        f->lim.max_items = 100;
        f->msg.items_cap = 2;
        expect_reject(f, SW_MSG_POS, four, SW_REJECT_TOO_MANY_ITEMS, "lines: more than 2 entries");
        f->msg.items_cap = 0;
        expect_reject(f, SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1}",
                      SW_REJECT_TOO_MANY_ITEMS, "");
        expect_reject(f, SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"A\",\"count\":1}",
                      SW_REJECT_TOO_MANY_ITEMS, "");
}

static void test_all_or_nothing(void **state)
{
        struct fixture *f = *state;

        f->msg.n_items = 77;
        f->msg.id = NULL;
        f->msg.ts = 1234;
        expect_reject(f, SW_MSG_POS,
                      "{\"id\":\"x\",\"ts\":99,\"lines\":[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"B\","
                      "\"qty\":1},{\"sku\":\"C\",\"qty\":1},{\"sku\":\"D\",\"qty\":1.5}]}",
                      SW_REJECT_OUT_OF_RANGE, "lines[3].qty: must be an integer");
        /* the message header is untouched on refusal */
        assert_int_equal(f->msg.n_items, 77);
        assert_null(f->msg.id);
        assert_int_equal(f->msg.ts, 1234);
        assert_ptr_equal(f->msg.items, f->items);
        assert_int_equal(f->msg.items_cap, N_ITEMS);
}

/* The decoded text a length limit applies to. */
enum limited_field { LIMITED_SKU, LIMITED_ID, LIMITED_USER };

/* A length limit: max bytes of fill in the payload's field are taken, one more is refused. */
struct length_limit {
        enum sw_msg_kind kind;        /* topic */
        const char *fmt;              /* the payload, %s where the field's text goes */
        enum limited_field field;     /* the field, as decoded */
        char fill;                    /* the byte the text is made of */
        size_t max;                   /* the limit, in bytes */
        enum sw_reject_reason reason; /* reason of the refusal of max + 1 bytes */
        const char *err_part;         /* text its error message must contain */
};

static void assert_limited_field(const struct fixture *f, enum limited_field field,
                                 const char *want)
{
        switch (field) {
        case LIMITED_SKU:
                assert_str_n(f->items[0].sku, f->items[0].sku_len, want);
                break;
        case LIMITED_ID:
                assert_str_n(f->msg.id, f->msg.id_len, want);
                break;
        case LIMITED_USER:
                assert_str_n(f->msg.user, f->msg.user_len, want);
                break;
        }
}

static void test_length_limits(void **state)
{
        static const struct length_limit limits[] = {
            {SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"%s\",\"count\":1}", LIMITED_SKU, 'S', 64,
             SW_REJECT_BAD_SKU, "sku: longer than 64 bytes"},
            {SW_MSG_COUNT, "{\"id\":\"%s\",\"ts\":1,\"sku\":\"A\",\"counted\":1}", LIMITED_ID, 'i',
             128, SW_REJECT_BAD_ID, "id: longer than 128 bytes"},
            {SW_MSG_COUNT, "{\"id\":\"c\",\"ts\":1,\"sku\":\"A\",\"counted\":1,\"user\":\"%s\"}",
             LIMITED_USER, 'i', 128, SW_REJECT_BAD_ID, "user"},
        };
        struct fixture *f = *state;
        char json[512], row[32];

        for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
                const struct length_limit *l = &limits[i];
                char *text = repeat(l->fill, l->max + 1);

                snprintf(row, sizeof(row), "limits[%zu]", i);
                print_message("%s: %zu bytes fit, %zu do not\n", row, l->max, l->max + 1);
                snprintf(json, sizeof(json), l->fmt, text + 1);
                expect_ok(f, l->kind, json);
                assert_limited_field(f, l->field, text + 1);
                snprintf(json, sizeof(json), l->fmt, text);
                expect_reject(f, l->kind, json, l->reason, l->err_part);
                free(text);
        }
}

static void test_bad_sku(void **state)
{
        struct fixture *f = *state;

        expect_ok(f, SW_MSG_SHELF, "{\"ts\":1,\"sku\":\"!~ A b ~!\",\"count\":1}");
        assert_str_n(f->items[0].sku, f->items[0].sku_len, "!~ A b ~!");
}

static void test_bad_timestamps(void **state)
{
        static const char *const bad[] = {
            "\"2026-13-01T00:00:00Z\"",
            "\"yesterday\"",
            "\"2026-11-24\"",
            "\"\"",
            "\"2026-11-24T10:15:02\"",  /* no offset */
            "\"1970-01-01T00:00:00Z\"", /* not after the epoch */
            "\"1969-12-31T23:59:59Z\"",
            "0",
            "-5",
            "0.5",
            "253402300800",
            "1e300",
        };
        struct fixture *f = *state;
        char json[128];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(json, sizeof(json), "{\"ts\":%s,\"sku\":\"A\",\"count\":1}", bad[i]);
                expect_reject(f, SW_MSG_SHELF, json, SW_REJECT_BAD_TIMESTAMP, "ts: ");
        }
        expect_reject(f, SW_MSG_SHELF, "{\"ts\":[1],\"sku\":\"A\",\"count\":1}",
                      SW_REJECT_WRONG_TYPE, "ts");

        expect_ok(f, SW_MSG_SHELF, "{\"ts\":253402300799.9,\"sku\":\"A\",\"count\":1}");
        assert_int_equal(f->msg.ts, INT64_C(253402300799));
        expect_ok(f, SW_MSG_SHELF, "{\"ts\":1.5,\"sku\":\"A\",\"count\":1}");
        assert_int_equal(f->msg.ts, 1);
        expect_ok(f, SW_MSG_SHELF,
                  "{\"ts\":\"2026-11-24t10:15:02.999z\",\"sku\":\"A\",\"count\":1}");
        assert_int_equal(f->msg.ts, TS_2026_11_24_101502);
        expect_ok(f, SW_MSG_SHELF,
                  "{\"ts\":\"2026-11-24T11:15:02+01:00\",\"sku\":\"A\",\"count\":1}");
        assert_int_equal(f->msg.ts, TS_2026_11_24_101502);
}

static void test_bad_dates(void **state)
{
        static const char *const bad[] = {"2026-02-30",           "2026-1-05",  "20260105", "",
                                          "2026-01-05T00:00:00Z", "2026-01-5 ", "today"};
        struct fixture *f = *state;
        char json[128];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(json, sizeof(json),
                         "{\"items\":[{\"sku\":\"A\",\"date\":\"%s\",\"units\":1}]}", bad[i]);
                expect_reject(f, SW_MSG_FORECAST, json, SW_REJECT_BAD_DATE,
                              "items[0].date: must be YYYY-MM-DD");
        }
}

static void test_case_sensitive(void **state)
{
        struct fixture *f = *state;

        /* a differently cased optional field is just an unknown field */
        expect_ok(f, SW_MSG_POS,
                  "{\"id\":\"x\",\"ts\":1,\"lines\":[{\"sku\":\"A\",\"qty\":1,\"Price\":-5}]}");
        assert_int_equal(f->items[0].has, SW_HAS_QTY);
}

static void test_category_utf8(void **state)
{
        static const char *const bad[] = {
            "\xff",             /* never valid */
            "a\xc0\xaf",        /* overlong '/' */
            "\xe0\x80\xaf",     /* overlong, 3 bytes */
            "\xed\xa0\x80",     /* UTF-16 surrogate */
            "\xf4\x90\x80\x80", /* above U+10FFFF */
            "\xe2\x82",         /* truncated */
            "ab\xe2\x82",       /* truncated at the end */
            "\x80",             /* lone continuation */
            "\\u0007",          /* C0 control */
            "a\\u007f",         /* DEL */
            "\\u0085",          /* C1 control */
            "",                 /* empty */
        };
        struct fixture *f = *state;
        char json[256];
        char big[3 * 22 + 1];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(json, sizeof(json),
                         "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"category\":\"%s\"}]}", bad[i]);
                /* Raw bytes that are not UTF-8 are refused before parsing, wherever they are;
                 * escapes decode to valid UTF-8 and are judged as a category. */
                if (bad[i][0] != '\\' && bad[i][0] != '\0' && i < 8)
                        expect_reject(f, SW_MSG_INVENTORY, json, SW_REJECT_NOT_JSON, "not UTF-8");
                else
                        expect_reject(f, SW_MSG_INVENTORY, json, SW_REJECT_BAD_CATEGORY,
                                      "items[0].category");
        }
        /* Even in a field nobody reads. */
        expect_reject(f, SW_MSG_INVENTORY,
                      "{\"ts\":1,\"junk\":\"\xff\xfe\",\"items\":[{\"sku\":\"A\"}]}",
                      SW_REJECT_NOT_JSON, "not UTF-8");

        /* 64 bytes of 2-byte characters fit; one more byte does not */
        json[0] = '\0';
        strcat(json, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"category\":\"");
        for (int i = 0; i < 32; i++)
                strcat(json, "\xc3\xa9");
        strcat(json, "\"}]}");
        expect_ok(f, SW_MSG_INVENTORY, json);
        assert_int_equal(f->items[0].category_len, 64);
        assert_memory_equal(f->items[0].category, "\xc3\xa9\xc3\xa9", 4);
        json[0] = '\0';
        strcat(json, "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"category\":\"x");
        for (int i = 0; i < 32; i++)
                strcat(json, "\xc3\xa9");
        strcat(json, "\"}]}");
        expect_reject(f, SW_MSG_INVENTORY, json, SW_REJECT_BAD_CATEGORY, "longer than 64 bytes");

        /* 3- and 4-byte characters, including the largest code point */
        big[0] = '\0';
        for (int i = 0; i < 21; i++)
                strcat(big, "\xe2\x82\xac");
        snprintf(json, sizeof(json),
                 "{\"ts\":1,\"items\":[{\"sku\":\"A\",\"category\":\"%s\"},"
                 "{\"sku\":\"B\",\"category\":\"\xf0\x9f\x8d\x8e\xf4\x8f\xbf\xbf\"}]}",
                 big);
        expect_ok(f, SW_MSG_INVENTORY, json);
        assert_int_equal(f->items[0].category_len, 63);
        assert_int_equal(f->items[1].category_len, 8);
}

static void test_tiny_err_buffer(void **state)
{
        struct fixture *f = *state;
        enum sw_reject_reason reason = SW_REJECT_REASON_COUNT;
        char small[4];

        assert_int_equal(sw_payload_decode(f->d, SW_MSG_SHELF, "[]", 2, &f->lim, &f->msg, &reason,
                                           small, sizeof(small)),
                         -EINVAL);
        assert_int_equal(reason, SW_REJECT_NOT_OBJECT);
        assert_string_equal(small, "pay");
        reason = SW_REJECT_REASON_COUNT;
        assert_int_equal(
            sw_payload_decode(f->d, SW_MSG_SHELF, "[]", 2, &f->lim, &f->msg, &reason, NULL, 0),
            -EINVAL);
        assert_int_equal(reason, SW_REJECT_NOT_OBJECT);
}

/* ---- command requests ---- */

static int cmd(struct fixture *f, const char *json, struct sw_cmd_request *req)
{
        size_t len = strlen(json);
        char *copy = malloc(len ? len : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, json, len);
        f->err[0] = '\0';
        r = sw_payload_decode_command(f->d, copy, len, 4096, req, f->err, sizeof(f->err));
        free(copy);
        return r;
}

/* A command request that must fail, and the text its error must contain. */
struct cmd_fail_case {
        const char *json;     /* the request */
        const char *err_part; /* text the error message must contain */
};

/* Decode c->json as a command, check it fails as c says; a failure names the row. */
static void expect_cmd_fail_case(struct fixture *f, const char *row, const struct cmd_fail_case *c)
{
        struct sw_cmd_request req;
        int r;

        memset(&req, 0x5a, sizeof(req));
        r = cmd(f, c->json, &req);
        if (r != -EINVAL || !strstr(f->err, c->err_part))
                print_error("%s: command %.200s: r=%d err=\"%s\" (want \"%s\")\n", row, c->json, r,
                            f->err, c->err_part);
        assert_int_equal(r, -EINVAL);
        assert_non_null(strstr(f->err, c->err_part));
        assert_int_equal(req.n_detectors, 0x5a5a5a5a); /* untouched on failure */
}

/* clang-format off */
static const struct cmd_fail_case command_failures[] = {
    {"{\"days\":0}", "days: must be between 1 and 100000"},
    {"{\"days\":-3}", "days"},
    {"{\"days\":1.5}", "days: must be an integer"},
    {"{\"days\":100001}", "days"},
    {"{\"days\":1e999}", "days: must be finite"},
    {"{\"days\":\"7\"}", "days: must be an integer"},
    {"{\"limit\":true}", "limit"},
    {"{\"force\":\"yes\"}", "force: must be true or false"},
    {"{\"force\":1}", "force: must be true or false"},
    {"{\"path\":7}", "path: must be a string"},
    {"{\"type\":5}", "type: must be a string"},
    {"{\"Type\":\"x\",\"severity\":{}}", "severity: must be a string"},
    {"{\"note\":\"a\\u0007b\"}", "note: must be UTF-8 text"},
    {"{\"note\":\"a\xff\"}", "not UTF-8"},
    {"{\"reply_to\":\"a/#\"}", "reply_to: must be a topic"},
    {"{\"reply_to\":\"a/+/b\"}", "reply_to"},
    {"{\"reply_to\":\"\"}", "reply_to"},
    {"{\"detectors\":\"ghost_stock\"}", "detectors: must be an array"},
    {"{\"detectors\":[\"a\",7]}", "detectors[1]: must be a string"},
    {"{\"detectors\":[\"\"]}", "detectors[0]"},
    {"{\"detectors\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", "detectors: more than 8 entries"},
    {"[]", "top level must be an object"},
    {"{\"days\":7", "not valid JSON"},
    {"{\"days\":7} 8", "trailing data"},
    {"{\"sku\":\"a\\u0000b\"}", "\\u0000"},
    {"{\"anomaly\":\"a\",\"outcome\":\"true_positive\",\"anomaly\":\"b\"}", "anomaly: key given more than once"},
    {"{\"reply_to\":\"retail/demo/store1/reply/x\",\"reply_to\":\"$SYS/x\"}", "reply_to: key given more than once"},
};
/* clang-format on */

static void test_command_empty(void **state)
{
        struct fixture *f = *state;
        struct sw_cmd_request req;

        memset(&req, 0x5a, sizeof(req));
        assert_int_equal(cmd(f, "", &req), 0);
        assert_null(req.as_of);
        assert_null(req.reply_to);
        assert_false(req.has_days);
        assert_false(req.has_limit);
        assert_int_equal(req.n_detectors, 0);

        memset(&req, 0x5a, sizeof(req));
        assert_int_equal(cmd(f, " \n", &req), 0);
        assert_null(req.note);
        assert_int_equal(cmd(f, "{}", &req), 0);
        assert_null(req.sku);
        assert_false(req.has_days);
}

static void test_command_full(void **state)
{
        struct fixture *f = *state;
        struct sw_cmd_request req;

        assert_int_equal(
            cmd(f,
                "{\"as_of\":\"2026-11-25\",\"type\":\"ghost_stock\",\"severity\":"
                "\"critical\",\"status\":\"open\",\"sku\":\"A-1\",\"anomaly\":\"an-1\","
                "\"outcome\":\"true_positive\",\"action\":\"cycle_count\",\"note\":"
                "\"found 3 in back room \\u2014 ok\",\"reply_to\":\"clients/x/reply\","
                "\"corr\":\"42\",\"days\":30,\"limit\":100000,\"detectors\":"
                "[\"ghost_stock\",\"shelf_out\"],\"extra\":{\"ignored\":true}}",
                &req),
            0);
        assert_string_equal(req.as_of, "2026-11-25");
        assert_string_equal(req.type, "ghost_stock");
        assert_string_equal(req.severity, "critical");
        assert_string_equal(req.status, "open");
        assert_string_equal(req.sku, "A-1");
        assert_string_equal(req.anomaly, "an-1");
        assert_string_equal(req.outcome, "true_positive");
        assert_string_equal(req.action, "cycle_count");
        assert_string_equal(req.note, "found 3 in back room \xe2\x80\x94 ok");
        assert_string_equal(req.reply_to, "clients/x/reply");
        assert_string_equal(req.corr, "42");
        assert_true(req.has_days);
        assert_int_equal(req.days, 30);
        assert_true(req.has_limit);
        assert_int_equal(req.limit, 100000);
        assert_int_equal(req.n_detectors, 2);
        assert_string_equal(req.detectors[0], "ghost_stock");
        assert_string_equal(req.detectors[1], "shelf_out");

        assert_null(req.path);
        assert_false(req.force);
        assert_int_equal(
            cmd(f, "{\"path\":\"/var/lib/shelfwatch/backup/a.db\",\"force\":true}", &req), 0);
        assert_string_equal(req.path, "/var/lib/shelfwatch/backup/a.db");
        assert_true(req.force);
        assert_int_equal(cmd(f, "{\"force\":false}", &req), 0);
        assert_false(req.force);
        assert_int_equal(cmd(f, "{\"days\":1,\"type\":null,\"limit\":null,\"detectors\":[]}", &req),
                         0);
        assert_int_equal(req.days, 1);
        assert_null(req.type);
        assert_false(req.has_limit);
        assert_int_equal(req.n_detectors, 0);
}

static void test_command_invalid(void **state)
{
        struct fixture *f = *state;
        char json[1200];
        char *note = repeat('n', 1024);

        char row[64];

        for (size_t i = 0; i < sizeof(command_failures) / sizeof(command_failures[0]); i++) {
                snprintf(row, sizeof(row), "command_failures[%zu]", i);
                expect_cmd_fail_case(f, row, &command_failures[i]);
        }

        snprintf(json, sizeof(json), "{\"note\":\"%s\"}", note);
        {
                struct sw_cmd_request req;

                assert_int_equal(cmd(f, json, &req), 0);
                assert_int_equal(strlen(req.note), 1024);
        }
        snprintf(json, sizeof(json), "{\"note\":\"%sn\"}", note);
        {
                const struct cmd_fail_case c = {json, "note: longer than 1024 bytes"};

                expect_cmd_fail_case(f, "1025-byte note", &c);
        }
        free(note);

        {
                struct sw_cmd_request req;

                assert_int_equal(sw_payload_decode_command(f->d, "{\"days\":7}", 10, 9, &req,
                                                           f->err, sizeof(f->err)),
                                 -EINVAL);
                assert_non_null(strstr(f->err, "limit is 9"));
        }
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_pos_valid),
        SW_TEST_FRESH(test_pos_boundaries),
        SW_TEST_FRESH(test_receipt_valid),
        SW_TEST_FRESH(test_inventory_valid),
        SW_TEST_FRESH(test_forecast_valid),
        SW_TEST_FRESH(test_shelf_valid),
        SW_TEST_FRESH(test_count_valid),
        SW_TEST_FRESH(test_unknown_fields_ignored),
        SW_TEST_FRESH(test_whitespace_and_reuse),
        SW_TEST_FRESH(test_duplicate_keys_refused),
        SW_TEST_FRESH(test_count_ids_of_refused_counts),
        SW_TEST_FRESH(test_refusals),
        SW_TEST_FRESH(test_oversize),
        SW_TEST_FRESH(test_not_json),
        SW_TEST_FRESH(test_trailing_garbage),
        SW_TEST_FRESH(test_deep_nesting),
        SW_TEST_FRESH(test_empty_and_too_many),
        SW_TEST_FRESH(test_all_or_nothing),
        SW_TEST_FRESH(test_length_limits),
        SW_TEST_FRESH(test_bad_sku),
        SW_TEST_FRESH(test_bad_timestamps),
        SW_TEST_FRESH(test_bad_dates),
        SW_TEST_FRESH(test_case_sensitive),
        SW_TEST_FRESH(test_category_utf8),
        SW_TEST_FRESH(test_tiny_err_buffer),
        SW_TEST_FRESH(test_command_empty),
        SW_TEST_FRESH(test_command_full),
        SW_TEST_FRESH(test_command_invalid))
/* clang-format on */
