#!/usr/bin/env bash
# demo.sh: play a simulated store against the real shelfwatchd and a local mosquitto broker.
#
# Usage: tools/demo.sh
# Installs missing Debian packages (tools/install-deps.sh: root, or sudo when
# available), builds shelfwatchd and storesim, starts a private mosquitto on a
# free loopback port and shelfwatchd on its embedded defaults (only the port and
# the database path are set), then plays DEMO_DAYS days of a 300-SKU store with
# injected ghost stock. Simulated associates count the top of the daemon's cycle-count
# list every evening with the true shelf quantity (the daemon records each count's outcome).
# Anomalies are printed as the daemon publishes them; at the end the shelfwatch CLI shows
# the cycle-count list, alert effectiveness, ROI and the daemon's health.
# Everything started is stopped on exit or Ctrl-C.
#
# Environment:
#   DEMO_DAYS       simulated days (default 30; at least 16 for ghost stock to appear)
#   DEMO_SLEEP_MS   pause between simulated days, ms (default 500)
#   DEMO_SEED       simulator seed (default 1)
#   DEMO_ASSOCIATES cycle counts the simulated associates make per day, from the top of
#                   the daemon's ghost-stock list (default 4; 0: none)
#   DEMO_PORT       loopback port of the demo's broker (default: a free port from a random
#                   start in 20000..31999); the demo stops if it is taken
#   DEMO_KEEP=1     keep the temporary directory (logs, database, report)
#   BUILD_DIR       build directory (default: build, relative to the repo root)
#   SW_JOBS         parallel build jobs (default: nproc)
# Exit status: 0 ok; storesim's status when the simulation fails; 1 otherwise.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=tools/demo-lib.sh
. tools/demo-lib.sh
demo_name=demo

days=${DEMO_DAYS:-30}
sleep_ms=${DEMO_SLEEP_MS:-500}
seed=${DEMO_SEED:-1}
associates=${DEMO_ASSOCIATES:-4}
build=${BUILD_DIR:-build}
jobs=${SW_JOBS:-$(nproc)}
warmup=14
root_topic=retail/demo/store1

demo_port=${DEMO_PORT:-}
demo_check_numbers days sleep_ms seed jobs associates
if [[ -n $demo_port ]] && ! [[ $demo_port =~ ^[0-9]+$ && $demo_port -ge 1 && $demo_port -le 65535 ]]; then
        die "DEMO_PORT must be a port number from 1 to 65535 (got '$demo_port')"
fi
((days >= 1)) || die "DEMO_DAYS must be at least 1"

# --- cleanup: stop what we started, newest first --------------------------

tmp=""
daemon_pid=""
broker_pid=""
watcher_pid=""

# stop_pid PID NAME: SIGTERM, wait up to 10 s, then SIGKILL. Reports an unclean stop.
stop_pid() {
        local pid=$1 name=$2 status=0 i
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
                echo "demo.sh: $name (pid $pid) did not stop in 10 s, killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || status=$?
        if ((status != 0 && status != 143)); then
                echo "demo.sh: $name exited with status $status" >&2
        fi
}

cleanup() {
        local status=$?
        trap - EXIT INT TERM
        # After a failure (not Ctrl-C or SIGTERM) the logs usually say why.
        if ((status != 0 && status != 130 && status != 143)) && [[ -n $tmp ]]; then
                for f in shelfwatchd.log mosquitto.log; do
                        if [[ -s $tmp/$f ]]; then
                                echo "--- last lines of $f:" >&2
                                tail -n 15 "$tmp/$f" >&2
                        fi
                done
        fi
        if [[ -n $watcher_pid ]]; then
                kill -TERM "$watcher_pid" 2>/dev/null || true
                wait "$watcher_pid" 2>/dev/null || true
        fi
        if [[ -s $tmp/storesim.pid ]]; then
                kill -TERM "$(cat "$tmp/storesim.pid")" 2>/dev/null || true
        fi
        [[ -z $daemon_pid ]] || stop_pid "$daemon_pid" shelfwatchd
        [[ -z $broker_pid ]] || stop_pid "$broker_pid" mosquitto
        demo_remove_tmp
        exit "$status"
}
demo_traps

# --- dependencies and build -----------------------------------------------

say "dependencies"
demo_install_deps "Missing packages; installing them with sudo."

say "build ($build)"
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$jobs" --target shelfwatchd storesim shelfwatch
shelfwatchd=$build/shelfwatchd
storesim=$build/storesim
shelfwatch=$build/shelfwatch

# mosquitto lives in /usr/sbin, which is not in every user's PATH.
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[[ -x $mosquitto ]] || die "mosquitto not found (Debian package: mosquitto)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shelfwatch-demo.XXXXXX")

# --- broker ---------------------------------------------------------------

# start_broker PORT: start mosquitto on PORT; 0 once it accepts connections.
start_broker() {
        local port=$1 i
        cat >"$tmp/mosquitto.conf" <<EOF
# Private broker of one shelfwatch demo run.
listener $port 127.0.0.1
allow_anonymous true
persistence false
EOF
        # setsid: Ctrl-C reaches only this script and storesim; the trap then
        # stops the daemon while the broker is still up, then the broker.
        setsid "$mosquitto" -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
        broker_pid=$!
        for ((i = 0; i < 50; i++)); do
                if ! kill -0 "$broker_pid" 2>/dev/null; then
                        wait "$broker_pid" 2>/dev/null || true
                        broker_pid=""
                        return 1
                fi
                port_is_open "$port" && return 0
                sleep 0.1
        done
        stop_pid "$broker_pid" mosquitto
        broker_pid=""
        return 1
}

say "broker"
port=""
if [[ -n $demo_port ]]; then
        # The port asked for, or nothing: a demo on another port would surprise whoever set it.
        port_is_open "$demo_port" && die "DEMO_PORT $demo_port is taken on 127.0.0.1 (another broker?)"
        start_broker "$demo_port" || die "could not start mosquitto on DEMO_PORT $demo_port (see $tmp/mosquitto.log)"
        port=$demo_port
else
        # Ports below the kernel's ephemeral range (32768..60999), from a random start.
        # A port can be taken between the probe and the bind: then try the next one.
        start=$((20000 + RANDOM % 12000))
        for ((p = start; p < start + 50; p++)); do
                port_is_open "$p" && continue
                if start_broker "$p"; then
                        port=$p
                        break
                fi
        done
        [[ -n $port ]] || die "could not start mosquitto on a free port near $start (see $tmp/mosquitto.log)"
fi
echo "mosquitto $($mosquitto -h 2>/dev/null | head -n 1 | sed 's/^mosquitto version //') on 127.0.0.1:$port (pid $broker_pid)"

rr() { # rr COMMAND PAYLOAD: request/response with the daemon, reply on stdout
        mosquitto_rr -h 127.0.0.1 -p "$port" -t "$root_topic/cmd/$1" -e "$root_topic/reply/demo-$$" \
                -m "$2" -W 2
}

# --- daemon ---------------------------------------------------------------

say "shelfwatchd"
# The simulated store's calendar (time zone, holidays, closed weekdays) is the store group
# storesim prints for the same options; every detector setting is the embedded default.
sim_args=(--seed "$seed" --days "$days" --warmup "$warmup")
{
        echo "# shelfwatchd for one demo run: everything not set here is the embedded default."
        echo "broker = { port = $port; };"
        echo "storage = { path = \"$tmp/shelfwatch.db\"; };"
        "$storesim" --print-store-config "${sim_args[@]}"
} >"$tmp/shelfwatch.conf" || die "storesim --print-store-config failed"
setsid "$shelfwatchd" -c "$tmp/shelfwatch.conf" >"$tmp/shelfwatchd.log" 2>&1 &
daemon_pid=$!
ready=0
for ((i = 0; i < 30; i++)); do
        kill -0 "$daemon_pid" 2>/dev/null || die "shelfwatchd exited at start-up"
        if rr health '{}' >"$tmp/health.json" 2>/dev/null; then
                ready=1
                break
        fi
        sleep 0.5
done
((ready)) || die "shelfwatchd did not answer the health command"
echo "shelfwatchd (pid $daemon_pid) answers on $root_topic/cmd/health"
echo "config: $tmp/shelfwatch.conf"

# --- the store ------------------------------------------------------------

say "store simulation: $days days, 300 SKUs, seed $seed"
((days > warmup + 1)) ||
        echo "note: with DEMO_DAYS <= $((warmup + 1)) no ghost stock is injected (warm-up $warmup days)"
echo "Each line [as_of] SEVERITY type SKU p=probability value=money at stake is an anomaly as"
echo "shelfwatchd publishes it on $root_topic/anomaly; an open anomaly is republished each day,"
echo "and once more (info, p=prior) when it clears."
echo
# storesim would resend a day for minutes to a dead daemon: a watcher stops it
# as soon as the daemon is gone. storesim is started through sh so that its pid
# is known before it runs.
(
        nap=""
        trap '[[ -z $nap ]] || kill "$nap" 2>/dev/null; exit 0' TERM
        while kill -0 "$daemon_pid" 2>/dev/null; do
                sleep 0.5 &
                nap=$!
                wait "$nap"
        done
        if [[ -s $tmp/storesim.pid ]]; then
                echo "demo.sh: shelfwatchd is gone, stopping the simulation" >&2
                kill -TERM "$(cat "$tmp/storesim.pid")" 2>/dev/null || true
        fi
) &
watcher_pid=$!
# storesim prints each detect reply too with --verbose; leave those out.
set +e
sh -c 'echo $$ >"$0" && exec "$@"' "$tmp/storesim.pid" \
        "$storesim" --port "$port" "${sim_args[@]}" --verbose \
        --associates "$associates" \
        --retries 3 --sleep-ms "$sleep_ms" --truth "$tmp/truth.jsonl" \
        --report "$tmp/report.json" --anomalies "$tmp/anomalies.jsonl" | sed -u '/^detect /d'
sim_status=${PIPESTATUS[0]}
set -e
rm -f "$tmp/storesim.pid"
kill -0 "$daemon_pid" 2>/dev/null || die "shelfwatchd stopped during the simulation"
if ((sim_status != 0)); then
        echo "demo.sh: storesim failed with status $sim_status (see docs/simulator.md)" >&2
        exit "$sim_status"
fi

# --- what the store would act on, and what it was worth ------------------

# The shelfwatch CLI, on this demo's broker and daemon (its config file names both).
cli() {
        "$shelfwatch" --config "$tmp/shelfwatch.conf" "$@"
}

say "cycle-count list: open ghost stock ranked by probability x value"
echo "(shelfwatch --config $tmp/shelfwatch.conf ghost-stock --limit 10)"
cli ghost-stock --limit 10 || echo "demo.sh: ghost-stock failed" >&2

say "alert effectiveness, from the associates' cycle counts"
cli effectiveness || echo "demo.sh: effectiveness failed" >&2

say "return on investment"
cli roi || echo "demo.sh: roi failed" >&2

say "health"
cli health || echo "demo.sh: health failed" >&2

say "done"
if [[ ${DEMO_KEEP:-0} == 1 ]]; then
        echo "Files are in $tmp:"
else
        echo "Files are in $tmp (removed now; run with DEMO_KEEP=1 to keep them):"
fi
echo "  shelfwatchd.log, mosquitto.log   logs of the daemon and the broker"
echo "  report.json, truth.jsonl         score report and the injected events (ghost stock, price errors, spikes, overstock)"
echo "  anomalies.jsonl                  every anomaly published, one per line"
echo "The precision/recall report above compares the anomalies with the injected truth."
