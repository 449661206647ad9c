# toolchain-common.cmake: the part the per-target toolchain files share (included by them
# after they set CMAKE_SYSTEM_PROCESSOR, SW_CROSS_TRIPLET, SW_CROSS_QEMU and SW_CROSS_FILE).
#
# SW_SYSROOT (cache variable or environment variable) is a directory made by
# cross/make-sysroot.sh: the target's libraries (cmocka, mosquitto, ...) unpacked
# from Debian's .debs of the architecture. It holds no libc; libc, crt files and the dynamic
# loader come from Debian's libc6-dev-<arch>-cross under /usr/<triplet>, which the
# cross compiler uses by default. That is why this file does not set
# CMAKE_SYSROOT (gcc --sysroot would then look for libc inside SW_SYSROOT) and
# instead points the find_* commands, pkg-config and the linker at it.
#
# Tests run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR, which ctest
# uses for every add_test(NAME ... COMMAND <target>).

set(CMAKE_SYSTEM_NAME Linux) # every target is Linux
set(CMAKE_C_COMPILER ${SW_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${SW_CROSS_TRIPLET})

# The toolchain file is read again for every try_compile, where cache
# variables given on the command line are not set: carry SW_SYSROOT through
# the environment of this cmake process.
if(NOT SW_SYSROOT AND DEFINED ENV{SW_SYSROOT})
  set(SW_SYSROOT "$ENV{SW_SYSROOT}")
endif()
if(NOT SW_SYSROOT)
  message(FATAL_ERROR "${SW_CROSS_FILE}: set SW_SYSROOT (-DSW_SYSROOT=DIR or env) "
                      "to a sysroot made by cross/make-sysroot.sh")
endif()
get_filename_component(SW_SYSROOT "${SW_SYSROOT}" ABSOLUTE)
set(SW_SYSROOT "${SW_SYSROOT}" CACHE PATH "Target library sysroot (cross/make-sysroot.sh)")
set(ENV{SW_SYSROOT} "${SW_SYSROOT}")

set(SW_CROSS_LIBC_DIR /usr/${SW_CROSS_TRIPLET})
set(SW_CROSS_LIB_DIRS "${SW_SYSROOT}/usr/lib/${SW_CROSS_TRIPLET}" "${SW_SYSROOT}/lib/${SW_CROSS_TRIPLET}")

# Headers and libraries only from the target trees; programs from the host.
set(CMAKE_FIND_ROOT_PATH "${SW_SYSROOT}" "${SW_CROSS_LIBC_DIR}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config: only the target's .pc files, with paths inside the sysroot.
set(ENV{PKG_CONFIG_LIBDIR}
    "${SW_SYSROOT}/usr/lib/${SW_CROSS_TRIPLET}/pkgconfig:${SW_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${SW_SYSROOT}")
unset(ENV{PKG_CONFIG_PATH})

# Shared libraries in the sysroot need others (libssl, libcap, ...) that the
# link does not name; -rpath-link lets ld find them there.
set(SW_CROSS_LINK_FLAGS "")
foreach(dir ${SW_CROSS_LIB_DIRS})
  string(APPEND SW_CROSS_LINK_FLAGS " -Wl,-rpath-link,${dir}")
endforeach()
set(CMAKE_EXE_LINKER_FLAGS_INIT "${SW_CROSS_LINK_FLAGS}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${SW_CROSS_LINK_FLAGS}")

# Run target binaries (tests) under qemu-user: the dynamic loader and libc
# from the cross libc tree (-L), everything else from the sysroot.
find_program(SW_QEMU NAMES ${SW_CROSS_QEMU} ${SW_CROSS_QEMU}-static)
if(SW_QEMU)
  list(JOIN SW_CROSS_LIB_DIRS ":" sw_ld_path)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${SW_QEMU};-L;${SW_CROSS_LIBC_DIR};-E;LD_LIBRARY_PATH=${sw_ld_path}")
else()
  message(WARNING "${SW_CROSS_QEMU} not found (apt-get install qemu-user): "
                  "tests can be built but not run")
endif()
