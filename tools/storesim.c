/* storesim: plays a whole store against shelfwatchd over MQTT, keeps the ground truth, scores. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "core/civil_time.h"
#include "core/sw_types.h"

#define SIM_EXIT_FAIL      1
#define SIM_EXIT_USAGE     2
#define SIM_EXIT_NO_DAEMON 3
#define SIM_EXIT_NO_BROKER 4

#define SIM_COUNT_SEC      (7 * 3600)        /* inventory records and cycle counts */
#define SIM_RECEIPT_SEC    (7 * 3600 + 1800) /* deliveries, before opening */
#define SIM_OPEN_SEC       (8 * 3600)
#define SIM_CLOSE_SEC      (21 * 3600)
#define SIM_REGISTERS      4
#define SIM_SENSORS        4
#define SIM_FORECAST_DAYS  7
#define SIM_CONNECT_MS     5000  /* first connection */
#define SIM_RECONNECT_MS   30000 /* a lost connection */
#define SIM_LATE_DELIVERY  0.05  /* share of orders that arrive 3..5 days late */
#define SIM_TOPIC_MAX      512
#define SIM_MAX_CATEGORIES 256
#define SIM_SLOW_RATE      1.0         /* units per day under which a SKU is a slow seller */
#define SIM_ML_WINDOW_DAYS 7           /* the ML features look this many days back */
#define SIM_FEATURES       8           /* values in a row of the ml-features reply */
#define SIM_SCANNER        "handheld1" /* device of the simulated associates' cycle counts */
#define SIM_WEEK_DAYS      7           /* the report's weekly ghost_stock blocks */

/* Columns of --features-out: the daemon's feature names in its order, then the label; what
 * tools/bench/iforest_parity.py --features reads. */
static const char sim_features_header[] = "sales_7d,sales_trend_7d,quantity_on_hand,unit_price,"
                                          "day_of_week,is_holiday,stock_turnover,price_vs_avg";

static const unsigned sim_shelf_secs[] = {10 * 3600, 14 * 3600, 18 * 3600};
/* Monday .. Sunday (sw_weekday order). */
static const double sim_weekday_factor[7] = {0.90, 0.90, 0.95, 1.00, 1.20, 1.35, 0.70};
static const char *const sim_category_names[] = {"dairy",  "bakery",    "produce", "meat",
                                                 "frozen", "beverages", "snacks",  "household",
                                                 "health", "pet",       "baby",    "electronics"};

/* Command line; see sim_opt_specs for the defaults. */
struct sim_options {
        const char *host;           /* broker host */
        unsigned port;              /* broker port */
        const char *root;           /* topic root */
        const char *tenant;         /* tenant id */
        const char *store;          /* store id */
        const char *timezone;       /* IANA zone of store-local time */
        unsigned seed;              /* makes the whole run reproducible */
        unsigned skus;              /* number of SKUs */
        unsigned categories;        /* number of categories */
        unsigned days;              /* simulated days */
        sw_day_t start;             /* first simulated day */
        bool has_start;             /* --start given */
        unsigned warmup;            /* no ghost starts before day index warmup */
        double ghost_rate;          /* ghost events per SKU per day */
        unsigned min_ghosts;        /* at least this many ghost events */
        unsigned ghost_fix_days;    /* a ghost is fixed by a count this many days after it starts */
        double ml_rate;             /* ML events per SKU per day; 0: none */
        unsigned min_ml;            /* at least this many ML events (if ml_rate > 0) */
        unsigned ml_fix_days;       /* days until a wrong price or overstock is fixed */
        double shelf_fraction;      /* share of SKUs watched by shelf sensors */
        bool push_forecast;         /* publish P/forecast */
        unsigned max_inflight;      /* QoS 1 messages awaiting PUBACK */
        unsigned batch;             /* items per inventory/receipt/shelf/forecast message */
        double reply_timeout;       /* seconds to wait for a detect reply or a PUBACK */
        unsigned reply_timeout_ms;  /* the same in milliseconds */
        unsigned retries;           /* resends of a day before giving up */
        unsigned sleep_ms;          /* pause between days */
        unsigned drain_ms;          /* wait for late anomalies at the end */
        const char *truth_path;     /* ground truth JSON lines, or NULL */
        const char *report_path;    /* score report JSON, or NULL */
        const char *anomalies_path; /* every anomaly received, or NULL */
        const char *features_path;  /* daily ml-features rows with labels, CSV, or NULL */
        unsigned associates;        /* cycle counts per day from the ghost-stock list; 0: none */
        unsigned count_delay_hours; /* the associates count this many hours after closing */
        const char *counts_path;    /* every cycle count with its truth and ack, or NULL */
        bool verbose;               /* print each anomaly as it arrives */
        bool quiet;                 /* print only the final report */
        bool help;                  /* --help */
};

/* One SKU: its demand model and its two stock levels. */
struct sim_sku {
        char code[24];         /* SKU code, "SKU0042" */
        unsigned category;     /* index of its category */
        double price;          /* list price */
        double shown_price;    /* list price the store system publishes (wrong in a price error) */
        double rate;           /* base demand, units per day */
        double shape;          /* gamma shape of the demand noise; 0 = plain Poisson */
        int32_t book;          /* book on-hand: what the store system believes */
        int32_t physical;      /* units really in the store */
        int32_t reorder_point; /* order when book <= this (about 4 days of demand) */
        int32_t order_qty;     /* units per order (about 10 days of demand) */
        bool has_order;        /* an order is on its way */
        sw_day_t order_due;    /* day it arrives, when has_order */
        bool shelf;            /* watched by a shelf sensor */
        int ghost;             /* index of its active ghost episode, or -1 */
        int ml;                /* index of its active ML episode (price error ...), or -1 */
        sw_day_t ml_clear;     /* first day the ML features no longer see its last ML event */
        sw_day_t ghost_clear;  /* the same for its last ghost */
        unsigned publish;      /* SIM_PUBLISH_* fields of today's 07:00 inventory item (scratch) */
        int stockout;          /* index of its open natural stock-out episode, or -1 */
        int32_t sold;          /* units sold today (scratch) */
        int32_t running;       /* physical stock while walking through today (scratch) */
};

/* What happened to a SKU; the last three are the ML events (an Isolation Forest's job). */
enum sim_episode_kind {
        SIM_GHOST,        /* physical stock gone, book unchanged, until a count */
        SIM_STOCKOUT,     /* natural stock-out: book = physical = 0 */
        SIM_PRICE_ERROR,  /* a wrong list price published, corrected later */
        SIM_DEMAND_SPIKE, /* demand multiplied for a few days */
        SIM_OVERSTOCK,    /* a huge receipt for a slow seller, sent back later */
        SIM_KINDS
};

#define SIM_KIND(k) (1u << (k))
#define SIM_ML_KINDS                                                                               \
        (SIM_KIND(SIM_PRICE_ERROR) | SIM_KIND(SIM_DEMAND_SPIKE) | SIM_KIND(SIM_OVERSTOCK))

/* Ground-truth names of the kinds ("kind" in the --truth file). */
static const char *const sim_kind_names[SIM_KINDS] = {"ghost", "stockout", "price_error",
                                                      "demand_spike", "overstock"};

/* Days after an episode's end that the detectors' inputs still show it: a wrong price or an
 * excess stock is gone with its correction; a spike stays in the 7-day sales for 6 more days. */
static const sw_day_t sim_kind_after[SIM_KINDS] = {[SIM_DEMAND_SPIKE] = SIM_ML_WINDOW_DAYS - 1};

/* Fields of a SKU's 07:00 inventory item beyond day 0's full record. */
#define SIM_PUBLISH_ON_HAND 1u
#define SIM_PUBLISH_PRICE   2u

/* One episode of one SKU. */
struct sim_episode {
        enum sim_episode_kind kind; /* what it is */
        unsigned sku;               /* index of the SKU */
        sw_day_t start;             /* first day (ghost, stock-out: first day without stock) */
        sw_day_t end;               /* ghost: day of the fixing count; others: last day */
        int32_t book;               /* book on-hand when it started */
        double factor;              /* multiplier: of the price, of demand, of the usual order */
        int32_t excess;             /* overstock: units of the excess receipt */
        bool closed;                /* ended within the run */
        bool counted;               /* ghost: ended by an associate's cycle count */
};

/* An event planned at start-up: day, kind and preferred SKU. */
struct sim_plan {
        sw_day_t day;               /* day it starts */
        unsigned sku;               /* SKU it hits if still eligible */
        unsigned seq;               /* tie-break so sorting is stable */
        enum sim_episode_kind kind; /* what it does */
};

/* The events of one family planned up front, in day order. */
struct sim_schedule {
        struct sim_plan *plans; /* planned events, by day */
        size_t n, cap, next;    /* used, allocated, next to start */
};

/* State of a xoshiro256** stream. */
struct sim_rng {
        uint64_t s[4]; /* the four words */
};

/* One POS line before it is put in a transaction. */
struct sim_line {
        unsigned sku; /* index of the SKU */
        int32_t qty;  /* units */
};

/* One POS transaction: a run of lines. */
struct sim_txn {
        unsigned secs;        /* store-local seconds after midnight */
        unsigned seq;         /* tie-break so sorting is stable */
        unsigned first;       /* index of its first line */
        unsigned n;           /* number of lines */
        unsigned register_no; /* 1..SIM_REGISTERS */
};

/* One message of the day's outbox, kept so a day can be resent identically. */
struct sim_msg {
        char *topic;   /* full topic */
        char *payload; /* JSON text */
};

/* One anomaly id received on P/anomaly (latest version). */
struct sim_anomaly {
        char id[SW_ID_MAX_LEN + 1];   /* anomaly id */
        char type[32];                /* wire type name */
        char sku[SW_SKU_MAX_LEN + 1]; /* SKU code */
        sw_day_t first_as_of;         /* earliest as_of seen for this id */
        sw_day_t as_of;               /* as_of of the latest version */
};

/* What the simulated associates did, and what the truth and the daemon say about it. */
struct sim_counts {
        unsigned long sent;         /* cycle counts made (a resend of one is not another) */
        unsigned long messages;     /* count messages published, resends included */
        unsigned long accepted;     /* acks "accepted" (first answers) */
        unsigned long rejected;     /* acks "rejected" */
        unsigned long duplicates;   /* acks marked duplicate (after a resend) */
        unsigned long truth_tp;     /* counts that found a ghost (the shelf really was short) */
        unsigned long truth_fp;     /* counts that found the book right */
        double truth_value;         /* sum over truth_tp of (book - counted) x list price */
        unsigned long daemon_tp;    /* acks whose outcome says true_positive */
        unsigned long daemon_fp;    /* ... false_positive */
        unsigned long no_outcome;   /* accepted acks without an outcome */
        double daemon_value;        /* sum of the outcomes' value_recovered */
        bool daemon_value_seen;     /* some ack carried a value_recovered */
        unsigned long agree;        /* acks whose outcome is the truth's verdict */
        unsigned long ghosts_fixed; /* ghosts ended by a count rather than the full count */
        unsigned long recommendations_empty; /* days the ghost-stock list had nothing */
};

/* A batch of items (inventory, receipt, shelf, forecast) split into bounded messages. */
struct sim_batch {
        char suffix[64];   /* topic after the prefix */
        const char *array; /* name of the items array */
        char ts[40];       /* ts of every message, "" for none */
        char id_stem[176]; /* id stem ("" for no id); part number appended */
        unsigned part;     /* messages flushed so far */
        cJSON *msg;        /* message being filled, or NULL */
        cJSON *items;      /* its array */
        unsigned n;        /* items in it */
};

/* Everything the simulator owns. */
struct sim {
        struct sim_options opt;          /* command line */
        struct sim_rng rng;              /* the store: stock, demand, ghosts */
        struct sim_rng ml_rng;           /* ML events, so they leave the ghost plan alone */
        char prefix[256];                /* "{root}/{tenant}/{store}" */
        struct sim_sku *skus;            /* opt.skus SKUs */
        struct sim_schedule ghost_plan;  /* planned ghost events */
        struct sim_schedule ml_plan;     /* planned ML events */
        struct sim_episode *eps;         /* ghosts and stock-outs so far */
        size_t n_eps, cap_eps;           /* used, allocated */
        struct sim_line *lines;          /* today's POS lines */
        size_t n_lines, cap_lines;       /* used, allocated */
        struct sim_txn *txns;            /* today's transactions */
        size_t n_txns, cap_txns;         /* used, allocated */
        struct sim_msg *out;             /* today's outbox */
        size_t n_out, cap_out;           /* used, allocated */
        struct sim_anomaly *anoms;       /* anomalies received, one per id */
        size_t n_anoms, cap_anoms;       /* used, allocated */
        struct mosquitto *mosq;          /* broker connection */
        bool connected;                  /* CONNACK received and not lost since */
        int subacks;                     /* SUBACKs since the last CONNACK */
        int subs;                        /* subscriptions made on each CONNACK */
        long inflight;                   /* QoS 1 publishes without PUBACK */
        int64_t last_ack_ms;             /* monotonic time of the last PUBACK */
        char reply_topic[SIM_TOPIC_MAX]; /* our private response topic */
        char corr[64];                   /* correlation data of the pending command */
        int reply_state;                 /* 0 waiting, 1 ok, -1 error reply */
        char reply_text[256];            /* start of the last reply */
        cJSON *reply;                    /* the last reply, parsed (NULL if not JSON) */
        char ack_topic[SIM_TOPIC_MAX];   /* P/scanner/SIM_SCANNER/ack */
        char ack_id[200];                /* id of the cycle count awaiting its ack */
        cJSON *ack;                      /* that ack, parsed, once it came (else NULL) */
        FILE *counts_file;               /* --counts, or NULL */
        struct sim_counts counts;        /* the associates' tallies */
        FILE *anomalies_file;            /* --anomalies, or NULL */
        FILE *features_file;             /* --features-out, or NULL */
        unsigned long feature_rows;      /* rows written to it */
        unsigned long feature_positives; /* of those, labelled 1 */
        unsigned feature_days_skipped;   /* days without rows: no or a bad ml-features reply */
        bool has_as_of;                  /* some detect succeeded */
        sw_day_t last_as_of;             /* as_of of the last successful detect */
        unsigned long published;         /* messages published, resends included */
        unsigned long resends;           /* days resent */
        unsigned long units_sold;        /* total units sold */
};

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

static uint64_t sim_rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static void sim_seed(struct sim_rng *rng, uint64_t seed)
{
        for (int i = 0; i < 4; i++) {
                uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                rng->s[i] = z ^ (z >> 31);
        }
}

static uint64_t sim_next(struct sim_rng *rng)
{
        uint64_t *r = rng->s, result = sim_rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
        r[2] ^= r[0];
        r[3] ^= r[1];
        r[1] ^= r[2];
        r[0] ^= r[3];
        r[2] ^= t;
        r[3] = sim_rotl(r[3], 45);
        return result;
}

/* Uniform in [0, 1). */
static double sim_uniform(struct sim_rng *rng)
{
        return (double)(sim_next(rng) >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi). */
static double sim_between(struct sim_rng *rng, double lo, double hi)
{
        return lo + (hi - lo) * sim_uniform(rng);
}

/* Uniform integer in [0, n), n > 0. */
static unsigned sim_below(struct sim_rng *rng, unsigned n)
{
        return (unsigned)(sim_uniform(rng) * n);
}

static double sim_normal(struct sim_rng *rng)
{
        double u1 = 1.0 - sim_uniform(rng), u2 = sim_uniform(rng);
        return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape, 1) by Marsaglia and Tsang. */
static double sim_gamma(struct sim_rng *rng, double shape)
{
        if (shape < 1.0)
                return sim_gamma(rng, shape + 1.0) * pow(1.0 - sim_uniform(rng), 1.0 / shape);
        double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
        for (;;) {
                double x = sim_normal(rng), v = 1.0 + c * x;
                if (v <= 0.0)
                        continue;
                v = v * v * v;
                double u = 1.0 - sim_uniform(rng);
                if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
                        return d * v;
        }
}

/* Poisson by Knuth's product method, in slices of 30 to keep exp() away from underflow. */
static int32_t sim_poisson(struct sim_rng *rng, double lambda)
{
        int32_t n = 0;
        while (lambda > 0.0) {
                double slice = lambda > 30.0 ? 30.0 : lambda, limit = exp(-slice), p = 1.0;
                lambda -= slice;
                for (;;) {
                        p *= sim_uniform(rng);
                        if (p <= limit)
                                break;
                        n++;
                }
        }
        return n;
}

/* ---- small helpers ---- */

static int64_t sim_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Make room for need elements in a growable array. Returns 0 or -ENOMEM. */
static int sim_reserve(void **array, size_t *cap, size_t need, size_t elem)
{
        if (need <= *cap)
                return 0;
        size_t n = *cap ? *cap : 64;
        while (n < need)
                n *= 2;
        void *p = realloc(*array, n * elem);
        if (!p)
                return -ENOMEM;
        *array = p;
        *cap = n;
        return 0;
}

#define SIM_PUSH(arr, n, cap) sim_reserve((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)))

static double sim_weekday(sw_day_t day)
{
        return sim_weekday_factor[sw_weekday(day)];
}

static void sim_date(sw_day_t day, char buf[11])
{
        (void)sw_date_format(day, buf, 11);
}

/* RFC 3339 with the numeric offset of the store's zone (TZ is set at start-up). */
static int sim_local_ts(sw_day_t day, unsigned secs, char *buf, size_t size)
{
        int y;
        unsigned m, d;
        sw_civil_from_days(day, &y, &m, &d);
        struct tm tm = {.tm_year = y - 1900,
                        .tm_mon = (int)m - 1,
                        .tm_mday = (int)d,
                        .tm_hour = (int)(secs / 3600),
                        .tm_min = (int)(secs / 60 % 60),
                        .tm_sec = (int)(secs % 60),
                        .tm_isdst = -1};
        time_t t = mktime(&tm);
        struct tm lt;
        if (t == (time_t)-1 || !localtime_r(&t, &lt))
                return -EINVAL;
        long off = lt.tm_gmtoff < 0 ? -lt.tm_gmtoff : lt.tm_gmtoff;
        int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", lt.tm_year + 1900,
                         lt.tm_mon + 1, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec,
                         lt.tm_gmtoff < 0 ? '-' : '+', off / 3600, off / 60 % 60);
        return n > 0 && (size_t)n < size ? 0 : -ENOSPC;
}

static const char *sim_category(unsigned c, char buf[32])
{
        size_t names = sizeof(sim_category_names) / sizeof(sim_category_names[0]);
        if (c < names)
                return sim_category_names[c];
        snprintf(buf, 32, "category%02u", c + 1);
        return buf;
}

/* ---- outbox ---- */

/* Serialise obj (consumed) into the outbox under P/suffix. */
static int sim_emit(struct sim *s, const char *suffix, cJSON *obj)
{
        char topic[SIM_TOPIC_MAX];
        char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
        cJSON_Delete(obj);
        snprintf(topic, sizeof(topic), "%s/%s", s->prefix, suffix);
        char *t = strdup(topic);
        if (!text || !t || SIM_PUSH(s->out, s->n_out, s->cap_out) < 0) {
                free(text);
                free(t);
                return -ENOMEM;
        }
        s->out[s->n_out++] = (struct sim_msg){.topic = t, .payload = text};
        return 0;
}

static void sim_outbox_clear(struct sim *s)
{
        for (size_t i = 0; i < s->n_out; i++) {
                free(s->out[i].topic);
                free(s->out[i].payload);
        }
        s->n_out = 0;
}

static void sim_batch_begin(struct sim_batch *b, const char *suffix, const char *array,
                            const char *ts, const char *id_stem)
{
        *b = (struct sim_batch){.array = array};
        snprintf(b->suffix, sizeof(b->suffix), "%s", suffix);
        snprintf(b->ts, sizeof(b->ts), "%s", ts ? ts : "");
        snprintf(b->id_stem, sizeof(b->id_stem), "%s", id_stem ? id_stem : "");
}

static int sim_batch_flush(struct sim *s, struct sim_batch *b)
{
        if (!b->msg)
                return 0;
        cJSON *msg = b->msg;
        b->msg = NULL;
        b->n = 0;
        b->part++;
        return sim_emit(s, b->suffix, msg);
}

/* A new, empty item object in the batch (NULL on ENOMEM); flushes full messages. */
static cJSON *sim_batch_item(struct sim *s, struct sim_batch *b)
{
        if (b->n >= s->opt.batch && sim_batch_flush(s, b) < 0)
                return NULL;
        if (!b->msg) {
                char id[200];
                b->msg = cJSON_CreateObject();
                if (b->id_stem[0]) {
                        snprintf(id, sizeof(id), "%s-%u", b->id_stem, b->part);
                        cJSON_AddStringToObject(b->msg, "id", id);
                }
                if (b->ts[0])
                        cJSON_AddStringToObject(b->msg, "ts", b->ts);
                b->items = cJSON_AddArrayToObject(b->msg, b->array);
        }
        cJSON *item = cJSON_CreateObject();
        if (!item || !b->items || !cJSON_AddItemToArray(b->items, item))
                return NULL;
        b->n++;
        return item;
}

/* ---- the store model ---- */

static double sim_cents(double v)
{
        return floor(v * 100.0 + 0.5) / 100.0;
}

/* The list price published during a price error of this factor. */
static double sim_wrong_price(const struct sim_sku *k, double factor)
{
        return fmax(0.01, sim_cents(k->price * factor));
}

static int sim_init_store(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        struct sim_rng *rng = &s->rng;
        double level[SIM_MAX_CATEGORIES];
        s->skus = calloc(o->skus, sizeof(*s->skus));
        if (!s->skus)
                return -ENOMEM;
        for (unsigned c = 0; c < o->categories; c++)
                level[c] = 0.6 * sim_normal(rng);
        int width = o->skus > 10000 ? 6 : 4;
        for (unsigned i = 0; i < o->skus; i++) {
                struct sim_sku *k = &s->skus[i];
                snprintf(k->code, sizeof(k->code), "SKU%0*u", width, i + 1);
                k->category = sim_below(rng, o->categories);
                double p = exp(log(6.0) + level[k->category] + 0.9 * sim_normal(rng));
                p = fmin(200.0, fmax(0.5, p));
                k->price = sim_cents(p);
                k->shown_price = k->price;
                double r = exp(log(2.0) - 0.35 * log(k->price / 6.0) + 1.1 * sim_normal(rng));
                k->rate = fmin(40.0, fmax(0.1, r));
                k->shape = sim_uniform(rng) < 0.25 ? 2.0 + 6.0 * sim_uniform(rng) : 0.0;
                k->reorder_point = (int32_t)fmax(1.0, ceil(4.0 * k->rate));
                k->order_qty = (int32_t)fmax(2.0, ceil(10.0 * k->rate));
                k->book = k->reorder_point + 1 + (int32_t)sim_below(rng, (unsigned)k->order_qty);
                k->physical = k->book;
                k->shelf = sim_uniform(rng) < o->shelf_fraction;
                k->ghost = -1;
                k->ml = -1;
                k->stockout = -1;
        }
        return 0;
}

static int sim_plan_cmp(const void *a, const void *b)
{
        const struct sim_plan *x = a, *y = b;
        if (x->day != y->day)
                return x->day < y->day ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Plan the events of one family for the whole run: each SKU and day from the warm-up to the
 * second-last day has probability rate; fewer than at_least are topped up, spread evenly.
 */
static int sim_plan_events(struct sim *s, struct sim_rng *rng, struct sim_schedule *sch,
                           double rate, unsigned at_least)
{
        const struct sim_options *o = &s->opt;
        sw_day_t first = o->start + (sw_day_t)o->warmup, last = o->start + (sw_day_t)o->days - 2;
        if (first > last)
                return 0;
        for (sw_day_t d = first; d <= last; d++)
                for (unsigned i = 0; i < o->skus; i++) {
                        if (sim_uniform(rng) >= rate)
                                continue;
                        if (SIM_PUSH(sch->plans, sch->n, sch->cap) < 0)
                                return -ENOMEM;
                        sch->plans[sch->n] = (struct sim_plan){d, i, (unsigned)sch->n, SIM_GHOST};
                        sch->n++;
                }
        size_t extra = at_least > sch->n ? at_least - sch->n : 0;
        int64_t span = last - first + 1;
        for (size_t k = 0; k < extra; k++) {
                if (SIM_PUSH(sch->plans, sch->n, sch->cap) < 0)
                        return -ENOMEM;
                sw_day_t d = first + (sw_day_t)((int64_t)(2 * k + 1) * span / (int64_t)(2 * extra));
                sch->plans[sch->n] =
                    (struct sim_plan){d, sim_below(rng, o->skus), (unsigned)sch->n, SIM_GHOST};
                sch->n++;
        }
        qsort(sch->plans, sch->n, sizeof(*sch->plans), sim_plan_cmp);
        return 0;
}

/* Ghosts from the store's stream; ML events (kinds in turn) from their own, when enabled. */
static int sim_plan(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        if (sim_plan_events(s, &s->rng, &s->ghost_plan, o->ghost_rate, o->min_ghosts) < 0)
                return -ENOMEM;
        if (o->ml_rate <= 0.0)
                return 0;
        sim_seed(&s->ml_rng, (uint64_t)o->seed ^ 0x6d6c2d6576656e74ULL);
        if (sim_plan_events(s, &s->ml_rng, &s->ml_plan, o->ml_rate, o->min_ml) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->ml_plan.n; i++) /* the three kinds in turn */
                s->ml_plan.plans[i].kind = (enum sim_episode_kind)(SIM_PRICE_ERROR + i % 3);
        return 0;
}

static int sim_add_episode(struct sim *s, enum sim_episode_kind kind, unsigned sku, sw_day_t start,
                           sw_day_t end)
{
        if (SIM_PUSH(s->eps, s->n_eps, s->cap_eps) < 0)
                return -ENOMEM;
        s->eps[s->n_eps] = (struct sim_episode){
            .kind = kind, .sku = sku, .start = start, .end = end, .book = s->skus[sku].book};
        return (int)s->n_eps++;
}

/*
 * Whether an event of this kind may hit the SKU today: one event at a time, and none while the
 * ML features still see an earlier ML event (an ML event also waits for a ghost to leave them),
 * so each ML anomaly has one explanation. A ghost or a demand spike needs stock the book agrees
 * with, above the reorder point and no order pending; an overstock needs a slow seller without
 * an order pending.
 */
static bool sim_eligible(const struct sim_sku *k, enum sim_episode_kind kind, sw_day_t day)
{
        if (k->ghost >= 0 || k->ml >= 0 || day < k->ml_clear)
                return false;
        if (kind != SIM_GHOST && day < k->ghost_clear)
                return false;
        switch (kind) {
        case SIM_GHOST:
        case SIM_DEMAND_SPIKE:
                return !k->has_order && k->physical == k->book && k->book > k->reorder_point;
        case SIM_OVERSTOCK:
                return !k->has_order && k->rate < SIM_SLOW_RATE;
        default:
                return true;
        }
}

/* The SKU a planned event hits: want if eligible, else the next eligible one from a random
 * offset; -1 when none is (the event is dropped). */
static int sim_pick_sku(struct sim *s, struct sim_rng *rng, unsigned want,
                        enum sim_episode_kind kind, sw_day_t day)
{
        unsigned n = s->opt.skus, off = sim_below(rng, n), i = want;
        for (unsigned k = 0; !sim_eligible(&s->skus[i], kind, day); k++) {
                if (k == n)
                        return -1;
                i = (off + k) % n;
        }
        return (int)i;
}

/* Theft, damage or misplacement overnight: physical stock gone, book unchanged. */
static int sim_start_ghost(struct sim *s, unsigned want, sw_day_t day)
{
        int i = sim_pick_sku(s, &s->rng, want, SIM_GHOST, day);
        if (i < 0)
                return 0;
        int e =
            sim_add_episode(s, SIM_GHOST, (unsigned)i, day, day + (sw_day_t)s->opt.ghost_fix_days);
        if (e < 0)
                return e;
        s->skus[i].physical = 0;
        s->skus[i].ghost = e;
        return 0;
}

/* The SKU's active ML episode if it is of this kind, else NULL. */
static struct sim_episode *sim_ml_episode(struct sim *s, const struct sim_sku *k,
                                          enum sim_episode_kind kind)
{
        return k->ml >= 0 && s->eps[k->ml].kind == kind ? &s->eps[k->ml] : NULL;
}

/*
 * Start the ML events planned up to today, before the 07:00 records: a price error publishes
 * the wrong price now; a demand spike multiplies today's demand (sim_sell); an overstock
 * lands with the 07:30 receipts (sim_morning).
 */
static int sim_start_ml(struct sim *s, sw_day_t day)
{
        struct sim_schedule *sch = &s->ml_plan;
        struct sim_rng *rng = &s->ml_rng;
        for (; sch->next < sch->n && sch->plans[sch->next].day <= day; sch->next++) {
                enum sim_episode_kind kind = sch->plans[sch->next].kind;
                int i = sim_pick_sku(s, rng, sch->plans[sch->next].sku, kind, day);
                if (i < 0)
                        continue;
                struct sim_sku *k = &s->skus[i];
                sw_day_t end = day + (sw_day_t)s->opt.ml_fix_days - 1;
                double factor;
                if (kind == SIM_PRICE_ERROR) {
                        factor = sim_uniform(rng) < 0.5 ? sim_between(rng, 3.0, 10.0)
                                                        : sim_between(rng, 0.1, 0.3);
                        k->shown_price = sim_wrong_price(k, factor);
                        k->publish |= SIM_PUBLISH_PRICE;
                } else if (kind == SIM_DEMAND_SPIKE) {
                        factor = sim_between(rng, 4.0, 10.0);
                        end = day + 1 + (sw_day_t)sim_below(rng, 4); /* 2..5 days */
                } else {
                        factor = sim_between(rng, 20.0, 50.0);
                }
                int e = sim_add_episode(s, kind, (unsigned)i, day, end);
                if (e < 0)
                        return e;
                s->eps[e].factor = factor;
                if (kind == SIM_OVERSTOCK)
                        s->eps[e].excess = (int32_t)floor(factor * k->order_qty + 0.5);
                k->ml = e;
        }
        return 0;
}

/* End the ML events whose last day was yesterday: the right price is published again; the
 * excess stock goes back to the supplier and a count records the book. */
static void sim_end_ml(struct sim *s, sw_day_t day)
{
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                struct sim_episode *e = k->ml >= 0 ? &s->eps[k->ml] : NULL;
                if (!e || e->end >= day)
                        continue;
                if (e->kind == SIM_PRICE_ERROR) {
                        k->shown_price = k->price;
                        k->publish |= SIM_PUBLISH_PRICE;
                } else if (e->kind == SIM_OVERSTOCK) {
                        k->physical -= e->excess < k->physical ? e->excess : k->physical;
                        k->book = k->physical;
                        k->publish |= SIM_PUBLISH_ON_HAND;
                }
                e->closed = true;
                k->ml = -1;
                k->ml_clear = e->end + SIM_ML_WINDOW_DAYS;
        }
}

/* Sold units as POS lines of 1..3 units. */
static int sim_sell(struct sim *s, sw_day_t day)
{
        struct sim_rng *rng = &s->rng;
        double factor = sim_weekday(day) * exp(0.08 * sim_normal(rng)); /* store-wide day noise */
        s->n_lines = 0;
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                double lambda = k->rate * factor;
                if (k->shape > 0.0)
                        lambda *= sim_gamma(rng, k->shape) / k->shape;
                struct sim_episode *spike = sim_ml_episode(s, k, SIM_DEMAND_SPIKE);
                if (spike) { /* a promotion nobody told the system about */
                        lambda *= spike->factor;
                        spike->closed = spike->end == day;
                }
                int32_t demand = sim_poisson(rng, lambda);
                k->sold = demand < k->physical ? demand : k->physical;
                for (int32_t left = k->sold; left > 0;) {
                        int32_t q = sim_uniform(rng) < 0.7 ? 1 : 2 + (int32_t)sim_below(rng, 2);
                        q = q < left ? q : left;
                        if (SIM_PUSH(s->lines, s->n_lines, s->cap_lines) < 0)
                                return -ENOMEM;
                        s->lines[s->n_lines++] = (struct sim_line){i, q};
                        left -= q;
                }
                s->units_sold += (unsigned long)k->sold;
        }
        for (size_t i = s->n_lines; i > 1; i--) { /* Fisher-Yates */
                size_t j = sim_below(rng, (unsigned)i);
                struct sim_line t = s->lines[i - 1];
                s->lines[i - 1] = s->lines[j];
                s->lines[j] = t;
        }
        return 0;
}

static int sim_txn_cmp(const void *a, const void *b)
{
        const struct sim_txn *x = a, *y = b;
        if (x->secs != y->secs)
                return x->secs < y->secs ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Group the shuffled lines into transactions of 1..5 lines at times in opening hours. */
static int sim_group(struct sim *s)
{
        s->n_txns = 0;
        for (size_t first = 0; first < s->n_lines;) {
                unsigned n = 1 + sim_below(&s->rng, 5);
                if (n > s->n_lines - first)
                        n = (unsigned)(s->n_lines - first);
                if (SIM_PUSH(s->txns, s->n_txns, s->cap_txns) < 0)
                        return -ENOMEM;
                s->txns[s->n_txns] = (struct sim_txn){
                    .secs = SIM_OPEN_SEC + sim_below(&s->rng, SIM_CLOSE_SEC - SIM_OPEN_SEC),
                    .seq = (unsigned)s->n_txns,
                    .first = (unsigned)first,
                    .n = n,
                    .register_no = 1 + sim_below(&s->rng, SIM_REGISTERS)};
                s->n_txns++;
                first += n;
        }
        qsort(s->txns, s->n_txns, sizeof(*s->txns), sim_txn_cmp);
        return 0;
}

static int sim_emit_shelf(struct sim *s, sw_day_t day, unsigned secs)
{
        char ts[40], suffix[32];
        if (sim_local_ts(day, secs, ts, sizeof(ts)) < 0)
                return -EINVAL;
        for (unsigned sensor = 0; sensor < SIM_SENSORS; sensor++) {
                struct sim_batch b;
                snprintf(suffix, sizeof(suffix), "shelf/s%u", sensor + 1);
                sim_batch_begin(&b, suffix, "readings", ts, NULL);
                for (unsigned i = sensor; i < s->opt.skus; i += SIM_SENSORS) {
                        if (!s->skus[i].shelf)
                                continue;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", s->skus[i].code);
                        cJSON_AddNumberToObject(it, "count", s->skus[i].running);
                }
                if (sim_batch_flush(s, &b) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int sim_emit_txn(struct sim *s, sw_day_t day, const char *stem, size_t t)
{
        const struct sim_txn *x = &s->txns[t];
        char ts[40], id[200], suffix[16];
        if (sim_local_ts(day, x->secs, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(id, sizeof(id), "%s-t%zu", stem, t + 1);
        snprintf(suffix, sizeof(suffix), "pos/r%u", x->register_no);
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "id", id);
        cJSON_AddStringToObject(msg, "ts", ts);
        cJSON *lines = cJSON_AddArrayToObject(msg, "lines");
        for (unsigned l = x->first; l < x->first + x->n; l++) {
                struct sim_sku *k = &s->skus[s->lines[l].sku];
                cJSON *it = cJSON_CreateObject();
                cJSON_AddItemToArray(lines, it);
                cJSON_AddStringToObject(it, "sku", k->code);
                cJSON_AddNumberToObject(it, "qty", s->lines[l].qty);
                cJSON_AddNumberToObject(it, "price", k->price);
                k->running -= s->lines[l].qty;
        }
        return sim_emit(s, suffix, msg);
}

static int sim_emit_forecast(struct sim *s, sw_day_t day)
{
        struct sim_batch b;
        char date[11];
        sim_batch_begin(&b, "forecast", "items", NULL, NULL);
        for (unsigned i = 0; i < s->opt.skus; i++)
                for (sw_day_t d = day; d < day + SIM_FORECAST_DAYS; d++) {
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        sim_date(d, date);
                        double units = s->skus[i].rate * sim_weekday(d);
                        cJSON_AddStringToObject(it, "sku", s->skus[i].code);
                        cJSON_AddStringToObject(it, "date", date);
                        cJSON_AddNumberToObject(it, "units", sim_cents(units));
                }
        return sim_batch_flush(s, &b);
}

/*
 * Morning: ML events end and start; book records (day 0), fixing counts and ML corrections; new
 * ghosts; deliveries (and overstock receipts); stock-out bookkeeping.
 */
static int sim_morning(struct sim *s, unsigned d, sw_day_t day, const char *stem)
{
        struct sim_batch b;
        char ts[40], rstem[176], cat[32];
        struct sim_schedule *ghosts = &s->ghost_plan;
        sim_end_ml(s, day);
        if (sim_start_ml(s, day) < 0)
                return -ENOMEM;
        if (sim_local_ts(day, SIM_COUNT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        sim_batch_begin(&b, "inventory", "items", ts, NULL);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                bool fix = k->ghost >= 0 && s->eps[k->ghost].end == day;
                if (fix) { /* the full inventory count finds the truth */
                        k->book = k->physical;
                        s->eps[k->ghost].closed = true;
                        k->ghost = -1;
                        k->ghost_clear = day + SIM_ML_WINDOW_DAYS;
                }
                unsigned publish = k->publish | (d == 0 || fix ? SIM_PUBLISH_ON_HAND : 0) |
                                   (d == 0 ? SIM_PUBLISH_PRICE : 0);
                k->publish = 0;
                if (!publish)
                        continue;
                cJSON *it = sim_batch_item(s, &b);
                if (!it)
                        return -ENOMEM;
                cJSON_AddStringToObject(it, "sku", k->code);
                if (publish & SIM_PUBLISH_ON_HAND)
                        cJSON_AddNumberToObject(it, "on_hand", k->book);
                if (publish & SIM_PUBLISH_PRICE)
                        cJSON_AddNumberToObject(it, "price", k->shown_price);
                if (d == 0)
                        cJSON_AddStringToObject(it, "category", sim_category(k->category, cat));
        }
        if (sim_batch_flush(s, &b) < 0)
                return -ENOMEM;
        for (; ghosts->next < ghosts->n && ghosts->plans[ghosts->next].day <= day; ghosts->next++)
                if (sim_start_ghost(s, ghosts->plans[ghosts->next].sku, day) < 0)
                        return -ENOMEM;
        if (sim_local_ts(day, SIM_RECEIPT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(rstem, sizeof(rstem), "%s-r", stem);
        sim_batch_begin(&b, "receipt", "lines", ts, rstem);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                const struct sim_episode *over = sim_ml_episode(s, k, SIM_OVERSTOCK);
                int32_t qty = k->has_order && k->order_due == day ? k->order_qty : 0;
                k->has_order = k->has_order && !qty;
                qty += over && over->start == day ? over->excess : 0;
                if (qty) {
                        k->book += qty;
                        k->physical += qty;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", k->code);
                        cJSON_AddNumberToObject(it, "qty", qty);
                }
                bool empty = k->physical == 0 && k->book == 0 && k->ghost < 0;
                if (empty && k->stockout < 0) {
                        int e = sim_add_episode(s, SIM_STOCKOUT, i, day, day);
                        if (e < 0)
                                return e;
                        k->stockout = e;
                } else if (empty) {
                        s->eps[k->stockout].end = day;
                } else if (k->stockout >= 0) {
                        s->eps[k->stockout].closed = true;
                        k->stockout = -1;
                }
        }
        return sim_batch_flush(s, &b);
}

/* Simulate day index d and fill the outbox with its messages, in time order. */
static int sim_build_day(struct sim *s, unsigned d)
{
        sw_day_t day = s->opt.start + (sw_day_t)d;
        char stem[160], date[11];
        int r;
        sim_date(day, date);
        snprintf(stem, sizeof(stem), "%s-s%u-%.4s%.2s%.2s", s->opt.store, s->opt.seed, date,
                 date + 5, date + 8);
        if (s->opt.push_forecast && (r = sim_emit_forecast(s, day)) < 0)
                return r;
        if ((r = sim_morning(s, d, day, stem)) < 0 || (r = sim_sell(s, day)) < 0 ||
            (r = sim_group(s)) < 0)
                return r;
        for (unsigned i = 0; i < s->opt.skus; i++)
                s->skus[i].running = s->skus[i].physical;
        size_t shelf = 0, n_shelf = sizeof(sim_shelf_secs) / sizeof(sim_shelf_secs[0]);
        for (size_t t = 0; t <= s->n_txns; t++) {
                unsigned until = t < s->n_txns ? s->txns[t].secs : UINT32_MAX;
                for (; shelf < n_shelf && sim_shelf_secs[shelf] <= until; shelf++)
                        if ((r = sim_emit_shelf(s, day, sim_shelf_secs[shelf])) < 0)
                                return r;
                if (t < s->n_txns && (r = sim_emit_txn(s, day, stem, t)) < 0)
                        return r;
        }
        for (unsigned i = 0; i < s->opt.skus; i++) { /* evening: books close, orders go out */
                struct sim_sku *k = &s->skus[i];
                k->book -= k->sold;
                k->physical -= k->sold;
                if (k->has_order || k->ghost >= 0 || k->book > k->reorder_point)
                        continue;
                unsigned lead = 1 + sim_below(&s->rng, 2);
                if (sim_uniform(&s->rng) < SIM_LATE_DELIVERY)
                        lead += 3 + sim_below(&s->rng, 3);
                k->has_order = true;
                k->order_due = day + (sw_day_t)lead;
        }
        return 0;
}

/* ---- MQTT ---- */

static void sim_on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        char topic[SIM_TOPIC_MAX];
        (void)flags;
        (void)props;
        if (rc != 0)
                return;
        s->connected = true;
        s->subacks = 0;
        snprintf(topic, sizeof(topic), "%s/anomaly", s->prefix);
        mosquitto_subscribe_v5(m, NULL, topic, 1, 0, NULL);
        mosquitto_subscribe_v5(m, NULL, s->reply_topic, 1, 0, NULL);
        if (s->opt.associates > 0)
                mosquitto_subscribe_v5(m, NULL, s->ack_topic, 1, 0, NULL);
}

static void sim_on_disconnect(struct mosquitto *m, void *obj, int rc,
                              const mosquitto_property *props)
{
        (void)m;
        (void)rc;
        (void)props;
        ((struct sim *)obj)->connected = false;
}

static void sim_on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *qos,
                             const mosquitto_property *props)
{
        (void)m;
        (void)mid;
        (void)n;
        (void)qos;
        (void)props;
        ((struct sim *)obj)->subacks++;
}

static void sim_on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        (void)m;
        (void)mid;
        (void)props;
        if (reason >= 0x80 && !s->opt.quiet)
                fprintf(stderr, "storesim: broker refused a message (reason %d)\n", reason);
        if (s->inflight > 0)
                s->inflight--;
        s->last_ack_ms = sim_now_ms();
}

static const char *sim_json_str(const cJSON *j, const char *name)
{
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));
        return v ? v : "";
}

static double sim_json_num(const cJSON *j, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
        return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static void sim_on_reply(struct sim *s, const struct mosquitto_message *msg,
                         const mosquitto_property *props)
{
        void *corr = NULL;
        uint16_t len = 0;
        mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &len, false);
        bool ours = corr && len == strlen(s->corr) && memcmp(corr, s->corr, len) == 0;
        free(corr);
        if (!ours || s->reply_state != 0)
                return; /* a late answer to an earlier attempt */
        cJSON *j = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
        s->reply_state = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")) ? 1 : -1;
        cJSON_Delete(s->reply);
        s->reply = j;
        snprintf(s->reply_text, sizeof(s->reply_text), "%.*s",
                 msg->payloadlen < 255 ? msg->payloadlen : 255, (const char *)msg->payload);
}

static void sim_on_anomaly(struct sim *s, const struct mosquitto_message *msg)
{
        if (s->anomalies_file) {
                fwrite(msg->payload, 1, (size_t)msg->payloadlen, s->anomalies_file);
                fputc('\n', s->anomalies_file);
                fflush(s->anomalies_file);
        }
        cJSON *j = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
        const char *id = sim_json_str(j, "id"), *type = sim_json_str(j, "type");
        const char *sku = sim_json_str(j, "sku"), *as_of = sim_json_str(j, "as_of");
        sw_day_t day;
        if (!id[0] || strlen(id) > SW_ID_MAX_LEN || strlen(sku) > SW_SKU_MAX_LEN ||
            sw_date_parse(as_of, strlen(as_of), &day) < 0) {
                if (!s->opt.quiet)
                        fprintf(stderr, "storesim: ignoring malformed anomaly\n");
                cJSON_Delete(j);
                return;
        }
        size_t i = 0;
        while (i < s->n_anoms && strcmp(s->anoms[i].id, id) != 0)
                i++;
        if (i == s->n_anoms) {
                if (SIM_PUSH(s->anoms, s->n_anoms, s->cap_anoms) < 0) {
                        cJSON_Delete(j);
                        return;
                }
                s->n_anoms++;
                snprintf(s->anoms[i].id, sizeof(s->anoms[i].id), "%s", id);
                s->anoms[i].first_as_of = day;
        }
        struct sim_anomaly *a = &s->anoms[i];
        snprintf(a->type, sizeof(a->type), "%s", type);
        snprintf(a->sku, sizeof(a->sku), "%s", sku);
        a->as_of = day;
        if (day < a->first_as_of)
                a->first_as_of = day;
        if (s->opt.verbose) {
                char sev[16];
                size_t n = 0;
                for (const char *p = sim_json_str(j, "severity"); *p && n < sizeof(sev) - 1; p++)
                        sev[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
                sev[n] = '\0';
                printf("[%s] %s %s %s p=%.2f value=%.2f '%s'\n", as_of, sev, type, sku,
                       sim_json_num(j, "probability"), sim_json_num(j, "value"),
                       sim_json_str(j, "description"));
                fflush(stdout);
        }
        cJSON_Delete(j);
}

/* A cycle-count ack: kept when it answers the count we wait for (acks of earlier attempts,
 * or of other scanners' counts on the same device, are ignored). */
static void sim_on_ack(struct sim *s, const struct mosquitto_message *msg)
{
        if (s->ack || !s->ack_id[0])
                return;
        cJSON *j = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
        if (j && strcmp(sim_json_str(j, "id"), s->ack_id) == 0)
                s->ack = j;
        else
                cJSON_Delete(j);
}

static void sim_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        (void)m;
        if (strcmp(msg->topic, s->reply_topic) == 0)
                sim_on_reply(s, msg, props);
        else if (s->opt.associates > 0 && strcmp(msg->topic, s->ack_topic) == 0)
                sim_on_ack(s, msg);
        else
                sim_on_anomaly(s, msg);
}

/* Connect (or reconnect) and wait for CONNACK and every SUBACK. 0 or -EHOSTUNREACH. */
static int sim_connect(struct sim *s, unsigned patience_ms)
{
        int64_t deadline = sim_now_ms() + patience_ms;
        for (;;) {
                s->connected = false;
                if (mosquitto_connect_bind_v5(s->mosq, s->opt.host, (int)s->opt.port, 30, NULL,
                                              NULL) == MOSQ_ERR_SUCCESS) {
                        int64_t wait = sim_now_ms() + 5000;
                        while (sim_now_ms() < wait && !(s->connected && s->subacks >= s->subs))
                                if (mosquitto_loop(s->mosq, 100, 1) != MOSQ_ERR_SUCCESS)
                                        break;
                        if (s->connected && s->subacks >= s->subs)
                                return 0;
                }
                if (sim_now_ms() >= deadline)
                        return -EHOSTUNREACH;
                usleep(500 * 1000);
        }
}

/*
 * Run the network for up to timeout_ms. 0; -ECONNRESET when the connection was
 * lost and came back (in-flight state is gone, so the caller restarts); or
 * -EHOSTUNREACH when the broker stays away.
 */
static int sim_pump(struct sim *s, int timeout_ms)
{
        if (mosquitto_loop(s->mosq, timeout_ms, 1) == MOSQ_ERR_SUCCESS && s->connected)
                return 0;
        if (!s->opt.quiet)
                fprintf(stderr, "storesim: lost the broker, reconnecting\n");
        s->inflight = 0;
        return sim_connect(s, SIM_RECONNECT_MS) == 0 ? -ECONNRESET : -EHOSTUNREACH;
}

/* Publish the outbox with a bounded window and wait until every message is acked. */
static int sim_publish_outbox(struct sim *s)
{
        int r;
        s->inflight = 0;
        s->last_ack_ms = sim_now_ms();
        for (size_t i = 0; i <= s->n_out; i++) {
                long window = i < s->n_out ? (long)s->opt.max_inflight - 1 : 0;
                while (s->inflight > window) {
                        if (sim_now_ms() - s->last_ack_ms > s->opt.reply_timeout_ms)
                                return -ETIMEDOUT;
                        if ((r = sim_pump(s, 100)) < 0)
                                return r;
                }
                if (i == s->n_out)
                        break;
                const struct sim_msg *m = &s->out[i];
                if (mosquitto_publish_v5(s->mosq, NULL, m->topic, (int)strlen(m->payload),
                                         m->payload, 1, false, NULL) != MOSQ_ERR_SUCCESS)
                        return (r = sim_pump(s, 0)) < 0 ? r : -EIO;
                s->inflight++;
                s->published++;
        }
        return 0;
}

/*
 * Send the command P/cmd/{name} with payload, our response topic and the correlation data
 * corr, and wait for the reply that carries corr. 0 when it says {"ok":true} (s->reply holds
 * it); -EPROTO on an error reply (s->reply_text says why), -ETIMEDOUT, -ENOMEM, or sim_pump's
 * errors.
 */
static int sim_command_payload(struct sim *s, const char *name, const char *payload,
                               const char *corr)
{
        char topic[SIM_TOPIC_MAX];
        mosquitto_property *props = NULL;
        int r;
        snprintf(topic, sizeof(topic), "%s/cmd/%s", s->prefix, name);
        snprintf(s->corr, sizeof(s->corr), "%s", corr);
        cJSON_Delete(s->reply);
        s->reply = NULL;
        if (mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, s->reply_topic) ||
            mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, s->corr,
                                          (uint16_t)strlen(s->corr))) {
                mosquitto_property_free_all(&props);
                return -ENOMEM;
        }
        s->reply_state = 0;
        r = mosquitto_publish_v5(s->mosq, NULL, topic, (int)strlen(payload), payload, 1, false,
                                 props);
        mosquitto_property_free_all(&props);
        if (r != MOSQ_ERR_SUCCESS)
                return (r = sim_pump(s, 0)) < 0 ? r : -EIO;
        s->published++;
        int64_t deadline = sim_now_ms() + s->opt.reply_timeout_ms;
        while (s->reply_state == 0) {
                if (sim_now_ms() >= deadline)
                        return -ETIMEDOUT;
                if ((r = sim_pump(s, 100)) < 0)
                        return r;
        }
        return s->reply_state > 0 ? 0 : -EPROTO;
}

/* sim_command_payload with the payload {"as_of":"YYYY-MM-DD"}. */
static int sim_command(struct sim *s, const char *name, sw_day_t as_of, const char *corr)
{
        char date[11], payload[40];
        sim_date(as_of, date);
        snprintf(payload, sizeof(payload), "{\"as_of\":\"%s\"}", date);
        return sim_command_payload(s, name, payload, corr);
}

/* Ask the daemon to run its detectors as of as_of and wait for {"ok":true}. */
static int sim_detect(struct sim *s, sw_day_t as_of, unsigned attempt)
{
        char date[11], corr[64];
        sim_date(as_of, date);
        snprintf(corr, sizeof(corr), "%s-%u", date, attempt);
        return sim_command(s, "detect", as_of, corr);
}

/* Deliver today's outbox and get a detect reply, resending the whole day on failure. */
static int sim_deliver_day(struct sim *s, sw_day_t as_of)
{
        char date[11];
        sim_date(as_of, date);
        for (unsigned attempt = 0; attempt <= s->opt.retries; attempt++) {
                int r = sim_publish_outbox(s);
                if (r == 0)
                        r = sim_detect(s, as_of, attempt);
                if (r == 0) {
                        s->has_as_of = true;
                        s->last_as_of = as_of;
                        if (s->opt.verbose)
                                printf("detect %s: %s\n", date, s->reply_text);
                        return 0;
                }
                if (r == -EHOSTUNREACH || r == -ENOMEM)
                        return r;
                const char *why = r == -ETIMEDOUT    ? "no answer in time"
                                  : r == -ECONNRESET ? "lost the broker"
                                  : r == -EPROTO     ? s->reply_text
                                                     : strerror(-r);
                if (!s->opt.quiet)
                        fprintf(stderr, "storesim: detect as_of %s (attempt %u/%u): %s\n", date,
                                attempt + 1, s->opt.retries + 1, why);
                if (r == -EPROTO) /* answered, but not ok: do not hammer it */
                        (void)sim_pump(s, 500);
                s->resends++;
        }
        return -ETIMEDOUT;
}

/* ---- the associates: cycle counts of the daemon's ghost-stock recommendations ---- */

/* Index of the SKU with this code, or -1. */
static int sim_sku_by_code(const struct sim *s, const char *code)
{
        for (unsigned i = 0; i < s->opt.skus; i++)
                if (strcmp(s->skus[i].code, code) == 0)
                        return (int)i;
        return -1;
}

/*
 * Publish one cycle count on P/scanner/SIM_SCANNER/count and wait for its ack (then in
 * s->ack). Without an ack in --reply-timeout, or after a lost connection, the same count (same
 * id) is sent again, up to --retries times. 0, -ETIMEDOUT, or -EHOSTUNREACH.
 */
static int sim_send_count(struct sim *s, const char *id, const char *payload)
{
        char topic[SIM_TOPIC_MAX];
        snprintf(topic, sizeof(topic), "%s/scanner/%s/count", s->prefix, SIM_SCANNER);
        snprintf(s->ack_id, sizeof(s->ack_id), "%s", id);
        cJSON_Delete(s->ack);
        s->ack = NULL;
        for (unsigned attempt = 0; attempt <= s->opt.retries; attempt++) {
                int r = mosquitto_publish_v5(s->mosq, NULL, topic, (int)strlen(payload), payload, 1,
                                             false, NULL);
                if (r != MOSQ_ERR_SUCCESS) {
                        if (sim_pump(s, 0) == -EHOSTUNREACH)
                                return -EHOSTUNREACH;
                        continue;
                }
                s->published++;
                s->counts.messages++;
                for (int64_t until = sim_now_ms() + s->opt.reply_timeout_ms;
                     !s->ack && sim_now_ms() < until;) {
                        r = sim_pump(s, 100);
                        if (r == -EHOSTUNREACH)
                                return r;
                        if (r < 0)
                                break; /* reconnected: send it again */
                }
                if (s->ack)
                        break;
                if (!s->opt.quiet)
                        fprintf(stderr, "storesim: no ack for cycle count %s (attempt %u/%u)\n", id,
                                attempt + 1, s->opt.retries + 1);
        }
        s->ack_id[0] = '\0';
        return s->ack ? 0 : -ETIMEDOUT;
}

/* The ack's verdict: "true_positive", "false_positive" or "" (none), and its value_recovered,
 * -1 when it has none (the outcome may be a name or the P/outcome object). */
static const char *sim_ack_outcome(const cJSON *ack, double *ret_value)
{
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(ack, "outcome");
        const cJSON *v =
            cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(o) ? o : ack, "value_recovered");
        *ret_value = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
        if (cJSON_IsObject(o))
                return sim_json_str(o, "outcome");
        return cJSON_IsString(o) ? o->valuestring : "";
}

/*
 * One associate's cycle count of SKU k for recommendation rec (rank 1..), store-local
 * count_delay_hours after closing on day: the true on-shelf quantity, in answer to the
 * recommended anomaly. When the daemon accepts it, the simulated book follows (book =
 * counted), a ghost on the SKU ends there, and the evening's reorder rule reacts the next day.
 */
static int sim_count_one(struct sim *s, sw_day_t day, const char *stem, unsigned n,
                         unsigned k_index, const cJSON *rec)
{
        struct sim_sku *k = &s->skus[k_index];
        const char *anomaly = sim_json_str(rec, "id");
        char id[200], ts[40], date[11], cat[32];
        int32_t book = k->book, counted = k->physical;
        bool ghost = k->ghost >= 0;
        double truth_value = ghost && book > counted ? (book - counted) * k->price : 0.0, value;
        if (sim_local_ts(day, SIM_CLOSE_SEC + 3600 * s->opt.count_delay_hours, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(id, sizeof(id), "%s-c%u", stem, n);
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "id", id);
        cJSON_AddStringToObject(msg, "ts", ts);
        cJSON_AddStringToObject(msg, "sku", k->code);
        cJSON_AddNumberToObject(msg, "counted", counted);
        cJSON_AddStringToObject(msg, "anomaly", anomaly);
        cJSON_AddStringToObject(msg, "user", "associate");
        char *payload = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
        if (!payload)
                return -ENOMEM;
        int r = sim_send_count(s, id, payload);
        free(payload);
        if (r < 0)
                return r;
        s->counts.sent++;
        const char *status = sim_json_str(s->ack, "status");
        bool accepted = strcmp(status, "accepted") == 0;
        bool duplicate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->ack, "duplicate"));
        const char *verdict = sim_ack_outcome(s->ack, &value);
        s->counts.accepted += accepted;
        s->counts.rejected += !accepted;
        s->counts.duplicates += duplicate;
        if (accepted) {
                s->counts.truth_tp += ghost;
                s->counts.truth_fp += !ghost;
                s->counts.truth_value += truth_value;
                bool tp = strcmp(verdict, "true_positive") == 0;
                bool fp = strcmp(verdict, "false_positive") == 0;
                s->counts.daemon_tp += tp;
                s->counts.daemon_fp += fp;
                s->counts.no_outcome += !tp && !fp;
                s->counts.daemon_value += tp && value > 0.0 ? value : 0.0;
                s->counts.daemon_value_seen |= value >= 0.0;
                s->counts.agree += (tp && ghost) || (fp && !ghost);
                k->book = counted;
                if (ghost) { /* the count ends the ghost: the book now says the shelf is empty */
                        struct sim_episode *e = &s->eps[k->ghost];
                        e->end = day;
                        e->closed = true;
                        e->counted = true;
                        k->ghost = -1;
                        k->ghost_clear = day + SIM_ML_WINDOW_DAYS;
                        s->counts.ghosts_fixed++;
                }
        }
        if (s->counts_file) {
                cJSON *line = cJSON_CreateObject();
                sim_date(day, date);
                cJSON_AddStringToObject(line, "id", id);
                cJSON_AddStringToObject(line, "day", date);
                cJSON_AddStringToObject(line, "ts", ts);
                cJSON_AddStringToObject(line, "sku", k->code);
                cJSON_AddStringToObject(line, "category", sim_category(k->category, cat));
                cJSON_AddStringToObject(line, "anomaly", anomaly);
                cJSON_AddNumberToObject(line, "rank", sim_json_num(rec, "rank"));
                cJSON_AddNumberToObject(line, "book", book);
                cJSON_AddNumberToObject(line, "counted", counted);
                cJSON_AddNumberToObject(line, "price", k->price);
                cJSON_AddBoolToObject(line, "ghost", ghost);
                cJSON_AddNumberToObject(line, "value_truth", truth_value);
                cJSON_AddItemToObject(line, "ack", cJSON_Duplicate(s->ack, true));
                char *text = cJSON_PrintUnformatted(line);
                cJSON_Delete(line);
                if (!text)
                        return -ENOMEM;
                fprintf(s->counts_file, "%s\n", text);
                free(text);
        }
        if (s->opt.verbose) {
                sim_date(day, date);
                printf("[%s] count %s (%s): book %" PRId32 ", counted %" PRId32 ", %s -> %s %s\n",
                       date, k->code, anomaly, book, counted, ghost ? "ghost" : "no ghost", status,
                       verdict[0] ? verdict : "(no outcome)");
        }
        return 0;
}

/*
 * The associates' round after day's detect: ask for the ghost-stock recommendations (the top
 * --associates) and count each recommended SKU. Returns the counts made; -EPROTO,
 * -ETIMEDOUT, -ECONNRESET when the list could not be had (no count then); -ETIMEDOUT when a
 * count went unanswered; -EHOSTUNREACH, -ENOMEM.
 */
static int sim_associates(struct sim *s, sw_day_t day)
{
        char date[11], corr[64], payload[40], stem[160];
        sim_date(day + 1, date);
        snprintf(corr, sizeof(corr), "ghost-stock-%s", date);
        snprintf(payload, sizeof(payload), "{\"limit\":%u}", s->opt.associates);
        int r = sim_command_payload(s, "ghost-stock", payload, corr);
        if (r < 0)
                return r;
        cJSON *recs = cJSON_DetachItemFromObjectCaseSensitive(s->reply, "recommendations"), *rec;
        if (!cJSON_IsArray(recs)) {
                cJSON_Delete(recs);
                return -EPROTO;
        }
        sim_date(day, date);
        snprintf(stem, sizeof(stem), "%s-s%u-%.4s%.2s%.2s", s->opt.store, s->opt.seed, date,
                 date + 5, date + 8);
        unsigned n = 0;
        cJSON_ArrayForEach(rec, recs)
        {
                if (n >= s->opt.associates)
                        break;
                int k = sim_sku_by_code(s, sim_json_str(rec, "sku"));
                const char *anomaly = sim_json_str(rec, "id");
                if (k < 0 || !anomaly[0])
                        continue; /* not one of ours */
                if ((r = sim_count_one(s, day, stem, ++n, (unsigned)k, rec)) < 0)
                        break;
        }
        cJSON_Delete(recs);
        s->counts.recommendations_empty += n == 0;
        return r < 0 ? r : (int)n;
}

/* ---- results ---- */

static int sim_write_truth(const struct sim *s, const char *path)
{
        FILE *f = fopen(path, "w");
        char start[11], end[11], cat[32];
        if (!f)
                return -errno;
        for (size_t i = 0; i < s->n_eps; i++) {
                const struct sim_episode *e = &s->eps[i];
                if (e->kind == SIM_STOCKOUT)
                        continue;
                const struct sim_sku *k = &s->skus[e->sku];
                sim_date(e->start, start);
                sim_date(e->end, end);
                fprintf(f,
                        "{\"kind\":\"%s\",\"sku\":\"%s\",\"category\":\"%s\",\"start\":\"%s\","
                        "\"end\":\"%s\",",
                        sim_kind_names[e->kind], k->code, sim_category(k->category, cat), start,
                        end);
                if (e->kind == SIM_GHOST)
                        fprintf(f, "\"on_hand_book\":%" PRId32 ",\"price\":%.2f,", e->book,
                                k->price);
                else
                        fprintf(f, "\"price\":%.2f,\"factor\":%.3f,", k->price, e->factor);
                if (e->kind == SIM_PRICE_ERROR)
                        fprintf(f, "\"wrong_price\":%.2f,", sim_wrong_price(k, e->factor));
                if (e->kind == SIM_OVERSTOCK)
                        fprintf(f, "\"on_hand_book\":%" PRId32 ",\"excess_units\":%" PRId32 ",",
                                e->book, e->excess);
                if (e->kind == SIM_GHOST && s->opt.associates > 0)
                        fprintf(f, "\"fixed_by\":\"%s\",",
                                e->counted  ? "cycle_count"
                                : e->closed ? "inventory"
                                            : "none");
                fprintf(f, "\"fixed\":%s}\n", e->closed ? "true" : "false");
        }
        return fclose(f) == 0 ? 0 : -EIO;
}

/* Whether an anomaly on the SKU code whose detectors last saw day matches the episode. */
static bool sim_matches(const struct sim *s, const struct sim_episode *e, const char *sku,
                        sw_day_t day)
{
        return e->start <= day && day <= e->end + sim_kind_after[e->kind] &&
               strcmp(s->skus[e->sku].code, sku) == 0;
}

/* An episode of one of the kinds (SIM_KIND() mask) that matches, or NULL. */
static const struct sim_episode *sim_find_episode(const struct sim *s, unsigned kinds,
                                                  const char *sku, sw_day_t day)
{
        for (size_t i = 0; i < s->n_eps; i++)
                if ((kinds & SIM_KIND(s->eps[i].kind)) && sim_matches(s, &s->eps[i], sku, day))
                        return &s->eps[i];
        return NULL;
}

/* ---- --features-out ---- */

/* Whether the reply's feature names are, in order, the columns of sim_features_header. */
static bool sim_features_match(const cJSON *names)
{
        char joined[sizeof(sim_features_header) + 1] = "";
        size_t len = 0;
        const cJSON *n;
        if (cJSON_GetArraySize(names) != SIM_FEATURES)
                return false;
        cJSON_ArrayForEach(n, names)
        {
                const char *v = cJSON_GetStringValue(n);
                int w = v ? snprintf(joined + len, sizeof(joined) - len, "%s%s", len ? "," : "", v)
                          : -1;
                if (w < 0 || (size_t)w >= sizeof(joined) - len)
                        return false;
                len += (size_t)w;
        }
        return strcmp(joined, sim_features_header) == 0;
}

/* Whether a row of the reply has a SKU code and SIM_FEATURES numbers. */
static bool sim_feature_row_ok(const cJSON *row)
{
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(row, "x"), *v;
        if (!sim_json_str(row, "sku")[0] || cJSON_GetArraySize(x) != SIM_FEATURES)
                return false;
        cJSON_ArrayForEach(v, x)
        {
                if (!cJSON_IsNumber(v))
                        return false;
        }
        return true;
}

static int sim_cmp_feature_row(const void *a, const void *b)
{
        const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
        return strcmp(sim_json_str(x, "sku"), sim_json_str(y, "sku"));
}

/*
 * Ask the daemon for every SKU's features as of as_of (ml-features, over the same
 * request/reply path as detect) and append one CSV row per SKU, in SKU code order so the
 * file does not depend on the daemon's table order. label is 1 when the SKU had an ML event
 * that these features still show: the ml_detected matching rule with as_of - 1 as the last
 * day seen. Returns the rows written, -EBADMSG for a reply that is not the expected shape,
 * or sim_command's errors (nothing written then).
 */
static int sim_write_features(struct sim *s, sw_day_t as_of)
{
        char date[11], corr[64];
        sim_date(as_of, date);
        snprintf(corr, sizeof(corr), "features-%s", date);
        int r = sim_command(s, "ml-features", as_of, corr);
        if (r < 0)
                return r;
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(s->reply, "rows"), *row;
        if (!sim_features_match(cJSON_GetObjectItemCaseSensitive(s->reply, "features")) ||
            !cJSON_IsArray(rows) || strcmp(sim_json_str(s->reply, "as_of"), date) != 0)
                return -EBADMSG;
        int n = cJSON_GetArraySize(rows), i = 0;
        const cJSON **sorted = calloc((size_t)n + 1, sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        cJSON_ArrayForEach(row, rows)
        {
                if (!sim_feature_row_ok(row)) {
                        free(sorted);
                        return -EBADMSG;
                }
                sorted[i++] = row;
        }
        qsort(sorted, (size_t)n, sizeof(*sorted), sim_cmp_feature_row);
        for (i = 0; i < n; i++) {
                const char *sku = sim_json_str(sorted[i], "sku");
                bool label = sim_find_episode(s, SIM_ML_KINDS, sku, as_of - 1) != NULL;
                const cJSON *v;
                /* The daemon's features are float32: 9 digits read back exactly. */
                cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(sorted[i], "x"))
                    fprintf(s->features_file, "%.9g,", (double)(float)v->valuedouble);
                fprintf(s->features_file, "%d\n", label);
                s->feature_positives += label;
        }
        s->feature_rows += (unsigned long)n;
        free(sorted);
        return n;
}

static int sim_cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void sim_add_stat(cJSON *o, const char *name, bool defined, double v)
{
        cJSON_AddItemToObject(o, name, defined ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

/* How one anomaly type is scored against the ground truth. */
struct sim_rule {
        enum sw_anomaly_type type; /* the type scored */
        unsigned kinds;            /* SIM_KIND() mask of the episodes it should find */
        unsigned excuse;           /* SIM_KIND() mask of episodes that explain a false positive */
        const char *excuse_field;  /* report field that counts those false positives */
};

static const struct sim_rule sim_ghost_rule = {SW_ANOMALY_GHOST_STOCK, SIM_KIND(SIM_GHOST),
                                               SIM_KIND(SIM_STOCKOUT),
                                               "false_positives_during_stockout"};
static const struct sim_rule sim_ml_rule = {SW_ANOMALY_ML_DETECTED, SIM_ML_KINDS,
                                            SIM_KIND(SIM_GHOST), "false_positives_during_ghost"};

/* The score of one anomaly type. */
struct sim_tally {
        unsigned tp, fp, fp_excused;     /* anomaly ids: right, wrong, wrong but explained */
        unsigned events, found;          /* episodes the daemon could have seen; matched */
        unsigned kind_events[SIM_KINDS]; /* events by kind */
        unsigned kind_found[SIM_KINDS];  /* found by kind */
        double precision, recall;        /* tp / (tp + fp); found / events (0 when undefined) */
        double mean_delay, median_delay; /* days from start to the first matching as_of */
        double fp_per_1000;              /* false positives per 1000 SKU-days */
};

/* Score the anomalies of rule->type: an id matches an episode of rule->kinds on its SKU when
 * start <= first as_of - 1 <= end + sim_kind_after[kind]; an episode is found when some id
 * matches it. */
static void sim_tally(const struct sim *s, const struct sim_rule *rule, struct sim_tally *ret)
{
        struct sim_tally t = {0};
        const char *type = sw_anomaly_type_name(rule->type);
        double delay_sum = 0.0, *delays = calloc(s->n_eps + 1, sizeof(double));
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                if (strcmp(a->type, type) != 0)
                        continue;
                sw_day_t seen = a->first_as_of - 1;
                bool hit = sim_find_episode(s, rule->kinds, a->sku, seen);
                t.tp += hit;
                t.fp += !hit;
                t.fp_excused += !hit && sim_find_episode(s, rule->excuse, a->sku, seen);
        }
        for (size_t e = 0; e < s->n_eps; e++) {
                const struct sim_episode *g = &s->eps[e];
                if (!(rule->kinds & SIM_KIND(g->kind)) || !s->has_as_of ||
                    g->start >= s->last_as_of)
                        continue;
                t.events++;
                t.kind_events[g->kind]++;
                sw_day_t first = INT32_MAX; /* first as_of of a matching anomaly */
                for (size_t i = 0; i < s->n_anoms; i++) {
                        const struct sim_anomaly *a = &s->anoms[i];
                        if (strcmp(a->type, type) == 0 && a->first_as_of < first &&
                            sim_matches(s, g, a->sku, a->first_as_of - 1))
                                first = a->first_as_of;
                }
                if (first != INT32_MAX && delays) {
                        delays[t.found++] = first - g->start;
                        delay_sum += first - g->start;
                        t.kind_found[g->kind]++;
                }
        }
        if (delays)
                qsort(delays, t.found, sizeof(double), sim_cmp_double);
        t.precision = t.tp + t.fp ? (double)t.tp / (t.tp + t.fp) : 0.0;
        t.recall = t.events ? (double)t.found / t.events : 0.0;
        t.mean_delay = t.found ? delay_sum / t.found : 0.0;
        t.median_delay = t.found ? (delays[(t.found - 1) / 2] + delays[t.found / 2]) / 2.0 : 0.0;
        t.fp_per_1000 = 1000.0 * t.fp / ((double)s->opt.skus * s->opt.days);
        free(delays);
        *ret = t;
}

/* The report block of a scored type. */
static cJSON *sim_tally_json(cJSON *types, const struct sim_rule *rule, const struct sim_tally *t)
{
        cJSON *g = cJSON_AddObjectToObject(types, sw_anomaly_type_name(rule->type));
        cJSON_AddNumberToObject(g, "detected", t->tp + t->fp);
        cJSON_AddNumberToObject(g, "true_positives", t->tp);
        cJSON_AddNumberToObject(g, "false_positives", t->fp);
        cJSON_AddNumberToObject(g, rule->excuse_field, t->fp_excused);
        cJSON_AddNumberToObject(g, "false_positives_per_1000_sku_days", t->fp_per_1000);
        sim_add_stat(g, "precision", t->tp + t->fp > 0, t->precision);
        cJSON_AddNumberToObject(g, "events", t->events);
        cJSON_AddNumberToObject(g, "events_detected", t->found);
        sim_add_stat(g, "recall", t->events > 0, t->recall);
        sim_add_stat(g, "mean_detection_delay_days", t->found > 0, t->mean_delay);
        sim_add_stat(g, "median_detection_delay_days", t->found > 0, t->median_delay);
        return g;
}

/* The ML block's extras: matching and recall by kind. */
static void sim_ml_json(cJSON *g, const struct sim_tally *t)
{
        cJSON *by = cJSON_CreateObject();
        for (int k = 0; k < SIM_KINDS; k++) {
                if (!(SIM_ML_KINDS & SIM_KIND(k)))
                        continue;
                cJSON *o = cJSON_AddObjectToObject(by, sim_kind_names[k]);
                cJSON_AddNumberToObject(o, "match_days_after_end", sim_kind_after[k]);
                cJSON_AddNumberToObject(o, "events", t->kind_events[k]);
                cJSON_AddNumberToObject(o, "events_detected", t->kind_found[k]);
                sim_add_stat(o, "recall", t->kind_events[k] > 0,
                             t->kind_events[k] ? (double)t->kind_found[k] / t->kind_events[k] : 0);
        }
        cJSON_AddItemToObject(g, "by_kind", by);
}

/*
 * The ghost_stock score week by week: anomaly ids by the week of the last day their detectors
 * saw (first as_of - 1), ghosts by the week they started (those the daemon could have seen).
 */
static cJSON *sim_weeks_json(const struct sim *s)
{
        const char *type = sw_anomaly_type_name(SW_ANOMALY_GHOST_STOCK);
        cJSON *weeks = cJSON_CreateArray();
        for (unsigned w = 0; w * SIM_WEEK_DAYS < s->opt.days; w++) {
                sw_day_t from = s->opt.start + (sw_day_t)(w * SIM_WEEK_DAYS);
                sw_day_t to = from + SIM_WEEK_DAYS - 1,
                         last = s->opt.start + (sw_day_t)s->opt.days - 1;
                unsigned tp = 0, fp = 0, events = 0, found = 0;
                to = to < last ? to : last;
                for (size_t i = 0; i < s->n_anoms; i++) {
                        const struct sim_anomaly *a = &s->anoms[i];
                        sw_day_t seen = a->first_as_of - 1;
                        if (strcmp(a->type, type) != 0 || seen < from || seen > to)
                                continue;
                        bool hit = sim_find_episode(s, sim_ghost_rule.kinds, a->sku, seen);
                        tp += hit;
                        fp += !hit;
                }
                for (size_t e = 0; e < s->n_eps; e++) {
                        const struct sim_episode *g = &s->eps[e];
                        if (g->kind != SIM_GHOST || g->start < from || g->start > to ||
                            !s->has_as_of || g->start >= s->last_as_of)
                                continue;
                        events++;
                        for (size_t i = 0; i < s->n_anoms; i++)
                                if (strcmp(s->anoms[i].type, type) == 0 &&
                                    sim_matches(s, g, s->anoms[i].sku,
                                                s->anoms[i].first_as_of - 1)) {
                                        found++;
                                        break;
                                }
                }
                char a[11], b[11];
                sim_date(from, a);
                sim_date(to, b);
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "from", a);
                cJSON_AddStringToObject(o, "to", b);
                cJSON_AddNumberToObject(o, "true_positives", tp);
                cJSON_AddNumberToObject(o, "false_positives", fp);
                sim_add_stat(o, "precision", tp + fp > 0, tp + fp ? (double)tp / (tp + fp) : 0);
                cJSON_AddNumberToObject(o, "events", events);
                cJSON_AddNumberToObject(o, "events_detected", found);
                cJSON_AddItemToArray(weeks, o);
        }
        return weeks;
}

/* The associates' block of the report (and its line in the printed report). */
static cJSON *sim_counts_json(const struct sim *s)
{
        const struct sim_counts *c = &s->counts;
        cJSON *o = cJSON_CreateObject(), *t, *d, *a;
        char value[32] = "not in acks";
        if (c->daemon_value_seen)
                snprintf(value, sizeof(value), "%.2f", c->daemon_value);
        printf("  associates: %lu counts (%u a day, %02u:00), acks %lu accepted %lu rejected %lu "
               "duplicate; by truth %lu true positives (value %.2f), %lu false positives; "
               "daemon outcomes %lu TP (value %s) %lu FP %lu none, %lu agree; %lu ghosts ended "
               "by a count\n",
               c->sent, s->opt.associates, (21 + s->opt.count_delay_hours) % 24, c->accepted,
               c->rejected, c->duplicates, c->truth_tp, c->truth_value, c->truth_fp, c->daemon_tp,
               value, c->daemon_fp, c->no_outcome, c->agree, c->ghosts_fixed);
        cJSON_AddNumberToObject(o, "per_day", s->opt.associates);
        cJSON_AddNumberToObject(o, "count_delay_hours", s->opt.count_delay_hours);
        cJSON_AddNumberToObject(o, "counts_sent", (double)c->sent);
        cJSON_AddNumberToObject(o, "count_messages", (double)c->messages);
        cJSON_AddNumberToObject(o, "days_without_recommendations",
                                (double)c->recommendations_empty);
        a = cJSON_AddObjectToObject(o, "acks");
        cJSON_AddNumberToObject(a, "accepted", (double)c->accepted);
        cJSON_AddNumberToObject(a, "rejected", (double)c->rejected);
        cJSON_AddNumberToObject(a, "duplicate", (double)c->duplicates);
        t = cJSON_AddObjectToObject(o, "truth");
        cJSON_AddNumberToObject(t, "true_positives", (double)c->truth_tp);
        cJSON_AddNumberToObject(t, "false_positives", (double)c->truth_fp);
        sim_add_stat(t, "precision", c->truth_tp + c->truth_fp > 0,
                     c->truth_tp + c->truth_fp
                         ? (double)c->truth_tp / (double)(c->truth_tp + c->truth_fp)
                         : 0);
        cJSON_AddNumberToObject(t, "value_recovered", c->truth_value);
        cJSON_AddNumberToObject(t, "ghosts_ended_by_count", (double)c->ghosts_fixed);
        d = cJSON_AddObjectToObject(o, "daemon");
        cJSON_AddNumberToObject(d, "true_positives", (double)c->daemon_tp);
        cJSON_AddNumberToObject(d, "false_positives", (double)c->daemon_fp);
        cJSON_AddNumberToObject(d, "no_outcome", (double)c->no_outcome);
        sim_add_stat(d, "value_recovered", c->daemon_value_seen, c->daemon_value);
        cJSON_AddNumberToObject(d, "agree_with_truth", (double)c->agree);
        return o;
}

/* Score ghost_stock and ml_detected anomalies against the ground truth; print and return the
 * report. */
static cJSON *sim_score(const struct sim *s)
{
        struct sim_tally gt, mt;
        unsigned by_type[SW_ANOMALY_TYPE_COUNT] = {0}, by_kind[SIM_KINDS] = {0};
        for (size_t i = 0; i < s->n_anoms; i++)
                for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                        by_type[t] += strcmp(s->anoms[i].type, sw_anomaly_type_name(t)) == 0;
        for (size_t e = 0; e < s->n_eps; e++)
                by_kind[s->eps[e].kind]++;
        unsigned ml_events =
            by_kind[SIM_PRICE_ERROR] + by_kind[SIM_DEMAND_SPIKE] + by_kind[SIM_OVERSTOCK];
        sim_tally(s, &sim_ghost_rule, &gt);
        sim_tally(s, &sim_ml_rule, &mt);
        char start[11], last[11] = "-";
        sim_date(s->opt.start, start);
        if (s->has_as_of)
                sim_date(s->last_as_of, last);

        printf("storesim report: seed %u, %u SKUs, %u days from %s, last as_of %s\n"
               "  messages published %lu (days resent %lu), units sold %lu\n"
               "  ghost events %u (%u scored), natural stock-outs %u\n"
               "  ghost_stock anomalies %u: true positives %u, false positives %u"
               " (%u during real stock-outs, %.2f per 1000 SKU-days)\n"
               "  ghost_stock precision %.3f, recall %.3f (%u/%u), delay mean %.2f median %.1f"
               " days\n",
               s->opt.seed, s->opt.skus, s->opt.days, start, last, s->published, s->resends,
               s->units_sold, by_kind[SIM_GHOST], gt.events, by_kind[SIM_STOCKOUT], gt.tp + gt.fp,
               gt.tp, gt.fp, gt.fp_excused, gt.fp_per_1000, gt.precision, gt.recall, gt.found,
               gt.events, gt.mean_delay, gt.median_delay);
        printf("  ML events %u (%u scored; found: price_error %u/%u, demand_spike %u/%u,"
               " overstock %u/%u)\n"
               "  ml_detected anomalies %u: true positives %u, false positives %u"
               " (%u during ghosts, %.2f per 1000 SKU-days)\n"
               "  ml_detected precision %.3f, recall %.3f (%u/%u), delay mean %.2f median %.1f"
               " days\n  anomalies by type:",
               ml_events, mt.events, mt.kind_found[SIM_PRICE_ERROR],
               mt.kind_events[SIM_PRICE_ERROR], mt.kind_found[SIM_DEMAND_SPIKE],
               mt.kind_events[SIM_DEMAND_SPIKE], mt.kind_found[SIM_OVERSTOCK],
               mt.kind_events[SIM_OVERSTOCK], mt.tp + mt.fp, mt.tp, mt.fp, mt.fp_excused,
               mt.fp_per_1000, mt.precision, mt.recall, mt.found, mt.events, mt.mean_delay,
               mt.median_delay);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                printf(" %s %u", sw_anomaly_type_name(t), by_type[t]);
        printf("\n");

        cJSON *r = cJSON_CreateObject(), *types = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", s->opt.seed);
        cJSON_AddStringToObject(r, "start", start);
        cJSON_AddNumberToObject(r, "days", s->opt.days);
        cJSON_AddNumberToObject(r, "skus", s->opt.skus);
        cJSON_AddItemToObject(r, "last_as_of",
                              s->has_as_of ? cJSON_CreateString(last) : cJSON_CreateNull());
        cJSON_AddNumberToObject(r, "messages_published", (double)s->published);
        cJSON_AddNumberToObject(r, "days_resent", (double)s->resends);
        cJSON_AddNumberToObject(r, "units_sold", (double)s->units_sold);
        cJSON_AddNumberToObject(r, "ghost_events", by_kind[SIM_GHOST]);
        cJSON_AddNumberToObject(r, "natural_stockouts", by_kind[SIM_STOCKOUT]);
        cJSON_AddNumberToObject(r, "ml_events", ml_events);
        cJSON_AddNumberToObject(r, "anomalies", (double)s->n_anoms);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++) /* ghost_stock last, as it always was */
                if (t == SW_ANOMALY_ML_DETECTED)
                        sim_ml_json(sim_tally_json(types, &sim_ml_rule, &mt), &mt);
                else if (t != SW_ANOMALY_GHOST_STOCK)
                        cJSON_AddNumberToObject(
                            cJSON_AddObjectToObject(types, sw_anomaly_type_name(t)), "detected",
                            by_type[t]);
        cJSON_AddItemToObject(sim_tally_json(types, &sim_ghost_rule, &gt), "weeks",
                              sim_weeks_json(s));
        cJSON_AddItemToObject(r, "types", types);
        if (s->opt.associates > 0)
                cJSON_AddItemToObject(r, "associates", sim_counts_json(s));
        return r;
}

/* ---- command line ---- */

enum sim_opt_kind {
        SIM_OPT_HEADING,
        SIM_OPT_STR,
        SIM_OPT_UINT,
        SIM_OPT_REAL,
        SIM_OPT_DATE,
        SIM_OPT_FLAG
};

/* One command-line option; defaults go through the same parser as arguments. */
struct sim_opt_spec {
        const char *name;       /* long option name; heading text for SIM_OPT_HEADING */
        enum sim_opt_kind kind; /* type of the field */
        size_t offset;          /* field in struct sim_options */
        double lo, hi;          /* range of numbers */
        const char *def;        /* default value, NULL for none */
        const char *help;       /* argument name and description for --help */
};

#define SIM_HEAD(text)                                                                             \
        {                                                                                          \
                text, SIM_OPT_HEADING, 0, 0, 0, NULL, NULL                                         \
        }
#define SIM_OPT(n, k, f, lo, hi, def, help)                                                        \
        {                                                                                          \
                n, k, offsetof(struct sim_options, f), lo, hi, def, help                           \
        }

static const struct sim_opt_spec sim_opt_specs[] = {
    SIM_HEAD("Broker and topics (P = ROOT/TENANT/STORE):"),
    SIM_OPT("host", SIM_OPT_STR, host, 0, 0, "127.0.0.1", "HOST  broker host"),
    SIM_OPT("port", SIM_OPT_UINT, port, 1, 65535, "1883", "PORT  broker port"),
    SIM_OPT("root", SIM_OPT_STR, root, 0, 0, "retail", "ROOT  topic root"),
    SIM_OPT("tenant", SIM_OPT_STR, tenant, 0, 0, "demo", "ID  tenant"),
    SIM_OPT("store", SIM_OPT_STR, store, 0, 0, "store1", "ID  store"),
    SIM_OPT("timezone", SIM_OPT_STR, timezone, 0, 0, "UTC", "TZ  IANA zone of store-local time"),
    SIM_HEAD("Store model:"),
    SIM_OPT("seed", SIM_OPT_UINT, seed, 0, UINT32_MAX, "1", "N  random seed"),
    SIM_OPT("skus", SIM_OPT_UINT, skus, 1, 100000, "300", "N  SKUs"),
    SIM_OPT("categories", SIM_OPT_UINT, categories, 1, SIM_MAX_CATEGORIES, "12", "N  categories"),
    SIM_OPT("days", SIM_OPT_UINT, days, 1, 3660, "30", "N  simulated days"),
    SIM_OPT("start", SIM_OPT_DATE, start, 0, 0, NULL,
            "YYYY-MM-DD  first day (default: today - days - 1)"),
    SIM_OPT("warmup", SIM_OPT_UINT, warmup, 0, 3660, "21",
            "N  no ghost or ML event starts before day index N"),
    SIM_OPT("ghost-rate", SIM_OPT_REAL, ghost_rate, 0, 1, "0.004",
            "R  ghost events per SKU per day"),
    SIM_OPT("min-ghosts", SIM_OPT_UINT, min_ghosts, 0, 100000, "8",
            "N  at least N ghost events, spread over the run"),
    SIM_OPT("ghost-fix-days", SIM_OPT_UINT, ghost_fix_days, 1, 365, "7",
            "N  a full inventory count fixes a ghost N days after it starts"),
    SIM_OPT("ml-rate", SIM_OPT_REAL, ml_rate, 0, 1, "0.002",
            "R  ML events (price error, demand spike, overstock) per SKU per day; 0: off"),
    SIM_OPT("min-ml", SIM_OPT_UINT, min_ml, 0, 100000, "6",
            "N  at least N of those when --ml-rate > 0, spread over the run"),
    SIM_OPT("ml-fix-days", SIM_OPT_UINT, ml_fix_days, 1, 365, "5",
            "N  a wrong price or an overstock is corrected N days after it starts"),
    SIM_OPT("shelf-fraction", SIM_OPT_REAL, shelf_fraction, 0, 1, "0.1",
            "F  share of SKUs watched by shelf sensors"),
    SIM_OPT("push-forecast", SIM_OPT_FLAG, push_forecast, 0, 0, NULL,
            "publish P/forecast daily: expected units per SKU for the next 7 days"),
    SIM_HEAD("Associates (cycle counts of the daemon's ghost-stock list):"),
    SIM_OPT("associates", SIM_OPT_UINT, associates, 0, 10000, "0",
            "N  after each day's detect, count the top N recommendations; 0: off"),
    SIM_OPT("count-delay-hours", SIM_OPT_UINT, count_delay_hours, 0, 9, "1",
            "H  the counts are made H hours after closing (21:00 + H)"),
    SIM_HEAD("Delivery:"),
    SIM_OPT("max-inflight", SIM_OPT_UINT, max_inflight, 1, 65535, "200",
            "N  QoS 1 messages awaiting PUBACK"),
    SIM_OPT("batch", SIM_OPT_UINT, batch, 1, 100000, "100",
            "N  items per inventory/receipt/shelf/forecast message"),
    SIM_OPT("reply-timeout", SIM_OPT_REAL, reply_timeout, 0.1, 3600, "10",
            "SEC  wait this long for a detect reply (and for PUBACKs)"),
    SIM_OPT("retries", SIM_OPT_UINT, retries, 0, 100000, "30",
            "N  resend an unanswered day N times, then exit 3"),
    SIM_OPT("sleep-ms", SIM_OPT_UINT, sleep_ms, 0, 3600000, "0", "MS  pause between days"),
    SIM_OPT("drain-ms", SIM_OPT_UINT, drain_ms, 0, 3600000, "2000",
            "MS  wait for late anomalies at the end"),
    SIM_HEAD("Output:"),
    SIM_OPT("truth", SIM_OPT_STR, truth_path, 0, 0, NULL, "FILE  injected events, JSON lines"),
    SIM_OPT("report", SIM_OPT_STR, report_path, 0, 0, NULL, "FILE  score report, JSON"),
    SIM_OPT("anomalies", SIM_OPT_STR, anomalies_path, 0, 0, NULL,
            "FILE  every anomaly received, JSON lines"),
    SIM_OPT("features-out", SIM_OPT_STR, features_path, 0, 0, NULL,
            "FILE  each day's ml-features rows with ML-event labels, CSV"),
    SIM_OPT("counts", SIM_OPT_STR, counts_path, 0, 0, NULL,
            "FILE  every cycle count with its ground truth and ack, JSON lines"),
    SIM_OPT("verbose", SIM_OPT_FLAG, verbose, 0, 0, NULL, "print each anomaly as it arrives"),
    SIM_OPT("quiet", SIM_OPT_FLAG, quiet, 0, 0, NULL, "print only the final report"),
    SIM_OPT("help", SIM_OPT_FLAG, help, 0, 0, NULL, "print this text and exit"),
};

#define SIM_N_OPTS (sizeof(sim_opt_specs) / sizeof(sim_opt_specs[0]))

static void sim_usage(FILE *f)
{
        fputs("usage: storesim [options]\n"
              "Plays a simulated store against shelfwatchd over MQTT v5 (QoS 1), keeps the\n"
              "ground truth of the ghost stock and of the anomalies an ML detector should\n"
              "find (price errors, demand spikes, overstock), and scores the daemon's\n"
              "ghost_stock and ml_detected anomalies. Deterministic for a given --seed.\n",
              f);
        for (size_t i = 0; i < SIM_N_OPTS; i++) {
                const struct sim_opt_spec *o = &sim_opt_specs[i];
                if (o->kind == SIM_OPT_HEADING) {
                        fprintf(f, "%s\n", o->name);
                        continue;
                }
                const char *sep = o->kind == SIM_OPT_FLAG ? NULL : strstr(o->help, "  ");
                int arg = sep ? (int)(sep - o->help) : 0;
                fprintf(f, "  --%s%s%-*.*s  %s%s%s%s\n", o->name, arg ? " " : "",
                        22 - (int)strlen(o->name) - (arg ? 1 : 0), arg, o->help,
                        sep ? sep + 2 : o->help, o->def ? " (" : "", o->def ? o->def : "",
                        o->def ? ")" : "");
        }
        fputs("Exit status: 0 ok, 1 other failure, 2 usage, 3 the daemon never answered a\n"
              "detect, 4 broker unreachable. See docs/simulator.md.\n",
              f);
}

/* Store one option value into its field. Returns 0 or -EINVAL. */
static int sim_set_option(struct sim_options *o, const struct sim_opt_spec *spec, const char *arg)
{
        char *field = (char *)o + spec->offset, *end = NULL;
        double v = 0.0;
        if (spec->kind == SIM_OPT_UINT || spec->kind == SIM_OPT_REAL) {
                errno = 0;
                v = spec->kind == SIM_OPT_UINT ? (double)strtoul(arg, &end, 10) : strtod(arg, &end);
                if (errno || end == arg || *end || arg[0] == '-' ||
                    !(v >= spec->lo && v <= spec->hi))
                        return -EINVAL;
        }
        switch (spec->kind) {
        case SIM_OPT_STR:
                *(const char **)(void *)field = arg;
                return 0;
        case SIM_OPT_UINT:
                *(unsigned *)(void *)field = (unsigned)v;
                return 0;
        case SIM_OPT_REAL:
                *(double *)(void *)field = v;
                return 0;
        case SIM_OPT_FLAG:
                *(bool *)field = true;
                return 0;
        case SIM_OPT_DATE:
                o->has_start = true;
                return sw_date_parse(arg, strlen(arg), (sw_day_t *)(void *)field);
        default:
                return -EINVAL;
        }
}

static int sim_parse_args(struct sim_options *o, int argc, char **argv)
{
        struct option longopts[SIM_N_OPTS + 1];
        size_t n = 0;
        *o = (struct sim_options){0};
        for (size_t i = 0; i < SIM_N_OPTS; i++) {
                const struct sim_opt_spec *spec = &sim_opt_specs[i];
                if (spec->kind == SIM_OPT_HEADING)
                        continue;
                if (spec->def)
                        (void)sim_set_option(o, spec, spec->def);
                longopts[n++] =
                    (struct option){spec->name, spec->kind != SIM_OPT_FLAG, NULL, 256 + (int)i};
        }
        longopts[n] = (struct option){0};
        for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
                if (c < 256) /* getopt has already said what is wrong */
                        return -EINVAL;
                const struct sim_opt_spec *spec = &sim_opt_specs[c - 256];
                if (sim_set_option(o, spec, optarg) < 0) {
                        fprintf(stderr, "storesim: bad value for --%s: %s\n", spec->name, optarg);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "storesim: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        o->categories = o->categories < o->skus ? o->categories : o->skus;
        o->verbose = o->verbose && !o->quiet;
        o->reply_timeout_ms = (unsigned)(o->reply_timeout * 1000.0);
        char zone[512];
        snprintf(zone, sizeof(zone), "/usr/share/zoneinfo/%s", o->timezone);
        if (strcmp(o->timezone, "UTC") != 0 && (strstr(o->timezone, "..") || access(zone, R_OK))) {
                fprintf(stderr, "storesim: unknown time zone: %s\n", o->timezone);
                return -EINVAL;
        }
        return 0;
}

/* ---- main ---- */

static int sim_setup(struct sim *s)
{
        char ident[128];
        setenv("TZ", s->opt.timezone, 1);
        tzset();
        if (!s->opt.has_start) {
                time_t now = time(NULL);
                struct tm lt;
                localtime_r(&now, &lt);
                sw_day_t today = sw_days_from_civil(lt.tm_year + 1900, (unsigned)lt.tm_mon + 1,
                                                    (unsigned)lt.tm_mday);
                s->opt.start = today - (sw_day_t)s->opt.days - 1;
        }
        snprintf(s->prefix, sizeof(s->prefix), "%s/%s/%s", s->opt.root, s->opt.tenant,
                 s->opt.store);
        /* The reply topic is private to this process; it does not affect the simulation. */
        snprintf(s->reply_topic, sizeof(s->reply_topic), "%s/sim/reply/%ld-%" PRIx64, s->prefix,
                 (long)getpid(), (uint64_t)sim_now_ms());
        snprintf(s->ack_topic, sizeof(s->ack_topic), "%s/scanner/%s/ack", s->prefix, SIM_SCANNER);
        s->subs = s->opt.associates > 0 ? 3 : 2;
        snprintf(ident, sizeof(ident), "storesim-%.60s-%ld", s->opt.store, (long)getpid());
        sim_seed(&s->rng, s->opt.seed);
        if (sim_init_store(s) < 0 || sim_plan(s) < 0)
                return -ENOMEM;
        if (s->ghost_plan.n == 0 && s->opt.min_ghosts > 0 && !s->opt.quiet)
                fprintf(stderr, "storesim: no ghost events: --days must exceed --warmup + 1\n");
        if (s->opt.anomalies_path && !(s->anomalies_file = fopen(s->opt.anomalies_path, "w")))
                return -errno;
        if (s->opt.features_path) {
                if (!(s->features_file = fopen(s->opt.features_path, "w")))
                        return -errno;
                fprintf(s->features_file, "%s,label\n", sim_features_header);
        }
        if (s->opt.counts_path && !(s->counts_file = fopen(s->opt.counts_path, "w")))
                return -errno;
        s->mosq = mosquitto_new(ident, true, s);
        if (!s->mosq)
                return -ENOMEM;
        mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        mosquitto_connect_v5_callback_set(s->mosq, sim_on_connect);
        mosquitto_disconnect_v5_callback_set(s->mosq, sim_on_disconnect);
        mosquitto_subscribe_v5_callback_set(s->mosq, sim_on_subscribe);
        mosquitto_publish_v5_callback_set(s->mosq, sim_on_publish);
        mosquitto_message_v5_callback_set(s->mosq, sim_on_message);
        return 0;
}

static void sim_free(struct sim *s)
{
        sim_outbox_clear(s);
        if (s->mosq) {
                if (s->connected)
                        mosquitto_disconnect_v5(s->mosq, 0, NULL);
                mosquitto_destroy(s->mosq);
        }
        if (s->anomalies_file)
                fclose(s->anomalies_file);
        if (s->features_file)
                fclose(s->features_file);
        if (s->counts_file)
                fclose(s->counts_file);
        cJSON_Delete(s->reply);
        cJSON_Delete(s->ack);
        free(s->skus);
        free(s->ghost_plan.plans);
        free(s->ml_plan.plans);
        free(s->eps);
        free(s->lines);
        free(s->txns);
        free(s->out);
        free(s->anoms);
}

/* Run the days; returns an exit status. */
static int sim_run(struct sim *s)
{
        if (sim_connect(s, SIM_CONNECT_MS) < 0) {
                fprintf(stderr, "storesim: broker %s:%u unreachable\n", s->opt.host, s->opt.port);
                return SIM_EXIT_NO_BROKER;
        }
        for (unsigned d = 0; d < s->opt.days; d++) {
                sw_day_t day = s->opt.start + (sw_day_t)d;
                char date[11];
                if (sim_build_day(s, d) < 0) {
                        fprintf(stderr, "storesim: out of memory\n");
                        return SIM_EXIT_FAIL;
                }
                size_t msgs = s->n_out;
                int r = sim_deliver_day(s, day + 1);
                sim_outbox_clear(s);
                if (r == -EHOSTUNREACH) {
                        fprintf(stderr, "storesim: broker unreachable\n");
                        return SIM_EXIT_NO_BROKER;
                }
                if (r < 0) {
                        fprintf(stderr, "storesim: daemon never answered detect (%s)\n",
                                strerror(-r));
                        return r == -ETIMEDOUT ? SIM_EXIT_NO_DAEMON : SIM_EXIT_FAIL;
                }
                if (s->features_file && (r = sim_write_features(s, day + 1)) < 0) {
                        if (r == -EHOSTUNREACH || r == -ENOMEM) {
                                fprintf(stderr, "storesim: %s\n",
                                        r == -ENOMEM ? "out of memory" : "broker unreachable");
                                return r == -ENOMEM ? SIM_EXIT_FAIL : SIM_EXIT_NO_BROKER;
                        }
                        sim_date(day + 1, date);
                        const char *why = r == -ETIMEDOUT    ? "no answer in time"
                                          : r == -ECONNRESET ? "lost the broker"
                                          : r == -EBADMSG    ? "unexpected reply"
                                          : r == -EPROTO     ? s->reply_text
                                                             : strerror(-r);
                        fprintf(stderr, "storesim: ml-features as_of %s: %s, skipping that day\n",
                                date, why);
                        s->feature_days_skipped++;
                }
                int counted = 0;
                if (s->opt.associates > 0 && (counted = sim_associates(s, day)) < 0) {
                        if (counted == -EHOSTUNREACH || counted == -ENOMEM) {
                                fprintf(stderr, "storesim: %s\n",
                                        counted == -ENOMEM ? "out of memory"
                                                           : "broker unreachable");
                                return counted == -ENOMEM ? SIM_EXIT_FAIL : SIM_EXIT_NO_BROKER;
                        }
                        sim_date(day + 1, date);
                        fprintf(stderr, "storesim: associates after detect %s: %s\n", date,
                                counted == -ETIMEDOUT    ? "no answer in time"
                                : counted == -ECONNRESET ? "lost the broker"
                                : counted == -EPROTO     ? s->reply_text
                                                         : strerror(-counted));
                        counted = 0;
                }
                if (!s->opt.quiet) {
                        unsigned ghosts = 0, ml = 0;
                        for (unsigned i = 0; i < s->opt.skus; i++) {
                                ghosts += s->skus[i].ghost >= 0;
                                ml += s->skus[i].ml >= 0;
                        }
                        sim_date(day, date);
                        printf("day %u/%u %s: %zu messages, %zu transactions, %u ghosts active, "
                               "%u ML events active, detect ok",
                               d + 1, s->opt.days, date, msgs, s->n_txns, ghosts, ml);
                        if (s->opt.associates > 0)
                                printf(", %d counts", counted);
                        printf("\n");
                        fflush(stdout);
                }
                for (int64_t until = sim_now_ms() + s->opt.sleep_ms; sim_now_ms() < until;)
                        if (sim_pump(s, 50) == -EHOSTUNREACH)
                                return SIM_EXIT_NO_BROKER;
        }
        for (int64_t until = sim_now_ms() + s->opt.drain_ms; sim_now_ms() < until;)
                if (sim_pump(s, 50) == -EHOSTUNREACH)
                        break;
        return 0;
}

int main(int argc, char **argv)
{
        struct sim s = {0};
        if (sim_parse_args(&s.opt, argc, argv) < 0) {
                fprintf(stderr, "Try 'storesim --help'.\n");
                return SIM_EXIT_USAGE;
        }
        if (s.opt.help) {
                sim_usage(stdout);
                return 0;
        }
        mosquitto_lib_init();
        int status, r = sim_setup(&s);
        if (r < 0)
                fprintf(stderr, "storesim: setup failed: %s\n", strerror(-r));
        status = r < 0 ? SIM_EXIT_FAIL : sim_run(&s);
        if (s.opt.truth_path && s.skus && sim_write_truth(&s, s.opt.truth_path) < 0) {
                fprintf(stderr, "storesim: cannot write %s\n", s.opt.truth_path);
                status = status ? status : SIM_EXIT_FAIL;
        }
        if (s.skus && (status == 0 || status == SIM_EXIT_NO_DAEMON)) {
                cJSON *report = sim_score(&s);
                char *text = cJSON_Print(report);
                FILE *f = s.opt.report_path ? fopen(s.opt.report_path, "w") : NULL;
                if (s.opt.report_path && (!f || !text || fprintf(f, "%s\n", text) < 0)) {
                        fprintf(stderr, "storesim: cannot write %s\n", s.opt.report_path);
                        status = status ? status : SIM_EXIT_FAIL;
                }
                if (f)
                        fclose(f);
                free(text);
                cJSON_Delete(report);
        }
        if (s.features_file) {
                bool bad = ferror(s.features_file) != 0;
                if (fclose(s.features_file) != 0 || bad) {
                        fprintf(stderr, "storesim: cannot write %s\n", s.opt.features_path);
                        status = status ? status : SIM_EXIT_FAIL;
                } else if (!s.opt.quiet) {
                        printf("features: %lu rows (%lu labelled 1), %u days skipped, in %s\n",
                               s.feature_rows, s.feature_positives, s.feature_days_skipped,
                               s.opt.features_path);
                }
                s.features_file = NULL;
        }
        sim_free(&s);
        mosquitto_lib_cleanup();
        return status;
}
