/* libFuzzer harness: one device payload kind decoded (platform/payload) and applied (core/ingest).
 */
/*
 * Built once per kind with FUZZ_KIND (an enum sw_msg_kind) and FUZZ_KIND_NAME. Each input is
 * the MQTT payload of one message. The harness decodes it; when the decoder accepts it, the
 * message is applied to a small SKU table that starts every input from the same baseline
 * state (a few SKUs with history, book, shelf state and forecasts, near-full so that the
 * table-full paths are reachable), then applied a second time as a redelivery.
 *
 * Invariants checked beyond what the sanitizers catch:
 * - decode: a refusal has a reason and a message and leaves the message header untouched;
 *   an accepted message respects every documented bound (lengths, ranges, printable SKUs).
 * - ingest: capacities hold, every SKU in the table is found by its key, a rejected or
 *   duplicate message changes no byte of the table or the dedup set, an accepted one
 *   accounts for every item, and a redelivery changes nothing (ids dedup; inventory, shelf
 *   and forecast messages are idempotent by design, docs/protocol.md).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/dedup.h"
#include "core/ingest.h"
#include "core/message.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "platform/payload.h"
#include "tests/fuzz/fuzz_common.h"

#ifndef FUZZ_KIND
#error "build with -DFUZZ_KIND=SW_MSG_..."
#endif

#define MAX_BYTES      65536 /* limits.max_payload_bytes default */
#define MAX_ITEMS      1000  /* limits.max_items_per_message default */
#define MAX_SKUS       16    /* small, so that "table full" is reachable */
#define HISTORY_DAYS   56
#define HORIZON_DAYS   14
#define FORECAST_DAYS  (28 + HORIZON_DAYS + 1) /* as daemon.c sizes it for the defaults */
#define MAX_CATEGORIES 4
#define MAX_SHELVES    6
#define DEDUP_IDS      8
#define MAX_FUTURE_S   86400
#define TS_MAX         253402300800LL /* payload.c: ts must be below 10000-01-01 */
#define QTY_MAX        1000000
#define BASELINE_SKUS  12

/* Everything the harness keeps between inputs; allocated once. */
struct fuzz_state {
        struct sw_payload_decoder *dec;  /* decoder under test */
        struct sw_item items[MAX_ITEMS]; /* msg.items */
        struct sw_store_calendar cal;    /* UTC, 08:00-21:00, one holiday */
        struct sw_sku_table_params tp;   /* table sizes */
        size_t table_size;               /* bytes of table memory */
        size_t dedup_size;               /* bytes of dedup memory */
        void *table_mem;                 /* live table memory */
        void *dedup_mem;                 /* live dedup memory */
        void *base_table_mem;            /* baseline copy of table_mem */
        void *base_dedup_mem;            /* baseline copy of dedup_mem */
        void *snap_table_mem;            /* copy taken before an apply, to compare */
        void *snap_dedup_mem;            /* same for the dedup set */
        struct sw_sku_table skus;        /* live table */
        struct sw_dedup dedup;           /* live dedup set */
        struct sw_sku_table base_skus;   /* baseline table header */
        struct sw_dedup base_dedup;      /* baseline dedup header */
        struct sw_ingest ingest;         /* ingest over skus, dedup, cal */
        int64_t now;                     /* fixed wall clock, 2026-11-24T12:00:00Z */
        bool verbose;                    /* SW_FUZZ_VERBOSE set: print each outcome */
};

static struct fuzz_state *st;

/* Store-local time in UTC; floor division so that any int64 is handled. */
static int utc_to_local(void *ctx, int64_t unix_seconds, struct sw_local_time *ret)
{
        int64_t day = unix_seconds / 86400, sod = unix_seconds % 86400;

        (void)ctx;
        if (sod < 0) {
                sod += 86400;
                day--;
        }
        if (day < INT32_MIN + 1000 || day > INT32_MAX - 1000)
                return -ERANGE;
        ret->day = (sw_day_t)day;
        ret->weekday = (uint8_t)sw_weekday((sw_day_t)day);
        ret->second_of_day = (uint32_t)sod;
        return 0;
}

static void *xcalloc(size_t n)
{
        void *p = calloc(1, n ? n : 1);

        FUZZ_CHECK(p);
        return p;
}

/* Apply a hand-built message to the baseline state; it must be accepted. */
static void baseline_apply(enum sw_msg_kind kind, const char *id, int64_t ts, struct sw_item *items,
                           uint32_t n)
{
        struct sw_msg m = {.kind = kind,
                           .id = id,
                           .id_len = id ? strlen(id) : 0,
                           .ts = ts,
                           .has_ts = ts != 0,
                           .n_items = n,
                           .items_cap = n,
                           .items = items};
        struct sw_ingest_result res;

        FUZZ_CHECK(sw_ingest_apply(&st->ingest, &m, st->now, &res) == 0);
        FUZZ_CHECK(res.outcome == SW_INGEST_ACCEPTED);
}

static void baseline_build(void)
{
        static char names[BASELINE_SKUS][8];
        sw_day_t today = (sw_day_t)(st->now / 86400);
        struct sw_item it[BASELINE_SKUS];

        for (int i = 0; i < BASELINE_SKUS; i++) {
                snprintf(names[i], sizeof(names[i]), "SKU%d", i + 1);
                it[i] = (struct sw_item){.sku = names[i],
                                         .sku_len = (uint8_t)strlen(names[i]),
                                         .has = SW_HAS_ON_HAND | SW_HAS_PRICE | SW_HAS_CATEGORY,
                                         .qty = 10 * i - 20,
                                         .price = 1.5 * i,
                                         .category = i % 2 ? "dairy" : "bakery",
                                         .category_len = (uint8_t)(i % 2 ? 5 : 6)};
        }
        /* Book as of yesterday, sales over the last days, shelves on half of them,
         * pushed forecasts around today, a few ids already seen. */
        baseline_apply(SW_MSG_INVENTORY, NULL, st->now - 86400, it, BASELINE_SKUS);
        for (int d = 20; d >= 1; d--) {
                struct sw_item line = {.sku = names[d % BASELINE_SKUS],
                                       .sku_len = (uint8_t)strlen(names[d % BASELINE_SKUS]),
                                       .has = SW_HAS_QTY | SW_HAS_PRICE,
                                       .qty = d % 5 + 1,
                                       .price = 2.0};
                char id[16];

                snprintf(id, sizeof(id), "base-%d", d);
                baseline_apply(SW_MSG_POS, id, st->now - (int64_t)d * 86400 + 3600, &line, 1);
        }
        for (int i = 0; i < MAX_SHELVES - 1; i++) {
                struct sw_item r = {.sku = names[i],
                                    .sku_len = (uint8_t)strlen(names[i]),
                                    .has = SW_HAS_QTY,
                                    .qty = i % 2 ? 0 : 7};

                baseline_apply(SW_MSG_SHELF, NULL, st->now - 7200, &r, 1);
        }
        for (int i = 0; i < 3; i++) {
                struct sw_item f = {.sku = names[i],
                                    .sku_len = (uint8_t)strlen(names[i]),
                                    .date = today + i - 1,
                                    .units = 3.0 + i};

                baseline_apply(SW_MSG_FORECAST, NULL, 0, &f, 1);
        }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        st = xcalloc(sizeof(*st));
        FUZZ_CHECK(sw_payload_decoder_new(&st->dec) == 0);
        st->now = (int64_t)sw_days_from_civil(2026, 11, 24) * 86400 + 12 * 3600;
        st->verbose = getenv("SW_FUZZ_VERBOSE") != NULL;

        st->cal.tz = (struct sw_calendar_adapter){.to_local = utc_to_local};
        for (int w = 0; w < 7; w++) {
                st->cal.open_minute[w] = 8 * 60;
                st->cal.close_minute[w] = 21 * 60;
        }
        st->cal.close_minute[6] = st->cal.open_minute[6]; /* closed on Sundays */
        st->cal.holidays[0] = sw_days_from_civil(2026, 11, 26);
        st->cal.n_holidays = 1;

        st->tp = (struct sw_sku_table_params){.max_skus = MAX_SKUS,
                                              .history_days = HISTORY_DAYS,
                                              .forecast_days = FORECAST_DAYS,
                                              .max_categories = MAX_CATEGORIES,
                                              .max_shelves = MAX_SHELVES};
        st->table_size = sw_sku_table_memory_size(&st->tp);
        st->dedup_size = sw_dedup_memory_size(DEDUP_IDS);
        FUZZ_CHECK(st->table_size > 0 && st->dedup_size > 0);
        st->table_mem = xcalloc(st->table_size);
        st->dedup_mem = xcalloc(st->dedup_size);
        st->base_table_mem = xcalloc(st->table_size);
        st->base_dedup_mem = xcalloc(st->dedup_size);
        st->snap_table_mem = xcalloc(st->table_size);
        st->snap_dedup_mem = xcalloc(st->dedup_size);
        FUZZ_CHECK(sw_sku_table_init(&st->skus, &st->tp, st->table_mem, st->table_size) == 0);
        FUZZ_CHECK(sw_dedup_init(&st->dedup, DEDUP_IDS, st->dedup_mem, st->dedup_size) == 0);
        sw_ingest_init(&st->ingest,
                       &(struct sw_ingest_params){.max_future_seconds = MAX_FUTURE_S,
                                                  .forecast_horizon_days = HORIZON_DAYS},
                       &st->skus, &st->dedup, &st->cal);
        baseline_build();
        FUZZ_CHECK(st->skus.count == BASELINE_SKUS);

        /* Headers hold pointers into table_mem/dedup_mem, which are restored in place. */
        memcpy(st->base_table_mem, st->table_mem, st->table_size);
        memcpy(st->base_dedup_mem, st->dedup_mem, st->dedup_size);
        st->base_skus = st->skus;
        st->base_dedup = st->dedup;
        return 0;
}

static void restore_baseline(void)
{
        memcpy(st->table_mem, st->base_table_mem, st->table_size);
        memcpy(st->dedup_mem, st->base_dedup_mem, st->dedup_size);
        st->skus = st->base_skus;
        st->dedup = st->base_dedup;
        memset(&st->ingest.counters, 0, sizeof(st->ingest.counters));
        st->ingest.event_clock = 0;
}

static void snapshot(struct sw_sku_table *ret_skus, struct sw_dedup *ret_dedup)
{
        memcpy(st->snap_table_mem, st->table_mem, st->table_size);
        memcpy(st->snap_dedup_mem, st->dedup_mem, st->dedup_size);
        *ret_skus = st->skus;
        *ret_dedup = st->dedup;
}

static bool unchanged_since(const struct sw_sku_table *skus, const struct sw_dedup *dedup)
{
        return memcmp(st->snap_table_mem, st->table_mem, st->table_size) == 0 &&
               memcmp(st->snap_dedup_mem, st->dedup_mem, st->dedup_size) == 0 &&
               skus->count == st->skus.count && skus->arena_used == st->skus.arena_used &&
               skus->n_categories == st->skus.n_categories &&
               skus->n_shelves == st->skus.n_shelves && skus->n_dirty == st->skus.n_dirty &&
               dedup->head == st->dedup.head && dedup->count == st->dedup.count &&
               dedup->pending == st->dedup.pending;
}

static bool printable_token(const char *s, size_t n)
{
        if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
                        return false;
        return true;
}

/* Every bound an accepted message promises to core/ingest. */
static void check_decoded(const struct sw_msg *m)
{
        FUZZ_CHECK(m->kind == FUZZ_KIND);
        FUZZ_CHECK(m->items == st->items);
        FUZZ_CHECK(m->n_items >= 1 && m->n_items <= MAX_ITEMS);
        if (FUZZ_KIND == SW_MSG_SHELF || FUZZ_KIND == SW_MSG_COUNT || FUZZ_KIND == SW_MSG_FORECAST)
                FUZZ_CHECK(m->has_ts == (FUZZ_KIND != SW_MSG_FORECAST));
        else
                FUZZ_CHECK(m->has_ts);
        if (FUZZ_KIND == SW_MSG_COUNT)
                FUZZ_CHECK(m->n_items == 1);
        if (m->has_ts)
                FUZZ_CHECK(m->ts > 0 && m->ts < TS_MAX);
        if (FUZZ_KIND == SW_MSG_POS || FUZZ_KIND == SW_MSG_RECEIPT || FUZZ_KIND == SW_MSG_COUNT) {
                FUZZ_CHECK(m->id && m->id_len <= SW_ID_MAX_LEN);
                FUZZ_CHECK(printable_token(m->id, m->id_len));
        } else {
                FUZZ_CHECK(!m->id);
        }
        if (m->anomaly)
                FUZZ_CHECK(m->anomaly_len <= SW_ID_MAX_LEN &&
                           printable_token(m->anomaly, m->anomaly_len));
        if (m->user)
                FUZZ_CHECK(m->user_len >= 1 && m->user_len <= SW_ID_MAX_LEN &&
                           memchr(m->user, '\0', m->user_len) == NULL);
        for (uint32_t k = 0; k < m->n_items; k++) {
                const struct sw_item *it = &m->items[k];

                FUZZ_CHECK(it->sku_len >= 1 && it->sku_len <= SW_SKU_MAX_LEN);
                FUZZ_CHECK(printable_token(it->sku, it->sku_len));
                if (it->has & SW_HAS_CATEGORY) {
                        FUZZ_CHECK(it->category_len >= 1 &&
                                   it->category_len <= SW_CATEGORY_MAX_LEN);
                        FUZZ_CHECK(memchr(it->category, '\0', it->category_len) == NULL);
                }
                if (it->has & SW_HAS_PRICE)
                        FUZZ_CHECK(isfinite(it->price) && it->price >= 0 && it->price <= 1e9);
                switch (FUZZ_KIND) {
                case SW_MSG_POS:
                        FUZZ_CHECK(it->qty != 0 && it->qty >= -QTY_MAX && it->qty <= QTY_MAX);
                        break;
                case SW_MSG_RECEIPT:
                        FUZZ_CHECK(it->qty >= 1 && it->qty <= QTY_MAX);
                        break;
                case SW_MSG_INVENTORY:
                        if (it->has & SW_HAS_ON_HAND)
                                FUZZ_CHECK(it->qty >= -QTY_MAX && it->qty <= QTY_MAX);
                        break;
                case SW_MSG_FORECAST: {
                        char buf[16];

                        FUZZ_CHECK(isfinite(it->units) && it->units >= 0 && it->units <= 1e6);
                        FUZZ_CHECK(sw_date_format(it->date, buf, sizeof(buf)) == 10);
                        break;
                }
                case SW_MSG_SHELF:
                case SW_MSG_COUNT:
                        FUZZ_CHECK(it->qty >= 0 && it->qty <= QTY_MAX);
                        break;
                default:
                        FUZZ_CHECK(false);
                }
        }
}

/* The table's own bookkeeping is consistent. */
static void check_table(void)
{
        const struct sw_sku_table *t = &st->skus;

        FUZZ_CHECK(t->count <= t->p.max_skus);
        FUZZ_CHECK(t->arena_used <= t->p.key_arena_bytes);
        FUZZ_CHECK(t->n_categories >= 1 && t->n_categories <= t->p.max_categories);
        FUZZ_CHECK(t->n_shelves <= t->p.max_shelves);
        FUZZ_CHECK(t->n_dirty <= t->p.max_skus);
        FUZZ_CHECK(st->dedup.count <= st->dedup.capacity);
        for (uint32_t i = 0; i < t->count; i++) {
                const struct sw_sku *s = sw_sku_at(t, i);
                const char *key = sw_sku_key(t, i);
                uint32_t found = UINT32_MAX;

                FUZZ_CHECK(s->key_len >= 1 && s->key_len <= SW_SKU_MAX_LEN);
                FUZZ_CHECK(s->key_offset + s->key_len < t->arena_used);
                FUZZ_CHECK(strlen(key) == s->key_len);
                FUZZ_CHECK(sw_sku_table_find(t, key, s->key_len, &found) == 0 && found == i);
                FUZZ_CHECK(s->category < t->n_categories);
                FUZZ_CHECK(s->shelf <= t->n_shelves);
                FUZZ_CHECK((s->first_day == SW_DAY_NONE) == (s->last_day == SW_DAY_NONE));
                if (s->last_day != SW_DAY_NONE) {
                        FUZZ_CHECK(s->first_day <= s->last_day);
                        FUZZ_CHECK(sw_sku_sold(t, i, s->last_day) >= 0);
                }
        }
}

static void apply_and_check(const struct sw_msg *m)
{
        struct sw_sku_table before_skus;
        struct sw_dedup before_dedup;
        struct sw_ingest_result res;
        int r;

        restore_baseline();
        snapshot(&before_skus, &before_dedup);
        r = sw_ingest_apply(&st->ingest, m, st->now, &res);
        FUZZ_CHECK(r == 0);
        if (st->verbose)
                fprintf(stderr, "ingest: outcome %d reason %s, %u applied, %u skipped\n",
                        (int)res.outcome,
                        res.outcome == SW_INGEST_REJECTED ? sw_reject_reason_name(res.reason) : "-",
                        res.items_applied, res.items_skipped);
        check_table();
        switch (res.outcome) {
        case SW_INGEST_ACCEPTED:
                FUZZ_CHECK(res.items_applied + res.items_skipped == m->n_items);
                if (m->id)
                        FUZZ_CHECK(sw_dedup_contains(&st->dedup, sw_dedup_hash(m->id, m->id_len)));
                break;
        case SW_INGEST_DUPLICATE:
                FUZZ_CHECK(m->id != NULL);
                FUZZ_CHECK(unchanged_since(&before_skus, &before_dedup));
                break;
        case SW_INGEST_REJECTED:
                FUZZ_CHECK((unsigned)res.reason < SW_REJECT_REASON_COUNT);
                FUZZ_CHECK(unchanged_since(&before_skus, &before_dedup));
                return;
        default:
                FUZZ_CHECK(false);
        }

        /* A redelivery must change nothing. */
        snapshot(&before_skus, &before_dedup);
        r = sw_ingest_apply(&st->ingest, m, st->now, &res);
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(res.outcome != SW_INGEST_REJECTED);
        if (m->id)
                FUZZ_CHECK(res.outcome == SW_INGEST_DUPLICATE);
        FUZZ_CHECK(unchanged_since(&before_skus, &before_dedup));
}

/* The fields a refusal must leave as they were (compared one by one: padding is not). */
static bool header_equal(const struct sw_msg *a, const struct sw_msg *b)
{
        return a->kind == b->kind && a->id == b->id && a->id_len == b->id_len && a->ts == b->ts &&
               a->has_ts == b->has_ts && a->n_items == b->n_items && a->items_cap == b->items_cap &&
               a->items == b->items && a->anomaly == b->anomaly &&
               a->anomaly_len == b->anomaly_len && a->user == b->user && a->user_len == b->user_len;
}

/* The id and sku a refused count's ack echoes (sw_payload_count_ids): "" or a valid token, and
 * for a count that decoded exactly its id and sku (a decoded payload has no duplicate key). */
static void check_count_ids(const uint8_t *data, size_t size, const struct sw_msg *decoded)
{
        char id[SW_ID_MAX_LEN + 1], sku[SW_SKU_MAX_LEN + 1];
        if (FUZZ_KIND != SW_MSG_COUNT)
                return; /* only counts are answered: the other harnesses keep their speed */
        sw_payload_count_ids(data, size, MAX_BYTES, id, sku);
        FUZZ_CHECK(strlen(id) <= SW_ID_MAX_LEN && strlen(sku) <= SW_SKU_MAX_LEN);
        for (const char *p = id; *p; p++)
                FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
        for (const char *p = sku; *p; p++)
                FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
        if (!decoded)
                return;
        FUZZ_CHECK(strlen(id) == decoded->id_len && memcmp(id, decoded->id, decoded->id_len) == 0);
        FUZZ_CHECK(strlen(sku) == decoded->items[0].sku_len &&
                   memcmp(sku, decoded->items[0].sku, decoded->items[0].sku_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char sentinel_id[] = "sentinel";
        struct sw_payload_limits lim = {.max_bytes = MAX_BYTES, .max_items = MAX_ITEMS};
        enum sw_reject_reason reason = SW_REJECT_REASON_COUNT;
        struct sw_msg msg = {.kind = SW_MSG_KIND_COUNT,
                             .id = sentinel_id,
                             .id_len = 3,
                             .ts = -42,
                             .n_items = 77,
                             .items_cap = MAX_ITEMS,
                             .items = st->items};
        struct sw_msg before = msg;
        char err[256];
        int r;

        r = sw_payload_decode(st->dec, FUZZ_KIND, data, size, &lim, &msg, &reason, err,
                              sizeof(err));
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        check_count_ids(data, size, r == 0 ? &msg : NULL);
        if (st->verbose)
                fprintf(stderr, "decode " FUZZ_KIND_NAME ": %d %s\n", r, r < 0 ? err : "");
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL);
                FUZZ_CHECK((unsigned)reason < SW_REJECT_REASON_COUNT);
                FUZZ_CHECK(err[0] != '\0');
                FUZZ_CHECK(header_equal(&msg, &before));
                return 0;
        }
        FUZZ_CHECK(r == 0);
        check_decoded(&msg);
        apply_and_check(&msg);
        return 0;
}
