/* The store calendar and the detector parameters, built from the configuration in force. */
#include "daemon/setup.h"

#include <string.h>

#include "daemon/daemon.h"
#include "platform/clock.h"

void sw_setup_calendar(struct sw_daemon *d)
{
        const struct sw_config_store *s = &d->cfg.store;
        d->cal.tz = (struct sw_calendar_adapter){.to_local = sw_clock_to_local};
        for (int w = 0; w < 7; w++) {
                d->cal.open_minute[w] =
                    s->opening_hours[w].closed ? 0 : s->opening_hours[w].open_min;
                d->cal.close_minute[w] =
                    s->opening_hours[w].closed ? 0 : s->opening_hours[w].close_min;
        }
        d->cal.n_holidays =
            (uint16_t)(s->n_holidays < SW_MAX_HOLIDAYS ? s->n_holidays : SW_MAX_HOLIDAYS);
        memcpy(d->cal.holidays, s->holidays, d->cal.n_holidays * sizeof(sw_day_t));
}

void sw_setup_detectors(struct sw_daemon *d)
{
        const struct sw_config_detectors *c = &d->cfg.detectors;
        d->detector.ghost = c->ghost.params;
        d->detector.ghost.shelf_false_zero_rate = c->shelf_out.false_zero_rate;
        d->detector.ghost.min_on_hand = d->cfg.outcomes.material_units;
        d->detector.shelf_out =
            (struct sw_shelf_out_params){.enabled = c->shelf_out.enabled,
                                         .zero_seconds = c->shelf_out.zero_minutes * 60,
                                         .min_readings = c->shelf_out.min_readings,
                                         .false_zero_rate = c->shelf_out.false_zero_rate};
        d->detector.context.p =
            (struct sw_store_context_params){.shortfall_ratio = c->context.shortfall_ratio,
                                             .min_store_breadth = c->context.min_store_skus,
                                             .min_category_breadth = c->context.min_category_skus};
        d->detector.discrepancy = (struct sw_discrepancy_params){
            .enabled = c->discrepancy.enabled,
            .shelf_above_seconds = c->discrepancy.shelf_above_hours * 3600};
}
