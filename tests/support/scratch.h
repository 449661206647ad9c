/* Test support: a scratch directory per test, paths and files in it (tests/platform, tests/hq). */
#ifndef SW_TEST_SCRATCH_H
#define SW_TEST_SCRATCH_H

#include <stddef.h>

/* A fresh directory /tmp/<prefix>-XXXXXX written into dir (size bytes); 0 or -1 (errno). */
int sw_test_mkdtemp(char *dir, size_t size, const char *prefix);

/* Remove dir and everything below it, following no links; 0 or -1. */
int sw_test_rm_rf(const char *dir);

/* "dir/name" in one of 8 rotating static buffers: valid until the 8th next call. */
const char *sw_test_path(const char *dir, const char *name);

/* Write text to dir/name, replacing it; fails the test on any error. Returns the path (as
 * sw_test_path). */
const char *sw_test_write_file(const char *dir, const char *name, const char *text);

#endif
