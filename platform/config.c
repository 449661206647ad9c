/* Configuration: the defaults from the schema, the layered load, the rules between settings. */
#include <assert.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/config_internal.h"

/* ---- the state of a load ---------------------------------------------------------------- */

void config__one_line(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        *s = '?';
}

/* Where an error is: "file:line", "environment X", the credential's path, or the main file. */
static void config__where_text(const struct config_loader *l, const struct sw_config_origin *o,
                               const char *name, char *buf, size_t size)
{
        char cred[SW_CONFIG_NAME_SIZE * 2];

        if (!o || o->source == SW_CONFIG_SOURCE_DEFAULT) {
                snprintf(buf, size, "%s", l->main_path);
        } else if (o->source == SW_CONFIG_SOURCE_CREDENTIAL) {
                sw_config_credential_name(name, cred, sizeof(cred));
                snprintf(buf, size, "%s/%s", l->report->credentials_dir, cred);
        } else {
                sw_config_origin_text(l->report, name, o, buf, size);
        }
}

int config__fail(struct config_loader *l, const struct sw_config_origin *o, const char *name,
                 const char *fmt, ...)
{
        char where[SW_CONFIG_PATH_SIZE * 2];
        va_list ap;
        int n;

        if (!l->err || l->errsz == 0)
                return -EINVAL;
        config__where_text(l, o, name, where, sizeof(where));
        n = snprintf(l->err, l->errsz, "%s: %s: ", where, name);
        if (n < 0 || (size_t)n >= l->errsz)
                return -EINVAL;
        va_start(ap, fmt);
        vsnprintf(l->err + n, l->errsz - (size_t)n, fmt, ap);
        va_end(ap);
        config__one_line(l->err);
        return -EINVAL;
}

uint16_t config__file_index(struct sw_config_report *r, const char *path)
{
        for (uint16_t i = 0; i < r->n_files; i++)
                if (strcmp(r->files[i], path) == 0)
                        return i;
        if (r->n_files >= SW_CONFIG_MAX_FILES)
                return CONFIG_NO_FILE;
        snprintf(r->files[r->n_files], sizeof(r->files[0]), "%s", path);
        return r->n_files++;
}

void config__record(struct config_loader *l, const struct sw_config_setting *s,
                    const struct sw_config_origin *o)
{
        struct sw_config_report *r = l->report;
        size_t i = sw_config_setting_index(s);

        if (r->origin[i].source != SW_CONFIG_SOURCE_DEFAULT)
                r->replaced[i] = r->origin[i];
        r->origin[i] = *o;
        if (r->times_set[i] < UINT8_MAX)
                r->times_set[i]++;
}

int config__apply_string(struct config_loader *l, const struct sw_config_setting *s,
                         const struct sw_config_origin *o, const char *v, struct sw_config *c)
{
        char why[SW_CONFIG_REASON_SIZE];
        size_t len = strlen(v);

        if ((long long)len < s->min || (long long)len > s->max) {
                if (s->min > 0)
                        return config__fail(l, o, s->name,
                                            "must be %lld to %lld characters long (got %zu)",
                                            s->min, s->max, len);
                return config__fail(l, o, s->name, "must be at most %lld characters long (got %zu)",
                                    s->max, len);
        }
        if (s->check && s->check(v, why, sizeof(why)) < 0)
                return config__fail(l, o, s->name, "%s", why);
        memcpy(sw_config_field(s, c), v, len + 1);
        config__record(l, s, o);
        return 0;
}

/* ---- rules between settings ------------------------------------------------------------- */

static const struct sw_config_origin *config__origin_of(const struct config_loader *l,
                                                        const char *name)
{
        const struct sw_config_setting *s = sw_config_setting_find(name);

        assert(s);
        return &l->report->origin[sw_config_setting_index(s)];
}

static bool config__is_set(const struct config_loader *l, const char *name)
{
        return config__origin_of(l, name)->source != SW_CONFIG_SOURCE_DEFAULT;
}

/* Require lo <= hi; blame lo_name when a source sets it, else hi_name. */
static int config__check_order(struct config_loader *l, const char *lo_name, double lo,
                               const char *hi_name, double hi)
{
        if (lo <= hi)
                return 0;
        if (config__is_set(l, lo_name))
                return config__fail(l, config__origin_of(l, lo_name), lo_name,
                                    "must be at most %s (%.15g) (got %.15g)", hi_name, hi, lo);
        return config__fail(l, config__origin_of(l, hi_name), hi_name,
                            "must be at least %s (%.15g) (got %.15g)", lo_name, lo, hi);
}

static int config__check_tls(struct config_loader *l, const char *prefix,
                             const struct sw_config_tls *t)
{
        char a[CONFIG_NAME_SIZE], b[CONFIG_NAME_SIZE];
        bool has_cert = t->cert_file[0];

        if (!t->enabled)
                return 0;
        snprintf(a, sizeof(a), "%s.tls", prefix);
        snprintf(b, sizeof(b), "%s.tls.ca_file", prefix);
        if (!t->ca_file[0])
                return config__fail(l, config__origin_of(l, a), b, "required when %s is given", a);
        if (!t->cert_file[0] == !t->key_file[0])
                return 0;
        snprintf(a, sizeof(a), "%s.tls.%s", prefix, has_cert ? "cert_file" : "key_file");
        snprintf(b, sizeof(b), "%s.tls.%s", prefix, has_cert ? "key_file" : "cert_file");
        return config__fail(l, config__origin_of(l, a), a, "requires %s (give both or neither)", b);
}

static int config__check_broker(struct config_loader *l, const char *prefix,
                                const struct sw_config_broker *b)
{
        char a[CONFIG_NAME_SIZE], c[CONFIG_NAME_SIZE];
        int r;

        snprintf(a, sizeof(a), "%s.host", prefix);
        if (strcmp(prefix, "hq") == 0 && !config__is_set(l, a))
                return config__fail(l, config__origin_of(l, prefix), a,
                                    "required when the hq section is given");
        snprintf(a, sizeof(a), "%s.reconnect_min_ms", prefix);
        snprintf(c, sizeof(c), "%s.reconnect_max_ms", prefix);
        r = config__check_order(l, a, b->reconnect_min_ms, c, b->reconnect_max_ms);
        if (r < 0)
                return r;
        if (b->password[0] && !b->username[0]) {
                snprintf(a, sizeof(a), "%s.password", prefix);
                return config__fail(l, config__origin_of(l, a), a, "requires %s.username", prefix);
        }
        return config__check_tls(l, prefix, &b->tls);
}

/* Pairs (lo, hi) of settings with lo <= hi, and where their values are. */
static int config__check_orders(struct config_loader *l, const struct sw_config *c)
{
        const struct sw_ghost_params *g = &c->detectors.ghost.params;
        const double history = c->limits.history_days;
        const struct {
                const char *lo_name; /* the setting that must not be larger */
                double lo;           /* its value */
                const char *hi_name; /* its bound */
                double hi;           /* the bound's value */
        } orders[] = {
            {"detectors.ghost.max_run_days", g->max_run_days, "limits.history_days", history},
            {"detectors.ghost.seed_lookback_days", g->seed_lookback_days, "limits.history_days",
             history},
            {"detectors.ghost.seed_min_low_days", g->seed_min_low_days,
             "detectors.ghost.seed_lookback_days", g->seed_lookback_days},
            {"detectors.forecast.min_history_days", g->forecast.min_history_days,
             "limits.history_days", history},
            {"detectors.ml.warning_sigma", c->detectors.ml.warning_sigma,
             "detectors.ml.critical_sigma", c->detectors.ml.critical_sigma},
            {"detectors.ghost.warning_probability", g->warning_probability,
             "detectors.ghost.critical_probability", g->critical_probability},
        };

        for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
                int r = config__check_order(l, orders[i].lo_name, orders[i].lo, orders[i].hi_name,
                                            orders[i].hi);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int config__check_rules(struct config_loader *l, const struct sw_config *c)
{
        int r = config__check_broker(l, "broker", &c->broker);

        if (r >= 0 && c->hq_enabled)
                r = config__check_broker(l, "hq", &c->hq);
        return r < 0 ? r : config__check_orders(l, c);
}

/* ---- defaults and loading --------------------------------------------------------------- */

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

static void config__apply_default(const struct sw_config_setting *s, struct sw_config *c)
{
        void *dst = sw_config_field(s, c);
        int r;

        switch (s->kind) {
        case SW_CONFIG_UINT:
                config__store_uint(dst, s->size, (long long)s->def_uint);
                break;
        case SW_CONFIG_DOUBLE:
                memcpy(dst, &s->def_double, sizeof(double));
                break;
        case SW_CONFIG_BOOL:
                *(bool *)dst = s->def_bool;
                break;
        case SW_CONFIG_STRING:
                snprintf(dst, s->size, "%s", s->def_text);
                break;
        case SW_CONFIG_TEXT:
                r = s->parse(s->def_text, dst, NULL, 0);
                assert(r == 0); /* tests/platform/test_config_schema.c loads every default */
                (void)r;
                break;
        case SW_CONFIG_LIST:  /* empty */
        case SW_CONFIG_GROUP: /* absent */
                break;
        }
}

void sw_config_defaults(struct sw_config *ret)
{
        memset(ret, 0, sizeof(*ret));
        /* The ghost detector's parameters that are not settings (the daemon sets them from
         * shelf_out.false_zero_rate and outcomes.material_units) keep core's defaults. */
        sw_ghost_params_default(&ret->detectors.ghost.params);
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++)
                config__apply_default(s, ret);
        config__derive_client_ids(ret);
}

/* The layers after the defaults; extra: drop-ins, environment and credentials as well. */
static int config__read_layers(struct config_loader *l, const char *path, unsigned flags,
                               bool extra, struct sw_config *c)
{
        char dir[SW_CONFIG_PATH_SIZE], dropins[SW_CONFIG_PATH_SIZE + sizeof(SW_CONFIG_DROPIN_DIR)];
        int r = 0;

        if (!(flags & SW_CONFIG_PATH_OPTIONAL) || access(path, F_OK) == 0)
                r = config__read_file(l, path, c);
        if (r < 0 || !extra)
                return r;
        snprintf(dir, sizeof(dir), "%s", path);
        snprintf(dropins, sizeof(dropins), "%s/%s", dirname(dir), SW_CONFIG_DROPIN_DIR);
        r = config__read_dropins(l, dropins, c);
        if (r >= 0)
                r = config__read_env(l, c);
        if (r >= 0)
                r = config__read_credentials(l, c);
        return r;
}

static int config__load(const char *path, unsigned flags, bool extra, struct sw_config *ret,
                        struct sw_config_report *report, char *err, size_t errsz)
{
        struct config_loader l = {.main_path = path, .err = err, .errsz = errsz};
        struct sw_config c;
        int r;

        if (err && errsz > 0)
                err[0] = '\0';
        if (!path || !ret)
                return -EINVAL;
        l.report = report ? report : calloc(1, sizeof(*l.report));
        if (!l.report)
                return -ENOMEM;
        memset(l.report, 0, sizeof(*l.report));
        sw_config_defaults(&c);
        /* Derived again at the end from the tenant and store id the sources give. */
        c.broker.client_id[0] = '\0';
        c.hq.client_id[0] = '\0';
        r = config__read_layers(&l, path, flags, extra, &c);
        if (r >= 0)
                r = config__check_rules(&l, &c);
        if (!report)
                free(l.report);
        if (r < 0)
                return r;
        config__derive_client_ids(&c);
        *ret = c;
        return 0;
}

int sw_config_load(const char *path, struct sw_config *ret, char *err, size_t errsz)
{
        return config__load(path, 0, false, ret, NULL, err, errsz);
}

int sw_config_load_all(const char *path, unsigned flags, struct sw_config *ret,
                       struct sw_config_report *report, char *err, size_t errsz)
{
        return config__load(path, flags, true, ret, report, err, errsz);
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
