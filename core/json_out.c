/* Append-only JSON writer into a caller's buffer (see json_out.h). */
#include "core/json_out.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_OUT_EXACT_LIMIT 0x1p53 /* doubles below this in magnitude hold integers exactly */

/* Appends n bytes; past the room (size - 1, one byte is kept for the NUL) only counts them. */
static void json_out__put(struct sw_json_out *o, const char *s, size_t n)
{
        size_t room = o->size > 0 ? o->size - 1 : 0;
        if (!o->overflow && n <= room - o->len) {
                memcpy(o->buf + o->len, s, n);
        } else if (!o->overflow) {
                memcpy(o->buf + o->len, s, room - o->len);
                o->overflow = true;
        }
        o->len += n;
}

static void json_out__putc(struct sw_json_out *o, char c)
{
        if (!o->overflow && o->len + 1 < o->size)
                o->buf[o->len] = c;
        else
                o->overflow = true;
        o->len++;
}

static void json_out__putc(struct sw_json_out *o, char c);

/* Every value goes through here: one is due at the start, after each key, and anywhere in an
 * array (after a comma but for the first). */
static void json_out__value(struct sw_json_out *o)
{
        if (o->depth > 0 && o->array[o->depth - 1] && !o->want_value) {
                if (!o->first[o->depth - 1])
                        json_out__putc(o, ',');
                o->first[o->depth - 1] = false;
                return;
        }
        if (!o->want_value)
                o->misuse = true;
        o->want_value = false;
}

/* How each byte that a JSON string cannot hold as is gets escaped (0: copied as is): the
 * letter after the backslash, 'u' for \u00XX. Controls, the quote and the backslash. */
static const char json_out__escape[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u',  [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x08] = 'b', [0x09] = 't',  [0x0a] = 'n', [0x0b] = 'u',
    [0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u',  [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',  [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',  [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

/* A quoted string, escaped exactly like cJSON's printer does. */
static void json_out__quoted(struct sw_json_out *o, const char *s, size_t n)
{
        static const char hex[] = "0123456789abcdef";
        size_t run = 0; /* start of the pending run of bytes copied as is */
        json_out__putc(o, '"');
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)s[i];
                char code = json_out__escape[ch];
                if (!code)
                        continue;
                char esc[6] = {'\\', code, '0', '0', hex[ch >> 4], hex[ch & 15]};
                json_out__put(o, s + run, i - run);
                run = i + 1;
                json_out__put(o, esc, code == 'u' ? 6 : 2);
        }
        json_out__put(o, s + run, n - run);
        json_out__putc(o, '"');
}

static void json_out__int(struct sw_json_out *o, int64_t v)
{
        char tmp[20]; /* "-9223372036854775808" */
        char *p = tmp + sizeof(tmp);
        uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *--p = '-';
        json_out__put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Powers of ten exact in a double (10^22 is the last). */
static const double json_out__pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* a (> 0) as ten significant digits: ret_digits in [10^9, 10^10) and the decimal exponent of
 * the first digit. One multiplication or division by an exact power of ten, so the digits are
 * those of a rounded to 10 significant digits, give or take one unit of the last digit when
 * a lies within about 1e-16 (relative) of a rounding boundary. False when a is outside
 * 1e-12 .. 1e22 (the caller falls back to printf). */
static bool json_out__ten_digits(double a, uint64_t *ret_digits, int *ret_exp)
{
        int e;
        if (!(a >= 1e-12 && a < 1e22))
                return false;
        (void)frexp(a, &e);
        e = (int)floor((e - 1) * 0.30102999566398120); /* log10(2): within one of the exponent */
        for (int pass = 0; pass < 3; pass++) {
                int k = 9 - e; /* scale so that the first digit lands at 10^9 */
                double scaled = k >= 0 ? a * json_out__pow10[k] : a / json_out__pow10[-k];
                double d = nearbyint(scaled);
                if (d >= 1e10)
                        e++;
                else if (d < 1e9)
                        e--;
                else {
                        *ret_digits = (uint64_t)d;
                        *ret_exp = e;
                        return true;
                }
        }
        return false;
}

/* printf's "%.10g" layout for ten significant digits of a (> 0): plain notation for
 * exponents -4 .. 9, else d.ddde[+-]XX; no trailing zeros. Returns the length. */
static size_t json_out__format_digits(char *out, bool negative, uint64_t digits, int e)
{
        char d[10];
        int n = 10;
        size_t len = 0;
        for (int i = 9; i >= 0; i--, digits /= 10)
                d[i] = (char)('0' + digits % 10);
        while (n > 1 && d[n - 1] == '0')
                n--;
        if (negative)
                out[len++] = '-';
        if (e >= -4 && e < 10) {
                if (e < 0) {
                        out[len++] = '0';
                        out[len++] = '.';
                        for (int i = -1; i > e; i--)
                                out[len++] = '0';
                        for (int i = 0; i < n; i++)
                                out[len++] = d[i];
                } else {
                        for (int i = 0; i <= e; i++)
                                out[len++] = i < n ? d[i] : '0';
                        if (n > e + 1) {
                                out[len++] = '.';
                                for (int i = e + 1; i < n; i++)
                                        out[len++] = d[i];
                        }
                }
                return len;
        }
        out[len++] = d[0];
        if (n > 1) {
                out[len++] = '.';
                for (int i = 1; i < n; i++)
                        out[len++] = d[i];
        }
        out[len++] = 'e';
        out[len++] = e < 0 ? '-' : '+';
        int x = e < 0 ? -e : e;
        if (x >= 100)
                out[len++] = (char)('0' + x / 100);
        out[len++] = (char)('0' + x / 10 % 10);
        out[len++] = (char)('0' + x % 10);
        return len;
}

static void json_out__double(struct sw_json_out *o, double v)
{
        char tmp[32];
        int n, e;
        uint64_t digits;
        if (!isfinite(v)) {
                json_out__putc(o, '0');
                return;
        }
        if (fabs(v) < JSON_OUT_EXACT_LIMIT && (double)(int64_t)v == v) {
                json_out__int(o, (int64_t)v); /* -0.0 too: "0" */
                return;
        }
        /* printf costs about ten times the digits made here (it is exact to the last bit). */
        if (json_out__ten_digits(fabs(v), &digits, &e)) {
                json_out__put(o, tmp, json_out__format_digits(tmp, v < 0, digits, e));
                return;
        }
        n = snprintf(tmp, sizeof(tmp), "%.10g", v);
        if (n <= 0 || (size_t)n >= sizeof(tmp)) { /* cannot happen for a finite double */
                json_out__putc(o, '0');
                return;
        }
        for (int i = 0; i < n; i++) /* a locale's decimal comma is not JSON */
                if (tmp[i] == ',')
                        tmp[i] = '.';
        json_out__put(o, tmp, (size_t)n);
}

void sw_json_out_init(struct sw_json_out *o, char *buf, size_t size)
{
        *o = (struct sw_json_out){.buf = buf, .size = buf ? size : 0, .want_value = true};
}

/* Open an object ('{') or an array ('[') as the next value, one level deeper. */
static void json_out__open(struct sw_json_out *o, char c, bool array)
{
        json_out__value(o);
        if (o->depth >= SW_JSON_OUT_MAX_DEPTH) {
                o->misuse = true;
                return;
        }
        json_out__putc(o, c);
        o->array[o->depth] = array;
        o->first[o->depth++] = true;
}

void sw_json_out_object_begin(struct sw_json_out *o)
{
        json_out__open(o, '{', false);
}

void sw_json_out_object_end(struct sw_json_out *o)
{
        if (o->depth == 0 || o->want_value || o->array[o->depth - 1]) {
                o->misuse = true;
                return;
        }
        json_out__putc(o, '}');
        o->depth--;
}

void sw_json_out_key(struct sw_json_out *o, const char *key)
{
        if (o->depth == 0 || o->want_value || o->array[o->depth - 1]) {
                o->misuse = true;
                return;
        }
        if (!o->first[o->depth - 1])
                json_out__putc(o, ',');
        o->first[o->depth - 1] = false;
        json_out__quoted(o, key, strlen(key));
        json_out__putc(o, ':');
        o->want_value = true;
}

void sw_json_out_array_begin(struct sw_json_out *o)
{
        json_out__open(o, '[', true);
}

void sw_json_out_array_end(struct sw_json_out *o)
{
        if (o->depth == 0 || !o->array[o->depth - 1]) {
                o->misuse = true;
                return;
        }
        json_out__putc(o, ']');
        o->depth--;
}

void sw_json_out_null(struct sw_json_out *o)
{
        json_out__value(o);
        json_out__put(o, "null", 4);
}

void sw_json_out_bool(struct sw_json_out *o, bool v)
{
        json_out__value(o);
        json_out__put(o, v ? "true" : "false", v ? 4 : 5);
}

void sw_json_out_raw(struct sw_json_out *o, const char *json, size_t n)
{
        json_out__value(o);
        json_out__put(o, json, n);
}

void sw_json_out_number(struct sw_json_out *o, double v)
{
        char tmp[32];
        double back = 0.0;
        json_out__value(o);
        if (!isfinite(v)) {
                json_out__put(o, "null", 4);
                return;
        }
        int n = snprintf(tmp, sizeof(tmp), "%1.15g", v);
        double most = fabs(v) > fabs(back = strtod(tmp, NULL)) ? fabs(v) : fabs(back);
        if (!(fabs(back - v) <= most * DBL_EPSILON))
                n = snprintf(tmp, sizeof(tmp), "%1.17g", v);
        json_out__put(o, tmp, n > 0 && (size_t)n < sizeof(tmp) ? (size_t)n : 0);
}

void sw_json_out_string(struct sw_json_out *o, const char *s)
{
        sw_json_out_string_n(o, s, strlen(s));
}

void sw_json_out_string_n(struct sw_json_out *o, const char *s, size_t n)
{
        json_out__value(o);
        json_out__quoted(o, s, n);
}

void sw_json_out_int(struct sw_json_out *o, int64_t v)
{
        json_out__value(o);
        json_out__int(o, v);
}

void sw_json_out_fixed(struct sw_json_out *o, double v, unsigned decimals)
{
        static const double scale[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
        char tmp[32]; /* sign, 16 integer digits, dot, 6 decimals */
        char *p = tmp + sizeof(tmp);
        double r;
        uint64_t u;
        bool significant = false;
        json_out__value(o);
        if (decimals > SW_JSON_OUT_MAX_DECIMALS) {
                o->misuse = true;
                return;
        }
        if (!isfinite(v)) {
                json_out__putc(o, '0');
                return;
        }
        r = round(v * scale[decimals]);
        if (!(fabs(r) < JSON_OUT_EXACT_LIMIT)) {
                json_out__double(o, v);
                return;
        }
        u = (uint64_t)fabs(r);
        if (u == 0) { /* also what "-0.00004" rounds to */
                json_out__putc(o, '0');
                return;
        }
        for (unsigned k = 0; k < decimals;
             k++) { /* decimals, right to left, trailing zeros dropped */
                unsigned digit = (unsigned)(u % 10);
                u /= 10;
                if (digit || significant)
                        *--p = (char)('0' + digit);
                significant = significant || digit;
        }
        if (significant)
                *--p = '.';
        do {
                *--p = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (r < 0)
                *--p = '-';
        json_out__put(o, p, (size_t)(tmp + sizeof(tmp) - p));
}

void sw_json_out_money(struct sw_json_out *o, double v, unsigned minor_digits)
{
        sw_json_out_fixed(o, v, minor_digits);
}

void sw_json_out_double(struct sw_json_out *o, double v)
{
        json_out__value(o);
        json_out__double(o, v);
}

/* Writes v as a value alone (fixed when decimals >= 0) and reads it back. */
static double json_out__wire(double v, int decimals)
{
        char buf[64];
        struct sw_json_out o;
        sw_json_out_init(&o, buf, sizeof(buf));
        if (decimals < 0)
                sw_json_out_double(&o, v);
        else
                sw_json_out_fixed(&o, v, (unsigned)decimals);
        return sw_json_out_finish(&o) < 0 ? 0.0 : strtod(buf, NULL);
}

double sw_json_out_wire_double(double v)
{
        return json_out__wire(v, -1);
}

double sw_json_out_wire_fixed(double v, unsigned decimals)
{
        return json_out__wire(
            v, (int)(decimals > SW_JSON_OUT_MAX_DECIMALS ? SW_JSON_OUT_MAX_DECIMALS : decimals));
}

int sw_json_out_finish(struct sw_json_out *o)
{
        if (o->size > 0)
                o->buf[o->overflow ? o->size - 1 : o->len] = '\0';
        if (o->misuse || o->depth > 0 || o->want_value)
                return -EINVAL;
        if (o->overflow)
                return -ENOBUFS;
        if (o->len > INT_MAX)
                return -EOVERFLOW;
        return (int)o->len;
}
