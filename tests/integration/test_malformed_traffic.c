/* 100k+ valid and hostile messages through the real broker: counted, refused, state unchanged. */
/*
 * One deterministic stream (seeded PRNG) of realistic store traffic for a few hundred SKUs
 * over the last 20 days, with hostile messages mixed in: truncated JSON, wrong types, NaN and
 * Infinity, huge numbers, 1 MB payloads, invalid UTF-8, deep nesting, unknown topics,
 * SQL-looking SKUs, garbage commands and redeliveries. Two daemons on two brokers: one is fed
 * the whole stream, one only the valid messages, in the same order. Then:
 *   - health: accepted per kind, duplicates per kind and rejected per kind and reason are
 *     exactly what the generator expects (it knows why each message must be refused);
 *   - the state of both is the same: SKUs tracked, categories, the ML feature rows and
 *     scores, and the anomalies after the same detect; also after a restart of the first.
 * The shelf-out and discrepancy sweeps are switched off: they run every 60 s of wall time,
 * so their transient episodes depend on when a sweep falls in the stream, not on the data.
 * Messages on unknown topics reach the daemon only where they match its subscriptions
 * (counted in messages.unknown_topic); the test checks that they change nothing. The brokers queue
 * without limit (max_queued_messages 0) so that none of the 100k messages is dropped before
 * the daemon reads it. Known limit: a run that crosses midnight UTC may see "today" move
 * between generation and detection.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <mosquitto.h>

#include "core/message.h"
#include "harness.h"

#define PREFIX      "retail/demo/store1"
#define N_SKU       300    /* ordinary SKUs SKU0000..SKU0299 */
#define DAYS        20     /* days of history sent, ending yesterday */
#define POS_PER_DAY 2450   /* receipts at the till per day */
#define MIN_TOTAL   100000 /* messages in the mixed stream at least */
#define WINDOW      200    /* QoS 1 publishes in flight per publisher */
#define BIG_PAYLOAD (1u << 20)
#define MAX_BYTES   65536 /* limits.max_payload_bytes (default) */

/* ---- a growable string ---- */

struct sb {
        char *p;    /* text, NUL-terminated */
        size_t n;   /* length */
        size_t cap; /* allocated */
};

static void sb_reserve(struct sb *s, size_t more)
{
        if (s->n + more + 1 <= s->cap)
                return;
        while (s->n + more + 1 > s->cap)
                s->cap = s->cap ? 2 * s->cap : 256;
        s->p = realloc(s->p, s->cap);
        assert_non_null(s->p);
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *s, const char *fmt, ...)
{
        va_list ap;
        int n;
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        sb_reserve(s, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(s->p + s->n, (size_t)n + 1, fmt, ap);
        va_end(ap);
        s->n += (size_t)n;
}

static void sb_bytes(struct sb *s, const char *b, size_t n)
{
        sb_reserve(s, n);
        memcpy(s->p + s->n, b, n);
        s->n += n;
        s->p[s->n] = '\0';
}

static void sb_repeat(struct sb *s, const char *b, size_t times)
{
        size_t n = strlen(b);
        sb_reserve(s, n * times);
        for (size_t i = 0; i < times; i++)
                sb_bytes(s, b, n);
}

/* A JSON string literal; bytes >= 0x80 are copied raw (so invalid UTF-8 can be sent). */
static void sb_jstr(struct sb *s, const char *str)
{
        sb_bytes(s, "\"", 1);
        for (const char *c = str; *c; c++) {
                if (*c == '"' || *c == '\\')
                        sb_printf(s, "\\%c", *c);
                else if ((unsigned char)*c < 0x20)
                        sb_printf(s, "\\u%04x", (unsigned char)*c);
                else
                        sb_bytes(s, c, 1);
        }
        sb_bytes(s, "\"", 1);
}

/* ---- deterministic randomness ---- */

static uint64_t rng = 0x5eed5eed12345678ull;

static uint64_t rnd64(void)
{
        uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
        return (uint32_t)(rnd64() % n);
}

static bool chance(double p)
{
        return (double)(rnd64() >> 11) / 9007199254740992.0 < p;
}

/* ---- the traffic ---- */

enum cls {
        C_VALID,   /* applied by both daemons */
        C_INVALID, /* refused with a known reason (mixed stream only) */
        C_DUP,     /* a redelivery of a valid message (mixed only): counted as duplicate */
        C_UNKNOWN, /* a topic that is no message kind (mixed only): never counted */
        C_COMMAND, /* a malformed command request (mixed only): answered with an error */
};

struct tmsg {
        char *topic;   /* full topic */
        char *payload; /* bytes, may contain anything */
        size_t len;    /* payload bytes */
        enum cls cls;  /* what it is */
};

struct traffic {
        struct tmsg *v;                                          /* the stream, in publish order */
        size_t n, cap;                                           /* used, allocated */
        size_t per_cls[5];                                       /* messages per class */
        size_t n_big;                                            /* 1 MB payloads */
        uint64_t acc[SW_MSG_KIND_COUNT];                         /* expected accepted */
        uint64_t dup[SW_MSG_KIND_COUNT];                         /* expected duplicates (mixed) */
        uint64_t rej[SW_MSG_KIND_COUNT][SW_REJECT_REASON_COUNT]; /* expected rejections */
        size_t valid_with_id[4096]; /* ring of recent valid messages with an id (for resends) */
        size_t n_with_id;           /* entries written to the ring */
        int64_t now;                /* wall clock at generation */
        int64_t today;              /* start of today (UTC, the store's zone) */
};

static const char *const kind_topic[SW_MSG_KIND_COUNT] = {
    [SW_MSG_POS] = "pos/r1",          [SW_MSG_RECEIPT] = "receipt",
    [SW_MSG_INVENTORY] = "inventory", [SW_MSG_FORECAST] = "forecast",
    [SW_MSG_SHELF] = "shelf/s1",      [SW_MSG_COUNT] = "scanner/h1/count",
};

/* Hostile but valid SKUs: stored and looked up as data, never as SQL or format strings. */
static const char *const special_skus[] = {
    "'; DROP TABLE sku_state;--",
    "Robert'); DROP TABLE anomalies;--",
    "\" OR \"1\"=\"1",
    "1 UNION SELECT * FROM outbox",
    "%s%s%s%n%x",
    "\\\\server\\share",
    "<script>alert(1)</script>",
    "AB 123",
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", /* 64: the longest */
};
#define N_SPECIAL   ((uint32_t)(sizeof(special_skus) / sizeof(special_skus[0])))
#define COUNT_OF(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static const char *const categories[] = {
    "dairy",
    "bakery",
    "B\xc3\xa4"
    "ckerei",
    "\xe6\x97\xa5\xe6\x9c\xac\xe9\x85\x92",
    "produce",
    "frozen",
    "snacks",
    "drinks",
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", /* 64 bytes */
};

static void add(struct traffic *t, const char *suffix, struct sb *payload, enum cls cls,
                enum sw_msg_kind kind, enum sw_reject_reason reason)
{
        struct sb topic = {0};
        if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 1024;
                t->v = realloc(t->v, t->cap * sizeof(*t->v));
                assert_non_null(t->v);
        }
        sb_printf(&topic, "%s/%s", PREFIX, suffix);
        t->v[t->n] =
            (struct tmsg){.topic = topic.p, .payload = payload->p, .len = payload->n, .cls = cls};
        if (!payload->p) /* an empty payload */
                t->v[t->n].payload = calloc(1, 1);
        *payload = (struct sb){0};
        t->per_cls[cls]++;
        if (cls == C_VALID)
                t->acc[kind]++;
        else if (cls == C_DUP)
                t->dup[kind]++;
        else if (cls == C_INVALID)
                t->rej[kind][reason]++;
        if (cls == C_VALID &&
            (kind == SW_MSG_POS || kind == SW_MSG_RECEIPT || kind == SW_MSG_COUNT))
                t->valid_with_id[t->n_with_id++ % 4096] = t->n;
        t->n++;
}

static const char *sku_name(uint32_t i, char *buf, size_t size)
{
        if (i >= N_SKU)
                return special_skus[i - N_SKU];
        snprintf(buf, size, "SKU%04u", i);
        return buf;
}

/* before, then "sku": and the name of SKU number i: a list item's start ("{" or ",{") or a
 * member after others (","). */
static void sb_sku(struct sb *s, const char *before, uint32_t i)
{
        char buf[16];
        sb_printf(s, "%s\"sku\":", before);
        sb_jstr(s, sku_name(i, buf, sizeof(buf)));
}

/* A timestamp in one of the accepted spellings; all mean the instant t. */
static void sb_ts(struct sb *s, int64_t t)
{
        struct tm tm;
        time_t tt;
        char buf[64];
        switch (rnd(4)) {
        case 0: /* Unix seconds */
                sb_printf(s, "%lld", (long long)t);
                return;
        case 1: /* an offset */
                tt = (time_t)(t + 2 * 3600);
                gmtime_r(&tt, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+02:00", &tm);
                break;
        case 2: /* a fraction, truncated by the parser */
                tt = (time_t)t;
                gmtime_r(&tt, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.250Z", &tm);
                break;
        default:
                tt = (time_t)t;
                gmtime_r(&tt, &tm);
                strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
                break;
        }
        sb_printf(s, "\"%s\"", buf);
}

static void sb_date(struct sb *s, int64_t t)
{
        struct tm tm;
        time_t tt = (time_t)t;
        char buf[32];
        gmtime_r(&tt, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
        sb_printf(s, "\"%s\"", buf);
}

/* Skewed popularity: low indexes sell most. Ghost SKUs stop selling for the last 6 days. */
static bool is_ghost(uint32_t i)
{
        return i == 5 || i == 12 || i == 23 || i == 37 || i == 51 || i == 64 || i == 78 || i == 91;
}

/* Zipf-like popularity: SKU i sells in proportion to 1 / (i + 10). */
static uint32_t pick_sku(bool ghosts_off)
{
        static double cum[N_SKU];
        if (cum[N_SKU - 1] == 0) {
                double sum = 0;
                for (uint32_t i = 0; i < N_SKU; i++)
                        cum[i] = sum += 1.0 / (i + 10.0);
                for (uint32_t i = 0; i < N_SKU; i++)
                        cum[i] /= sum;
        }
        for (;;) {
                double u = (double)(rnd64() >> 11) / 9007199254740992.0;
                uint32_t lo = 0, hi = N_SKU - 1;
                while (lo < hi) {
                        uint32_t mid = (lo + hi) / 2;
                        if (cum[mid] < u)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (!(ghosts_off && is_ghost(lo)))
                        return lo;
        }
}

static double base_price(uint32_t i)
{
        return 0.99 + (double)((i * 37u) % 200) / 10.0;
}

/* ---- valid messages ---- */

static void pos_msg(struct sb *s, uint32_t id, int64_t ts, bool ghosts_off, bool specials)
{
        uint32_t lines = 1 + rnd(4);
        sb_printf(s, "{\"id\":\"pos-%07u\",\"ts\":", id);
        sb_ts(s, ts);
        sb_printf(s, ",\"lines\":[");
        for (uint32_t k = 0; k < lines; k++) {
                uint32_t i = specials && k == 0 ? N_SKU + rnd(N_SPECIAL) : pick_sku(ghosts_off);
                int qty = chance(0.03) ? -1 : 1 + (int)rnd(3);
                sb_sku(s, k ? ",{" : "{", i);
                sb_printf(s, ",\"qty\":%d", qty);
                if (chance(0.8))
                        sb_printf(s, ",\"price\":%.2f", i < N_SKU ? base_price(i) : 9.99);
                sb_printf(s, "}");
        }
        sb_printf(s, "]}");
}

static void receipt_msg(struct sb *s, uint32_t id, int64_t ts)
{
        sb_printf(s, "{\"id\":\"rcv-%06u\",\"ts\":", id);
        sb_ts(s, ts);
        sb_printf(s, ",\"supplier\":\"ACME\",\"lines\":[");
        for (uint32_t k = 0, n = 6 + rnd(8); k < n; k++) {
                sb_sku(s, k ? ",{" : "{", pick_sku(false));
                sb_printf(s, ",\"qty\":%u}", 12 + rnd(37));
        }
        sb_printf(s, "]}");
}

static void inventory_msg(struct sb *s, int64_t ts, uint32_t first, uint32_t n, bool full)
{
        sb_printf(s, "{\"ts\":");
        sb_ts(s, ts);
        sb_printf(s, ",\"items\":[");
        for (uint32_t k = 0; k < n; k++) {
                uint32_t i = full ? first + k : rnd(N_SKU);
                sb_sku(s, k ? ",{" : "{", i);
                if (full || chance(0.7))
                        sb_printf(s, ",\"on_hand\":%u", full ? 150 + rnd(300) : 20 + rnd(200));
                if (full || chance(0.3))
                        sb_printf(s, ",\"price\":%.2f", i < N_SKU ? base_price(i) : 4.5);
                if (full || chance(0.2)) {
                        sb_printf(s, ",\"category\":");
                        sb_jstr(s, categories[i % COUNT_OF(categories)]);
                }
                if (chance(0.05))
                        sb_printf(s, ",\"note\":null,\"extra\":{\"a\":[1,2,{\"b\":true}]}");
                sb_printf(s, "}");
        }
        sb_printf(s, "]}");
}

static void forecast_msg(struct sb *s, int64_t day)
{
        sb_printf(s, "{\"items\":[");
        for (uint32_t k = 0, n = 100 + rnd(100); k < n; k++) {
                uint32_t i = rnd(N_SKU);
                sb_sku(s, k ? ",{" : "{", i);
                sb_printf(s, ",\"date\":");
                sb_date(s, day + (int64_t)rnd(7) * 86400);
                sb_printf(s, ",\"units\":%.1f}",
                          (double)(N_SKU - i) / 10.0 + (double)rnd(30) / 10.0);
        }
        sb_printf(s, "]}");
}

static void shelf_msg(struct sb *s, int64_t ts)
{
        sb_printf(s, "{\"ts\":");
        sb_ts(s, ts);
        if (chance(0.7)) {
                sb_sku(s, ",", rnd(N_SKU));
                sb_printf(s, ",\"count\":%u}", chance(0.1) ? 0 : rnd(50));
                return;
        }
        sb_printf(s, ",\"readings\":[");
        for (uint32_t k = 0, n = 2 + rnd(6); k < n; k++) {
                sb_sku(s, k ? ",{" : "{", rnd(N_SKU));
                sb_printf(s, ",\"count\":%u}", rnd(50));
        }
        sb_printf(s, "]}");
}

static void count_msg(struct sb *s, uint32_t id, int64_t ts)
{
        sb_printf(s, "{\"id\":\"cnt-%05u\",\"ts\":", id);
        sb_ts(s, ts);
        sb_sku(s, ",", N_SKU / 2 + rnd(N_SKU / 2));
        sb_printf(s, ",\"counted\":%u,\"user\":\"Zo\xc3\xab\"}", rnd(80));
}

/* A valid message of a kind at ts, used as the base of truncations. */
static void any_valid(struct sb *s, enum sw_msg_kind k, int64_t ts)
{
        switch (k) {
        case SW_MSG_POS:
                pos_msg(s, 9000000 + rnd(999999), ts, false, false);
                break;
        case SW_MSG_RECEIPT:
                receipt_msg(s, 900000 + rnd(99999), ts);
                break;
        case SW_MSG_INVENTORY:
                inventory_msg(s, ts, 0, 5, false);
                break;
        case SW_MSG_FORECAST:
                forecast_msg(s, ts - ts % 86400);
                break;
        case SW_MSG_SHELF:
                shelf_msg(s, ts);
                break;
        default:
                count_msg(s, 90000 + rnd(9999), ts);
                break;
        }
}

/* ---- hostile messages: each has exactly one defect, and the reason it must get ---- */

/* Payload header up to the first line/item object for kind k, with a valid id and ts. */
static void head(struct sb *s, enum sw_msg_kind k, uint32_t bad, int64_t ts)
{
        switch (k) {
        case SW_MSG_POS:
        case SW_MSG_RECEIPT:
                sb_printf(s, "{\"id\":\"bad-%u\",\"ts\":%lld,\"lines\":[", bad, (long long)ts);
                break;
        case SW_MSG_INVENTORY:
                sb_printf(s, "{\"ts\":%lld,\"items\":[", (long long)ts);
                break;
        case SW_MSG_FORECAST:
                sb_printf(s, "{\"items\":[");
                break;
        case SW_MSG_SHELF:
                sb_printf(s, "{\"ts\":%lld,\"readings\":[", (long long)ts);
                break;
        default:
                sb_printf(s, "{\"id\":\"bad-%u\",\"ts\":%lld,", bad, (long long)ts);
                break;
        }
}

/* The valid rest of a line/item for kind k after its sku. */
static const char *line_rest(enum sw_msg_kind k)
{
        switch (k) {
        case SW_MSG_POS:
        case SW_MSG_RECEIPT:
                return ",\"qty\":2";
        case SW_MSG_INVENTORY:
                return ",\"on_hand\":3";
        case SW_MSG_FORECAST:
                return ",\"date\":\"2026-01-01\",\"units\":1"; /* replaced below */
        case SW_MSG_SHELF:
                return ",\"count\":2";
        default:
                return ",\"counted\":2";
        }
}

/* One message of kind k whose only defect is its sku (raw bytes, JSON-escaped as needed). */
static void with_sku(struct sb *s, enum sw_msg_kind k, uint32_t bad, int64_t ts, const char *sku)
{
        head(s, k, bad, ts);
        if (k == SW_MSG_COUNT) {
                sb_printf(s, "\"sku\":");
                sb_jstr(s, sku);
                sb_printf(s, "%s}", line_rest(k));
                return;
        }
        sb_printf(s, "{\"sku\":");
        sb_jstr(s, sku);
        if (k == SW_MSG_FORECAST) {
                sb_printf(s, ",\"date\":");
                sb_date(s, ts);
                sb_printf(s, ",\"units\":1");
        } else {
                sb_printf(s, "%s", line_rest(k));
        }
        sb_printf(s, "}]}");
}

/* One message of kind k whose line/item (or the count) has field `field` set to raw JSON. */
static void with_field(struct sb *s, enum sw_msg_kind k, uint32_t bad, int64_t ts,
                       const char *field, const char *raw)
{
        head(s, k, bad, ts);
        if (k != SW_MSG_COUNT)
                sb_printf(s, "{");
        sb_printf(s, "\"sku\":\"SKU0001\",\"%s\":%s", field, raw);
        switch (k) {
        case SW_MSG_POS:
                sb_printf(s, ",\"price\":1.5");
                break;
        case SW_MSG_FORECAST:
                if (strcmp(field, "units") == 0) {
                        sb_printf(s, ",\"date\":");
                        sb_date(s, ts);
                } else {
                        sb_printf(s, ",\"units\":1");
                }
                break;
        default:
                break;
        }
        sb_printf(s, k == SW_MSG_COUNT ? "}" : "}]}");
}

/* with_field() of a value written in two parts: raw, then after (more members, or bytes that
 * break the text). */
static void with_field_then(struct sb *s, enum sw_msg_kind k, uint32_t bad, int64_t ts,
                            const char *field, const char *raw, const char *after)
{
        struct sb v = {0};
        sb_printf(&v, "%s%s", raw, after);
        with_field(s, k, bad, ts, field, v.p);
        free(v.p);
}

/* The numeric field of a line/item for kind k. */
static const char *num_field(enum sw_msg_kind k)
{
        static const char *const f[SW_MSG_KIND_COUNT] = {"qty",   "qty",   "on_hand",
                                                         "units", "count", "counted"};
        return f[k];
}

static const char *const bad_utf8[] = {
    "SKU\xc3", /* truncated sequence */
    "\xc0\xaf"
    "SKU",                 /* overlong '/' */
    "SKU\xed\xa0\x80",     /* surrogate */
    "\x80\x81\x82",        /* lone continuation bytes */
    "SKU\xf5\x80\x80\x80", /* beyond U+10FFFF */
    "caf\xc3\xa9",         /* valid UTF-8, but a SKU is ASCII */
    "\xff\xfe",            /* not UTF-8 at all */
};

/* Deep nesting: depth levels of {"a":...} around 1 in an ignored field. */
static void nested(struct sb *s, uint32_t depth)
{
        sb_repeat(s, "{\"a\":", depth);
        sb_printf(s, "1");
        sb_repeat(s, "}", depth);
}

static void add_invalid(struct traffic *t, uint32_t bad, int64_t ts)
{
        enum sw_msg_kind k = (enum sw_msg_kind)rnd(SW_MSG_KIND_COUNT);
        enum sw_reject_reason why = SW_REJECT_REASON_COUNT;
        struct sb s = {0};
        const char *nf = num_field(k);
        bool has_ts = k != SW_MSG_FORECAST,
             has_id = k == SW_MSG_POS || k == SW_MSG_RECEIPT || k == SW_MSG_COUNT;
        uint32_t c = bad % 2500 == 0 ? 15 : rnd(30);

        switch (c) {
        case 0:
        case 1:
        case 2: { /* truncated: any proper prefix of an object is not JSON */
                any_valid(&s, k, ts);
                s.n = rnd((uint32_t)s.n);
                s.p[s.n] = '\0';
                why = SW_REJECT_NOT_JSON;
                break;
        }
        case 3: { /* not an object */
                static const char *const tops[] = {"[1,2,3]", "\"pos\"",
                                                   "42",      "null",
                                                   "true",    "[{\"sku\":\"SKU0001\",\"qty\":1}]"};
                sb_printf(&s, "%s", tops[rnd(6)]);
                why = SW_REJECT_NOT_OBJECT;
                break;
        }
        case 4: { /* NaN and Infinity are not JSON */
                static const char *const nans[] = {"NaN", "Infinity", "-Infinity", "nan", "inf"};
                with_field(&s, k, bad, ts, nf, nans[rnd(5)]);
                why = SW_REJECT_NOT_JSON;
                break;
        }
        case 5: { /* huge numbers parse to inf or beyond the limits */
                static const char *const huge[] = {
                    "1e400", "-1e400",  "1e20",    "99999999999999999999",
                    "1e308", "2000001", "-2000001"};
                const char *h = huge[rnd(7)];
                with_field(&s, k, bad, ts, nf, h);
                why = SW_REJECT_OUT_OF_RANGE;
                break;
        }
        case 6: { /* a number longer than any double spelling: 1e299 written out in full */
                struct sb digits = {0};
                sb_printf(&digits, "1");
                sb_repeat(&digits, "0", 299);
                with_field(&s, k, bad, ts, nf, digits.p);
                free(digits.p);
                why = SW_REJECT_OUT_OF_RANGE;
                break;
        } break;
        case 7: /* wrong type of the numeric field */
                with_field(&s, k, bad, ts, nf, rnd(2) ? "\"2\"" : "[2]");
                why = SW_REJECT_WRONG_TYPE;
                break;
        case 8: /* fractional where an integer is needed (forecast units may be fractional) */
                if (k == SW_MSG_FORECAST) {
                        with_field(&s, k, bad, ts, nf, "-0.5");
                } else {
                        with_field(&s, k, bad, ts, nf, "1.5");
                }
                why = SW_REJECT_OUT_OF_RANGE;
                break;
        case 9: { /* invalid UTF-8 and non-ASCII in the sku */
                const char *sku = bad_utf8[rnd(COUNT_OF(bad_utf8))];
                with_sku(&s, k, bad, ts, sku);
                /* Bytes that are not UTF-8 make the payload not JSON text at all; valid
                 * UTF-8 that is not ASCII is a bad SKU. */
                why = strcmp(sku, "caf\xc3\xa9") == 0 ? SW_REJECT_BAD_SKU : SW_REJECT_NOT_JSON;
                break;
        }
        case 10: { /* other bad skus */
                static const char *const skus[] = {
                    "", " SKU1", "SKU1 ", "SKU\x7f",
                    "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY" /* 65 */};
                with_sku(&s, k, bad, ts, skus[rnd(5)]);
                why = SW_REJECT_BAD_SKU;
                break;
        }
        case 11: /* a raw control character inside a string, or between tokens */
                with_sku(&s, k, bad, ts, "SKU0001");
                if (rnd(2)) {
                        char *q = strstr(s.p, "SKU0001");
                        q[3] = '\t';
                } else {
                        s.p[1] = '\x01';
                }
                why = SW_REJECT_NOT_JSON;
                break;
        case 12: /* \u0000 would silently cut the sku short */
                with_sku(&s, k, bad, ts, "SKU0001");
                memcpy(strstr(s.p, "SKU0001"), "S\\u0000", 7);
                why = SW_REJECT_NOT_JSON;
                break;
        case 13: /* trailing data */
                with_sku(&s, k, bad, ts, "SKU0001");
                sb_printf(&s, rnd(2) ? " x" : "{}");
                why = SW_REJECT_NOT_JSON;
                break;
        case 14: { /* nesting deeper than 1000 levels in an ignored field */
                sb_printf(&s, "{\"deep\":");
                if (rnd(2))
                        nested(&s, 1001 + rnd(3000));
                else
                        sb_repeat(&s, "[", 20000 + rnd(40000)); /* and never closed */
                if (s.p[s.n - 1] == '}')
                        sb_printf(&s, "}");
                why = SW_REJECT_NOT_JSON;
                break;
        }
        case 15: /* over the size limit: one byte over, or 1 MB (every 2500th hostile message) */
                with_sku(&s, k, bad, ts, "SKU0001");
                s.n--; /* the closing brace */
                if (bad % 2500 == 0) {
                        sb_printf(&s, ",\"pad\":\"");
                        sb_repeat(&s, "z", BIG_PAYLOAD - s.n - 2);
                        sb_printf(&s, "\"}");
                        assert_int_equal(s.n, BIG_PAYLOAD);
                        t->n_big++;
                } else {
                        sb_repeat(&s, " ", MAX_BYTES - s.n);
                        sb_printf(&s, "}");
                        assert_int_equal(s.n, MAX_BYTES + 1);
                }
                why = SW_REJECT_TOO_LARGE;
                break;
        case 16: /* the lines/items array missing, empty, of the wrong type, too long */
                if (k == SW_MSG_COUNT) {
                        sb_printf(&s, "{\"id\":\"bad-%u\",\"ts\":%lld,\"counted\":1}", bad,
                                  (long long)ts);
                        why = SW_REJECT_MISSING_FIELD;
                        break;
                }
                switch (rnd(4)) {
                case 0:
                        head(&s, k, bad, ts);
                        sb_printf(&s, "]}");
                        why = SW_REJECT_EMPTY;
                        break;
                case 1: {
                        const char *arr = k == SW_MSG_POS || k == SW_MSG_RECEIPT ? "lines"
                                          : k == SW_MSG_SHELF                    ? "readings"
                                                                                 : "items";
                        sb_printf(&s, "{\"id\":\"bad-%u\",\"ts\":%lld,\"%s\":{\"sku\":\"A\"}}", bad,
                                  (long long)ts, arr);
                        why = SW_REJECT_WRONG_TYPE;
                        break;
                }
                case 2:
                        if (k == SW_MSG_SHELF) { /* no readings and no sku: sku is missing */
                                sb_printf(&s, "{\"ts\":%lld,\"count\":3}", (long long)ts);
                        } else {
                                sb_printf(&s, "{\"id\":\"bad-%u\",\"ts\":%lld}", bad,
                                          (long long)ts);
                        }
                        why = SW_REJECT_MISSING_FIELD;
                        break;
                default:
                        head(&s, k, bad, ts);
                        for (int i = 0; i < 1001; i++)
                                sb_printf(&s, "%s{\"sku\":\"S%d\",\"%s\":1%s}", i ? "," : "", i, nf,
                                          k == SW_MSG_FORECAST ? ",\"date\":\"2026-01-01\"" : "");
                        sb_printf(&s, "]}");
                        why = SW_REJECT_TOO_MANY_ITEMS;
                        break;
                }
                break;
        case 17: /* a line that is not an object */
                if (k == SW_MSG_COUNT) {
                        with_field(&s, k, bad, ts, "counted", "-1");
                        why = SW_REJECT_OUT_OF_RANGE;
                        break;
                }
                head(&s, k, bad, ts);
                sb_printf(&s, rnd(2) ? "\"SKU0001\"]}" : "[1]]}");
                why = SW_REJECT_WRONG_TYPE;
                break;
        case 18: /* the sku missing or not a string */
                head(&s, k, bad, ts);
                if (rnd(2)) {
                        sb_printf(&s, "%s\"sku\":42%s%s", k == SW_MSG_COUNT ? "" : "{",
                                  line_rest(k), k == SW_MSG_COUNT ? "}" : "}]}");
                        why = SW_REJECT_WRONG_TYPE;
                } else {
                        sb_printf(&s, "%s\"SKU\":\"A\"%s%s", k == SW_MSG_COUNT ? "" : "{",
                                  line_rest(k), k == SW_MSG_COUNT ? "}" : "}]}");
                        why = SW_REJECT_MISSING_FIELD; /* field names are case-sensitive */
                }
                break;
        default: /* kind-specific: ids, timestamps, dates, categories, users */
                if (has_id && c < 22) {
                        static const char *const ids[] = {
                            "\"\"",           "42",     "null" /* required: not absent */, "\" x\"",
                            "\"id\xc3\xa9\"", "[\"a\"]"};
                        static const enum sw_reject_reason idr[] = {
                            SW_REJECT_BAD_ID, SW_REJECT_WRONG_TYPE, SW_REJECT_WRONG_TYPE,
                            SW_REJECT_BAD_ID, SW_REJECT_BAD_ID,     SW_REJECT_WRONG_TYPE};
                        uint32_t i = rnd(7);
                        if (i == 6) { /* 129 characters */
                                sb_printf(&s, "{\"id\":\"");
                                sb_repeat(&s, "i", 129);
                                sb_printf(&s, "\"");
                                why = SW_REJECT_BAD_ID;
                        } else {
                                sb_printf(&s, "{\"id\":%s", ids[i]);
                                why = idr[i];
                        }
                        /* the rest of a valid message */
                        struct sb rest = {0};
                        with_sku(&rest, k, bad, ts, "SKU0001");
                        char *after = strchr(rest.p, ',');
                        sb_printf(&s, "%s", after);
                        free(rest.p);
                        break;
                }
                if (has_ts && c < 26) {
                        static const char *const tss[] = {"\"yesterday\"",
                                                          "\"2026-02-30T10:00:00Z\"",
                                                          "-5",
                                                          "1e300",
                                                          "0",
                                                          "\"2026-11-20 10:00\"",
                                                          "\"\"",
                                                          "true",
                                                          "{}"};
                        uint32_t i = rnd(10);
                        struct sb rest = {0};
                        if (i == 9) { /* over 64 characters */
                                with_sku(&s, k, bad, ts, "SKU0001");
                                char *p = strstr(s.p, "\"ts\":");
                                struct sb fixed = {0};
                                sb_bytes(&fixed, s.p, (size_t)(p - s.p));
                                sb_printf(&fixed, "\"ts\":\"2026-11-20T10:00:00.");
                                sb_repeat(&fixed, "0", 60);
                                sb_printf(&fixed, "Z\"%s", strchr(p + 5, ','));
                                free(s.p);
                                s = fixed;
                                why = SW_REJECT_BAD_TIMESTAMP;
                                break;
                        }
                        with_sku(&rest, k, bad, ts, "SKU0001");
                        char *p = strstr(rest.p, "\"ts\":");
                        sb_bytes(&s, rest.p, (size_t)(p - rest.p));
                        sb_printf(&s, "\"ts\":%s%s", tss[i], strchr(p + 5, ','));
                        free(rest.p);
                        why = i >= 7 ? SW_REJECT_WRONG_TYPE : SW_REJECT_BAD_TIMESTAMP;
                        break;
                }
                if (has_ts && c < 28) { /* in the future, by the gateway's clock */
                        with_sku(&s, k, bad, t->now + 3 * 86400, "SKU0001");
                        why = SW_REJECT_IN_FUTURE;
                        break;
                }
                switch (k) {
                case SW_MSG_POS: /* older than the 56-day history window */
                        with_sku(&s, k, bad, t->now - 60 * 86400, "SKU0001");
                        why = SW_REJECT_TOO_OLD;
                        break;
                case SW_MSG_RECEIPT: /* a negative receipt */
                        with_field(&s, k, bad, ts, "qty", "-3");
                        why = SW_REJECT_OUT_OF_RANGE;
                        break;
                case SW_MSG_INVENTORY: { /* bad categories */
                        static const char *const cats[] = {"\"\"",
                                                           "\"bad\xc3\"",
                                                           "\"a\\u0007b\"",
                                                           "123",
                                                           "\"\xed\xa0\x80\"",
                                                           "\"ccccccccccccccccccccccccccccccccccccc"
                                                           "cccccccccccccccccccccccccccc\""};
                        uint32_t i = rnd(6);
                        with_field_then(&s, k, bad, ts, "on_hand", "3,\"category\":", cats[i]);
                        /* Bytes that are not UTF-8 (1, 4) make the payload not JSON text. */
                        why = i == 3             ? SW_REJECT_WRONG_TYPE
                              : i == 1 || i == 4 ? SW_REJECT_NOT_JSON
                                                 : SW_REJECT_BAD_CATEGORY;
                        break;
                }
                case SW_MSG_FORECAST: { /* bad dates */
                        static const char *const dates[] = {
                            "\"2026-13-01\"",           "\"2026-12-1\"",
                            "\"2026-02-29\"",           "\"tomorrow\"",
                            "\"2026-12-01T00:00:00Z\"", "20261201"};
                        uint32_t i = rnd(8);
                        if (i == 6) {
                                with_sku(&s, k, bad, t->today + 20 * 86400, "SKU0001");
                                why = SW_REJECT_IN_FUTURE;
                        } else if (i == 7) {
                                with_sku(&s, k, bad, t->today - 40 * 86400, "SKU0001");
                                why = SW_REJECT_TOO_OLD;
                        } else {
                                sb_printf(
                                    &s,
                                    "{\"items\":[{\"sku\":\"SKU0001\",\"date\":%s,\"units\":1}]}",
                                    dates[i]);
                                why = i == 5 ? SW_REJECT_WRONG_TYPE : SW_REJECT_BAD_DATE;
                        }
                        break;
                }
                case SW_MSG_SHELF: /* both forms at once */
                        sb_printf(&s,
                                  "{\"ts\":%lld,\"sku\":\"SKU0001\",\"count\":1,\"readings\":"
                                  "[{\"sku\":\"SKU0002\",\"count\":1}]}",
                                  (long long)ts);
                        why = SW_REJECT_WRONG_TYPE;
                        break;
                default: { /* bad users and anomaly ids on a count */
                        static const char *const extras[] = {
                            ",\"user\":\"\"", ",\"user\":\"Zo\xc3\"", ",\"user\":\"a\\u001bb\"",
                            ",\"anomaly\":\"\"", ",\"user\":7"};
                        uint32_t i = rnd(5);
                        with_field_then(&s, k, bad, ts, "counted", "2", extras[i]);
                        why = i == 4   ? SW_REJECT_WRONG_TYPE
                              : i == 1 ? SW_REJECT_NOT_JSON /* a truncated UTF-8 sequence */
                                       : SW_REJECT_BAD_ID;
                        break;
                }
                }
                break;
        }
        assert_true(why < SW_REJECT_REASON_COUNT);
        add(t, kind_topic[k], &s, C_INVALID, k, why);
}

/* Topics that are no message kind: some reach the daemon (they match its subscriptions). */
static void add_unknown_topic(struct traffic *t, int64_t ts)
{
        static const char *const topics[] = {"pos/",     "shelf/",          "scanner//count",
                                             "pos/r1/x", "inventory/extra", "receipts",
                                             "Pos/r1",   "scanner/h1/ack2", "cmd"};
        struct sb s = {0};
        any_valid(&s, SW_MSG_POS, ts);
        add(t, topics[rnd(COUNT_OF(topics))], &s, C_UNKNOWN, SW_MSG_POS, 0);
}

/* Malformed command requests (no reply topic: the daemon answers nobody, changes nothing). */
static void add_bad_command(struct traffic *t)
{
        static const char *const cmds[][2] = {
            {"detect", "{"},
            {"detect", "[1]"},
            {"detect", "{\"as_of\":5}"},
            {"detect", "{\"as_of\":\"2026-02-30\"}"},
            {"detect", "{\"as_of\":\"\xff\"}"},
            {"detect", "{\"detectors\":\"ghost_stock\"}"},
            {"detect", "{\"detectors\":[\"bogus\"]}"},
            {"detect", "{\"detectors\":[1,2,3,4,5,6,7,8,9]}"},
            {"anomalies", "{\"limit\":-1}"},
            {"anomalies", "{\"limit\":1e400}"},
            {"anomalies", "{\"days\":NaN}"},
            {"anomalies", "{\"severity\":\"high\"}"},
            {"ghost-stock", "{\"limit\":\"x\"}"},
            {"ml-features", "{\"as_of\":\"2026-99-99\"}"},
            {"bogus", "{}"},
            {"", "{}"},
        };
        uint32_t i = rnd(COUNT_OF(cmds) + 2);
        struct sb s = {0}, topic = {0};
        if (i < COUNT_OF(cmds)) {
                sb_printf(&s, "%s", cmds[i][1]);
                sb_printf(&topic, "cmd/%s", cmds[i][0]);
        } else if (i == COUNT_OF(cmds)) {
                sb_printf(&s, "{\"as_of\":");
                nested(&s, 1500);
                sb_printf(&s, "}");
                sb_printf(&topic, "cmd/detect");
        } else {
                sb_printf(&s, "{\"note\":\"");
                sb_repeat(&s, "n", BIG_PAYLOAD - 20);
                sb_printf(&s, "\"}");
                sb_printf(&topic, "cmd/anomalies");
        }
        add(t, topic.p, &s, C_COMMAND, SW_MSG_POS, 0);
        free(topic.p);
}

/* Resend a recent valid message with an id, byte for byte. */
static void add_resend(struct traffic *t)
{
        size_t back = t->n_with_id < 4096 ? t->n_with_id : 4096;
        size_t i = t->valid_with_id[(t->n_with_id - 1 - rnd((uint32_t)back)) % 4096];
        struct tmsg *m = &t->v[i];
        struct sb s = {0};
        enum sw_msg_kind k = strstr(m->topic, "/pos/")      ? SW_MSG_POS
                             : strstr(m->topic, "/receipt") ? SW_MSG_RECEIPT
                                                            : SW_MSG_COUNT;
        sb_bytes(&s, m->payload, m->len);
        add(t, m->topic + strlen(PREFIX) + 1, &s, C_DUP, k, 0);
}

/* After a valid message: mix in hostile ones. */
static void mix(struct traffic *t, uint32_t *bad, int64_t ts)
{
        if (chance(0.80))
                add_invalid(t, ++*bad, ts);
        if (chance(0.05))
                add_invalid(t, ++*bad, ts);
        if (chance(0.02) && t->n_with_id > 0)
                add_resend(t);
        if (chance(0.008))
                add_unknown_topic(t, ts);
        if (chance(0.003))
                add_bad_command(t);
}

static void valid(struct traffic *t, const char *suffix, struct sb *s, enum sw_msg_kind k,
                  uint32_t *bad, int64_t ts)
{
        add(t, suffix, s, C_VALID, k, 0);
        mix(t, bad, ts);
}

static void generate(struct traffic *t)
{
        struct sb s = {0};
        uint32_t bad = 0, pos_id = 0, rcv_id = 0, cnt_id = 0;
        t->now = (int64_t)time(NULL);
        t->today = t->now - t->now % 86400;
        int64_t first = t->today - DAYS * 86400;

        /* The opening stock of every SKU, the hostile-looking ones too. */
        for (uint32_t i = 0; i < N_SKU + N_SPECIAL; i += 100) {
                uint32_t n = N_SKU + N_SPECIAL - i < 100 ? N_SKU + N_SPECIAL - i : 100;
                inventory_msg(&s, first - 3600, i, n, true);
                valid(t, "inventory", &s, SW_MSG_INVENTORY, &bad, first);
        }
        for (int d = 0; d < DAYS; d++) {
                int64_t day = first + (int64_t)d * 86400;
                bool ghosts_off = d >= DAYS - 6;
                int64_t ts = day + 5 * 3600;
                for (int k = 0; k < 2; k++) {
                        forecast_msg(&s, day);
                        valid(t, "forecast", &s, SW_MSG_FORECAST, &bad, ts);
                }
                for (int k = 0; k < 8; k++) {
                        inventory_msg(&s, ts + k * 60, 0, 15, false);
                        valid(t, "inventory", &s, SW_MSG_INVENTORY, &bad, ts);
                }
                for (int k = 0; k < 40; k++) {
                        receipt_msg(&s, ++rcv_id, day + 6 * 3600 + k * 150);
                        valid(t, "receipt", &s, SW_MSG_RECEIPT, &bad, ts);
                }
                /* The store is open 08:00-21:00: tills, shelf sensors and counts interleave. */
                for (int k = 0; k < POS_PER_DAY; k++) {
                        int64_t at = day + 8 * 3600 + (int64_t)k * (13 * 3600) / POS_PER_DAY;
                        char reg[16];
                        snprintf(reg, sizeof(reg), "pos/r%d", 1 + k % 6);
                        pos_msg(&s, ++pos_id, at, ghosts_off, k % 500 == 7);
                        valid(t, reg, &s, SW_MSG_POS, &bad, at);
                        if (k % 12 == 0) {
                                char sensor[16];
                                snprintf(sensor, sizeof(sensor), "shelf/s%d", k % 5);
                                shelf_msg(&s, at + 1);
                                valid(t, sensor, &s, SW_MSG_SHELF, &bad, at);
                        }
                        if (k % 490 == 100) {
                                count_msg(&s, ++cnt_id, at + 2);
                                valid(t, "scanner/h1/count", &s, SW_MSG_COUNT, &bad, at);
                        }
                }
        }
        /* Valid at the edges: exactly the size limit, nesting just under cJSON's limit. */
        inventory_msg(&s, t->today - 600, 0, 3, false);
        s.n--;
        sb_repeat(&s, " ", MAX_BYTES - s.n - 1);
        sb_printf(&s, "}");
        assert_int_equal(s.n, MAX_BYTES);
        valid(t, "inventory", &s, SW_MSG_INVENTORY, &bad, t->today);
        sb_printf(&s, "{\"ts\":%lld,\"sku\":\"SKU0003\",\"count\":4,\"meta\":",
                  (long long)(t->today - 300));
        nested(&s, 998);
        sb_printf(&s, "}");
        valid(t, "shelf/s9", &s, SW_MSG_SHELF, &bad, t->today);
        /* Long, non-ASCII device names in topics (a count's ack topic is cut at 511 bytes,
         * here in the middle of a character). */
        struct sb topic = {0};
        sb_printf(&topic, "pos/");
        sb_repeat(&topic, "kasse-\xc3\xbc", 200);
        pos_msg(&s, ++pos_id, t->today - 200, false, false);
        valid(t, topic.p, &s, SW_MSG_POS, &bad, t->today);
        free(topic.p);
        topic = (struct sb){0};
        sb_printf(&topic, "scanner/");
        sb_repeat(&topic, "\xe2\x82\xac", 200);
        sb_printf(&topic, "/count");
        count_msg(&s, ++cnt_id, t->today - 100);
        valid(t, topic.p, &s, SW_MSG_COUNT, &bad, t->today);
        free(topic.p);
        /* Make sure every hostile class is there even if the dice never picked it. */
        while (t->n < MIN_TOTAL)
                add_invalid(t, ++bad, t->today - 3600);
        free(s.p);
}

static void traffic_free(struct traffic *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->v[i].topic);
                free(t->v[i].payload);
        }
        free(t->v);
}

/* ---- a fast QoS 1 publisher: bounded window, acknowledgements counted ---- */

struct publisher {
        struct mosquitto *m;  /* client, its network loop in its own thread */
        pthread_mutex_t lock; /* guards the fields below */
        pthread_cond_t cond;  /* signalled on connect and on each PUBACK */
        long outstanding;     /* published, not yet acknowledged */
        long acked;           /* PUBACKs received */
        bool connected;       /* CONNACK seen */
};

static void pub_on_connect(struct mosquitto *m, void *ctx, int rc)
{
        struct publisher *p = ctx;
        (void)m;
        pthread_mutex_lock(&p->lock);
        p->connected = rc == 0;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

static void pub_on_publish(struct mosquitto *m, void *ctx, int mid)
{
        struct publisher *p = ctx;
        (void)m;
        (void)mid;
        pthread_mutex_lock(&p->lock);
        p->outstanding--;
        p->acked++;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

/* Wait on the condition with a deadline of 60 s; false on timeout. The publisher runs in
 * two threads at once, so it reports failures instead of using cmocka's asserts. */
static bool pub_wait(struct publisher *p)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 60;
        return pthread_cond_timedwait(&p->cond, &p->lock, &ts) == 0;
}

static bool pub_open(struct publisher *p, int port)
{
        bool ok = true;
        memset(p, 0, sizeof(*p));
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        p->m = mosquitto_new(NULL, true, p);
        if (!p->m)
                return false;
        mosquitto_max_inflight_messages_set(p->m, WINDOW);
        mosquitto_connect_callback_set(p->m, pub_on_connect);
        mosquitto_publish_callback_set(p->m, pub_on_publish);
        if (mosquitto_connect(p->m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS ||
            mosquitto_loop_start(p->m) != MOSQ_ERR_SUCCESS)
                return false;
        pthread_mutex_lock(&p->lock);
        while (ok && !p->connected)
                ok = pub_wait(p);
        pthread_mutex_unlock(&p->lock);
        return ok;
}

static bool pub_send(struct publisher *p, const char *topic, const void *payload, size_t len)
{
        bool ok = true;
        int rc;
        pthread_mutex_lock(&p->lock);
        while (ok && p->outstanding >= WINDOW)
                ok = pub_wait(p);
        p->outstanding++;
        pthread_mutex_unlock(&p->lock);
        if (!ok) {
                fprintf(stderr, "publisher: no PUBACK for 60 s\n");
                return false;
        }
        rc = mosquitto_publish(p->m, NULL, topic, (int)len, payload, 1, false);
        if (rc != MOSQ_ERR_SUCCESS)
                fprintf(stderr, "publisher: %s on %s\n", mosquitto_strerror(rc), topic);
        return rc == MOSQ_ERR_SUCCESS;
}

/* Wait for every PUBACK, then disconnect. */
static bool pub_close(struct publisher *p)
{
        bool ok = true;
        pthread_mutex_lock(&p->lock);
        while (ok && p->outstanding > 0)
                ok = pub_wait(p);
        pthread_mutex_unlock(&p->lock);
        if (p->m) {
                mosquitto_disconnect(p->m);
                mosquitto_loop_stop(p->m, false);
                mosquitto_destroy(p->m);
        }
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        return ok;
}

struct feed {
        const struct traffic *t; /* the stream */
        int port;                /* broker */
        bool valid_only;         /* skip everything but C_VALID */
        long sent;               /* messages published (out) */
        bool ok;                 /* every message published and acknowledged (out) */
        double seconds;          /* time to publish and get every PUBACK (out) */
};

static void *feed_run(void *arg)
{
        struct feed *f = arg;
        struct publisher p;
        double t0 = h_mono_s();
        f->ok = pub_open(&p, f->port);
        for (size_t i = 0; f->ok && i < f->t->n; i++) {
                const struct tmsg *m = &f->t->v[i];
                if (f->valid_only && m->cls != C_VALID)
                        continue;
                f->ok = pub_send(&p, m->topic, m->payload, m->len);
                f->sent += f->ok;
        }
        f->ok &= pub_close(&p);
        f->seconds = h_mono_s() - t0;
        return NULL;
}

/* ---- checks ---- */

/* Health, or NULL if no reply within 10 s: the daemon may still be working through a queue,
 * or may have dropped the reply (see the report of issue 8: replies and cycle-count acks are
 * refused with ENOBUFS while 1024 QoS 1 publishes await PUBACK). */
static cJSON *health_try(int port)
{
        char *r = h_request(port, PREFIX, "health", "{}", 10);
        if (!r)
                return NULL;
        cJSON *j = cJSON_Parse(r);
        free(r);
        return j;
}

/* A counter of messages.<group>.<kind> (the daemon lists every kind there). */
static double kind_counter(const cJSON *h, const char *group, const char *kind)
{
        return h_json_number(h_json_item(h, group), kind);
}

/* Messages the daemon has seen so far, by its counters. */
static double seen(const cJSON *h)
{
        const cJSON *per, *r;
        double n = 0;
        for (int k = 0; k < SW_MSG_KIND_COUNT; k++) {
                const char *kind = sw_msg_kind_name((enum sw_msg_kind)k);
                n += kind_counter(h, "messages.accepted", kind) +
                     kind_counter(h, "messages.duplicates", kind);
                per = h_json_item(h_json_item(h, "messages.rejected"), kind);
                cJSON_ArrayForEach(r, per) n += r->valuedouble;
        }
        return n;
}

/* Health once the daemon has counted want messages (or 300 s passed). */
static cJSON *health_after(int port, double want)
{
        double end = h_mono_s() + 300;
        int unanswered = 0;
        cJSON *h = NULL;
        while (h_mono_s() < end) {
                cJSON_Delete(h);
                h = health_try(port);
                unanswered += !h;
                if (h && seen(h) >= want)
                        break;
                usleep(200000);
        }
        if (unanswered)
                print_message("health requests left unanswered: %d\n", unanswered);
        assert_non_null(h);
        return h;
}

/* Every counter equals the expectation; prints each difference. Returns the differences. */
static int check_counters(const char *who, const cJSON *h, const uint64_t *acc, const uint64_t *dup,
                          const uint64_t (*rej)[SW_REJECT_REASON_COUNT])
{
        int diffs = 0;
        for (int k = 0; k < SW_MSG_KIND_COUNT; k++) {
                const char *kind = sw_msg_kind_name((enum sw_msg_kind)k);
                const cJSON *per = h_json_item(h_json_item(h, "messages.rejected"), kind), *r;
                double got_acc = kind_counter(h, "messages.accepted", kind),
                       got_dup = kind_counter(h, "messages.duplicates", kind);
                if (got_acc != (double)acc[k]) {
                        print_error("%s: accepted.%s = %.0f, want %llu\n", who, kind, got_acc,
                                    (unsigned long long)acc[k]);
                        diffs++;
                }
                if (got_dup != (double)dup[k]) {
                        print_error("%s: duplicates.%s = %.0f, want %llu\n", who, kind, got_dup,
                                    (unsigned long long)dup[k]);
                        diffs++;
                }
                for (int r2 = 0; r2 < SW_REJECT_REASON_COUNT; r2++) {
                        const char *reason = sw_reject_reason_name((enum sw_reject_reason)r2);
                        /* Left out while 0. */
                        double got = h_json_number_or(per, reason, 0);
                        if (got != (double)rej[k][r2]) {
                                print_error("%s: rejected.%s.%s = %.0f, want %llu\n", who, kind,
                                            reason, got, (unsigned long long)rej[k][r2]);
                                diffs++;
                        }
                }
                cJSON_ArrayForEach(r, per)
                {
                        bool known = false;
                        for (int r2 = 0; r2 < SW_REJECT_REASON_COUNT; r2++)
                                known |=
                                    strcmp(r->string,
                                           sw_reject_reason_name((enum sw_reject_reason)r2)) == 0;
                        if (!known) {
                                print_error("%s: unexpected reason rejected.%s.%s\n", who, kind,
                                            r->string);
                                diffs++;
                        }
                }
        }
        return diffs;
}

/* The parts of health that are state (kept across restarts) and, if asked, the side counters
 * of ingest (since start). */
static char *state_summary(const cJSON *h, bool counters)
{
        char buf[512];
        int n = snprintf(buf, sizeof(buf), "tracked=%.0f categories=%.0f shelves=%.0f",
                         h_json_number(h, "skus.tracked"), h_json_number(h, "skus.categories"),
                         h_json_number(h, "skus.with_shelf_sensors"));
        if (counters)
                snprintf(buf + n, sizeof(buf) - (size_t)n,
                         " skipped_full=%.0f categories_full=%.0f stale_items=%.0f "
                         "shelves_full=%.0f store_errors=%.0f",
                         h_json_number(h, "messages.lines_skipped_sku_table_full"),
                         h_json_number(h, "messages.categories_full"),
                         h_json_number(h, "messages.stale_items"),
                         h_json_number(h, "messages.shelves_full"),
                         h_json_number(h, "store_errors"));
        return strdup(buf);
}

static int cmp_row(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ML feature rows as of a day, one per line sorted (they hold every SKU's state; their
 * order is the SKU table's, which a restart may change). */
static char *features(int port, const char *as_of)
{
        char req[128];
        snprintf(req, sizeof(req), "{\"as_of\":\"%s\"}", as_of);
        cJSON *j = h_command_within(port, PREFIX, "ml-features", req, 60);
        const cJSON *rows = cJSON_GetObjectItem(j, "rows"), *row;
        size_t n = 0, total = 1;
        assert_true(cJSON_IsArray(rows));
        char **lines = calloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof(*lines));
        assert_non_null(lines);
        cJSON_ArrayForEach(row, rows)
        {
                cJSON *sku = cJSON_DetachItemFromObjectCaseSensitive((cJSON *)row, "sku");
                struct sb line = {0};
                char *rest = cJSON_PrintUnformatted(row);
                sb_printf(&line, "%s %s", cJSON_GetStringValue(sku), rest);
                free(rest);
                cJSON_Delete(sku);
                lines[n++] = line.p;
                total += line.n + 1;
        }
        qsort(lines, n, sizeof(*lines), cmp_row);
        struct sb out = {0};
        sb_reserve(&out, total);
        for (size_t i = 0; i < n; i++) {
                sb_printf(&out, "%s\n", lines[i]);
                free(lines[i]);
        }
        free(lines);
        cJSON_Delete(j);
        return out.p ? out.p : calloc(1, 1);
}

static void detect(int port, const char *as_of)
{
        char req[128];
        snprintf(req, sizeof(req), "{\"as_of\":\"%s\"}", as_of);
        cJSON_Delete(h_command_within(port, PREFIX, "detect", req, 120));
}

static void expect_same(const char *what, const char *mixed, const char *clean)
{
        if (strcmp(mixed, clean) == 0)
                return;
        size_t i = 0;
        while (mixed[i] && mixed[i] == clean[i])
                i++;
        fail_msg("%s differ at byte %zu:\nmixed: %.300s\nvalid: %.300s", what, i,
                 mixed + (i > 100 ? i - 100 : 0), clean + (i > 100 ? i - 100 : 0));
}

/* The processes of the test, stopped by the teardown when an assertion fails midway. */
static struct h_broker b1, b2;
static struct h_daemon d1, d2;

static int stop_all(void **state)
{
        (void)state;
        h_daemon_stop(&d1, SIGKILL);
        h_daemon_stop(&d2, SIGKILL);
        h_broker_stop(&b1);
        h_broker_stop(&b2);
        return 0;
}

static void test_malformed_traffic_changes_nothing(void **state)
{
        struct traffic t = {0};
        char dir1[256], dir2[256], conf1[2048], conf2[2048], extra[512], as_of[16];
        uint64_t zero_dup[SW_MSG_KIND_COUNT] = {0};
        static const uint64_t zero_rej[SW_MSG_KIND_COUNT][SW_REJECT_REASON_COUNT];
        double t0 = h_mono_s();
        (void)state;

        generate(&t);
        size_t n_valid = t.per_cls[C_VALID];
        print_message("generated %zu messages in %.1f s: %zu valid, %zu hostile (%zu of 1 MB), "
                      "%zu redeliveries, %zu on unknown topics, %zu bad commands\n",
                      t.n, h_mono_s() - t0, n_valid, t.per_cls[C_INVALID], t.n_big,
                      t.per_cls[C_DUP], t.per_cls[C_UNKNOWN], t.per_cls[C_COMMAND]);
        assert_true(t.n >= MIN_TOTAL);
        for (int r = 0; r < SW_REJECT_REASON_COUNT; r++) {
                uint64_t n = 0;
                for (int k = 0; k < SW_MSG_KIND_COUNT; k++)
                        n += t.rej[k][r];
                if (n)
                        print_message("  %-16s %llu\n",
                                      sw_reject_reason_name((enum sw_reject_reason)r),
                                      (unsigned long long)n);
        }

        /* No scheduled run during the test; the queue in the broker holds all we send. */
        struct tm tm;
        time_t now = (time_t)t.now;
        gmtime_r(&now, &tm);
        snprintf(extra, sizeof(extra),
                 "detectors: { schedule = \"%02d:%02d\"; shelf_out: { enabled = false; };\n"
                 "             discrepancy: { enabled = false; }; };\n"
                 /* Every message at full speed from few devices: this test is about payloads,
                  * test_device_flood about rates. */
                 "limits: { device_rate_per_second = 1000000; device_burst = 1000000; };\n",
                 (tm.tm_hour + 12) % 24, tm.tm_min);
        strftime(as_of, sizeof(as_of), "%Y-%m-%d", &tm);
        h_tmpdir(dir1, sizeof(dir1));
        h_tmpdir(dir2, sizeof(dir2));
        h_broker_start(&b1, 0, "max_queued_messages 0");
        h_broker_start(&b2, 0, "max_queued_messages 0");
        h_config(conf1, sizeof(conf1), b1.port, dir1, extra);
        h_config(conf2, sizeof(conf2), b2.port, dir2, extra);
        h_daemon_start(&d1, dir1, conf1, b1.port);
        h_daemon_start(&d2, dir2, conf2, b2.port);

        /* Both streams at once: the mixed one here, the valid one in a thread. */
        struct feed mixed = {.t = &t, .port = b1.port},
                    clean = {.t = &t, .port = b2.port, .valid_only = true};
        pthread_t th;
        double t1 = h_mono_s();
        assert_int_equal(pthread_create(&th, NULL, feed_run, &clean), 0);
        feed_run(&mixed);
        assert_int_equal(pthread_join(th, NULL), 0);
        print_message("published (all PUBACKs in): mixed %ld in %.1f s, valid-only %ld in %.1f s\n",
                      mixed.sent, mixed.seconds, clean.sent, clean.seconds);
        assert_true(mixed.ok && clean.ok);
        assert_int_equal(mixed.sent, (long)t.n);
        assert_int_equal(clean.sent, (long)n_valid);

        /* Everything the daemons can count, counted. */
        double want1 = (double)(t.per_cls[C_VALID] + t.per_cls[C_INVALID] + t.per_cls[C_DUP]);
        cJSON *h1 = health_after(b1.port, want1);
        cJSON *h2 = health_after(b2.port, (double)n_valid);
        print_message("both daemons done %.1f s after the start of publishing\n", h_mono_s() - t1);
        int diffs = check_counters("mixed", h1, t.acc, t.dup, t.rej);
        diffs += check_counters("valid-only", h2, t.acc, zero_dup, zero_rej);
        assert_int_equal(diffs, 0);
        char *s1 = state_summary(h1, true), *s2 = state_summary(h2, true);
        char *s4 = state_summary(h2, false);
        print_message("state: %s\n", s2);
        expect_same("health state", s1, s2);
        assert_int_equal((int)h_json_number(h2, "skus.tracked"), N_SKU + (int)N_SPECIAL);
        assert_int_equal((int)h_json_number(h1, "store_errors"), 0);
        cJSON_Delete(h1);
        cJSON_Delete(h2);

        /* The same data gives the same features, model scores and anomalies. */
        double t2 = h_mono_s();
        char *f1 = features(b1.port, as_of), *f2 = features(b2.port, as_of);
        print_message("ml-features: %.1f s\n", h_mono_s() - t2);
        t2 = h_mono_s();
        expect_same("ML feature rows before detect", f1, f2);
        detect(b1.port, as_of);
        detect(b2.port, as_of);
        print_message("detect: %.1f s\n", h_mono_s() - t2);
        char *a1 = h_anomaly_digest(b1.port, PREFIX), *a2 = h_anomaly_digest(b2.port, PREFIX);
        size_t n_anom = 0;
        for (const char *c = a2; *c; c++)
                n_anom += *c == '\n';
        print_message("anomalies after detect as of %s: %zu\n", as_of, n_anom);
        assert_true(n_anom >= 4); /* the ghost SKUs at least */
        expect_same("anomalies", a1, a2);
        char *g1 = features(b1.port, as_of), *g2 = features(b2.port, as_of);
        expect_same("ML feature rows and scores after detect", g1, g2);

        /* What the mixed daemon persisted comes back the same after a restart. */
        print_message("compared the state of both daemons after %.1f s\n", h_mono_s() - t0);
        h_daemon_stop(&d1, SIGTERM);
        h_daemon_start(&d1, dir1, conf1, b1.port);
        cJSON *h3 = h_command_within(b1.port, PREFIX, "health", "{}", 30);
        char *s3 = state_summary(h3, false);
        expect_same("health state after restart", s3, s4);
        char *a3 = h_anomaly_digest(b1.port, PREFIX), *g3 = features(b1.port, as_of);
        expect_same("anomalies after restart", a3, a2);
        expect_same("ML feature rows after restart", g3, g2);
        print_message("total %.1f s\n", h_mono_s() - t0);

        cJSON_Delete(h3);
        free(s1);
        free(s2);
        free(s3);
        free(s4);
        free(f1);
        free(f2);
        free(g1);
        free(g2);
        free(g3);
        free(a1);
        free(a2);
        free(a3);
        h_daemon_stop(&d1, SIGTERM);
        h_daemon_stop(&d2, SIGTERM);
        h_broker_stop(&b1);
        h_broker_stop(&b2);
        traffic_free(&t);
        h_rmdir(b1.dir);
        h_rmdir(b2.dir);
        h_rmdir(dir1);
        h_rmdir(dir2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_malformed_traffic_changes_nothing, stop_all),
        };
        mosquitto_lib_init();
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        mosquitto_lib_cleanup();
        return r;
}
