/* The HTTP side of the API tests: shelfwatch-hq serve as a process, requests through curl. */
#include "api_client.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gnutls/crypto.h>

#include "integration/harness.h"

#define HQ_BIN SW_BUILD_DIR "/shelfwatch-hq"

void api_token_digest(const char *token, char *hex)
{
        unsigned char d[32];
        assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), d), 0);
        for (int i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", d[i]);
}

void api_start(struct api_server *s, const char *dir, int broker_port, const char *conninfo,
               const char *http_settings)
{
        char text[8192];
        snprintf(s->dir, sizeof(s->dir), "%s", dir);
        snprintf(s->conf, sizeof(s->conf), "%s/serve.conf", dir);
        snprintf(s->log, sizeof(s->log), "%s/serve.log", dir);
        s->port = sw_test_free_port();
        snprintf(
            text, sizeof(text),
            "broker: { host = \"127.0.0.1\"; port = %d; client_id = \"hq-api-test\"; "
            "reconnect_min_ms = 100; reconnect_max_ms = 1000; };\n"
            "database: { conninfo = \"%s\"; };\n"
            "http: { port = %d; web_root = \"%s/hq/web\"; api_doc = \"%s/hq/api/openapi.json\";\n"
            "%s\n};\n",
            broker_port, conninfo, s->port, SW_SOURCE_DIR, SW_SOURCE_DIR, http_settings);
        h_write_file(s->conf, text);
        char *argv[] = {HQ_BIN, "-c", s->conf, "serve", NULL};
        s->pid = h_spawn(s->log, argv);
        for (int i = 0; i < 400; i++) {
                char *log = h_read_file(s->log);
                bool up = log && strstr(log, "serving http");
                free(log);
                if (up)
                        return;
                assert_int_equal(waitpid(s->pid, NULL, WNOHANG), 0);
                h_sleep_ms(25);
        }
        fail_msg("shelfwatch-hq serve did not start; see %s", s->log);
}

void api_stop(struct api_server *s)
{
        int st = 0;
        if (s->pid <= 0)
                return;
        kill(s->pid, SIGTERM);
        assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
        s->pid = 0;
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
}

struct api_response api_request_with(const struct api_server *s, const char *method,
                                     const char *path, const char *token, const char *body,
                                     const char *const *extra)
{
        char url[2048], auth[512], out[600], code[640];
        const char *argv[40] = {"curl", "-s", "-g",           "-X",         method, "-o",
                                out,    "-w", "%{http_code}", "--max-time", "30"};
        size_t n = 11;
        struct api_response r = {0};
        static int seq;
        snprintf(out, sizeof(out), "%s/body.%d.%d", s->dir, (int)getpid(), ++seq);
        snprintf(code, sizeof(code), "%s.code", out);
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
        if (token) {
                snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
                argv[n++] = "-H";
                argv[n++] = auth;
        }
        if (body) {
                argv[n++] = "-H";
                argv[n++] = "Content-Type: application/json";
                argv[n++] = "--data-binary";
                argv[n++] = body;
        }
        for (; extra && *extra && n < 36; extra++)
                argv[n++] = *extra;
        argv[n++] = url;
        argv[n] = NULL;
        (void)h_run(code, (char *const *)argv);
        char *c = h_read_file(code);
        r.status = c ? atoi(c) : 0;
        free(c);
        r.text = h_read_file(out);
        r.json = r.text ? cJSON_Parse(r.text) : NULL;
        unlink(out);
        unlink(code);
        return r;
}

struct api_response api_request(const struct api_server *s, const char *method, const char *path,
                                const char *token, const char *body)
{
        return api_request_with(s, method, path, token, body, NULL);
}

void api_response_free(struct api_response *r)
{
        cJSON_Delete(r->json);
        free(r->text);
        *r = (struct api_response){0};
}

cJSON *api_get_expect(const struct api_server *s, const char *path, const char *token, int want)
{
        struct api_response r = api_request(s, "GET", path, token, NULL);
        if (r.status != want || !r.json)
                fail_msg("GET %s: status %d (want %d): %s", path, r.status, want,
                         r.text ? r.text : "(no body)");
        cJSON *j = r.json;
        r.json = NULL;
        api_response_free(&r);
        return j;
}
