#!/usr/bin/env bash
# demo.sh: play a simulated store against the real shelfwatchd and a local mosquitto broker.
#
# Usage: tools/demo.sh
# Installs missing Debian packages (tools/install-deps.sh: root, or sudo when
# available), builds shelfwatchd and storesim, starts a private mosquitto on a
# free loopback port and shelfwatchd on its embedded defaults (only the port and
# the database path are set), then plays DEMO_DAYS days of a 300-SKU store with
# injected ghost stock. Anomalies are printed as the daemon publishes them; at the
# end the cycle-count list (ghost-stock command) and the daemon's health are shown.
# Everything started is stopped on exit or Ctrl-C.
#
# Environment:
#   DEMO_DAYS       simulated days (default 30; at least 16 for ghost stock to appear)
#   DEMO_SLEEP_MS   pause between simulated days, ms (default 500)
#   DEMO_SEED       simulator seed (default 1)
#   DEMO_KEEP=1     keep the temporary directory (logs, database, report)
#   BUILD_DIR       build directory (default: build, relative to the repo root)
#   SW_JOBS         parallel build jobs (default: nproc)
# Exit status: 0 ok; storesim's status when the simulation fails; 1 otherwise.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

days=${DEMO_DAYS:-30}
sleep_ms=${DEMO_SLEEP_MS:-500}
seed=${DEMO_SEED:-1}
build=${BUILD_DIR:-build}
jobs=${SW_JOBS:-$(nproc)}
warmup=14
root_topic=retail/demo/store1

say() {
        printf '\n== demo: %s\n' "$*"
}

die() {
        echo "demo.sh: $*" >&2
        exit 1
}

for v in days sleep_ms seed jobs; do
        [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
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
        if [[ -n $tmp ]]; then
                if [[ ${DEMO_KEEP:-0} == 1 ]]; then
                        echo "demo.sh: kept $tmp"
                else
                        rm -rf "$tmp"
                fi
        fi
        exit "$status"
}
trap cleanup EXIT
trap 'echo " interrupted"; exit 130' INT
trap 'exit 143' TERM

# --- dependencies and build -----------------------------------------------

say "dependencies"
if ((EUID != 0)) && ! tools/install-deps.sh --check >/dev/null && command -v sudo >/dev/null; then
        echo "Missing packages; installing them with sudo."
        sudo tools/install-deps.sh
else
        tools/install-deps.sh
fi

say "build ($build)"
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$jobs" --target shelfwatchd storesim
shelfwatchd=$build/shelfwatchd
storesim=$build/storesim

# mosquitto lives in /usr/sbin, which is not in every user's PATH.
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[[ -x $mosquitto ]] || die "mosquitto not found (Debian package: mosquitto)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shelfwatch-demo.XXXXXX")

# --- broker ---------------------------------------------------------------

# port_is_open PORT: something accepts connections on 127.0.0.1:PORT.
port_is_open() {
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

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
# Ports below the kernel's ephemeral range (32768..60999), from a random start.
# A port can be taken between the probe and the bind: then try the next one.
port=""
start=$((20000 + RANDOM % 12000))
for ((p = start; p < start + 50; p++)); do
        port_is_open "$p" && continue
        if start_broker "$p"; then
                port=$p
                break
        fi
done
[[ -n $port ]] || die "could not start mosquitto on a free port near $start (see $tmp/mosquitto.log)"
echo "mosquitto $($mosquitto -h 2>/dev/null | head -n 1 | sed 's/^mosquitto version //') on 127.0.0.1:$port (pid $broker_pid)"

rr() { # rr COMMAND PAYLOAD: request/response with the daemon, reply on stdout
        mosquitto_rr -h 127.0.0.1 -p "$port" -t "$root_topic/cmd/$1" -e "demo/reply/$$" \
                -m "$2" -W 2
}

# --- daemon ---------------------------------------------------------------

say "shelfwatchd"
cat >"$tmp/shelfwatch.conf" <<EOF
# shelfwatchd for one demo run: everything not set here is the embedded default.
broker = { port = $port; };
storage = { path = "$tmp/shelfwatch.db"; };
EOF
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
        "$storesim" --port "$port" --seed "$seed" --days "$days" --warmup "$warmup" --verbose \
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

# --- what the store would act on ------------------------------------------

# Prints the ghost-stock reply as a table without needing jq (not in a minimal
# Debian): the array is cut into its objects, and each field of these flat
# objects is found with a regex. A reply without "recommendations" (an error)
# makes awk fail, and the caller prints the raw JSON instead.
print_recommendations() {
        awk '
        function field(rec, key,    re, v) {
                re = "\"" key "\":(\"([^\"\\\\]|\\\\.)*\"|[-+0-9.eE]+|null|true|false)"
                if (!match(rec, re))
                        return ""
                v = substr(rec, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
                if (v ~ /^"/) {
                        v = substr(v, 2, length(v) - 2)
                        gsub(/\\"/, "\"", v)
                        gsub(/\\\\/, "\\", v)
                }
                return v
        }
        {
                body = $0
                if (!match(body, /"recommendations":\[/))
                        exit 1
                body = substr(body, RSTART + RLENGTH)
                # Cut the array into its objects, skipping braces inside strings.
                n = 0
                depth = 0
                in_str = 0
                for (i = 1; i <= length(body); i++) {
                        c = substr(body, i, 1)
                        if (in_str) {
                                if (c == "\\")
                                        i++
                                else if (c == "\"")
                                        in_str = 0
                        } else if (c == "\"") {
                                in_str = 1
                        } else if (c == "{") {
                                if (depth++ == 0)
                                        from = i
                        } else if (c == "}") {
                                if (--depth == 0)
                                        recs[++n] = substr(body, from, i - from + 1)
                        } else if (c == "]" && depth == 0) {
                                break
                        }
                }
                printf "%-4s %-9s %-12s %-8s %5s %9s  %s\n", "rank", "sku", "category",
                       "severity", "prob", "value", "why"
                rows = 0
                for (i = 1; i <= n; i++) {
                        sku = field(recs[i], "sku")
                        if (sku == "")
                                continue
                        rows++
                        printf "%-4s %-9s %-12s %-8s %4.0f%% %9.2f  %s\n", field(recs[i], "rank"),
                               sku, field(recs[i], "category"), field(recs[i], "severity"),
                               100 * field(recs[i], "probability"), field(recs[i], "value"),
                               field(recs[i], "description")
                }
                if (rows == 0)
                        print "(no open ghost-stock anomalies)"
        }' "$1"
}

# health_summary FILE: the few counters a person looks at first.
health_summary() {
        awk '
        function num(rec, key) {
                if (!match(rec, "\"" key "\":[0-9]+"))
                        return "?"
                return substr(rec, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
        }
        # sum of every number in the object that follows "key":{ (one level of nesting)
        function total(rec, key,    s, t, depth, i, c, digits) {
                if (!match(rec, "\"" key "\":\\{"))
                        return "?"
                s = substr(rec, RSTART + RLENGTH)
                depth = 1
                t = 0
                digits = ""
                for (i = 1; i <= length(s) && depth > 0; i++) {
                        c = substr(s, i, 1)
                        if (c ~ /[0-9]/ && (digits != "" || substr(s, i - 1, 1) == ":")) {
                                digits = digits c
                                continue
                        }
                        if (digits != "") {
                                t += digits
                                digits = ""
                        }
                        if (c == "{")
                                depth++
                        else if (c == "}")
                                depth--
                }
                return t
        }
        {
                printf "SKUs tracked:       %s of %s (history %s days)\n", num($0, "tracked"),
                       num($0, "capacity"), num($0, "history_days")
                printf "messages accepted:  %s (duplicates %s, rejected %s)\n", total($0, "accepted"),
                       total($0, "duplicates"), total($0, "rejected")
                printf "open anomalies:     %s\n", num($0, "open_anomalies")
                printf "outbox to HQ:       %s queued, %s delivered\n", num($0, "depth"),
                       num($0, "delivered")
        }' "$1"
}

say "cycle-count list: open ghost stock ranked by probability x value"
echo "(mosquitto_rr -p $port -t $root_topic/cmd/ghost-stock -e demo/reply -m '{\"limit\":10}')"
if rr ghost-stock '{"limit":10}' >"$tmp/ghost-stock.json"; then
        print_recommendations "$tmp/ghost-stock.json" || cat "$tmp/ghost-stock.json"
else
        echo "demo.sh: no reply to ghost-stock" >&2
fi

say "health"
if rr health '{}' >"$tmp/health.json"; then
        health_summary "$tmp/health.json"
else
        echo "demo.sh: no reply to health" >&2
fi

say "done"
if [[ ${DEMO_KEEP:-0} == 1 ]]; then
        echo "Files are in $tmp:"
else
        echo "Files are in $tmp (removed now; run with DEMO_KEEP=1 to keep them):"
fi
echo "  shelfwatchd.log, mosquitto.log   logs of the daemon and the broker"
echo "  report.json, truth.jsonl         score report and the injected events (ghost stock, price errors, spikes, overstock)"
echo "  anomalies.jsonl                  every anomaly published, one per line"
echo "  health.json, ghost-stock.json    the replies shown above"
echo "The precision/recall report above compares the anomalies with the injected truth."
