/* The learnt evidence scales kept in the database (meta key "tuning"). */
#include "daemon/tuning_store.h"

#include <errno.h>
#include <stdlib.h>

#include "daemon/daemon.h"

int sw_tuning_store_persist(struct sw_daemon *d)
{
        size_t n = sw_tuning_serialized_size(&d->tuning);
        void *buf = malloc(n);
        int r;
        if (!buf)
                return -ENOMEM;
        r = sw_tuning_serialize(&d->tuning, buf, n);
        if (r >= 0)
                r = sw_store_meta_put_blob(d->store, "tuning", buf, (size_t)r);
        free(buf);
        return r < 0 ? r : 0;
}

void sw_tuning_store_restore(struct sw_daemon *d)
{
        size_t len = 0;
        void *buf;
        if (sw_store_meta_blob_len(d->store, "tuning", &len) < 0 || len == 0)
                return;
        buf = malloc(len);
        if (!buf)
                return;
        if (sw_store_meta_get_blob(d->store, "tuning", buf, len, &len) < 0 ||
            sw_tuning_deserialize(&d->tuning, buf, len) < 0)
                sw_log_warning(
                    "Stored threshold tuning is unreadable, starting from neutral scales");
        free(buf);
}
