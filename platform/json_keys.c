/* Keys given twice in a parsed JSON tree. */
#include "platform/json_keys.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define JSON_KEYS_PAIRWISE 16 /* objects up to this many keys: pairwise check */

static int key_cmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A key obj gives twice: 1 and *ret_key, 0 none, -ENOMEM. */
static int object_duplicate_key(const cJSON *obj, const char **ret_key)
{
        const cJSON *a, *b;
        size_t n = 0, i = 0;
        cJSON_ArrayForEach(a, obj) n++;
        if (n <= JSON_KEYS_PAIRWISE) {
                for (a = obj->child; a; a = a->next)
                        for (b = a->next; b; b = b->next)
                                if (strcmp(a->string, b->string) == 0) {
                                        *ret_key = a->string;
                                        return 1;
                                }
                return 0;
        }
        const char **keys = malloc(n * sizeof(*keys));
        if (!keys)
                return -ENOMEM;
        cJSON_ArrayForEach(a, obj) keys[i++] = a->string;
        qsort(keys, n, sizeof(*keys), key_cmp);
        for (i = 1; i < n && strcmp(keys[i - 1], keys[i]) != 0; i++)
                ;
        if (i < n)
                *ret_key = keys[i];
        free(keys);
        return i < n;
}

int sw_json_duplicate_key(const cJSON *item, const char **ret_key)
{
        if (!item)
                return 0;
        if (cJSON_IsObject(item)) {
                int r = object_duplicate_key(item, ret_key);
                if (r != 0)
                        return r;
        }
        if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
                return 0;
        for (const cJSON *child = item->child; child; child = child->next) {
                int r = sw_json_duplicate_key(child, ret_key);
                if (r != 0)
                        return r;
        }
        return 0;
}
