#!/bin/bash
# boot-trial.sh — `boot apply --trial-boot` on a copy of a host with Boot Loader Specification entries: the options go
# into a new entry only, the default entries and kernel-line files keep every byte, the ids stay out of modprobe.d;
# applying it again changes nothing; a later apply without --trial-boot edits the entries and removes the trial entry;
# revert gives back the original tree; and a host whose default entry is not pinned is refused with nothing written.
# usage: boot-trial.sh VFIOKIT SRCDIR HOST DEVICE IDS
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2") host=$3 dev=$4 ids=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
what=trial
. "$src/tests/cli/boot-common.sh"
entries=boot/loader/entries
trial=$entries/vfiokit-trial.conf
case $host in
arch-systemd-boot) oneshot="bootctl set-oneshot vfiokit-trial.conf" undo="bootctl set-oneshot ''" ;;
fedora-dracut-bls) oneshot="grub2-reboot vfiokit-trial" undo="grub2-editenv - unset next_entry" ;;
*) echo "boot-trial.sh: no expectations for $host" >&2; exit 1 ;;
esac

orig=$tmp/orig root=$tmp/root
cp -a "$src/examples/hosts/$host" "$orig"
cp -a "$orig" "$root"
snap "$orig" >"$tmp/snap.orig"

# 1. the trial: a new entry, nothing else of the boot configuration touched
vk boot apply "$dev" --trial-boot --yes || { fail "apply --trial-boot exited $?"; show; }
[ -f "$root/$trial" ] || fail "no /$trial"
grep -q '^title *vfiokit trial: ' "$root/$trial" 2>/dev/null || fail "/$trial has no 'vfiokit trial:' title"
[ "$(grep -c '^title' "$root/$trial" 2>/dev/null)" = 1 ] || fail "/$trial has more than one title line"
opts=$(sed -n 's/^options[ \t]\+//p' "$root/$trial" 2>/dev/null | tr '\n' ' ')
for t in intel_iommu=on "vfio-pci.ids=$ids" root=UUID=*; do
        case $t in *\*) [ "$(printf '%s\n' $opts | grep -c "^${t%\*}")" = 1 ] || fail "/$trial options lack $t: $opts" ;;
        *) [ "$(count_token "$opts" "$t")" = 1 ] || fail "/$trial options have '$t' not once: $opts" ;;
        esac
done
for f in $(cd "$orig" && find $entries etc/default/grub etc/kernel/cmdline -type f 2>/dev/null); do
        cmp -s "$orig/$f" "$root/$f" || fail "/$f changed by a trial (only the new entry may change)"
done
grep -q '^options vfio-pci' "$root/etc/modprobe.d/vfiokit.conf" 2>/dev/null &&
        fail "/etc/modprobe.d/vfiokit.conf has vfio-pci ids: they would bind the GPU on every boot, not only the trial"
grep -q '^softdep .* pre: vfio-pci' "$root/etc/modprobe.d/vfiokit.conf" 2>/dev/null ||
        fail "/etc/modprobe.d/vfiokit.conf has no softdep"
grep -qF -- "$oneshot" "$tmp/out" || { fail "apply does not give the one-shot command '$oneshot'"; show; }
snap "$root" >"$tmp/snap.trial"
# 2. again: not one byte differs (the one-shot command is given again: that is the point of a second trial)
vk boot apply "$dev" --trial-boot --yes || { fail "second apply --trial-boot exited $?"; show; }
snap "$root" | diff -u "$tmp/snap.trial" - >&2 || fail "a second trial apply changed the tree"
# 3. revert after a trial: the original tree; the one-shot choice is forgotten, not made again
vk boot revert --dry-run || { fail "revert --dry-run exited $?"; show; }
grep -qF -- "$undo" "$tmp/out" || { fail "revert does not undo the one-shot choice ($undo)"; show; }
grep -qF -- "$oneshot" "$tmp/out" && { fail "revert would set the one-shot entry again"; show; }
vk boot revert || { fail "revert exited $?"; show; }
snap "$root" | diff -u "$tmp/snap.orig" - >&2 || fail "revert after a trial did not give back the original tree"

# 4. trial, then keep it: the entries are edited, the trial entry goes, revert still gives the original
vk boot apply "$dev" --trial-boot --yes || { fail "apply --trial-boot (keep case) exited $?"; show; }
vk boot plan "$dev" || { fail "plan after a trial exited $?"; show; }
grep -q "^# remove /$trial" "$tmp/out" || { fail "the plan after a trial does not remove /$trial"; show; }
grep -q '^+++ /dev/null' "$tmp/out" || fail "the removal's diff does not end in /dev/null"
vk boot apply "$dev" --yes || { fail "apply after the trial exited $?"; show; }
[ -e "$root/$trial" ] && fail "/$trial is still there after apply without --trial-boot"
[ -e "$root/$trial.vfiokit-orig" ] && fail "a backup of the trial entry was made"
grep -qx "options vfio-pci ids=$ids" "$root/etc/modprobe.d/vfiokit.conf" || fail "the kept plan has no ids in modprobe.d"
for e in "$root/$entries"/*.conf; do
        case $e in *-rescue.conf) continue ;; esac
        grep -q '^options.*intel_iommu=on' "$e" || fail "/${e#$root/} has no intel_iommu=on after the kept apply"
done
# verify reads the journal's options: the trial's vfio-pci.ids= is on no entry now, so it must not be listed
kargs=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["kernel_options"]["add"]))' \
        "$root/var/lib/vfiokit/boot-journal.json" 2>&1)
[ "$kargs" = "intel_iommu=on" ] || fail "after keeping the trial the journal lists the options '$kargs' (wanted intel_iommu=on)"
snap "$root" >"$tmp/snap.kept"
vk boot apply "$dev" --yes || { fail "apply again after keeping exited $?"; show; }
snap "$root" | diff -u "$tmp/snap.kept" - >&2 || fail "applying the kept plan again changed the tree"
vk boot revert || { fail "revert after keeping exited $?"; show; }
snap "$root" | diff -u "$tmp/snap.orig" - >&2 || fail "revert after trial + keep did not give back the original tree"

# 5. no pinned default: the trial entry could become the default, so nothing is planned or written
case $host in
arch-systemd-boot) sed -i '/^default/d' "$root/boot/loader/loader.conf" ;;
fedora-dracut-bls) sed -i 's/^GRUB_DEFAULT=.*/GRUB_DEFAULT=0/' "$root/etc/default/grub" ;;
esac
snap "$root" >"$tmp/snap.nodefault"
vk boot apply "$dev" --trial-boot --yes
rc=$?
[ $rc = 1 ] || { fail "apply --trial-boot without a pinned default exited $rc, wanted 1"; show; }
grep -q -- '--trial-boot: .*default' "$tmp/err" || { fail "the refusal does not explain the default entry"; show; }
[ "$(wc -l <"$tmp/err")" = 1 ] || { fail "more than one error line"; show; }
snap "$root" | diff -u "$tmp/snap.nodefault" - >&2 || fail "a refused trial changed the tree"

# 6. systemd-boot: `bootctl set-default` pins the default in an EFI variable (4 bytes of attributes, UTF-16LE text)
if [ $host = arch-systemd-boot ]; then
        var=$root/sys/firmware/efi/efivars/LoaderEntryDefault-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
        mkdir -p "${var%/*}"
        python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\x07\0\0\0" + "arch.conf".encode("utf-16-le") + b"\0\0")' "$var"
        vk boot plan "$dev" --trial-boot || { fail "plan --trial-boot with LoaderEntryDefault=arch.conf exited $?"; show; }
        grep -q 'a copy of /boot/loader/entries/arch.conf' "$tmp/out" || { fail "the trial does not copy arch.conf"; show; }
        python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\x07\0\0\0" + "vfiokit-*".encode("utf-16-le") + b"\0\0")' "$var"
        vk boot plan "$dev" --trial-boot
        [ $? = 1 ] || { fail "a default that matches the trial entry was not refused"; show; }
fi

[ $fails = 0 ] && echo "ok: $host: trial entry only, again unchanged, revert; trial + keep + revert; unpinned default refused"
exit $((fails > 0))
