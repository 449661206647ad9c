# package-lib.sh: what tools/check-package.sh (shelfwatch) and hq/packaging/check-package.sh
# (shelfwatch-hq) share; sourced from the repo root.
# shellcheck shell=bash disable=SC2154 # pkg_script is the caller's
#
# The caller sets pkg_script, the prefix of its messages ("check-package.sh").

# fail TEXT: say what is wrong and exit 1.
fail() {
        echo "$pkg_script: FAIL: $*" >&2
        exit 1
}

# pkg_require: root (for dpkg -i), systemd-analyze and lintian, or fail.
pkg_require() {
        [[ $(id -u) -eq 0 ]] || fail "needs root for dpkg -i"
        command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (apt-get install systemd)"
        command -v lintian >/dev/null || fail "lintian missing (tools/install-deps.sh, or apt-get install lintian)"
}

# pkg_lint DEB: tools/lint-deb.sh passes on DEB (lintian, the file list), or fail.
pkg_lint() {
        bash tools/lint-deb.sh "$1" || fail "tools/lint-deb.sh: $(basename "$1") is not clean"
}

# pkg_files PACKAGE: the regular files PACKAGE installed, one a line.
pkg_files() {
        dpkg-query -L "$1" | while read -r f; do [[ -f "$f" ]] && echo "$f"; done
}

# pkg_purged FILE...: none of the files (a purged package's) is left, or fail.
pkg_purged() {
        local f
        for f in "$@"; do
                [[ ! -e "$f" ]] || fail "purge left $f"
        done
}

# pkg_exposure UNIT: the overall exposure level `systemd-analyze security` gives the unit file
# UNIT, or nothing when it gives none.
pkg_exposure() {
        local name
        name=$(basename "$1")
        systemd-analyze security --offline=true "$1" 2>&1 |
                sed -n "s/.*Overall exposure level for $name: \([0-9.]*\).*/\1/p"
}

# pkg_at_most VALUE MAX: VALUE <= MAX (decimal numbers).
pkg_at_most() {
        awk -v e="$1" -v m="$2" 'BEGIN { exit !(e <= m) }'
}
