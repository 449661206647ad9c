#!/usr/bin/env bash
# lint-deb.sh: lintian and the file list on shelfwatch .debs; several .debs must hold the same files.
#
# Usage: tools/lint-deb.sh [--no-lintian] DEB...
#   for each DEB (any architecture: lintian reads foreign .debs too):
#     - lintian fails on any error, warning or info tag that the package's lintian overrides
#       (cmake/deb/lintian-overrides, hq/packaging/lintian-overrides) do not override
#       (pedantic and experimental tags are shown, not counted);
#     - every file root:root, and tools/check-installed-files.sh on the unpacked tree:
#       exactly the files README.md lists, directories and programs 0755, the rest 0644;
#   with several DEBs (amd64, arm64, armhf): the same paths, modes and owners in each.
#   --no-lintian  only the file checks (cross/ci.sh, which has linted each .deb already)
#
# Run by tools/check-package.sh (amd64), cross/build-and-test.sh --package, cross/ci.sh and
# hq/packaging/check-package.sh (shelfwatch-hq).
# Needs lintian (tools/install-deps.sh). Takes a few seconds a package.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run_lintian=1
if [[ "${1:-}" == "--no-lintian" ]]; then
        run_lintian=0
        shift
fi
(($# > 0)) || {
        echo "usage: tools/lint-deb.sh [--no-lintian] DEB..." >&2
        exit 2
}

status=0
fail() {
        echo "lint-deb.sh: FAIL: $*" >&2
        status=1
}

if ((run_lintian)) && ! command -v lintian >/dev/null; then
        echo "lint-deb.sh: lintian missing (tools/install-deps.sh, or apt-get install lintian)" >&2
        exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
first_list=""
for deb in "$@"; do
        name=$(basename "$deb")
        [[ -f "$deb" ]] || {
                fail "$deb not found"
                continue
        }
        if ((run_lintian)); then
                echo "== lint-deb.sh: lintian $name"
                # --fail-on: the exit status; --display-info/--pedantic/-E: what is shown. Lintian
                # says "running with root privileges is not recommended" as root: not a tag.
                if ! lintian --fail-on error,warning,info --display-info --pedantic --display-experimental \
                        --tag-display-limit 0 "$deb" 2> >(grep -v 'running with root privileges' >&2); then
                        fail "lintian on $name (tags above; fix them, or override one with its reason in its lintian-overrides: cmake/deb/ or hq/packaging/)"
                fi
        fi

        echo "== lint-deb.sh: files of $name"
        owners=$(dpkg-deb -c "$deb" | awk '$2 != "root/root" { print $2, $6 }')
        [[ -z "$owners" ]] || fail "$name: files not owned by root:root: $owners"
        tree=$scratch/${name%.deb}
        mkdir -p "$tree"
        dpkg-deb -x "$deb" "$tree"
        bash "$repo/tools/check-installed-files.sh" "$tree" "$(dpkg-deb -f "$deb" Package)" ||
                fail "$name does not hold the files README.md lists for it"

        # Mode, owner and path of each entry: what must not differ between architectures.
        list=$scratch/${name%.deb}.list
        dpkg-deb -c "$deb" | awk '$6 != "./" { print $1, $2, $6 }' | sort >"$list"
        if [[ -z "$first_list" ]]; then
                first_list=$list
        elif ! diff -u "$first_list" "$list" >"$scratch/diff"; then
                fail "$name holds other files than $(basename "${first_list%.list}").deb:"
                cat "$scratch/diff" >&2
        else
                echo "   same files as $(basename "${first_list%.list}").deb"
        fi
done
if ((status == 0)); then
        echo "lint-deb.sh: OK ($*)"
fi
exit "$status"
