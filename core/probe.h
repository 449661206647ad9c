/* Open addressing with linear probing and no tombstones: deleting an entry (backward shift). */
#ifndef SW_PROBE_H
#define SW_PROBE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * With a hole at slot i, whether the entry at a later slot j of the same probe run, whose home
 * slot is k, stays where it is: when k lies cyclically in (i, j] a lookup reaches j without
 * passing i. Otherwise it moves back into the hole (and j becomes the hole).
 */
static inline bool sw_probe_stays(uint32_t i, uint32_t j, uint32_t k)
{
        return i <= j ? (i < k && k <= j) : (i < k || k <= j);
}

/*
 * Empty slot i of slots[n] (0 an empty slot, else an entry), moving the later entries of its
 * probe run back so that every run stays unbroken; home(ctx, entry) is an entry's home slot.
 * A table that churns forever would fill up with tombstones.
 */
static inline void sw_probe_delete(uint32_t *slots, uint32_t n, uint32_t i,
                                   uint32_t (*home)(const void *ctx, uint32_t entry),
                                   const void *ctx)
{
        for (uint32_t j = i + 1 == n ? 0 : i + 1; slots[j] != 0; j = j + 1 == n ? 0 : j + 1) {
                if (sw_probe_stays(i, j, home(ctx, slots[j])))
                        continue;
                slots[i] = slots[j];
                i = j;
        }
        slots[i] = 0;
}

#endif
