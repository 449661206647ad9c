/* End to end: store broker + shelfwatchd + storesim, bridged or linked to HQ's broker +
 * shelfwatch-hq + PostgreSQL; the daemon's database compared with HQ's. */
#include "e2e.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>

/* Debian 12's /etc/mosquitto/mosquitto.conf (package mosquitto 2.0.11-1.2+deb12u1), used when
 * this machine has none: the layout the bridge snippet must drop into. */
static const char debian_mosquitto_conf[] =
    "# Place your local configuration in /etc/mosquitto/conf.d/\n"
    "#\n"
    "# A full description of the configuration file is at\n"
    "# /usr/share/doc/mosquitto/examples/mosquitto.conf.example\n"
    "\n"
    "pid_file /run/mosquitto/mosquitto.pid\n"
    "\n"
    "persistence true\n"
    "persistence_location /var/lib/mosquitto/\n"
    "\n"
    "log_dest file /var/log/mosquitto/mosquitto.log\n"
    "\n"
    "include_dir /etc/mosquitto/conf.d\n";

char *e2e_example(const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/docs/examples/%s", SW_SOURCE_DIR, name);
        char *text = h_read_file(path);
        if (!text)
                fail_msg("cannot read %s", path);
        return text;
}

/* Replace from by to in *text (freeing the old text). */
static void subst(char **text, const char *from, const char *to)
{
        char *s = h_subst(*text, from, to);
        free(*text);
        *text = s;
}

void e2e_store_broker_files(const char *dir, int hq_port, const char *tls_dir,
                            const char *conf_d_extra, char *ret_conf, size_t size)
{
        char path[512], to[600];
        char *main_conf = h_read_file("/etc/mosquitto/mosquitto.conf");
        if (!main_conf)
                main_conf = strdup(debian_mosquitto_conf);
        assert_non_null(main_conf);
        /* The broker drops to the mosquitto user: it writes its pid, database and log here. */
        assert_int_equal(chmod(dir, 0777), 0);
        snprintf(to, sizeof(to), "%s/mosquitto.pid", dir);
        subst(&main_conf, "/run/mosquitto/mosquitto.pid", to);
        snprintf(to, sizeof(to), "persistence_location %s/", dir);
        subst(&main_conf, "persistence_location /var/lib/mosquitto/", to);
        subst(&main_conf, "log_dest file /var/log/mosquitto/mosquitto.log", "log_dest stderr");
        snprintf(to, sizeof(to), "include_dir %s/conf.d", dir);
        subst(&main_conf, "include_dir /etc/mosquitto/conf.d", to);
        assert_int_equal(h_count(main_conf, "persistence true"), 1); /* what Debian sets */
        snprintf(ret_conf, size, "%s/mosquitto.conf", dir);
        h_write_file(ret_conf, main_conf);
        free(main_conf);

        snprintf(path, sizeof(path), "%s/conf.d", dir);
        (void)mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/conf.d/00-local.conf", dir);
        h_write_file(path, conf_d_extra ? conf_d_extra : "");

        char *bridge = e2e_example("store-hq-bridge.conf");
        snprintf(to, sizeof(to), "address 127.0.0.1:%d", hq_port);
        subst(&bridge, "address mqtt.hq.example.com:8883", to);
        /* HQ comes back within the test's seconds, not the minute of a real uplink. */
        subst(&bridge, "restart_timeout 5 60", "restart_timeout 1 2");
        const char *files[][2] = {{"bridge_cafile /etc/mosquitto/certs/hq-ca.pem", "ca.crt"},
                                  {"bridge_certfile /etc/mosquitto/certs/s0042.pem", "s0042.crt"},
                                  {"bridge_keyfile /etc/mosquitto/certs/s0042.key", "s0042.key"}};
        for (size_t i = 0; i < 3; i++) {
                char line[600];
                if (tls_dir)
                        snprintf(line, sizeof(line), "%.*s %s/%s", (int)strcspn(files[i][0], " "),
                                 files[i][0], tls_dir, files[i][1]);
                else
                        snprintf(line, sizeof(line), "# (no TLS in this test)");
                subst(&bridge, files[i][0], line);
        }
        snprintf(path, sizeof(path), "%s/conf.d/store-hq-bridge.conf", dir);
        h_write_file(path, bridge);
        free(bridge);
}

/* ---- receipts ---- */

static void receipts_text(char *buf, size_t size, int resend_s)
{
        snprintf(buf, size, "hq_receipts: { enabled = true; resend_after_seconds = %d; };\n",
                 resend_s);
}

bool e2e_daemon_has_receipts(void)
{
        static int known = -1;
        if (known < 0) {
                char dir[256], conf[512], text[256];
                h_tmpdir(dir, sizeof(dir));
                snprintf(conf, sizeof(conf), "%s/receipts.conf", dir);
                receipts_text(text, sizeof(text), 60);
                h_write_file(conf, text);
                char *argv[] = {SW_BUILD_DIR "/shelfwatchd", "--check-config", "-c", conf, NULL};
                known = h_run("/dev/null", argv) == 0;
                h_rmdir(dir);
        }
        return known;
}

/* ---- the rig ---- */

/* Bridge states "1" seen so far. */
static size_t bridge_ups(struct e2e *e)
{
        size_t ups = 0;
        for (size_t i = 0; i < h_collector_count(e->link); i++) {
                char *m = h_collector_get(e->link, i);
                ups += strcmp(m, "1") == 0;
                free(m);
        }
        return ups;
}

static void hq_broker_start(struct e2e *e, bool wait_linked)
{
        size_t ups = e->link ? bridge_ups(e) : 0;
        h_broker_start(&e->hq, e->hq.port, e->hq_extra);
        if (!wait_linked)
                return;
        for (int i = 0; i < 300; i++) {
                bool linked;
                if (e->link) {
                        linked = bridge_ups(e) > ups;
                } else {
                        cJSON *h = h_health(e->store.port, E2E_PREFIX);
                        linked = strcmp(h_json_string(h, "brokers.hq.state"), "connected") == 0;
                        cJSON_Delete(h);
                }
                if (linked)
                        return;
                h_sleep_ms(50);
        }
        fail_msg("the store did not link to HQ's broker again");
}

void e2e_hq_broker_start(struct e2e *e)
{
        hq_broker_start(e, true);
}

void e2e_hq_broker_stop(struct e2e *e)
{
        h_broker_stop(&e->hq);
}

static void store_broker_start(struct e2e *e)
{
        if (e->mode == E2E_BRIDGE)
                h_broker_start_file(&e->store, e->store.port, e->store_conf);
        else
                h_broker_start(&e->store, e->store.port, "max_queued_messages 100000");
}

void e2e_daemon_start(struct e2e *e)
{
        h_daemon_start_at(&e->d, e->dir, e->daemon_conf, e->store.port, E2E_PREFIX);
}

void e2e_up(struct e2e *e, const struct e2e_opts *o)
{
        char hq_section[256] = "", receipts[256] = "";
        if (o->receipts_resend_s > 0) {
                if (!e2e_daemon_has_receipts())
                        fail_msg("shelfwatchd refuses its receipt settings (hq_receipts)");
                receipts_text(receipts, sizeof(receipts), o->receipts_resend_s);
        }
        *e = (struct e2e){.mode = o->mode};
        h_tmpdir(e->dir, sizeof(e->dir));
        pg_start(&e->pg);
        e->db = pg_connect(&e->pg, NULL);

        /* HQ's broker as docs/examples/hq-mosquitto.conf keeps sessions: persistent, no count
         * cap, bounded by bytes. */
        h_tmpdir(e->hq.dir, sizeof(e->hq.dir));
        assert_int_equal(chmod(e->hq.dir, 0777), 0);
        e->hq.port = sw_test_free_port();
        snprintf(e->hq_extra, sizeof(e->hq_extra),
                 "persistence true\npersistence_location %s/\nmax_queued_messages 0\n"
                 "max_queued_bytes 268435456\n",
                 e->hq.dir);
        hq_broker_start(e, false);
        e->seen = h_collector_start_session(e->hq.port, E2E_PREFIX "/+", "e2e-observer");

        h_tmpdir(e->store.dir, sizeof(e->store.dir));
        e->store.port = sw_test_free_port();
        if (o->mode == E2E_BRIDGE) {
                char local[128];
                snprintf(local, sizeof(local), "listener %d 127.0.0.1\nallow_anonymous true\n",
                         e->store.port);
                e2e_store_broker_files(e->store.dir, e->hq.port, NULL, local, e->store_conf,
                                       sizeof(e->store_conf));
        }
        store_broker_start(e);
        if (o->mode == E2E_BRIDGE)
                e->link = h_collector_start(e->store.port, E2E_PREFIX "/bridge/state");

        e->n_ingest = o->ingest_instances;
        for (int i = 0; i < o->ingest_instances; i++) {
                struct hq_opts io = o->ingest;
                io.client_id = i == 0 ? "hq-a" : "hq-b";
                hq_start(&e->ingest[i], e->dir, e->hq.port, &e->pg, &io);
        }

        if (o->mode == E2E_HQ_SECTION)
                snprintf(hq_section, sizeof(hq_section),
                         "hq: { host = \"127.0.0.1\"; port = %d; reconnect_min_ms = 200; "
                         "reconnect_max_ms = 1000; };\n",
                         e->hq.port);
        snprintf(e->daemon_conf, sizeof(e->daemon_conf),
                 "store: { root = \"retail\"; tenant = \"" E2E_TENANT "\"; id = \"" E2E_STORE
                 "\"; timezone = \"UTC\"; };\n"
                 "broker: { port = %d; reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
                 "storage: { path = \"%s/sw.db\"; };\n%s%s%s",
                 e->store.port, e->dir, hq_section, receipts,
                 o->daemon_extra ? o->daemon_extra : "");
        e2e_daemon_start(e);
}

void e2e_down(struct e2e *e)
{
        h_daemon_stop(&e->d, SIGTERM);
        for (int i = 0; i < e->n_ingest; i++)
                hq_stop(&e->ingest[i], SIGTERM);
        PQfinish(e->db);
        e->db = NULL;
        h_collector_stop(e->link);
        e->link = NULL;
        h_collector_stop(e->seen);
        e->seen = NULL;
        h_broker_stop(&e->store);
        h_broker_stop(&e->hq);
        pg_destroy(&e->pg);
        h_rmdir(e->store.dir);
        h_rmdir(e->hq.dir);
        h_rmdir(e->dir);
}

pid_t e2e_sim_spawn(struct e2e *e, int days, int skus, int seed, int sleep_ms)
{
        char d[16], k[16], s[16], ms[16];
        snprintf(d, sizeof(d), "%d", days);
        snprintf(k, sizeof(k), "%d", skus);
        snprintf(s, sizeof(s), "%d", seed);
        snprintf(ms, sizeof(ms), "%d", sleep_ms);
        e->sim_started = h_mono_s();
        return h_storesim_spawn(e->store.port, e->dir, "sim.log", "--profile", "basic", "--tenant",
                                E2E_TENANT, "--store", E2E_STORE, "--days", d, "--warmup", "14",
                                "--skus", k, "--seed", s, "--associates", "3", "--reply-timeout",
                                "3", "--sleep-ms", ms, "--drain-ms", "500", NULL);
}

int e2e_sim_day(struct e2e *e)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/sim.log", e->dir);
        char *log = h_read_file(path);
        int day = 0;
        for (const char *p = log; p && (p = strstr(p, "day ")); p += 4)
                if (p == log || p[-1] == '\n')
                        day = atoi(p + 4);
        free(log);
        return day;
}

void e2e_sim_wait_day(struct e2e *e, pid_t sim, int day)
{
        while (e2e_sim_day(e) < day) {
                if (waitpid(sim, NULL, WNOHANG) != 0)
                        fail_msg("storesim ended before day %d", day);
                h_sleep_ms(20);
        }
}

void e2e_sim_wait(struct e2e *e, pid_t sim)
{
        assert_int_equal(h_wait(sim), 0);
        print_message("the store's run: %.1f s\n", h_mono_s() - e->sim_started);
}

double e2e_health_number(struct e2e *e, const char *path, double fallback)
{
        cJSON *h = h_health(e->store.port, E2E_PREFIX);
        double v = h_json_number_or(h, path, fallback);
        cJSON_Delete(h);
        return v;
}

/* ---- the comparison ---- */

struct idrow {
        char id[128]; /* anomaly or outcome id */
        int rev;      /* anomaly rev (0: none) */
        char st[16];  /* anomaly status */
};

/* Rows of the daemon's database, sorted by id (bytes). */
static size_t daemon_rows(const char *dir, bool anomalies, struct idrow **ret, bool *ret_has_rev)
{
        char path[512];
        sqlite3 *db;
        sqlite3_stmt *st;
        size_t n = 0, cap = 256;
        struct idrow *rows = calloc(cap, sizeof(*rows));
        snprintf(path, sizeof(path), "%s/sw.db", dir);
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        bool has_rev = false;
        if (anomalies) {
                assert_int_equal(
                    sqlite3_prepare_v2(db,
                                       "SELECT count(*) FROM pragma_table_info('anomaly') "
                                       "WHERE name = 'rev'",
                                       -1, &st, NULL),
                    SQLITE_OK);
                assert_int_equal(sqlite3_step(st), SQLITE_ROW);
                has_rev = sqlite3_column_int(st, 0) == 1;
                sqlite3_finalize(st);
        }
        const char *sql = !anomalies ? "SELECT id, 0, '' FROM outcome ORDER BY id"
                          : has_rev  ? "SELECT id, rev, status FROM anomaly ORDER BY id"
                                     : "SELECT id, 0, status FROM anomaly ORDER BY id";
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap)
                        rows = realloc(rows, (cap *= 2) * sizeof(*rows));
                snprintf(rows[n].id, sizeof(rows[n].id), "%s", sqlite3_column_text(st, 0));
                rows[n].rev = sqlite3_column_int(st, 1);
                snprintf(rows[n].st, sizeof(rows[n].st), "%s", sqlite3_column_text(st, 2));
                n++;
        }
        assert_int_equal(rc, SQLITE_DONE);
        sqlite3_finalize(st);
        sqlite3_close(db);
        if (ret_has_rev)
                *ret_has_rev = has_rev;
        *ret = rows;
        return n;
}

/* Rows of HQ's database for the store, sorted by id (bytes). */
static size_t hq_rows(PGconn *c, bool anomalies, struct idrow **ret)
{
        PGresult *res =
            PQexec(c, anomalies ? "SELECT id, rev, status FROM anomaly WHERE tenant = '" E2E_TENANT
                                  "' AND store = '" E2E_STORE "' ORDER BY id COLLATE \"C\""
                                : "SELECT id, 0, '' FROM outcome WHERE tenant = '" E2E_TENANT
                                  "' AND store = '" E2E_STORE "' ORDER BY id COLLATE \"C\"");
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
                fail_msg("HQ rows: %s", PQerrorMessage(c));
        size_t n = (size_t)PQntuples(res);
        struct idrow *rows = calloc(n + 1, sizeof(*rows));
        for (size_t i = 0; i < n; i++) {
                snprintf(rows[i].id, sizeof(rows[i].id), "%s", PQgetvalue(res, (int)i, 0));
                rows[i].rev = atoi(PQgetvalue(res, (int)i, 1));
                snprintf(rows[i].st, sizeof(rows[i].st), "%s", PQgetvalue(res, (int)i, 2));
        }
        PQclear(res);
        *ret = rows;
        return n;
}

/* Merge two sorted lists: counts ids only on the daemon's side, only at HQ, and in both with
 * another rev or status. Prints the first few differences when verbose. */
static void merge(const struct idrow *a, size_t na, const struct idrow *b, size_t nb,
                  long *ret_lost, long *ret_wrong, long *ret_extra, bool verbose)
{
        size_t i = 0, j = 0;
        int shown = 0;
        while (i < na || j < nb) {
                int cmp = i == na ? 1 : j == nb ? -1 : strcmp(a[i].id, b[j].id);
                if (cmp < 0) {
                        (*ret_lost)++;
                        if (verbose && shown++ < 5)
                                print_message("  not at HQ: %s rev %d %s\n", a[i].id, a[i].rev,
                                              a[i].st);
                        i++;
                } else if (cmp > 0) {
                        (*ret_extra)++;
                        if (verbose && shown++ < 5)
                                print_message("  only at HQ: %s rev %d\n", b[j].id, b[j].rev);
                        j++;
                } else {
                        if (a[i].rev != b[j].rev || strcmp(a[i].st, b[j].st) != 0) {
                                (*ret_wrong)++;
                                if (verbose && shown++ < 5)
                                        print_message("  %s: store rev %d %s, HQ rev %d %s\n",
                                                      a[i].id, a[i].rev, a[i].st, b[j].rev,
                                                      b[j].st);
                        }
                        i++, j++;
                }
        }
}

static long sum_counter(PGconn *c, const char *path)
{
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT coalesce(sum((counters #>> '{%s}')::bigint), 0) FROM ingest_instance",
                 path);
        return (long)pg_number(c, sql);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Anomaly and outcome messages HQ's broker took, and how many distinct (id, rev). */
static void count_copies(struct e2e *e, long *ret_copies, long *ret_distinct)
{
        size_t n = h_collector_count(e->seen), k = 0;
        char **keys = calloc(n + 1, sizeof(*keys));
        assert_non_null(keys);
        for (size_t i = 0; i < n; i++) {
                char *t = h_collector_topic(e->seen, i);
                if (strcmp(t, E2E_PREFIX "/anomaly") == 0 ||
                    strcmp(t, E2E_PREFIX "/outcome") == 0) {
                        char *m = h_collector_get(e->seen, i);
                        cJSON *j = cJSON_Parse(m);
                        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
                        char key[256];
                        snprintf(key, sizeof(key), "%s#%g", id ? id : "?",
                                 cJSON_GetNumberValue(cJSON_GetObjectItem(j, "rev")));
                        keys[k++] = strdup(key);
                        cJSON_Delete(j);
                        free(m);
                }
                free(t);
        }
        qsort(keys, k, sizeof(*keys), cmp_str);
        long distinct = 0;
        for (size_t i = 0; i < k; i++)
                distinct += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
        for (size_t i = 0; i < k; i++)
                free(keys[i]);
        free(keys);
        *ret_copies = (long)k;
        *ret_distinct = distinct;
}

static void compare(struct e2e *e, struct e2e_check *ret, bool verbose)
{
        struct idrow *da, *ha, *dout, *hout;
        bool has_rev = false;
        *ret = (struct e2e_check){0};
        size_t nda = daemon_rows(e->dir, true, &da, &has_rev);
        size_t ndo = daemon_rows(e->dir, false, &dout, NULL);
        /* Without an ingest instance HQ's database has no schema: nothing is at HQ. */
        size_t nha = e->n_ingest ? hq_rows(e->db, true, &ha) : 0;
        size_t nho = e->n_ingest ? hq_rows(e->db, false, &hout) : 0;
        if (!e->n_ingest) {
                ha = calloc(1, sizeof(*ha));
                hout = calloc(1, sizeof(*hout));
        }
        ret->anomalies = (long)nda;
        ret->outcomes = (long)ndo;
        ret->daemon_has_rev = has_rev;
        merge(da, nda, ha, nha, &ret->lost_anomalies, &ret->wrong_rev, &ret->extra, verbose);
        long wrong_outcomes = 0;
        merge(dout, ndo, hout, nho, &ret->lost_outcomes, &wrong_outcomes, &ret->extra, verbose);
        assert_int_equal(wrong_outcomes, 0);
        if (e->n_ingest) {
                ret->duplicates = sum_counter(e->db, "duplicates");
                ret->stale_revs = sum_counter(e->db, "stale_revs");
                ret->messages =
                    sum_counter(e->db, "messages,anomaly") + sum_counter(e->db, "messages,outcome");
        }
        count_copies(e, &ret->copies, &ret->distinct);
        free(da);
        free(ha);
        free(dout);
        free(hout);
}

void e2e_compare(struct e2e *e, struct e2e_check *ret)
{
        compare(e, ret, false);
}

void e2e_converge(struct e2e *e, double timeout_s, const char *what, struct e2e_check *ret)
{
        double end = h_mono_s() + timeout_s, start = h_mono_s();
        for (;;) {
                compare(e, ret, false);
                if ((ret->lost_anomalies == 0 && ret->wrong_rev == 0 && ret->lost_outcomes == 0 &&
                     ret->extra == 0) ||
                    h_mono_s() > end)
                        break;
                h_sleep_ms(500);
        }
        compare(e, ret, true);
        print_message(
            "%s: %ld anomalies (daemon rev column: %s), %ld outcomes; at HQ after %.1f s: "
            "%ld anomalies missing, %ld at another rev/status, %ld outcomes missing, %ld "
            "unknown ids; HQ's broker took %ld anomaly/outcome messages, %ld distinct (id, rev): "
            "%ld copies resent; shelfwatch-hq counted %ld since its last start, %ld duplicates "
            "(any kind), %ld stale revs\n",
            what, ret->anomalies, ret->daemon_has_rev ? "yes" : "no", ret->outcomes,
            h_mono_s() - start, ret->lost_anomalies, ret->wrong_rev, ret->lost_outcomes, ret->extra,
            ret->copies, ret->distinct, ret->copies - ret->distinct, ret->messages, ret->duplicates,
            ret->stale_revs);
}

void e2e_assert_all_arrived(const struct e2e_check *c, long min_anomalies)
{
        assert_true(c->anomalies > min_anomalies);
        assert_int_equal(c->lost_anomalies, 0);
        assert_int_equal(c->wrong_rev, 0);
        assert_int_equal(c->lost_outcomes, 0);
        assert_int_equal(c->extra, 0);
}
