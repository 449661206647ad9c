#!/usr/bin/env bash
# hq_ingest.sh: shelfwatch-hq + PostgreSQL against mosquitto_sub and against COPY (docs/benchmarks.md).
#
# Usage: tools/bench/hq_ingest.sh [BUILD_DIR] [--smoke] [--stores N]
#   --smoke   20 stores instead of 1,000 (CI: proves the benchmark runs, a few seconds)
# Method: N simulated stores (hq_loadgen: one MQTT client each) publish a day of anomalies,
# outcomes, summaries and status at QoS 1 into a private mosquitto while two persistent
# sessions are away: shelfwatch-hq's shared subscription and a mosquitto_sub one. Each then
# drains its own copy of the same queued stream from the same broker, timed: mosquitto_sub to
# /dev/null, and shelfwatch-hq until every message is committed (or refused) in a private
# PostgreSQL 15 (default settings but a unix socket only). Last, the rows it stored are written
# out and loaded with a plain COPY into empty tables of the same definition. Reports messages
# and rows per second of each, the ratios, and shelfwatch-hq's peak RSS (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build stores=1000
while (($#)); do
        case "$1" in
        --smoke) stores=20 ;;
        --stores) stores=$2; shift ;;
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
as_owner "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w start \
        -o "-p $pgport -k $tmp -c listen_addresses=''" >/dev/null
conninfo="host=$tmp port=$pgport user=postgres dbname=postgres"
psql_q() { psql -X -q -At -d "$conninfo" "$@"; }

bench_broker
cat >"$tmp/hq.conf" <<CONF
broker: { port = $bench_port; client_id = "hq-bench"; };
batch: { max_messages = ${HQ_BATCH:-500}; };
database: { conninfo = "$conninfo"; };
log: { stats_interval_s = 0; };
CONF
topics=()
for k in anomaly outcome summary status; do topics+=(-t "\$share/drain/retail/+/+/$k"); done
sub() { mosquitto_sub -p "$bench_port" -V 5 -q 1 -c -i drain-bench -x 3600 "${topics[@]}" "$@"; }

# 1. Both sessions subscribe, then go away (the broker keeps and queues for them).
"$build/shelfwatch-hq" -c "$tmp/hq.conf" run >>"$tmp/hq.log" 2>&1 &
hq=$!
for _ in $(seq 200); do grep -q "Connected to the broker" "$tmp/hq.log" && break; sleep 0.05; done
sleep 0.3
kill -TERM "$hq"; wait "$hq"
sub -E

# 2. The stores publish their day.
gen=$("$build/hq_loadgen" -p "$bench_port" -n "$stores")
messages=$(sed -n 's/.*messages=\([0-9]*\).*/\1/p' <<<"$gen")
echo "hq_ingest: $gen"

# 3. mosquitto_sub drains its copy.
t0=$(date +%s.%N)
sub -C "$messages" -W 600 >/dev/null
t1=$(date +%s.%N)
sub_s=$(echo "$t1 - $t0" | bc -l)

# 4. shelfwatch-hq drains its copy into PostgreSQL.
settled_sql="SELECT coalesce((SELECT (counters->>'rows_committed')::bigint
  + (counters->>'queue_overflows')::bigint
  + (counters->>'duplicates')::bigint + (counters->>'stale_revs')::bigint
  + (SELECT sum(value::bigint) FROM jsonb_each_text(counters->'bad'))
  FROM ingest_instance WHERE client_id = 'hq-bench'), 0)"
base=$(psql_q -c "$settled_sql")
t0=$(date +%s.%N)
"$build/shelfwatch-hq" -c "$tmp/hq.conf" run >>"$tmp/hq.log" 2>&1 &
hq=$!
bench_pids+=("$hq")
deadline=$((SECONDS + 1800))
while :; do
        settled=$(($(psql_q -c "$settled_sql") - base))
        ((settled >= messages)) && break
        ((SECONDS < deadline)) || { echo "hq_ingest: only $settled of $messages settled" >&2; tail "$tmp/hq.log" >&2; exit 1; }
        sleep 0.1
done
t1=$(date +%s.%N)
hq_s=$(echo "$t1 - $t0" | bc -l)
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$hq/status")
kill -TERM "$hq"; wait "$hq" || true
rows=$(psql_q -c "SELECT (counters->>'rows_committed')::bigint FROM ingest_instance WHERE client_id = 'hq-bench'")
bad=$(psql_q -c "SELECT (SELECT sum(value::bigint) FROM jsonb_each_text(counters->'bad')) FROM ingest_instance WHERE client_id = 'hq-bench'")
dropped=$(psql_q -c "SELECT (counters->>'queue_overflows')::bigint FROM ingest_instance WHERE client_id = 'hq-bench'")
receipts=$(psql_q -c "SELECT (counters->>'receipts_sent')::bigint || ' sent, ' || (counters->>'receipts_failed')::bigint || ' failed' FROM ingest_instance WHERE client_id = 'hq-bench'")

# 5. The same rows with a plain COPY into empty tables of the same definition.
tables=(anomaly outcome store_summary store_status status_history store)
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
t0=$(date +%s.%N)
psql_q -f "$tmp/import.sql" >/dev/null
t1=$(date +%s.%N)
copy_s=$(echo "$t1 - $t0" | bc -l)
copy_rows=0
for t in "${tables[@]}"; do copy_rows=$((copy_rows + $(psql_q -c "SELECT count(*) FROM copy_$t"))); done

rate() { echo "scale=0; $1 / $2" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
sub_rate=$(rate "$messages" "$sub_s")
hq_rate=$(rate "$messages" "$hq_s")
hq_rows_rate=$(rate "$rows" "$hq_s")
copy_rate=$(rate "$copy_rows" "$copy_s")
printf '\nhq_ingest: %d stores, %d messages (%s refused), %d CPUs\n' "$stores" "$messages" "$bad" "$(nproc)"
printf '%-34s %10s %12s %12s\n' "drain of the same queued stream" "seconds" "messages/s" "rows/s"
printf '%-34s %10.2f %12d %12s\n' "mosquitto_sub > /dev/null" "$sub_s" "$sub_rate" "-"
printf '%-34s %10.2f %12d %12d\n' "shelfwatch-hq + PostgreSQL" "$hq_s" "$hq_rate" "$hq_rows_rate"
printf '%-34s %10.2f %12s %12d\n' "COPY of the stored rows ($copy_rows)" "$copy_s" "-" "$copy_rate"
printf 'shelfwatch-hq / mosquitto_sub (messages/s): %s (goal >= 0.9)\n' "$(ratio "$hq_rate" "$sub_rate")"
printf 'shelfwatch-hq rows/s / COPY rows/s: %s\n' "$(ratio "$hq_rows_rate" "$copy_rate")"
printf 'shelfwatch-hq peak RSS: %d KiB; receipts %s\n' "$rss_kib" "$receipts"
((bad == 0 && dropped == 0)) || { echo "hq_ingest: $bad refused, $dropped dropped" >&2; exit 1; }
