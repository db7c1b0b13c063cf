#!/bin/bash
# golden.sh — tests/cli/golden.sh on a copy of examples/hosts/HOST with tests/fixtures/diagnose/overlay/HOST laid
# over it (saved logs, a battery): the example hosts keep no logs.
# usage: golden.sh VFIOKIT SRCDIR NAME HOST ARGS...   (the golden file shows the root as @ROOT@)
set -u
vfiokit=$1 src=$2 name=$3 host=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$src/examples/hosts/$host" "$tmp/$host" && cp -a "$src/tests/fixtures/diagnose/overlay/$host/." "$tmp/$host/" ||
        exit 1
"$src/tests/cli/golden.sh" "$vfiokit" "$src" "$name" --root-copy "$tmp/$host" "$@"
