#!/bin/bash
# golden.sh — tests/cli/golden.sh on a copy of examples/hosts/HOST with tests/fixtures/modprobe/CASE laid over it
# (hand-written modprobe.d files next to the one vfiokit writes).
# usage: golden.sh VFIOKIT SRCDIR NAME HOST CASE ARGS...   (the golden file shows the root as @ROOT@)
set -u
vfiokit=$1 src=$2 name=$3 host=$4 case=$5
shift 5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$src/examples/hosts/$host" "$tmp/host" && cp -a "$src/tests/fixtures/modprobe/$case/." "$tmp/host/" ||
        exit 1
"$src/tests/cli/golden.sh" "$vfiokit" "$src" "$name" --root-copy "$tmp/host" "$@"
