/* Where settings come from: the file, its conf.d drop-ins, the environment, systemd credentials. */
#ifndef SW_CONFIG_SOURCES_H
#define SW_CONFIG_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "platform/config.h"
#include "platform/config_schema.h"

#define SW_CONFIG_DROPIN_DIR   "conf.d" /* beside the main file: conf.d/NAME.conf */
#define SW_CONFIG_MAX_DROPINS  64       /* more drop-in files are refused */
#define SW_CONFIG_MAX_FILES    80       /* files named in a report: main, drop-ins, @includes */
#define SW_CONFIG_ENV_PREFIX   "SHELFWATCH_" /* store.id: SHELFWATCH_STORE_ID */
#define SW_CONFIG_CRED_PREFIX  "shelfwatch." /* store.id: credential shelfwatch.store.id */
#define SW_CONFIG_CRED_DIR_ENV "CREDENTIALS_DIRECTORY"

/* Kinds of source, lowest precedence first: a later one overrides an earlier one. */
enum sw_config_source {
        SW_CONFIG_SOURCE_DEFAULT,    /* not set: the schema's default */
        SW_CONFIG_SOURCE_FILE,       /* the main file, a drop-in or a file they @include */
        SW_CONFIG_SOURCE_ENV,        /* SHELFWATCH_<NAME> in the environment */
        SW_CONFIG_SOURCE_CREDENTIAL, /* $CREDENTIALS_DIRECTORY/shelfwatch.<name> */
};

/* Where one value came from. */
struct sw_config_origin {
        enum sw_config_source source; /* which kind of source */
        uint16_t file;                /* FILE: index in sw_config_report.files */
        uint32_t line;                /* FILE: line number, 0 when unknown */
};

/* What one load read, and where every setting in force came from. */
struct sw_config_report {
        char files[SW_CONFIG_MAX_FILES][SW_CONFIG_PATH_SIZE];     /* files read, in order */
        uint16_t n_files;                                         /* entries used in files */
        uint16_t n_dropins;                                       /* of them, conf.d drop-ins */
        char credentials_dir[SW_CONFIG_PATH_SIZE];                /* "" when none was given */
        struct sw_config_origin origin[SW_CONFIG_MAX_SETTINGS];   /* by schema index */
        struct sw_config_origin replaced[SW_CONFIG_MAX_SETTINGS]; /* the source the value in
                                                                     force overrode, or DEFAULT */
        uint8_t times_set[SW_CONFIG_MAX_SETTINGS]; /* sources that set it (max 255) */
};

/* sw_config_load_all() flags. */
#define SW_CONFIG_PATH_OPTIONAL 1u /* a missing main file is not an error (the default path) */

/*
 * Load the configuration the daemon runs on, each layer over the one before:
 *   1. the embedded defaults;
 *   2. the file at path (skipped when missing and flags has SW_CONFIG_PATH_OPTIONAL);
 *   3. <dir of path>/conf.d/NAME.conf, in strcmp() order of their names;
 *   4. SHELFWATCH_<NAME> environment variables of the settings the schema lets come from
 *      there (store.tenant, .id, .timezone, .currency, broker/hq username and password);
 *   5. files shelfwatch.<name> in $CREDENTIALS_DIRECTORY (systemd credentials), same settings.
 * An empty environment variable or credential counts as not given. Unknown SHELFWATCH_*
 * variables and shelfwatch.* credentials are errors, like unknown settings. The rules between
 * settings are checked on the result. Returns 0 and fills *ret (and *report, may be NULL),
 * or an -errno as sw_config_load() (-E2BIG: more than SW_CONFIG_MAX_DROPINS drop-ins) with
 * the message in err, leaving *ret untouched.
 */
int sw_config_load_all(const char *path, unsigned flags, struct sw_config *ret,
                       struct sw_config_report *report, char *err, size_t errsz);

/* The environment variable (SHELFWATCH_STORE_ID) or credential name (shelfwatch.store.id)
 * of a setting. */
void sw_config_env_name(const char *setting, char *buf, size_t size);
void sw_config_credential_name(const char *setting, char *buf, size_t size);

/* Write "/etc/x.conf:3", "environment SHELFWATCH_STORE_ID", "credential shelfwatch.store.id"
 * or "default" for origin o of the setting named setting. */
void sw_config_origin_text(const struct sw_config_report *r, const char *setting,
                           const struct sw_config_origin *o, char *buf, size_t size);

/*
 * The --check-config -v report: the files read, then one line per setting that a source set
 * ("store.id = \"s0042\" (credential shelfwatch.store.id)"), a warning for each setting set
 * more than once (the later wins) and for settings that should be set (store.currency).
 * Secrets are not printed. Returns the number of warnings.
 */
unsigned sw_config_report_write(const struct sw_config_report *r, const struct sw_config *c,
                                FILE *out);

#endif
