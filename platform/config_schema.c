/* The schema: every setting's one row (default, range, unit, reload policy, doc), in file order. */
#include <stddef.h>
#include <string.h>

#include "platform/config_internal.h"

#define AT(member)                                                                                 \
        .offset = offsetof(struct sw_config, member),                                              \
        .size = sizeof(((struct sw_config *)0)->member)
#define LIVE      false /* applied by a reload */
#define RESTART   true  /* kept by a reload until the next start */
#define OPEN      true  /* a DOUBLE bound that is refused itself */
#define CLOSED    false /* a DOUBLE bound that is allowed */
#define PROVISION 1u    /* may come from a credential or the environment */
#define SECRET    2u    /* never printed */

#define UINT(name_, member, def, lo, hi, unit_, reload, doc_)                                      \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_UINT, AT(member), .def_uint = (def),            \
                .min = (lo), .max = (hi), .unit = (unit_), .restart = (reload), .doc = (doc_)      \
        }
#define DOUBLE(name_, member, def, lo, lo_open, hi, hi_open, unit_, reload, doc_)                  \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_DOUBLE, AT(member), .def_double = (def),        \
                .fmin = (lo), .fmin_open = (lo_open), .fmax = (hi), .fmax_open = (hi_open),        \
                .unit = (unit_), .restart = (reload), .doc = (doc_)                                \
        }
#define BOOL(name_, member, def, reload, doc_)                                                     \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_BOOL, AT(member), .def_bool = (def),            \
                .restart = (reload), .doc = (doc_)                                                 \
        }
#define STRING(name_, member, def, min_len, check_, format_, reload, flags, doc_)                  \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_STRING, AT(member), .def_text = (def),          \
                .min = (min_len), .max = (long long)sizeof(((struct sw_config *)0)->member) - 1,   \
                .check = (check_), .format = (format_), .restart = (reload),                       \
                .provision = ((flags)&PROVISION) != 0, .secret = ((flags)&SECRET) != 0,            \
                .doc = (doc_)                                                                      \
        }
#define TEXT(name_, member, def, what, format_, unit_, reload, doc_)                               \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_TEXT, AT(member), .def_text = (def),            \
                .parse = config__parse_##what, .print = config__print_##what, .format = (format_), \
                .unit = (unit_), .restart = (reload), .doc = (doc_)                                \
        }
#define LIST(name_, member, count, max_, item_, example_, add_, finish_, format_, doc_)            \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_LIST, AT(member), .max = (max_),                \
                .count_offset = offsetof(struct sw_config, count), .item = (item_),                \
                .example = (example_), .add = (add_), .finish = (finish_), .format = (format_),    \
                .restart = LIVE, .doc = (doc_)                                                     \
        }
#define GROUP(name_)                                                                               \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_GROUP                                           \
        }
#define GROUP_FLAG(name_, member, flag, format_, same_as_, doc_)                                   \
        {                                                                                          \
                .name = (name_), .kind = SW_CONFIG_GROUP, AT(member), .has_flag = true,            \
                .flag_offset = offsetof(struct sw_config, flag), .format = (format_),              \
                .same_as = (same_as_), .restart = RESTART, .doc = (doc_)                           \
        }
#define HOURS(day, i, doc_)                                                                        \
        TEXT("store.opening_hours." day, store.opening_hours[i], "08:00-21:00", hours,             \
             "`\"HH:MM-HH:MM\"` or `\"closed\"`", NULL, LIVE, doc_)

#define NAME_FORMAT "1..64 of `A-Z a-z 0-9 _ . -`"
#define FILE_FORMAT "readable regular file or `\"\"`"

/* A broker's rows: the local one (section broker) and HQ's (section hq) share them. The links,
 * their sessions and TLS contexts are built once: every one waits for a restart. */
#define BROKER_ROWS(P, m)                                                                          \
        STRING(P ".host", m.host, "127.0.0.1", 1, config__check_host,                              \
               "1..253 characters, no spaces", RESTART, 0, "Host name or address."),               \
            UINT(P ".port", m.port, 1883, 1, 65535, NULL, RESTART, "TCP port."),                   \
            STRING(P ".client_id", m.client_id, "", 0, config__check_host,                         \
                   "0..159 printable characters, no spaces", RESTART, 0, "MQTT client id;"),       \
            UINT(P ".keepalive", m.keepalive, 30, 5, 3600, "s", RESTART, "MQTT keepalive."),       \
            STRING(P ".username", m.username, "", 0, NULL, NULL, RESTART, PROVISION,               \
                   "User name; `\"\"` connects anonymously."),                                     \
            STRING(P ".password", m.password, "", 0, NULL, NULL, RESTART, PROVISION | SECRET,      \
                   "Password; `\"\"` = none."),                                                    \
            UINT(P ".reconnect_min_ms", m.reconnect_min_ms, 500, 10, 600000, "ms", RESTART,        \
                 "First reconnect delay; doubles after each failure."),                            \
            UINT(P ".reconnect_max_ms", m.reconnect_max_ms, 30000, 10, 3600000, "ms", RESTART,     \
                 "Longest reconnect delay."),                                                      \
            UINT(P ".max_reads_per_pass", m.max_reads_per_pass, 256, 1, 65535, NULL, RESTART,      \
                 "MQTT packets read per loop pass before the inbox is synced"),                    \
            GROUP_FLAG(P ".tls", m.tls, m.tls.enabled, "keys below", NULL, "Connect with TLS."),   \
            STRING(P ".tls.ca_file", m.tls.ca_file, "", 0, config__check_readable_file,            \
                   "readable regular file; required with `tls`", RESTART, 0,                       \
                   "PEM CA bundle that signs the broker's certificate."),                          \
            STRING(P ".tls.cert_file", m.tls.cert_file, "", 0, config__check_readable_file,        \
                   FILE_FORMAT "; needs `key_file`", RESTART, 0, "Client certificate (PEM)."),     \
            STRING(P ".tls.key_file", m.tls.key_file, "", 0, config__check_readable_file,          \
                   FILE_FORMAT "; needs `cert_file`", RESTART, 0, "Client private key (PEM)."),    \
            BOOL(P ".tls.insecure", m.tls.insecure, false, RESTART,                                \
                 "Skip the server host name check. For tests only.")

/* Store identity and calendar. */
#define STORE_ROWS                                                                                 \
        GROUP("store"),                                                                            \
            STRING("store.root", store.root, "retail", 1, config__check_name, NAME_FORMAT,         \
                   RESTART, 0, "First level of every MQTT topic."),                                \
            STRING("store.tenant", store.tenant, "demo", 1, config__check_name, NAME_FORMAT,       \
                   RESTART, PROVISION, "Tenant: second topic level."),                             \
            STRING("store.id", store.id, "store1", 1, config__check_name, NAME_FORMAT, RESTART,    \
                   PROVISION, "Store id: third topic level."),                                     \
            STRING("store.timezone", store.timezone, "UTC", 1, config__check_timezone,             \
                   "`\"UTC\"` or an IANA name with a TZif file under `/usr/share/zoneinfo`",       \
                   RESTART, PROVISION,                                                             \
                   "Store time zone; sales are counted per store-local calendar day in it."),      \
            STRING("store.currency", store.currency, "", 0, config__check_currency,                \
                   "`\"\"` or an ISO 4217 code in capitals (`\"EUR\"`, `\"USD\"`, ...)", RESTART,  \
                   PROVISION, "Currency of the store's prices;"),                                  \
            LIST("store.holidays", store.holidays, store.n_holidays, SW_CONFIG_MAX_HOLIDAYS,       \
                 "dates", "dates [\"YYYY-MM-DD\", ...]", config__add_holiday,                      \
                 config__finish_holidays, "at most 366 dates `\"YYYY-MM-DD\"`, no duplicates",     \
                 "Days the store is closed (kept sorted)."),                                       \
            GROUP("store.opening_hours"), HOURS("mon", 0, "Monday."), HOURS("tue", 1, "Tuesday."), \
            HOURS("wed", 2, "Wednesday."), HOURS("thu", 3, "Thursday."),                           \
            HOURS("fri", 4, "Friday."), HOURS("sat", 5, "Saturday."), HOURS("sun", 6, "Sunday.")

/* The database. Its file and connection are opened once. */
#define STORAGE_ROWS                                                                               \
        GROUP("storage"),                                                                          \
            STRING("storage.path", storage.path, "/var/lib/shelfwatch/shelfwatch.db", 1, NULL,     \
                   NULL, RESTART, 0, "SQLite database file."),                                     \
            UINT("storage.commit_interval_ms", storage.commit_interval_ms, 1000, 10, 60000, "ms",  \
                 LIVE, "Writes are grouped into one transaction for this long."),                  \
            UINT("storage.cache_kib", storage.cache_kib, 512, 64, 1048576, "KiB", RESTART,         \
                 "SQLite page cache."),                                                            \
            UINT("storage.max_db_kib", storage.max_db_kib, 0, 0, 2147483647, "KiB", RESTART,       \
                 "Cap on the database file (`PRAGMA max_page_count`); `0` = no cap but the "       \
                 "disk."),                                                                         \
            UINT("storage.max_inbox_kib", storage.max_inbox_kib, 65536, 1024, 2147483647, "KiB",   \
                 LIVE, "Cap on the inbox file (`<storage.path>.inbox`)."),                         \
            STRING("storage.backup_dir", storage.backup_dir, "/var/lib/shelfwatch/backup", 0,      \
                   config__check_absolute_path, NULL, LIVE, 0,                                     \
                   "The `backup` command writes its copy only in this directory (made on first "   \
                   "use); `\"\"` turns backups off.")

/* Caps on what senders control. Most size the fixed memory block (daemon.c alloc_core) or the
 * token buckets, laid out once: those wait for a restart. */
#define LIMITS_ROWS                                                                                \
        GROUP("limits"),                                                                           \
            UINT("limits.max_skus", limits.max_skus, 100000, 1, 10000000, NULL, RESTART,           \
                 "SKUs tracked."),                                                                 \
            UINT("limits.history_days", limits.history_days, 56, 14, 366, "days", RESTART,         \
                 "Days of daily sales history kept per SKU."),                                     \
            UINT("limits.max_payload_bytes", limits.max_payload_bytes, 65536, 256, 16777216,       \
                 "bytes", LIVE, "Larger MQTT payloads are rejected."),                             \
            UINT("limits.max_items_per_message", limits.max_items_per_message, 1000, 1, 100000,    \
                 NULL, RESTART, "Lines or items in one message."),                                 \
            UINT("limits.dedup_ids", limits.dedup_ids, 65536, 16, 16777216, NULL, RESTART,         \
                 "Message ids remembered to drop duplicates."),                                    \
            UINT("limits.max_categories", limits.max_categories, 4096, 1, 65535, NULL, RESTART,    \
                 "Distinct categories."),                                                          \
            UINT("limits.max_shelf_skus", limits.max_shelf_skus, 20000, 1, 10000000, NULL,         \
                 RESTART, "SKUs whose shelf-sensor state is kept (20 bytes each)"),                \
            UINT("limits.max_fast_skus", limits.max_fast_skus, 2048, 0, 10000000, NULL, RESTART,   \
                 "SKUs that may keep 2-byte daily sales."),                                        \
            UINT("limits.max_open_anomalies", limits.max_open_anomalies, 20000, 1, 10000000, NULL, \
                 RESTART, "Open anomalies kept at once."),                                         \
            UINT("limits.max_future_seconds", limits.max_future_seconds, 86400, 0, 31536000, "s",  \
                 LIVE, "Events timed further ahead of the gateway clock are rejected."),           \
            UINT("limits.outbox_inflight", limits.outbox_inflight, 64, 1, 65535, NULL, RESTART,    \
                 "QoS 1 publishes to HQ awaiting acknowledgement."),                               \
            UINT("limits.outbox_max_rows", limits.outbox_max_rows, 1000000, 100, 100000000, NULL,  \
                 LIVE, "Messages queued for HQ while it is unreachable."),                         \
            UINT("limits.device_rate_per_second", limits.device_rate_per_second, 1000, 1, 1000000, \
                 "/s", RESTART, "Messages per second one device may send on average;"),            \
            UINT("limits.device_burst", limits.device_burst, 20000, 1, 1000000, NULL, RESTART,     \
                 "Messages one device may send at once before the rate applies (token-bucket "     \
                 "size)."),                                                                        \
            UINT("limits.max_devices", limits.max_devices, 1024, 1, 1000000, NULL, RESTART,        \
                 "Device buckets (a fixed table sized at start-up)."),                             \
            UINT("limits.command_rate_per_second", limits.command_rate_per_second, 20, 1, 1000000, \
                 "/s", RESTART,                                                                    \
                 "Requests per second per command name (`P/cmd/{name}`) on "                       \
                 "average;"),                                                                      \
            UINT("limits.command_burst", limits.command_burst, 200, 1, 1000000, NULL, RESTART,     \
                 "Requests of one command name at once before the rate applies.")

#define GHOST_             "detectors.ghost."
#define GHOST_PARAM(field) detectors.ghost.params.field

/* detectors.ghost and the local forecast (loaded into the ghost parameters). The windows size
 * each SKU's pushed-forecast ring and max_new_per_day the candidate heap: restart. */
#define GHOST_ROWS                                                                                 \
        GROUP("detectors.ghost"),                                                                  \
            BOOL(GHOST_ "enabled", detectors.ghost.enabled, true, LIVE,                            \
                 "Run the ghost-stock detector."),                                                 \
            TEXT(GHOST_ "mode", GHOST_PARAM(mode), "bayes", ghost_mode,                            \
                 "`\"bayes\"`, `\"poisson\"` or `\"seed\"`", NULL, LIVE,                           \
                 "How ghost stock is found."),                                                     \
            DOUBLE(GHOST_ "onset_rate", GHOST_PARAM(onset_rate), 0.002, 0, OPEN, 0.5, OPEN, NULL,  \
                   LIVE, "Bayes: prior rate of new ghosts per SKU-day;"),                          \
            DOUBLE(GHOST_ "min_probability", GHOST_PARAM(min_probability), 0.95, 0, OPEN, 1, OPEN, \
                   NULL, LIVE, "Bayes: a SKU is a candidate when P(ghost) is at least this."),     \
            DOUBLE(GHOST_ "false_alerts_per_day", GHOST_PARAM(false_alerts_per_day), 1.0, 0, OPEN, \
                   1000000, CLOSED, "/day", LIVE, "Bayes: the store's budget."),                   \
            UINT(GHOST_ "max_new_per_day", detectors.ghost.max_new_per_day, 200, 1, 100000,        \
                 "/day", RESTART, "Bayes: new ghost alerts a day at most."),                       \
            DOUBLE(GHOST_ "alpha", GHOST_PARAM(alpha), 0.01, 0, OPEN, 0.5, OPEN, NULL, LIVE,       \
                   "Poisson: flag when the run's p-value is at most alpha."),                      \
            DOUBLE(GHOST_ "prior_rate", GHOST_PARAM(prior_rate), 0.02, 0, OPEN, 1, OPEN, NULL,     \
                   LIVE, "Poisson: prior share of SKUs that are ghosts;"),                         \
            DOUBLE(GHOST_ "low_ratio", GHOST_PARAM(low_ratio), 0.3, 0, CLOSED, 1, CLOSED, NULL,    \
                   LIVE, "A day is low when it sells at most ratio x expected."),                  \
            UINT(GHOST_ "max_run_days", GHOST_PARAM(max_run_days), 28, 1,                          \
                 SW_GHOST_MAX_WINDOW_DAYS, "days", RESTART,                                        \
                 "Longest run of low days considered."),                                           \
            DOUBLE(GHOST_ "overdispersion_threshold", GHOST_PARAM(overdispersion_threshold), 0.1,  \
                   0, CLOSED, 1000, CLOSED, NULL, LIVE,                                            \
                   "Dispersion above this uses a negative binomial instead of Poisson."),          \
            DOUBLE(GHOST_ "warning_probability", GHOST_PARAM(warning_probability), 0.7, 0, CLOSED, \
                   1, CLOSED, NULL, LIVE, "Ghost probability for severity warning."),              \
            DOUBLE(GHOST_ "critical_probability", GHOST_PARAM(critical_probability), 0.999, 0,     \
                   CLOSED, 1, CLOSED, NULL, LIVE, "Ghost probability for severity critical."),     \
            UINT(GHOST_ "seed_lookback_days", GHOST_PARAM(seed_lookback_days), 7, 1,               \
                 SW_GHOST_MAX_WINDOW_DAYS, "days", RESTART, "Seed mode: days looked back."),       \
            UINT(GHOST_ "seed_min_low_days", GHOST_PARAM(seed_min_low_days), 3, 1,                 \
                 SW_GHOST_MAX_WINDOW_DAYS, "days", LIVE,                                           \
                 "Seed mode: consecutive low days that flag."),                                    \
            GROUP("detectors.forecast"),                                                           \
            UINT("detectors.forecast.min_history_days", GHOST_PARAM(forecast.min_history_days),    \
                 14, 1, 366, "days", LIVE, "Fewer days of history: no local forecast."),           \
            DOUBLE("detectors.forecast.half_life_days", GHOST_PARAM(forecast.half_life_days),      \
                   14.0, 0, OPEN, 3660, CLOSED, "days", LIVE,                                      \
                   "Age at which a day's weight in the local forecast halves."),                   \
            DOUBLE("detectors.forecast.weekday_pseudo_days",                                       \
                   GHOST_PARAM(forecast.weekday_pseudo_days), 2.0, 0, CLOSED, 366, CLOSED, "days", \
                   LIVE, "Days' worth of \"no weekday effect\" mixed into each weekday factor.")

#define SHELF_   "detectors.shelf_out."
#define CONTEXT_ "detectors.context."

/* Shelf sensors, store-wide context, shelf against book. */
#define SHELF_ROWS                                                                                 \
        GROUP("detectors.shelf_out"),                                                              \
            BOOL(SHELF_ "enabled", detectors.shelf_out.enabled, true, LIVE,                        \
                 "Raise `shelf_out` from shelf sensors."),                                         \
            UINT(SHELF_ "zero_minutes", detectors.shelf_out.zero_minutes, 30, 1, 10080, "min",     \
                 LIVE, "Opening minutes between zero readings before the anomaly"),                \
            UINT(SHELF_ "min_readings", detectors.shelf_out.min_readings, 3, 1, 1000, NULL, LIVE,  \
                 "Consecutive zero readings needed as well:"),                                     \
            UINT(SHELF_ "max_gap_minutes", detectors.shelf_out.max_gap_minutes, 120, 1, 10080,     \
                 "min", LIVE,                                                                      \
                 "Of the opening time between two zero readings, at most this counts as "          \
                 "zero time."),                                                                    \
            DOUBLE(SHELF_ "false_zero_rate", detectors.shelf_out.false_zero_rate, 0.05, 0, OPEN,   \
                   1, OPEN, NULL, LIVE, "Share of readings a sensor wrongly reports as 0;"),       \
            GROUP("detectors.context"),                                                            \
            DOUBLE(CONTEXT_ "shortfall_ratio", detectors.context.shortfall_ratio, 0.5, 0, CLOSED,  \
                   1, OPEN, NULL, LIVE,                                                            \
                   "A day on which fewer SKUs sold than this share of a usual day is a "           \
                   "shortfall"),                                                                   \
            UINT(CONTEXT_ "min_store_skus", detectors.context.min_store_skus, 20, 1, 10000000,     \
                 NULL, LIVE,                                                                       \
                 "The store test runs when a usual day has at least this many selling "            \
                 "SKUs."),                                                                         \
            UINT(CONTEXT_ "min_category_skus", detectors.context.min_category_skus, 10, 1,         \
                 10000000, NULL, LIVE,                                                             \
                 "A category's test runs when its usual day has at least this many selling "       \
                 "SKUs."),                                                                         \
            UINT(CONTEXT_ "pos_silence_minutes", detectors.context.pos_silence_minutes, 60, 0,     \
                 10080, "min", LIVE,                                                               \
                 "No POS message for this many minutes of opening hours: the POS feed is "         \
                 "`silent`"),                                                                      \
            GROUP("detectors.discrepancy"),                                                        \
            BOOL("detectors.discrepancy.enabled", detectors.discrepancy.enabled, true, LIVE,       \
                 "Raise `inventory_discrepancy`."),                                                \
            UINT("detectors.discrepancy.shelf_above_hours",                                        \
                 detectors.discrepancy.shelf_above_hours, 24, 1, 8760, "h", LIVE,                  \
                 "Hours the shelf must show more than the book before the anomaly.")

#define ML_ "detectors.ml."

/* The Isolation Forest: laid out, seeded and restored at start-up (restart); its stored model
 * and reservoir are rows of one feature set; max_new_per_day sizes the candidate heap. */
#define ML_ROWS                                                                                    \
        GROUP("detectors.ml"),                                                                     \
            BOOL(ML_ "enabled", detectors.ml.enabled, true, RESTART,                               \
                 "Train and score the Isolation Forest (`ml_detected`)."),                         \
            UINT(ML_ "trees", detectors.ml.trees, 100, 1, 1000, NULL, RESTART,                     \
                 "Trees in the forest."),                                                          \
            UINT(ML_ "samples", detectors.ml.samples, 256, 2, 4096, NULL, RESTART,                 \
                 "Rows sampled per tree (psi);"),                                                  \
            DOUBLE(ML_ "contamination", detectors.ml.contamination, 0.05, 0, OPEN, 0.5, CLOSED,    \
                   NULL, RESTART, "Share of training rows above the anomaly threshold."),          \
            UINT(ML_ "train_interval_hours", detectors.ml.train_interval_hours, 6, 1, 168, "h",    \
                 LIVE, "Retrain this often on the reservoir."),                                    \
            UINT(ML_ "reservoir", detectors.ml.reservoir, 8192, 64, 1000000, NULL, RESTART,        \
                 "Recent SKU-day feature vectors kept for training (32 bytes each)."),             \
            DOUBLE(ML_ "warning_sigma", detectors.ml.warning_sigma, 2.0, 0, OPEN, 100, CLOSED,     \
                   NULL, LIVE,                                                                     \
                   "z-score of a SKU's anomaly score among the day's scores for "                  \
                   "`warning`"),                                                                   \
            DOUBLE(ML_ "critical_sigma", detectors.ml.critical_sigma, 3.0, 0, OPEN, 100, CLOSED,   \
                   NULL, LIVE, "z-score for `critical`"),                                          \
            UINT(ML_ "seed", detectors.ml.seed, 42, 0, 4294967295LL, NULL, RESTART,                \
                 "PRNG seed of sampling and splits:"),                                             \
            TEXT(ML_ "features", detectors.ml.features, "scaled", ml_features,                     \
                 "`\"scaled\"`, `\"seed\"`", NULL, RESTART, "What the forest learns from:"),       \
            UINT(ML_ "max_new_per_day", detectors.ml.max_new_per_day, 5, 1, 100000, "/day",        \
                 RESTART, "Scaled: the store's daily ML budget:"),                                 \
            DOUBLE(ML_ "price_ratio", detectors.ml.cause.price_ratio, 1.5, 1, OPEN, 1000, CLOSED,  \
                   NULL, LIVE, "Scaled: a list price at least this many times"),                   \
            DOUBLE(ML_ "spike_ratio", detectors.ml.cause.spike_ratio, 4.0, 1, OPEN, 1000, CLOSED,  \
                   NULL, LIVE,                                                                     \
                   "Scaled: sales over the last 7 or 3 days at least this many "                   \
                   "times the SKU's usual level"),                                                 \
            DOUBLE(ML_ "spike_min_units", detectors.ml.cause.spike_min_units, 10.0, 0, CLOSED,     \
                   1e6, CLOSED, "units", LIVE,                                                     \
                   "... when they are also at least this many units "                              \
                   "above usual."),                                                                \
            DOUBLE(ML_ "overstock_weeks", detectors.ml.cause.overstock_weeks, 16.0, 0, OPEN,       \
                   10000, CLOSED, "weeks", LIVE,                                                   \
                   "Scaled: on-hand of at least this many weeks of the "                           \
                   "SKU's usual sales"),                                                           \
            DOUBLE(ML_ "overstock_min_units", detectors.ml.cause.overstock_min_units, 20.0, 0,     \
                   CLOSED, 1e9, CLOSED, "units", LIVE,                                             \
                   "... when it is also at least this many units,"),                               \
            DOUBLE(ML_ "critical_strength", detectors.ml.critical_strength, 2.0, 1, CLOSED, 100,   \
                   CLOSED, NULL, LIVE,                                                             \
                   "Scaled: a `critical` alert also needs its cause this far past its bound")

#define TUNING_ "tuning."

/* Outcomes, learning from them, trusted devices, the summary and the log. */
#define LEARNING_ROWS                                                                              \
        GROUP("outcomes"),                                                                         \
            UINT("outcomes.material_units", outcomes.material_units, 2, 1, 1000000, "units", LIVE, \
                 "A count confirms ghost stock when the shortfall (book - counted) is at least "   \
                 "this many units ..."),                                                           \
            DOUBLE("outcomes.material_ratio", outcomes.material_ratio, 0.2, 0, CLOSED, 1, CLOSED,  \
                   NULL, LIVE, "... and at least this share of the book before the count."),       \
            DOUBLE("outcomes.prevented_days", outcomes.prevented_days, 7.0, 0, OPEN, 365, CLOSED,  \
                   "days", LIVE,                                                                   \
                   "Days of the SKU's normal sales a confirmed ghost stock or shelf-out is "       \
                   "credited with saving"),                                                        \
            UINT("outcomes.dismiss_days", outcomes.dismiss_days, 7, 0, 365, "days", LIVE,          \
                 "A dismissed (false-positive) `ml_detected` alert keeps its SKU quiet this many " \
                 "days."),                                                                         \
            GROUP("tuning"),                                                                       \
            BOOL(TUNING_ "enabled", tuning.enabled, true, LIVE,                                    \
                 "Learn; `false` keeps every scale at 1 (outcomes are still counted)."),           \
            DOUBLE(TUNING_ "target_precision", tuning.target_precision, 0.5, 0, OPEN, 1, OPEN,     \
                   NULL, LIVE, "Share of alerts that should prove true."),                         \
            DOUBLE(TUNING_ "step", tuning.step, 0.1, 0, OPEN, 1, CLOSED, NULL, LIVE,               \
                   "Learning rate (log-scale step per outcome)."),                                 \
            DOUBLE(TUNING_ "min_scale", tuning.min_scale, 0.7, 0, OPEN, 1, CLOSED, NULL, LIVE,     \
                   "Lowest scale: how much less evidence a reliable category may ask for."),       \
            DOUBLE(TUNING_ "max_scale", tuning.max_scale, 2.5, 1, CLOSED, 10, CLOSED, NULL, LIVE,  \
                   "Highest scale: how much more evidence a noisy category may ask for"),          \
            UINT(TUNING_ "min_outcomes", tuning.min_outcomes, 5, 1, 1000000, NULL, LIVE,           \
                 "Outcomes a type or category needs before its own scale is used."),               \
            DOUBLE(TUNING_ "max_daily_factor", tuning.max_daily_factor, 1.5, 1, CLOSED, 10,        \
                   CLOSED, NULL, LIVE,                                                             \
                   "Within one store-local day (of the outcome's time), a scale "                  \
                   "stays within this factor"),                                                    \
            DOUBLE(TUNING_ "weight_scanner_user", tuning.weight_scanner_user, 1.0, 0, CLOSED, 1,   \
                   CLOSED, NULL, LIVE,                                                             \
                   "Weight of an outcome from a cycle count that names its `user`"),               \
            DOUBLE(TUNING_ "weight_scanner", tuning.weight_scanner, 0.5, 0, CLOSED, 1, CLOSED,     \
                   NULL, LIVE, "Weight of an outcome from a cycle count without a `user`."),       \
            DOUBLE(TUNING_ "weight_command", tuning.weight_command, 0.25, 0, CLOSED, 1, CLOSED,    \
                   NULL, LIVE, "Weight of an outcome from the `outcome` command"),                 \
            GROUP("devices"),                                                                      \
            LIST("devices.scanners", devices.scanners, devices.n_scanners, SW_CONFIG_MAX_SCANNERS, \
                 "names", "device names [\"hh-1\", ...]", config__add_scanner, NULL,               \
                 "at most 256 names of 1..64 printable characters without spaces, `/`, `+`, "      \
                 "`#`; no duplicates",                                                             \
                 "Scanners (the `{device}` of `P/scanner/{device}/count`) whose cycle counts "     \
                 "are accepted."),                                                                 \
            GROUP("hq_receipts"),                                                                  \
            BOOL("hq_receipts.enabled", hq_receipts.enabled, false, RESTART,                       \
                 "Keep each anomaly and outcome in the outbox until HQ's receipt on "              \
                 "`P/hq/receipt` covers it (PROTOCOL 1.1);"),                                      \
            UINT("hq_receipts.resend_after_seconds", hq_receipts.resend_after_seconds, 300, 5,     \
                 604800, "s", LIVE,                                                                \
                 "A row acknowledged by the broker but without a receipt for this long is sent "   \
                 "again, same id and rev."),                                                       \
            GROUP("summary"),                                                                      \
            UINT("summary.interval_seconds", summary.interval_seconds, 900, 10, 86400, "s", LIVE,  \
                 "How often the retained `P/summary` goes to HQ"),                                 \
            GROUP("log"),                                                                          \
            TEXT("log.level", log.level, "info", log_level,                                        \
                 "`\"debug\"`, `\"info\"`, `\"notice\"`, `\"warning\"`, `\"err\"`", NULL, LIVE,    \
                 "Less important messages are dropped."),                                          \
            UINT("log.max_findings_per_run", log.max_findings_per_run, 100, 0, 1000000, NULL,      \
                 LIVE, "New anomalies logged one line each (notice) per detector run;"),           \
            BOOL("log.journal_fields", log.journal_fields, true, LIVE,                             \
                 "When stderr is the journal, important lines carry structured fields."),          \
            GROUP("metrics"),                                                                      \
            STRING("metrics.textfile_path", metrics.textfile_path, "", 0,                          \
                   config__check_absolute_path, NULL, LIVE, 0,                                     \
                   "OpenMetrics file for node_exporter's textfile collector; `\"\"` = off."),      \
            UINT("metrics.interval_s", metrics.interval_s, 60, 5, 3600, "s", LIVE,                 \
                 "How often the metrics file is rewritten.")

const struct sw_config_setting sw_config_schema[] = {
    STORE_ROWS,
    GROUP("broker"),
    BROKER_ROWS("broker", broker),
    GROUP_FLAG("hq", hq, hq_enabled, "same keys as `broker`", "broker", "HQ's broker."),
    BROKER_ROWS("hq", hq),
    STORAGE_ROWS,
    LIMITS_ROWS,
    GROUP("detectors"),
    TEXT("detectors.schedule", detectors.schedule_min, "04:30", schedule,
         "`\"HH:MM\"`, 00:00..23:59", NULL, LIVE, "Store-local time of the daily detector run."),
    GHOST_ROWS,
    SHELF_ROWS,
    ML_ROWS,
    LEARNING_ROWS,
    {0},
};

#define SCHEMA_ROWS (sizeof(sw_config_schema) / sizeof(sw_config_schema[0]) - 1)
_Static_assert(SCHEMA_ROWS <= SW_CONFIG_MAX_SETTINGS, "raise SW_CONFIG_MAX_SETTINGS");

size_t sw_config_setting_count(void)
{
        return SCHEMA_ROWS;
}

const struct sw_config_setting *sw_config_setting_find(const char *name)
{
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++)
                if (strcmp(s->name, name) == 0)
                        return s;
        return NULL;
}

size_t sw_config_setting_index(const struct sw_config_setting *s)
{
        return (size_t)(s - sw_config_schema);
}

void *sw_config_field(const struct sw_config_setting *s, void *c)
{
        return (char *)c + s->offset;
}
