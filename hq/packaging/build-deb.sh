#!/usr/bin/env bash
# build-deb.sh: the shelfwatch-hq .deb (its own package, beside shelfwatch's CPack one).
#
# Usage: hq/packaging/build-deb.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, build-debs)
# Installs the build's "hq" component (cmake --install --component hq, which the shelfwatch
# package leaves out), the unit, the config as a conffile and docs/hq.md into a staging tree,
# and packs it with dpkg-deb. Prints the .deb's path on the last line.
# Native builds only (shelfwatch-hq is not cross-built: see CMakeLists.txt).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build}
out=${2:-$repo/build-debs}
[[ "$build" = /* ]] || build="$repo/$build"
[[ -x "$build/shelfwatch-hq" ]] || { echo "build-deb.sh: $build/shelfwatch-hq missing: build first" >&2; exit 1; }
version=$(sed -n 's/^project(shelfwatch VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

DESTDIR="$stage" cmake --install "$build" --component hq --prefix /usr >/dev/null
strip --strip-unneeded "$stage/usr/sbin/shelfwatch-hq"
install -D -m 0644 "$repo/systemd/shelfwatch-hq.service" "$stage/lib/systemd/system/shelfwatch-hq.service"
install -D -m 0644 "$repo/systemd/shelfwatch-hq.conf" "$stage/etc/shelfwatch/shelfwatch-hq.conf"
install -D -m 0644 "$repo/docs/hq.md" "$stage/usr/share/doc/shelfwatch-hq/hq.md"
# shelfwatch-hq serve: the dashboard's files and the API document (http.web_root, http.api_doc)
install -D -m 0644 -t "$stage/usr/share/shelfwatch-hq/web" "$repo"/hq/web/*.{html,css,js}
install -D -m 0644 "$repo/hq/api/openapi.json" "$stage/usr/share/shelfwatch-hq/openapi.json"
mkdir -p "$stage/DEBIAN"
install -m 0755 "$repo"/hq/packaging/{postinst,prerm,postrm} "$stage/DEBIAN/"
echo /etc/shelfwatch/shelfwatch-hq.conf >"$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: shelfwatch-hq
Version: $version
Architecture: $arch
Maintainer: shelfwatch maintainers <shelfwatch@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.36), libcjson1 (>= 1.7.15), libconfig9 (>= 1.5), libmosquitto1 (>= 2.0.11), libpq5 (>= 15), libsystemd0 (>= 252), libmicrohttpd12 (>= 0.9.75), libgnutls30 (>= 3.7.9)
Recommends: mosquitto, postgresql
Section: net
Priority: optional
Description: HQ ingest of shelfwatch gateway messages into PostgreSQL
 shelfwatch-hq takes every store gateway's anomalies, outcomes, summaries and
 status from an MQTT v5 shared subscription, stores them idempotently in
 PostgreSQL in batched transactions (row-level security per tenant), confirms
 each committed message to its gateway with a receipt, and answers fleet
 queries: open alerts, the cycle-count list, effectiveness, ROI, gateways
 with problems. It runs as a hardened systemd service (Type=notify, watchdog,
 DynamicUser).
CONTROL
mkdir -p "$out"
deb="$out/shelfwatch-hq_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
