/* Settings as text: a value as the file gives it, and a row of the reference documentation. */
#include <stdio.h>
#include <string.h>

#include "platform/config_internal.h"

static unsigned long long config__read_uint(const void *src, size_t size)
{
        uint16_t a;
        uint32_t b;
        uint64_t c;

        if (size == sizeof(a))
                return (memcpy(&a, src, sizeof(a)), a);
        if (size == sizeof(b))
                return (memcpy(&b, src, sizeof(b)), b);
        return (memcpy(&c, src, sizeof(c)), c);
}

/* A float as the reference writes it: "0.05", "14.0" (a whole number keeps its ".0"). */
static void config__double_text(double d, char *buf, size_t size)
{
        snprintf(buf, size, "%.15g", d);
        if (!strpbrk(buf, ".ein"))
                strncat(buf, ".0", size - strlen(buf) - 1);
}

void sw_config_value_text(const struct sw_config_setting *s, const void *c, char *buf, size_t size)
{
        const void *src = (const char *)c + s->offset;
        char text[SW_CONFIG_VALUE_SIZE];
        uint32_t n;

        switch (s->kind) {
        case SW_CONFIG_UINT:
                snprintf(buf, size, "%llu", config__read_uint(src, s->size));
                return;
        case SW_CONFIG_DOUBLE:
                config__double_text(*(const double *)src, buf, size);
                return;
        case SW_CONFIG_BOOL:
                snprintf(buf, size, "%s", *(const bool *)src ? "true" : "false");
                return;
        case SW_CONFIG_STRING:
                snprintf(buf, size, s->secret ? "(secret)" : "\"%s\"", (const char *)src);
                return;
        case SW_CONFIG_TEXT:
                s->print(src, text, sizeof(text));
                snprintf(buf, size, "\"%s\"", text);
                return;
        case SW_CONFIG_LIST:
                memcpy(&n, (const char *)c + s->count_offset, sizeof(n));
                snprintf(buf, size, n ? "[%u %s]" : "[]", (unsigned)n, s->item);
                return;
        case SW_CONFIG_GROUP:
                snprintf(buf, size, "{ ... }");
                return;
        }
}

static const char *config__type_name(const struct sw_config_setting *s)
{
        switch (s->kind) {
        case SW_CONFIG_UINT:
                return "int";
        case SW_CONFIG_DOUBLE:
                return "float";
        case SW_CONFIG_BOOL:
                return "bool";
        case SW_CONFIG_STRING:
        case SW_CONFIG_TEXT:
                return "string";
        case SW_CONFIG_LIST:
                return "list of strings";
        case SW_CONFIG_GROUP:
                break;
        }
        return "group";
}

/* "1..65535", "(0, 0.5)", "[0, 1)", the format, or "1..1023 characters". */
static void config__range_text(const struct sw_config_setting *s, char *buf, size_t size)
{
        char lo[32], hi[32];

        if (s->kind == SW_CONFIG_UINT) {
                snprintf(buf, size, "%lld..%lld", s->min, s->max);
        } else if (s->kind == SW_CONFIG_DOUBLE) {
                snprintf(lo, sizeof(lo), "%.15g", s->fmin);
                snprintf(hi, sizeof(hi), "%.15g", s->fmax);
                snprintf(buf, size, "%c%s, %s%c", s->fmin_open ? '(' : '[', lo, hi,
                         s->fmax_open ? ')' : ']');
        } else if (s->format) {
                snprintf(buf, size, "%s", s->format);
        } else if (s->kind == SW_CONFIG_STRING) {
                snprintf(buf, size, "%lld..%lld characters", s->min, s->max);
        } else {
                buf[0] = '\0';
        }
}

void sw_config_doc_row(const struct sw_config_setting *s, struct sw_config_doc_row *ret)
{
        static struct sw_config defaults; /* ~25 KB: off the stack */
        char value[SW_CONFIG_VALUE_SIZE];

        sw_config_defaults(&defaults);
        snprintf(ret->type, sizeof(ret->type), "%s", config__type_name(s));
        if (s->kind == SW_CONFIG_GROUP) {
                snprintf(ret->def, sizeof(ret->def), "%s", s->has_flag ? "absent" : "");
        } else if (s->kind == SW_CONFIG_STRING) { /* as written: a client id is derived */
                snprintf(ret->def, sizeof(ret->def), "`\"%s\"`", s->def_text);
        } else {
                sw_config_value_text(s, &defaults, value, sizeof(value));
                snprintf(ret->def, sizeof(ret->def), "`%.*s`", (int)sizeof(ret->def) - 3, value);
        }
        config__range_text(s, ret->range, sizeof(ret->range));
        ret->unit = s->unit ? s->unit : "";
        ret->reload = s->restart ? "restart" : "live";
        ret->doc = s->doc ? s->doc : "";
}
