/* shelfwatch-hq's configuration (libconfig): every setting with its embedded default. */
#include "hq/hq_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "platform/mqtt_link.h"

enum field_type { FIELD_UINT, FIELD_STRING, FIELD_LOG_LEVEL, FIELD_BOOL };

/* One setting: where it lives in struct hq_config and what it accepts. */
struct field {
        const char *group;    /* section */
        const char *name;     /* setting in it */
        enum field_type type; /* how to read it */
        size_t offset;        /* in struct hq_config */
        size_t size;          /* string buffer size */
        long long min, max;   /* FIELD_UINT range */
};

#define U(g, n, member, lo, hi)                                                                    \
        {                                                                                          \
                g, n, FIELD_UINT, offsetof(struct hq_config, member), 0, lo, hi                    \
        }
#define S(g, n, member)                                                                            \
        {                                                                                          \
                g, n, FIELD_STRING, offsetof(struct hq_config, member),                            \
                    sizeof(((struct hq_config *)0)->member), 0, 0                                  \
        }

static const struct field fields[] = {
    S("topics", "root", topics.root),
    S("topics", "share_group", topics.share_group),
    S("broker", "host", broker.host),
    U("broker", "port", broker.port, 1, 65535),
    S("broker", "client_id", broker.client_id),
    U("broker", "keepalive", broker.keepalive, 5, 3600),
    S("broker", "username", broker.username),
    S("broker", "password", broker.password),
    U("broker", "session_expiry_s", broker.session_expiry_s, 60, UINT32_MAX),
    U("broker", "reconnect_min_ms", broker.reconnect_min_ms, 10, 600000),
    U("broker", "reconnect_max_ms", broker.reconnect_max_ms, 10, 3600000),
    U("broker", "max_reads_per_pass", broker.max_reads_per_pass, 1, 65535),
    S("broker.tls", "ca_file", broker.tls.ca_file),
    S("broker.tls", "cert_file", broker.tls.cert_file),
    S("broker.tls", "key_file", broker.tls.key_file),
    {"broker.tls", "insecure", FIELD_BOOL, offsetof(struct hq_config, broker.tls.insecure), 0, 0,
     0},
    S("database", "conninfo", database.conninfo),
    U("database", "reconnect_min_ms", database.reconnect_min_ms, 10, 600000),
    U("database", "reconnect_max_ms", database.reconnect_max_ms, 10, 3600000),
    U("database", "statement_timeout_ms", database.statement_timeout_ms, 100, 3600000),
    U("batch", "max_messages", batch.max_messages, 1, 100000),
    U("batch", "max_latency_ms", batch.max_latency_ms, 1, 60000),
    U("limits", "max_payload_bytes", limits.max_payload_bytes, 64, 16777216),
    U("limits", "queue_messages", limits.queue_messages, 1, 10000000),
    U("limits", "queue_kib", limits.queue_kib, 64, 16777216),
    U("limits", "receipt_max_ids", limits.receipt_max_ids, 1, 10000),
    U("fleet", "offline_after_s", fleet.offline_after_s, 1, UINT32_MAX),
    U("fleet", "summary_stale_after_s", fleet.summary_stale_after_s, 1, UINT32_MAX),
    U("fleet", "max_categories", fleet.max_categories, 1, 65535),
    {"log", "level", FIELD_LOG_LEVEL, offsetof(struct hq_config, log.level), 0, 0, 0},
    U("log", "stats_interval_s", log.stats_interval_s, 0, 86400),
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* "shelfwatch-hq-<host name>": stable across restarts of one machine's instance. */
static void derive_client_id(char *buf, size_t size)
{
        char host[64] = "localhost";
        (void)gethostname(host, sizeof(host) - 1);
        snprintf(buf, size, "shelfwatch-hq-%s", host);
}

void hq_config_defaults(struct hq_config *ret)
{
        *ret = (struct hq_config){
            .topics = {.root = "retail", .share_group = "shelfwatch-hq"},
            .broker = {.host = "127.0.0.1",
                       .port = 1883,
                       .keepalive = 60,
                       .session_expiry_s = 7 * 24 * 3600,
                       .reconnect_min_ms = 500,
                       .reconnect_max_ms = 30000,
                       .max_reads_per_pass = 256},
            .database = {.conninfo = "dbname=shelfwatch",
                         .reconnect_min_ms = 500,
                         .reconnect_max_ms = 30000,
                         .statement_timeout_ms = 60000},
            .batch = {.max_messages = 5000, .max_latency_ms = 50},
            .limits = {.max_payload_bytes = 65536,
                       .queue_messages = 20000,
                       .queue_kib = 65536,
                       .receipt_max_ids = 500},
            .fleet = {.offline_after_s = 1800,
                      .summary_stale_after_s = 3600,
                      .max_categories = 4096},
            .log = {.level = SW_LOG_INFO, .stats_interval_s = 300},
        };
        derive_client_id(ret->broker.client_id, sizeof(ret->broker.client_id));
        hq_http_config_defaults(&ret->http);
}

static const struct field *find_field(const char *group, const char *name)
{
        for (size_t i = 0; i < N_FIELDS; i++)
                if (strcmp(fields[i].group, group) == 0 && strcmp(fields[i].name, name) == 0)
                        return &fields[i];
        return NULL;
}

static bool known_group(const char *group)
{
        for (size_t i = 0; i < N_FIELDS; i++)
                if (strcmp(fields[i].group, group) == 0)
                        return true;
        return false;
}

static int load_field(const struct field *f, const config_setting_t *s, struct hq_config *c,
                      const char *path, char *err, size_t errsz)
{
        char *dst = (char *)c + f->offset;
        const char *str;
        long long v;
        if (f->type == FIELD_BOOL) {
                if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                        return hq_config_fail(err, errsz, path, s, "%s.%s: not true or false",
                                              f->group, f->name);
                *(bool *)(void *)dst = config_setting_get_bool(s);
                return 0;
        }
        if (f->type == FIELD_UINT) {
                if (config_setting_type(s) != CONFIG_TYPE_INT &&
                    config_setting_type(s) != CONFIG_TYPE_INT64)
                        return hq_config_fail(err, errsz, path, s, "%s.%s: not an integer",
                                              f->group, f->name);
                v = config_setting_get_int64(s);
                if (v < f->min || v > f->max)
                        return hq_config_fail(err, errsz, path, s,
                                              "%s.%s: %lld is outside %lld..%lld", f->group,
                                              f->name, v, f->min, f->max);
                *(uint32_t *)(void *)dst = (uint32_t)v;
                return 0;
        }
        str = config_setting_get_string(s);
        if (!str)
                return hq_config_fail(err, errsz, path, s, "%s.%s: not a string", f->group,
                                      f->name);
        if (f->type == FIELD_LOG_LEVEL) {
                if (sw_log_level_parse(str, (enum sw_log_level *)(void *)dst) < 0)
                        return hq_config_fail(
                            err, errsz, path, s,
                            "log.level: \"%s\" is not err, warning, notice, info or debug", str);
                return 0;
        }
        if (strlen(str) >= f->size)
                return hq_config_fail(err, errsz, path, s, "%s.%s: longer than %zu characters",
                                      f->group, f->name, f->size - 1);
        memcpy(dst, str, strlen(str) + 1);
        return 0;
}

/* A group, gname its dotted name ("broker", "broker.tls"); a group inside is a subsection. */
static int load_group(const config_setting_t *g, const char *gname, struct hq_config *c,
                      const char *path, char *err, size_t errsz)
{
        if (gname && strcmp(gname, "http") == 0) /* its own module: a list of tokens */
                return hq_http_config_load(g, &c->http, path, err, errsz);
        if (!gname || !known_group(gname) || !config_setting_is_group(g))
                return hq_config_fail(err, errsz, path, g, "%s: unknown section",
                                      gname ? gname : "?");
        if (strcmp(gname, "broker.tls") == 0)
                c->broker.tls.enabled = true;
        for (int i = 0; i < config_setting_length(g); i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                if (config_setting_is_group(s)) {
                        char sub[64];
                        snprintf(sub, sizeof(sub), "%s.%s", gname, config_setting_name(s));
                        int r = load_group(s, sub, c, path, err, errsz);
                        if (r < 0)
                                return r;
                        continue;
                }
                const struct field *f = find_field(gname, config_setting_name(s));
                if (!f)
                        return hq_config_fail(err, errsz, path, s, "%s.%s: unknown setting", gname,
                                              config_setting_name(s));
                int r = load_field(f, s, c, path, err, errsz);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A topic level: non-empty, no '/', '+', '#'. */
static bool topic_level_valid(const char *s)
{
        return s[0] && !strpbrk(s, "/+#");
}

/* "" (not set) or a regular file this user can read. */
static bool readable_file(const char *file)
{
        struct stat st;
        return !file[0] || (stat(file, &st) == 0 && S_ISREG(st.st_mode) && access(file, R_OK) == 0);
}

/* broker.tls, as the gateway checks its own: a CA, a certificate only with its key, files that
 * can be read now (a typo fails --check-config, not the first connection). */
static int check_tls(const struct hq_config_tls *t, const char *path, char *err, size_t errsz)
{
        if (!t->enabled)
                return 0;
        if (!t->ca_file[0])
                return hq_config_fail(err, errsz, path, NULL,
                                      "broker.tls.ca_file: required with broker.tls");
        if (!t->cert_file[0] != !t->key_file[0])
                return hq_config_fail(err, errsz, path, NULL,
                                      "broker.tls.cert_file and key_file: give both or neither");
        const char *files[3] = {t->ca_file, t->cert_file, t->key_file};
        const char *names[3] = {"ca_file", "cert_file", "key_file"};
        for (int i = 0; i < 3; i++)
                if (!readable_file(files[i]))
                        return hq_config_fail(err, errsz, path, NULL,
                                              "broker.tls.%s: %s is not a file this user can read",
                                              names[i], files[i]);
        return 0;
}

static int check_rules(const struct hq_config *c, const char *path, char *err, size_t errsz)
{
        if (!topic_level_valid(c->topics.root))
                return hq_config_fail(err, errsz, path, NULL,
                                      "topics.root: one topic level, no / + #");
        if (!topic_level_valid(c->topics.share_group))
                return hq_config_fail(err, errsz, path, NULL,
                                      "topics.share_group: one level, no / + #");
        if (!c->broker.client_id[0] || !c->broker.host[0] || !c->database.conninfo[0])
                return hq_config_fail(
                    err, errsz, path, NULL,
                    "broker.client_id, broker.host, database.conninfo: must not be empty");
        if (c->broker.reconnect_max_ms < c->broker.reconnect_min_ms ||
            c->database.reconnect_max_ms < c->database.reconnect_min_ms)
                return hq_config_fail(err, errsz, path, NULL,
                                      "reconnect_max_ms: below reconnect_min_ms");
        if (c->broker.password[0] && !c->broker.username[0])
                return hq_config_fail(err, errsz, path, NULL,
                                      "broker.password: needs broker.username");
        return check_tls(&c->broker.tls, path, err, errsz);
}

int hq_config_load(const char *path, struct hq_config *ret, char *err, size_t errsz)
{
        struct hq_config c;
        config_t cfg;
        FILE *f = fopen(path, "r");
        int r = 0;
        if (!f) {
                r = -errno;
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return r;
        }
        hq_config_defaults(&c);
        config_init(&cfg);
        if (config_read(&cfg, f) != CONFIG_TRUE) {
                snprintf(err, errsz, "%s:%d: %s", path, config_error_line(&cfg),
                         config_error_text(&cfg));
                r = -EINVAL;
        }
        for (int i = 0; r == 0 && i < config_setting_length(config_root_setting(&cfg)); i++)
                r = load_group(config_setting_get_elem(config_root_setting(&cfg), (unsigned)i),
                               config_setting_name(
                                   config_setting_get_elem(config_root_setting(&cfg), (unsigned)i)),
                               &c, path, err, errsz);
        if (r == 0 && !c.broker.client_id[0])
                derive_client_id(c.broker.client_id, sizeof(c.broker.client_id));
        if (r == 0)
                r = check_rules(&c, path, err, errsz);
        config_destroy(&cfg);
        fclose(f);
        if (r == 0)
                *ret = c;
        return r;
}

void hq_config_link_options(const struct hq_config_broker *b, const char *name,
                            const char *client_id, struct sw_mqtt_tls *tls,
                            struct sw_mqtt_options *ret)
{
        const struct hq_config_tls *t = &b->tls;
        if (tls)
                *tls = (struct sw_mqtt_tls){.ca_file = t->ca_file,
                                            .cert_file = t->cert_file,
                                            .key_file = t->key_file,
                                            .insecure = t->insecure};
        *ret = (struct sw_mqtt_options){.name = name,
                                        .host = b->host,
                                        .port = (int)b->port,
                                        .client_id = client_id,
                                        .keepalive_s = (int)b->keepalive,
                                        .username = b->username,
                                        .password = b->password,
                                        .tls = tls && t->enabled ? tls : NULL,
                                        .backoff_min_ms = b->reconnect_min_ms,
                                        .backoff_max_ms = b->reconnect_max_ms,
                                        .clean_start = true,
                                        .max_reads = b->max_reads_per_pass};
}
