#!/usr/bin/env bash
# hq_ingest.sh: shelfwatch-hq + PostgreSQL against mosquitto_sub and against COPY (docs/benchmarks.md).
#
# Usage: tools/bench/hq_ingest.sh [BUILD_DIR] [--smoke] [--stores N] [--runs N] [--sql-stats]
#   --smoke      20 stores, one run (CI: proves the benchmark runs, a few seconds)
#   --runs N     N rounds (default 3), each on a fresh database; reports each and the median
#   --sql-stats  load pg_stat_statements and print where PostgreSQL spent the last round's drain
# Environment: HQ_BENCH_CONF (more shelfwatch-hq settings, e.g. 'batch: { max_messages = 500; };';
# default: the shipped defaults), HQ_BENCH_PERF=FILE
# (perf record of the last round's shelfwatch-hq drain into FILE; HQ_BENCH_PERF_OPTS, default
# "-a -g -F 999", e.g. "-a --call-graph dwarf -F 499" for stacks through code without frame
# pointers).
#
# Method, each round: N simulated stores (hq_loadgen: one MQTT client each) publish a day of
# anomalies, outcomes, summaries and status at QoS 1 into a private mosquitto while two
# persistent sessions are away: shelfwatch-hq's shared subscription and a mosquitto_sub one.
# Each then drains its own copy of the same queued stream from the same broker, timed:
# mosquitto_sub to /dev/null, and shelfwatch-hq until every message is settled (committed, or
# made redundant by a newer one in the same commit, or refused) in a private PostgreSQL 15
# (default settings: fsync and synchronous_commit on; a unix socket only), per the counters it
# stores in each transaction (one persistent psql polls them every 20 ms). Last, the rows it
# stored are loaded with a plain COPY into empty tables of the same definition. Reported:
# messages and rows per second of each, the ratios, CPU seconds of the broker, the consumer
# and PostgreSQL during each drain, how busy the whole machine was (other users included), and
# shelfwatch-hq's peak RSS (VmHWM). The machine is shared: "CPU model" is the ratio the CPU
# seconds each drain's processes used would give with nothing else running (each drain takes
# the longer of its busiest process and all of them spread over every CPU), which other users'
# load distorts far less than the wall times.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build stores=1000 runs=3 sql_stats=
while (($#)); do
        case "$1" in
        --smoke) stores=20 runs=1 ;;
        --stores) stores=$2; shift ;;
        --runs) runs=$2; shift ;;
        --sql-stats) sql_stats=1 ;;
        *) build=$1 ;;
        esac
        shift
done
for t in shelfwatch-hq hq_loadgen; do
        [ -x "$build/$t" ] || { echo "hq_ingest.sh: $build/$t is missing; build first" >&2; exit 1; }
done
pgbin=/usr/lib/postgresql/15/bin
tmp=$(mktemp -d /tmp/sw-hqbench-XXXXXX)
chmod 0755 "$tmp"
source tools/bench/bench_lib.sh
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
cleanup() {
        bench_cleanup
        as_owner "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" # 1,000 clients: the broker and the generator need the descriptors

# PostgreSQL in $tmp, owned by nobody when run as root (it refuses root).
[ "$(id -u)" = 0 ] && chown nobody "$tmp"
pgport=$((40000 + RANDOM % 20000))
as_owner "$pgbin/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C >"$tmp/initdb.log" 2>&1
pg_opts="-p $pgport -k $tmp -c listen_addresses=''"
[ -z "$sql_stats" ] || pg_opts+=" -c shared_preload_libraries=pg_stat_statements"
as_owner "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w start -o "$pg_opts" >/dev/null
postmaster=$(head -1 "$tmp/data/postmaster.pid")
pg_conninfo() { echo "host=$tmp port=$pgport user=postgres dbname=$1"; }
psql_q() { psql -X -q -At -d "$(pg_conninfo "${db:-postgres}")" "$@"; }

bench_broker
mkfifo "$tmp/nap"
exec {nap}<>"$tmp/nap" # read -t on it: a sleep without a process

# CPU time in clock ticks: of one process; of PostgreSQL (the postmaster, its reaped children
# and its live ones); of the whole machine (busy, idle).
tick=$(getconf CLK_TCK)
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
        local total c
        total=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat")
        for c in $(pgrep -P "$postmaster"); do total=$((total + $(proc_ticks "$c"))); done
        echo "$total"
}
# "busy total" of the whole machine (steal counts as busy: another guest had the CPU).
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# busy seconds "of" total seconds since the "busy total" pair in $1 $2
machine_since() {
        local now
        read -r -a now <<<"$(machine_ticks)"
        printf '%s of %s' "$(secs $((now[0] - $1)))" "$(secs $((now[1] - $2)))"
}
secs() { printf '%.2f' "$(echo "$1 / $tick" | bc -l)"; }

# The messages settled per the counters the instance stores with every commit.
settled_sql() {
        echo "SELECT coalesce((SELECT (counters->>'rows_committed')::bigint
  + (counters->>'queue_overflows')::bigint + (counters->>'duplicates')::bigint
  + (counters->>'stale_revs')::bigint
  + (SELECT sum(value::bigint) FROM jsonb_each_text(counters->'bad'))
  FROM ingest_instance WHERE client_id = '$1'), 0);" | tr '\n' ' '
}
counter() { psql_q -c "SELECT coalesce((counters #>> '{$2}')::bigint, 0) FROM ingest_instance WHERE client_id = '$1'"; }

rate() { echo "scale=0; $1 / $2" | bc -l; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
declare -a R_SUB R_HQ R_HQROWS R_COPY R_RATIO R_COPYRATIO R_RSS R_MODEL R_OTHERS
# The wall time a drain would take on this machine's CPUs with nothing else running, from the
# CPU seconds its processes used: the busiest one, or all of them spread over every CPU.
cpu_bound() { echo "$@" | awk -v n="$(nproc)" '{s = 0; m = 0; for (i = 1; i <= NF; i++) {s += $i; if ($i > m) m = $i}; b = s / n; printf "%.3f", (b > m ? b : m)}'; }

# round N: one publish, both drains, the COPY. Appends to the R_* arrays.
round() {
        local r=$1 id="hq-bench-$1" sub_id="drain-$1" gen messages t0 t1 hq
        db="bench$r"
        psql -X -q -At -d "$(pg_conninfo postgres)" -c "CREATE DATABASE $db" >/dev/null
        cat >"$tmp/hq.conf" <<CONF
broker: { port = $bench_port; client_id = "$id"; };
topics: { share_group = "hq$r"; };
database: { conninfo = "$(pg_conninfo "$db")"; };
log: { stats_interval_s = 0; };
CONF
        [ -z "${HQ_BENCH_CONF:-}" ] || echo "$HQ_BENCH_CONF" >>"$tmp/hq.conf"
        local topics=()
        for k in anomaly outcome summary status; do topics+=(-t "\$share/drain$r/retail/+/+/$k"); done
        sub() { mosquitto_sub -p "$bench_port" -V 5 -q 1 -c -i "$sub_id" -x 3600 "${topics[@]}" "$@"; }

        # 1. Both sessions subscribe, then go away (the broker keeps and queues for them).
        "$build/shelfwatch-hq" -c "$tmp/hq.conf" run >>"$tmp/hq.log" 2>&1 &
        hq=$!
        for _ in $(seq 200); do (($(grep -c "as $id\$" "$tmp/hq.log") > 0)) && break; sleep 0.05; done
        sleep 0.3
        kill -TERM "$hq"; wait "$hq"
        sub -E

        # 2. The stores publish their day.
        gen=$("$build/hq_loadgen" -p "$bench_port" -n "$stores")
        messages=$(sed -n 's/.*messages=\([0-9]*\).*/\1/p' <<<"$gen")
        sleep 1 # let the broker settle

        # 3. mosquitto_sub drains its copy.
        local b0 m0 cpu sub_s sub_cpu sub_broker sub_busy
        b0=$(proc_ticks "$bench_broker_pid")
        read -r -a m0 <<<"$(machine_ticks)"
        TIMEFORMAT="%U %S"
        t0=$(bench_now)
        cpu=$({ time sub -C "$messages" -W 600 >/dev/null; } 2>&1)
        t1=$(bench_now)
        sub_busy=$(machine_since "${m0[@]}")
        sub_busy_s=${sub_busy%% of*}
        sub_s=$(echo "$t1 - $t0" | bc -l)
        sub_cpu=$(echo "$cpu" | awk '{printf "%.2f", $1 + $2}')
        sub_broker=$(secs $(($(proc_ticks "$bench_broker_pid") - b0)))

        # 4. shelfwatch-hq drains its copy into PostgreSQL; one psql polls its counters.
        coproc PSQLC { psql -X -q -At -d "$(pg_conninfo "$db")" 2>&1; }
        local ask settled=0 deadline=$((SECONDS + 1800)) p0 h_s perf=""
        ask=$(settled_sql "$id")
        sleep 0.2
        if [ -n "${HQ_BENCH_PERF:-}" ] && ((r == runs)); then
                # shellcheck disable=SC2086 # options are words
                perf record ${HQ_BENCH_PERF_OPTS:--a -g -F 999} -o "$HQ_BENCH_PERF" >/dev/null 2>&1 &
                perf=$!
                sleep 0.5
        fi
        [ -z "$sql_stats" ] || psql_q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
        b0=$(proc_ticks "$bench_broker_pid") p0=$(pg_ticks)
        read -r -a m0 <<<"$(machine_ticks)"
        t0=$(bench_now)
        "$build/shelfwatch-hq" -c "$tmp/hq.conf" run >>"$tmp/hq.log" 2>&1 &
        hq=$!
        bench_pids+=("$hq")
        while ((settled < messages)); do
                ((SECONDS < deadline)) || { echo "hq_ingest: only $settled of $messages settled" >&2; tail "$tmp/hq.log" >&2; exit 1; }
                read -r -t 0.02 -u "$nap" || true
                printf '%s\n' "$ask" >&"${PSQLC[1]}"
                IFS= read -r settled <&"${PSQLC[0]}"
        done
        t1=$(bench_now)
        local hq_cpu hq_broker hq_pg hq_busy rss_kib
        hq_busy=$(machine_since "${m0[@]}")
        hq_busy_s=${hq_busy%% of*}
        hq_cpu=$(secs "$(proc_ticks "$hq")")
        hq_broker=$(secs $(($(proc_ticks "$bench_broker_pid") - b0)))
        hq_pg=$(secs $(($(pg_ticks) - p0)))
        h_s=$(echo "$t1 - $t0" | bc -l)
        rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$hq/status")
        [ -n "$perf" ] && { kill -INT "$perf"; wait "$perf" || true; }
        eval "exec ${PSQLC[1]}>&-"
        wait "$PSQLC_PID" 2>/dev/null || true
        kill -TERM "$hq"; wait "$hq" || true
        [ -z "$sql_stats" ] || psql_q -F ' | ' -c "SELECT calls, round(total_exec_time)::int AS ms,
                round(total_plan_time)::int AS plan_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 90)
                FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
                ORDER BY total_exec_time DESC LIMIT 12" | sed 's/^/  sql: /'
        local rows bad dropped receipts
        rows=$(counter "$id" rows_committed)
        bad=$(psql_q -c "SELECT coalesce((SELECT sum(value::bigint) FROM jsonb_each_text(counters->'bad')), 0) FROM ingest_instance WHERE client_id = '$id'")
        dropped=$(counter "$id" queue_overflows)
        receipts="$(counter "$id" receipts_sent) messages for $(counter "$id" receipt_ids) ids, $(counter "$id" receipts_failed) failed, $(counter "$id" receipt_ids_dropped) ids dropped; $(counter "$id" batches) batches, $(counter "$id" read_pauses) read pauses (queue full)"
        ((bad == 0 && dropped == 0)) || { echo "hq_ingest: $bad refused, $dropped dropped" >&2; exit 1; }

        # 5. The same rows with a plain COPY into empty tables of the same definition.
        local tables=(anomaly outcome store_summary store_status status_history store) t copy_s copy_rows=0
        {
                for t in "${tables[@]}"; do
                        echo "\\copy $t TO '$tmp/$t.copy'"
                        echo "CREATE TABLE copy_$t (LIKE $t INCLUDING ALL);"
                done
        } >"$tmp/export.sql"
        psql_q -f "$tmp/export.sql" >/dev/null
        {
                echo "BEGIN;"
                for t in "${tables[@]}"; do echo "\\copy copy_$t FROM '$tmp/$t.copy'"; done
                echo "COMMIT;"
        } >"$tmp/import.sql"
        t0=$(bench_now)
        psql_q -f "$tmp/import.sql" >/dev/null
        t1=$(bench_now)
        copy_s=$(echo "$t1 - $t0" | bc -l)
        for t in "${tables[@]}"; do copy_rows=$((copy_rows + $(psql_q -c "SELECT count(*) FROM copy_$t"))); done

        local sub_rate hq_rate hq_rows_rate copy_rate
        sub_rate=$(rate "$messages" "$sub_s")
        hq_rate=$(rate "$messages" "$h_s")
        hq_rows_rate=$(rate "$rows" "$h_s")
        copy_rate=$(rate "$copy_rows" "$copy_s")
        R_SUB+=("$sub_rate") R_HQ+=("$hq_rate") R_HQROWS+=("$hq_rows_rate") R_COPY+=("$copy_rate")
        R_RATIO+=("$(ratio "$hq_rate" "$sub_rate")") R_COPYRATIO+=("$(ratio "$hq_rows_rate" "$copy_rate")")
        R_RSS+=("$rss_kib")
        R_MODEL+=("$(ratio "$(cpu_bound "$sub_broker" "$sub_cpu")" "$(cpu_bound "$hq_broker" "$hq_cpu" "$hq_pg")")")
        # CPU seconds others used (other users, this script's own psql and tools) during each drain
        R_OTHERS+=("$(echo "$sub_busy_s - $sub_broker - $sub_cpu" | bc -l | xargs printf '%.2f')/$(echo "$hq_busy_s - $hq_broker - $hq_cpu - $hq_pg" | bc -l | xargs printf '%.2f')")
        printf '\nround %d: %d stores, %d messages (%d refused), %s; load %s\n' "$r" "$stores" "$messages" "$bad" "$gen" "$(bench_load)"
        printf '%-36s %8s %11s %9s   %s\n' "drain of the same queued stream" seconds messages/s rows/s "CPU s: broker, consumer, PostgreSQL; machine busy"
        printf '%-36s %8.2f %11d %9s   %s, %s, -; %s\n' "mosquitto_sub > /dev/null" "$sub_s" "$sub_rate" - \
                "$sub_broker" "$sub_cpu" "$sub_busy"
        printf '%-36s %8.2f %11d %9d   %s, %s, %s; %s\n' "shelfwatch-hq + PostgreSQL" "$h_s" "$hq_rate" "$hq_rows_rate" \
                "$hq_broker" "$hq_cpu" "$hq_pg" "$hq_busy"
        printf '%-36s %8.2f %11s %9d\n' "COPY of the stored rows ($copy_rows)" "$copy_s" - "$copy_rate"
        printf 'ratio to mosquitto_sub %s (CPU model %s; others used %s CPU s in the two drains), rows/s to COPY %s; peak RSS %d KiB\n' \
                "${R_RATIO[-1]}" "${R_MODEL[-1]}" "${R_OTHERS[-1]}" "${R_COPYRATIO[-1]}" "$rss_kib"
        printf 'receipts: %s\n' "$receipts"
        db=postgres
}

for r in $(seq "$runs"); do round "$r"; done
spread() { printf '%s (%s..%s)' "$(bench_median "$@")" "$(printf '%s\n' "$@" | sort -g | head -1)" "$(printf '%s\n' "$@" | sort -g | tail -1)"; }
printf '\nhq_ingest: %d round(s), %d stores, %d CPUs; median (min..max)\n' "$runs" "$stores" "$(nproc)"
printf 'mosquitto_sub messages/s:              %s\n' "$(spread "${R_SUB[@]}")"
printf 'shelfwatch-hq messages/s:              %s\n' "$(spread "${R_HQ[@]}")"
printf 'shelfwatch-hq rows/s:                  %s\n' "$(spread "${R_HQROWS[@]}")"
printf 'COPY rows/s:                           %s\n' "$(spread "${R_COPY[@]}")"
printf 'shelfwatch-hq / mosquitto_sub:         %s (goal >= 0.9)\n' "$(spread "${R_RATIO[@]}")"
printf '  the same, CPU model (nothing else):   %s\n' "$(spread "${R_MODEL[@]}")"
printf 'shelfwatch-hq rows/s / COPY rows/s:    %s\n' "$(spread "${R_COPYRATIO[@]}")"
printf 'shelfwatch-hq peak RSS KiB:            %s\n' "$(spread "${R_RSS[@]}")"
