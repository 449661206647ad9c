/* import.h: shelfwatch import: CSV files of the store's history sent through the daemon's ingest.
 */
#ifndef SHELFWATCH_IMPORT_H
#define SHELFWATCH_IMPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/message.h"
#include "core/sw_types.h"
#include "shelfwatch.h"

#define IMP_MAX_FIELDS   64 /* fields of a CSV row */
#define IMP_MAX_REASONS  24 /* distinct refusal reasons counted per file */
#define IMP_REASON_SIZE  32 /* "daemon:rate_limited" */
#define IMP_ERRORS_SHOWN 20 /* rows refused by the CLI printed per file; then only counted */

/* What a file holds (docs/cli.md, "Importing history"). Sent in this order. */
enum imp_kind {
        IMP_ITEMS,    /* SKU, book on-hand, list price, category: P/inventory */
        IMP_SALES,    /* units sold per SKU and day: one P/pos/{device} message a row */
        IMP_RECEIPTS, /* receipt lines: one P/pos/{register} message a receipt */
        IMP_KINDS
};

/* The columns the import knows; a header names them (aliases: import_csv.c). */
enum imp_col {
        IMP_COL_SKU,
        IMP_COL_DATE,
        IMP_COL_TIME,
        IMP_COL_QTY,
        IMP_COL_PRICE,
        IMP_COL_AMOUNT,
        IMP_COL_RECEIPT,
        IMP_COL_REGISTER,
        IMP_COL_ON_HAND,
        IMP_COL_CATEGORY,
        IMP_COL_AS_OF,
        IMP_COLS
};

/* A CSV file being read, one row at a time. */
struct imp_csv {
        const char *path;             /* as given */
        FILE *f;                      /* open while reading */
        char delim;                   /* ',', ';' or '\t', from the header */
        unsigned line;                /* line number of the row last read (1: the header) */
        char *text;                   /* that row, unescaped in place (getline's buffer) */
        size_t cap;                   /* bytes allocated for text */
        char *fields[IMP_MAX_FIELDS]; /* its fields, pointers into text */
        unsigned n_fields;            /* fields in the row */
        int col[IMP_COLS];            /* field index of each known column, -1: absent */
        uint64_t fingerprint;         /* FNV-1a of every byte read so far */
        uint64_t bytes;               /* bytes read so far */
};

/* A counter by name: a refusal reason with where it was decided ("cli:bad_date"). */
struct imp_reason {
        char name[IMP_REASON_SIZE]; /* "cli:<reason>" or "daemon:<reason>" */
        uint64_t n;                 /* units (rows, receipts) refused so */
};

/* What became of one file's units (rows; receipts for a receipts file). */
struct imp_tally {
        uint64_t units;                             /* read from the file */
        uint64_t lines;                             /* data lines read (receipts: all lines) */
        uint64_t skipped;                           /* not sent, nothing wrong: 0-unit sales rows */
        uint64_t sent;                              /* published */
        uint64_t accepted;                          /* the daemon applied them */
        uint64_t duplicates;                        /* the daemon held their id already */
        uint64_t items_skipped_full;                /* lines/items skipped: limits.max_skus */
        uint64_t stale;                             /* book values not newer than the one held */
        uint64_t categories_full;                   /* categories over limits.max_categories */
        uint64_t saturated;                         /* sales capped at 255 a day */
        struct imp_reason reasons[IMP_MAX_REASONS]; /* refused, per reason */
        unsigned n_reasons;                         /* entries used in reasons */
};

/* One input file and its progress. */
struct imp_file {
        enum imp_kind kind;      /* what it holds */
        const char *path;        /* as given */
        uint64_t fingerprint;    /* FNV-1a of its bytes: the ids' stem, the state's check */
        uint64_t size;           /* its length in bytes */
        uint64_t total_units;    /* units in it (progress bar; receipts: receipts) */
        unsigned next_line;      /* the first line not yet confirmed by the daemon */
        bool done;               /* every row confirmed */
        struct imp_tally tally;  /* what became of its rows, over every run */
        unsigned errors_printed; /* rows refused by the CLI printed in this run */
};

/* A row of any file, parsed (strings point into the CSV row). */
struct imp_row {
        unsigned line;        /* its line in the file */
        const char *sku;      /* the SKU */
        sw_day_t day;         /* sales: the store-local day */
        int64_t ts;           /* receipts: the time; items: as of (0: the file's time) */
        long qty;             /* units sold (sales, receipts) */
        bool has_price;       /* price given */
        double price;         /* unit price paid (sales, receipts) or list price (items) */
        bool has_on_hand;     /* on_hand given */
        long on_hand;         /* book units (items) */
        const char *category; /* category, NULL when absent (items) */
        const char *receipt;  /* receipt id (receipts) */
        const char *device;   /* register (receipts), NULL: the --device */
};

/* Everything an import run needs. */
struct imp_run {
        const struct cli_options *o;      /* the command line */
        const struct cli_target *target;  /* broker and prefix */
        const struct sw_config *cfg;      /* the daemon's config as read: limits, time zone */
        struct imp_file files[IMP_KINDS]; /* by kind; path NULL when not given */
        char state_path[4096];            /* the state file */
        const char *device;               /* the register of sales rows, P/pos/{device} */
        int64_t file_time;                /* items: as-of default, the file's mtime */
        bool has_book;                    /* the items file has an on_hand column */
        sw_day_t period_first;            /* earliest sales/receipts day, SW_DAY_NONE: none */
        sw_day_t period_last;             /* latest */
        void *skus;                       /* tsearch() tree of every SKU in the files */
        size_t n_skus;                    /* SKUs in it */
        bool registered;                  /* the SKUs were sent with period_first */
        struct imp_tally reg;             /* what became of those registrations (SKUs) */
        bool resumed;                     /* a state file said where to go on from */
        bool exact;                       /* no other traffic mixed into the daemon's counters */
        uint64_t other_messages;          /* messages of other senders seen in the counters */
        double started;                   /* cli_now_s() at the start of sending */
        uint64_t sent_this_run;           /* messages published in this run */
};

/* import_csv.c */
int imp_csv_open(struct imp_csv *c, const char *path, enum imp_kind kind, char *err, size_t errsz);
/* Next data row: 1, 0 at the end, -EIO (err). Lines that are empty are skipped. */
int imp_csv_next(struct imp_csv *c, char *err, size_t errsz);
/* The row's field of a column, trimmed; NULL when the column is absent or the cell empty. */
const char *imp_csv_field(const struct imp_csv *c, enum imp_col col);
void imp_csv_close(struct imp_csv *c);
const char *imp_kind_name(enum imp_kind k);

/* import_rows.c: a CSV row to a row, then to the JSON the daemon takes. 0 or the local reason
 * (a static name: "bad_date", ...) with a message in err. */
const char *imp_row_parse(const struct imp_run *r, enum imp_kind kind, const struct imp_csv *c,
                          struct imp_row *ret, char *err, size_t errsz);
/* A local wall-clock time (store time zone), or RFC 3339 with an offset. 0 or -EINVAL. */
int imp_parse_time(const char *s, int64_t *ret_unix);
/* Noon of a store-local day: its events are put on that day whatever the offset. */
int64_t imp_day_noon(sw_day_t day);
/* The id of a message whose first row is at line: "imp-{fingerprint}-{line}". */
void imp_message_id(const struct imp_file *f, unsigned line, char *buf, size_t size);
/* Check a payload with the daemon's own decoder (platform/payload.c). 0, or the reason. */
const char *imp_check_payload(enum sw_msg_kind kind, const char *payload, char *err, size_t errsz);

/* import_state.c */
int imp_state_load(struct imp_run *r, char *err, size_t errsz);
int imp_state_save(const struct imp_run *r, char *err, size_t errsz);
int imp_state_check_writable(const struct imp_run *r, char *err, size_t errsz);
void imp_tally_add_reason(struct imp_tally *t, const char *name, uint64_t n);
uint64_t imp_tally_refused(const struct imp_tally *t);

/* import_send.c: publishing and confirming (see the file's comment). */
struct imp_sender;
int imp_sender_open(struct imp_run *r, struct imp_sender **ret);
void imp_sender_close(struct imp_sender *s);
/* Publish one message of kind at the pace, into the open batch; it carries units (rows,
 * receipts, items) of tally t. keeps_lines: a line the daemon skips leaves the rest applied. */
int imp_send(struct imp_sender *s, struct imp_tally *t, bool keeps_lines, enum sw_msg_kind kind,
             const char *topic, const char *payload, unsigned units);
/* The open batch is full (time to confirm it). */
bool imp_batch_full(const struct imp_sender *s);
/* Wait for the PUBACKs, ask health, credit the batch, move f->next_line (f may be NULL) to
 * next_line and save the state. 0, or -EHOSTUNREACH / -EPROTO / -EIO (message printed). */
int imp_confirm(struct imp_sender *s, struct imp_file *f, unsigned next_line);
/* Set by SIGINT/SIGTERM: stop after the open batch. */
extern volatile sig_atomic_t imp_interrupted;

/* import_report.c */
void imp_progress(const struct imp_run *r, const struct imp_file *f, bool final);
void imp_print_summary(const struct imp_run *r);
void imp_print_json(const struct imp_run *r);
void imp_row_error(struct imp_file *f, unsigned line, const char *reason, const char *msg);

#endif
