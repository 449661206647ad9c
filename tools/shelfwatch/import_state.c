/* import_state.c: an import's state file: how far the daemon confirmed each file, and the tallies.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"

#define IMP_STATE_MAGIC "shelfwatch-import 1"
#define IMP_LINE_SIZE   8192

void imp_tally_add_reason(struct imp_tally *t, const char *name, uint64_t n)
{
        if (n == 0)
                return;
        for (unsigned i = 0; i < t->n_reasons; i++)
                if (strcmp(t->reasons[i].name, name) == 0) {
                        t->reasons[i].n += n;
                        return;
                }
        /* More distinct reasons than slots: the last slot takes the rest, named "other". */
        if (t->n_reasons == IMP_MAX_REASONS) {
                snprintf(t->reasons[IMP_MAX_REASONS - 1].name, IMP_REASON_SIZE, "other");
                t->reasons[IMP_MAX_REASONS - 1].n += n;
                return;
        }
        snprintf(t->reasons[t->n_reasons].name, IMP_REASON_SIZE, "%s", name);
        t->reasons[t->n_reasons++].n = n;
}

uint64_t imp_tally_refused(const struct imp_tally *t)
{
        uint64_t n = 0;
        for (unsigned i = 0; i < t->n_reasons; i++)
                n += t->reasons[i].n;
        return n;
}

/* ---- reading ---- */

static struct imp_tally *imp_tally_named(struct imp_run *r, const char *kind)
{
        if (strcmp(kind, "register") == 0)
                return &r->reg;
        for (int k = 0; k < IMP_KINDS; k++)
                if (strcmp(kind, imp_kind_name((enum imp_kind)k)) == 0)
                        return &r->files[k].tally;
        return NULL;
}

static int imp_state_file_line(struct imp_run *r, const char *line, bool seen[IMP_KINDS], char *err,
                               size_t errsz)
{
        char kind[16];
        uint64_t fp, size;
        unsigned next, done;
        int path_at = 0;
        if (sscanf(line, "file %15s %" SCNx64 " %" SCNu64 " %u %u %n", kind, &fp, &size, &next,
                   &done, &path_at) != 5 ||
            path_at == 0)
                return -EINVAL;
        for (int k = 0; k < IMP_KINDS; k++) {
                struct imp_file *f = &r->files[k];
                if (strcmp(kind, imp_kind_name((enum imp_kind)k)) != 0)
                        continue;
                if (!f->path) {
                        snprintf(err, errsz,
                                 "%s is the state of an import that had the %s file %s: give the "
                                 "same files, or another --state",
                                 r->state_path, kind, line + path_at);
                        return -EEXIST;
                }
                if (f->fingerprint != fp || f->size != size) {
                        snprintf(err, errsz,
                                 "%s changed since the import that %s records (it was %" PRIu64
                                 " bytes, now %" PRIu64 "): its rows would get new ids and count "
                                 "twice. Import a new export of other days under another --state; "
                                 "remove %s only to start this import over",
                                 f->path, r->state_path, size, f->size, r->state_path);
                        return -EEXIST;
                }
                f->next_line = next;
                f->done = done;
                seen[k] = true;
                return 0;
        }
        return -EINVAL;
}

static int imp_state_tally_line(struct imp_run *r, const char *line)
{
        char kind[16];
        struct imp_tally *t;
        uint64_t v[10];
        if (sscanf(line,
                   "tally %15s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                   kind, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
                   &v[9]) != 11 ||
            !(t = imp_tally_named(r, kind)))
                return -EINVAL;
        *t = (struct imp_tally){.units = v[0],
                                .lines = v[1],
                                .skipped = v[2],
                                .sent = v[3],
                                .accepted = v[4],
                                .duplicates = v[5],
                                .items_skipped_full = v[6],
                                .stale = v[7],
                                .categories_full = v[8],
                                .saturated = v[9]};
        return 0;
}

static int imp_state_reason_line(struct imp_run *r, const char *line)
{
        char kind[16], name[IMP_REASON_SIZE];
        uint64_t n;
        struct imp_tally *t;
        if (sscanf(line, "reason %15s %31s %" SCNu64, kind, name, &n) != 3 ||
            !(t = imp_tally_named(r, kind)))
                return -EINVAL;
        imp_tally_add_reason(t, name, n);
        return 0;
}

static int imp_state_parse(struct imp_run *r, FILE *in, char *err, size_t errsz)
{
        char line[IMP_LINE_SIZE];
        bool seen[IMP_KINDS] = {false};
        unsigned n = 0, registered;
        while (fgets(line, sizeof(line), in)) {
                line[strcspn(line, "\n")] = '\0';
                int rc = 0;
                n++;
                if (n == 1 && strcmp(line, IMP_STATE_MAGIC) != 0)
                        rc = -EINVAL;
                else if (n == 1)
                        continue;
                else if (strncmp(line, "prefix ", 7) == 0 &&
                         strcmp(line + 7, r->target->prefix) != 0) {
                        snprintf(err, errsz,
                                 "%s is the state of an import into %s, not %s: give another "
                                 "--state",
                                 r->state_path, line + 7, r->target->prefix);
                        return -EEXIST;
                } else if (strncmp(line, "file ", 5) == 0)
                        rc = imp_state_file_line(r, line, seen, err, errsz);
                else if (strncmp(line, "tally ", 6) == 0)
                        rc = imp_state_tally_line(r, line);
                else if (strncmp(line, "reason ", 7) == 0)
                        rc = imp_state_reason_line(r, line);
                else if (sscanf(line, "registered %u", &registered) == 1)
                        r->registered = registered;
                if (rc == -EEXIST)
                        return rc;
                if (rc < 0) {
                        snprintf(err, errsz, "%s:%u: not a state file of shelfwatch import",
                                 r->state_path, n);
                        return -EINVAL;
                }
        }
        for (int k = 0; k < IMP_KINDS; k++)
                if (r->files[k].path && !seen[k]) {
                        snprintf(err, errsz,
                                 "%s is the state of an import without the %s file %s: give the "
                                 "same files, or another --state",
                                 r->state_path, imp_kind_name((enum imp_kind)k), r->files[k].path);
                        return -EEXIST;
                }
        return 0;
}

/* Resume from the state file when there is one. 0 (fresh or resumed), or -errno (err says why:
 * unreadable, another import's, or a file that changed since). */
int imp_state_load(struct imp_run *r, char *err, size_t errsz)
{
        FILE *in = fopen(r->state_path, "re");
        if (!in) {
                if (errno == ENOENT)
                        return 0;
                snprintf(err, errsz, "%s: %s", r->state_path, strerror(errno));
                return -errno;
        }
        int rc = imp_state_parse(r, in, err, errsz);
        fclose(in);
        if (rc == 0)
                r->resumed = true;
        return rc;
}

/* ---- writing ---- */

/* Before anything is sent: a state that cannot be written would make a resumed run start over
 * (its rows then arrive twice as duplicates, but the run is needlessly long). */
int imp_state_check_writable(const struct imp_run *r, char *err, size_t errsz)
{
        char tmp[sizeof(r->state_path) + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp", r->state_path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                int e = errno;
                snprintf(err, errsz, "cannot write the state file %s: %s (give --state FILE)",
                         r->state_path, strerror(e));
                return -e;
        }
        close(fd);
        unlink(tmp);
        return 0;
}

static void imp_state_write_tally(FILE *out, const char *kind, const struct imp_tally *t)
{
        fprintf(out,
                "tally %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
                kind, t->units, t->lines, t->skipped, t->sent, t->accepted, t->duplicates,
                t->items_skipped_full, t->stale, t->categories_full, t->saturated);
        for (unsigned i = 0; i < t->n_reasons; i++)
                fprintf(out, "reason %s %s %" PRIu64 "\n", kind, t->reasons[i].name,
                        t->reasons[i].n);
}

/* Write the whole state to a temporary file beside it, sync it, rename it over the old one and
 * sync the directory: a crash leaves the old state or the new one, never half of one. */
int imp_state_save(const struct imp_run *r, char *err, size_t errsz)
{
        char tmp[sizeof(r->state_path) + 8], dir[sizeof(r->state_path)];
        snprintf(tmp, sizeof(tmp), "%s.tmp", r->state_path);
        FILE *out = fopen(tmp, "we");
        if (!out) {
                snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
                return -errno;
        }
        fprintf(out, "%s\nprefix %s\nregistered %d\n", IMP_STATE_MAGIC, r->target->prefix,
                r->registered);
        imp_state_write_tally(out, "register", &r->reg);
        for (int k = 0; k < IMP_KINDS; k++) {
                const struct imp_file *f = &r->files[k];
                if (!f->path)
                        continue;
                fprintf(out, "file %s %016" PRIx64 " %" PRIu64 " %u %d %s\n",
                        imp_kind_name((enum imp_kind)k), f->fingerprint, f->size, f->next_line,
                        f->done, f->path);
                imp_state_write_tally(out, imp_kind_name((enum imp_kind)k), &f->tally);
        }
        int rc = fflush(out) == 0 && fsync(fileno(out)) == 0 ? 0 : -errno;
        if (fclose(out) != 0 && rc == 0)
                rc = -errno;
        if (rc == 0 && rename(tmp, r->state_path) < 0)
                rc = -errno;
        if (rc < 0) {
                snprintf(err, errsz, "cannot write %s: %s", r->state_path, strerror(-rc));
                unlink(tmp);
                return rc;
        }
        snprintf(dir, sizeof(dir), "%s", r->state_path);
        int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                (void)fsync(fd);
                close(fd);
        }
        return 0;
}
