/* Configuration: struct sw_config, the settings in force, and how to fill it.
 *
 * Longer than 150 lines on purpose: it is the one struct of every section, each field with
 * its comment; split over files it would be harder to read as the whole it is. What each
 * setting may hold, its default and its reload policy are rows of platform/config_schema.c. */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/features_scaled.h"
#include "core/ghost.h"
#include "core/ml_cause.h"
#include "core/outcome_metrics.h"
#include "core/sw_types.h"
#include "core/tuning.h"
#include "platform/log.h"

#define SW_CONFIG_DEFAULT_PATH "/etc/shelfwatch/shelfwatch.conf"

#define SW_CONFIG_NAME_SIZE      65   /* topic root, tenant, store id: 1..64 characters + NUL */
#define SW_CONFIG_TIMEZONE_SIZE  128  /* IANA name such as "America/Argentina/Buenos_Aires" */
#define SW_CONFIG_CURRENCY_SIZE  4    /* ISO 4217 code such as "EUR" + NUL */
#define SW_CONFIG_HOST_SIZE      254  /* a DNS name has at most 253 characters */
#define SW_CONFIG_CLIENT_ID_SIZE 160  /* fits the derived "shelfwatchd-<tenant>-<store>-hq" */
#define SW_CONFIG_SECRET_SIZE    256  /* MQTT user name and password */
#define SW_CONFIG_PATH_SIZE      1024 /* file paths (database, TLS files) */
#define SW_CONFIG_MAX_HOLIDAYS   366
#define SW_CONFIG_MAX_SCANNERS   256 /* devices.scanners entries */
#define SW_CONFIG_DEVICE_SIZE    65  /* a device name (a topic level): 1..64 characters + NUL */

/* Opening hours of one weekday. Closing after midnight is not supported. */
struct sw_config_hours {
        bool closed;        /* "closed": the store does not open on this weekday */
        uint16_t open_min;  /* opening time, minutes after local midnight, 0..1439 */
        uint16_t close_min; /* closing time, minutes after local midnight, open_min+1..1440 */
};

/* Section store: who we are and the store's calendar. */
struct sw_config_store {
        char root[SW_CONFIG_NAME_SIZE];            /* topic root, first level of every topic */
        char tenant[SW_CONFIG_NAME_SIZE];          /* tenant, second topic level */
        char id[SW_CONFIG_NAME_SIZE];              /* store id, third topic level */
        char timezone[SW_CONFIG_TIMEZONE_SIZE];    /* IANA zone, a file under /usr/share/zoneinfo */
        char currency[SW_CONFIG_CURRENCY_SIZE];    /* ISO 4217 code of prices, "" = not set */
        sw_day_t holidays[SW_CONFIG_MAX_HOLIDAYS]; /* closed days, ascending, no duplicates */
        uint32_t n_holidays;                       /* entries used in holidays */
        struct sw_config_hours opening_hours[7];   /* 0 = Monday .. 6 = Sunday */
};

/* TLS towards a broker; used when enabled. */
struct sw_config_tls {
        bool enabled;                        /* the tls group was given */
        char ca_file[SW_CONFIG_PATH_SIZE];   /* PEM CA bundle, a readable file (required) */
        char cert_file[SW_CONFIG_PATH_SIZE]; /* client certificate, "" = none; needs key_file */
        char key_file[SW_CONFIG_PATH_SIZE];  /* client private key, "" = none; needs cert_file */
        bool insecure;                       /* skip the server host name check (tests only) */
};

/* An MQTT broker: the local one (section broker) or HQ's (section hq). */
struct sw_config_broker {
        char host[SW_CONFIG_HOST_SIZE];           /* host name or address */
        uint16_t port;                            /* TCP port, 1..65535 */
        char client_id[SW_CONFIG_CLIENT_ID_SIZE]; /* never empty after load: derived when unset */
        uint32_t keepalive;                       /* MQTT keepalive, seconds, 5..3600 */
        char username[SW_CONFIG_SECRET_SIZE];     /* "" = no authentication */
        char password[SW_CONFIG_SECRET_SIZE];     /* "" = none; only with a username */
        uint32_t reconnect_min_ms;                /* first reconnect delay, doubles per failure */
        uint32_t reconnect_max_ms;                /* reconnect delay cap, >= reconnect_min_ms */
        uint32_t max_reads_per_pass;              /* MQTT packets read per loop pass, 1..65535 */
        struct sw_config_tls tls;                 /* optional TLS */
};

/* Section storage: the SQLite database. */
struct sw_config_storage {
        char path[SW_CONFIG_PATH_SIZE]; /* database file */
        uint32_t commit_interval_ms;    /* batch writes into one transaction this long */
        uint32_t cache_kib;             /* SQLite page cache, KiB */
        uint32_t max_db_kib;            /* database size cap, KiB; 0 = none (the disk is the cap) */
        uint32_t max_inbox_kib;         /* inbox file cap, KiB: it only grows while commits fail */
        char backup_dir[SW_CONFIG_PATH_SIZE]; /* the backup command writes only under it; "" =
                                                 backups off */
};

/* Section limits: every resource a sender controls has a cap. */
struct sw_config_limits {
        uint32_t max_skus;              /* SKUs tracked; new ones beyond are rejected */
        uint32_t history_days;          /* days of daily history kept per SKU */
        uint32_t max_payload_bytes;     /* larger MQTT payloads are rejected */
        uint32_t max_items_per_message; /* lines/items in one message */
        uint32_t dedup_ids;             /* message ids remembered for deduplication */
        uint32_t max_categories;        /* distinct categories */
        uint32_t max_shelf_skus;     /* SKUs with shelf-sensor state; readings beyond are dropped */
        uint32_t max_fast_skus;      /* SKUs with 2-byte daily sales (a day above 255 units) */
        uint32_t max_open_anomalies; /* open anomalies kept; beyond, new ones are dropped */
        uint32_t max_future_seconds; /* event times further ahead of the clock are rejected */
        uint32_t outbox_inflight;    /* QoS 1 publishes awaiting PUBACK */
        uint32_t outbox_max_rows;    /* outbox rows kept while HQ is unreachable */
        uint32_t device_rate_per_second;  /* messages per second per device (token refill) */
        uint32_t device_burst;            /* messages a device may send at once (bucket size) */
        uint32_t max_devices;             /* device buckets; idle ones are reused, else shared */
        uint32_t command_rate_per_second; /* requests per second per command name */
        uint32_t command_burst;           /* requests of one command name at once (bucket size) */
};

/* detectors.ghost. The local forecast (detectors.forecast) is loaded into params.forecast. */
struct sw_config_ghost {
        bool enabled;                  /* run the ghost-stock detector */
        struct sw_ghost_params params; /* tuning handed to the detector as is */
        uint32_t max_new_per_day;      /* bayes: new ghost alerts a day at most, 1..100000 */
};

/* detectors.context: days that are evidence about the store or its feed, not a SKU. */
struct sw_config_context {
        double shortfall_ratio;       /* a day below this share of a usual day's selling SKUs is
                                         a shortfall of the store (or a category); 0 = off */
        uint32_t min_store_skus;      /* the store test needs a usual day of this many SKUs */
        uint32_t min_category_skus;   /* a category's test needs this many */
        uint32_t pos_silence_minutes; /* no POS for this long in opening hours: the feed is
                                         silent (health, P/summary, P/status); 0 = off */
};

/* detectors.shelf_out */
struct sw_config_shelf_out {
        bool enabled;             /* raise shelf_out from shelf sensors */
        uint32_t zero_minutes;    /* shelf reads zero this long (between zero readings), 1..10080 */
        uint32_t min_readings;    /* ... at this many consecutive zero readings, 1..1000 */
        uint32_t max_gap_minutes; /* open minutes between two zero readings counted at most */
        double false_zero_rate;   /* share of readings a sensor wrongly reports as 0, (0, 1) */
};

/* detectors.discrepancy */
struct sw_config_discrepancy {
        bool enabled;               /* raise inventory_discrepancy */
        uint32_t shelf_above_hours; /* shelf shows more than the book for this long */
};

/* detectors.ml: the Isolation Forest (ml_detected) */
struct sw_config_ml {
        bool enabled;                    /* train and score the forest */
        uint32_t trees;                  /* trees in the forest, 1..1000 */
        uint32_t samples;                /* rows sampled per tree (psi), 2..4096 */
        double contamination;            /* share of training rows above the threshold, (0, 0.5] */
        uint32_t train_interval_hours;   /* retrain this often, 1..168 */
        uint32_t reservoir;              /* recent SKU-day vectors kept for training, 64..1000000 */
        double warning_sigma;            /* z-score of a day's anomaly score for warning */
        double critical_sigma;           /* z-score for critical, >= warning_sigma */
        uint32_t seed;                   /* PRNG seed: the same data and seed give the same model */
        enum sw_feature_set features;    /* what the forest learns from: scaled, or the seed's 8 */
        uint32_t max_new_per_day;        /* scaled: new ML alerts a day at most, 1..100000 */
        struct sw_ml_cause_params cause; /* scaled: the bounds of an actionable cause */
        double critical_strength;        /* scaled: critical needs the cause this far past its
                                            bound (and critical_sigma), >= 1 */
};

/* Section detectors. */
struct sw_config_detectors {
        uint16_t schedule_min;                    /* daily run, minutes after local midnight */
        struct sw_config_ghost ghost;             /* ghost stock (and the local forecast) */
        struct sw_config_shelf_out shelf_out;     /* empty shelf */
        struct sw_config_context context;         /* store-wide closed and shortfall days */
        struct sw_config_discrepancy discrepancy; /* shelf vs book */
        struct sw_config_ml ml;                   /* Isolation Forest */
};

/* Section devices: which devices are trusted for what. */
struct sw_config_devices {
        char scanners[SW_CONFIG_MAX_SCANNERS][SW_CONFIG_DEVICE_SIZE]; /* scanners whose cycle
                                                    counts are accepted; none listed: every one */
        uint32_t n_scanners;                                          /* entries used in scanners */
};

/* Section hq_receipts: HQ's end-to-end receipts (PROTOCOL 1.1). */
struct sw_config_hq_receipts {
        bool enabled;                  /* keep outbox rows until HQ's receipt (off: PUBACK) */
        uint32_t resend_after_seconds; /* a row without receipt this long goes again */
};

/* Section summary: the retained P/summary to HQ. */
struct sw_config_summary {
        uint32_t
            interval_seconds; /* publish this often (and after each detection run), 10..86400 */
};

/* Section log. */
struct sw_config_log {
        enum sw_log_level level;       /* messages less important than this are dropped */
        uint32_t max_findings_per_run; /* new anomalies logged one by one per detector run */
        bool journal_fields;           /* structured fields when stderr is the journal */
};

/* Section metrics: health's counters for node_exporter's textfile collector. */
struct sw_config_metrics {
        char textfile_path[SW_CONFIG_PATH_SIZE]; /* the .prom file; "" = not written */
        uint32_t interval_s;                     /* rewritten this often */
};

/* The whole configuration. Strings live in the struct: nothing to free. */
struct sw_config {
        struct sw_config_store store;         /* identity and calendar */
        struct sw_config_broker broker;       /* the local broker */
        bool hq_enabled;                      /* the hq section was given */
        struct sw_config_broker hq;           /* HQ's broker; meaningful only when hq_enabled.
                                                 Without it HQ topics go to the local broker,
                                                 for a mosquitto bridge to carry upstream */
        struct sw_config_storage storage;     /* database */
        struct sw_config_limits limits;       /* resource caps */
        struct sw_config_detectors detectors; /* detector tuning and schedule */
        struct sw_outcome_params outcomes;    /* how cycle counts judge anomalies, ROI horizon */
        struct sw_tuning_params tuning;       /* learning thresholds from outcomes */
        struct sw_config_devices devices;     /* trusted devices */
        struct sw_config_hq_receipts hq_receipts; /* end-to-end receipts from HQ */
        struct sw_config_summary summary;         /* P/summary cadence */
        struct sw_config_log log;                 /* logging */
        struct sw_config_metrics metrics;         /* the OpenMetrics textfile */
};

/* Fill *ret with the embedded defaults (the schema's, client ids derived); the daemon runs on
 * these alone. */
void sw_config_defaults(struct sw_config *ret);

/*
 * Load the one file at path over the defaults and validate every setting; unknown
 * settings are errors. Returns 0 and fills *ret, or, leaving *ret untouched:
 * -ENOENT, -EACCES (or another -errno) when the file cannot be opened,
 * -EISDIR when it is a directory, -EINVAL for a syntax error or an invalid
 * setting. On failure a one-line message "file:line: setting: reason" (or
 * "file: reason" when no line applies) is written to err (errsz bytes, may be
 * 0). An @include is resolved relative to the file's directory. The daemon reads
 * drop-ins, the environment and credentials as well: sw_config_load_all()
 * (platform/config_sources.h).
 */
int sw_config_load(const char *path, struct sw_config *ret, char *err, size_t errsz);

/*
 * The reload policy: put back into next every setting of old that can only change with a
 * restart (the schema's restart flag) and that next changes. kept(ctx, name, what) is called
 * for each, in schema order; what is NULL for a setting, "adding the section" or "removing
 * the section" for an optional group (hq, tls) given or dropped. Returns how many were kept.
 */
unsigned sw_config_keep_restart_settings(const struct sw_config *old, struct sw_config *next,
                                         void (*kept)(void *ctx, const char *name,
                                                      const char *what),
                                         void *ctx);

/* True when devices.scanners lets scanner name (len bytes) send cycle counts: it is listed, or
 * the list is empty (every scanner). */
bool sw_config_scanner_allowed(const struct sw_config *c, const char *name, size_t len);

#endif
