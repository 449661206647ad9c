/* storesim.h: internals shared by the files of the store simulator (tools/storesim/). */
#ifndef STORESIM_H
#define STORESIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/rng.h"
#include "core/sw_types.h"
#include "realistic.h"

struct mosquitto;

#define SIM_COUNT_SEC       (7 * 3600)        /* inventory records and cycle counts */
#define SIM_RECEIPT_SEC     (7 * 3600 + 1800) /* deliveries, before opening */
#define SIM_OPEN_SEC        (8 * 3600)
#define SIM_CLOSE_SEC       (21 * 3600)
#define SIM_REGISTERS       4
#define SIM_SENSORS         4
#define SIM_FORECAST_DAYS   7
#define SIM_CONNECT_MS      5000  /* first connection */
#define SIM_RECONNECT_MS    30000 /* a lost connection */
#define SIM_LATE_DELIVERY   0.05  /* share of orders that arrive 3..5 days late */
#define SIM_TOPIC_MAX       512
#define SIM_MAX_CATEGORIES  256
#define SIM_SLOW_RATE       1.0         /* units per day under which a SKU is a slow seller */
#define SIM_ML_WINDOW_DAYS  7           /* the ML features look this many days back */
#define SIM_FEATURES        8           /* values in a row of the ml-features reply */
#define SIM_SCANNER         "handheld1" /* device of the simulated associates' cycle counts */
#define SIM_WEEK_DAYS       7           /* the report's weekly ghost_stock blocks */
#define SIM_MAX_CLOSED_DAYS 16          /* --closed-day given at most this often */

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
        const char *profile;        /* "realistic" (default) or "basic" (the model before it) */
        bool realistic;             /* profile realistic: ghost episodes are material shortfalls */
        const char *nb_mix;         /* weights of NB size r = 1, 2, 5 and Poisson; "off": basic */
        double promo_weeks;         /* mean weeks between a SKU's promotions; 0: none */
        const char *holidays;       /* "us" (Thanksgiving, Black Friday, Christmas) or "none" */
        unsigned closed_weekdays;   /* bit per weekday (Monday = bit 0) the store is closed */
        unsigned closed_days[SIM_MAX_CLOSED_DAYS]; /* --closed-day: day indexes closed */
        unsigned n_closed_days;                    /* how many */
        double register_outages;                   /* register feed outages per week; 0: none */
        unsigned store_outage_days;                /* whole-store POS outages of one day */
        unsigned cat_outage_days;                  /* one-category POS outages of one day */
        double partial_share;       /* share of ghosts that leave some units on the shelf */
        double shrink_rate;         /* unrecorded one-unit losses per SKU per day */
        unsigned material_units;    /* a shortfall is material from this many units ... */
        double material_ratio;      /* ... and this share of the book */
        unsigned shelf_interval;    /* minutes between shelf readings; 0: 10:00, 14:00, 18:00 */
        double false_zero_rate;     /* share of shelf readings that say 0 with units there */
        double missed_reading_rate; /* share of shelf readings that never come */
        double pos_redelivery;      /* share of POS messages published twice */
        unsigned register_price;    /* 1: register price errors are an ML event kind */
        const char *demand_path;    /* --demand: replay this demand file, or NULL */
        const char *traffic_path;   /* --traffic: every message published, or NULL */
        bool print_store_config;    /* print the daemon's store group and exit */
        bool verbose;               /* print each anomaly as it arrives */
        bool quiet;                 /* print only the final report */
        bool help;                  /* --help */
};

/* One SKU: its demand model and its two stock levels. */
struct sim_sku {
        char code[24];          /* SKU code, "SKU0042" */
        unsigned category;      /* index of its category */
        double price;           /* list price */
        double shown_price;     /* list price the store system publishes (wrong in a price error) */
        double rate;            /* base demand, units per day */
        double shape;           /* gamma shape of the demand noise; 0 = plain Poisson */
        int32_t book;           /* book on-hand: what the store system believes */
        int32_t physical;       /* units really in the store */
        int32_t reorder_point;  /* order when book <= this (about 4 days of demand) */
        int32_t order_qty;      /* units per order (about 10 days of demand) */
        bool has_order;         /* an order is on its way */
        sw_day_t order_due;     /* day it arrives, when has_order */
        bool shelf;             /* watched by a shelf sensor */
        int ghost;              /* index of its active ghost episode, or -1 */
        int ml;                 /* index of its active ML episode (price error ...), or -1 */
        sw_day_t ml_clear;      /* first day the ML features no longer see its last ML event */
        sw_day_t ghost_clear;   /* the same for its last ghost */
        unsigned publish;       /* SIM_PUBLISH_* fields of today's 07:00 inventory item (scratch) */
        int stockout;           /* index of its open natural stock-out episode, or -1 */
        int32_t sold;           /* units sold today (scratch) */
        int32_t running;        /* physical stock while walking through today (scratch) */
        double nb_r;            /* realistic demand: negative-binomial size r; 0 = Poisson */
        double mean_demand;     /* mean units a day (replay: over the open days) */
        struct sim_promo promo; /* its promotions (realistic) */
        enum sim_cause cause;   /* why it last lost physical stock */
        bool partial;           /* its last ghost left some units on the shelf */
        sw_day_t fix_day;       /* realistic: the full count of its open ghost episode */
        bool short_today;       /* scratch: materially short at a check of today */
};

/* What happened to a SKU; the last three are the ML events (an Isolation Forest's job). */
enum sim_episode_kind {
        SIM_GHOST,                /* physical stock gone, book unchanged, until a count */
        SIM_STOCKOUT,             /* natural stock-out: book = physical = 0 */
        SIM_PRICE_ERROR,          /* a wrong list price published, corrected later */
        SIM_DEMAND_SPIKE,         /* demand multiplied for a few days */
        SIM_OVERSTOCK,            /* a huge receipt for a slow seller, sent back later */
        SIM_REGISTER_PRICE_ERROR, /* the registers charge a wrong price for a few days */
        SIM_KINDS
};

#define SIM_KIND(k) (1u << (k))
#define SIM_ML_KINDS                                                                               \
        (SIM_KIND(SIM_PRICE_ERROR) | SIM_KIND(SIM_DEMAND_SPIKE) | SIM_KIND(SIM_OVERSTOCK) |        \
         SIM_KIND(SIM_REGISTER_PRICE_ERROR))

/* Ground-truth names of the kinds ("kind" in the --truth file); truth.c. */
extern const char *const sim_kind_names[SIM_KINDS];
/* Days after an episode's end that the detectors' inputs still show it; truth.c. */
extern const sw_day_t sim_kind_after[SIM_KINDS];
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
        enum sim_cause cause;       /* ghost (realistic): theft, damage or shrink */
        bool partial;               /* ghost (realistic): units were left when it started */
        bool total;                 /* ghost (realistic): the shelf was empty at some time */
        int32_t lost;               /* ghost (realistic): shortfall (book - physical) at start */
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

/* A stream of random numbers. */
struct sim_rng {
        struct sw_xoshiro x; /* xoshiro256** seeded by splitmix64 (core/rng.h) */
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
        int sku_index;                /* index of its SKU, -1 when not one of ours */
        int first_severity;           /* sw severity of the first version received */
        int max_severity;             /* highest severity of any version */
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
        struct sim_options opt;           /* command line */
        struct sim_rng rng;               /* the store: stock, demand, ghosts */
        struct sim_rng ml_rng;            /* ML events, so they leave the ghost plan alone */
        char prefix[256];                 /* "{root}/{tenant}/{store}" */
        struct sim_sku *skus;             /* opt.skus SKUs */
        struct sim_schedule ghost_plan;   /* planned ghost events */
        struct sim_schedule ml_plan;      /* planned ML events */
        struct sim_episode *eps;          /* ghosts and stock-outs so far */
        size_t n_eps, cap_eps;            /* used, allocated */
        struct sim_line *lines;           /* today's POS lines */
        size_t n_lines, cap_lines;        /* used, allocated */
        struct sim_txn *txns;             /* today's transactions */
        size_t n_txns, cap_txns;          /* used, allocated */
        struct sim_msg *out;              /* today's outbox */
        size_t n_out, cap_out;            /* used, allocated */
        struct sim_anomaly *anoms;        /* anomalies received, one per id */
        size_t n_anoms, cap_anoms;        /* used, allocated */
        struct mosquitto *mosq;           /* broker connection */
        bool connected;                   /* CONNACK received and not lost since */
        int subacks;                      /* SUBACKs since the last CONNACK */
        int subs;                         /* subscriptions made on each CONNACK */
        long inflight;                    /* QoS 1 publishes without PUBACK */
        int64_t last_ack_ms;              /* monotonic time of the last PUBACK */
        char reply_topic[SIM_TOPIC_MAX];  /* our private response topic */
        char corr[64];                    /* correlation data of the pending command */
        int reply_state;                  /* 0 waiting, 1 ok, -1 error reply */
        char reply_text[256];             /* start of the last reply */
        cJSON *reply;                     /* the last reply, parsed (NULL if not JSON) */
        char ack_topic[SIM_TOPIC_MAX];    /* P/scanner/SIM_SCANNER/ack */
        char ack_id[200];                 /* id of the cycle count awaiting its ack */
        cJSON *ack;                       /* that ack, parsed, once it came (else NULL) */
        FILE *counts_file;                /* --counts, or NULL */
        struct sim_counts counts;         /* the associates' tallies */
        FILE *anomalies_file;             /* --anomalies, or NULL */
        FILE *features_file;              /* --features-out, or NULL */
        unsigned long feature_rows;       /* rows written to it */
        char features_names[512];         /* the daemon's feature names, joined with ',': the
                                             file's header ("" until the first reply) */
        unsigned long feature_positives;  /* of those, labelled 1 */
        unsigned feature_days_skipped;    /* days without rows: no or a bad ml-features reply */
        bool has_as_of;                   /* some detect succeeded */
        sw_day_t last_as_of;              /* as_of of the last successful detect */
        unsigned long published;          /* messages published, resends included */
        unsigned long resends;            /* days resent */
        unsigned long units_sold;         /* total units sold */
        struct sim_rng promo_rng;         /* promotions */
        struct sim_rng loss_rng;          /* partial ghosts, causes and shrink */
        struct sim_rng noise_rng;         /* sensor noise and POS redelivery */
        struct sim_rng outage_rng;        /* POS feed outages */
        uint8_t *flags;                   /* skus x days SIM_F_* bits, by SKU then day */
        bool *closed;                     /* days: the store is closed */
        double *day_factor;               /* days: calendar demand multiplier (Black Friday) */
        unsigned open_days;               /* days the store is open */
        struct sim_outage *outages;       /* planned POS feed outages */
        size_t n_outages, cap_outages;    /* used, allocated */
        struct sim_demand demand;         /* --demand file */
        char (*cat_names)[32];            /* category names of the replay, or NULL */
        unsigned *by_code;                /* SKU indexes sorted by code */
        FILE *traffic_file;               /* --traffic, or NULL */
        unsigned long ghost_injections;   /* ghosts injected (realistic: losses planned) */
        unsigned long partial_injections; /* of those, partial */
        unsigned long shrink_units;       /* unrecorded one-unit losses */
        unsigned long false_zeros;        /* shelf readings of 0 with units there */
        unsigned long missed_readings;    /* shelf readings left out */
        unsigned long redelivered;        /* POS messages published a second time */
        unsigned long promotions;         /* promotions started */
};

/* rng.c: random numbers (xoshiro256** seeded by splitmix64). */
void sim_seed(struct sim_rng *rng, uint64_t seed);
double sim_uniform(struct sim_rng *rng);
double sim_between(struct sim_rng *rng, double lo, double hi);
unsigned sim_below(struct sim_rng *rng, unsigned n);
double sim_normal(struct sim_rng *rng);
double sim_gamma(struct sim_rng *rng, double shape);
int32_t sim_poisson(struct sim_rng *rng, double lambda);

/* clock.c: the monotonic clock and store-local dates. */
int64_t sim_now_ms(void);
double sim_weekday(sw_day_t day);
void sim_date(sw_day_t day, char buf[11]);
int sim_local_ts(sw_day_t day, unsigned secs, char *buf, size_t size);

/* store.c: SKUs, prices, stock and demand. */
int sim_reserve(void **array, size_t *cap, size_t need, size_t elem);
#define SIM_PUSH(arr, n, cap) sim_reserve((void **)&(arr), &(cap), (n) + 1, sizeof(*(arr)))
const char *sim_category(const struct sim *s, unsigned c, char buf[32]);
double sim_cents(double v);
double sim_wrong_price(const struct sim_sku *k, double factor);
int sim_init_store(struct sim *s);
int sim_sell(struct sim *s, sw_day_t day);
int sim_group(struct sim *s);
int sim_index_codes(struct sim *s);
int sim_sku_index(const struct sim *s, const char *code);

/* events.c: ghost and ML events. */
int sim_plan(struct sim *s);
int sim_add_episode(struct sim *s, enum sim_episode_kind kind, unsigned sku, sw_day_t start,
                    sw_day_t end);
int sim_start_ghost(struct sim *s, unsigned want, sw_day_t day);
struct sim_episode *sim_ml_episode(struct sim *s, const struct sim_sku *k,
                                   enum sim_episode_kind kind);
int sim_start_ml(struct sim *s, sw_day_t day);
void sim_end_ml(struct sim *s, sw_day_t day);

/* outbox.c: the day's messages. */
int sim_emit(struct sim *s, const char *suffix, cJSON *obj);
void sim_outbox_clear(struct sim *s);
void sim_batch_begin(struct sim_batch *b, const char *suffix, const char *array, const char *ts,
                     const char *id_stem);
int sim_batch_flush(struct sim *s, struct sim_batch *b);
cJSON *sim_batch_item(struct sim *s, struct sim_batch *b);

/* day.c, morning.c: one simulated day. */
int sim_build_day(struct sim *s, unsigned d);
int sim_morning(struct sim *s, unsigned d, sw_day_t day, const char *stem);

/* mqtt.c: the broker link and the commands to shelfwatchd. */
const char *sim_json_str(const cJSON *j, const char *name);
double sim_json_num(const cJSON *j, const char *name);
void sim_set_callbacks(struct mosquitto *m);
int sim_connect(struct sim *s, unsigned patience_ms);
int sim_pump(struct sim *s, int timeout_ms);
int sim_command_payload(struct sim *s, const char *name, const char *payload, const char *corr);
int sim_command(struct sim *s, const char *name, sw_day_t as_of, const char *corr);
int sim_deliver_day(struct sim *s, sw_day_t as_of);

/* associates.c: cycle counts of the ghost-stock list. */
int sim_associates(struct sim *s, sw_day_t day);

/* truth.c: the ground truth. */
int sim_write_truth(const struct sim *s, const char *path);
bool sim_matches(const struct sim *s, const struct sim_episode *e, const char *sku, sw_day_t day);
const struct sim_episode *sim_find_episode(const struct sim *s, unsigned kinds, const char *sku,
                                           sw_day_t day);

/* features.c: --features-out. */
int sim_write_features(struct sim *s, sw_day_t as_of);

/* score.c, score_more.c: the report. */
cJSON *sim_score(const struct sim *s);
void sim_score_more(const struct sim *s, cJSON *report, cJSON *types);
bool sim_alert_true(const struct sim *s, const struct sim_anomaly *a, int type);
void sim_storms_json(const struct sim *s, cJSON *report);
void sim_store_json(const struct sim *s, cJSON *report);

/* options.c: the command line. */
int sim_parse_args(struct sim_options *o, int argc, char **argv);
void sim_usage(FILE *f);

#endif
