/* The backup command: a consistent copy of the database, taken between two group commits. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/cmd_handlers.h"
#include "daemon/daemon.h"
#include "daemon/persist.h"
#include "daemon/reply.h"
#include "platform/clock.h"
#include "platform/store_backup.h"

/* The file the request names, resolved inside storage.backup_dir, into ret (PATH_MAX). NULL,
 * or the error reply. */
static cJSON *resolve(const struct sw_daemon *d, const char *path, char *ret)
{
        char dir[PATH_MAX], given[PATH_MAX], parent[PATH_MAX], db[PATH_MAX];
        const char *base = strrchr(path, '/') + 1; /* absolute: there is one */
        if (!d->cfg.storage.backup_dir[0])
                return sw_reply_error("backups are turned off (storage.backup_dir is empty)%s", "");
        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return sw_reply_error("path: '%s' does not name a file", path);
        /* The directory is made on first use (in the StateDirectory by default). */
        if (mkdir(d->cfg.storage.backup_dir, 0700) < 0 && errno != EEXIST)
                return sw_reply_error("cannot create storage.backup_dir: %s", strerror(errno));
        if (!realpath(d->cfg.storage.backup_dir, dir))
                return sw_reply_error("cannot resolve storage.backup_dir: %s", strerror(errno));
        snprintf(given, sizeof(given), "%.*s", (int)(base - path), path);
        if (!realpath(given, parent))
                return sw_reply_error("path: its directory: %s", strerror(errno));
        size_t n = strlen(dir);
        /* Symbolic links and ".." are resolved first: the copy lands under the directory. */
        if (strncmp(parent, dir, n) != 0 || (parent[n] != '\0' && parent[n] != '/'))
                return sw_reply_error("path: must be in storage.backup_dir (%s)",
                                      d->cfg.storage.backup_dir);
        if ((size_t)snprintf(ret, PATH_MAX, "%s/%s", parent, base) >= PATH_MAX)
                return sw_reply_error("path: too long%s", "");
        /* Never over the live database, its WAL or its inbox file. */
        if (realpath(d->cfg.storage.path, db) && strncmp(ret, db, strlen(db)) == 0)
                return sw_reply_error("path: '%s' is the database itself or one of its files",
                                      path);
        return NULL;
}

cJSON *sw_cmd_backup(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        const struct sw_cmd_backup_args *a = &args->backup;
        char path[PATH_MAX];
        struct sw_store_copy_info info;
        int64_t generation = 0;
        cJSON *e = resolve(d, a->path, path);
        if (e)
                return e;
        /* The copy must hold every message acknowledged so far: their effects are in memory
         * and in the inbox file until a group commit writes them, so commit first. Nothing
         * runs between this commit and the copy (one thread). */
        uint64_t t0 = sw_clock_monotonic_ms();
        int r = sw_persist_commit(d);
        if (r < 0)
                return sw_reply_error("cannot commit the state before the copy: %s",
                                      sw_store_errmsg(d->store));
        (void)sw_store_meta_get_int(d->store, SW_DURABILITY_META_GENERATION, &generation);
        r = sw_store_backup(d->store, path, a->force, &info);
        if (r == -EEXIST)
                return sw_reply_error("path: %s exists (force replaces it)", path);
        if (r < 0) {
                char msg[PATH_MAX + 512];
                snprintf(msg, sizeof(msg), "cannot write the copy to %s: %s (%s)", path,
                         strerror(-r), sw_store_errmsg(d->store));
                sw_log_err("Backup failed: %s", msg);
                return sw_reply_error("%s", msg);
        }
        uint64_t ms = sw_clock_monotonic_ms() - t0;
        sw_log_event(
            SW_LOG_NOTICE, &(struct sw_log_fields){.event = SW_EVENT_BACKUP_WRITTEN, .path = path},
            "Database copied to %s (%" PRIu64 " bytes, %" PRIu64 " ms)", path, info.bytes, ms);
        cJSON *o = sw_reply_ok();
        cJSON_AddStringToObject(o, "path", path);
        cJSON_AddNumberToObject(o, "bytes", (double)info.bytes);
        cJSON_AddNumberToObject(o, "schema_version", info.schema_version);
        cJSON_AddNumberToObject(o, "inbox_generation", (double)generation);
        cJSON_AddNumberToObject(o, "duration_ms", (double)ms);
        sw_reply_add_time(o, "taken_at", sw_clock_now());
        return o;
}
