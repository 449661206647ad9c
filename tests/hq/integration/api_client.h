/* The HTTP side of the API tests: shelfwatch-hq serve as a process, requests through curl. */
#ifndef HQ_TEST_API_CLIENT_H
#define HQ_TEST_API_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "pg.h"

/* A running shelfwatch-hq serve. */
struct api_server {
        pid_t pid;      /* the process, 0 when stopped */
        int port;       /* its HTTP port on 127.0.0.1 */
        char conf[512]; /* its config file */
        char log[512];  /* its stderr */
        char dir[256];  /* scratch directory (response bodies) */
};

/* One response. */
struct api_response {
        int status;  /* HTTP status, 0 when curl failed */
        cJSON *json; /* the parsed body, NULL when it is not JSON */
        char *text;  /* the body as received */
};

/* Write dir/serve.conf (broker_port, the API's conninfo and extra, the http section's
 * settings and tokens written by the caller, without braces) and start serve; waits until it
 * listens. */
void api_start(struct api_server *s, const char *dir, int broker_port, const char *conninfo,
               const char *http_settings);
/* SIGTERM and a clean exit asserted. */
void api_stop(struct api_server *s);
/* method path (with the query) with token (NULL: no Authorization header) and body (NULL:
 * none). The caller frees with api_response_free. */
struct api_response api_request(const struct api_server *s, const char *method, const char *path,
                                const char *token, const char *body);
/* The same with extra curl arguments (a NULL-terminated list), e.g. another header. */
struct api_response api_request_with(const struct api_server *s, const char *method,
                                     const char *path, const char *token, const char *body,
                                     const char *const *extra);
void api_response_free(struct api_response *r);
/* GET path with token; fails the test unless the status is want; the parsed body. */
cJSON *api_get_expect(const struct api_server *s, const char *path, const char *token, int want);
/* "sha256 = \"...\"" helper: the hex SHA-256 of token into hex (65 bytes). */
void api_token_digest(const char *token, char *hex);

#endif
