/* Keep the k strongest of a stream in a caller's array (a bounded min-heap), then sort them. */
#include "core/topk.h"

#include <string.h>

#define AT(items, size, i) ((unsigned char *)(items) + (size_t)(i) * (size))

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
        for (size_t k = 0; k < size; k++) {
                unsigned char t = a[k];
                a[k] = b[k];
                b[k] = t;
        }
}

static void sift_down(void *items, size_t size, uint32_t n, uint32_t i, sw_topk_less_fn less)
{
        for (;;) {
                uint32_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < n && less(AT(items, size, l), AT(items, size, m)))
                        m = l;
                if (r < n && less(AT(items, size, r), AT(items, size, m)))
                        m = r;
                if (m == i)
                        return;
                swap_bytes(AT(items, size, i), AT(items, size, m), size);
                i = m;
        }
}

bool sw_topk_offer(void *items, size_t size, uint32_t *n, uint32_t cap, const void *item,
                   sw_topk_less_fn less)
{
        if (*n < cap) {
                uint32_t i = (*n)++;
                memcpy(AT(items, size, i), item, size);
                for (; i > 0 && less(AT(items, size, i), AT(items, size, (i - 1) / 2));
                     i = (i - 1) / 2)
                        swap_bytes(AT(items, size, i), AT(items, size, (i - 1) / 2), size);
                return true;
        }
        if (*n > 0 && less(items, item)) {
                memcpy(items, item, size);
                sift_down(items, size, *n, 0, less);
        }
        return false;
}

void sw_topk_sort(void *items, size_t size, uint32_t n, sw_topk_less_fn less)
{
        for (uint32_t k = n; k > 1; k--) {
                swap_bytes(AT(items, size, 0), AT(items, size, k - 1), size);
                sift_down(items, size, k - 1, 0, less);
        }
}
