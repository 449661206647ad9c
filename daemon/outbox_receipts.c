/* End-to-end receipts (PROTOCOL 1.1): HQ's receipts delete the outbox rows they cover; rows
 * that waited too long for one go again, same id and rev. */
#include "daemon/outbox.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "platform/log.h"

#define RECEIPT_CHECK_MIN_MS 1000u  /* look for rows due to be resent at most this often */
#define RECEIPT_CHECK_MAX_MS 60000u /* and at least this often */
#define RECEIPT_REV_MAX      ((double)INT64_MAX / 2)
/* An acknowledgement stamped this far ahead of the clock (s): the clock was set back since. */
#define RECEIPT_CLOCK_SLACK_S 60

void sw_outbox_receipts_enable(struct sw_outbox *ob, uint32_t resend_after_s)
{
        ob->receipts.enabled = true;
        ob->receipts.resend_after_s = resend_after_s ? resend_after_s : 1;
        ob->receipts.next_check_ms = 0;
}

/* One entry {"id":"...","rev":N}: 0 and its fields, or -EBADMSG. */
static int receipt_entry(const cJSON *e, const char **ret_id, int64_t *ret_rev)
{
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
        const cJSON *rev = cJSON_GetObjectItemCaseSensitive(e, "rev");
        if (!cJSON_IsString(id) || !id->valuestring[0] || !cJSON_IsNumber(rev))
                return -EBADMSG;
        double v = rev->valuedouble;
        if (!(v >= 1 && v <= RECEIPT_REV_MAX) || floor(v) != v)
                return -EBADMSG;
        *ret_id = id->valuestring;
        *ret_rev = (int64_t)v;
        return 0;
}

/* Every entry is checked before any is applied: a malformed message changes nothing. */
static int receipt_check(const cJSON *ids)
{
        const cJSON *e;
        const char *id;
        int64_t rev;
        if (!cJSON_IsArray(ids))
                return -EBADMSG;
        cJSON_ArrayForEach(e, ids) if (receipt_entry(e, &id, &rev) < 0) return -EBADMSG;
        return 0;
}

static int receipt_apply(struct sw_outbox *ob, const cJSON *ids)
{
        const cJSON *e;
        const char *id;
        int64_t rev;
        int taken = 0;
        cJSON_ArrayForEach(e, ids)
        {
                (void)receipt_entry(e, &id, &rev);
                int r = ob->store.receipt(ob->store.ctx, id, rev);
                if (r < 0) {
                        sw_log_warning("Outbox: cannot apply the receipt for %s: %s", id,
                                       strerror(-r));
                        return r;
                }
                if (r == 0)
                        ob->receipts.unknown++;
                ob->receipts.confirmed += (uint64_t)r;
                taken++;
        }
        return taken;
}

int sw_outbox_on_receipt(struct sw_outbox *ob, const void *payload, size_t len, bool retained)
{
        if (!ob->receipts.enabled)
                return 0; /* not asked for (v1): a PUBACK ends a row */
        if (retained) {
                /* HQ publishes receipts unretained; a retained one is someone else's, or stale
                 * (it would come back at every subscribe). Ignoring it costs a resend at most. */
                ob->receipts.retained++;
                return -EPERM;
        }
        cJSON *o = cJSON_ParseWithLength(payload, len);
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "ids");
        int r = cJSON_IsObject(o) ? receipt_check(ids) : -EBADMSG;
        if (r == 0) {
                ob->receipts.received++;
                r = receipt_apply(ob, ids);
        } else {
                ob->receipts.malformed++;
        }
        cJSON_Delete(o);
        return r;
}

static uint64_t check_interval_ms(const struct sw_outbox *ob)
{
        uint64_t ms = (uint64_t)ob->receipts.resend_after_s * 1000u / 4u;
        if (ms < RECEIPT_CHECK_MIN_MS)
                return RECEIPT_CHECK_MIN_MS;
        return ms > RECEIPT_CHECK_MAX_MS ? RECEIPT_CHECK_MAX_MS : ms;
}

void sw_outbox_resend_due(struct sw_outbox *ob, int64_t now, uint64_t now_ms)
{
        int64_t first = 0;
        bool leftovers = !ob->receipts.enabled; /* rows a run with receipts on left waiting */
        if (now_ms < ob->receipts.next_check_ms)
                return;
        /* With receipts off, no receipt will ever come: rows awaiting one go again, once (at
         * the first look), and their PUBACK ends them (v1), rather than staying for good. */
        ob->receipts.next_check_ms = leftovers ? UINT64_MAX : now_ms + check_interval_ms(ob);
        /* A row stamped more than RECEIPT_CLOCK_SLACK_S ahead of now was acknowledged before the
         * clock was set back: due now, not after the step as well. */
        int r = ob->store.requeue(
            ob->store.ctx, leftovers ? INT64_MAX : now - (int64_t)ob->receipts.resend_after_s,
            leftovers ? INT64_MAX : now + RECEIPT_CLOCK_SLACK_S, &first);
        if (r < 0 && leftovers)
                ob->receipts.next_check_ms = now_ms + RECEIPT_CHECK_MAX_MS; /* try again */
        if (r < 0) {
                sw_log_warning("Outbox: cannot look for rows without a receipt: %s", strerror(-r));
                return;
        }
        if (r == 0)
                return;
        /* They go again from the first of them, after what is in flight. */
        ob->receipts.resent += (uint64_t)r;
        if (ob->cursor >= first)
                ob->cursor = first - 1;
        ob->more = true;
        if (leftovers)
                sw_log_notice("Outbox: %d row(s) were awaiting a receipt from HQ, which is off "
                              "now (hq_receipts.enabled): sending them again without",
                              r);
        else
                sw_log_notice("Outbox: %d row(s) had no receipt from HQ within %u s, sending "
                              "them again",
                              r, ob->receipts.resend_after_s);
}

uint64_t sw_outbox_next_receipt_check_ms(const struct sw_outbox *ob)
{
        return ob->receipts.enabled ? ob->receipts.next_check_ms : UINT64_MAX;
}
