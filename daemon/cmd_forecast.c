/* cmd_forecast.c: the forecast command: each SKU's expected sales on a day (read-only). */
#include <cjson/cJSON.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/forecast.h"
#include "daemon/cmd_handlers.h"
#include "daemon/daemon.h"
#include "daemon/reply.h"

#define FORECAST_MAX_DAYS 366 /* limits.history_days at most */

/* What the detectors expect of one SKU on one day. */
struct sku_forecast {
        uint32_t known_days;            /* days of history held before the day */
        double pushed;                  /* a pushed forecast for the day, < 0 none */
        struct sw_forecast_model local; /* the local model fitted on the known days */
};

/* The SKU's known days before as_of (as the detectors read them: core/detect.c) and the local
 * forecast fitted on them (docs/detectors.md, "Local forecast"). */
static void forecast_sku(const struct sw_daemon *d, uint32_t i, sw_day_t as_of,
                         struct sku_forecast *ret)
{
        const struct sw_sku *s = sw_sku_at(&d->skus, i);
        uint16_t sales[FORECAST_MAX_DAYS];
        uint8_t weekday[FORECAST_MAX_DAYS];
        uint32_t h =
            d->skus.p.history_days < FORECAST_MAX_DAYS ? d->skus.p.history_days : FORECAST_MAX_DAYS;
        *ret = (struct sku_forecast){.pushed = sw_sku_pushed_forecast(&d->skus, i, as_of)};
        if (s->last_day == SW_DAY_NONE || s->first_day >= as_of) {
                (void)sw_forecast_fit(&d->detector.ghost.forecast, sales, weekday, 0, &ret->local);
                return;
        }
        sw_day_t oldest_held = s->last_day - (sw_day_t)h + 1;
        sw_day_t from = as_of - (sw_day_t)h > oldest_held ? as_of - (sw_day_t)h : oldest_held;
        if (from < s->first_day)
                from = s->first_day;
        uint32_t n = from < as_of ? (uint32_t)(as_of - from) : 0;
        sw_sku_sold_series(&d->skus, i, from, n, sales);
        for (uint32_t k = 0; k < n; k++)
                weekday[k] = (uint8_t)sw_weekday(from + (sw_day_t)k);
        ret->known_days = n;
        (void)sw_forecast_fit(&d->detector.ghost.forecast, sales, weekday, n, &ret->local);
}

static void add_row(cJSON *rows, const struct sw_daemon *d, uint32_t i, sw_day_t as_of,
                    const struct sku_forecast *f)
{
        const struct sw_sku *s = sw_sku_at(&d->skus, i);
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "sku", sw_sku_key(&d->skus, i));
        if (s->category)
                cJSON_AddStringToObject(row, "category",
                                        sw_sku_category_name(&d->skus, s->category));
        cJSON_AddNumberToObject(row, "history_days", f->known_days);
        if (f->pushed >= 0) {
                cJSON_AddStringToObject(row, "source", "pushed");
                cJSON_AddNumberToObject(row, "expected", f->pushed);
        } else if (f->local.valid) {
                cJSON_AddStringToObject(row, "source", "local");
                cJSON_AddNumberToObject(row, "expected",
                                        sw_forecast_expected(&f->local, sw_weekday(as_of)));
        } else {
                cJSON_AddNullToObject(row, "source");
                cJSON_AddNullToObject(row, "expected");
        }
        if (f->local.valid) {
                cJSON_AddNumberToObject(row, "level", f->local.level);
                cJSON_AddNumberToObject(row, "dispersion", f->local.dispersion);
        } else {
                cJSON_AddNullToObject(row, "level");
                cJSON_AddNullToObject(row, "dispersion");
        }
        cJSON_AddItemToArray(rows, row);
}

/* {"ok":true,"as_of","min_history_days","skus","with_forecast","rows":[...],"count"}: skus and
 * with_forecast count every SKU with a history (or a pushed forecast), rows at most limit of
 * them (or only --sku). */
cJSON *sw_cmd_forecast(void *ctx, const union sw_cmd_args *args)
{
        struct sw_daemon *d = ctx;
        const struct sw_cmd_forecast_args *a = &args->forecast;
        sw_day_t as_of = a->has_as_of ? a->as_of : sw_detect_runs_today(&d->runs);
        uint32_t skus = 0, with = 0, listed = 0;
        char day[16];
        cJSON *o = sw_reply_ok(), *rows;
        sw_date_format(as_of, day, sizeof(day));
        cJSON_AddStringToObject(o, "as_of", day);
        cJSON_AddNumberToObject(o, "min_history_days", d->detector.ghost.forecast.min_history_days);
        rows = cJSON_AddArrayToObject(o, "rows");
        for (uint32_t i = 0; i < d->skus.count; i++) {
                struct sku_forecast f;
                if (a->sku && strcmp(a->sku, sw_sku_key(&d->skus, i)) != 0)
                        continue;
                forecast_sku(d, i, as_of, &f);
                if (f.known_days == 0 && f.pushed < 0)
                        continue; /* no history before as_of, nothing pushed for it */
                skus++;
                with += f.pushed >= 0 || f.local.valid;
                if (listed < a->limit) {
                        add_row(rows, d, i, as_of, &f);
                        listed++;
                }
        }
        cJSON_AddNumberToObject(o, "skus", skus);
        cJSON_AddNumberToObject(o, "with_forecast", with);
        cJSON_AddNumberToObject(o, "count", listed);
        return o;
}
