#!/bin/bash
# mkroot.sh — lay tests/fixtures/net/common and one overlay (networkd, netplan, nm, …) over a copy of an example host.
# usage: mkroot.sh SRCDIR HOST OVERLAY DEST   (OVERLAY "-" for none)
set -eu
src=$1 host=$2 overlay=$3 dest=$4
cp -a "$src/examples/hosts/$host" "$dest"
cp -a "$src/tests/fixtures/net/common/." "$dest/"
if [ "$overlay" != - ]; then
        cp -a "$src/tests/fixtures/net/$overlay/." "$dest/"
fi
