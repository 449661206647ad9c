/* main.c: the shelfwatch CLI's entry point: parse, check, ask the daemon, show the reply. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "platform/config.h"
#include "shelfwatch.h"

/* A command-line tool has nothing sensible to do without memory: say so and stop. */
void *cli_check_alloc(void *p)
{
        if (!p) {
                fputs("shelfwatch: out of memory\n", stderr);
                exit(CLI_EXIT_REFUSED);
        }
        return p;
}

char *cli_strdup(const char *s)
{
        return cli_check_alloc(strdup(s));
}

void cli_usage_error(const char *command, const char *fmt, ...)
{
        va_list ap;
        fputs("shelfwatch: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'shelfwatch %s%s--help'.\n", command ? command : "",
                command ? " " : "");
}

/* Print the reply as asked. CLI_EXIT_OK, or CLI_EXIT_REFUSED when the daemon said no. */
static int cli_show_reply(const struct cli_options *o, const struct cli_command *c,
                          const char *text)
{
        cJSON *reply = cli_parse_object(text, "a reply");
        if (!reply)
                return CLI_EXIT_REFUSED;
        bool ok = cJSON_IsTrue(cli_get(reply, "ok"));
        if (o->json)
                cli_print_json(reply);
        else if (ok)
                c->print(reply);
        if (!ok) {
                const char *err = cJSON_GetStringValue(cli_get(reply, "error"));
                fprintf(stderr, "shelfwatch: shelfwatchd: %s\n",
                        err ? err : "request failed (no reason given)");
        }
        cJSON_Delete(reply);
        return ok ? CLI_EXIT_OK : CLI_EXIT_REFUSED;
}

static int cli_main(const struct cli_options *o)
{
        const struct cli_command *c;
        struct cli_target target;
        char *payload, *reply = NULL;

        if (cli_check_command(o, &c) < 0)
                return CLI_EXIT_USAGE;
        struct sw_config *cfg = cli_check_alloc(malloc(sizeof(*cfg)));
        if (cli_load_config(o, cfg) < 0 || cli_resolve_target(o, cfg, &target) < 0) {
                free(cfg);
                return CLI_EXIT_USAGE;
        }
        if (c->run) {
                int status = c->run(o, &target, cfg);
                free(cfg);
                return status;
        }
        cJSON *q = cli_build_request(o, c);
        payload = cli_check_alloc(cJSON_PrintUnformatted(q));
        cJSON_Delete(q);
        int r = cli_request(&target, c->name, payload, o->timeout_s, &reply);
        free(payload);
        free(cfg);
        if (r < 0)
                return CLI_EXIT_UNREACHABLE;
        r = cli_show_reply(o, c, reply);
        free(reply);
        return r;
}

int main(int argc, char *argv[])
{
        struct cli_options o;

        cli_setup_locale();
        if (cli_parse_args(argc, argv, &o) < 0)
                return CLI_EXIT_USAGE;
        if (o.version) {
                printf("shelfwatch %s\n", SW_VERSION);
                return CLI_EXIT_OK;
        }
        if (o.help && o.command && cli_find_command(o.command)) {
                cli_print_command_help(cli_find_command(o.command));
                return CLI_EXIT_OK;
        }
        if (o.help || (o.command && strcmp(o.command, "help") == 0 && o.n_args == 0)) {
                cli_print_global_help();
                return CLI_EXIT_OK;
        }
        if (o.command && strcmp(o.command, "help") == 0 && cli_find_command(o.args[0])) {
                cli_print_command_help(cli_find_command(o.args[0]));
                return CLI_EXIT_OK;
        }
        if (!o.command) {
                cli_usage_error(NULL, "no command given");
                return CLI_EXIT_USAGE;
        }
        return cli_main(&o);
}
