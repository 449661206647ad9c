# package-file.cmake: make one file of the package at build time (cmake -P; see packaging.cmake).
#
#   cmake -DMODE=gzip -DIN=f -DOUT=f.gz -P package-file.cmake
#       gzip -9n: best compression, no name or time stamp (reproducible; what dh_compress does).
#   cmake -DMODE=man -DIN=page.N -DOUT=dir/page.N -DVERSION=v [-DMARKDOWN=f.md -DAWK_SCRIPT=a.awk]
#       -P package-file.cmake
#       The man page with @VERSION@ filled in, written to OUT and compressed to OUT.gz. With
#       MARKDOWN, the page's line `.\" @CONFIGURATION_MD@` is replaced by that Markdown file
#       turned into roff by AWK_SCRIPT (docs/man/md2man.awk).
#   cmake -DMODE=copyright -DIN=LICENSE -DOUT=copyright -DCONTACT="Name <mail>" -P package-file.cmake
#       /usr/share/doc/shelfwatch/copyright in Debian's machine-readable format (DEP-5) from
#       the MIT LICENSE at the repository root: its copyright line and its text.
cmake_minimum_required(VERSION 3.25)

function(sw_gzip in out)
  execute_process(COMMAND gzip -9n -c "${in}" OUTPUT_FILE "${out}.tmp" RESULT_VARIABLE r)
  if(NOT r EQUAL 0)
    message(FATAL_ERROR "gzip ${in}: ${r}")
  endif()
  file(RENAME "${out}.tmp" "${out}")
endfunction()

if(MODE STREQUAL "gzip")
  sw_gzip("${IN}" "${OUT}")

elseif(MODE STREQUAL "man")
  file(READ "${IN}" page)
  string(REPLACE "@VERSION@" "${VERSION}" page "${page}")
  if(MARKDOWN)
    find_program(SW_AWK NAMES awk mawk gawk REQUIRED)
    execute_process(COMMAND "${SW_AWK}" -f "${AWK_SCRIPT}" "${MARKDOWN}" OUTPUT_VARIABLE roff
                    RESULT_VARIABLE r)
    if(NOT r EQUAL 0)
      message(FATAL_ERROR "${AWK_SCRIPT} ${MARKDOWN}: ${r}")
    endif()
    set(marker "\n.\\\" @CONFIGURATION_MD@\n")
    string(FIND "${page}" "${marker}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${IN}: no line '.\\\" @CONFIGURATION_MD@' to put ${MARKDOWN} in")
    endif()
    string(REPLACE "${marker}" "\n${roff}" page "${page}")
  endif()
  file(WRITE "${OUT}" "${page}")
  sw_gzip("${OUT}" "${OUT}.gz")

elseif(MODE STREQUAL "copyright")
  file(STRINGS "${IN}" lines)
  list(GET lines 0 title)
  if(NOT title STREQUAL "MIT License")
    # Another licence needs its own DEP-5 short name (and, for those in
    # /usr/share/common-licenses, a pointer there instead of the full text).
    message(FATAL_ERROR "${IN}: expected 'MIT License' on the first line, got '${title}'")
  endif()
  file(READ "${IN}" text)
  if(NOT text MATCHES "\nCopyright \\(c\\) ([^\n]+)\n")
    message(FATAL_ERROR "${IN}: no 'Copyright (c) YEAR HOLDER' line")
  endif()
  set(holder "${CMAKE_MATCH_1}")
  # The licence text: everything after the copyright line, each line indented by one space,
  # an empty line written " ." (DEP-5 continuation lines).
  string(REGEX REPLACE "^.*\nCopyright \\(c\\) [^\n]+\n\n" "" body "${text}")
  string(STRIP "${body}" body)
  string(REPLACE "\n\n" "\n.\n" body "${body}")
  string(REPLACE "\n" "\n " body "${body}")
  # DEP-5 calls the MIT licence in this form "Expat" ("MIT" is ambiguous there; SPDX: MIT).
  file(WRITE "${OUT}"
       "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
       "Upstream-Name: shelfwatch\n"
       "Upstream-Contact: ${CONTACT}\n"
       "Comment: Generated from the LICENSE file of the source (SPDX: MIT) when the package\n"
       " is built. The binaries link only to the Debian packages they depend on.\n"
       "\n"
       "Files: *\n"
       "Copyright: ${holder}\n"
       "License: Expat\n"
       " ${body}\n")

else()
  message(FATAL_ERROR "package-file.cmake: MODE must be gzip, man or copyright (got '${MODE}')")
endif()
