/* Unit tests of the ISO 4217 table (core/currency.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/currency.h"
#include "tests/support/test_main.h"

static void test_minor_digits_of_known_codes(void **state)
{
        (void)state;
        assert_int_equal(sw_currency_minor_digits("EUR"), 2);
        assert_int_equal(sw_currency_minor_digits("USD"), 2);
        assert_int_equal(sw_currency_minor_digits("ARS"), 2);
        assert_int_equal(sw_currency_minor_digits("JPY"), 0);
        assert_int_equal(sw_currency_minor_digits("KRW"), 0);
        assert_int_equal(sw_currency_minor_digits("CLP"), 0);
        assert_int_equal(sw_currency_minor_digits("XOF"), 0);
        assert_int_equal(sw_currency_minor_digits("BHD"), 3);
        assert_int_equal(sw_currency_minor_digits("KWD"), 3);
        assert_int_equal(sw_currency_minor_digits("TND"), 3);
        assert_int_equal(sw_currency_minor_digits("CLF"), SW_CURRENCY_MAX_MINOR_DIGITS);
        assert_int_equal(sw_currency_minor_digits("UYW"), 4);
        /* First and last of the table: a lookup that stopped early would miss them. */
        assert_int_equal(sw_currency_minor_digits("AED"), 2);
        assert_int_equal(sw_currency_minor_digits("ZWG"), 2);
}

static void test_refuses_malformed_and_unlisted_codes(void **state)
{
        static const char *const bad[] = {
            "",    "E", "EU", "EURO", "eur", "Eur", "EU1", " EUR", "EUR ", "XXX", /* no currency */
            "XAU", /* gold: no minor unit */
            "XTS", /* testing */
            "XDR", /* special drawing right: no minor unit */
            "HRK", /* withdrawn in 2023 (Croatia took the euro) */
            "DEM", /* withdrawn long ago */
            "ABC",
        };

        (void)state;
        assert_int_equal(sw_currency_minor_digits(NULL), -EINVAL);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (sw_currency_minor_digits(bad[i]) != -EINVAL)
                        fail_msg("\"%s\" was accepted", bad[i]);
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_minor_digits_of_known_codes),
        cmocka_unit_test(test_refuses_malformed_and_unlisted_codes))
/* clang-format on */
