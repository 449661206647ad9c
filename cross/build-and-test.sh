#!/usr/bin/env bash
# build-and-test.sh: cross build core/ and its unit tests for ARM and run them under qemu-user.
#
# Usage: cross/build-and-test.sh [aarch64|armhf] [--full] [-- CTEST_ARGS...]
#   aarch64 (default) or armhf   target architecture
#   --full   build everything (daemon, platform, tools) instead of
#            SW_CORE_ONLY; ctest then runs only the core tests, since the
#            other tests need a broker and other host services
# Environment:
#   SW_CROSS_BUILD_DIR   build directory (default build-cross-<arch>[-full])
#   SW_SYSROOT           sysroot to use (default build-cross-<arch>/sysroot,
#                        made with cross/make-sysroot.sh if missing)
#
# Needs the packages of tools/install-deps.sh --cross.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

arch=aarch64
full=0
ctest_args=()
while (($# > 0)); do
        case "$1" in
        aarch64 | arm64) arch=aarch64 ;;
        armhf) arch=armhf ;;
        --full) full=1 ;;
        --)
                shift
                ctest_args=("$@")
                break
                ;;
        *)
                echo "build-and-test.sh: unknown argument '$1'" >&2
                exit 2
                ;;
        esac
        shift
done

case "$arch" in
aarch64) toolchain=cross/aarch64-linux-gnu.cmake ;;
armhf) toolchain=cross/armhf-linux-gnueabihf.cmake ;;
esac

sysroot=${SW_SYSROOT:-$repo/build-cross-$arch/sysroot}
if ((full)); then
        build=${SW_CROSS_BUILD_DIR:-$repo/build-cross-$arch-full}
        core_only=OFF
else
        build=${SW_CROSS_BUILD_DIR:-$repo/build-cross-$arch}
        core_only=ON
fi

echo "== cross ($arch): sysroot $sysroot"
bash cross/make-sysroot.sh "$arch" "$sysroot"

echo "== cross ($arch): configure $build (SW_CORE_ONLY=$core_only)"
cmake -S "$repo" -B "$build" \
        -DCMAKE_TOOLCHAIN_FILE="$repo/$toolchain" \
        -DSW_SYSROOT="$sysroot" \
        -DSW_CORE_ONLY="$core_only" \
        -DSW_WERROR=ON

echo "== cross ($arch): build"
cmake --build "$build" -j"$(nproc)"

# Show that what was built really is for the target.
for f in "$build"/tests_core_test_*; do
        if [[ -x "$f" ]] && command -v file >/dev/null; then
                file -b "$f" | cut -d, -f1-2 | sed "s|^|   $(basename "$f"): |"
        fi
done

if ((full)); then
        # Only the core unit tests are pure enough to run under qemu without
        # a broker; the rest of the full build is checked by linking.
        ctest_args=(-R '^tests/core/' "${ctest_args[@]}")
fi

echo "== cross ($arch): ctest under qemu"
ctest --test-dir "$build" --output-on-failure "${ctest_args[@]}"
