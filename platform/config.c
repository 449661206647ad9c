/* Configuration loading with libconfig: schema tables, embedded defaults, validation. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/civil_time.h"
#include "platform/config.h"

#define ZONEINFO_DIR      "/usr/share/zoneinfo"
#define SETTING_NAME_SIZE 192 /* dotted setting names such as "detectors.ghost.alpha" */

/* State of one sw_config_load() call. */
struct config_loader {
        const char *path; /* the file given to sw_config_load(), when libconfig names none */
        const char *dir;  /* its directory, where libconfig resolves @include */
        char *err;        /* message buffer, may be NULL */
        size_t errsz;     /* its size */
};

/*
 * The file a setting came from. libconfig names an included file as written
 * in the @include, relative to the include directory: resolve it likewise.
 */
static const char *config__source_file(const struct config_loader *l, const char *file, char *buf,
                                       size_t size)
{
        if (!file)
                return l->path;
        if (file[0] == '/' || strcmp(file, l->path) == 0)
                return file;
        snprintf(buf, size, "%s/%s", l->dir, file);
        return buf;
}

/*
 * Keep a message on one line: values echoed from the file (a string may hold a newline or
 * any control character) must not start a new log line. Replaces them with '?'.
 */
static void config__one_line(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

/*
 * Write "file:line: name: reason" and return -EINVAL. where gives file and line
 * (NULL or line 0: "file: name: reason").
 */
__attribute__((format(printf, 4, 5))) static int config__fail(struct config_loader *l,
                                                              const config_setting_t *where,
                                                              const char *name, const char *fmt,
                                                              ...)
{
        char buf[SW_CONFIG_PATH_SIZE * 2];
        const char *file = l->path;
        unsigned line = 0;
        va_list ap;
        int n;

        if (!l->err || l->errsz == 0)
                return -EINVAL;
        if (where) {
                file = config__source_file(l, config_setting_source_file(where), buf, sizeof(buf));
                line = config_setting_source_line(where);
        }
        if (line > 0)
                n = snprintf(l->err, l->errsz, "%s:%u: %s: ", file, line, name);
        else
                n = snprintf(l->err, l->errsz, "%s: %s: ", file, name);
        if (n < 0 || (size_t)n >= l->errsz)
                return -EINVAL;
        va_start(ap, fmt);
        vsnprintf(l->err + n, l->errsz - (size_t)n, fmt, ap);
        va_end(ap);
        config__one_line(l->err);
        return -EINVAL;
}

static const char *config__type_desc(const config_setting_t *s)
{
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                return "an integer";
        case CONFIG_TYPE_FLOAT:
                return "a float";
        case CONFIG_TYPE_STRING:
                return "a string";
        case CONFIG_TYPE_BOOL:
                return "a boolean";
        case CONFIG_TYPE_GROUP:
                return "a group";
        case CONFIG_TYPE_ARRAY:
                return "an array";
        case CONFIG_TYPE_LIST:
                return "a list";
        default:
                return "nothing";
        }
}

/*
 * The low 32 bits of what libconfig 1.5 makes of an integer literal: it converts
 * with strtol (decimal, saturating) or strtoul (hex) and keeps an int. long is 32
 * bits on armhf, so there the saturation is at 2^31 - 1 (2^32 - 1 for hex), not
 * at 2^63 - 1 as on 64-bit targets.
 */
static uint32_t config__libconfig_low32(bool negative, unsigned long long u, bool overflow,
                                        int base)
{
        if (base == 16)
                return (uint32_t)(overflow || u > ULONG_MAX ? ULONG_MAX : negative ? -u : u);
        if (overflow || u > (unsigned long long)LONG_MAX + negative)
                return negative ? (uint32_t)LONG_MIN : (uint32_t)LONG_MAX;
        return (uint32_t)(negative ? -u : u);
}

/*
 * Find "name = <integer>" (or ':') in one line of config text, the literal that
 * libconfig read as lib (an int). Text that looks like it but does not wrap to lib
 * (inside a string or a comment on the same line) is skipped. Returns 1 and the
 * value, 0 when not found, -ERANGE when it does not fit a long long.
 */
static int config__find_int_literal(const char *text, const char *name, long long lib,
                                    long long *ret)
{
        size_t nlen = strlen(name);

        for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
                const char *q = p + nlen;
                unsigned long long u;
                bool negative = false, overflow;
                char *end;
                int base = 10;

                if (p > text && (isalnum((unsigned char)p[-1]) || strchr("_-*", p[-1])))
                        continue;
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q != '=' && *q != ':')
                        continue;
                q++;
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q == '+' || *q == '-') {
                        negative = *q == '-';
                        q++;
                }
                if (!isdigit((unsigned char)*q))
                        continue;
                if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
                        base = 16;
                errno = 0;
                u = strtoull(q, &end, base);
                overflow = errno == ERANGE;
                if (config__libconfig_low32(negative, u, overflow, base) != (uint32_t)lib)
                        continue;
                if (overflow || u > (unsigned long long)LLONG_MAX)
                        return -ERANGE;
                *ret = negative ? -(long long)u : (long long)u;
                return 1;
        }
        return 0;
}

/*
 * libconfig 1.5 stores an integer literal without the L suffix in an int and
 * wraps silently (4294967297 reads as 1, 2147483648 as -2147483648). Re-read
 * the literal from the setting's source line so that range checks see what
 * the file says. *ret holds libconfig's value on entry. Returns 1 and the value,
 * 0 when the line could not be matched (a value split over lines: libconfig's
 * value stands), -ERANGE when too big.
 */
static int config__int_literal_from_source(struct config_loader *l, const config_setting_t *s,
                                           long long *ret)
{
        char path[SW_CONFIG_PATH_SIZE * 2];
        const char *file =
            config__source_file(l, config_setting_source_file(s), path, sizeof(path));
        unsigned line = config_setting_source_line(s), n = 0;
        char *buf = NULL;
        size_t cap = 0;
        int r = 0;
        FILE *f;

        if (!config_setting_name(s) || line == 0)
                return 0;
        f = fopen(file, "re");
        if (!f)
                return 0;
        while (getline(&buf, &cap, f) >= 0)
                if (++n == line) {
                        r = config__find_int_literal(buf, config_setting_name(s), *ret, ret);
                        break;
                }
        free(buf);
        fclose(f);
        return r;
}

static int config__get_integer(struct config_loader *l, const config_setting_t *s, const char *name,
                               long long *ret)
{
        long long v = 0;
        int r;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT64:
                *ret = config_setting_get_int64(s);
                return 0;
        case CONFIG_TYPE_INT:
                v = config_setting_get_int64(s);
                r = config__int_literal_from_source(l, s, &v);
                if (r == -ERANGE)
                        return config__fail(l, s, name, "integer too large");
                *ret = v;
                return 0;
        case CONFIG_TYPE_FLOAT:
                return config__fail(l, s, name, "must be an integer (got a float: %g)",
                                    config_setting_get_float(s));
        default:
                return config__fail(l, s, name, "must be an integer (got %s)",
                                    config__type_desc(s));
        }
}

/* Integers are accepted where a float is expected. */
static int config__get_number(struct config_loader *l, const config_setting_t *s, const char *name,
                              double *ret)
{
        long long v = 0;
        int r;

        if (config_setting_type(s) == CONFIG_TYPE_FLOAT) {
                *ret = config_setting_get_float(s);
                return 0;
        }
        if (config_setting_type(s) != CONFIG_TYPE_INT &&
            config_setting_type(s) != CONFIG_TYPE_INT64)
                return config__fail(l, s, name, "must be a number (got %s)", config__type_desc(s));
        r = config__get_integer(l, s, name, &v);
        if (r < 0)
                return r;
        *ret = (double)v;
        return 0;
}

static int config__get_string(struct config_loader *l, const config_setting_t *s, const char *name,
                              const char **ret)
{
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return config__fail(l, s, name, "must be a string (got %s)", config__type_desc(s));
        *ret = config_setting_get_string(s);
        return 0;
}

/* ---- schema ---------------------------------------------------------------------------- */

/* Parse and validate one setting into dst (FIELD_CUSTOM), or check a copied string. */
typedef int (*config_field_fn)(struct config_loader *l, const config_setting_t *s, const char *name,
                               void *dst);

enum config_field_kind {
        FIELD_UINT,   /* unsigned integer of size 2, 4 or 8 in [min, max] */
        FIELD_DOUBLE, /* double in [fmin, fmax], ends open when flagged */
        FIELD_BOOL,   /* bool */
        FIELD_STRING, /* char[size], length in [min, max], then fn checks the copy */
        FIELD_GROUP,  /* nested group described by members */
        FIELD_CUSTOM  /* fn parses and validates */
};

/* One setting in a group: where it goes and what it may hold. */
struct config_field {
        const char *name;                   /* setting name inside its group; NULL ends a table */
        enum config_field_kind kind;        /* how to read it */
        size_t offset;                      /* destination, from the group's base */
        size_t size;                        /* size of the destination */
        long long min, max;                 /* FIELD_UINT: range; FIELD_STRING: length */
        double fmin, fmax;                  /* FIELD_DOUBLE: range */
        bool fmin_open, fmax_open;          /* FIELD_DOUBLE: exclude the bound itself */
        config_field_fn fn;                 /* FIELD_CUSTOM parser, FIELD_STRING checker */
        const struct config_field *members; /* FIELD_GROUP: its settings */
        bool has_flag;                      /* FIELD_GROUP: set a bool when present */
        size_t flag_offset;                 /* FIELD_GROUP: that bool, from the group's base */
};

#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
#define UINT_FIELD(type, member, lo, hi)                                                           \
        {                                                                                          \
                .name = #member, .kind = FIELD_UINT, .offset = offsetof(type, member),             \
                .size = MEMBER_SIZE(type, member), .min = (lo), .max = (hi)                        \
        }
#define UINT_FIELD_AT(name_, type, member, lo, hi)                                                 \
        {                                                                                          \
                .name = (name_), .kind = FIELD_UINT, .offset = offsetof(type, member),             \
                .size = MEMBER_SIZE(type, member), .min = (lo), .max = (hi)                        \
        }
#define DOUBLE_FIELD_AT(name_, type, member, lo, lo_open, hi, hi_open)                             \
        {                                                                                          \
                .name = (name_), .kind = FIELD_DOUBLE, .offset = offsetof(type, member),           \
                .size = MEMBER_SIZE(type, member), .fmin = (lo), .fmax = (hi),                     \
                .fmin_open = (lo_open), .fmax_open = (hi_open)                                     \
        }
#define BOOL_FIELD(type, member)                                                                   \
        {                                                                                          \
                .name = #member, .kind = FIELD_BOOL, .offset = offsetof(type, member),             \
                .size = MEMBER_SIZE(type, member)                                                  \
        }
#define STRING_FIELD(type, member, min_len, check)                                                 \
        {                                                                                          \
                .name = #member, .kind = FIELD_STRING, .offset = offsetof(type, member),           \
                .size = MEMBER_SIZE(type, member), .min = (min_len),                               \
                .max = (long long)MEMBER_SIZE(type, member) - 1, .fn = (check)                     \
        }
#define CUSTOM_FIELD(name_, type, member, parse)                                                   \
        {                                                                                          \
                .name = (name_), .kind = FIELD_CUSTOM, .offset = offsetof(type, member),           \
                .size = MEMBER_SIZE(type, member), .fn = (parse)                                   \
        }
#define GROUP_FIELD(name_, type, member, members_)                                                 \
        {                                                                                          \
                .name = (name_), .kind = FIELD_GROUP, .offset = offsetof(type, member),            \
                .size = MEMBER_SIZE(type, member), .members = (members_)                           \
        }
#define GROUP_FIELD_FLAG(name_, type, member, members_, flag)                                      \
        {                                                                                          \
                .name = (name_), .kind = FIELD_GROUP, .offset = offsetof(type, member),            \
                .size = MEMBER_SIZE(type, member), .members = (members_), .has_flag = true,        \
                .flag_offset = offsetof(type, flag)                                                \
        }

/* ---- checks and parsers for single settings --------------------------------------------- */

/* Topic levels: no '/', '+', '#' or anything a shell or a topic filter could trip on. */
static int config__check_name(struct config_loader *l, const config_setting_t *s, const char *name,
                              void *dst)
{
        const char *v = dst;

        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
                        return config__fail(
                            l, s, name,
                            "must be 1 to 64 characters of A-Z a-z 0-9 _ . - (got \"%s\")", v);
        return 0;
}

static int config__check_timezone(struct config_loader *l, const config_setting_t *s,
                                  const char *name, void *dst)
{
        const char *v = dst;
        char path[sizeof(ZONEINFO_DIR) + SW_CONFIG_TIMEZONE_SIZE + 1];
        char magic[4];
        ssize_t n;
        int fd;

        if (strcmp(v, "UTC") == 0)
                return 0;
        for (const char *p = v; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_+-./", *p))
                        return config__fail(l, s, name, "not an IANA time zone name (got \"%s\")",
                                            v);
        /* No absolute paths, no "." or ".." components, no hidden files. */
        if (v[0] == '/' || v[0] == '.' || strstr(v, "/.") || strstr(v, "//"))
                return config__fail(l, s, name, "not an IANA time zone name (got \"%s\")", v);
        snprintf(path, sizeof(path), "%s/%s", ZONEINFO_DIR, v);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return config__fail(l, s, name, "unknown time zone \"%s\" (%s: %s)", v, path,
                                    strerror(errno));
        n = read(fd, magic, sizeof(magic));
        close(fd);
        if (n != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
                return config__fail(l, s, name, "unknown time zone \"%s\" (%s is not a TZif file)",
                                    v, path);
        return 0;
}

static int config__check_host(struct config_loader *l, const config_setting_t *s, const char *name,
                              void *dst)
{
        const char *v = dst;

        for (const char *p = v; *p; p++)
                if (!isgraph((unsigned char)*p))
                        return config__fail(l, s, name,
                                            "must not contain spaces or control characters");
        return 0;
}

/* "" means "derive one"; otherwise printable ASCII without spaces. */
static int config__check_client_id(struct config_loader *l, const config_setting_t *s,
                                   const char *name, void *dst)
{
        return config__check_host(l, s, name, dst);
}

/* "" means "not set"; otherwise a regular file we can open for reading. */
static int config__check_readable_file(struct config_loader *l, const config_setting_t *s,
                                       const char *name, void *dst)
{
        const char *v = dst;
        struct stat st;
        int fd;

        if (!v[0])
                return 0;
        fd = open(v, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return config__fail(l, s, name, "cannot read %s: %s", v, strerror(errno));
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return config__fail(l, s, name, "%s is not a regular file", v);
        }
        close(fd);
        return 0;
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

static int config__parse_schedule(struct config_loader *l, const config_setting_t *s,
                                  const char *name, void *dst)
{
        const char *v = NULL;
        unsigned minutes;
        uint16_t out;
        int r;

        r = config__get_string(l, s, name, &v);
        if (r < 0)
                return r;
        if (strlen(v) != 5 || config__parse_hhmm(v, false, &minutes) < 0)
                return config__fail(l, s, name,
                                    "must be a local time HH:MM, 00:00 to 23:59 (got \"%s\")", v);
        out = (uint16_t)minutes;
        memcpy(dst, &out, sizeof(out));
        return 0;
}

static int config__parse_hours(struct config_loader *l, const config_setting_t *s, const char *name,
                               void *dst)
{
        struct sw_config_hours *h = dst;
        unsigned open_min, close_min;
        const char *v = NULL;
        int r;

        r = config__get_string(l, s, name, &v);
        if (r < 0)
                return r;
        if (strcmp(v, "closed") == 0) {
                *h = (struct sw_config_hours){.closed = true};
                return 0;
        }
        if (strlen(v) != 11 || v[5] != '-' || config__parse_hhmm(v, false, &open_min) < 0 ||
            config__parse_hhmm(v + 6, true, &close_min) < 0)
                return config__fail(
                    l, s, name,
                    "must be \"HH:MM-HH:MM\" (24-hour clock) or \"closed\" (got \"%s\")", v);
        if (close_min <= open_min)
                return config__fail(l, s, name,
                                    "closing time must be after opening time; closing after "
                                    "midnight is not supported, close at 24:00 at the latest "
                                    "(got \"%s\")",
                                    v);
        *h = (struct sw_config_hours){
            .closed = false, .open_min = (uint16_t)open_min, .close_min = (uint16_t)close_min};
        return 0;
}

static int config__compare_days(const void *a, const void *b)
{
        sw_day_t x = *(const sw_day_t *)a, y = *(const sw_day_t *)b;

        return (x > y) - (x < y);
}

/* dst is store.holidays; n_holidays is found beside it. */
static int config__parse_holidays(struct config_loader *l, const config_setting_t *s,
                                  const char *name, void *dst)
{
        struct sw_config_store *store =
            (struct sw_config_store *)((char *)dst - offsetof(struct sw_config_store, holidays));
        sw_day_t days[SW_CONFIG_MAX_HOLIDAYS];
        char elem_name[SETTING_NAME_SIZE];
        int n;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
            config_setting_type(s) != CONFIG_TYPE_LIST)
                return config__fail(l, s, name,
                                    "must be a list of dates [\"YYYY-MM-DD\", ...] (got %s)",
                                    config__type_desc(s));
        n = config_setting_length(s);
        if (n > SW_CONFIG_MAX_HOLIDAYS)
                return config__fail(l, s, name, "must have at most %d dates (got %d)",
                                    SW_CONFIG_MAX_HOLIDAYS, n);
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
                const char *v = NULL;
                int r;

                snprintf(elem_name, sizeof(elem_name), "%s[%d]", name, i);
                r = config__get_string(l, e, elem_name, &v);
                if (r < 0)
                        return r;
                if (sw_date_parse(v, strlen(v), &days[i]) < 0)
                        return config__fail(l, e, elem_name,
                                            "must be a date YYYY-MM-DD (got \"%s\")", v);
                for (int j = 0; j < i; j++)
                        if (days[j] == days[i])
                                return config__fail(l, e, elem_name,
                                                    "duplicate date %s (also at index %d)", v, j);
        }
        qsort(days, (size_t)n, sizeof(days[0]), config__compare_days);
        memcpy(store->holidays, days, (size_t)n * sizeof(days[0]));
        store->n_holidays = (uint32_t)n;
        return 0;
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

/* dst is devices.scanners; n_scanners is found beside it. */
static int config__parse_scanners(struct config_loader *l, const config_setting_t *s,
                                  const char *name, void *dst)
{
        struct sw_config_devices *dev =
            (struct sw_config_devices *)((char *)dst -
                                         offsetof(struct sw_config_devices, scanners));
        char elem_name[SETTING_NAME_SIZE];
        int n;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
            config_setting_type(s) != CONFIG_TYPE_LIST)
                return config__fail(l, s, name,
                                    "must be a list of device names [\"hh-1\", ...] (got %s)",
                                    config__type_desc(s));
        n = config_setting_length(s);
        if (n > SW_CONFIG_MAX_SCANNERS)
                return config__fail(l, s, name, "must have at most %d names (got %d)",
                                    SW_CONFIG_MAX_SCANNERS, n);
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
                const char *v = NULL;
                snprintf(elem_name, sizeof(elem_name), "%s[%d]", name, i);
                int r = config__get_string(l, e, elem_name, &v);
                if (r < 0)
                        return r;
                if (!config__device_name_valid(v))
                        return config__fail(l, e, elem_name,
                                            "must be 1 to 64 printable characters without spaces, "
                                            "'/', '+' or '#' (got \"%s\")",
                                            v);
                for (int j = 0; j < i; j++)
                        if (strcmp(dev->scanners[j], v) == 0)
                                return config__fail(l, e, elem_name,
                                                    "duplicate name %s (also at index %d)", v, j);
                snprintf(dev->scanners[i], sizeof(dev->scanners[i]), "%s", v);
        }
        dev->n_scanners = (uint32_t)n;
        return 0;
}

bool sw_config_scanner_allowed(const struct sw_config *c, const char *name, size_t len)
{
        if (c->devices.n_scanners == 0)
                return true;
        for (uint32_t i = 0; i < c->devices.n_scanners; i++)
                if (strlen(c->devices.scanners[i]) == len &&
                    memcmp(c->devices.scanners[i], name, len) == 0)
                        return true;
        return false;
}

static int config__parse_ghost_mode(struct config_loader *l, const config_setting_t *s,
                                    const char *name, void *dst)
{
        enum sw_ghost_mode mode;
        const char *v = NULL;
        int r;

        r = config__get_string(l, s, name, &v);
        if (r < 0)
                return r;
        if (strcmp(v, "poisson") == 0)
                mode = SW_GHOST_MODE_POISSON;
        else if (strcmp(v, "seed") == 0)
                mode = SW_GHOST_MODE_SEED;
        else if (strcmp(v, "bayes") == 0)
                mode = SW_GHOST_MODE_BAYES;
        else
                return config__fail(l, s, name,
                                    "must be \"bayes\", \"poisson\" or \"seed\" (got \"%s\")", v);
        memcpy(dst, &mode, sizeof(mode));
        return 0;
}

static int config__parse_ml_features(struct config_loader *l, const config_setting_t *s,
                                     const char *name, void *dst)
{
        enum sw_feature_set set;
        const char *v = NULL;
        int r = config__get_string(l, s, name, &v);
        if (r < 0)
                return r;
        if (sw_feature_set_parse(v, &set) < 0)
                return config__fail(l, s, name, "must be \"scaled\" or \"seed\" (got \"%s\")", v);
        memcpy(dst, &set, sizeof(set));
        return 0;
}

static int config__parse_log_level(struct config_loader *l, const config_setting_t *s,
                                   const char *name, void *dst)
{
        enum sw_log_level level;
        const char *v = NULL;
        int r;

        r = config__get_string(l, s, name, &v);
        if (r < 0)
                return r;
        if (sw_log_level_parse(v, &level) < 0)
                return config__fail(
                    l, s, name,
                    "must be \"debug\", \"info\", \"notice\", \"warning\" or \"err\" (got \"%s\")",
                    v);
        memcpy(dst, &level, sizeof(level));
        return 0;
}

/* ---- the schema ------------------------------------------------------------------------- */

static const struct config_field tls_fields[] = {
    STRING_FIELD(struct sw_config_tls, ca_file, 0, config__check_readable_file),
    STRING_FIELD(struct sw_config_tls, cert_file, 0, config__check_readable_file),
    STRING_FIELD(struct sw_config_tls, key_file, 0, config__check_readable_file),
    BOOL_FIELD(struct sw_config_tls, insecure),
    {0},
};

static const struct config_field broker_fields[] = {
    STRING_FIELD(struct sw_config_broker, host, 1, config__check_host),
    UINT_FIELD(struct sw_config_broker, port, 1, 65535),
    STRING_FIELD(struct sw_config_broker, client_id, 0, config__check_client_id),
    UINT_FIELD(struct sw_config_broker, keepalive, 5, 3600),
    STRING_FIELD(struct sw_config_broker, username, 0, NULL),
    STRING_FIELD(struct sw_config_broker, password, 0, NULL),
    UINT_FIELD(struct sw_config_broker, reconnect_min_ms, 10, 600000),
    UINT_FIELD(struct sw_config_broker, reconnect_max_ms, 10, 3600000),
    UINT_FIELD(struct sw_config_broker, max_reads_per_pass, 1, 65535),
    GROUP_FIELD_FLAG("tls", struct sw_config_broker, tls, tls_fields, tls.enabled),
    {0},
};

#define HOURS_FIELD(name_, day)                                                                    \
        {                                                                                          \
                .name = (name_), .kind = FIELD_CUSTOM,                                             \
                .offset = (day) * sizeof(struct sw_config_hours),                                  \
                .size = sizeof(struct sw_config_hours), .fn = config__parse_hours                  \
        }

/* Base: store.opening_hours[0]. */
static const struct config_field hours_fields[] = {
    HOURS_FIELD("mon", 0), HOURS_FIELD("tue", 1), HOURS_FIELD("wed", 2), HOURS_FIELD("thu", 3),
    HOURS_FIELD("fri", 4), HOURS_FIELD("sat", 5), HOURS_FIELD("sun", 6), {0},
};

static const struct config_field store_fields[] = {
    STRING_FIELD(struct sw_config_store, root, 1, config__check_name),
    STRING_FIELD(struct sw_config_store, tenant, 1, config__check_name),
    STRING_FIELD(struct sw_config_store, id, 1, config__check_name),
    STRING_FIELD(struct sw_config_store, timezone, 1, config__check_timezone),
    CUSTOM_FIELD("holidays", struct sw_config_store, holidays, config__parse_holidays),
    GROUP_FIELD("opening_hours", struct sw_config_store, opening_hours, hours_fields),
    {0},
};

static const struct config_field storage_fields[] = {
    STRING_FIELD(struct sw_config_storage, path, 1, NULL),
    UINT_FIELD(struct sw_config_storage, commit_interval_ms, 10, 60000),
    UINT_FIELD(struct sw_config_storage, cache_kib, 64, 1048576),
    UINT_FIELD(struct sw_config_storage, max_db_kib, 0, 2147483647),
    UINT_FIELD(struct sw_config_storage, max_inbox_kib, 1024, 2147483647),
    {0},
};

static const struct config_field limits_fields[] = {
    UINT_FIELD(struct sw_config_limits, max_skus, 1, 10000000),
    UINT_FIELD(struct sw_config_limits, history_days, 14, 366),
    UINT_FIELD(struct sw_config_limits, max_payload_bytes, 256, 16777216),
    UINT_FIELD(struct sw_config_limits, max_items_per_message, 1, 100000),
    UINT_FIELD(struct sw_config_limits, dedup_ids, 16, 16777216),
    UINT_FIELD(struct sw_config_limits, max_categories, 1, 65535),
    UINT_FIELD(struct sw_config_limits, max_shelf_skus, 1, 10000000),
    UINT_FIELD(struct sw_config_limits, max_fast_skus, 0, 10000000),
    UINT_FIELD(struct sw_config_limits, max_open_anomalies, 1, 10000000),
    UINT_FIELD(struct sw_config_limits, max_future_seconds, 0, 31536000),
    UINT_FIELD(struct sw_config_limits, outbox_inflight, 1, 65535),
    UINT_FIELD(struct sw_config_limits, outbox_max_rows, 100, 100000000),
    UINT_FIELD(struct sw_config_limits, device_rate_per_second, 1, 1000000),
    UINT_FIELD(struct sw_config_limits, device_burst, 1, 1000000),
    UINT_FIELD(struct sw_config_limits, max_devices, 1, 1000000),
    UINT_FIELD(struct sw_config_limits, command_rate_per_second, 1, 1000000),
    UINT_FIELD(struct sw_config_limits, command_burst, 1, 1000000),
    {0},
};

static const struct config_field ghost_fields[] = {
    BOOL_FIELD(struct sw_config_ghost, enabled),
    CUSTOM_FIELD("mode", struct sw_config_ghost, params.mode, config__parse_ghost_mode),
    DOUBLE_FIELD_AT("alpha", struct sw_config_ghost, params.alpha, 0, true, 0.5, true),
    DOUBLE_FIELD_AT("prior_rate", struct sw_config_ghost, params.prior_rate, 0, true, 1, true),
    DOUBLE_FIELD_AT("low_ratio", struct sw_config_ghost, params.low_ratio, 0, false, 1, false),
    UINT_FIELD_AT("max_run_days", struct sw_config_ghost, params.max_run_days, 1,
                  SW_GHOST_MAX_WINDOW_DAYS),
    DOUBLE_FIELD_AT("overdispersion_threshold", struct sw_config_ghost,
                    params.overdispersion_threshold, 0, false, 1000, false),
    DOUBLE_FIELD_AT("warning_probability", struct sw_config_ghost, params.warning_probability, 0,
                    false, 1, false),
    DOUBLE_FIELD_AT("critical_probability", struct sw_config_ghost, params.critical_probability, 0,
                    false, 1, false),
    UINT_FIELD_AT("seed_lookback_days", struct sw_config_ghost, params.seed_lookback_days, 1,
                  SW_GHOST_MAX_WINDOW_DAYS),
    UINT_FIELD_AT("seed_min_low_days", struct sw_config_ghost, params.seed_min_low_days, 1,
                  SW_GHOST_MAX_WINDOW_DAYS),
    DOUBLE_FIELD_AT("onset_rate", struct sw_config_ghost, params.onset_rate, 0, true, 0.5, true),
    DOUBLE_FIELD_AT("min_probability", struct sw_config_ghost, params.min_probability, 0, true, 1,
                    true),
    DOUBLE_FIELD_AT("false_alerts_per_day", struct sw_config_ghost, params.false_alerts_per_day, 0,
                    true, 1000000, false),
    UINT_FIELD(struct sw_config_ghost, max_new_per_day, 1, 100000),
    {0},
};

static const struct config_field context_fields[] = {
    DOUBLE_FIELD_AT("shortfall_ratio", struct sw_config_context, shortfall_ratio, 0, false, 1,
                    true),
    UINT_FIELD(struct sw_config_context, min_store_skus, 1, 10000000),
    UINT_FIELD(struct sw_config_context, min_category_skus, 1, 10000000),
    UINT_FIELD(struct sw_config_context, pos_silence_minutes, 0, 10080),
    {0},
};

static const struct config_field forecast_fields[] = {
    UINT_FIELD(struct sw_forecast_params, min_history_days, 1, 366),
    DOUBLE_FIELD_AT("half_life_days", struct sw_forecast_params, half_life_days, 0, true, 3660,
                    false),
    DOUBLE_FIELD_AT("weekday_pseudo_days", struct sw_forecast_params, weekday_pseudo_days, 0, false,
                    366, false),
    {0},
};

static const struct config_field shelf_out_fields[] = {
    BOOL_FIELD(struct sw_config_shelf_out, enabled),
    UINT_FIELD(struct sw_config_shelf_out, zero_minutes, 1, 10080),
    UINT_FIELD(struct sw_config_shelf_out, min_readings, 1, 1000),
    UINT_FIELD(struct sw_config_shelf_out, max_gap_minutes, 1, 10080),
    DOUBLE_FIELD_AT("false_zero_rate", struct sw_config_shelf_out, false_zero_rate, 0, true, 1,
                    true),
    {0},
};

static const struct config_field discrepancy_fields[] = {
    BOOL_FIELD(struct sw_config_discrepancy, enabled),
    UINT_FIELD(struct sw_config_discrepancy, shelf_above_hours, 1, 8760),
    {0},
};

static const struct config_field ml_fields[] = {
    BOOL_FIELD(struct sw_config_ml, enabled),
    UINT_FIELD(struct sw_config_ml, trees, 1, 1000),
    UINT_FIELD(struct sw_config_ml, samples, 2, 4096),
    DOUBLE_FIELD_AT("contamination", struct sw_config_ml, contamination, 0, true, 0.5, false),
    UINT_FIELD(struct sw_config_ml, train_interval_hours, 1, 168),
    UINT_FIELD(struct sw_config_ml, reservoir, 64, 1000000),
    DOUBLE_FIELD_AT("warning_sigma", struct sw_config_ml, warning_sigma, 0, true, 100, false),
    DOUBLE_FIELD_AT("critical_sigma", struct sw_config_ml, critical_sigma, 0, true, 100, false),
    UINT_FIELD(struct sw_config_ml, seed, 0, 4294967295LL),
    CUSTOM_FIELD("features", struct sw_config_ml, features, config__parse_ml_features),
    UINT_FIELD(struct sw_config_ml, max_new_per_day, 1, 100000),
    DOUBLE_FIELD_AT("price_ratio", struct sw_config_ml, cause.price_ratio, 1, true, 1000, false),
    DOUBLE_FIELD_AT("spike_ratio", struct sw_config_ml, cause.spike_ratio, 1, true, 1000, false),
    DOUBLE_FIELD_AT("spike_min_units", struct sw_config_ml, cause.spike_min_units, 0, false, 1e6,
                    false),
    DOUBLE_FIELD_AT("overstock_weeks", struct sw_config_ml, cause.overstock_weeks, 0, true, 10000,
                    false),
    DOUBLE_FIELD_AT("overstock_min_units", struct sw_config_ml, cause.overstock_min_units, 0, false,
                    1e9, false),
    DOUBLE_FIELD_AT("critical_strength", struct sw_config_ml, critical_strength, 1, false, 100,
                    false),
    {0},
};

static const struct config_field detectors_fields[] = {
    CUSTOM_FIELD("schedule", struct sw_config_detectors, schedule_min, config__parse_schedule),
    GROUP_FIELD("ghost", struct sw_config_detectors, ghost, ghost_fields),
    GROUP_FIELD("forecast", struct sw_config_detectors, ghost.params.forecast, forecast_fields),
    GROUP_FIELD("shelf_out", struct sw_config_detectors, shelf_out, shelf_out_fields),
    GROUP_FIELD("context", struct sw_config_detectors, context, context_fields),
    GROUP_FIELD("discrepancy", struct sw_config_detectors, discrepancy, discrepancy_fields),
    GROUP_FIELD("ml", struct sw_config_detectors, ml, ml_fields),
    {0},
};

static const struct config_field outcomes_fields[] = {
    UINT_FIELD(struct sw_outcome_params, material_units, 1, 1000000),
    DOUBLE_FIELD_AT("material_ratio", struct sw_outcome_params, material_ratio, 0, false, 1, false),
    DOUBLE_FIELD_AT("prevented_days", struct sw_outcome_params, prevented_days, 0, true, 365,
                    false),
    UINT_FIELD(struct sw_outcome_params, dismiss_days, 0, 365),
    {0},
};

static const struct config_field tuning_fields[] = {
    BOOL_FIELD(struct sw_tuning_params, enabled),
    DOUBLE_FIELD_AT("target_precision", struct sw_tuning_params, target_precision, 0, true, 1,
                    true),
    DOUBLE_FIELD_AT("step", struct sw_tuning_params, step, 0, true, 1, false),
    DOUBLE_FIELD_AT("min_scale", struct sw_tuning_params, min_scale, 0, true, 1, false),
    DOUBLE_FIELD_AT("max_scale", struct sw_tuning_params, max_scale, 1, false, 10, false),
    UINT_FIELD(struct sw_tuning_params, min_outcomes, 1, 1000000),
    DOUBLE_FIELD_AT("max_daily_factor", struct sw_tuning_params, max_daily_factor, 1, false, 10,
                    false),
    DOUBLE_FIELD_AT("weight_scanner_user", struct sw_tuning_params, weight_scanner_user, 0, false,
                    1, false),
    DOUBLE_FIELD_AT("weight_scanner", struct sw_tuning_params, weight_scanner, 0, false, 1, false),
    DOUBLE_FIELD_AT("weight_command", struct sw_tuning_params, weight_command, 0, false, 1, false),
    {0},
};

static const struct config_field devices_fields[] = {
    CUSTOM_FIELD("scanners", struct sw_config_devices, scanners, config__parse_scanners),
    {0},
};

static const struct config_field summary_fields[] = {
    UINT_FIELD(struct sw_config_summary, interval_seconds, 10, 86400),
    {0},
};

static const struct config_field log_fields[] = {
    CUSTOM_FIELD("level", struct sw_config_log, level, config__parse_log_level),
    UINT_FIELD(struct sw_config_log, max_findings_per_run, 0, 1000000),
    {0},
};

static const struct config_field root_fields[] = {
    GROUP_FIELD("store", struct sw_config, store, store_fields),
    GROUP_FIELD("broker", struct sw_config, broker, broker_fields),
    GROUP_FIELD_FLAG("hq", struct sw_config, hq, broker_fields, hq_enabled),
    GROUP_FIELD("storage", struct sw_config, storage, storage_fields),
    GROUP_FIELD("limits", struct sw_config, limits, limits_fields),
    GROUP_FIELD("detectors", struct sw_config, detectors, detectors_fields),
    GROUP_FIELD("outcomes", struct sw_config, outcomes, outcomes_fields),
    GROUP_FIELD("tuning", struct sw_config, tuning, tuning_fields),
    GROUP_FIELD("devices", struct sw_config, devices, devices_fields),
    GROUP_FIELD("summary", struct sw_config, summary, summary_fields),
    GROUP_FIELD("log", struct sw_config, log, log_fields),
    {0},
};

/* ---- the walk --------------------------------------------------------------------------- */

/* Levenshtein distance of two short names, for "did you mean" hints. */
static unsigned config__edit_distance(const char *a, const char *b)
{
        unsigned row[64];
        size_t la = strlen(a), lb = strlen(b);

        if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
                return UINT_MAX;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned)j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned)i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

static void config__store_uint(void *dst, size_t size, long long v)
{
        if (size == sizeof(uint16_t)) {
                uint16_t x = (uint16_t)v;
                memcpy(dst, &x, sizeof(x));
        } else if (size == sizeof(uint32_t)) {
                uint32_t x = (uint32_t)v;
                memcpy(dst, &x, sizeof(x));
        } else {
                uint64_t x = (uint64_t)v;
                assert(size == sizeof(x));
                memcpy(dst, &x, sizeof(x));
        }
}

static int config__load_group(struct config_loader *l, const config_setting_t *g, const char *gname,
                              const struct config_field *fields, char *base);

static int config__load_field(struct config_loader *l, const config_setting_t *s, const char *name,
                              const struct config_field *f, char *base)
{
        char *dst = base + f->offset;
        const char *str = NULL;
        long long v = 0;
        double d = 0;
        size_t len;
        int r;

        switch (f->kind) {
        case FIELD_UINT:
                r = config__get_integer(l, s, name, &v);
                if (r < 0)
                        return r;
                if (v < f->min || v > f->max)
                        return config__fail(l, s, name, "must be between %lld and %lld (got %lld)",
                                            f->min, f->max, v);
                config__store_uint(dst, f->size, v);
                return 0;
        case FIELD_DOUBLE:
                r = config__get_number(l, s, name, &d);
                if (r < 0)
                        return r;
                if ((f->fmin_open ? d <= f->fmin : d < f->fmin) ||
                    (f->fmax_open ? d >= f->fmax : d > f->fmax)) {
                        if (!f->fmin_open && !f->fmax_open)
                                return config__fail(l, s, name,
                                                    "must be between %g and %g (got %g)", f->fmin,
                                                    f->fmax, d);
                        return config__fail(l, s, name, "must be %s %g and %s %g (got %g)",
                                            f->fmin_open ? "greater than" : "at least", f->fmin,
                                            f->fmax_open ? "less than" : "at most", f->fmax, d);
                }
                memcpy(dst, &d, sizeof(d));
                return 0;
        case FIELD_BOOL:
                if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                        return config__fail(l, s, name, "must be true or false (got %s)",
                                            config__type_desc(s));
                *(bool *)dst = config_setting_get_bool(s) != 0;
                return 0;
        case FIELD_STRING:
                r = config__get_string(l, s, name, &str);
                if (r < 0)
                        return r;
                len = strlen(str);
                if ((long long)len < f->min || (long long)len > f->max) {
                        if (f->min > 0)
                                return config__fail(
                                    l, s, name, "must be %lld to %lld characters long (got %zu)",
                                    f->min, f->max, len);
                        return config__fail(l, s, name,
                                            "must be at most %lld characters long (got %zu)",
                                            f->max, len);
                }
                memcpy(dst, str, len + 1);
                return f->fn ? f->fn(l, s, name, dst) : 0;
        case FIELD_GROUP:
                if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                        return config__fail(l, s, name, "must be a group { ... } (got %s)",
                                            config__type_desc(s));
                if (f->has_flag)
                        *(bool *)(base + f->flag_offset) = true;
                return config__load_group(l, s, name, f->members, dst);
        case FIELD_CUSTOM:
                return f->fn(l, s, name, dst);
        }
        return -EINVAL;
}

static int config__load_group(struct config_loader *l, const config_setting_t *g, const char *gname,
                              const struct config_field *fields, char *base)
{
        int n = config_setting_length(g);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const char *sname = config_setting_name(s);
                const struct config_field *f, *hint = NULL;
                unsigned best = 3; /* suggest names at most two edits away */
                char name[SETTING_NAME_SIZE];
                int r;

                snprintf(name, sizeof(name), "%s%s%s", gname, gname[0] ? "." : "", sname);
                for (f = fields; f->name; f++) {
                        unsigned dist;
                        if (strcmp(f->name, sname) == 0)
                                break;
                        dist = config__edit_distance(sname, f->name);
                        if (dist < best) {
                                best = dist;
                                hint = f;
                        }
                }
                if (!f->name) {
                        if (hint)
                                return config__fail(l, s, name,
                                                    "unknown setting (did you mean %s%s%s?)", gname,
                                                    gname[0] ? "." : "", hint->name);
                        return config__fail(l, s, name, "unknown setting");
                }
                r = config__load_field(l, s, name, f, base);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- rules between settings ------------------------------------------------------------- */

/* Require lo <= hi; blame lo_name when the file sets it, else hi_name. */
static int config__check_order(struct config_loader *l, const config_t *cfg, const char *lo_name,
                               double lo, const char *hi_name, double hi)
{
        const config_setting_t *s;

        if (lo <= hi)
                return 0;
        s = config_lookup(cfg, lo_name);
        if (s)
                return config__fail(l, s, lo_name, "must be at most %s (%.15g) (got %.15g)",
                                    hi_name, hi, lo);
        return config__fail(l, config_lookup(cfg, hi_name), hi_name,
                            "must be at least %s (%.15g) (got %.15g)", lo_name, lo, hi);
}

static int config__check_broker(struct config_loader *l, const config_t *cfg, const char *prefix,
                                const struct sw_config_broker *b)
{
        char a[SETTING_NAME_SIZE], c[SETTING_NAME_SIZE];
        int r;

        snprintf(a, sizeof(a), "%s.host", prefix);
        if (strcmp(prefix, "hq") == 0 && !config_lookup(cfg, a))
                return config__fail(l, config_lookup(cfg, prefix), a,
                                    "required when the hq section is given");
        snprintf(a, sizeof(a), "%s.reconnect_min_ms", prefix);
        snprintf(c, sizeof(c), "%s.reconnect_max_ms", prefix);
        r = config__check_order(l, cfg, a, b->reconnect_min_ms, c, b->reconnect_max_ms);
        if (r < 0)
                return r;
        if (b->password[0] && !b->username[0]) {
                snprintf(a, sizeof(a), "%s.password", prefix);
                return config__fail(l, config_lookup(cfg, a), a, "requires %s.username", prefix);
        }
        if (!b->tls.enabled)
                return 0;
        if (!b->tls.ca_file[0]) {
                snprintf(a, sizeof(a), "%s.tls", prefix);
                snprintf(c, sizeof(c), "%s.tls.ca_file", prefix);
                return config__fail(l, config_lookup(cfg, a), c, "required when %s is given", a);
        }
        if (!b->tls.cert_file[0] != !b->tls.key_file[0]) {
                bool has_cert = b->tls.cert_file[0];
                snprintf(a, sizeof(a), "%s.tls.%s", prefix, has_cert ? "cert_file" : "key_file");
                snprintf(c, sizeof(c), "%s.tls.%s", prefix, has_cert ? "key_file" : "cert_file");
                return config__fail(l, config_lookup(cfg, a), a,
                                    "requires %s (give both or neither)", c);
        }
        return 0;
}

static int config__check_rules(struct config_loader *l, const config_t *cfg,
                               const struct sw_config *c)
{
        const struct sw_ghost_params *g = &c->detectors.ghost.params;
        double history = c->limits.history_days;
        int r;

        r = config__check_broker(l, cfg, "broker", &c->broker);
        if (r < 0)
                return r;
        if (c->hq_enabled) {
                r = config__check_broker(l, cfg, "hq", &c->hq);
                if (r < 0)
                        return r;
        }
        r = config__check_order(l, cfg, "detectors.ghost.max_run_days", g->max_run_days,
                                "limits.history_days", history);
        if (r < 0)
                return r;
        r = config__check_order(l, cfg, "detectors.ghost.seed_lookback_days", g->seed_lookback_days,
                                "limits.history_days", history);
        if (r < 0)
                return r;
        r = config__check_order(l, cfg, "detectors.ghost.seed_min_low_days", g->seed_min_low_days,
                                "detectors.ghost.seed_lookback_days", g->seed_lookback_days);
        if (r < 0)
                return r;
        r = config__check_order(l, cfg, "detectors.forecast.min_history_days",
                                g->forecast.min_history_days, "limits.history_days", history);
        if (r < 0)
                return r;
        r = config__check_order(l, cfg, "detectors.ml.warning_sigma", c->detectors.ml.warning_sigma,
                                "detectors.ml.critical_sigma", c->detectors.ml.critical_sigma);
        if (r < 0)
                return r;
        return config__check_order(l, cfg, "detectors.ghost.warning_probability",
                                   g->warning_probability, "detectors.ghost.critical_probability",
                                   g->critical_probability);
}

/* ---- public ----------------------------------------------------------------------------- */

static void config__derive_client_ids(struct sw_config *c)
{
        if (!c->broker.client_id[0])
                snprintf(c->broker.client_id, sizeof(c->broker.client_id), "shelfwatchd-%s-%s",
                         c->store.tenant, c->store.id);
        /* A different id, so that an hq section pointing at the local broker does not make
           the two connections take each other's session. */
        if (!c->hq.client_id[0])
                snprintf(c->hq.client_id, sizeof(c->hq.client_id), "shelfwatchd-%s-%s-hq",
                         c->store.tenant, c->store.id);
}

static void config__broker_defaults(struct sw_config_broker *b)
{
        *b = (struct sw_config_broker){
            .port = 1883,
            .keepalive = 30,
            .reconnect_min_ms = 500,
            .reconnect_max_ms = 30000,
            .max_reads_per_pass = 256,
        };
        snprintf(b->host, sizeof(b->host), "127.0.0.1");
}

void sw_config_defaults(struct sw_config *ret)
{
        struct sw_config_detectors *d = &ret->detectors;

        memset(ret, 0, sizeof(*ret));
        snprintf(ret->store.root, sizeof(ret->store.root), "retail");
        snprintf(ret->store.tenant, sizeof(ret->store.tenant), "demo");
        snprintf(ret->store.id, sizeof(ret->store.id), "store1");
        snprintf(ret->store.timezone, sizeof(ret->store.timezone), "UTC");
        for (unsigned i = 0; i < 7; i++)
                ret->store.opening_hours[i] = (struct sw_config_hours){
                    .closed = false, .open_min = 8 * 60, .close_min = 21 * 60};

        config__broker_defaults(&ret->broker);
        config__broker_defaults(&ret->hq);
        ret->hq_enabled = false;

        snprintf(ret->storage.path, sizeof(ret->storage.path), "/var/lib/shelfwatch/shelfwatch.db");
        ret->storage.commit_interval_ms = 1000;
        ret->storage.cache_kib = 512;
        ret->storage.max_inbox_kib = 65536;

        ret->limits = (struct sw_config_limits){
            .max_skus = 100000,
            .history_days = 56,
            .max_payload_bytes = 65536,
            .max_items_per_message = 1000,
            .dedup_ids = 65536,
            .max_categories = 4096,
            .max_shelf_skus = 20000,
            .max_fast_skus = 2048,
            .max_open_anomalies = 20000,
            .max_future_seconds = 86400,
            .outbox_inflight = 64,
            .outbox_max_rows = 1000000,
            .device_rate_per_second = 1000,
            .device_burst = 20000,
            .max_devices = 1024,
            .command_rate_per_second = 20,
            .command_burst = 200,
        };

        d->schedule_min = 4 * 60 + 30;
        d->ghost.enabled = true;
        d->ghost.max_new_per_day = 200;
        d->ghost.params = (struct sw_ghost_params){
            .mode = SW_GHOST_MODE_BAYES,
            .alpha = 0.01,
            .prior_rate = 0.02,
            .low_ratio = 0.3,
            .max_run_days = 28,
            .overdispersion_threshold = 0.1,
            .warning_probability = 0.7,
            .critical_probability = 0.999,
            .seed_lookback_days = 7,
            .seed_min_low_days = 3,
            .onset_rate = 0.002,
            .min_probability = 0.95,
            .false_alerts_per_day = 1.0,
            .shelf_false_zero_rate = 0.05,
            .min_on_hand = 2,
            .forecast = {.min_history_days = 14,
                         .half_life_days = 14.0,
                         .weekday_pseudo_days = 2.0},
        };
        d->shelf_out = (struct sw_config_shelf_out){.enabled = true,
                                                    .zero_minutes = 30,
                                                    .min_readings = 3,
                                                    .max_gap_minutes = 120,
                                                    .false_zero_rate = 0.05};
        d->context = (struct sw_config_context){.shortfall_ratio = 0.5,
                                                .min_store_skus = 20,
                                                .min_category_skus = 10,
                                                .pos_silence_minutes = 60};
        d->discrepancy = (struct sw_config_discrepancy){.enabled = true, .shelf_above_hours = 24};
        d->ml = (struct sw_config_ml){.enabled = true,
                                      .trees = 100,
                                      .samples = 256,
                                      .contamination = 0.05,
                                      .train_interval_hours = 6,
                                      .reservoir = 8192,
                                      .warning_sigma = 2.0,
                                      .critical_sigma = 3.0,
                                      .seed = 42,
                                      .features = SW_FEATURES_SCALED,
                                      .max_new_per_day = 5,
                                      .cause = {.price_ratio = 1.5,
                                                .spike_ratio = 4.0,
                                                .spike_min_units = 10.0,
                                                .overstock_weeks = 16.0,
                                                .overstock_min_units = 20.0},
                                      .critical_strength = 2.0};

        sw_outcome_params_default(&ret->outcomes);
        sw_tuning_params_default(&ret->tuning);
        ret->summary.interval_seconds = 900;

        ret->log.level = SW_LOG_INFO;
        ret->log.max_findings_per_run = 100;
        config__derive_client_ids(ret);
}

int sw_config_load(const char *path, struct sw_config *ret, char *err, size_t errsz)
{
        struct config_loader l = {.path = path, .err = err, .errsz = errsz};
        char dir[SW_CONFIG_PATH_SIZE], buf[SW_CONFIG_PATH_SIZE * 2];
        struct sw_config c;
        struct stat st;
        config_t cfg;
        int fd, r;

        if (err && errsz > 0)
                err[0] = '\0';
        if (!path || !ret)
                return -EINVAL;

        /* Open it ourselves first: libconfig does not tell ENOENT from EACCES. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (err && errsz > 0)
                        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(-r));
                return r;
        }
        r = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
        close(fd);
        if (r < 0) {
                if (err && errsz > 0)
                        snprintf(err, errsz, "%s: cannot read: %s", path, strerror(-r));
                return r;
        }

        sw_config_defaults(&c);
        /* Derived again at the end from the tenant and store id the file gives. */
        c.broker.client_id[0] = '\0';
        c.hq.client_id[0] = '\0';

        config_init(&cfg);
        snprintf(dir, sizeof(dir), "%s", path);
        l.dir = dirname(dir);
        config_set_include_dir(&cfg, l.dir);
        if (!config_read_file(&cfg, path)) {
                const char *file =
                    config__source_file(&l, config_error_file(&cfg), buf, sizeof(buf));
                if (err && errsz > 0) {
                        snprintf(err, errsz, "%s:%d: %s", file, config_error_line(&cfg),
                                 config_error_text(&cfg) ? config_error_text(&cfg)
                                                         : "cannot parse");
                        config__one_line(err);
                }
                config_destroy(&cfg);
                return -EINVAL;
        }
        r = config__load_group(&l, config_root_setting(&cfg), "", root_fields, (char *)&c);
        if (r >= 0)
                r = config__check_rules(&l, &cfg, &c);
        config_destroy(&cfg);
        if (r < 0)
                return r;

        config__derive_client_ids(&c);
        *ret = c;
        return 0;
}
