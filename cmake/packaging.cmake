# packaging.cmake: install layout and the CPack .deb of shelfwatch (amd64, arm64, armhf).
#
# Included at the end of CMakeLists.txt (not in SW_CORE_ONLY builds). `cpack -G DEB` in a
# build directory makes shelfwatch_<version>_<arch>.deb; cross/package.sh does it for every
# architecture. The package holds:
#   /usr/sbin/shelfwatchd                 the daemon (stripped by CPack)
#   /usr/bin/shelfwatch                   the operator CLI, when tools/shelfwatch/ exists
#   /lib/systemd/system/shelfwatchd.service
#   /etc/shelfwatch/shelfwatch.conf       the default config, a conffile
#   /usr/share/doc/shelfwatch/            README and docs/*.md
# Maintainer scripts (cmake/deb/) enable and start the unit the way dh_installsystemd does.
#
# Depends is written out, not computed: dpkg-shlibdeps needs the target's dpkg shlibs
# database, which a cross build from a sysroot of unpacked .debs does not have. The
# minimum versions are Debian 12's (what the binary is built and tested against).

install(FILES ${CMAKE_SOURCE_DIR}/systemd/shelfwatchd.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/shelfwatch.conf DESTINATION /etc/shelfwatch
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(GLOB SW_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${SW_DOCS} DESTINATION share/doc/shelfwatch)
if(TARGET shelfwatch)
  install(TARGETS shelfwatch RUNTIME DESTINATION bin)
endif()

# Debian architecture of the target: from the toolchain file when cross compiling.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(SW_DEB_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(SW_DEB_ARCH armhf)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  set(SW_DEB_ARCH amd64)
else()
  set(SW_DEB_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shelfwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "shelfwatch")
set(CPACK_PACKAGE_CONTACT "shelfwatch maintainers <shelfwatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "edge daemon that finds ghost stock and inventory anomalies")
# CPack puts the summary on the Description line; this is the long text under it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "shelfwatchd runs on a retail store's gateway: it reads point-of-sale, receipt,\n"
    "inventory, forecast and shelf-sensor messages from the store's MQTT broker,\n"
    "keeps per-SKU state in SQLite with fixed memory, and publishes ghost-stock,\n"
    "empty-shelf, discrepancy and Isolation Forest anomalies to HQ. It runs as a\n"
    "hardened systemd service (Type=notify, watchdog, DynamicUser).")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # shelfwatch_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${SW_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libcjson1 (>= 1.7.15), libconfig9 (>= 1.5), libmosquitto1 (>= 2.0.11), \
libsqlite3-0 (>= 3.40.1), libsystemd0 (>= 252), tzdata")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/cmake/deb/postinst ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
    ${CMAKE_SOURCE_DIR}/cmake/deb/postrm ${CMAKE_SOURCE_DIR}/cmake/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE) # scripts 0755, conffiles 0644
set(CPACK_STRIP_FILES TRUE) # CMAKE_STRIP: <triplet>-strip in a cross build
# /lib/systemd/system and /etc/shelfwatch are absolute install destinations by design.
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
