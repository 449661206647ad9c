/* Internals shared by platform/config*.c: the state of a load and the checks of single values. */
#ifndef SW_CONFIG_INTERNAL_H
#define SW_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/config.h"
#include "platform/config_schema.h"
#include "platform/config_sources.h"

#define CONFIG_NAME_SIZE 192        /* dotted names with an index, "store.holidays[365]" */
#define CONFIG_NO_FILE   UINT16_MAX /* origin file index when the report's table is full */

/* State of one load. */
struct config_loader {
        struct sw_config_report *report; /* origins; never NULL during a load */
        const char *main_path;           /* the main file, named when no source applies */
        const char *path;                /* the file being read, NULL outside files */
        const char *dir;                 /* its directory, where libconfig resolves @include */
        char *err;                       /* message buffer, may be NULL */
        size_t errsz;                    /* its size */
};

/* Write "where: name: reason" for origin o (NULL: the main file) to the loader's message and
 * return -EINVAL. */
__attribute__((format(printf, 4, 5))) int config__fail(struct config_loader *l,
                                                       const struct sw_config_origin *o,
                                                       const char *name, const char *fmt, ...);
/* Keep a message on one line: control characters from values become '?'. */
void config__one_line(char *s);
/* Index of path in the report's files, added when new; CONFIG_NO_FILE when full. */
uint16_t config__file_index(struct sw_config_report *r, const char *path);
/* Note that o set the row s (a later source overrides an earlier one). */
void config__record(struct config_loader *l, const struct sw_config_setting *s,
                    const struct sw_config_origin *o);
/* Apply a STRING value v to row s of c, as given by origin o: length, check, copy, record. */
int config__apply_string(struct config_loader *l, const struct sw_config_setting *s,
                         const struct sw_config_origin *o, const char *v, struct sw_config *c);
/* Write v into an unsigned field of 2, 4 or 8 bytes. */
void config__store_uint(void *dst, size_t size, long long v);
/* Read one file over c (libconfig; platform/config_file.c). 0 or -errno with the message. */
int config__read_file(struct config_loader *l, const char *path, struct sw_config *c);
/* The layers after the main file: drop-ins, environment, credentials (config_sources.c). */
int config__read_dropins(struct config_loader *l, const char *dir, struct sw_config *c);
int config__read_env(struct config_loader *l, struct sw_config *c);
int config__read_credentials(struct config_loader *l, struct sw_config *c);

/* ---- single values (platform/config_values.c) ---- */
int config__check_name(const char *v, char *why, size_t whysz);
int config__check_timezone(const char *v, char *why, size_t whysz);
int config__check_host(const char *v, char *why, size_t whysz);
int config__check_readable_file(const char *v, char *why, size_t whysz);
int config__check_currency(const char *v, char *why, size_t whysz);
int config__check_absolute_path(const char *v, char *why, size_t whysz);
int config__parse_schedule(const char *v, void *dst, char *why, size_t whysz);
void config__print_schedule(const void *src, char *buf, size_t size);
int config__parse_hours(const char *v, void *dst, char *why, size_t whysz);
void config__print_hours(const void *src, char *buf, size_t size);
int config__parse_ghost_mode(const char *v, void *dst, char *why, size_t whysz);
void config__print_ghost_mode(const void *src, char *buf, size_t size);
int config__parse_ml_features(const char *v, void *dst, char *why, size_t whysz);
void config__print_ml_features(const void *src, char *buf, size_t size);
int config__parse_log_level(const char *v, void *dst, char *why, size_t whysz);
void config__print_log_level(const void *src, char *buf, size_t size);
int config__add_holiday(void *dst, uint32_t i, const char *v, char *why, size_t whysz);
void config__finish_holidays(void *dst, uint32_t n);
int config__add_scanner(void *dst, uint32_t i, const char *v, char *why, size_t whysz);

#endif
