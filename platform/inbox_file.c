/* Append-only inbox file: records with length and CRC-32C, generations, replay and cut of a torn
 * tail. */
#include "platform/inbox_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/byte_order.h"

#define INBOX_MAGIC    0x31495753u /* "SWI1" read as a little-endian u32 */
#define INBOX_CRC_POLY 0x82f63b78u /* CRC-32C (Castagnoli), reflected */
#define INBOX_CRC_AT   20          /* offset of the CRC in the header */

/* Not zlib's crc32(): that is CRC-32 (IEEE) and would be a new link dependency for every
 * target, cross builds included. Slicing by 8 (eight bytes per step, tables in the struct)
 * keeps it near 1 ns a byte without CPU-specific instructions. */
static void inbox__crc_init(uint32_t table[8][256])
{
        for (uint32_t i = 0; i < 256; i++) {
                uint32_t c = i;
                for (int k = 0; k < 8; k++)
                        c = c & 1 ? (c >> 1) ^ INBOX_CRC_POLY : c >> 1;
                table[0][i] = c;
        }
        for (int k = 1; k < 8; k++)
                for (uint32_t i = 0; i < 256; i++)
                        table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xffu];
}

uint32_t sw_inbox_file_crc(const struct sw_inbox_file *f, uint32_t crc, const void *buf, size_t len)
{
        const uint32_t(*t)[256] = f->crc_table;
        const uint8_t *p = buf;
        crc = ~crc;
        for (; len >= 8; len -= 8, p += 8) {
                uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                     (uint32_t)p[3] << 24);
                uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                              (uint32_t)p[7] << 24;
                crc = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^
                      t[4][lo >> 24] ^ t[3][hi & 0xffu] ^ t[2][(hi >> 8) & 0xffu] ^
                      t[1][(hi >> 16) & 0xffu] ^ t[0][hi >> 24];
        }
        while (len--)
                crc = t[0][(crc ^ *p++) & 0xffu] ^ (crc >> 8);
        return ~crc;
}

int sw_inbox_file_open(struct sw_inbox_file *f, const char *path)
{
        struct stat st;
        if (!f || !path)
                return -EINVAL;
        memset(f, 0, sizeof(*f));
        f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (f->fd < 0)
                return -errno;
        /* One daemon per database: a second one (or --restore) gets -EBUSY. The lock goes
         * with the process, even on kill -9. */
        if (flock(f->fd, LOCK_EX | LOCK_NB) < 0 || fstat(f->fd, &st) < 0) {
                int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(f->fd);
                f->fd = -1;
                return r;
        }
        /* Until replay has looked at it, nothing in the file is known to be good. */
        f->size = 0;
        f->cut_pending = st.st_size > 0;
        inbox__crc_init(f->crc_table);
        return 0;
}

struct sw_inbox_file *sw_inbox_file_close(struct sw_inbox_file *f)
{
        if (f && f->fd >= 0) {
                close(f->fd);
                f->fd = -1;
        }
        return NULL;
}

/* Read exactly len bytes at off: 0, -ENODATA at the end of the file, or -errno. */
static int inbox__read_at(int fd, void *buf, size_t len, uint64_t off)
{
        uint8_t *p = buf;
        while (len > 0) {
                ssize_t n = pread(fd, p, len, (off_t)off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ENODATA;
                p += n;
                len -= (size_t)n;
                off += (uint64_t)n;
        }
        return 0;
}

/* Drop whatever follows the good records. */
static int inbox__cut(struct sw_inbox_file *f)
{
        if (ftruncate(f->fd, (off_t)f->size) < 0)
                return -errno;
        f->cut_pending = false;
        return 0;
}

/* A growing buffer for one record's topic and payload. */
struct inbox_buf {
        uint8_t *p; /* malloc'd */
        size_t cap; /* its size */
};

/* The record at off into *rec (topic NUL-terminated in front of the payload, in b), its size
 * in *ret_total: 1, or 0 at the end of the good records (end of file, a torn or corrupt
 * record), or -errno. */
static int inbox__read_record(struct sw_inbox_file *f, uint64_t off, uint64_t file_size,
                              struct inbox_buf *b, struct sw_inbox_record *rec, uint64_t *ret_total)
{
        uint8_t h[SW_INBOX_FILE_HEADER];
        int r = inbox__read_at(f->fd, h, sizeof(h), off);
        if (r < 0)
                return r == -ENODATA ? 0 : r;
        uint64_t plen = sw_get_le32(h + 4), tlen = sw_get_le16(h + 18);
        uint64_t total = SW_INBOX_FILE_HEADER + tlen + plen;
        if (sw_get_le32(h) != INBOX_MAGIC || plen > SW_INBOX_FILE_MAX_PAYLOAD ||
            off + total > file_size)
                return 0;
        /* Both bounded above (a 16-bit topic length, SW_INBOX_FILE_MAX_PAYLOAD): they fit a
         * size_t on 32-bit builds too. */
        size_t tl = (size_t)tlen, pl = (size_t)plen, need = tl + pl + 1;
        if (need > b->cap) {
                uint8_t *nb = realloc(b->p, need);
                if (!nb)
                        return -ENOMEM;
                b->p = nb;
                b->cap = need;
        }
        r = inbox__read_at(f->fd, b->p, tl, off + SW_INBOX_FILE_HEADER);
        if (r == 0)
                r = inbox__read_at(f->fd, b->p + tl + 1, pl, off + SW_INBOX_FILE_HEADER + tl);
        if (r < 0)
                return r == -ENODATA ? 0 : r;
        b->p[tl] = '\0';
        uint32_t crc = sw_inbox_file_crc(f, 0, h, INBOX_CRC_AT);
        crc = sw_inbox_file_crc(f, crc, b->p, tl);
        crc = sw_inbox_file_crc(f, crc, b->p + tl + 1, pl);
        if (crc != sw_get_le32(h + INBOX_CRC_AT))
                return 0;
        *rec = (struct sw_inbox_record){.generation = sw_get_le64(h + 8),
                                        .kind = sw_get_le16(h + 16),
                                        .topic = (const char *)b->p,
                                        .topic_len = tl,
                                        .payload = b->p + tl + 1,
                                        .len = pl};
        *ret_total = total;
        return 1;
}

int sw_inbox_file_replay(struct sw_inbox_file *f, uint64_t after,
                         int (*cb)(void *ctx, const struct sw_inbox_record *rec), void *ctx,
                         struct sw_inbox_file_scan *ret)
{
        struct sw_inbox_file_scan scan = {0};
        struct inbox_buf b = {0};
        struct sw_inbox_record rec;
        uint64_t off = 0, total = 0;
        struct stat st;
        int r = 0;

        if (!f || f->fd < 0 || !cb)
                return -EINVAL;
        if (fstat(f->fd, &st) < 0)
                return -errno;
        while ((r = inbox__read_record(f, off, (uint64_t)st.st_size, &b, &rec, &total)) > 0) {
                scan.records++;
                if (rec.generation > scan.max_generation)
                        scan.max_generation = rec.generation;
                if (rec.generation > after) {
                        r = cb(ctx, &rec);
                        if (r < 0)
                                goto out;
                        scan.replayed++;
                }
                off += total;
        }
        if (r < 0)
                goto out;
        f->size = off;
        scan.cut_bytes = (uint64_t)st.st_size - off;
        f->cut_pending = scan.cut_bytes > 0;
        if (f->cut_pending)
                (void)inbox__cut(f);
        r = (int)scan.replayed;
        if (ret)
                *ret = scan;
out:
        free(b.p);
        return r;
}

int sw_inbox_file_append(struct sw_inbox_file *f, uint64_t generation, uint16_t kind,
                         const char *topic, const void *payload, size_t len)
{
        uint8_t h[SW_INBOX_FILE_HEADER];
        size_t tlen = topic ? strlen(topic) : 0, done = 0, total;
        uint32_t crc;

        if (!f || f->fd < 0 || !topic || (!payload && len > 0) || tlen > UINT16_MAX ||
            len > SW_INBOX_FILE_MAX_PAYLOAD)
                return -EINVAL;
        /* A failed write before this one may have left bytes behind; if they cannot be cut,
         * this record overwrites them from the right place anyway. */
        if (f->cut_pending)
                (void)inbox__cut(f);
        sw_put_le32(h, INBOX_MAGIC);
        sw_put_le32(h + 4, (uint32_t)len);
        sw_put_le64(h + 8, generation);
        sw_put_le16(h + 16, kind);
        sw_put_le16(h + 18, (uint16_t)tlen);
        crc = sw_inbox_file_crc(f, 0, h, INBOX_CRC_AT);
        crc = sw_inbox_file_crc(f, crc, topic, tlen);
        crc = sw_inbox_file_crc(f, crc, payload, len);
        sw_put_le32(h + INBOX_CRC_AT, crc);
        total = sizeof(h) + tlen + len;
        while (done < total) {
                /* What is left of header, topic and payload after `done` bytes. */
                struct iovec iov[3];
                const uint8_t *part[3] = {h, (const uint8_t *)topic, payload};
                size_t plen[3] = {sizeof(h), tlen, len}, skip = done;
                int n = 0;
                for (int k = 0; k < 3; k++) {
                        if (skip >= plen[k]) {
                                skip -= plen[k];
                                continue;
                        }
                        iov[n++] = (struct iovec){.iov_base = (void *)(part[k] + skip),
                                                  .iov_len = plen[k] - skip};
                        skip = 0;
                }
                ssize_t w = pwritev(f->fd, iov, n, (off_t)(f->size + done));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        int r = w < 0 ? -errno : -EIO;
                        if (done > 0) {
                                f->cut_pending = true;
                                (void)inbox__cut(f);
                        }
                        return r;
                }
                done += (size_t)w;
        }
        f->size += total;
        f->unsynced = true;
        return 0;
}

int sw_inbox_file_cut_to(struct sw_inbox_file *f, uint64_t size)
{
        if (!f || f->fd < 0 || size > f->size)
                return -EINVAL;
        f->size = size;
        f->cut_pending = true;
        return inbox__cut(f);
}

int sw_inbox_file_sync(struct sw_inbox_file *f)
{
        if (!f || f->fd < 0)
                return -EINVAL;
        if (!f->unsynced)
                return 0;
        if (fdatasync(f->fd) < 0)
                return -errno;
        f->unsynced = false;
        return 0;
}

int sw_inbox_file_truncate(struct sw_inbox_file *f)
{
        if (!f || f->fd < 0)
                return -EINVAL;
        if (ftruncate(f->fd, 0) < 0)
                return -errno;
        f->size = 0;
        f->cut_pending = false;
        return 0;
}
