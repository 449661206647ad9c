/* calendar.c: the store's calendar: closed days, holidays, Black Friday, the daemon's store group.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "storesim.h"

/* Weekday names of --closed-weekday and of the daemon's opening_hours, Monday first. */
const char *const sim_weekday_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* The fourth Thursday of November of year (US Thanksgiving). */
sw_day_t sim_thanksgiving(int year)
{
        sw_day_t nov1 = sw_days_from_civil(year, 11, 1);
        unsigned to_thursday = (3u + 7u - sw_weekday(nov1)) % 7u; /* Thursday = 3 */
        return nov1 + (sw_day_t)to_thursday + 21;
}

/* Whether day is a US holiday on which the store is closed (Thanksgiving, Christmas Day). */
static bool sim_us_closed(sw_day_t day)
{
        int y;
        unsigned m, d;
        sw_civil_from_days(day, &y, &m, &d);
        return (m == 12 && d == 25) || day == sim_thanksgiving(y);
}

/* Whether the store is closed on day (false outside the run). */
bool sim_closed(const struct sim *s, sw_day_t day)
{
        int64_t d = day - s->opt.start;
        return s->closed && d >= 0 && d < (int64_t)s->opt.days && s->closed[d];
}

/* Closed days and demand factors of the run: --closed-weekday, --holidays us and, in a
 * replay, the file's closed days. */
int sim_init_calendar(struct sim *s)
{
        const struct sim_options *o = &s->opt;
        s->closed = calloc(o->days, sizeof(*s->closed));
        s->day_factor = calloc(o->days, sizeof(*s->day_factor));
        if (!s->closed || !s->day_factor)
                return -ENOMEM;
        bool us = strcmp(o->holidays, "us") == 0;
        s->open_days = 0;
        for (unsigned d = 0; d < o->days; d++) {
                sw_day_t day = o->start + (sw_day_t)d;
                int y;
                unsigned m, dd;
                sw_civil_from_days(day, &y, &m, &dd);
                s->closed[d] = (o->closed_weekdays >> sw_weekday(day)) & 1u;
                s->closed[d] |= us && sim_us_closed(day);
                for (unsigned k = 0; k < o->n_closed_days; k++)
                        s->closed[d] |= o->closed_days[k] == d;
                s->closed[d] |= s->demand.closed && d < s->demand.days && s->demand.closed[d];
                s->day_factor[d] = us && day == sim_thanksgiving(y) + 1 ? SIM_BLACK_FRIDAY : 1.0;
                s->open_days += !s->closed[d];
        }
        return 0;
}

/* Weekdays the store is closed: --closed-weekday and, in a replay, the weekdays closed on
 * every one of their days in the file (the daemon's opening_hours). */
static unsigned sim_closed_weekdays(const struct sim *s)
{
        unsigned seen = 0, open = 0;
        if (!s->demand.closed || s->opt.days < 14)
                return s->opt.closed_weekdays;
        for (unsigned d = 0; d < s->opt.days; d++) {
                unsigned w = sw_weekday(s->opt.start + (sw_day_t)d);
                seen |= 1u << w;
                open |= s->closed[d] ? 0u : 1u << w;
        }
        return (seen & ~open) | s->opt.closed_weekdays;
}

/*
 * Print the daemon's store group for this run: root, tenant, id, time zone, the closed days
 * that are not closed weekdays as holidays, and the closed weekdays as opening_hours. A
 * complete group: a config must not have another one. -ENOSPC when there are more holidays
 * than the daemon takes (the first SIM_MAX_HOLIDAYS are printed).
 */
int sim_print_store_config(const struct sim *s, FILE *f)
{
        unsigned weekdays = sim_closed_weekdays(s), n = 0;
        char date[11];
        fprintf(
            f, "store: {\n        root = \"%s\";\n        tenant = \"%s\";\n        id = \"%s\";\n",
            s->opt.root, s->opt.tenant, s->opt.store);
        fprintf(f, "        timezone = \"%s\";\n        holidays = [", s->opt.timezone);
        for (unsigned d = 0; d < s->opt.days; d++) {
                sw_day_t day = s->opt.start + (sw_day_t)d;
                if (!s->closed[d] || ((weekdays >> sw_weekday(day)) & 1u))
                        continue;
                if (n++ >= SIM_MAX_HOLIDAYS)
                        continue;
                sim_date(day, date);
                fprintf(f, "%s\"%s\"", n > 1 ? ", " : " ", date);
        }
        fprintf(f, "%s];\n        opening_hours = {", n ? " " : "");
        for (unsigned w = 0; w < 7; w++)
                if ((weekdays >> w) & 1u)
                        fprintf(f, " %s = \"closed\";", sim_weekday_names[w]);
        fprintf(f, " };\n};\n");
        return n > SIM_MAX_HOLIDAYS ? -ENOSPC : 0;
}
