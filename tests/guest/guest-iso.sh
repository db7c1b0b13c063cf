#!/bin/bash
# guest-iso.sh — guest media --iso on the live host (never under --root): xorriso makes the image, the image holds
# the same autounattend.xml at its root (where Windows Setup looks), and a second run leaves the image alone.
# usage: guest-iso.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1")
command -v xorriso >/dev/null || { echo "xorriso is not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
name=vfiokit-iso-test-$$
[ -e "/etc/libvirt/qemu/$name.xml" ] && fail "a VM $name exists on this host"

"$vfiokit" guest media "$name" --out "$tmp/out" --iso "$tmp/unattend.iso" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "first run"; }
[ -s "$tmp/unattend.iso" ] || fail "no ISO written"
ls -a "$tmp" | grep -q vfiokit-tmp && fail "a temporary file was left behind"
listing=$(xorriso -indev "$tmp/unattend.iso" -find / -type f 2>/dev/null | sort)
for f in autounattend.xml rdp-blank-password.reg README-guest.txt; do
        grep -qx "'/$f'" <<<"$listing" || fail "$f is not at the root of the ISO: $listing"
done
xorriso -osirrox on -indev "$tmp/unattend.iso" -extract /autounattend.xml "$tmp/extracted.xml" >/dev/null 2>&1 ||
        fail "cannot extract autounattend.xml"
cmp "$tmp/extracted.xml" "$tmp/out/autounattend.xml" || fail "the ISO's autounattend.xml differs from --out's"
grep -q "$tmp/unattend.iso" "$tmp/out/README-guest.txt" || fail "README does not name the ISO"
# Joliet, so that Windows sees the long names as they are
xorriso -indev "$tmp/unattend.iso" -pvd_info 2>/dev/null | grep -q "Volume Id    : VFIOKIT_UNATTEND" ||
        fail "volume id"
before=$(stat -c %Y.%i "$tmp/unattend.iso")
"$vfiokit" guest media "$name" --out "$tmp/out" --iso "$tmp/unattend.iso" >"$tmp/log2" 2>&1 || { cat "$tmp/log2"; fail "second run"; }
grep -q "unchanged .*unattend.iso" "$tmp/log2" || { cat "$tmp/log2"; fail "second run did not keep the ISO"; }
[ "$(stat -c %Y.%i "$tmp/unattend.iso")" = "$before" ] || fail "second run rewrote the ISO"
echo "ISO made by xorriso, autounattend.xml at its root, second run left it alone"
