/* Logging to stderr with sd-daemon priority prefixes, one line per call. */
#include "platform/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum sw_log_level log_max = SW_LOG_INFO;

void sw_log_set_level(enum sw_log_level max)
{
        log_max = max;
}

int sw_log_level_parse(const char *s, enum sw_log_level *ret)
{
        static const struct {
                const char *name;
                enum sw_log_level level;
        } names[] = {{"err", SW_LOG_ERR},
                     {"warning", SW_LOG_WARNING},
                     {"notice", SW_LOG_NOTICE},
                     {"info", SW_LOG_INFO},
                     {"debug", SW_LOG_DEBUG}};
        for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
                if (strcmp(s, names[i].name) == 0) {
                        *ret = names[i].level;
                        return 0;
                }
        }
        return -EINVAL;
}

void sw_log(enum sw_log_level level, const char *fmt, ...)
{
        char line[1024];
        va_list ap;
        if (level > log_max)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* One fputs per line keeps lines whole in the journal. */
        fprintf(stderr, "<%d>%s\n", (int)level, line);
}

bool sw_ratelimit_allow(struct sw_ratelimit *r, uint64_t now_ms)
{
        if (r->last_ms == 0 || now_ms < r->last_ms) {
                r->last_ms = now_ms;
                r->tokens = r->burst;
        }
        if (r->interval_ms > 0 && now_ms - r->last_ms >= r->interval_ms) {
                uint64_t refill = (now_ms - r->last_ms) / r->interval_ms;
                r->tokens = refill >= r->burst ? r->burst : r->tokens + (uint32_t)refill;
                if (r->tokens > r->burst)
                        r->tokens = r->burst;
                r->last_ms += refill * r->interval_ms;
        }
        if (r->tokens == 0) {
                r->suppressed++;
                return false;
        }
        r->tokens--;
        return true;
}
