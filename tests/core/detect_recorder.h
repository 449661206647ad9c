/* Test support for the detector tests: the findings callback they hand to a run, keeping what
 * it reported, and a ghost run that records into one. */
#ifndef SW_TEST_DETECT_RECORDER_H
#define SW_TEST_DETECT_RECORDER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/detect.h"

#define SW_TEST_RECORDER_MAX 64 /* findings kept; the calls past it are only counted */

/* What the runs given it as the ctx of sw_test_record() reported; every call returns err (0,
 * or a -errno to fail the run). */
struct sw_test_recorder {
        struct sw_finding f[SW_TEST_RECORDER_MAX]; /* the findings, in call order */
        uint32_t n;                                /* calls */
        int err;                                   /* what each call returns */
};

/* A sw_finding_fn: keeps f in the recorder ctx and returns its err. */
static inline int sw_test_record(void *ctx, const struct sw_finding *f)
{
        struct sw_test_recorder *r = ctx;
        if (r->n < SW_TEST_RECORDER_MAX)
                r->f[r->n] = *f;
        r->n++;
        return r->err;
}

/* How many findings r holds: its calls, at most SW_TEST_RECORDER_MAX. */
static inline uint32_t sw_test_recorded(const struct sw_test_recorder *r)
{
        return r->n < SW_TEST_RECORDER_MAX ? r->n : SW_TEST_RECORDER_MAX;
}

/* A ghost run of d as of as_of, which must succeed, its findings in r (emptied first). Its
 * summary starts as junk, so a field the run leaves unwritten shows. */
static inline struct sw_detect_summary sw_test_ghost_run(struct sw_detector *d, sw_day_t as_of,
                                                         struct sw_test_recorder *r)
{
        struct sw_detect_summary sum;
        memset(&sum, 0xff, sizeof(sum));
        r->n = 0;
        assert_int_equal(sw_detect_ghost(d, as_of, sw_test_record, r, &sum), 0);
        return sum;
}

#endif
