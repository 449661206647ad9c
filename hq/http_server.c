/* The HTTP server: libmicrohttpd driven by one poll() loop, routing, bearer tokens, files. */
#include "hq/http_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "platform/mqtt_link.h"
#include "platform/notify.h"
#include "platform/signal_fd.h"

#define HQ_API_PREFIX   "/api/v1"
#define HQ_FILE_MAX     (4u << 20) /* largest dashboard file served */
#define HQ_SECURITY_CSP "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"

/* One API route. */
struct route {
        const char *method;  /* GET / POST */
        const char *path;    /* under /api/v1; a trailing '/' matches a prefix ({id} follows) */
        hq_api_handler *get; /* handler, or NULL for the {id} ones */
};

static const struct route routes[] = {
    {"GET", "/anomalies", hq_api_anomalies},
    {"GET", "/anomalies/stats", hq_api_stats},
    {"GET", "/anomalies/ghost-stock", hq_api_ghost_stock},
    {"POST", "/anomalies/detect", hq_api_detect},
    {"POST", "/outcomes/anomaly/", NULL},
    {"POST", "/outcomes/alert/", NULL},
    {"GET", "/outcomes/alerts/effectiveness", hq_api_alert_effectiveness},
    {"GET", "/outcomes/anomalies/effectiveness", hq_api_anomaly_effectiveness},
    {"GET", "/outcomes/roi", hq_api_roi},
    {"GET", "/gateways", hq_api_gateways},
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static const struct route *find_route(const char *path, const char **ret_id)
{
        for (size_t i = 0; i < N_ROUTES; i++) {
                size_t n = strlen(routes[i].path);
                if (routes[i].path[n - 1] == '/' && strncmp(path, routes[i].path, n) == 0 &&
                    path[n]) {
                        *ret_id = path + n;
                        return &routes[i];
                }
                if (strcmp(path, routes[i].path) == 0)
                        return &routes[i];
        }
        return NULL;
}

/* ---- responses ------------------------------------------------------------------------ */

static void add_common_headers(struct MHD_Response *r)
{
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(r, "Content-Security-Policy", HQ_SECURITY_CSP);
}

static enum MHD_Result send_json(struct MHD_Connection *conn, struct hq_api_reply *reply)
{
        char *text = reply->body ? cJSON_PrintUnformatted(reply->body) : NULL;
        unsigned status = text ? reply->status : 500;
        cJSON_Delete(reply->body);
        reply->body = NULL;
        if (!text)
                text = strdup("{\"error\":{\"status\":500,\"reason\":\"out of memory\"}}");
        if (!text)
                return MHD_NO;
        struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(text);
                return MHD_NO;
        }
        add_common_headers(r);
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        if (status == 401)
                MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"shelfwatch-hq\"");
        enum MHD_Result q = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return q;
}

/* ---- bearer tokens -------------------------------------------------------------------- */

/* The token the request's Authorization header names, compared with every configured digest
 * in constant time (all of them, always: the time says nothing about which matched). */
static const struct hq_http_token *authenticate(const struct hq_api *api,
                                                struct MHD_Connection *conn)
{
        const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        uint8_t digest[HQ_HTTP_SHA256_SIZE];
        const struct hq_http_token *found = NULL;
        if (!h || strncasecmp(h, "Bearer ", 7) != 0)
                return NULL;
        h += 7;
        while (*h == ' ')
                h++;
        if (!*h || strlen(h) > 4096 || hq_http_sha256(h, strlen(h), digest) < 0)
                return NULL;
        for (uint32_t i = 0; i < api->cfg.http.n_tokens; i++) {
                uint8_t diff = 0;
                for (size_t k = 0; k < HQ_HTTP_SHA256_SIZE; k++)
                        diff |= (uint8_t)(digest[k] ^ api->cfg.http.tokens[i].sha256[k]);
                if (diff == 0)
                        found = &api->cfg.http.tokens[i];
        }
        return found;
}

/* ---- the dashboard's files ------------------------------------------------------------- */

static const char *content_type(const char *name)
{
        static const struct {
                const char *ext, *type;
        } types[] = {{".html", "text/html; charset=utf-8"},
                     {".css", "text/css; charset=utf-8"},
                     {".js", "text/javascript; charset=utf-8"},
                     {".json", "application/json"},
                     {".svg", "image/svg+xml"},
                     {".png", "image/png"},
                     {".txt", "text/plain; charset=utf-8"}};
        const char *dot = strrchr(name, '.');
        for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(dot, types[i].ext) == 0)
                        return types[i].type;
        return NULL;
}

/* A plain file name of the web root: [a-z0-9_.-], no leading dot, one of the known types. */
static bool file_name_valid(const char *name)
{
        if (!name[0] || name[0] == '.' || strlen(name) > 64 || !content_type(name))
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
                        return false;
        return true;
}

static enum MHD_Result send_file(struct MHD_Connection *conn, const char *path, const char *name)
{
        struct hq_api_reply reply = {0};
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > HQ_FILE_MAX) {
                if (fd >= 0)
                        close(fd);
                hq_api__error(&reply, 404, "no such page: %s", name);
                return send_json(conn, &reply);
        }
        struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        if (!r) {
                close(fd);
                return MHD_NO;
        }
        add_common_headers(r);
        MHD_add_response_header(r, "Content-Type", content_type(name));
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        enum MHD_Result q = MHD_queue_response(conn, 200, r);
        MHD_destroy_response(r);
        return q;
}

static enum MHD_Result serve_static(struct hq_api *api, struct MHD_Connection *conn,
                                    const char *url, const char *method)
{
        struct hq_api_reply reply = {0};
        char path[HQ_HTTP_PATH_SIZE + 80];
        const char *name = strcmp(url, "/") == 0 ? "index.html" : url + 1;
        if (strcmp(method, "GET") != 0) {
                hq_api__error(&reply, 405, "%s: only GET", url);
                return send_json(conn, &reply);
        }
        if (!file_name_valid(name)) {
                hq_api__error(&reply, 404, "no such page");
                return send_json(conn, &reply);
        }
        snprintf(path, sizeof(path), "%s/%s", api->cfg.http.web_root, name);
        return send_file(conn, path, name);
}

/* ---- requests ----------------------------------------------------------------------- */

static int dispatch_api(struct hq_api *api, struct hq_api_request *rq, struct MHD_Connection *conn,
                        const char *url, struct hq_api_reply *ret)
{
        const char *path = url + strlen(HQ_API_PREFIX), *id = NULL;
        const struct route *rt = find_route(path, &id);
        if (!rt)
                return hq_api__error(ret, 404, "no such endpoint: %s", path);
        rq->token = authenticate(api, conn);
        if (!rq->token)
                return hq_api__error(ret, 401,
                                     "a bearer token is required "
                                     "(Authorization: Bearer <token>)");
        if (strcmp(rq->method, rt->method) != 0)
                return hq_api__error(ret, 405, "%s takes %s", path, rt->method);
        if (rq->body_too_large)
                return hq_api__error(ret, 413, "the request body is over %u bytes",
                                     api->cfg.http.max_body_bytes);
        if (!rt->get)
                return hq_api_outcome(api, rq, conn, id, ret);
        return rt->get(api, rq, conn, ret);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        struct hq_api *api = cls;
        struct hq_api_request *rq = *con_cls;
        struct hq_api_reply reply = {0};
        (void)version;
        if (!rq) { /* the headers: set up, refuse an announced oversize body early */
                const char *cl =
                    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
                if (!(rq = calloc(1, sizeof(*rq))))
                        return MHD_NO;
                snprintf(rq->method, sizeof(rq->method), "%s", method);
                if (cl && strtoull(cl, NULL, 10) > api->cfg.http.max_body_bytes)
                        rq->body_too_large = true;
                *con_cls = rq;
                return MHD_YES;
        }
        if (*upload_data_size) { /* a piece of the body */
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (rq->body_too_large || rq->body_len + n > api->cfg.http.max_body_bytes) {
                        rq->body_too_large = true;
                        return MHD_YES;
                }
                char *b = realloc(rq->body, rq->body_len + n + 1);
                if (!b)
                        return MHD_NO;
                memcpy(b + rq->body_len, upload_data, n);
                rq->body = b;
                rq->body_len += n;
                rq->body[rq->body_len] = '\0';
                return MHD_YES;
        }
        if (rq->ready) /* resumed: the gateway answered, or the wait ended */
                return send_json(conn, &rq->done);
        if (strncmp(url, HQ_API_PREFIX "/", strlen(HQ_API_PREFIX) + 1) != 0)
                return serve_static(api, conn, url, method);
        if (strcmp(url, HQ_API_PREFIX "/openapi.json") == 0) {
                if (strcmp(method, "GET") != 0) {
                        hq_api__error(&reply, 405, "openapi.json: only GET");
                        return send_json(conn, &reply);
                }
                return send_file(conn, api->cfg.http.api_doc, "openapi.json");
        }
        if (dispatch_api(api, rq, conn, url, &reply) == 1)
                return MHD_YES; /* suspended until the gateway answers */
        return send_json(conn, &reply);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct hq_api *api = cls;
        struct hq_api_request *rq = *con_cls;
        (void)conn;
        (void)toe;
        if (!rq)
                return;
        hq_api__commands_cancel(api, rq);
        cJSON_Delete(rq->done.body);
        free(rq->body);
        free(rq);
        *con_cls = NULL;
}

/* libmicrohttpd's own messages (bad requests from clients, socket errors), as warnings. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        char line[512];
        (void)cls;
        vsnprintf(line, sizeof(line), fmt, ap);
        line[strcspn(line, "\n")] = '\0';
        sw_log_warning("http: %s", line);
}

/* ---- start, loop, stop ---------------------------------------------------------------- */

static char *read_pem(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf = f ? calloc(1, 65537) : NULL;
        if (buf && fread(buf, 1, 65536, f) == 0) {
                free(buf);
                buf = NULL;
        }
        if (f)
                fclose(f);
        return buf;
}

static int httpd_start(struct hq_api *api)
{
        const struct hq_http_config *h = &api->cfg.http;
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)h->port)};
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h->port)};
        const struct sockaddr *addr = (const struct sockaddr *)&a4;
        unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
        if (inet_pton(AF_INET6, h->listen, &a6.sin6_addr) == 1) {
                addr = (const struct sockaddr *)&a6;
                flags |= MHD_USE_IPv6;
        } else if (inet_pton(AF_INET, h->listen, &a4.sin_addr) != 1) {
                return -EINVAL;
        }
        if (h->tls_cert_file[0]) {
                if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
                        return -EPROTONOSUPPORT;
                api->tls_cert = read_pem(h->tls_cert_file);
                api->tls_key = read_pem(h->tls_key_file);
                if (!api->tls_cert || !api->tls_key)
                        return -ENOENT;
                flags |= MHD_USE_TLS;
        }
        struct MHD_OptionItem opts[] = {
            {MHD_OPTION_SOCK_ADDR, 0, (void *)addr},
            {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)h->max_connections, NULL},
            {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)h->max_connections_per_ip, NULL},
            {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)h->connection_timeout_s, NULL},
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, api},
            {api->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, api->tls_cert},
            {api->tls_key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, api->tls_key},
            {MHD_OPTION_END, 0, NULL}};
        api->httpd = MHD_start_daemon(flags, (uint16_t)h->port, NULL, NULL, on_request, api,
                                      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, api, MHD_OPTION_ARRAY,
                                      opts, MHD_OPTION_END);
        return api->httpd ? 0 : -EADDRNOTAVAIL;
}

static int loop_timeout(struct hq_api *api, uint64_t now)
{
        MHD_UNSIGNED_LONG_LONG mhd_ms = 0;
        uint64_t t = now + 1000;
        if (MHD_get_timeout(api->httpd, &mhd_ms) == MHD_YES && now + mhd_ms < t)
                t = now + mhd_ms;
        uint64_t c = hq_api__commands_expire(api, now);
        if (c < t)
                t = c;
        if (api->mqtt) {
                uint64_t m = sw_mqtt_next_deadline_ms(api->mqtt, now);
                if (m < t)
                        t = m;
        }
        return t <= now ? 0 : (int)(t - now);
}

static void loop_pass(struct hq_api *api)
{
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(api->httpd, MHD_DAEMON_INFO_EPOLL_FD);
        struct pollfd p[3] = {{.fd = api->signal_fd, .events = POLLIN},
                              {.fd = info ? info->epoll_fd : -1, .events = POLLIN},
                              {.fd = -1}};
        if (api->mqtt && sw_mqtt_fd(api->mqtt) >= 0) {
                p[2].fd = sw_mqtt_fd(api->mqtt);
                p[2].events = sw_mqtt_poll_events(api->mqtt);
        }
        if (poll(p, 3, loop_timeout(api, sw_clock_monotonic_ms())) < 0 && errno != EINTR)
                sw_log_err("poll: %s", strerror(errno));
        if (p[0].revents & POLLIN) {
                struct signalfd_siginfo si;
                while (read(api->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                        api->stop = true;
        }
        if (api->mqtt)
                (void)sw_mqtt_service(api->mqtt, p[2].revents, sw_clock_monotonic_ms());
        (void)hq_api__commands_expire(api, sw_clock_monotonic_ms());
        MHD_run(api->httpd);
}

static void api_free(struct hq_api *api)
{
        if (api->httpd)
                MHD_stop_daemon(api->httpd);
        hq_api__commands_close(api);
        PQfinish(api->db);
        if (api->signal_fd >= 0)
                close(api->signal_fd);
        free(api->tls_cert);
        free(api->tls_key);
        free(api);
}

int hq_api_run(const struct hq_config *cfg)
{
        struct hq_api *api = calloc(1, sizeof(*api));
        int r = api ? 0 : -ENOMEM;
        if (r == 0) {
                api->cfg = *cfg;
                /* SIGPIPE blocked: a closed client socket is an EPIPE, not a death. */
                api->signal_fd = sw_signal_fd_open((const int[]){SIGTERM, SIGINT, 0}, true);
                r = api->signal_fd < 0 ? api->signal_fd : 0;
        }
        if (r == 0 && cfg->http.n_tokens == 0)
                sw_log_warning("http.tokens is empty: every API request will be refused (401)");
        if (r == 0 && (r = hq_api__commands_open(api)) < 0)
                sw_log_err("Cannot set up the command link: %s", strerror(-r));
        if (r == 0 && (r = httpd_start(api)) < 0)
                sw_log_err("Cannot serve on %s port %u: %s", cfg->http.listen, cfg->http.port,
                           r == -EPROTONOSUPPORT ? "this libmicrohttpd has no TLS" : strerror(-r));
        if (r < 0) {
                if (api)
                        api_free(api);
                return r;
        }
        sw_log_info("shelfwatch-hq %s serving %s://%s:%u/ (%u tokens)", SW_VERSION,
                    cfg->http.tls_cert_file[0] ? "https" : "http", cfg->http.listen, cfg->http.port,
                    cfg->http.n_tokens);
        sw_notify_ready("serving");
        while (!api->stop)
                loop_pass(api);
        sw_log_info("Stopping");
        sw_notify_stopping();
        hq_api__commands_abort(api);
        MHD_run(api->httpd); /* the resumed requests get their 503 */
        api_free(api);
        return 0;
}
