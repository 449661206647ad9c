#!/usr/bin/env bash
# check-depends.sh: a .deb's written-out Depends covers what dpkg-shlibdeps finds its programs need.
#
# Usage: tools/check-depends.sh DEB PROGRAM...   (PROGRAM: a path inside the package,
#                                                 usr/sbin/shelfwatchd)
# Depends is written out (cmake/packaging.cmake, hq/packaging/control.in), not computed:
# dpkg-shlibdeps needs the target's dpkg shlibs database, which a cross build from a sysroot of
# unpacked .debs does not have. Here, natively, it must name every library dpkg-shlibdeps
# finds, at least at the version it finds, so a newly linked library cannot be forgotten.
# Run by tools/check-package.sh and hq/packaging/check-package.sh. Needs dpkg-dev.
set -euo pipefail

deb=${1:?usage: check-depends.sh DEB PROGRAM...}
shift
(($# > 0)) || {
        echo "usage: check-depends.sh DEB PROGRAM..." >&2
        exit 2
}
fail() {
        echo "check-depends.sh: FAIL: $*" >&2
        exit 1
}

package=$(dpkg-deb -f "$deb" Package)
shl=$(mktemp -d)
trap 'rm -rf "$shl"' EXIT
mkdir -p "$shl/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" >"$shl/debian/control"
dpkg-deb -R "$deb" "$shl/debian/$package" # with DEBIAN/: what dpkg-shlibdeps expects
programs=()
for p in "$@"; do programs+=("debian/$package/$p"); done
needed=$(cd "$shl" && dpkg-shlibdeps -O "${programs[@]}") || fail "dpkg-shlibdeps failed"
depends=", $(dpkg-deb -f "$deb" Depends),"
IFS=',' read -r -a needs <<<"${needed#shlibs:Depends=}"
for need in "${needs[@]}"; do
        need=$(echo "$need" | xargs) # trim
        name=${need%% *}
        min=$(sed -n 's/.*(>= \(.*\))/\1/p' <<<"$need")
        name_re=$(sed 's/[.+]/\\&/g' <<<"$name") # libstdc++6
        ours=$(grep -oE ", $name_re( \([^)]*\))?," <<<"$depends" | head -n 1) ||
                fail "$package: Depends lacks $name, which the programs need ($need)"
        our_min=$(sed -n 's/.*(>= \(.*\)),/\1/p' <<<"$ours")
        if [[ -n "$min" ]] && { [[ -z "$our_min" ]] || ! dpkg --compare-versions "$our_min" ge "$min"; }; then
                ours=${ours#, }
                fail "$package: Depends has '${ours%,}', the programs need $need"
        fi
done
echo "   dpkg-shlibdeps: ${needed#shlibs:Depends=}: covered by $package's Depends"
