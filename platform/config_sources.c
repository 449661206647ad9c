/* The layers over the main file: conf.d drop-ins, SHELFWATCH_* variables, systemd credentials. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/config_internal.h"

extern char **environ;

void sw_config_env_name(const char *setting, char *buf, size_t size)
{
        size_t n = (size_t)snprintf(buf, size, "%s", SW_CONFIG_ENV_PREFIX);

        for (const char *p = setting; *p && n + 1 < size; p++)
                buf[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
        if (size > 0)
                buf[n < size ? n : size - 1] = '\0';
}

void sw_config_credential_name(const char *setting, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s", SW_CONFIG_CRED_PREFIX, setting);
}

void sw_config_origin_text(const struct sw_config_report *r, const char *setting,
                           const struct sw_config_origin *o, char *buf, size_t size)
{
        char name[CONFIG_NAME_SIZE];
        const char *file = o->file < r->n_files ? r->files[o->file] : "?";

        switch (o->source) {
        case SW_CONFIG_SOURCE_FILE:
                if (o->line)
                        snprintf(buf, size, "%s:%u", file, (unsigned)o->line);
                else
                        snprintf(buf, size, "%s", file);
                return;
        case SW_CONFIG_SOURCE_ENV:
                sw_config_env_name(setting, name, sizeof(name));
                snprintf(buf, size, "environment %s", name);
                return;
        case SW_CONFIG_SOURCE_CREDENTIAL:
                sw_config_credential_name(setting, name, sizeof(name));
                snprintf(buf, size, "credential %s", name);
                return;
        case SW_CONFIG_SOURCE_DEFAULT:
                snprintf(buf, size, "default");
                return;
        }
}

/* ---- conf.d ------------------------------------------------------------------------------ */

static int config__is_dropin(const struct dirent *e)
{
        size_t n = strlen(e->d_name);

        return e->d_name[0] != '.' && n > 5 && strcmp(e->d_name + n - 5, ".conf") == 0;
}

/* Name order, the same in every locale. */
static int config__by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int config__dir_error(struct config_loader *l, const char *dir, int r, const char *what)
{
        if (l->err && l->errsz > 0)
                snprintf(l->err, l->errsz, "%s: %s%s", dir, what, r == -E2BIG ? "" : strerror(-r));
        return r;
}

int config__read_dropins(struct config_loader *l, const char *dir, struct sw_config *c)
{
        char path[SW_CONFIG_PATH_SIZE * 2];
        struct dirent **names = NULL;
        int n, r = 0;

        n = scandir(dir, &names, config__is_dropin, config__by_name);
        if (n < 0)
                return errno == ENOENT ? 0 : config__dir_error(l, dir, -errno, "cannot read: ");
        if (n > SW_CONFIG_MAX_DROPINS)
                r = config__dir_error(l, dir, -E2BIG,
                                      "more than 64 drop-in files (*.conf), refusing them all");
        for (int i = 0; i < n; i++) {
                if (r >= 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                        r = config__read_file(l, path, c);
                        l->report->n_dropins++;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

/* ---- environment and credentials --------------------------------------------------------- */

/* The next row from s on that may come from the environment or a credential, and its
 * variable (env) or credential name in buf; NULL past the end. */
static const struct sw_config_setting *config__next_provisioned(const struct sw_config_setting *s,
                                                                bool env, char *buf, size_t size)
{
        for (; s->name; s++) {
                if (!s->provision)
                        continue;
                if (env)
                        sw_config_env_name(s->name, buf, size);
                else
                        sw_config_credential_name(s->name, buf, size);
                return s;
        }
        return NULL;
}

/* The row a variable or credential name stands for, or NULL. */
static const struct sw_config_setting *config__provisioned(const char *name, bool env)
{
        char want[CONFIG_NAME_SIZE];

        for (const struct sw_config_setting *s = sw_config_schema;
             (s = config__next_provisioned(s, env, want, sizeof(want))) != NULL; s++)
                if (strcmp(want, name) == 0)
                        return s;
        return NULL;
}

/* "unknown ...; known: A, B, ..." for a variable or credential no setting has. */
static int config__unknown(struct config_loader *l, const char *where, bool env)
{
        char want[CONFIG_NAME_SIZE];
        size_t n;

        if (!l->err || l->errsz == 0)
                return -EINVAL;
        n = (size_t)snprintf(l->err, l->errsz, "%s: unknown %s; known:", where,
                             env ? "variable" : "credential");
        for (const struct sw_config_setting *s = sw_config_schema;
             n < l->errsz && (s = config__next_provisioned(s, env, want, sizeof(want))) != NULL;
             s++)
                n += (size_t)snprintf(l->err + n, l->errsz - n, " %s", want);
        config__one_line(l->err);
        return -EINVAL;
}

int config__read_env(struct config_loader *l, struct sw_config *c)
{
        const struct sw_config_origin o = {.source = SW_CONFIG_SOURCE_ENV};
        char name[CONFIG_NAME_SIZE], where[CONFIG_NAME_SIZE + 16];

        for (char **e = environ; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                const struct sw_config_setting *s;
                size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
                int r;

                if (strncmp(*e, SW_CONFIG_ENV_PREFIX, strlen(SW_CONFIG_ENV_PREFIX)) != 0)
                        continue;
                snprintf(name, sizeof(name), "%.*s", (int)len, *e);
                s = config__provisioned(name, true);
                if (!s) {
                        snprintf(where, sizeof(where), "environment %s", name);
                        return config__unknown(l, where, true);
                }
                if (!eq || !eq[1])
                        continue; /* empty: not given */
                r = config__apply_string(l, s, &o, eq + 1, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A credential's value: its file without one trailing newline; "" when empty. */
static int config__read_credential(struct config_loader *l, const char *path, const char *name,
                                   char *buf, size_t size)
{
        const struct sw_config_origin o = {.source = SW_CONFIG_SOURCE_CREDENTIAL};
        ssize_t n;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return config__fail(l, &o, name, "cannot read: %s", strerror(errno));
        n = read(fd, buf, size);
        close(fd);
        if (n < 0)
                return config__fail(l, &o, name, "cannot read: %s", strerror(errno));
        if ((size_t)n == size)
                return config__fail(l, &o, name, "must be at most %zu bytes long", size - 2);
        if (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        if (memchr(buf, '\n', (size_t)n) || strlen(buf) != (size_t)n)
                return config__fail(l, &o, name, "must be one line of text");
        return 0;
}

/* One entry of the credentials directory: ours (shelfwatch.*) is applied, others skipped. */
static int config__apply_credential(struct config_loader *l, const char *dir, const char *cred,
                                    struct sw_config *c)
{
        const struct sw_config_origin o = {.source = SW_CONFIG_SOURCE_CREDENTIAL};
        char path[SW_CONFIG_PATH_SIZE * 2], value[SW_CONFIG_SECRET_SIZE + 2];
        const struct sw_config_setting *s;
        int r;

        if (strncmp(cred, SW_CONFIG_CRED_PREFIX, strlen(SW_CONFIG_CRED_PREFIX)) != 0)
                return 0; /* not ours: a TLS key, say */
        snprintf(path, sizeof(path), "%s/%s", dir, cred);
        s = config__provisioned(cred, false);
        if (!s)
                return config__unknown(l, path, false);
        r = config__read_credential(l, path, s->name, value, sizeof(value));
        if (r < 0 || !value[0])
                return r; /* empty: not given */
        return config__apply_string(l, s, &o, value, c);
}

int config__read_credentials(struct config_loader *l, struct sw_config *c)
{
        const char *dir = getenv(SW_CONFIG_CRED_DIR_ENV);
        struct dirent **names = NULL;
        int n, r = 0;

        if (!dir || !dir[0])
                return 0;
        snprintf(l->report->credentials_dir, sizeof(l->report->credentials_dir), "%s", dir);
        n = scandir(dir, &names, NULL, config__by_name);
        if (n < 0)
                return config__dir_error(l, dir, -errno, "cannot read the credentials: ");
        for (int i = 0; i < n; i++) {
                if (r >= 0)
                        r = config__apply_credential(l, dir, names[i]->d_name, c);
                free(names[i]);
        }
        free(names);
        return r;
}

/* ---- the --check-config -v report -------------------------------------------------------- */

static void config__write_files(const struct sw_config_report *r, FILE *out)
{
        fprintf(out, "files:");
        for (uint16_t i = 0; i < r->n_files; i++)
                fprintf(out, "%s %s", i ? "," : "", r->files[i]);
        fprintf(out, "%s\n", r->n_files ? "" : " none (the embedded defaults)");
        if (r->credentials_dir[0])
                fprintf(out, "credentials: %s\n", r->credentials_dir);
}

unsigned sw_config_report_write(const struct sw_config_report *r, const struct sw_config *c,
                                FILE *out)
{
        char value[SW_CONFIG_VALUE_SIZE], from[SW_CONFIG_PATH_SIZE * 2], was[sizeof(from)];
        unsigned warnings = 0;

        config__write_files(r, out);
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                const struct sw_config_origin *o = &r->origin[sw_config_setting_index(s)];
                if (s->kind == SW_CONFIG_GROUP || o->source == SW_CONFIG_SOURCE_DEFAULT)
                        continue;
                sw_config_value_text(s, c, value, sizeof(value));
                sw_config_origin_text(r, s->name, o, from, sizeof(from));
                fprintf(out, "%s = %s (%s)\n", s->name, value, from);
        }
        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                size_t i = sw_config_setting_index(s);
                if (s->kind == SW_CONFIG_GROUP || r->times_set[i] < 2)
                        continue;
                sw_config_origin_text(r, s->name, &r->origin[i], from, sizeof(from));
                sw_config_origin_text(r, s->name, &r->replaced[i], was, sizeof(was));
                fprintf(out, "warning: %s is set %u times: %s overrides %s (the later wins)\n",
                        s->name, (unsigned)r->times_set[i], from, was);
                warnings++;
        }
        if (!c->store.currency[0]) {
                fprintf(out, "warning: store.currency is not set: set the ISO 4217 code of the "
                             "store's prices (PROTOCOL 1.1 rounds money with it)\n");
                warnings++;
        }
        return warnings;
}
