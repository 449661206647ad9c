#!/usr/bin/env bash
# The ingest benchmark with the aarch64 build of shelfwatchd under qemu-aarch64 (user-mode
# emulation, for reference only: not comparable with native figures). The load generator,
# broker and mosquitto_sub stay native. Needs the full cross build (cross/build-and-test.sh
# aarch64 --full); without it this prints a note and exits 0.
# Usage: tools/bench/ingest-aarch64.sh [BUILD_DIR] [--smoke] [ingest.sh options...]
#   SW_CROSS_BUILD_DIR  the cross build (default build-cross-aarch64-full)
set -euo pipefail
cd "$(dirname "$0")/../.."
cross=${SW_CROSS_BUILD_DIR:-build-cross-aarch64-full}
sysroot=${SW_SYSROOT:-$cross/sysroot}
[ -d "$sysroot" ] || sysroot=build-cross-aarch64/sysroot
if [ ! -x "$cross/shelfwatchd" ] || ! command -v qemu-aarch64 > /dev/null; then
        echo "ingest-aarch64: skipped: no $cross/shelfwatchd (cross/build-and-test.sh aarch64 --full) or no qemu-aarch64"
        exit 0
fi
file "$cross/shelfwatchd" 2>/dev/null | grep -q aarch64 || { echo "ingest-aarch64: $cross/shelfwatchd is not aarch64"; exit 1; }
# As cross/build-and-test.sh runs the tests: the toolchain's loader, the sysroot's libraries.
sysroot=$(cd "$sysroot" && pwd)
triplet=aarch64-linux-gnu
echo "ingest-aarch64: $cross/shelfwatchd under qemu-aarch64, libraries from $sysroot"
BENCH_WRAP="qemu-aarch64 -L /usr/$triplet -E LD_LIBRARY_PATH=$sysroot/usr/lib/$triplet:$sysroot/lib/$triplet" \
        BENCH_DAEMON="$cross/shelfwatchd" exec tools/bench/ingest.sh "$@"
