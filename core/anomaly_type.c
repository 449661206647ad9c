/* The anomaly types, one descriptor each: names, codes, actions, evidence, metrics, texts. */
#include "core/anomaly_type.h"

#include <errno.h>
#include <stdio.h>

static const struct sw_anomaly_type_desc types[SW_ANOMALY_TYPE_COUNT] = {
    [SW_ANOMALY_GHOST_STOCK] = {.name = "ghost_stock",
                                .code = "gs",
                                .action = SW_ACTION_CYCLE_COUNT,
                                .evidence = SW_EVIDENCE_GHOST,
                                .counted = true,
                                .recovers_value = true,
                                .prevents_stockout = true,
                                .summary_value = true,
                                .cleared_text = "Cleared: sales resumed",
                                .cleared_on_empty_book = true},
    [SW_ANOMALY_ML_DETECTED] = {.name = "ml_detected",
                                .code = "ml",
                                .action = SW_ACTION_INVESTIGATE,
                                .evidence = SW_EVIDENCE_ML,
                                .dismissal_quiets = true,
                                .cleared_text = "Cleared: the SKU's days no longer stand out",
                                .cleared_on_empty_book = true},
    [SW_ANOMALY_SHELF_OUT] = {.name = "shelf_out",
                              .code = "so",
                              .action = SW_ACTION_CHECK_SHELF,
                              .evidence = SW_EVIDENCE_STOCK,
                              .prevents_stockout = true,
                              .cleared_text = "Cleared: shelf reads %d units",
                              .cleared_shows = SW_CLEARED_SHOWS_SHELF,
                              .cleared_on_empty_book = true},
    [SW_ANOMALY_INVENTORY_DISCREPANCY] = {.name = "inventory_discrepancy",
                                          .code = "id",
                                          .action = SW_ACTION_CYCLE_COUNT,
                                          .evidence = SW_EVIDENCE_STOCK,
                                          .stock_kind = true,
                                          .counted = true,
                                          .count_absolute = true,
                                          .recovers_value = true,
                                          .cleared_text =
                                              "Cleared: book (%d) and shelf agree again",
                                          .cleared_shows = SW_CLEARED_SHOWS_BOOK},
};

const struct sw_anomaly_type_desc *sw_anomaly_type_desc(enum sw_anomaly_type type)
{
        return (unsigned)type < SW_ANOMALY_TYPE_COUNT ? &types[type] : NULL;
}

int sw_anomaly_cleared_text(enum sw_anomaly_type type, const struct sw_cleared_facts *f, char *buf,
                            size_t size)
{
        const struct sw_anomaly_type_desc *t = sw_anomaly_type_desc(type);
        if (!t || !f)
                return -EINVAL;
        if (t->cleared_on_empty_book && f->on_hand <= 0)
                return snprintf(buf, size, "Cleared: book on-hand is now %d", f->on_hand);
        /* The format is the descriptor's own constant: never text from outside. */
        int shown = t->cleared_shows == SW_CLEARED_SHOWS_BOOK    ? f->on_hand
                    : t->cleared_shows == SW_CLEARED_SHOWS_SHELF ? f->shelf_count
                                                                 : 0;
        return snprintf(buf, size, t->cleared_text, shown);
}

int sw_anomaly_type_list(char *buf, size_t size, const char *sep, const char *last)
{
        size_t n = 0;
        if (size > 0)
                buf[0] = '\0';
        for (int k = 0; k < SW_ANOMALY_TYPE_COUNT; k++) {
                const char *before = k == 0 ? "" : k == SW_ANOMALY_TYPE_COUNT - 1 ? last : sep;
                int r = snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, "%s%s",
                                 before, types[k].name);
                if (r < 0)
                        return r;
                n += (size_t)r;
        }
        return (int)n;
}
