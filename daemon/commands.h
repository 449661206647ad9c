/* Request/response commands on P/cmd/{name}. */
#ifndef SW_COMMANDS_H
#define SW_COMMANDS_H

#include "daemon/daemon.h"

struct cJSON;
/* {"ok":true} to add fields to; and {"ok":false,"error":fmt with arg}. */
struct cJSON *sw_cmd_ok_reply(void);
struct cJSON *sw_cmd_error_reply(const char *fmt, const char *arg);

/* Add a detector run's summary as object name of parent. */
void sw_cmd_add_summary(struct cJSON *parent, const char *name, const struct sw_detect_summary *s);
/* The health reply (daemon/health.c). */
struct cJSON *sw_cmd_health(struct sw_daemon *d);
/* The forecast reply (daemon/cmd_forecast.c): each SKU's expected sales on a day. */
struct cJSON *sw_cmd_forecast(struct sw_daemon *d, const struct sw_cmd_request *q);

/* Handle the request for command name; replies on the v5 response topic or reply_to. */
void sw_daemon_command(struct sw_daemon *d, const char *name, const void *payload, size_t len,
                       const struct sw_mqtt_props *props);

#endif
