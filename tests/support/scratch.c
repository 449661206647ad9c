/* Test support: a scratch directory per test, paths and files in it (tests/platform, tests/hq). */
#include "tests/support/scratch.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

int sw_test_mkdtemp(char *dir, size_t size, const char *prefix)
{
        int n = snprintf(dir, size, "/tmp/%s-XXXXXX", prefix);
        if (n < 0 || (size_t)n >= size)
                return -1;
        return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

int sw_test_rm_rf(const char *dir)
{
        return nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *sw_test_path(const char *dir, const char *name)
{
        static char path[8][512];
        static unsigned next;
        char *p = path[next++ % 8];

        snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
        return p;
}

const char *sw_test_write_file(const char *dir, const char *name, const char *text)
{
        const char *path = sw_test_path(dir, name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
        return path;
}
