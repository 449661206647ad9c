#!/usr/bin/env bash
# test_changelog.sh: a package's Debian changelog and CHANGELOG.md have an entry for the version.
#
# Usage: tests/package/test_changelog.sh VERSION [DEB_CHANGELOG PACKAGE]
#   (ctest passes PROJECT_VERSION; default cmake/deb/changelog and shelfwatch; ctest
#   package/changelog/shelfwatch-hq passes hq/packaging/changelog and shelfwatch-hq)
#
# DEB_CHANGELOG (installed as changelog.Debian.gz) must parse, be PACKAGE's, and its newest
# entry be VERSION-REVISION: the package takes its revision from it (cmake/packaging.cmake),
# and lintian reads it. CHANGELOG.md (changelog.gz of both packages) must have a
# "## VERSION" section. A version bump without both fails here.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=${1:?usage: test_changelog.sh VERSION [DEB_CHANGELOG PACKAGE]}
changelog=${2:-$repo/cmake/deb/changelog}
package=${3:-shelfwatch}
rel=${changelog#"$repo"/}
status=0

if command -v dpkg-parsechangelog >/dev/null; then
        if ! deb_version=$(dpkg-parsechangelog -l "$changelog" -S Version) ||
                ! deb_source=$(dpkg-parsechangelog -l "$changelog" -S Source); then
                echo "FAIL: $rel does not parse" >&2
                exit 1
        fi
else
        deb_version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$changelog")
        deb_source=$(sed -n '1s/^\([^ ]*\) .*/\1/p' "$changelog")
fi
if [[ "$deb_source" != "$package" ]]; then
        echo "FAIL: $rel: newest entry is for package '$deb_source', not '$package'" >&2
        status=1
fi
if [[ "$deb_version" != "$version"-* ]]; then
        echo "FAIL: $rel: newest entry is $deb_version, the project is $version: add a '$version-1' entry" >&2
        status=1
fi
if ! grep -qE "^## $version( |\$)" "$repo/CHANGELOG.md"; then
        echo "FAIL: CHANGELOG.md has no '## $version' section" >&2
        status=1
fi
((status == 0)) && echo "test_changelog.sh: OK ($package $version, Debian $deb_version)"
exit "$status"
