#!/bin/bash
# vm-define.sh — `vm new --define` through libvirt's API, against libvirt's built-in test driver (test:///default:
# no daemon; it checks the XML and keeps the domain in this process only), on a copy of an example host with
# tests/fixtures/vm-overlay laid over it as vm-golden.sh does. Also the refusals that need no libvirt.
# usage: vm-define.sh VFIOKIT SRCDIR   (exit 77 when vfiokit was built without libvirt: --version shows -libvirt)
set -u
vfiokit=$(realpath "$1") src=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host=desktop-nvidia root=$tmp/$host
cp -a "$src/examples/hosts/$host" "$root" && cp -a "$src/tests/fixtures/vm-overlay/usr" "$root/" || exit 1
fail=0

# expect STATUS PATTERN ARGS...: vfiokit ARGS exits STATUS and its output matches the extended regex PATTERN
expect() {
        local want=$1 pattern=$2 out rc
        shift 2
        out=$("$vfiokit" "$@" 2>&1)
        rc=$?
        if [ "$rc" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
                echo "FAIL vfiokit $*: exit $rc (want $want), output (want /$pattern/):"
                echo "$out"
                fail=1
        else
                echo "ok   vfiokit $*"
        fi
}

if ! "$vfiokit" --version | grep -q '+libvirt'; then
        expect 1 'built without libvirt \(libvirt-dev\); run: virsh define FILE' \
                --root "$root" vm new t --gpu 01:00.0 --os linux --define --connect test:///default
        echo "skipped: this vfiokit was built without libvirt (libvirt-dev)"
        exit $((fail ? 1 : 77))
fi

expect 0 '^defined t \([0-9a-f-]{36}\)$' --root "$root" vm new t --gpu 01:00.0 --os linux --define \
        --connect test:///default
expect 0 '^defined w11 \(' --root "$root" vm new w11 --gpu 01:00.0 --audio ich9 --disk-path /dev/nvme1n1 --define \
        --connect test:///default
expect 0 '"uuid": "[0-9a-f-]{36}"' --root "$root" --json vm new t --gpu 01:00.0 --os linux --define \
        --connect test:///default
# libvirt's own message when it refuses
expect 1 'connecting to test:///nonexistent-vfiokit: .+' --root "$root" vm new t --gpu 01:00.0 --os linux --define \
        --connect test:///nonexistent-vfiokit
# a domain for the host inside --root is not defined in this host's libvirt
expect 2 'not defined here; it would be defined in qemu:///system' --root "$root" vm new t --gpu 01:00.0 --define
expect 0 'would define .t. in test:///default' --root "$root" --dry-run vm new t --gpu 01:00.0 --os linux --define \
        --connect test:///default
expect 2 'add --define' --root "$root" vm new t --gpu 01:00.0 --connect test:///default
expect 2 'not both' --root "$root" vm new t --gpu 01:00.0 --define --connect test:///default -o t.xml
expect 2 'QEMU script' --root "$root" vm new t --gpu 01:00.0 --define --connect test:///default --format=qemu
exit $fail
