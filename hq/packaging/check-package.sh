#!/usr/bin/env bash
# check-package.sh: build the shelfwatch-hq .deb, lint it, install it, check its config and units, purge it.
#
# Usage: hq/packaging/check-package.sh [BUILD_DIR]   (root: dpkg -i; default $BUILD_DIR or build)
# Environment: SW_MAX_EXPOSURE (1.5), SW_DEB_OUT (build-debs), as tools/check-package.sh.
#
#   - tools/lint-deb.sh: lintian with no error, warning or info tag (but those
#     hq/packaging/lintian-overrides overrides with a reason), and exactly the files README.md's
#     shelfwatch-hq table lists, root:root, 0644/0755;
#   - tools/check-depends.sh: Depends (hq/packaging/control.in) covers dpkg-shlibdeps;
#   - dpkg -i: the config is a conffile and valid, man finds shelfwatch-hq(8), both units are
#     the source's, `systemd-analyze verify` clean and `security` at most SW_MAX_EXPOSURE; the
#     ingest unit is enabled and the API's is not (docs/hq.md);
#   - dpkg --purge leaves no file and no enablement link.
# Needs lintian and systemd-analyze (tools/install-deps.sh). Run by .ci/run.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
# shellcheck source=tools/package-lib.sh
. tools/package-lib.sh
pkg_script="hq check-package.sh"
build=${1:-${BUILD_DIR:-build}}
max_exposure=${SW_MAX_EXPOSURE:-1.5}
out=${SW_DEB_OUT:-$repo/build-debs}
pkg_require

echo "== hq package: build in $build"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
        cmake -S . -B "$build" -DSW_WERROR=ON >/dev/null
fi
cmake --build "$build" -j"$(nproc)" >/dev/null
deb=$(bash hq/packaging/build-deb.sh "$build" "$out" | tail -n 1)
dpkg-deb -f "$deb" Package Version Architecture Maintainer Depends | sed 's/^/   /'

echo "== hq package: lintian and the file list (tools/lint-deb.sh)"
pkg_lint "$deb"
echo "== hq package: Depends covers what dpkg-shlibdeps finds"
bash tools/check-depends.sh "$deb" usr/sbin/shelfwatch-hq ||
        fail "Depends in hq/packaging/control.in does not cover what shelfwatch-hq needs"

echo "== hq package: dpkg -i $(basename "$deb")"
# Another dpkg run (a parallel package check, unattended-upgrades) may hold the lock a while.
for try in $(seq 30); do
        dpkg -i "$deb" && break
        ((try < 30)) || fail "dpkg -i failed (missing dependencies? apt-get install -f)"
        sleep 10
done
mapfile -t pkg_files < <(pkg_files shelfwatch-hq)
dpkg-query -W -f='${Conffiles}\n' shelfwatch-hq | grep -q /etc/shelfwatch/shelfwatch-hq.conf ||
        fail "the config is not a conffile"
/usr/sbin/shelfwatch-hq --check-config -c /etc/shelfwatch/shelfwatch-hq.conf ||
        fail "the installed config is not valid"
where=$(man -w 8 shelfwatch-hq 2>/dev/null) || fail "man 8 shelfwatch-hq: no page"
[[ "$where" == /usr/share/man/man8/shelfwatch-hq.8.gz ]] || fail "man 8 shelfwatch-hq: $where"

wants=/etc/systemd/system/multi-user.target.wants
exposures=()
for name in shelfwatch-hq shelfwatch-hq-serve; do
        unit=/lib/systemd/system/$name.service
        echo "== hq package: $name.service: systemd-analyze verify and security (at most $max_exposure)"
        cmp -s "$unit" "systemd/$name.service" || fail "installed $unit differs from systemd/$name.service"
        verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $name: $verify"
        [[ -z "$verify" ]] || fail "systemd-analyze verify $name is not clean: $verify"
        exposure=$(pkg_exposure "$unit")
        [[ -n "$exposure" ]] || fail "no exposure level for $name in systemd-analyze security output"
        pkg_at_most "$exposure" "$max_exposure" || fail "$name.service: exposure $exposure is over $max_exposure"
        echo "   verify clean, exposure $exposure"
        exposures+=("$name $exposure")
done
# postinst enables the ingest (deb-systemd-helper links it, systemd running or not) and not the API.
[[ -L $wants/shelfwatch-hq.service ]] || fail "postinst did not enable shelfwatch-hq.service"
[[ ! -e $wants/shelfwatch-hq-serve.service ]] || fail "postinst enabled shelfwatch-hq-serve.service"
echo "   shelfwatch-hq.service enabled, shelfwatch-hq-serve.service not"

echo "== hq package: dpkg --purge shelfwatch-hq"
dpkg --purge shelfwatch-hq >/dev/null
pkg_purged "${pkg_files[@]}"
[[ ! -e $wants/shelfwatch-hq.service ]] || fail "purge left the link $wants/shelfwatch-hq.service"
echo "hq check-package.sh: OK ($(basename "$deb"): lintian clean, exposure ${exposures[*]})"
