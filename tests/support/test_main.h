/* The main() of a cmocka test file: its tests, run as one group. */
#ifndef SW_TEST_MAIN_H
#define SW_TEST_MAIN_H

/* clang-format off */
#define SW_TEST_MAIN_GROUP(group_setup, group_teardown, ...)                            \
        int main(void)                                                                  \
        {                                                                               \
                const struct CMUnitTest tests[] = {__VA_ARGS__};                        \
                return cmocka_run_group_tests(tests, group_setup, group_teardown);      \
        }
/* clang-format on */

/* The tests given (cmocka_unit_test(...), ...), with no group setup or teardown. */
#define SW_TEST_MAIN(...) SW_TEST_MAIN_GROUP(NULL, NULL, __VA_ARGS__)

/* SW_TEST_MAIN whose run, when SW_TEST_FILTER is set, is only of the tests whose names match it
 * (cmocka_set_test_filter: '*' and '?'), for working on one test of a slow file. */
/* clang-format off */
#define SW_TEST_MAIN_FILTERED(...)                                                      \
        int main(void)                                                                  \
        {                                                                               \
                const struct CMUnitTest tests[] = {__VA_ARGS__};                        \
                if (getenv("SW_TEST_FILTER"))                                           \
                        cmocka_set_test_filter(getenv("SW_TEST_FILTER"));               \
                return cmocka_run_group_tests(tests, NULL, NULL);                       \
        }
/* clang-format on */

/* One test run between the file's own setup() and teardown(): most files that need a
 * fresh state give every test the same pair. */
#define SW_TEST_FRESH(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

#endif
