#!/usr/bin/env bash
# ci.sh: CI's ARM stage: cross-build aarch64 and armhf, run both test suites under qemu at once, make both .debs.
#
# Usage: cross/ci.sh [-- CTEST_ARGS...]
#
# The builds run one after the other (each uses every core). The two qemu test
# runs then go side by side: most of their time is the integration tests'
# waiting (broker round trips, timers, daemon restarts), and running them
# together takes about as long as the slower one instead of the sum. Each run's
# output goes to build-cross-<arch>-full/ci-test.log and is printed when both
# are done. A test that fails is run once more (ctest --repeat until-pass:2),
# since two emulated suites share two cores; the log shows any such retry.
# The .debs: each linted by build-and-test.sh --package, then their file lists compared with
# each other and with the amd64 one (tools/lint-deb.sh --no-lintian).
# Exit status: non-zero if any build, test run or package failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

ctest_args=(--repeat until-pass:2)
if [[ "${1:-}" == "--" ]]; then
        shift
        ctest_args+=("$@")
fi

arches=(aarch64 armhf)
failed=()
start=$SECONDS

for a in "${arches[@]}"; do
        t=$SECONDS
        bash cross/build-and-test.sh "$a" --package --steps=build || failed+=("$a build")
        echo "== ci.sh: $a sysroot and build took $((SECONDS - t)) s"
done

t=$SECONDS
declare -A pids=()
for a in "${arches[@]}"; do
        log="$repo/build-cross-$a-full/ci-test.log"
        mkdir -p "$(dirname "$log")"
        bash cross/build-and-test.sh "$a" --package --steps=test -- "${ctest_args[@]}" >"$log" 2>&1 &
        pids[$a]=$!
done
for a in "${arches[@]}"; do
        rc=0
        wait "${pids[$a]}" || rc=$?
        echo
        echo "---------- $a: tests under qemu (exit $rc) ----------"
        cat "$repo/build-cross-$a-full/ci-test.log"
        ((rc == 0)) || failed+=("$a tests")
done
echo "== ci.sh: both test runs took $((SECONDS - t)) s"

for a in "${arches[@]}"; do
        bash cross/build-and-test.sh "$a" --package --steps=package || failed+=("$a package")
done

# Each .deb was linted above; the three architectures must also hold the same files (paths,
# modes, owners), amd64's from tools/check-package.sh when it ran first (as in .ci/run).
out=${SW_DEB_OUT:-$repo/build-debs}
debs=()
for d in arm64 armhf; do
        deb=$(ls -t "$out"/shelfwatch_*_"$d".deb 2>/dev/null | head -n 1 || true)
        [[ -n "$deb" ]] && debs+=("$deb")
done
if ((${#debs[@]} > 0)); then
        version=$(dpkg-deb -f "${debs[0]}" Version)
        [[ -f "$out/shelfwatch_${version}_amd64.deb" ]] && debs=("$out/shelfwatch_${version}_amd64.deb" "${debs[@]}")
        bash tools/lint-deb.sh --no-lintian "${debs[@]}" || failed+=("packages differ between architectures")
fi

echo "== ci.sh: ARM stage took $((SECONDS - start)) s"
if ((${#failed[@]} > 0)); then
        printf 'ci.sh: failed: %s\n' "${failed[@]}" >&2
        exit 1
fi
