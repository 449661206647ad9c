/* realistic.h: the realistic store's parts (calendar, demand, outages, losses, sensor noise). */
#ifndef STORESIM_REALISTIC_H
#define STORESIM_REALISTIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/sw_types.h"

#define SIM_NB_SIZES       4    /* r = 1, 2, 5 and Poisson */
#define SIM_BLACK_FRIDAY   2.5  /* demand multiplier of the day after Thanksgiving */
#define SIM_MAX_HOLIDAYS   366  /* the daemon's store.holidays limit */
#define SIM_REPLAY_GHOSTS  "60" /* --min-ghosts of a --demand replay */
#define SIM_MATTER_DAYS    3    /* an episode that matters lasts at least this many days ... */
#define SIM_MATTER_DEMAND  0.5  /* ... on a SKU selling at least this many units a day */
#define SIM_DEMAND_MAX_SKU 100000

/* Bits of a SKU-day in sim.flags: what was true on the shelf and in the book that day. */
#define SIM_F_GHOST   1u  /* a material shortfall (a ghost episode) at some time of the day */
#define SIM_F_EMPTY   2u  /* the shelf empty (physical 0) while the book was > 0, at close */
#define SIM_F_STOCK0  4u  /* a known stock-out: book = physical = 0 at close */
#define SIM_F_PROMO   8u  /* a promotion or its after-dip */
#define SIM_F_UNHEARD 16u /* some of its sales were lost by a POS outage */

/* Why physical stock went missing. */
enum sim_cause { SIM_CAUSE_NONE, SIM_CAUSE_THEFT, SIM_CAUSE_DAMAGE, SIM_CAUSE_SHRINK };

/* Scope of a POS feed outage. */
enum sim_outage_scope { SIM_OUT_REGISTER, SIM_OUT_STORE, SIM_OUT_CATEGORY };

/* One POS feed outage: the store sells, the daemon hears nothing of that scope. */
struct sim_outage {
        enum sim_outage_scope scope; /* register, whole store or one category */
        sw_day_t day;                /* store-local day */
        unsigned from_sec, to_sec;   /* store-local seconds after midnight, [from, to) */
        unsigned register_no;        /* SIM_OUT_REGISTER: 1..SIM_REGISTERS */
        unsigned category;           /* SIM_OUT_CATEGORY: index of the category */
        unsigned long lost_txns;     /* transactions not published (whole or emptied) */
        unsigned long lost_units;    /* units sold but not reported */
};

/* A SKU's promotion and its after-dip, drawn when the previous one is over. */
struct sim_promo {
        sw_day_t next;     /* day the next promotion starts */
        sw_day_t start;    /* current or last promotion: first day */
        sw_day_t end;      /* ... its last day */
        sw_day_t dip_end;  /* last day of the after-dip (dip from end + 1) */
        double factor;     /* demand multiplier during the promotion */
        double dip_factor; /* demand multiplier during the dip */
};

/* The replay's demand file (--demand), read at start-up. */
struct sim_demand {
        sw_day_t start;        /* first day of the file's window (real date) */
        unsigned days;         /* days in the window */
        unsigned skus;         /* SKUs */
        int32_t *units;        /* skus x days units sold, by SKU then day */
        char (*codes)[24];     /* SKU codes */
        double *prices;        /* list prices */
        unsigned *categories;  /* category index of each SKU */
        char (*cat_names)[32]; /* category names */
        unsigned n_cats;       /* categories */
        bool *closed;          /* days: the whole store sold nothing */
};

struct sim;
struct sim_sku;

/* sensors.c: shelf readings. */
size_t sim_shelf_times(const struct sim *s, unsigned *ret, size_t cap);
int sim_emit_shelf(struct sim *s, sw_day_t day, unsigned secs);

/* calendar.c: closed days, holidays, the daemon's store group. */
extern const char *const sim_weekday_names[7];
sw_day_t sim_thanksgiving(int year);
bool sim_closed(const struct sim *s, sw_day_t day);
int sim_init_calendar(struct sim *s);
int sim_print_store_config(const struct sim *s, FILE *f);

/* demand.c, demandfile.c: realistic demand and the replay's. */
int sim_parse_nb_mix(const char *text, double ret_w[SIM_NB_SIZES]);
void sim_init_demand(struct sim *s);
double sim_promo_factor(struct sim *s, struct sim_sku *k, sw_day_t day);
double sim_expected_units(struct sim *s, unsigned i, sw_day_t day, double store_factor);
int32_t sim_demand_units(struct sim *s, unsigned i, sw_day_t day, double store_factor);
int sim_load_demand(struct sim *s);
void sim_free_demand(struct sim_demand *m);
void sim_replay_window(struct sim *s);
void sim_replay_skus(struct sim *s);

/* losses.c: partial ghosts, shrink, material shortfall episodes. */
extern const char *const sim_cause_names[];
bool sim_materially_short(const struct sim *s, const struct sim_sku *k);
void sim_inject_loss(struct sim *s, unsigned i);
void sim_shrink(struct sim *s);
int sim_track_shortfall(struct sim *s, sw_day_t day);
void sim_mark_close(struct sim *s, sw_day_t day);

/* outages.c: POS feed outages. */
extern const char *const sim_outage_scope_names[];
int sim_plan_outages(struct sim *s);
struct sim_outage *sim_txn_outage(struct sim *s, sw_day_t day, unsigned secs, unsigned reg);
struct sim_outage *sim_line_outage(struct sim *s, sw_day_t day, unsigned category);

#endif
