/* realistic.h: the realistic store's parts (calendar, demand, outages, losses, sensor noise). */
#ifndef STORESIM_REALISTIC_H
#define STORESIM_REALISTIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
