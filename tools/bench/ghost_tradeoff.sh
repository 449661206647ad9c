#!/usr/bin/env bash
# ghost_tradeoff.sh: the ghost-stock detector's trade-off curve. Runs detection_quality.sh (3
# simulated stores and the real-demand replay, docs/simulator.md) once per threshold on
# P(ghost), each a real configuration of the daemon (detectors.ghost.min_probability, the
# store's daily budget lifted so that the threshold alone decides), and prints false alerts per
# 1,000 SKU-days against recall and days to detect for the simulated stores and the replay.
# The defaults (min_probability 0.95 with a budget of 1 expected false alert a day) are the
# last row, run as shipped.
# Usage: tools/bench/ghost_tradeoff.sh [BUILD_DIR] [THRESHOLD...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build}
shift || true
thresholds=("$@")
((${#thresholds[@]})) || thresholds=(0.5 0.8 0.9 0.95 0.99 0.999)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in "${thresholds[@]}" default; do
        extra=""
        [[ $t == default ]] ||
                extra="detectors: { ghost: { min_probability = $t; false_alerts_per_day = 1000000.0; }; };"
        OUT="$tmp/$t.json" DAEMON_EXTRA="$extra" "$repo/tools/bench/detection_quality.sh" "$build" \
                > "$tmp/$t.log" 2>&1 || { cat "$tmp/$t.log" >&2; exit 1; }
done
/usr/bin/python3 - "$tmp" "${thresholds[@]}" default <<'PY'
import json, sys
tmp, points = sys.argv[1], sys.argv[2:]
keys = ["ghost_stock alerts", "ghost_stock precision", "ghost_stock false per 1000 SKU-days",
        "ghost_stock false per store-day", "ghost recall, that matter",
        "ghost median days to detect, that matter", "ghost mean days to detect, that matter"]
def cell(v):
    if isinstance(v, list):
        v = v[-1]
    if isinstance(v, str):
        return v.split()[0]
    return f"{v:.3f}" if isinstance(v, float) else str(v)
for run, title in (("sim (summed)", "simulated stores (3, summed)"), ("replay", "real-demand replay")):
    print(f"\n{title}")
    print("| P(ghost) >= | alerts | precision | false / 1000 SKU-days | false / store-day | "
          "recall that matters | median days | mean days |")
    print("|---|---|---|---|---|---|---|---|")
    for p in points:
        j = json.load(open(f"{tmp}/{p}.json"))[run]
        label = "0.95 + budget (default)" if p == "default" else p
        print("| " + label + " | " + " | ".join(cell(j.get(k, "-")) for k in keys) + " |")
PY
