/* target.c: which broker and topic prefix to ask: the daemon's config file under explicit options.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/config.h"
#include "platform/config_sources.h"
#include "shelfwatch.h"

/* Load the daemon's config as the daemon does (the file, its conf.d drop-ins, SHELFWATCH_*
 * variables; credentials only where $CREDENTIALS_DIRECTORY is set): --config must load; the
 * default path is only a convenience. */
int cli_load_config(const struct cli_options *o, struct sw_config *cfg)
{
        char err[512];
        const char *path = o->config_path ? o->config_path : SW_CONFIG_DEFAULT_PATH;
        sw_config_defaults(cfg);
        int r = sw_config_load_all(path, o->config_path ? 0 : SW_CONFIG_PATH_OPTIONAL, cfg, NULL,
                                   err, sizeof(err));
        if (r >= 0)
                return 0;
        if (o->config_path) {
                cli_usage_error(NULL, "%s", err);
                return r;
        }
        if (!(o->tenant && o->store))
                fprintf(stderr, "shelfwatch: warning: %s; using the built-in defaults, ignoring\n",
                        err);
        return 0;
}

static int cli_check_name(const char *option, const char *v)
{
        if (v[0] && strlen(v) < SW_CONFIG_NAME_SIZE && !strpbrk(v, "/+#"))
                return 0;
        cli_usage_error(NULL, "--%s: must be 1 to %d characters without '/', '+' or '#'", option,
                        SW_CONFIG_NAME_SIZE - 1);
        return -EINVAL;
}

static const char *cli_nonempty(const char *s)
{
        return s && s[0] ? s : NULL;
}

/* Combine the config with the explicit options. cfg must outlive ret_target. 0 or -EINVAL. */
int cli_resolve_target(const struct cli_options *o, const struct sw_config *cfg,
                       struct cli_target *ret_target)
{
        const char *root = o->root ? o->root : cfg->store.root;
        const char *tenant = o->tenant ? o->tenant : cfg->store.tenant;
        const char *store = o->store ? o->store : cfg->store.id;
        struct cli_target t = {
            .host = o->host ? o->host : cfg->broker.host,
            .port = o->port ? (int)o->port : cfg->broker.port,
            .username = cli_nonempty(o->username ? o->username : cfg->broker.username),
            .password = cli_nonempty(o->password ? o->password : cfg->broker.password),
            .insecure = cfg->broker.tls.enabled && cfg->broker.tls.insecure,
        };
        if (cli_check_name("root", root) < 0 || cli_check_name("tenant", tenant) < 0 ||
            cli_check_name("store", store) < 0)
                return -EINVAL;
        if (cfg->broker.tls.enabled) {
                t.cafile = cli_nonempty(cfg->broker.tls.ca_file);
                t.cert = cli_nonempty(cfg->broker.tls.cert_file);
                t.key = cli_nonempty(cfg->broker.tls.key_file);
        }
        t.cafile = o->cafile ? o->cafile : t.cafile;
        t.cert = o->cert ? o->cert : t.cert;
        t.key = o->key ? o->key : t.key;
        if (!t.cert != !t.key) {
                cli_usage_error(NULL, "--cert and --key go together");
                return -EINVAL;
        }
        if (t.password && !t.username) {
                cli_usage_error(NULL, "--password needs --username");
                return -EINVAL;
        }
        snprintf(t.prefix, sizeof(t.prefix), "%s/%s/%s", root, tenant, store);
        *ret_target = t;
        return 0;
}
