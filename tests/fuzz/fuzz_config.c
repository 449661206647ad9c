/* libFuzzer harness: the configuration loader (sw_config_load over libconfig). */
/*
 * Each input is the whole text of a configuration file. It is written to a file in a
 * private directory under /dev/shm (or $TMPDIR), so that an @include resolves in there,
 * and loaded. The loader must never crash; beyond the sanitizers the harness checks the
 * documented contract: a failure is -errno with a one-line message and *ret untouched; a
 * success respects the bounds that the daemon sizes its memory and topics from, and every
 * integer setting loaded agrees with what libconfig itself read from the file (the loader
 * re-reads integer literals from the source line to catch libconfig's 32-bit wrap-around;
 * the value it takes must be the one libconfig wrapped, not another text on that line).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "platform/config.h"
#include "tests/fuzz/fuzz_common.h"

static char dir[256];               /* private directory for the input file */
static char path[300];              /* dir + "/shelfwatch.conf" */
static struct sw_config *cfg;       /* output of the loader */
static struct sw_config *untouched; /* what *cfg held before a failing load */

static void cleanup(void)
{
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

        (void)argc;
        (void)argv;
        snprintf(dir, sizeof(dir), "%s/sw-fuzz-config-XXXXXX", base ? base : "/tmp");
        FUZZ_CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/shelfwatch.conf", dir);
        atexit(cleanup);
        cfg = calloc(1, sizeof(*cfg));
        untouched = calloc(1, sizeof(*untouched));
        FUZZ_CHECK(cfg && untouched);
        memset(untouched, 0xa5, sizeof(*untouched));
        return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        FUZZ_CHECK(fd >= 0);
        while (size > 0) {
                ssize_t n = write(fd, data, size);

                FUZZ_CHECK(n > 0);
                data += n;
                size -= (size_t)n;
        }
        FUZZ_CHECK(close(fd) == 0);
}

static void check_str(const char *s, size_t size, bool nonempty)
{
        size_t n = strnlen(s, size);

        FUZZ_CHECK(n < size);
        if (nonempty)
                FUZZ_CHECK(n > 0);
}

static void check_broker(const struct sw_config_broker *b)
{
        check_str(b->host, sizeof(b->host), false);
        check_str(b->client_id, sizeof(b->client_id), true);
        check_str(b->username, sizeof(b->username), false);
        check_str(b->password, sizeof(b->password), false);
        FUZZ_CHECK(b->port >= 1);
        FUZZ_CHECK(b->reconnect_min_ms <= b->reconnect_max_ms);
        FUZZ_CHECK(b->password[0] == '\0' || b->username[0] != '\0');
        if (b->tls.enabled) {
                check_str(b->tls.ca_file, sizeof(b->tls.ca_file), true);
                check_str(b->tls.cert_file, sizeof(b->tls.cert_file), false);
                check_str(b->tls.key_file, sizeof(b->tls.key_file), false);
                FUZZ_CHECK((b->tls.cert_file[0] == '\0') == (b->tls.key_file[0] == '\0'));
        }
}

static void check_loaded(const struct sw_config *c)
{
        const struct sw_config_store *s = &c->store;

        check_str(s->root, sizeof(s->root), true);
        check_str(s->tenant, sizeof(s->tenant), true);
        check_str(s->id, sizeof(s->id), true);
        check_str(s->timezone, sizeof(s->timezone), true);
        FUZZ_CHECK(s->n_holidays <= SW_CONFIG_MAX_HOLIDAYS);
        for (uint32_t i = 1; i < s->n_holidays; i++)
                FUZZ_CHECK(s->holidays[i - 1] < s->holidays[i]);
        for (int w = 0; w < 7; w++) {
                const struct sw_config_hours *h = &s->opening_hours[w];

                if (!h->closed)
                        FUZZ_CHECK(h->open_min < h->close_min && h->close_min <= 1440);
        }
        check_broker(&c->broker);
        if (c->hq_enabled) {
                check_broker(&c->hq);
                FUZZ_CHECK(c->hq.host[0] != '\0');
        }
        check_str(c->storage.path, sizeof(c->storage.path), false);
        FUZZ_CHECK(c->limits.max_skus >= 1 && c->limits.history_days >= 1);
        FUZZ_CHECK(c->limits.max_payload_bytes >= 1 && c->limits.max_items_per_message >= 1);
        FUZZ_CHECK(c->limits.dedup_ids >= 1 && c->limits.max_categories >= 1);
        FUZZ_CHECK(c->detectors.schedule_min < 1440);
        FUZZ_CHECK(c->detectors.ghost.params.max_run_days <= c->limits.history_days);
        FUZZ_CHECK(c->detectors.ghost.params.seed_lookback_days <= c->limits.history_days);
        FUZZ_CHECK(c->detectors.ghost.params.seed_min_low_days <=
                   c->detectors.ghost.params.seed_lookback_days);
        FUZZ_CHECK(c->detectors.ghost.params.warning_probability <=
                   c->detectors.ghost.params.critical_probability);
        FUZZ_CHECK(c->detectors.ml.warning_sigma <= c->detectors.ml.critical_sigma);
}

/* An integer setting: its path and where sw_config_load() puts it. */
struct int_setting {
        const char *path; /* libconfig path */
        size_t offset;    /* offset in struct sw_config */
        size_t size;      /* 2, 4 or 8 bytes, unsigned */
};

#define INT_SETTING(path, member)                                                                  \
        {                                                                                          \
                path, offsetof(struct sw_config, member), sizeof(((struct sw_config *)0)->member)  \
        }

static const struct int_setting int_settings[] = {
    INT_SETTING("broker.port", broker.port),
    INT_SETTING("broker.keepalive", broker.keepalive),
    INT_SETTING("broker.reconnect_min_ms", broker.reconnect_min_ms),
    INT_SETTING("broker.reconnect_max_ms", broker.reconnect_max_ms),
    INT_SETTING("storage.commit_interval_ms", storage.commit_interval_ms),
    INT_SETTING("storage.cache_kib", storage.cache_kib),
    INT_SETTING("limits.max_skus", limits.max_skus),
    INT_SETTING("limits.history_days", limits.history_days),
    INT_SETTING("limits.max_payload_bytes", limits.max_payload_bytes),
    INT_SETTING("limits.max_items_per_message", limits.max_items_per_message),
    INT_SETTING("limits.dedup_ids", limits.dedup_ids),
    INT_SETTING("limits.max_categories", limits.max_categories),
    INT_SETTING("limits.max_shelf_skus", limits.max_shelf_skus),
    INT_SETTING("limits.max_fast_skus", limits.max_fast_skus),
    INT_SETTING("log.max_findings_per_run", log.max_findings_per_run),
    INT_SETTING("limits.max_open_anomalies", limits.max_open_anomalies),
    INT_SETTING("limits.max_future_seconds", limits.max_future_seconds),
    INT_SETTING("limits.outbox_inflight", limits.outbox_inflight),
    INT_SETTING("limits.outbox_max_rows", limits.outbox_max_rows),
    INT_SETTING("detectors.ml.trees", detectors.ml.trees),
    INT_SETTING("detectors.ml.seed", detectors.ml.seed),
};

static uint64_t loaded_uint(const struct sw_config *c, const struct int_setting *f)
{
        const char *p = (const char *)c + f->offset;
        uint16_t v16;
        uint32_t v32;
        uint64_t v64;

        switch (f->size) {
        case 2:
                memcpy(&v16, p, 2);
                return v16;
        case 4:
                memcpy(&v32, p, 4);
                return v32;
        default:
                memcpy(&v64, p, 8);
                return v64;
        }
}

/* Read the file with libconfig alone and compare each integer it holds with what the
 * loader took: equal, or, for a 32-bit setting, equal after libconfig's wrap-around. */
static void check_integers_agree(const struct sw_config *c)
{
        config_t lc;

        config_init(&lc);
        config_set_include_dir(&lc, dir);
        FUZZ_CHECK(config_read_file(&lc, path) == CONFIG_TRUE);
        for (size_t i = 0; i < sizeof(int_settings) / sizeof(int_settings[0]); i++) {
                const config_setting_t *s = config_lookup(&lc, int_settings[i].path);
                uint64_t got = loaded_uint(c, &int_settings[i]);
                long long lib;

                if (!s)
                        continue;
                lib = config_setting_get_int64(s);
                if (config_setting_type(s) == CONFIG_TYPE_INT64)
                        FUZZ_CHECK(got == (uint64_t)lib);
                else if (config_setting_type(s) == CONFIG_TYPE_INT)
                        FUZZ_CHECK((uint32_t)got == (uint32_t)lib);
        }
        config_destroy(&lc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[512];
        int r;

        write_input(data, size);
        memset(cfg, 0xa5, sizeof(*cfg));
        r = sw_config_load(path, cfg, err, sizeof(err));
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        if (r < 0) {
                FUZZ_CHECK(r > -4096);
                FUZZ_CHECK(err[0] != '\0');
                FUZZ_CHECK(strchr(err, '\n') == NULL);
                FUZZ_CHECK(memcmp(cfg, untouched, sizeof(*cfg)) == 0);
                return 0;
        }
        FUZZ_CHECK(r == 0);
        check_loaded(cfg);
        check_integers_agree(cfg);
        return 0;
}
