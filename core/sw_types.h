/* Shared vocabulary of shelfwatch: days, anomaly types, severities, statuses. */
#ifndef SW_TYPES_H
#define SW_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/* A store-local calendar day: days since 1970-01-01 in the store's time zone. */
typedef int32_t sw_day_t;
#define SW_DAY_NONE INT32_MIN /* no day yet */

#define SW_SKU_MAX_LEN      64
#define SW_CATEGORY_MAX_LEN 64
#define SW_ID_MAX_LEN       128

enum sw_anomaly_type {
        SW_ANOMALY_GHOST_STOCK,
        SW_ANOMALY_ML_DETECTED,
        SW_ANOMALY_SHELF_OUT,
        SW_ANOMALY_INVENTORY_DISCREPANCY,
        SW_ANOMALY_TYPE_COUNT
};

enum sw_severity { SW_SEVERITY_INFO, SW_SEVERITY_WARNING, SW_SEVERITY_CRITICAL, SW_SEVERITY_COUNT };

enum sw_status {
        SW_STATUS_OPEN,
        SW_STATUS_RESOLVED,
        SW_STATUS_DISMISSED,
        SW_STATUS_CLEARED,
        SW_STATUS_COUNT
};

enum sw_action {
        SW_ACTION_CYCLE_COUNT,
        SW_ACTION_CHECK_SHELF,
        SW_ACTION_CHECK_PRICE,
        SW_ACTION_INVESTIGATE,
        SW_ACTION_COUNT
};

/* Wire names; each returns NULL for an out-of-range value. */
const char *sw_anomaly_type_name(enum sw_anomaly_type t);
const char *sw_severity_name(enum sw_severity s);
const char *sw_status_name(enum sw_status s);
const char *sw_action_name(enum sw_action a);

/* Parse a wire name; return 0 and set *ret, or -EINVAL. */
int sw_anomaly_type_parse(const char *s, enum sw_anomaly_type *ret);
int sw_severity_parse(const char *s, enum sw_severity *ret);
int sw_status_parse(const char *s, enum sw_status *ret);

#endif
