/* import_report.c: what an import shows: its progress on a terminal, refused rows, the summary. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/civil_time.h"
#include "import.h"
#include "session.h"

#define IMP_BAR_WIDTH      30  /* characters of the bar */
#define IMP_PROGRESS_EVERY 0.1 /* seconds between two redraws */

static const char *const imp_unit_names[IMP_KINDS][2] = {
    [IMP_ITEMS] = {"row", "rows"},
    [IMP_SALES] = {"row", "rows"},
    [IMP_RECEIPTS] = {"receipt", "receipts"},
};

/* "sales.csv:17: quantity: must be a whole number (got '3.5')", the first few of each file. */
void imp_row_error(struct imp_file *f, unsigned line, const char *reason, const char *msg)
{
        char name[IMP_REASON_SIZE];
        snprintf(name, sizeof(name), "cli:%s", reason);
        if (f->errors_printed < IMP_ERRORS_SHOWN)
                fprintf(stderr, "shelfwatch: %s:%u: %s (%s, not sent)\n", f->path, line, msg,
                        reason);
        else if (f->errors_printed == IMP_ERRORS_SHOWN)
                fprintf(stderr, "shelfwatch: %s: more rows refused; the summary counts them\n",
                        f->path);
        f->errors_printed++;
}

/* The units of f done: confirmed, refused or skipped before sending. */
static uint64_t imp_done_units(const struct imp_file *f)
{
        const struct imp_tally *t = &f->tally;
        uint64_t cli = 0;
        for (unsigned i = 0; i < t->n_reasons; i++)
                if (strncmp(t->reasons[i].name, "cli:", 4) == 0)
                        cli += t->reasons[i].n;
        return t->sent + t->skipped + cli;
}

/* "\r<file> [#####-----]  45%  12345/27000 rows  480/s" on stdout, when it is a terminal. */
void imp_progress(const struct imp_run *r, const struct imp_file *f, bool final)
{
        static double last;
        double now = cli_now_s();
        if (r->o->json || !isatty(STDOUT_FILENO) || (!final && now - last < IMP_PROGRESS_EVERY))
                return;
        last = now;
        uint64_t done = imp_done_units(f), total = f->total_units ? f->total_units : 1;
        if (done > total)
                done = total;
        unsigned fill = (unsigned)(done * IMP_BAR_WIDTH / total);
        char bar[IMP_BAR_WIDTH + 1];
        memset(bar, '#', fill);
        memset(bar + fill, '-', IMP_BAR_WIDTH - fill);
        bar[IMP_BAR_WIDTH] = '\0';
        double secs = now - r->started;
        printf("\r%s [%s] %3u%%  %" PRIu64 "/%" PRIu64 " %s  %.0f/s ", f->path, bar,
               (unsigned)(done * 100 / total), done, f->total_units, imp_unit_names[f->kind][1],
               secs > 0 ? (double)r->sent_this_run / secs : 0.0);
        if (final)
                putchar('\n');
        fflush(stdout);
}

/* ---- the summary ---- */

static uint64_t imp_refused_by(const struct imp_tally *t, const char *who)
{
        uint64_t n = 0;
        for (unsigned i = 0; i < t->n_reasons; i++)
                if (strncmp(t->reasons[i].name, who, strlen(who)) == 0)
                        n += t->reasons[i].n;
        return n;
}

static void imp_add_file_row(struct cli_table *tab, const char *name, const char *unit,
                             const struct imp_tally *t)
{
        char c[7][CLI_CELL_SIZE];
        snprintf(c[0], sizeof(c[0]), "%" PRIu64, t->units);
        snprintf(c[1], sizeof(c[1]), "%" PRIu64, t->skipped + imp_refused_by(t, "cli:"));
        snprintf(c[2], sizeof(c[2]), "%" PRIu64, t->sent);
        snprintf(c[3], sizeof(c[3]), "%" PRIu64, t->accepted);
        snprintf(c[4], sizeof(c[4]), "%" PRIu64, t->duplicates);
        snprintf(c[5], sizeof(c[5]), "%" PRIu64, imp_refused_by(t, "daemon:"));
        const char *row[] = {name, unit, c[0], c[1], c[2], c[3], c[4], c[5]};
        cli_table_add(tab, row);
}

static void imp_add_reason_rows(struct cli_table *tab, const char *name, const struct imp_tally *t)
{
        char n[CLI_CELL_SIZE], by[16];
        for (unsigned i = 0; i < t->n_reasons; i++) {
                const char *colon = strchr(t->reasons[i].name, ':');
                snprintf(by, sizeof(by), "%.*s", colon ? (int)(colon - t->reasons[i].name) : 5,
                         colon ? t->reasons[i].name : "other");
                snprintf(n, sizeof(n), "%" PRIu64, t->reasons[i].n);
                const char *row[] = {name, by, colon ? colon + 1 : t->reasons[i].name, n};
                cli_table_add(tab, row);
        }
        if (t->skipped) {
                snprintf(n, sizeof(n), "%" PRIu64, t->skipped);
                const char *row[] = {name, "cli", "zero_units (not an error)", n};
                cli_table_add(tab, row);
        }
}

static void imp_print_partials(const char *name, const struct imp_tally *t)
{
        char a[CLI_CELL_SIZE];
        if (t->items_skipped_full)
                printf("%s: %s of accepted receipts skipped: the SKU table is full "
                       "(limits.max_skus)\n",
                       name,
                       cli_quantity((double)t->items_skipped_full, "line", "lines", a, sizeof(a)));
        if (t->stale)
                printf("%s: %s not newer than the book the daemon held, the book kept\n", name,
                       cli_quantity((double)t->stale, "on-hand value", "on-hand values", a,
                                    sizeof(a)));
        if (t->categories_full)
                printf("%s: %s not recorded: limits.max_categories reached\n", name,
                       cli_quantity((double)t->categories_full, "category", "categories", a,
                                    sizeof(a)));
        if (t->saturated)
                printf(
                    "%s: %s capped at 255 units a day (limits.max_fast_skus)\n", name,
                    cli_quantity((double)t->saturated, "sales line", "sales lines", a, sizeof(a)));
}

void imp_print_summary(const struct imp_run *r)
{
        static const struct cli_column files[] = {
            {"FILE", false}, {"UNIT", false},    {"READ", true},      {"NOT SENT", true},
            {"SENT", true},  {"ACCEPTED", true}, {"DUPLICATE", true}, {"REFUSED", true}};
        static const struct cli_column why[] = {
            {"FILE", false}, {"BY", false}, {"REASON", false}, {"COUNT", true}};
        struct cli_table t, w;
        char from[16], to[16], a[CLI_CELL_SIZE];
        cli_table_init(&t, files, 8);
        cli_table_init(&w, why, 4);
        if (r->registered || r->reg.sent) {
                imp_add_file_row(&t, "(all SKUs)", "SKU", &r->reg);
                imp_add_reason_rows(&w, "(SKUs)", &r->reg);
        }
        for (int k = 0; k < IMP_KINDS; k++) {
                const struct imp_file *f = &r->files[k];
                if (!f->path)
                        continue;
                imp_add_file_row(&t, f->path, imp_unit_names[k][0], &f->tally);
                imp_add_reason_rows(&w, f->path, &f->tally);
        }
        printf("Import into %s:\n\n", r->target->prefix);
        cli_table_print(&t);
        if (w.n_rows) {
                putchar('\n');
                cli_table_print(&w);
        } else {
                cli_table_free(&w);
        }
        putchar('\n');
        for (int k = 0; k < IMP_KINDS; k++)
                if (r->files[k].path)
                        imp_print_partials(r->files[k].path, &r->files[k].tally);
        if (r->period_first != SW_DAY_NONE) {
                sw_date_format(r->period_first, from, sizeof(from));
                sw_date_format(r->period_last, to, sizeof(to));
                printf("Sales from %s to %s; %s known from %s on (a day without a sale is a day "
                       "of 0 units).\n",
                       from, to, cli_quantity((double)r->n_skus, "SKU", "SKUs", a, sizeof(a)),
                       from);
        }
        if (!r->exact)
                printf("The daemon counted %" PRIu64 " messages of other senders during the "
                       "import: the DUPLICATE and REFUSED figures may include some of theirs.\n",
                       r->other_messages);
        double secs = cli_now_s() - r->started;
        if (r->sent_this_run)
                printf("%s sent in %.1f s (%.0f a second).\n",
                       cli_quantity((double)r->sent_this_run, "message", "messages", a, sizeof(a)),
                       secs, secs > 0 ? (double)r->sent_this_run / secs : 0.0);
        else
                printf("Nothing left to send: the state file %s says the import is done.\n",
                       r->state_path);
}

static void imp_json_tally(cJSON *o, const struct imp_tally *t)
{
        cJSON *cli = cJSON_AddObjectToObject(o, "not_sent"),
              *daemon = cJSON_AddObjectToObject(o, "refused");
        cJSON_AddNumberToObject(o, "read", (double)t->units);
        cJSON_AddNumberToObject(o, "sent", (double)t->sent);
        cJSON_AddNumberToObject(o, "accepted", (double)t->accepted);
        cJSON_AddNumberToObject(o, "duplicates", (double)t->duplicates);
        cJSON_AddNumberToObject(o, "lines_skipped_sku_table_full", (double)t->items_skipped_full);
        cJSON_AddNumberToObject(o, "stale_items", (double)t->stale);
        cJSON_AddNumberToObject(o, "categories_full", (double)t->categories_full);
        cJSON_AddNumberToObject(o, "sales_saturated", (double)t->saturated);
        if (t->skipped)
                cJSON_AddNumberToObject(cli, "zero_units", (double)t->skipped);
        for (unsigned i = 0; i < t->n_reasons; i++) {
                const char *name = t->reasons[i].name, *colon = strchr(name, ':');
                cJSON_AddNumberToObject(strncmp(name, "cli:", 4) == 0 ? cli : daemon,
                                        colon ? colon + 1 : name, (double)t->reasons[i].n);
        }
}

void imp_print_json(const struct imp_run *r)
{
        char day[16];
        cJSON *o = cli_check_alloc(cJSON_CreateObject()), *files, *reg;
        cJSON_AddStringToObject(o, "prefix", r->target->prefix);
        cJSON_AddStringToObject(o, "state", r->state_path);
        cJSON_AddBoolToObject(o, "complete", true);
        cJSON_AddBoolToObject(o, "exact", r->exact);
        if (r->period_first != SW_DAY_NONE) {
                sw_date_format(r->period_first, day, sizeof(day));
                cJSON_AddStringToObject(o, "from", day);
                sw_date_format(r->period_last, day, sizeof(day));
                cJSON_AddStringToObject(o, "to", day);
        }
        reg = cJSON_AddObjectToObject(o, "skus_registered");
        imp_json_tally(reg, &r->reg);
        files = cJSON_AddArrayToObject(o, "files");
        for (int k = 0; k < IMP_KINDS; k++) {
                const struct imp_file *f = &r->files[k];
                if (!f->path)
                        continue;
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "path", f->path);
                cJSON_AddStringToObject(j, "kind", imp_kind_name((enum imp_kind)k));
                cJSON_AddStringToObject(j, "unit", imp_unit_names[k][0]);
                imp_json_tally(j, &f->tally);
                cJSON_AddItemToArray(files, j);
        }
        cJSON_AddNumberToObject(o, "messages_this_run", (double)r->sent_this_run);
        cli_print_json(o);
        cJSON_Delete(o);
}
