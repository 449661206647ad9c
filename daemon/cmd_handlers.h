/* The commands' handlers: each takes the daemon and its own decoded fields, returns the reply. */
#ifndef SW_CMD_HANDLERS_H
#define SW_CMD_HANDLERS_H

#include <cjson/cJSON.h>

#include "daemon/command_args.h"

/* ctx is the daemon; the reply is {"ok":true,...} or {"ok":false,"error"}, which the caller
 * sends and frees. */
cJSON *sw_cmd_detect(void *ctx, const union sw_cmd_args *a);        /* daemon/cmd_detect.c */
cJSON *sw_cmd_ml_features(void *ctx, const union sw_cmd_args *a);   /* daemon/cmd_detect.c */
cJSON *sw_cmd_anomalies(void *ctx, const union sw_cmd_args *a);     /* daemon/cmd_anomalies.c */
cJSON *sw_cmd_ghost_stock(void *ctx, const union sw_cmd_args *a);   /* daemon/cmd_anomalies.c */
cJSON *sw_cmd_outcome(void *ctx, const union sw_cmd_args *a);       /* daemon/reports.c */
cJSON *sw_cmd_stats(void *ctx, const union sw_cmd_args *a);         /* daemon/reports.c */
cJSON *sw_cmd_effectiveness(void *ctx, const union sw_cmd_args *a); /* daemon/reports.c */
cJSON *sw_cmd_roi(void *ctx, const union sw_cmd_args *a);           /* daemon/reports.c */
cJSON *sw_cmd_health(void *ctx, const union sw_cmd_args *a);        /* daemon/health.c */
cJSON *sw_cmd_forecast(void *ctx, const union sw_cmd_args *a);      /* daemon/cmd_forecast.c */
cJSON *sw_cmd_backup(void *ctx, const union sw_cmd_args *a);        /* daemon/cmd_backup.c */

#endif
