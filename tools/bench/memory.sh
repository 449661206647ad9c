#!/usr/bin/env bash
# Memory benchmark: the daemon's RSS holding SKUS x DAYS after a warm-up (state restored, one
# full detect, one pass of traffic over every SKU), then after a soak of MESSAGES more device
# messages (POS, every 10th a shelf reading) spread over the same SKUs. Goals: <= 32 MB after
# warm-up, growth < 1% over the soak. Runs are fresh daemons on the same generated database.
# Usage: tools/bench/memory.sh [BUILD_DIR] [--smoke] [--runs N] [--skus N] [--messages N]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build runs=5 skus=100000 days=56 messages=1000000
while (($#)); do
        case "$1" in
        --smoke) runs=1 skus=5000 messages=20000 ;;
        --runs) runs=$2; shift ;;
        --skus) skus=$2; shift ;;
        --messages) messages=$2; shift ;;
        *) build=$1 ;;
        esac
        shift
done
tmp=$(mktemp -d)
. tools/bench/bench_lib.sh
trap 'bench_cleanup; rm -rf "$tmp"' EXIT
bench_broker
"$build/bench_state_gen" "$tmp/gen.db" "$skus" "$days" > /dev/null
wait_accepted() { # N: until health reports N POS messages accepted
        local a
        while :; do a=$(bench_accepted_pos 120); [ -n "$a" ] && [ "$a" -ge "$1" ] && return 0; sleep 0.2; done
}
echo "memory: $skus SKUs x $days days, soak $messages messages, $runs runs, load $(bench_load)"
printf '%-4s %14s %14s %14s %10s\n' run "warm RSS KiB" "soak RSS KiB" "peak KiB" "growth %"
ws=() ss=() gs=()
for i in $(seq "$runs"); do
        cp "$tmp/gen.db" "$tmp/sw.db"; rm -f "$tmp/sw.db-wal" "$tmp/sw.db-shm"
        bench_daemon "limits: { max_skus = $skus; history_days = $days; $(bench_limits) };" "storage: { path = \"$tmp/sw.db\"; };"
        mosquitto_rr -p "$bench_port" -t "$bench_prefix/cmd/detect" -e bench/r -m '{}' -W 600 > /dev/null
        warm=$((skus / 5 > 2000 ? skus / 5 : 2000)) # 5 lines a message: every SKU about once
        "$build/loadgen" -p "$bench_port" --messages "$warm" --skus "$skus" --shelf-every 10 --run "w$i-$$" > /dev/null
        wait_accepted $((warm - warm / 10))
        sleep 1.5 # a group commit
        w=$(bench_kib "$bench_daemon_pid" VmRSS)
        "$build/loadgen" -p "$bench_port" --messages "$messages" --skus "$skus" --shelf-every 10 --run "s$i-$$" > /dev/null
        wait_accepted $((warm - warm / 10 + messages - messages / 10))
        sleep 1.5
        s=$(bench_kib "$bench_daemon_pid" VmRSS)
        hwm=$(bench_kib "$bench_daemon_pid" VmHWM)
        bench_stop "$bench_daemon_pid"
        g=$(echo "100 * ($s - $w) / $w" | bc -l)
        ws+=("$w") ss+=("$s") gs+=("$g")
        printf '%-4s %14s %14s %14s %10.3f\n' "$i" "$w" "$s" "$hwm" "$g"
done
printf '%-4s %14s %14s %14s %10.3f\n' median "$(bench_median "${ws[@]}")" "$(bench_median "${ss[@]}")" "" \
        "$(bench_median "${gs[@]}")"
echo "goals: warm RSS <= 32768 KiB, growth < 1%; load $(bench_load)"
