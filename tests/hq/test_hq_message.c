/* hq_message: topics, every kind's required fields and ranges, refusal reasons, the row. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "hq/hq_fields.h"
#include "hq/hq_message.h"
#include "tests/support/test_main.h"

#define ANOMALY                                                                                    \
        "{\"v\":\"1.1\",\"id\":\"s1-gs-20261120-X\",\"rev\":3,\"type\":\"ghost_stock\","           \
        "\"severity\":\"critical\",\"status\":\"open\",\"sku\":\"X\",\"category\":\"dairy\","      \
        "\"as_of\":\"2026-11-23\",\"detected_at\":\"2026-11-23T04:30:01Z\",\"probability\":0.9,"   \
        "\"value\":354.93,\"currency\":\"USD\",\"updated_at\":\"2026-11-24T04:30:01Z\"}"

static int parse(const char *topic, const char *payload, struct hq_msg *m, enum hq_bad_reason *why)
{
        return hq_msg_parse("retail", topic, payload, strlen(payload), 4096, m, why);
}

static void expect_bad(const char *topic, const char *payload, enum hq_bad_reason want)
{
        struct hq_msg m = {0};
        enum hq_bad_reason why = HQ_BAD_COUNT;
        int r = parse(topic, payload, &m, &why);
        if (r != -EBADMSG || why != want)
                fail_msg("%s %s: r=%d reason %s, want %s", topic, payload, r,
                         hq_bad_reason_name(why), hq_bad_reason_name(want));
        assert_null(m.row);
}

/* Parse a payload that must be accepted (failing the test with the payload if not). */
static void parse_ok(const char *topic, const char *payload, struct hq_msg *m)
{
        enum hq_bad_reason why = HQ_BAD_COUNT;
        int r = parse(topic, payload, m, &why);
        if (r != 0)
                fail_msg("%s %s: r=%d reason %s", topic, payload, r, hq_bad_reason_name(why));
}

/* The members an anomaly needs, but detected_at: as a store sends them, and as the refusals
 * below give them (any text passes for a severity or a status). */
#define ANOMALY_HEAD                                                                               \
        "{\"id\":\"a\",\"type\":\"t\",\"severity\":\"info\",\"status\":\"open\",\"sku\":\"X\","
#define BAD_HEAD "{\"id\":\"a\",\"type\":\"t\",\"severity\":\"s\",\"status\":\"o\",\"sku\":\"X\","

static void test_anomaly_row(void **state)
{
        struct hq_msg m = {0};
        enum hq_bad_reason why;
        (void)state;
        assert_int_equal(parse("retail/acme/s1/anomaly", ANOMALY, &m, &why), 0);
        assert_int_equal(m.kind, HQ_KIND_ANOMALY);
        assert_string_equal(m.tenant, "acme");
        assert_string_equal(m.store, "s1");
        assert_string_equal(m.id, "s1-gs-20261120-X");
        assert_int_equal(m.rev, 3);
        assert_true(m.versioned);
        cJSON *row = cJSON_Parse(m.row);
        assert_non_null(row);
        assert_int_equal((long long)cJSON_GetObjectItem(row, "detected_at")->valuedouble,
                         1795408201LL);
        assert_string_equal(cJSON_GetObjectItem(row, "as_of")->valuestring, "2026-11-23");
        /* The payload travels as received: money text unchanged. */
        assert_non_null(strstr(m.row, "\"value\":354.93,"));
        assert_string_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(row, "payload"), "sku")->valuestring, "X");
        assert_int_equal(strlen(m.row), m.row_len);
        cJSON_Delete(row);
        hq_msg_clear(&m);
        assert_null(m.row);
}

static void test_v1_without_rev(void **state)
{
        struct hq_msg m = {0};
        (void)state;
        parse_ok("retail/acme/s1/anomaly", ANOMALY_HEAD "\"detected_at\":1700000000}", &m);
        assert_int_equal(m.rev, 0);
        assert_false(m.versioned);
        hq_msg_clear(&m);
}

/* A rev after a gateway's restore is at least the restore's Unix time: past 2^31 from 2038,
 * kept whole up to 2^53 - 1 (exact in JSON), refused beyond. */
static void test_rev_beyond_32_bits(void **state)
{
        struct hq_msg m = {0};
        (void)state;
        parse_ok("retail/acme/s1/anomaly", ANOMALY_HEAD "\"detected_at\":1,\"rev\":4102444800}",
                 &m);
        assert_true(m.rev == 4102444800LL);
        assert_non_null(strstr(m.row, "\"rev\":4102444800"));
        hq_msg_clear(&m);
        parse_ok("retail/acme/s1/anomaly",
                 ANOMALY_HEAD "\"detected_at\":1,\"rev\":9007199254740991}", &m);
        assert_true(m.rev == 9007199254740991LL);
        hq_msg_clear(&m);
        expect_bad("retail/a/s/anomaly", BAD_HEAD "\"detected_at\":1,\"rev\":9007199254740992}",
                   HQ_BAD_VALUE);
}

static void test_other_kinds(void **state)
{
        struct hq_msg m = {0};
        (void)state;
        parse_ok("retail/a/s/outcome",
                 "{\"v\":\"1.1\",\"id\":\"o\",\"anomaly\":\"x\",\"outcome\":"
                 "\"true_positive\",\"ts\":1,\"adjustment\":-12}",
                 &m);
        assert_int_equal(m.rev, 1);
        hq_msg_clear(&m);
        parse_ok("retail/a/s/summary",
                 "{\"ts\":5,\"open\":{\"critical\":1},\"precision\":null,"
                 "\"health\":{\"pos_feed\":\"silent\",\"last_pos_at\":4}}",
                 &m);
        assert_int_equal(m.kind, HQ_KIND_SUMMARY);
        assert_string_equal(m.id, "");
        hq_msg_clear(&m);
        parse_ok("retail/a/s/status", "{\"state\":\"offline\"}", &m);
        hq_msg_clear(&m);
}

/* Payloads refused, each with its reason. */
static const struct {
        const char *topic;      /* where it came */
        const char *payload;    /* what came */
        enum hq_bad_reason why; /* the reason it must be refused for */
} refusals[] = {
    {"retail/acme/s1", ANOMALY, HQ_BAD_TOPIC},
    {"other/acme/s1/anomaly", ANOMALY, HQ_BAD_TOPIC},
    {"retail/acme/s1/cmd", ANOMALY, HQ_BAD_TOPIC},
    {"retail//s1/anomaly", ANOMALY, HQ_BAD_TOPIC},
    {"retail/a/s/anomaly", "{", HQ_BAD_JSON},
    {"retail/a/s/anomaly", "{} x", HQ_BAD_JSON},
    {"retail/a/s/anomaly", "\"str\"", HQ_BAD_JSON},
    {"retail/a/s/anomaly", "{\"id\":\"\\u0000\"}", HQ_BAD_ENCODING},
    {"retail/a/s/anomaly", "{\"id\":\"\xc3\x28\"}", HQ_BAD_ENCODING},
    {"retail/a/s/anomaly", "{\"v\":\"2.0\"}", HQ_BAD_VERSION},
    {"retail/a/s/anomaly", "{\"v\":1.1}", HQ_BAD_TYPE},
    {"retail/a/s/anomaly", "{\"tenant\":\"b\"}", HQ_BAD_MISMATCH},
    {"retail/a/s/anomaly", "{\"store\":\"t\"}", HQ_BAD_MISMATCH},
    {"retail/a/s/anomaly", "{\"type\":\"t\"}", HQ_BAD_MISSING},
    {"retail/a/s/anomaly", BAD_HEAD "\"detected_at\":\"yesterday\"}", HQ_BAD_TIME},
    {"retail/a/s/anomaly", BAD_HEAD "\"detected_at\":1,\"probability\":1.5}", HQ_BAD_VALUE},
    {"retail/a/s/anomaly", BAD_HEAD "\"detected_at\":1,\"rev\":1.5}", HQ_BAD_VALUE},
    {"retail/a/s/anomaly", BAD_HEAD "\"detected_at\":1,\"value\":1e400}", HQ_BAD_VALUE},
    {"retail/a/s/outcome", "{\"id\":\"o\",\"anomaly\":\"x\",\"outcome\":\"maybe\",\"ts\":1}",
     HQ_BAD_VALUE},
    {"retail/a/s/outcome",
     "{\"id\":\"o\",\"anomaly\":\"x\",\"outcome\":\"true_positive\",\"ts\":1,\"adjustment\":0.5}",
     HQ_BAD_VALUE},
    {"retail/a/s/summary", "{\"ts\":1,\"open\":[]}", HQ_BAD_TYPE},
    {"retail/a/s/summary", "{\"ts\":1,\"open\":{\"info\":-1}}", HQ_BAD_VALUE},
    {"retail/a/s/status", "{\"state\":\"sleeping\"}", HQ_BAD_VALUE},
    {"retail/a/s/status", "{}", HQ_BAD_MISSING},
    /* A key given twice: validation would read the first, the stored jsonb the last. */
    {"retail/acme/s1/anomaly",
     "{\"id\":\"a\",\"type\":\"ghost_stock\",\"severity\":\"info\",\"status\":"
     "\"open\",\"sku\":\"X\",\"detected_at\":1,\"severity\":\"<b>2 KB</b>\"}",
     HQ_BAD_DUPLICATE_KEY},
    {"retail/acme/s1/summary", "{\"ts\":1,\"open\":{\"info\":1,\"info\":2}}", HQ_BAD_DUPLICATE_KEY},
};

static void test_refusals(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
                expect_bad(refusals[i].topic, refusals[i].payload, refusals[i].why);
        assert_string_equal(hq_bad_reason_name(HQ_BAD_DUPLICATE_KEY), "duplicate_key");
}

static void test_oversize_and_nul(void **state)
{
        struct hq_msg m = {0};
        enum hq_bad_reason why;
        char big[5000];
        (void)state;
        memset(big, ' ', sizeof(big));
        big[0] = '{', big[sizeof(big) - 1] = '}';
        assert_int_equal(
            hq_msg_parse("retail", "retail/a/s/status", big, sizeof(big), 4096, &m, &why),
            -EBADMSG);
        assert_int_equal(why, HQ_BAD_OVERSIZE);
        /* A NUL inside the payload's length: not text. */
        assert_int_equal(hq_msg_parse("retail", "retail/a/s/status", "{}\0{}", 5, 4096, &m, &why),
                         -EBADMSG);
        assert_int_equal(why, HQ_BAD_ENCODING);
}

static void test_utf8(void **state)
{
        (void)state;
        assert_true(hq_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
        assert_false(hq_utf8_valid("\xc0\xaf", 2));         /* overlong */
        assert_false(hq_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
        assert_false(hq_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
        assert_false(hq_utf8_valid("\xe2\x82", 2));         /* cut short */
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_anomaly_row),        cmocka_unit_test(test_v1_without_rev),
        cmocka_unit_test(test_other_kinds),        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_oversize_and_nul),   cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_rev_beyond_32_bits))
/* clang-format on */
