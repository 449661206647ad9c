/* ISO 4217 currency codes and their minor-unit digits (how many decimals a price has). */
#ifndef SW_CURRENCY_H
#define SW_CURRENCY_H

#include <stddef.h>

/* Longest minor unit in the table (CLF, UYW: 4 decimals). */
#define SW_CURRENCY_MAX_MINOR_DIGITS 4

/*
 * Minor-unit digits of an ISO 4217 alphabetic code ("EUR" -> 2, "JPY" -> 0, "BHD" -> 3): the
 * exponent that turns an amount into its smallest unit, for rounding money. code is exactly
 * three upper-case letters and NUL-terminated. Returns 0..SW_CURRENCY_MAX_MINOR_DIGITS, or
 * -EINVAL for NULL, a malformed code, or one the table does not list: codes withdrawn from
 * ISO 4217, and those without a minor unit (precious metals XAU/XAG/XPD/XPT, the bond units
 * XBA..XBD, XDR, XSU, XUA, the test code XTS and "no currency" XXX).
 */
int sw_currency_minor_digits(const char *code);

/*
 * A price that was kept as a float32 (SKU state and anomaly details written before prices were
 * doubles), as the double of the shortest decimal that reads back as that float: for a price
 * received with up to 7 significant digits, that price exactly (2.099999905f -> 2.1), which is
 * also what was published for it. NaN and infinities are returned as they are.
 */
double sw_price_from_float32(float v);

#endif
