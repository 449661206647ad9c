#!/usr/bin/env bash
# detection_quality.sh: what users will see. Plays the realistic simulated store (SEEDS seeds x
# SKUS SKUs x DAYS days, America/Chicago, Thanksgiving and Black Friday in the window) and the
# real-demand replay (UCI Online Retail II, 84 days, 2,000 SKUs, 60 ghosts injected) against
# the real shelfwatchd with its default settings plus only the store calendar storesim prints
# (--print-store-config), and prints one table of every figure of the report per run and summed
# (docs/simulator.md, "Measuring detection quality"); the table also goes to OUT as JSON.
# Usage: tools/bench/detection_quality.sh [BUILD_DIR] [SEEDS] [SKUS] [DAYS]
# Environment: DAEMON_EXTRA='detectors: { ghost: { alpha = 0.001; }; };' adds daemon settings to
# every run (GHOST_EXTRA='alpha = 0.001;' is the same inside detectors.ghost); REPLAY=0 skips the
# replay; REPLAY_SKUS, REPLAY_DAYS, REPLAY_START (YYYY-MM-DD of the real window), REPLAY_GHOSTS;
# JOBS (runs at once, default 2); OUT (default detection_quality.json in the current directory);
# KEEP=DIR keeps each run's report, truth, anomalies and logs in DIR/RUN.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
seeds=${2:-3}
skus=${3:-2000}
days=${4:-49}
out=${OUT:-$PWD/detection_quality.json}
jobs=${JOBS:-2}
tmp=$(mktemp -d)
trap 'bench_cleanup; rm -rf "$tmp"' EXIT
source "$repo/tools/bench/bench_lib.sh"
bench_broker
extra=${DAEMON_EXTRA:-}
[[ -z ${GHOST_EXTRA:-} ]] || extra="$extra
detectors: { ghost: { $GHOST_EXTRA }; };"

# The simulated window: DAYS days ending the day before yesterday, which must hold a Thanksgiving
# after the 21-day warm-up (the daemon refuses POS older than its 56-day history, so the window
# cannot be moved back); otherwise the run goes on without one, and says so.
start=$(date -d "-$((days + 1)) days" +%F)
thanks=$(for y in $(date +%Y) $(($(date +%Y) - 1)); do
        for d in 22 23 24 25 26 27 28; do
                [[ $(date -d "$y-11-$d" +%u) == 4 ]] && echo "$y-11-$d"
        done
done | awk -v lo="$(date -d "$start +21 days" +%F)" -v hi="$(date -d "$start +$((days - 2)) days" +%F)" \
        '$1 >= lo && $1 <= hi {print; exit}' || true)
[[ -n $thanks ]] || echo "detection_quality.sh: no Thanksgiving in $start + $days days (run it between" \
        "about Dec 14 and Jan 13 to have one); the US calendar applies to whatever the window holds" >&2

# run NAME STORESIM-ARGS...: one storesim run against its own fresh daemon.
run() {
        local name=$1 dir=$tmp/$1
        shift
        mkdir -p "$dir"
        {
                echo "broker: { port = $bench_port; };"
                echo "storage: { path = \"$dir/sw.db\"; };"
                "$build/storesim" --print-store-config --store "$name" "$@"
                printf '%s\n' "$extra"
        } > "$dir/sw.conf"
        "$build/shelfwatchd" -c "$dir/sw.conf" > "$dir/daemon.log" 2>&1 &
        local daemon=$!
        for _ in $(seq 100); do
                mosquitto_rr -p "$bench_port" -t "retail/demo/$name/cmd/health" -e "retail/demo/$name/reply/dq" \
                        -m '{}' -W 1 -q 1 > /dev/null 2>&1 && break
        done
        "$build/storesim" --port "$bench_port" --store "$name" --quiet --report "$dir/report.json" \
                --truth "$dir/truth.jsonl" --anomalies "$dir/anomalies.jsonl" "$@" > "$dir/sim.log" 2> "$dir/sim.err" || echo "storesim $name failed: $?" >&2
        kill "$daemon"
        wait "$daemon" 2>/dev/null || true
}

# at_most N: wait until fewer than N runs are going (the broker is not one of them).
runs=()
at_most() {
        local p alive
        while :; do
                alive=()
                for p in "${runs[@]}"; do kill -0 "$p" 2> /dev/null && alive+=("$p"); done
                runs=("${alive[@]}")
                ((${#runs[@]} < $1)) && return 0
                sleep 0.5
        done
}

t0=$(date +%s)
names=()
for seed in $(seq "$seeds"); do
        at_most "$jobs"
        names+=("sim$seed")
        run "sim$seed" --seed "$seed" --skus "$skus" --days "$days" --start "$start" \
                --timezone America/Chicago &
        runs+=($!)
done
if [[ ${REPLAY:-1} != 0 ]]; then
        demand=$tmp/demand.csv
        /usr/bin/python3 "$repo/tools/realdata/prepare.py" --skus "${REPLAY_SKUS:-2000}" \
                --days "${REPLAY_DAYS:-84}" ${REPLAY_START:+--start "$REPLAY_START"} --out "$demand" >&2
        # The daemon keeps 56 days of POS history counted back from its own clock: an 84-day
        # replay ending yesterday would lose its first 28 days (too_old). The replay's one
        # setting beyond the calendar widens that window to hold it.
        rdays=$(awk '/^days /{print $2}' "$demand")
        hist=$((rdays + 7 > 56 ? rdays + 7 : 56))
        names+=(replay)
        extra_saved=$extra
        extra="$extra
limits: { history_days = $hist; };"
        at_most "$jobs"
        run replay --demand "$demand" --seed 1 --timezone Europe/London \
                --min-ghosts "${REPLAY_GHOSTS:-60}" &
        runs+=($!)
        extra=$extra_saved
fi
at_most 1
echo "detection_quality.sh: $((($(date +%s) - t0))) s for ${#names[@]} runs" >&2
/usr/bin/python3 "$repo/tools/bench/detection_table.py" "$out" "${names[@]/#/$tmp/}"
if [[ -n ${KEEP:-} ]]; then
        for name in "${names[@]}"; do
                mkdir -p "$KEEP/$name"
                cp "$tmp/$name"/{report.json,truth.jsonl,anomalies.jsonl,sim.log,sim.err,sw.conf,daemon.log} "$KEEP/$name/"
        done
fi
