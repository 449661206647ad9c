/* The daemon: owns every object's lifetime and wires core, storage and MQTT together. */
#ifndef SW_DAEMON_H
#define SW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/anomaly_book.h"
#include "core/command_gate.h"
#include "core/dedup.h"
#include "core/detect.h"
#include "core/ingest.h"
#include "core/rate_limit.h"
#include "core/sku_table.h"
#include "core/store_calendar.h"
#include "core/tuning.h"
#include "platform/config.h"
#include "platform/inbox_file.h"
#include "platform/log.h"
#include "platform/mqtt_link.h"
#include "platform/payload.h"
#include "platform/store.h"
#include "daemon/ml.h"
#include "daemon/commands.h"
#include "daemon/detect_runs.h"
#include "daemon/durability.h"
#include "daemon/outbox.h"
#include "daemon/storage_health.h"
#include "daemon/pos_feed.h"
#include "daemon/anomaly_json.h"
#include "daemon/hq_health.h"
#include "daemon/hq_link.h"
#include "daemon/pos_health.h"

#define SW_TOPIC_MAX  512
#define SW_PREFIX_MAX 200 /* root, tenant and store are at most 64 bytes each */
/* Undone counts whose id a group commit had already stored: deleted at the next commit */
#define SW_DAEMON_DEDUP_FORGET_MAX 16
/* Command names with a rate bucket of their own (nine exist; made-up names reuse idle ones) */
#define SW_DAEMON_COMMAND_NAMES 32

struct sw_daemon {
        struct sw_config cfg;        /* configuration in force */
        char prefix[SW_PREFIX_MAX];  /* topic prefix "{root}/{tenant}/{store}" */
        struct sw_payload_store who; /* tenant, store and money of payloads to HQ (cfg's) */
        int64_t started_at;          /* Unix s */

        /* core state, in one block allocated at start-up */
        void *memory;                 /* the block */
        size_t memory_size;           /* its size */
        struct sw_sku_table skus;     /* per-SKU state and history */
        struct sw_dedup dedup;        /* message ids seen */
        struct sw_anomaly_book book;  /* open anomaly episodes */
        struct sw_detector detector;  /* detectors and their scratch */
        struct sw_store_calendar cal; /* time zone, opening hours, holidays */
        struct sw_ingest ingest;      /* message application and counters */
        struct sw_daemon_ml ml;       /* the Isolation Forest and its reservoir */
        struct sw_tuning tuning;      /* evidence scales learnt from outcomes */
        struct sw_item *items;        /* [limits.max_items_per_message] decode buffer */
        uint8_t *blob;                /* SKU serialisation buffer */
        size_t blob_size;             /* its size */

        /* platform */
        struct sw_store *store;             /* SQLite */
        struct sw_payload_decoder *decoder; /* device payloads */
        struct sw_mqtt *local;              /* the store's broker */
        struct sw_mqtt *hq;                 /* HQ's broker, NULL when HQ topics go via local */

        struct sw_outbox outbox; /* messages for HQ (daemon/outbox.h, wired in
                                    daemon/hq_link.c) */
        bool ready;              /* init completed: state may be flushed at exit */

        /* schedule and bookkeeping */
        uint64_t next_commit_ms;       /* monotonic deadline of the next group commit */
        uint64_t next_stock_ms;        /* next shelf-out / discrepancy sweep */
        uint64_t next_watchdog_ms;     /* next WATCHDOG=1, 0 when disabled */
        uint64_t watchdog_interval_ms; /* systemd's interval, 0 when disabled */
        struct sw_detect_runs runs;    /* the daily schedule, catch-up and last runs
                                          (daemon/detect_runs.h, wired in detection.c) */
        uint64_t next_summary_ms;      /* next periodic P/summary */
        bool summary_due;              /* a detection run or outcome changed it: publish soon */
        bool summary_after_count;      /* a count was applied: publish once summary_count_ms
                                          allows (daemon/reports.c) */
        uint64_t last_summary_ms;      /* monotonic time of the last P/summary queued */
        uint64_t next_metrics_ms;      /* next rewrite of metrics.textfile_path */
        bool metrics_failing;          /* the last write of the metrics file failed (logged) */
        uint32_t findings_logged;      /* new anomalies logged one by one in this transaction */
        uint32_t findings_unlogged;    /* ... and beyond log.max_findings_per_run, counted */
        bool tuning_dirty;             /* learnt scales changed since they were last saved */
        int64_t persisted_event_clock; /* ingest.event_clock as last committed */
        uint16_t persisted_categories; /* skus.n_categories as last committed (ids are kept
                                          stable across restarts: the tuning is by id) */
        bool outcomes_none;            /* no outcome recorded yet (checked at start-up): no
                                          finding can be suppressed, skip the query */
        uint64_t dedup_forget[SW_DAEMON_DEDUP_FORGET_MAX]; /* ids of undone counts to delete from
                                            the stored dedup set (daemon/counts.c) */
        uint32_t n_dedup_forget;                           /* entries used in dedup_forget */
        uint64_t store_errors;                             /* failed SQLite writes */
        struct sw_commands commands;        /* the command table, its gate and counters
                                               (daemon/commands.h) */
        uint64_t unknown_topics;            /* messages on topics under the prefix we do not know */
        struct sw_ratelimit reject_log;     /* rate limit of rejected-message warnings */
        struct sw_rate_limiter device_rate; /* per-device message rate (limits.device_*) */
        struct sw_storage_health storage;   /* full disk / I/O error state for health */
        struct sw_durability durability;    /* the inbox file and the group commit */
        struct sw_pos_feed pos_feed;        /* whether the POS feed is heard (health, HQ) */
        volatile bool stop;                 /* set by SIGTERM / SIGINT */
        const char *config_path;            /* file re-read on SIGHUP; NULL = the default path if it
                                               exists, else the embedded defaults */
};

/* Set up everything from cfg: memory, storage (restoring state), MQTT links. Logs its own
 * errors; returns 0 or -errno. */
int sw_daemon_init(struct sw_daemon *d, const struct sw_config *cfg);
/* Flush state and release everything; safe on a partly initialised daemon. */
void sw_daemon_fini(struct sw_daemon *d);
/* Run the poll loop until stopped by a signal (daemon/loop.c). Returns 0 or -errno. */
int sw_daemon_run(struct sw_daemon *d);
/* SIGHUP (daemon/reload.c): RELOADING=1, re-read config_path, apply what can change live
 * (settings fixed at start-up are logged and kept), READY=1. State is kept. A config that
 * does not load is refused whole (logged). Returns 0 or the -errno of sw_config_load. */
int sw_daemon_reload(struct sw_daemon *d);

#endif
