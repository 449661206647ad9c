#!/usr/bin/env bash
# Precision and recall of both ghost-stock modes (and of ml_detected, which runs beside
# them) against the simulator's ground truth.
# Runs the real shelfwatchd and a real mosquitto once per mode and seed, then sums the
# simulator's per-run scores (docs/simulator.md defines them).
# Usage: tools/bench/ghost_accuracy.sh [BUILD_DIR] [SEEDS] [SKUS] [DAYS]
# MODES="poisson seed" picks the modes; GHOST_EXTRA='alpha = 0.001;' adds ghost settings;
# PROFILE picks storesim's store (default basic, the store these figures were first taken on;
# tools/bench/detection_quality.sh measures the realistic one with its calendar).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
seeds=${2:-5}
skus=${3:-400}
days=${4:-60}
. tools/bench/bench_lib.sh
bench_tmp

bench_broker
port=$bench_port

modes=${MODES:-poisson seed}
for mode in $modes; do
  for seed in $(seq "$seeds"); do
    run="$tmp/$mode-$seed"
    mkdir -p "$run"
    printf 'broker: { port = %d; };\nstorage: { path = "%s/sw.db"; };\nstore: { id = "acc%s%d"; };\ndetectors: { ghost: { mode = "%s"; %s }; };\n' \
      "$port" "$run" "$mode" "$seed" "$mode" "${GHOST_EXTRA:-}" > "$run/sw.conf"
    "$build/shelfwatchd" -c "$run/sw.conf" > "$run/daemon.log" 2>&1 & daemon=$!
    sleep 0.3
    "$build/storesim" --profile "${PROFILE:-basic}" --port "$port" --store "acc$mode$seed" --seed "$seed" --skus "$skus" --days "$days" \
      --quiet --report "$run/report.json" > "$run/sim.log"
    kill "$daemon"; wait "$daemon" || true
  done
done

python3 - "$tmp" "$seeds" $modes <<'PY'
import json, sys, glob
tmp, seeds, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print(f"{'mode':8} {'events':>6} {'found':>6} {'recall':>7} {'alarms':>7} {'TP':>5} {'FP':>5} {'precision':>9} {'FP/1000 SKU-days':>17} {'delay d':>8}")
for mode in modes:
    ev = found = tp = fp = 0; fpk = []; delays = []
    for s in range(1, seeds + 1):
        g = json.load(open(f"{tmp}/{mode}-{s}/report.json"))["types"]["ghost_stock"]
        ev += g["events"]; found += g["events_detected"]; tp += g["true_positives"]; fp += g["false_positives"]
        fpk.append(g["false_positives_per_1000_sku_days"])
        if g.get("mean_detection_delay_days") is not None:
            delays.append((g["mean_detection_delay_days"], g["events_detected"]))
    delay = sum(d * n for d, n in delays) / max(1, sum(n for _, n in delays))
    print(f"{mode:8} {ev:6d} {found:6d} {found/ev:7.3f} {tp+fp:7d} {tp:5d} {fp:5d} {tp/max(1,tp+fp):9.3f} {sum(fpk)/len(fpk):17.2f} {delay:8.2f}")
# The Isolation Forest runs beside the ghost detector in every run; report it once.
ev = found = tp = fp = 0; kinds = {}
for s in range(1, seeds + 1):
    g = json.load(open(f"{tmp}/{modes[0]}-{s}/report.json"))["types"].get("ml_detected", {})
    if "events" not in g:
        continue
    ev += g["events"]; found += g["events_detected"]; tp += g["true_positives"]; fp += g["false_positives"]
    for k, v in g.get("by_kind", {}).items():
        e, f = kinds.get(k, (0, 0)); kinds[k] = (e + v["events"], f + v["events_detected"])
if ev:
    print(f"ml_detected: events {ev}, found {found}, recall {found/ev:.3f}, anomalies {tp+fp}, precision {tp/max(1,tp+fp):.3f}; recall by kind: " +
          ", ".join(f"{k} {f}/{e}" for k, (e, f) in sorted(kinds.items())))
PY
