#!/usr/bin/env bash
# Ingest benchmark: POS lines/s shelfwatchd accepts and commits, end to end, against the rate at
# which a plain `mosquitto_sub -q 1` drains the same stream from the same broker (the transport
# limit). Both consumers are subscribed before tools/bench/loadgen starts publishing; a run's
# time is from the start of publishing until the consumer has everything (mosquitto_sub -C N
# exits; the daemon's health reports N more POS messages accepted: applied, and in the inbox,
# committed). The two alternate within each run; the ratio is taken per run, then the median.
# Usage: tools/bench/ingest.sh [BUILD_DIR] [--smoke] [--runs N] [--messages N] [--lines L]
#        [--skus S] [--conf LINE]...   (extra config lines for the daemon)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/bench_lib.sh
build=build
runs=5 messages=100000 lines=5 skus=1000 extra=()
bench_smoke() { runs=1 messages=3000; }
bench_args "$@"

bench_broker
bench_daemon "limits: { max_skus = $((skus > 1000 ? skus : 1000)); $(bench_limits) };" "${extra[@]}"
# Time only: this daemon has no other work; its own start-up is not in the figure.
loadgen() { "$build/loadgen" -p "$bench_port" --messages "$messages" --lines "$lines" --skus "$skus" "$@"; }

run_sub() {
        mosquitto_sub -p "$bench_port" -q 1 -t "retail/demo/sub1/pos/+" -C "$messages" > /dev/null &
        local sub=$!
        sleep 0.5 # subscribed
        local t0 t1
        t0=$(bench_now)
        loadgen --prefix retail/demo/sub1 --run "sub$1" > "$tmp/lg.out"
        wait "$sub"
        t1=$(bench_now)
        echo "$t0 $t1"
}

run_daemon() {
        local a0 a t0 t1
        a0=$(bench_accepted_pos)
        t0=$(bench_now)
        loadgen --run "d$1-$$" > "$tmp/lg.out" &
        local lg=$!
        while :; do
                a=$(bench_accepted_pos 60)
                [ -n "$a" ] && [ "$a" -ge $((a0 + messages)) ] && break
                kill -0 "$lg" 2>/dev/null || { wait "$lg" || { echo "loadgen failed" >&2; return 1; }; lg=0; }
                sleep 0.02
        done
        t1=$(bench_now)
        [ "$lg" = 0 ] || wait "$lg"
        echo "$t0 $t1"
}

total_lines=$((messages * lines))
echo "ingest: $messages POS messages x $lines lines ($total_lines lines) per run, $runs runs, load $(bench_load)"
printf '%-4s %14s %14s %14s %8s\n' run "sub lines/s" "daemon lines/s" "publish msg/s" ratio
subs=() ds=() ratios=()
for i in $(seq "$runs"); do
        if ((i % 2)); then
                read -r s0 s1 < <(run_sub "$i"); read -r d0 d1 < <(run_daemon "$i")
        else
                read -r d0 d1 < <(run_daemon "$i"); read -r s0 s1 < <(run_sub "$i")
        fi
        pub=$(grep -o 'msgs_per_s=[0-9]*' "$tmp/lg.out" | cut -d= -f2)
        s=$(echo "$total_lines / ($s1 - $s0)" | bc -l)
        d=$(echo "$total_lines / ($d1 - $d0)" | bc -l)
        r=$(echo "$d / $s" | bc -l)
        subs+=("$s") ds+=("$d") ratios+=("$r")
        printf '%-4s %14.0f %14.0f %14s %8.3f\n' "$i" "$s" "$d" "$pub" "$r"
done
printf '%-4s %14.0f %14.0f %14s %8.3f\n' median "$(bench_median "${subs[@]}")" "$(bench_median "${ds[@]}")" "" \
        "$(bench_median "${ratios[@]}")"
h=$(bench_health 5)
echo "daemon: rejected $(echo "$h" | grep -o '"rejected":{[^}]*}' | head -c 200); store_errors $(echo "$h" | grep -o '"store_errors":[0-9]*' | cut -d: -f2); RSS $(bench_kib "$bench_daemon_pid" VmRSS) KiB; load $(bench_load)"
if ! echo "$h" | grep -q '"store_errors":0'; then
        echo "store errors; daemon errors and warnings, first ones first:"
        grep -E '^<[0-4]>' "$tmp/daemon.log" | uniq -c | head -10
fi
