/* options.c: storesim's command line: option table, defaults, --help, parsing. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/civil_time.h"
#include "storesim.h"

enum sim_opt_kind {
        SIM_OPT_HEADING,
        SIM_OPT_STR,
        SIM_OPT_UINT,
        SIM_OPT_REAL,
        SIM_OPT_DATE,
        SIM_OPT_FLAG,
        SIM_OPT_WEEKDAY,  /* repeatable: sets a bit per weekday */
        SIM_OPT_DAY_INDEX /* repeatable: adds a day index to a list */
};

/* One command-line option; defaults go through the same parser as arguments. */
struct sim_opt_spec {
        const char *name;       /* long option name; heading text for SIM_OPT_HEADING */
        enum sim_opt_kind kind; /* type of the field */
        size_t offset;          /* field in struct sim_options */
        double lo, hi;          /* range of numbers */
        const char *def;        /* default value, NULL for none */
        const char *help;       /* argument name and description for --help */
};

#define SIM_HEAD(text)                                                                             \
        {                                                                                          \
                text, SIM_OPT_HEADING, 0, 0, 0, NULL, NULL                                         \
        }
#define SIM_OPT(n, k, f, lo, hi, def, help)                                                        \
        {                                                                                          \
                n, k, offsetof(struct sim_options, f), lo, hi, def, help                           \
        }

static const struct sim_opt_spec sim_opt_specs[] = {
    SIM_HEAD("Broker and topics (P = ROOT/TENANT/STORE):"),
    SIM_OPT("host", SIM_OPT_STR, host, 0, 0, "127.0.0.1", "HOST  broker host"),
    SIM_OPT("port", SIM_OPT_UINT, port, 1, 65535, "1883", "PORT  broker port"),
    SIM_OPT("root", SIM_OPT_STR, root, 0, 0, "retail", "ROOT  topic root"),
    SIM_OPT("tenant", SIM_OPT_STR, tenant, 0, 0, "demo", "ID  tenant"),
    SIM_OPT("store", SIM_OPT_STR, store, 0, 0, "store1", "ID  store"),
    SIM_OPT("timezone", SIM_OPT_STR, timezone, 0, 0, "UTC", "TZ  IANA zone of store-local time"),
    SIM_HEAD("Store model:"),
    SIM_OPT("seed", SIM_OPT_UINT, seed, 0, UINT32_MAX, "1", "N  random seed"),
    SIM_OPT("skus", SIM_OPT_UINT, skus, 1, 100000, "300", "N  SKUs"),
    SIM_OPT("categories", SIM_OPT_UINT, categories, 1, SIM_MAX_CATEGORIES, "12", "N  categories"),
    SIM_OPT("days", SIM_OPT_UINT, days, 1, 3660, "30", "N  simulated days"),
    SIM_OPT("start", SIM_OPT_DATE, start, 0, 0, NULL,
            "YYYY-MM-DD  first day (default: today - days - 1)"),
    SIM_OPT("warmup", SIM_OPT_UINT, warmup, 0, 3660, "21",
            "N  no ghost or ML event starts before day index N"),
    SIM_OPT("ghost-rate", SIM_OPT_REAL, ghost_rate, 0, 1, "0.004",
            "R  ghost events per SKU per day"),
    SIM_OPT("min-ghosts", SIM_OPT_UINT, min_ghosts, 0, 100000, "8",
            "N  at least N ghost events, spread over the run"),
    SIM_OPT("ghost-fix-days", SIM_OPT_UINT, ghost_fix_days, 1, 365, "7",
            "N  a full inventory count fixes a ghost N days after it starts"),
    SIM_OPT("ml-rate", SIM_OPT_REAL, ml_rate, 0, 1, "0.002",
            "R  ML events (price error, demand spike, overstock) per SKU per day; 0: off"),
    SIM_OPT("min-ml", SIM_OPT_UINT, min_ml, 0, 100000, "6",
            "N  at least N of those when --ml-rate > 0, spread over the run"),
    SIM_OPT("ml-fix-days", SIM_OPT_UINT, ml_fix_days, 1, 365, "5",
            "N  a wrong price or an overstock is corrected N days after it starts"),
    SIM_OPT("shelf-fraction", SIM_OPT_REAL, shelf_fraction, 0, 1, "0.1",
            "F  share of SKUs watched by shelf sensors"),
    SIM_OPT("push-forecast", SIM_OPT_FLAG, push_forecast, 0, 0, NULL,
            "publish P/forecast daily: expected units per SKU for the next 7 days"),
    SIM_HEAD("Realistic store (--profile basic turns each off; docs/simulator.md):"),
    SIM_OPT("profile", SIM_OPT_STR, profile, 0, 0, "realistic",
            "NAME  realistic, or basic: the model before it, same traffic for a seed"),
    SIM_OPT("nb-mix", SIM_OPT_STR, nb_mix, 0, 0, "1,1,1,1",
            "W,W,W,W  weights of NB size r = 1, 2, 5, Poisson per SKU; off: basic demand"),
    SIM_OPT("promo-weeks", SIM_OPT_REAL, promo_weeks, 0, 1000, "8",
            "W  a SKU's promotions come every W weeks on average; 0: none"),
    SIM_OPT("holidays", SIM_OPT_STR, holidays, 0, 0, "us",
            "CAL  us (Thanksgiving, Christmas closed; Black Friday x2.5) or none"),
    SIM_OPT("closed-weekday", SIM_OPT_WEEKDAY, closed_weekdays, 0, 0, NULL,
            "DAY  the store is closed every DAY (mon..sun); repeatable"),
    SIM_OPT("closed-day", SIM_OPT_DAY_INDEX, closed_days, 0, 3660, NULL,
            "N  the store is closed on day index N (an unplanned closure, a holiday);\n"
            "     repeatable, at most 16"),
    SIM_OPT("register-outages", SIM_OPT_REAL, register_outages, 0, 100, "0.5",
            "N  a register's feed is silent for hours, N times a week"),
    SIM_OPT("store-outage-days", SIM_OPT_UINT, store_outage_days, 0, 3660, "1",
            "N  days the whole store's POS feed is silent"),
    SIM_OPT("category-outage-days", SIM_OPT_UINT, cat_outage_days, 0, 3660, "1",
            "N  days one category's sales are not reported"),
    SIM_OPT("partial-share", SIM_OPT_REAL, partial_share, 0, 1, "0.5",
            "F  share of ghosts that leave some units (0-50% of the book)"),
    SIM_OPT("shrink-rate", SIM_OPT_REAL, shrink_rate, 0, 1, "0.005",
            "R  unrecorded one-unit losses per SKU per day"),
    SIM_OPT("material-units", SIM_OPT_UINT, material_units, 1, 1000000, "2",
            "N  a shortfall is a ghost from N units ..."),
    SIM_OPT("material-ratio", SIM_OPT_REAL, material_ratio, 0, 1, "0.2",
            "F  ... and F of the book (or when the shelf is empty)"),
    SIM_OPT("shelf-interval", SIM_OPT_UINT, shelf_interval, 0, 780, "60",
            "MIN  shelf readings every MIN minutes of opening; 0: 10, 14, 18 h"),
    SIM_OPT("false-zero-rate", SIM_OPT_REAL, false_zero_rate, 0, 1, "0.02",
            "P  a shelf reading says 0 while units are there"),
    SIM_OPT("missed-reading-rate", SIM_OPT_REAL, missed_reading_rate, 0, 1, "0.01",
            "P  a shelf reading never comes"),
    SIM_OPT("pos-redelivery", SIM_OPT_REAL, pos_redelivery, 0, 1, "0.01",
            "F  share of POS messages published twice (same id)"),
    SIM_OPT("register-price-errors", SIM_OPT_UINT, register_price, 0, 1, "1",
            "0|1  the registers charging a wrong price is an ML event kind"),
    SIM_OPT("demand", SIM_OPT_STR, demand_path, 0, 0, NULL,
            "FILE  replay real demand (tools/realdata/prepare.py); 60 ghosts"),
    SIM_OPT("print-store-config", SIM_OPT_FLAG, print_store_config, 0, 0, NULL,
            "print the daemon's store group for this run's calendar and exit"),
    SIM_HEAD("Associates (cycle counts of the daemon's ghost-stock list):"),
    SIM_OPT("associates", SIM_OPT_UINT, associates, 0, 10000, "0",
            "N  after each day's detect, count the top N recommendations; 0: off"),
    SIM_OPT("count-delay-hours", SIM_OPT_UINT, count_delay_hours, 0, 9, "1",
            "H  the counts are made H hours after closing (21:00 + H)"),
    SIM_HEAD("Delivery:"),
    SIM_OPT("max-inflight", SIM_OPT_UINT, max_inflight, 1, 65535, "200",
            "N  QoS 1 messages awaiting PUBACK"),
    SIM_OPT("batch", SIM_OPT_UINT, batch, 1, 100000, "100",
            "N  items per inventory/receipt/shelf/forecast message"),
    SIM_OPT("reply-timeout", SIM_OPT_REAL, reply_timeout, 0.1, 3600, "10",
            "SEC  wait this long for a detect reply (and for PUBACKs)"),
    SIM_OPT("retries", SIM_OPT_UINT, retries, 0, 100000, "30",
            "N  resend an unanswered day N times, then exit 3"),
    SIM_OPT("sleep-ms", SIM_OPT_UINT, sleep_ms, 0, 3600000, "0", "MS  pause between days"),
    SIM_OPT("drain-ms", SIM_OPT_UINT, drain_ms, 0, 3600000, "2000",
            "MS  wait for late anomalies at the end"),
    SIM_HEAD("Output:"),
    SIM_OPT("truth", SIM_OPT_STR, truth_path, 0, 0, NULL, "FILE  injected events, JSON lines"),
    SIM_OPT("report", SIM_OPT_STR, report_path, 0, 0, NULL, "FILE  score report, JSON"),
    SIM_OPT("anomalies", SIM_OPT_STR, anomalies_path, 0, 0, NULL,
            "FILE  every anomaly received, JSON lines"),
    SIM_OPT("features-out", SIM_OPT_STR, features_path, 0, 0, NULL,
            "FILE  each day's ml-features rows with ML-event labels, CSV"),
    SIM_OPT("counts", SIM_OPT_STR, counts_path, 0, 0, NULL,
            "FILE  every cycle count with its ground truth and ack, JSON lines"),
    SIM_OPT("traffic", SIM_OPT_STR, traffic_path, 0, 0, NULL,
            "FILE  every message published (first sends): topic TAB payload"),
    SIM_OPT("verbose", SIM_OPT_FLAG, verbose, 0, 0, NULL, "print each anomaly as it arrives"),
    SIM_OPT("quiet", SIM_OPT_FLAG, quiet, 0, 0, NULL, "print only the final report"),
    SIM_OPT("help", SIM_OPT_FLAG, help, 0, 0, NULL, "print this text and exit"),
};

#define SIM_N_OPTS (sizeof(sim_opt_specs) / sizeof(sim_opt_specs[0]))

/* What --profile basic changes: every part of the realistic store off, the model before it. */
static const char *const sim_basic_defaults[][2] = {{"nb-mix", "off"},
                                                    {"promo-weeks", "0"},
                                                    {"holidays", "none"},
                                                    {"register-outages", "0"},
                                                    {"store-outage-days", "0"},
                                                    {"category-outage-days", "0"},
                                                    {"partial-share", "0"},
                                                    {"shrink-rate", "0"},
                                                    {"shelf-interval", "0"},
                                                    {"false-zero-rate", "0"},
                                                    {"missed-reading-rate", "0"},
                                                    {"pos-redelivery", "0"},
                                                    {"register-price-errors", "0"}};

/* What --demand changes: the file's demand and closed days replace the generated ones, and
 * a fixed number of ghosts is injected on the real series. */
static const char *const sim_replay_defaults[][2] = {{"nb-mix", "off"},
                                                     {"promo-weeks", "0"},
                                                     {"holidays", "none"},
                                                     {"ghost-rate", "0"},
                                                     {"min-ghosts", SIM_REPLAY_GHOSTS}};

void sim_usage(FILE *f)
{
        fputs("usage: storesim [options]\n"
              "Plays a simulated store against shelfwatchd over MQTT v5 (QoS 1), keeps the\n"
              "ground truth of the ghost stock and of the anomalies an ML detector should\n"
              "find (price errors, demand spikes, overstock), and scores the daemon's\n"
              "ghost_stock and ml_detected anomalies. Deterministic for a given --seed.\n",
              f);
        for (size_t i = 0; i < SIM_N_OPTS; i++) {
                const struct sim_opt_spec *o = &sim_opt_specs[i];
                if (o->kind == SIM_OPT_HEADING) {
                        fprintf(f, "%s\n", o->name);
                        continue;
                }
                const char *sep = o->kind == SIM_OPT_FLAG ? NULL : strstr(o->help, "  ");
                int arg = sep ? (int)(sep - o->help) : 0;
                fprintf(f, "  --%s%s%-*.*s  %s%s%s%s\n", o->name, arg ? " " : "",
                        22 - (int)strlen(o->name) - (arg ? 1 : 0), arg, o->help,
                        sep ? sep + 2 : o->help, o->def ? " (" : "", o->def ? o->def : "",
                        o->def ? ")" : "");
        }
        fputs("Exit status: 0 ok, 1 other failure, 2 usage, 3 the daemon never answered a\n"
              "detect, 4 broker unreachable. See docs/simulator.md.\n",
              f);
}

/* Store one option value into its field. Returns 0 or -EINVAL. */
static int sim_set_option(struct sim_options *o, const struct sim_opt_spec *spec, const char *arg)
{
        char *field = (char *)o + spec->offset, *end = NULL;
        double v = 0.0;
        if (spec->kind == SIM_OPT_UINT || spec->kind == SIM_OPT_REAL) {
                errno = 0;
                v = spec->kind == SIM_OPT_UINT ? (double)strtoul(arg, &end, 10) : strtod(arg, &end);
                if (errno || end == arg || *end || arg[0] == '-' ||
                    !(v >= spec->lo && v <= spec->hi))
                        return -EINVAL;
        }
        switch (spec->kind) {
        case SIM_OPT_STR:
                *(const char **)(void *)field = arg;
                return 0;
        case SIM_OPT_UINT:
                *(unsigned *)(void *)field = (unsigned)v;
                return 0;
        case SIM_OPT_REAL:
                *(double *)(void *)field = v;
                return 0;
        case SIM_OPT_FLAG:
                *(bool *)field = true;
                return 0;
        case SIM_OPT_DATE:
                o->has_start = true;
                return sw_date_parse(arg, strlen(arg), (sw_day_t *)(void *)field);
        case SIM_OPT_DAY_INDEX: {
                unsigned long day = strtoul(arg, &end, 10);
                if (end == arg || *end || arg[0] == '-' || day > (unsigned long)spec->hi ||
                    o->n_closed_days >= SIM_MAX_CLOSED_DAYS)
                        return -EINVAL;
                o->closed_days[o->n_closed_days++] = (unsigned)day;
                return 0;
        }
        case SIM_OPT_WEEKDAY:
                for (unsigned w = 0; w < 7; w++)
                        if (strcmp(arg, sim_weekday_names[w]) == 0) {
                                *(unsigned *)(void *)field |= 1u << w;
                                return 0;
                        }
                return -EINVAL;
        default:
                return -EINVAL;
        }
}

/* Apply a table of defaults (option name, value) over the built-in ones. */
static void sim_apply_defaults(struct sim_options *o, const char *const table[][2], size_t n)
{
        for (size_t t = 0; t < n; t++)
                for (size_t i = 0; i < SIM_N_OPTS; i++)
                        if (sim_opt_specs[i].kind != SIM_OPT_HEADING &&
                            strcmp(sim_opt_specs[i].name, table[t][0]) == 0)
                                (void)sim_set_option(o, &sim_opt_specs[i], table[t][1]);
}

/* The value of --NAME VALUE or --NAME=VALUE on the command line (the last one), or NULL. */
static const char *sim_prescan(int argc, char **argv, const char *name)
{
        const char *found = NULL;
        size_t len = strlen(name);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0)
                        continue;
                if (a[2 + len] == '=')
                        found = a + 3 + len;
                else if (!a[2 + len] && i + 1 < argc)
                        found = argv[i + 1];
        }
        return found;
}

/* Checks of values the option table cannot say. */
static int sim_check_options(struct sim_options *o)
{
        double w[SIM_NB_SIZES];
        if (strcmp(o->profile, "realistic") != 0 && strcmp(o->profile, "basic") != 0) {
                fprintf(stderr, "storesim: --profile is realistic or basic\n");
                return -EINVAL;
        }
        o->realistic = strcmp(o->profile, "realistic") == 0;
        if (strcmp(o->holidays, "us") != 0 && strcmp(o->holidays, "none") != 0) {
                fprintf(stderr, "storesim: --holidays is us or none\n");
                return -EINVAL;
        }
        if (strcmp(o->nb_mix, "off") != 0 && sim_parse_nb_mix(o->nb_mix, w) < 0) {
                fprintf(stderr, "storesim: bad --nb-mix: %s\n", o->nb_mix);
                return -EINVAL;
        }
        return 0;
}

int sim_parse_args(struct sim_options *o, int argc, char **argv)
{
        struct option longopts[SIM_N_OPTS + 1];
        size_t n = 0;
        const char *profile = sim_prescan(argc, argv, "profile");
        *o = (struct sim_options){0};
        for (size_t i = 0; i < SIM_N_OPTS; i++) {
                const struct sim_opt_spec *spec = &sim_opt_specs[i];
                if (spec->kind == SIM_OPT_HEADING)
                        continue;
                if (spec->def)
                        (void)sim_set_option(o, spec, spec->def);
                longopts[n++] =
                    (struct option){spec->name, spec->kind != SIM_OPT_FLAG, NULL, 256 + (int)i};
        }
        longopts[n] = (struct option){0};
        if (profile && strcmp(profile, "basic") == 0)
                sim_apply_defaults(o, sim_basic_defaults,
                                   sizeof(sim_basic_defaults) / sizeof(sim_basic_defaults[0]));
        if (sim_prescan(argc, argv, "demand"))
                sim_apply_defaults(o, sim_replay_defaults,
                                   sizeof(sim_replay_defaults) / sizeof(sim_replay_defaults[0]));
        for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
                if (c < 256) /* getopt has already said what is wrong */
                        return -EINVAL;
                const struct sim_opt_spec *spec = &sim_opt_specs[c - 256];
                if (sim_set_option(o, spec, optarg) < 0) {
                        fprintf(stderr, "storesim: bad value for --%s: %s\n", spec->name, optarg);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "storesim: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        if (sim_check_options(o) < 0)
                return -EINVAL;
        o->categories = o->categories < o->skus ? o->categories : o->skus;
        o->verbose = o->verbose && !o->quiet;
        o->reply_timeout_ms = (unsigned)(o->reply_timeout * 1000.0);
        char zone[512];
        snprintf(zone, sizeof(zone), "/usr/share/zoneinfo/%s", o->timezone);
        if (strcmp(o->timezone, "UTC") != 0 && (strstr(o->timezone, "..") || access(zone, R_OK))) {
                fprintf(stderr, "storesim: unknown time zone: %s\n", o->timezone);
                return -EINVAL;
        }
        return 0;
}
