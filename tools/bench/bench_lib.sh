# Shared helpers of the benchmark scripts (sourced, not run): a private mosquitto, the real
# shelfwatchd, health queries, medians. Callers set `build` and call bench_args (or bench_tmp),
# which makes `tmp` and cleans up on exit.
bench_pids=()
bench_prefix=retail/demo/store1

# bench_tmp: make $tmp; on exit stop everything in bench_pids and remove it.
bench_tmp() {
        tmp=$(mktemp -d)
        trap 'bench_cleanup; rm -rf "$tmp"' EXIT
}

# bench_args ARGS...: a benchmark's command line, then bench_tmp. A word without -- is the
# build directory ($build); --smoke calls bench_smoke (the script defines it); --conf LINE
# appends to the array extra; --NAME VALUE sets the script's variable NAME (set beforehand;
# dashes read as underscores).
bench_args() {
        while (($#)); do
                case "$1" in
                --smoke) bench_smoke ;;
                --conf) extra+=("$2"); shift ;;
                --*)
                        local name=${1#--}
                        name=${name//-/_}
                        if [[ ! -v $name || $name == build || $name == tmp || $# -lt 2 ]]; then
                                echo "$0: unknown option or missing value: $1" >&2
                                exit 2
                        fi
                        printf -v "$name" '%s' "$2"
                        shift ;;
                *) build=$1 ;;
                esac
                shift
        done
        bench_tmp
}

bench_cleanup() {
        local p
        for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
        bench_pids=()
}

# bench_broker: start mosquitto on a free loopback port; sets bench_port. Unlimited queue: the
# broker's default (1000 QoS 1 messages per client) would drop messages under a burst.
bench_broker() {
        bench_port=$((20000 + RANDOM % 20000))
        while (exec 3<>/dev/tcp/127.0.0.1/$bench_port) 2>/dev/null; do bench_port=$((bench_port + 1)); done
        printf 'listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$bench_port" \
                > "$tmp/mosquitto.conf"
        /usr/sbin/mosquitto -c "$tmp/mosquitto.conf" > "$tmp/mosquitto.log" 2>&1 &
        bench_broker_pid=$!
        bench_pids+=("$bench_broker_pid")
        for _ in $(seq 100); do
                (exec 3<>/dev/tcp/127.0.0.1/$bench_port) 2>/dev/null && return 0
                sleep 0.05
        done
        echo "mosquitto did not start" >&2
        return 1
}

# bench_health [TIMEOUT_S]: print the daemon's health reply (empty on timeout).
bench_health() {
        mosquitto_rr -p "$bench_port" -t "$bench_prefix/cmd/health" -e "$bench_prefix/reply/bench-$$" -m '{}' \
                -W "${1:-1}" -q 1 2>/dev/null || true
}

# bench_accepted_pos: POS messages the daemon has accepted (applied and in the inbox).
bench_accepted_pos() {
        bench_health "${1:-30}" | grep -o '"accepted":{[^}]*}' | grep -o '"pos":[0-9]*' | cut -d: -f2
}

# Benchmarks feed a few devices far faster than a real one: lift the per-device rate limit
# (limits.device_rate_per_second) where the binary has it. Put in every limits group.
bench_limits() {
        grep -qa device_rate_per_second "${BENCH_DAEMON:-$build/shelfwatchd}" &&
                echo "device_rate_per_second = 1000000; device_burst = 1000000;" || true
}

# bench_daemon CONF_EXTRA...: write a config and start shelfwatchd; sets bench_daemon_pid and
# waits until it answers health. Storage under $tmp/sw.db unless CONF_EXTRA has a storage block.
bench_daemon() {
        {
                echo "broker: { port = $bench_port; };"
                printf '%s\n' "$@"
        } > "$tmp/sw.conf"
        grep -q '^storage' "$tmp/sw.conf" || echo "storage: { path = \"$tmp/sw.db\"; };" >> "$tmp/sw.conf"
        # BENCH_WRAP (e.g. "qemu-aarch64 -L SYSROOT") and BENCH_DAEMON run another binary.
        ${BENCH_WRAP:-} "${BENCH_DAEMON:-$build/shelfwatchd}" -c "$tmp/sw.conf" >> "$tmp/daemon.log" 2>&1 &
        bench_daemon_pid=$!
        bench_pids+=("$bench_daemon_pid")
        for _ in $(seq 200); do
                [ -n "$(bench_health 1)" ] && return 0
                kill -0 "$bench_daemon_pid" 2>/dev/null || break
        done
        echo "shelfwatchd did not start:" >&2
        tail -20 "$tmp/daemon.log" >&2
        return 1
}

# bench_stop PID: SIGTERM and wait.
bench_stop() {
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
}

# bench_median NUMBERS...: the median (mean of the middle two for an even count).
bench_median() {
        printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
                if (NR == 0) { print "nan"; exit }
                if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

bench_now() { date +%s.%N; }

bench_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }
