/* import_csv.c: reading an import's CSV files: the header's columns, each row's fields. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define IMP_FNV_OFFSET 0xcbf29ce484222325ull
#define IMP_FNV_PRIME  0x100000001b3ull
#define IMP_NAME_SIZE  40 /* a header name, normalised */

/* Header names each column goes by, normalised: lower case, without ' ', '_', '-', '.', '#'
 * (so "Stock Code", "stock_code" and "StockCode" are one). docs/cli.md lists them. */
static const char *const imp_aliases[IMP_COLS][16] = {
    [IMP_COL_SKU] = {"sku", "item", "itemcode", "itemid", "itemno", "itemnumber", "article",
                     "articleno", "articlenumber", "stockcode", "productcode", "productid", "plu"},
    [IMP_COL_DATE] = {"date", "day", "salesdate", "saledate", "businessdate"},
    [IMP_COL_TIME] = {"time", "timestamp", "datetime", "ts", "saletime", "transactiontime",
                      "invoicedate"},
    [IMP_COL_QTY] = {"units", "qty", "quantity", "unitssold", "qtysold", "quantitysold"},
    [IMP_COL_PRICE] = {"price", "unitprice", "sellingprice", "saleprice", "listprice"},
    [IMP_COL_AMOUNT] = {"amount", "revenue", "salesamount", "netsales", "turnover"},
    [IMP_COL_RECEIPT] = {"receipt", "receiptno", "receiptid", "receiptnumber", "transaction",
                         "transactionid", "ticket", "invoice", "invoiceno", "invoicenumber"},
    [IMP_COL_REGISTER] = {"register", "till", "pos", "terminal", "lane"},
    [IMP_COL_ON_HAND] = {"onhand", "stock", "stockonhand", "soh", "qtyonhand", "quantityonhand",
                         "book", "instock"},
    [IMP_COL_CATEGORY] = {"category", "department", "dept", "productgroup", "family"},
    [IMP_COL_AS_OF] = {"asof", "stockdate", "bookdate", "snapshotdate", "inventorydate"},
};

/* The columns a kind of file reads; others are ignored (an export's extra columns). */
static const unsigned imp_reads[IMP_KINDS] = {
    [IMP_ITEMS] = 1u << IMP_COL_SKU | 1u << IMP_COL_ON_HAND | 1u << IMP_COL_PRICE |
                  1u << IMP_COL_CATEGORY | 1u << IMP_COL_AS_OF,
    [IMP_SALES] = 1u << IMP_COL_SKU | 1u << IMP_COL_DATE | 1u << IMP_COL_QTY | 1u << IMP_COL_PRICE |
                  1u << IMP_COL_AMOUNT,
    [IMP_RECEIPTS] = 1u << IMP_COL_RECEIPT | 1u << IMP_COL_DATE | 1u << IMP_COL_TIME |
                     1u << IMP_COL_SKU | 1u << IMP_COL_QTY | 1u << IMP_COL_PRICE |
                     1u << IMP_COL_REGISTER,
};

/* Columns a kind of file cannot do without, and how to say so. */
static const struct {
        unsigned cols;     /* each of these */
        const char *names; /* for the error */
} imp_needs[IMP_KINDS] = {
    [IMP_ITEMS] = {1u << IMP_COL_SKU, "sku"},
    [IMP_SALES] = {1u << IMP_COL_SKU | 1u << IMP_COL_DATE | 1u << IMP_COL_QTY,
                   "sku, date and units"},
    [IMP_RECEIPTS] = {1u << IMP_COL_RECEIPT | 1u << IMP_COL_TIME | 1u << IMP_COL_SKU |
                          1u << IMP_COL_QTY,
                      "receipt, time, sku and qty"},
};

static const char *const imp_col_names[IMP_COLS] = {
    "sku",     "date",     "time",    "qty",      "price", "amount",
    "receipt", "register", "on_hand", "category", "as_of",
};

const char *imp_kind_name(enum imp_kind k)
{
        static const char *const names[IMP_KINDS] = {"items", "sales", "receipts"};
        return (unsigned)k < IMP_KINDS ? names[k] : "?";
}

static void imp_normalise(const char *s, char *buf, size_t size)
{
        size_t n = 0;
        for (; *s && n + 1 < size; s++)
                if (!strchr(" _-.#\t", *s))
                        buf[n++] = (char)tolower((unsigned char)*s);
        buf[n] = '\0';
}

static int imp_column_of(const char *name)
{
        char norm[IMP_NAME_SIZE];
        imp_normalise(name, norm, sizeof(norm));
        for (int c = 0; c < IMP_COLS; c++)
                for (size_t k = 0; k < 16 && imp_aliases[c][k]; k++)
                        if (strcmp(norm, imp_aliases[c][k]) == 0)
                                return c;
        return -1;
}

/* Read one line into c->text (without its line end), adding it to the fingerprint. 1, 0 at
 * the end, -EIO. */
static int imp_read_line(struct imp_csv *c)
{
        errno = 0;
        ssize_t n = getline(&c->text, &c->cap, c->f);
        if (n < 0)
                return errno ? -EIO : 0;
        for (ssize_t i = 0; i < n; i++)
                c->fingerprint = (c->fingerprint ^ (unsigned char)c->text[i]) * IMP_FNV_PRIME;
        c->bytes += (uint64_t)n;
        c->line++;
        while (n > 0 && (c->text[n - 1] == '\n' || c->text[n - 1] == '\r'))
                c->text[--n] = '\0';
        return 1;
}

static char *imp_trim(char *s, char *end)
{
        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
                *--end = '\0';
        *end = '\0';
        return s;
}

/* Split c->text into fields at c->delim, in place: RFC 4180 quotes ("a ""b""" is a "b"),
 * spaces around unquoted fields dropped. A quoted field cannot span lines. 0 or -EINVAL. */
static int imp_split(struct imp_csv *c, char *err, size_t errsz)
{
        char *p = c->text;
        c->n_fields = 0;
        for (;;) {
                if (c->n_fields == IMP_MAX_FIELDS) {
                        snprintf(err, errsz, "%s:%u: more than %d fields", c->path, c->line,
                                 IMP_MAX_FIELDS);
                        return -EINVAL;
                }
                while (*p == ' ' || (*p == '\t' && c->delim != '\t'))
                        p++;
                char *start = p, *end;
                if (*p == '"') {
                        char *w = ++p;
                        start = w;
                        for (;;) {
                                if (*p == '\0') {
                                        snprintf(err, errsz, "%s:%u: a quoted field is not closed",
                                                 c->path, c->line);
                                        return -EINVAL;
                                }
                                if (*p == '"' && p[1] == '"') {
                                        *w++ = '"';
                                        p += 2;
                                } else if (*p == '"') {
                                        p++;
                                        break;
                                } else {
                                        *w++ = *p++;
                                }
                        }
                        end = w;
                        while (*p == ' ' || (*p == '\t' && c->delim != '\t'))
                                p++;
                        if (*p && *p != c->delim) {
                                snprintf(err, errsz, "%s:%u: text after a closing quote", c->path,
                                         c->line);
                                return -EINVAL;
                        }
                        char next = *p;
                        *end = '\0';
                        c->fields[c->n_fields++] = start;
                        if (!next)
                                return 0;
                        p++;
                        continue;
                }
                while (*p && *p != c->delim)
                        p++;
                end = p;
                char next = *p;
                c->fields[c->n_fields++] = imp_trim(start, end);
                if (!next)
                        return 0;
                p = end + 1;
        }
}

/* The delimiter the header uses most: ',', ';' (European spreadsheets) or a tab. */
static char imp_guess_delim(const char *header)
{
        static const char cand[] = {',', ';', '\t'};
        unsigned best = 0;
        char delim = ',';
        for (size_t k = 0; k < sizeof(cand); k++) {
                unsigned n = 0;
                bool quoted = false;
                for (const char *p = header; *p; p++) {
                        if (*p == '"')
                                quoted = !quoted;
                        else if (*p == cand[k] && !quoted)
                                n++;
                }
                if (n > best) {
                        best = n;
                        delim = cand[k];
                }
        }
        return delim;
}

static int imp_read_header(struct imp_csv *c, enum imp_kind kind, char *err, size_t errsz)
{
        int r;
        do
                r = imp_read_line(c);
        while (r > 0 && c->text[strspn(c->text, " \t")] == '\0');
        if (r <= 0) {
                snprintf(err, errsz, "%s: %s", c->path,
                         r < 0 ? strerror(EIO) : "empty: no header line");
                return -EINVAL;
        }
        /* A byte order mark, as some spreadsheets write. */
        if (strncmp(c->text, "\xef\xbb\xbf", 3) == 0)
                memmove(c->text, c->text + 3, strlen(c->text + 3) + 1);
        c->delim = imp_guess_delim(c->text);
        if (imp_split(c, err, errsz) < 0)
                return -EINVAL;
        for (unsigned i = 0; i < c->n_fields; i++) {
                int col = imp_column_of(c->fields[i]);
                if (col < 0 || !(imp_reads[kind] & (1u << col)))
                        continue;
                if (c->col[col] >= 0) {
                        snprintf(err, errsz, "%s:%u: columns '%s' and '%s' both give the %s",
                                 c->path, c->line, c->fields[c->col[col]], c->fields[i],
                                 imp_col_names[col]);
                        return -EINVAL;
                }
                c->col[col] = (int)i;
        }
        for (int col = 0; col < IMP_COLS; col++)
                if ((imp_needs[kind].cols & (1u << col)) && c->col[col] < 0) {
                        snprintf(err, errsz,
                                 "%s:%u: a %s file needs the columns %s; there is no %s column "
                                 "(header names: docs/cli.md)",
                                 c->path, c->line, imp_kind_name(kind), imp_needs[kind].names,
                                 imp_col_names[col]);
                        return -EINVAL;
                }
        if (kind == IMP_ITEMS && c->col[IMP_COL_ON_HAND] < 0 && c->col[IMP_COL_PRICE] < 0 &&
            c->col[IMP_COL_CATEGORY] < 0) {
                snprintf(err, errsz,
                         "%s:%u: an items file needs on_hand, price or category besides sku",
                         c->path, c->line);
                return -EINVAL;
        }
        return 0;
}

int imp_csv_open(struct imp_csv *c, const char *path, enum imp_kind kind, char *err, size_t errsz)
{
        *c = (struct imp_csv){.path = path, .fingerprint = IMP_FNV_OFFSET};
        for (int k = 0; k < IMP_COLS; k++)
                c->col[k] = -1;
        c->f = fopen(path, "re");
        if (!c->f) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                return -errno;
        }
        if (imp_read_header(c, kind, err, errsz) < 0) {
                imp_csv_close(c);
                return -EINVAL;
        }
        return 0;
}

int imp_csv_next(struct imp_csv *c, char *err, size_t errsz)
{
        for (;;) {
                int r = imp_read_line(c);
                if (r < 0) {
                        snprintf(err, errsz, "%s:%u: %s", c->path, c->line + 1, strerror(EIO));
                        return r;
                }
                if (r == 0)
                        return 0;
                if (c->text[strspn(c->text, " \t")] == '\0')
                        continue;
                r = imp_split(c, err, errsz);
                return r < 0 ? -EINVAL : 1;
        }
}

const char *imp_csv_field(const struct imp_csv *c, enum imp_col col)
{
        int i = c->col[col];
        if (i < 0 || (unsigned)i >= c->n_fields || !c->fields[i][0])
                return NULL;
        return c->fields[i];
}

void imp_csv_close(struct imp_csv *c)
{
        if (c->f)
                fclose(c->f);
        free(c->text);
        c->f = NULL;
        c->text = NULL;
}
