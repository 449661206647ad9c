/* score.c: scores the daemon's anomalies against the ground truth; the printed and JSON report. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "storesim.h"

static int sim_cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static void sim_add_stat(cJSON *o, const char *name, bool defined, double v)
{
        cJSON_AddItemToObject(o, name, defined ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

/* How one anomaly type is scored against the ground truth. */
struct sim_rule {
        enum sw_anomaly_type type; /* the type scored */
        unsigned kinds;            /* SIM_KIND() mask of the episodes it should find */
        unsigned excuse;           /* SIM_KIND() mask of episodes that explain a false positive */
        const char *excuse_field;  /* report field that counts those false positives */
};

static const struct sim_rule sim_ghost_rule = {SW_ANOMALY_GHOST_STOCK, SIM_KIND(SIM_GHOST),
                                               SIM_KIND(SIM_STOCKOUT),
                                               "false_positives_during_stockout"};
static const struct sim_rule sim_ml_rule = {SW_ANOMALY_ML_DETECTED, SIM_ML_KINDS,
                                            SIM_KIND(SIM_GHOST), "false_positives_during_ghost"};

/* The score of one anomaly type. */
struct sim_tally {
        unsigned tp, fp, fp_excused;     /* anomaly ids: right, wrong, wrong but explained */
        unsigned events, found;          /* episodes the daemon could have seen; matched */
        unsigned kind_events[SIM_KINDS]; /* events by kind */
        unsigned kind_found[SIM_KINDS];  /* found by kind */
        double precision, recall;        /* tp / (tp + fp); found / events (0 when undefined) */
        double mean_delay, median_delay; /* days from start to the first matching as_of */
        double fp_per_1000;              /* false positives per 1000 SKU-days */
};

/* Score the anomalies of rule->type: an id matches an episode of rule->kinds on its SKU when
 * start <= first as_of - 1 <= end + sim_kind_after[kind]; an episode is found when some id
 * matches it. */
static void sim_tally(const struct sim *s, const struct sim_rule *rule, struct sim_tally *ret)
{
        struct sim_tally t = {0};
        const char *type = sw_anomaly_type_name(rule->type);
        double delay_sum = 0.0, *delays = calloc(s->n_eps + 1, sizeof(double));
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                if (strcmp(a->type, type) != 0)
                        continue;
                sw_day_t seen = a->first_as_of - 1;
                bool hit = sim_find_episode(s, rule->kinds, a->sku, seen);
                t.tp += hit;
                t.fp += !hit;
                t.fp_excused += !hit && sim_find_episode(s, rule->excuse, a->sku, seen);
        }
        for (size_t e = 0; e < s->n_eps; e++) {
                const struct sim_episode *g = &s->eps[e];
                if (!(rule->kinds & SIM_KIND(g->kind)) || !s->has_as_of ||
                    g->start >= s->last_as_of)
                        continue;
                t.events++;
                t.kind_events[g->kind]++;
                sw_day_t first = INT32_MAX; /* first as_of of a matching anomaly */
                for (size_t i = 0; i < s->n_anoms; i++) {
                        const struct sim_anomaly *a = &s->anoms[i];
                        if (strcmp(a->type, type) == 0 && a->first_as_of < first &&
                            sim_matches(s, g, a->sku, a->first_as_of - 1))
                                first = a->first_as_of;
                }
                if (first != INT32_MAX && delays) {
                        delays[t.found++] = first - g->start;
                        delay_sum += first - g->start;
                        t.kind_found[g->kind]++;
                }
        }
        if (delays)
                qsort(delays, t.found, sizeof(double), sim_cmp_double);
        t.precision = t.tp + t.fp ? (double)t.tp / (t.tp + t.fp) : 0.0;
        t.recall = t.events ? (double)t.found / t.events : 0.0;
        t.mean_delay = t.found ? delay_sum / t.found : 0.0;
        t.median_delay = t.found ? (delays[(t.found - 1) / 2] + delays[t.found / 2]) / 2.0 : 0.0;
        t.fp_per_1000 = 1000.0 * t.fp / ((double)s->opt.skus * s->opt.days);
        free(delays);
        *ret = t;
}

/* The report block of a scored type. */
static cJSON *sim_tally_json(cJSON *types, const struct sim_rule *rule, const struct sim_tally *t)
{
        cJSON *g = cJSON_AddObjectToObject(types, sw_anomaly_type_name(rule->type));
        cJSON_AddNumberToObject(g, "detected", t->tp + t->fp);
        cJSON_AddNumberToObject(g, "true_positives", t->tp);
        cJSON_AddNumberToObject(g, "false_positives", t->fp);
        cJSON_AddNumberToObject(g, rule->excuse_field, t->fp_excused);
        cJSON_AddNumberToObject(g, "false_positives_per_1000_sku_days", t->fp_per_1000);
        sim_add_stat(g, "precision", t->tp + t->fp > 0, t->precision);
        cJSON_AddNumberToObject(g, "events", t->events);
        cJSON_AddNumberToObject(g, "events_detected", t->found);
        sim_add_stat(g, "recall", t->events > 0, t->recall);
        sim_add_stat(g, "mean_detection_delay_days", t->found > 0, t->mean_delay);
        sim_add_stat(g, "median_detection_delay_days", t->found > 0, t->median_delay);
        return g;
}

/* The ML block's extras: matching and recall by kind. */
static void sim_ml_json(cJSON *g, const struct sim_tally *t)
{
        cJSON *by = cJSON_CreateObject();
        for (int k = 0; k < SIM_KINDS; k++) {
                if (!(SIM_ML_KINDS & SIM_KIND(k)))
                        continue;
                cJSON *o = cJSON_AddObjectToObject(by, sim_kind_names[k]);
                cJSON_AddNumberToObject(o, "match_days_after_end", sim_kind_after[k]);
                cJSON_AddNumberToObject(o, "events", t->kind_events[k]);
                cJSON_AddNumberToObject(o, "events_detected", t->kind_found[k]);
                sim_add_stat(o, "recall", t->kind_events[k] > 0,
                             t->kind_events[k] ? (double)t->kind_found[k] / t->kind_events[k] : 0);
        }
        cJSON_AddItemToObject(g, "by_kind", by);
}

/*
 * The ghost_stock score week by week: anomaly ids by the week of the last day their detectors
 * saw (first as_of - 1), ghosts by the week they started (those the daemon could have seen).
 */
static cJSON *sim_weeks_json(const struct sim *s)
{
        const char *type = sw_anomaly_type_name(SW_ANOMALY_GHOST_STOCK);
        cJSON *weeks = cJSON_CreateArray();
        for (unsigned w = 0; w * SIM_WEEK_DAYS < s->opt.days; w++) {
                sw_day_t from = s->opt.start + (sw_day_t)(w * SIM_WEEK_DAYS);
                sw_day_t to = from + SIM_WEEK_DAYS - 1,
                         last = s->opt.start + (sw_day_t)s->opt.days - 1;
                unsigned tp = 0, fp = 0, events = 0, found = 0;
                to = to < last ? to : last;
                for (size_t i = 0; i < s->n_anoms; i++) {
                        const struct sim_anomaly *a = &s->anoms[i];
                        sw_day_t seen = a->first_as_of - 1;
                        if (strcmp(a->type, type) != 0 || seen < from || seen > to)
                                continue;
                        bool hit = sim_find_episode(s, sim_ghost_rule.kinds, a->sku, seen);
                        tp += hit;
                        fp += !hit;
                }
                for (size_t e = 0; e < s->n_eps; e++) {
                        const struct sim_episode *g = &s->eps[e];
                        if (g->kind != SIM_GHOST || g->start < from || g->start > to ||
                            !s->has_as_of || g->start >= s->last_as_of)
                                continue;
                        events++;
                        for (size_t i = 0; i < s->n_anoms; i++)
                                if (strcmp(s->anoms[i].type, type) == 0 &&
                                    sim_matches(s, g, s->anoms[i].sku,
                                                s->anoms[i].first_as_of - 1)) {
                                        found++;
                                        break;
                                }
                }
                char a[11], b[11];
                sim_date(from, a);
                sim_date(to, b);
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "from", a);
                cJSON_AddStringToObject(o, "to", b);
                cJSON_AddNumberToObject(o, "true_positives", tp);
                cJSON_AddNumberToObject(o, "false_positives", fp);
                sim_add_stat(o, "precision", tp + fp > 0, tp + fp ? (double)tp / (tp + fp) : 0);
                cJSON_AddNumberToObject(o, "events", events);
                cJSON_AddNumberToObject(o, "events_detected", found);
                cJSON_AddItemToArray(weeks, o);
        }
        return weeks;
}

/* The associates' block of the report (and its line in the printed report). */
static cJSON *sim_counts_json(const struct sim *s)
{
        const struct sim_counts *c = &s->counts;
        cJSON *o = cJSON_CreateObject(), *t, *d, *a;
        char value[32] = "not in acks";
        if (c->daemon_value_seen)
                snprintf(value, sizeof(value), "%.2f", c->daemon_value);
        printf("  associates: %lu counts (%u a day, %02u:00), acks %lu accepted %lu rejected %lu "
               "duplicate; by truth %lu true positives (value %.2f), %lu false positives; "
               "daemon outcomes %lu TP (value %s) %lu FP %lu none, %lu agree; %lu ghosts ended "
               "by a count\n",
               c->sent, s->opt.associates, (21 + s->opt.count_delay_hours) % 24, c->accepted,
               c->rejected, c->duplicates, c->truth_tp, c->truth_value, c->truth_fp, c->daemon_tp,
               value, c->daemon_fp, c->no_outcome, c->agree, c->ghosts_fixed);
        cJSON_AddNumberToObject(o, "per_day", s->opt.associates);
        cJSON_AddNumberToObject(o, "count_delay_hours", s->opt.count_delay_hours);
        cJSON_AddNumberToObject(o, "counts_sent", (double)c->sent);
        cJSON_AddNumberToObject(o, "count_messages", (double)c->messages);
        cJSON_AddNumberToObject(o, "days_without_recommendations",
                                (double)c->recommendations_empty);
        a = cJSON_AddObjectToObject(o, "acks");
        cJSON_AddNumberToObject(a, "accepted", (double)c->accepted);
        cJSON_AddNumberToObject(a, "rejected", (double)c->rejected);
        cJSON_AddNumberToObject(a, "duplicate", (double)c->duplicates);
        t = cJSON_AddObjectToObject(o, "truth");
        cJSON_AddNumberToObject(t, "true_positives", (double)c->truth_tp);
        cJSON_AddNumberToObject(t, "false_positives", (double)c->truth_fp);
        sim_add_stat(t, "precision", c->truth_tp + c->truth_fp > 0,
                     c->truth_tp + c->truth_fp
                         ? (double)c->truth_tp / (double)(c->truth_tp + c->truth_fp)
                         : 0);
        cJSON_AddNumberToObject(t, "value_recovered", c->truth_value);
        cJSON_AddNumberToObject(t, "ghosts_ended_by_count", (double)c->ghosts_fixed);
        d = cJSON_AddObjectToObject(o, "daemon");
        cJSON_AddNumberToObject(d, "true_positives", (double)c->daemon_tp);
        cJSON_AddNumberToObject(d, "false_positives", (double)c->daemon_fp);
        cJSON_AddNumberToObject(d, "no_outcome", (double)c->no_outcome);
        sim_add_stat(d, "value_recovered", c->daemon_value_seen, c->daemon_value);
        cJSON_AddNumberToObject(d, "agree_with_truth", (double)c->agree);
        return o;
}

/* Score ghost_stock and ml_detected anomalies against the ground truth; print and return the
 * report. */
cJSON *sim_score(const struct sim *s)
{
        struct sim_tally gt, mt;
        unsigned by_type[SW_ANOMALY_TYPE_COUNT] = {0}, by_kind[SIM_KINDS] = {0};
        for (size_t i = 0; i < s->n_anoms; i++)
                for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                        by_type[t] += strcmp(s->anoms[i].type, sw_anomaly_type_name(t)) == 0;
        for (size_t e = 0; e < s->n_eps; e++)
                by_kind[s->eps[e].kind]++;
        unsigned ml_events = by_kind[SIM_PRICE_ERROR] + by_kind[SIM_DEMAND_SPIKE] +
                             by_kind[SIM_OVERSTOCK] + by_kind[SIM_REGISTER_PRICE_ERROR];
        sim_tally(s, &sim_ghost_rule, &gt);
        sim_tally(s, &sim_ml_rule, &mt);
        char start[11], last[11] = "-";
        sim_date(s->opt.start, start);
        if (s->has_as_of)
                sim_date(s->last_as_of, last);

        printf("storesim report: seed %u, %u SKUs, %u days from %s, last as_of %s\n"
               "  messages published %lu (days resent %lu), units sold %lu\n"
               "  ghost events %u (%u scored), natural stock-outs %u\n"
               "  ghost_stock anomalies %u: true positives %u, false positives %u"
               " (%u during real stock-outs, %.2f per 1000 SKU-days)\n"
               "  ghost_stock precision %.3f, recall %.3f (%u/%u), delay mean %.2f median %.1f"
               " days\n",
               s->opt.seed, s->opt.skus, s->opt.days, start, last, s->published, s->resends,
               s->units_sold, by_kind[SIM_GHOST], gt.events, by_kind[SIM_STOCKOUT], gt.tp + gt.fp,
               gt.tp, gt.fp, gt.fp_excused, gt.fp_per_1000, gt.precision, gt.recall, gt.found,
               gt.events, gt.mean_delay, gt.median_delay);
        printf("  ML events %u (%u scored; found: price_error %u/%u, demand_spike %u/%u,"
               " overstock %u/%u)\n"
               "  ml_detected anomalies %u: true positives %u, false positives %u"
               " (%u during ghosts, %.2f per 1000 SKU-days)\n"
               "  ml_detected precision %.3f, recall %.3f (%u/%u), delay mean %.2f median %.1f"
               " days\n  anomalies by type:",
               ml_events, mt.events, mt.kind_found[SIM_PRICE_ERROR],
               mt.kind_events[SIM_PRICE_ERROR], mt.kind_found[SIM_DEMAND_SPIKE],
               mt.kind_events[SIM_DEMAND_SPIKE], mt.kind_found[SIM_OVERSTOCK],
               mt.kind_events[SIM_OVERSTOCK], mt.tp + mt.fp, mt.tp, mt.fp, mt.fp_excused,
               mt.fp_per_1000, mt.precision, mt.recall, mt.found, mt.events, mt.mean_delay,
               mt.median_delay);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++)
                printf(" %s %u", sw_anomaly_type_name(t), by_type[t]);
        printf("\n");

        cJSON *r = cJSON_CreateObject(), *types = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", s->opt.seed);
        cJSON_AddStringToObject(r, "start", start);
        cJSON_AddNumberToObject(r, "days", s->opt.days);
        cJSON_AddNumberToObject(r, "skus", s->opt.skus);
        cJSON_AddItemToObject(r, "last_as_of",
                              s->has_as_of ? cJSON_CreateString(last) : cJSON_CreateNull());
        cJSON_AddNumberToObject(r, "messages_published", (double)s->published);
        cJSON_AddNumberToObject(r, "days_resent", (double)s->resends);
        cJSON_AddNumberToObject(r, "units_sold", (double)s->units_sold);
        cJSON_AddNumberToObject(r, "ghost_events", by_kind[SIM_GHOST]);
        cJSON_AddNumberToObject(r, "natural_stockouts", by_kind[SIM_STOCKOUT]);
        cJSON_AddNumberToObject(r, "ml_events", ml_events);
        cJSON_AddNumberToObject(r, "anomalies", (double)s->n_anoms);
        for (int t = 0; t < SW_ANOMALY_TYPE_COUNT; t++) /* ghost_stock last, as it always was */
                if (t == SW_ANOMALY_ML_DETECTED)
                        sim_ml_json(sim_tally_json(types, &sim_ml_rule, &mt), &mt);
                else if (t != SW_ANOMALY_GHOST_STOCK)
                        cJSON_AddNumberToObject(
                            cJSON_AddObjectToObject(types, sw_anomaly_type_name(t)), "detected",
                            by_type[t]);
        cJSON_AddItemToObject(sim_tally_json(types, &sim_ghost_rule, &gt), "weeks",
                              sim_weeks_json(s));
        cJSON_AddItemToObject(r, "types", types);
        sim_score_more(s, r, types);
        if (s->opt.associates > 0)
                cJSON_AddItemToObject(r, "associates", sim_counts_json(s));
        return r;
}
