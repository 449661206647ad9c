/* MQTT link: libmosquitto (MQTT v5) behind a poll()-driven, self-reconnecting client. */
#include "platform/mqtt_link.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "core/rng.h"

#define SW_MQTT_DEFAULT_BACKOFF_MIN_MS 500u
#define SW_MQTT_DEFAULT_BACKOFF_MAX_MS 60000u
#define SW_MQTT_MID_COUNT              65536u
/* Every subscription asks for "retain as published": a message published retained while we are
 * subscribed arrives with its retain flag too, so the caller can refuse retained commands
 * whether they were stored before we subscribed or published live. */
#define SW_MQTT__SUB_OPTIONS MQTT_SUB_OPT_RETAIN_AS_PUBLISHED

enum sw_mqtt_state {
        SW_MQTT_IDLE,       /* no socket; waiting for the backoff deadline */
        SW_MQTT_CONNECTING, /* socket open, CONNECT sent or pending, no CONNACK yet */
        SW_MQTT_CONNECTED,  /* CONNACK success received */
        SW_MQTT_STOPPED,    /* sw_mqtt_disconnect() called: never reconnects */
};

struct sw_mqtt {
        struct mosquitto *mosq;       /* the libmosquitto client */
        struct sw_mqtt_callbacks cb;  /* the caller's handlers */
        void *ctx;                    /* the caller's pointer for cb */
        char *host;                   /* copy of options.host */
        int port;                     /* broker port */
        int keepalive_s;              /* MQTT keepalive */
        uint32_t backoff_min_ms;      /* first reconnect delay */
        uint32_t backoff_max_ms;      /* reconnect delay cap */
        uint32_t connect_timeout_ms;  /* wait for CONNACK */
        uint32_t max_reads;           /* packets read per service call */
        enum sw_mqtt_state state;     /* where the connection is */
        bool attempt_due;             /* first attempt: due at the first service, whatever now */
        uint64_t next_attempt_ms;     /* IDLE: when the next attempt starts */
        uint64_t attempt_started_ms;  /* CONNECTING: when the attempt started */
        uint64_t now_ms;              /* clock of the current service call, for callbacks */
        uint32_t backoff_ms;          /* delay before the latest attempt; 0 after success */
        uint64_t rng;                 /* splitmix64 state of the jitter */
        char *subs[SW_MQTT_MAX_SUBS]; /* remembered subscription patterns */
        size_t n_subs;                /* used entries of subs */
        uint8_t qos1_mids[SW_MQTT_MID_COUNT / 8]; /* bit set = QoS 1 mid awaiting PUBACK */
        struct sw_mqtt_stats stats;               /* health counters */
        bool lib_ref;                          /* this link holds a sw_mqtt_lib_users reference */
        char last_error[SW_MQTT_ERROR_SIZE];   /* libmosquitto's latest error line, "" = none */
        char tls_reported[SW_MQTT_ERROR_SIZE]; /* TLS refusal last passed to on_disconnect */
};

/* mosquitto_lib_init()/cleanup() refcount: links are created and freed on one thread. */
static unsigned sw_mqtt_lib_users;

static int sw_mqtt__errno(int rc)
{
        switch (rc) {
        case MOSQ_ERR_SUCCESS:
                return 0;
        case MOSQ_ERR_NOMEM:
                return -ENOMEM;
        case MOSQ_ERR_INVAL:
        case MOSQ_ERR_MALFORMED_UTF8:
                return -EINVAL;
        case MOSQ_ERR_NO_CONN:
                return -ENOTCONN;
        case MOSQ_ERR_CONN_REFUSED:
                return -ECONNREFUSED;
        case MOSQ_ERR_CONN_LOST:
                return -ECONNRESET;
        case MOSQ_ERR_TLS:
        case MOSQ_ERR_TLS_HANDSHAKE:
        case MOSQ_ERR_PROTOCOL:
        case MOSQ_ERR_MALFORMED_PACKET:
        case MOSQ_ERR_DUPLICATE_PROPERTY:
                return -EPROTO;
        case MOSQ_ERR_PAYLOAD_SIZE:
        case MOSQ_ERR_OVERSIZE_PACKET:
                return -EMSGSIZE;
        case MOSQ_ERR_NOT_SUPPORTED:
        case MOSQ_ERR_QOS_NOT_SUPPORTED:
        case MOSQ_ERR_RETAIN_NOT_SUPPORTED:
                return -EOPNOTSUPP;
        case MOSQ_ERR_AUTH:
        case MOSQ_ERR_ACL_DENIED:
                return -EACCES;
        case MOSQ_ERR_ERRNO:
                return errno > 0 ? -errno : -EIO;
        case MOSQ_ERR_EAI:
                return -EHOSTUNREACH;
        case MOSQ_ERR_KEEPALIVE:
                return -ETIMEDOUT;
        default:
                /* MQTT v5 reason codes from a server DISCONNECT are >= 0x80. */
                return rc >= 0x80 ? -ECONNRESET : -EIO;
        }
}

/* A CONNACK reason code (v5, or v3 return code) as -errno. */
static int sw_mqtt__connack_errno(int rc)
{
        switch (rc) {
        case CONNACK_REFUSED_BAD_USERNAME_PASSWORD: /* v3.1.1: 4 */
        case CONNACK_REFUSED_NOT_AUTHORIZED:        /* v3.1.1: 5 */
        case MQTT_RC_BAD_USERNAME_OR_PASSWORD:
        case MQTT_RC_NOT_AUTHORIZED:
        case MQTT_RC_BANNED:
        case MQTT_RC_BAD_AUTHENTICATION_METHOD:
                return -EACCES;
        default:
                return -ECONNREFUSED;
        }
}

uint32_t sw_mqtt_backoff_next(uint32_t prev_ms, uint32_t min_ms, uint32_t max_ms,
                              uint64_t *rng_state)
{
        uint64_t cap, low, r;

        if (max_ms < min_ms)
                max_ms = min_ms;
        if (prev_ms == 0)
                return min_ms;
        cap = (uint64_t)prev_ms * 2;
        if (cap > max_ms)
                cap = max_ms;
        if (cap < min_ms)
                cap = min_ms;
        r = cap;
        if (rng_state) {
                low = cap - cap / 2; /* ceil(cap / 2): 2 * low >= cap, so caps never shrink */
                r = low + sw_splitmix64(rng_state) % (cap - low + 1);
        }
        if (r < min_ms)
                r = min_ms;
        return (uint32_t)r;
}

static bool sw_mqtt__mid_pending(const struct sw_mqtt *m, int mid)
{
        unsigned u = (unsigned)mid & (SW_MQTT_MID_COUNT - 1);
        return (m->qos1_mids[u / 8] >> (u % 8)) & 1u;
}

static void sw_mqtt__mid_set(struct sw_mqtt *m, int mid, bool pending)
{
        unsigned u = (unsigned)mid & (SW_MQTT_MID_COUNT - 1);
        uint8_t bit = (uint8_t)(1u << (u % 8));

        if (pending == sw_mqtt__mid_pending(m, mid))
                return;
        if (pending) {
                m->qos1_mids[u / 8] |= bit;
                m->stats.unacked++;
        } else {
                m->qos1_mids[u / 8] &= (uint8_t)~bit;
                m->stats.unacked--;
        }
}

/* Leave CONNECTING/CONNECTED for IDLE and schedule the next attempt. */
static void sw_mqtt__schedule_retry(struct sw_mqtt *m)
{
        m->state = SW_MQTT_IDLE;
        m->backoff_ms =
            sw_mqtt_backoff_next(m->backoff_ms, m->backoff_min_ms, m->backoff_max_ms, &m->rng);
        m->stats.backoff_ms = m->backoff_ms;
        m->next_attempt_ms = m->now_ms + m->backoff_ms;
}

static void sw_mqtt__on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                                const mosquitto_property *props)
{
        struct sw_mqtt *m = obj;
        (void)flags;
        (void)props;

        if (m->state != SW_MQTT_CONNECTING)
                return;
        if (rc != 0) {
                /* libmosquitto closes the socket next; sw_mqtt__on_disconnect counts the
                 * failure and schedules the retry. */
                if (m->cb.on_disconnect)
                        m->cb.on_disconnect(m->ctx, sw_mqtt__connack_errno(rc));
                return;
        }
        m->state = SW_MQTT_CONNECTED;
        m->stats.connects++;
        m->tls_reported[0] = '\0';
        m->backoff_ms = 0;
        m->stats.backoff_ms = 0;
        /* Queued only (we are inside a libmosquitto callback); written by the next service.
         * A failure here surfaces as a lost connection, which re-sends them all. */
        for (size_t i = 0; i < m->n_subs; i++)
                (void)mosquitto_subscribe_v5(mosq, NULL, m->subs[i], 1, SW_MQTT__SUB_OPTIONS, NULL);
        if (m->cb.on_connect)
                m->cb.on_connect(m->ctx);
}

static void sw_mqtt__on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                                   const mosquitto_property *props)
{
        struct sw_mqtt *m = obj;
        (void)mosq;
        (void)props;

        switch (m->state) {
        case SW_MQTT_CONNECTED:
                m->stats.disconnects++;
                /* Forget the PUBACKs we were waiting for: the caller resends its messages after
                 * the reconnect, and should libmosquitto drop (or resend) its own copies, a
                 * stale count must not block publishing at SW_MQTT_MAX_UNACKED for good. A late
                 * PUBACK for a forgotten mid is ignored. */
                memset(m->qos1_mids, 0, sizeof(m->qos1_mids));
                m->stats.unacked = 0;
                sw_mqtt__schedule_retry(m);
                if (m->cb.on_disconnect)
                        m->cb.on_disconnect(m->ctx, rc == 0 ? -ECONNRESET : sw_mqtt__errno(rc));
                break;
        case SW_MQTT_CONNECTING:
                m->stats.connect_failures++;
                sw_mqtt__schedule_retry(m);
                /* A refused TLS handshake (unknown CA, expired or missing client certificate,
                 * wrong host name) will not heal by retrying: tell the caller, who logs it.
                 * libmosquitto reports it as a lost connection (rc 7) after logging OpenSSL's
                 * reason, so the reason logged during this attempt is the sign. */
                if ((rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_TLS_HANDSHAKE ||
                     strncmp(m->last_error, "OpenSSL", 7) == 0) &&
                    strcmp(m->last_error, m->tls_reported) != 0) {
                        /* Once per distinct reason until a connection succeeds: no log flood. */
                        memcpy(m->tls_reported, m->last_error, sizeof(m->tls_reported));
                        if (m->cb.on_disconnect)
                                m->cb.on_disconnect(m->ctx, -EPROTO);
                }
                break;
        case SW_MQTT_IDLE:
        case SW_MQTT_STOPPED:
                break;
        }
}

static void sw_mqtt__on_message(struct mosquitto *mosq, void *obj,
                                const struct mosquitto_message *msg,
                                const mosquitto_property *props)
{
        struct sw_mqtt *m = obj;
        struct sw_mqtt_props p = {0};
        char *response_topic = NULL;
        void *corr = NULL;
        uint16_t corr_len = 0;
        (void)mosq;

        if (!m->cb.on_message)
                return;
        if (props) {
                if (mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &response_topic,
                                                   false))
                        p.response_topic = response_topic;
                if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr,
                                                   &corr_len, false)) {
                        /* Zero-length correlation data: present, so point at something. */
                        p.corr = corr ? corr : (const void *)"";
                        p.corr_len = corr_len;
                }
        }
        p.retained = msg->retain;
        m->cb.on_message(m->ctx, msg->topic, msg->payload,
                         msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, &p);
        free(response_topic);
        free(corr);
}

static void sw_mqtt__on_publish(struct mosquitto *mosq, void *obj, int mid, int reason_code,
                                const mosquitto_property *props)
{
        struct sw_mqtt *m = obj;
        (void)mosq;
        (void)props;

        /* QoS 0 publishes also land here once written; only QoS 1 mids are tracked. */
        if (!sw_mqtt__mid_pending(m, mid))
                return;
        sw_mqtt__mid_set(m, mid, false);
        if (reason_code >= 0x80)
                m->stats.publish_errors++;
        /* A PUBACK with a failure reason (quota exceeded, not authorised) is not a delivery:
         * the caller must keep the message and try again. */
        if (m->cb.on_published)
                m->cb.on_published(m->ctx, mid, reason_code < 0x80);
}

/* Keep libmosquitto's latest error line (for TLS, OpenSSL's reason) for sw_mqtt_last_error(). */
static void sw_mqtt__on_log(struct mosquitto *mosq, void *obj, int level, const char *str)
{
        struct sw_mqtt *m = obj;
        (void)mosq;

        if ((level & MOSQ_LOG_ERR) && str)
                snprintf(m->last_error, sizeof(m->last_error), "%s", str);
}

static bool sw_mqtt__empty(const char *s)
{
        return !s || !*s;
}

/* TLS when any of its files is set: the peer verified; 0, -EINVAL (a file libmosquitto
 * refuses) or -EPROTO. */
static int sw_mqtt__configure_tls(struct sw_mqtt *m, const struct sw_mqtt_tls *tls)
{
        int rc;
        if (!tls || (sw_mqtt__empty(tls->ca_file) && sw_mqtt__empty(tls->cert_file) &&
                     sw_mqtt__empty(tls->key_file)))
                return 0;
        rc = mosquitto_tls_set(m->mosq, sw_mqtt__empty(tls->ca_file) ? NULL : tls->ca_file, NULL,
                               sw_mqtt__empty(tls->cert_file) ? NULL : tls->cert_file,
                               sw_mqtt__empty(tls->key_file) ? NULL : tls->key_file, NULL);
        if (rc != MOSQ_ERR_SUCCESS)
                return rc == MOSQ_ERR_INVAL ? -EINVAL : -EPROTO;
        rc = mosquitto_tls_opts_set(m->mosq, 1 /* SSL_VERIFY_PEER */, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS)
                return -EPROTO;
        rc = mosquitto_tls_insecure_set(m->mosq, tls->insecure);
        return rc == MOSQ_ERR_SUCCESS ? 0 : -EPROTO;
}

static int sw_mqtt__configure(struct sw_mqtt *m, const struct sw_mqtt_options *o)
{
        mosquitto_property *props = NULL;
        int rc;

        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        if (rc != MOSQ_ERR_SUCCESS)
                return sw_mqtt__errno(rc);
        mosquitto_connect_v5_callback_set(m->mosq, sw_mqtt__on_connect);
        mosquitto_disconnect_v5_callback_set(m->mosq, sw_mqtt__on_disconnect);
        mosquitto_message_v5_callback_set(m->mosq, sw_mqtt__on_message);
        mosquitto_publish_v5_callback_set(m->mosq, sw_mqtt__on_publish);
        mosquitto_log_callback_set(m->mosq, sw_mqtt__on_log);

        if (!sw_mqtt__empty(o->username)) {
                rc = mosquitto_username_pw_set(m->mosq, o->username,
                                               sw_mqtt__empty(o->password) ? NULL : o->password);
                if (rc != MOSQ_ERR_SUCCESS)
                        return sw_mqtt__errno(rc);
        }
        if (o->will_topic) {
                const char *payload = o->will_payload ? o->will_payload : "";
                size_t len = strlen(payload);

                if (len > INT_MAX)
                        return -EMSGSIZE;
                rc = mosquitto_will_set_v5(m->mosq, o->will_topic, (int)len, payload, 1,
                                           o->will_retain, NULL);
                if (rc != MOSQ_ERR_SUCCESS)
                        return sw_mqtt__errno(rc);
        }
        rc = sw_mqtt__configure_tls(m, o->tls);
        if (rc < 0)
                return rc;
        if (!o->clean_start && o->session_expiry_s > 0) {
                /* libmosquitto 2.0 has no async connect taking CONNECT properties, but
                 * mosquitto_connect_bind_v5() stores its properties in the client before it
                 * validates the port, and every later (async) connect sends the stored set.
                 * Port -1 makes it return MOSQ_ERR_INVAL without touching the network. The
                 * test "session_survives_reconnect" proves the broker keeps the session. */
                rc = mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                                  o->session_expiry_s);
                if (rc != MOSQ_ERR_SUCCESS)
                        return sw_mqtt__errno(rc);
                rc = mosquitto_connect_bind_v5(m->mosq, m->host, -1, m->keepalive_s, NULL, props);
                mosquitto_property_free_all(&props);
                if (rc != MOSQ_ERR_INVAL)
                        return rc == MOSQ_ERR_SUCCESS ? -EIO : sw_mqtt__errno(rc);
        }
        return 0;
}

int sw_mqtt_new(const struct sw_mqtt_options *o, const struct sw_mqtt_callbacks *cb, void *ctx,
                struct sw_mqtt **ret)
{
        struct sw_mqtt *m;
        int r;

        if (!o || !ret || sw_mqtt__empty(o->host) || sw_mqtt__empty(o->client_id) || o->port <= 0 ||
            o->port > 65535 || o->keepalive_s < 5 || o->keepalive_s > 65535)
                return -EINVAL;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        if (cb)
                m->cb = *cb;
        m->ctx = ctx;
        m->port = o->port;
        m->keepalive_s = o->keepalive_s;
        m->backoff_min_ms = o->backoff_min_ms ? o->backoff_min_ms : SW_MQTT_DEFAULT_BACKOFF_MIN_MS;
        m->backoff_max_ms = o->backoff_max_ms;
        if (m->backoff_max_ms == 0 || m->backoff_max_ms < m->backoff_min_ms)
                m->backoff_max_ms = m->backoff_min_ms > SW_MQTT_DEFAULT_BACKOFF_MAX_MS
                                        ? m->backoff_min_ms
                                        : SW_MQTT_DEFAULT_BACKOFF_MAX_MS;
        m->connect_timeout_ms =
            o->connect_timeout_ms ? o->connect_timeout_ms : SW_MQTT_CONNECT_TIMEOUT_MS;
        m->max_reads = o->max_reads ? o->max_reads : SW_MQTT_MAX_READS;
        m->state = SW_MQTT_IDLE;
        m->attempt_due = true;
        m->rng = o->jitter_seed;
        if (m->rng == 0 && getrandom(&m->rng, sizeof(m->rng), GRND_NONBLOCK) != sizeof(m->rng))
                m->rng = (uint64_t)getpid() * UINT64_C(0x9E3779B97F4A7C15);

        m->host = strdup(o->host);
        if (!m->host) {
                free(m);
                return -ENOMEM;
        }
        if (sw_mqtt_lib_users++ == 0)
                mosquitto_lib_init();
        m->lib_ref = true;
        m->mosq = mosquitto_new(o->client_id, o->clean_start, m);
        if (!m->mosq) {
                r = errno == EINVAL ? -EINVAL : -ENOMEM;
                sw_mqtt_free(m);
                return r;
        }
        r = sw_mqtt__configure(m, o);
        if (r < 0) {
                sw_mqtt_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

struct sw_mqtt *sw_mqtt_free(struct sw_mqtt *m)
{
        if (!m)
                return NULL;
        if (m->mosq) {
                (void)sw_mqtt_disconnect(m);
                /* Best effort flush of the DISCONNECT; the socket is non-blocking. */
                if (mosquitto_socket(m->mosq) >= 0 && mosquitto_want_write(m->mosq))
                        (void)mosquitto_loop_write(m->mosq, 1);
                mosquitto_destroy(m->mosq);
        }
        for (size_t i = 0; i < m->n_subs; i++)
                free(m->subs[i]);
        if (m->lib_ref && --sw_mqtt_lib_users == 0)
                mosquitto_lib_cleanup();
        free(m->host);
        free(m);
        return NULL;
}

int sw_mqtt_subscribe(struct sw_mqtt *m, const char *pattern)
{
        char *copy;
        int rc;

        if (!m || !pattern || mosquitto_sub_topic_check(pattern) != MOSQ_ERR_SUCCESS)
                return -EINVAL;
        for (size_t i = 0; i < m->n_subs; i++)
                if (strcmp(m->subs[i], pattern) == 0)
                        return 0;
        if (m->n_subs >= SW_MQTT_MAX_SUBS)
                return -ENOSPC;
        copy = strdup(pattern);
        if (!copy)
                return -ENOMEM;
        m->subs[m->n_subs++] = copy;
        if (m->state == SW_MQTT_CONNECTED) {
                rc = mosquitto_subscribe_v5(m->mosq, NULL, copy, 1, SW_MQTT__SUB_OPTIONS, NULL);
                /* Socket errors are the connection's problem: the reconnect re-sends it. */
                if (rc == MOSQ_ERR_NOMEM || rc == MOSQ_ERR_INVAL)
                        return sw_mqtt__errno(rc);
        }
        return 0;
}

int sw_mqtt_fd(const struct sw_mqtt *m)
{
        if (!m || m->state == SW_MQTT_IDLE)
                return -1;
        return mosquitto_socket(m->mosq);
}

short sw_mqtt_poll_events(const struct sw_mqtt *m)
{
        if (sw_mqtt_fd(m) < 0)
                return 0;
        return (short)(POLLIN | (mosquitto_want_write(m->mosq) ? POLLOUT : 0));
}

/* Close a socket that got no CONNACK in time, without a DISCONNECT (so the broker would still
 * publish the will of a half-open session). libmosquitto notices the dead socket on the next
 * read or write and reports it through on_disconnect. */
static void sw_mqtt__abort_attempt(struct sw_mqtt *m)
{
        int fd = mosquitto_socket(m->mosq);

        if (fd >= 0) {
                (void)shutdown(fd, SHUT_RDWR);
                (void)mosquitto_loop_read(m->mosq, 1);
        }
        if (m->state == SW_MQTT_CONNECTING) {
                /* libmosquitto did not notice (e.g. still in its connect-pending state): make it
                 * drop the socket by reconnecting later; count the failure now. */
                m->stats.connect_failures++;
                sw_mqtt__schedule_retry(m);
        }
}

/* mosquitto_loop_read() reads one packet (more only while our own QoS 1 publishes are in
 * flight) and leaves the rest in the socket, so a caller that does fixed work per loop pass
 * (an fsync) would do it per message. Read on while the socket has bytes, up to max_reads. A
 * packet cut in two stays half-read in libmosquitto until the next POLLIN.
 * The socket is empty once a read ends in EAGAIN, which libmosquitto leaves in errno (it stops
 * its own read loop on the same sign): no poll() per packet, which cost a system call per
 * message at high rates. */
static void sw_mqtt__read_available(struct sw_mqtt *m)
{
        for (uint32_t n = 0; n < m->max_reads; n++) {
                if (mosquitto_socket(m->mosq) < 0)
                        break;
                /* After a disconnect from a callback only the first read, as before. */
                if (n > 0 && m->state == SW_MQTT_STOPPED)
                        break;
                errno = 0;
                if (mosquitto_loop_read(m->mosq, 1) != MOSQ_ERR_SUCCESS)
                        break;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        break;
        }
}

static void sw_mqtt__start_attempt(struct sw_mqtt *m)
{
        int rc;

        m->attempt_due = false;
        m->state = SW_MQTT_CONNECTING;
        m->last_error[0] = '\0'; /* what libmosquitto logs from here on is about this attempt */
        m->attempt_started_ms = m->now_ms;
        /* Non-blocking connect; getaddrinfo() inside may block on DNS. The CONNECT packet is
         * queued and written once the socket is writable. */
        rc = mosquitto_connect_bind_async(m->mosq, m->host, m->port, m->keepalive_s, NULL);
        if (rc != MOSQ_ERR_SUCCESS && m->state == SW_MQTT_CONNECTING) {
                m->stats.connect_failures++;
                sw_mqtt__schedule_retry(m);
        }
}

int sw_mqtt_service(struct sw_mqtt *m, short revents, uint64_t now_ms)
{
        if (!m)
                return -EINVAL;
        m->now_ms = now_ms;
        /* STOPPED too: flush a DISCONNECT that did not fit in the socket at once, and let
         * libmosquitto close the socket when the broker does. */
        if (m->state != SW_MQTT_IDLE && mosquitto_socket(m->mosq) >= 0) {
                if (revents & (POLLIN | POLLERR | POLLHUP))
                        sw_mqtt__read_available(m);
                /* Also write what callbacks just queued (e.g. the re-subscriptions): the socket
                 * is non-blocking, a full buffer just leaves the rest for POLLOUT. */
                if (mosquitto_socket(m->mosq) >= 0 &&
                    ((revents & (POLLOUT | POLLERR | POLLHUP)) || mosquitto_want_write(m->mosq)))
                        (void)mosquitto_loop_write(m->mosq, 1);
                if (mosquitto_socket(m->mosq) >= 0)
                        (void)mosquitto_loop_misc(m->mosq); /* keepalive: PINGREQ or timeout */
        }
        if (m->state == SW_MQTT_STOPPED)
                return -ESHUTDOWN;
        if (m->state != SW_MQTT_IDLE && mosquitto_socket(m->mosq) < 0) {
                /* The socket went away without on_disconnect (should not happen). */
                sw_mqtt__on_disconnect(m->mosq, m, MOSQ_ERR_CONN_LOST, NULL);
        }
        if (m->state == SW_MQTT_CONNECTING &&
            now_ms - m->attempt_started_ms >= m->connect_timeout_ms)
                sw_mqtt__abort_attempt(m);
        if (m->state == SW_MQTT_IDLE && (m->attempt_due || now_ms >= m->next_attempt_ms))
                sw_mqtt__start_attempt(m);
        return 0;
}

uint64_t sw_mqtt_next_deadline_ms(const struct sw_mqtt *m, uint64_t now_ms)
{
        uint64_t t;

        if (!m)
                return UINT64_MAX;
        switch (m->state) {
        case SW_MQTT_IDLE:
                return m->attempt_due ? now_ms : m->next_attempt_ms;
        case SW_MQTT_CONNECTING:
                t = m->attempt_started_ms + m->connect_timeout_ms;
                return t < now_ms + SW_MQTT_SERVICE_INTERVAL_MS
                           ? t
                           : now_ms + SW_MQTT_SERVICE_INTERVAL_MS;
        case SW_MQTT_CONNECTED:
                /* libmosquitto keeps keepalive time in whole seconds. */
                return now_ms + SW_MQTT_SERVICE_INTERVAL_MS;
        case SW_MQTT_STOPPED:
                break;
        }
        return UINT64_MAX;
}

bool sw_mqtt_connected(const struct sw_mqtt *m)
{
        return m && m->state == SW_MQTT_CONNECTED;
}

const char *sw_mqtt_last_error(const struct sw_mqtt *m)
{
        return m ? m->last_error : "";
}

int sw_mqtt_publish(struct sw_mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                    bool retain, const struct sw_mqtt_props *props, int *ret_mid)
{
        mosquitto_property *mprops = NULL;
        int mid = 0, rc;

        if (!m || !topic || (qos != 0 && qos != 1) || (len > 0 && !payload))
                return -EINVAL;
        if (len > MQTT_MAX_PAYLOAD || len > INT_MAX)
                return -EMSGSIZE;
        /* Never hand libmosquitto a message while offline: it would queue it in memory and
         * send it after the reconnect, duplicating the caller's own resend. */
        if (m->state != SW_MQTT_CONNECTED)
                return -ENOTCONN;
        if (qos > 0 && m->stats.unacked >= SW_MQTT_MAX_UNACKED)
                return -ENOBUFS;
        if (props && props->response_topic) {
                rc = mosquitto_property_add_string(&mprops, MQTT_PROP_RESPONSE_TOPIC,
                                                   props->response_topic);
                if (rc != MOSQ_ERR_SUCCESS) {
                        mosquitto_property_free_all(&mprops);
                        return sw_mqtt__errno(rc);
                }
        }
        if (props && props->corr) {
                if (props->corr_len > UINT16_MAX) {
                        mosquitto_property_free_all(&mprops);
                        return -EMSGSIZE;
                }
                rc = mosquitto_property_add_binary(&mprops, MQTT_PROP_CORRELATION_DATA, props->corr,
                                                   (uint16_t)props->corr_len);
                if (rc != MOSQ_ERR_SUCCESS) {
                        mosquitto_property_free_all(&mprops);
                        return sw_mqtt__errno(rc);
                }
        }
        rc = mosquitto_publish_v5(m->mosq, &mid, topic, (int)len, payload, qos, retain, mprops);
        mosquitto_property_free_all(&mprops);
        if (rc != MOSQ_ERR_SUCCESS) {
                /* For QoS 1, a socket error comes after libmosquitto queued the message: it
                 * will resend it after the reconnect, so report it as sent. */
                bool queued =
                    qos > 0 && mid != 0 &&
                    (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO);
                if (!queued) {
                        m->stats.publish_errors++;
                        return sw_mqtt__errno(rc);
                }
        }
        if (qos > 0)
                sw_mqtt__mid_set(m, mid, true);
        if (ret_mid)
                *ret_mid = mid;
        return 0;
}

int sw_mqtt_disconnect(struct sw_mqtt *m)
{
        enum sw_mqtt_state was;

        if (!m)
                return -EINVAL;
        was = m->state;
        m->state = SW_MQTT_STOPPED;
        m->stats.backoff_ms = 0;
        if (was != SW_MQTT_IDLE && was != SW_MQTT_STOPPED && mosquitto_socket(m->mosq) >= 0)
                (void)mosquitto_disconnect(m->mosq); /* reason 0: the broker drops the will */
        return 0;
}

void sw_mqtt_get_stats(const struct sw_mqtt *m, struct sw_mqtt_stats *ret)
{
        if (!m || !ret)
                return;
        *ret = m->stats;
}
