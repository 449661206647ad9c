/* shelfwatch-hq's http section: the API and dashboard server (shelfwatch-hq serve). */
#ifndef HQ_HTTP_CONFIG_H
#define HQ_HTTP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#define HQ_HTTP_MAX_TOKENS    64   /* tokens one server knows (one per tenant, or a few) */
#define HQ_HTTP_NAME_SIZE     65   /* token name, tenant, role: 1..64 bytes */
#define HQ_HTTP_PATH_SIZE     512  /* file and directory paths */
#define HQ_HTTP_ADDR_SIZE     64   /* a numeric IPv4 or IPv6 address */
#define HQ_HTTP_CONNINFO_SIZE 1024 /* libpq connection string */
#define HQ_HTTP_SHA256_SIZE   32   /* bytes of a SHA-256 digest */

/* One bearer token: who it is, which tenant it reads, as which PostgreSQL role. */
struct hq_http_token {
        char name[HQ_HTTP_NAME_SIZE];        /* a label for logs and the audit column; never
                                                the token itself */
        char tenant[HQ_HTTP_NAME_SIZE];      /* the tenant whose rows it reads */
        char role[HQ_HTTP_NAME_SIZE];        /* the PostgreSQL role its requests run as
                                                (SET ROLE; row-level security applies) */
        uint8_t sha256[HQ_HTTP_SHA256_SIZE]; /* SHA-256 of the token: the config never holds
                                                the secret */
};

/* Section http. Every limit a client controls is here. */
struct hq_http_config {
        char listen[HQ_HTTP_ADDR_SIZE];        /* address to bind; loopback by default */
        uint32_t port;                         /* TCP port, 1..65535 */
        uint32_t max_connections;              /* open connections at once */
        uint32_t max_connections_per_ip;       /* from one client address */
        uint32_t connection_timeout_s;         /* an idle connection is closed after this */
        uint32_t max_body_bytes;               /* larger request bodies: 413 */
        uint32_t max_limit;                    /* largest "limit" a list accepts */
        uint32_t default_limit;                /* "limit" when none is given */
        uint32_t max_offset;                   /* largest "offset" of a page */
        uint32_t max_days;                     /* largest "days" */
        uint32_t command_timeout_ms;           /* wait for a gateway's reply, then 504 */
        uint32_t max_pending_commands;         /* commands awaiting a reply at once; 503 beyond */
        uint32_t statement_timeout_ms;         /* a query running longer fails (503) */
        char conninfo[HQ_HTTP_CONNINFO_SIZE];  /* libpq string; "" = database.conninfo. Its role
                                                  must be a member of every token's role */
        char web_root[HQ_HTTP_PATH_SIZE];      /* the dashboard's files */
        char api_doc[HQ_HTTP_PATH_SIZE];       /* openapi.json, served at /api/v1/openapi.json */
        char tls_cert_file[HQ_HTTP_PATH_SIZE]; /* PEM certificate; "" = plain HTTP */
        char tls_key_file[HQ_HTTP_PATH_SIZE];  /* its PEM key */
        struct hq_http_token tokens[HQ_HTTP_MAX_TOKENS]; /* [n_tokens] */
        uint32_t n_tokens;                               /* tokens configured */
};

void hq_http_config_defaults(struct hq_http_config *ret);
/* Read group "http" over the defaults already in c. Returns 0, or -EINVAL with
 * "file:line: http.setting: reason" in err. */
int hq_http_config_load(const config_setting_t *group, struct hq_http_config *c, const char *path,
                        char *err, size_t errsz);
/* SHA-256 of data into out. Returns 0 or -EIO. */
int hq_http_sha256(const void *data, size_t len, uint8_t out[HQ_HTTP_SHA256_SIZE]);

/* An error in err (errsz bytes) as "path:line: message" (no line where s has none): -EINVAL. */
__attribute__((format(printf, 5, 6))) int hq_config_fail(char *err, size_t errsz, const char *path,
                                                         const config_setting_t *s, const char *fmt,
                                                         ...);

#endif
