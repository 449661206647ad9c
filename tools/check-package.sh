#!/usr/bin/env bash
# check-package.sh: build the native .deb, lint it, install it with dpkg -i, check its config and unit, purge it.
#
# Usage: tools/check-package.sh [--keep]
#   --keep   leave the package installed (default: dpkg --purge at the end,
#            which also runs prerm/postrm)
# Environment:
#   BUILD_DIR         build directory (default: build, as tools/run-tests.sh;
#                     configured and built here when it is not)
#   SW_MAX_EXPOSURE   highest accepted `systemd-analyze security` exposure (1.5)
#   SW_DEB_OUT        where the .deb is put (default: build-debs)
#
# The .deb must pass tools/lint-deb.sh first: lintian with no error, warning or info tag
# (but those cmake/deb/lintian-overrides overrides with a reason), and exactly the files
# README.md lists, root:root, 0644/0755.
#
# Needs root (dpkg -i), lintian, and systemd-analyze (package systemd; tools/install-deps.sh).
# On a machine without systemd running, postinst enables the unit but starts nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=tools/package-lib.sh
. tools/package-lib.sh
pkg_script=check-package.sh

build=${BUILD_DIR:-build}
max_exposure=${SW_MAX_EXPOSURE:-1.5}
out=${SW_DEB_OUT:-$repo/build-debs}
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1

pkg_require

echo "== package: build in $build"
if [[ ! -f "$build/CPackConfig.cmake" ]]; then
        cmake -S . -B "$build" -DSW_WERROR=ON
fi
cmake --build "$build" -j"$(nproc)"

echo "== package: cpack -G DEB"
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out/cpack-native" >/dev/null)
deb=$(ls -t "$out"/cpack-native/shelfwatch_*.deb | head -n 1)
cp "$deb" "$out/"
deb="$out/$(basename "$deb")"
rm -rf "$out/cpack-native"
dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/   /'

echo "== package: lintian and the file list (tools/lint-deb.sh)"
pkg_lint "$deb"

# Depends is written out in cmake/packaging.cmake (dpkg-shlibdeps cannot run on the cross
# builds' sysroots); here, natively, it must cover what dpkg-shlibdeps finds the binaries
# need, so a newly linked library cannot be forgotten.
echo "== package: Depends covers what dpkg-shlibdeps finds"
bash tools/check-depends.sh "$deb" usr/sbin/shelfwatchd usr/bin/shelfwatch ||
        fail "Depends in cmake/packaging.cmake does not cover what the binaries need"

echo "== package: dpkg -i $(basename "$deb")"
dpkg -i "$deb" || fail "dpkg -i failed (missing dependencies? apt-get install -f)"
[[ "$(dpkg-query -W -f='${Status}' shelfwatch)" == "install ok installed" ]] || fail "not installed"
dpkg-query -W -f='${Conffiles}\n' shelfwatch | grep -q '/etc/shelfwatch/shelfwatch.conf' ||
        fail "/etc/shelfwatch/shelfwatch.conf is not a conffile"
for f in /usr/sbin/shelfwatchd /usr/bin/shelfwatch /lib/systemd/system/shelfwatchd.service \
        /etc/shelfwatch/shelfwatch.conf /usr/share/doc/shelfwatch/copyright \
        /usr/share/bash-completion/completions/shelfwatch; do
        [[ -e "$f" ]] || fail "$f not installed"
done
# man finds the pages (the unit's Documentation= names two; systemd-analyze verify checks them).
for page in 8/shelfwatchd 1/shelfwatch 5/shelfwatch.conf; do
        where=$(man -w "${page%%/*}" "${page#*/}" 2>/dev/null) || fail "man ${page%%/*} ${page#*/}: no page"
        [[ "$where" == /usr/share/man/man${page%%/*}/${page#*/}.${page%%/*}.gz ]] || fail "man ${page%%/*} ${page#*/}: $where"
done
mapfile -t pkg_files < <(pkg_files shelfwatch)
echo "   installed size: $(dpkg-query -W -f='${Installed-Size}' shelfwatch) KiB;" \
        "shelfwatchd $(stat -c %s /usr/sbin/shelfwatchd) bytes (stripped)"

echo "== package: shelfwatchd --check-config on the installed config"
/usr/sbin/shelfwatchd --version
/usr/sbin/shelfwatchd --check-config -c /etc/shelfwatch/shelfwatch.conf || fail "installed config is not valid"

echo "== package: systemd-analyze verify"
unit=/lib/systemd/system/shelfwatchd.service
cmp -s "$unit" systemd/shelfwatchd.service || fail "installed unit differs from systemd/shelfwatchd.service"
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z "$verify" ]] || fail "systemd-analyze verify is not clean: $verify"
echo "   clean"

echo "== package: systemd-analyze security --offline=true (at most $max_exposure)"
exposure=$(pkg_exposure "$unit")
[[ -n "$exposure" ]] || fail "no exposure level in systemd-analyze security output"
echo "   exposure $exposure"
pkg_at_most "$exposure" "$max_exposure" || fail "exposure $exposure is over $max_exposure"

if ((!keep)); then
        echo "== package: dpkg --purge shelfwatch"
        dpkg --purge shelfwatch
        pkg_purged "${pkg_files[@]}"
fi
echo "check-package.sh: OK ($(basename "$deb"), exposure $exposure)"
