#!/usr/bin/env bash
# build-deb.sh: the shelfwatch-hq .deb (its own package, beside shelfwatch's CPack one).
#
# Usage: hq/packaging/build-deb.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, build-debs)
# Every file of the package comes from `cmake --install --component hq --strip` (the rules are
# in cmake/packaging.cmake, the list in README.md); this adds DEBIAN/: the control file that
# cmake made from hq/packaging/control.in (version from hq/packaging/changelog, Maintainer
# SW_DEB_MAINTAINER) with Installed-Size, md5sums, conffiles and the maintainer scripts; and
# packs it with dpkg-deb as root:root. Prints the .deb's path on the last line.
# Native builds only (shelfwatch-hq is not cross-built: see CMakeLists.txt).
#
# dpkg-deb rather than CPack components: CPack makes the shelfwatch package from the default
# component for three architectures; a component package would change its name and settings
# and only exist in native builds. This is the whole packing step, and tools/lint-deb.sh
# checks the result (hq/packaging/check-package.sh).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build}
out=${2:-$repo/build-debs}
[[ "$build" = /* ]] || build="$repo/$build"
control=$build/package-files/hq/control
[[ -x "$build/shelfwatch-hq" && -f "$control" ]] ||
        { echo "build-deb.sh: $build has no shelfwatch-hq or $control: build first" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

DESTDIR="$stage" cmake --install "$build" --component hq --prefix /usr --strip >/dev/null
mkdir -p "$stage/DEBIAN"
install -m 0755 "$repo"/hq/packaging/{postinst,prerm,postrm} "$stage/DEBIAN/"
install -m 0644 "$repo/hq/packaging/conffiles" "$stage/DEBIAN/conffiles"
# md5sums of every file but the conffiles (dpkg keeps theirs in its database), as dh_md5sums.
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort |
        grep -vxF -f <(sed 's|^/||' "$repo/hq/packaging/conffiles") | xargs -d '\n' md5sum) \
        >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
size=$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)
{
        grep -v '^Description:' "$control" | sed '/^ /d'
        echo "Installed-Size: $size"
        sed -n '/^Description:/,$p' "$control"
} >"$stage/DEBIAN/control"

mkdir -p "$out"
name=$(sed -n 's/^Package: //p' "$control")_$(sed -n 's/^Version: //p' "$control")_$(sed -n 's/^Architecture: //p' "$control").deb
deb="$out/$name"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
