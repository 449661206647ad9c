/* The daemon's commands: one row each (name, its decoder, its handler, its rate class). A new
 * command is a row here, its handler, and a row in the CLI (tools/shelfwatch/commands.c). */
#include "daemon/cmd_handlers.h"
#include "daemon/commands.h"

const struct sw_command sw_command_table[] = {
    {"detect", sw_cmd_decode_detect, sw_cmd_detect, "detect"},
    {"health", NULL, sw_cmd_health, "health"},
    {"anomalies", sw_cmd_decode_anomalies, sw_cmd_anomalies, "anomalies"},
    {"ghost-stock", sw_cmd_decode_ghost_stock, sw_cmd_ghost_stock, "ghost-stock"},
    {"ml-features", sw_cmd_decode_ml_features, sw_cmd_ml_features, "ml-features"},
    {"forecast", sw_cmd_decode_forecast, sw_cmd_forecast, "forecast"},
    {"outcome", sw_cmd_decode_outcome, sw_cmd_outcome, "outcome"},
    {"stats", sw_cmd_decode_window, sw_cmd_stats, "stats"},
    {"effectiveness", sw_cmd_decode_window, sw_cmd_effectiveness, "effectiveness"},
    {"roi", sw_cmd_decode_window, sw_cmd_roi, "roi"},
    {"backup", sw_cmd_decode_backup, sw_cmd_backup, "backup"},
};

const size_t sw_command_table_rows = sizeof(sw_command_table) / sizeof(sw_command_table[0]);
