/* The group commit of the daemon's state: dirty SKUs, message ids, categories, clocks. */
#ifndef SW_PERSIST_H
#define SW_PERSIST_H

#include <stdbool.h>

#include "daemon/durability.h"

struct sw_daemon;

/* The daemon's state as the group commit writes it (the durability object's callbacks). */
struct sw_durable_state sw_persist_state(struct sw_daemon *d);
/* Group commit now (sw_durability_commit); 0 or -errno. */
int sw_persist_commit(struct sw_daemon *d);
/* sw_storage_health_note() for the daemon's storage (SQLite's message, the clock's now):
 * true when the storage state changed. */
bool sw_persist_storage_note(struct sw_daemon *d, int r, const char *what);

#endif
