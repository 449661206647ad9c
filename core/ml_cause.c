/* The actionable cause of a flagged SKU-day, and its description in plain words. */
#include "core/ml_cause.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/explain.h"

#define REASON_MAX 160 /* one reason; the longest is under 100 characters */

const char *sw_ml_cause_name(enum sw_ml_cause c)
{
        switch (c) {
        case SW_ML_CAUSE_LIST_PRICE:
                return "list_price";
        case SW_ML_CAUSE_PAID_PRICE:
                return "paid_price";
        case SW_ML_CAUSE_SALES_SPIKE:
                return "sales_spike";
        case SW_ML_CAUSE_OVERSTOCK:
                return "overstock";
        default:
                return "none";
        }
}

/* A spike of s units against e usual over a window with pseudo-count k: strength or 0. */
static double spike_strength(const struct sw_ml_cause_params *p, double s, double e, double k)
{
        double ratio = (s + k) / (e + k);
        if (ratio < p->spike_ratio || s - e < p->spike_min_units)
                return 0.0;
        return log(ratio) / log(p->spike_ratio);
}

/* Whether at least half of the on-hand came in one recent delivery, SW_OVERSTOCK_DELIVERY
 * times the SKU's usual one (the delivery before it) and the stock it joined. */
static bool overstock_delivery(const struct sw_scaled_detail *dt)
{
        const struct sw_receipt_watch *r = &dt->receipt;
        double usual = r->usual > r->before ? r->usual : r->before;
        return 2.0 * r->units >= (double)dt->on_hand &&
               r->units >= SW_OVERSTOCK_DELIVERY * (usual > 1 ? usual : 1);
}

/* The cause feature f names, if its value passes its bound. */
static struct sw_ml_verdict check(const struct sw_ml_cause_params *p, int f,
                                  const float x[SW_FEAT_COUNT], const struct sw_scaled_detail *dt)
{
        struct sw_ml_verdict v = {.cause = SW_ML_CAUSE_NONE, .feature = f};
        double price_bound = log(p->price_ratio), strength = 0.0;
        switch (f) {
        case SW_SF_LIST_CHANGE:
                if (dt->list_prev > 0 && fabs(x[f]) >= price_bound)
                        v.cause = SW_ML_CAUSE_LIST_PRICE, strength = fabs(x[f]) / price_bound;
                v.action = SW_ACTION_CHECK_PRICE;
                break;
        case SW_SF_PAID_VS_LIST:
                if (dt->paid.off_lines > 0 && fabs(x[f]) >= price_bound)
                        v.cause = SW_ML_CAUSE_PAID_PRICE, strength = fabs(x[f]) / price_bound;
                v.action = SW_ACTION_CHECK_PRICE;
                break;
        case SW_SF_SALES_VS_USUAL:
        case SW_SF_SALES_3D:
                if (dt->has_level)
                        strength = f == SW_SF_SALES_3D
                                       ? spike_strength(p, dt->s3, dt->e3, SW_SF_PSEUDO_3D)
                                       : spike_strength(p, dt->s7, dt->e7, SW_SF_PSEUDO_7D);
                v.cause = strength > 0 ? SW_ML_CAUSE_SALES_SPIKE : SW_ML_CAUSE_NONE;
                v.action = SW_ACTION_INVESTIGATE;
                break;
        case SW_SF_COVER:
        case SW_SF_RECEIPT:
                /* Without weeks of sales in stock (a line that was out of stock, or new),
                 * nothing says what its usual cover is. */
                if (dt->has_level && dt->cover_weeks >= p->overstock_weeks &&
                    dt->on_hand >= p->overstock_min_units && overstock_delivery(dt))
                        v.cause = SW_ML_CAUSE_OVERSTOCK,
                        strength = log1p(dt->cover_weeks) / log1p(p->overstock_weeks);
                /* Said as the cover, whichever of the two named it. */
                v.feature = SW_SF_COVER;
                v.action = SW_ACTION_CYCLE_COUNT;
                break;
        default:
                break;
        }
        if (v.cause == SW_ML_CAUSE_NONE)
                return (struct sw_ml_verdict){.cause = SW_ML_CAUSE_NONE, .feature = -1};
        v.strength = strength;
        return v;
}

bool sw_ml_cause_possible(const struct sw_ml_cause_params *p, const float x[SW_FEAT_COUNT],
                          const struct sw_scaled_detail *dt)
{
        for (int f = 0; f < SW_FEAT_COUNT; f++)
                if (check(p, f, x, dt).cause != SW_ML_CAUSE_NONE)
                        return true;
        return false;
}

struct sw_ml_verdict sw_ml_cause_find(const struct sw_ml_cause_params *p,
                                      const float x[SW_FEAT_COUNT],
                                      const double contributions[SW_FEAT_COUNT], unsigned rare,
                                      const struct sw_scaled_detail *dt)
{
        int order[SW_FEAT_COUNT], n = sw_explain_by_share(contributions, order);
        /* Rare features first, in feature order; then the others by share. */
        for (int f = 0; f < SW_FEAT_COUNT; f++) {
                struct sw_ml_verdict v =
                    (rare >> f) & 1u ? check(p, f, x, dt) : (struct sw_ml_verdict){.feature = -1};
                v.rare = true;
                if (v.cause != SW_ML_CAUSE_NONE)
                        return v;
        }
        for (int k = 0; k < n; k++) {
                struct sw_ml_verdict v = check(p, order[k], x, dt);
                if (v.cause != SW_ML_CAUSE_NONE)
                        return v;
        }
        return (struct sw_ml_verdict){.cause = SW_ML_CAUSE_NONE, .feature = -1};
}

/* ---- words ---- */

/* A unit count: whole numbers without decimals, else one decimal. */
static const char *units(double v, char buf[32])
{
        v += 0.0;
        if (fabs(v) < 1e9 && v == floor(v))
                snprintf(buf, 32, "%.0f", v);
        else
                snprintf(buf, 32, "%.1f", v);
        return buf;
}

static const char *days_ago(long n, char buf[32])
{
        if (n <= 0)
                snprintf(buf, 32, "today");
        else
                snprintf(buf, 32, "%ld day%s ago", n, n == 1 ? "" : "s");
        return buf;
}

static void text_sales(const struct sw_scaled_detail *dt, bool three, char *out)
{
        char a[32], b[32];
        double s = three ? dt->s3 : dt->s7, e = three ? dt->e3 : dt->e7;
        const char *span = three ? "3 days" : "7 days";
        if (!dt->has_level)
                snprintf(out, REASON_MAX, "Sales %s units in %s (no usual level yet)", units(s, a),
                         span);
        else if (s >= e && e > 0)
                snprintf(out, REASON_MAX, "Sales %.1fx usual (%s units in %s vs %s usual)", s / e,
                         units(s, a), span, units(round(e * 10) / 10, b));
        else if (s >= e)
                snprintf(out, REASON_MAX, "Sales %s units in %s (usually none)", units(s, a), span);
        else
                snprintf(out, REASON_MAX, "Sales %ld%% below usual (%s units in %s vs %s usual)",
                         lround(100 * (1 - s / e)), units(s, a), span,
                         units(round(e * 10) / 10, b));
}

static void text_cover(const struct sw_scaled_detail *dt, bool overstock, char *out)
{
        char a[32];
        double week = 7.0 * dt->mean_level;
        if (dt->on_hand <= 0)
                snprintf(out, REASON_MAX, "Nothing on the book (%d units)", dt->on_hand);
        else
                snprintf(out, REASON_MAX, "%s%d on hand, %.1f weeks of usual sales (%s a week)",
                         overstock ? "Overstock: " : "", dt->on_hand, dt->cover_weeks,
                         units(round(week * 10) / 10, a));
}

static void text_receipt(const struct sw_scaled_detail *dt, char *out)
{
        double week = 7.0 * dt->mean_level;
        const struct sw_receipt_watch *r = &dt->receipt;
        if (r->units == 0)
                snprintf(out, REASON_MAX, "No delivery this week");
        else if (r->usual > 0)
                snprintf(out, REASON_MAX, "Received %u units this week (the delivery before: %u)",
                         (unsigned)r->units, (unsigned)r->usual);
        else
                snprintf(out, REASON_MAX, "Received %u units this week, %.1f weeks of usual sales",
                         (unsigned)r->units, r->units / (week > 1.0 ? week : 1.0));
}

static void text_list(const struct sw_scaled_detail *dt, char *out)
{
        char a[32];
        if (dt->list_prev > 0)
                snprintf(out, REASON_MAX, "List price %.2f is %.2fx the previous %.2f (changed %s)",
                         dt->list, dt->list / dt->list_prev, dt->list_prev,
                         days_ago((long)dt->list_age + 1, a));
        else
                snprintf(out, REASON_MAX, "List price unchanged");
}

static void text_paid(const struct sw_scaled_detail *dt, char *out)
{
        char a[32];
        if (dt->paid.off_lines > 0)
                snprintf(out, REASON_MAX,
                         "Registers charged %.2fx the list price %.2f on %u of %u lines since %s",
                         exp(dt->paid.off_mean), dt->list, dt->paid.off_lines, dt->paid.lines,
                         days_ago((long)dt->as_of - dt->paid.from, a));
        else
                snprintf(out, REASON_MAX, "Registers charge the list price");
}

/* The words for feature f; v is the verdict (its cause is said as such). */
static void reason_text(int f, const struct sw_ml_verdict *v, const float x[SW_FEAT_COUNT],
                        const struct sw_scaled_detail *dt, char *out)
{
        long pct = lround(100 * fabs(expm1(x[f])));
        switch (f) {
        case SW_SF_SALES_VS_USUAL:
        case SW_SF_SALES_3D:
                text_sales(dt, f == SW_SF_SALES_3D, out);
                break;
        case SW_SF_TREND:
                snprintf(out, REASON_MAX,
                         pct == 0 ? "Sales flat vs last week" : "Sales %s %ld%% vs last week",
                         x[f] > 0 ? "up" : "down", pct);
                break;
        case SW_SF_COVER:
                text_cover(dt, v->cause == SW_ML_CAUSE_OVERSTOCK && v->feature == f, out);
                break;
        case SW_SF_RECEIPT:
                text_receipt(dt, out);
                break;
        case SW_SF_LIST_CHANGE:
                text_list(dt, out);
                break;
        case SW_SF_PAID_VS_LIST:
                text_paid(dt, out);
                break;
        case SW_SF_PRICE_VS_CAT:
                snprintf(out, REASON_MAX,
                         pct == 0 ? "Price typical for its category"
                                  : "Price %ld%% %s its category's typical",
                         pct, x[f] > 0 ? "above" : "below");
                break;
        default:
                out[0] = '\0';
                break;
        }
}

int sw_ml_cause_describe(const struct sw_ml_verdict *v, const float x[SW_FEAT_COUNT],
                         const double contributions[SW_FEAT_COUNT],
                         const struct sw_scaled_detail *dt, unsigned max_reasons, char *buf,
                         size_t size)
{
        int order[SW_FEAT_COUNT], n = sw_explain_by_share(contributions, order);
        char text[REASON_MAX];
        unsigned emitted = 0;
        size_t pos = 0;
        if (sw_explain_begin(buf, size, &max_reasons) < 0)
                return -ENOSPC;
        if (v->feature >= 0) {
                reason_text(v->feature, v, x, dt, text);
                if (!sw_explain_append(buf, size, &pos, text))
                        return (int)pos;
                emitted++;
        }
        for (int k = 0; k < n && emitted < max_reasons; k++) {
                if (order[k] == v->feature)
                        continue;
                reason_text(order[k], v, x, dt, text);
                if (strstr(buf, text) || !sw_explain_append(buf, size, &pos, text))
                        continue;
                emitted++;
        }
        if (pos == 0)
                sw_explain_append(buf, size, &pos, "Unusual combination of sales, stock and price");
        return (int)pos;
}
