/* score_store.c: the report's store figures, and the ghost alerts raised around POS outages and
 * closed days (an alert storm). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "storesim.h"

/* Ghost alerts whose last day seen is day or the day after (an alert storm), how many were
 * false, and how many on the SKUs of category cat (all when cat < 0). */
static cJSON *sim_storm_json(const struct sim *s, sw_day_t day, int cat, unsigned *ret_all,
                             unsigned *ret_false)
{
        const char *type = sw_anomaly_type_name(SW_ANOMALY_GHOST_STOCK);
        unsigned all = 0, wrong = 0, in_scope = 0;
        for (size_t i = 0; i < s->n_anoms; i++) {
                const struct sim_anomaly *a = &s->anoms[i];
                sw_day_t seen = a->first_as_of - 1;
                if ((seen != day && seen != day + 1) || strcmp(a->type, type) != 0)
                        continue;
                all++;
                wrong += !sim_alert_true(s, a, SW_ANOMALY_GHOST_STOCK);
                in_scope += cat < 0 ||
                            (a->sku_index >= 0 && s->skus[a->sku_index].category == (unsigned)cat);
        }
        cJSON *o = cJSON_CreateObject();
        char date[11];
        sim_date(day, date);
        cJSON_AddStringToObject(o, "day", date);
        cJSON_AddNumberToObject(o, "ghost_alerts_that_day_or_next", all);
        cJSON_AddNumberToObject(o, "false", wrong);
        cJSON_AddNumberToObject(o, "in_scope", in_scope);
        *ret_all = all;
        *ret_false = wrong;
        return o;
}

/* The POS outages and closed days, with the ghost alerts raised on them or the day after. */
void sim_storms_json(const struct sim *s, cJSON *report)
{
        cJSON *outs = cJSON_AddArrayToObject(report, "pos_outages");
        char buf[32], date[11];
        unsigned all, wrong;
        for (size_t i = 0; i < s->n_outages; i++) {
                const struct sim_outage *o = &s->outages[i];
                int c = o->scope == SIM_OUT_CATEGORY ? (int)o->category : -1;
                const char *cat = c >= 0 ? sim_category(s, o->category, buf) : "";
                cJSON *j = sim_storm_json(s, o->day, c, &all, &wrong);
                cJSON_AddStringToObject(j, "scope", sim_outage_scope_names[o->scope]);
                if (c >= 0)
                        cJSON_AddStringToObject(j, "category", cat);
                if (o->scope == SIM_OUT_REGISTER)
                        cJSON_AddNumberToObject(j, "register", o->register_no);
                cJSON_AddNumberToObject(j, "lost_transactions", (double)o->lost_txns);
                cJSON_AddNumberToObject(j, "lost_units", (double)o->lost_units);
                cJSON_AddItemToArray(outs, j);
                sim_date(o->day, date);
                if (o->scope != SIM_OUT_REGISTER)
                        printf("  %s POS outage%s%s on %s (%lu units unheard): %u ghost alerts"
                               " that day or the next, %u false\n",
                               sim_outage_scope_names[o->scope], c >= 0 ? " of " : "", cat, date,
                               o->lost_units, all, wrong);
        }
        cJSON *closed = cJSON_AddArrayToObject(report, "closed_days");
        for (unsigned d = 0; d < s->opt.days; d++) {
                if (!s->closed[d])
                        continue;
                sw_day_t day = s->opt.start + (sw_day_t)d;
                cJSON_AddItemToArray(closed, sim_storm_json(s, day, -1, &all, &wrong));
                sim_date(day, date);
                printf("  closed on %s: %u ghost alerts that day or the next, %u false\n", date,
                       all, wrong);
        }
}

/* The store's own figures: calendar, promotions, losses, noise. */
void sim_store_json(const struct sim *s, cJSON *report)
{
        cJSON *o = cJSON_AddObjectToObject(report, "store");
        cJSON_AddStringToObject(o, "profile", s->opt.profile);
        cJSON_AddStringToObject(o, "demand", s->opt.demand_path ? "replay" : "simulated");
        cJSON_AddNumberToObject(o, "open_days", s->open_days);
        cJSON_AddNumberToObject(o, "sku_days", (double)s->opt.skus * s->opt.days);
        cJSON_AddNumberToObject(o, "promotions", (double)s->promotions);
        cJSON_AddNumberToObject(o, "ghosts_injected", (double)s->ghost_injections);
        cJSON_AddNumberToObject(o, "partial_ghosts_injected", (double)s->partial_injections);
        cJSON_AddNumberToObject(o, "shrink_units", (double)s->shrink_units);
        cJSON_AddNumberToObject(o, "false_zero_readings", (double)s->false_zeros);
        cJSON_AddNumberToObject(o, "missed_readings", (double)s->missed_readings);
        cJSON_AddNumberToObject(o, "pos_redelivered", (double)s->redelivered);
        cJSON_AddNumberToObject(o, "pos_outages", (double)s->n_outages);
        printf("  store: %s profile, %s demand, %u open days of %u; promotions %lu, ghosts injected"
               " %lu (%lu partial), shrink %lu units, false zero readings %lu, missed readings"
               " %lu, POS redelivered %lu, POS outages %zu\n",
               s->opt.profile, s->opt.demand_path ? "replayed" : "simulated", s->open_days,
               s->opt.days, s->promotions, s->ghost_injections, s->partial_injections,
               s->shrink_units, s->false_zeros, s->missed_readings, s->redelivered, s->n_outages);
}
