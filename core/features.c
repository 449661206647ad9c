/* The 8 SKU-day features of the Isolation Forest, from the SKU table and the store calendar. */
#include "core/features.h"

#include <errno.h>
#include <math.h>

#include "core/civil_time.h"

static const char *const feature_names[SW_FEAT_COUNT] = {
    [SW_FEAT_SALES_7D] = "sales_7d",
    [SW_FEAT_SALES_TREND_7D] = "sales_trend_7d",
    [SW_FEAT_ON_HAND] = "quantity_on_hand",
    [SW_FEAT_UNIT_PRICE] = "unit_price",
    [SW_FEAT_DAY_OF_WEEK] = "day_of_week",
    [SW_FEAT_IS_HOLIDAY] = "is_holiday",
    [SW_FEAT_STOCK_TURNOVER] = "stock_turnover",
    [SW_FEAT_PRICE_VS_AVG] = "price_vs_avg",
};

const char *sw_feature_name(enum sw_feature f)
{
        if ((unsigned)f >= SW_FEAT_COUNT)
                return NULL;
        return feature_names[f];
}

void sw_features__category_sums(const struct sw_sku_table *t,
                                double (*value)(const struct sw_sku *), double *ret_sum,
                                uint32_t *ret_counts)
{
        uint16_t n = t->p.max_categories;
        for (uint16_t c = 0; c < n; c++) {
                ret_sum[c] = 0;
                ret_counts[c] = 0;
        }
        for (uint32_t i = 0; i < t->count; i++) {
                const struct sw_sku *s = sw_sku_at(t, i);
                double v;
                /* Category 0 is "unknown": SKUs without a category have nothing to compare to. */
                if (s->category == 0 || s->category >= n || !isfinite(v = value(s)))
                        continue;
                ret_sum[s->category] += v;
                ret_counts[s->category]++;
        }
}

static bool price_known(const struct sw_sku *s)
{
        return (s->flags & SW_SKU_HAS_PRICE) && isfinite(s->price) && s->price >= 0;
}

/* The price of a SKU whose price is known (SW_SKU_HAS_PRICE), else NAN. */
static double known_price(const struct sw_sku *s)
{
        return price_known(s) ? s->price : NAN;
}

void sw_features_category_prices(const struct sw_sku_table *t, double *ret_avg,
                                 uint32_t *scratch_counts)
{
        sw_features__category_sums(t, known_price, ret_avg, scratch_counts);
        for (uint16_t c = 1; c < t->p.max_categories; c++)
                if (scratch_counts[c] > 0)
                        ret_avg[c] /= scratch_counts[c];
}

/* Units sold over the 7 days ending at last; -1 when any of them is unknown. The days a SKU's
 * ring holds are contiguous and reach to last_day (later days sold 0): the oldest decides. */
static int64_t week_sales(const struct sw_sku_table *t, uint32_t index, sw_day_t last)
{
        sw_day_t first = last - SW_FEAT_WEEK_DAYS + 1;
        uint16_t sold[SW_FEAT_WEEK_DAYS];
        int64_t sum = 0;
        if (sw_sku_sold(t, index, first) < 0)
                return -1;
        sw_sku_sold_series(t, index, first, SW_FEAT_WEEK_DAYS, sold);
        for (int i = 0; i < SW_FEAT_WEEK_DAYS; i++)
                sum += sold[i];
        return sum;
}

int sw_features_compute(const struct sw_sku_table *t, uint32_t index, sw_day_t as_of,
                        const struct sw_store_calendar *cal, const double *category_avg,
                        float ret[SW_FEAT_COUNT])
{
        const struct sw_sku *s;
        int64_t s7, prev7;
        double price = 0, avg = 0, trend = 0, vs_avg = 0;
        sw_day_t day = as_of - 1;

        if (index >= t->count)
                return -EINVAL;
        s = sw_sku_at(t, index);
        /* A day is known when the ring holds it; days after the last recorded sale sold 0. */
        s7 = week_sales(t, index, day);
        if (s7 < 0)
                return -ENODATA;
        /* Without a whole previous week the trend is 0 ("no change"), not a spike from 0. */
        prev7 = week_sales(t, index, day - SW_FEAT_WEEK_DAYS);
        if (prev7 >= 0)
                trend = (double)(s7 - prev7) / (double)(prev7 > 1 ? prev7 : 1);
        if (price_known(s))
                price = s->price;
        if (category_avg && s->category != 0 && s->category < t->p.max_categories)
                avg = category_avg[s->category];
        if (price_known(s) && avg > 0)
                vs_avg = price / avg - 1;

        ret[SW_FEAT_SALES_7D] = (float)s7;
        ret[SW_FEAT_SALES_TREND_7D] = (float)trend;
        ret[SW_FEAT_ON_HAND] = (float)s->on_hand;
        ret[SW_FEAT_UNIT_PRICE] = (float)price;
        ret[SW_FEAT_DAY_OF_WEEK] = (float)sw_weekday(day);
        ret[SW_FEAT_IS_HOLIDAY] = cal && sw_calendar_is_holiday(cal, day) ? 1.0f : 0.0f;
        ret[SW_FEAT_STOCK_TURNOVER] = (float)((double)s7 / (s->on_hand > 1 ? s->on_hand : 1));
        ret[SW_FEAT_PRICE_VS_AVG] = (float)vs_avg;
        return 0;
}
