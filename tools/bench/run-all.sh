#!/usr/bin/env bash
# Every benchmark in one go, each printing its own result table (see docs/benchmarks.md).
# Usage: tools/bench/run-all.sh [--smoke] [BUILD_DIR]
#   --smoke  a few seconds each: proves every benchmark still works (CI, ctest -L bench)
# Exit status: non-zero if any benchmark failed to run (goals are reported, not enforced).
set -uo pipefail
cd "$(dirname "$0")/../.."
build=build smoke=()
for a in "$@"; do
        case "$a" in
        --smoke) smoke=(--smoke) ;;
        *) build=$a ;;
        esac
done
for t in shelfwatchd loadgen bench_state_gen; do
        [ -x "$build/$t" ] || { echo "run-all.sh: $build/$t is missing; build first" >&2; exit 1; }
done
failed=()
run() {
        echo "===== $*"
        "$@" || failed+=("$1")
}
echo "run-all: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -m)"
run tools/bench/ingest.sh "$build" "${smoke[@]}"
run tools/bench/storage.sh "$build" "${smoke[@]}"
run tools/bench/startup.sh "$build" "${smoke[@]}"
run tools/bench/memory.sh "$build" "${smoke[@]}"
if /usr/bin/python3 -c 'import numpy, sklearn' 2>/dev/null; then
        run tools/bench/detect.sh "$build" "${smoke[@]}"
else
        echo "===== detect.sh skipped: no python3-sklearn (tools/install-deps.sh --bench)"
        [ ${#smoke[@]} -eq 0 ] || failed+=(detect.sh)
fi
run tools/bench/ingest-aarch64.sh "$build" "${smoke[@]}"
if [ -x "$build/shelfwatch-hq" ]; then
        run tools/bench/hq_ingest.sh "$build" "${smoke[@]}"
        run tools/bench/hq_api_latency.sh "$build" "${smoke[@]}"
fi
if ((${#failed[@]})); then
        echo "run-all: FAILED: ${failed[*]}"
        exit 1
fi
echo "run-all: every benchmark ran"
