/* Helpers shared by core/sku_table.c and core/sku_reclaim.c (not for other modules). */
#ifndef SW_SKU_TABLE_INTERNAL_H
#define SW_SKU_TABLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/sku_table.h"

/* FNV-1a of a key with a final mix; the hash slot a key starts probing at. */
uint32_t sw_sku__key_hash(const char *s, size_t len);
uint32_t sw_sku__home(const struct sw_sku_table *t, const char *sku, size_t len);
/* Slot holding sku, or the empty slot where it would go (linear probing, wrapping). */
uint32_t sw_sku__probe(const struct sw_sku_table *t, const char *sku, size_t len);
/* The table is full: free the slot of a reclaimable SKU for a new one (removed from the index,
 * its pools given back, its key kept for the caller to delete). 0 and the index, or -ENOSPC. */
int sw_sku__reclaim(struct sw_sku_table *t, uint32_t *ret_index);
/* The key arena is full: squeeze out the keys of reclaimed SKUs already deleted (none while
 * some wait for deletion: their offsets must hold). */
void sw_sku__compact_keys(struct sw_sku_table *t);

#endif
