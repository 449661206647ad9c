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
        bool verbose;               /* print each anomaly as it arrives */
        bool quiet;                 /* print only the final report */
        bool help;                  /* --help */
};

/* One SKU: its demand model and its two stock levels. */
struct sim_sku {
        char code[24];         /* SKU code, "SKU0042" */
        unsigned category;     /* index of its category */
        double price;          /* list price */
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
        int stockout;          /* index of its open natural stock-out episode, or -1 */
        int32_t sold;          /* units sold today (scratch) */
        int32_t running;       /* physical stock while walking through today (scratch) */
};

enum sim_episode_kind { SIM_GHOST, SIM_STOCKOUT };

/* A ghost (physical 0, book > 0) or a natural stock-out (both 0) of one SKU. */
struct sim_episode {
        enum sim_episode_kind kind; /* which of the two */
        unsigned sku;               /* index of the SKU */
        sw_day_t start;             /* first day without physical stock */
        sw_day_t end;               /* ghost: day of the fixing count; stock-out: last empty day */
        int32_t book;               /* book on-hand when it started */
        bool closed;                /* ended within the run */
};

/* A ghost event planned at start-up: day and preferred SKU. */
struct sim_plan {
        sw_day_t day; /* day it starts */
        unsigned sku; /* SKU it hits if still eligible */
        unsigned seq; /* tie-break so sorting is stable */
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
        struct sim_options opt;               /* command line */
        uint64_t rng[4];                      /* xoshiro256** state */
        char prefix[256];                     /* "{root}/{tenant}/{store}" */
        struct sim_sku *skus;                 /* opt.skus SKUs */
        struct sim_plan *plans;               /* planned ghost events, by day */
        size_t n_plans, cap_plans, next_plan; /* used, allocated, next to start */
        struct sim_episode *eps;              /* ghosts and stock-outs so far */
        size_t n_eps, cap_eps;                /* used, allocated */
        struct sim_line *lines;               /* today's POS lines */
        size_t n_lines, cap_lines;            /* used, allocated */
        struct sim_txn *txns;                 /* today's transactions */
        size_t n_txns, cap_txns;              /* used, allocated */
        struct sim_msg *out;                  /* today's outbox */
        size_t n_out, cap_out;                /* used, allocated */
        struct sim_anomaly *anoms;            /* anomalies received, one per id */
        size_t n_anoms, cap_anoms;            /* used, allocated */
        struct mosquitto *mosq;               /* broker connection */
        bool connected;                       /* CONNACK received and not lost since */
        int subacks;                          /* SUBACKs since the last CONNACK */
        long inflight;                        /* QoS 1 publishes without PUBACK */
        int64_t last_ack_ms;                  /* monotonic time of the last PUBACK */
        char reply_topic[SIM_TOPIC_MAX];      /* our private response topic */
        char corr[64];                        /* correlation data of the pending detect */
        int reply_state;                      /* 0 waiting, 1 ok, -1 error reply */
        char reply_text[256];                 /* start of the last reply */
        FILE *anomalies_file;                 /* --anomalies, or NULL */
        bool has_as_of;                       /* some detect succeeded */
        sw_day_t last_as_of;                  /* as_of of the last successful detect */
        unsigned long published;              /* messages published, resends included */
        unsigned long resends;                /* days resent */
        unsigned long units_sold;             /* total units sold */
};

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

static uint64_t sim_rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static void sim_seed(struct sim *s, uint64_t seed)
{
        for (int i = 0; i < 4; i++) {
                uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                s->rng[i] = z ^ (z >> 31);
        }
}

static uint64_t sim_next(struct sim *s)
{
        uint64_t *r = s->rng, result = sim_rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
        r[2] ^= r[0];
        r[3] ^= r[1];
        r[1] ^= r[2];
        r[0] ^= r[3];
        r[2] ^= t;
        r[3] = sim_rotl(r[3], 45);
        return result;
}

/* Uniform in [0, 1). */
static double sim_uniform(struct sim *s)
{
        return (double)(sim_next(s) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0. */
static unsigned sim_below(struct sim *s, unsigned n)
{
        return (unsigned)(sim_uniform(s) * n);
}

static double sim_normal(struct sim *s)
{
        double u1 = 1.0 - sim_uniform(s), u2 = sim_uniform(s);
        return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape, 1) by Marsaglia and Tsang. */
static double sim_gamma(struct sim *s, double shape)
{
        if (shape < 1.0)
                return sim_gamma(s, shape + 1.0) * pow(1.0 - sim_uniform(s), 1.0 / shape);
        double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
        for (;;) {
                double x = sim_normal(s), v = 1.0 + c * x;
                if (v <= 0.0)
                        continue;
                v = v * v * v;
                double u = 1.0 - sim_uniform(s);
                if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
                        return d * v;
        }
}

/* Poisson by Knuth's product method, in slices of 30 to keep exp() away from underflow. */
static int32_t sim_poisson(struct sim *s, double lambda)
{
        int32_t n = 0;
        while (lambda > 0.0) {
                double slice = lambda > 30.0 ? 30.0 : lambda, limit = exp(-slice), p = 1.0;
                lambda -= slice;
                for (;;) {
                        p *= sim_uniform(s);
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

static int sim_init_store(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        double level[SIM_MAX_CATEGORIES];
        s->skus = calloc(o->skus, sizeof(*s->skus));
        if (!s->skus)
                return -ENOMEM;
        for (unsigned c = 0; c < o->categories; c++)
                level[c] = 0.6 * sim_normal(s);
        int width = o->skus > 10000 ? 6 : 4;
        for (unsigned i = 0; i < o->skus; i++) {
                struct sim_sku *k = &s->skus[i];
                snprintf(k->code, sizeof(k->code), "SKU%0*u", width, i + 1);
                k->category = sim_below(s, o->categories);
                double p = exp(log(6.0) + level[k->category] + 0.9 * sim_normal(s));
                p = fmin(200.0, fmax(0.5, p));
                k->price = floor(p * 100.0 + 0.5) / 100.0;
                double r = exp(log(2.0) - 0.35 * log(k->price / 6.0) + 1.1 * sim_normal(s));
                k->rate = fmin(40.0, fmax(0.1, r));
                k->shape = sim_uniform(s) < 0.25 ? 2.0 + 6.0 * sim_uniform(s) : 0.0;
                k->reorder_point = (int32_t)fmax(1.0, ceil(4.0 * k->rate));
                k->order_qty = (int32_t)fmax(2.0, ceil(10.0 * k->rate));
                k->book = k->reorder_point + 1 + (int32_t)sim_below(s, (unsigned)k->order_qty);
                k->physical = k->book;
                k->shelf = sim_uniform(s) < o->shelf_fraction;
                k->ghost = -1;
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

/* Draw the ghost events of the whole run up front, topping up to --min-ghosts. */
static int sim_plan_ghosts(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        sw_day_t first = o->start + (sw_day_t)o->warmup, last = o->start + (sw_day_t)o->days - 2;
        if (first > last)
                return 0;
        for (sw_day_t d = first; d <= last; d++)
                for (unsigned i = 0; i < o->skus; i++) {
                        if (sim_uniform(s) >= o->ghost_rate)
                                continue;
                        if (SIM_PUSH(s->plans, s->n_plans, s->cap_plans) < 0)
                                return -ENOMEM;
                        s->plans[s->n_plans] = (struct sim_plan){d, i, (unsigned)s->n_plans};
                        s->n_plans++;
                }
        size_t extra = o->min_ghosts > s->n_plans ? o->min_ghosts - s->n_plans : 0;
        int64_t span = last - first + 1;
        for (size_t k = 0; k < extra; k++) {
                if (SIM_PUSH(s->plans, s->n_plans, s->cap_plans) < 0)
                        return -ENOMEM;
                sw_day_t d = first + (sw_day_t)((int64_t)(2 * k + 1) * span / (int64_t)(2 * extra));
                s->plans[s->n_plans] =
                    (struct sim_plan){d, sim_below(s, o->skus), (unsigned)s->n_plans};
                s->n_plans++;
        }
        qsort(s->plans, s->n_plans, sizeof(*s->plans), sim_plan_cmp);
        return 0;
}

static int sim_add_episode(struct sim *s, enum sim_episode_kind kind, unsigned sku, sw_day_t start,
                           sw_day_t end)
{
        if (SIM_PUSH(s->eps, s->n_eps, s->cap_eps) < 0)
                return -ENOMEM;
        s->eps[s->n_eps] = (struct sim_episode){kind, sku, start, end, s->skus[sku].book, false};
        return (int)s->n_eps++;
}

/* A ghost needs stock the book agrees with, above the reorder point and no order pending. */
static bool sim_ghost_eligible(const struct sim_sku *k)
{
        return k->ghost < 0 && !k->has_order && k->physical == k->book &&
               k->book > k->reorder_point;
}

/* Theft, damage or misplacement overnight: physical stock gone, book unchanged. */
static int sim_start_ghost(struct sim *s, unsigned want, sw_day_t day)
{
        unsigned n = s->opt.skus, off = sim_below(s, n), i = want;
        for (unsigned k = 0; !sim_ghost_eligible(&s->skus[i]); k++) {
                if (k == n)
                        return 0; /* nothing eligible today: the event is dropped */
                i = (off + k) % n;
        }
        int e = sim_add_episode(s, SIM_GHOST, i, day, day + (sw_day_t)s->opt.ghost_fix_days);
        if (e < 0)
                return e;
        s->skus[i].physical = 0;
        s->skus[i].ghost = e;
        return 0;
}

/* Sold units as POS lines of 1..3 units. */
static int sim_sell(struct sim *s, sw_day_t day)
{
        double factor = sim_weekday(day) * exp(0.08 * sim_normal(s)); /* store-wide day noise */
        s->n_lines = 0;
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                double lambda = k->rate * factor;
                if (k->shape > 0.0)
                        lambda *= sim_gamma(s, k->shape) / k->shape;
                int32_t demand = sim_poisson(s, lambda);
                k->sold = demand < k->physical ? demand : k->physical;
                for (int32_t left = k->sold; left > 0;) {
                        int32_t q = sim_uniform(s) < 0.7 ? 1 : 2 + (int32_t)sim_below(s, 2);
                        q = q < left ? q : left;
                        if (SIM_PUSH(s->lines, s->n_lines, s->cap_lines) < 0)
                                return -ENOMEM;
                        s->lines[s->n_lines++] = (struct sim_line){i, q};
                        left -= q;
                }
                s->units_sold += (unsigned long)k->sold;
        }
        for (size_t i = s->n_lines; i > 1; i--) { /* Fisher-Yates */
                size_t j = sim_below(s, (unsigned)i);
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
                unsigned n = 1 + sim_below(s, 5);
                if (n > s->n_lines - first)
                        n = (unsigned)(s->n_lines - first);
                if (SIM_PUSH(s->txns, s->n_txns, s->cap_txns) < 0)
                        return -ENOMEM;
                s->txns[s->n_txns] = (struct sim_txn){
                    .secs = SIM_OPEN_SEC + sim_below(s, SIM_CLOSE_SEC - SIM_OPEN_SEC),
                    .seq = (unsigned)s->n_txns,
                    .first = (unsigned)first,
                    .n = n,
                    .register_no = 1 + sim_below(s, SIM_REGISTERS)};
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
                        cJSON_AddNumberToObject(it, "units", floor(units * 100.0 + 0.5) / 100.0);
                }
        return sim_batch_flush(s, &b);
}

/* Morning: book records (day 0) and fixing counts, new ghosts, deliveries, stock-out bookkeeping.
 */
static int sim_morning(struct sim *s, unsigned d, sw_day_t day, const char *stem)
{
        struct sim_batch b;
        char ts[40], rstem[176], cat[32];
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
                }
                if (d != 0 && !fix)
                        continue;
                cJSON *it = sim_batch_item(s, &b);
                if (!it)
                        return -ENOMEM;
                cJSON_AddStringToObject(it, "sku", k->code);
                cJSON_AddNumberToObject(it, "on_hand", k->book);
                if (d == 0) {
                        cJSON_AddNumberToObject(it, "price", k->price);
                        cJSON_AddStringToObject(it, "category", sim_category(k->category, cat));
                }
        }
        if (sim_batch_flush(s, &b) < 0)
                return -ENOMEM;
        for (; s->next_plan < s->n_plans && s->plans[s->next_plan].day <= day; s->next_plan++)
                if (sim_start_ghost(s, s->plans[s->next_plan].sku, day) < 0)
                        return -ENOMEM;
        if (sim_local_ts(day, SIM_RECEIPT_SEC, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(rstem, sizeof(rstem), "%s-r", stem);
        sim_batch_begin(&b, "receipt", "lines", ts, rstem);
        for (unsigned i = 0; i < s->opt.skus; i++) {
                struct sim_sku *k = &s->skus[i];
                if (k->has_order && k->order_due == day) {
                        k->has_order = false;
                        k->book += k->order_qty;
                        k->physical += k->order_qty;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", k->code);
                        cJSON_AddNumberToObject(it, "qty", k->order_qty);
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
                unsigned lead = 1 + sim_below(s, 2);
                if (sim_uniform(s) < SIM_LATE_DELIVERY)
                        lead += 3 + sim_below(s, 3);
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
        cJSON_Delete(j);
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

static void sim_on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                           const mosquitto_property *props)
{
        struct sim *s = obj;
        (void)m;
        if (strcmp(msg->topic, s->reply_topic) == 0)
                sim_on_reply(s, msg, props);
        else
                sim_on_anomaly(s, msg);
}

/* Connect (or reconnect) and wait for CONNACK and both SUBACKs. 0 or -EHOSTUNREACH. */
static int sim_connect(struct sim *s, unsigned patience_ms)
{
        int64_t deadline = sim_now_ms() + patience_ms;
        for (;;) {
                s->connected = false;
                if (mosquitto_connect_bind_v5(s->mosq, s->opt.host, (int)s->opt.port, 30, NULL,
                                              NULL) == MOSQ_ERR_SUCCESS) {
                        int64_t wait = sim_now_ms() + 5000;
                        while (sim_now_ms() < wait && !(s->connected && s->subacks >= 2))
                                if (mosquitto_loop(s->mosq, 100, 1) != MOSQ_ERR_SUCCESS)
                                        break;
                        if (s->connected && s->subacks >= 2)
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

/* Ask the daemon to run its detectors as of as_of and wait for {"ok":true}. */
static int sim_detect(struct sim *s, sw_day_t as_of, unsigned attempt)
{
        char topic[SIM_TOPIC_MAX], date[11], payload[40];
        mosquitto_property *props = NULL;
        int r;
        sim_date(as_of, date);
        snprintf(topic, sizeof(topic), "%s/cmd/detect", s->prefix);
        snprintf(payload, sizeof(payload), "{\"as_of\":\"%s\"}", date);
        snprintf(s->corr, sizeof(s->corr), "%s-%u", date, attempt);
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

/* ---- results ---- */

static int sim_write_truth(const struct sim *s, const char *path)
{
        FILE *f = fopen(path, "w");
        char start[11], end[11], cat[32];
        if (!f)
                return -errno;
        for (size_t i = 0; i < s->n_eps; i++) {
                const struct sim_episode *e = &s->eps[i];
                if (e->kind != SIM_GHOST)
                        continue;
                const struct sim_sku *k = &s->skus[e->sku];
                sim_date(e->start, start);
                sim_date(e->end, end);
                fprintf(f,
                        "{\"sku\":\"%s\",\"category\":\"%s\",\"start\":\"%s\",\"end\":\"%s\","
                        "\"on_hand_book\":%" PRId32 ",\"price\":%.2f,\"fixed\":%s}\n",
                        k->code, sim_category(k->category, cat), start, end, e->book, k->price,
                        e->closed ? "true" : "false");
        }
        return fclose(f) == 0 ? 0 : -EIO;
}

/* The episode of this kind active on day for the SKU code, or NULL. */
static const struct sim_episode *sim_find_episode(const struct sim *s, enum sim_episode_kind kind,
                                                  const char *sku, sw_day_t day)
{
        for (size_t i = 0; i < s->n_eps; i++) {
                const struct sim_episode *e = &s->eps[i];
                if (e->kind == kind && e->start <= day && day <= e->end &&
                    strcmp(s->skus[e->sku].code, sku) == 0)
                        return e;
        }
        return NULL;
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

/* Score ghost_stock anomalies against the ground truth; print and return the report. */
static cJSON *sim_score(const struct sim *s)
{
        unsigned tp = 0, fp = 0, fp_stockout = 0, events = 0, scored = 0, found = 0;
        unsigned stockouts = 0, by_type[SW_ANOMALY_TYPE_COUNT] = {0};
        double delay_sum = 0.0, *delays = calloc(s->n_eps + 1, sizeof(double));
        const char *ghost = sw_anomaly_type_name(SW_ANOMALY_GHOST_STOCK);
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                        by_type[t] += strcmp(a->type, sw_anomaly_type_name(t)) == 0;
                if (strcmp(a->type, ghost) != 0)
                        continue;
                bool hit = sim_find_episode(s, SIM_GHOST, a->sku, a->first_as_of - 1);
                tp += hit;
                fp += !hit;
                fp_stockout +=
                    !hit && sim_find_episode(s, SIM_STOCKOUT, a->sku, a->first_as_of - 1);
        }
        for (size_t e = 0; e < s->n_eps; e++) {
                const struct sim_episode *g = &s->eps[e];
                stockouts += g->kind == SIM_STOCKOUT;
                events += g->kind == SIM_GHOST;
                if (g->kind != SIM_GHOST || !s->has_as_of || g->start >= s->last_as_of)
                        continue;
                scored++;
                sw_day_t first = INT32_MAX; /* first as_of of a matching anomaly */
                for (size_t i = 0; i < s->n_anoms; i++) {
                        const struct sim_anomaly *a = &s->anoms[i];
                        sw_day_t seen = a->first_as_of - 1;
                        if (strcmp(a->type, ghost) == 0 && g->start <= seen && seen <= g->end &&
                            strcmp(a->sku, s->skus[g->sku].code) == 0 && a->first_as_of < first)
                                first = a->first_as_of;
                }
                if (first != INT32_MAX && delays) {
                        delays[found++] = first - g->start;
                        delay_sum += first - g->start;
                }
        }
        if (delays)
                qsort(delays, found, sizeof(double), sim_cmp_double);
        double precision = tp + fp ? (double)tp / (tp + fp) : 0.0;
        double recall = scored ? (double)found / scored : 0.0;
        double mean = found ? delay_sum / found : 0.0;
        double median = found ? (delays[(found - 1) / 2] + delays[found / 2]) / 2.0 : 0.0;
        double sku_days = (double)s->opt.skus * s->opt.days;
        char start[11], last[11] = "-";
        free(delays);
        sim_date(s->opt.start, start);
        if (s->has_as_of)
                sim_date(s->last_as_of, last);

        printf("storesim report: seed %u, %u SKUs, %u days from %s, last as_of %s\n"
               "  messages published %lu (days resent %lu), units sold %lu\n"
               "  ghost events %u (%u scored), natural stock-outs %u\n"
               "  ghost_stock anomalies %u: true positives %u, false positives %u"
               " (%u during real stock-outs, %.2f per 1000 SKU-days)\n"
               "  ghost_stock precision %.3f, recall %.3f (%u/%u), delay mean %.2f median %.1f"
               " days\n  anomalies by type:",
               s->opt.seed, s->opt.skus, s->opt.days, start, last, s->published, s->resends,
               s->units_sold, events, scored, stockouts, tp + fp, tp, fp, fp_stockout,
               1000.0 * fp / sku_days, precision, recall, found, scored, mean, median);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                printf(" %s %u", sw_anomaly_type_name(t), by_type[t]);
        printf("\n");

        cJSON *r = cJSON_CreateObject(), *types = cJSON_CreateObject(), *g = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", s->opt.seed);
        cJSON_AddStringToObject(r, "start", start);
        cJSON_AddNumberToObject(r, "days", s->opt.days);
        cJSON_AddNumberToObject(r, "skus", s->opt.skus);
        cJSON_AddItemToObject(r, "last_as_of",
                              s->has_as_of ? cJSON_CreateString(last) : cJSON_CreateNull());
        cJSON_AddNumberToObject(r, "messages_published", (double)s->published);
        cJSON_AddNumberToObject(r, "days_resent", (double)s->resends);
        cJSON_AddNumberToObject(r, "units_sold", (double)s->units_sold);
        cJSON_AddNumberToObject(r, "ghost_events", events);
        cJSON_AddNumberToObject(r, "natural_stockouts", stockouts);
        cJSON_AddNumberToObject(r, "anomalies", (double)s->n_anoms);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                if (t != SW_ANOMALY_GHOST_STOCK)
                        cJSON_AddNumberToObject(
                            cJSON_AddObjectToObject(types, sw_anomaly_type_name(t)), "detected",
                            by_type[t]);
        cJSON_AddItemToObject(types, ghost, g);
        cJSON_AddNumberToObject(g, "detected", tp + fp);
        cJSON_AddNumberToObject(g, "true_positives", tp);
        cJSON_AddNumberToObject(g, "false_positives", fp);
        cJSON_AddNumberToObject(g, "false_positives_during_stockout", fp_stockout);
        cJSON_AddNumberToObject(g, "false_positives_per_1000_sku_days", 1000.0 * fp / sku_days);
        sim_add_stat(g, "precision", tp + fp > 0, precision);
        cJSON_AddNumberToObject(g, "events", scored);
        cJSON_AddNumberToObject(g, "events_detected", found);
        sim_add_stat(g, "recall", scored > 0, recall);
        sim_add_stat(g, "mean_detection_delay_days", found > 0, mean);
        sim_add_stat(g, "median_detection_delay_days", found > 0, median);
        cJSON_AddItemToObject(r, "types", types);
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
    SIM_OPT("warmup", SIM_OPT_UINT, warmup, 0, 3660, "21", "N  no ghost starts before day index N"),
    SIM_OPT("ghost-rate", SIM_OPT_REAL, ghost_rate, 0, 1, "0.004",
            "R  ghost events per SKU per day"),
    SIM_OPT("min-ghosts", SIM_OPT_UINT, min_ghosts, 0, 100000, "8",
            "N  at least N ghost events, spread over the run"),
    SIM_OPT("ghost-fix-days", SIM_OPT_UINT, ghost_fix_days, 1, 365, "7",
            "N  a full inventory count fixes a ghost N days after it starts"),
    SIM_OPT("shelf-fraction", SIM_OPT_REAL, shelf_fraction, 0, 1, "0.1",
            "F  share of SKUs watched by shelf sensors"),
    SIM_OPT("push-forecast", SIM_OPT_FLAG, push_forecast, 0, 0, NULL,
            "publish P/forecast daily: expected units per SKU for the next 7 days"),
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
    SIM_OPT("truth", SIM_OPT_STR, truth_path, 0, 0, NULL, "FILE  ghost events, JSON lines"),
    SIM_OPT("report", SIM_OPT_STR, report_path, 0, 0, NULL, "FILE  score report, JSON"),
    SIM_OPT("anomalies", SIM_OPT_STR, anomalies_path, 0, 0, NULL,
            "FILE  every anomaly received, JSON lines"),
    SIM_OPT("verbose", SIM_OPT_FLAG, verbose, 0, 0, NULL, "print each anomaly as it arrives"),
    SIM_OPT("quiet", SIM_OPT_FLAG, quiet, 0, 0, NULL, "print only the final report"),
    SIM_OPT("help", SIM_OPT_FLAG, help, 0, 0, NULL, "print this text and exit"),
};

#define SIM_N_OPTS (sizeof(sim_opt_specs) / sizeof(sim_opt_specs[0]))

static void sim_usage(FILE *f)
{
        fputs("usage: storesim [options]\n"
              "Plays a simulated store against shelfwatchd over MQTT v5 (QoS 1), keeps the\n"
              "ground truth of ghost-stock events and scores the daemon's ghost_stock\n"
              "anomalies. Deterministic for a given --seed.\n",
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
        snprintf(ident, sizeof(ident), "storesim-%.60s-%ld", s->opt.store, (long)getpid());
        sim_seed(s, s->opt.seed);
        if (sim_init_store(s) < 0 || sim_plan_ghosts(s) < 0)
                return -ENOMEM;
        if (s->n_plans == 0 && s->opt.min_ghosts > 0 && !s->opt.quiet)
                fprintf(stderr, "storesim: no ghost events: --days must exceed --warmup + 1\n");
        if (s->opt.anomalies_path && !(s->anomalies_file = fopen(s->opt.anomalies_path, "w")))
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
        free(s->skus);
        free(s->plans);
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
                if (!s->opt.quiet) {
                        unsigned ghosts = 0;
                        for (unsigned i = 0; i < s->opt.skus; i++)
                                ghosts += s->skus[i].ghost >= 0;
                        sim_date(day, date);
                        printf("day %u/%u %s: %zu messages, %zu transactions, %u ghosts active, "
                               "detect ok\n",
                               d + 1, s->opt.days, date, msgs, s->n_txns, ghosts);
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
        sim_free(&s);
        mosquitto_lib_cleanup();
        return status;
}
