#!/usr/bin/env bash
# test_changelog.sh: both changelogs have an entry for the project's version.
#
# Usage: tests/package/test_changelog.sh VERSION   (ctest passes PROJECT_VERSION)
#
# cmake/deb/changelog (installed as changelog.Debian.gz) must parse and its newest entry be
# VERSION-REVISION: CPack takes the revision from it, and lintian reads it. CHANGELOG.md
# (changelog.gz) must have a "## VERSION" section. A version bump without both fails here.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=${1:?usage: test_changelog.sh VERSION}
status=0

if command -v dpkg-parsechangelog >/dev/null; then
        deb_version=$(dpkg-parsechangelog -l "$repo/cmake/deb/changelog" -S Version) || {
                echo "FAIL: cmake/deb/changelog does not parse" >&2
                exit 1
        }
else
        deb_version=$(sed -n '1s/^shelfwatch (\([^)]*\)).*/\1/p' "$repo/cmake/deb/changelog")
fi
if [[ "$deb_version" != "$version"-* ]]; then
        echo "FAIL: cmake/deb/changelog: newest entry is $deb_version, the project is $version: add a '$version-1' entry" >&2
        status=1
fi
if ! grep -qE "^## $version( |\$)" "$repo/CHANGELOG.md"; then
        echo "FAIL: CHANGELOG.md has no '## $version' section" >&2
        status=1
fi
((status == 0)) && echo "test_changelog.sh: OK ($version, Debian $deb_version)"
exit "$status"
