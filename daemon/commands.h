/* Request/response commands on P/cmd/{name}: a table of rows, the gate, the reply route. */
#ifndef SW_COMMANDS_H
#define SW_COMMANDS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/command_gate.h"
#include "core/rate_limit.h"
#include "daemon/command_args.h"
#include "platform/log.h"
#include "platform/mqtt_link.h"
#include "platform/payload.h"

/* A command: one row (daemon/command_table.c). */
struct sw_command {
        const char *name;        /* P/cmd/{name} */
        sw_cmd_decode_fn decode; /* its own fields from the request, NULL: it takes none */
        cJSON *(*run)(void *ctx, const union sw_cmd_args *a); /* the reply, which the caller
                                                                 sends and frees */
        const char *rate_class; /* the token bucket it draws from (limits.command_*) */
};

/* Where replies go (the local broker in the daemon; a fake in tests). */
struct sw_command_link {
        /* Publish at QoS 0, not retained; props NULL or the v5 correlation. 0 or -errno. */
        int (*publish)(void *ctx, const char *topic, const char *payload, size_t len,
                       const struct sw_mqtt_props *props);
        void *ctx; /* its first argument */
};

/* The command room: the table, the gate's state and its counters. */
struct sw_commands {
        const struct sw_command *table;         /* rows */
        size_t n_rows;                          /* how many */
        void *ctx;                              /* the handlers' first argument (the daemon) */
        struct sw_command_link link;            /* replies */
        struct sw_payload_decoder *decoder;     /* request envelopes (owned) */
        struct sw_rate_limiter rate;            /* per rate class (memory in the daemon's block) */
        struct sw_ratelimit *log_limit;         /* rate of refusal warnings (not owned) */
        const char *prefix;                     /* topic prefix (not owned) */
        size_t max_payload;                     /* limits.max_payload_bytes */
        uint64_t run;                           /* requests run (answered or not) */
        uint64_t replies;                       /* replies published */
        uint64_t refused[SW_CMD_REFUSAL_COUNT]; /* requests not run, by reason */
        bool retained_logged; /* a retained request was refused and logged (once) */
};

/* The daemon's commands (daemon/command_table.c). */
extern const struct sw_command sw_command_table[];
extern const size_t sw_command_table_rows;

/* Set up over table with a new envelope decoder (rate must be initialised by the caller);
 * 0 or -ENOMEM. */
int sw_commands_init(struct sw_commands *c, const struct sw_command *table, size_t n_rows,
                     void *ctx, const struct sw_command_link *link, const char *prefix,
                     size_t max_payload, struct sw_ratelimit *log_limit);
void sw_commands_fini(struct sw_commands *c);

/*
 * Handle the request for command name. A request passes, in this order: not retained
 * (PROTOCOL 1.1), a v5 Response Topic under P/reply/, the command's rate (before any
 * decoding), an envelope that decodes, and a reply_to under P/reply/. What fails is counted
 * and nothing runs; a reply goes out only to a topic that passed the check. Then the row's
 * decoder checks its fields and its handler runs; an unknown name is answered with an error.
 */
void sw_commands_handle(struct sw_commands *c, const char *name, const void *payload, size_t len,
                        const struct sw_mqtt_props *props, uint64_t now_ms);

#endif
