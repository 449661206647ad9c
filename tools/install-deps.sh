#!/usr/bin/env bash
# install-deps.sh: install the Debian 12 packages needed to build and test shelfwatch.
#
# Usage: tools/install-deps.sh [--cross] [--bench] [--check]
#   --cross  also install the aarch64 and armhf cross toolchains and qemu-user
#   --bench  also what tools/bench/ needs (bc, python3-numpy, python3-sklearn)
#   --check  only report what is missing; exit 1 if anything is
#
# Idempotent: packages already installed (per dpkg-query) are not touched, and
# apt-get is not run at all when nothing is missing.
set -euo pipefail

base_pkgs=(
        build-essential cmake pkg-config
        libmosquitto-dev mosquitto mosquitto-clients
        libsqlite3-dev sqlite3
        libconfig-dev libsystemd-dev libcjson-dev libcmocka-dev
        # the shelfwatch CLI's tables (util-linux's libsmartcols)
        libsmartcols-dev
        # shelfwatch-hq: libpq, and the PostgreSQL 15 server its tests start (initdb, pg_ctl)
        libpq-dev postgresql-15 postgresql-client-15
        # shelfwatch-hq serve: the HTTP API (libmicrohttpd, gnutls for TLS and token digests);
        # its tests: curl, and chromium with python3 for the dashboard in a real browser
        libmicrohttpd-dev libgnutls28-dev curl chromium python3
        tzdata openssl ca-certificates
        # systemd-analyze (verify, security) for tools/check-package.sh
        systemd
        # CI's formatting check (.clang-format; Debian 12's is version 14)
        clang-format
        # tests/daemon/test_no_call_circles.py reads the definitions with ctags
        universal-ctags
        # tools/lint-deb.sh (check-package.sh, cross --package); man and lexgrog render the
        # man pages in tests/package/test_man_pages.sh as lintian does (lintian needs man-db)
        lintian man-db
        # the metrics textfile test reads shelfwatchd's .prom file through node_exporter's
        # textfile collector (its own parser), as a fleet's monitoring does
        prometheus-node-exporter
)
cross_pkgs=(
        gcc-aarch64-linux-gnu libc6-dev-arm64-cross
        gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
        qemu-user
        # make-sysroot.sh uses dpkg-deb/apt-get download; both are in the
        # essential set, but "file" helps when debugging a wrong-arch binary.
        file
)

bench_pkgs=(bc python3-numpy python3-sklearn)

want_cross=0
want_bench=0
check_only=0
for arg in "$@"; do
        case "$arg" in
        --cross) want_cross=1 ;;
        --bench) want_bench=1 ;;
        --check) check_only=1 ;;
        -h | --help)
                sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
                exit 0
                ;;
        *)
                echo "install-deps.sh: unknown option '$arg'" >&2
                exit 2
                ;;
        esac
done

pkgs=("${base_pkgs[@]}")
if ((want_cross)); then
        pkgs+=("${cross_pkgs[@]}")
fi
if ((want_bench)); then
        pkgs+=("${bench_pkgs[@]}")
fi

# A package counts as installed only when dpkg says "install ok installed";
# "deinstall" or half-configured states are treated as missing.
missing=()
for p in "${pkgs[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        if [[ "$status" != "install ok installed" ]]; then
                missing+=("$p")
        fi
done

if ((${#missing[@]} == 0)); then
        echo "install-deps.sh: all ${#pkgs[@]} packages already installed"
        exit 0
fi

echo "install-deps.sh: missing packages: ${missing[*]}"
if ((check_only)); then
        exit 1
fi

if [[ $(id -u) -ne 0 ]]; then
        echo "install-deps.sh: not root, cannot install. Run:" >&2
        echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive" \
                "apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Other apt/dpkg runs (unattended-upgrades, a parallel job) hold the lock for
# a while; wait for it instead of failing at once.
apt_opts=(-o DPkg::Lock::Timeout=300)
# Mirrors are sometimes caught mid-sync ("File has unexpected size"): retry,
# and if an index still fails, go on with the lists apt has; the install
# below fails clearly if a package is really unavailable.
for try in 1 2 3; do
        if apt-get "${apt_opts[@]}" update; then
                break
        fi
        echo "install-deps.sh: apt-get update failed (try $try of 3)" >&2
        sleep $((try * 10))
done
for try in 1 2 3; do
        if apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"; then
                break
        fi
        ((try < 3)) || exit 1
        echo "install-deps.sh: apt-get install failed (try $try of 3), retrying" >&2
        sleep $((try * 10))
        apt-get "${apt_opts[@]}" update || true
done
echo "install-deps.sh: installed ${missing[*]}"
