/* Logging to stderr with sd-daemon priority prefixes ("<3>..."), or to journald with structured
 * fields when stderr is the journal; rate-limited helpers. */
#ifndef SW_LOG_H
#define SW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* syslog priorities, as sd-daemon(3) prefixes use them. */
enum sw_log_level {
        SW_LOG_ERR = 3,
        SW_LOG_WARNING = 4,
        SW_LOG_NOTICE = 5,
        SW_LOG_INFO = 6,
        SW_LOG_DEBUG = 7
};

/* Messages above this level (less important) are dropped. Default SW_LOG_INFO. */
void sw_log_set_level(enum sw_log_level max);
/* Parse "err", "warning", "notice", "info", "debug"; returns 0 or -EINVAL. */
int sw_log_level_parse(const char *s, enum sw_log_level *ret);
void sw_log(enum sw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Event kinds of the important lines: each has a fixed journald MESSAGE_ID (docs/deploy.md). */
enum sw_log_event {
        SW_EVENT_NONE,             /* no MESSAGE_ID */
        SW_EVENT_ANOMALY_RAISED,   /* a new anomaly */
        SW_EVENT_ANOMALY_CLEARED,  /* an anomaly cleared by a detector */
        SW_EVENT_OUTCOME_RECORDED, /* an outcome (count verdict or command) */
        SW_EVENT_COUNT_APPLIED,    /* a cycle count applied to the book */
        SW_EVENT_STORAGE_FULL,     /* storage went full or into error */
        SW_EVENT_STORAGE_OK,       /* storage takes writes again */
        SW_EVENT_POS_SILENT,       /* the POS feed went silent */
        SW_EVENT_POS_HEARD,        /* the POS feed is heard again */
        SW_EVENT_BACKUP_WRITTEN,   /* the backup command wrote a copy */
        SW_EVENT_STARTED,          /* serving (after start-up) */
        SW_EVENT_STOPPED,          /* stopped cleanly */
        SW_EVENT_COUNT
};

/* The structured fields of one line; NULL fields are left out. */
struct sw_log_fields {
        enum sw_log_event event; /* MESSAGE_ID */
        const char *anomaly_id;  /* SHELFWATCH_ANOMALY_ID */
        const char *sku;         /* SHELFWATCH_SKU */
        const char *type;        /* SHELFWATCH_ANOMALY_TYPE */
        const char *outcome;     /* SHELFWATCH_OUTCOME */
        const char *device;      /* SHELFWATCH_DEVICE */
        const char *path;        /* SHELFWATCH_PATH */
};

#define SW_LOG_MAX_FIELDS 10   /* PRIORITY, MESSAGE, SYSLOG_IDENTIFIER, MESSAGE_ID, six of ours */
#define SW_LOG_RECORD_MAX 2048 /* bytes of one record's fields */

/* One line's fields as KEY=value strings for sd_journal_sendv (in buf). */
struct sw_log_record {
        struct iovec iov[SW_LOG_MAX_FIELDS]; /* the fields, pointing into buf */
        size_t n;                            /* fields used */
        char buf[SW_LOG_RECORD_MAX];         /* their text */
};

/* Where a record goes: journald's sd_journal_sendv by default; tests record it. Returns 0 or
 * -errno (then the line goes to stderr). */
typedef int (*sw_log_sink_fn)(void *ctx, const struct iovec *iov, size_t n);

/* 32 hex digits of event's MESSAGE_ID; "" for SW_EVENT_NONE. */
const char *sw_log_message_id(enum sw_log_event e);
/* Fill rec with PRIORITY, MESSAGE, SYSLOG_IDENTIFIER=shelfwatchd, MESSAGE_ID and the non-NULL
 * fields of f (may be NULL); a value too long for the record is cut. Returns the field count. */
size_t sw_log_record_format(struct sw_log_record *rec, enum sw_log_level level,
                            const struct sw_log_fields *f, const char *message);
/* Whether stderr is the journal: $JOURNAL_STREAM names fd 2's device and inode (systemd sets
 * it for a service whose stderr is connected to journald). */
bool sw_log_stderr_is_journal(void);
/* Structured output on when allowed (log.journal_fields), stderr is the journal and journald's
 * socket is there. Returns whether it is. */
bool sw_log_use_journal(bool allowed);
/* Send records to sink (NULL: back to sd_journal_sendv) and turn structured output on (sink
 * set) or leave it as sw_log_use_journal decided (NULL). For tests. */
void sw_log_set_sink(sw_log_sink_fn sink, void *ctx);
/* A line with fields: to the sink as a record in journal mode, else to stderr as sw_log. */
void sw_log_event(enum sw_log_level level, const struct sw_log_fields *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A token bucket: at most burst messages, refilled at one per interval_ms. */
struct sw_ratelimit {
        uint64_t interval_ms; /* refill period of one token */
        uint32_t burst;       /* bucket size */
        uint32_t tokens;      /* tokens left */
        uint64_t last_ms;     /* time of the last refill */
        uint64_t suppressed;  /* messages dropped since the last one let through */
};
/* True when a message may be logged now; counts the ones suppressed. */
bool sw_ratelimit_allow(struct sw_ratelimit *r, uint64_t now_ms);

#define sw_log_err(...)     sw_log(SW_LOG_ERR, __VA_ARGS__)
#define sw_log_warning(...) sw_log(SW_LOG_WARNING, __VA_ARGS__)
#define sw_log_notice(...)  sw_log(SW_LOG_NOTICE, __VA_ARGS__)
#define sw_log_info(...)    sw_log(SW_LOG_INFO, __VA_ARGS__)
#define sw_log_debug(...)   sw_log(SW_LOG_DEBUG, __VA_ARGS__)

#endif
