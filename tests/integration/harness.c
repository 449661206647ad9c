/* Integration-test harness: processes, ports and an MQTT collector. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "tests/support/scratch.h"

void h_sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

double h_mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void h_tmpdir(char *buf, size_t size)
{
        snprintf(buf, size, "/tmp/sw-it-XXXXXX");
        assert_non_null(mkdtemp(buf));
}

/* Cross builds: SW_TEST_WRAPPER ("qemu-arm -L ... -E ...", words split on spaces) is put in
 * front of the programs of the build directory (shelfwatchd, storesim, the CLI), which the
 * host cannot run by itself; host programs (mosquitto, its clients) run as they are. */
void h_exec(char *const argv[])
{
        const char *wrapper = getenv("SW_TEST_WRAPPER");
        char words[1024], *wargv[64];
        size_t n = 0;
        if (wrapper && *wrapper &&
            strncmp(argv[0], SW_BUILD_DIR "/", strlen(SW_BUILD_DIR "/")) == 0 &&
            strlen(wrapper) < sizeof(words)) {
                strcpy(words, wrapper);
                for (char *save = NULL, *w = strtok_r(words, " ", &save); w && n < 32;
                     w = strtok_r(NULL, " ", &save))
                        wargv[n++] = w;
                for (size_t i = 0; argv[i] && n < 63; i++)
                        wargv[n++] = argv[i];
                wargv[n] = NULL;
                execvp(wargv[0], wargv);
                return;
        }
        execvp(argv[0], argv);
}

/* Daemons and brokers not stopped yet: killed at exit, so that a failed assertion (cmocka
 * longjmps out of the test, past its h_*_stop calls) leaves no orphan running. */
static pid_t h_tracked[64];

static void h_kill_tracked(void)
{
        for (size_t i = 0; i < sizeof(h_tracked) / sizeof(h_tracked[0]); i++) {
                pid_t pid = h_tracked[i];
                h_tracked[i] = 0;
                /* Only a child of ours not reaped yet: a reaped pid may be anyone's now. */
                if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
                        kill(pid, SIGKILL);
                        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                }
        }
}

static void h_track(pid_t pid, bool running)
{
        static bool registered;
        if (!registered)
                registered = atexit(h_kill_tracked) == 0;
        for (size_t i = 0; i < sizeof(h_tracked) / sizeof(h_tracked[0]); i++) {
                if (running && h_tracked[i] == 0) {
                        h_tracked[i] = pid;
                        return;
                }
                if (!running && h_tracked[i] == pid)
                        h_tracked[i] = 0;
        }
}

int h_teardown(void **state)
{
        (void)state;
        h_kill_tracked();
        return 0;
}

/* argv in a forked child with stdout and stderr to the files named (opened with flags; the same
 * pointer for both: one file), or inherited where NULL. */
static pid_t spawn(char *const argv[], const char *out_path, const char *err_path, int flags)
{
        pid_t parent = getpid();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                /* Nothing started here outlives the test process, even one killed by a
                 * timeout. (mosquitto drops privileges, which clears this: h_kill_tracked.) */
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                int fo = out_path ? open(out_path, O_WRONLY | O_CREAT | flags, 0644) : -1;
                int fe = err_path == out_path ? fo
                         : err_path           ? open(err_path, O_WRONLY | O_CREAT | flags, 0644)
                                              : -1;
                if (fo >= 0)
                        dup2(fo, 1);
                if (fe >= 0)
                        dup2(fe, 2);
                if (fo > 2)
                        close(fo);
                if (fe > 2 && fe != fo)
                        close(fe);
                h_exec(argv);
                _exit(127);
        }
        return pid;
}

pid_t h_spawn(const char *log_path, char *const argv[])
{
        return spawn(argv, log_path, log_path, O_APPEND);
}

pid_t h_spawn_apart(char *const argv[], const char *out_path, const char *err_path)
{
        return spawn(argv, out_path, err_path, O_TRUNC);
}

int h_wait(pid_t pid)
{
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int h_run(const char *log_path, char *const argv[])
{
        return h_wait(h_spawn(log_path, argv));
}

void h_broker_start(struct h_broker *b, int port, const char *extra_conf)
{
        char conf[512], log[512];
        FILE *f;
        if (!b->dir[0])
                h_tmpdir(b->dir, sizeof(b->dir));
        /* Started as root, mosquitto drops to its own user: let it write its persistence file. */
        assert_int_equal(chmod(b->dir, 0777), 0);
        b->port = port ? port : sw_test_free_port();
        snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->dir);
        snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
        f = fopen(conf, "w");
        assert_non_null(f);
        fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n%s\n", b->port,
                extra_conf ? extra_conf : "");
        fclose(f);
        char *argv[] = {"mosquitto", "-c", conf, NULL};
        b->pid = h_spawn(log, argv);
        h_track(b->pid, true);
        for (int i = 0; i < 100 && !sw_test_port_open(b->port); i++)
                h_sleep_ms(50);
        assert_true(sw_test_port_open(b->port));
}

void h_broker_start_file(struct h_broker *b, int port, const char *conf_path)
{
        char log[512];
        assert_true(b->dir[0] != '\0');
        snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
        b->port = port;
        char *argv[] = {"mosquitto", "-c", (char *)conf_path, NULL};
        b->pid = h_spawn(log, argv);
        h_track(b->pid, true);
        for (int i = 0; i < 100 && !sw_test_port_open(b->port); i++) {
                if (waitpid(b->pid, NULL, WNOHANG) == b->pid) {
                        h_track(b->pid, false);
                        b->pid = 0;
                        char *text = h_read_file(log);
                        fail_msg("mosquitto -c %s exited:\n%s", conf_path, text ? text : "");
                }
                h_sleep_ms(50);
        }
        assert_true(sw_test_port_open(b->port));
}

void h_broker_start_keeping(struct h_broker *b, int port)
{
        char extra[512];
        if (!b->dir[0])
                h_tmpdir(b->dir, sizeof(b->dir));
        snprintf(extra, sizeof(extra),
                 "persistence true\npersistence_location %s/\nmax_queued_messages 0\n", b->dir);
        h_broker_start(b, port, extra);
}

void h_broker_stop(struct h_broker *b)
{
        if (b->pid > 0) {
                h_track(b->pid, false);
                kill(b->pid, SIGTERM);
                h_wait(b->pid);
                b->pid = 0;
        }
}

char *h_read_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        char *buf;
        long n;
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = calloc(1, (size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}

void h_write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

char *h_subst(const char *text, const char *from, const char *to)
{
        size_t n = (size_t)h_count(text, from), lf = strlen(from), lt = strlen(to);
        if (n == 0)
                fail_msg("'%s' not found where it was to be replaced", from);
        char *out = malloc(strlen(text) + n * lt + 1), *w = out;
        assert_non_null(out);
        for (const char *p = text, *hit; (hit = strstr(p, from)); p = hit + lf) {
                memcpy(w, p, (size_t)(hit - p));
                w += hit - p;
                memcpy(w, to, lt);
                w += lt;
                text = hit + lf;
        }
        strcpy(w, text);
        return out;
}

int h_count(const char *text, const char *needle)
{
        int n = 0;
        for (const char *p = text; p && (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static char h_user[256], h_password[256]; /* h_set_credentials(); "" = anonymous */

void h_set_credentials(const char *user, const char *password)
{
        snprintf(h_user, sizeof(h_user), "%s", user ? user : "");
        snprintf(h_password, sizeof(h_password), "%s", password ? password : "");
}

char *h_request(int port, const char *prefix, const char *command, const char *payload,
                int timeout_s)
{
        char topic[512], resp[600], portbuf[16], wait[16], out[512];
        static unsigned seq;
        snprintf(topic, sizeof(topic), "%s/cmd/%s", prefix, command);
        /* Under the user's own reply space when there is one (what the store ACL lets it read). */
        snprintf(resp, sizeof(resp), "%s/reply/%s%stest-%d-%u", prefix, h_user,
                 h_user[0] ? "/" : "", (int)getpid(), seq++);
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        snprintf(wait, sizeof(wait), "%d", timeout_s);
        snprintf(out, sizeof(out), "/tmp/sw-rr-%d-%u.out", (int)getpid(), seq);
        unlink(out);
        char *argv[] = {
            "mosquitto_rr",  "-h", "127.0.0.1", "-p", portbuf, "-t", topic, "-e", resp, "-m",
            (char *)payload, "-W", wait,        "-q", "1",     NULL, NULL,  NULL, NULL, NULL};
        if (h_user[0]) {
                argv[15] = "-u";
                argv[16] = h_user;
                argv[17] = "-P";
                argv[18] = h_password;
        }
        int st = h_run(out, argv);
        char *reply = h_read_file(out);
        unlink(out);
        if (st != 0 || !reply || !*reply) {
                free(reply);
                return NULL;
        }
        return reply;
}

int h_publish_as(int port, const char *topic, const char *payload, const char *user,
                 const char *password)
{
        char portbuf[16];
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        char *argv[] = {
            "mosquitto_pub", "-h", "127.0.0.1", "-p", portbuf, "-t", (char *)topic, "-m",
            (char *)payload, "-q", "1",         NULL, NULL,    NULL, NULL,          NULL};
        if (user) {
                argv[11] = "-u";
                argv[12] = (char *)user;
                argv[13] = "-P";
                argv[14] = (char *)(password ? password : "");
        }
        return h_run("/dev/null", argv);
}

void h_publish(int port, const char *topic, const char *payload)
{
        if (h_user[0]) {
                assert_int_equal(h_publish_as(port, topic, payload, h_user, h_password), 0);
                return;
        }
        char portbuf[16];
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        char *argv[] = {"mosquitto_pub", "-h", "127.0.0.1",     "-p", portbuf, "-t",
                        (char *)topic,   "-m", (char *)payload, "-q", "1",     NULL};
        assert_int_equal(h_run(NULL, argv), 0);
}

void h_daemon_start(struct h_daemon *d, const char *dir, const char *config_text, int broker_port)
{
        h_daemon_start_at(d, dir, config_text, broker_port, "retail/demo/store1");
}

void h_daemon_start_at(struct h_daemon *d, const char *dir, const char *config_text,
                       int broker_port, const char *prefix)
{
        snprintf(d->conf, sizeof(d->conf), "%s/shelfwatch.conf", dir);
        snprintf(d->log, sizeof(d->log), "%s/shelfwatchd.log", dir);
        h_write_file(d->conf, config_text);
        char *argv[] = {SW_BUILD_DIR "/shelfwatchd", "-c", d->conf, NULL};
        d->pid = h_spawn(d->log, argv);
        h_track(d->pid, true);
        for (int i = 0; i < 100; i++) {
                char *r = h_request(broker_port, prefix, "health", "{}", 1);
                if (r) {
                        free(r);
                        return;
                }
                int st;
                if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
                        char *log = h_read_file(d->log);
                        fprintf(stderr, "daemon exited early:\n%s\n", log ? log : "");
                        free(log);
                        fail();
                }
        }
        fail_msg("daemon did not answer health");
}

void h_daemon_stop(struct h_daemon *d, int sig)
{
        if (d->pid <= 0)
                return;
        h_track(d->pid, false);
        kill(d->pid, sig);
        int st = h_wait(d->pid);
        d->pid = 0;
        if (sig == SIGTERM && st != 0) {
                char *log = h_read_file(d->log);
                fprintf(stderr, "daemon exit %d:\n%s\n", st, log ? log : "");
                free(log);
                fail();
        }
}

void h_finish_test(struct h_daemon *d, struct h_broker *b, const char *dir)
{
        h_daemon_stop(d, SIGTERM);
        h_broker_stop(b);
        h_rmdir(b->dir);
        h_rmdir(dir);
}

struct h_collector {
        struct mosquitto *m;  /* client */
        pthread_mutex_t lock; /* guards msgs */
        char **msgs;          /* payload copies */
        char **topics;        /* their topics */
        size_t n, cap;        /* used, allocated */
        char pattern[512];    /* subscription */
        bool subscribed;      /* SUBACK seen */
};

static void on_msg(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
        struct h_collector *c = ctx;
        (void)m;
        pthread_mutex_lock(&c->lock);
        if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 64;
                c->msgs = realloc(c->msgs, c->cap * sizeof(*c->msgs));
                c->topics = realloc(c->topics, c->cap * sizeof(*c->topics));
        }
        c->topics[c->n] = strdup(msg->topic);
        c->msgs[c->n] = calloc(1, (size_t)msg->payloadlen + 1);
        memcpy(c->msgs[c->n], msg->payload, (size_t)msg->payloadlen);
        c->n++;
        pthread_mutex_unlock(&c->lock);
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
        struct h_collector *c = ctx;
        if (rc == 0)
                mosquitto_subscribe(m, NULL, c->pattern, 1);
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int n, const int *qos)
{
        (void)m;
        (void)mid;
        (void)n;
        (void)qos;
        ((struct h_collector *)ctx)->subscribed = true;
}

struct h_collector *h_collector_start(int port, const char *pattern)
{
        return h_collector_start_session(port, pattern, NULL);
}

static struct h_collector *collector_start(int port, const char *pattern, const char *client_id,
                                           const char *user, const char *password)
{
        struct h_collector *c = calloc(1, sizeof(*c));
        mosquitto_lib_init();
        pthread_mutex_init(&c->lock, NULL);
        snprintf(c->pattern, sizeof(c->pattern), "%s", pattern);
        c->m = mosquitto_new(client_id, client_id == NULL, c);
        if (user)
                assert_int_equal(mosquitto_username_pw_set(c->m, user, password), MOSQ_ERR_SUCCESS);
        mosquitto_reconnect_delay_set(c->m, 1, 1, false);
        mosquitto_connect_callback_set(c->m, on_connect);
        mosquitto_message_callback_set(c->m, on_msg);
        mosquitto_subscribe_callback_set(c->m, on_subscribe);
        assert_int_equal(mosquitto_connect(c->m, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
        assert_int_equal(mosquitto_loop_start(c->m), MOSQ_ERR_SUCCESS);
        for (int i = 0; i < 100 && !c->subscribed; i++)
                h_sleep_ms(50);
        assert_true(c->subscribed);
        return c;
}

struct h_collector *h_collector_start_session(int port, const char *pattern, const char *client_id)
{
        return collector_start(port, pattern, client_id, h_user[0] ? h_user : NULL, h_password);
}

struct h_collector *h_collector_start_as(int port, const char *pattern, const char *user,
                                         const char *password)
{
        return collector_start(port, pattern, NULL, user, password);
}

size_t h_collector_count(struct h_collector *c)
{
        pthread_mutex_lock(&c->lock);
        size_t n = c->n;
        pthread_mutex_unlock(&c->lock);
        return n;
}

size_t h_collector_wait(struct h_collector *c, size_t n, int timeout_ms)
{
        for (int t = 0; t < timeout_ms && h_collector_count(c) < n; t += 50)
                h_sleep_ms(50);
        return h_collector_count(c);
}

char *h_collector_get(struct h_collector *c, size_t i)
{
        pthread_mutex_lock(&c->lock);
        char *s = i < c->n ? strdup(c->msgs[i]) : NULL;
        pthread_mutex_unlock(&c->lock);
        return s;
}

char *h_collector_topic(struct h_collector *c, size_t i)
{
        pthread_mutex_lock(&c->lock);
        char *s = i < c->n ? strdup(c->topics[i]) : NULL;
        pthread_mutex_unlock(&c->lock);
        return s;
}

void h_collector_stop(struct h_collector *c)
{
        if (!c)
                return;
        mosquitto_disconnect(c->m);
        mosquitto_loop_stop(c->m, true);
        mosquitto_destroy(c->m);
        for (size_t i = 0; i < c->n; i++) {
                free(c->msgs[i]);
                free(c->topics[i]);
        }
        free(c->msgs);
        free(c->topics);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

char *h_collector_await(struct h_collector *c, size_t i, int timeout_ms)
{
        if (h_collector_wait(c, i + 1, timeout_ms) <= i)
                fail_msg("no message %zu on %s within %d ms", i, c->pattern, timeout_ms);
        return h_collector_get(c, i);
}

cJSON *h_publish_await(int port, const char *topic, const char *payload, struct h_collector *c,
                       int timeout_ms)
{
        size_t before = h_collector_count(c);
        h_publish(port, topic, payload);
        if (h_collector_wait(c, before + 1, timeout_ms) <= before)
                fail_msg("nothing on %s within %d ms after %s", c->pattern, timeout_ms, payload);
        char *msg = h_collector_get(c, before);
        cJSON *j = cJSON_Parse(msg);
        if (!j)
                fail_msg("not JSON on %s: %s", c->pattern, msg);
        free(msg);
        return j;
}

static pid_t storesim_va(int port, const char *dir, const char *log_name, va_list ap)
{
        char portbuf[16], log[512];
        char *argv[64];
        int n = 0;
        const char *a;
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        snprintf(log, sizeof(log), "%s/%s", dir, log_name);
        argv[n++] = SW_BUILD_DIR "/storesim";
        argv[n++] = "--port";
        argv[n++] = portbuf;
        while ((a = va_arg(ap, const char *)) && n < 62)
                argv[n++] = (char *)a;
        argv[n] = NULL;
        return h_spawn(log, argv);
}

int h_storesim(int port, const char *dir, const char *log_name, ...)
{
        va_list ap;
        va_start(ap, log_name);
        pid_t pid = storesim_va(port, dir, log_name, ap);
        va_end(ap);
        return h_wait(pid);
}

pid_t h_storesim_spawn(int port, const char *dir, const char *log_name, ...)
{
        va_list ap;
        va_start(ap, log_name);
        pid_t pid = storesim_va(port, dir, log_name, ap);
        va_end(ap);
        return pid;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

char *h_anomaly_digest(int port, const char *prefix)
{
        cJSON *j = h_command(port, prefix, "anomalies", "{\"limit\":100000}"), *list, *it;
        char **rows, *out;
        size_t n = 0, total = 1;
        list = cJSON_GetObjectItem(j, "anomalies");
        assert_true(cJSON_IsArray(list));
        rows = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*rows));
        cJSON_ArrayForEach(it, list)
        {
                char row[512];
                snprintf(row, sizeof(row), "%s|%s|%s|%.2f",
                         cJSON_GetStringValue(cJSON_GetObjectItem(it, "id")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(it, "status")),
                         cJSON_GetStringValue(cJSON_GetObjectItem(it, "severity")),
                         cJSON_GetNumberValue(cJSON_GetObjectItem(it, "value")));
                rows[n] = strdup(row);
                total += strlen(row) + 1;
                n++;
        }
        qsort(rows, n, sizeof(*rows), cmp_str);
        out = calloc(1, total);
        for (size_t i = 0; i < n; i++) {
                strcat(out, rows[i]);
                strcat(out, "\n");
                free(rows[i]);
        }
        free(rows);
        cJSON_Delete(j);
        return out;
}

void h_config(char *buf, size_t size, int port, const char *dir, const char *extra)
{
        int n = snprintf(buf, size,
                         "broker: { port = %d; reconnect_min_ms = 100; "
                         "reconnect_max_ms = 1000; };\n"
                         "storage: { path = \"%s/sw.db\"; };\n%s",
                         port, dir, extra ? extra : "");
        if (n < 0 || (size_t)n >= size)
                fail_msg("the daemon's config text does not fit in %zu bytes", size);
}

void h_fixture_prepare(struct h_fixture *f, const char *broker_extra, const char *extra)
{
        h_tmpdir(f->dir, sizeof(f->dir));
        h_broker_start(&f->b, 0, broker_extra);
        h_config(f->conf, sizeof(f->conf), f->b.port, f->dir, extra);
}

void h_fixture_daemon(struct h_fixture *f)
{
        h_daemon_start(&f->d, f->dir, f->conf, f->b.port);
}

void h_fixture_start(struct h_fixture *f, const char *extra)
{
        h_fixture_prepare(f, NULL, extra);
        h_fixture_daemon(f);
}

void h_fixture_prepare_hq(struct h_fixture *f, bool keeping, const char *extra)
{
        char text[sizeof(f->conf)];
        h_fixture_prepare(f, NULL, NULL);
        if (keeping)
                h_broker_start_keeping(&f->hq, 0);
        else
                h_broker_start(&f->hq, 0, NULL);
        int n = snprintf(text, sizeof(text),
                         "hq: { host = \"127.0.0.1\"; port = %d; reconnect_min_ms = 200; "
                         "reconnect_max_ms = 1000; };\n%s",
                         f->hq.port, extra ? extra : "");
        if (n < 0 || (size_t)n >= sizeof(text))
                fail_msg("the daemon's hq section and extra do not fit in %zu bytes", sizeof(text));
        h_config(f->conf, sizeof(f->conf), f->b.port, f->dir, text);
}

void h_fixture_restart(struct h_fixture *f)
{
        h_daemon_stop(&f->d, SIGTERM);
        h_fixture_daemon(f);
}

int h_fixture_setup(void **state)
{
        *state = calloc(1, sizeof(struct h_fixture));
        return *state ? 0 : -1;
}

int h_fixture_teardown(void **state)
{
        struct h_fixture *f = *state;
        while (f->n_collectors > 0)
                h_collector_stop(f->collectors[--f->n_collectors]);
        h_teardown(state);
        free(f);
        return 0;
}

struct h_collector *h_fixture_collect(struct h_fixture *f, const char *pattern)
{
        if (f->n_collectors >= sizeof(f->collectors) / sizeof(f->collectors[0]))
                fail_msg("no room for a collector on %s: the fixture holds %zu", pattern,
                         f->n_collectors);
        f->collectors[f->n_collectors] = h_collector_start(f->b.port, pattern);
        return f->collectors[f->n_collectors++];
}

void h_fixture_finish(struct h_fixture *f)
{
        while (f->n_collectors > 0)
                h_collector_stop(f->collectors[--f->n_collectors]);
        h_finish_test(&f->d, &f->b, f->dir);
        h_broker_stop(&f->hq);
        h_rmdir(f->hq.dir);
}

int h_daemon_log_count(const struct h_daemon *d, const char *needle)
{
        char *log = h_read_file(d->log);
        if (!log)
                fail_msg("no daemon log at %s", d->log);
        int n = h_count(log, needle);
        free(log);
        return n;
}

void h_rmdir(const char *dir)
{
        if (dir && strncmp(dir, "/tmp/sw-it-", 11) == 0)
                (void)sw_test_rm_rf(dir);
}

/* ---- commands and JSON ---- */

cJSON *h_command_within(int port, const char *prefix, const char *name, const char *payload,
                        int timeout_s)
{
        char *r = NULL;
        for (int i = 0; i < 3 && !r; i++)
                r = h_request(port, prefix, name, payload, timeout_s);
        if (!r)
                fail_msg("no reply to %s %s in 3 tries of %d s", name, payload, timeout_s);
        cJSON *j = cJSON_Parse(r);
        if (!j || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")))
                fail_msg("%s %s: %s", name, payload, r);
        free(r);
        return j;
}

cJSON *h_command(int port, const char *prefix, const char *name, const char *payload)
{
        return h_command_within(port, prefix, name, payload, 10);
}

cJSON *h_health(int port, const char *prefix)
{
        return h_command(port, prefix, "health", "{}");
}

void h_wait_health_number(int port, const char *prefix, const char *dotted_path, double want,
                          int tries)
{
        double got = 0;
        for (int i = 0; i < tries; i++) {
                cJSON *h = h_health(port, prefix);
                got = h_json_number_or(h, dotted_path, 0);
                cJSON_Delete(h);
                if (got == want)
                        return;
                h_sleep_ms(100);
        }
        fail_msg("health %s is %g, never reached %g", dotted_path, got, want);
}

cJSON *h_json_item(const cJSON *o, const char *dotted_path)
{
        char key[128];
        const char *p = dotted_path;
        while (o && *p) {
                size_t n = strcspn(p, ".");
                snprintf(key, sizeof(key), "%.*s", (int)n, p);
                o = cJSON_GetObjectItemCaseSensitive(o, key);
                p += n + (p[n] == '.');
        }
        return (cJSON *)o;
}

double h_json_number(const cJSON *o, const char *dotted_path)
{
        const cJSON *v = h_json_item(o, dotted_path);
        if (!cJSON_IsNumber(v))
                fail_msg("%s missing or not a number", dotted_path);
        return v->valuedouble;
}

double h_json_number_or(const cJSON *o, const char *dotted_path, double fallback)
{
        const cJSON *v = h_json_item(o, dotted_path);
        return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

const char *h_json_string(const cJSON *o, const char *dotted_path)
{
        const cJSON *v = h_json_item(o, dotted_path);
        if (!cJSON_IsString(v))
                fail_msg("%s missing or not a string", dotted_path);
        return v->valuestring;
}

const char *h_json_raw(const char *json, const char *key)
{
        char pat[128];
        snprintf(pat, sizeof(pat), "\"%s\":", key);
        const char *p = strstr(json, pat);
        if (!p)
                fail_msg("no %s in %s", key, json);
        return p + strlen(pat);
}

/* The daemon's database at dir with sql prepared on it (busy timeout 5 s). */
static sqlite3_stmt *db_prepare(const char *dir, const char *sql, sqlite3 **ret_db)
{
        char path[512];
        sqlite3_stmt *st = NULL;
        snprintf(path, sizeof(path), "%s/sw.db", dir);
        assert_int_equal(sqlite3_open(path, ret_db), SQLITE_OK);
        sqlite3_busy_timeout(*ret_db, 5000);
        assert_int_equal(sqlite3_prepare_v2(*ret_db, sql, -1, &st, NULL), SQLITE_OK);
        return st;
}

char *h_db_text(const char *dir, const char *sql)
{
        sqlite3 *db;
        sqlite3_stmt *st = db_prepare(dir, sql, &db);
        char *out = NULL;
        int rc = sqlite3_step(st);
        assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
        if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
                out = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
}

int64_t h_db_int(const char *dir, const char *sql)
{
        sqlite3 *db;
        sqlite3_stmt *st = db_prepare(dir, sql, &db);
        int64_t v = -1;
        int rc = sqlite3_step(st);
        assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
        if (rc == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

void h_make_test_certs(const char *dir, const char *const *client_cns)
{
        char *argv[16] = {"sh", SW_SOURCE_DIR "/tests/support/make-test-certs.sh", (char *)dir};
        size_t n = 3;
        for (; client_cns && *client_cns; client_cns++) {
                assert_true(n < 15); /* at most 12 client names */
                argv[n++] = (char *)*client_cns;
        }
        assert_int_equal(h_run(NULL, argv), 0);
}
