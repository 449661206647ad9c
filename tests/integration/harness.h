/* Integration-test harness: a real mosquitto, the real shelfwatchd, the store simulator. */
#ifndef SW_HARNESS_H
#define SW_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "tests/support/net.h" /* sw_test_free_port, sw_test_port_open */

struct h_broker {
        int port;      /* loopback port */
        pid_t pid;     /* mosquitto process, 0 when stopped */
        char dir[256]; /* its directory */
};

struct h_daemon {
        pid_t pid;      /* shelfwatchd process, 0 when stopped */
        char conf[512]; /* config file */
        char log[512];  /* its stderr */
};

/* A scratch directory for one test, removed by h_rmdir. */
void h_tmpdir(char *buf, size_t size);
/* Remove a directory made by h_tmpdir (tests call it once they passed). */
void h_rmdir(const char *dir);
/* Start mosquitto on port (0 = pick one); extra lines go into its config. */
void h_broker_start(struct h_broker *b, int port, const char *extra_conf);
void h_broker_stop(struct h_broker *b);
/* Start mosquitto on port (0 = pick one) keeping what it holds for persistent sessions on disk in
 * b->dir (made when empty), with no cap on their queues (mosquitto's default: 1000): an HQ that
 * keeps what it gets for its subscriber while that is away, and across its own restart. */
void h_broker_start_keeping(struct h_broker *b, int port);
/* Start mosquitto on a config file of the caller's (b->dir set: its log goes there) and wait
 * until port answers; h_broker_stop stops it. */
void h_broker_start_file(struct h_broker *b, int port, const char *conf_path);
/* Write config text to dir/shelfwatch.conf and start the daemon; waits until it answers health. */
void h_daemon_start(struct h_daemon *d, const char *dir, const char *config_text, int broker_port);
/* The same for a daemon configured as another store: waits for health under prefix. */
void h_daemon_start_at(struct h_daemon *d, const char *dir, const char *config_text,
                       int broker_port, const char *prefix);
/* Send sig (SIGTERM waits for a clean exit and asserts status 0). */
void h_daemon_stop(struct h_daemon *d, int sig);
/* The end of a test that passed: stop the daemon unless it was stopped already (SIGTERM, a
 * clean exit asserted), then the broker, and remove the broker's directory and dir. */
void h_finish_test(struct h_daemon *d, struct h_broker *b, const char *dir);
/* SIGKILL every daemon and broker not stopped yet (also done at exit); a cmocka teardown. */
int h_teardown(void **state);
/* Run a command and return its exit status; output to log_path if given. */
int h_run(const char *log_path, char *const argv[]);
/* execvp(argv[0], argv) in a forked child; a program of the build directory goes through
 * SW_TEST_WRAPPER (qemu, in cross builds) when that is set. Returns only on failure. */
void h_exec(char *const argv[]);
/* Start a command in the background (through h_exec). */
pid_t h_spawn(const char *log_path, char *const argv[]);
/* The same with stdout and stderr each in its own file, truncated first. */
pid_t h_spawn_apart(char *const argv[], const char *out_path, const char *err_path);
int h_wait(pid_t pid);
/* Broker credentials of the harness's own clients from now on (h_request and the commands,
 * h_publish, collectors); NULL: anonymous (the default). With a user, replies are asked for under
 * {prefix}/reply/{user}/ (what docs/examples/store-acl lets a user read). */
void h_set_credentials(const char *user, const char *password);
/* Request/response with mosquitto_rr; returns malloc'd reply or NULL on timeout. */
char *h_request(int port, const char *prefix, const char *command, const char *payload,
                int timeout_s);
/* Publish one message at QoS 1 with mosquitto_pub. */
void h_publish(int port, const char *topic, const char *payload);
/* The same as user (NULL: anonymous); returns mosquitto_pub's exit status (a publish the broker's
 * ACL refuses still exits 0: mosquitto drops it, or answers a v5 PUBACK "not authorised"). */
int h_publish_as(int port, const char *topic, const char *payload, const char *user,
                 const char *password);
/* One value of a one-row query on the daemon's database (dir/sw.db), read beside the running
 * daemon (WAL): the text malloc'd (NULL when there is no row or it is NULL), or the integer (-1
 * when there is no row). A query that does not prepare fails the test. */
char *h_db_text(const char *dir, const char *sql);
int64_t h_db_int(const char *dir, const char *sql);
/* Test certificates in dir (tests/support/make-test-certs.sh: ca, other-ca, server, wronghost,
 * one client certificate per CN of the NULL-ended list, rogue and expired for the first). */
void h_make_test_certs(const char *dir, const char *const *client_cns);
/* Read a whole file; malloc'd, NULL if missing. */
char *h_read_file(const char *path);
/* Write text to path (created or truncated); fails the test when it cannot. */
void h_write_file(const char *path, const char *text);
/* text with every occurrence of from replaced by to (malloc'd); fails the test when from does not
 * occur, so that a test editing a shipped file notices when the file changed. */
char *h_subst(const char *text, const char *from, const char *to);
/* How many times needle occurs in text (0 when text is NULL). */
int h_count(const char *text, const char *needle);
/* Seconds on the monotonic clock, for durations and deadlines. */
double h_mono_s(void);
void h_sleep_ms(int ms);

/* ---- the daemon's commands and their JSON replies ---- */

/*
 * The reply to command name (with payload, e.g. "{}") from the daemon serving prefix, parsed;
 * the caller cJSON_Deletes it. A loaded machine can be slow to answer, so a request that gets no
 * reply within timeout_s is sent again, three tries in all (only when no reply came: a command
 * that must not go twice wants h_request). Fails the test when no try is answered, when the
 * reply is not JSON, or when it does not say "ok":true (the reply is printed).
 */
cJSON *h_command_within(int port, const char *prefix, const char *name, const char *payload,
                        int timeout_s);
/* h_command_within with 10 s a try. */
cJSON *h_command(int port, const char *prefix, const char *name, const char *payload);
/* The health reply: h_command(port, prefix, "health", "{}"). */
cJSON *h_health(int port, const char *prefix);
/* Ask health up to tries times, 100 ms apart, until the number at dotted_path equals want (a
 * missing one counts as 0: the daemon leaves out the rejection counters that are still 0);
 * fails the test if it never does. */
void h_wait_health_number(int port, const char *prefix, const char *dotted_path, double want,
                          int tries);

/* The item at a dotted path of object keys ("messages.rejected.pos"), or NULL when a step is
 * missing (o may be NULL). Keys are matched case-sensitively; a key holding '.' cannot be named. */
cJSON *h_json_item(const cJSON *o, const char *dotted_path);
/* The number at a dotted path; fails the test when it is missing or not a number. */
double h_json_number(const cJSON *o, const char *dotted_path);
/* The number at a dotted path, or fallback when it is missing or not a number. */
double h_json_number_or(const cJSON *o, const char *dotted_path, double fallback);
/* The string at a dotted path; fails the test when it is missing or not a string. */
const char *h_json_string(const cJSON *o, const char *dotted_path);
/* Where the value after the first "key": in the JSON text json starts, as the text has it (a
 * number's digits as written, not a double); fails the test when there is no such key. */
const char *h_json_raw(const char *json, const char *key);

/* ---- collecting what is published ---- */

/* Collects every message on a topic pattern in a background libmosquitto client. */
struct h_collector;
struct h_collector *h_collector_start(int port, const char *pattern);
/* Same with a persistent session (clean_session false) under client_id: messages published
 * while the collector or its broker is away are delivered when both are back. */
struct h_collector *h_collector_start_session(int port, const char *pattern, const char *client_id);
/* A collector connected as user. */
struct h_collector *h_collector_start_as(int port, const char *pattern, const char *user,
                                         const char *password);
/* Number of messages so far. */
size_t h_collector_count(struct h_collector *c);
/* Wait until the collector holds at least n messages, or timeout_ms passed; returns the count. */
size_t h_collector_wait(struct h_collector *c, size_t n, int timeout_ms);
/* A copy of message i's payload (malloc'd), NULL when there is no message i yet. */
char *h_collector_get(struct h_collector *c, size_t i);
/* A copy of message i's topic (malloc'd), NULL when there is no message i yet. */
char *h_collector_topic(struct h_collector *c, size_t i);
void h_collector_stop(struct h_collector *c);
/* Wait up to timeout_ms for message i of c and return a copy of its payload (malloc'd); fails the
 * test when it does not come. */
char *h_collector_await(struct h_collector *c, size_t i, int timeout_ms);
/* Publish payload on topic and return the next message c receives (the first after those it
 * held), parsed: e.g. a scanner's count and its ack. Fails the test when none comes within
 * timeout_ms or it is not JSON. */
cJSON *h_publish_await(int port, const char *topic, const char *payload, struct h_collector *c,
                       int timeout_ms);

/* ---- the store simulator and the daemon's state ---- */

/* Run the store simulator to completion against port; extra args are appended (NULL-ended).
 * Returns its exit status. */
int h_storesim(int port, const char *dir, const char *log_name, ...);
/* Start the simulator in the background, same arguments. */
pid_t h_storesim_spawn(int port, const char *dir, const char *log_name, ...);
/* The daemon's anomalies as sorted lines "id|status|severity|value" (malloc'd, '\n'-joined). */
char *h_anomaly_digest(int port, const char *prefix);
/* The daemon config text for a broker port and a database in dir, plus extra text. */
void h_config(char *buf, size_t size, int port, const char *dir, const char *extra);

/* ---- one test's scratch directory, broker and daemon ---- */

/* What most tests run against; {0} before h_fixture_prepare or h_fixture_start (b.dir may be set
 * beforehand to a broker directory the test prepared: h_broker_start keeps it). */
struct h_fixture {
        char dir[256];      /* scratch directory (h_tmpdir); the database is dir/sw.db */
        char conf[2048];    /* the daemon's config text */
        struct h_broker b;  /* the store's broker */
        struct h_broker hq; /* HQ's broker, for a test that starts one (h_fixture_prepare_hq) */
        struct h_daemon d;  /* the daemon, pid 0 until started */
        struct h_collector *collectors[8]; /* h_fixture_collect's, stopped by h_fixture_finish */
        size_t n_collectors;               /* of collectors */
};

/* The scratch directory, a private broker (broker_extra: lines for its config, or NULL) and the
 * daemon's config text, h_config()'s plus extra; the daemon is not started (h_fixture_daemon). */
void h_fixture_prepare(struct h_fixture *f, const char *broker_extra, const char *extra);
/* h_fixture_prepare with HQ's broker too in f->hq (keeping: h_broker_start_keeping), and f->conf
 * h_config()'s text with an hq section for it (reconnecting within a second) plus extra. */
void h_fixture_prepare_hq(struct h_fixture *f, bool keeping, const char *extra);
/* Start the daemon on f->conf, waiting until it answers health. */
void h_fixture_daemon(struct h_fixture *f);
/* The usual start of a test: h_fixture_prepare(f, NULL, extra), then h_fixture_daemon(f). */
void h_fixture_start(struct h_fixture *f, const char *extra);
/* Stop the daemon with SIGTERM (a clean exit asserted) and start it again on f->conf. */
void h_fixture_restart(struct h_fixture *f);
/* cmocka setup of a test run on a fixture: *state is a zeroed struct h_fixture. */
int h_fixture_setup(void **state);
/* cmocka teardown of one: its collectors stopped, what still runs SIGKILLed (h_teardown), the
 * fixture freed; a failed test's directories are left to be looked at. */
int h_fixture_teardown(void **state);
/* A collector on pattern at f's broker (h_collector_start); the fixture owns it and stops it in
 * h_fixture_finish or h_fixture_teardown: never h_collector_stop it yourself. */
struct h_collector *h_fixture_collect(struct h_fixture *f, const char *pattern);
/* The end of a test that passed: its collectors stopped, h_finish_test of f's daemon, broker and
 * directory, then HQ's broker stopped and its directory removed (when there is one). */
void h_fixture_finish(struct h_fixture *f);
/* How many times needle occurs in the daemon's log (appended across restarts); fails the test
 * when there is no log. */
int h_daemon_log_count(const struct h_daemon *d, const char *needle);

#endif
