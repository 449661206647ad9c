#!/usr/bin/env bash
# compare-basic.sh: checks that `storesim --profile basic` plays the store of an older storesim
# (the model before the realistic profile) message for message, and scores it the same.
# Usage: tools/storesim/compare-basic.sh OLD_STORESIM [BUILD_DIR] [STORESIM ARGS...]
# Each storesim plays against its own fresh shelfwatchd (of BUILD_DIR) on a private mosquitto;
# the store's messages (POS, receipts, inventory, shelf, forecasts) are captured off the broker
# and compared byte for byte, in order; every key of the old report must have the same value
# in the new one (the new one may have more). Build the old one from the commit before the
# realistic profile, e.g.: git worktree add /tmp/old 6494a51 && cmake -S /tmp/old -B /tmp/old/b
# && cmake --build /tmp/old/b --target storesim. Exit status 0 when they agree.
set -euo pipefail
old=$1
build=${2:-build}
shift $(($# >= 2 ? 2 : 1))
args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--seed 7 --skus 120 --days 28 --warmup 14 --associates 3)
. "$(dirname "$0")/../bench/bench_lib.sh"
bench_tmp
bench_broker
port=$bench_port

# play NAME STORESIM ARGS...: one run against a fresh daemon; the traffic in $tmp/NAME.traffic.
play() {
        local name=$1 sim=$2
        shift 2
        mkdir -p "$tmp/$name"
        printf 'broker: { port = %d; };\nstorage: { path = "%s/sw.db"; };\n' "$port" "$tmp/$name" > "$tmp/$name/sw.conf"
        "$build/shelfwatchd" -c "$tmp/$name/sw.conf" > "$tmp/$name/daemon.log" 2>&1 & local daemon=$!
        for _ in $(seq 50); do # until it answers: a first detect unanswered would be resent
                mosquitto_rr -p "$port" -t retail/demo/store1/cmd/health -e retail/demo/store1/reply/cmp \
                        -m '{}' -W 1 -q 1 > /dev/null 2>&1 && break
        done
        mosquitto_sub -p "$port" -q 1 -v -t 'retail/demo/store1/pos/#' -t 'retail/demo/store1/receipt' \
                -t 'retail/demo/store1/inventory' -t 'retail/demo/store1/shelf/#' \
                -t 'retail/demo/store1/forecast' -t 'retail/demo/store1/scanner/+/count' > "$tmp/$name.traffic" & local sub=$!
        sleep 0.5
        "$sim" --port "$port" --quiet --report "$tmp/$name/report.json" "$@" > "$tmp/$name/sim.log"
        sleep 0.5
        kill "$sub" "$daemon"
        wait "$sub" "$daemon" 2>/dev/null || true
}
play old "$old" "${args[@]}"
play new "$build/storesim" --profile basic "${args[@]}"
status=0
if cmp -s "$tmp/old.traffic" "$tmp/new.traffic"; then
        echo "traffic: identical, $(wc -l < "$tmp/old.traffic") messages ($(sha256sum < "$tmp/old.traffic" | cut -c1-16))"
else
        echo "traffic: DIFFERENT"; diff "$tmp/old.traffic" "$tmp/new.traffic" | head -5; status=1
fi
/usr/bin/python3 - "$tmp/old/report.json" "$tmp/new/report.json" <<'PY' || status=1
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
def walk(a, b, path, bad):
    if isinstance(a, dict):
        for k, v in a.items():
            if not isinstance(b, dict) or k not in b:
                bad.append(f"{path}.{k} missing")
            else:
                walk(v, b[k], f"{path}.{k}", bad)
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            bad.append(f"{path}: list differs")
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]", bad)
    elif a != b:
        bad.append(f"{path}: {a} != {b}")
bad = []
walk(old, new, "report", bad)
print("report: every old key has its old value" if not bad else "report: DIFFERENT\n  " + "\n  ".join(bad[:10]))
sys.exit(1 if bad else 0)
PY
exit $status
