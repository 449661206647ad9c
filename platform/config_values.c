/* Checks, parsers and printers of single setting values: what the schema rows point at. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/civil_time.h"
#include "core/currency.h"
#include "core/features_scaled.h"
#include "core/ghost.h"
#include "platform/config_internal.h"
#include "platform/log.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo"

__attribute__((format(printf, 3, 4))) static int config__why(char *why, size_t whysz,
                                                             const char *fmt, ...)
{
        va_list ap;

        if (why && whysz > 0) {
                va_start(ap, fmt);
                vsnprintf(why, whysz, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* Topic levels: no '/', '+', '#' or anything a shell or a topic filter could trip on. */
int config__check_name(const char *v, char *why, size_t whysz)
{
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
                        return config__why(
                            why, whysz,
                            "must be 1 to 64 characters of A-Z a-z 0-9 _ . - (got \"%s\")", v);
        return 0;
}

static int config__check_zone_file(const char *v, char *why, size_t whysz)
{
        char path[sizeof(ZONEINFO_DIR) + SW_CONFIG_TIMEZONE_SIZE + 1];
        char magic[4];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, v);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return config__why(why, whysz, "unknown time zone \"%s\" (%s: %s)", v, path,
                                   strerror(errno));
        n = read(fd, magic, sizeof(magic));
        close(fd);
        if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
                return config__why(why, whysz, "unknown time zone \"%s\" (%s is not a TZif file)",
                                   v, path);
        return 0;
}

int config__check_timezone(const char *v, char *why, size_t whysz)
{
        if (strcmp(v, "UTC") == 0)
                return 0;
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_+-./", *p))
                        return config__why(why, whysz, "not an IANA time zone name (got \"%s\")",
                                           v);
        /* No absolute paths, no "." or ".." components, no hidden files. */
        if (v[0] == '/' || v[0] == '.' || strstr(v, "/.") || strstr(v, "//"))
                return config__why(why, whysz, "not an IANA time zone name (got \"%s\")", v);
        return config__check_zone_file(v, why, whysz);
}

/* Host names and client ids ("" for a client id: derive one): no spaces or control bytes. */
int config__check_host(const char *v, char *why, size_t whysz)
{
        for (const char *p = v; *p; p++)
                if (!isgraph((unsigned char)*p))
                        return config__why(why, whysz,
                                           "must not contain spaces or control characters");
        return 0;
}

/* "" means "not set"; otherwise a regular file we can open for reading. */
int config__check_readable_file(const char *v, char *why, size_t whysz)
{
        struct stat st;
        int fd;

        if (!v[0])
                return 0;
        fd = open(v, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return config__why(why, whysz, "cannot read %s: %s", v, strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return config__why(why, whysz, "%s is not a regular file", v);
        }
        close(fd);
        return 0;
}

/* "" means "off"; otherwise an absolute path (the daemon's working directory is no place to
 * write: "/" under systemd). */
int config__check_absolute_path(const char *v, char *why, size_t whysz)
{
        if (!v[0] || v[0] == '/')
                return 0;
        return config__why(why, whysz, "must be an absolute path (got \"%s\")", v);
}

/* "" means "not set"; otherwise a code of core/currency.c's ISO 4217 table. */
int config__check_currency(const char *v, char *why, size_t whysz)
{
        if (!v[0] || sw_currency_minor_digits(v) >= 0)
                return 0;
        return config__why(why, whysz,
                           "must be an ISO 4217 currency code such as \"EUR\" or \"USD\", in "
                           "capitals (got \"%s\")",
                           v);
}

/* Parse exactly "HH:MM" into minutes after midnight; allow_24 admits "24:00". */
static int config__parse_hhmm(const char *p, bool allow_24, unsigned *ret)
{
        unsigned h, m;

        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2] != ':' ||
            !isdigit((unsigned char)p[3]) || !isdigit((unsigned char)p[4]))
                return -EINVAL;
        h = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
        m = (unsigned)(p[3] - '0') * 10 + (unsigned)(p[4] - '0');
        if (m > 59 || h > 24 || (h == 24 && (!allow_24 || m != 0)))
                return -EINVAL;
        *ret = h * 60 + m;
        return 0;
}

int config__parse_schedule(const char *v, void *dst, char *why, size_t whysz)
{
        unsigned minutes;
        uint16_t out;

        if (strlen(v) != 5 || config__parse_hhmm(v, false, &minutes) < 0)
                return config__why(why, whysz,
                                   "must be a local time HH:MM, 00:00 to 23:59 (got \"%s\")", v);
        out = (uint16_t)minutes;
        memcpy(dst, &out, sizeof(out));
        return 0;
}

void config__print_schedule(const void *src, char *buf, size_t size)
{
        uint16_t m;

        memcpy(&m, src, sizeof(m));
        snprintf(buf, size, "%02u:%02u", m / 60u, m % 60u);
}

int config__parse_hours(const char *v, void *dst, char *why, size_t whysz)
{
        struct sw_config_hours *h = dst;
        unsigned open_min, close_min;

        if (strcmp(v, "closed") == 0) {
                *h = (struct sw_config_hours){.closed = true};
                return 0;
        }
        if (strlen(v) != 11 || v[5] != '-' || config__parse_hhmm(v, false, &open_min) < 0 ||
            config__parse_hhmm(v + 6, true, &close_min) < 0)
                return config__why(
                    why, whysz,
                    "must be \"HH:MM-HH:MM\" (24-hour clock) or \"closed\" (got \"%s\")", v);
        if (close_min <= open_min)
                return config__why(why, whysz,
                                   "closing time must be after opening time; closing after "
                                   "midnight is not supported, close at 24:00 at the latest "
                                   "(got \"%s\")",
                                   v);
        *h = (struct sw_config_hours){
            .closed = false, .open_min = (uint16_t)open_min, .close_min = (uint16_t)close_min};
        return 0;
}

void config__print_hours(const void *src, char *buf, size_t size)
{
        const struct sw_config_hours *h = src;

        if (h->closed)
                snprintf(buf, size, "closed");
        else
                snprintf(buf, size, "%02u:%02u-%02u:%02u", h->open_min / 60u, h->open_min % 60u,
                         h->close_min / 60u, h->close_min % 60u);
}

int config__parse_ghost_mode(const char *v, void *dst, char *why, size_t whysz)
{
        enum sw_ghost_mode mode;

        if (sw_ghost_mode_parse(v, &mode) < 0)
                return config__why(why, whysz,
                                   "must be \"bayes\", \"poisson\" or \"seed\" (got \"%s\")", v);
        memcpy(dst, &mode, sizeof(mode));
        return 0;
}

/* A name from core's table, "?" for a value it does not name. */
static void config__print_name(const char *name, char *buf, size_t size)
{
        snprintf(buf, size, "%s", name ? name : "?");
}

void config__print_ghost_mode(const void *src, char *buf, size_t size)
{
        enum sw_ghost_mode mode;

        memcpy(&mode, src, sizeof(mode));
        config__print_name(sw_ghost_mode_name(mode), buf, size);
}

int config__parse_ml_features(const char *v, void *dst, char *why, size_t whysz)
{
        enum sw_feature_set set;

        if (sw_feature_set_parse(v, &set) < 0)
                return config__why(why, whysz, "must be \"scaled\" or \"seed\" (got \"%s\")", v);
        memcpy(dst, &set, sizeof(set));
        return 0;
}

void config__print_ml_features(const void *src, char *buf, size_t size)
{
        enum sw_feature_set set;

        memcpy(&set, src, sizeof(set));
        config__print_name(sw_feature_set_name(set), buf, size);
}

static const char *const log_level_names[] = {"debug", "info", "notice", "warning", "err"};

int config__parse_log_level(const char *v, void *dst, char *why, size_t whysz)
{
        enum sw_log_level level;

        if (sw_log_level_parse(v, &level) < 0)
                return config__why(
                    why, whysz,
                    "must be \"debug\", \"info\", \"notice\", \"warning\" or \"err\" (got \"%s\")",
                    v);
        memcpy(dst, &level, sizeof(level));
        return 0;
}

void config__print_log_level(const void *src, char *buf, size_t size)
{
        enum sw_log_level level, l;

        memcpy(&level, src, sizeof(level));
        for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++)
                if (sw_log_level_parse(log_level_names[i], &l) == 0 && l == level) {
                        config__print_name(log_level_names[i], buf, size);
                        return;
                }
        config__print_name(NULL, buf, size);
}

/* dst is store.holidays: element i in file order, duplicates refused. */
int config__add_holiday(void *dst, uint32_t i, const char *v, char *why, size_t whysz)
{
        sw_day_t *days = dst, day;

        if (sw_date_parse(v, strlen(v), &day) < 0)
                return config__why(why, whysz, "must be a date YYYY-MM-DD (got \"%s\")", v);
        for (uint32_t j = 0; j < i; j++)
                if (days[j] == day)
                        return config__why(why, whysz, "duplicate date %s (also at index %u)", v,
                                           (unsigned)j);
        days[i] = day;
        return 0;
}

static int config__compare_days(const void *a, const void *b)
{
        sw_day_t x = *(const sw_day_t *)a, y = *(const sw_day_t *)b;

        return (x > y) - (x < y);
}

/* The calendar searches holidays by bisection: ascending order. */
void config__finish_holidays(void *dst, uint32_t n)
{
        qsort(dst, n, sizeof(sw_day_t), config__compare_days);
}

/* A device name as it appears as a topic level: 1..64 printable ASCII characters, no space and
 * none of the MQTT separators and wildcards / + #. */
static bool config__device_name_valid(const char *v)
{
        size_t n = strlen(v);

        if (n == 0 || n >= SW_CONFIG_DEVICE_SIZE)
                return false;
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("/+#", *p))
                        return false;
        return true;
}

/* dst is devices.scanners. */
int config__add_scanner(void *dst, uint32_t i, const char *v, char *why, size_t whysz)
{
        char(*names)[SW_CONFIG_DEVICE_SIZE] = dst;

        if (!config__device_name_valid(v))
                return config__why(why, whysz,
                                   "must be 1 to 64 printable characters without spaces, '/', "
                                   "'+' or '#' (got \"%s\")",
                                   v);
        for (uint32_t j = 0; j < i; j++)
                if (strcmp(names[j], v) == 0)
                        return config__why(why, whysz, "duplicate name %s (also at index %u)", v,
                                           (unsigned)j);
        snprintf(names[i], sizeof(names[i]), "%s", v);
        return 0;
}
