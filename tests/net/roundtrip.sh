#!/bin/bash
# roundtrip.sh — net bridge/tap on fixture roots: apply → apply again changes nothing → remove gives back the tree
# byte for byte (contents, modes, links); a malformed netplan file writes nothing. usage: roundtrip.sh VFIOKIT SRCDIR
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset SSH_CONNECTION
fail=0

# every file and link with its mode and content hash; vfiokit's own lock and empty state directories excluded
tree() {
        (cd "$1" && find . \( -path ./run/vfiokit -o -path ./var/lib/vfiokit \) -prune -o \( -type f -o -type l \) \
                -printf '%p %m %y %l\n' | LC_ALL=C sort &&
                find . \( -path ./run/vfiokit -o -path ./var/lib/vfiokit \) -prune -o -type f -print0 | LC_ALL=C sort -z |
                xargs -0 sha256sum)
        # the journal must be gone once everything is removed, or hold exactly what is applied
        ls "$1/var/lib/vfiokit" 2>/dev/null
}

check() { # NAME HOST OVERLAY SETUP NAME-TO-REMOVE ARGS...
        local name=$1 host=$2 overlay=$3 setup=$4 target=$5
        shift 5
        local root=$tmp/$name
        "$src/tests/net/mkroot.sh" "$src" "$host" "$overlay" "$root" || { fail=1; return; }
        [ -n "$setup" ] && (cd "$root" && eval "$setup")
        tree "$root" >"$tmp/$name.before"
        if ! "$vfiokit" --root "$root" "$@" >"$tmp/$name.out1" 2>&1; then
                echo "FAIL $name: apply failed:"; cat "$tmp/$name.out1"; fail=1; return
        fi
        tree "$root" >"$tmp/$name.applied"
        if cmp -s "$tmp/$name.before" "$tmp/$name.applied"; then
                echo "FAIL $name: apply changed nothing"; fail=1; return
        fi
        if ! "$vfiokit" --root "$root" "$@" >"$tmp/$name.out2" 2>&1 || ! grep -q '^nothing to do' "$tmp/$name.out2"; then
                echo "FAIL $name: the second apply did not say 'nothing to do':"; cat "$tmp/$name.out2"; fail=1
        fi
        tree "$root" >"$tmp/$name.again"
        if ! diff -u "$tmp/$name.applied" "$tmp/$name.again"; then
                echo "FAIL $name: the second apply changed the tree"; fail=1
        fi
        if ! "$vfiokit" --root "$root" net remove "$target" >"$tmp/$name.out3" 2>&1; then
                echo "FAIL $name: remove failed:"; cat "$tmp/$name.out3"; fail=1; return
        fi
        tree "$root" >"$tmp/$name.after"
        if ! diff -u "$tmp/$name.before" "$tmp/$name.after"; then
                echo "FAIL $name: remove did not give back the original tree"; fail=1; return
        fi
        echo "ok $name"
}

check networkd n100-sriov networkd "" br0 net bridge br0 --uplink enp1s0
check netplan amd-b550 netplan "" br0 net bridge br0 --uplink enp7s0
check nm desktop-nvidia nm "" br0 net bridge br0 --uplink eno1
check tap-networkd n100-sriov networkd "" tap1 net tap tap1 --user alice --bridge br-lan
# a file of the user's where vfiokit writes: kept as .vfiokit-orig, put back by remove
check networkd-orig n100-sriov networkd \
        "printf '[Match]\nName=enp9s9\n' >etc/systemd/network/10-vfiokit-enp1s0-bridge-port.network" \
        br0 net bridge br0 --uplink enp1s0

# malformed netplan: an error naming file:line, and not one byte written
root=$tmp/bad
"$src/tests/net/mkroot.sh" "$src" amd-b550 netplan-bad "$root"
find "$root" | LC_ALL=C sort >"$tmp/bad.before"
if "$vfiokit" --root "$root" net bridge br0 --uplink enp7s0 >"$tmp/bad.out" 2>&1; then
        echo "FAIL bad: a malformed netplan file was accepted"; fail=1
elif ! grep -q '/etc/netplan/01-netcfg.yaml:6: malformed YAML' "$tmp/bad.out"; then
        echo "FAIL bad: the error does not name the file and line:"; cat "$tmp/bad.out"; fail=1
fi
find "$root" | LC_ALL=C sort >"$tmp/bad.after"
diff -u "$tmp/bad.before" "$tmp/bad.after" || { echo "FAIL bad: something was written"; fail=1; }
[ $fail = 0 ] && echo "ok bad"
exit $fail
