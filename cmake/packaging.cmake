# packaging.cmake: install layout and the CPack .deb of shelfwatch (amd64, arm64, armhf).
#
# Included at the end of CMakeLists.txt (not in SW_CORE_ONLY builds). `cpack -G DEB` in a
# build directory makes shelfwatch_<version>-<revision>_<arch>.deb; tools/check-package.sh
# does it for amd64 and cross/build-and-test.sh --package for arm64 and armhf. Both run
# tools/lint-deb.sh on the result: lintian, and the file list below.
#
# `cmake --install` and the .deb install the same files: the list, with what each is, is in
# README.md ("What cmake --install installs"), and tools/check-installed-files.sh holds both
# an install tree and every .deb to that list. The one difference: `cmake --install` never
# overwrites an existing /etc/shelfwatch/shelfwatch.conf (dpkg handles it as a conffile).
#
# The files are made as debhelper would make them: man pages, changelogs and documentation
# gzip -9n'd (cmake/package-file.cmake), the copyright file in DEP-5 format generated from
# LICENSE, binaries stripped of debug symbols, .comment and .note; maintainer scripts
# (cmake/deb/) are dh_installsystemd's for bookworm. Lintian tags that stay are overridden,
# each with its reason, in cmake/deb/lintian-overrides.
#
# Depends is written out, not computed: dpkg-shlibdeps needs the target's dpkg shlibs
# database, which a cross build from a sysroot of unpacked .debs does not have. The
# minimum versions are Debian 12's (what the binary is built and tested against).
# tools/check-package.sh checks natively that it covers what dpkg-shlibdeps finds.
#
# Another program with a man page (shelfwatch-hq) takes one line:
#   sw_man_page(docs/man/shelfwatch-hq.8 PROGRAM shelfwatch-hq [COMPONENT hq])
# which builds and installs the page and adds a ctest holding it to `shelfwatch-hq --help`.

include(GNUInstallDirs)

set(SW_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/shelfwatch)
set(SW_PKG_BUILD_DIR ${CMAKE_BINARY_DIR}/package-files)
set(SW_PACKAGE_FILE ${CMAKE_SOURCE_DIR}/cmake/package-file.cmake)
# Directories of the install tree are 0755 whatever the umask of the machine building it.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                                GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(MAKE_DIRECTORY ${SW_PKG_BUILD_DIR}/man ${SW_PKG_BUILD_DIR}/doc)

# sw_deb_revision(CHANGELOG PACKAGE OUT_VAR): the Debian revision of the newest entry of a
# Debian changelog ("PACKAGE (VERSION-REVISION) ..."), which must be for this version (the
# ctest package/changelog/PACKAGE fails otherwise, so a version bump needs an entry; the
# package is VERSION-1 until then). Re-read at the next build when the file changes.
function(sw_deb_revision changelog package out_var)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${changelog})
  file(STRINGS ${CMAKE_SOURCE_DIR}/${changelog} top LIMIT_COUNT 1)
  string(REPLACE "+" "\\+" package_re ${package})
  if(NOT top MATCHES "^${package_re} \\(([^)-]+)-([^)]+)\\)")
    message(FATAL_ERROR "${changelog}: first line is not '${package} (VERSION-REVISION) ...'")
  endif()
  set(revision ${CMAKE_MATCH_2})
  if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
    message(WARNING "${changelog}'s newest entry is for ${CMAKE_MATCH_1}, the project is "
                    "${PROJECT_VERSION}: add an entry (the package is ${PROJECT_VERSION}-1 until then)")
    set(revision 1)
  endif()
  set(${out_var} ${revision} PARENT_SCOPE)
endfunction()

# Version and Debian revision of shelfwatch from the newest entry of cmake/deb/changelog.
sw_deb_revision(cmake/deb/changelog shelfwatch SW_DEB_REVISION)
# One Maintainer for both packages (shelfwatch, shelfwatch-hq) and their copyright files'
# Upstream-Contact. The default is a placeholder (example.com is reserved): a real team
# address goes here, or -DSW_DEB_MAINTAINER="Team <team@company>" when configuring.
set(SW_DEB_MAINTAINER "shelfwatch maintainers <shelfwatch@example.com>"
    CACHE STRING "Maintainer field of the .deb: the team that answers for the package")

# sw_package_file(OUTPUT out MODE mode IN in [ARGS -Dvar=value...] [DEPENDS file...]): make
# out at build time with cmake/package-file.cmake (part of `all`).
function(sw_package_file)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUTPUT;MODE;IN" "ARGS;DEPENDS")
  get_filename_component(name ${arg_OUTPUT} NAME)
  # The target is named after the path under package-files/ (two packages' changelog.Debian.gz).
  file(RELATIVE_PATH target ${SW_PKG_BUILD_DIR} ${arg_OUTPUT})
  string(MAKE_C_IDENTIFIER ${target} target)
  add_custom_command(
    OUTPUT ${arg_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DMODE=${arg_MODE} -DIN=${arg_IN} -DOUT=${arg_OUTPUT} ${arg_ARGS} -P
            ${SW_PACKAGE_FILE}
    DEPENDS ${arg_IN} ${arg_DEPENDS} ${SW_PACKAGE_FILE}
    COMMENT "Package file ${name}"
    VERBATIM)
  add_custom_target(sw_pkg_${target} ALL DEPENDS ${arg_OUTPUT})
endfunction()

# sw_man_page(SOURCE [PROGRAM target] [MARKDOWN file] [COMPONENT c]): docs/man/<name>.<section>
# with the version filled in (and, with MARKDOWN, that file turned into roff in it), installed
# gzip'd to share/man/man<section> (in install component c, for a package of its own). With
# PROGRAM, the ctest package/man/<name> checks the page against the program's --help
# (tests/package/test_man_pages.sh).
function(sw_man_page source)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "PROGRAM;MARKDOWN;COMPONENT" "")
  get_filename_component(name ${source} NAME)
  string(REGEX MATCH "[1-9]$" section ${name})
  set(out ${SW_PKG_BUILD_DIR}/man/${name})
  set(args -DVERSION=${PROJECT_VERSION})
  set(deps)
  if(arg_MARKDOWN)
    list(APPEND args -DMARKDOWN=${CMAKE_SOURCE_DIR}/${arg_MARKDOWN}
         -DAWK_SCRIPT=${CMAKE_SOURCE_DIR}/docs/man/md2man.awk)
    list(APPEND deps ${CMAKE_SOURCE_DIR}/${arg_MARKDOWN} ${CMAKE_SOURCE_DIR}/docs/man/md2man.awk)
  endif()
  add_custom_command(
    OUTPUT ${out} ${out}.gz
    COMMAND ${CMAKE_COMMAND} -DMODE=man -DIN=${CMAKE_SOURCE_DIR}/${source} -DOUT=${out} ${args} -P
            ${SW_PACKAGE_FILE}
    DEPENDS ${CMAKE_SOURCE_DIR}/${source} ${deps} ${SW_PACKAGE_FILE}
    COMMENT "Man page ${name}"
    VERBATIM)
  add_custom_target(sw_man_${name} ALL DEPENDS ${out} ${out}.gz)
  # A component of its own is another package's: left out of `cmake --install` and of the
  # shelfwatch .deb, installed with `cmake --install --component c`.
  set(component)
  if(arg_COMPONENT)
    set(component COMPONENT ${arg_COMPONENT} EXCLUDE_FROM_ALL)
  endif()
  install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} ${component})
  set(test_args ${out})
  if(arg_PROGRAM)
    list(APPEND test_args $<TARGET_FILE:${arg_PROGRAM}>)
  endif()
  add_test(NAME package/man/${name} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/test_man_pages.sh
                                            ${test_args})
  sw_package_test_env(package/man/${name})
endfunction()

# Tests that run the build's own programs: under the cross build's emulator (qemu), as the
# integration tests do through SW_TEST_WRAPPER.
function(sw_package_test_env test)
  set_tests_properties(${test} PROPERTIES TIMEOUT 120 LABELS package)
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " wrapper)
    set_tests_properties(${test} PROPERTIES ENVIRONMENT "SW_TEST_WRAPPER=${wrapper}")
  endif()
endfunction()

# ---- programs ----
install(TARGETS shelfwatchd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS shelfwatch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# `cmake --install --strip` (and cpack, which strips) runs <triplet>-strip with no options; also
# drop .comment and .note as dh_strip does (lintian: binary-has-unneeded-section).
install(
  CODE "if(CMAKE_INSTALL_DO_STRIP)
  foreach(f \"${CMAKE_INSTALL_SBINDIR}/shelfwatchd\" \"${CMAKE_INSTALL_BINDIR}/shelfwatch\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
                            \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${f}\" RESULT_VARIABLE r)
    if(NOT r EQUAL 0)
      message(FATAL_ERROR \"strip \${f}: \${r}\")
    endif()
  endforeach()
endif()")

# ---- systemd unit and configuration ----
# /lib/systemd/system whatever the prefix: Debian 12's systemd reads units from there (the
# move to /usr/lib came after bookworm). The unit runs /usr/sbin/shelfwatchd.
install(FILES ${CMAKE_SOURCE_DIR}/systemd/shelfwatchd.service DESTINATION /lib/systemd/system)
# /etc/shelfwatch/shelfwatch.conf: a conffile in the .deb (cmake/deb/conffiles; dpkg keeps an
# edited one on upgrade). `cmake --install` installs it only where there is none, so it never
# overwrites an edited file; the default stays in the source tree (systemd/shelfwatch.conf).
install(
  CODE "set(conf \"\$ENV{DESTDIR}/etc/shelfwatch/shelfwatch.conf\")
if(EXISTS \"\${conf}\")
  message(STATUS \"Kept: \${conf} (exists; the default is ${CMAKE_SOURCE_DIR}/systemd/shelfwatch.conf)\")
else()
  file(INSTALL DESTINATION /etc/shelfwatch TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES \"${CMAKE_SOURCE_DIR}/systemd/shelfwatch.conf\")
endif()
if(NOT CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
  message(WARNING \"Installed under \${CMAKE_INSTALL_PREFIX}: the unit in /lib/systemd/system \"
                  \"runs /usr/sbin/shelfwatchd (install with --prefix /usr)\")
endif()")

# ---- man pages, bash completion ----
sw_man_page(docs/man/shelfwatchd.8 PROGRAM shelfwatchd)
sw_man_page(docs/man/shelfwatch.1 PROGRAM shelfwatch)
sw_man_page(docs/man/shelfwatch.conf.5 MARKDOWN docs/configuration.md)
install(FILES ${CMAKE_SOURCE_DIR}/tools/shelfwatch/completion.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME shelfwatch)

# ---- /usr/share/doc/shelfwatch ----
# copyright (DEP-5, from LICENSE); changelog.gz (CHANGELOG.md, upstream) and
# changelog.Debian.gz (cmake/deb/changelog); README and docs/*.md compressed (dh_compress
# compresses documentation over 4 KiB; all of these are); docs/examples/ as they are
# (dh_compress leaves examples alone, and these are a few lines each).
sw_package_file(OUTPUT ${SW_PKG_BUILD_DIR}/copyright MODE copyright IN ${CMAKE_SOURCE_DIR}/LICENSE
                ARGS "-DCONTACT=${SW_DEB_MAINTAINER}")
sw_package_file(OUTPUT ${SW_PKG_BUILD_DIR}/changelog.gz MODE gzip IN ${CMAKE_SOURCE_DIR}/CHANGELOG.md)
sw_package_file(OUTPUT ${SW_PKG_BUILD_DIR}/changelog.Debian.gz MODE gzip
                IN ${CMAKE_SOURCE_DIR}/cmake/deb/changelog)
install(FILES ${SW_PKG_BUILD_DIR}/copyright ${SW_PKG_BUILD_DIR}/changelog.gz
              ${SW_PKG_BUILD_DIR}/changelog.Debian.gz DESTINATION ${SW_DOC_DIR})
file(GLOB SW_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
foreach(doc ${CMAKE_SOURCE_DIR}/README.md ${SW_DOCS})
  get_filename_component(name ${doc} NAME)
  sw_package_file(OUTPUT ${SW_PKG_BUILD_DIR}/doc/${name}.gz MODE gzip IN ${doc})
  install(FILES ${SW_PKG_BUILD_DIR}/doc/${name}.gz DESTINATION ${SW_DOC_DIR})
endforeach()
file(GLOB SW_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/examples/*)
install(FILES ${SW_EXAMPLES} DESTINATION ${SW_DOC_DIR}/examples)
# Tags that stay, each with its reason (dh_lintian's place for them).
install(FILES ${CMAKE_SOURCE_DIR}/cmake/deb/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME shelfwatch)

# ---- tests of the packaging (ctest -L package) ----
add_test(NAME package/completion
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/test_completion.sh
                 ${CMAKE_SOURCE_DIR}/tools/shelfwatch/completion.bash $<TARGET_FILE:shelfwatch>)
sw_package_test_env(package/completion)
add_test(NAME package/install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/test_install.sh
                                      ${CMAKE_BINARY_DIR})
set_tests_properties(package/install PROPERTIES TIMEOUT 120 LABELS package)
add_test(NAME package/changelog
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/test_changelog.sh ${PROJECT_VERSION})
set_tests_properties(package/changelog PROPERTIES TIMEOUT 60 LABELS package)

# ---- the .deb ----
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
# The Debian revision counts packagings of one upstream version (a fix to the maintainer
# scripts is 0.1.0-2, with the same shelfwatchd); so the package is not "native" and has
# both an upstream changelog.gz and a changelog.Debian.gz.
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SW_DEB_REVISION})
set(CPACK_PACKAGE_VENDOR "shelfwatch")
set(CPACK_PACKAGE_CONTACT "${SW_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SW_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "retail store gateway daemon that finds ghost stock")
# CPack puts the summary on the Description line; this is the long text under it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "shelfwatchd runs on a retail store's gateway: it reads point-of-sale, receipt,\n"
    "inventory, forecast, shelf-sensor and cycle-count messages from the store's\n"
    "MQTT broker, keeps per-SKU state in SQLite with fixed memory, and publishes\n"
    "ghost-stock, empty-shelf, stock-discrepancy and Isolation Forest anomalies\n"
    "to head office. It runs as a hardened systemd service (Type=notify,\n"
    "watchdog, DynamicUser).\n"
    ".\n"
    "The shelfwatch command-line client asks a running daemon for anomalies,\n"
    "cycle-count recommendations, alert effectiveness and health, and records\n"
    "whether an anomaly was real.")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # shelfwatch_<version>-<revision>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${SW_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libcjson1 (>= 1.7.15), libconfig9 (>= 1.5), libmosquitto1 (>= 2.0.11), \
libsmartcols1 (>= 2.38.1), libsqlite3-0 (>= 3.40.1), libsystemd0 (>= 252), tzdata")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/cmake/deb/postinst ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
    ${CMAKE_SOURCE_DIR}/cmake/deb/postrm ${CMAKE_SOURCE_DIR}/cmake/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE) # scripts 0755, conffiles 0644
set(CPACK_STRIP_FILES TRUE) # CMAKE_STRIP: <triplet>-strip in a cross build
# /lib/systemd/system and /etc/shelfwatch are absolute install destinations by design.
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)

# ---- shelfwatch-hq: its own .deb, made from install component hq ----
# Native builds only (hq/ is not cross-built). Every file of the package is installed here, in
# component hq, which `cmake --install` and the shelfwatch .deb leave out (EXCLUDE_FROM_ALL);
# hq/packaging/build-deb.sh installs it with `cmake --install --component hq --strip` and adds
# the control files (hq/packaging/: maintainer scripts, conffiles; the control file made
# below). README.md lists the files (the shelfwatch-hq table), and ctest package/install and
# hq/packaging/check-package.sh (tools/lint-deb.sh) hold the install tree and the .deb to it.
if(TARGET shelfwatch-hq)
  set(SW_HQ_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/shelfwatch-hq)
  sw_deb_revision(hq/packaging/changelog shelfwatch-hq SW_HQ_DEB_REVISION)
  set(SW_HQ_DEB_VERSION ${PROJECT_VERSION}-${SW_HQ_DEB_REVISION})
  file(MAKE_DIRECTORY ${SW_PKG_BUILD_DIR}/hq)
  # DEBIAN/control but Installed-Size, which build-deb.sh adds once the tree is staged.
  configure_file(${CMAKE_SOURCE_DIR}/hq/packaging/control.in ${SW_PKG_BUILD_DIR}/hq/control @ONLY)

  # The program: stripped by --strip, and of .comment and .note as dh_strip does.
  install(
    CODE "if(CMAKE_INSTALL_DO_STRIP)
  set(f \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/shelfwatch-hq\")
  execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note
                          \"\${f}\" RESULT_VARIABLE r)
  if(NOT r EQUAL 0)
    message(FATAL_ERROR \"strip \${f}: \${r}\")
  endif()
endif()"
    COMPONENT hq EXCLUDE_FROM_ALL)
  sw_man_page(docs/man/shelfwatch-hq.8 PROGRAM shelfwatch-hq COMPONENT hq)

  # The ingest unit (enabled and started by the package) and the API's (installed disabled).
  install(FILES ${CMAKE_SOURCE_DIR}/systemd/shelfwatch-hq.service
                ${CMAKE_SOURCE_DIR}/systemd/shelfwatch-hq-serve.service
          DESTINATION /lib/systemd/system COMPONENT hq EXCLUDE_FROM_ALL)
  # /etc/shelfwatch/shelfwatch-hq.conf: a conffile in the .deb; `cmake --install` keeps an
  # existing one, as for shelfwatch.conf.
  install(
    CODE "set(conf \"\$ENV{DESTDIR}/etc/shelfwatch/shelfwatch-hq.conf\")
if(EXISTS \"\${conf}\")
  message(STATUS \"Kept: \${conf} (exists; the default is ${CMAKE_SOURCE_DIR}/systemd/shelfwatch-hq.conf)\")
else()
  file(INSTALL DESTINATION /etc/shelfwatch TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES \"${CMAKE_SOURCE_DIR}/systemd/shelfwatch-hq.conf\")
endif()
if(NOT CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
  message(WARNING \"Installed under \${CMAKE_INSTALL_PREFIX}: the units in /lib/systemd/system \"
                  \"run /usr/sbin/shelfwatch-hq and the config names /usr/share/shelfwatch-hq \"
                  \"(install with --prefix /usr)\")
endif()"
    COMPONENT hq EXCLUDE_FROM_ALL)

  # shelfwatch-hq serve: the dashboard and the API document (http.web_root, http.api_doc).
  file(GLOB SW_HQ_WEB CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/hq/web/*.html
       ${CMAKE_SOURCE_DIR}/hq/web/*.css ${CMAKE_SOURCE_DIR}/hq/web/*.js)
  install(FILES ${SW_HQ_WEB} DESTINATION ${CMAKE_INSTALL_DATADIR}/shelfwatch-hq/web COMPONENT hq
          EXCLUDE_FROM_ALL)
  install(FILES ${CMAKE_SOURCE_DIR}/hq/api/openapi.json
          DESTINATION ${CMAKE_INSTALL_DATADIR}/shelfwatch-hq COMPONENT hq EXCLUDE_FROM_ALL)

  # /usr/share/doc/shelfwatch-hq: the same copyright file and upstream changelog as shelfwatch
  # (one source tree, one licence, one CHANGELOG.md), its own changelog.Debian.gz, docs/hq.md
  # compressed, and HQ's broker configuration and ACL as examples.
  sw_package_file(OUTPUT ${SW_PKG_BUILD_DIR}/hq/changelog.Debian.gz MODE gzip
                  IN ${CMAKE_SOURCE_DIR}/hq/packaging/changelog)
  install(FILES ${SW_PKG_BUILD_DIR}/copyright ${SW_PKG_BUILD_DIR}/changelog.gz
                ${SW_PKG_BUILD_DIR}/hq/changelog.Debian.gz ${SW_PKG_BUILD_DIR}/doc/hq.md.gz
          DESTINATION ${SW_HQ_DOC_DIR} COMPONENT hq EXCLUDE_FROM_ALL)
  file(GLOB SW_HQ_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/examples/hq-*)
  install(FILES ${SW_HQ_EXAMPLES} DESTINATION ${SW_HQ_DOC_DIR}/examples COMPONENT hq
          EXCLUDE_FROM_ALL)
  install(FILES ${CMAKE_SOURCE_DIR}/hq/packaging/lintian-overrides
          DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME shelfwatch-hq COMPONENT hq
          EXCLUDE_FROM_ALL)

  add_test(NAME package/changelog/shelfwatch-hq
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/package/test_changelog.sh ${PROJECT_VERSION}
                   ${CMAKE_SOURCE_DIR}/hq/packaging/changelog shelfwatch-hq)
  set_tests_properties(package/changelog/shelfwatch-hq PROPERTIES TIMEOUT 60 LABELS "package;hq")
endif()
