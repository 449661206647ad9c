/* What makes an accepted message survive: the inbox file and the group commit. */
#include "daemon/durability.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "platform/clock.h"
#include "platform/log.h"

static bool note(struct sw_durability *du, int r, const char *what)
{
        return sw_storage_health_note(du->health, r, what, sw_store_errmsg(du->store),
                                      sw_clock_now());
}

void sw_durability_init(struct sw_durability *du, struct sw_store *store,
                        struct sw_storage_health *health, uint64_t *errors, uint64_t max_bytes,
                        const struct sw_durable_state *state)
{
        *du = (struct sw_durability){.store = store,
                                     .health = health,
                                     .errors = errors,
                                     .max_bytes = max_bytes,
                                     .state = *state};
        du->inbox.fd = -1;
}

void sw_durability_close(struct sw_durability *du)
{
        sw_inbox_file_close(&du->inbox);
}

int sw_durability_add(struct sw_durability *du, int kind, const char *topic, const void *payload,
                      size_t len)
{
        /* One write(2) to the inbox file: once it returns the record survives a kill -9 even if
         * this pass goes on reading for a while; the fdatasync for power loss comes once per
         * pass, in sw_durability_flush(). No SQLite transaction per message. */
        int r = du->inbox.size + len + strlen(topic) > du->max_bytes
                    ? -EFBIG /* storage.max_inbox_kib: the group commits have been failing */
                    : sw_inbox_file_append(&du->inbox, du->generation, (uint16_t)kind, topic,
                                           payload, len);
        if (r < 0) {
                /* The message is applied in memory; it is exposed to a crash until the next
                 * durable commit of the state (sw_durability_make_durable). */
                (*du->errors)++;
                du->lost = true;
                /* A full disk fails every message: logged once, as a change of state. */
                if (!note(du, r, "inbox") && du->health->state == SW_STORAGE_OK)
                        sw_log_err("Cannot keep message from %s in the inbox: %s", topic,
                                   strerror(-r));
                return r;
        }
        du->open = true;
        du->rows++;
        return 0;
}

int sw_durability_make_durable(struct sw_durability *du)
{
        int r = sw_durability_flush(du);
        if (r < 0 || !du->lost)
                return r;
        /* Messages whose inbox record was lost are only in memory: commit the state that holds
         * them, and sync it. */
        r = sw_durability_commit(du);
        if (r == 0)
                r = sw_store_commit_durable(du->store);
        if (r == 0)
                du->lost = false;
        return r;
}

/* Account one durable step of the flush to the storage state of the writer named by what. */
static void flush_noted(struct sw_durability *du, int r, const char *what)
{
        if (r < 0) {
                (*du->errors)++;
                if (!note(du, r, what) && du->health->state == SW_STORAGE_OK)
                        sw_log_err("Cannot sync the inbox (%s): %s", what, strerror(-r));
        } else {
                (void)note(du, 0, what);
        }
}

int sw_durability_flush(struct sw_durability *du)
{
        int r = 0;
        if (!du->open && !du->sync_store)
                return 0;
        /* Durable: the sender was told (PUBACK, ack) before we could write; one fdatasync of
         * the inbox file per loop pass covers every message that pass received. */
        if (du->open) {
                r = sw_inbox_file_sync(&du->inbox);
                if (r == 0)
                        du->open = false;
                flush_noted(du, r, "inbox sync");
        }
        if (r == 0 && du->sync_store) {
                /* Commits the open transaction first if there is one. */
                r = sw_store_commit_durable(du->store);
                if (r < 0)
                        sw_store_rollback(du->store);
                else
                        du->sync_store = false;
                flush_noted(du, r, "wal sync"); /* the database's, not the inbox file's */
        }
        return r;
}

/* After a group commit that holds every inbox record: start the next generation, and empty
 * the file once it is large (the commit is made durable first, so that after a power loss the
 * database never misses a generation the file no longer has). Until then older generations
 * stay in the file and are skipped at start-up. */
static void rotate(struct sw_durability *du)
{
        int r;
        du->generation++;
        du->rows = 0;
        if (du->inbox.size < SW_DURABILITY_ROTATE_BYTES)
                return;
        r = sw_store_commit_durable(du->store);
        if (r == 0)
                r = sw_inbox_file_truncate(&du->inbox);
        if (r < 0)
                sw_log_warning("Cannot empty the inbox file (%llu bytes), keeping it: %s",
                               (unsigned long long)du->inbox.size, strerror(-r));
}

/* The state, the generation its records belong to and the legacy table's clearing. */
static int write_all(struct sw_durability *du)
{
        int r = sw_store_begin(du->store);
        if (r == 0)
                r = du->state.write(du->state.ctx);
        /* The state now holds every inbox record of this generation. */
        if (r == 0 && du->rows > 0)
                r = sw_store_meta_put_int(du->store, SW_DURABILITY_META_GENERATION,
                                          (int64_t)du->generation);
        if (r == 0 && du->legacy_rows) {
                int n = sw_store_inbox_clear(du->store);
                r = n < 0 ? n : 0;
        }
        return r == 0 ? sw_store_commit(du->store) : r;
}

int sw_durability_commit(struct sw_durability *du)
{
        sw_durability_flush(du);
        /* Legacy inbox rows that replayed as duplicates dirty nothing, yet must be cleared. */
        if (!du->state.dirty(du->state.ctx) && du->rows == 0 && !du->legacy_rows) {
                du->state.idle(du->state.ctx);
                return 0;
        }
        int r = write_all(du);
        if (r < 0) {
                /* Dirty marks stay set, so the next commit retries everything. */
                sw_store_rollback(du->store);
                (*du->errors)++;
                (void)note(du, r, "group commit");
                return r;
        }
        (void)note(du, 0, "group commit");
        du->state.written(du->state.ctx);
        du->legacy_rows = false;
        if (du->rows > 0)
                rotate(du);
        du->state.idle(du->state.ctx);
        return 0;
}

/* Counts each replayed record as this generation's, then hands it to the daemon. */
struct replay {
        struct sw_durability *du;   /* owner */
        sw_durability_replay_fn fn; /* the daemon's */
        void *ctx;                  /* its context */
};

static int replay_row(void *ctx, int kind, const char *topic, const void *payload, size_t len)
{
        struct replay *rp = ctx;
        rp->du->rows++;
        return rp->fn(rp->ctx, kind, topic, payload, len);
}

static int replay_record(void *ctx, const struct sw_inbox_record *rec)
{
        return replay_row(ctx, rec->kind, rec->topic, rec->payload, rec->len);
}

/* No daemon has written an inbox for this database (it is new, moved aside and recreated, or
 * written by a version with the inbox table): whatever the file holds belongs to another
 * database. Record generation 0 durably before the first record, so the file counts now. */
static int start_inbox(struct sw_durability *du, const char *path)
{
        if (du->inbox.cut_pending) /* not empty */
                sw_log_warning("Inbox file %s does not belong to this database: emptied", path);
        int r = sw_inbox_file_truncate(&du->inbox);
        if (r == 0)
                r = sw_store_meta_put_int(du->store, SW_DURABILITY_META_GENERATION, 0);
        if (r == 0)
                r = sw_store_commit_durable(du->store);
        if (r < 0)
                sw_log_err("Cannot start the inbox of %s: %s", path, strerror(-r));
        return r;
}

/* Open the file and apply its records newer than the generation the database holds (a crash
 * came before the group commit that would have held them). Returns 0 or -errno (logged). */
static int restore_file(struct sw_durability *du, const char *path, struct replay *rp)
{
        int64_t committed = 0;
        struct sw_inbox_file_scan scan = {0};
        /* The daemon opens (and locks) it before the database; tests leave it to us. */
        int r = du->inbox.fd >= 0 ? 0 : sw_inbox_file_open(&du->inbox, path);
        if (r < 0) {
                sw_log_err("Cannot open the inbox file %s: %s", path,
                           r == -EBUSY ? "another shelfwatchd runs on this database"
                                       : strerror(-r));
                return r;
        }
        r = sw_store_meta_get_int(du->store, SW_DURABILITY_META_GENERATION, &committed);
        if (r == -ENOENT) {
                r = start_inbox(du, path);
                if (r < 0)
                        return r;
                committed = 0;
        } else if (r < 0 || committed < 0) {
                /* Replaying from 0 would apply committed messages twice: refuse to start. */
                sw_log_err("Cannot read the committed inbox generation: %s",
                           r < 0 ? strerror(-r) : "negative value");
                return r < 0 ? r : -EBADMSG;
        }
        r = sw_inbox_file_replay(&du->inbox, (uint64_t)committed, replay_record, rp, &scan);
        if (r < 0) {
                sw_log_err("Cannot read the inbox file %s: %s", path, strerror(-r));
                return r;
        }
        if (scan.cut_bytes > 0)
                sw_log_warning(
                    "Inbox file %s ended in %llu bytes of a torn or damaged record, cut off", path,
                    (unsigned long long)scan.cut_bytes);
        /* Replayed records belong to the generation the start-up commit stores (its rotation
         * starts the next); without any, new records start the next now. Never reuse a
         * generation still in the file. */
        du->generation =
            (uint64_t)committed > scan.max_generation ? (uint64_t)committed : scan.max_generation;
        if (r == 0)
                du->generation++;
        return 0;
}

int sw_durability_restore(struct sw_durability *du, const char *db_path,
                          sw_durability_replay_fn replay, void *ctx)
{
        char path[1200];
        struct replay rp = {.du = du, .fn = replay, .ctx = ctx};
        /* Rows an older version left in the SQLite inbox table (deleted by the next group
         * commit), then the inbox file. */
        int legacy = sw_store_inbox_load(du->store, replay_row, &rp);
        if (legacy < 0)
                return legacy;
        du->legacy_rows = legacy > 0;
        uint32_t before = du->rows;
        snprintf(path, sizeof(path), "%s.inbox", db_path);
        int r = restore_file(du, path, &rp);
        if (r < 0)
                return r;
        int n = (int)(du->rows - before) + legacy;
        if (n > 0) {
                sw_log_notice("Replayed %d messages received before an unclean stop", n);
                r = sw_durability_commit(du);
        }
        return r < 0 ? r : n;
}
