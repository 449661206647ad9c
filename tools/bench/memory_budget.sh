#!/usr/bin/env bash
# Memory budget benchmark: the whole daemon holding 100k SKUs x 56 days must stay within
# 32 MB RSS. Restores a generated database into the real shelfwatchd (touching every SKU's
# history), runs every detector over all of it (the forest trains on its reservoir), then
# reads VmHWM / VmRSS.
# Usage: tools/bench/memory_budget.sh [BUILD_DIR] [SKUS] [DAYS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
skus=${2:-100000}
days=${3:-56}
budget_kib=$((32 * 1024))
. tools/bench/bench_lib.sh
bench_tmp

bench_broker
port=$bench_port

"$build/bench_state_gen" "$tmp/sw.db" "$skus" "$days"
cat > "$tmp/sw.conf" <<CONF
broker: { port = $port; };
storage: { path = "$tmp/sw.db"; };
limits: { max_skus = $skus; history_days = $days; };
CONF
"$build/shelfwatchd" -c "$tmp/sw.conf" > "$tmp/daemon.log" 2>&1 & daemon=$!; bench_pids+=($daemon)
for _ in $(seq 100); do
  mosquitto_rr -p "$port" -t retail/demo/store1/cmd/health -e "retail/demo/store1/reply/bench-$$" -m '{}' -W 1 > "$tmp/health.json" 2>/dev/null && break
done
grep -q '"tracked":'"$skus" "$tmp/health.json" || { echo "daemon did not restore $skus SKUs"; cat "$tmp/daemon.log"; exit 1; }
echo "after restore: $(grep -E "VmRSS" /proc/$daemon/status) $(grep -E "RssAnon" /proc/$daemon/status) $(grep -E "RssFile" /proc/$daemon/status)"
start=$(date +%s.%N)
mosquitto_rr -p "$port" -t retail/demo/store1/cmd/detect -e "retail/demo/store1/reply/bench-$$" -m '{}' -W 300 > "$tmp/detect.json"
end=$(date +%s.%N)
grep -E "RssAnon|RssFile" /proc/$daemon/status
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
echo "SKUs x days: $skus x $days; detect over all: $(echo "$end - $start" | bc) s; $(head -c 200 "$tmp/detect.json")"
echo "peak RSS (VmHWM): $hwm KiB, RSS now: $rss KiB, budget: $budget_kib KiB, ratio: $(echo "scale=3; $hwm / $budget_kib" | bc)"
[ "$hwm" -le "$budget_kib" ] && echo "within budget" || { echo "OVER BUDGET"; exit 1; }
