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

/* The published vectors: each input with its 32- and 64-bit hash. */
static const struct {
        const char *in; /* the bytes hashed */
        size_t len;     /* their count */
        uint32_t h32;   /* sw_fnv1a32's value */
        uint64_t h64;   /* sw_fnv1a64's value */
} vectors[] = {
    {"", 0, 0x811c9dc5u, 0xcbf29ce484222325ull},
    {"a", 1, 0xe40c292cu, 0xaf63dc4c8601ec8cull},
    {"foobar", 6, 0xbf9cf968u, 0x85944171f73967e8ull},
    /* Bytes above 0x7f are taken unsigned (a plain char is signed on x86, not on armhf). */
    {"\xff", 1, (0x811c9dc5u ^ 0xffu) * 16777619u,
     (0xcbf29ce484222325ull ^ 0xffu) * 1099511628211ull},
};

static void test_fnv1a32_vectors(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
                if (sw_fnv1a32(vectors[i].in, vectors[i].len) != vectors[i].h32)
                        fail_msg("fnv1a32 of vector %zu (\"%s\") is wrong", i, vectors[i].in);
}

static void test_fnv1a64_vectors(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
                if (sw_fnv1a64(vectors[i].in, vectors[i].len) != vectors[i].h64)
                        fail_msg("fnv1a64 of vector %zu (\"%s\") is wrong", i, vectors[i].in);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_fnv1a32_vectors),
        cmocka_unit_test(test_fnv1a64_vectors))
/* clang-format on */
