/* Logging to stderr with sd-daemon priority prefixes ("<3>..."), rate-limited helpers. */
#ifndef SW_LOG_H
#define SW_LOG_H

#include <stdbool.h>
#include <stdint.h>

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
