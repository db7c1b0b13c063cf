#!/bin/bash
# apply-refused.sh — boot apply on fedora-dracut-bls with tests/fixtures/modprobe/later-wins over it: a file read
# after vfiokit.conf replaces vfiokit's ids, so apply must exit 3 and leave the tree byte-identical; with --force it
# applies, and the user's file is still untouched.
# usage: apply-refused.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root fails=0
fail() { echo "FAIL: $*" >&2; sed 's/^/    | /' "$tmp/out" "$tmp/err" >&2; fails=$((fails + 1)); }
snap() { python3 "$src/tests/cli/treesnap.py" "$root" --exclude run/vfiokit --skip-entry run; }
cp -a "$src/examples/hosts/fedora-dracut-bls" "$root" && cp -a "$src/tests/fixtures/modprobe/later-wins/." "$root/" ||
        exit 1
user=etc/modprobe.d/zz-passthrough.conf
cp "$root/$user" "$tmp/user.before"
snap >"$tmp/snap.before"

NO_COLOR=1 "$vfiokit" --root "$root" boot apply 01:00.0 --yes </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 3 ] || fail "apply exited $rc, wanted 3 (refused)"
grep -q "/$user:1: options vfio-pci ids=10de:2484" "$tmp/err" || fail "the refusal does not name /$user:1"
snap | diff -u "$tmp/snap.before" - >&2 || fail "a refused apply changed the tree"

NO_COLOR=1 "$vfiokit" --root "$root" boot apply 01:00.0 --yes --force </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || fail "apply --force exited $rc"
grep -q '^options vfio-pci ids=10de:2484,10de:228b$' "$root/etc/modprobe.d/vfiokit.conf" ||
        fail "apply --force did not write vfiokit.conf"
cmp -s "$tmp/user.before" "$root/$user" || fail "apply --force changed the user's /$user"
[ $fails = 0 ] && echo "ok"
exit $((fails > 0))
