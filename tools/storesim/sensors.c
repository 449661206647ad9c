/* sensors.c: shelf sensor readings: when they are taken, and their noise (false zeros, gaps). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "storesim.h"

/* The basic profile's readings: 10:00, 14:00, 18:00. */
static const unsigned sim_basic_shelf_secs[] = {10 * 3600, 14 * 3600, 18 * 3600};

/* Store-local seconds of the day's readings, in order: every --shelf-interval minutes from
 * opening to before closing, or the basic three. Returns how many (at most cap). */
size_t sim_shelf_times(const struct sim *s, unsigned *ret, size_t cap)
{
        size_t n = 0;
        if (s->opt.shelf_interval == 0) {
                for (; n < sizeof(sim_basic_shelf_secs) / sizeof(sim_basic_shelf_secs[0]); n++)
                        ret[n] = sim_basic_shelf_secs[n];
                return n;
        }
        for (unsigned t = SIM_OPEN_SEC; t < SIM_CLOSE_SEC && n < cap;
             t += 60 * s->opt.shelf_interval)
                ret[n++] = t;
        return n;
}

/* The count a sensor reports for SKU k now: its physical stock, 0 by a false zero reading,
 * or -1 when the reading is missed. Draws only for the noise that is on. */
static int32_t sim_sensor_count(struct sim *s, const struct sim_sku *k)
{
        if (s->opt.missed_reading_rate > 0.0 &&
            sim_uniform(&s->noise_rng) < s->opt.missed_reading_rate) {
                s->missed_readings++;
                return -1;
        }
        if (s->opt.false_zero_rate > 0.0 && k->running > 0 &&
            sim_uniform(&s->noise_rng) < s->opt.false_zero_rate) {
                s->false_zeros++;
                return 0;
        }
        return k->running;
}

/* One round of readings at secs: each sensor reports the SKUs it watches. */
int sim_emit_shelf(struct sim *s, sw_day_t day, unsigned secs)
{
        char ts[40], suffix[32];
        if (sim_local_ts(day, secs, ts, sizeof(ts)) < 0)
                return -EINVAL;
        for (unsigned sensor = 0; sensor < SIM_SENSORS; sensor++) {
                struct sim_batch b;
                snprintf(suffix, sizeof(suffix), "shelf/s%u", sensor + 1);
                sim_batch_begin(&b, suffix, "readings", ts, NULL);
                for (unsigned i = sensor; i < s->opt.skus; i += SIM_SENSORS) {
                        if (!s->skus[i].shelf)
                                continue;
                        int32_t count = sim_sensor_count(s, &s->skus[i]);
                        if (count < 0)
                                continue;
                        cJSON *it = sim_batch_item(s, &b);
                        if (!it)
                                return -ENOMEM;
                        cJSON_AddStringToObject(it, "sku", s->skus[i].code);
                        cJSON_AddNumberToObject(it, "count", count);
                }
                if (sim_batch_flush(s, &b) < 0)
                        return -ENOMEM;
        }
        return 0;
}
