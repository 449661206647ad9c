/* The configuration schema: one row per setting, the single source of everything about it. */
#ifndef SW_CONFIG_SCHEMA_H
#define SW_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_CONFIG_MAX_SETTINGS 192 /* rows in the schema, groups included (checked at build) */
#define SW_CONFIG_REASON_SIZE  384 /* why a value was refused, without "file:line: name: " */
#define SW_CONFIG_VALUE_SIZE   272 /* a value written as the file would give it */

/* How a setting is read. */
enum sw_config_kind {
        SW_CONFIG_UINT,   /* unsigned integer of 2, 4 or 8 bytes in [min, max] */
        SW_CONFIG_DOUBLE, /* double in [fmin, fmax], each end open when flagged */
        SW_CONFIG_BOOL,   /* true or false */
        SW_CONFIG_STRING, /* char[size], length in [min, max], then check() */
        SW_CONFIG_TEXT,   /* a string that parse() turns into the field (a time, a name) */
        SW_CONFIG_LIST,   /* a list of strings, each given to add() */
        SW_CONFIG_GROUP,  /* a group { ... } of the rows named "<name>.<key>" */
};

/* Check a STRING value; 0, or -EINVAL with the reason in why (whysz bytes). */
typedef int (*sw_config_check_fn)(const char *v, char *why, size_t whysz);
/* Parse a TEXT value into the field at dst; 0, or -EINVAL with the reason in why. */
typedef int (*sw_config_parse_fn)(const char *v, void *dst, char *why, size_t whysz);
/* Write the TEXT field at src as the file would give it (without quotes). */
typedef void (*sw_config_print_fn)(const void *src, char *buf, size_t size);
/* Add element i (value v) to the LIST array at dst; 0, or -EINVAL with the reason in why. */
typedef int (*sw_config_add_fn)(void *dst, uint32_t i, const char *v, char *why, size_t whysz);
/* Called once a LIST array at dst holds its n elements (to sort them), or NULL. */
typedef void (*sw_config_finish_fn)(void *dst, uint32_t n);

/* One setting: where it lives, what it may hold, its default, unit, reload policy and doc. */
struct sw_config_setting {
        const char *name;            /* dotted name, "detectors.ghost.alpha"; NULL ends */
        enum sw_config_kind kind;    /* how it is read */
        size_t offset;               /* the field, from the start of struct sw_config */
        size_t size;                 /* the field's size */
        long long min, max;          /* UINT: range; STRING: length; LIST: elements at most */
        double fmin, fmax;           /* DOUBLE: range */
        bool fmin_open, fmax_open;   /* DOUBLE: the bound itself is refused */
        unsigned long long def_uint; /* UINT: default */
        double def_double;           /* DOUBLE: default */
        bool def_bool;               /* BOOL: default */
        const char *def_text;        /* STRING, TEXT: default as the file writes it */
        const char *unit;            /* "ms", "KiB", ...; NULL: none */
        const char *format;          /* what a value looks like, for the reference; NULL: the
                                        range (UINT, DOUBLE) or length (STRING) says it */
        const char *item;            /* LIST: what an element is, "dates", said in errors */
        const char *example;         /* LIST: "dates [\"YYYY-MM-DD\", ...]", said in errors */
        const char *doc;             /* one line: what it does */
        bool restart;                /* a change waits for a restart (a reload keeps the old) */
        bool provision;              /* STRING: may come from a credential or the environment */
        bool secret;                 /* never printed */
        sw_config_check_fn check;    /* STRING: further check, or NULL */
        sw_config_parse_fn parse;    /* TEXT */
        sw_config_print_fn print;    /* TEXT */
        sw_config_add_fn add;        /* LIST */
        sw_config_finish_fn finish;  /* LIST, or NULL */
        size_t count_offset;         /* LIST: its uint32_t element count in struct sw_config */
        bool has_flag;               /* GROUP: a bool says whether the group was given */
        size_t flag_offset;          /* GROUP: that bool in struct sw_config */
        const char *same_as;         /* GROUP: documented as this group (hq: as broker) */
};

/* The schema, in file order; a row with name NULL ends it. */
extern const struct sw_config_setting sw_config_schema[];

/* Rows in the schema (without the end). */
size_t sw_config_setting_count(void);
/* The row of a dotted name, or NULL. */
const struct sw_config_setting *sw_config_setting_find(const char *name);
/* Its index in sw_config_schema. */
size_t sw_config_setting_index(const struct sw_config_setting *s);

/* The field of row s in c (c is a struct sw_config). */
void *sw_config_field(const struct sw_config_setting *s, void *c);

/* Write the value of s in the config c as the file would give it ("30", "0.5", "true",
 * "\"acme\"", "[3 entries]"; a secret as "(secret)"). */
void sw_config_value_text(const struct sw_config_setting *s, const void *c, char *buf, size_t size);

/* One row of the reference tables in docs/configuration.md, as the schema says it. */
struct sw_config_doc_row {
        char type[24];                    /* "int", "float", "bool", "string", ... */
        char def[SW_CONFIG_VALUE_SIZE];   /* "`30`", "`\"retail\"`", "absent" (optional group) */
        char range[SW_CONFIG_VALUE_SIZE]; /* "1..65535", "(0, 0.5)", the format, or "" */
        const char *unit;                 /* "" or the unit */
        const char *reload;               /* "live" or "restart" */
        const char *doc;                  /* the one-line doc the meaning starts with */
};

/* The reference row of s (defaults from sw_config_defaults()). */
void sw_config_doc_row(const struct sw_config_setting *s, struct sw_config_doc_row *ret);

#endif
