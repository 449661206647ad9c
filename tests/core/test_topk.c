/* Unit tests of the bounded top-k heap the detectors rank candidates with (core/topk.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/topk.h"
#include "tests/support/test_main.h"

/* An element like the detectors' candidates: a score, ties broken by the lower index. */
struct cand {
        double score;
        uint32_t index;
};

static bool cand_less(const void *va, const void *vb)
{
        const struct cand *a = va, *b = vb;
        if (a->score != b->score)
                return a->score < b->score;
        return a->index > b->index;
}

static void test_keeps_the_strongest_sorted(void **state)
{
        static const double scores[] = {0.3, 0.9, 0.1, 0.5, 0.9, 0.7, 0.2, 0.8};
        struct cand h[4] = {0};
        uint32_t n = 0, dropped = 0;
        (void)state;

        for (uint32_t i = 0; i < sizeof(scores) / sizeof(scores[0]); i++) {
                struct cand c = {scores[i], i};
                if (!sw_topk_offer(h, sizeof(h[0]), &n, 4, &c, cand_less))
                        dropped++;
        }
        assert_int_equal(n, 4);
        assert_int_equal(dropped, 4);
        sw_topk_sort(h, sizeof(h[0]), n, cand_less);
        /* 0.9 twice (index 1 before 4: the lower index is stronger), 0.8, 0.7 */
        assert_int_equal(h[0].index, 1);
        assert_int_equal(h[1].index, 4);
        assert_int_equal(h[2].index, 7);
        assert_int_equal(h[3].index, 5);
}

static void test_under_capacity_keeps_all(void **state)
{
        struct cand h[8];
        uint32_t n = 0;
        (void)state;

        for (uint32_t i = 0; i < 3; i++) {
                struct cand c = {(double)i, i};
                assert_true(sw_topk_offer(h, sizeof(h[0]), &n, 8, &c, cand_less));
        }
        sw_topk_sort(h, sizeof(h[0]), n, cand_less);
        assert_int_equal(n, 3);
        assert_int_equal(h[0].index, 2);
        assert_int_equal(h[2].index, 0);
}

static void test_capacity_zero_drops_everything(void **state)
{
        struct cand h[1] = {{5.0, 7}}, c = {9.0, 1};
        uint32_t n = 0;
        (void)state;

        assert_false(sw_topk_offer(h, sizeof(h[0]), &n, 0, &c, cand_less));
        assert_int_equal(n, 0);
        assert_int_equal(h[0].index, 7); /* untouched */
}

/* clang-format off */
SW_TEST_MAIN(
        cmocka_unit_test(test_keeps_the_strongest_sorted),
        cmocka_unit_test(test_under_capacity_keeps_all),
        cmocka_unit_test(test_capacity_zero_drops_everything))
/* clang-format on */
