# armhf-linux-gnueabihf.cmake: CMake toolchain file for 32-bit ARM hard-float Linux (Debian armhf).
#
# Usage:
#   cross/make-sysroot.sh armhf build-cross-armhf/sysroot
#   cmake -S . -B build-cross-armhf \
#         -DCMAKE_TOOLCHAIN_FILE=cross/armhf-linux-gnueabihf.cmake \
#         -DSW_SYSROOT=$PWD/build-cross-armhf/sysroot -DSW_CORE_ONLY=ON
#
# SW_SYSROOT: a sysroot made by cross/make-sysroot.sh from Debian's armhf .debs; libc comes
# from libc6-dev-armhf-cross under /usr/arm-linux-gnueabihf. What every target shares (find_*,
# pkg-config, -rpath-link, the qemu-user emulator for tests): toolchain-common.cmake.

set(CMAKE_SYSTEM_PROCESSOR arm)
set(SW_CROSS_TRIPLET arm-linux-gnueabihf)
set(SW_CROSS_QEMU qemu-arm)
set(SW_CROSS_FILE armhf-linux-gnueabihf.cmake)

include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
