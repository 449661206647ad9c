#!/usr/bin/env bash
# Build and run the libFuzzer harnesses under ASan+UBSan: bounded fuzzing, or corpus replay.
#
# Usage: tests/fuzz/run-fuzzers.sh [SECONDS_PER_HARNESS] [HARNESS...]   fuzz (default 60 s each)
#        tests/fuzz/run-fuzzers.sh --replay [HARNESS...]                 run each corpus once
#
# Self-contained: installs clang and libFuzzer's runtime if they are missing, fetches cJSON's
# Debian source package into the build directory (never into the tree) so that cJSON is
# compiled with coverage and ASan, configures tests/fuzz/ as its own CMake project in
# build-fuzz/ (SW_FUZZ_BUILD_DIR overrides), builds, then runs every harness in turn.
# Fuzzing works on a copy of tests/fuzz/corpus/<name>/ so the repository corpus does not
# grow; crashing inputs land in build-fuzz/artifacts/<name>/.
# Exits non-zero when any harness reports a crash, a leak, undefined behaviour, a timeout
# or a failed invariant. Prints the executions per harness.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SW_FUZZ_BUILD_DIR:-$root/build-fuzz}
all_harnesses=(fuzz_payload_pos fuzz_payload_receipt fuzz_payload_inventory fuzz_payload_forecast
        fuzz_payload_shelf fuzz_payload_count fuzz_command fuzz_time fuzz_config)

mode=fuzz
seconds=60
harnesses=()
for arg in "$@"; do
        case $arg in
        --replay) mode=replay ;;
        -h | --help)
                sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
                exit 0
                ;;
        [0-9]*) seconds=$arg ;;
        fuzz_*) harnesses+=("$arg") ;;
        *)
                echo "run-fuzzers: unknown argument '$arg' (see --help)" >&2
                exit 2
                ;;
        esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all_harnesses[@]}")

log() { printf 'run-fuzzers: %s\n' "$*" >&2; }

# clang's libFuzzer and sanitizer runtimes come from libclang-rt-14-dev on Debian 12.
# Check by linking a trivial fuzzer, which is what fails when the runtime is missing.
libfuzzer_works() {
        local t
        t=$(mktemp -d)
        printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
                >"$t/t.c"
        if command -v clang >/dev/null &&
                clang -fsanitize=fuzzer,address,undefined "$t/t.c" -o "$t/t" 2>/dev/null &&
                "$t/t" -runs=1 >/dev/null 2>&1; then
                rm -rf "$t"
                return 0
        fi
        rm -rf "$t"
        return 1
}

ensure_tools() {
        local need=()
        libfuzzer_works || need+=(clang libclang-rt-14-dev)
        command -v cmake >/dev/null || need+=(cmake)
        command -v pkg-config >/dev/null || need+=(pkg-config)
        command -v dpkg-source >/dev/null || need+=(dpkg-dev)
        pkg-config --exists libconfig 2>/dev/null || need+=(libconfig-dev)
        pkg-config --exists libcjson 2>/dev/null || need+=(libcjson-dev)
        if [ ${#need[@]} -gt 0 ]; then
                log "installing ${need[*]}"
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
        fi
        libfuzzer_works || {
                log "clang cannot link a libFuzzer program; giving up"
                exit 1
        }
}

# cJSON's source, from Debian's source package of the installed version, with Debian's
# patches applied. A private apt configuration adds the deb-src line without touching
# /etc/apt. Prints the source directory, or nothing when it cannot be had (the build then
# links the system libcjson, which the fuzzer sees no coverage in).
fetch_cjson() {
        local dir=$build/third_party/cjson apt=$build/third_party/apt version opts
        if [ -f "$dir/src/cJSON.c" ]; then
                echo "$dir/src"
                return
        fi
        version=$(dpkg-query -W -f='${Version}' libcjson-dev 2>/dev/null || true)
        [ -n "$version" ] || return 0
        rm -rf "$dir" "$apt"
        mkdir -p "$dir" "$apt/lists/partial"
        # shellcheck disable=SC1091
        . /etc/os-release
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${VERSION_CODENAME:-bookworm} main" \
                >"$apt/sources.list"
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security ${VERSION_CODENAME:-bookworm}-security main" \
                >>"$apt/sources.list"
        opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
                -o "Dir::State::Lists=$apt/lists" -o APT::Sandbox::User=root)
        if apt-get "${opts[@]}" update -qq >"$apt/log" 2>&1 &&
                (cd "$dir" && apt-get "${opts[@]}" source --download-only "cjson=$version") \
                        >>"$apt/log" 2>&1 &&
                (cd "$dir" && dpkg-source -x ./*.dsc src) >>"$apt/log" 2>&1 &&
                [ -f "$dir/src/cJSON.c" ]; then
                echo "$dir/src"
        else
                log "could not fetch cJSON $version source (see $apt/log); linking the system libcjson"
        fi
}

build_fuzzers() {
        local cjson
        ensure_tools
        cjson=$(fetch_cjson)
        cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE= \
                -DSW_FUZZ_CJSON_DIR="$cjson" >"$build.configure.log" 2>&1 || {
                cat "$build.configure.log" >&2
                exit 1
        }
        mv "$build.configure.log" "$build/configure.log"
        cmake --build "$build" -j"$(nproc)" -- -s >"$build/build.log" 2>&1 || {
                cat "$build/build.log" >&2
                exit 1
        }
        if [ -n "$cjson" ]; then
                log "built ${#harnesses[@]} harness(es); cJSON compiled from Debian's source ($cjson)"
        else
                log "built ${#harnesses[@]} harness(es); cJSON is the system library"
        fi
}

dict_for() {
        case $1 in
        fuzz_config) echo "$here/config.dict" ;;
        *) echo "$here/json.dict" ;;
        esac
}

# Sanitizer settings: abort on the first report, check leaks at exit, suppress only the
# third-party leaks documented in lsan.supp.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}

failed=()
total_execs=0
declare -A execs

run_one() {
        local name=$1 bin=$build/$1 corpus=$here/corpus/${1#fuzz_} logf=$build/logs/$1.log
        local n rc=0 work
        mkdir -p "$build/logs" "$build/artifacts/$name"
        [ -d "$corpus" ] || {
                log "$name: no corpus directory $corpus"
                failed+=("$name")
                return
        }
        if [ "$mode" = replay ]; then
                # Each corpus file run once, no mutation: a fast regression check.
                mapfile -t files < <(find "$corpus" -type f | sort)
                "$bin" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/$name/" \
                        "${files[@]}" </dev/null >"$logf" 2>&1 || rc=$?
                n=$(grep -c '^Executed ' "$logf" || true)
        else
                work=$build/work/$name
                rm -rf "$work"
                mkdir -p "$work"
                cp -r "$corpus/." "$work/"
                "$bin" -max_total_time="$seconds" -max_len=70000 -dict="$(dict_for "$name")" \
                        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                        -artifact_prefix="$build/artifacts/$name/" "$work" \
                        </dev/null >"$logf" 2>&1 || rc=$?
                n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -n1)
        fi
        n=${n:-0}
        execs[$name]=$n
        total_execs=$((total_execs + n))
        if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|invariant failed|ERROR: libFuzzer' "$logf"; then
                failed+=("$name")
                printf '%-24s FAILED (exit %d), %s executions; log %s\n' "$name" "$rc" "$n" "$logf"
                grep -E 'ERROR:|runtime error:|invariant failed|SUMMARY:|Test unit written|artifact_prefix' "$logf" |
                        head -n 12 | sed 's/^/    /'
        else
                printf '%-24s ok, %s executions\n' "$name" "$n"
        fi
}

cd "$root"
start=$(date +%s)
build_fuzzers
if [ "$mode" = replay ]; then
        log "replaying each corpus once"
else
        log "fuzzing each harness for ${seconds}s"
fi
for h in "${harnesses[@]}"; do
        [ -x "$build/$h" ] || {
                log "no harness $h"
                exit 2
        }
        run_one "$h"
done
elapsed=$(($(date +%s) - start))
summary=
for h in "${harnesses[@]}"; do
        summary+=" $h=${execs[$h]:-0}"
done
echo "run-fuzzers: executions:$summary"
echo "run-fuzzers: $mode of ${#harnesses[@]} harness(es): $total_execs executions in ${elapsed}s, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
