#!/bin/bash
# golden.sh — a net golden case on an example host with a fixture overlay: tests/cli/golden.sh over that root.
# usage: golden.sh VFIOKIT SRCDIR NAME HOST OVERLAY [--ssh] ARGS...   (--ssh: as if logged in over SSH)
set -u
vfiokit=$1 src=$2 name=$3 host=$4 overlay=$5
shift 5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/tests/net/mkroot.sh" "$src" "$host" "$overlay" "$tmp/host" || exit 1
# the developer's own SSH session must not change the outputs
unset SSH_CONNECTION
if [ "${1:-}" = --ssh ]; then
        export SSH_CONNECTION="192.0.2.10 50022 192.0.2.1 22"
        shift
fi
exec "$src/tests/cli/golden.sh" "$vfiokit" "$src" "$name" --root-copy "$tmp/host" "$@"
