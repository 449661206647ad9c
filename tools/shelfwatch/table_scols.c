/* table_scols.c: the CLI's aligned tables, laid out by libsmartcols (widths, wide characters). */
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libsmartcols/libsmartcols.h>

#include "shelfwatch.h"

#define CLI_COLUMN_GAP "  " /* between two columns */

/*
 * Display widths need the character set the daemon speaks: replies are JSON, so UTF-8. The
 * user's locale when it is UTF-8, else C.UTF-8 (always in Debian's libc); where neither can
 * be had, libsmartcols would print \x escapes: it is told to print the bytes as they are.
 */
static bool cli_utf8_ctype(void)
{
        if (setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
                return true;
        return setlocale(LC_CTYPE, "C.UTF-8") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

void cli_setup_locale(void)
{
        (void)cli_utf8_ctype();
}

static bool cli_locale_is_utf8(void)
{
        return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

/* The width to fit: the terminal's (libsmartcols asks it), else $COLUMNS, else none. */
static void cli_table_width(struct libscols_table *tb)
{
        long cols;
        const char *env = getenv("COLUMNS");
        if (isatty(STDOUT_FILENO))
                return;
        if (env && cli_parse_long(env, 20, 10000, &cols) == 0) {
                scols_table_set_termforce(tb, SCOLS_TERMFORCE_ALWAYS);
                scols_table_set_termwidth(tb, (size_t)cols);
        } else {
                scols_table_set_termforce(tb, SCOLS_TERMFORCE_NEVER);
        }
}

void cli_table_init(struct cli_table *t, const struct cli_column *cols, size_t n_cols)
{
        *t = (struct cli_table){.tb = cli_check_alloc(scols_new_table()), .n_cols = n_cols};
        if (scols_table_set_column_separator(t->tb, CLI_COLUMN_GAP) < 0)
                cli_check_alloc(NULL);
        if (!cli_locale_is_utf8())
                scols_table_enable_noencoding(t->tb, 1);
        cli_table_width(t->tb);
        for (size_t c = 0; c < n_cols; c++) {
                /* A left-aligned last column (a description) is cut to fit the width. */
                int flags = cols[c].right ? SCOLS_FL_RIGHT : c == n_cols - 1 ? SCOLS_FL_TRUNC : 0;
                cli_check_alloc(scols_table_new_column(t->tb, cols[c].title, 0, flags));
        }
}

void cli_table_add(struct cli_table *t, const char *const cells[])
{
        struct libscols_line *ln = cli_check_alloc(scols_table_new_line(t->tb, NULL));
        for (size_t c = 0; c < t->n_cols; c++)
                if (scols_line_set_data(ln, c, cells[c] ? cells[c] : "-") < 0)
                        cli_check_alloc(NULL);
        t->n_rows++;
}

void cli_table_print(struct cli_table *t)
{
        scols_print_table(t->tb);
        cli_table_free(t);
}

bool cli_table_print_rows(struct cli_table *t)
{
        if (t->n_rows == 0) {
                cli_table_free(t);
                return false;
        }
        cli_table_print(t);
        return true;
}

void cli_table_free(struct cli_table *t)
{
        scols_unref_table(t->tb);
        *t = (struct cli_table){0};
}
