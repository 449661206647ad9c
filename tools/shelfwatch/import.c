/* import.c: shelfwatch import: read the files, resume from the state, send each file in turn. */
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "platform/clock.h"
#include "import.h"
#include "session.h"

#define IMP_DEFAULT_DEVICE   "import"
#define IMP_STATE_SUFFIX     ".import-state"
#define IMP_ENVELOPE_BYTES   96 /* {"id":...,"ts":...,"lines":[]} around the lines */
#define IMP_EXIT_INTERRUPTED 130

/* ---- building messages ---- */

/* A message being filled with lines or items, kept within the daemon's limits. */
struct imp_msg {
        cJSON *root;           /* the message */
        cJSON *list;           /* its "lines" or "items" */
        unsigned n;            /* entries in list */
        size_t bytes;          /* about the size it prints to */
        unsigned first;        /* line of its first row */
        unsigned last;         /* line of its last row */
        int64_t ts;            /* its time */
        char device[72];       /* P/pos/{device} (receipts) */
        char receipt[160];     /* receipt id (receipts) */
        unsigned units;        /* rows (items) it carries */
        const char *refused;   /* a line was refused locally: the whole receipt is (reason) */
        char refused_msg[256]; /* ... and why */
        unsigned refused_line; /* ... at this line */
};

static void imp_msg_start(struct imp_msg *m, const char *list_name, int64_t ts, unsigned line)
{
        *m = (struct imp_msg){.root = cli_check_alloc(cJSON_CreateObject()),
                              .ts = ts,
                              .first = line,
                              .last = line,
                              .bytes = IMP_ENVELOPE_BYTES};
        cli_check_alloc(cJSON_AddNumberToObject(m->root, "ts", (double)ts));
        m->list = cli_check_alloc(cJSON_AddArrayToObject(m->root, list_name));
}

static void imp_msg_free(struct imp_msg *m)
{
        cJSON_Delete(m->root);
        m->root = NULL;
}

/* Room for one more entry of entry_bytes under both limits. */
static bool imp_msg_fits(const struct imp_run *r, const struct imp_msg *m, size_t entry_bytes)
{
        return m->n < r->cfg->limits.max_items_per_message &&
               m->bytes + entry_bytes + 1 <= r->cfg->limits.max_payload_bytes;
}

static size_t imp_json_len(const cJSON *o)
{
        char *text = cli_check_alloc(cJSON_PrintUnformatted(o));
        size_t n = strlen(text);
        free(text);
        return n;
}

static void imp_msg_add(struct imp_msg *m, cJSON *entry, size_t entry_bytes, unsigned line)
{
        cJSON_AddItemToArray(m->list, entry);
        m->n++;
        m->bytes += entry_bytes + 1;
        m->last = line;
}

/* A line of a POS message (sales, receipts), or an item of P/inventory. */
static cJSON *imp_entry(const struct imp_row *row, enum imp_kind kind)
{
        cJSON *e = cli_check_alloc(cJSON_CreateObject());
        cli_check_alloc(cJSON_AddStringToObject(e, "sku", row->sku));
        if (kind != IMP_ITEMS) {
                cli_check_alloc(cJSON_AddNumberToObject(e, "qty", (double)row->qty));
        } else if (row->has_on_hand) {
                cli_check_alloc(cJSON_AddNumberToObject(e, "on_hand", (double)row->on_hand));
        }
        if (row->has_price)
                cli_check_alloc(cJSON_AddNumberToObject(e, "price", row->price));
        if (kind == IMP_ITEMS && row->category)
                cli_check_alloc(cJSON_AddStringToObject(e, "category", row->category));
        return e;
}

/* Check one entry as the daemon would, in a message of its own with the same header. NULL
 * when fine, else the reason (err says what). */
static const char *imp_check_entry(enum sw_msg_kind kind, const char *id, int64_t ts,
                                   const cJSON *entry, char *err, size_t errsz)
{
        cJSON *m = cli_check_alloc(cJSON_CreateObject());
        if (id)
                cli_check_alloc(cJSON_AddStringToObject(m, "id", id));
        cli_check_alloc(cJSON_AddNumberToObject(m, "ts", (double)ts));
        cJSON *list = cli_check_alloc(
            cJSON_AddArrayToObject(m, kind == SW_MSG_INVENTORY ? "items" : "lines"));
        cJSON_AddItemToArray(list, cli_check_alloc(cJSON_Duplicate(entry, true)));
        char *text = cli_check_alloc(cJSON_PrintUnformatted(m));
        const char *why = imp_check_payload(kind, text, err, errsz);
        free(text);
        cJSON_Delete(m);
        return why;
}

/* ---- reading the files once: size, fingerprint, units, SKUs, the sales period ---- */

static int imp_sku_cmp(const void *a, const void *b)
{
        return strcmp(a, b);
}

static void imp_note_sku(struct imp_run *r, const char *sku)
{
        char *copy = cli_strdup(sku);
        char **slot = tsearch(copy, &r->skus, imp_sku_cmp);
        if (!slot)
                cli_check_alloc(NULL);
        if (*slot != copy)
                free(copy);
        else
                r->n_skus++;
}

static void imp_note_day(struct imp_run *r, sw_day_t day)
{
        if (r->period_first == SW_DAY_NONE || day < r->period_first)
                r->period_first = day;
        if (r->period_last == SW_DAY_NONE || day > r->period_last)
                r->period_last = day;
}

static sw_day_t imp_day_of(int64_t ts)
{
        struct sw_local_time lt;
        return sw_clock_to_local(NULL, ts, &lt) == 0 ? lt.day : SW_DAY_NONE;
}

/* Same receipt: the same receipt id from the same register, on consecutive lines. */
static bool imp_same_receipt(const struct imp_msg *m, const struct imp_row *row, const char *device)
{
        return m->root && strcmp(m->receipt, row->receipt) == 0 && strcmp(m->device, device) == 0;
}

static int imp_scan(struct imp_run *r, struct imp_file *f, char *err, size_t errsz)
{
        struct imp_csv c;
        struct imp_row row;
        struct imp_msg m = {0};
        char why[256];
        struct stat st;
        int rc = imp_csv_open(&c, f->path, f->kind, err, errsz);
        if (rc < 0)
                return rc;
        if (fstat(fileno(c.f), &st) == 0 && f->kind == IMP_ITEMS)
                r->file_time = st.st_mtime;
        if (f->kind == IMP_ITEMS)
                r->has_book = c.col[IMP_COL_ON_HAND] >= 0;
        while ((rc = imp_csv_next(&c, err, errsz)) != 0) {
                if (rc == -EIO)
                        break;
                if (f->kind != IMP_RECEIPTS)
                        f->total_units++;
                if (rc < 0 || imp_row_parse(r, f->kind, &c, &row, why, sizeof(why)))
                        continue;
                const char *device = row.device ? row.device : r->device;
                if (f->kind == IMP_RECEIPTS && (!imp_same_receipt(&m, &row, device) ||
                                                m.n >= r->cfg->limits.max_items_per_message)) {
                        imp_msg_free(&m);
                        imp_msg_start(&m, "lines", row.ts, row.line);
                        snprintf(m.receipt, sizeof(m.receipt), "%s", row.receipt);
                        snprintf(m.device, sizeof(m.device), "%s", device);
                        f->total_units++;
                }
                m.n++;
                cJSON *e = imp_entry(&row, f->kind);
                bool ok = !imp_check_entry(f->kind == IMP_ITEMS ? SW_MSG_INVENTORY : SW_MSG_POS,
                                           "x", row.ts ? row.ts : 1, e, why, sizeof(why));
                cJSON_Delete(e);
                if (!ok)
                        continue;
                imp_note_sku(r, row.sku);
                if (f->kind == IMP_SALES)
                        imp_note_day(r, row.day);
                else if (f->kind == IMP_RECEIPTS)
                        imp_note_day(r, imp_day_of(row.ts));
        }
        imp_msg_free(&m);
        f->fingerprint = c.fingerprint;
        f->size = c.bytes;
        imp_csv_close(&c);
        return rc == -EIO ? -EIO : 0;
}

/* ---- sending ---- */

/* Refuse a row before sending: printed (the first few), counted with the CLI's reason. */
static void imp_refuse(struct imp_file *f, unsigned line, const char *reason, const char *msg,
                       uint64_t units)
{
        char name[IMP_REASON_SIZE];
        imp_row_error(f, line, reason, msg);
        snprintf(name, sizeof(name), "cli:%s", reason);
        imp_tally_add_reason(&f->tally, name, units);
}

static int imp_publish(struct imp_sender *s, struct imp_tally *t, bool keeps_lines,
                       enum sw_msg_kind kind, const char *topic, const struct imp_msg *m,
                       unsigned units)
{
        char *text = cli_check_alloc(cJSON_PrintUnformatted(m->root));
        int rc = imp_send(s, t, keeps_lines, kind, topic, text, units);
        free(text);
        return rc;
}

/* Collect the SKUs in name order (twalk_r's in-order visit). */
struct imp_walk {
        const char **skus; /* the array being filled */
        size_t n;          /* entries filled */
};

static void imp_walk_sku(const void *node, VISIT v, void *ctx)
{
        struct imp_walk *w = ctx;
        if (v == postorder || v == leaf)
                w->skus[w->n++] = *(const char *const *)node;
}

/* Every SKU of the files, once, in P/inventory items without a book: the daemon takes them as
 * known from the period's first day, so the days without a sale are days of 0 units. */
static int imp_register(struct imp_run *r, struct imp_sender *s)
{
        char topic[CLI_TOPIC_SIZE];
        struct imp_walk w = {.skus = cli_check_alloc(calloc(r->n_skus + 1, sizeof(char *)))};
        struct imp_msg m = {0};
        int rc = 0;
        snprintf(topic, sizeof(topic), "%s/inventory", r->target->prefix);
        twalk_r(r->skus, imp_walk_sku, &w);
        r->reg = (struct imp_tally){.units = w.n};
        for (size_t i = 0; i < w.n && rc == 0; i++) {
                cJSON *e = cli_check_alloc(cJSON_CreateObject());
                cli_check_alloc(cJSON_AddStringToObject(e, "sku", w.skus[i]));
                size_t len = imp_json_len(e);
                if (m.root && !imp_msg_fits(r, &m, len)) {
                        rc = imp_publish(s, &r->reg, false, SW_MSG_INVENTORY, topic, &m, m.n);
                        if (rc == 0)
                                rc = imp_confirm(s, NULL, 0);
                        imp_msg_free(&m);
                }
                if (!m.root)
                        imp_msg_start(&m, "items", imp_day_noon(r->period_first), 0);
                imp_msg_add(&m, e, len, 0);
        }
        if (rc == 0 && m.root)
                rc = imp_publish(s, &r->reg, false, SW_MSG_INVENTORY, topic, &m, m.n);
        imp_msg_free(&m);
        free(w.skus);
        if (rc == 0) {
                r->registered = true;
                rc = imp_confirm(s, NULL, 0);
        }
        return rc;
}

/* The row imp_csv_next just read (rc), counted and parsed into row: NULL, or why it is refused
 * with the detail in why_msg ("bad_row": a line the CSV reader could not split). */
static const char *imp_take_row(struct imp_run *r, struct imp_file *f, struct imp_csv *c, int rc,
                                const char *err, struct imp_row *row, char *why_msg, size_t size)
{
        f->tally.lines++;
        if (rc >= 0)
                return imp_row_parse(r, f->kind, c, row, why_msg, size);
        *row = (struct imp_row){.line = c->line};
        /* err is "path:line: why" (imp_csv_next); the refusal names file and line itself */
        int prefix = snprintf(NULL, 0, "%s:%u: ", c->path, c->line);
        snprintf(why_msg, size, "%s",
                 prefix > 0 && strncmp(err, c->path, strlen(c->path)) == 0 &&
                         strlen(err) >= (size_t)prefix
                     ? err + prefix
                     : err);
        return "bad_row";
}

/* Book records: consecutive rows of the same as-of time share a P/inventory message. */
static int imp_send_items(struct imp_run *r, struct imp_sender *s, struct imp_file *f,
                          struct imp_csv *c, char *err, size_t errsz)
{
        char topic[CLI_TOPIC_SIZE], why_msg[256];
        struct imp_row row;
        struct imp_msg m = {0};
        int rc;
        snprintf(topic, sizeof(topic), "%s/inventory", r->target->prefix);
        while ((rc = imp_csv_next(c, err, errsz)) != 0 && !imp_interrupted) {
                if (rc == -EIO)
                        break;
                if (c->line < f->next_line)
                        continue;
                f->tally.units++;
                const char *why = imp_take_row(r, f, c, rc, err, &row, why_msg, sizeof(why_msg));
                int64_t ts = row.ts ? row.ts : r->file_time;
                cJSON *e = why ? NULL : imp_entry(&row, IMP_ITEMS);
                if (!why)
                        why = imp_check_entry(SW_MSG_INVENTORY, NULL, ts, e, why_msg,
                                              sizeof(why_msg));
                if (why) {
                        cJSON_Delete(e);
                        imp_refuse(f, c->line, why, why_msg, 1);
                        continue;
                }
                size_t len = imp_json_len(e);
                if (m.root && (m.ts != ts || !imp_msg_fits(r, &m, len))) {
                        rc = imp_publish(s, &f->tally, false, SW_MSG_INVENTORY, topic, &m, m.n);
                        if (rc == 0)
                                rc = imp_confirm(s, f, c->line);
                        imp_msg_free(&m);
                        if (rc < 0) {
                                cJSON_Delete(e);
                                return rc;
                        }
                        imp_progress(r, f, false);
                }
                if (!m.root)
                        imp_msg_start(&m, "items", ts, c->line);
                imp_msg_add(&m, e, len, c->line);
        }
        if (rc == -EIO) {
                imp_msg_free(&m);
                return rc;
        }
        if (m.root) {
                rc = imp_publish(s, &f->tally, false, SW_MSG_INVENTORY, topic, &m, m.n);
                imp_msg_free(&m);
                if (rc < 0)
                        return rc;
        }
        return imp_confirm(s, f, c->line + 1);
}

/* Sales per SKU and day: one POS message a row, at noon of its day, id from the file and line. */
static int imp_send_sales(struct imp_run *r, struct imp_sender *s, struct imp_file *f,
                          struct imp_csv *c, char *err, size_t errsz)
{
        char topic[CLI_TOPIC_SIZE], id[SW_ID_MAX_LEN + 1], why_msg[256];
        struct imp_row row;
        int rc;
        snprintf(topic, sizeof(topic), "%s/pos/%s", r->target->prefix, r->device);
        while ((rc = imp_csv_next(c, err, errsz)) != 0) {
                if (rc == -EIO)
                        return rc;
                if (c->line < f->next_line)
                        continue;
                if (imp_batch_full(s) || imp_interrupted) {
                        int done = imp_confirm(s, f, c->line); /* rc is still this row's */
                        if (done < 0 || imp_interrupted)
                                return done;
                        imp_progress(r, f, false);
                }
                f->tally.units++;
                const char *why = imp_take_row(r, f, c, rc, err, &row, why_msg, sizeof(why_msg));
                if (!why && row.qty == 0) {
                        f->tally.skipped++;
                        continue;
                }
                struct imp_msg m = {0};
                imp_message_id(f, c->line, id, sizeof(id));
                cJSON *e = why ? NULL : imp_entry(&row, IMP_SALES);
                int64_t ts = why ? 0 : imp_day_noon(row.day);
                if (!why)
                        why = imp_check_entry(SW_MSG_POS, id, ts, e, why_msg, sizeof(why_msg));
                if (why) {
                        cJSON_Delete(e);
                        imp_refuse(f, c->line, why, why_msg, 1);
                        continue;
                }
                imp_msg_start(&m, "lines", ts, c->line);
                cli_check_alloc(cJSON_AddStringToObject(m.root, "id", id));
                imp_msg_add(&m, e, 0, c->line);
                rc = imp_publish(s, &f->tally, false, SW_MSG_POS, topic, &m, 1);
                imp_msg_free(&m);
                if (rc < 0)
                        return rc;
                imp_progress(r, f, false);
        }
        return imp_confirm(s, f, c->line + 1);
}

/* A receipt made of consecutive lines goes as one POS message from its register (all or
 * nothing, as the daemon takes it: one bad line refuses the receipt). */
static int imp_flush_receipt(struct imp_run *r, struct imp_sender *s, struct imp_file *f,
                             struct imp_msg *m)
{
        char topic[CLI_TOPIC_SIZE];
        int rc = 0;
        if (!m->root)
                return 0;
        if (m->refused) {
                imp_refuse(f, m->refused_line, m->refused, m->refused_msg, 1);
        } else {
                snprintf(topic, sizeof(topic), "%s/pos/%s", r->target->prefix, m->device);
                rc = imp_publish(s, &f->tally, true, SW_MSG_POS, topic, m, 1);
        }
        imp_msg_free(m);
        return rc;
}

static void imp_mark_refused(struct imp_msg *m, unsigned line, const char *why, const char *msg)
{
        if (m->refused)
                return; /* the first bad line says why */
        m->refused = why;
        m->refused_line = line;
        snprintf(m->refused_msg, sizeof(m->refused_msg), "%s", msg);
}

static int imp_send_receipts(struct imp_run *r, struct imp_sender *s, struct imp_file *f,
                             struct imp_csv *c, char *err, size_t errsz)
{
        char id[SW_ID_MAX_LEN + 1], why_msg[256];
        struct imp_row row = {0};
        struct imp_msg m = {0};
        int rc;
        while ((rc = imp_csv_next(c, err, errsz)) != 0) {
                if (rc == -EIO)
                        break;
                if (c->line < f->next_line)
                        continue;
                const char *why = imp_take_row(r, f, c, rc, err, &row, why_msg, sizeof(why_msg));
                const char *device = row.device ? row.device : r->device;
                bool same = row.receipt && imp_same_receipt(&m, &row, device) &&
                            m.n < r->cfg->limits.max_items_per_message;
                if (!same && m.root) { /* the receipt before this line is complete */
                        rc = imp_flush_receipt(r, s, f, &m);
                        if (rc == 0 && (imp_batch_full(s) || imp_interrupted))
                                rc = imp_confirm(s, f, c->line);
                        if (rc < 0 || imp_interrupted)
                                return rc;
                        imp_progress(r, f, false);
                }
                if (!row.receipt) { /* a line of no receipt it can name: refused alone */
                        f->tally.units++;
                        imp_refuse(f, c->line, why, why_msg, 1);
                        continue;
                }
                if (!m.root) {
                        imp_msg_start(&m, "lines", why ? 0 : row.ts, c->line);
                        imp_message_id(f, c->line, id, sizeof(id));
                        cli_check_alloc(cJSON_AddStringToObject(m.root, "id", id));
                        snprintf(m.receipt, sizeof(m.receipt), "%s", row.receipt);
                        snprintf(m.device, sizeof(m.device), "%s", device);
                        f->tally.units++;
                }
                if (why) {
                        imp_mark_refused(&m, c->line, why, why_msg);
                        m.n++;
                        continue;
                }
                cJSON *e = imp_entry(&row, IMP_RECEIPTS);
                why = imp_check_entry(SW_MSG_POS, id, m.ts, e, why_msg, sizeof(why_msg));
                if (why)
                        imp_mark_refused(&m, c->line, why, why_msg);
                imp_msg_add(&m, e, 0, c->line);
        }
        if (rc == -EIO) {
                imp_msg_free(&m);
                return rc;
        }
        rc = imp_flush_receipt(r, s, f, &m);
        return rc < 0 ? rc : imp_confirm(s, f, c->line + 1);
}

static int imp_send_file(struct imp_run *r, struct imp_sender *s, struct imp_file *f)
{
        char err[512];
        struct imp_csv c;
        int rc = imp_csv_open(&c, f->path, f->kind, err, sizeof(err));
        if (rc < 0) {
                fprintf(stderr, "shelfwatch: %s\n", err);
                return rc;
        }
        if (f->kind == IMP_ITEMS)
                rc = imp_send_items(r, s, f, &c, err, sizeof(err));
        else if (f->kind == IMP_SALES)
                rc = imp_send_sales(r, s, f, &c, err, sizeof(err));
        else
                rc = imp_send_receipts(r, s, f, &c, err, sizeof(err));
        if (rc == -EIO)
                fprintf(stderr, "shelfwatch: %s\n", err);
        imp_csv_close(&c);
        if (rc == 0 && !imp_interrupted) {
                f->done = true;
                rc = imp_confirm(s, f, f->next_line);
                imp_progress(r, f, true);
        }
        return rc;
}

/* ---- the command ---- */

static void imp_on_signal(int sig)
{
        (void)sig;
        imp_interrupted = 1;
}

static int imp_setup(struct imp_run *r, const struct cli_options *o, const struct cli_target *t,
                     const struct sw_config *cfg)
{
        const char *paths[IMP_KINDS] = {o->items, o->sales, o->receipts};
        *r = (struct imp_run){.o = o,
                              .target = t,
                              .cfg = cfg,
                              .device = o->device ? o->device : IMP_DEFAULT_DEVICE,
                              .period_first = SW_DAY_NONE,
                              .period_last = SW_DAY_NONE,
                              .exact = true};
        for (int k = 0; k < IMP_KINDS; k++)
                r->files[k] = (struct imp_file){.kind = (enum imp_kind)k, .path = paths[k]};
        if (!o->items && !o->sales && !o->receipts) {
                cli_usage_error("import", "give at least one of --items, --sales, --receipts");
                return -EINVAL;
        }
        const char *first = o->items ? o->items : o->sales ? o->sales : o->receipts;
        if ((size_t)snprintf(r->state_path, sizeof(r->state_path), "%s%s",
                             o->state ? o->state : first,
                             o->state ? "" : IMP_STATE_SUFFIX) >= sizeof(r->state_path)) {
                cli_usage_error("import", "the state file's path is too long");
                return -EINVAL;
        }
        /* Dates and times without a zone are the store's: its time zone, as the daemon's. */
        if (sw_clock_set_timezone(cfg->store.timezone) < 0) {
                cli_usage_error("import", "store.timezone '%s': no such time zone on this host",
                                cfg->store.timezone);
                return -EINVAL;
        }
        return 0;
}

static int imp_exit_status(const struct imp_run *r)
{
        uint64_t refused = imp_tally_refused(&r->reg);
        for (int k = 0; k < IMP_KINDS; k++)
                refused += imp_tally_refused(&r->files[k].tally);
        return refused ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
}

static void imp_free_sku(void *node)
{
        free(node);
}

static int imp_run_all(struct imp_run *r)
{
        struct imp_sender *s = NULL;
        int rc = imp_sender_open(r, &s);
        if (rc < 0)
                return CLI_EXIT_UNREACHABLE;
        r->started = cli_now_s();
        if (!r->registered && r->period_first != SW_DAY_NONE)
                rc = imp_register(r, s);
        for (int k = 0; k < IMP_KINDS && rc == 0 && !imp_interrupted; k++)
                if (r->files[k].path && !r->files[k].done)
                        rc = imp_send_file(r, s, &r->files[k]);
        imp_sender_close(s);
        if (rc == -EIO)
                return CLI_EXIT_USAGE;
        if (rc < 0)
                return CLI_EXIT_UNREACHABLE;
        if (imp_interrupted) {
                fprintf(stderr,
                        "shelfwatch: interrupted; the daemon confirmed everything up to the state "
                        "in %s: run the same command again to go on\n",
                        r->state_path);
                return IMP_EXIT_INTERRUPTED;
        }
        return 0;
}

int cli_run_import(const struct cli_options *o, const struct cli_target *t,
                   const struct sw_config *cfg)
{
        struct imp_run r;
        char err[1024];
        int status = CLI_EXIT_USAGE;
        if (imp_setup(&r, o, t, cfg) < 0)
                return CLI_EXIT_USAGE;
        for (int k = 0; k < IMP_KINDS; k++)
                if (r.files[k].path && imp_scan(&r, &r.files[k], err, sizeof(err)) < 0) {
                        fprintf(stderr, "shelfwatch: %s\n", err);
                        goto out;
                }
        if (imp_state_load(&r, err, sizeof(err)) < 0 ||
            imp_state_check_writable(&r, err, sizeof(err)) < 0) {
                fprintf(stderr, "shelfwatch: %s\n", err);
                goto out;
        }
        /* Sales lower the book from where it stands: without one, from 0, and a negative book is
         * an inventory discrepancy to the daemon. */
        if ((o->sales || o->receipts) && !r.has_book)
                fprintf(stderr, "shelfwatch: warning: no book on-hand is imported (an --items file "
                                "with an on_hand column): the sales take the daemon's book below "
                                "zero, which it reports as inventory discrepancies\n");
        struct sigaction sa = {.sa_handler = imp_on_signal, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        status = imp_run_all(&r);
        if (status == 0) {
                if (o->json)
                        imp_print_json(&r);
                else
                        imp_print_summary(&r);
                status = imp_exit_status(&r);
        }
out:
        tdestroy(r.skus, imp_free_sku);
        return status;
}
