/* Unit tests of the per-device token buckets (core/rate_limit). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/rate_limit.h"
#include "tests/support/test_main.h"

#define MAX_DEVICES 8

static uint64_t memory[4096]; /* more than 16 slots need */

static void init(struct sw_rate_limiter *r, uint32_t rate, uint32_t burst, uint32_t devices)
{
        struct sw_rate_params p = {.rate_per_second = rate, .burst = burst, .max_devices = devices};
        assert_true(sw_rate_memory_size(&p) <= sizeof(memory));
        assert_int_equal(sw_rate_init(r, &p, memory, sizeof(memory)), 0);
}

/* Offer n messages of device dev of kind `kind` at now; how many passed. */
static int take_kind(struct sw_rate_limiter *r, uint8_t kind, const char *dev, int n, uint64_t now)
{
        int ok = 0;
        for (int i = 0; i < n; i++)
                ok += sw_rate_allow(r, kind, dev, strlen(dev), now);
        return ok;
}

static int take(struct sw_rate_limiter *r, const char *dev, int n, uint64_t now)
{
        return take_kind(r, 0, dev, n, now);
}

/* A limiter of 1 a second, burst 3, its table full: devices <prefix>0 .. <prefix>7 each offered
 * n messages (device i at i x spacing ms), and each got `passed` through. */
static void init_full_table(struct sw_rate_limiter *r, const char *prefix, int n, uint64_t spacing,
                            int passed)
{
        char name[32];
        init(r, 1, 3, MAX_DEVICES);
        for (int i = 0; i < MAX_DEVICES; i++) {
                snprintf(name, sizeof(name), "%s%d", prefix, i);
                int got = take(r, name, n, (uint64_t)i * spacing);
                if (got != passed)
                        fail_msg("device %s: %d of %d passed, want %d", name, got, n, passed);
        }
}

static void test_init_checks_params_and_size(void **state)
{
        struct sw_rate_limiter r;
        struct sw_rate_params p = {.rate_per_second = 10, .burst = 20, .max_devices = MAX_DEVICES};
        (void)state;
        assert_int_equal(sw_rate_memory_size(&p),
                         MAX_DEVICES * sizeof(struct sw_rate_bucket) + 16 * sizeof(uint32_t));
        assert_int_equal(sw_rate_init(&r, &p, memory, sw_rate_memory_size(&p) - 1), -ENOBUFS);
        assert_int_equal(sw_rate_init(&r, &p, memory, sw_rate_memory_size(&p)), 0);
        p.rate_per_second = 0;
        assert_int_equal(sw_rate_memory_size(&p), 0);
        assert_int_equal(sw_rate_init(&r, &p, memory, sizeof(memory)), -EINVAL);
        p = (struct sw_rate_params){.rate_per_second = 1, .burst = 0, .max_devices = 1};
        assert_int_equal(sw_rate_init(&r, &p, memory, sizeof(memory)), -EINVAL);
        p = (struct sw_rate_params){.rate_per_second = 1, .burst = 1, .max_devices = 0};
        assert_int_equal(sw_rate_init(&r, &p, memory, sizeof(memory)), -EINVAL);
        assert_int_equal(sw_rate_init(NULL, &p, memory, sizeof(memory)), -EINVAL);
}

static void test_burst_then_refill_at_rate(void **state)
{
        struct sw_rate_limiter r;
        (void)state;
        init(&r, 10, 20, MAX_DEVICES);
        /* A new device starts with a full bucket: exactly burst messages pass at once. */
        assert_int_equal(take(&r, "pos1", 25, 1000), 20);
        assert_int_equal(r.limited, 5);
        /* 10 per second: after 99 ms not one whole token, after 100 ms one. */
        assert_int_equal(take(&r, "pos1", 1, 1099), 0);
        assert_int_equal(take(&r, "pos1", 1, 1100), 1);
        /* Partial refills add up: 3 x 50 ms = 1.5 tokens (0.99 was left from before). */
        assert_int_equal(take(&r, "pos1", 1, 1150), 0);
        assert_int_equal(take(&r, "pos1", 1, 1200), 1);
        /* A long quiet spell refills to burst, not beyond. */
        assert_int_equal(take(&r, "pos1", 30, 1000000), 20);
        /* A clock going backwards refills nothing. */
        assert_int_equal(take(&r, "pos1", 1, 500), 0);
}

static void test_sustained_rate_is_exact(void **state)
{
        struct sw_rate_limiter r;
        int passed = 0;
        (void)state;
        init(&r, 200, 400, MAX_DEVICES);
        /* 10 s of 1000 messages per second (one per ms): burst + rate x 10 s pass. */
        for (uint64_t t = 0; t < 10000; t++)
                passed += take(&r, "flood", 1, t);
        assert_int_equal(passed, 400 + 200 * 10 - 1); /* the refill of the last ms is unused */
}

static void test_devices_are_independent(void **state)
{
        struct sw_rate_limiter r;
        (void)state;
        init(&r, 1, 5, MAX_DEVICES);
        assert_int_equal(take(&r, "flood", 100, 0), 5);
        /* The flood does not touch another device's bucket. */
        assert_int_equal(take(&r, "quiet", 5, 0), 5);
        assert_int_equal(take(&r, "quiet", 1, 0), 0);
        /* Names are compared whole: a prefix is another device. */
        assert_int_equal(take(&r, "flo", 5, 0), 5);
        assert_int_equal(sw_rate_allow(&r, 0, "flood2", 5, 0), false); /* = "flood" (5 bytes) */
        assert_int_equal(r.devices, 3);
}

static void test_devices_beyond_the_table_share_the_overflow_bucket(void **state)
{
        struct sw_rate_limiter r;
        (void)state;
        init_full_table(&r, "dev", 1, 0, 1);
        assert_int_equal(r.devices, MAX_DEVICES);
        /* A thousand made-up names: no slot is taken, all draw on one bucket of 3. */
        int passed = 0;
        for (int i = 0; i < 1000; i++) {
                char name[32];
                snprintf(name, sizeof(name), "fake%d", i);
                passed += take(&r, name, 1, 0);
        }
        assert_int_equal(passed, 3);
        assert_int_equal(r.devices, MAX_DEVICES);
        assert_int_equal(r.overflow_hits, 1000);
        /* Known devices keep their own buckets (2 tokens left each). */
        assert_int_equal(take(&r, "dev0", 3, 0), 2);
        assert_int_equal(take(&r, "dev7", 3, 0), 2);
        /* The overflow bucket refills like the others. */
        assert_int_equal(take(&r, "fake1", 5, 3000), 3);
}

/* The same name under two kinds is two devices: a flood on pos/hh-3 leaves scanner/hh-3 alone. */
static void test_kinds_are_independent(void **state)
{
        struct sw_rate_limiter r;
        (void)state;
        init(&r, 1, 5, MAX_DEVICES);
        assert_int_equal(take_kind(&r, 0, "hh-3", 100, 0), 5);
        assert_int_equal(take_kind(&r, 5, "hh-3", 5, 0), 5);
        assert_int_equal(take_kind(&r, 5, "hh-3", 1, 0), 0);
        assert_int_equal(r.devices, 2);
}

/* Made-up names that went quiet do not keep a real device out: their buckets refilled, so the
 * least recently used one is handed over, and the new device has a whole bucket of its own. */
static void test_idle_buckets_are_reused_least_recent_first(void **state)
{
        struct sw_rate_limiter r;
        (void)state;
        init_full_table(&r, "junk", 1, 1, 1);
        /* junk1..junk7 refilled by 2000 ms; junk0 is used again, so it is the newest. */
        assert_int_equal(take(&r, "junk0", 1, 2000), 1);
        /* The flooder on the overflow bucket is not where the real device lands. */
        assert_int_equal(take(&r, "real", 3, 5000), 3);
        assert_int_equal(take(&r, "real", 1, 5000), 0);
        assert_int_equal(r.overflow_hits, 0);
        assert_int_equal(r.reused, 1);
        assert_int_equal(r.devices, MAX_DEVICES);
        /* junk1 was the least recently used: it lost its bucket, the others kept theirs. */
        assert_int_equal(take(&r, "junk0", 3, 5000), 3);
        assert_int_equal(take(&r, "junk1", 3, 5000), 3);
        assert_int_equal(r.reused, 2);
        /* Every name is still found: the index survived the removals. */
        for (int i = 2; i < MAX_DEVICES; i++) {
                char name[32];
                snprintf(name, sizeof(name), "junk%d", i);
                if (i == 2)
                        continue; /* junk2 made room for junk1 */
                assert_int_equal(take(&r, name, 3, 5000), 3);
        }
        assert_int_equal(r.reused, 2);
}

/* A bucket that still owes tokens is not taken over: rotating names cannot reset a flood. */
static void test_busy_buckets_are_kept(void **state)
{
        struct sw_rate_limiter r;
        (void)state;
        init_full_table(&r, "busy", 5, 0, 3);
        assert_int_equal(take(&r, "new", 1, 100), 1); /* the overflow bucket */
        assert_int_equal(r.overflow_hits, 1);
        assert_int_equal(r.reused, 0);
        assert_int_equal(take(&r, "busy0", 1, 100), 0);
}

/* A flood under ever new names gets new buckets at most rate a second (plus the overflow
 * bucket), not a bucket per name. */
static void test_rotating_names_are_bounded(void **state)
{
        struct sw_rate_limiter r;
        char name[32];
        int passed = 0;
        (void)state;
        init(&r, 10, 100, MAX_DEVICES);
        for (uint64_t t = 0; t < 10000; t++) {
                snprintf(name, sizeof(name), "n%llu", (unsigned long long)t);
                passed += take(&r, name, 1, t);
        }
        /* grants: 8 + 10 x 10 s; overflow: 100 + 10 x 10 s */
        assert_true(passed <= MAX_DEVICES + 100 + 100 + 100 + 2);
        assert_true(passed >= 100);
}

static void test_long_names_are_cut(void **state)
{
        struct sw_rate_limiter r;
        char a[200], b[200];
        (void)state;
        init(&r, 1, 2, MAX_DEVICES);
        memset(a, 'x', sizeof(a));
        memcpy(b, a, sizeof(b));
        b[150] = 'y'; /* differs only after SW_RATE_DEVICE_MAX_LEN bytes: the same device */
        assert_true(sw_rate_allow(&r, 0, a, sizeof(a), 0));
        assert_true(sw_rate_allow(&r, 0, b, sizeof(b), 0));
        assert_false(sw_rate_allow(&r, 0, a, sizeof(a), 0));
        assert_int_equal(r.devices, 1);
        /* An empty name is a device too. */
        assert_true(sw_rate_allow(&r, 0, NULL, 0, 0));
        assert_int_equal(r.devices, 2);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_init_checks_params_and_size),
        cmocka_unit_test(test_burst_then_refill_at_rate),
        cmocka_unit_test(test_sustained_rate_is_exact),
        cmocka_unit_test(test_devices_are_independent),
        cmocka_unit_test(test_devices_beyond_the_table_share_the_overflow_bucket),
        cmocka_unit_test(test_kinds_are_independent),
        cmocka_unit_test(test_idle_buckets_are_reused_least_recent_first),
        cmocka_unit_test(test_busy_buckets_are_kept),
        cmocka_unit_test(test_rotating_names_are_bounded),
        cmocka_unit_test(test_long_names_are_cut))
/* clang-format on */
