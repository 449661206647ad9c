/* End to end: a store (its broker, the real shelfwatchd, storesim) and HQ (its broker, the real
 * shelfwatch-hq, a private PostgreSQL), linked by the mosquitto bridge of
 * docs/examples/store-hq-bridge.conf or by the daemon's hq section; and the check that every
 * anomaly of the daemon's SQLite database is in PostgreSQL at its final rev, every outcome once. */
#ifndef HQ_TEST_E2E_H
#define HQ_TEST_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hq_harness.h"
#include "integration/harness.h"
#include "pg.h"

#define E2E_TENANT "acme"
#define E2E_STORE  "s0042"
#define E2E_PREFIX "retail/acme/s0042" /* the store of docs/examples/store-hq-bridge.conf */

/* Whether the daemon accepts the settings for receipts (e2e_opts.receipts_resend_s; checked by
 * shelfwatchd --check-config, once). */
bool e2e_daemon_has_receipts(void);

enum e2e_mode {
        E2E_BRIDGE,    /* no hq section: the store broker bridges to HQ's (store-hq-bridge.conf) */
        E2E_HQ_SECTION /* the daemon's own link to HQ's broker */
};

struct e2e_opts {
        enum e2e_mode mode;
        int receipts_resend_s;    /* > 0: receipts on (PROTOCOL 1.1): rows stay until HQ's receipt
                                     covers them, resent after this many seconds without one */
        const char *daemon_extra; /* more daemon settings (limits), or NULL */
        int ingest_instances;     /* shelfwatch-hq run instances started: 0, 1 or 2 */
        struct hq_opts ingest;    /* their settings (client_id is given per instance) */
};

struct e2e {
        enum e2e_mode mode;
        char dir[256];            /* scratch: the daemon's database, configs, logs */
        struct h_broker store;    /* the store's mosquitto */
        char store_conf[512];     /* its main config (Debian's layout) */
        struct h_broker hq;       /* HQ's mosquitto */
        char hq_extra[512];       /* its config lines */
        struct pg_server pg;      /* HQ's PostgreSQL */
        struct hq_proc ingest[2]; /* shelfwatch-hq run instances */
        int n_ingest;             /* how many are configured */
        struct h_daemon d;        /* shelfwatchd */
        char daemon_conf[4096];   /* its config text */
        PGconn *db;               /* a superuser connection to HQ's database */
        struct h_collector *link; /* bridge mode: the bridge's state on the store's broker */
        struct h_collector *seen; /* every P/+ message HQ's broker took (persistent session) */
        double sim_started;       /* h_mono_s() when storesim was last spawned */
};

/* The result of comparing the daemon's database with PostgreSQL. */
struct e2e_check {
        long anomalies;      /* anomaly ids in the daemon's database */
        long outcomes;       /* outcome ids in it */
        long lost_anomalies; /* ids missing at HQ */
        long wrong_rev;      /* at HQ with another rev (or, rev 0 on both sides, status) */
        long lost_outcomes;  /* outcome ids missing at HQ */
        long extra;          /* anomaly or outcome ids at HQ the daemon does not have */
        long daemon_has_rev; /* 1 when the daemon's anomaly table has a rev column */
        long duplicates;     /* shelfwatch-hq's duplicates counter, all instances */
        long stale_revs;     /* its stale_revs counter */
        long messages;       /* anomaly + outcome messages it counted */
        long copies;         /* anomaly and outcome messages that reached HQ's broker */
        long distinct;       /* distinct (id, rev) among them: copies - distinct were resent */
};

/* Write dir/mosquitto.conf (Debian 12's /etc/mosquitto/mosquitto.conf with its paths moved into
 * dir: pid file, persistence, log, include_dir) and dir/conf.d/store-hq-bridge.conf
 * (docs/examples/store-hq-bridge.conf with HQ's address and, when tls_dir is NULL, no certificates:
 * else tls_dir/ca.crt, s0042.crt, s0042.key). conf_d_extra (or NULL) goes into
 * conf.d/00-local.conf. Returns the main config's path in ret_conf. */
void e2e_store_broker_files(const char *dir, int hq_port, const char *tls_dir,
                            const char *conf_d_extra, char *ret_conf, size_t size);
/* A file of docs/examples (malloc'd text). */
char *e2e_example(const char *name);

/* Everything up: PostgreSQL, HQ's broker, the store's broker, the ingest instances, the daemon. */
void e2e_up(struct e2e *e, const struct e2e_opts *o);
/* Everything stopped (SIGTERM, clean exits asserted) and removed. */
void e2e_down(struct e2e *e);

void e2e_hq_broker_stop(struct e2e *e);
/* Start HQ's broker again and wait until the store is linked to it (the bridge's new state "1",
 * or the daemon's health saying its hq link is connected). */
void e2e_hq_broker_start(struct e2e *e);
/* Restart the daemon on its config (after a stop or a kill). */
void e2e_daemon_start(struct e2e *e);

/* storesim for the store: --profile basic, --days days, --skus skus, --seed seed, 3 associates
 * counting each evening, sleep_ms between days; in the background, its log (a line a day) in
 * dir/sim.log. */
pid_t e2e_sim_spawn(struct e2e *e, int days, int skus, int seed, int sleep_ms);
/* The last day storesim reported done (0: none yet). */
int e2e_sim_day(struct e2e *e);
/* Wait until storesim reported day done; fails if it ended before. */
void e2e_sim_wait_day(struct e2e *e, pid_t sim, int day);
/* Wait for it; asserts exit 0 and prints how long the store's run took. */
void e2e_sim_wait(struct e2e *e, pid_t sim);

/* Compare now (no waiting). */
void e2e_compare(struct e2e *e, struct e2e_check *ret);
/* Compare until nothing is missing or wrong, or timeout_s passed; prints the figures with what.
 * Returns the last comparison. */
void e2e_converge(struct e2e *e, double timeout_s, const char *what, struct e2e_check *ret);
/* Nothing lost, nothing extra, every anomaly at HQ at the daemon's rev, and more than
 * min_anomalies anomalies in the run (a run that made none proves nothing). */
void e2e_assert_all_arrived(const struct e2e_check *c, long min_anomalies);
/* The number at a dotted path of the daemon's health reply (fallback when missing). */
double e2e_health_number(struct e2e *e, const char *path, double fallback);

#endif
