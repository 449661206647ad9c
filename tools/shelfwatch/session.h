/* session.h: one MQTT v5 connection to the store's broker: requests, QoS 1 publishes, acks. */
#ifndef SHELFWATCH_SESSION_H
#define SHELFWATCH_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "shelfwatch.h"

#define CLI_TOPIC_SIZE 512 /* prefix (3 x 64) plus the longest suffix, a device name included */
#define CLI_CORR_SIZE  48  /* 16 random bytes in hex, '-', a request number, NUL */

struct mosquitto;

/* How far the connection got. */
enum cli_session_phase {
        CLI_SESSION_CONNECTING,  /* waiting for CONNACK */
        CLI_SESSION_SUBSCRIBING, /* waiting for the SUBACK of the reply topic */
        CLI_SESSION_READY,       /* connected and subscribed: requests can be sent */
        CLI_SESSION_WAITING,     /* a request is out, its reply not in yet */
};

/* Decides whether a message on the awaited topic is the one waited for (an ack with our id). */
typedef bool (*cli_session_match_fn)(const char *payload, size_t len, void *ctx);

/* One connection, driven by mosquitto_loop() in the calling thread. */
struct cli_session {
        struct mosquitto *mosq;           /* the client, NULL once closed */
        const struct cli_target *target;  /* broker and prefix (not owned) */
        enum cli_session_phase phase;     /* how far it got */
        bool failed;                      /* gave up; error says why */
        char error[384];                  /* why it failed */
        char reply_topic[CLI_TOPIC_SIZE]; /* {prefix}/reply/[{user}/]shelfwatch-{pid}-{random} */
        char corr_stem[17];               /* 8 random bytes in hex; request n: "{stem}-{n}" */
        unsigned requests;                /* requests sent, for the correlation data */
        int sub_mid;                      /* message id of the SUBSCRIBE awaited, -1 none */
        bool sub_refused;                 /* that SUBSCRIBE was refused */
        unsigned in_flight;               /* QoS 1 publishes awaiting their PUBACK */
        unsigned in_flight_limit;         /* a publish waits while in_flight is at this */
        unsigned refused;                 /* PUBACKs with a failure reason code (v5) */
        int refused_reason;               /* the last such reason code */
        char want_topic[CLI_TOPIC_SIZE];  /* the topic of the message awaited, "" none */
        char want_corr[CLI_CORR_SIZE];    /* its correlation data, "" = any */
        cli_session_match_fn want_match;  /* further test of the payload, NULL = any */
        void *want_ctx;                   /* passed to want_match */
        char *got;                        /* the message awaited (malloc'd, NUL-ended) */
        size_t got_len;                   /* its length */
};

/* Seconds on the monotonic clock (deadlines). */
double cli_now_s(void);

/*
 * Connect, subscribe to a reply topic of our own and wait until both are done, for at most
 * timeout_s once the TCP connection is up. 0, or -EHOSTUNREACH with s->error set: the client
 * could not be set up, the broker is unreachable, refused us, or did not answer in time.
 */
int cli_session_open(struct cli_session *s, const struct cli_target *t, double timeout_s);
/* Disconnect and free; accepts a session that failed to open, or one closed already. */
void cli_session_close(struct cli_session *s);

/* Subscribe to topic at QoS 1 and wait for the SUBACK. 0, or -EHOSTUNREACH (s->error). */
int cli_session_subscribe(struct cli_session *s, const char *topic, double deadline);

/* Publish at QoS 1; first waits while max_in_flight publishes await their PUBACK. 0, or
 * -EHOSTUNREACH (s->error; also when the broker refused an earlier publish). */
int cli_session_publish(struct cli_session *s, const char *topic, const char *payload,
                        unsigned max_in_flight, double deadline);
/* Wait until every publish has its PUBACK. 0, or -EHOSTUNREACH (s->error). */
int cli_session_flush(struct cli_session *s, double deadline);
/* Serve the connection (PUBACKs, keepalive) for up to seconds, then return. 0 or -EHOSTUNREACH. */
int cli_session_idle(struct cli_session *s, double seconds);

/*
 * Ask shelfwatchd: publish payload to {prefix}/cmd/{name} with our reply topic and a fresh
 * correlation, and wait for the reply. 0 and the reply (malloc'd) in *ret_reply, or
 * -ETIMEDOUT (no reply by the deadline) or -EHOSTUNREACH (s->error says why).
 */
int cli_session_request(struct cli_session *s, const char *name, const char *payload,
                        double deadline, char **ret_reply);

/*
 * Awaiting a message that is not a command reply (a count's ack): expect it before publishing
 * what causes it (it may come back at once), then wait. A message on topic (subscribed before)
 * is taken when match accepts it (NULL: any). Waiting returns 0 and the payload (malloc'd) in
 * *ret_payload, -ETIMEDOUT, or -EHOSTUNREACH (s->error).
 */
void cli_session_expect(struct cli_session *s, const char *topic, cli_session_match_fn match,
                        void *ctx);
int cli_session_wait(struct cli_session *s, double deadline, char **ret_payload);

/* Print s->error as "shelfwatch: broker HOST:PORT: ERROR", and the hint about where the
 * broker is when the session never got connected and subscribed. */
void cli_session_report(const struct cli_session *s);

#endif
