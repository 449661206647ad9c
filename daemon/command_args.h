/* Each command's own fields, checked and converted from the request envelope. */
#ifndef SW_COMMAND_ARGS_H
#define SW_COMMAND_ARGS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/outcome_metrics.h"
#include "core/sw_types.h"
#include "platform/payload.h"

/* detect and ml-features: the day, and for detect which anomaly types' detectors. */
struct sw_cmd_detect_args {
        bool has_as_of;     /* as_of was given (else: today) */
        sw_day_t as_of;     /* its day */
        uint32_t detectors; /* bit (1 << type) per anomaly type asked for; all when none named */
        uint32_t limit;     /* ml-features: most rows */
};

/* anomalies and ghost-stock: filters of the stored anomalies. */
struct sw_cmd_list_args {
        const char *type;     /* anomaly type wire name, NULL any */
        const char *severity; /* severity wire name, NULL any */
        const char *status;   /* status wire name, NULL any */
        const char *sku;      /* SKU, NULL any */
        uint32_t limit;       /* most rows */
        int64_t days;         /* only anomalies detected in the last days, 0 any */
};

/* outcome: the verdict on one anomaly. */
struct sw_cmd_outcome_args {
        const char *anomaly;       /* anomaly id */
        enum sw_outcome_kind kind; /* the verdict */
        const char *action;        /* what was done, NULL none */
        const char *note;          /* free text, NULL none */
        const char *user;          /* who judged it, NULL unknown */
};

/* stats, effectiveness and roi: the window. */
struct sw_cmd_window_args {
        int64_t days; /* look back this many days */
};

/* forecast: the day, one SKU or all, and the most rows. */
struct sw_cmd_forecast_args {
        bool has_as_of;  /* as_of was given (else: today) */
        sw_day_t as_of;  /* its day */
        const char *sku; /* SKU, NULL all */
        uint32_t limit;  /* most rows */
};

/* backup: where the daemon writes the copy (on the gateway). */
struct sw_cmd_backup_args {
        const char *path; /* absolute file name */
        bool force;       /* replace an existing file */
};

/* A command's arguments; the strings point into the decoded request (valid while it is). */
union sw_cmd_args {
        struct sw_cmd_detect_args detect;     /* detect, ml-features */
        struct sw_cmd_list_args list;         /* anomalies, ghost-stock */
        struct sw_cmd_outcome_args outcome;   /* outcome */
        struct sw_cmd_window_args window;     /* stats, effectiveness, roi */
        struct sw_cmd_forecast_args forecast; /* forecast */
        struct sw_cmd_backup_args backup;     /* backup */
};

/* A command's decoder: NULL when the fields are fine (*ret filled), else the error reply
 * ({"ok":false,"error"}) to send. Each one reads only the fields its command takes. */
typedef cJSON *(*sw_cmd_decode_fn)(const struct sw_cmd_request *q, union sw_cmd_args *ret);

cJSON *sw_cmd_decode_detect(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_ml_features(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_anomalies(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_ghost_stock(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_outcome(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_forecast(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_backup(const struct sw_cmd_request *q, union sw_cmd_args *ret);
cJSON *sw_cmd_decode_window(const struct sw_cmd_request *q, union sw_cmd_args *ret);

#endif
