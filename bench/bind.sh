#!/bin/bash
# bench/bind.sh — time a group bind on the real-kernel VM (tests/vm) against the same raw sysfs writes
# done by a busybox sh script in the same boot: N=10 rounds of (vfiokit bind GPU; vfiokit unbind GPU)
# and N=10 rounds of the script (driver_override, unbind, drivers_probe for the GPU and its audio
# function, then the reverse), alternating; medians and the ratio (the target is within 2x).
# usage: bench/bind.sh [BUILD_DIR]      env: OUT (default BUILD_DIR/vm-bench), and tests/vm/run.sh's
# It runs tests/vm/run.sh with VFIOKIT_VM_BENCH=1 (vfiokit.bench=1 on the guest's kernel command line).
# It prints numbers; it never fails on timing (exit 1 only when the VM gave no numbers, 77 when it
# cannot run here).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/vfiokit" ] || { echo "bench: build first (meson setup $build && meson compile -C $build)" >&2; exit 1; }
out=${OUT:-$build/vm-bench}
mkdir -p "$out"

t0=$(date +%s%N)
VFIOKIT_VM_BENCH=1 VFIOKIT_VM_OUT="$out" tests/vm/run.sh "$build" >"$out/run.log" 2>&1
rc=$?
t1=$(date +%s%N)
[ $rc = 77 ] && { echo "bench: SKIP: tests/vm/run.sh cannot run here (see $out/run.log)"; exit 77; }

log=$out/serial.log
if ! grep -aq '^VFIOKIT-BENCH: ratio' "$log" 2>/dev/null; then
        echo "bench: the VM printed no numbers (run.sh exit $rc); see $out/run.log and $log" >&2
        exit 1
fi
echo "bench/bind.sh: group bind on the real-kernel VM (QEMU TCG, $(nproc) host cores), kernel $(sed -n 's/^kernel: *//p' "$out/run.log")"
sed -n 's/^VFIOKIT-BENCH: /  /p' "$log"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  whole VM run (prepare, initramfs, boot, all guest tests, bench): %.1f s\n", (b - a) / 1e9 }'
grep -a '^# guest tests done\|^guest tests done:' "$out/run.log" | sed 's/^/  /'
echo "  VM test verdict: $(grep -a '^VFIOKIT-VM: \(PASS\|FAIL\)' "$out/run.log" | tail -n 1 | sed 's/^VFIOKIT-VM: //') (run.sh exit $rc; not a timing result)"
echo "ratio = vfiokit median / shell median (a round is bind + unbind); round-by-round lines in $log"
exit 0
