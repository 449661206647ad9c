#!/usr/bin/env bash
# run-tests.sh: install dependencies, build with warnings as errors and run the whole test suite.
#
# Usage: tools/run-tests.sh [CTEST_ARGS...]    e.g. tools/run-tests.sh -R tests/core
# Environment:
#   BUILD_DIR   build directory (default: build, relative to the repo root)
#   SW_JOBS     parallel build jobs (default: nproc)
# Exit status: ctest's (or the first failing step's).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

build=${BUILD_DIR:-build}
jobs=${SW_JOBS:-$(nproc)}

bash tools/install-deps.sh

echo "== run-tests: configure $build"
cmake -S . -B "$build" -DSW_WERROR=ON

echo "== run-tests: build (-j$jobs)"
cmake --build "$build" -j"$jobs"

echo "== run-tests: ctest"
status=0
ctest --test-dir "$build" --output-on-failure -LE bench "$@" || status=$? # benchmarks: ctest -L bench
exit "$status"
