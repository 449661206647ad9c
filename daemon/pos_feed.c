/* Whether the store's POS feed is heard: a store-wide health condition for HQ. */
#include "daemon/pos_feed.h"

void sw_pos_feed_init(struct sw_pos_feed *f, uint32_t silence_seconds, int64_t now)
{
        *f = (struct sw_pos_feed){
            .silence_seconds = silence_seconds, .watch_from = now, .newest_shortfall = SW_DAY_NONE};
}

bool sw_pos_feed_heard(struct sw_pos_feed *f, int64_t now)
{
        bool was = f->silent;
        f->last_pos_at = now;
        f->silent = false;
        return was;
}

bool sw_pos_feed_check(struct sw_pos_feed *f, const struct sw_store_calendar *cal, int64_t now)
{
        struct sw_local_time from, to;
        int64_t since = f->last_pos_at ? f->last_pos_at : f->watch_from;
        if (f->silence_seconds == 0 || f->silent)
                return false;
        if (cal->tz.to_local(cal->tz.ctx, since, &from) < 0 ||
            cal->tz.to_local(cal->tz.ctx, now, &to) < 0)
                return false;
        if (sw_calendar_open_seconds_between(cal, &from, &to) < f->silence_seconds)
                return false;
        f->silent = true;
        f->silent_since = now;
        f->silences++;
        return true;
}

bool sw_pos_feed_note_run(struct sw_pos_feed *f, const struct sw_detect_summary *s)
{
        f->window_shortfalls = s->store_shortfall_days;
        f->window_category_shortfalls = s->category_shortfall_days;
        if (s->newest_store_shortfall == SW_DAY_NONE ||
            (f->newest_shortfall != SW_DAY_NONE &&
             s->newest_store_shortfall <= f->newest_shortfall))
                return false;
        f->newest_shortfall = s->newest_store_shortfall;
        f->shortfalls++;
        return true;
}

const char *sw_pos_feed_state(const struct sw_pos_feed *f)
{
        if (f->silence_seconds == 0)
                return "off";
        return f->silent ? "silent" : "ok";
}
