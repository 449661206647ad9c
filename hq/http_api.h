/* The HTTP API and dashboard server (shelfwatch-hq serve): state shared by the http_*.c files. */
#ifndef HQ_HTTP_API_H
#define HQ_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "hq/hq_config.h"

struct MHD_Connection;
struct MHD_Daemon;
struct sw_mqtt;
struct hq_api_command;

/* A reply being built: status code and JSON body. */
struct hq_api_reply {
        unsigned status; /* HTTP status */
        cJSON *body;     /* owned; NULL only on no memory */
};

/* One request, from its first byte to its response (MHD's per-connection pointer). */
struct hq_api_request {
        char method[8];                    /* GET / POST */
        char *body;                        /* request body, NUL-terminated; NULL: none */
        size_t body_len;                   /* bytes in body */
        bool body_too_large;               /* over http.max_body_bytes: answered 413 */
        const struct hq_http_token *token; /* the authenticated token, NULL before */
        struct hq_api_command *command;    /* a command awaiting its gateway, NULL none */
        struct hq_api_reply done;          /* a suspended request's response, once ready */
        bool ready;                        /* done holds the response */
};

/* The server. One thread: MHD's sockets, the MQTT link and signals in one poll() loop. */
struct hq_api {
        struct hq_config cfg;            /* the whole configuration */
        struct MHD_Daemon *httpd;        /* libmicrohttpd, driven by our loop (MHD_USE_EPOLL) */
        PGconn *db;                      /* NULL while disconnected: requests get 503 */
        uint64_t db_retry_ms;            /* next connection attempt (monotonic) */
        struct sw_mqtt *mqtt;            /* commands to gateways and their replies */
        char reply_base[96];             /* reply/<this> under a store's prefix */
        struct hq_api_command *commands; /* [http.max_pending_commands] */
        uint64_t next_corr;              /* correlation numbers, from 1 */
        int signal_fd;                   /* SIGTERM, SIGINT */
        bool stop;                       /* a stop was asked */
        char *tls_cert, *tls_key;        /* PEM text while TLS is on (MHD keeps pointers) */
};

/* Run the server until SIGTERM/SIGINT; returns 0 or -errno (logs why). */
int hq_api_run(const struct hq_config *cfg);

/* ---- internal to http_*.c ---- */

/* Reply helpers: set ret to {"error":{"status","reason"}} or to body. Return 0. */
__attribute__((format(printf, 3, 4))) int hq_api__error(struct hq_api_reply *ret, unsigned status,
                                                        const char *fmt, ...);
int hq_api__ok(struct hq_api_reply *ret, cJSON *body);

/* Query parameters: each request names the ones it accepts; anything else is refused. */
enum hq_param_type {
        HQ_PARAM_TYPE,     /* an anomaly type */
        HQ_PARAM_SEVERITY, /* info / warning / critical */
        HQ_PARAM_STATUS,   /* open / resolved / dismissed / cleared */
        HQ_PARAM_STORE,    /* a store id */
        HQ_PARAM_TEXT,     /* category: 1..64 bytes of UTF-8 without control characters */
        HQ_PARAM_SKU,      /* 1..64 printable ASCII */
        HQ_PARAM_DAYS,     /* 1..http.max_days */
        HQ_PARAM_LIMIT,    /* 1..http.max_limit */
        HQ_PARAM_OFFSET,   /* 0..http.max_offset */
};
/* One accepted parameter and, after hq_api__params, its value (NULL: absent). */
struct hq_param {
        const char *name;        /* as in the query string */
        enum hq_param_type type; /* how it is checked */
        const char *value;       /* valid until the response is queued */
        long long number;        /* DAYS, LIMIT, OFFSET: the value */
};
#define HQ_PARAM(n, t)                                                                             \
        {                                                                                          \
                .name = (n), .type = (t)                                                           \
        }
/* Read and check the query string against params[n]. Returns 0 or an error reply in ret
 * (400: unknown filter, given twice, bad value) and -EINVAL. */
int hq_api__params(struct MHD_Connection *conn, const struct hq_api *api, struct hq_param *params,
                   size_t n, struct hq_api_reply *ret);
/* The value of params' entry name, NULL when absent. */
const struct hq_param *hq_api__param(const struct hq_param *params, size_t n, const char *name);
/* Store ids, anomaly ids: 1..128 of [A-Za-z0-9._:-]. */
bool hq_api__id_valid(const char *s, size_t max);
/* UTF-8 without control characters, 1..max bytes. */
bool hq_api__text_valid(const char *s, size_t max);
/* YYYY-MM-DD, a real day. */
bool hq_api__date_valid(const char *s);

/* The database, as the token's role. Begin a transaction (read-only unless write) under
 * SET LOCAL ROLE. Returns 0, or an error reply (503 database unavailable) and -errno. */
int hq_api__begin(struct hq_api *api, const struct hq_api_request *rq, bool write,
                  struct hq_api_reply *ret);
/* COMMIT (or ROLLBACK when ok is false); returns 0 or an error reply and -EIO. */
int hq_api__end(struct hq_api *api, bool ok, struct hq_api_reply *ret);
/* Run sql with text params inside the transaction; NULL and an error reply on failure
 * (503 on a timeout or a lost connection, 500 otherwise; the reason is logged, not sent). */
PGresult *hq_api__query(struct hq_api *api, const char *sql, int n, const char *const *params,
                        struct hq_api_reply *ret);

/* Handlers: each fills ret and returns 0, or 1 when it suspended the request (a command). */
typedef int hq_api_handler(struct hq_api *api, struct hq_api_request *rq,
                           struct MHD_Connection *conn, struct hq_api_reply *ret);
hq_api_handler hq_api_anomalies;
hq_api_handler hq_api_stats;
hq_api_handler hq_api_ghost_stock;
hq_api_handler hq_api_alert_effectiveness;
hq_api_handler hq_api_anomaly_effectiveness;
hq_api_handler hq_api_roi;
hq_api_handler hq_api_gateways;
/* POST /anomalies/detect and /outcomes/{anomaly,alert}/{id}: forwarded to the gateway. */
hq_api_handler hq_api_detect;
int hq_api_outcome(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                   const char *id, struct hq_api_reply *ret);

/* The command link: open, poll integration, expiry of waits. */
int hq_api__commands_open(struct hq_api *api);
void hq_api__commands_close(struct hq_api *api);
/* Answer every command whose wait is over (504); returns the earliest deadline left. */
uint64_t hq_api__commands_expire(struct hq_api *api, uint64_t now_ms);
/* Answer every waiting command 503 (the server stops; MHD must not stop with suspended
 * connections). */
void hq_api__commands_abort(struct hq_api *api);
/* A request's connection closed before its command was answered: forget the wait. */
void hq_api__commands_cancel(struct hq_api *api, struct hq_api_request *rq);

#endif
