#!/bin/bash
# vm-golden.sh — golden.sh for `vm new` on a copy of an example host with tests/fixtures/vm-overlay laid over it
# (QEMU firmware descriptors, OVMF stand-ins, virtio-win): the example hosts have no OVMF installed.
# usage: vm-golden.sh VFIOKIT SRCDIR NAME HOST ARGS...   (the golden file shows the root as @ROOT@)
set -u
vfiokit=$1 src=$2 name=$3 host=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$src/examples/hosts/$host" "$tmp/$host" && cp -a "$src/tests/fixtures/vm-overlay/usr" "$tmp/$host/" || exit 1
"$(dirname "$0")/golden.sh" "$vfiokit" "$src" "$name" --root-copy "$tmp/$host" "$@"
