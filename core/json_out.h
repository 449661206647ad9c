/* Append-only JSON writer into a caller's buffer: every byte of JSON the daemon publishes. */
#ifndef SW_JSON_OUT_H
#define SW_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_JSON_OUT_MAX_DEPTH    12 /* objects and arrays nested deeper are a usage error */
#define SW_JSON_OUT_MAX_DECIMALS 6u /* most decimals sw_json_out_fixed() accepts */

/*
 * Usage: sw_json_out_init(), then object_begin / key + value ... / object_end, then
 * sw_json_out_finish(). Commas are written by the writer. Writing never goes past `size`;
 * like snprintf, `len` keeps counting what the whole text needs after the buffer is full, so
 * after -ENOBUFS a retry into a buffer of len + 1 bytes fits.
 */
struct sw_json_out {
        char *buf;     /* caller's buffer (not owned), may be NULL when size is 0 */
        size_t size;   /* its capacity in bytes, the terminating NUL included */
        size_t len;    /* bytes the text needs so far; may exceed size - 1 after overflow */
        bool overflow; /* the text (plus its NUL) did not fit: buf holds a prefix */
        bool misuse;   /* unbalanced objects, too deep, key outside an object, value without key */
        bool want_value;                   /* a key was written and its value is due */
        uint8_t depth;                     /* objects open */
        bool first[SW_JSON_OUT_MAX_DEPTH]; /* per open object or array: nothing written yet */
        bool array[SW_JSON_OUT_MAX_DEPTH]; /* per open level: an array (values need no key) */
};

/* Starts an empty text in buf[0..size). */
void sw_json_out_init(struct sw_json_out *o, char *buf, size_t size);

/* Opens / closes an object (as the top-level value or as the value of the last key). */
void sw_json_out_object_begin(struct sw_json_out *o);
void sw_json_out_object_end(struct sw_json_out *o);

/* Opens / closes an array; its values are written without keys. */
void sw_json_out_array_begin(struct sw_json_out *o);
void sw_json_out_array_end(struct sw_json_out *o);

/* null, true or false. */
void sw_json_out_null(struct sw_json_out *o);
void sw_json_out_bool(struct sw_json_out *o, bool v);

/* A value that is already JSON text (an anomaly payload embedded in a reply), copied as is. */
void sw_json_out_raw(struct sw_json_out *o, const char *json, size_t n);

/* Writes a member's key (escaped like a string), preceded by a comma when not the first. */
void sw_json_out_key(struct sw_json_out *o, const char *key);

/*
 * String values, escaped like cJSON: \" \\ \b \f \n \r \t, other bytes < 0x20 as \u00xx
 * (lowercase hex), every other byte (UTF-8 included) as is. _n takes n bytes of s (which may
 * hold NULs, escaped as \u0000).
 */
void sw_json_out_string(struct sw_json_out *o, const char *s);
void sw_json_out_string_n(struct sw_json_out *o, const char *s, size_t n);

/* An integer, exactly. */
void sw_json_out_int(struct sw_json_out *o, int64_t v);

/*
 * v rounded half away from zero to `decimals` (0..6) places, as round(v * 10^decimals)
 * would, printed without trailing zeros or dot ("5", "123.4", "-0.25"; a negative value that
 * rounds to zero is "0"). |v * 10^decimals| >= 2^53 goes through sw_json_out_double().
 * NaN and infinities are written as 0; decimals > 6 is a usage error.
 */
void sw_json_out_fixed(struct sw_json_out *o, double v, unsigned decimals);

/*
 * A double: integral values below 2^53 in magnitude as integers, others with 10 significant
 * digits in printf's "%.10g" layout (relative error <= 5e-10, plus 1e-16 for values within
 * that of a rounding boundary). NaN and infinities (not JSON) become 0.
 */
void sw_json_out_double(struct sw_json_out *o, double v);

/*
 * A double exactly, in cJSON's layout (command replies, P/outcome, P/summary kept the bytes
 * cJSON 1.7.15 printed): NaN and infinities as null; else "%1.15g" when that reads back within
 * DBL_EPSILON (relative), or "%1.17g" ("-0" for negative zero, "1e+15" for 10^15). A double
 * parsed from a decimal of up to 15 significant digits comes out as that decimal, without
 * trailing zeros (the shortest text that reads back): P/anomaly's metadata.price.
 */
void sw_json_out_number(struct sw_json_out *o, double v);

/*
 * Money: v rounded half away from zero to the currency's minor unit (minor_digits decimals,
 * 0..SW_JSON_OUT_MAX_DECIMALS: core/currency.h), as sw_json_out_fixed() writes it ("354.93",
 * never "354.93000221252441"). Every amount of money the daemon publishes goes through this.
 */
void sw_json_out_money(struct sw_json_out *o, double v, unsigned minor_digits);

/*
 * The number a reader of sw_json_out_double()'s (or _fixed()'s) text gets back: what the wire
 * carries, for computing on published numbers as their readers do (the ghost-stock ranking).
 */
double sw_json_out_wire_double(double v);
double sw_json_out_wire_fixed(double v, unsigned decimals);

/*
 * NUL-terminates the text (truncated to size - 1 bytes on overflow, when size > 0).
 * Returns its length, -ENOBUFS if it did not fit (o->len + 1 bytes would), -EINVAL on misuse
 * or while objects are still open, -EOVERFLOW if the length does not fit an int.
 */
int sw_json_out_finish(struct sw_json_out *o);

#endif
