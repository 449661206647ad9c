/* table.c: aligned text tables and key/value lines for the shelfwatch CLI's output. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "shelfwatch.h"

#define CLI_MIN_TRUNCATED 12 /* a truncated last column keeps at least this many characters */
#define CLI_KEY_WIDTH     26 /* key column of key/value blocks */

const cJSON *cli_get(const cJSON *o, const char *name)
{
        return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* A string field, or "-" when it is missing or null. */
const char *cli_str(const cJSON *o, const char *name)
{
        const char *s = cJSON_GetStringValue(cli_get(o, name));
        return s ? s : "-";
}

/* A number field printed with fmt (scaled), or "-" when it is missing or null. */
const char *cli_num(const cJSON *o, const char *name, const char *fmt, double scale, char *buf,
                    size_t size)
{
        const cJSON *v = cli_get(o, name);
        if (!cJSON_IsNumber(v))
                return "-";
        snprintf(buf, size, fmt, v->valuedouble * scale);
        return buf;
}

void cli_kv(const char *key, const char *fmt, ...)
{
        va_list ap;
        printf("%-*s ", CLI_KEY_WIDTH, key);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

/* Display width of UTF-8 text: one column per code point (no wide characters expected). */
static size_t cli_width(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                n += ((unsigned char)*s & 0xc0) != 0x80;
        return n;
}

/* Bytes of s that fit in width columns, on a code point boundary. */
static size_t cli_prefix_bytes(const char *s, size_t width)
{
        size_t bytes = 0, cols = 0;
        while (s[bytes]) {
                if (((unsigned char)s[bytes] & 0xc0) != 0x80 && cols++ == width)
                        break;
                bytes++;
        }
        return bytes;
}

/* Columns of the terminal on stdout; COLUMNS when not a terminal; 0 = no limit. */
static size_t cli_terminal_width(void)
{
        struct winsize ws;
        long cols;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        const char *env = getenv("COLUMNS");
        if (env && cli_parse_long(env, 20, 10000, &cols) == 0)
                return (size_t)cols;
        return 0;
}

void cli_table_init(struct cli_table *t, const struct cli_column *cols, size_t n_cols)
{
        *t = (struct cli_table){.cols = cols,
                                .n_cols = n_cols < CLI_MAX_COLUMNS ? n_cols : CLI_MAX_COLUMNS};
}

void cli_table_add(struct cli_table *t, const char *const cells[])
{
        if (t->n_rows == t->cap_rows) {
                t->cap_rows = t->cap_rows ? 2 * t->cap_rows : 16;
                t->cells = cli_check_alloc(
                    reallocarray(t->cells, t->cap_rows * t->n_cols, sizeof(*t->cells)));
        }
        for (size_t c = 0; c < t->n_cols; c++)
                t->cells[t->n_rows * t->n_cols + c] = cli_strdup(cells[c] ? cells[c] : "-");
        t->n_rows++;
}

/* Width of each column; a left-aligned last column shrinks to fit the terminal. */
static void cli_table_widths(const struct cli_table *t, size_t widths[])
{
        size_t used = 0, last = t->n_cols - 1, term = cli_terminal_width();
        for (size_t c = 0; c < t->n_cols; c++) {
                widths[c] = cli_width(t->cols[c].title);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = cli_width(t->cells[r * t->n_cols + c]);
                        widths[c] = w > widths[c] ? w : widths[c];
                }
                if (c < last)
                        used += widths[c] + 2;
        }
        if (term && !t->cols[last].right && used + widths[last] > term) {
                size_t room = term > used ? term - used : 0;
                widths[last] = room > CLI_MIN_TRUNCATED ? room : CLI_MIN_TRUNCATED;
        }
}

static void cli_print_cell(const char *s, size_t width, bool right, bool last)
{
        size_t w = cli_width(s);
        if (w > width) {
                /* Only the last column is ever narrower than its text. */
                printf("%.*s...", (int)cli_prefix_bytes(s, width > 3 ? width - 3 : 0), s);
                return;
        }
        if (right)
                printf("%*s%s", (int)(width - w), "", s);
        else if (last)
                fputs(s, stdout);
        else
                printf("%s%*s", s, (int)(width - w), "");
}

static void cli_print_row(const struct cli_table *t, const char *const cells[],
                          const size_t widths[])
{
        for (size_t c = 0; c < t->n_cols; c++) {
                if (c > 0)
                        fputs("  ", stdout);
                cli_print_cell(cells[c], widths[c], t->cols[c].right, c == t->n_cols - 1);
        }
        putchar('\n');
}

/* Print the table and free its rows. */
void cli_table_print(struct cli_table *t)
{
        size_t widths[CLI_MAX_COLUMNS];
        const char *titles[CLI_MAX_COLUMNS];
        for (size_t c = 0; c < t->n_cols; c++)
                titles[c] = t->cols[c].title;
        cli_table_widths(t, widths);
        cli_print_row(t, titles, widths);
        for (size_t r = 0; r < t->n_rows; r++)
                cli_print_row(t, (const char *const *)&t->cells[r * t->n_cols], widths);
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->cells);
        *t = (struct cli_table){0};
}
