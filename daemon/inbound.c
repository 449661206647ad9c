/* Messages from the local broker: route by topic, decode, apply, acknowledge cycle counts. */
#include "daemon/inbound.h"

#include "daemon/daemon.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/commands.h"
#include "daemon/counts.h"
#include "daemon/outcomes.h"
#include "daemon/pos_health.h"
#include "platform/clock.h"

/* Kind of a device topic (after the prefix), or -ENOENT. Sets *ret_device for scanners. */
static int classify(const char *rest, enum sw_msg_kind *ret, const char **ret_device,
                    size_t *ret_device_len)
{
        const char *slash;
        if (strncmp(rest, "pos/", 4) == 0 && rest[4] && !strchr(rest + 4, '/'))
                *ret = SW_MSG_POS;
        else if (strcmp(rest, "receipt") == 0)
                *ret = SW_MSG_RECEIPT;
        else if (strcmp(rest, "inventory") == 0)
                *ret = SW_MSG_INVENTORY;
        else if (strcmp(rest, "forecast") == 0)
                *ret = SW_MSG_FORECAST;
        else if (strncmp(rest, "shelf/", 6) == 0 && rest[6] && !strchr(rest + 6, '/'))
                *ret = SW_MSG_SHELF;
        else if (strncmp(rest, "scanner/", 8) == 0 && (slash = strchr(rest + 8, '/')) &&
                 slash > rest + 8 && strcmp(slash, "/count") == 0) {
                *ret = SW_MSG_COUNT;
                *ret_device = rest + 8;
                *ret_device_len = (size_t)(slash - (rest + 8));
        } else
                return -ENOENT;
        return 0;
}

static void log_reject(struct sw_daemon *d, const char *topic, const char *reason,
                       const char *detail)
{
        if (sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                sw_log_warning("Rejected message on %s: %s%s%s", topic, reason,
                               detail && *detail ? ": " : "", detail ? detail : "");
}

static int apply(struct sw_daemon *d, enum sw_msg_kind kind, const void *payload, size_t len,
                 struct sw_msg *ret_msg, struct sw_ingest_result *ret, char *err, size_t errsz)
{
        struct sw_payload_limits lim = {.max_bytes = d->cfg.limits.max_payload_bytes,
                                        .max_items = d->cfg.limits.max_items_per_message};
        enum sw_reject_reason reason;
        *ret_msg =
            (struct sw_msg){.items = d->items, .items_cap = d->cfg.limits.max_items_per_message};
        if (sw_payload_decode(d->decoder, kind, payload, len, &lim, ret_msg, &reason, err, errsz) <
            0) {
                sw_ingest_count_reject(&d->ingest, kind, reason);
                *ret = (struct sw_ingest_result){.outcome = SW_INGEST_REJECTED, .reason = reason};
                return 0;
        }
        return sw_ingest_apply(&d->ingest, ret_msg, sw_clock_now(), ret);
}

/* A count that was applied but whose outcomes may not have been committed before the crash. */
static void replay_count_outcomes(struct sw_daemon *d, const char *topic, const struct sw_msg *m,
                                  const struct sw_ingest_result *res)
{
        struct sw_count_outcome oc;
        char device[SW_TOPIC_MAX] = "";
        size_t plen = strlen(d->prefix);
        /* {prefix}/scanner/{device}/count: the device is what lies between. */
        const char *at = strncmp(topic, d->prefix, plen) == 0 ? topic + plen : "", *end;
        if (strncmp(at, "/scanner/", 9) == 0 && (end = strstr(at + 9, "/count")) != NULL)
                snprintf(device, sizeof(device), "%.*s", (int)(end - (at + 9)), at + 9);
        if (sw_daemon_count_outcomes_atomic(d, m, res, device, &oc) < 0)
                sw_log_warning("Cannot judge anomalies by the replayed count from %s: %s", topic,
                               sw_store_errmsg(d->store));
}

int sw_inbound_replay(void *ctx, int kind, const char *topic, const void *payload, size_t len)
{
        struct sw_daemon *d = ctx;
        struct sw_msg m;
        struct sw_ingest_result res;
        char err[256];
        if ((unsigned)kind >= SW_MSG_KIND_COUNT)
                return 0;
        int r = apply(d, (enum sw_msg_kind)kind, payload, len, &m, &res, err, sizeof(err));
        if (r < 0)
                sw_log_warning("Cannot replay message from %s: %s", topic, strerror(-r));
        if (r == 0 && kind == SW_MSG_COUNT && res.outcome == SW_INGEST_ACCEPTED)
                replay_count_outcomes(d, topic, &m, &res);
        return 0;
}

/* Partial refusals of an applied message, one line per reason (rate-limited): lines of SKUs the
 * table could not take, items older than the state held, shelf readings beyond the pool. */
static void log_skipped(struct sw_daemon *d, const char *topic, const struct sw_ingest_result *res)
{
        if (!res->skipped_table_full && !res->skipped_stale && !res->skipped_shelves_full)
                return;
        if (!sw_ratelimit_allow(&d->reject_log, sw_clock_monotonic_ms()))
                return;
        if (res->skipped_table_full)
                sw_log_warning(
                    "Message on %s: %u line(s) of new SKUs skipped, the SKU table is full "
                    "(limits.max_skus)",
                    topic, res->skipped_table_full);
        if (res->skipped_stale)
                sw_log_notice(
                    "Message on %s: %u item(s) not newer than the state held, ignored (stale)",
                    topic, res->skipped_stale);
        if (res->skipped_shelves_full)
                sw_log_warning("Message on %s: %u shelf reading(s) dropped, the shelf pool is full "
                               "(limits.max_shelf_skus)",
                               topic, res->skipped_shelves_full);
}

/* Before any decoding: the device's rate (a device is its kind and name: the scanner, else the
 * last topic level, register, sensor, "receipt", "inventory", "forecast" for the store system,
 * so pos/hh-3 and scanner/hh-3 have a bucket each), and for a count the scanner allow-list. */
static bool device_admitted(struct sw_daemon *d, const char *topic, enum sw_msg_kind kind,
                            const void *payload, size_t len, const char *device, size_t device_len)
{
        const char *who = device ? device : strrchr(topic, '/') + 1;
        size_t who_len = device ? device_len : strlen(who);
        if (!sw_rate_allow(&d->device_rate, (uint8_t)kind, who, who_len, sw_clock_monotonic_ms())) {
                sw_ingest_count_reject(&d->ingest, kind, SW_REJECT_RATE_LIMITED);
                log_reject(d, topic, sw_reject_reason_name(SW_REJECT_RATE_LIMITED),
                           "over limits.device_rate_per_second");
                if (kind == SW_MSG_COUNT)
                        sw_daemon_count_refused(d, device, device_len, payload, len,
                                                "rate_limited: count again later");
                return false;
        }
        /* devices.scanners: a count from a scanner not listed changes nothing, judges nothing. */
        if (kind == SW_MSG_COUNT && !sw_config_scanner_allowed(&d->cfg, device, device_len)) {
                sw_ingest_count_reject(&d->ingest, kind, SW_REJECT_UNKNOWN_DEVICE);
                log_reject(d, topic, sw_reject_reason_name(SW_REJECT_UNKNOWN_DEVICE),
                           "not in devices.scanners");
                sw_daemon_count_refused(d, device, device_len, payload, len,
                                        "unknown_device: this scanner is not in devices.scanners");
                return false;
        }
        return true;
}

static void handle_device(struct sw_daemon *d, const char *topic, enum sw_msg_kind kind,
                          const void *payload, size_t len, const char *device, size_t device_len)
{
        struct sw_msg m;
        struct sw_ingest_result res;
        char err[256] = "";
        uint64_t inbox_before = d->durability.inbox.size;
        if (!device_admitted(d, topic, kind, payload, len, device, device_len))
                return;
        int r = apply(d, kind, payload, len, &m, &res, err, sizeof(err));
        if (r < 0) {
                sw_log_err("Cannot apply message on %s: %s", topic, strerror(-r));
                return;
        }
        if (res.outcome == SW_INGEST_REJECTED && err[0]) {
                /* Refused by the decoder: the message never parsed. */
                log_reject(d, topic, sw_reject_reason_name(res.reason), err);
                if (kind == SW_MSG_COUNT)
                        sw_daemon_count_refused(d, device, device_len, payload, len, err);
                return;
        }
        bool kept = res.outcome == SW_INGEST_ACCEPTED &&
                    sw_durability_add(&d->durability, kind, topic, payload, len) == 0;
        if (kind == SW_MSG_POS && res.outcome != SW_INGEST_REJECTED)
                sw_daemon_pos_heard(d);
        if (res.outcome == SW_INGEST_REJECTED) {
                log_reject(d, topic, sw_reject_reason_name(res.reason), NULL);
                if (kind == SW_MSG_COUNT)
                        sw_daemon_count_rejected(d, device, device_len, &m, &res);
                return;
        }
        log_skipped(d, topic, &res);
        if (kind == SW_MSG_COUNT)
                sw_daemon_count_finish(d, device, device_len, &m, &res, kept, inbox_before);
}

/*
 * Called by libmosquitto from inside sw_mqtt_service(), which only the loop body calls: the
 * work done here (ingest, commands) runs in the loop's single thread, not asynchronously, so
 * there is no queue between callback and loop to size or overflow, and nothing is
 * acknowledged to a device (scanner ack, command reply) before it has been applied.
 */
void sw_inbound_on_message(void *ctx, const char *topic, const void *payload, size_t len,
                           const struct sw_mqtt_props *props)
{
        struct sw_daemon *d = ctx;
        size_t plen = strlen(d->prefix);
        const char *rest, *device = NULL;
        size_t device_len = 0;
        enum sw_msg_kind kind;

        if (strncmp(topic, d->prefix, plen) != 0 || topic[plen] != '/')
                return;
        rest = topic + plen + 1;
        if (strncmp(rest, "cmd/", 4) == 0) {
                sw_commands_handle(&d->commands, rest + 4, payload, len, props,
                                   sw_clock_monotonic_ms());
                return;
        }
        if (!d->hq && strcmp(rest, SW_HQ_RECEIPT_SUFFIX) == 0) { /* bridged in from HQ */
                sw_daemon_on_receipt(d, topic, payload, len, props && props->retained);
                return;
        }
        if (classify(rest, &kind, &device, &device_len) < 0) {
                d->unknown_topics++;
                log_reject(d, topic, "unknown_topic", NULL);
                return;
        }
        handle_device(d, topic, kind, payload, len, device, device_len);
}
