#!/usr/bin/env bash
# payload-capture.sh: record every payload shelfwatchd publishes during the demo's store and
# a detect benchmark run, wall-clock fields masked, so that two builds can be diffed byte for byte.
#
# Usage: tools/payload-capture.sh BUILD_DIR OUT_DIR [--skus N] [--days N] [--seed N]
#        tools/payload-capture.sh --diff OUT_A OUT_B [--ignore REGEX]
# BUILD_DIR holds shelfwatchd, storesim and bench_state_gen (built beforehand). OUT_DIR receives
# demo.txt and detect.txt: one line a publish, `topic payload` as mosquitto_sub -v prints it,
# grouped by topic, in the order the daemon sent them within each topic. Captured: P/anomaly,
# P/outcome, P/summary, P/status, P/scanner/+/ack and P/reply/# (command replies). Masked (they
# read the wall clock): detected_at, ts, started_at, at, last_run, trained_at, silent_since,
# last_pos_at, updated_at, oldest_awaiting_since (RFC 3339 times), response_hours (now
# minus detected_at), uptime_s, and the outbox's ages and depth in health (oldest_age_s,
# oldest_receipt_wait_s, oldest_awaiting_s, depth: they follow the broker's timing).
# --diff compares two captures and exits 1 on a change; --ignore leaves out the lines of both
# that match an extended regex (a change made on purpose), and says how many.
# The demo part is the store of tools/demo.sh (300 SKUs, DAYS days, four associates counting
# every evening); the detect part is tools/bench/detect.sh's data (SKUS x 56 days) and one
# detect request. Everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --diff ]]; then
        status=0 ignore=${5:-'^$'}
        [[ ${4:-} == --ignore || -z ${4:-} ]] || { echo "usage: --diff A B [--ignore REGEX]" >&2; exit 2; }
        for part in demo detect; do
                a=$(grep -Ev -- "$ignore" "$2/$part.txt" || true)
                b=$(grep -Ev -- "$ignore" "$3/$part.txt" || true)
                left=$(($(wc -l < "$2/$part.txt") - $(printf '%s' "$a" | grep -c '^' || true)))
                if [[ $a == "$b" ]]; then
                        echo "$part: identical ($(printf '%s\n' "$a" | wc -l) payloads; $left left out by --ignore)"
                else
                        echo "$part: DIFFERENT"
                        diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -40 || true
                        status=1
                fi
        done
        exit "$status"
fi

build=${1:?usage: payload-capture.sh BUILD_DIR OUT_DIR [--skus N] [--days N] [--seed N]}
out=${2:?usage: payload-capture.sh BUILD_DIR OUT_DIR [--skus N] [--days N] [--seed N]}
shift 2
skus=5000 days=30 seed=1
while (($#)); do
        case "$1" in
        --skus) skus=$2; shift ;;
        --days) days=$2; shift ;;
        --seed) seed=$2; shift ;;
        *) echo "payload-capture.sh: unknown option $1" >&2; exit 2 ;;
        esac
        shift
done
mkdir -p "$out"
tmp=$(mktemp -d)
. tools/bench/bench_lib.sh
trap 'bench_cleanup; rm -rf "$tmp"' EXIT

# mask FILE: the wall-clock fields replaced by "*", in place.
mask() {
        sed -E -i \
                -e 's/"(detected_at|ts|started_at|at|last_run|trained_at|silent_since|last_pos_at|updated_at|oldest_awaiting_since)":"[^"]*"/"\1":"*"/g' \
                -e 's/"(response_hours|uptime_s|oldest_age_s|oldest_receipt_wait_s|oldest_awaiting_s|depth)":[-0-9.eE+]+/"\1":"*"/g' \
                -e 's#/reply/storesim-[^ ]*#/reply/storesim#' "$1"
}

# capture_start FILE: subscribe to what the daemon publishes; sets sub_pid.
capture_start() {
        mosquitto_sub -p "$bench_port" -R -v -t "$bench_prefix/anomaly" -t "$bench_prefix/outcome" \
                -t "$bench_prefix/summary" -t "$bench_prefix/status" -t "$bench_prefix/scanner/+/ack" \
                -t "$bench_prefix/reply/#" > "$1" &
        sub_pid=$!
        bench_pids+=("$sub_pid")
        sleep 0.3
}

# drain: wait until the daemon's outbox is empty (at most 60 s).
drain() {
        for _ in $(seq 120); do
                bench_health 5 | grep -q '"outbox":{"depth":0,' && return 0
                sleep 0.5
        done
        echo "payload-capture.sh: the outbox did not drain" >&2
}

finish() { # finish FILE: stop daemon and subscriber, mask the capture
        drain
        bench_stop "$bench_daemon_pid"
        sleep 0.5
        bench_stop "$sub_pid"
        # health replies (asked by drain) carry counters of the capture itself
        grep -v '/reply/bench-' "$tmp/raw" > "$tmp/kept" || true
        mask "$tmp/kept"
        # by topic, in the order sent within a topic (QoS 0 replies and QoS 1 outbox messages
        # may pass each other on the way)
        sort -s -k1,1 "$tmp/kept" > "$1"
}

bench_broker

# --- the demo's store ------------------------------------------------------------------------
sim_args=(--seed "$seed" --days "$days" --warmup 14)
capture_start "$tmp/raw"
bench_daemon "storage: { path = \"$tmp/demo.db\"; };" "$("$build/storesim" --print-store-config "${sim_args[@]}")"
"$build/storesim" --port "$bench_port" "${sim_args[@]}" --associates 4 --retries 3 --sleep-ms 300 \
        --truth "$tmp/truth.jsonl" --report "$tmp/report.json" > "$tmp/storesim.log" 2>&1
# the CLI's reports at the end of tools/demo.sh (not the anomalies listing: it is ordered by
# detected_at, the wall clock)
for req in 'ghost-stock {"limit":10}' 'effectiveness {}' 'roi {}' 'stats {}'; do
        mosquitto_rr -p "$bench_port" -t "$bench_prefix/cmd/${req%% *}" -e "$bench_prefix/reply/capture" \
                -m "${req#* }" -W 30 > /dev/null
done
finish "$out/demo.txt"

# --- the detect benchmark's data -------------------------------------------------------------
"$build/bench_state_gen" "$tmp/gen.db" "$skus" 56 "$tmp/gen.csv" > /dev/null
capture_start "$tmp/raw"
bench_daemon "limits: { max_skus = $skus; history_days = 56; $(bench_limits) };" \
        "storage: { path = \"$tmp/gen.db\"; };"
mosquitto_rr -p "$bench_port" -t "$bench_prefix/cmd/detect" -e "$bench_prefix/reply/capture" -m '{}' \
        -W 600 > /dev/null
finish "$out/detect.txt"
echo "payload-capture.sh: $(wc -l < "$out/demo.txt") demo and $(wc -l < "$out/detect.txt") detect payloads in $out"
