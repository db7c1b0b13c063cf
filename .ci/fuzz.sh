#!/bin/bash
# .ci/fuzz.sh — build the libFuzzer targets (clang, ASan+UBSan) in build-fuzz and run each for a bounded time over a
# copy of its seed corpus. Usage: .ci/fuzz.sh [TARGET...]  (default: every tests/fuzz/fuzz-*.c); FUZZ_SECONDS=20.
# Prints "fuzz TARGET: N runs, ok" per target; exits 1 when a target crashes, leaks, times out or runs out of memory,
# keeping the input that did it under build-fuzz/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

build="build-fuzz"
seconds=${FUZZ_SECONDS:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
        # libFuzzer takes -max_total_time=0 as "forever"
        echo "fuzz: FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
        exit 2
fi
if ! command -v clang >/dev/null; then
        echo "fuzz: clang not found (Debian: apt-get install -y clang libclang-rt-14-dev)" >&2
        exit 2
fi

if [ $# -gt 0 ]; then
        targets=("$@")
else
        targets=()
        for src in tests/fuzz/fuzz-*.c; do
                name=${src##*/fuzz-}
                targets+=("${name%.c}")
        done
fi
for t in "${targets[@]}"; do
        if [ ! -f "tests/fuzz/fuzz-$t.c" ]; then
                echo "fuzz: no target '$t' (tests/fuzz/fuzz-$t.c)" >&2
                exit 2
        fi
done

werror=false
[ "${CI_WERROR:-}" = 1 ] && werror=true
if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=$werror \
                >"$build.setup.log" 2>&1 || {
                cat "$build.setup.log" >&2
                rm -f "$build.setup.log"
                exit 1
        }
        rm -f "$build.setup.log"
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}" >/dev/null

# the fuzzers write many small files (fuzz-host's fixture host): keep them in memory when possible
if [ -z "${FUZZ_TMP:-}" ]; then
        if [ -d /dev/shm ] && [ -w /dev/shm ]; then FUZZ_TMP=/dev/shm; else FUZZ_TMP=${TMPDIR:-/tmp}; fi
fi
work=$(mktemp -d "$FUZZ_TMP/vfiokit-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs" "$work/tmp"

failed=0
for t in "${targets[@]}"; do
        exe=$build/tests/fuzz/fuzz-$t
        corpus=$work/corpus-$t
        log=$build/fuzz-logs/$t.log
        artifacts=$build/fuzz-artifacts/$t-
        args=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$artifacts")
        [ -f "tests/fuzz/fuzz-$t.dict" ] && args+=(-dict="tests/fuzz/fuzz-$t.dict")

        mkdir -p "$corpus"
        [ -d "tests/fuzz/corpus/$t" ] && cp -R "tests/fuzz/corpus/$t/." "$corpus/" # a copy: new inputs never land in the repo
        rm -f "$artifacts"*
        rc=0
        TMPDIR=$work/tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
                UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
                "$exe" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
                echo "fuzz $t: $runs runs, ok"
                continue
        fi
        failed=1
        found=
        for f in "$artifacts"*; do
                [ -e "$f" ] && found=$f && break
        done
        kind=${found##*/"$t"-}
        echo "fuzz $t: FAILED (${kind%%-*}${kind:+, }exit $rc) after ${runs:-?} runs"
        # the sanitizer's verdict and the frames in our code, not libFuzzer's own
        grep -E '^(==[0-9]+== ?ERROR|SUMMARY|fuzz-[a-z]+: check failed)|^ +#[0-9]+ .*(src/lib|tests)/[^ ]*\.c:[0-9]' "$log" |
                head -n 30 | sed 's/^/  /' || true
        echo "  log: $log"
        [ -n "$found" ] && echo "  reproduce: $exe $found"
done
exit "$failed"
