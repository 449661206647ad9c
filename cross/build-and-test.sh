#!/usr/bin/env bash
# build-and-test.sh: cross build for ARM and run the tests under qemu-user; optionally the .deb.
#
# Usage: cross/build-and-test.sh [aarch64|armhf] [--full] [--package] [-- CTEST_ARGS...]
#   aarch64 (default) or armhf   target architecture
#   --full     build everything (daemon, platform, tools, every test) instead of
#              SW_CORE_ONLY, and run every test under qemu: unit tests of core/,
#              platform/ and daemon/, and the integration tests, whose harness
#              starts the cross-built shelfwatchd, storesim and CLI through
#              SW_TEST_WRAPPER (qemu) and the host's mosquitto
#   --package  (implies --full) then cpack the .deb (into SW_DEB_OUT, default
#              build-debs/), report the stripped size of shelfwatchd, and run
#              tools/lint-deb.sh on it (lintian, README.md's file list)
#   --steps=LIST  only these of build,test,package (comma-separated; default
#              all that apply), e.g. build first and test later (cross/ci.sh)
# Environment:
#   SW_CROSS_BUILD_DIR   build directory (default build-cross-<arch>[-full])
#   SW_SYSROOT           sysroot to use (default build-cross-<arch>/sysroot,
#                        made with cross/make-sysroot.sh if missing)
#   SW_MAX_BINARY_BYTES  with --package: fail if stripped shelfwatchd is larger
#                        (default 524288, the 512 KB goal)
#
# Needs the packages of tools/install-deps.sh --cross.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

arch=aarch64
full=0
package=0
steps=build,test,package
ctest_args=()
while (($# > 0)); do
        case "$1" in
        aarch64 | arm64) arch=aarch64 ;;
        armhf) arch=armhf ;;
        --full) full=1 ;;
        --package)
                full=1
                package=1
                ;;
        --steps=*) steps=${1#--steps=} ;;
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
aarch64)
        toolchain=cross/aarch64-linux-gnu.cmake
        triplet=aarch64-linux-gnu
        qemu="qemu-aarch64"
        ;;
armhf)
        toolchain=cross/armhf-linux-gnueabihf.cmake
        triplet=arm-linux-gnueabihf
        qemu="qemu-arm"
        ;;
esac

sysroot=${SW_SYSROOT:-$repo/build-cross-$arch/sysroot}
if ((full)); then
        build=${SW_CROSS_BUILD_DIR:-$repo/build-cross-$arch-full}
        core_only=OFF
else
        build=${SW_CROSS_BUILD_DIR:-$repo/build-cross-$arch}
        core_only=ON
fi

step() {
        [[ ",$steps," == *",$1,"* ]]
}

status=0
if step build; then
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
        for f in "$build"/tests_core_test_* "$build"/shelfwatchd; do
                if [[ -x "$f" ]] && command -v file >/dev/null; then
                        file -b "$f" | cut -d, -f1-2 | sed "s|^|   $(basename "$f"): |"
                fi
        done
fi

if ((full)); then
        # The integration tests spawn the build's own programs: no binfmt_misc
        # is assumed, so the harness puts this in front of them (host programs
        # such as mosquitto run as they are).
        export SW_TEST_WRAPPER="$qemu -L /usr/$triplet -E LD_LIBRARY_PATH=$sysroot/usr/lib/$triplet:$sysroot/lib/$triplet"
fi

if step test; then
        echo "== cross ($arch): ctest under qemu"
        ctest --test-dir "$build" --output-on-failure -LE bench "${ctest_args[@]}" || status=$?
fi

if ((package)) && step package; then
        echo "== cross ($arch): cpack -G DEB"
        out=${SW_DEB_OUT:-$repo/build-debs}
        mkdir -p "$out"
        (cd "$build" && cpack -G DEB -B "$out/cpack-$arch" >/dev/null)
        deb=$(ls -t "$out/cpack-$arch"/shelfwatch_*.deb | head -n 1)
        mv -f "$deb" "$out/"
        rm -rf "$out/cpack-$arch"
        deb="$out/$(basename "$deb")"
        dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/   /'
        # The size that ships: what CPack installs, stripped by <triplet>-strip.
        dpkg-deb -x "$deb" "$build/deb-root"
        bytes=$(stat -c %s "$build/deb-root/usr/sbin/shelfwatchd")
        file -b "$build/deb-root/usr/sbin/shelfwatchd" | cut -d, -f1-2,5 | sed 's/^/   /'
        rm -rf "$build/deb-root"
        max=${SW_MAX_BINARY_BYTES:-524288}
        echo "   $(basename "$deb"): shelfwatchd stripped $bytes bytes ($((bytes / 1024)) KiB; limit $((max / 1024)) KiB)"
        if ((bytes > max)); then
                echo "build-and-test.sh: stripped shelfwatchd ($bytes bytes) is over $max" >&2
                status=1
        fi
        # lintian (no error, warning or info tag) and README.md's file list, as for amd64.
        bash tools/lint-deb.sh "$deb" || status=1
fi
exit "$status"
