/* MQTT link: one libmosquitto client (MQTT v5) driven by the daemon's own poll() loop. */
#ifndef SW_MQTT_LINK_H
#define SW_MQTT_LINK_H

/* Longer than a screen (about 175 lines): the one wrapper of libmosquitto, whose contract with
 * the poll loop (events, deadlines, reconnects, QoS 1 accounting, v5 properties) is documented
 * here rather than split over headers that would each need the rest to be understood. */

/*
 * One link = one broker connection. Everything runs on the caller's thread: the caller polls
 * sw_mqtt_fd() for sw_mqtt_poll_events(), then calls sw_mqtt_service() with the revents and a
 * monotonic clock, and sleeps no longer than sw_mqtt_next_deadline_ms(). The link reconnects by
 * itself with capped exponential backoff and re-sends its subscriptions on every connect.
 *
 * Publishing is refused with -ENOTCONN unless the link is connected (CONNACK received), so no
 * message is ever parked in libmosquitto's unbounded in-memory queue while offline; the caller
 * keeps its own (bounded, persistent) outbox and resends after on_connect. A QoS 1 message
 * accepted while connected is libmosquitto's responsibility until on_published: if the
 * connection drops first, libmosquitto resends it (same mid, DUP set) after the reconnect.
 *
 * Callbacks run only inside sw_mqtt_service(). They may call sw_mqtt_publish(),
 * sw_mqtt_subscribe() and sw_mqtt_disconnect(), never sw_mqtt_free(). Not thread-safe: use each
 * link from one thread only (the lib init refcount is a plain static counter too).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sw_mqtt;

#define SW_MQTT_MAX_SUBS            32    /* subscriptions remembered per link */
#define SW_MQTT_MAX_UNACKED         1024  /* QoS 1 publishes awaiting PUBACK per link */
#define SW_MQTT_CONNECT_TIMEOUT_MS  10000 /* default wait for CONNACK after an attempt starts */
#define SW_MQTT_SERVICE_INTERVAL_MS 1000  /* keepalive bookkeeping granularity while connected */
#define SW_MQTT_MAX_READS           256   /* default bound of packets read per service call */
#define SW_MQTT_ERROR_SIZE          192   /* bytes kept of libmosquitto's latest error line */

/* TLS settings; all NULL or "" means plain TCP. */
struct sw_mqtt_tls {
        const char *ca_file;   /* CA bundle that signs the broker's certificate; required for TLS */
        const char *cert_file; /* client certificate (PEM) for mutual TLS, or NULL */
        const char *key_file;  /* key of cert_file (PEM, unencrypted), or NULL */
        bool insecure;         /* skip the host name check (the chain is still verified) */
};

/* How to reach the broker. Strings are copied by sw_mqtt_new(). */
struct sw_mqtt_options {
        const char *name;              /* for messages: "local" / "hq" */
        const char *host;              /* broker host name or address (DNS may block) */
        int port;                      /* broker TCP port, 1..65535 */
        const char *client_id;         /* fixed MQTT client id, required */
        int keepalive_s;               /* MQTT keepalive, 5..65535 s */
        const char *username;          /* NULL or "" = none */
        const char *password;          /* NULL or "" = none */
        const struct sw_mqtt_tls *tls; /* NULL = plain TCP */
        const char *will_topic;        /* NULL = no last will; the will is QoS 1 */
        const char *will_payload;      /* will payload (a string), NULL = empty */
        bool will_retain;              /* publish the will retained */
        uint32_t backoff_min_ms;       /* first reconnect delay; 0 = 500 ms */
        uint32_t backoff_max_ms;       /* reconnect delay cap; 0 or < min = max(min, 60 s) */
        bool clean_start;              /* false keeps the broker session (QoS 1 redelivery) */
        uint32_t session_expiry_s;     /* MQTT v5 session expiry when !clean_start */
        uint64_t jitter_seed;          /* seed of the jitter PRNG; 0 = seed from getrandom() */
        uint32_t connect_timeout_ms;   /* wait for CONNACK; 0 = SW_MQTT_CONNECT_TIMEOUT_MS */
        uint32_t max_reads; /* packets read per sw_mqtt_service(); 0 = SW_MQTT_MAX_READS */
};

/* MQTT v5 request/response properties, and how a message was delivered. */
struct sw_mqtt_props {
        const char *response_topic; /* Response Topic, NULL when absent */
        const void *corr;           /* Correlation Data, NULL when absent */
        size_t corr_len;            /* bytes in corr (<= 65535) */
        bool retained;              /* on_message: the broker delivered a retained message (a
                                       stored one on subscribe, or a live one published with
                                       the retain flag: subscriptions ask for "retain as
                                       published"); ignored by sw_mqtt_publish() */
};

/* Event handlers; any may be NULL. After a lost connection the link forgets which QoS 1
 * publishes awaited PUBACK: on_published is not called for them, and the caller resends
 * what it still needs after on_connect. ctx is the pointer given to sw_mqtt_new(). */
struct sw_mqtt_callbacks {
        /* After CONNACK success; subscriptions are already re-sent. */
        void (*on_connect)(void *ctx);
        /* An established connection was lost (reason: -errno, e.g. -ECONNRESET, -ETIMEDOUT
         * for keepalive) or the broker refused the CONNECT (-EACCES for bad credentials or not
         * authorised, -ECONNREFUSED otherwise), or the TLS handshake failed (-EPROTO, once per
         * distinct reason until a connection succeeds; sw_mqtt_last_error() says why, and
         * connect_failures counts every attempt). Failed TCP attempts while the
         * broker is down only count in connect_failures. Not called for
         * sw_mqtt_disconnect()/sw_mqtt_free(). */
        void (*on_disconnect)(void *ctx, int reason);
        /* A message arrived; props fields are NULL when absent. Pointers are valid only during
         * the call. */
        void (*on_message)(void *ctx, const char *topic, const void *payload, size_t len,
                           const struct sw_mqtt_props *props);
        /* The broker answered (PUBACK) a QoS 1 publish: accepted, or refused with an error
         * reason such as quota exceeded or not authorised (also counted in publish_errors;
         * the caller keeps the message and retries later). Not called for QoS 0. */
        void (*on_published)(void *ctx, int mid, bool accepted);
};

/* Counters for health. */
struct sw_mqtt_stats {
        uint64_t connects;         /* CONNACK successes */
        uint64_t disconnects;      /* established connections lost (not the requested ones) */
        uint64_t connect_failures; /* attempts that ended without CONNACK success */
        uint32_t backoff_ms;       /* current reconnect delay (0 while connected) */
        uint64_t publish_errors;   /* publishes refused by libmosquitto or by PUBACK reason */
        uint32_t unacked;          /* QoS 1 publishes awaiting PUBACK */
};

/* Create a link; it connects on the first sw_mqtt_service(). Calls mosquitto_lib_init() for the
 * first live link (a process-wide refcount; the last sw_mqtt_free() cleans up).
 * Returns 0, -EINVAL (missing host/client_id, bad port/keepalive, unreadable TLS files),
 * -ENOMEM, -EPROTO (TLS setup). */
int sw_mqtt_new(const struct sw_mqtt_options *o, const struct sw_mqtt_callbacks *cb, void *ctx,
                struct sw_mqtt **ret);
/* Send DISCONNECT if connected (no will), close and free. NULL-safe; returns NULL. */
struct sw_mqtt *sw_mqtt_free(struct sw_mqtt *m);

/* Remember pattern (QoS 1, "retain as published" so that on_message can tell a retained
 * message from a live one) and send it now if connected; (re)sent on every connect.
 * Returns 0 (also when already remembered), -EINVAL (bad pattern), -ENOSPC (list full),
 * -ENOMEM. */
int sw_mqtt_subscribe(struct sw_mqtt *m, const char *pattern);

/* poll() integration: the socket (-1 when none) and the events to wait for. */
int sw_mqtt_fd(const struct sw_mqtt *m);
/* POLLIN, plus POLLOUT while libmosquitto has bytes to write; 0 when there is no socket. */
short sw_mqtt_poll_events(const struct sw_mqtt *m);

/* Do all due work: read/write according to revents, keepalive, connect timeout, and start a
 * (re)connect attempt once the backoff deadline has passed. With POLLIN it reads every packet
 * that has arrived, up to options.max_reads, so the caller's work per pass (one fsync) covers
 * them all. now_ms: monotonic clock in ms.
 * Never waits on the network: attempts use mosquitto_connect_bind_async() (non-blocking
 * connect). What may block: the host name lookup (getaddrinfo) inside an attempt — use an IP
 * address or /etc/hosts for brokers that must never stall the loop — and opening TLS files.
 * Returns 0, or -ESHUTDOWN after sw_mqtt_disconnect(). Connection problems are not errors:
 * they show in sw_mqtt_connected(), the callbacks and the stats. */
int sw_mqtt_service(struct sw_mqtt *m, short revents, uint64_t now_ms);
/* Latest time (monotonic ms) sw_mqtt_service() must be called again without socket events;
 * UINT64_MAX when nothing is scheduled. */
uint64_t sw_mqtt_next_deadline_ms(const struct sw_mqtt *m, uint64_t now_ms);
/* True between CONNACK success and the loss of the connection. */
bool sw_mqtt_connected(const struct sw_mqtt *m);
/* libmosquitto's latest error line, such as OpenSSL's "certificate verify failed"; "" when
 * none. Valid until the next sw_mqtt_service(). */
const char *sw_mqtt_last_error(const struct sw_mqtt *m);

/* Publish. qos 0 or 1. props may be NULL. *ret_mid (may be NULL) receives the message id that
 * on_published will report. Returns 0, -ENOTCONN (not connected: nothing queued), -EINVAL
 * (bad topic or qos), -EMSGSIZE (payload or corr too large), -ENOBUFS (SW_MQTT_MAX_UNACKED QoS 1
 * messages await PUBACK), -ENOMEM, or another -errno from the socket for QoS 0. A QoS 1 message
 * that libmosquitto queued before a socket error is reported as sent (0): libmosquitto delivers
 * it after the reconnect, so resending it would duplicate it. */
int sw_mqtt_publish(struct sw_mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                    bool retain, const struct sw_mqtt_props *props, int *ret_mid);

/* Clean DISCONNECT (the broker drops the will) and stop reconnecting. Returns 0 (also when not
 * connected). */
int sw_mqtt_disconnect(struct sw_mqtt *m);

void sw_mqtt_get_stats(const struct sw_mqtt *m, struct sw_mqtt_stats *ret);

/* Next reconnect delay, "equal jitter": cap = min(max, 2 * prev), result uniform in
 * [cap / 2, cap], then clamped to [min, max]. prev == 0 (first attempt) gives min exactly.
 * Because result >= cap / 2, the cap never shrinks from one step to the next. rng_state is a
 * splitmix64 state (NULL = no jitter: result = cap). */
uint32_t sw_mqtt_backoff_next(uint32_t prev_ms, uint32_t min_ms, uint32_t max_ms,
                              uint64_t *rng_state);

#endif
