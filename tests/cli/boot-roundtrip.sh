#!/bin/bash
# boot-roundtrip.sh — boot apply, apply again, revert on a copy of one distro host: the second apply changes no byte,
# revert gives back the original tree byte for byte, and FILE.vfiokit-orig survives a user's edit and a second apply.
# usage: boot-roundtrip.sh VFIOKIT SRCDIR HOST DEVICE [PLAN-OPTION...]
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2") host=$3 dev=$4
shift 4
opts=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/boot-common.sh"

# the value of a shell assignment as the shell sees it (/etc/default/grub is sourced by grub-mkconfig)
shell_value() { env -i bash -c 'set -a; . "$1" >/dev/null 2>&1; printf "%s" "${!2}"' _ "$1" "$2"; }
want_token() { # FILE WHAT LIST TOKEN: TOKEN once in LIST
        local n
        n=$(count_token "$3" "$4")
        [ "$n" = 1 ] || fail "$1: $2 has '$4' $n times, wanted once: $3"
}
no_token() {
        local n
        n=$(count_token "$3" "$4")
        [ "$n" = 0 ] || fail "$1: $2 still has '$4': $3"
}
want_line() { grep -qxF -- "$2" "$root/$1" || fail "/$1 has no line '$2'"; }
# the tokens of every "options" line of a BLS entry
bls_options() { sed -n 's/^options[ \t]\+//p' "$root/$1" | tr '\n' ' '; }
mkinitcpio_modules() { env -i bash -c '. "$1" >/dev/null 2>&1; printf "%s " "${MODULES[@]}"' _ "$root/etc/mkinitcpio.conf"; }
# vfio_pci vfio vfio_iommu_type1 in this order (others may stand between), no vfio_virqfd (kernel >= 6.2)
want_early_modules() {
        (set -f; printf '%s\n' $2) | sed 's/-/_/g' | grep -x 'vfio_pci\|vfio\|vfio_iommu_type1' | tr '\n' ' ' |
                grep -qx 'vfio_pci vfio vfio_iommu_type1 ' || fail "$1: vfio_pci vfio vfio_iommu_type1 not there in order: $2"
        no_token "$1" "the modules" "$2" vfio_virqfd
}

# ---- per host: what apply must write (the distro's real mechanism), and the file a user edits afterwards ----
check_applied() {
        local ids=$1
        [ $host = ubuntu-grub ] || want_line etc/modprobe.d/vfiokit.conf "options vfio-pci ids=$ids"
        case $host in
        ubuntu-grub)
                # vfio-pci is built into Ubuntu's 5.15: modprobe.d options never reach it, the command line must
                [ -e "$root/etc/modprobe.d/vfiokit.conf" ] && fail "/etc/modprobe.d/vfiokit.conf written for a built-in vfio-pci"
                v=$(shell_value "$root/etc/default/grub" GRUB_CMDLINE_LINUX_DEFAULT)
                want_token /etc/default/grub GRUB_CMDLINE_LINUX_DEFAULT "$v" "vfio-pci.ids=$ids"
                want_token /etc/default/grub GRUB_CMDLINE_LINUX_DEFAULT "$v" iommu=pt
                no_token /etc/default/grub GRUB_CMDLINE_LINUX_DEFAULT "$v" amd_iommu=on
                no_token /etc/default/grub GRUB_CMDLINE_LINUX_DEFAULT "$v" intel_iommu=on ;;
        arch-grub-mkinitcpio)
                v=$(shell_value "$root/etc/default/grub" GRUB_CMDLINE_LINUX_DEFAULT)
                no_token /etc/default/grub GRUB_CMDLINE_LINUX_DEFAULT "$v" amd_iommu=on
                for t in quiet udev.log_priority=3 audit=0 iommu=pt; do
                        want_token /etc/default/grub GRUB_CMDLINE_LINUX_DEFAULT "$v" $t
                done
                want_early_modules /etc/mkinitcpio.conf "$(mkinitcpio_modules)"
                want_line etc/modprobe.d/vfiokit.conf "softdep amdgpu pre: vfio-pci" ;;
        fedora-dracut-bls)
                for e in "$root"/boot/loader/entries/*-6.*.conf; do
                        want_token "/${e#$root/}" options "$(bls_options "${e#$root/}")" intel_iommu=on
                done
                v="$(shell_value "$root/etc/default/grub" GRUB_CMDLINE_LINUX) $(shell_value "$root/etc/default/grub" GRUB_CMDLINE_LINUX_DEFAULT)"
                want_token /etc/default/grub "GRUB_CMDLINE_LINUX(_DEFAULT)" "$v" intel_iommu=on
                grep -qE '^force_drivers\+=" ([^"]* )?vfio_pci vfio vfio_iommu_type1( [^"]*)? "$' \
                        "$root/etc/dracut.conf.d/vfiokit.conf" 2>/dev/null ||
                        fail "/etc/dracut.conf.d/vfiokit.conf has no force_drivers+=\" vfio_pci vfio vfio_iommu_type1 \""
                want_line etc/modprobe.d/vfiokit.conf "softdep nvidia pre: vfio-pci" ;;
        arch-systemd-boot)
                want_token /etc/kernel/cmdline tokens "$(cat "$root/etc/kernel/cmdline")" intel_iommu=on
                for e in arch arch-fallback; do
                        want_token /boot/loader/entries/$e.conf options "$(bls_options boot/loader/entries/$e.conf)" \
                                intel_iommu=on
                done
                want_early_modules /etc/mkinitcpio.conf "$(mkinitcpio_modules)"
                want_line etc/modprobe.d/vfiokit.conf "softdep amdgpu pre: vfio-pci" ;;
        popos-kernelstub)
                v=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(" ".join(c["user"]["kernel_options"]), "|", " ".join(c["default"]["kernel_options"]))' \
                        "$root/etc/kernelstub/configuration") || fail "/etc/kernelstub/configuration is no longer JSON"
                want_token /etc/kernelstub/configuration 'user.kernel_options' "${v%%|*}" iommu=pt
                [ "${v#*| }" = "quiet splash" ] || fail "/etc/kernelstub/configuration: the default profile changed: ${v#*| }"
                # kernelstub writes its JSON without a final newline, and edit.h promises to keep a missing one
                [ "$(tail -c1 "$root/etc/kernelstub/configuration")" = '}' ] ||
                        fail "/etc/kernelstub/configuration gained a final newline (edit.h: a missing one is kept)"
                for m in vfio_pci vfio vfio_iommu_type1; do
                        grep -qxE "${m//_/[-_]}" "$root/etc/initramfs-tools/modules" ||
                                fail "/etc/initramfs-tools/modules has no line $m"
                done
                want_line etc/modprobe.d/vfiokit.conf "softdep nvidia pre: vfio-pci" ;;
        silverblue)
                # ostree owns /boot: kernel arguments go through rpm-ostree kargs, never into its entries
                cmp -s "$root/boot/loader.1/entries/ostree-1.conf" "$orig/boot/loader.1/entries/ostree-1.conf" ||
                        fail "ostree's own BLS entry was edited"
                grep -q 'vfio_pci' "$root/etc/dracut.conf.d/vfiokit.conf" 2>/dev/null ||
                        fail "/etc/dracut.conf.d/vfiokit.conf does not name vfio_pci"
                grep -q 'rpm-ostree kargs' "$tmp/apply1.out" || fail "apply does not name rpm-ostree kargs"
                want_line etc/modprobe.d/vfiokit.conf "softdep nouveau pre: vfio-pci" ;;
        refind-host)
                while IFS= read -r line; do
                        case $line in '"Boot with standard options"'*|'"Boot to single-user mode"'*)
                                o=${line#*\"*\"*\"}; o=${o%\"}
                                want_token /boot/refind_linux.conf "${line%%\"  *}\"" "$o" iommu=pt ;;
                        esac
                done <"$root/boot/refind_linux.conf"
                for m in vfio_pci vfio vfio_iommu_type1; do
                        grep -qxE "${m//_/[-_]}" "$root/etc/initramfs-tools/modules" ||
                                fail "/etc/initramfs-tools/modules has no line $m"
                done
                want_line etc/modprobe.d/vfiokit.conf "softdep nouveau pre: vfio-pci" ;;
        limine-host)
                n=0
                while IFS= read -r line; do
                        case $line in *cmdline:*)
                                n=$((n + 1))
                                want_token /boot/limine.conf "cmdline $n" "${line#*cmdline:}" iommu=pt ;;
                        esac
                done <"$root/boot/limine.conf"
                [ $n = 2 ] || fail "/boot/limine.conf has $n cmdline: lines, wanted the two Linux entries' (not Windows)"
                grep -A3 '^/Windows' "$root/boot/limine.conf" | grep -q cmdline && fail "the Windows entry got a cmdline"
                grep -qE '^modules_force_load: *([^ ]*,)?vfio_pci,vfio,vfio_iommu_type1(,|$)' "$root/etc/booster.yaml" ||
                        fail "/etc/booster.yaml: no modules_force_load: vfio_pci,vfio,vfio_iommu_type1"
                want_line etc/modprobe.d/vfiokit.conf "softdep nvidia pre: vfio-pci" ;;
        *) fail "no expectations for host $host" ;;
        esac
}
user_file() {
        case $host in
        ubuntu-grub|arch-grub-mkinitcpio|fedora-dracut-bls) echo etc/default/grub ;;
        arch-systemd-boot) echo etc/kernel/cmdline ;;
        popos-kernelstub) echo etc/kernelstub/configuration ;;
        refind-host) echo boot/refind_linux.conf ;;
        limine-host) echo boot/limine.conf ;;
        esac
}
ids_of() {
        case $host in
        ubuntu-grub|nixos) echo 10de:13c2,10de:0fbb ;;
        arch-grub-mkinitcpio) echo 1002:67ef,1002:aae0 ;;
        fedora-dracut-bls|refind-host|limine-host) echo 10de:2484,10de:228b ;;
        arch-systemd-boot) echo 1002:67df,1002:aaf0 ;;
        popos-kernelstub|silverblue|unknown-boot) echo 10de:1c02,10de:10f1 ;;
        esac
}

orig=$tmp/orig root=$tmp/root
cp -a "$src/examples/hosts/$host" "$orig"
cp -a "$orig" "$root"
snap "$orig" >"$tmp/snap.orig"

# NixOS and an unknown bootloader: apply says what to do, changes nothing, and exits 1 so that a script does not go
# on to reboot (on NixOS the plan has no files and no commands, and must still not exit 0).
case $host in nixos|unknown-boot)
        vk boot apply "$dev" --yes "${opts[@]}"
        rc=$?
        [ $rc = 1 ] || { fail "apply exited $rc, wanted 1 (nothing it can change here)"; show; }
        snap "$root" | diff -u "$tmp/snap.orig" - >&2 || fail "apply changed the tree"
        if [ $host = nixos ]; then
                grep -q 'boot.kernelParams' "$tmp/out" || fail "no configuration.nix snippet (boot.kernelParams)"
                grep -q "$(ids_of)" "$tmp/out" || fail "the snippet does not name the ids $(ids_of)"
        else
                grep -q 'unknown' "$tmp/out" "$tmp/err" || fail "does not say the bootloader is unknown"
                grep -q 'intel_iommu=on' "$tmp/out" "$tmp/err" || fail "does not print the option to add (intel_iommu=on)"
        fi
        [ $fails = 0 ] && echo "ok: $host: apply refused, nothing changed"
        exit $((fails > 0))
esac

# 1. apply
vk boot apply "$dev" --yes "${opts[@]}" || { fail "first apply exited $?"; show; }
cp "$tmp/out" "$tmp/apply1.out"
check_applied "$(ids_of)"
snap "$root" >"$tmp/snap.apply1"
# 2. apply again: not one byte, mode or entry differs
vk boot apply "$dev" --yes "${opts[@]}" || { fail "second apply exited $?"; show; }
snap "$root" | diff -u "$tmp/snap.apply1" - >&2 || fail "the second apply changed the tree"
# 3. revert: the original tree, byte for byte (backups, journal and created directories gone too)
vk boot revert --yes || { fail "revert exited $?"; show; }
snap "$root" | diff -u "$tmp/snap.orig" - >&2 || fail "revert did not give back the original tree"

# 4. FILE.vfiokit-orig keeps the first original through a user's edit and a second apply
f=$(user_file)
if [ -n "$f" ]; then
        rm -rf "$root" && cp -a "$orig" "$root"
        vk boot apply "$dev" --yes "${opts[@]}" || { fail "apply (backup case) exited $?"; show; }
        if ! cmp -s "$root/$f.vfiokit-orig" "$orig/$f"; then
                fail "/$f.vfiokit-orig is not the original after the first apply"
        else
                python3 - "$root/$f" <<'EOF' || fail "could not edit /$f"
import sys
p = sys.argv[1]
b = open(p, 'rb').read()
head, sep, tail = b.rpartition(b'quiet')      # the last one: in kernelstub's "user" profile, not "default"
assert sep, 'no "quiet" to edit'
open(p, 'wb').write(head + b'quiet loglevel=3' + tail)
EOF
                vk boot apply "$dev" --yes "${opts[@]}" || { fail "apply after the user's edit exited $?"; show; }
                cmp -s "$root/$f.vfiokit-orig" "$orig/$f" || fail "a second apply overwrote /$f.vfiokit-orig"
                grep -q 'quiet loglevel=3' "$root/$f" || fail "the second apply dropped the user's edit of /$f"
                check_applied "$(ids_of)"
        fi
fi
[ $fails = 0 ] && echo "ok: $host: apply, apply again (no change), revert (original tree); .vfiokit-orig kept"
exit $((fails > 0))
