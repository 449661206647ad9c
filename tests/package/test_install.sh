#!/usr/bin/env bash
# test_install.sh: `cmake --install` installs what README.md says, and never an edited config over.
#
# Usage: tests/package/test_install.sh BUILD_DIR
#
# For each package: shelfwatch (`cmake --install --prefix /usr`) and, where the build has
# shelfwatch-hq (native builds), shelfwatch-hq (`... --component hq`), into a scratch DESTDIR:
#   - tools/check-installed-files.sh: exactly the package's README.md table, modes 0644/0755;
#   - the config is the default (systemd/<name>.conf), and an edited one survives a
#     second install, which says it kept it;
#   - a deleted config comes back on the next install.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:?usage: test_install.sh BUILD_DIR}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

# check_package PACKAGE CONFIG [cmake --install options...]
check_package() {
        local package=$1 name=$2 dest=$scratch/$1 conf out edited
        shift 2
        conf=$dest/etc/shelfwatch/$name
        install_tree() {
                DESTDIR=$dest cmake --install "$build" --prefix /usr "$@" 2>&1
        }
        out=$(install_tree "$@") || fail "$package: cmake --install $* failed: $out"
        bash "$repo/tools/check-installed-files.sh" "$dest" "$package" ||
                fail "$package: the install tree is not what README.md lists"
        cmp -s "$conf" "$repo/systemd/$name" || fail "installed $name differs from systemd/$name"

        echo 'log = { level = "debug"; };  # edited by test_install.sh' >>"$conf"
        edited=$(sha256sum <"$conf")
        out=$(install_tree "$@") || fail "$package: second cmake --install failed: $out"
        [[ "$(sha256sum <"$conf")" == "$edited" ]] || fail "cmake --install overwrote an edited $conf"
        grep -q "Kept: $conf" <<<"$out" || fail "the second install does not say it kept $conf: $out"

        rm "$conf"
        install_tree "$@" >/dev/null || fail "$package: third cmake --install failed"
        cmp -s "$conf" "$repo/systemd/$name" || fail "a deleted $name did not come back"
}

check_package shelfwatch shelfwatch.conf
checked=shelfwatch
if [[ -x "$build/shelfwatch-hq" ]]; then
        check_package shelfwatch-hq shelfwatch-hq.conf --component hq
        checked+=" and shelfwatch-hq"
fi
echo "test_install.sh: OK ($checked: README.md's files; an edited config is kept)"
