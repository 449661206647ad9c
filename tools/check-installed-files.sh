#!/usr/bin/env bash
# check-installed-files.sh: an install tree holds exactly the files README.md lists, with Debian's modes.
#
# Usage: tools/check-installed-files.sh ROOT [PACKAGE]
#   ROOT     a DESTDIR of `cmake --install --prefix /usr` [--component hq]
#            (tests/package/test_install.sh) or an unpacked .deb (tools/lint-deb.sh)
#   PACKAGE  only that package's table: shelfwatch for `cmake --install`, shelfwatch-hq for
#            its component hq (tools/lint-deb.sh passes the .deb's Package); default every
#            table, a tree with both installed
#
# README.md lists every installed path in one table per package, between
# <!-- installed-files package=NAME ... --> and <!-- /installed-files --> (a * matches any part
# of a name). Every file under ROOT must match a row and every row a file, so the README cannot
# drift from what is installed. Directories must be 0755, programs in bin/ and sbin/ 0755,
# everything else 0644.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${1:?usage: check-installed-files.sh ROOT [PACKAGE]}
root=${root%/}
package=${2:-}

mapfile -t patterns < <(awk -v want="$package" '
        /<!-- installed-files package=/ {
                name = $0
                sub(/.*package=/, "", name)
                sub(/[^A-Za-z0-9.+-].*/, "", name)
                on = (want == "" || want == name)
                next
        }
        /<!-- \/installed-files -->/ { on = 0 }
        on' "$repo/README.md" | sed -n 's/^| `\(\/[^`]*\)`.*/\1/p')
if ((${#patterns[@]} == 0)); then
        echo "check-installed-files.sh: no installed-files table${package:+ for $package} in README.md" >&2
        exit 1
fi

status=0
declare -A used=()
while IFS= read -r f; do
        path=${f#"$root"}
        matched=0
        for p in "${patterns[@]}"; do
                # shellcheck disable=SC2053 # $p is a glob on purpose
                if [[ "$path" == $p ]]; then
                        used[$p]=1
                        matched=1
                        break
                fi
        done
        if ((!matched)); then
                echo "check-installed-files.sh: $path is installed but not in README.md's table" >&2
                status=1
        fi
        mode=$(stat -c %a "$f")
        case "$path" in
        */bin/* | */sbin/*) want=755 ;;
        *) want=644 ;;
        esac
        if [[ -L "$f" ]]; then
                echo "check-installed-files.sh: $path is a symbolic link" >&2
                status=1
        elif [[ "$mode" != "$want" ]]; then
                echo "check-installed-files.sh: $path has mode $mode, not $want" >&2
                status=1
        fi
done < <(find "$root" \( -type f -o -type l \) | sort)
for p in "${patterns[@]}"; do
        if [[ -z "${used[$p]:-}" ]]; then
                echo "check-installed-files.sh: README.md lists $p, which is not installed" >&2
                status=1
        fi
done
while IFS= read -r d; do
        mode=$(stat -c %a "$d")
        if [[ "$mode" != 755 ]]; then
                echo "check-installed-files.sh: directory ${d#"$root"} has mode $mode, not 755" >&2
                status=1
        fi
done < <(find "$root" -mindepth 1 -type d)
((status == 0)) && echo "check-installed-files.sh: OK ($(find "$root" -type f | wc -l) files, as README.md lists)"
exit "$status"
