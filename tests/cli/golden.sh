#!/bin/bash
# golden.sh — run vfiokit with ARGS and compare stdout, stderr and exit status with tests/golden/NAME.out.
# usage: golden.sh VFIOKIT SRCDIR NAME ARGS...   (VFIOKIT_REGEN=1 rewrites the golden file)
set -u
vfiokit=$1 src=$2 name=$3
shift 3
golden=$src/tests/golden/$name.out
actual=$(mktemp)
trap 'rm -f "$actual" "$actual.err"' EXIT

cd "$src" || exit 1
NO_COLOR=1 "$vfiokit" "$@" >"$actual" 2>"$actual.err" </dev/null
rc=$?
{
        printf '$ vfiokit %s\n' "$*"
        cat "$actual"
        if [ -s "$actual.err" ]; then
                echo "--- stderr"
                cat "$actual.err"
        fi
        echo "--- exit $rc"
} >"$actual.full"
mv "$actual.full" "$actual"

if [ "${VFIOKIT_REGEN:-}" = 1 ]; then
        mkdir -p "$(dirname "$golden")"
        cp "$actual" "$golden"
        echo "regenerated $golden"
        exit 0
fi
if [ ! -f "$golden" ]; then
        echo "missing $golden; run with VFIOKIT_REGEN=1 to create it" >&2
        exit 1
fi
if ! diff -u "$golden" "$actual"; then
        echo "output differs from $golden (VFIOKIT_REGEN=1 rewrites it after review)" >&2
        exit 1
fi
