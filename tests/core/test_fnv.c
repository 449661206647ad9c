/* core/fnv.h against the published FNV-1a test vectors: SKU tables, tuning blobs' checksums and
 * dedup ids are persisted with these values, so they must never change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fnv.h"
#include "tests/support/test_main.h"

static void test_fnv1a32_vectors(void **state)
{
        (void)state;
        assert_true(sw_fnv1a32("", 0) == 0x811c9dc5u);
        assert_true(sw_fnv1a32("a", 1) == 0xe40c292cu);
        assert_true(sw_fnv1a32("foobar", 6) == 0xbf9cf968u);
        /* Bytes above 0x7f are taken unsigned (a plain char is signed on x86, not on armhf). */
        assert_true(sw_fnv1a32("\xff", 1) == ((0x811c9dc5u ^ 0xffu) * 16777619u));
}

static void test_fnv1a64_vectors(void **state)
{
        (void)state;
        assert_true(sw_fnv1a64("", 0) == 0xcbf29ce484222325ull);
        assert_true(sw_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
        assert_true(sw_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
        assert_true(sw_fnv1a64("\xff", 1) == ((0xcbf29ce484222325ull ^ 0xffu) * 1099511628211ull));
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_fnv1a32_vectors),
        cmocka_unit_test(test_fnv1a64_vectors))
/* clang-format on */
