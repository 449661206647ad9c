/* Keys given twice in a parsed JSON tree (cJSON keeps both; a lookup takes the first). */
#ifndef SW_JSON_KEYS_H
#define SW_JSON_KEYS_H

#include <cjson/cJSON.h>

/*
 * Whether any object in the tree item gives a key twice: 1 and *ret_key (pointing into the
 * tree), 0 if none does, -ENOMEM (*ret_key untouched). RFC 8259 leaves such a message to the
 * parser: cJSON's lookups take the first, PostgreSQL's jsonb keeps the last, so "the same"
 * message could mean two things. Nesting is at most cJSON's 1000 levels, so the recursion is
 * bounded; an object of up to 16 keys is checked pairwise, a larger one sorted (a 64 KiB
 * payload can hold 10,000 keys).
 */
int sw_json_duplicate_key(const cJSON *item, const char **ret_key);

#endif
