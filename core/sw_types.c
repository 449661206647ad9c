/* Wire names of the shared enums. */
#include "core/sw_types.h"

#include "core/anomaly_type.h"

#include <errno.h>
#include <string.h>

static const char *const severity_names[SW_SEVERITY_COUNT] = {"info", "warning", "critical"};
static const char *const status_names[SW_STATUS_COUNT] = {"open", "resolved", "dismissed",
                                                          "cleared"};
static const char *const action_names[SW_ACTION_COUNT] = {"cycle_count", "check_shelf",
                                                          "check_price", "investigate"};

const char *sw_anomaly_type_name(enum sw_anomaly_type t)
{
        const struct sw_anomaly_type_desc *d = sw_anomaly_type_desc(t);
        return d ? d->name : NULL;
}

const char *sw_severity_name(enum sw_severity s)
{
        return (unsigned)s < SW_SEVERITY_COUNT ? severity_names[s] : NULL;
}

const char *sw_status_name(enum sw_status s)
{
        return (unsigned)s < SW_STATUS_COUNT ? status_names[s] : NULL;
}

const char *sw_action_name(enum sw_action a)
{
        return (unsigned)a < SW_ACTION_COUNT ? action_names[a] : NULL;
}

static int lookup(const char *s, const char *const *names, int n)
{
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (strcmp(s, names[i]) == 0)
                        return i;
        return -EINVAL;
}

int sw_anomaly_type_parse(const char *s, enum sw_anomaly_type *ret)
{
        for (int k = 0; s && k < SW_ANOMALY_TYPE_COUNT; k++)
                if (strcmp(s, sw_anomaly_type_desc((enum sw_anomaly_type)k)->name) == 0) {
                        *ret = (enum sw_anomaly_type)k;
                        return 0;
                }
        return -EINVAL;
}

int sw_severity_parse(const char *s, enum sw_severity *ret)
{
        int i = lookup(s, severity_names, SW_SEVERITY_COUNT);
        if (i < 0)
                return i;
        *ret = (enum sw_severity)i;
        return 0;
}

int sw_status_parse(const char *s, enum sw_status *ret)
{
        int i = lookup(s, status_names, SW_STATUS_COUNT);
        if (i < 0)
                return i;
        *ret = (enum sw_status)i;
        return 0;
}
