/* Append-only inbox file: applied device messages kept until a group commit holds their effects. */
#ifndef SW_INBOX_FILE_H
#define SW_INBOX_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One record per message, little-endian: u32 magic "SWI1", u32 payload length, u64
 * generation, u16 kind, u16 topic length, u32 CRC-32C of the 20 bytes before it and of
 * topic and payload; then topic (no NUL) and payload. A record is one pwritev(2) at the end
 * of the good records, so it survives the process being killed as soon as the call returns;
 * sw_inbox_file_sync() makes it survive power loss. Replay stops at the first record that is
 * short, has a bad magic, an impossible length or a wrong CRC (a torn tail) and cuts it off.
 *
 * Generations make the file and the database agree without writing both atomically: the
 * caller tags every record with the generation of its next group commit, records that
 * generation in the same SQLite transaction, and replays only newer records at start-up. The
 * file may then be emptied (sw_inbox_file_truncate) once that commit is durable.
 */

#define SW_INBOX_FILE_HEADER      24                  /* bytes before the topic */
#define SW_INBOX_FILE_MAX_PAYLOAD (64u * 1024 * 1024) /* longer lengths are read as damage */

struct sw_inbox_file {
        int fd;                     /* read/write descriptor, -1 when closed */
        uint64_t size;              /* end of the last good record: where the next one goes */
        bool unsynced;              /* records written since the last fdatasync */
        bool cut_pending;           /* bytes of a failed write may follow size: cut them first */
        uint32_t crc_table[8][256]; /* CRC-32C (Castagnoli), reflected, slice by 8 */
};

/* A record handed to the replay callback. topic is NUL-terminated. */
struct sw_inbox_record {
        uint64_t generation; /* group commit it belongs to */
        uint16_t kind;       /* caller's message kind */
        const char *topic;   /* MQTT topic */
        size_t topic_len;    /* its length */
        const void *payload; /* raw payload */
        size_t len;          /* its length */
};

/* What a replay found. */
struct sw_inbox_file_scan {
        uint32_t records;        /* good records in the file */
        uint32_t replayed;       /* of those, newer than the committed generation (callback) */
        uint64_t max_generation; /* highest generation of a good record, 0 none */
        uint64_t cut_bytes;      /* bytes of a torn or damaged tail cut off */
};

/* Open (creating, mode 0600) the file at path into f and lock it (flock, exclusive); the caller
 * then replays it before appending. Returns 0, -EBUSY when another open file holds the lock (a
 * daemon runs on this database), or -errno of open/fstat; f is left closed (fd -1) on
 * failure. */
int sw_inbox_file_open(struct sw_inbox_file *f, const char *path);
/* Close (no sync). Accepts NULL or a closed file; returns NULL. */
struct sw_inbox_file *sw_inbox_file_close(struct sw_inbox_file *f);

/*
 * Read every good record in order, calling cb for those with generation > after (a negative
 * return from cb stops the replay and is returned), then cut off anything after the last
 * good record so that appends follow it. Allocates one buffer as large as the largest
 * record, freed before returning. Returns the number of records passed to cb, or -errno
 * (-EINVAL NULL/closed, -ENOMEM, read errors); a failed cut is not an error (the next append
 * retries it). ret may be NULL.
 */
int sw_inbox_file_replay(struct sw_inbox_file *f, uint64_t after,
                         int (*cb)(void *ctx, const struct sw_inbox_record *rec), void *ctx,
                         struct sw_inbox_file_scan *ret);

/*
 * Append one record with one pwritev(2). On failure nothing is added: a partial write is cut
 * off (or, if even that fails, overwritten by the next append). Returns 0, -EINVAL (closed,
 * NULL with a length, topic or payload too long), -ENOSPC, -EFBIG, -EDQUOT, -EIO, ...
 */
int sw_inbox_file_append(struct sw_inbox_file *f, uint64_t generation, uint16_t kind,
                         const char *topic, const void *payload, size_t len);
/* Drop the records after size (a value of f->size taken before appending them): a message whose
 * effects were undone must not be replayed. Returns 0, -EINVAL (closed, size beyond the end), or
 * the -errno of ftruncate (the records are then overwritten by the next append, as after a failed
 * write, but a crash before it replays them). */
int sw_inbox_file_cut_to(struct sw_inbox_file *f, uint64_t size);
/* fdatasync(2) if anything was written since the last sync. Returns 0 or -errno (-EIO). */
int sw_inbox_file_sync(struct sw_inbox_file *f);
/* Empty the file (after the group commit holding every record is durable). 0 or -errno. */
int sw_inbox_file_truncate(struct sw_inbox_file *f);

/* CRC-32C of buf continuing from crc (start with 0), with the file's table. */
uint32_t sw_inbox_file_crc(const struct sw_inbox_file *f, uint32_t crc, const void *buf,
                           size_t len);

#endif
