#!/bin/bash
# boot-edge.sh — boot apply on a copy of a distro host whose kernel-line or initramfs file has a real-world shape the
# fresh install does not: each must be edited right (the option once, everything else kept) or refused with FILE:LINE
# and nothing written.
# usage: boot-edge.sh VFIOKIT SRCDIR CASE
#   bls-two-options-lines  kargs-conflict  cmdline-no-final-newline  limine-kernel-cmdline-alias  refind-comments
#   kernelstub-truncated  mkinitcpio-crlf
set -u
export LC_ALL=C
vfiokit=$(realpath "$1") src=$(realpath "$2") case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fails=0
fail() { echo "FAIL [$case]: $*" >&2; fails=$((fails + 1)); }
snap() { python3 "$src/tests/cli/treesnap.py" "$root" --exclude run/vfiokit --skip-entry run; }
show() { sed 's/^/    | /' "$tmp/out" "$tmp/err" >&2; }
mutate() { python3 -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); b=eval(sys.argv[2]); open(p,"wb").write(b)' "$root/$1" "$2"; }
count() { (set -f; printf '%s\n' $1) | grep -cxF -- "$2"; }
once() { [ "$(count "$2" "$3")" = 1 ] || fail "$1: wanted '$3' once in: $2"; }

opts=()
case $case in
bls-two-options-lines) host=fedora-dracut-bls dev=01:00.0 ;;
kargs-conflict|cmdline-no-final-newline) host=arch-systemd-boot dev=01:00.0 ;;
limine-kernel-cmdline-alias) host=limine-host dev=03:00.0 opts=(--iommu-pt) ;;
refind-comments) host=refind-host dev=03:00.0 opts=(--iommu-pt) ;;
kernelstub-truncated) host=popos-kernelstub dev=03:00.0 opts=(--iommu-pt) ;;
mkinitcpio-crlf) host=arch-grub-mkinitcpio dev=03:00.0 ;;
*) echo "unknown case $case" >&2; exit 2 ;;
esac
cp -a "$src/examples/hosts/$host" "$root"
entry=boot/loader/entries/c3f2a1b0d9e84f7a8b6c5d4e3f2a1b0c-6.11.4-201.fc40.x86_64.conf
case $case in
bls-two-options-lines) # the BLS spec allows several options lines; the kernel gets them joined
        mutate $entry 'b.replace(b"modprobe.blacklist=nouveau\n", b"modprobe.blacklist=nouveau\noptions nvidia-drm.modeset=1\n")' ;;
kargs-conflict) # the user turned the IOMMU off: wanted intel_iommu=on conflicts; it is reported, not forced
        for f in etc/kernel/cmdline boot/loader/entries/arch.conf boot/loader/entries/arch-fallback.conf; do
                mutate $f 'b.replace(b"rw quiet", b"rw quiet intel_iommu=off")'
        done ;;
cmdline-no-final-newline) mutate etc/kernel/cmdline 'b.rstrip(b"\n")' ;;
limine-kernel-cmdline-alias) # Limine takes kernel_cmdline: as another name for cmdline:
        mutate boot/limine.conf 'b.replace(b"    cmdline:", b"    kernel_cmdline:", 1)' ;;
refind-comments) mutate boot/refind_linux.conf 'b"# written by refind-install\n\n" + b' ;;
kernelstub-truncated) mutate etc/kernelstub/configuration 'b[:-60]' ;;
mkinitcpio-crlf) mutate etc/mkinitcpio.conf 'b.replace(b"\n", b"\r\n")' ;;
esac
snap >"$tmp/snap.before"
NO_COLOR=1 "$vfiokit" --root "$root" boot apply $dev --yes "${opts[@]}" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -lt 128 ] || { fail "apply died of a signal ($rc)"; show; }
refused() { # FILE
        grep -q "/$1:[0-9]" "$tmp/err" || { fail "the error does not name /$1:LINE"; show; }
        snap | diff -u "$tmp/snap.before" - >&2 || fail "a refused apply changed the tree"
}
accepted() { [ $rc = 0 ] || { fail "apply exited $rc"; show; }; }

case $case in
bls-two-options-lines)
        accepted
        o=$(sed -n 's/^options[ \t]\+//p' "$root/$entry" | tr '\n' ' ')
        once "/$entry" "$o" intel_iommu=on
        once "/$entry" "$o" nvidia-drm.modeset=1 ;;
kargs-conflict)
        # the IOMMU would stay off: apply refuses (exit 3), naming FILE:LINE, and writes nothing
        [ $rc = 3 ] || { fail "apply with intel_iommu=off left in place exited $rc, not 3 (refused)"; show; }
        refused etc/kernel/cmdline
        grep -q 'vfio-pci cannot work' "$tmp/out" || { fail "no warning that vfio-pci cannot work"; show; }
        grep -q '+intel_iommu=on' "$tmp/out" && { fail "the header lists +intel_iommu=on, which is not added"; show; }
        grep -q -- '-amd_iommu=on' "$tmp/out" && { fail "the header lists -amd_iommu=on, which is not there"; show; }
        # --force goes on; the user's option stays and ours is not added next to it
        NO_COLOR=1 "$vfiokit" --root "$root" boot apply $dev --yes --force </dev/null >"$tmp/out" 2>"$tmp/err"
        rc=$?
        accepted
        for f in etc/kernel/cmdline boot/loader/entries/arch.conf boot/loader/entries/arch-fallback.conf; do
                grep -q 'intel_iommu=on' "$root/$f" && fail "/$f: intel_iommu=on added next to the user's intel_iommu=off"
                grep -q 'intel_iommu=off' "$root/$f" || fail "/$f: the user's intel_iommu=off is gone"
        done
        grep -q 'intel_iommu=off' "$tmp/out" "$tmp/err" || { fail "the conflict with intel_iommu=off is not reported"; show; } ;;
cmdline-no-final-newline)
        accepted
        once /etc/kernel/cmdline "$(cat "$root/etc/kernel/cmdline")" intel_iommu=on
        [ "$(tail -c1 "$root/etc/kernel/cmdline" | od -An -c | tr -d ' ')" != '\n' ] ||
                fail "/etc/kernel/cmdline gained a final newline (edit.h: a missing one is kept)" ;;
limine-kernel-cmdline-alias)
        accepted
        n=0
        while IFS= read -r line; do
                case $line in *cmdline:*) n=$((n + 1)); once "/boot/limine.conf entry $n" "${line#*cmdline:}" iommu=pt ;; esac
        done <"$root/boot/limine.conf"
        [ $n = 2 ] || fail "/boot/limine.conf: $n cmdline lines, wanted 2"
        grep -q '^    kernel_cmdline:' "$root/boot/limine.conf" || fail "kernel_cmdline: was renamed" ;;
refind-comments)
        accepted
        head -2 "$root/boot/refind_linux.conf" | cmp -s - <(printf '# written by refind-install\n\n') ||
                fail "the comment and the blank line were not kept"
        [ "$(grep -c '^"Boot.* iommu=pt"$' "$root/boot/refind_linux.conf")" = 3 ] || fail "not every line got iommu=pt"
        grep -q '^#.*iommu' "$root/boot/refind_linux.conf" && fail "the comment was edited" ;;
kernelstub-truncated)
        [ $rc != 0 ] || fail "truncated JSON accepted"
        refused etc/kernelstub/configuration
        grep -q '(continue)' "$tmp/err" && { fail "the reason is json-c's tokener state, not a reason"; show; } ;;
mkinitcpio-crlf)
        if [ $rc != 0 ]; then
                refused etc/mkinitcpio.conf
        else
                [ "$(grep -c $'\r$' "$root/etc/mkinitcpio.conf")" = "$(wc -l <"$root/etc/mkinitcpio.conf")" ] ||
                        fail "the CRLF line endings were not kept"
                grep -q $'^MODULES=(vfio_pci vfio vfio_iommu_type1)\r$' "$root/etc/mkinitcpio.conf" ||
                        fail "MODULES not edited as MODULES=(vfio_pci vfio vfio_iommu_type1) with its CR kept"
        fi ;;
esac
[ $fails = 0 ] && echo "ok: $case (exit $rc)"
exit $((fails > 0))
