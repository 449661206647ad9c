#!/usr/bin/env bash
# check-package.sh: build the shelfwatch-hq .deb, install it, check its config and unit
# (systemd-analyze verify, security exposure at most SW_MAX_EXPOSURE, default 1.5), purge it.
#
# Usage: hq/packaging/check-package.sh [BUILD_DIR]   (root: dpkg -i)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
build=${1:-${BUILD_DIR:-build}}
max_exposure=${SW_MAX_EXPOSURE:-1.5}
fail() {
        echo "hq check-package.sh: FAIL: $*" >&2
        exit 1
}
[[ $(id -u) -eq 0 ]] || fail "needs root for dpkg -i"

cmake --build "$build" -j"$(nproc)" --target shelfwatch-hq >/dev/null
deb=$(bash hq/packaging/build-deb.sh "$build" | tail -n 1)
dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/   /'
# Another dpkg run (a parallel package check, unattended-upgrades) may hold the lock a while.
for try in $(seq 30); do
        dpkg -i "$deb" && break
        ((try < 30)) || fail "dpkg -i failed (missing dependencies? apt-get install -f)"
        sleep 10
done
dpkg-query -W -f='${Conffiles}\n' shelfwatch-hq | grep -q /etc/shelfwatch/shelfwatch-hq.conf ||
        fail "the config is not a conffile"
/usr/sbin/shelfwatch-hq --check-config -c /etc/shelfwatch/shelfwatch-hq.conf ||
        fail "the installed config is not valid"
unit=/lib/systemd/system/shelfwatch-hq.service
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
[[ -z "$verify" ]] || fail "systemd-analyze verify is not clean: $verify"
exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 |
        sed -n 's/.*Overall exposure level for shelfwatch-hq.service: \([0-9.]*\).*/\1/p')
[[ -n "$exposure" ]] || fail "no exposure level in systemd-analyze security output"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' ||
        fail "exposure $exposure is over $max_exposure"
dpkg --purge shelfwatch-hq >/dev/null
[[ ! -e /usr/sbin/shelfwatch-hq && ! -e /etc/shelfwatch/shelfwatch-hq.conf ]] || fail "purge left files"
echo "hq check-package.sh: OK ($(basename "$deb"), exposure $exposure)"
