/* Outcomes of anomalies and the effectiveness, precision and ROI metrics built from them. */
#include "core/outcome_metrics.h"

#include "core/anomaly_type.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

static const char *const outcome_kind_names[SW_OUTCOME_KIND_COUNT] = {"true_positive",
                                                                      "false_positive"};
static const char *const trend_names[SW_TREND_COUNT] = {"stable", "increasing", "decreasing"};

const char *sw_outcome_kind_name(enum sw_outcome_kind k)
{
        return (unsigned)k < SW_OUTCOME_KIND_COUNT ? outcome_kind_names[k] : NULL;
}

int sw_outcome_kind_parse(const char *s, enum sw_outcome_kind *ret)
{
        if (!s || !ret)
                return -EINVAL;
        for (int i = 0; i < SW_OUTCOME_KIND_COUNT; i++) {
                if (strcmp(s, outcome_kind_names[i]) == 0) {
                        *ret = (enum sw_outcome_kind)i;
                        return 0;
                }
        }
        return -EINVAL;
}

void sw_outcome_params_default(struct sw_outcome_params *ret)
{
        *ret = (struct sw_outcome_params){
            .material_units = 2, .material_ratio = 0.2, .prevented_days = 7.0, .dismiss_days = 7};
}

int sw_outcome_params_validate(const struct sw_outcome_params *p)
{
        if (!p)
                return -EINVAL;
        /* material_units >= 1: a count that agrees with the book must never confirm an alert. */
        if (p->material_units < 1)
                return -EINVAL;
        if (!(p->material_ratio >= 0.0 && p->material_ratio <= 1.0))
                return -EINVAL;
        if (p->dismiss_days > 365)
                return -EINVAL;
        if (!(p->prevented_days > 0.0 && p->prevented_days <= 365.0))
                return -EINVAL;
        return 0;
}

/* x, or 0 when x is negative, NaN or infinite. */
static double finite_nonneg(double x)
{
        return isfinite(x) && x > 0.0 ? x : 0.0;
}

/* Is an error of `error` units against a book of book_before units material? */
static bool material(const struct sw_outcome_params *p, int64_t error, int32_t book_before)
{
        int64_t base = book_before > 1 ? book_before : 1;
        return error >= (int64_t)p->material_units &&
               (double)error >= p->material_ratio * (double)base;
}

int sw_outcome_judge_count(const struct sw_outcome_params *p, enum sw_anomaly_type type,
                           int32_t book_before, int32_t counted, double price,
                           struct sw_count_verdict *ret)
{
        int64_t adjustment, shortfall, error, valued = 0;
        struct sw_count_verdict v = {.outcome = SW_OUTCOME_FALSE_POSITIVE};
        const struct sw_anomaly_type_desc *t;
        bool tp;

        if (!p || !ret || (unsigned)type >= SW_ANOMALY_TYPE_COUNT)
                return -EINVAL;
        adjustment = (int64_t)counted - book_before;
        /* adjustment and shortfall are each other's negation: both fit when |adjustment| <=
         * INT32_MAX. */
        if (adjustment > INT32_MAX || adjustment < -(int64_t)INT32_MAX)
                return -ERANGE;
        shortfall = -adjustment;
        t = sw_anomaly_type_desc(type);
        /* The book wrong either way, or stock missing; what a true count recovers. */
        error = t->count_absolute ? (adjustment < 0 ? -adjustment : adjustment) : shortfall;
        if (t->recovers_value)
                valued = error > 0 ? error : 0;
        tp = material(p, error, book_before);

        v.adjustment = (int32_t)adjustment;
        v.shortfall = (int32_t)shortfall;
        if (tp) {
                v.outcome = SW_OUTCOME_TRUE_POSITIVE;
                v.value_recovered = finite_nonneg((double)valued * finite_nonneg(price));
        }
        *ret = v;
        return 0;
}

double sw_outcome_prevented_value(const struct sw_outcome_params *p, enum sw_anomaly_type type,
                                  double daily_units, double price)
{
        if (!p || (unsigned)type >= SW_ANOMALY_TYPE_COUNT ||
            !sw_anomaly_type_desc(type)->prevents_stockout)
                return 0.0;
        return finite_nonneg(finite_nonneg(daily_units) * finite_nonneg(price) *
                             finite_nonneg(p->prevented_days));
}

double sw_outcome_response_hours(int64_t detected_at, int64_t outcome_at)
{
        if (outcome_at <= detected_at)
                return 0.0;
        /* Unsigned difference: exact and defined even when the signed one would overflow. */
        return (double)((uint64_t)outcome_at - (uint64_t)detected_at) / 3600.0;
}

size_t sw_metrics_memory_size(uint32_t max_categories)
{
        return (size_t)max_categories * sizeof(struct sw_precision_counts);
}

int sw_metrics_init(struct sw_metrics *m, uint32_t max_categories, int64_t window_start,
                    int64_t window_end, void *mem, size_t size)
{
        size_t need = sw_metrics_memory_size(max_categories);
        if (!m || !mem || max_categories == 0 || window_end <= window_start ||
            (uintptr_t)mem % alignof(struct sw_precision_counts) != 0)
                return -EINVAL;
        if (size < need)
                return -ENOBUFS;
        *m = (struct sw_metrics){.max_categories = max_categories,
                                 .by_category = mem,
                                 .window_start = window_start,
                                 .window_end = window_end};
        memset(mem, 0, need);
        return 0;
}

static void count_outcome(struct sw_precision_counts *c, enum sw_outcome_kind k)
{
        if (k == SW_OUTCOME_TRUE_POSITIVE)
                c->true_positive++;
        else
                c->false_positive++;
}

int sw_metrics_add(struct sw_metrics *m, const struct sw_metrics_anomaly *a)
{
        int64_t mid;

        if (!m || !a || (unsigned)a->type >= SW_ANOMALY_TYPE_COUNT ||
            (unsigned)a->severity >= SW_SEVERITY_COUNT || (unsigned)a->status >= SW_STATUS_COUNT ||
            a->category >= m->max_categories ||
            (a->has_outcome && (unsigned)a->outcome >= SW_OUTCOME_KIND_COUNT))
                return -EINVAL;
        /* Every other counter is bounded by total, so one check keeps them all from wrapping. */
        if (m->total == UINT32_MAX)
                return -EOVERFLOW;

        m->total++;
        m->by_type[a->type]++;
        m->by_severity[a->severity]++;
        m->by_status[a->status]++;

        mid =
            m->window_start + (int64_t)(((uint64_t)m->window_end - (uint64_t)m->window_start) / 2);
        if (a->detected_at >= m->window_start && a->detected_at < mid)
                m->earlier++;
        else if (a->detected_at >= mid && a->detected_at < m->window_end)
                m->later++;

        if (!a->has_outcome)
                return 0;
        m->with_outcome++;
        m->response_hours_sum += sw_outcome_response_hours(a->detected_at, a->first_outcome_at);
        count_outcome(&m->overall, a->outcome);
        count_outcome(&m->type_counts[a->type], a->outcome);
        count_outcome(&m->by_category[a->category], a->outcome);
        if (a->outcome != SW_OUTCOME_TRUE_POSITIVE)
                return 0;
        m->true_positive_outcomes = m->overall.true_positive;
        if (sw_anomaly_type_desc(a->type)->prevents_stockout)
                m->prevented_stockout_value += finite_nonneg(a->prevented_value);
        if (sw_anomaly_type_desc(a->type)->recovers_value)
                m->ghost_stock_recovered_value += finite_nonneg(a->value_recovered);
        return 0;
}

static int ratio(uint64_t num, uint64_t den, double *ret)
{
        if (!ret)
                return -EINVAL;
        if (den == 0)
                return -EDOM;
        *ret = (double)num / (double)den;
        return 0;
}

int sw_metrics_precision(const struct sw_precision_counts *c, double *ret)
{
        if (!c)
                return -EINVAL;
        return ratio(c->true_positive, (uint64_t)c->true_positive + c->false_positive, ret);
}

int sw_metrics_false_positive_rate(const struct sw_metrics *m, double *ret)
{
        if (!m)
                return -EINVAL;
        return ratio(m->overall.false_positive,
                     (uint64_t)m->overall.true_positive + m->overall.false_positive, ret);
}

int sw_metrics_mean_response_hours(const struct sw_metrics *m, double *ret)
{
        if (!m || !ret)
                return -EINVAL;
        if (m->with_outcome == 0)
                return -EDOM;
        *ret = m->response_hours_sum / (double)m->with_outcome;
        return 0;
}

int sw_metrics_resolution_rate(const struct sw_metrics *m, double *ret)
{
        if (!m)
                return -EINVAL;
        return ratio(m->by_status[SW_STATUS_RESOLVED], m->total, ret);
}

const char *sw_trend_name(enum sw_trend t)
{
        return (unsigned)t < SW_TREND_COUNT ? trend_names[t] : NULL;
}

enum sw_trend sw_metrics_trend(uint32_t earlier, uint32_t later, double band, uint32_t min_change)
{
        double factor = 1.0 + finite_nonneg(band);
        if (later > earlier && (double)later > (double)earlier * factor &&
            later - earlier >= min_change)
                return SW_TREND_INCREASING;
        if (earlier > later && (double)earlier > (double)later * factor &&
            earlier - later >= min_change)
                return SW_TREND_DECREASING;
        return SW_TREND_STABLE;
}
