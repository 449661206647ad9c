/* shelfwatch-hq's http section: the API and dashboard server (shelfwatch-hq serve). */
#include "hq/http_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

/* One scalar setting of the section. */
struct http_field {
        const char *name;   /* setting */
        bool is_string;     /* string, else an unsigned integer */
        size_t offset;      /* in struct hq_http_config */
        size_t size;        /* string buffer size */
        long long min, max; /* integer range */
};

#define HU(n, lo, hi)                                                                              \
        {                                                                                          \
#n, false, offsetof(struct hq_http_config, n), 0, lo, hi                           \
        }
#define HS(n)                                                                                      \
        {                                                                                          \
#n, true, offsetof(struct hq_http_config, n),                                      \
                    sizeof(((struct hq_http_config *)0)->n), 0, 0                                  \
        }

static const struct http_field http_fields[] = {
    HS(listen),
    HU(port, 1, 65535),
    HU(max_connections, 1, 100000),
    HU(max_connections_per_ip, 1, 100000),
    HU(connection_timeout_s, 1, 3600),
    HU(max_body_bytes, 64, 1048576),
    HU(max_limit, 1, 100000),
    HU(default_limit, 1, 100000),
    HU(max_offset, 0, 100000000),
    HU(max_days, 1, 36500),
    HU(command_timeout_ms, 100, 600000),
    HU(max_pending_commands, 1, 10000),
    HU(statement_timeout_ms, 100, 3600000),
    HS(conninfo),
    HS(web_root),
    HS(api_doc),
    HS(tls_cert_file),
    HS(tls_key_file),
};
#define N_HTTP_FIELDS (sizeof(http_fields) / sizeof(http_fields[0]))

void hq_http_config_defaults(struct hq_http_config *ret)
{
        *ret = (struct hq_http_config){.listen = "127.0.0.1",
                                       .port = 8080,
                                       .max_connections = 64,
                                       .max_connections_per_ip = 16,
                                       .connection_timeout_s = 30,
                                       .max_body_bytes = 8192,
                                       .max_limit = 1000,
                                       .default_limit = 100,
                                       .max_offset = 100000,
                                       .max_days = 3650,
                                       .command_timeout_ms = 10000,
                                       .max_pending_commands = 64,
                                       .statement_timeout_ms = 30000,
                                       .web_root = "/usr/share/shelfwatch-hq/web",
                                       .api_doc = "/usr/share/shelfwatch-hq/openapi.json"};
}

int hq_config_fail(char *err, size_t errsz, const char *path, const config_setting_t *s,
                   const char *fmt, ...)
{
        va_list ap;
        int n = 0;
        if (!err || errsz == 0)
                return -EINVAL;
        if (s && config_setting_source_line(s) > 0)
                n = snprintf(err, errsz, "%s:%u: ", path, config_setting_source_line(s));
        else
                n = snprintf(err, errsz, "%s: ", path);
        if (n < 0 || (size_t)n >= errsz)
                return -EINVAL;
        va_start(ap, fmt);
        vsnprintf(err + n, errsz - (size_t)n, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int hq_http_sha256(const void *data, size_t len, uint8_t out[HQ_HTTP_SHA256_SIZE])
{
        return gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) == 0 ? 0 : -EIO;
}

static int load_scalar(const struct http_field *f, const config_setting_t *s,
                       struct hq_http_config *c, const char *path, char *err, size_t errsz)
{
        char *dst = (char *)c + f->offset;
        if (!f->is_string) {
                if (config_setting_type(s) != CONFIG_TYPE_INT &&
                    config_setting_type(s) != CONFIG_TYPE_INT64)
                        return hq_config_fail(err, errsz, path, s, "http.%s: not an integer",
                                              f->name);
                long long v = config_setting_get_int64(s);
                if (v < f->min || v > f->max)
                        return hq_config_fail(err, errsz, path, s,
                                              "http.%s: %lld is outside %lld..%lld", f->name, v,
                                              f->min, f->max);
                *(uint32_t *)(void *)dst = (uint32_t)v;
                return 0;
        }
        const char *str = config_setting_get_string(s);
        if (!str)
                return hq_config_fail(err, errsz, path, s, "http.%s: not a string", f->name);
        if (strlen(str) >= f->size)
                return hq_config_fail(err, errsz, path, s, "http.%s: longer than %zu characters",
                                      f->name, f->size - 1);
        memcpy(dst, str, strlen(str) + 1);
        return 0;
}

/* A name, tenant or role: 1..64 printable ASCII bytes. */
static bool name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= HQ_HTTP_NAME_SIZE)
                return false;
        for (; *s; s++)
                if (*s < 0x21 || *s > 0x7e)
                        return false;
        return true;
}

static int hex_digest(const char *hex, uint8_t out[HQ_HTTP_SHA256_SIZE])
{
        if (strlen(hex) != 2 * HQ_HTTP_SHA256_SIZE)
                return -EINVAL;
        for (size_t i = 0; i < HQ_HTTP_SHA256_SIZE; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
                    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
                    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
                        return -EINVAL;
                out[i] = (uint8_t)v;
        }
        return 0;
}

static int token_string(const config_setting_t *t, const char *key, char *dst, const char *path,
                        char *err, size_t errsz)
{
        const char *v = NULL;
        if (!config_setting_lookup_string(t, key, &v) || !name_valid(v))
                return hq_config_fail(err, errsz, path, t,
                                      "http.tokens.%s: required, 1..64 printable characters", key);
        memcpy(dst, v, strlen(v) + 1);
        return 0;
}

/* tokens = ( { name = "..."; tenant = "..."; role = "..."; sha256 = "<64 hex>"; }, ... ); */
static int load_tokens(const config_setting_t *list, struct hq_http_config *c, const char *path,
                       char *err, size_t errsz)
{
        int n = config_setting_length(list);
        if (!config_setting_is_list(list) && !config_setting_is_array(list))
                return hq_config_fail(err, errsz, path, list,
                                      "http.tokens: a list of groups ( {...}, ... )");
        if (n > HQ_HTTP_MAX_TOKENS)
                return hq_config_fail(err, errsz, path, list, "http.tokens: more than %d",
                                      HQ_HTTP_MAX_TOKENS);
        c->n_tokens = 0;
        for (int i = 0; i < n; i++) {
                const config_setting_t *t = config_setting_get_elem(list, (unsigned)i);
                struct hq_http_token *k = &c->tokens[i];
                const char *hex = NULL;
                if (!config_setting_is_group(t))
                        return hq_config_fail(err, errsz, path, t,
                                              "http.tokens: each a group {...}");
                for (int j = 0; j < config_setting_length(t); j++) {
                        const char *key =
                            config_setting_name(config_setting_get_elem(t, (unsigned)j));
                        if (strcmp(key, "name") && strcmp(key, "tenant") && strcmp(key, "role") &&
                            strcmp(key, "sha256"))
                                return hq_config_fail(err, errsz, path, t,
                                                      "http.tokens.%s: unknown setting", key);
                }
                int r = token_string(t, "name", k->name, path, err, errsz);
                if (r == 0)
                        r = token_string(t, "tenant", k->tenant, path, err, errsz);
                if (r == 0)
                        r = token_string(t, "role", k->role, path, err, errsz);
                if (r < 0)
                        return r;
                if (!config_setting_lookup_string(t, "sha256", &hex) ||
                    hex_digest(hex, k->sha256) < 0)
                        return hq_config_fail(
                            err, errsz, path, t,
                            "http.tokens.sha256: 64 hex digits, the SHA-256 of the token "
                            "(printf %%s TOKEN | sha256sum)");
                for (int j = 0; j < i; j++)
                        if (memcmp(c->tokens[j].sha256, k->sha256, HQ_HTTP_SHA256_SIZE) == 0 ||
                            strcmp(c->tokens[j].name, k->name) == 0)
                                return hq_config_fail(
                                    err, errsz, path, t,
                                    "http.tokens: name and sha256 must be unique");
                c->n_tokens++;
        }
        return 0;
}

static int check_http_rules(const config_setting_t *g, const struct hq_http_config *c,
                            const char *path, char *err, size_t errsz)
{
        unsigned char addr[16];
        if (inet_pton(AF_INET, c->listen, addr) != 1 && inet_pton(AF_INET6, c->listen, addr) != 1)
                return hq_config_fail(err, errsz, path, g,
                                      "http.listen: a numeric IPv4 or IPv6 address");
        if (c->default_limit > c->max_limit)
                return hq_config_fail(err, errsz, path, g, "http.default_limit: above max_limit");
        if (!c->tls_cert_file[0] != !c->tls_key_file[0])
                return hq_config_fail(err, errsz, path, g,
                                      "http.tls_cert_file and tls_key_file: both or none");
        if (c->max_connections_per_ip > c->max_connections)
                return hq_config_fail(err, errsz, path, g,
                                      "http.max_connections_per_ip: above max_connections");
        return 0;
}

int hq_http_config_load(const config_setting_t *group, struct hq_http_config *c, const char *path,
                        char *err, size_t errsz)
{
        if (!config_setting_is_group(group))
                return hq_config_fail(err, errsz, path, group, "http: not a section");
        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
                const char *name = config_setting_name(s);
                const struct http_field *f = NULL;
                int r;
                if (strcmp(name, "tokens") == 0) {
                        r = load_tokens(s, c, path, err, errsz);
                } else {
                        for (size_t k = 0; k < N_HTTP_FIELDS; k++)
                                if (strcmp(http_fields[k].name, name) == 0)
                                        f = &http_fields[k];
                        if (!f)
                                return hq_config_fail(err, errsz, path, s,
                                                      "http.%s: unknown setting", name);
                        r = load_scalar(f, s, c, path, err, errsz);
                }
                if (r < 0)
                        return r;
        }
        return check_http_rules(group, c, path, err, errsz);
}
