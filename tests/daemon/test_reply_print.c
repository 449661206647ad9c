/* The one writer prints what cJSON printed: sw_reply_print() (daemon/reply.c over core/json_out)
 * against cJSON_PrintUnformatted() on the same trees, numbers drawn from every corner. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/reply.h"
#include "tests/support/test_main.h"

static void assert_same(const cJSON *tree)
{
        char *want = cJSON_PrintUnformatted(tree), *got = sw_reply_print(tree);
        assert_non_null(want);
        assert_non_null(got);
        assert_string_equal(got, want);
        free(want);
        free(got);
}

static uint64_t next(uint64_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        return *s;
}

/* One number as cJSON and as the writer print it. */
static void assert_same_number(double v)
{
        cJSON *n = cJSON_CreateNumber(v);
        assert_same(n);
        cJSON_Delete(n);
}

/* Integers, halves, money, tiny and huge values, random bit patterns, the int limits. */
static void test_numbers(void **state)
{
        static const double fixed[] = {0.0,           -0.0,
                                       1.0,           -1.0,
                                       0.1,           0.5,
                                       1e-7,          123456789.0,
                                       2147483647.0,  2147483648.0,
                                       -2147483648.0, -2147483649.0,
                                       1e15,          1e16,
                                       1e17,          1.5e300,
                                       DBL_MIN,       DBL_MAX,
                                       4e-320,        0.1 + 0.2,
                                       1.0 / 3.0,     339.08999824523926,
                                       1976.33,       0.846153846153846,
                                       NAN,           INFINITY,
                                       -INFINITY};
        uint64_t seed = 0x9e3779b97f4a7c15u;
        (void)state;
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                assert_same_number(fixed[i]);
        for (int i = 0; i < 20000; i++) {
                uint64_t bits = next(&seed);
                double v;
                memcpy(&v, &bits, sizeof(v));
                assert_same_number(v);
                /* and values as the daemon makes them: counts, money, ratios */
                assert_same_number((double)(bits % 100000) / 100.0);
                assert_same_number((double)(bits % 1000) / 7.0);
                assert_same_number((double)(int64_t)(bits >> 20));
        }
}

/* Nesting, every kind of value, escapes, raw text, empty containers, a stack-sized overflow. */
static void test_trees(void **state)
{
        cJSON *o = cJSON_CreateObject(), *in, *arr;
        char big[6000];
        (void)state;
        cJSON_AddBoolToObject(o, "ok", true);
        cJSON_AddBoolToObject(o, "no", false);
        cJSON_AddNullToObject(o, "nothing");
        cJSON_AddStringToObject(o, "text",
                                "quote \" backslash \\ tab \t nl \n ctl \x01 utf8 \xc3\xa9 /");
        cJSON_AddStringToObject(o, "", "empty key");
        cJSON_AddObjectToObject(o, "empty_object");
        cJSON_AddArrayToObject(o, "empty_array");
        in = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "a"), "b");
        arr = cJSON_AddArrayToObject(in, "list");
        cJSON_AddItemToArray(arr, cJSON_CreateRaw("{\"id\":\"x\",\"value\":33.30}"));
        cJSON_AddItemToArray(arr, cJSON_CreateString("s"));
        cJSON_AddItemToArray(arr, cJSON_CreateArray());
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cJSON_AddStringToObject(o, "big", big);
        assert_same(o);
        cJSON_Delete(o);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_trees))
/* clang-format on */
