/* associates.c: simulated associates who cycle-count the daemon's ghost-stock list. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>

#include "storesim.h"

/*
 * Publish one cycle count on P/scanner/SIM_SCANNER/count and wait for its ack (then in
 * s->ack). Without an ack in --reply-timeout, or after a lost connection, the same count (same
 * id) is sent again, up to --retries times. 0, -ETIMEDOUT, or -EHOSTUNREACH.
 */
static int sim_send_count(struct sim *s, const char *id, const char *payload)
{
        char topic[SIM_TOPIC_MAX];
        snprintf(topic, sizeof(topic), "%s/scanner/%s/count", s->prefix, SIM_SCANNER);
        snprintf(s->ack_id, sizeof(s->ack_id), "%s", id);
        cJSON_Delete(s->ack);
        s->ack = NULL;
        for (unsigned attempt = 0; attempt <= s->opt.retries; attempt++) {
                int r = mosquitto_publish_v5(s->mosq, NULL, topic, (int)strlen(payload), payload, 1,
                                             false, NULL);
                if (r != MOSQ_ERR_SUCCESS) {
                        if (sim_pump(s, 0) == -EHOSTUNREACH)
                                return -EHOSTUNREACH;
                        continue;
                }
                s->published++;
                s->counts.messages++;
                for (int64_t until = sim_now_ms() + s->opt.reply_timeout_ms;
                     !s->ack && sim_now_ms() < until;) {
                        r = sim_pump(s, 100);
                        if (r == -EHOSTUNREACH)
                                return r;
                        if (r < 0)
                                break; /* reconnected: send it again */
                }
                if (s->ack)
                        break;
                if (!s->opt.quiet)
                        fprintf(stderr, "storesim: no ack for cycle count %s (attempt %u/%u)\n", id,
                                attempt + 1, s->opt.retries + 1);
        }
        s->ack_id[0] = '\0';
        return s->ack ? 0 : -ETIMEDOUT;
}

/* The ack's verdict: "true_positive", "false_positive" or "" (none), and its value_recovered,
 * -1 when it has none (the outcome may be a name or the P/outcome object). */
static const char *sim_ack_outcome(const cJSON *ack, double *ret_value)
{
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(ack, "outcome");
        const cJSON *v =
            cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(o) ? o : ack, "value_recovered");
        *ret_value = cJSON_IsNumber(v) ? v->valuedouble : -1.0;
        if (cJSON_IsObject(o))
                return sim_json_str(o, "outcome");
        return cJSON_IsString(o) ? o->valuestring : "";
}

/*
 * One associate's cycle count of SKU k for recommendation rec (rank 1..), store-local
 * count_delay_hours after closing on day: the true on-shelf quantity, in answer to the
 * recommended anomaly. When the daemon accepts it, the simulated book follows (book =
 * counted), a ghost on the SKU ends there, and the evening's reorder rule reacts the next day.
 */
static int sim_count_one(struct sim *s, sw_day_t day, const char *stem, unsigned n,
                         unsigned k_index, const cJSON *rec)
{
        struct sim_sku *k = &s->skus[k_index];
        const char *anomaly = sim_json_str(rec, "id");
        char id[200], ts[40], date[11], cat[32];
        int32_t book = k->book, counted = k->physical;
        bool ghost = k->ghost >= 0;
        double truth_value = ghost && book > counted ? (book - counted) * k->price : 0.0, value;
        if (sim_local_ts(day, SIM_CLOSE_SEC + 3600 * s->opt.count_delay_hours, ts, sizeof(ts)) < 0)
                return -EINVAL;
        snprintf(id, sizeof(id), "%s-c%u", stem, n);
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "id", id);
        cJSON_AddStringToObject(msg, "ts", ts);
        cJSON_AddStringToObject(msg, "sku", k->code);
        cJSON_AddNumberToObject(msg, "counted", counted);
        cJSON_AddStringToObject(msg, "anomaly", anomaly);
        cJSON_AddStringToObject(msg, "user", "associate");
        char *payload = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
        if (!payload)
                return -ENOMEM;
        int r = sim_send_count(s, id, payload);
        free(payload);
        if (r < 0)
                return r;
        s->counts.sent++;
        const char *status = sim_json_str(s->ack, "status");
        bool accepted = strcmp(status, "accepted") == 0;
        bool duplicate = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s->ack, "duplicate"));
        const char *verdict = sim_ack_outcome(s->ack, &value);
        s->counts.accepted += accepted;
        s->counts.rejected += !accepted;
        s->counts.duplicates += duplicate;
        if (accepted) {
                s->counts.truth_tp += ghost;
                s->counts.truth_fp += !ghost;
                s->counts.truth_value += truth_value;
                bool tp = strcmp(verdict, "true_positive") == 0;
                bool fp = strcmp(verdict, "false_positive") == 0;
                s->counts.daemon_tp += tp;
                s->counts.daemon_fp += fp;
                s->counts.no_outcome += !tp && !fp;
                s->counts.daemon_value += tp && value > 0.0 ? value : 0.0;
                s->counts.daemon_value_seen |= value >= 0.0;
                s->counts.agree += (tp && ghost) || (fp && !ghost);
                k->book = counted;
                if (ghost) { /* the count ends the ghost: the book now says the shelf is empty */
                        struct sim_episode *e = &s->eps[k->ghost];
                        e->end = day;
                        e->closed = true;
                        e->counted = true;
                        k->ghost = -1;
                        k->ghost_clear = day + SIM_ML_WINDOW_DAYS;
                        s->counts.ghosts_fixed++;
                }
        }
        if (s->counts_file) {
                cJSON *line = cJSON_CreateObject();
                sim_date(day, date);
                cJSON_AddStringToObject(line, "id", id);
                cJSON_AddStringToObject(line, "day", date);
                cJSON_AddStringToObject(line, "ts", ts);
                cJSON_AddStringToObject(line, "sku", k->code);
                cJSON_AddStringToObject(line, "category", sim_category(s, k->category, cat));
                cJSON_AddStringToObject(line, "anomaly", anomaly);
                cJSON_AddNumberToObject(line, "rank", sim_json_num(rec, "rank"));
                cJSON_AddNumberToObject(line, "book", book);
                cJSON_AddNumberToObject(line, "counted", counted);
                cJSON_AddNumberToObject(line, "price", k->price);
                cJSON_AddBoolToObject(line, "ghost", ghost);
                cJSON_AddNumberToObject(line, "value_truth", truth_value);
                cJSON_AddItemToObject(line, "ack", cJSON_Duplicate(s->ack, true));
                char *text = cJSON_PrintUnformatted(line);
                cJSON_Delete(line);
                if (!text)
                        return -ENOMEM;
                fprintf(s->counts_file, "%s\n", text);
                free(text);
        }
        if (s->opt.verbose) {
                sim_date(day, date);
                printf("[%s] count %s (%s): book %" PRId32 ", counted %" PRId32 ", %s -> %s %s\n",
                       date, k->code, anomaly, book, counted, ghost ? "ghost" : "no ghost", status,
                       verdict[0] ? verdict : "(no outcome)");
        }
        return 0;
}

/*
 * The associates' round after day's detect: ask for the ghost-stock recommendations (the top
 * --associates) and count each recommended SKU. Returns the counts made; -EPROTO,
 * -ETIMEDOUT, -ECONNRESET when the list could not be had (no count then); -ETIMEDOUT when a
 * count went unanswered; -EHOSTUNREACH, -ENOMEM.
 */
int sim_associates(struct sim *s, sw_day_t day)
{
        char date[11], corr[64], payload[40], stem[160];
        sim_date(day + 1, date);
        snprintf(corr, sizeof(corr), "ghost-stock-%s", date);
        snprintf(payload, sizeof(payload), "{\"limit\":%u}", s->opt.associates);
        int r = sim_command_payload(s, "ghost-stock", payload, corr);
        if (r < 0)
                return r;
        cJSON *recs = cJSON_DetachItemFromObjectCaseSensitive(s->reply, "recommendations"), *rec;
        if (!cJSON_IsArray(recs)) {
                cJSON_Delete(recs);
                return -EPROTO;
        }
        sim_date(day, date);
        snprintf(stem, sizeof(stem), "%s-s%u-%.4s%.2s%.2s", s->opt.store, s->opt.seed, date,
                 date + 5, date + 8);
        unsigned n = 0;
        cJSON_ArrayForEach(rec, recs)
        {
                if (n >= s->opt.associates)
                        break;
                int k = sim_sku_index(s, sim_json_str(rec, "sku"));
                const char *anomaly = sim_json_str(rec, "id");
                if (k < 0 || !anomaly[0])
                        continue; /* not one of ours */
                if ((r = sim_count_one(s, day, stem, ++n, (unsigned)k, rec)) < 0)
                        break;
        }
        cJSON_Delete(recs);
        s->counts.recommendations_empty += n == 0;
        return r < 0 ? r : (int)n;
}
