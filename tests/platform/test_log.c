/* platform/log: journald records (fields, MESSAGE_IDs), the sink, JOURNAL_STREAM detection and
 * the stderr fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>

#include "platform/log.h"
#include "tests/support/test_main.h"

#define MAX_RECORDS 8

/* What the sink received: each record's fields as "KEY=value" lines. */
struct recorded {
        char text[MAX_RECORDS][4096];
        int n;
        int fail; /* the sink returns this */
};

static int record_sink(void *ctx, const struct iovec *iov, size_t n)
{
        struct recorded *r = ctx;
        if (r->fail)
                return r->fail;
        char *t = r->text[r->n++];
        size_t used = 0;
        for (size_t i = 0; i < n; i++)
                used += (size_t)snprintf(t + used, 4096 - used, "%.*s\n", (int)iov[i].iov_len,
                                         (const char *)iov[i].iov_base);
        return 0;
}

/* Field key of rec, or NULL. */
static const char *field(const struct sw_log_record *rec, const char *key, char *buf, size_t size)
{
        size_t k = strlen(key);
        for (size_t i = 0; i < rec->n; i++) {
                const char *f = rec->iov[i].iov_base;
                if (rec->iov[i].iov_len > k && strncmp(f, key, k) == 0 && f[k] == '=') {
                        snprintf(buf, size, "%.*s", (int)(rec->iov[i].iov_len - k - 1), f + k + 1);
                        return buf;
                }
        }
        return NULL;
}

static void test_record_fields(void **state)
{
        struct sw_log_record rec;
        char buf[256];
        (void)state;
        const struct sw_log_fields f = {.event = SW_EVENT_ANOMALY_RAISED,
                                        .anomaly_id = "s1-gs-SKU7-20300",
                                        .sku = "SKU7",
                                        .type = "ghost_stock"};
        assert_int_equal(sw_log_record_format(&rec, SW_LOG_NOTICE, &f, "warning ghost_stock SKU7"),
                         7);
        assert_string_equal(field(&rec, "PRIORITY", buf, sizeof(buf)), "5");
        assert_string_equal(field(&rec, "SYSLOG_IDENTIFIER", buf, sizeof(buf)), "shelfwatchd");
        assert_string_equal(field(&rec, "MESSAGE_ID", buf, sizeof(buf)),
                            sw_log_message_id(SW_EVENT_ANOMALY_RAISED));
        assert_string_equal(field(&rec, "SHELFWATCH_ANOMALY_ID", buf, sizeof(buf)),
                            "s1-gs-SKU7-20300");
        assert_string_equal(field(&rec, "SHELFWATCH_SKU", buf, sizeof(buf)), "SKU7");
        assert_string_equal(field(&rec, "SHELFWATCH_ANOMALY_TYPE", buf, sizeof(buf)),
                            "ghost_stock");
        assert_string_equal(field(&rec, "MESSAGE", buf, sizeof(buf)), "warning ghost_stock SKU7");
        assert_null(field(&rec, "SHELFWATCH_OUTCOME", buf, sizeof(buf))); /* NULL: left out */
        /* No fields at all: priority, identifier and message. */
        assert_int_equal(sw_log_record_format(&rec, SW_LOG_ERR, NULL, "plain"), 3);
        assert_null(field(&rec, "MESSAGE_ID", buf, sizeof(buf)));
        /* iov_len excludes any terminator: journald takes the bytes as they are. */
        assert_int_equal(rec.iov[2].iov_len, strlen("MESSAGE=plain"));
}

static void test_message_ids_are_fixed_and_distinct(void **state)
{
        (void)state;
        assert_string_equal(sw_log_message_id(SW_EVENT_NONE), "");
        assert_string_equal(sw_log_message_id(SW_EVENT_COUNT_APPLIED),
                            "03610e69e12e401fa84d20be5267a312"); /* docs/deploy.md lists it */
        for (int a = 1; a < SW_EVENT_COUNT; a++) {
                const char *id = sw_log_message_id((enum sw_log_event)a);
                assert_int_equal(strlen(id), 32);
                assert_int_equal(strspn(id, "0123456789abcdef"), 32);
                for (int b = a + 1; b < SW_EVENT_COUNT; b++)
                        assert_string_not_equal(id, sw_log_message_id((enum sw_log_event)b));
        }
}

static void test_long_message_is_cut_not_the_fields(void **state)
{
        struct sw_log_record rec;
        char msg[4000], buf[4096];
        (void)state;
        memset(msg, 'x', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        const struct sw_log_fields f = {.event = SW_EVENT_OUTCOME_RECORDED, .sku = "S"};
        sw_log_record_format(&rec, SW_LOG_INFO, &f, msg);
        assert_string_equal(field(&rec, "SHELFWATCH_SKU", buf, sizeof(buf)), "S");
        const char *m = field(&rec, "MESSAGE", buf, sizeof(buf));
        assert_non_null(m);
        assert_true(strlen(m) > 1000 && strlen(m) < sizeof(msg) - 1);
}

static void test_sink_receives_events(void **state)
{
        struct recorded r = {0};
        (void)state;
        sw_log_set_sink(record_sink, &r);
        sw_log_event(SW_LOG_NOTICE,
                     &(struct sw_log_fields){.event = SW_EVENT_COUNT_APPLIED,
                                             .sku = "A",
                                             .device = "t1",
                                             .outcome = "true_positive"},
                     "Count %s of %s applied", "c1", "A");
        sw_log_info("plain %d", 7);
        sw_log_debug("dropped below the level");
        assert_int_equal(r.n, 2);
        assert_non_null(strstr(r.text[0], "MESSAGE_ID=03610e69e12e401fa84d20be5267a312\n"));
        assert_non_null(strstr(r.text[0], "SHELFWATCH_SKU=A\n"));
        assert_non_null(strstr(r.text[0], "SHELFWATCH_DEVICE=t1\n"));
        assert_non_null(strstr(r.text[0], "SHELFWATCH_OUTCOME=true_positive\n"));
        assert_non_null(strstr(r.text[0], "MESSAGE=Count c1 of A applied\n"));
        assert_non_null(strstr(r.text[1], "PRIORITY=6\nSYSLOG_IDENTIFIER=shelfwatchd\n"));
        assert_non_null(strstr(r.text[1], "MESSAGE=plain 7\n"));
        sw_log_set_sink(NULL, NULL);
}

/* fd 2 into a file for the length of a test; returns what was written after restore. */
static int stderr_to(const char *path)
{
        fflush(stderr);
        int saved = dup(2);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        dup2(fileno(f), 2);
        fclose(f);
        return saved;
}

static char *stderr_back(int saved, const char *path)
{
        static char text[4096];
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
        return text;
}

static void test_journal_stream_detection_and_fallback(void **state)
{
        char path[] = "/tmp/sw-test-log-XXXXXX", env[64];
        struct stat st;
        struct recorded r = {.fail = -ECONNREFUSED};
        (void)state;
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        int saved = stderr_to(path);
        assert_int_equal(fstat(2, &st), 0);
        /* Not the journal: no JOURNAL_STREAM, another inode, or turned off by the setting. */
        unsetenv("JOURNAL_STREAM");
        assert_false(sw_log_stderr_is_journal());
        assert_false(sw_log_use_journal(true));
        snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino + 1);
        setenv("JOURNAL_STREAM", env, 1);
        assert_false(sw_log_stderr_is_journal());
        assert_false(sw_log_use_journal(true));
        setenv("JOURNAL_STREAM", "garbage", 1);
        assert_false(sw_log_stderr_is_journal());
        snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", env, 1);
        /* stderr is "the journal" (as systemd sets it). */
        assert_true(sw_log_stderr_is_journal());
        assert_false(sw_log_use_journal(false));
        /* Structured only with journald's socket there (sd_journal_sendv would drop the
         * record silently without it): in a container, plain lines on stderr. */
        bool socket = access("/run/systemd/journal/socket", W_OK) == 0;
        assert_int_equal(sw_log_use_journal(true), socket);
        sw_log_warning("plain line while not structured?");
        /* A sink that fails: the line still goes out, on stderr. */
        sw_log_set_sink(record_sink, &r);
        sw_log_event(SW_LOG_ERR, &(struct sw_log_fields){.event = SW_EVENT_STORAGE_FULL},
                     "Storage full: test");
        sw_log_set_sink(NULL, NULL);
        assert_false(sw_log_use_journal(false));
        sw_log_notice("back to plain");
        unsetenv("JOURNAL_STREAM");
        char *text = stderr_back(saved, path);
        unlink(path);
        assert_non_null(strstr(text, "<3>Storage full: test\n"));
        assert_non_null(strstr(text, "<5>back to plain\n"));
        if (!socket)
                assert_non_null(strstr(text, "<4>plain line while not structured?\n"));
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_message_ids_are_fixed_and_distinct),
        cmocka_unit_test(test_long_message_is_cut_not_the_fields),
        cmocka_unit_test(test_sink_receives_events),
        cmocka_unit_test(test_journal_stream_detection_and_fallback))
/* clang-format on */
