/* main.c: storesim's entry point: set up, run the days, write the truth and the report. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "core/civil_time.h"
#include "storesim.h"

#define SIM_EXIT_FAIL      1
#define SIM_EXIT_USAGE     2
#define SIM_EXIT_NO_DAEMON 3
#define SIM_EXIT_NO_BROKER 4

/* The run's days: time zone, the replay's file, the first day and the calendar. What
 * --print-store-config needs; no random draw. */
static int sim_setup_days(struct sim *s)
{
        int r;
        setenv("TZ", s->opt.timezone, 1);
        tzset();
        if (s->opt.demand_path && (r = sim_load_demand(s)) < 0) {
                fprintf(stderr, "storesim: cannot read %s: %s\n", s->opt.demand_path,
                        r == -EBADMSG ? "not a demand file" : strerror(-r));
                return r;
        }
        if (s->opt.demand_path)
                s->opt.days = s->demand.days;
        if (!s->opt.has_start) {
                time_t now = time(NULL);
                struct tm lt;
                localtime_r(&now, &lt);
                sw_day_t today = sw_days_from_civil(lt.tm_year + 1900, (unsigned)lt.tm_mon + 1,
                                                    (unsigned)lt.tm_mday);
                s->opt.start = today - (sw_day_t)s->opt.days - 1;
        }
        if (s->opt.demand_path)
                sim_replay_window(s);
        return sim_init_calendar(s);
}

static int sim_setup(struct sim *s)
{
        char ident[128];
        snprintf(s->prefix, sizeof(s->prefix), "%s/%s/%s", s->opt.root, s->opt.tenant,
                 s->opt.store);
        /* The reply topic is private to this process; it does not affect the simulation. */
        snprintf(s->reply_topic, sizeof(s->reply_topic), "%s/reply/storesim-%ld-%" PRIx64,
                 s->prefix, (long)getpid(), (uint64_t)sim_now_ms());
        snprintf(s->ack_topic, sizeof(s->ack_topic), "%s/scanner/%s/ack", s->prefix, SIM_SCANNER);
        s->subs = s->opt.associates > 0 ? 3 : 2;
        snprintf(ident, sizeof(ident), "storesim-%.60s-%ld", s->opt.store, (long)getpid());
        sim_seed(&s->rng, s->opt.seed);
        sim_seed(&s->loss_rng, (uint64_t)s->opt.seed ^ 0x6c6f73736573ULL);
        sim_seed(&s->noise_rng, (uint64_t)s->opt.seed ^ 0x6e6f697365ULL);
        s->flags = calloc((size_t)s->opt.skus * s->opt.days, 1);
        if (!s->flags || sim_init_store(s) < 0 || sim_plan(s) < 0 || sim_plan_outages(s) < 0 ||
            sim_index_codes(s) < 0)
                return -ENOMEM;
        if (s->opt.traffic_path && !(s->traffic_file = fopen(s->opt.traffic_path, "w")))
                return -errno;
        if (s->ghost_plan.n == 0 && s->opt.min_ghosts > 0 && !s->opt.quiet)
                fprintf(stderr, "storesim: no ghost events: --days must exceed --warmup + 1\n");
        if (s->opt.anomalies_path && !(s->anomalies_file = fopen(s->opt.anomalies_path, "w")))
                return -errno;
        if (s->opt.features_path) {
                if (!(s->features_file = fopen(s->opt.features_path, "w")))
                        return -errno;
        }
        if (s->opt.counts_path && !(s->counts_file = fopen(s->opt.counts_path, "w")))
                return -errno;
        s->mosq = mosquitto_new(ident, true, s);
        if (!s->mosq)
                return -ENOMEM;
        mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        sim_set_callbacks(s->mosq);
        return 0;
}

static void sim_free(struct sim *s)
{
        sim_outbox_clear(s);
        if (s->mosq) {
                if (s->connected)
                        mosquitto_disconnect_v5(s->mosq, 0, NULL);
                mosquitto_destroy(s->mosq);
        }
        if (s->anomalies_file)
                fclose(s->anomalies_file);
        if (s->features_file)
                fclose(s->features_file);
        if (s->counts_file)
                fclose(s->counts_file);
        cJSON_Delete(s->reply);
        cJSON_Delete(s->ack);
        free(s->skus);
        free(s->ghost_plan.plans);
        free(s->ml_plan.plans);
        free(s->eps);
        free(s->lines);
        free(s->txns);
        free(s->out);
        free(s->anoms);
        free(s->flags);
        free(s->closed);
        free(s->day_factor);
        free(s->outages);
        free(s->by_code);
        sim_free_demand(&s->demand);
        if (s->traffic_file)
                fclose(s->traffic_file);
}

/* Run the days; returns an exit status. */
static int sim_run(struct sim *s)
{
        if (sim_connect(s, SIM_CONNECT_MS) < 0) {
                fprintf(stderr, "storesim: broker %s:%u unreachable\n", s->opt.host, s->opt.port);
                return SIM_EXIT_NO_BROKER;
        }
        for (unsigned d = 0; d < s->opt.days; d++) {
                sw_day_t day = s->opt.start + (sw_day_t)d;
                char date[11];
                if (sim_build_day(s, d) < 0) {
                        fprintf(stderr, "storesim: out of memory\n");
                        return SIM_EXIT_FAIL;
                }
                size_t msgs = s->n_out;
                int r = sim_deliver_day(s, day + 1);
                sim_outbox_clear(s);
                if (r == -EHOSTUNREACH) {
                        fprintf(stderr, "storesim: broker unreachable\n");
                        return SIM_EXIT_NO_BROKER;
                }
                if (r < 0) {
                        fprintf(stderr, "storesim: daemon never answered detect (%s)\n",
                                strerror(-r));
                        return r == -ETIMEDOUT ? SIM_EXIT_NO_DAEMON : SIM_EXIT_FAIL;
                }
                if (s->features_file && (r = sim_write_features(s, day + 1)) < 0) {
                        if (r == -EHOSTUNREACH || r == -ENOMEM) {
                                fprintf(stderr, "storesim: %s\n",
                                        r == -ENOMEM ? "out of memory" : "broker unreachable");
                                return r == -ENOMEM ? SIM_EXIT_FAIL : SIM_EXIT_NO_BROKER;
                        }
                        sim_date(day + 1, date);
                        const char *why = r == -ETIMEDOUT    ? "no answer in time"
                                          : r == -ECONNRESET ? "lost the broker"
                                          : r == -EBADMSG    ? "unexpected reply"
                                          : r == -EPROTO     ? s->reply_text
                                                             : strerror(-r);
                        fprintf(stderr, "storesim: ml-features as_of %s: %s, skipping that day\n",
                                date, why);
                        s->feature_days_skipped++;
                }
                int counted = 0;
                if (s->opt.associates > 0 && !sim_closed(s, day) &&
                    (counted = sim_associates(s, day)) < 0) {
                        if (counted == -EHOSTUNREACH || counted == -ENOMEM) {
                                fprintf(stderr, "storesim: %s\n",
                                        counted == -ENOMEM ? "out of memory"
                                                           : "broker unreachable");
                                return counted == -ENOMEM ? SIM_EXIT_FAIL : SIM_EXIT_NO_BROKER;
                        }
                        sim_date(day + 1, date);
                        fprintf(stderr, "storesim: associates after detect %s: %s\n", date,
                                counted == -ETIMEDOUT    ? "no answer in time"
                                : counted == -ECONNRESET ? "lost the broker"
                                : counted == -EPROTO     ? s->reply_text
                                                         : strerror(-counted));
                        counted = 0;
                }
                if (!s->opt.quiet) {
                        unsigned ghosts = 0, ml = 0;
                        for (unsigned i = 0; i < s->opt.skus; i++) {
                                ghosts += s->skus[i].ghost >= 0;
                                ml += s->skus[i].ml >= 0;
                        }
                        sim_date(day, date);
                        printf("day %u/%u %s: %zu messages, %zu transactions, %u ghosts active, "
                               "%u ML events active, detect ok",
                               d + 1, s->opt.days, date, msgs, s->n_txns, ghosts, ml);
                        if (s->opt.associates > 0)
                                printf(", %d counts", counted);
                        printf("\n");
                        fflush(stdout);
                }
                for (int64_t until = sim_now_ms() + s->opt.sleep_ms; sim_now_ms() < until;)
                        if (sim_pump(s, 50) == -EHOSTUNREACH)
                                return SIM_EXIT_NO_BROKER;
        }
        for (int64_t until = sim_now_ms() + s->opt.drain_ms; sim_now_ms() < until;)
                if (sim_pump(s, 50) == -EHOSTUNREACH)
                        break;
        return 0;
}

int main(int argc, char **argv)
{
        struct sim s = {0};
        if (sim_parse_args(&s.opt, argc, argv) < 0) {
                fprintf(stderr, "Try 'storesim --help'.\n");
                return SIM_EXIT_USAGE;
        }
        if (s.opt.help) {
                sim_usage(stdout);
                return 0;
        }
        if (s.opt.print_store_config) {
                int r = sim_setup_days(&s);
                if (r == 0 && sim_print_store_config(&s, stdout) == -ENOSPC)
                        fprintf(stderr, "storesim: more than %d closed days\n", SIM_MAX_HOLIDAYS);
                sim_free(&s);
                return r < 0 ? SIM_EXIT_FAIL : 0;
        }
        mosquitto_lib_init();
        int status, r = sim_setup_days(&s);
        r = r < 0 ? r : sim_setup(&s);
        if (r < 0)
                fprintf(stderr, "storesim: setup failed: %s\n", strerror(-r));
        status = r < 0 ? SIM_EXIT_FAIL : sim_run(&s);
        if (s.opt.truth_path && s.skus && sim_write_truth(&s, s.opt.truth_path) < 0) {
                fprintf(stderr, "storesim: cannot write %s\n", s.opt.truth_path);
                status = status ? status : SIM_EXIT_FAIL;
        }
        if (s.skus && (status == 0 || status == SIM_EXIT_NO_DAEMON)) {
                cJSON *report = sim_score(&s);
                char *text = cJSON_Print(report);
                FILE *f = s.opt.report_path ? fopen(s.opt.report_path, "w") : NULL;
                if (s.opt.report_path && (!f || !text || fprintf(f, "%s\n", text) < 0)) {
                        fprintf(stderr, "storesim: cannot write %s\n", s.opt.report_path);
                        status = status ? status : SIM_EXIT_FAIL;
                }
                if (f)
                        fclose(f);
                free(text);
                cJSON_Delete(report);
        }
        if (s.features_file) {
                bool bad = ferror(s.features_file) != 0;
                if (fclose(s.features_file) != 0 || bad) {
                        fprintf(stderr, "storesim: cannot write %s\n", s.opt.features_path);
                        status = status ? status : SIM_EXIT_FAIL;
                } else if (!s.opt.quiet) {
                        printf("features: %lu rows (%lu labelled 1), %u days skipped, in %s\n",
                               s.feature_rows, s.feature_positives, s.feature_days_skipped,
                               s.opt.features_path);
                }
                s.features_file = NULL;
        }
        sim_free(&s);
        mosquitto_lib_cleanup();
        return status;
}
