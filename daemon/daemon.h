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
#include "daemon/durability.h"
#include "daemon/outbox.h"
#include "daemon/storage_health.h"
#include "daemon/pos_feed.h"

#define SW_TOPIC_MAX  512
#define SW_PREFIX_MAX 200 /* root, tenant and store are at most 64 bytes each */
/* Undone counts whose id a group commit had already stored: deleted at the next commit */
#define SW_DAEMON_DEDUP_FORGET_MAX 16
/* Command names with a rate bucket of their own (nine exist; made-up names reuse idle ones) */
#define SW_DAEMON_COMMAND_NAMES 32



/* When each detector last ran (for health and the summary). */
struct sw_detector_runs {
        int64_t ghost_at;     /* Unix s of the last ghost run, 0 never */
        sw_day_t ghost_as_of; /* its as_of day */
        struct sw_detect_summary ghost; /* what it found */
        int64_t stock_at;     /* Unix s of the last shelf/discrepancy sweep */
        struct sw_detect_summary stock; /* what it found */
        int64_t ml_at;        /* Unix s of the last Isolation Forest run */
        struct sw_detect_summary ml; /* what it found */
};

struct sw_daemon {
        struct sw_config cfg;            /* configuration in force */
        char prefix[SW_PREFIX_MAX];      /* topic prefix "{root}/{tenant}/{store}" */
        int64_t started_at;              /* Unix s */

        /* core state, in one block allocated at start-up */
        void *memory;                    /* the block */
        size_t memory_size;              /* its size */
        struct sw_sku_table skus;        /* per-SKU state and history */
        struct sw_dedup dedup;           /* message ids seen */
        struct sw_anomaly_book book;     /* open anomaly episodes */
        struct sw_detector detector;     /* detectors and their scratch */
        struct sw_store_calendar cal;    /* time zone, opening hours, holidays */
        struct sw_ingest ingest;         /* message application and counters */
        struct sw_daemon_ml ml;          /* the Isolation Forest and its reservoir */
        struct sw_tuning tuning;         /* evidence scales learnt from outcomes */
        struct sw_item *items;           /* [limits.max_items_per_message] decode buffer */
        uint8_t *blob;                   /* SKU serialisation buffer */
        size_t blob_size;                /* its size */

        /* platform */
        struct sw_store *store;          /* SQLite */
        struct sw_payload_decoder *decoder;     /* device payloads */
        struct sw_payload_decoder *cmd_decoder; /* command requests */
        struct sw_mqtt *local;           /* the store's broker */
        struct sw_mqtt *hq;              /* HQ's broker, NULL when HQ topics go via local */

        struct sw_outbox outbox;         /* messages for HQ (daemon/outbox.h, wired in
                                            daemon/hq_link.c) */
        bool ready;                      /* init completed: state may be flushed at exit */

        /* schedule and bookkeeping */
        uint64_t next_commit_ms;         /* monotonic deadline of the next group commit */
        uint64_t next_stock_ms;          /* next shelf-out / discrepancy sweep */
        uint64_t next_watchdog_ms;       /* next WATCHDOG=1, 0 when disabled */
        uint64_t watchdog_interval_ms;   /* systemd's interval, 0 when disabled */
        int64_t next_daily_run;          /* Unix s of the next scheduled detection */
        struct sw_detector_runs runs;    /* last detector runs */
        uint64_t next_summary_ms;        /* next periodic P/summary */
        bool summary_due;                /* a detection run or outcome changed it: publish soon */
        uint32_t findings_logged;        /* new anomalies logged one by one in this transaction */
        uint32_t findings_unlogged;      /* ... and beyond log.max_findings_per_run, counted */
        bool tuning_dirty;               /* learnt scales changed since they were last saved */
        int64_t detect_clock;            /* start of the newest as_of detected (Unix s) */
        int64_t persisted_event_clock;   /* ingest.event_clock as last committed */
        uint16_t persisted_categories;   /* skus.n_categories as last committed (ids are kept
                                            stable across restarts: the tuning is by id) */
        bool outcomes_none;              /* no outcome recorded yet (checked at start-up): no
                                            finding can be suppressed, skip the query */
        uint64_t dedup_forget[SW_DAEMON_DEDUP_FORGET_MAX]; /* ids of undone counts to delete from
                                            the stored dedup set (daemon/counts.c) */
        uint32_t n_dedup_forget;                           /* entries used in dedup_forget */
        uint64_t store_errors;           /* failed SQLite writes */
        uint64_t commands_run;           /* command requests run (answered or not) */
        uint64_t replies;                /* command replies published */
        uint64_t cmd_refused[SW_CMD_REFUSAL_COUNT]; /* requests not run, by reason */
        bool retained_cmd_logged;        /* a retained command was refused and logged (once) */
        uint64_t unknown_topics;         /* messages on topics under the prefix we do not know */
        struct sw_ratelimit reject_log;  /* rate limit of rejected-message warnings */
        struct sw_rate_limiter device_rate; /* per-device message rate (limits.device_*) */
        struct sw_rate_limiter command_rate; /* per-command request rate (limits.command_*) */
        struct sw_storage_health storage; /* full disk / I/O error state for health */
        struct sw_durability durability; /* the inbox file and the group commit */
        struct sw_pos_feed pos_feed;     /* whether the POS feed is heard (health, HQ) */
        volatile bool stop;              /* set by SIGTERM / SIGINT */
        const char *config_path;         /* file re-read on SIGHUP; NULL = the default path if it
                                            exists, else the embedded defaults */
};

/* Set up everything from cfg: memory, storage (restoring state), MQTT links. Logs its own
 * errors; returns 0 or -errno. */
int sw_daemon_init(struct sw_daemon *d, const struct sw_config *cfg);
/* Flush state and release everything; safe on a partly initialised daemon. */
void sw_daemon_fini(struct sw_daemon *d);
/* Run the poll loop until stopped by a signal. Returns 0 or -errno. */
int sw_daemon_run(struct sw_daemon *d);
/* SIGHUP (daemon/reload.c): RELOADING=1, re-read config_path, apply what can change live
 * (settings fixed at start-up are logged and kept), READY=1. State is kept. A config that
 * does not load is refused whole (logged). Returns 0 or the -errno of sw_config_load. */
int sw_daemon_reload(struct sw_daemon *d);
/* (Re)build the store calendar and the detector parameters from d->cfg. */
void sw_daemon_setup_calendar(struct sw_daemon *d);
void sw_daemon_setup_detectors(struct sw_daemon *d);

/* Group commit of the daemon's state (sw_durability_commit of d->durability). */
int sw_daemon_commit(struct sw_daemon *d);
/* The daemon's state as the group commit writes it (daemon/persist.c). */
struct sw_durable_state sw_daemon_durable_state(struct sw_daemon *d);
/* Decode and apply a device message; returns the ingest result (reason on rejection). */
int sw_daemon_apply(struct sw_daemon *d, enum sw_msg_kind kind, const void *payload, size_t len,
                    struct sw_msg *ret_msg, struct sw_ingest_result *ret, char *err, size_t errsz);
/* Persist one finding: the anomaly row and its outbox row (caller holds a transaction). */
int sw_daemon_record_finding(void *ctx, const struct sw_finding *f);
/* Reload the open-episode book from the database (after a failed transaction). */
void sw_daemon_reload_episodes(struct sw_daemon *d);
/* Run fn inside one durable transaction (after a group commit); on failure roll back and
 * reload the open-episode book so memory and disk agree. */
int sw_daemon_in_transaction(struct sw_daemon *d, int (*fn)(struct sw_daemon *d, void *arg), void *arg);
/* Data has been detected up to the start of as_of: stock checks may measure to it. */
void sw_daemon_note_as_of(struct sw_daemon *d, sw_day_t as_of);
/* Run ghost detection as of a day, in one transaction. */
int sw_daemon_detect_ghost(struct sw_daemon *d, sw_day_t as_of, struct sw_detect_summary *ret);
/* Run the shelf-out and discrepancy sweep now. */
int sw_daemon_detect_stock(struct sw_daemon *d, struct sw_detect_summary *ret);

/* The POS feed's health (daemon/pos_health.c): a POS message was heard; the minute check of
 * its silence; a ghost run's store shortfall days. Each logs, queues a summary and
 * republishes P/status when the condition changes. */
void sw_daemon_pos_heard(struct sw_daemon *d);
void sw_daemon_pos_check(struct sw_daemon *d);
void sw_daemon_pos_note_run(struct sw_daemon *d, const struct sw_detect_summary *s);

/* Handle a message from the local broker (routing by topic). */
void sw_daemon_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                          const struct sw_mqtt_props *props);
/* Outbox: hand pending rows to the HQ link; account PUBACKs. */
/* The outbox wired to storage and the HQ link (daemon/hq_link.c): set up over the in-flight
 * slots; send what is pending now; the link's PUBACK callback. */
int sw_daemon_outbox_init(struct sw_daemon *d, struct sw_inflight *inflight);
void sw_daemon_outbox_pump(struct sw_daemon *d);
void sw_daemon_outbox_on_published(void *ctx, int mid, bool accepted);
/* Publish the retained online status to the HQ link. */
void sw_daemon_publish_status(struct sw_daemon *d, bool online);

/* sw_storage_health_note() for the daemon's storage (SQLite's message, the clock's now). */
bool sw_daemon_storage_note(struct sw_daemon *d, int r, const char *what);

/* The local today and the next daily run after now (Unix s). */
sw_day_t sw_daemon_today(const struct sw_daemon *d);
int64_t sw_schedule_next_run(int64_t now, uint16_t schedule_min);

#endif
