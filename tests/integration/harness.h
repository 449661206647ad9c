/* Integration-test harness: a real mosquitto, the real shelfwatchd, the store simulator. */
#ifndef SW_HARNESS_H
#define SW_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct h_broker {
        int port;       /* loopback port */
        pid_t pid;      /* mosquitto process, 0 when stopped */
        char dir[256];  /* its directory */
};

struct h_daemon {
        pid_t pid;       /* shelfwatchd process, 0 when stopped */
        char conf[512];  /* config file */
        char log[512];   /* its stderr */
};

/* A scratch directory for one test, removed by h_cleanup_dir. */
void h_tmpdir(char *buf, size_t size);
/* Remove a directory made by h_tmpdir (tests call it once they passed). */
void h_rmdir(const char *dir);
int h_free_port(void);
/* Start mosquitto on port (0 = pick one); extra lines go into its config. */
void h_broker_start(struct h_broker *b, int port, const char *extra_conf);
void h_broker_stop(struct h_broker *b);
/* Write config text to dir/shelfwatch.conf and start the daemon; waits until it answers health. */
void h_daemon_start(struct h_daemon *d, const char *dir, const char *config_text, int broker_port);
/* Send sig (SIGTERM waits for a clean exit and asserts status 0). */
void h_daemon_stop(struct h_daemon *d, int sig);
/* SIGKILL every daemon and broker not stopped yet (also done at exit); a cmocka teardown. */
int h_teardown(void **state);
/* Run a command and return its exit status; output to log_path if given. */
int h_run(const char *log_path, char *const argv[]);
/* execvp(argv[0], argv) in a forked child; a program of the build directory goes through
 * SW_TEST_WRAPPER (qemu, in cross builds) when that is set. Returns only on failure. */
void h_exec(char *const argv[]);
/* Start a command in the background (through h_exec). */
pid_t h_spawn(const char *log_path, char *const argv[]);
int h_wait(pid_t pid);
/* Request/response with mosquitto_rr; returns malloc'd reply or NULL on timeout. */
char *h_request(int port, const char *prefix, const char *command, const char *payload, int timeout_s);
/* Publish one message at QoS 1 with mosquitto_pub. */
void h_publish(int port, const char *topic, const char *payload);
/* Read a whole file; malloc'd, NULL if missing. */
char *h_read_file(const char *path);

/* Collects every message on a topic pattern in a background libmosquitto client. */
struct h_collector;
struct h_collector *h_collector_start(int port, const char *pattern);
/* Number of messages so far; copies message i's payload (malloc'd) into *ret. */
/* Same with a persistent session (clean_session false) under client_id: messages published
 * while the collector or its broker is away are delivered when both are back. */
struct h_collector *h_collector_start_session(int port, const char *pattern, const char *client_id);
size_t h_collector_count(struct h_collector *c);
char *h_collector_get(struct h_collector *c, size_t i);
void h_collector_stop(struct h_collector *c);

#endif

/* Run the store simulator to completion against port; extra args are appended (NULL-ended).
 * Returns its exit status. */
int h_storesim(int port, const char *dir, const char *log_name, ...);
/* Start the simulator in the background, same arguments. */
pid_t h_storesim_spawn(int port, const char *dir, const char *log_name, ...);
/* The daemon's anomalies as sorted lines "id|status|severity|value" (malloc'd, '\n'-joined). */
char *h_anomaly_digest(int port, const char *prefix);
/* The daemon config text for a broker port and a database in dir, plus extra text. */
void h_config(char *buf, size_t size, int port, const char *dir, const char *extra);
