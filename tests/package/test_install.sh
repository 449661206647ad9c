#!/usr/bin/env bash
# test_install.sh: `cmake --install` installs what README.md says, and never an edited config over.
#
# Usage: tests/package/test_install.sh BUILD_DIR
#
# Installs the build with `cmake --install --prefix /usr` into a scratch DESTDIR, then:
#   - tools/check-installed-files.sh: exactly README.md's list of files, modes 0644/0755;
#   - the config is the default (systemd/shelfwatch.conf), and an edited one survives a
#     second install, which says it kept it;
#   - a deleted config comes back on the next install.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:?usage: test_install.sh BUILD_DIR}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
conf=$dest/etc/shelfwatch/shelfwatch.conf

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

install_tree() {
        DESTDIR=$dest cmake --install "$build" --prefix /usr 2>&1
}

install_tree >"$dest.log" || {
        cat "$dest.log" >&2
        rm -f "$dest.log"
        fail "cmake --install failed"
}
rm -f "$dest.log"
bash "$repo/tools/check-installed-files.sh" "$dest" || fail "the install tree is not what README.md lists"
cmp -s "$conf" "$repo/systemd/shelfwatch.conf" || fail "installed config differs from systemd/shelfwatch.conf"

echo 'log = { level = "debug"; };  # edited by test_install.sh' >>"$conf"
edited=$(sha256sum <"$conf")
out=$(install_tree) || fail "second cmake --install failed: $out"
[[ "$(sha256sum <"$conf")" == "$edited" ]] || fail "cmake --install overwrote an edited $conf"
grep -q "Kept: $conf" <<<"$out" || fail "the second install does not say it kept $conf: $out"

rm "$conf"
install_tree >/dev/null || fail "third cmake --install failed"
cmp -s "$conf" "$repo/systemd/shelfwatch.conf" || fail "a deleted config did not come back"
echo "test_install.sh: OK (README.md's files; an edited config is kept)"
