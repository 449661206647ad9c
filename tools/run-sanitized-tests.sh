#!/usr/bin/env bash
# run-sanitized-tests.sh: build with ASan+UBSan and run the whole unit and integration suite.
#
# Usage: tools/run-sanitized-tests.sh [CTEST_ARGS...]   e.g. tools/run-sanitized-tests.sh -R integration
# Environment:
#   BUILD_DIR   build directory (default: build-asan, relative to the repo root)
#   SW_JOBS     parallel build jobs (default: nproc)
#   CC          compiler (default: cc; gcc and clang both work)
#
# Every executable of the build is sanitized, including the shelfwatchd and storesim
# processes that integration tests spawn: the sanitizer options are exported, so children
# inherit them. Sanitizer reports are written to $BUILD_DIR/sanitizer-logs/{asan,ubsan}.<pid>
# (log_path) instead of stderr, because a daemon killed with SIGKILL by a test, or one whose
# exit status a test does not look at, would otherwise lose its report in a deleted log.
# The run fails if ctest fails OR if any report file appears; every report is printed.
#
# Leaks inside third-party libraries (not project code) may be suppressed, with a reason,
# in tools/lsan.supp.
#
# Exit status: 0 when ctest passed and no sanitizer reported anything; 1 otherwise (or the
# first failing build step's status).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

build=${BUILD_DIR:-build-asan}
jobs=${SW_JOBS:-$(nproc)}
# float-cast-overflow (a double out of range converted to an integer) is not part of GCC's
# -fsanitize=undefined; this code converts parsed JSON numbers, so ask for it.
san="address,undefined,float-cast-overflow"
san_flags="-fsanitize=$san -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g"

bash tools/install-deps.sh

# Debug: no -DNDEBUG (asserts stay on) and no -O2 after our -O1.
echo "== run-sanitized-tests: configure $build (ASan+UBSan)"
cmake -S . -B "$build" -DSW_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_C_FLAGS="$san_flags" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$san"

echo "== run-sanitized-tests: build (-j$jobs)"
cmake --build "$build" -j"$jobs"

logs=$(cd "$build" && pwd)/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# Integration tests start mosquitto as root, which drops to the mosquitto user; a
# sanitized child of a test never runs as that user, but keep the directory writable
# for whoever runs it.
chmod 0777 "$logs"

asan=(
        detect_leaks=1
        abort_on_error=1
        halt_on_error=1
        strict_string_checks=1
        detect_stack_use_after_return=1
        check_initialization_order=1
        strict_init_order=1
        detect_invalid_pointer_pairs=1
        log_path="$logs/asan"
)
export ASAN_OPTIONS
ASAN_OPTIONS=$(IFS=:; echo "${asan[*]}")
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
lsan="print_suppressions=0"
if [[ -f tools/lsan.supp ]]; then
        lsan+=":suppressions=$repo/tools/lsan.supp"
fi
export LSAN_OPTIONS=$lsan

echo "== run-sanitized-tests: ctest (ASAN_OPTIONS=$ASAN_OPTIONS)"
status=0
ctest --test-dir "$build" --output-on-failure -LE bench "$@" || status=$? # benchmarks: ctest -L bench

shopt -s nullglob
reports=("$logs"/asan.* "$logs"/ubsan.*)
if ((${#reports[@]} > 0)); then
        echo "== run-sanitized-tests: ${#reports[@]} sanitizer report(s):"
        for f in "${reports[@]}"; do
                echo "---------- $f"
                cat "$f"
        done
        status=1
fi
if ((status == 0)); then
        echo "== run-sanitized-tests: passed, no sanitizer reports"
else
        echo "== run-sanitized-tests: FAILED"
fi
exit "$status"
