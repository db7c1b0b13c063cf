#!/bin/bash
# boot-live.sh — boot apply and revert on a live root: a copy of arch-systemd-boot is made the root with chroot(2)
# in a private mount namespace, so vfiokit sees "/" and runs the commands itself (with --root it only prints them).
# The copy's mkinitcpio and bootctl are stand-ins that record their argv and can be told to fail. Checks: apply runs
# `mkinitcpio -P` after writing the files; a failing command stops apply with its name, exit status and the way back
# (boot revert), the files stay written and journaled; revert runs the rebuild again and gives back the original
# tree; --trial-boot runs `bootctl set-oneshot vfiokit-trial.conf` last, and revert `bootctl set-oneshot ''`.
# Needs root, unshare and busybox (for the stand-ins); skipped (77) otherwise.
# usage: boot-live.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2") host=arch-systemd-boot
[ "$(id -u)" = 0 ] || { echo "needs root: skipped"; exit 77; }
busybox=$(command -v busybox) || { echo "no busybox: skipped"; exit 77; }
unshare -m true 2>/dev/null || { echo "no mount namespaces here: skipped"; exit 77; }
# the sanitizer runtime reads its options and /proc/PID/task from /proc, which in the copy is the fixture's fake one
[ -n "${VFIOKIT_SANITIZED:-}" ] && { echo "sanitizer build: needs the real /proc, skipped (the plain build runs it)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
what=live
. "$src/tests/cli/boot-common.sh"

cp -a "$src/examples/hosts/$host" "$root"
mkdir -p "$root/opt/vk" "$root/bin" "$root/usr/lib/x86_64-linux-gnu" "$root/lib/x86_64-linux-gnu" "$root/usr/lib64" \
        "$root/tmp"
ln -s usr/lib64 "$root/lib64"
cp "$vfiokit" "$root/opt/vk/vfiokit"
cp "$busybox" "$root/bin/busybox"
for c in mkinitcpio bootctl; do
        printf '#!/bin/busybox sh\necho "%s $*" >>/tmp/calls\n[ -e /tmp/fail-%s ] && { echo "%s: failing on purpose" >&2; exit 4; }\nexit 0\n' \
                $c $c $c >"$root/usr/bin/$c"
        chmod 755 "$root/usr/bin/$c"
done
# the tree without what this test added to run vfiokit there (tree rows are "path<TAB>type...")
tree() { snap "$root" | grep -Ev '^(tmp|opt|bin|lib64|usr/lib64|usr/lib/x86_64-linux-gnu|lib/x86_64-linux-gnu)(/|\s)'; }
tree >"$tmp/snap.orig"
# run vfiokit as the live system of the copy: the real libraries are bound in read-only, nothing else of this host
live() {
        : >"$root/tmp/calls"
        unshare -m sh -c 'set -e
                mount --make-rprivate /
                mount --bind -o ro /usr/lib/x86_64-linux-gnu "$0/usr/lib/x86_64-linux-gnu"
                mount --bind -o ro /usr/lib/x86_64-linux-gnu "$0/lib/x86_64-linux-gnu"
                mount --bind -o ro /usr/lib64 "$0/usr/lib64"
                exec chroot "$0" /opt/vk/vfiokit "$@"' "$root" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
}

# 1. apply: files, then the rebuild, run for real
live boot apply 01:00.0 --yes || { fail "live apply exited $?"; show; }
[ "$(cat "$root/tmp/calls")" = "mkinitcpio -P" ] || fail "apply ran: $(cat "$root/tmp/calls") (wanted mkinitcpio -P)"
grep -qx 'ran mkinitcpio -P' "$tmp/out" || { fail "apply does not say it ran mkinitcpio -P"; show; }
grep -q 'not run' "$tmp/out" && { fail "a live apply printed commands instead of running them"; show; }
grep -q '^options.*intel_iommu=on' "$root/boot/loader/entries/arch.conf" || fail "arch.conf not edited"
live boot revert || { fail "live revert exited $?"; show; }
[ "$(cat "$root/tmp/calls")" = "mkinitcpio -P" ] || fail "revert ran: $(cat "$root/tmp/calls") (wanted mkinitcpio -P)"
tree | diff -u "$tmp/snap.orig" - >&2 || fail "revert did not give back the original tree"

# 2. a failing rebuild: stop with the command, its status and the way back; the journal holds the originals
touch "$root/tmp/fail-mkinitcpio"
live boot apply 01:00.0 --yes
rc=$?
[ $rc = 1 ] || { fail "apply with a failing mkinitcpio exited $rc, wanted 1"; show; }
grep -q 'mkinitcpio -P.*exit.*4.*vfiokit boot revert' "$tmp/err" || { fail "the error does not name the command, its status 4 and boot revert"; show; }
# stderr also has the command's own message; vfiokit's error is one line
[ "$(grep -c '^vfiokit:' "$tmp/err")" = 1 ] || { fail "not one error line from vfiokit"; show; }
[ -f "$root/var/lib/vfiokit/boot-journal.json" ] || fail "no journal after a failed rebuild"
rm "$root/tmp/fail-mkinitcpio"
live boot revert || { fail "revert after a failed rebuild exited $?"; show; }
tree | diff -u "$tmp/snap.orig" - >&2 || fail "revert after a failed rebuild did not give back the original tree"

# 3. trial boot: the one-shot choice runs last; revert forgets it and does not make it again
live boot apply 01:00.0 --trial-boot --yes || { fail "live apply --trial-boot exited $?"; show; }
[ "$(tr '\n' '|' <"$root/tmp/calls")" = "mkinitcpio -P|bootctl set-oneshot vfiokit-trial.conf|" ] ||
        fail "apply --trial-boot ran: $(tr '\n' '|' <"$root/tmp/calls")"
live boot revert || { fail "revert after a trial exited $?"; show; }
[ "$(tr '\n' '|' <"$root/tmp/calls")" = "bootctl set-oneshot |mkinitcpio -P|" ] ||
        fail "revert after a trial ran: $(tr '\n' '|' <"$root/tmp/calls")"
tree | diff -u "$tmp/snap.orig" - >&2 || fail "revert after a trial did not give back the original tree"

[ $fails = 0 ] && echo "ok: live root: commands run in order, a failing one stops apply with the way back, revert reruns them"
exit $((fails > 0))
