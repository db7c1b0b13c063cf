#!/bin/bash
# run-all.sh — every test: unit and CLI golden tests, the same under ASan+UBSan, and a short fuzz run.
# Ends with one line "N passed, N failed". CI_WERROR=1 makes warnings errors.
set -uo pipefail
cd "$(dirname "$0")/.."
werror=false
[ "${CI_WERROR:-}" = 1 ] && werror=true
passed=0 failed=0 skipped=0

count() { # count meson's results from a build dir's testlog.json
        local log=$1/meson-logs/testlog.json p f s
        p=$(grep -c '"result": "OK"' "$log" 2>/dev/null)
        f=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" 2>/dev/null)
        s=$(grep -c '"result": "SKIP"' "$log" 2>/dev/null)
        passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${s:-0}))
}

suite() { # suite NAME BUILDDIR MESON-SETUP-ARGS...
        local name=$1 dir=$2
        shift 2
        echo "=== $name"
        if [ ! -d "$dir" ]; then
                meson setup "$dir" -Dwerror=$werror "$@" >/dev/null || { echo "$name: meson setup failed"; failed=$((failed + 1)); return; }
        fi
        if ! meson compile -C "$dir" >"$dir.log" 2>&1; then
                cat "$dir.log"
                echo "$name: build failed"
                failed=$((failed + 1))
                return
        fi
        meson test -C "$dir" --print-errorlogs --num-processes 2 | grep -Ev '^\s*$' | tail -n 40
        count "$dir"
}

suite "build + tests" build
suite "ASan + UBSan" build-asan -Db_sanitize=address,undefined -Db_lundef=false
# The real-kernel test: Debian's kernel under QEMU TCG with an emulated IOMMU (tests/vm/README.md).
# It downloads the kernel package with apt-get, so it needs root; elsewhere it is skipped.
if [ "$(id -u)" = 0 ] && [ "${VFIOKIT_SKIP_VM:-}" != 1 ]; then
        echo "=== real kernel under QEMU (tests/vm/run.sh)"
        tests/vm/run.sh build 2>&1 | tail -n 60
        rc=${PIPESTATUS[0]}
        if [ "$rc" = 0 ]; then passed=$((passed + 1)); elif [ "$rc" = 77 ]; then skipped=$((skipped + 1)); else failed=$((failed + 1)); fi
else
        echo "=== real kernel under QEMU: skipped (needs root for apt-get download; VFIOKIT_SKIP_VM=1 skips it)"
        skipped=$((skipped + 1))
fi
if command -v clang >/dev/null && [ -x .ci/fuzz.sh ]; then
        echo "=== fuzz (${FUZZ_SECONDS:=10}s per target)"
        if FUZZ_SECONDS=$FUZZ_SECONDS .ci/fuzz.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
        echo "=== fuzz: skipped (no clang)"
        skipped=$((skipped + 1))
fi
echo
if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
else
        echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
