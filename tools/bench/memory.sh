#!/usr/bin/env bash
# Memory benchmark: the daemon's RSS holding SKUS x DAYS after a warm-up (state restored, one
# full detect, WARMUP messages of traffic: by default 5 lines x SKUS messages, every SKU about
# five times, so SQLite's page cache and malloc's arenas have reached their size), then after a
# soak of MESSAGES more device messages (POS, every 10th a shelf reading) spread over the same
# SKUs, with the RSS sampled every quarter of the soak. Goals: <= 32 MB after warm-up, growth
# < 1% over the soak. Runs are fresh daemons on the same generated database.
# Usage: tools/bench/memory.sh [BUILD_DIR] [--smoke] [--runs N] [--skus N] [--messages N]
#        [--warmup N]
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/bench_lib.sh
build=build runs=5 skus=100000 days=56 messages=1000000 warmup=
bench_smoke() { runs=1 skus=5000 messages=20000; }
bench_args "$@"
bench_broker
"$build/bench_state_gen" "$tmp/gen.db" "$skus" "$days" > /dev/null
rss_parts() { echo "$(bench_kib "$1" RssAnon)/$(bench_kib "$1" RssFile)/$(bench_kib "$1" RssShmem)"; }
wait_accepted() { # N: until health reports N POS messages accepted
        local a
        while :; do a=$(bench_accepted_pos 120); [ -n "$a" ] && [ "$a" -ge "$1" ] && return 0; sleep 0.2; done
}
warm=${warmup:-$((skus > 2000 ? skus : 2000))}
echo "memory: $skus SKUs x $days days, warm-up $warm messages, soak $messages messages, $runs runs, load $(bench_load)"
printf '%-4s %14s %14s %14s %10s  %s\n' run "warm RSS KiB" "soak RSS KiB" "peak KiB" "growth %" "RSS at each quarter of the soak"
ws=() ss=() gs=()
for i in $(seq "$runs"); do
        cp "$tmp/gen.db" "$tmp/sw.db"; rm -f "$tmp/sw.db-wal" "$tmp/sw.db-shm"
        bench_daemon "limits: { max_skus = $skus; history_days = $days; $(bench_limits) };" "storage: { path = \"$tmp/sw.db\"; };"
        mosquitto_rr -p "$bench_port" -t "$bench_prefix/cmd/detect" -e "$bench_prefix/reply/bench-$$" -m '{}' -W 600 > /dev/null
        "$build/loadgen" -p "$bench_port" --messages "$warm" --skus "$skus" --shelf-every 10 --run "w$i-$$" > /dev/null
        wait_accepted $((warm - warm / 10))
        sleep 1.5 # a group commit
        w=$(bench_kib "$bench_daemon_pid" VmRSS)
        parts0=$(rss_parts "$bench_daemon_pid")
        quarters=() done_pos=$((warm - warm / 10)) q=$((messages / 4))
        for k in 1 2 3 4; do
                n=$((k < 4 ? q : messages - 3 * q))
                "$build/loadgen" -p "$bench_port" --messages "$n" --skus "$skus" --shelf-every 10 --run "s$i-$k-$$" > /dev/null
                done_pos=$((done_pos + n - n / 10))
                wait_accepted "$done_pos"
                sleep 1.5
                quarters+=("$(bench_kib "$bench_daemon_pid" VmRSS)")
        done
        s=${quarters[3]}
        hwm=$(bench_kib "$bench_daemon_pid" VmHWM)
        parts1=$(rss_parts "$bench_daemon_pid")
        bench_stop "$bench_daemon_pid"
        g=$(echo "100 * ($s - $w) / $w" | bc -l)
        ws+=("$w") ss+=("$s") gs+=("$g")
        printf '%-4s %14s %14s %14s %10.3f  %s\n' "$i" "$w" "$s" "$hwm" "$g" "${quarters[*]}"
        echo "     anon/file/shmem KiB: warm $parts0, soak $parts1"
done
printf '%-4s %14s %14s %14s %10.3f\n' median "$(bench_median "${ws[@]}")" "$(bench_median "${ss[@]}")" "" \
        "$(bench_median "${gs[@]}")"
echo "goals: warm RSS <= 32768 KiB, growth < 1%; load $(bench_load)"
