/* metrics.textfile_path: health's counters in a .prom file, read by a real node_exporter's
 * textfile collector (its own parser) and scraped over HTTP. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"
#include "tests/support/test_main.h"

#define PREFIX        "retail/demo/store1"
#define NODE_EXPORTER "/usr/bin/prometheus-node-exporter" /* Debian prometheus-node-exporter */

/* The scrape of node_exporter at port (malloc'd), NULL when it does not answer. */
static char *scrape(const char *dir, int port)
{
        char url[64], out[512];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
        snprintf(out, sizeof(out), "%s/scrape.txt", dir);
        char *argv[] = {"curl", "-sf", "-o", out, url, NULL};
        if (h_run(NULL, argv) != 0)
                return NULL;
        return h_read_file(out);
}

/* Each "# TYPE name counter" names a family ending in _total; every family has its HELP. */
static void check_names(const char *text)
{
        int families = 0;
        for (const char *p = text; (p = strstr(p, "# TYPE ")) != NULL; p++) {
                char name[128], type[32], help[160];
                assert_int_equal(sscanf(p, "# TYPE %127s %31s", name, type), 2);
                assert_int_equal(strncmp(name, "shelfwatch_", 11), 0);
                if (strcmp(type, "counter") == 0) {
                        size_t n = strlen(name);
                        if (n < 6 || strcmp(name + n - 6, "_total") != 0)
                                fail_msg("counter %s does not end in _total", name);
                }
                snprintf(help, sizeof(help), "# HELP %s ", name);
                if (!strstr(text, help))
                        fail_msg("%s has no HELP", name);
                families++;
        }
        print_message("%d metric families in the textfile\n", families);
        assert_true(families >= 30);
}

static void test_textfile_read_by_node_exporter(void **state)
{
        struct h_fixture f = {0};
        char tf[300], prom[400], tmp[420];
        (void)state;
        if (access(NODE_EXPORTER, X_OK) != 0)
                fail_msg("%s is missing: tools/install-deps.sh installs it", NODE_EXPORTER);
        h_tmpdir(f.dir, sizeof(f.dir));
        snprintf(tf, sizeof(tf), "%s/textfile", f.dir);
        assert_int_equal(mkdir(tf, 0755), 0);
        snprintf(prom, sizeof(prom), "%s/shelfwatch.prom", tf);
        h_broker_start(&f.b, 0, NULL);
        snprintf(f.conf, sizeof(f.conf),
                 "broker: { port = %d; reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
                 "storage: { path = \"%s/sw.db\"; };\n"
                 "metrics: { textfile_path = \"%s\"; interval_s = 5; };\n",
                 f.b.port, f.dir, prom);
        h_fixture_daemon(&f);
        h_publish(f.b.port, PREFIX "/pos/r1",
                  "{\"id\":\"m1\",\"ts\":\"2026-11-20T09:00:00Z\",\"lines\":[{\"sku\":\"A\","
                  "\"qty\":1}]}");
        h_publish(f.b.port, PREFIX "/pos/r1",
                  "{\"id\":\"m2\",\"ts\":\"2026-11-20T09:01:00Z\",\"lines\":[{\"sku\":\"B\","
                  "\"qty\":2}]}");
        h_publish(f.b.port, PREFIX "/pos/r1", "not json");
        h_wait_health_number(f.b.port, PREFIX, "messages.accepted.pos", 2, 100);

        /* Written at start, then every interval_s: wait for the one holding the messages. */
        char *text = NULL;
        double until = h_mono_s() + 15;
        while (h_mono_s() < until) {
                free(text);
                text = h_read_file(prom);
                if (text && strstr(text, "shelfwatch_messages_accepted_total{kind=\"pos\"} 2\n") &&
                    strstr(text, "{kind=\"pos\",reason=\"not_json\"} 1\n"))
                        break;
                h_sleep_ms(200);
        }
        assert_non_null(text);
        if (!strstr(text, "shelfwatch_messages_accepted_total{kind=\"pos\"} 2\n"))
                fail_msg("the textfile never showed the two messages:\n%s", text);
        check_names(text);
        free(text);
        struct stat st;
        assert_int_equal(stat(prom, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644); /* node_exporter runs as another user */
        snprintf(tmp, sizeof(tmp), "%s.tmp", prom);
        assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left behind */

        /* node_exporter's textfile collector parses it; a parse error would show as
         * node_textfile_scrape_error 1 and no shelfwatch_ metric at all. */
        int port = sw_test_free_port();
        char listen[64], dirarg[400], log[400];
        snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
        snprintf(dirarg, sizeof(dirarg), "--collector.textfile.directory=%s", tf);
        snprintf(log, sizeof(log), "%s/node_exporter.log", f.dir);
        char *argv[] = {NODE_EXPORTER,          listen, "--collector.disable-defaults",
                        "--collector.textfile", dirarg, NULL};
        pid_t ne = h_spawn(log, argv);
        char *got = NULL;
        for (int i = 0; i < 100 && !got; i++) {
                h_sleep_ms(100);
                got = scrape(f.dir, port);
        }
        kill(ne, SIGTERM);
        h_wait(ne);
        if (!got) {
                char *l = h_read_file(log);
                fail_msg("node_exporter did not answer:\n%s", l ? l : "");
        }
        if (!strstr(got, "node_textfile_scrape_error 0"))
                fail_msg("node_exporter could not parse the textfile:\n%s", got);
        assert_non_null(strstr(got, "shelfwatch_messages_accepted_total{kind=\"pos\"} 2"));
        assert_non_null(
            strstr(got, "shelfwatch_messages_rejected_total{kind=\"pos\",reason=\"not_json\"} 1"));
        assert_non_null(strstr(got, "shelfwatch_storage_state{state=\"ok\"} 1"));
        assert_non_null(strstr(got, "shelfwatch_broker_connected{link=\"local\"} 1"));
        assert_non_null(strstr(got, "# TYPE shelfwatch_outbox_delivered_total counter"));
        assert_non_null(strstr(got, "shelfwatch_info{store=\"store1\",tenant=\"demo\","));
        free(got);
        h_fixture_finish(&f);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test_teardown(test_textfile_read_by_node_exporter, h_teardown))
/* clang-format on */
