/* Logging to stderr with sd-daemon priority prefixes, one line per call; to journald with
 * structured fields (sd_journal_sendv) when stderr is the journal. */
#include "platform/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

static enum sw_log_level log_max = SW_LOG_INFO;
static bool log_journal;        /* records go to log_sink */
static sw_log_sink_fn log_sink; /* NULL: sd_journal_sendv */
static void *log_sink_ctx;      /* passed to log_sink */

/* Made once with systemd-id128 new; never change one (queries and alerts match on them). */
static const char *const message_ids[SW_EVENT_COUNT] = {
    [SW_EVENT_NONE] = "",
    [SW_EVENT_ANOMALY_RAISED] = "5b257f5d23bf4506a0550ab61a3ec522",
    [SW_EVENT_ANOMALY_CLEARED] = "33495462a22a4de8a7fcb6c5815888bc",
    [SW_EVENT_OUTCOME_RECORDED] = "3da4bb3bbd2d46f09db7d79812adf5e0",
    [SW_EVENT_COUNT_APPLIED] = "03610e69e12e401fa84d20be5267a312",
    [SW_EVENT_STORAGE_FULL] = "7a97d1f4868541e29ba01abd8c802e1f",
    [SW_EVENT_STORAGE_OK] = "a0837ad4891249efbbfef48e784fcf7c",
    [SW_EVENT_POS_SILENT] = "dc868fb0cd3c4793acd6bc08b264c15f",
    [SW_EVENT_POS_HEARD] = "df807d72a0e24c69aaa16f88066478df",
    [SW_EVENT_BACKUP_WRITTEN] = "28f624c022074979a304157477e8decc",
    [SW_EVENT_STARTED] = "87677f3fdc4444a1841040a157a200fa",
    [SW_EVENT_STOPPED] = "77b74c5d5cdf4868abf77c3687047c4d",
};

const char *sw_log_message_id(enum sw_log_event e)
{
        return e > SW_EVENT_NONE && e < SW_EVENT_COUNT ? message_ids[e] : "";
}

/* Append KEY=value as the record's next field (cut to what is left of buf). */
static void add_field(struct sw_log_record *rec, size_t *used, const char *key, const char *value)
{
        if (!value || rec->n == SW_LOG_MAX_FIELDS || *used >= sizeof(rec->buf) - 1)
                return;
        char *at = rec->buf + *used;
        int n = snprintf(at, sizeof(rec->buf) - *used, "%s=%s", key, value);
        size_t len = n < 0 ? 0 : (size_t)n;
        if (len >= sizeof(rec->buf) - *used)
                len = sizeof(rec->buf) - *used - 1;
        rec->iov[rec->n++] = (struct iovec){.iov_base = at, .iov_len = len};
        *used += len + 1;
}

size_t sw_log_record_format(struct sw_log_record *rec, enum sw_log_level level,
                            const struct sw_log_fields *f, const char *message)
{
        char priority[4];
        size_t used = 0;
        rec->n = 0;
        snprintf(priority, sizeof(priority), "%d", (int)level);
        add_field(rec, &used, "PRIORITY", priority);
        add_field(rec, &used, "SYSLOG_IDENTIFIER", "shelfwatchd");
        if (f) {
                if (f->event != SW_EVENT_NONE)
                        add_field(rec, &used, "MESSAGE_ID", sw_log_message_id(f->event));
                add_field(rec, &used, "SHELFWATCH_ANOMALY_ID", f->anomaly_id);
                add_field(rec, &used, "SHELFWATCH_SKU", f->sku);
                add_field(rec, &used, "SHELFWATCH_ANOMALY_TYPE", f->type);
                add_field(rec, &used, "SHELFWATCH_OUTCOME", f->outcome);
                add_field(rec, &used, "SHELFWATCH_DEVICE", f->device);
                add_field(rec, &used, "SHELFWATCH_PATH", f->path);
        }
        /* Last: a long message is what gets cut, never a field. */
        add_field(rec, &used, "MESSAGE", message);
        return rec->n;
}

bool sw_log_stderr_is_journal(void)
{
        const char *env = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        return env && sscanf(env, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
               (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool sw_log_use_journal(bool allowed)
{
        /* Without journald's socket sd_journal_sendv drops a record and reports success. */
        log_journal = log_sink != NULL || (allowed && sw_log_stderr_is_journal() &&
                                           access("/run/systemd/journal/socket", W_OK) == 0);
        return log_journal;
}

void sw_log_set_sink(sw_log_sink_fn sink, void *ctx)
{
        log_sink = sink;
        log_sink_ctx = ctx;
        log_journal = sink != NULL;
}

static void emit(enum sw_log_level level, const struct sw_log_fields *f, const char *line)
{
        if (log_journal) {
                struct sw_log_record rec;
                sw_log_record_format(&rec, level, f, line);
                int r = log_sink ? log_sink(log_sink_ctx, rec.iov, rec.n)
                                 : sd_journal_sendv(rec.iov, (int)rec.n);
                if (r >= 0)
                        return;
        }
        /* One fputs per line keeps lines whole in the journal. */
        fprintf(stderr, "<%d>%s\n", (int)level, line);
}

/* Format and emit one line at level, with f's fields (NULL: none). */
__attribute__((format(printf, 3, 0))) static void
log_va(enum sw_log_level level, const struct sw_log_fields *f, const char *fmt, va_list ap)
{
        char line[1024];
        if (level > log_max)
                return;
        vsnprintf(line, sizeof(line), fmt, ap);
        emit(level, f, line);
}

void sw_log_event(enum sw_log_level level, const struct sw_log_fields *f, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_va(level, f, fmt, ap);
        va_end(ap);
}

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
        va_list ap;
        va_start(ap, fmt);
        log_va(level, NULL, fmt, ap);
        va_end(ap);
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
