/* Tests of platform/mqtt_link against a real mosquitto broker on a loopback port. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "platform/mqtt_link.h"
#include "tests/support/net.h"
#include "tests/support/scratch.h"
#include "tests/support/test_main.h"

#define MAX_MSGS 64

/* One received message, copied out of the callback. */
struct rec_msg {
        char topic[128];        /* topic */
        char payload[256];      /* payload, NUL-terminated copy */
        size_t len;             /* payload length */
        bool has_rt;            /* a response topic was present */
        char rt[128];           /* response topic */
        bool has_corr;          /* correlation data was present */
        unsigned char corr[64]; /* correlation data */
        size_t corr_len;        /* bytes in corr */
        bool retained;          /* delivered with the retain flag */
};

/* What the callbacks of one link saw. */
struct rec {
        int connects;                  /* on_connect calls */
        int disconnects;               /* on_disconnect calls */
        int last_reason;               /* reason of the last on_disconnect */
        int published[MAX_MSGS];       /* mids from on_published */
        int n_published;               /* used entries of published */
        struct rec_msg msgs[MAX_MSGS]; /* messages from on_message */
        int n_msgs;                    /* used entries of msgs */
};

/* Per-test fixture: a broker on its own port, in its own directory. */
struct fixture {
        char dir[64];             /* mkdtemp directory holding the config and log */
        int port;                 /* loopback port of the broker */
        pid_t broker;             /* broker pid, 0 when not running */
        char extra[512];          /* more broker config lines (TLS) */
        struct rec r;             /* what the callbacks of the test's one link saw */
        struct sw_mqtt *m;        /* the test's one link, NULL if none; teardown frees it */
        struct rec recs[4];       /* what the callbacks of the links of a test of several saw */
        struct sw_mqtt *links[3]; /* the links of a test of several; teardown frees them */
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rec_on_connect(void *ctx)
{
        struct rec *r = ctx;
        r->connects++;
}

static void rec_on_disconnect(void *ctx, int reason)
{
        struct rec *r = ctx;
        r->disconnects++;
        r->last_reason = reason;
}

static void rec_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                           const struct sw_mqtt_props *props)
{
        struct rec *r = ctx;
        struct rec_msg *m;

        assert_non_null(props);
        if (r->n_msgs >= MAX_MSGS)
                return;
        m = &r->msgs[r->n_msgs++];
        memset(m, 0, sizeof(*m));
        snprintf(m->topic, sizeof(m->topic), "%s", topic);
        m->len = len;
        m->retained = props->retained;
        memcpy(m->payload, payload, len < sizeof(m->payload) - 1 ? len : sizeof(m->payload) - 1);
        if (props->response_topic) {
                m->has_rt = true;
                snprintf(m->rt, sizeof(m->rt), "%s", props->response_topic);
        }
        if (props->corr) {
                m->has_corr = true;
                m->corr_len = props->corr_len;
                memcpy(m->corr, props->corr,
                       props->corr_len < sizeof(m->corr) ? props->corr_len : sizeof(m->corr));
        }
}

static void rec_on_published(void *ctx, int mid, bool accepted)
{
        struct rec *r = ctx;
        assert_true(accepted); /* the test broker accepts every publish */
        if (r->n_published < MAX_MSGS)
                r->published[r->n_published++] = mid;
}

static const struct sw_mqtt_callbacks rec_callbacks = {
    .on_connect = rec_on_connect,
    .on_disconnect = rec_on_disconnect,
    .on_message = rec_on_message,
    .on_published = rec_on_published,
};

static int rec_count_payload(const struct rec *r, const char *payload)
{
        int n = 0;
        for (int i = 0; i < r->n_msgs; i++)
                if (strcmp(r->msgs[i].payload, payload) == 0)
                        n++;
        return n;
}

static bool rec_has_mid(const struct rec *r, int mid)
{
        for (int i = 0; i < r->n_published; i++)
                if (r->published[i] == mid)
                        return true;
        return false;
}

static void broker_start(struct fixture *f)
{
        char conf[128], log[128];
        struct passwd *pw = getpwuid(getuid());
        FILE *fp;
        pid_t pid;

        snprintf(conf, sizeof(conf), "%s/mosquitto.conf", f->dir);
        snprintf(log, sizeof(log), "%s/mosquitto.log", f->dir);
        fp = fopen(conf, "w");
        assert_non_null(fp);
        /* "user": as root, the broker would drop to user mosquitto, which cannot read the
         * files in our 0700 directory. */
        fprintf(fp, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nuser %s\n%s",
                f->port, pw ? pw->pw_name : "nobody", f->extra);
        fclose(fp);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
                _exit(127);
        }
        f->broker = pid;
        for (int i = 0; i < 500; i++) {
                if (sw_test_port_open(f->port))
                        return;
                usleep(10000);
        }
        fail_msg("broker did not start on port %d", f->port);
}

static void broker_stop(struct fixture *f, int sig)
{
        if (f->broker <= 0)
                return;
        kill(f->broker, sig);
        waitpid(f->broker, NULL, 0);
        f->broker = 0;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(sw_test_mkdtemp(f->dir, sizeof(f->dir), "sw-mqtt-test"), 0);
        f->port = sw_test_free_port();
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        assert_null(sw_mqtt_free(f->m));
        for (size_t i = 0; i < sizeof(f->links) / sizeof(f->links[0]); i++)
                assert_null(sw_mqtt_free(f->links[i]));
        broker_stop(f, SIGTERM);
        assert_int_equal(sw_test_rm_rf(f->dir), 0);
        free(f);
        return 0;
}

static struct sw_mqtt_options base_options(const struct fixture *f, const char *client_id)
{
        struct sw_mqtt_options o = {
            .name = "test",
            .host = "127.0.0.1",
            .port = f->port,
            .client_id = client_id,
            .keepalive_s = 10,
            .backoff_min_ms = 50,
            .backoff_max_ms = 400,
            .clean_start = true,
            .jitter_seed = 42,
        };
        return o;
}

static struct sw_mqtt *link_new(const struct sw_mqtt_options *o, struct rec *r)
{
        struct sw_mqtt *m = NULL;

        memset(r, 0, sizeof(*r));
        assert_int_equal(sw_mqtt_new(o, &rec_callbacks, r, &m), 0);
        assert_non_null(m);
        return m;
}

/* One turn of a daemon-like poll loop over some links, waiting at most max_wait_ms. */
static void pump_once(struct sw_mqtt **links, size_t n, int max_wait_ms)
{
        struct pollfd pfd[8];
        uint64_t t = now_ms();
        int timeout = max_wait_ms;

        assert_true(n <= 8);
        for (size_t i = 0; i < n; i++) {
                uint64_t d = sw_mqtt_next_deadline_ms(links[i], t);
                pfd[i].fd = sw_mqtt_fd(links[i]);
                pfd[i].events = sw_mqtt_poll_events(links[i]);
                pfd[i].revents = 0;
                if (d <= t)
                        timeout = 0;
                else if (d - t < (uint64_t)timeout)
                        timeout = (int)(d - t);
        }
        assert_true(poll(pfd, n, timeout) >= 0);
        for (size_t i = 0; i < n; i++)
                sw_mqtt_service(links[i], pfd[i].fd >= 0 ? pfd[i].revents : 0, now_ms());
}

/* Run the loop until cond holds (at most ms), then assert cond. */
#define PUMP_UNTIL(links, n, ms, cond)                                                             \
        do {                                                                                       \
                uint64_t pump_end_ = now_ms() + (ms);                                              \
                while (!(cond) && now_ms() < pump_end_)                                            \
                        pump_once((links), (n), 20);                                               \
                assert_true(cond);                                                                 \
        } while (0)

/* Run the loop for ms. */
static void pump_for(struct sw_mqtt **links, size_t n, int ms)
{
        uint64_t end = now_ms() + (uint64_t)ms;
        while (now_ms() < end)
                pump_once(links, n, 20);
}

/* Start the broker, make the test's link f->m with options o, subscribed to topic (NULL: to
 * nothing), and run the loop until it is connected. */
static void connect_link(struct fixture *f, const struct sw_mqtt_options *o, const char *topic)
{
        broker_start(f);
        f->m = link_new(o, &f->r);
        if (topic)
                assert_int_equal(sw_mqtt_subscribe(f->m, topic), 0);
        PUMP_UNTIL(&f->m, 1, 3000, sw_mqtt_connected(f->m));
}

static void test_backoff_next(void **state)
{
        uint64_t rng = 7;
        uint32_t prev = 0, v, cap = 0, max_seen = 0;
        (void)state;

        /* First = min, exactly. */
        assert_int_equal(sw_mqtt_backoff_next(0, 100, 10000, &rng), 100);
        /* Without jitter: doubles, then capped. */
        assert_int_equal(sw_mqtt_backoff_next(100, 100, 10000, NULL), 200);
        assert_int_equal(sw_mqtt_backoff_next(6000, 100, 10000, NULL), 10000);
        assert_int_equal(sw_mqtt_backoff_next(10000, 100, 10000, NULL), 10000);
        /* No overflow near UINT32_MAX. */
        assert_int_equal(sw_mqtt_backoff_next(UINT32_MAX, 1, UINT32_MAX, NULL), UINT32_MAX);
        /* max < min: min wins. */
        assert_int_equal(sw_mqtt_backoff_next(500, 1000, 10, &rng), 1000);

        for (int i = 0; i < 200; i++) {
                uint32_t want_cap = prev == 0 ? 100 : (prev * 2 > 10000 ? 10000 : prev * 2);
                v = sw_mqtt_backoff_next(prev, 100, 10000, &rng);
                assert_true(v >= 100 && v <= 10000);
                if (prev > 0) {
                        /* Equal jitter: within [cap/2, cap] (cap never below min). */
                        if (want_cap < 100)
                                want_cap = 100;
                        assert_true(v <= want_cap);
                        assert_true(2 * (uint64_t)v >= want_cap);
                        /* The cap never shrinks. */
                        assert_true(want_cap >= cap);
                        cap = want_cap;
                }
                if (v > max_seen)
                        max_seen = v;
                prev = v;
        }
        /* It grows to the cap region and stays there. */
        assert_int_equal(cap, 10000);
        assert_true(max_seen > 9000);
        assert_true(prev >= 5000);

        /* Jitter actually varies, and the seed makes it deterministic. */
        {
                uint64_t a = 1, b = 1, c = 2;
                bool differs = false, same = true;
                for (int i = 0; i < 20; i++) {
                        uint32_t x = sw_mqtt_backoff_next(8000, 100, 10000, &a);
                        uint32_t y = sw_mqtt_backoff_next(8000, 100, 10000, &b);
                        uint32_t z = sw_mqtt_backoff_next(8000, 100, 10000, &c);
                        same = same && x == y;
                        differs = differs || x != z;
                }
                assert_true(same);
                assert_true(differs);
        }
}

static void test_new_rejects_bad_options(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "bad");
        struct sw_mqtt *m = (struct sw_mqtt *)0x1;

        o.host = NULL;
        assert_int_equal(sw_mqtt_new(&o, NULL, NULL, &m), -EINVAL);
        o = base_options(f, "");
        assert_int_equal(sw_mqtt_new(&o, NULL, NULL, &m), -EINVAL);
        o = base_options(f, "bad");
        o.port = 0;
        assert_int_equal(sw_mqtt_new(&o, NULL, NULL, &m), -EINVAL);
        o = base_options(f, "bad");
        o.keepalive_s = 2;
        assert_int_equal(sw_mqtt_new(&o, NULL, NULL, &m), -EINVAL);
        o = base_options(f, "bad");
        o.will_topic = "bad/+/will";
        assert_int_equal(sw_mqtt_new(&o, NULL, NULL, &m), -EINVAL);
        /* ret untouched on failure */
        assert_ptr_equal(m, (struct sw_mqtt *)0x1);
        assert_null(sw_mqtt_free(NULL));
}

static void test_subscribe_list_is_bounded(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "subs");
        char pat[64];

        f->m = link_new(&o, &f->r);
        assert_int_equal(sw_mqtt_subscribe(f->m, "a/#/b"), -EINVAL);
        for (int i = 0; i < SW_MQTT_MAX_SUBS; i++) {
                snprintf(pat, sizeof(pat), "sw/%d/#", i);
                assert_int_equal(sw_mqtt_subscribe(f->m, pat), 0);
        }
        assert_int_equal(sw_mqtt_subscribe(f->m, "sw/0/#"), 0); /* already remembered */
        assert_int_equal(sw_mqtt_subscribe(f->m, "sw/extra"), -ENOSPC);
        /* Not connected: nothing to poll yet, the first attempt is due now. */
        assert_int_equal(sw_mqtt_fd(f->m), -1);
        assert_int_equal(sw_mqtt_poll_events(f->m), 0);
        assert_false(sw_mqtt_connected(f->m));
        assert_true(sw_mqtt_next_deadline_ms(f->m, 1000) <= 1000);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/x", "x", 1, 1, false, NULL, NULL), -ENOTCONN);
}

static void test_connect_subscribe_receive(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "csr");
        struct sw_mqtt_stats st;

        connect_link(f, &o, "sw/csr/#");
        assert_int_equal(f->r.connects, 1);
        assert_true(sw_mqtt_fd(f->m) >= 0);
        assert_true(sw_mqtt_poll_events(f->m) & POLLIN);

        assert_int_equal(sw_mqtt_publish(f->m, "sw/csr/a", "hello", 5, 0, false, NULL, NULL), 0);
        PUMP_UNTIL(&f->m, 1, 3000, f->r.n_msgs >= 1);
        assert_string_equal(f->r.msgs[0].topic, "sw/csr/a");
        assert_int_equal(f->r.msgs[0].len, 5);
        assert_string_equal(f->r.msgs[0].payload, "hello");
        assert_false(f->r.msgs[0].has_rt);
        assert_false(f->r.msgs[0].has_corr);
        /* QoS 0: no on_published */
        assert_int_equal(f->r.n_published, 0);

        /* A subscription added while connected is sent at once. */
        assert_int_equal(sw_mqtt_subscribe(f->m, "sw/late"), 0);
        pump_for(&f->m, 1, 200);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/late", "late", 4, 1, false, NULL, NULL), 0);
        PUMP_UNTIL(&f->m, 1, 3000, rec_count_payload(&f->r, "late") == 1);

        sw_mqtt_get_stats(f->m, &st);
        assert_int_equal(st.connects, 1);
        assert_int_equal(st.disconnects, 0);
        assert_int_equal(st.connect_failures, 0);
        assert_int_equal(st.backoff_ms, 0);

        /* Clean disconnect: no reconnect, no on_disconnect. */
        assert_int_equal(sw_mqtt_disconnect(f->m), 0);
        assert_false(sw_mqtt_connected(f->m));
        pump_for(&f->m, 1, 300);
        assert_false(sw_mqtt_connected(f->m));
        assert_int_equal(f->r.connects, 1);
        assert_int_equal(f->r.disconnects, 0);
        assert_int_equal(sw_mqtt_service(f->m, 0, now_ms()), -ESHUTDOWN);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/csr/a", "x", 1, 0, false, NULL, NULL),
                         -ENOTCONN);
}

static void test_qos1_published_mid(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "q1");
        struct sw_mqtt_stats st;
        int mid1 = 0, mid2 = 0;

        connect_link(f, &o, NULL);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/q1/a", "one", 3, 1, false, NULL, &mid1), 0);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/q1/b", "two", 3, 1, true, NULL, &mid2), 0);
        assert_true(mid1 > 0 && mid2 > 0 && mid1 != mid2);
        sw_mqtt_get_stats(f->m, &st);
        assert_int_equal(st.unacked, 2);
        PUMP_UNTIL(&f->m, 1, 3000, f->r.n_published == 2);
        assert_true(rec_has_mid(&f->r, mid1));
        assert_true(rec_has_mid(&f->r, mid2));
        sw_mqtt_get_stats(f->m, &st);
        assert_int_equal(st.unacked, 0);
        assert_int_equal(st.publish_errors, 0);

        /* Bad arguments are refused before anything is queued. */
        assert_int_equal(sw_mqtt_publish(f->m, "sw/+/bad", "x", 1, 1, false, NULL, NULL), -EINVAL);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/q1/a", "x", 1, 2, false, NULL, NULL), -EINVAL);
        pump_for(&f->m, 1, 200);
        assert_int_equal(f->r.n_published, 2);
}

static void test_v5_response_topic_and_correlation(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "v5");
        static const unsigned char corr[] = {0x00, 0x01, 0xfe, 'r', 'e', 'q', 0x00, 0x7f};
        struct sw_mqtt_props props = {
            .response_topic = "sw/v5/reply/42", .corr = corr, .corr_len = sizeof(corr)};
        struct sw_mqtt_props big = {.corr = corr, .corr_len = 70000};

        connect_link(f, &o, "sw/v5/#");
        assert_int_equal(sw_mqtt_publish(f->m, "sw/v5/cmd/stats", "{}", 2, 1, false, &props, NULL),
                         0);
        /* Only a response topic, QoS 0. */
        props.corr = NULL;
        assert_int_equal(sw_mqtt_publish(f->m, "sw/v5/cmd/health", "{}", 2, 0, false, &props, NULL),
                         0);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/v5/x", "{}", 2, 0, false, &big, NULL),
                         -EMSGSIZE);
        PUMP_UNTIL(&f->m, 1, 3000, f->r.n_msgs >= 2);

        assert_string_equal(f->r.msgs[0].topic, "sw/v5/cmd/stats");
        assert_true(f->r.msgs[0].has_rt);
        assert_string_equal(f->r.msgs[0].rt, "sw/v5/reply/42");
        assert_true(f->r.msgs[0].has_corr);
        assert_int_equal(f->r.msgs[0].corr_len, sizeof(corr));
        assert_memory_equal(f->r.msgs[0].corr, corr, sizeof(corr));

        assert_string_equal(f->r.msgs[1].topic, "sw/v5/cmd/health");
        assert_true(f->r.msgs[1].has_rt);
        assert_false(f->r.msgs[1].has_corr);
}

/* A retained message says so, whether the broker stored it before the subscription or it was
 * published retained while subscribed (the link asks for "retain as published"); a live
 * message without the flag does not. */
static void test_retained_flag_is_reported(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "ret-pub"), so = base_options(f, "ret-sub");
        struct rec *r = &f->recs[0], *rs = &f->recs[1];

        broker_start(f);
        f->links[0] = link_new(&o, r);
        PUMP_UNTIL(f->links, 1, 3000, sw_mqtt_connected(f->links[0]));
        assert_int_equal(sw_mqtt_publish(f->links[0], "sw/ret/stored", "s", 1, 1, true, NULL, NULL),
                         0);
        PUMP_UNTIL(f->links, 1, 3000, r->n_published == 1);
        f->links[1] = link_new(&so, rs);
        assert_int_equal(sw_mqtt_subscribe(f->links[1], "sw/ret/#"), 0);
        PUMP_UNTIL(f->links, 2, 3000, rs->n_msgs >= 1);
        assert_string_equal(rs->msgs[0].payload, "s");
        assert_true(rs->msgs[0].retained);
        assert_int_equal(sw_mqtt_publish(f->links[0], "sw/ret/live", "l", 1, 1, true, NULL, NULL),
                         0);
        assert_int_equal(sw_mqtt_publish(f->links[0], "sw/ret/plain", "p", 1, 1, false, NULL, NULL),
                         0);
        PUMP_UNTIL(f->links, 2, 3000, rs->n_msgs >= 3);
        assert_string_equal(rs->msgs[1].payload, "l");
        assert_true(rs->msgs[1].retained);
        assert_string_equal(rs->msgs[2].payload, "p");
        assert_false(rs->msgs[2].retained);
}

static void test_publish_while_disconnected_is_not_sent_later(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "offline-pub");
        struct sw_mqtt_options oo = base_options(f, "observer");
        struct rec *r = &f->recs[0], *ro = &f->recs[1];
        struct sw_mqtt_stats st;

        /* No broker yet: the link keeps trying, with growing backoff. */
        f->links[0] = link_new(&o, r);
        pump_for(f->links, 1, 600);
        assert_false(sw_mqtt_connected(f->links[0]));
        sw_mqtt_get_stats(f->links[0], &st);
        assert_true(st.connect_failures >= 2);
        assert_true(st.backoff_ms >= 50 && st.backoff_ms <= 400);
        assert_int_equal(r->connects, 0);
        assert_int_equal(r->disconnects, 0); /* failed attempts are not disconnects */
        assert_int_equal(
            sw_mqtt_publish(f->links[0], "sw/off/a", "before", 6, 1, false, NULL, NULL), -ENOTCONN);
        assert_int_equal(
            sw_mqtt_publish(f->links[0], "sw/off/a", "before0", 7, 0, false, NULL, NULL),
            -ENOTCONN);

        broker_start(f);
        f->links[1] = link_new(&oo, ro);
        assert_int_equal(sw_mqtt_subscribe(f->links[1], "sw/off/#"), 0);
        PUMP_UNTIL(f->links, 2, 5000,
                   sw_mqtt_connected(f->links[0]) && sw_mqtt_connected(f->links[1]));
        pump_for(f->links, 2, 200); /* let the observer's SUBSCRIBE land */
        assert_int_equal(sw_mqtt_publish(f->links[0], "sw/off/a", "after", 5, 1, false, NULL, NULL),
                         0);
        PUMP_UNTIL(f->links, 2, 3000, rec_count_payload(ro, "after") == 1);
        pump_for(f->links, 2, 500);
        assert_int_equal(rec_count_payload(ro, "before"), 0);
        assert_int_equal(rec_count_payload(ro, "before0"), 0);
        assert_int_equal(ro->n_msgs, 1);
}

static void test_reconnects_after_broker_restart(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "restart");
        struct sw_mqtt_stats st;
        uint32_t backoff_seen = 0;

        connect_link(f, &o, "sw/rs/#");
        assert_int_equal(sw_mqtt_publish(f->m, "sw/rs/a", "one", 3, 1, false, NULL, NULL), 0);
        PUMP_UNTIL(&f->m, 1, 3000, rec_count_payload(&f->r, "one") == 1);

        broker_stop(f, SIGKILL);
        PUMP_UNTIL(&f->m, 1, 3000, f->r.disconnects == 1);
        assert_false(sw_mqtt_connected(f->m));
        assert_true(f->r.last_reason < 0);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/rs/a", "lost", 4, 1, false, NULL, NULL),
                         -ENOTCONN);
        /* Broker down for a while: attempts fail, the delay grows up to the cap. */
        for (uint64_t end = now_ms() + 1200; now_ms() < end;) {
                pump_once(&f->m, 1, 20);
                sw_mqtt_get_stats(f->m, &st);
                if (st.backoff_ms > backoff_seen)
                        backoff_seen = st.backoff_ms;
        }
        sw_mqtt_get_stats(f->m, &st);
        assert_int_equal(st.disconnects, 1);
        assert_true(st.connect_failures >= 3);
        assert_true(backoff_seen > 100 && backoff_seen <= 400);

        broker_start(f); /* same port, no persistence: only a re-sent SUBSCRIBE matches */
        PUMP_UNTIL(&f->m, 1, 5000, sw_mqtt_connected(f->m));
        assert_int_equal(f->r.connects, 2);
        sw_mqtt_get_stats(f->m, &st);
        assert_int_equal(st.connects, 2);
        assert_int_equal(st.backoff_ms, 0);
        assert_int_equal(sw_mqtt_publish(f->m, "sw/rs/a", "two", 3, 1, false, NULL, NULL), 0);
        PUMP_UNTIL(&f->m, 1, 3000, rec_count_payload(&f->r, "two") == 1);
        assert_int_equal(rec_count_payload(&f->r, "lost"), 0);
}

static void test_last_will_on_dead_socket(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options ow = base_options(f, "willing");
        struct sw_mqtt_options oc = base_options(f, "clean-quit");
        struct sw_mqtt_options oo = base_options(f, "will-observer");
        struct sw_mqtt_options ol = base_options(f, "late-observer");
        struct rec *rw = &f->recs[0], *rc = &f->recs[1], *ro = &f->recs[2], *rl = &f->recs[3];

        ow.will_topic = "sw/will/status";
        ow.will_payload = "offline";
        ow.will_retain = true;
        oc.will_topic = "sw/will/clean";
        oc.will_payload = "clean-offline";
        oc.backoff_min_ms = 1000;

        broker_start(f);
        f->links[0] = link_new(&oo, ro);
        f->links[1] = link_new(&ow, rw);
        f->links[2] = link_new(&oc, rc);
        assert_int_equal(sw_mqtt_subscribe(f->links[0], "sw/will/#"), 0);
        PUMP_UNTIL(f->links, 3, 3000,
                   sw_mqtt_connected(f->links[0]) && sw_mqtt_connected(f->links[1]) &&
                       sw_mqtt_connected(f->links[2]));
        pump_for(f->links, 3, 200);

        /* A clean disconnect drops the will. */
        assert_int_equal(sw_mqtt_disconnect(f->links[2]), 0);
        /* The client "dies": its socket goes away without DISCONNECT. */
        assert_int_equal(shutdown(sw_mqtt_fd(f->links[1]), SHUT_RDWR), 0);
        PUMP_UNTIL(f->links, 3, 3000, rec_count_payload(ro, "offline") == 1);
        pump_for(f->links, 3, 300);
        assert_int_equal(rec_count_payload(ro, "clean-offline"), 0);
        assert_int_equal(rc->disconnects, 0);
        /* The dying link noticed and reconnected by itself. */
        assert_true(rw->disconnects >= 1);
        PUMP_UNTIL(f->links, 3, 3000, sw_mqtt_connected(f->links[1]));
        f->links[2] = sw_mqtt_free(f->links[2]);

        /* Retained: a subscriber arriving later still gets it. */
        f->links[2] = link_new(&ol, rl);
        assert_int_equal(sw_mqtt_subscribe(f->links[2], "sw/will/status"), 0);
        PUMP_UNTIL(f->links, 3, 3000, rec_count_payload(rl, "offline") == 1);
}

static void test_session_survives_reconnect(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options os = base_options(f, "durable");
        struct sw_mqtt_options op = base_options(f, "publisher");
        struct rec *rs = &f->recs[0], *rp = &f->recs[1];

        os.clean_start = false;
        os.session_expiry_s = 60;
        os.backoff_min_ms = 800; /* leave time to publish while it is away */
        broker_start(f);
        f->links[0] = link_new(&os, rs);
        f->links[1] = link_new(&op, rp);
        assert_int_equal(sw_mqtt_subscribe(f->links[0], "sw/dur/#"), 0);
        PUMP_UNTIL(f->links, 2, 3000,
                   sw_mqtt_connected(f->links[0]) && sw_mqtt_connected(f->links[1]));
        pump_for(f->links, 2, 200);

        assert_int_equal(shutdown(sw_mqtt_fd(f->links[0]), SHUT_RDWR), 0);
        PUMP_UNTIL(f->links, 2, 2000, rs->disconnects == 1);
        pump_for(f->links, 2, 200); /* the broker sees it gone */
        assert_false(sw_mqtt_connected(f->links[0]));
        assert_int_equal(
            sw_mqtt_publish(f->links[1], "sw/dur/x", "while-away", 10, 1, false, NULL, NULL), 0);
        PUMP_UNTIL(f->links, 2, 3000, rp->n_published == 1);
        assert_int_equal(rec_count_payload(rs, "while-away"), 0);
        /* Reconnects with the kept session: the broker delivers what it queued. */
        PUMP_UNTIL(f->links, 2, 5000, rec_count_payload(rs, "while-away") == 1);
        assert_int_equal(rs->connects, 2);
}

static void test_connect_timeout_without_connack(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "mute");
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)f->port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        struct sw_mqtt_stats st;
        uint64_t t0;

        /* A listener that never answers: TCP connects, CONNACK never comes. */
        assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(lfd, 16), 0);
        o.connect_timeout_ms = 200;
        o.backoff_min_ms = 100;
        o.backoff_max_ms = 100;
        f->m = link_new(&o, &f->r);
        t0 = now_ms();
        PUMP_UNTIL(&f->m, 1, 5000, (sw_mqtt_get_stats(f->m, &st), st.connect_failures >= 3));
        sw_mqtt_get_stats(f->m, &st);
        assert_true(st.connect_failures >= 3);
        /* 3 x (200 ms timeout + 100 ms backoff), give or take scheduling. */
        assert_true(now_ms() - t0 >= 500);
        assert_true(now_ms() - t0 < 3000);
        assert_false(sw_mqtt_connected(f->m));
        assert_int_equal(f->r.connects, 0);
        close(lfd);
}

static void test_refused_connect_reports_reason(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "refused");
        struct sw_mqtt_stats st;

        snprintf(f->extra, sizeof(f->extra), "allow_anonymous false\n");
        broker_start(f);
        o.username = "nobody";
        o.password = "wrong";
        f->m = link_new(&o, &f->r);
        PUMP_UNTIL(&f->m, 1, 3000, f->r.disconnects >= 2);
        assert_int_equal(f->r.last_reason, -EACCES);
        assert_int_equal(f->r.connects, 0);
        assert_false(sw_mqtt_connected(f->m));
        sw_mqtt_get_stats(f->m, &st);
        assert_true(st.connect_failures >= 2);
        assert_int_equal(st.connects, 0);
        assert_int_equal(st.disconnects, 0);
}

/* An idle link stays up over more than 2 keepalive periods (mosquitto 2.0.11 drops a silent
 * client after about 11 s with keepalive 5) when the loop sleeps exactly as
 * long as sw_mqtt_next_deadline_ms() allows: the deadlines drive the PINGREQs. */
static void test_keepalive_driven_by_deadlines(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "idle");
        int turns = 0;

        o.keepalive_s = 5;
        connect_link(f, &o, NULL);
        for (uint64_t end = now_ms() + 12500; now_ms() < end; turns++)
                pump_once(&f->m, 1, 60000);
        assert_true(sw_mqtt_connected(f->m));
        assert_int_equal(f->r.disconnects, 0);
        assert_int_equal(f->r.connects, 1);
        assert_true(turns < 100); /* no busy loop */
}

static void test_tls_with_ca_check(void **state)
{
        struct fixture *f = *state;
        struct sw_mqtt_options o = base_options(f, "tls");
        struct sw_mqtt_tls tls = {0};
        char cmd[1024], ca[128], wrong_ca[128];
        struct sw_mqtt_stats st;
        struct sw_mqtt *refused = (struct sw_mqtt *)0x1;

        if (access("/usr/bin/openssl", X_OK) != 0)
                skip();
        /* A CA, a broker certificate for 127.0.0.1 signed by it, and an unrelated CA. */
        snprintf(cmd, sizeof(cmd),
                 "(cd '%s' && E='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
                 "openssl req -x509 $E -keyout ca.key -out ca.crt -days 2 -subj /CN=sw-ca && "
                 "openssl req -x509 $E -keyout other.key -out other.crt -days 2 -subj /CN=x && "
                 "openssl req $E -keyout server.key -out server.csr -subj /CN=sw-broker && "
                 "printf 'subjectAltName=IP:127.0.0.1\\n' > ext && "
                 "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                 "-out server.crt -days 2 -extfile ext) >'%s/openssl.log' 2>&1",
                 f->dir, f->dir);
        assert_int_equal(system(cmd), 0);
        snprintf(f->extra, sizeof(f->extra),
                 "cafile %s/ca.crt\ncertfile %s/server.crt\nkeyfile %s/server.key\n", f->dir,
                 f->dir, f->dir);
        snprintf(ca, sizeof(ca), "%s/ca.crt", f->dir);
        snprintf(wrong_ca, sizeof(wrong_ca), "%s/other.crt", f->dir);
        broker_start(f);

        /* Unreadable CA file: refused at creation. */
        tls.ca_file = "/nonexistent/ca.crt";
        o.tls = &tls;
        assert_int_equal(sw_mqtt_new(&o, &rec_callbacks, &f->r, &refused), -EINVAL);

        /* The right CA: connects, round trip over TLS. */
        tls.ca_file = ca;
        f->m = link_new(&o, &f->r);
        assert_int_equal(sw_mqtt_subscribe(f->m, "sw/tls/#"), 0);
        PUMP_UNTIL(&f->m, 1, 5000, sw_mqtt_connected(f->m));
        assert_int_equal(sw_mqtt_publish(f->m, "sw/tls/a", "secret", 6, 1, false, NULL, NULL), 0);
        PUMP_UNTIL(&f->m, 1, 3000, rec_count_payload(&f->r, "secret") == 1);
        f->m = sw_mqtt_free(f->m);

        /* A CA that did not sign the broker: never connects. */
        tls.ca_file = wrong_ca;
        o.client_id = "tls-wrong";
        f->m = link_new(&o, &f->r);
        PUMP_UNTIL(&f->m, 1, 3000, (sw_mqtt_get_stats(f->m, &st), st.connect_failures >= 2));
        assert_false(sw_mqtt_connected(f->m));
        assert_int_equal(f->r.connects, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_backoff_next),
            SW_TEST_FRESH(test_new_rejects_bad_options),
            SW_TEST_FRESH(test_subscribe_list_is_bounded),
            SW_TEST_FRESH(test_connect_subscribe_receive),
            SW_TEST_FRESH(test_qos1_published_mid),
            SW_TEST_FRESH(test_v5_response_topic_and_correlation),
            SW_TEST_FRESH(test_retained_flag_is_reported),
            SW_TEST_FRESH(test_publish_while_disconnected_is_not_sent_later),
            SW_TEST_FRESH(test_reconnects_after_broker_restart),
            SW_TEST_FRESH(test_last_will_on_dead_socket),
            SW_TEST_FRESH(test_session_survives_reconnect),
            SW_TEST_FRESH(test_connect_timeout_without_connack),
            SW_TEST_FRESH(test_refused_connect_reports_reason),
            SW_TEST_FRESH(test_keepalive_driven_by_deadlines),
            SW_TEST_FRESH(test_tls_with_ca_check),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
