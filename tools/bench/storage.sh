#!/usr/bin/env bash
# Storage benchmark: SQLite transactions and fsyncs per accepted message, and bytes written to
# disk per 1M POS lines (/proc/PID/io write_bytes: pages the daemon dirtied, what reaches the
# flash) at the configured durability, over MESSAGES POS messages of LINES lines. Transactions
# and fsyncs are counted by a small LD_PRELOAD shim (compiled here with cc) around
# sqlite3_step and fsync/fdatasync: a transaction is a COMMIT, or a write statement run
# outside one. Runs are fresh daemons on a fresh database.
# Usage: tools/bench/storage.sh [BUILD_DIR] [--smoke] [--runs N] [--messages N] [--lines L]
#        [--conf LINE]...
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/bench_lib.sh
build=build runs=5 messages=100000 lines=5 extra=()
bench_smoke() { runs=1 messages=5000; }
bench_args "$@"
cat > "$tmp/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
static unsigned long tx, syncs;
static void dump(void)
{
        const char *p = getenv("SW_TXCOUNT_FILE");
        FILE *f = p ? fopen(p, "w") : NULL;
        if (f) { fprintf(f, "%lu %lu\n", tx, syncs); fclose(f); }
}
int sqlite3_step(sqlite3_stmt *st)
{
        static int (*real)(sqlite3_stmt *);
        if (!real) real = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
        sqlite3 *db = sqlite3_db_handle(st);
        int was_auto = sqlite3_get_autocommit(db);
        const char *sql = sqlite3_sql(st);
        int rc = real(st);
        if ((rc == SQLITE_DONE || rc == SQLITE_ROW) && sql) {
                if (strncasecmp(sql, "COMMIT", 6) == 0 || strncasecmp(sql, "END", 3) == 0) tx++;
                else if (was_auto && !sqlite3_stmt_readonly(st) && rc == SQLITE_DONE) tx++;
        }
        return rc;
}
int fdatasync(int fd)
{
        static int (*real)(int);
        if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
        syncs++;
        return real(fd);
}
int fsync(int fd)
{
        static int (*real)(int);
        if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
        syncs++;
        return real(fd);
}
__attribute__((constructor)) static void init(void) { atexit(dump); }
C
cc -O2 -shared -fPIC -o "$tmp/txcount.so" "$tmp/shim.c" -ldl
bench_broker
total_lines=$((messages * lines))
echo "storage: $messages POS messages x $lines lines per run, $runs runs, load $(bench_load)"
printf '%-4s %12s %10s %12s %12s %16s %14s\n' run accepted "tx" "tx/msg" "fsync/msg" "bytes/msg" "MB/1M lines"
txs=() fss=() bms=() mbs=()
for i in $(seq "$runs"); do
        rm -f "$tmp"/sw.db*
        export SW_TXCOUNT_FILE="$tmp/tx.$i"
        LD_PRELOAD="$tmp/txcount.so" bench_daemon "limits: { $(bench_limits) };" "${extra[@]}"
        unset SW_TXCOUNT_FILE
        sleep 1.5
        wb0=$(awk '/^write_bytes/ {print $2}' "/proc/$bench_daemon_pid/io")
        "$build/loadgen" -p "$bench_port" --messages "$messages" --lines "$lines" --run "st$i-$$" > /dev/null
        while :; do a=$(bench_accepted_pos 60); [ -n "$a" ] && [ "$a" -ge "$messages" ] && break; sleep 0.1; done
        sleep 2.5 # the last group commit (and inbox clear)
        wb1=$(awk '/^write_bytes/ {print $2}' "/proc/$bench_daemon_pid/io")
        bench_stop "$bench_daemon_pid"
        read -r tx sy < "$tmp/tx.$i"
        tpm=$(echo "$tx / $messages" | bc -l); fpm=$(echo "$sy / $messages" | bc -l)
        bpm=$(echo "($wb1 - $wb0) / $messages" | bc -l); mb=$(echo "($wb1 - $wb0) / $total_lines * 1000000 / 1000000" | bc -l)
        txs+=("$tpm") fss+=("$fpm") bms+=("$bpm") mbs+=("$mb")
        printf '%-4s %12s %10s %12.3f %12.4f %16.0f %14.1f\n' "$i" "$a" "$tx" "$tpm" "$fpm" "$bpm" "$mb"
done
printf '%-4s %12s %10s %12.3f %12.4f %16.0f %14.1f\n' median "" "" "$(bench_median "${txs[@]}")" \
        "$(bench_median "${fss[@]}")" "$(bench_median "${bms[@]}")" "$(bench_median "${mbs[@]}")"
echo "tx and fsyncs cover the whole life of the daemon (start-up and shutdown included); bytes only the load; load $(bench_load)"
