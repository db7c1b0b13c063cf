#!/bin/bash
# tests/vm/run.sh [BUILD_DIR] — vfiokit against a real Linux kernel with an emulated IOMMU
# and real vfio-pci, under QEMU TCG (no KVM needed). See tests/vm/README.md.
#
#   prepare.sh   Debian's linux-image-6.1.0-N-amd64, unpacked and depmod'ed, cached
#   mkinitrd.sh  busybox + modules + vfiokit + lspci + /init + guest-tests.sh
#   QEMU         the command line of DESIGN.md "The real-kernel test", 600 s at most (about 120 s on an
#                idle 2-core machine; TCG slows down several times when other jobs share the cores)
#   check.py     the host side: vfiokit's JSON against the kernel's sysfs and lspci
#
# Exit 0 only when the guest printed "VFIOKIT-VM-RESULT: PASS" and check.py passed;
# 1 on a failure; 77 when the test cannot run here (tools missing and not root).
# Environment: VFIOKIT_VM_CACHE (default ~/.cache/vfiokit-vm), VFIOKIT_VM_TIMEOUT (600),
# VFIOKIT_VM_OUT (default BUILD_DIR/vm: initrd, serial.log), VFIOKIT_VM_APPEND (the kernel
# command line, for experiments only; default DESIGN.md's), VFIOKIT_VM_BENCH (1: add vfiokit.bench=1
# to the kernel command line, and the guest times group binds against raw sysfs writes; bench/bind.sh).
set -uo pipefail
t0=$(date +%s.%N)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${1:-$repo/build}" >&2; exit 1; }
vfiokit=$build/vfiokit
if ! [ -x "$vfiokit" ]; then
        echo "run.sh: $vfiokit not built (meson setup build && ninja -C build)" >&2
        exit 1
fi
cache=${VFIOKIT_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vfiokit-vm}
out=${VFIOKIT_VM_OUT:-$build/vm}
limit=${VFIOKIT_VM_TIMEOUT:-600}
mkdir -p "$out"
export PATH=$PATH:/usr/sbin:/sbin
elapsed() { echo "$(date +%s.%N) $1" | awk '{printf "%.1f", $1 - $2}'; }

"$here/prepare.sh" "$cache"
rc=$?
[ $rc = 77 ] && { echo "run.sh: SKIP: prepare.sh could not get the tools"; exit 77; }
[ $rc != 0 ] && { echo "run.sh: prepare.sh failed ($rc)"; exit 1; }
ver=$(cat "$cache/kernel-version")
t_prep=$(elapsed "$t0")

t1=$(date +%s.%N)
"$here/mkinitrd.sh" "$cache" "$vfiokit" "$here/guest-tests.sh" "$out/initrd.cpio.gz" || {
        echo "run.sh: mkinitrd.sh failed"
        exit 1
}
t_initrd=$(elapsed "$t1")

append=${VFIOKIT_VM_APPEND:-console=ttyS0 intel_iommu=on iommu=pt panic=-1}
[ "${VFIOKIT_VM_BENCH:-}" = 1 ] && append="$append vfiokit.bench=1"

log=$out/serial.log
echo "run.sh: booting kernel $ver under QEMU TCG (at most ${limit} s); serial log: $log"
t2=$(date +%s.%N)
# The command line of DESIGN.md, "The real-kernel test (no KVM needed)".
timeout --kill-after=10 "$limit" qemu-system-x86_64 -machine q35,kernel-irqchip=split -accel tcg -cpu max -m 1024 -smp 2 \
        -device intel-iommu,intremap=on,caching-mode=on -vga none -nographic -no-reboot \
        -nodefaults -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -device VGA,bus=pcie.0,addr=01.0 \
        -device pcie-root-port,id=rp1,bus=pcie.0,addr=02.0,chassis=1,slot=1 \
        -device VGA,bus=rp1,addr=00.0,multifunction=on \
        -device ich9-intel-hda,id=pgpu_audio,bus=rp1,addr=00.1 \
        -audiodev none,id=snd0 -device hda-output,bus=pgpu_audio.0,audiodev=snd0 \
        -device pcie-root-port,id=rp2,bus=pcie.0,addr=03.0,chassis=2,slot=2 \
        -device e1000e,bus=rp2,netdev=n0 -netdev user,id=n0 \
        -device pcie-root-port,id=rp3,bus=pcie.0,addr=04.0,chassis=3,slot=3 \
        -device nvme-subsys,id=subsys0,nqn=subsys0 \
        -device nvme,bus=rp3,subsys=subsys0,serial=deadbeef,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4 \
        -kernel "$cache/root/boot/vmlinuz-$ver" -initrd "$out/initrd.cpio.gz" \
        -append "$append" \
        </dev/null 2>&1 | tr -d '\r' | tee "$log"
qemu_rc=${PIPESTATUS[0]}
t_vm=$(elapsed "$t2")

echo
echo "=== host-side checks (tests/vm/check.py)"
python3 "$here/check.py" "$log" | tee "$out/check.log"
check_rc=${PIPESTATUS[0]}

# counts: the guest's own line and the host's
g=$(sed -n 's/^# guest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -n 1)
h=$(sed -n 's/^# host: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/check.log")
read -r gp gf <<<"${g:-0 1}"
read -r hp hf <<<"${h:-0 1}"

boot=$(sed -n 's/^VFIOKIT-VM: init started, uptime \([0-9.]*\) s.*/\1/p' "$log" | head -n 1)
ready=$(sed -n 's/^VFIOKIT-VM: modules loaded, devices ready, uptime \([0-9.]*\) s/\1/p' "$log" | head -n 1)
done_=$(sed -n 's/^VFIOKIT-VM: guest tests done, uptime \([0-9.]*\) s/\1/p' "$log" | head -n 1)
marker=$(grep -a '^VFIOKIT-VM-RESULT: ' "$log" | tail -n 1)

echo
echo "=== summary"
echo "kernel:            $ver"
echo "prepare:           ${t_prep} s"
echo "initramfs:         ${t_initrd} s ($(du -k "$out/initrd.cpio.gz" | cut -f1) KiB)"
echo "kernel boot:       ${boot:-?} s (guest uptime when /init started)"
echo "modules + devices: ${ready:-?} s (guest uptime)"
echo "guest tests done:  ${done_:-?} s (guest uptime)"
echo "QEMU wall time:    ${t_vm} s (exit $qemu_rc; isa-debug-exit: 1 = PASS, 3 = FAIL; 124 = timeout)"
echo "total:             $(elapsed "$t0") s"
echo "guest marker:      ${marker:-none (the guest did not finish: see $log)}"
echo "guest checks:      $gp passed, $gf failed"
echo "host checks:       $hp passed, $hf failed"
echo "vm: $((gp + hp)) passed, $((gf + hf)) failed"

if [ "$marker" = "VFIOKIT-VM-RESULT: PASS" ] && [ "$check_rc" = 0 ] && [ "$gf" = 0 ] && [ "$hf" = 0 ]; then
        echo "VFIOKIT-VM: PASS"
        exit 0
fi
echo "VFIOKIT-VM: FAIL"
exit 1
