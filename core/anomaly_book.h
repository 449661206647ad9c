/* Open anomaly episodes: at most one per (type, SKU), in a fixed-capacity hash table. */
#ifndef SW_ANOMALY_BOOK_H
#define SW_ANOMALY_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/sw_types.h"

/* An anomaly id is "{store}-{code}-{YYYYMMDD}-{sku}": stable for one episode, so a
 * re-detection after a restart or a replay carries the same id. */
#define SW_ANOMALY_ID_MAX 160

struct sw_episode {
        uint32_t sku_index; /* SKU of the episode */
        uint8_t type;       /* enum sw_anomaly_type; 0xff marks an empty slot */
        sw_day_t since;     /* store-local day the episode started (part of its id) */
};

struct sw_anomaly_book {
        uint32_t capacity;         /* open episodes held at most */
        uint32_t n_slots;          /* power of two, load factor <= 3/4 */
        uint32_t count;            /* open episodes */
        uint32_t count_by_type[SW_ANOMALY_TYPE_COUNT]; /* open episodes of each type: a
                                      lookup of a type with none open skips the table */
        struct sw_episode *slots;  /* [n_slots] */
};

size_t sw_anomaly_book_memory_size(uint32_t capacity);
int sw_anomaly_book_init(struct sw_anomaly_book *b, uint32_t capacity, void *mem, size_t size);
/* Start day of the open episode, or -ENOENT. */
int sw_anomaly_book_find(const struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku,
                         sw_day_t *ret_since);
/* Open an episode: 0, -EEXIST if one is open, -ENOSPC when the book is full. */
int sw_anomaly_book_open(struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku, sw_day_t since);
/* Close the open episode: 0 or -ENOENT. */
int sw_anomaly_book_close(struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku);

/* Write the id of an episode; returns its length or -ENOSPC. */
int sw_anomaly_id(char *buf, size_t size, const char *store, enum sw_anomaly_type type, const char *sku,
                  sw_day_t since);

#endif
