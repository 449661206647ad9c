/* Tests of platform/inbox_file: records, generations, torn tails, CRC damage, full disks. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/inbox_file.h"
#include "tests/support/test_main.h"

#define MAX_SEEN 64

struct seen {
        uint32_t n;                 /* records seen */
        uint64_t gen[MAX_SEEN];     /* their generations */
        uint16_t kind[MAX_SEEN];    /* kinds */
        char topic[MAX_SEEN][64];   /* topics */
        char payload[MAX_SEEN][64]; /* payloads (NUL added here) */
        size_t len[MAX_SEEN];       /* payload lengths */
        int fail_at;                /* return -ECANCELED at this record (1-based), 0 never */
};

static int collect(void *ctx, const struct sw_inbox_record *rec)
{
        struct seen *s = ctx;
        assert_true(s->n < MAX_SEEN);
        if (s->fail_at && (int)s->n + 1 == s->fail_at)
                return -ECANCELED;
        assert_int_equal(strlen(rec->topic), rec->topic_len);
        s->gen[s->n] = rec->generation;
        s->kind[s->n] = rec->kind;
        snprintf(s->topic[s->n], sizeof(s->topic[0]), "%s", rec->topic);
        assert_true(rec->len < sizeof(s->payload[0]));
        memcpy(s->payload[s->n], rec->payload, rec->len);
        s->payload[s->n][rec->len] = '\0';
        s->len[s->n] = rec->len;
        s->n++;
        return 0;
}

struct fixture {
        char dir[64];                   /* mkdtemp directory */
        char path[128];                 /* the inbox file */
        struct sw_inbox_file f;         /* the inbox file under test */
        struct sw_inbox_file_scan scan; /* what the last replay found */
        struct seen s;                  /* the records of the last replay */
};

static int setup(void **state)
{
        struct fixture *fx = calloc(1, sizeof(*fx));
        snprintf(fx->dir, sizeof(fx->dir), "/tmp/sw-inbox-XXXXXX");
        if (!mkdtemp(fx->dir))
                return -1;
        snprintf(fx->path, sizeof(fx->path), "%s/sw.db.inbox", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *fx = *state;
        unlink(fx->path);
        rmdir(fx->dir);
        free(fx);
        return 0;
}

static off_t file_size(const char *path)
{
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        return st.st_size;
}

static void append(struct fixture *fx, uint64_t gen, uint16_t kind, const char *topic,
                   const char *payload)
{
        assert_int_equal(sw_inbox_file_append(&fx->f, gen, kind, topic, payload, strlen(payload)),
                         0);
}

/* Open fx->f and replay everything after `after` into fx->s (emptied first) and fx->scan. */
static int reopen(struct fixture *fx, uint64_t after)
{
        assert_int_equal(sw_inbox_file_open(&fx->f, fx->path), 0);
        int fail_at = fx->s.fail_at;
        memset(&fx->s, 0, sizeof(fx->s)); /* no record of the last replay left in a slot */
        fx->s.fail_at = fail_at;
        return sw_inbox_file_replay(&fx->f, after, collect, &fx->s, &fx->scan);
}

static void test_crc32c_check_value(void **state)
{
        struct sw_inbox_file f;
        struct fixture *fx = *state;
        assert_int_equal(sw_inbox_file_open(&f, fx->path), 0);
        /* The standard check value of CRC-32C, and chaining equals one pass. */
        assert_int_equal(sw_inbox_file_crc(&f, 0, "123456789", 9), 0xe3069283u);
        assert_int_equal(sw_inbox_file_crc(&f, sw_inbox_file_crc(&f, 0, "1234", 4), "56789", 5),
                         0xe3069283u);
        /* RFC 3720 B.4 vectors: 32 bytes of zeros, of ones; eight at a time and split oddly. */
        uint8_t buf[32];
        memset(buf, 0, sizeof(buf));
        assert_int_equal(sw_inbox_file_crc(&f, 0, buf, 32), 0x8a9136aau);
        assert_int_equal(sw_inbox_file_crc(&f, sw_inbox_file_crc(&f, 0, buf, 3), buf + 3, 29),
                         0x8a9136aau);
        memset(buf, 0xff, sizeof(buf));
        assert_int_equal(sw_inbox_file_crc(&f, 0, buf, 32), 0x62a8ab43u);
        for (int i = 0; i < 32; i++)
                buf[i] = (uint8_t)i;
        assert_int_equal(sw_inbox_file_crc(&f, 0, buf, 32), 0x46dd794eu);
        sw_inbox_file_close(&f);
}

static void test_round_trip_and_generations(void **state)
{
        struct fixture *fx = *state;
        assert_int_equal(reopen(fx, 0), 0);
        assert_int_equal(fx->scan.records, 0);
        append(fx, 1, 0, "r/t/s/pos/reg1", "{\"a\":1}");
        append(fx, 1, 3, "r/t/s/scanner/s1/count", "");
        append(fx, 2, 1, "r/t/s/shelf/x", "payload two");
        append(fx, 3, 2, "t", "3");
        assert_int_equal(sw_inbox_file_sync(&fx->f), 0);
        assert_int_equal(sw_inbox_file_sync(&fx->f), 0); /* nothing new: no-op */
        assert_null(sw_inbox_file_close(&fx->f));
        assert_null(sw_inbox_file_close(NULL));

        /* Everything after generation 0. */
        assert_int_equal(reopen(fx, 0), 4);
        assert_int_equal(fx->scan.records, 4);
        assert_int_equal(fx->scan.max_generation, 3);
        assert_int_equal(fx->scan.cut_bytes, 0);
        assert_string_equal(fx->s.topic[0], "r/t/s/pos/reg1");
        assert_string_equal(fx->s.payload[0], "{\"a\":1}");
        assert_int_equal(fx->s.kind[1], 3);
        assert_int_equal(fx->s.len[1], 0);
        assert_string_equal(fx->s.payload[2], "payload two");
        assert_int_equal(fx->s.gen[3], 3);
        sw_inbox_file_close(&fx->f);

        /* Generation 1 was committed: only 2 and 3 come back, in order. */
        assert_int_equal(reopen(fx, 1), 2);
        assert_int_equal(fx->scan.records, 4);
        assert_int_equal(fx->scan.replayed, 2);
        assert_int_equal(fx->s.gen[0], 2);
        assert_int_equal(fx->s.gen[1], 3);
        /* Appends continue after the good records. */
        append(fx, 4, 0, "t", "4");
        sw_inbox_file_close(&fx->f);
        assert_int_equal(reopen(fx, 3), 1);
        assert_string_equal(fx->s.payload[0], "4");

        /* Emptied after a durable commit: nothing left, and new records come back alone. */
        assert_int_equal(sw_inbox_file_truncate(&fx->f), 0);
        assert_int_equal(file_size(fx->path), 0);
        append(fx, 5, 0, "t", "5");
        sw_inbox_file_close(&fx->f);
        assert_int_equal(reopen(fx, 0), 1);
        assert_int_equal(fx->s.gen[0], 5);
        sw_inbox_file_close(&fx->f);
}

/* A record whose message was undone is cut off and never replayed; appends go on after the rest. */
static void test_cut_to_drops_the_last_record(void **state)
{
        struct fixture *fx = *state;
        assert_int_equal(reopen(fx, 0), 0);
        append(fx, 1, 0, "t", "kept");
        uint64_t before = fx->f.size;
        append(fx, 1, 5, "t", "undone");
        assert_int_equal(sw_inbox_file_cut_to(&fx->f, fx->f.size + 1), -EINVAL);
        assert_int_equal(sw_inbox_file_cut_to(&fx->f, before), 0);
        assert_int_equal(file_size(fx->path), (off_t)before);
        append(fx, 1, 0, "t", "next");
        sw_inbox_file_close(&fx->f);
        assert_int_equal(reopen(fx, 0), 2);
        assert_string_equal(fx->s.payload[0], "kept");
        assert_string_equal(fx->s.payload[1], "next");
        sw_inbox_file_close(&fx->f);
}

/* Every possible torn length of the last record: the earlier ones replay, the tail is cut, and
 * the next record is readable after them. */
static void test_torn_tail_every_length(void **state)
{
        struct fixture *fx = *state;
        assert_int_equal(reopen(fx, 0), 0);
        append(fx, 1, 0, "a/b", "first");
        append(fx, 1, 0, "a/b", "second");
        off_t good = file_size(fx->path);
        append(fx, 1, 0, "a/b/c", "the torn one");
        off_t full = file_size(fx->path);
        sw_inbox_file_close(&fx->f);
        for (off_t cut = good; cut < full; cut++) {
                assert_int_equal(truncate(fx->path, cut), 0);
                assert_int_equal(reopen(fx, 0), 2);
                assert_int_equal(fx->scan.cut_bytes, (uint64_t)(cut - good));
                assert_int_equal(file_size(fx->path), good);
                assert_string_equal(fx->s.payload[1], "second");
                sw_inbox_file_close(&fx->f);
        }
        assert_int_equal(reopen(fx, 0), 2);
        append(fx, 2, 0, "a/b", "after the cut");
        sw_inbox_file_close(&fx->f);
        assert_int_equal(reopen(fx, 0), 3);
        assert_string_equal(fx->s.payload[2], "after the cut");
        sw_inbox_file_close(&fx->f);
}

static void flip_byte(const char *path, off_t at)
{
        int fd = open(path, O_RDWR);
        uint8_t b;
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, &b, 1, at), 1);
        b ^= 0x20;
        assert_int_equal(pwrite(fd, &b, 1, at), 1);
        close(fd);
}

/* A damaged record (payload, header, magic, length) ends the replay there. */
static void test_crc_damage_stops_replay(void **state)
{
        struct fixture *fx = *state;
        /* offsets inside the second record: magic, length, generation, kind, crc, topic, payload */
        const off_t inside[] = {0, 5, 9, 16, 21, 24, 28};
        for (size_t k = 0; k < sizeof(inside) / sizeof(inside[0]); k++) {
                unlink(fx->path);
                assert_int_equal(reopen(fx, 0), 0);
                append(fx, 7, 0, "x/y", "one");
                off_t second = file_size(fx->path);
                append(fx, 7, 0, "x/y", "two two");
                append(fx, 7, 0, "x/y", "three");
                sw_inbox_file_close(&fx->f);
                flip_byte(fx->path, second + inside[k]);
                assert_int_equal(reopen(fx, 0), 1);
                assert_string_equal(fx->s.payload[0], "one");
                assert_int_equal(fx->scan.records, 1);
                assert_int_equal(file_size(fx->path), second);
                sw_inbox_file_close(&fx->f);
        }
}

static void test_callback_error_and_bad_arguments(void **state)
{
        struct fixture *fx = *state;
        char big[70000];

        fx->s.fail_at = 2;
        assert_int_equal(reopen(fx, 0), 0);
        append(fx, 1, 0, "t", "a");
        append(fx, 1, 0, "t", "b");
        sw_inbox_file_close(&fx->f);
        assert_int_equal(reopen(fx, 0), -ECANCELED);
        assert_int_equal(sw_inbox_file_append(&fx->f, 1, 0, NULL, "x", 1), -EINVAL);
        assert_int_equal(sw_inbox_file_append(&fx->f, 1, 0, "t", NULL, 1), -EINVAL);
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(sw_inbox_file_append(&fx->f, 1, 0, big, "x", 1), -EINVAL);
        sw_inbox_file_close(&fx->f);
        assert_int_equal(sw_inbox_file_append(&fx->f, 1, 0, "t", "x", 1), -EINVAL);
        assert_int_equal(sw_inbox_file_sync(&fx->f), -EINVAL);
        assert_int_equal(sw_inbox_file_replay(&fx->f, 0, collect, &fx->s, NULL), -EINVAL);
        assert_int_equal(sw_inbox_file_open(&fx->f, "/nonexistent-dir/x.inbox"), -ENOENT);
}

/* A device that is always full: the append fails with -ENOSPC and adds nothing. */
static void test_enospc(void **state)
{
        struct sw_inbox_file f;
        struct seen s = {0};
        (void)state;
        if (access("/dev/full", W_OK) != 0)
                skip();
        assert_int_equal(sw_inbox_file_open(&f, "/dev/full"), 0);
        assert_int_equal(sw_inbox_file_replay(&f, 0, collect, &s, NULL), 0);
        assert_int_equal(sw_inbox_file_append(&f, 1, 0, "t", "payload", 7), -ENOSPC);
        assert_int_equal(f.size, 0);
        assert_int_equal(sw_inbox_file_append(&f, 1, 0, "t", "payload", 7), -ENOSPC);
        sw_inbox_file_close(&f);
}

/* A file size limit reached in the middle of a record (a partial write, then -EFBIG): the
 * partial record is cut off, and once there is room again appends go on after the good ones. */
static void test_partial_write_is_cut(void **state)
{
        struct fixture *fx = *state;
        struct rlimit old, lim;
        assert_int_equal(reopen(fx, 0), 0);
        append(fx, 1, 0, "t", "fits");
        off_t good = file_size(fx->path);
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, SIG_IGN);
        lim = old;
        lim.rlim_cur = (rlim_t)good + 30; /* header and part of the next record */
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        int r = sw_inbox_file_append(&fx->f, 1, 0, "t", "this record does not fit", 24);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        assert_int_equal(r, -EFBIG);
        assert_int_equal(file_size(fx->path), good);
        assert_int_equal(fx->f.size, (uint64_t)good);
        append(fx, 2, 0, "t", "room again");
        sw_inbox_file_close(&fx->f);
        assert_int_equal(reopen(fx, 0), 2);
        assert_string_equal(fx->s.payload[1], "room again");
        assert_int_equal(fx->scan.cut_bytes, 0);
        sw_inbox_file_close(&fx->f);
}

/* Garbage that is not a record at all (a length beyond the file) is a torn tail too. */
static void test_impossible_length(void **state)
{
        struct fixture *fx = *state;
        uint8_t junk[SW_INBOX_FILE_HEADER] = {0x53, 0x57, 0x49, 0x31, 0xff, 0xff, 0xff, 0x7f};
        assert_int_equal(reopen(fx, 0), 0);
        append(fx, 1, 0, "t", "ok");
        off_t good = file_size(fx->path);
        sw_inbox_file_close(&fx->f);
        int fd = open(fx->path, O_WRONLY | O_APPEND);
        assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
        close(fd);
        assert_int_equal(reopen(fx, 0), 1);
        assert_int_equal(fx->scan.cut_bytes, sizeof(junk));
        assert_int_equal(file_size(fx->path), good);
        sw_inbox_file_close(&fx->f);
}

/* One daemon per database: a second open of the same file is refused while the first holds it,
 * and allowed once it is closed. */
static void test_second_open_is_busy(void **state)
{
        struct fixture *fx = *state;
        struct sw_inbox_file a, b;
        assert_int_equal(sw_inbox_file_open(&a, fx->path), 0);
        assert_int_equal(sw_inbox_file_open(&b, fx->path), -EBUSY);
        assert_int_equal(b.fd, -1);
        sw_inbox_file_close(&a);
        assert_int_equal(sw_inbox_file_open(&b, fx->path), 0);
        sw_inbox_file_close(&b);
}

/* clang-format off */
SW_TEST_MAIN(
        SW_TEST_FRESH(test_crc32c_check_value),
        SW_TEST_FRESH(test_round_trip_and_generations),
        SW_TEST_FRESH(test_torn_tail_every_length),
        SW_TEST_FRESH(test_crc_damage_stops_replay),
        SW_TEST_FRESH(test_callback_error_and_bad_arguments),
        SW_TEST_FRESH(test_enospc),
        SW_TEST_FRESH(test_partial_write_is_cut),
        SW_TEST_FRESH(test_impossible_length),
        SW_TEST_FRESH(test_cut_to_drops_the_last_record),
        SW_TEST_FRESH(test_second_open_is_busy))
/* clang-format on */
