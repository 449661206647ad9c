#!/usr/bin/env bash
# demo-hq.sh: three simulated stores feeding one HQ database; the fleet table and the dashboard.
#
# Usage: tools/demo-hq.sh [--check] [--screenshot FILE]
# Installs missing Debian packages (tools/install-deps.sh), builds shelfwatchd, storesim and
# shelfwatch-hq, then starts, all in a temporary directory and on free loopback ports:
#   - PostgreSQL 15 (initdb as "nobody" when run as root: PostgreSQL refuses root),
#   - one mosquitto, shared by the stores and HQ (each gateway's local broker is HQ's),
#   - three shelfwatchd (tenant demo, store1..store3), each fed by its own storesim with
#     simulated associates counting the daemon's cycle-count list every evening,
#   - shelfwatch-hq run (ingest) and shelfwatch-hq serve (the API and the dashboard).
# At the end it prints the fleet table (shelfwatch-hq gateways, alerts), the dashboard's URL
# (with the demo tenant's token after '#', which the browser never sends), opens it when a
# desktop is there, and serves until Ctrl-C. Everything started is stopped on exit.
#   --check            instead of waiting: load the dashboard in headless chromium and check its
#                      numbers against the API and the database (tests/hq/browser/), then exit
#   --screenshot FILE  also save a screenshot of the fleet view (PNG)
#
# Environment:
#   DEMO_DAYS       simulated days per store (default 24; ghost stock starts after day 14)
#   DEMO_ASSOCIATES cycle counts per store per evening (default 4)
#   DEMO_KEEP=1     keep the temporary directory
#   DEMO_HTTP_PORT  the dashboard's port (default: a free one from 8080)
#   BUILD_DIR       build directory (default: build)
#   SW_JOBS         parallel build jobs (default: nproc)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=tools/demo-lib.sh
. tools/demo-lib.sh
demo_name=demo-hq

days=${DEMO_DAYS:-24}
associates=${DEMO_ASSOCIATES:-4}
build=${BUILD_DIR:-build}
jobs=${SW_JOBS:-$(nproc)}
warmup=14
stores=(store1 store2 store3)
check=0
screenshot=""
while (($#)); do
        case "$1" in
        --check) check=1 ;;
        --screenshot)
                screenshot=$(realpath -m "${2:?--screenshot needs a file}")
                shift
                ;;
        -h | --help)
                sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
                exit 0
                ;;
        *)
                echo "demo-hq.sh: unknown option '$1'" >&2
                exit 2
                ;;
        esac
        shift
done

demo_check_numbers days associates jobs

# --- cleanup: stop what we started, newest first ----------------------------

tmp=""
pids=()     # every background process, in start order
pg_started=0
as_pg=()    # how PostgreSQL's tools run: runuser -u nobody -- as root

stop_pid() { # stop_pid PID: SIGTERM, up to 10 s, then SIGKILL
        local pid=$1 i
        kill -TERM "$pid" 2>/dev/null || return 0
        for ((i = 0; i < 100; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
}

cleanup() {
        local status=$? i
        trap - EXIT INT TERM
        if ((status != 0 && status != 130 && status != 143)) && [[ -n $tmp ]]; then
                for f in hq.log serve.log store1/shelfwatchd.log pg/pg.log; do
                        [[ -s $tmp/$f ]] || continue
                        echo "--- last lines of $f:" >&2
                        tail -n 10 "$tmp/$f" >&2
                done
        fi
        for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
                stop_pid "${pids[i]}"
        done
        if ((pg_started)); then
                "${as_pg[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$tmp/pg/data" -m fast -w stop \
                        >/dev/null 2>&1 || true
        fi
        demo_remove_tmp
        exit "$status"
}
demo_traps

# --- dependencies and build -------------------------------------------------

say "dependencies and build ($build)"
demo_install_deps ""
cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$jobs" --target shelfwatchd storesim shelfwatch-hq >/dev/null
hq=$build/shelfwatch-hq
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
pgbin=/usr/lib/postgresql/15/bin
[[ -x $pgbin/initdb ]] || die "PostgreSQL 15 not found (Debian package: postgresql-15)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shelfwatch-demo-hq.XXXXXX")
chmod 711 "$tmp" # PostgreSQL's user must reach its directory below

free_port() { # free_port START: the first port from START nobody listens on
        local p
        for ((p = $1; p < $1 + 200; p++)); do
                port_is_open "$p" || {
                        echo "$p"
                        return 0
                }
        done
        return 1
}

# --- PostgreSQL, private, on a unix socket ----------------------------------

say "PostgreSQL 15 in $tmp/pg"
mkdir "$tmp/pg"
if ((EUID == 0)); then
        chown nobody "$tmp/pg"
        as_pg=(runuser -u nobody --)
fi
pgport=$(free_port $((40000 + RANDOM % 5000)))
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg/data" -U postgres -A trust -E UTF8 --locale=C \
        >"$tmp/initdb.log" 2>&1 || die "initdb failed (see $tmp/initdb.log)"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/pg.log" -w -t 60 start \
        -o "-p $pgport -k $tmp/pg -c listen_addresses=''" >/dev/null || die "PostgreSQL did not start"
pg_started=1
super="host=$tmp/pg port=$pgport user=postgres dbname=postgres"
psql -qX "$super" -c "CREATE ROLE shelfwatch_ingest LOGIN CREATEROLE" \
        -c "CREATE DATABASE shelfwatch OWNER shelfwatch_ingest" \
        -c "CREATE ROLE shelfwatch_api LOGIN NOINHERIT" >/dev/null
echo "PostgreSQL on $tmp/pg (port $pgport); roles shelfwatch_ingest (owner), shelfwatch_api (the API)"

# --- the broker ---------------------------------------------------------------

say "mosquitto (the stores' and HQ's broker)"
mqport=$(free_port $((20000 + RANDOM % 10000)))
cat >"$tmp/mosquitto.conf" <<CONF
listener $mqport 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
CONF
setsid "$mosquitto" -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
pids+=($!)
demo_wait_port "$mqport" 50 || die "mosquitto did not start"
echo "mosquitto on 127.0.0.1:$mqport"

# --- shelfwatch-hq: ingest and serve --------------------------------------------

say "shelfwatch-hq"
httpport=${DEMO_HTTP_PORT:-$(free_port 8080)}
token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
digest=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
cat >"$tmp/hq.conf" <<CONF
# shelfwatch-hq for one demo run: ingest (run) and the API and dashboard (serve).
broker: { host = "127.0.0.1"; port = $mqport; client_id = "demo-hq"; };
database: { conninfo = "host=$tmp/pg port=$pgport user=shelfwatch_ingest dbname=shelfwatch"; };
batch: { max_latency_ms = 100; };
log: { stats_interval_s = 0; };
http:
{
  listen = "127.0.0.1";
  port = $httpport;
  conninfo = "host=$tmp/pg port=$pgport user=shelfwatch_api dbname=shelfwatch";
  web_root = "$repo/hq/web";
  api_doc = "$repo/hq/api/openapi.json";
  tokens = ( { name = "demo-analyst"; tenant = "demo"; role = "demo_reader"; sha256 = "$digest"; } );
};
CONF
"$hq" -c "$tmp/hq.conf" --check-config >/dev/null
"$hq" -c "$tmp/hq.conf" migrate
"$hq" -c "$tmp/hq.conf" tenant-role demo_reader demo
psql -qX "$super" -c "GRANT demo_reader TO shelfwatch_api" >/dev/null
setsid "$hq" -c "$tmp/hq.conf" run >"$tmp/hq.log" 2>&1 &
pids+=($!)
setsid "$hq" -c "$tmp/hq.conf" serve >"$tmp/serve.log" 2>&1 &
pids+=($!)
demo_wait_port "$httpport" 100 || die "shelfwatch-hq serve did not start"
echo "ingesting from 127.0.0.1:$mqport; serving http://127.0.0.1:$httpport/"

# --- three stores -------------------------------------------------------------

say "three stores: shelfwatchd + storesim, $days days each"
sims=()
for k in 0 1 2; do
        s=${stores[k]}
        mkdir -p "$tmp/$s"
        sim_args=(--tenant demo --store "$s" --seed $((k + 1)) --days "$days" --warmup "$warmup")
        {
                echo "broker = { port = $mqport; };"
                echo "storage = { path = \"$tmp/$s/shelfwatch.db\"; };"
                # PROTOCOL 1.1 receipts: a row leaves the outbox once HQ's database holds it.
                echo "hq_receipts = { enabled = true; };"
                "$build/storesim" --print-store-config "${sim_args[@]}"
        } >"$tmp/$s/shelfwatch.conf"
        setsid "$build/shelfwatchd" -c "$tmp/$s/shelfwatch.conf" >"$tmp/$s/shelfwatchd.log" 2>&1 &
        pids+=($!)
        ok=0
        for ((i = 0; i < 40; i++)); do
                if mosquitto_rr -h 127.0.0.1 -p "$mqport" -t "retail/demo/$s/cmd/health" \
                        -e "retail/demo/$s/reply/demo-hq-$$" -m '{}' -W 1 >/dev/null 2>&1; then
                        ok=1
                        break
                fi
        done
        ((ok)) || die "shelfwatchd of $s did not answer health"
        "$build/storesim" --port "$mqport" "${sim_args[@]}" --associates "$associates" \
                --retries 3 --report "$tmp/$s/report.json" >"$tmp/$s/storesim.log" 2>&1 &
        sims+=($!)
        pids+=($!)
        echo "$s: shelfwatchd and storesim running (logs in $tmp/$s)"
done
for pid in "${sims[@]}"; do
        wait "$pid" || die "a storesim failed (see $tmp/store*/storesim.log)"
done
echo "the three simulations are done; waiting for HQ's receipts"
# A store publishes its summary again at most 5 s after the evening's last counts
# (SW_SUMMARY_COUNT_GAP_MS in daemon/reports.h): let it go out first, so that the fleet below
# shows the summaries that follow the counts.
sleep 6
# Each store's outbox empties only when shelfwatch-hq has committed its rows and receipted them:
# then the fleet below holds everything the stores found.
outbox_of() { # outbox_of STORE: "depth received" from the store's health, or nothing
        mosquitto_rr -h 127.0.0.1 -p "$mqport" -t "retail/demo/$1/cmd/health" \
                -e "retail/demo/$1/reply/demo-hq-$$" -m '{}' -W 2 2>/dev/null |
                python3 -c 'import json, sys; o = json.load(sys.stdin)["outbox"]
print(o["depth"], o["receipts"]["received"])' 2>/dev/null || true
}
for s in "${stores[@]}"; do
        state=""
        for ((i = 0; i < 150; i++)); do
                state=$(outbox_of "$s")
                [[ $state == "0 "* ]] && break
                sleep 0.2
        done
        [[ $state == "0 "* ]] || die "$s: its outbox still holds rows for HQ (depth and receipts: '$state')"
        echo "$s: everything in HQ's database (${state#0 } receipts)"
done

# --- the fleet at HQ ------------------------------------------------------------

say "the fleet table: shelfwatch-hq gateways"
"$hq" -c "$tmp/hq.conf" gateways
say "open alerts by store and type: shelfwatch-hq alerts"
"$hq" -c "$tmp/hq.conf" alerts
say "the cycle-count list across the stores: shelfwatch-hq cycle-count --limit 8"
"$hq" -c "$tmp/hq.conf" cycle-count --limit 8

url="http://127.0.0.1:$httpport/#/?token=$token"
if [[ -n $screenshot ]]; then
        chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
                --window-size=1280,1900 --virtual-time-budget=15000 \
                --screenshot="$screenshot" "$url" >/dev/null 2>&1 || die "the screenshot failed"
        echo "screenshot: $screenshot"
fi
if ((check)); then
        say "the dashboard in headless chromium against the API and the database"
        python3 tests/hq/browser/check_dashboard.py --url "http://127.0.0.1:$httpport" \
                --token "$token" --db "host=$tmp/pg port=$pgport user=postgres dbname=shelfwatch" \
                --tenant demo --hq "$hq" --config "$tmp/hq.conf"
        exit $?
fi

say "the dashboard"
echo "Open: $url"
echo "(the token after '#' stays in the browser; the API takes it as 'Authorization: Bearer')"
if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]] && command -v xdg-open >/dev/null; then
        xdg-open "$url" >/dev/null 2>&1 || true
fi
if [[ -t 0 ]]; then
        echo "Serving until Ctrl-C."
        while sleep 3600; do :; done
fi
