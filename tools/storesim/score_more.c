/* score_more.c: the report's figures for every alert type: truth of shelf_out and
 * inventory_discrepancy, precision by severity, false alerts per 1,000 SKU-days and per store-day,
 * recall of the ghosts that matter, alerts around POS outages and closed days. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/civil_time.h"
#include "storesim.h"

/* Alerts (ids) of one type against their truth, overall and by severity. */
struct sim_alerts {
        unsigned tp, fp;                          /* right, wrong */
        unsigned sev_tp[2][SW_SEVERITY_COUNT];    /* right by [first, highest] severity */
        unsigned sev_fp[2][SW_SEVERITY_COUNT];    /* wrong by [first, highest] severity */
        unsigned fp_promo, fp_unheard, fp_closed; /* wrong on a promotion day, a SKU-day with
                                                     unheard sales, a closed day or the next */
};

/* Recall of a set of episodes: found, and the detection delays of those found. */
struct sim_recall {
        unsigned events, found; /* episodes; with a matching alert */
        double *delays;         /* days from start to the first matching as_of, found of them */
};

static uint8_t sim_flag_at(const struct sim *s, int sku, sw_day_t day)
{
        int64_t d = day - s->opt.start;
        if (sku < 0 || d < 0 || d >= (int64_t)s->opt.days)
                return 0;
        return s->flags[(size_t)sku * s->opt.days + (size_t)d];
}

/* The episode start day of an anomaly id "{store}-{code}-{YYYYMMDD}-{sku}", or fallback. */
static sw_day_t sim_id_day(const struct sim_anomaly *a, sw_day_t fallback)
{
        const char *p = strchr(a->id, '-');
        p = p ? strchr(p + 1, '-') : NULL;
        unsigned y, m, d;
        if (!p || sscanf(p + 1, "%4u%2u%2u", &y, &m, &d) != 3)
                return fallback;
        return sw_days_from_civil((int)y, m, d);
}

/* Whether an alert of type t is right: ghost_stock, a ghost episode active on the last day
 * the detectors saw (first as_of - 1); ml_detected, an ML event its features still show;
 * shelf_out, the shelf really empty while the book said stock on a day from the streak's
 * start (the id's day) to the alert's first as_of (a shelf sweep's as_of is the day it
 * looked at, or the next once a detect for it has run); inventory_discrepancy, a material
 * book error (a ghost episode) the last day seen. */
bool sim_alert_true(const struct sim *s, const struct sim_anomaly *a, int t)
{
        sw_day_t seen = a->first_as_of - 1;
        switch (t) {
        case SW_ANOMALY_ML_DETECTED:
                return sim_find_episode(s, SIM_ML_KINDS, a->sku, seen) != NULL;
        case SW_ANOMALY_SHELF_OUT:
                for (sw_day_t d = sim_id_day(a, seen); d <= a->first_as_of; d++)
                        if (sim_flag_at(s, a->sku_index, d) & SIM_F_EMPTY)
                                return true;
                return false;
        default:
                return sim_find_episode(s, SIM_KIND(SIM_GHOST), a->sku, seen) != NULL;
        }
}

static void sim_count_alerts(const struct sim *s, int t, struct sim_alerts *ret)
{
        struct sim_alerts c = {0};
        const char *type = sw_anomaly_type_name(t);
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                if (strcmp(a->type, type) != 0)
                        continue;
                bool hit = sim_alert_true(s, a, t);
                int sev[2] = {a->first_severity, a->max_severity};
                for (int k = 0; k < 2; k++)
                        if (sev[k] >= 0 && sev[k] < SW_SEVERITY_COUNT)
                                (hit ? c.sev_tp : c.sev_fp)[k][sev[k]]++;
                c.tp += hit;
                c.fp += !hit;
                if (hit)
                        continue;
                sw_day_t seen = a->first_as_of - 1;
                uint8_t f = sim_flag_at(s, a->sku_index, seen);
                c.fp_promo += (f & SIM_F_PROMO) != 0;
                c.fp_unheard += (f & SIM_F_UNHEARD) != 0;
                c.fp_closed += sim_closed(s, seen) || sim_closed(s, seen - 1);
        }
        *ret = c;
}

static void sim_ratio(cJSON *o, const char *name, unsigned num, unsigned den)
{
        cJSON_AddItemToObject(o, name,
                              den ? cJSON_CreateNumber((double)num / den) : cJSON_CreateNull());
}

static cJSON *sim_severity_json(const struct sim_alerts *c, int which)
{
        cJSON *o = cJSON_CreateObject();
        for (int v = SW_SEVERITY_COUNT - 1; v >= 0; v--) {
                cJSON *b = cJSON_AddObjectToObject(o, sw_severity_name((enum sw_severity)v));
                unsigned tp = c->sev_tp[which][v], fp = c->sev_fp[which][v];
                cJSON_AddNumberToObject(b, "alerts", tp + fp);
                cJSON_AddNumberToObject(b, "true_positives", tp);
                sim_ratio(b, "precision", tp, tp + fp);
        }
        return o;
}

/* Add the alert figures to a type's block; the keys it already has keep their values. */
static void sim_alerts_json(const struct sim *s, cJSON *g, const struct sim_alerts *c)
{
        double sku_days = (double)s->opt.skus * s->opt.days;
        if (!cJSON_HasObjectItem(g, "true_positives")) {
                cJSON_AddNumberToObject(g, "true_positives", c->tp);
                cJSON_AddNumberToObject(g, "false_positives", c->fp);
                cJSON_AddNumberToObject(g, "false_positives_per_1000_sku_days",
                                        1000.0 * c->fp / sku_days);
                sim_ratio(g, "precision", c->tp, c->tp + c->fp);
        }
        sim_ratio(g, "false_positives_per_store_day", c->fp, s->open_days);
        cJSON_AddNumberToObject(g, "false_positives_on_promotion_days", c->fp_promo);
        cJSON_AddNumberToObject(g, "false_positives_on_unheard_sales", c->fp_unheard);
        cJSON_AddNumberToObject(g, "false_positives_on_or_after_closed_day", c->fp_closed);
        cJSON_AddItemToObject(g, "by_first_severity", sim_severity_json(c, 0));
        cJSON_AddItemToObject(g, "by_highest_severity", sim_severity_json(c, 1));
}

static int sim_cmp_delay(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void sim_recall_json(cJSON *g, const char *suffix, struct sim_recall *r)
{
        char name[96];
        double sum = 0.0;
        for (unsigned i = 0; i < r->found; i++)
                sum += r->delays[i];
        qsort(r->delays, r->found, sizeof(double), sim_cmp_delay);
        snprintf(name, sizeof(name), "events%s", suffix);
        cJSON_AddNumberToObject(g, name, r->events);
        snprintf(name, sizeof(name), "events_detected%s", suffix);
        cJSON_AddNumberToObject(g, name, r->found);
        snprintf(name, sizeof(name), "recall%s", suffix);
        sim_ratio(g, name, r->found, r->events);
        snprintf(name, sizeof(name), "mean_detection_delay_days%s", suffix);
        cJSON_AddItemToObject(g, name,
                              r->found ? cJSON_CreateNumber(sum / r->found) : cJSON_CreateNull());
        snprintf(name, sizeof(name), "detection_delays_days%s", suffix);
        cJSON_AddItemToObject(g, name, cJSON_CreateDoubleArray(r->delays, (int)r->found));
        snprintf(name, sizeof(name), "median_detection_delay_days%s", suffix);
        cJSON_AddItemToObject(
            g, name,
            r->found ? cJSON_CreateNumber(
                           (r->delays[(r->found - 1) / 2] + r->delays[r->found / 2]) / 2.0)
                     : cJSON_CreateNull());
}

/* First as_of of an alert of type on SKU code whose last day seen is in [from, to], or 0. */
static sw_day_t sim_first_alert(const struct sim *s, const char *type, const char *sku,
                                sw_day_t from, sw_day_t to)
{
        sw_day_t first = 0;
        /* A shelf_out is found by the streak it started (its id's day). */
        bool shelf = strcmp(type, sw_anomaly_type_name(SW_ANOMALY_SHELF_OUT)) == 0;
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                sw_day_t seen = shelf ? sim_id_day(a, a->first_as_of - 1) : a->first_as_of - 1;
                if (seen >= from && seen <= to && (!first || a->first_as_of < first) &&
                    strcmp(a->type, type) == 0 && strcmp(a->sku, sku) == 0)
                        first = a->first_as_of;
        }
        return first;
}

static void sim_recall_add(struct sim_recall *r, sw_day_t start, sw_day_t found)
{
        r->events++;
        if (found)
                r->delays[r->found++] = (double)(found - start);
}

/* Ghost recall over all episodes the daemon could have seen, and over those that matter
 * (at least SIM_MATTER_DAYS days seen, on a SKU selling at least SIM_MATTER_DEMAND a day). */
/* The class of a ghost episode for recall by class: 0 total, 1 partial, 2 shrink. */
static const char *const sim_ghost_classes[] = {"total", "partial", "shrink"};

static int sim_ghost_class(const struct sim_episode *e)
{
        return e->cause == SIM_CAUSE_SHRINK ? 2 : e->partial ? 1 : 0;
}

/* Recall of the episodes that matter by class (realistic: total, partial, shrink). */
static void sim_class_recall_json(cJSON *g, const unsigned events[3], const unsigned found[3])
{
        cJSON *by = cJSON_AddObjectToObject(g, "by_class_that_matter");
        for (int c = 0; c < 3; c++) {
                cJSON *o = cJSON_AddObjectToObject(by, sim_ghost_classes[c]);
                cJSON_AddNumberToObject(o, "events", events[c]);
                cJSON_AddNumberToObject(o, "events_detected", found[c]);
                sim_ratio(o, "recall", found[c], events[c]);
        }
}

static void sim_ghost_recall(const struct sim *s, cJSON *g)
{
        struct sim_recall all = {0}, matter = {0};
        unsigned class_events[3] = {0}, class_found[3] = {0};
        all.delays = calloc(s->n_eps + 1, sizeof(double));
        matter.delays = calloc(s->n_eps + 1, sizeof(double));
        const char *type = sw_anomaly_type_name(SW_ANOMALY_GHOST_STOCK);
        for (size_t e = 0; all.delays && matter.delays && e < s->n_eps; e++) {
                const struct sim_episode *ep = &s->eps[e];
                if (ep->kind != SIM_GHOST || !s->has_as_of || ep->start >= s->last_as_of)
                        continue;
                const struct sim_sku *k = &s->skus[ep->sku];
                sw_day_t last = ep->end < s->last_as_of - 1 ? ep->end : s->last_as_of - 1;
                sw_day_t found = sim_first_alert(s, type, k->code, ep->start, ep->end);
                sim_recall_add(&all, ep->start, found);
                if (last - ep->start + 1 < SIM_MATTER_DAYS || k->mean_demand < SIM_MATTER_DEMAND)
                        continue;
                sim_recall_add(&matter, ep->start, found);
                class_events[sim_ghost_class(ep)]++;
                class_found[sim_ghost_class(ep)] += found != 0;
        }
        if (all.delays && matter.delays) { /* the delays of all events, for summing runs */
                qsort(all.delays, all.found, sizeof(double), sim_cmp_delay);
                cJSON_AddItemToObject(g, "detection_delays_days",
                                      cJSON_CreateDoubleArray(all.delays, (int)all.found));
                sim_recall_json(g, "_that_matter", &matter);
                sim_class_recall_json(g, class_events, class_found);
        }
        free(all.delays);
        free(matter.delays);
}

/* SKUs that never had a ghost episode, and how many of them were flagged at least once. */
static void sim_clean_skus(const struct sim *s, cJSON *g)
{
        bool *ghost = calloc(s->opt.skus, sizeof(bool)), *flagged = calloc(s->opt.skus, 1);
        unsigned clean = 0, clean_flagged = 0;
        const char *type = sw_anomaly_type_name(SW_ANOMALY_GHOST_STOCK);
        for (size_t e = 0; ghost && flagged && e < s->n_eps; e++)
                ghost[s->eps[e].sku] |= s->eps[e].kind == SIM_GHOST;
        for (size_t i = 0; ghost && flagged && i < s->n_anoms; i++)
                if (s->anoms[i].sku_index >= 0 && strcmp(s->anoms[i].type, type) == 0)
                        flagged[s->anoms[i].sku_index] = true;
        for (unsigned i = 0; ghost && flagged && i < s->opt.skus; i++) {
                clean += !ghost[i];
                clean_flagged += !ghost[i] && flagged[i];
        }
        cJSON_AddNumberToObject(g, "skus_without_ghost", clean);
        cJSON_AddNumberToObject(g, "skus_without_ghost_flagged", clean_flagged);
        free(ghost);
        free(flagged);
}

/* shelf_out recall: runs of days on which a sensor SKU's shelf was empty while its book said
 * stock (the days the daemon could have seen), found by an alert whose last day seen is in it. */
static void sim_shelf_recall(const struct sim *s, cJSON *g)
{
        struct sim_recall r = {0};
        const char *type = sw_anomaly_type_name(SW_ANOMALY_SHELF_OUT);
        unsigned seen = s->has_as_of ? (unsigned)(s->last_as_of - s->opt.start) : 0;
        seen = seen < s->opt.days ? seen : s->opt.days;
        r.delays = calloc((size_t)s->opt.skus * (seen / 2 + 1) + 1, sizeof(double));
        for (unsigned i = 0; r.delays && i < s->opt.skus; i++) {
                if (!s->skus[i].shelf)
                        continue;
                for (unsigned d = 0; d < seen;) {
                        if (!(s->flags[(size_t)i * s->opt.days + d] & SIM_F_EMPTY)) {
                                d++;
                                continue;
                        }
                        unsigned e = d;
                        while (e + 1 < seen &&
                               (s->flags[(size_t)i * s->opt.days + e + 1] & SIM_F_EMPTY))
                                e++;
                        sw_day_t from = s->opt.start + (sw_day_t)d, to = s->opt.start + (sw_day_t)e;
                        sim_recall_add(&r, from,
                                       sim_first_alert(s, type, s->skus[i].code, from, to));
                        d = e + 1;
                }
        }
        if (r.delays)
                sim_recall_json(g, "", &r);
        free(r.delays);
}

static void sim_print_value(const cJSON *o, const char *name, const char *fmt, int width)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
        char buf[32] = "-";
        if (cJSON_IsNumber(v))
                snprintf(buf, sizeof(buf), fmt, v->valuedouble);
        printf(" %*s", width, buf);
}

/* One row of the printed alerts table. */
static void sim_print_row(const char *type, const cJSON *g)
{
        const cJSON *sev = cJSON_GetObjectItemCaseSensitive(g, "by_first_severity");
        printf("  %-22s", type);
        sim_print_value(g, "detected", "%.0f", 6);
        sim_print_value(g, "true_positives", "%.0f", 5);
        sim_print_value(g, "false_positives", "%.0f", 5);
        sim_print_value(g, "precision", "%.3f", 6);
        sim_print_value(g, "false_positives_per_1000_sku_days", "%.2f", 9);
        sim_print_value(g, "false_positives_per_store_day", "%.2f", 9);
        for (int v = SW_SEVERITY_COUNT - 1; v >= 0; v--)
                sim_print_value(
                    cJSON_GetObjectItemCaseSensitive(sev, sw_severity_name((enum sw_severity)v)),
                    "precision", "%.3f", 6);
        printf("\n");
}

/* Per ML kind: the true positives matched to an event of that kind. */
static void sim_ml_kind_tp(const struct sim *s, cJSON *g)
{
        unsigned tp[SIM_KINDS] = {0};
        const char *type = sw_anomaly_type_name(SW_ANOMALY_ML_DETECTED);
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                const struct sim_episode *e =
                    strcmp(a->type, type) == 0
                        ? sim_find_episode(s, SIM_ML_KINDS, a->sku, a->first_as_of - 1)
                        : NULL;
                tp[e ? e->kind : 0] += e != NULL;
        }
        cJSON *by = cJSON_GetObjectItemCaseSensitive(g, "by_kind"), *k;
        cJSON_ArrayForEach(k, by)
        {
                for (int kind = 0; kind < SIM_KINDS; kind++)
                        if (strcmp(k->string, sim_kind_names[kind]) == 0)
                                cJSON_AddNumberToObject(k, "true_positives", tp[kind]);
        }
}

static double sim_get(const cJSON *o, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
        return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

/* The printed recall lines: ghosts (all, that matter), shelf_out, ML by kind. */
static void sim_print_recalls(const cJSON *types)
{
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(types, "ghost_stock");
        const cJSON *so = cJSON_GetObjectItemCaseSensitive(types, "shelf_out");
        const cJSON *ml = cJSON_GetObjectItemCaseSensitive(types, "ml_detected"), *k;
        printf("  ghost recall: all %.3f (%.0f/%.0f), median delay %.1f d; that matter"
               " (>= %d days, >= %.1f a day) %.3f (%.0f/%.0f), median delay %.1f d\n",
               sim_get(g, "recall"), sim_get(g, "events_detected"), sim_get(g, "events"),
               sim_get(g, "median_detection_delay_days"), SIM_MATTER_DAYS, SIM_MATTER_DEMAND,
               sim_get(g, "recall_that_matter"), sim_get(g, "events_detected_that_matter"),
               sim_get(g, "events_that_matter"),
               sim_get(g, "median_detection_delay_days_that_matter"));
        printf("  ghost alerts on SKUs without a ghost: %.0f of %.0f SKUs flagged\n",
               sim_get(g, "skus_without_ghost_flagged"), sim_get(g, "skus_without_ghost"));
        printf("  shelf_out recall (shelf empty with a book, sensor SKUs): %.3f (%.0f/%.0f),"
               " median delay %.1f d\n",
               sim_get(so, "recall"), sim_get(so, "events_detected"), sim_get(so, "events"),
               sim_get(so, "median_detection_delay_days"));
        printf("  ml_detected found by kind:");
        cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(ml, "by_kind"))
        {
                printf(" %s %.0f/%.0f", k->string, sim_get(k, "events_detected"),
                       sim_get(k, "events"));
        }
        printf(" (-1: none)\n");
}

/* Everything above, added to the report's blocks (types: the "types" object) and printed. */
void sim_score_more(const struct sim *s, cJSON *report, cJSON *types)
{
        static const int scored[] = {SW_ANOMALY_GHOST_STOCK, SW_ANOMALY_SHELF_OUT,
                                     SW_ANOMALY_ML_DETECTED, SW_ANOMALY_INVENTORY_DISCREPANCY};
        sim_store_json(s, report);
        printf("  %-22s %6s %5s %5s %6s %9s %9s %6s %6s %6s\n", "alerts (ids)", "ids", "TP", "FP",
               "prec", "FP/1kSKUd", "FP/stday", "crit", "warn", "info");
        for (size_t i = 0; i < sizeof(scored) / sizeof(scored[0]); i++) {
                struct sim_alerts c;
                const char *name = sw_anomaly_type_name(scored[i]);
                cJSON *g = cJSON_GetObjectItemCaseSensitive(types, name);
                sim_count_alerts(s, scored[i], &c);
                sim_alerts_json(s, g, &c);
                if (scored[i] == SW_ANOMALY_GHOST_STOCK) {
                        sim_ghost_recall(s, g);
                        sim_clean_skus(s, g);
                } else if (scored[i] == SW_ANOMALY_SHELF_OUT) {
                        sim_shelf_recall(s, g);
                } else if (scored[i] == SW_ANOMALY_ML_DETECTED) {
                        sim_ml_kind_tp(s, g);
                }
                sim_print_row(name, g);
        }
        sim_print_recalls(types);
        sim_storms_json(s, report);
}
