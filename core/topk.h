/* Keep the k strongest of a stream in a caller's array (a bounded min-heap), then sort them. */
#ifndef SW_TOPK_H
#define SW_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The detectors rank the day's candidates and open only the strongest few: each keeps them in
 * its own array of its own element type, ordered by its own `less` (a is weaker than b). The
 * weakest kept sits at [0], so a stronger newcomer replaces it in O(log k). No allocation: the
 * caller owns the array (cap elements of `size` bytes) and the count.
 */
typedef bool (*sw_topk_less_fn)(const void *a, const void *b);

/*
 * Offer `item`. Returns true when it was kept and nothing was dropped (the array was not full),
 * false when one was dropped: the newcomer, or the weakest kept, which the newcomer replaced.
 * With cap 0 every item is dropped.
 */
bool sw_topk_offer(void *items, size_t size, uint32_t *n, uint32_t cap, const void *item,
                   sw_topk_less_fn less);

/* Sort the n kept items strongest first (heapsort in place; the array is no longer a heap). */
void sw_topk_sort(void *items, size_t size, uint32_t n, sw_topk_less_fn less);

#endif
