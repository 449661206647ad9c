/* import_rows.c: an import's CSV rows read (numbers, dates, times) and checked as the daemon does.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "platform/clock.h"
#include "platform/payload.h"
#include "import.h"

#define IMP_NOON_S      (12 * 3600)
#define IMP_DAY_END_S   (24 * 3600 - 1)
#define IMP_NUMBER_SIZE 64

/* A number as exports write it: "1234.5", "1234,5" (a decimal comma where the field
 * separator is not a comma), "-3". Thousands separators are not accepted. 0 or -EINVAL. */
static int imp_parse_number(const char *s, char delim, double *ret)
{
        char buf[IMP_NUMBER_SIZE], *end;
        size_t n = strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n + 1);
        char *comma = strchr(buf, ',');
        if (comma && delim != ',' && !strchr(comma + 1, ',') && !strchr(buf, '.'))
                *comma = '.';
        if (strspn(buf, "+-0123456789.") != n)
                return -EINVAL; /* no hex, no exponents, no "inf" */
        errno = 0;
        double v = strtod(buf, &end);
        if (errno || end == buf || *end || !isfinite(v))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* A whole number; "12.0" is 12 (spreadsheets write quantities so), "12.5" is not. */
static int imp_parse_whole(const char *s, char delim, long *ret)
{
        double v;
        if (imp_parse_number(s, delim, &v) < 0 || v != floor(v) || fabs(v) > 1e12)
                return -EINVAL;
        *ret = (long)v;
        return 0;
}

/* A day: YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY; a time after it (a date-time column) is ignored. */
static int imp_parse_day(const char *s, sw_day_t *ret)
{
        char iso[11];
        size_t n = strcspn(s, " T");
        if (n == 10 && s[4] == '-')
                return sw_date_parse(s, 10, ret);
        if (n == 8 && strspn(s, "0123456789") == 8) {
                snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
                return sw_date_parse(iso, 10, ret);
        }
        if (n == 10 && s[2] == '.' && s[5] == '.') {
                snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", s + 6, s + 3, s);
                return sw_date_parse(iso, 10, ret);
        }
        return -EINVAL;
}

/* HH:MM or HH:MM:SS (a fraction dropped): seconds of the day. */
static int imp_parse_clock(const char *s, uint32_t *ret)
{
        unsigned h, m, sec = 0;
        int n = 0;
        if (sscanf(s, "%2u:%2u%n", &h, &m, &n) != 2)
                return -EINVAL;
        s += n;
        if (*s == ':') {
                if (sscanf(s, ":%2u%n", &sec, &n) != 1)
                        return -EINVAL;
                s += n;
                if (*s == '.')
                        s += 1 + strspn(s + 1, "0123456789");
        }
        if (*s || h > 23 || m > 59 || sec > 59)
                return -EINVAL;
        *ret = h * 3600 + m * 60 + sec;
        return 0;
}

int64_t imp_day_noon(sw_day_t day)
{
        return sw_clock_from_local(day, IMP_NOON_S);
}

int imp_parse_time(const char *s, int64_t *ret_unix)
{
        sw_day_t day;
        uint32_t sec;
        size_t n = strlen(s);
        /* With a zone: RFC 3339 (a space for the T allowed). */
        if (n > 19 && (s[n - 1] == 'Z' || s[n - 1] == 'z' || s[n - 6] == '+' || s[n - 6] == '-'))
                return sw_rfc3339_parse(s, n, ret_unix);
        /* Without one: the store's wall clock. */
        size_t d = strcspn(s, " T");
        if (s[d] == '\0' || imp_parse_day(s, &day) < 0 || imp_parse_clock(s + d + 1, &sec) < 0)
                return -EINVAL;
        *ret_unix = sw_clock_from_local(day, sec);
        return 0;
}

/* A receipt's time: a time column with the date in it, or a date column and a time of day. */
static int imp_receipt_time(const struct imp_csv *c, int64_t *ret)
{
        const char *t = imp_csv_field(c, IMP_COL_TIME), *d = imp_csv_field(c, IMP_COL_DATE);
        sw_day_t day;
        uint32_t sec;
        if (!t)
                return -EINVAL;
        if (imp_parse_time(t, ret) == 0)
                return 0;
        if (!d || imp_parse_day(d, &day) < 0 || imp_parse_clock(t, &sec) < 0)
                return -EINVAL;
        *ret = sw_clock_from_local(day, sec);
        return 0;
}

/* The book's time: a date alone is the end of that store-local day, but never after now. */
static int imp_as_of(const char *s, int64_t *ret)
{
        sw_day_t day;
        if (imp_parse_time(s, ret) == 0)
                return 0;
        if (strlen(s) > 10 || imp_parse_day(s, &day) < 0)
                return -EINVAL;
        int64_t end = sw_clock_from_local(day, IMP_DAY_END_S), now = sw_clock_now();
        *ret = end < now ? end : now;
        return 0;
}

#define IMP_FAIL(reason, ...)                                                                      \
        do {                                                                                       \
                snprintf(err, errsz, __VA_ARGS__);                                                 \
                return reason;                                                                     \
        } while (0)

static const char *imp_parse_price(const struct imp_csv *c, struct imp_row *row, char *err,
                                   size_t errsz)
{
        const char *p = imp_csv_field(c, IMP_COL_PRICE), *a = imp_csv_field(c, IMP_COL_AMOUNT);
        double v;
        if (p) {
                if (imp_parse_number(p, c->delim, &v) < 0 || v < 0)
                        IMP_FAIL("bad_number", "price: must be a number, 0 or more (got '%.40s')",
                                 p);
                row->has_price = true;
                row->price = v;
        } else if (a && row->qty > 0) {
                /* A sales amount: the unit price is what it comes to a unit. */
                if (imp_parse_number(a, c->delim, &v) < 0 || v < 0)
                        IMP_FAIL("bad_number", "amount: must be a number, 0 or more (got '%.40s')",
                                 a);
                row->has_price = true;
                row->price = round(v / (double)row->qty * 10000.0) / 10000.0;
        }
        return NULL;
}

static const char *imp_parse_qty(const struct imp_csv *c, struct imp_row *row, char *err,
                                 size_t errsz)
{
        const char *q = imp_csv_field(c, IMP_COL_QTY);
        if (!q)
                IMP_FAIL("missing_field", "quantity: missing");
        if (imp_parse_whole(q, c->delim, &row->qty) < 0)
                IMP_FAIL("bad_number", "quantity: must be a whole number (got '%.40s')", q);
        return NULL;
}

const char *imp_row_parse(const struct imp_run *r, enum imp_kind kind, const struct imp_csv *c,
                          struct imp_row *row, char *err, size_t errsz)
{
        const char *why, *v;
        (void)r;
        *row = (struct imp_row){.line = c->line,
                                .sku = imp_csv_field(c, IMP_COL_SKU),
                                .receipt = imp_csv_field(c, IMP_COL_RECEIPT),
                                .device = imp_csv_field(c, IMP_COL_REGISTER)};
        if (!row->sku)
                IMP_FAIL("missing_field", "sku: missing");
        switch (kind) {
        case IMP_SALES:
                v = imp_csv_field(c, IMP_COL_DATE);
                if (!v)
                        IMP_FAIL("missing_field", "date: missing");
                if (imp_parse_day(v, &row->day) < 0)
                        IMP_FAIL("bad_date",
                                 "date: must be YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY (got '%.40s')",
                                 v);
                if ((why = imp_parse_qty(c, row, err, errsz)) ||
                    (why = imp_parse_price(c, row, err, errsz)))
                        return why;
                break;
        case IMP_RECEIPTS:
                if (!row->receipt)
                        IMP_FAIL("missing_field", "receipt: missing");
                if (imp_receipt_time(c, &row->ts) < 0)
                        IMP_FAIL("bad_timestamp",
                                 "time: must be YYYY-MM-DD HH:MM[:SS] (store time), RFC 3339, or a "
                                 "time of day with a date column (got '%.40s')",
                                 imp_csv_field(c, IMP_COL_TIME) ? imp_csv_field(c, IMP_COL_TIME)
                                                                : "");
                if ((why = imp_parse_qty(c, row, err, errsz)) ||
                    (why = imp_parse_price(c, row, err, errsz)))
                        return why;
                if (row->qty == 0)
                        IMP_FAIL("out_of_range", "quantity: must not be 0 on a receipt line");
                if (row->device && !cli_device_name_ok(row->device))
                        IMP_FAIL("bad_device",
                                 "register: must be 1 to 64 printable ASCII characters without "
                                 "spaces, '/', '+' or '#' (got '%.40s')",
                                 row->device);
                break;
        case IMP_ITEMS:
                if ((v = imp_csv_field(c, IMP_COL_ON_HAND))) {
                        if (imp_parse_whole(v, c->delim, &row->on_hand) < 0)
                                IMP_FAIL("bad_number",
                                         "on_hand: must be a whole number (got '%.40s')", v);
                        row->has_on_hand = true;
                }
                if ((why = imp_parse_price(c, row, err, errsz)))
                        return why;
                row->category = imp_csv_field(c, IMP_COL_CATEGORY);
                if ((v = imp_csv_field(c, IMP_COL_AS_OF)) && imp_as_of(v, &row->ts) < 0)
                        IMP_FAIL("bad_timestamp",
                                 "as_of: must be a date or a date and time (got '%.40s')", v);
                break;
        default:
                break;
        }
        return NULL;
}

void imp_message_id(const struct imp_file *f, unsigned line, char *buf, size_t size)
{
        snprintf(buf, size, "imp-%016" PRIx64 "-%u", f->fingerprint, line);
}

/* Rows are checked one at a time, each as a message of one line or item: the messages made of
 * them then only add what the import itself keeps in bounds (lines per message, bytes). */
const char *imp_check_payload(enum sw_msg_kind kind, const char *payload, char *err, size_t errsz)
{
        static struct sw_payload_decoder *dec;
        struct sw_item item;
        struct sw_msg m = {.items = &item, .items_cap = 1};
        struct sw_payload_limits lim = {.max_bytes = SIZE_MAX, .max_items = 1};
        enum sw_reject_reason why;
        if (!dec && sw_payload_decoder_new(&dec) < 0)
                cli_check_alloc(NULL);
        if (sw_payload_decode(dec, kind, payload, strlen(payload), &lim, &m, &why, err, errsz) < 0)
                return sw_reject_reason_name(why);
        return NULL;
}
