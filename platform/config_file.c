/* Reading one configuration file with libconfig over a struct sw_config, row by schema row. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/config_internal.h"

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

/* Where libconfig read s: its file (noted in the report) and line. */
static struct sw_config_origin config__where(struct config_loader *l, const config_setting_t *s)
{
        char buf[SW_CONFIG_PATH_SIZE * 2];
        const char *file = config__source_file(l, config_setting_source_file(s), buf, sizeof(buf));

        return (struct sw_config_origin){.source = SW_CONFIG_SOURCE_FILE,
                                         .file = config__file_index(l->report, file),
                                         .line = config_setting_source_line(s)};
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

/* The text after "name" when it goes on with "= " or ": ", else NULL. */
static const char *config__after_assignment(const char *text, const char *p, size_t nlen)
{
        const char *q = p + nlen;

        if (p > text && (isalnum((unsigned char)p[-1]) || strchr("_-*", p[-1])))
                return NULL;
        while (*q == ' ' || *q == '\t')
                q++;
        if (*q != '=' && *q != ':')
                return NULL;
        q++;
        while (*q == ' ' || *q == '\t')
                q++;
        return q;
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
                const char *q = config__after_assignment(text, p, nlen);
                unsigned long long u;
                bool negative = false, overflow;
                char *end;
                int base = 10;

                if (!q)
                        continue;
                if (*q == '+' || *q == '-')
                        negative = *q++ == '-';
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
                               const struct sw_config_origin *o, long long *ret)
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
                        return config__fail(l, o, name, "integer too large");
                *ret = v;
                return 0;
        case CONFIG_TYPE_FLOAT:
                return config__fail(l, o, name, "must be an integer (got a float: %g)",
                                    config_setting_get_float(s));
        default:
                return config__fail(l, o, name, "must be an integer (got %s)",
                                    config__type_desc(s));
        }
}

void config__store_uint(void *dst, size_t size, long long v)
{
        if (size == sizeof(uint16_t)) {
                uint16_t x = (uint16_t)v;
                memcpy(dst, &x, sizeof(x));
        } else if (size == sizeof(uint32_t)) {
                uint32_t x = (uint32_t)v;
                memcpy(dst, &x, sizeof(x));
        } else {
                uint64_t x = (uint64_t)v;
                memcpy(dst, &x, sizeof(x));
        }
}

static int config__load_uint(struct config_loader *l, const config_setting_t *s,
                             const struct sw_config_setting *row, const struct sw_config_origin *o,
                             struct sw_config *c)
{
        long long v = 0;
        int r = config__get_integer(l, s, row->name, o, &v);

        if (r < 0)
                return r;
        if (v < row->min || v > row->max)
                return config__fail(l, o, row->name, "must be between %lld and %lld (got %lld)",
                                    row->min, row->max, v);
        config__store_uint(sw_config_field(row, c), row->size, v);
        return 0;
}

/* Integers are accepted where a float is expected. */
static int config__load_double(struct config_loader *l, const config_setting_t *s,
                               const struct sw_config_setting *row,
                               const struct sw_config_origin *o, struct sw_config *c)
{
        long long v = 0;
        double d;
        int r;

        if (config_setting_type(s) == CONFIG_TYPE_FLOAT) {
                d = config_setting_get_float(s);
        } else if (config_setting_type(s) == CONFIG_TYPE_INT ||
                   config_setting_type(s) == CONFIG_TYPE_INT64) {
                r = config__get_integer(l, s, row->name, o, &v);
                if (r < 0)
                        return r;
                d = (double)v;
        } else {
                return config__fail(l, o, row->name, "must be a number (got %s)",
                                    config__type_desc(s));
        }
        if (!(row->fmin_open ? d <= row->fmin : d < row->fmin) &&
            !(row->fmax_open ? d >= row->fmax : d > row->fmax)) {
                memcpy(sw_config_field(row, c), &d, sizeof(d));
                return 0;
        }
        if (!row->fmin_open && !row->fmax_open)
                return config__fail(l, o, row->name, "must be between %g and %g (got %g)",
                                    row->fmin, row->fmax, d);
        return config__fail(l, o, row->name, "must be %s %g and %s %g (got %g)",
                            row->fmin_open ? "greater than" : "at least", row->fmin,
                            row->fmax_open ? "less than" : "at most", row->fmax, d);
}

/* 0 when s is of libconfig's type, else -EINVAL with "must be <what> (got <its type>)". */
static int config__want_type(struct config_loader *l, const config_setting_t *s, int type,
                             const char *name, const struct sw_config_origin *o, const char *what)
{
        if (config_setting_type(s) != type)
                return config__fail(l, o, name, "must be %s (got %s)", what, config__type_desc(s));
        return 0;
}

static int config__get_string(struct config_loader *l, const config_setting_t *s, const char *name,
                              const struct sw_config_origin *o, const char **ret)
{
        int r = config__want_type(l, s, CONFIG_TYPE_STRING, name, o, "a string");

        if (r == 0)
                *ret = config_setting_get_string(s);
        return r;
}

static int config__load_list(struct config_loader *l, const config_setting_t *s,
                             const struct sw_config_setting *row, const struct sw_config_origin *o,
                             struct sw_config *c)
{
        char elem_name[CONFIG_NAME_SIZE], why[SW_CONFIG_REASON_SIZE];
        void *dst = sw_config_field(row, c);
        uint32_t n;

        if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
            config_setting_type(s) != CONFIG_TYPE_LIST)
                return config__fail(l, o, row->name, "must be a list of %s (got %s)", row->example,
                                    config__type_desc(s));
        n = (uint32_t)config_setting_length(s);
        if (n > row->max)
                return config__fail(l, o, row->name, "must have at most %lld %s (got %u)", row->max,
                                    row->item, (unsigned)n);
        memset(dst, 0, row->size); /* a later source replaces the whole list */
        for (uint32_t i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, i);
                struct sw_config_origin eo = config__where(l, e);
                const char *v = NULL;
                int r;

                snprintf(elem_name, sizeof(elem_name), "%s[%u]", row->name, (unsigned)i);
                r = config__get_string(l, e, elem_name, &eo, &v);
                if (r < 0)
                        return r;
                if (row->add(dst, i, v, why, sizeof(why)) < 0)
                        return config__fail(l, &eo, elem_name, "%s", why);
        }
        if (row->finish)
                row->finish(dst, n);
        memcpy((char *)c + row->count_offset, &n, sizeof(n));
        return 0;
}

static int config__load_group(struct config_loader *l, const config_setting_t *g, const char *gname,
                              struct sw_config *c);

/* One setting s of the file into its row's field of c. */
static int config__load_setting(struct config_loader *l, const config_setting_t *s,
                                const struct sw_config_setting *row, struct sw_config *c)
{
        struct sw_config_origin o = config__where(l, s);
        char why[SW_CONFIG_REASON_SIZE];
        const char *str = NULL;
        int r = 0;

        switch (row->kind) {
        case SW_CONFIG_UINT:
                r = config__load_uint(l, s, row, &o, c);
                break;
        case SW_CONFIG_DOUBLE:
                r = config__load_double(l, s, row, &o, c);
                break;
        case SW_CONFIG_BOOL:
                r = config__want_type(l, s, CONFIG_TYPE_BOOL, row->name, &o, "true or false");
                if (r == 0)
                        *(bool *)sw_config_field(row, c) = config_setting_get_bool(s) != 0;
                break;
        case SW_CONFIG_STRING:
                r = config__get_string(l, s, row->name, &o, &str);
                return r < 0 ? r : config__apply_string(l, row, &o, str, c);
        case SW_CONFIG_TEXT:
                r = config__get_string(l, s, row->name, &o, &str);
                if (r >= 0 && row->parse(str, sw_config_field(row, c), why, sizeof(why)) < 0)
                        r = config__fail(l, &o, row->name, "%s", why);
                break;
        case SW_CONFIG_LIST:
                r = config__load_list(l, s, row, &o, c);
                break;
        case SW_CONFIG_GROUP:
                r = config__want_type(l, s, CONFIG_TYPE_GROUP, row->name, &o, "a group { ... }");
                if (r < 0)
                        return r;
                if (row->has_flag)
                        *(bool *)((char *)c + row->flag_offset) = true;
                config__record(l, row, &o);
                return config__load_group(l, s, row->name, c);
        }
        if (r >= 0)
                config__record(l, row, &o);
        return r;
}

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

/* The key of row s when it is a direct member of group gname ("" = the root), else NULL. */
static const char *config__member_key(const struct sw_config_setting *s, const char *gname)
{
        size_t n = strlen(gname);
        const char *key = s->name;

        if (n > 0) {
                if (strncmp(s->name, gname, n) != 0 || s->name[n] != '.')
                        return NULL;
                key = s->name + n + 1;
        }
        return strchr(key, '.') ? NULL : key;
}

/* The member of gname nearest to the unknown key (at most two edits away), or NULL. */
static const struct sw_config_setting *config__hint(const char *gname, const char *key)
{
        const struct sw_config_setting *hint = NULL;
        unsigned best = 3;

        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                const char *k = config__member_key(s, gname);
                unsigned dist = k ? config__edit_distance(key, k) : UINT_MAX;
                if (dist < best) {
                        best = dist;
                        hint = s;
                }
        }
        return hint;
}

static int config__load_group(struct config_loader *l, const config_setting_t *g, const char *gname,
                              struct sw_config *c)
{
        int n = config_setting_length(g);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const struct sw_config_setting *row, *hint;
                char name[CONFIG_NAME_SIZE];
                struct sw_config_origin o;
                int r;

                snprintf(name, sizeof(name), "%s%s%s", gname, gname[0] ? "." : "",
                         config_setting_name(s));
                row = sw_config_setting_find(name);
                if (row) {
                        r = config__load_setting(l, s, row, c);
                        if (r < 0)
                                return r;
                        continue;
                }
                o = config__where(l, s);
                hint = config__hint(gname, config_setting_name(s));
                if (hint)
                        return config__fail(l, &o, name, "unknown setting (did you mean %s?)",
                                            hint->name);
                return config__fail(l, &o, name, "unknown setting");
        }
        return 0;
}

/* Open it ourselves first: libconfig does not tell ENOENT from EACCES. */
static int config__check_readable(struct config_loader *l, const char *path)
{
        struct stat st;
        int fd, r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                if (l->err && l->errsz > 0)
                        snprintf(l->err, l->errsz, "%s: cannot open: %s", path, strerror(-r));
                return r;
        }
        r = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : 0;
        close(fd);
        if (r < 0 && l->err && l->errsz > 0)
                snprintf(l->err, l->errsz, "%s: cannot read: %s", path, strerror(-r));
        return r;
}

int config__read_file(struct config_loader *l, const char *path, struct sw_config *c)
{
        char dir[SW_CONFIG_PATH_SIZE], buf[SW_CONFIG_PATH_SIZE * 2];
        config_t cfg;
        int r;

        r = config__check_readable(l, path);
        if (r < 0)
                return r;
        config__file_index(l->report, path);
        config_init(&cfg);
        snprintf(dir, sizeof(dir), "%s", path);
        l->path = path;
        l->dir = dirname(dir);
        config_set_include_dir(&cfg, l->dir);
        if (!config_read_file(&cfg, path)) {
                const char *file =
                    config__source_file(l, config_error_file(&cfg), buf, sizeof(buf));
                if (l->err && l->errsz > 0) {
                        snprintf(l->err, l->errsz, "%s:%d: %s", file, config_error_line(&cfg),
                                 config_error_text(&cfg) ? config_error_text(&cfg)
                                                         : "cannot parse");
                        config__one_line(l->err);
                }
                r = -EINVAL;
        } else {
                r = config__load_group(l, config_root_setting(&cfg), "", c);
        }
        config_destroy(&cfg);
        l->path = NULL;
        l->dir = NULL;
        return r;
}
