#!/usr/bin/env bash
# Detection benchmark: one full `detect` (ghost stock, the Isolation Forest, stock checks) over
# SKUS x DAYS held by the real shelfwatchd, wall time (request to reply) and the daemon's peak
# RSS, against the previous system's approach on the same data (tools/bench/legacy_detect.py:
# numpy + scikit-learn, /usr/bin/python3) reading the same data as CSV. Each run starts a fresh
# daemon on a copy of the generated database and a fresh Python process; ratios are per run.
# Usage: tools/bench/detect.sh [BUILD_DIR] [--smoke] [--runs N] [--skus N] [--days N]
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/bench_lib.sh
build=build runs=5 skus=100000 days=56
bench_smoke() { runs=1 skus=5000; }
bench_args "$@"
/usr/bin/python3 -c 'import numpy, sklearn' 2>/dev/null || {
        echo "detect.sh needs python3-numpy and python3-sklearn (tools/install-deps.sh --bench)"; exit 1; }

bench_broker
"$build/bench_state_gen" "$tmp/gen.db" "$skus" "$days" "$tmp/gen.csv" > /dev/null
echo "detect: $skus SKUs x $days days, $runs runs, load $(bench_load)"
printf '%-4s %10s %12s %10s %10s %12s %8s %8s %8s\n' run "daemon s" "daemon KiB" "py load s" "py det s" "py KiB" \
        "x faster" "x (det)" "x less"
dts=() dks=() pls=() pds=() pks=() rf=() rd=() rm=()
for i in $(seq "$runs"); do
        cp "$tmp/gen.db" "$tmp/sw.db"
        rm -f "$tmp/sw.db-wal" "$tmp/sw.db-shm"
        sync # the copy's writeback must not land in the daemon's fsyncs
        bench_daemon "limits: { max_skus = $skus; history_days = $days; $(bench_limits) };" \
                "storage: { path = \"$tmp/sw.db\"; };"
        t0=$(bench_now)
        mosquitto_rr -p "$bench_port" -t "$bench_prefix/cmd/detect" -e "$bench_prefix/reply/bench-$$" -m '{}' -W 600 > "$tmp/detect.json"
        t1=$(bench_now)
        grep -q '"ok":true' "$tmp/detect.json" || { echo "detect failed: $(head -c 300 "$tmp/detect.json")"; exit 1; }
        dk=$(bench_kib "$bench_daemon_pid" VmHWM)
        bench_stop "$bench_daemon_pid"
        py=$(/usr/bin/python3 tools/bench/legacy_detect.py "$tmp/gen.csv")
        pl=$(echo "$py" | grep -o 'load_s=[0-9.]*' | cut -d= -f2)
        pd=$(echo "$py" | grep -o 'detect_s=[0-9.]*' | cut -d= -f2)
        pk=$(echo "$py" | grep -o 'peak_rss_kib=[0-9]*' | cut -d= -f2)
        dt=$(echo "$t1 - $t0" | bc -l)
        dts+=("$dt") dks+=("$dk") pls+=("$pl") pds+=("$pd") pks+=("$pk")
        rf+=("$(echo "($pl + $pd) / $dt" | bc -l)") rd+=("$(echo "$pd / $dt" | bc -l)") rm+=("$(echo "$pk / $dk" | bc -l)")
        printf '%-4s %10.3f %12s %10.3f %10.3f %12s %8.2f %8.2f %8.2f\n' "$i" "$dt" "$dk" "$pl" "$pd" "$pk" \
                "${rf[-1]}" "${rd[-1]}" "${rm[-1]}"
done
printf '%-4s %10.3f %12s %10.3f %10.3f %12s %8.2f %8.2f %8.2f\n' median "$(bench_median "${dts[@]}")" \
        "$(bench_median "${dks[@]}")" "$(bench_median "${pls[@]}")" "$(bench_median "${pds[@]}")" \
        "$(bench_median "${pks[@]}")" "$(bench_median "${rf[@]}")" "$(bench_median "${rd[@]}")" "$(bench_median "${rm[@]}")"
echo "daemon reply: $(head -c 400 "$tmp/detect.json")"
echo "legacy: $py"
echo "x faster = (python load + detect) / daemon detect; x (det) = python detect alone / daemon detect; load $(bench_load)"
