#!/usr/bin/env bash
# make-sysroot.sh: build a target-library sysroot for cross builds from Debian's arm .debs.
#
# Usage: cross/make-sysroot.sh ARCH DIR
#   ARCH  aarch64 | armhf
#   DIR   sysroot directory to fill (created; existing content is kept)
# Environment:
#   SW_DEB_CACHE        where the downloaded .debs are kept (default DIR-debs)
#   SW_SYSROOT_PACKAGES override the list of top-level packages
#
# Why not "apt-get install libfoo-dev:arm64": multiarch -dev installs fail as
# soon as the arm64 candidate version differs from the installed amd64 one
# (version skew between the main archive and security updates). Unpacking
# the .debs with dpkg -x into a private directory has no such coupling and
# touches nothing outside DIR. libc itself is not unpacked: it comes from
# libc6-dev-<arch>-cross, which the cross compiler uses by default.
#
# The dependency closure is followed through each .deb's Depends and
# Pre-Depends, restricted to lib* packages (not libc6/libgcc itself).
set -euo pipefail

die() {
        echo "make-sysroot.sh: $*" >&2
        exit 1
}

[[ $# -eq 2 ]] || die "usage: make-sysroot.sh aarch64|armhf DIR"
arch=$1
case "$arch" in
aarch64 | arm64)
        debarch=arm64
        triplet=aarch64-linux-gnu
        ;;
armhf)
        debarch=armhf
        triplet=arm-linux-gnueabihf
        ;;
*) die "unknown ARCH '$arch' (want aarch64 or armhf)" ;;
esac

mkdir -p "$2"
sysroot=$(cd "$2" && pwd)
cache=${SW_DEB_CACHE:-${sysroot}-debs}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

if [[ -n "${SW_SYSROOT_PACKAGES:-}" ]]; then
        read -r -a top_pkgs <<<"$SW_SYSROOT_PACKAGES"
else
        # cmocka is what SW_CORE_ONLY needs; the rest lets the whole daemon
        # cross-link.
        top_pkgs=(
                libcmocka0 libcmocka-dev
                libmosquitto1 libmosquitto-dev
                libsqlite3-0 libsqlite3-dev
                libconfig9 libconfig-dev
                libsystemd0 libsystemd-dev
                libcjson1 libcjson-dev
                libsmartcols1 libsmartcols-dev
        )
fi

# Provided by the cross toolchain (libc6-dev-<arch>-cross, libgcc-s1-<arch>-cross).
skip_re='^(libc6|libc6-dev|libc-dev|libgcc-s1|libcrypt1|libcrypt-dev|gcc-[0-9]+-base|linux-libc-dev|libnsl-dev|libtirpc-dev)$'

apt_opts=(-o DPkg::Lock::Timeout=300 -o APT::Sandbox::User=root)

# Stamp: same package list, already unpacked -> nothing to do.
stamp="$sysroot/.sw-sysroot-stamp"
want_stamp="$debarch ${top_pkgs[*]}"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_stamp" ]]; then
        echo "make-sysroot.sh: $sysroot is up to date"
        exit 0
fi

# Foreign architecture: only needed so apt knows the arm package lists. Both ARM
# architectures are added together, so that one apt-get update (a minute or two on a
# fresh machine) serves the sysroots of both.
ensure_arch() {
        local need_update=0 a
        if [[ "$(dpkg --print-architecture)" != "$debarch" ]] &&
                ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
                [[ $(id -u) -eq 0 ]] ||
                        die "run as root, or first: sudo dpkg --add-architecture $debarch && sudo apt-get update"
                for a in arm64 armhf; do
                        if [[ "$(dpkg --print-architecture)" != "$a" ]] &&
                                ! dpkg --print-foreign-architectures | grep -qx "$a"; then
                                echo "make-sysroot.sh: dpkg --add-architecture $a"
                                dpkg --add-architecture "$a"
                        fi
                done
                need_update=1
        fi
        if ((!need_update)) && ! apt-cache show "${top_pkgs[0]}:$debarch" >/dev/null 2>&1; then
                need_update=1
        fi
        if ((need_update)); then
                [[ $(id -u) -eq 0 ]] || die "apt lists for $debarch missing; run: sudo apt-get update"
                # Retry mirrors caught mid-sync; an index that still fails
                # (often another architecture's) is reported, not fatal:
                # fetch_deb fails clearly if a package is really missing.
                local try
                for try in 1 2 3; do
                        echo "make-sysroot.sh: apt-get update (try $try of 3)"
                        if apt-get "${apt_opts[@]}" update; then
                                break
                        fi
                        sleep $((try * 10))
                done
        fi
}

# Download one package's .deb into the cache (if not there) and print its
# path. Returns 1 when apt has no candidate (e.g. a virtual package).
fetch_deb() {
        local pkg=$1 ver file
        ver=$(apt-cache policy "$pkg:$debarch" | awk '/Candidate:/ { print $2 }')
        [[ -n "$ver" && "$ver" != "(none)" ]] || return 1
        # .deb file names encode the epoch colon as %3a.
        file="$cache/${pkg}_${ver//:/%3a}_${debarch}.deb"
        if [[ ! -f "$file" ]]; then
                (cd "$cache" && apt-get "${apt_opts[@]}" download "$pkg:$debarch=$ver" >&2) ||
                        die "apt-get download $pkg:$debarch=$ver failed"
        fi
        [[ -f "$file" ]] || die "expected $file after download"
        echo "$file"
}

# Print the lib* dependencies of a .deb, one name per line: first
# alternative only, version constraints and :any qualifiers dropped.
deb_lib_deps() {
        {
                dpkg-deb -f "$1" Depends
                dpkg-deb -f "$1" Pre-Depends
        } | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' |
                grep -E '^lib' | grep -Ev "$skip_re" || true
}

ensure_arch

declare -A seen=()
queue=("${top_pkgs[@]}")
debs=()
while ((${#queue[@]} > 0)); do
        pkg=${queue[0]}
        queue=("${queue[@]:1}")
        [[ -n "${seen[$pkg]:-}" ]] && continue
        seen[$pkg]=1
        ((${#seen[@]} < 200)) || die "dependency closure too large, giving up"
        if ! deb=$(fetch_deb "$pkg"); then
                is_top=0
                for t in "${top_pkgs[@]}"; do [[ "$t" == "$pkg" ]] && is_top=1; done
                ((!is_top)) || die "no $debarch candidate for $pkg"
                echo "make-sysroot.sh: no $debarch candidate for dependency $pkg, skipping" >&2
                continue
        fi
        debs+=("$deb")
        while read -r dep; do
                [[ -n "$dep" && -z "${seen[$dep]:-}" ]] && queue+=("$dep")
        done < <(deb_lib_deps "$deb")
done

for deb in "${debs[@]}"; do
        echo "make-sysroot.sh: unpack $(basename "$deb")"
        dpkg -x "$deb" "$sysroot"
done

# Docs and man pages are of no use to a build; drop them.
rm -rf "$sysroot/usr/share/doc" "$sysroot/usr/share/man" "$sysroot/usr/share/lintian"

# Absolute symlinks (e.g. libfoo.so -> /lib/<triplet>/libfoo.so.1) would point
# at the host; make them relative so they resolve inside the sysroot.
while IFS= read -r -d '' link; do
        target=$(readlink "$link")
        [[ "$target" == /* ]] || continue
        rel=$(realpath -m --relative-to="$(dirname "$link")" "$sysroot$target")
        ln -sfn "$rel" "$link"
done < <(find "$sysroot" -type l -print0)

# Debian 12 still ships some libraries in /lib/<triplet>; the toolchain file
# searches both, but give pkg-config one place for .pc files.
mkdir -p "$sysroot/usr/lib/$triplet/pkgconfig"

echo "$want_stamp" >"$stamp"
echo "make-sysroot.sh: $sysroot ready (${#debs[@]} packages, $debarch)"
