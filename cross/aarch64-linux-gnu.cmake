# aarch64-linux-gnu.cmake: CMake toolchain file for 64-bit ARM Linux (Debian gcc-aarch64-linux-gnu).
#
# Usage:
#   cross/make-sysroot.sh aarch64 build-cross-aarch64/sysroot
#   cmake -S . -B build-cross-aarch64 \
#         -DCMAKE_TOOLCHAIN_FILE=cross/aarch64-linux-gnu.cmake \
#         -DSW_SYSROOT=$PWD/build-cross-aarch64/sysroot -DSW_CORE_ONLY=ON
#
# SW_SYSROOT: a sysroot made by cross/make-sysroot.sh from Debian's arm64 .debs; libc comes
# from libc6-dev-arm64-cross under /usr/aarch64-linux-gnu. What every target shares (find_*,
# pkg-config, -rpath-link, the qemu-user emulator for tests): toolchain-common.cmake.

set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(SW_CROSS_TRIPLET aarch64-linux-gnu)
set(SW_CROSS_QEMU qemu-aarch64)
set(SW_CROSS_FILE aarch64-linux-gnu.cmake)

include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
