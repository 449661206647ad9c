/* shelfwatch-hq's configuration (libconfig): every setting with its embedded default. */
#ifndef HQ_CONFIG_H
#define HQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hq/http_config.h"
#include "platform/log.h"

#define HQ_CONFIG_DEFAULT_PATH  "/etc/shelfwatch/shelfwatch-hq.conf"
#define HQ_CONFIG_NAME_SIZE     65   /* topic root, share group */
#define HQ_CONFIG_HOST_SIZE     254  /* a DNS name */
#define HQ_CONFIG_ID_SIZE       128  /* MQTT client id */
#define HQ_CONFIG_SECRET_SIZE   256  /* MQTT user name and password */
#define HQ_CONFIG_CONNINFO_SIZE 1024 /* libpq connection string */
#define HQ_CONFIG_PATH_SIZE     256  /* a file name */

/* Section topics. */
struct hq_config_topics {
        char root[HQ_CONFIG_NAME_SIZE];        /* first topic level, as the gateways' store.root */
        char share_group[HQ_CONFIG_NAME_SIZE]; /* $share/<group>/...: instances in one group split
                                                  the messages */
};

/* Section broker.tls: TLS to the broker, as the gateways' broker.tls (platform/mqtt_link.h). */
struct hq_config_tls {
        bool enabled;                        /* the group was given */
        char ca_file[HQ_CONFIG_PATH_SIZE];   /* PEM CA bundle that signs the broker's
                                                certificate: required, a readable file */
        char cert_file[HQ_CONFIG_PATH_SIZE]; /* client certificate (PEM), "" = none; with
                                                key_file */
        char key_file[HQ_CONFIG_PATH_SIZE];  /* its private key (PEM, unencrypted), "" = none */
        bool insecure;                       /* skip the host name check (tests only) */
};

/* Section broker: HQ's MQTT broker. */
struct hq_config_broker {
        char host[HQ_CONFIG_HOST_SIZE];       /* host name or address */
        uint32_t port;                        /* TCP port, 1..65535 */
        char client_id[HQ_CONFIG_ID_SIZE];    /* stable per instance (the session's name);
                                                 "" = shelfwatch-hq-<host name> */
        uint32_t keepalive;                   /* MQTT keepalive, 5..3600 s */
        char username[HQ_CONFIG_SECRET_SIZE]; /* "" = anonymous */
        char password[HQ_CONFIG_SECRET_SIZE]; /* "" = none */
        uint32_t session_expiry_s;            /* the broker keeps the session this long while
                                                 the instance is away, 60..4294967295 */
        uint32_t reconnect_min_ms;            /* first reconnect delay */
        uint32_t reconnect_max_ms;            /* reconnect delay cap */
        uint32_t max_reads_per_pass;          /* MQTT packets read per loop pass, 1..65535 */
        struct hq_config_tls tls;             /* optional; both links (ingest, receipts) */
};

/* Section database: PostgreSQL. */
struct hq_config_database {
        char conninfo[HQ_CONFIG_CONNINFO_SIZE]; /* libpq connection string */
        uint32_t reconnect_min_ms;              /* first reconnect delay after a failure */
        uint32_t reconnect_max_ms;              /* reconnect delay cap */
        uint32_t statement_timeout_ms;          /* a batch statement running longer fails */
};

/* Section batch: one transaction per batch. */
struct hq_config_batch {
        uint32_t max_messages;   /* messages per transaction, 1..100000 */
        uint32_t max_latency_ms; /* the oldest waits at most this long for its batch, 1..60000 */
};

/* Section limits: every resource a sender controls has a cap. */
struct hq_config_limits {
        uint32_t max_payload_bytes; /* larger payloads are refused (counted, acknowledged) */
        uint32_t queue_messages;    /* messages held in memory; reading pauses beyond */
        uint32_t queue_kib;         /* row bytes held in memory; reading pauses beyond */
        uint32_t receipt_max_ids;   /* ids per receipt message */
};

/* Section fleet: what the gateways query calls a problem. */
struct hq_config_fleet {
        uint32_t offline_after_s;       /* no message for this long: offline */
        uint32_t summary_stale_after_s; /* newest summary older than this: stale */
        uint32_t max_categories;        /* distinct categories in one effectiveness reply */
};

/* Section log. */
struct hq_config_log {
        enum sw_log_level level;   /* less important messages are dropped */
        uint32_t stats_interval_s; /* counters logged this often; 0 = never */
};

/* The whole configuration; strings live in the struct. */
struct hq_config {
        struct hq_config_topics topics;
        struct hq_config_broker broker;
        struct hq_config_database database;
        struct hq_config_batch batch;
        struct hq_config_limits limits;
        struct hq_config_fleet fleet;
        struct hq_config_log log;
        struct hq_http_config http; /* section http: the API server (shelfwatch-hq serve) */
};

/* The embedded defaults (client id derived from the host name). */
void hq_config_defaults(struct hq_config *ret);
/* Load path over the defaults; unknown settings are errors. Returns 0, -errno when the file
 * cannot be read, -EINVAL with "file:line: setting: reason" in err. ret untouched on failure. */
int hq_config_load(const char *path, struct hq_config *ret, char *err, size_t errsz);

struct sw_mqtt_options;
struct sw_mqtt_tls;
/* The options of an HQ link to the broker of b: host, port, keepalive, credentials, reconnect
 * backoff and reads per pass from b; name and client_id from the caller (they outlive ret);
 * TLS from b.tls when it is enabled and tls (its storage) is not NULL; a clean session. */
void hq_config_link_options(const struct hq_config_broker *b, const char *name,
                            const char *client_id, struct sw_mqtt_tls *tls,
                            struct sw_mqtt_options *ret);

#endif
