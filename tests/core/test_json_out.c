/* Unit tests of the append-only JSON writer (core/json_out.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/json_out.h"
#include "tests/core/numeric_support.h"
#include "tests/support/test_main.h"

/* A scalar value written alone as the whole text: SCALAR(sw_json_out_int(&o_, 1)) is "1". */
static char out_[256];        /* the text */
static struct sw_json_out o_; /* its writer */

static void scalar_begin(void)
{
        sw_json_out_init(&o_, out_, sizeof(out_));
}

static const char *scalar_end(void)
{
        assert_true(sw_json_out_finish(&o_) >= 0);
        return out_;
}

#define SCALAR(call) (scalar_begin(), (call), scalar_end())

/* A document on the same writer: o = doc_begin(), its calls, then assert_written(want). */
static struct sw_json_out *doc_begin(void)
{
        scalar_begin();
        return &o_;
}

/* The document finishes as want, the length returned being its length. */
static void assert_written(const char *want)
{
        assert_int_equal(sw_json_out_finish(&o_), (int)strlen(want));
        assert_string_equal(out_, want);
}

static const char *fixed(double v, unsigned decimals)
{
        return SCALAR(sw_json_out_fixed(&o_, v, decimals));
}

static const char *dbl(double v)
{
        return SCALAR(sw_json_out_double(&o_, v));
}

static const char *integer(int64_t v)
{
        return SCALAR(sw_json_out_int(&o_, v));
}

#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

/* A value and the text it is written as. */
struct text_case {
        double v;
        const char *want;
};

/* A value, the decimals asked for and the text it is written as. */
struct decimals_case {
        double v;
        unsigned decimals;
        const char *want;
};

/* One written text against the expected one; a failure names the table and the row. */
static void check_text(const char *table, size_t row, const char *got, const char *want)
{
        if (strcmp(got, want) != 0)
                fail_msg("%s row %zu: written \"%s\", want \"%s\"", table, row, got, want);
}

static void assert_texts(const char *table, const char *(*write)(double), const struct text_case *c,
                         size_t n)
{
        for (size_t i = 0; i < n; i++)
                check_text(table, i, write(c[i].v), c[i].want);
}

static void assert_decimal_texts(const char *table, const char *(*write)(double, unsigned),
                                 const struct decimals_case *c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                check_text(table, i, write(c[i].v, c[i].decimals), c[i].want);
}

/* JSON's number grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool is_json_number(const char *s)
{
        if (*s == '-')
                s++;
        if (*s == '0')
                s++;
        else if (*s >= '1' && *s <= '9')
                while (*s >= '0' && *s <= '9')
                        s++;
        else
                return false;
        if (*s == '.') {
                s++;
                if (!(*s >= '0' && *s <= '9'))
                        return false;
                while (*s >= '0' && *s <= '9')
                        s++;
        }
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '+' || *s == '-')
                        s++;
                if (!(*s >= '0' && *s <= '9'))
                        return false;
                while (*s >= '0' && *s <= '9')
                        s++;
        }
        return *s == '\0';
}

/* The control bytes JSON gives a short escape, and the text "a<byte>z" is written as. */
static const struct {
        char byte;
        const char *want;
} short_escapes[] = {
    {'\b', "\"a\\bz\""}, {'\f', "\"a\\fz\""}, {'\n', "\"a\\nz\""},
    {'\r', "\"a\\rz\""}, {'\t', "\"a\\tz\""},
};

static void test_string_escapes_every_control_byte(void **state)
{
        (void)state;
        for (unsigned b = 0; b < 0x20; b++) {
                char in[3] = {'a', (char)b, 'z'}, want[16];
                snprintf(want, sizeof(want), "\"a\\u%04xz\"", b); /* lowercase, as cJSON */
                for (size_t i = 0; i < N_CASES(short_escapes); i++)
                        if (short_escapes[i].byte == (char)b)
                                strcpy(want, short_escapes[i].want);
                check_text("control bytes", b, SCALAR(sw_json_out_string_n(&o_, in, sizeof(in))),
                           want);
        }
        assert_string_equal(SCALAR(sw_json_out_string_n(&o_, "\0\x1f", 2)), "\"\\u0000\\u001f\"");
}

static void test_string_quotes_backslash_and_utf8(void **state)
{
        (void)state;
        assert_string_equal(SCALAR(sw_json_out_string(&o_, "say \"hi\"")), "\"say \\\"hi\\\"\"");
        assert_string_equal(SCALAR(sw_json_out_string(&o_, "C:\\tmp\\")), "\"C:\\\\tmp\\\\\"");
        assert_string_equal(SCALAR(sw_json_out_string(&o_, "")), "\"\"");
        /* UTF-8, DEL and '/' pass through untouched. */
        assert_string_equal(
            SCALAR(sw_json_out_string(&o_, "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\x7f/")),
            "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\x7f/\"");
        /* Every byte from 0x20 up but the quote and the backslash is copied as is. */
        char all[224], want[256];
        size_t n = 0;
        for (unsigned b = 0x20; b < 0x100; b++)
                all[b - 0x20] = (char)b;
        want[n++] = '"';
        for (unsigned b = 0x20; b < 0x100; b++) {
                if (b == '"' || b == '\\')
                        want[n++] = '\\';
                want[n++] = (char)b;
        }
        want[n++] = '"';
        want[n] = '\0';
        assert_string_equal(SCALAR(sw_json_out_string_n(&o_, all, sizeof(all))), want);
        /* Keys are escaped the same way. */
        struct sw_json_out *o = doc_begin();
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "a\"b\n");
        sw_json_out_int(o, 1);
        sw_json_out_object_end(o);
        assert_written("{\"a\\\"b\\n\":1}");
}

static const struct {
        int64_t v;
        const char *want;
} integers[] = {
    {0, "0"},
    {7, "7"},
    {-1, "-1"},
    {1234567890, "1234567890"},
    {INT64_MAX, "9223372036854775807"},
    {INT64_MIN, "-9223372036854775808"},
    {INT64_MIN + 1, "-9223372036854775807"},
};

static void test_integers(void **state)
{
        (void)state;
        for (size_t i = 0; i < N_CASES(integers); i++)
                check_text("integers", i, integer(integers[i].v), integers[i].want);
}

/* Each row is checked as it is and negated: -v is written as v with a '-' before it, but a
 * value that rounds to zero is "0", never "-0". */
static const struct decimals_case fixed_cases[] = {
    {123.4, 2, "123.4"},
    {5, 2, "5"},
    {0, 4, "0"},
    {0.0, 2, "0"},
    {59.33, 2, "59.33"},
    {59.336, 2, "59.34"},
    {0.1, 2, "0.1"},
    {1.0001, 2, "1"},
    {0.0971, 4, "0.0971"},
    {0.000001, 6, "0.000001"},
    {1e-7, 6, "0"},
    {42.42, 0, "42"},
    {0.00004, 4, "0"},
    {0.004, 2, "0"},
    /* Halves round away from zero (2.5, 0.125 and 0.375 are exact in binary). */
    {2.5, 0, "3"},
    {0.125, 2, "0.13"},
    {0.375, 2, "0.38"},
    /* Decimal "halves" are not exact in binary: they are decided by the product
     * v * 10^d as a double, exactly as round(v * 100) / 100 (the cJSON version) did.
     * 0.005 (0.005000000000000000104...) * 100 is 0.5: up. 1.995 (1.99500000000000010658...)
     * * 100 is 199.5: up. 1.005 (1.00499999999999989...) * 100 is 100.49999999999999: down.
     * 1.115 (1.11499999999999999111...) * 100 rounds to 111.5: up, like round() did. */
    {0.005, 2, "0.01"},
    {1.995, 2, "2"},
    {1.005, 2, "1"},
    {1.115, 2, "1.12"},
    {0.00005, 4, "0.0001"},
    {0.99999, 4, "1"},
    {9.99999999, 6, "10"},
    /* Non-finite values are 0. */
    {NAN, 2, "0"},
    {INFINITY, 4, "0"},
    {INFINITY, 0, "0"},
    /* Scaled values beyond 2^53 take the general path. */
    {12345678.9, 6, "12345678.9"},
    {1e10, 6, "10000000000"},
    {15000000000.25, 6, "1.5e+10"},
    {1e300, 2, "1e+300"},
};

static void test_fixed_decimals(void **state)
{
        (void)state;
        for (size_t i = 0; i < N_CASES(fixed_cases); i++) {
                const struct decimals_case *c = &fixed_cases[i];
                char negated[40];
                snprintf(negated, sizeof(negated), "%s%s", strcmp(c->want, "0") ? "-" : "",
                         c->want);
                check_text("fixed", i, fixed(c->v, c->decimals), c->want);
                check_text("fixed, negated", i, fixed(-c->v, c->decimals), negated);
        }
}

static void test_fixed_decimals_match_round(void **state)
{
        (void)state;
        static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
        uint64_t rng = 42;
        for (int i = 0; i < 200000; i++) {
                unsigned d = (unsigned)(rng_next(&rng) % 7);
                double v = pow(10, rng_uniform(&rng) * 14 - 6) * (rng_next(&rng) & 1 ? -1 : 1);
                const char *s = fixed(v, d), *dot = strchr(s, '.');
                double want = round(v * scale[d]) / scale[d];
                assert_true(is_json_number(s));
                if (fabs(v * scale[d]) >= 0x1p53)
                        continue;
                /* Parses back to exactly round(v * 10^d) / 10^d, without trailing zeros. */
                assert_true(strtod(s, NULL) == (want == 0 ? 0 : want));
                assert_false(strchr(s, 'e'));
                if (dot) {
                        assert_true(strlen(dot + 1) <= d);
                        assert_true(s[strlen(s) - 1] != '0');
                }
                assert_false(strcmp(s, "-0") == 0);
        }
}

static void test_fixed_bad_decimals_is_misuse(void **state)
{
        (void)state;
        struct sw_json_out *o = doc_begin();
        sw_json_out_fixed(o, 1.5, 7);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
}

static const struct text_case doubles[] = {
    {0, "0"},
    {-0.0, "0"},
    {1, "1"},
    {-42, "-42"},
    {0.1, "0.1"},
    {3.49, "3.49"},
    {4.123456789123, "4.123456789"},
    {1e15, "1000000000000000"},
    {9007199254740991.0, "9007199254740991"},
    {-9007199254740991.0, "-9007199254740991"},
    {9007199254740992.0, "9.007199255e+15"},
    {1e-300, "1e-300"},
    {0.000604, "0.000604"},
    {(double)0.1f, "0.1000000015"},
    {NAN, "0"},
    {-NAN, "0"},
    {INFINITY, "0"},
    {-INFINITY, "0"},
};

static void test_general_doubles(void **state)
{
        (void)state;
        assert_texts("doubles", dbl, doubles, N_CASES(doubles));
        assert_true(is_json_number(dbl(5e-324)));
        assert_true(is_json_number(dbl(-1.7976931348623157e308)));
}

static void test_general_doubles_round_trip(void **state)
{
        (void)state;
        uint64_t rng = 7;
        int differ = 0;
        for (int i = 0; i < 1000000; i++) {
                /* log-uniform over 1e-12 .. 1e15, both signs */
                double v = pow(10, rng_uniform(&rng) * 27 - 12) * (rng_next(&rng) & 1 ? -1 : 1);
                const char *s = dbl(v);
                char *end, want[40];
                /* The text is printf's, but for values within rounding error of a boundary. */
                snprintf(want, sizeof(want), "%.10g", v);
                if (strcmp(s, want) != 0 && (double)(int64_t)v != v)
                        differ++;
                double back = strtod(s, &end);
                if (!is_json_number(s))
                        fail_msg("not a JSON number: %s (from %.17g)", s, v);
                assert_true(*end == '\0');
                /* 10 significant digits: at most 5e-10 off, plus the scaling's and strtod's
                 * own rounding errors (a few ulp). */
                if (!(fabs(back - v) <= (5e-10 + 1e-15) * fabs(v)))
                        fail_msg("%.17g written as %s (relative error %g)", v, s,
                                 fabs(back - v) / fabs(v));
        }
        print_message("%d of 1000000 differ from printf's last digit\n", differ);
        assert_true(differ <= 10);
}

static void test_nested_objects_and_commas(void **state)
{
        (void)state;
        static const char want[] =
            "{\"a\":1,\"b\":{\"c\":\"x\",\"d\":{},\"e\":{\"f\":2.5}},\"g\":\"h\",\"i\":{}}";
        struct sw_json_out *o = doc_begin();
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "a");
        sw_json_out_int(o, 1);
        sw_json_out_key(o, "b");
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "c");
        sw_json_out_string(o, "x");
        sw_json_out_key(o, "d");
        sw_json_out_object_begin(o);
        sw_json_out_object_end(o);
        sw_json_out_key(o, "e");
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "f");
        sw_json_out_double(o, 2.5);
        sw_json_out_object_end(o);
        sw_json_out_object_end(o);
        sw_json_out_key(o, "g");
        sw_json_out_string(o, "h");
        sw_json_out_key(o, "i");
        sw_json_out_object_begin(o);
        sw_json_out_object_end(o);
        sw_json_out_object_end(o);
        assert_written(want);
}

static void test_depth_limit(void **state)
{
        (void)state;
        struct sw_json_out *o = doc_begin();
        sw_json_out_object_begin(o);
        for (int d = 1; d < SW_JSON_OUT_MAX_DEPTH; d++) {
                sw_json_out_key(o, "k");
                sw_json_out_object_begin(o);
        }
        for (int d = 0; d < SW_JSON_OUT_MAX_DEPTH; d++)
                sw_json_out_object_end(o);
        char want[128] = "";
        for (int d = 1; d < SW_JSON_OUT_MAX_DEPTH; d++)
                strcat(want, "{\"k\":");
        strcat(want, "{}");
        for (int d = 1; d < SW_JSON_OUT_MAX_DEPTH; d++)
                strcat(want, "}");
        assert_int_equal(SW_JSON_OUT_MAX_DEPTH, 12);
        assert_written(want);
        /* One deeper is a usage error. */
        o = doc_begin();
        sw_json_out_object_begin(o);
        for (int d = 1; d <= SW_JSON_OUT_MAX_DEPTH; d++) {
                sw_json_out_key(o, "k");
                sw_json_out_object_begin(o);
        }
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
}

static void test_misuse(void **state)
{
        (void)state;
        struct sw_json_out *o;
        /* nothing written */
        o = doc_begin();
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        /* a key outside any object */
        o = doc_begin();
        sw_json_out_key(o, "k");
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        /* a value without a key inside an object */
        o = doc_begin();
        sw_json_out_object_begin(o);
        sw_json_out_int(o, 1);
        sw_json_out_object_end(o);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        /* a key without its value */
        o = doc_begin();
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "k");
        sw_json_out_object_end(o);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        /* an object left open, one closed twice, two top-level values */
        o = doc_begin();
        sw_json_out_object_begin(o);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        o = doc_begin();
        sw_json_out_object_begin(o);
        sw_json_out_object_end(o);
        sw_json_out_object_end(o);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        o = doc_begin();
        sw_json_out_int(o, 1);
        sw_json_out_int(o, 2);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        /* a scalar alone is a whole text */
        o = doc_begin();
        sw_json_out_int(o, 12);
        assert_written("12");
}

/* A document with every kind of value, escapes and nesting. */
static int write_document(struct sw_json_out *o, char *buf, size_t size)
{
        sw_json_out_init(o, buf, size);
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "id");
        sw_json_out_string(o, "ghost_stock:SKU-1:2026-11-20");
        sw_json_out_key(o, "text");
        sw_json_out_string(o, "a \"quoted\"\\ line\n\x01 caf\xc3\xa9");
        sw_json_out_key(o, "n");
        sw_json_out_int(o, INT64_MIN);
        sw_json_out_key(o, "m");
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "v");
        sw_json_out_fixed(o, -1234.5678, 2);
        sw_json_out_key(o, "d");
        sw_json_out_double(o, 3.14159265358979);
        sw_json_out_key(o, "e");
        sw_json_out_double(o, 1.25e-7);
        sw_json_out_object_end(o);
        sw_json_out_object_end(o);
        return sw_json_out_finish(o);
}

static void test_overflow_at_every_size(void **state)
{
        (void)state;
        char full[512], buf[512 + 16];
        struct sw_json_out o;
        int len = write_document(&o, full, sizeof(full));
        assert_true(len > 0 && (size_t)len == strlen(full));
        for (size_t size = 0; size <= (size_t)len + 1; size++) {
                memset(buf, 0xa5, sizeof(buf));
                int r = write_document(&o, size ? buf : NULL, size);
                for (size_t i = size; i < sizeof(buf); i++) /* nothing past size */
                        assert_int_equal((unsigned char)buf[i], 0xa5);
                assert_int_equal(o.len, (size_t)len); /* the length needed, even on overflow */
                if (size > (size_t)len) {
                        assert_int_equal(r, len);
                        assert_false(o.overflow);
                        assert_string_equal(buf, full);
                        continue;
                }
                assert_int_equal(r, -ENOBUFS);
                assert_true(o.overflow);
                if (size > 0) { /* a NUL-terminated prefix */
                        assert_int_equal(buf[size - 1], '\0');
                        assert_memory_equal(buf, full, size - 1);
                }
        }
        /* A retry of len + 1 bytes fits. */
        memset(buf, 0xa5, sizeof(buf));
        write_document(&o, buf, 10);
        assert_int_equal(write_document(&o, buf, o.len + 1), len);
        assert_string_equal(buf, full);
}

/* Arrays take values without keys, commas between; null, booleans and raw text are values. */
static void test_arrays_and_literals(void **state)
{
        (void)state;
        struct sw_json_out *o = doc_begin();
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "a");
        sw_json_out_array_begin(o);
        sw_json_out_int(o, 1);
        sw_json_out_null(o);
        sw_json_out_bool(o, true);
        sw_json_out_array_begin(o);
        sw_json_out_array_end(o);
        sw_json_out_object_begin(o);
        sw_json_out_key(o, "k");
        sw_json_out_bool(o, false);
        sw_json_out_object_end(o);
        sw_json_out_raw(o, "{\"x\":1.50}", 10);
        sw_json_out_array_end(o);
        sw_json_out_key(o, "b");
        sw_json_out_string(o, "s");
        sw_json_out_object_end(o);
        static const char want[] =
            "{\"a\":[1,null,true,[],{\"k\":false},{\"x\":1.50}],\"b\":\"s\"}";
        assert_written(want);
        /* a key inside an array, an array closed as an object: usage errors */
        o = doc_begin();
        sw_json_out_array_begin(o);
        sw_json_out_key(o, "k");
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
        o = doc_begin();
        sw_json_out_array_begin(o);
        sw_json_out_object_end(o);
        assert_int_equal(sw_json_out_finish(o), -EINVAL);
}

static const char *number(double v)
{
        return SCALAR(sw_json_out_number(&o_, v));
}

/* The exact number: integers as ints, 15 digits when they read back, else 17; no NaN. */
static const struct text_case exact_numbers[] = {
    {0.0, "0"},
    {-0.0, "-0"},
    {42.0, "42"},
    {-2147483648.0, "-2147483648"},
    {2147483648.0, "2147483648"},
    {1e15, "1e+15"},
    {0.1, "0.1"},
    {0.1 + 0.2, "0.3"}, /* within DBL_EPSILON: as cJSON */
    {339.08999824523926, "339.08999824523926"},
    {1.0 / 3.0, "0.33333333333333331"},
    {NAN, "null"},
    {-INFINITY, "null"},
};

static void test_exact_numbers(void **state)
{
        (void)state;
        assert_texts("exact numbers", number, exact_numbers, N_CASES(exact_numbers));
}

static const char *money(double v, unsigned digits)
{
        return SCALAR(sw_json_out_money(&o_, v, digits));
}

/* Money to the currency's minor unit: the float noise of a float32 product is gone. */
static const struct decimals_case money_cases[] = {
    {354.93000221252441, 2, "354.93"},
    {(double)2.1f * 169.0, 2, "354.9"}, /* 354.899993... */
    {1234.5, 0, "1235"},                /* JPY: half away */
    {-0.125, 2, "-0.13"},
    {1.0005, 3, "1.001"}, /* BHD */
    {12.34567, 4, "12.3457"},
    {0.001, 2, "0"},
    {NAN, 2, "0"},
};

static void test_money_to_the_minor_unit(void **state)
{
        (void)state;
        assert_decimal_texts("money", money, money_cases, N_CASES(money_cases));
        /* Every cent amount up to 10^7 written from its float32-derived double reads back as
         * that amount, with at most two decimals. */
        for (int cents = 0; cents < 1000000; cents += 7) {
                double v = (double)(float)(cents / 100.0) * 3.0;
                const char *t = money(v, 2), *dot = strchr(t, '.');
                assert_true(!dot || strlen(dot + 1) <= 2);
                assert_true(fabs(strtod(t, NULL) - round(v * 100) / 100) < 1e-9);
        }
}

/* A decimal of 1 to 15 significant digits with 0 to 7 decimals, as a received price reads: no
 * trailing zeros after a dot, no leading zeros, written into text. */
static void random_decimal(uint64_t *rng, char *text, size_t size)
{
        int digits = 1 + (int)(rng_next(rng) % 15), scale = (int)(rng_next(rng) % 8);
        uint64_t limit = 1;
        char m[24];
        for (int k = 0; k < digits; k++)
                limit *= 10;
        uint64_t mant = rng_next(rng) % limit;
        if (scale > 0 && mant % 10 == 0)
                mant++; /* the received text "1.50" is the decimal 1.5 */
        int n = snprintf(m, sizeof(m), "%0*llu", scale + 1, (unsigned long long)mant);
        if (scale == 0)
                snprintf(text, size, "%s", m);
        else
                snprintf(text, size, "%.*s.%s", n - scale, m, m + n - scale);
}

/* A price as received: every decimal of up to 15 significant digits, parsed into a double,
 * comes back as the same text (metadata.price goes through sw_json_out_number()). */
static const struct text_case prices[] = {
    {150000.01, "150000.01"},   /* a float32 gave 150000.02 */
    {1234567.89, "1234567.89"}, /* ... 1234567.9 */
    {25490001, "25490001"},     /* ... 25490000 (VND) */
    {2.1, "2.1"},
    {19.99, "19.99"},
    {0.1, "0.1"},
    {999999999.999999, "999999999.999999"}, /* 15 digits */
    {12345678901234.5, "12345678901234.5"},
    {0, "0"},
};

static void test_prices_as_received(void **state)
{
        (void)state;
        char text[40];
        assert_texts("prices", number, prices, N_CASES(prices));
        uint64_t seed = 17;
        for (int i = 0; i < 200000; i++) {
                random_decimal(&seed, text, sizeof(text));
                const char *got = number(strtod(text, NULL));
                /* The same decimal: "8.3e-06" is how %g lays out 0.0000083. */
                assert_true(strtod(got, NULL) == strtod(text, NULL));
                if (!strchr(got, 'e') && strcmp(got, text) != 0)
                        fail_msg("received %s, written %s", text, got);
        }
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_string_escapes_every_control_byte),
        cmocka_unit_test(test_string_quotes_backslash_and_utf8),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_arrays_and_literals),
        cmocka_unit_test(test_exact_numbers),
        cmocka_unit_test(test_money_to_the_minor_unit),
        cmocka_unit_test(test_prices_as_received),
        cmocka_unit_test(test_fixed_decimals),
        cmocka_unit_test(test_fixed_decimals_match_round),
        cmocka_unit_test(test_fixed_bad_decimals_is_misuse),
        cmocka_unit_test(test_general_doubles),
        cmocka_unit_test(test_general_doubles_round_trip),
        cmocka_unit_test(test_nested_objects_and_commas),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_overflow_at_every_size))
/* clang-format on */
