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
        uint32_t capacity;        /* open episodes held at most */
        uint32_t max_skus;        /* SKU indexes are below this */
        uint32_t n_slots;         /* power of two, load factor <= 3/4 */
        uint32_t count;           /* open episodes */
        struct sw_episode *slots; /* [n_slots] */
        uint8_t *open_types;      /* [max_skus]: bit t set = an episode of type t is open; a
                                     detector's pass over every SKU reads these in order and
                                     probes the table only for the few with one open */
};

/* Bytes for capacity open episodes of SKUs with indexes below max_skus; 0 if out of range. */
size_t sw_anomaly_book_memory_size(uint32_t capacity, uint32_t max_skus);
int sw_anomaly_book_init(struct sw_anomaly_book *b, uint32_t capacity, uint32_t max_skus, void *mem,
                         size_t size);
/* Start day of the open episode, or -ENOENT. */
int sw_anomaly_book_find(const struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku,
                         sw_day_t *ret_since);
/* Open an episode: 0, -EEXIST if one is open, -ENOSPC when the book is full, -EINVAL for a
 * type out of range or a SKU index not below max_skus. */
int sw_anomaly_book_open(struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku,
                         sw_day_t since);
/* Close the open episode: 0 or -ENOENT. */
int sw_anomaly_book_close(struct sw_anomaly_book *b, enum sw_anomaly_type type, uint32_t sku);

/* Write the id of an episode; returns its length or -ENOSPC. */
int sw_anomaly_id(char *buf, size_t size, const char *store, enum sw_anomaly_type type,
                  const char *sku, sw_day_t since);

#endif
