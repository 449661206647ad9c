/* The reload policy: which changed settings wait for a restart, from the schema's flag. */
#include <string.h>

#include "platform/config_internal.h"

/* Whether the field of s differs between old and next (strings up to their end only). */
static bool config__differs(const struct sw_config_setting *s, const struct sw_config *old,
                            const struct sw_config *next)
{
        const void *a = (const char *)old + s->offset, *b = (const char *)next + s->offset;

        if (s->kind == SW_CONFIG_STRING)
                return strcmp(a, b) != 0;
        return memcmp(a, b, s->size) != 0;
}

/* Put old's field of s back into next. */
static void config__keep(const struct sw_config_setting *s, const struct sw_config *old,
                         struct sw_config *next)
{
        memcpy((char *)next + s->offset, (const char *)old + s->offset, s->size);
}

static bool config__flag(const struct sw_config_setting *s, const struct sw_config *c)
{
        return *(const bool *)((const char *)c + s->flag_offset);
}

/* Whether s lies inside group g (its name starts with "<g>."). */
static bool config__inside(const struct sw_config_setting *s, const struct sw_config_setting *g)
{
        size_t n = strlen(g->name);

        return strncmp(s->name, g->name, n) == 0 && s->name[n] == '.';
}

unsigned sw_config_keep_restart_settings(const struct sw_config *old, struct sw_config *next,
                                         void (*kept)(void *ctx, const char *name,
                                                      const char *what),
                                         void *ctx)
{
        const struct sw_config_setting *skip = NULL; /* an optional group kept whole */
        unsigned n = 0;

        for (const struct sw_config_setting *s = sw_config_schema; s->name; s++) {
                if (skip && config__inside(s, skip))
                        continue;
                skip = NULL;
                if (!s->restart)
                        continue;
                if (s->kind == SW_CONFIG_GROUP) {
                        bool was = config__flag(s, old), is = config__flag(s, next);
                        if (was == is && was)
                                continue; /* given both times: its settings one by one */
                        if (was != is) {
                                kept(ctx, s->name,
                                     was ? "removing the section" : "adding the section");
                                n++;
                        }
                        /* Absent both times: its values are not in use, keep them quietly. */
                        config__keep(s, old, next);
                        *(bool *)((char *)next + s->flag_offset) = was;
                        skip = s;
                } else if (config__differs(s, old, next)) {
                        kept(ctx, s->name, NULL);
                        config__keep(s, old, next);
                        n++;
                }
        }
        return n;
}
