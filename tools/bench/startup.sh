#!/usr/bin/env bash
# Start-up benchmark: time from exec of shelfwatchd to READY=1 on its NOTIFY_SOCKET, with SKUS
# SKUs x DAYS restored from SQLite (a database written by bench_state_gen; the first start
# after a copy also recovers nothing: the file is clean). Goal: <= 1 s.
# Usage: tools/bench/startup.sh [BUILD_DIR] [--smoke] [--runs N] [--skus N]
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/bench_lib.sh
build=build runs=5 skus=100000 days=56
bench_smoke() { runs=2 skus=5000; }
bench_args "$@"
bench_broker
"$build/bench_state_gen" "$tmp/sw.db" "$skus" "$days" > /dev/null
cat > "$tmp/sw.conf" <<CONF
broker: { port = $bench_port; };
storage: { path = "$tmp/sw.db"; };
limits: { max_skus = $skus; history_days = $days; };
CONF
echo "startup: $skus SKUs x $days days restored, $runs runs, load $(bench_load)"
# A NOTIFY_SOCKET receiver: exec the daemon, time until READY=1, stop it, print seconds.
times=()
for i in $(seq "$runs"); do
        t=$(/usr/bin/python3 - "$build/shelfwatchd" "$tmp/sw.conf" "$tmp/notify.sock" "$tmp/daemon.log" <<'PY'
import os, socket, subprocess, sys, time
daemon, conf, path, log = sys.argv[1:5]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(60)
env = dict(os.environ, NOTIFY_SOCKET=path)
t0 = time.monotonic()
p = subprocess.Popen([daemon, "-c", conf], env=env, stdout=open(log, "a"), stderr=subprocess.STDOUT)
try:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        if "READY=1" in msg.split("\n"):
            print(f"{time.monotonic() - t0:.4f}")
            break
finally:
    p.terminate()
    p.wait()
PY
)
        times+=("$t")
        printf 'run %s: %s s\n' "$i" "$t"
done
echo "median time to READY=1: $(bench_median "${times[@]}") s (goal <= 1 s); load $(bench_load)"
